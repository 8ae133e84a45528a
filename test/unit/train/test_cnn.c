/*
 * test_cnn.c: convolutional models (lib/model/cnn.c, lib/compute/nn_cnn.c).
 * The spec grammar, normalised specs and errors; the layer table's
 * names, shapes and offsets; an archive round trip; the whole forward and
 * backward pass (conv, pooling, gap, dropout, dense, head) against
 * central finite differences of the loss, through the reference backend
 * and the CPU backend, which must also agree with each other; and a small
 * training run that learns.
 *
 * Finite differences: step 1e-3 on the float loss, tolerance 2e-3 + 2e-2
 * |num| (as test_head.c: ReLU and max kinks within a step are rare on
 * random data).  CPU against reference gradients: 1e-4 + 1e-3 |ref|.
 */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "fl.h"
#include "compute/nn.h"
#include "unit.h"

#define N	6	/* rows */

static struct fl_rng rng;

/* A new multiclass CNN on d features, or NULL (after a failed CHECK). */
static struct fl_model *
cnn(const char *spec, size_t d, size_t k)
{
	struct fl_err err = FL_ERR_INIT;
	struct fl_model *m = NULL;

	CHECK_OK(fl_model_new(&m, spec, FL_TASK_MULTICLASS, k, d, NULL, "y",
	    &err), &err);
	if (m != NULL)
		fl_model_init_params(m, 3);
	return m;
}

static void
test_spec(void)
{
	static const struct {
		const char *spec, *norm;
		size_t d, nparams;
	} ok[] = {
		{ "cnn:1x28x28:conv8k5,pool2,conv16k5,pool2,dense64",
		    "cnn:1x28x28:conv8k5,pool2,conv16k5,pool2,dense64", 784,
		    200 + 8 + 3200 + 16 + 784 * 64 + 64 + 64 * 10 + 10 },
		{ "cnn:3x8x6:conv4k3s1v,avgpool2,gap",
		    "cnn:3x8x6:conv4k3v,avgpool2,gap", 144,
		    4 * 27 + 4 + 4 * 10 + 10 },
		{ "cnn:1x7x7:conv2k3s2,drop0.5,dense3,dense4",
		    "cnn:1x7x7:conv2k3s2,drop0.5,dense3,dense4", 49,
		    18 + 2 + 32 * 3 + 3 + 12 + 4 + 40 + 10 },
	};
	static const char *const bad[] = {
		"cnn:conv8k5",			/* no input shape */
		"cnn:1x28x27:conv8k5",		/* 756 values, not 784 */
		"cnn:1x28x28:conv8",		/* no kernel */
		"cnn:1x28x28:conv8k5s0",	/* stride 0 */
		"cnn:1x28x28:conv8k5x",		/* junk */
		"cnn:1x28x28:dense64,pool2",	/* stage after dense */
		"cnn:1x28x28:dense64",		/* no stage */
		"cnn:1x28x28:drop0.5,conv8k5",	/* starts with dropout */
		"cnn:1x28x28:drop1.5",		/* rate */
		"cnn:1x28x28:pool29",		/* does not fit */
		"cnn:1x28x28:conv8k29v",	/* does not fit */
		"cnn:1x28x28:",			/* nothing */
		"cnn:1x28x28:conv8k5,,pool2",	/* empty token */
		"cnn:0x28x28:conv8k5",		/* zero channels */
		"cnn:99999999999999999999x1x1:gap",
	};
	struct fl_err err = FL_ERR_INIT;
	struct fl_model *m;
	size_t i;

	for (i = 0; i < sizeof(ok) / sizeof(ok[0]); i++) {
		m = cnn(ok[i].spec, ok[i].d, 10);
		if (m == NULL)
			continue;
		CHECK(strcmp(fl_model_spec(m), ok[i].norm) == 0);
		CHECK(fl_model_nparams(m) == ok[i].nparams);
		CHECK(fl_model_ninputs(m) == ok[i].d);
		fl_model_free(m);
	}
	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		m = NULL;
		CHECK(fl_model_new(&m, bad[i], FL_TASK_MULTICLASS, 10, 784,
		    NULL, "y", &err) == FL_EUSAGE);
		CHECK(m == NULL);
		if (strstr(err.msg, "model") == NULL && strstr(err.msg,
		    "input") == NULL)
			fprintf(stderr, "%s: %s\n", bad[i], err.msg);
	}
}

/* The layer table of the MNIST network, and its archive round trip. */
static void
test_table(void)
{
	struct fl_err err = FL_ERR_INIT;
	struct fl_model *m, *m2 = NULL;
	struct fl_archive *a = NULL;
	const struct fl_param_tensor *t;
	const struct fl_layer *ly;
	size_t c, h, w;

	m = cnn("cnn:1x28x28:conv8k5,pool2,conv16k5,pool2,dense64", 784, 10);
	if (m == NULL)
		return;
	CHECK(fl_model_nstages(m) == 4 && fl_model_nlayers(m) == 2);
	CHECK(fl_model_image(m, &c, &h, &w) == 1 && c == 1 && h == 28 &&
	    w == 28);
	ly = fl_model_layer(m, 0);
	CHECK(ly->type == FL_LAYER_CONV && ly->in == 784 &&
	    ly->out == 8 * 784 && ly->ntensors == 2);
	ly = fl_model_layer(m, 1);
	CHECK(ly->type == FL_LAYER_MAXPOOL && ly->out == 8 * 196 &&
	    ly->ntensors == 0);
	ly = fl_model_layer(m, 4);
	CHECK(ly->type == FL_LAYER_DENSE && ly->in == 784 && ly->out == 64);
	CHECK(fl_model_layer(m, 6) == NULL);
	CHECK(fl_model_ntensors(m) == 8);
	t = fl_model_tensor(m, 0);
	CHECK(strcmp(t->name, "conv0.weight") == 0 && t->ndim == 4 &&
	    t->shape[0] == 8 && t->shape[1] == 1 && t->shape[2] == 5 &&
	    t->shape[3] == 5 && t->off == 0);
	t = fl_model_tensor(m, 3);
	CHECK(strcmp(t->name, "conv1.bias") == 0 && t->off == 3408);
	t = fl_model_tensor(m, 4);
	CHECK(strcmp(t->name, "fc0.weight") == 0 && t->shape[0] == 64 &&
	    t->shape[1] == 784 && t->off == 3424);

	CHECK_OK(fl_model_to_archive(m, FL_KIND_MODEL, &a, &err), &err);
	if (a != NULL) {
		CHECK_OK(fl_model_from_archive(&m2, a, &err), &err);
		if (m2 != NULL) {
			CHECK(fl_model_compatible(m, m2));
			CHECK(memcmp(fl_model_params(m), fl_model_params(m2),
			    fl_model_nparams(m) * sizeof(float)) == 0);
			CHECK(fl_model_nstages(m2) == 4);
		}
	}
	fl_model_free(m2);
	fl_archive_free(a);
	fl_model_free(m);
}

/* An archive whose spec says 5x5 kernels and whose tensors are 3x3 (or
 * whose parameter count disagrees) is refused, naming the tensor. */
static void
test_tampered(void)
{
	struct fl_err err = FL_ERR_INIT;
	struct fl_model *m3, *m = NULL;
	struct fl_archive *a = NULL;
	json_t *model;

	m3 = cnn("cnn:1x8x8:conv2k3,dense4", 64, 3);
	if (m3 == NULL)
		return;
	CHECK_OK(fl_model_to_archive(m3, FL_KIND_MODEL, &a, &err), &err);
	model = json_object_get(fl_archive_manifest(a), "model");
	/* conv2k5 has 2 * 25 + 2 parameters where conv2k3 has 2 * 9 + 2. */
	json_object_set_new(model, "spec", json_string("cnn:1x8x8:conv2k5,"
	    "dense4"));
	json_object_set_new(model, "params", json_integer((json_int_t)
	    fl_model_nparams(m3) + 32));
	CHECK(fl_model_from_archive(&m, a, &err) == FL_ESHAPE && m == NULL);
	CHECK(strstr(err.msg, "tensor 'conv0.weight' is F32 [2, 1, 3, 3], "
	    "the model's is F32 [2, 1, 5, 5]") != NULL);
	/* A parameter count that does not match the spec. */
	json_object_set_new(model, "params", json_integer(7));
	CHECK(fl_model_from_archive(&m, a, &err) == FL_ESHAPE && m == NULL);
	/* A spec that cannot be read. */
	json_object_set_new(model, "spec", json_string("cnn:1x8x9:gap"));
	CHECK(fl_model_from_archive(&m, a, &err) == FL_EFORMAT && m == NULL);
	fl_archive_free(a);
	fl_model_free(m3);
}

/* The loss over N rows through nn with a fixed dropout draw. */
static double
loss_at(struct fl_nn *nn, const float *p, const float *X, const float *y,
    float *g)
{
	nn->steps = 0;
	return fl_nn_loss_grad(nn, p, X, y, NULL, N, 1.0f / N, g) / N;
}

/* Finite differences through each backend; the two backends agree. */
static void
check_grad(const char *spec, size_t d, int training)
{
	struct fl_err err = FL_ERR_INIT;
	const struct fl_backend *be[2];
	struct fl_nn nn[2];
	struct fl_model *m = cnn(spec, d, 3);
	float *X, y[N], *p, *g[2], save;
	double lp, lm, num;
	size_t np, i, j, b, bad;
	const float h = 1e-3f;

	if (m == NULL)
		return;
	np = fl_model_nparams(m);
	p = fl_model_params(m);
	X = malloc(N * d * sizeof(float));
	g[0] = malloc(np * sizeof(float));
	g[1] = malloc(np * sizeof(float));
	for (i = 0; i < N * d; i++)
		X[i] = (float)(2.0 * fl_rng_uniform(&rng) - 1.0);
	for (i = 0; i < N; i++)
		y[i] = (float)(i % 3);
	/* Biases away from 0, so that ReLUs both fire and stay off. */
	for (i = 0; i < np; i++)
		if (p[i] == 0.0f)
			p[i] = (float)(0.2 * fl_rng_uniform(&rng) - 0.1);
	CHECK_OK(fl_backend_get(&be[0], FL_DEVICE_REF, &err), &err);
	CHECK_OK(fl_backend_get(&be[1], FL_DEVICE_CPU, &err), &err);
	for (b = 0; b < 2; b++) {
		CHECK_OK(fl_nn_init(&nn[b], m, fl_head_get(FL_TASK_MULTICLASS),
		    be[b], N, &err), &err);
		nn[b].training = training;
		nn[b].seed = 5;
		loss_at(&nn[b], p, X, y, g[b]);
		for (j = bad = 0; j < np; j++) {
			save = p[j];
			p[j] = save + h;
			lp = loss_at(&nn[b], p, X, y, g[1 - b]);
			p[j] = save - h;
			lm = loss_at(&nn[b], p, X, y, g[1 - b]);
			p[j] = save;
			num = (lp - lm) / (2.0 * h);
			if (!(fabs(g[b][j] - num) <= 2e-3 + 2e-2 * fabs(num))
			    && bad++ < 3)
				fprintf(stderr, "%s (%s): grad[%zu] = %.6g, "
				    "differences give %.6g\n", spec,
				    be[b]->name, j, g[b][j], num);
		}
		CHECK(bad == 0);
	}
	/* The two backends' gradients at the same point. */
	loss_at(&nn[0], p, X, y, g[0]);
	loss_at(&nn[1], p, X, y, g[1]);
	for (j = bad = 0; j < np; j++)
		if (!(fabs(g[1][j] - g[0][j]) <= 1e-4 + 1e-3 * fabs(g[0][j]))
		    && bad++ < 3)
			fprintf(stderr, "%s: cpu grad[%zu] = %.9g, ref %.9g\n",
			    spec, j, g[1][j], g[0][j]);
	CHECK(bad == 0);
	fl_nn_release(&nn[0]);
	fl_nn_release(&nn[1]);
	free(X);
	free(g[0]);
	free(g[1]);
	fl_model_free(m);
}

static void
test_grad(void)
{
	check_grad("cnn:2x7x6:conv3k3,pool2,conv4k2s2,dense5", 84, 0);
	check_grad("cnn:1x9x8:conv3k3s2v,avgpool2,gap", 72, 0);
	check_grad("cnn:2x6x6:conv2k3,drop0.3,conv3k3v,pool2,dense4", 72,
	    1);
	check_grad("cnn:1x6x6:avgpool2,conv2k3,gap,dense3", 36, 0);
}

/* Batches larger than one chunk of images (FL_NN_CHUNK) and a dropout
 * draw that differs between training steps but not between backends. */
static void
test_chunks(void)
{
	struct fl_err err = FL_ERR_INIT;
	const struct fl_backend *cpu;
	struct fl_model *m = cnn("cnn:1x5x5:conv2k3,dense3", 25, 3);
	struct fl_nn nn;
	size_t n = FL_NN_CHUNK * 2 + 3, np, i;
	float *X, *y, *g, *g1, *g2;

	if (m == NULL)
		return;
	np = fl_model_nparams(m);
	X = malloc(n * 25 * sizeof(float));
	y = malloc(n * sizeof(float));
	g = calloc(np, sizeof(float));
	g1 = calloc(np, sizeof(float));
	g2 = calloc(np, sizeof(float));
	for (i = 0; i < n * 25; i++)
		X[i] = (float)(2.0 * fl_rng_uniform(&rng) - 1.0);
	for (i = 0; i < n; i++)
		y[i] = (float)(i % 3);
	CHECK_OK(fl_backend_get(&cpu, FL_DEVICE_CPU, &err), &err);
	CHECK_OK(fl_nn_init(&nn, m, fl_head_get(FL_TASK_MULTICLASS), cpu, n,
	    &err), &err);
	/* All rows at once against the sum of three separate batches. */
	fl_nn_loss_grad(&nn, fl_model_params(m), X, y, NULL, n, 1.0f, g);
	fl_nn_loss_grad(&nn, fl_model_params(m), X, y, NULL, 100, 1.0f, g1);
	fl_nn_loss_grad(&nn, fl_model_params(m), X + 100 * 25, y + 100, NULL,
	    100, 1.0f, g2);
	for (i = 0; i < np; i++)
		g1[i] += g2[i];
	fl_nn_loss_grad(&nn, fl_model_params(m), X + 200 * 25, y + 200, NULL,
	    n - 200, 1.0f, g2);
	for (i = 0; i < np; i++)
		CHECK_NEAR(g[i], g1[i] + g2[i], 1e-4, 1e-4);
	fl_nn_release(&nn);
	free(X);
	free(y);
	free(g);
	free(g1);
	free(g2);
	fl_model_free(m);
}

/* fl_train learns a toy task: the class is the bright quadrant. */
static void
test_train(void)
{
	struct fl_err err = FL_ERR_INIT;
	struct fl_hparams hp = FL_HPARAMS_INIT;
	struct fl_train_result res;
	struct fl_dataset ds;
	struct fl_model *m = cnn("cnn:1x8x8:conv4k3,pool2,conv4k3s2,dense8",
	    64, 4);
	float *out;
	size_t n = 200, i, j, right = 0, best;

	if (m == NULL)
		return;
	memset(&ds, 0, sizeof(ds));
	ds.n = n;
	ds.d = 64;
	ds.X = malloc(n * 64 * sizeof(float));
	ds.y = malloc(n * sizeof(float));
	out = malloc(n * 4 * sizeof(float));
	for (i = 0; i < n; i++) {
		ds.y[i] = (float)(i % 4);
		for (j = 0; j < 64; j++) {
			size_t q = (j / 8 >= 4) * 2 + (j % 8 >= 4);

			ds.X[i * 64 + j] = (float)(fl_rng_uniform(&rng) +
			    (q == i % 4 ? 1.0 : 0.0));
		}
	}
	hp.epochs = 5;
	hp.optimizer = FL_OPT_ADAM;
	hp.lr = 0.01;
	CHECK_OK(fl_train(m, &ds, &hp, &res, &err), &err);
	CHECK_OK(fl_predict(m, &ds, NULL, out, &err), &err);
	for (i = 0; i < n; i++) {
		for (best = 0, j = 1; j < 4; j++)
			if (out[i * 4 + j] > out[i * 4 + best])
				best = j;
		right += best == (size_t)ds.y[i];
	}
	CHECK(right > n * 9 / 10);
	free(ds.X);
	free(ds.y);
	free(out);
	fl_model_free(m);
}

int
main(void)
{
	fl_rng_seed(&rng, 11, "test_cnn");
	unit_run("spec", test_spec);
	unit_run("table", test_table);
	unit_run("tampered", test_tampered);
	unit_run("grad", test_grad);
	unit_run("chunks", test_chunks);
	unit_run("train", test_train);
	return unit_done("test_cnn");
}
