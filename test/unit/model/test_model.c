/*
 * test_model.c: model specs and layout (lib/model/model.c); the reference loss
 * and gradient (lib/compute/ref.c) against central finite differences in double;
 * the fast path (lib/compute/nn.c, cpu and ref backends) against the reference.
 */
#include <stdlib.h>
#include <string.h>

#include "fl.h"
#include "unit.h"

#define N	12	/* rows of test data */
#define D	4	/* features */

/* Make a model or report why not; NULL on failure. */
static struct fl_model *
make(const char *spec, enum fl_task task, size_t k)
{
	struct fl_err err = FL_ERR_INIT;
	struct fl_model *m;

	if (fl_model_new(&m, spec, task, k, D, NULL, NULL, &err) < 0) {
		fprintf(stderr, "%s: %s\n", spec, err.msg);
		return NULL;
	}
	return m;
}

/* Specs that parse and those that do not. */
static void
test_specs(void)
{
	struct fl_err err = FL_ERR_INIT;
	struct fl_model *m, *c;
	const char *feat[D] = { "a", "b", "c", "d" };

	CHECK_OK(fl_model_new(&m, "mlp:05,3", FL_TASK_BINARY, 0, D, feat,
	    "label", &err), &err);
	if (m != NULL) {
		CHECK(strcmp(fl_model_spec(m), "mlp:5,3") == 0);
		CHECK(fl_model_nlayers(m) == 3);
		CHECK(fl_model_width(m, 0) == 4 && fl_model_width(m, 1) == 5 &&
		    fl_model_width(m, 2) == 3 && fl_model_width(m, 3) == 1);
		/* (5*4+5) + (3*5+3) + (1*3+1) */
		CHECK(fl_model_nparams(m) == 25 + 18 + 4);
		CHECK(strcmp(fl_model_prep(m)->features[2], "c") == 0);
		CHECK(strcmp(fl_model_prep(m)->label, "label") == 0);
		c = fl_model_dup(m);
		CHECK(c != NULL && fl_model_compatible(m, c));
		fl_model_free(c);
		fl_model_free(m);
	}
	CHECK_OK(fl_model_new(&m, "softmax", FL_TASK_MULTICLASS, 3, D, NULL,
	    NULL, &err), &err);
	if (m != NULL) {
		CHECK(fl_model_noutputs(m) == 3 && fl_model_nclasses(m) == 3);
		CHECK(fl_model_nparams(m) == 3 * 4 + 3);
		fl_model_free(m);
	}
	CHECK(fl_model_new(&m, "foo", FL_TASK_BINARY, 0, D, NULL, NULL,
	    &err) == FL_EUSAGE && m == NULL);
	CHECK(strcmp(err.msg, "unknown model 'foo' (logreg, softmax, linear, "
	    "cox, mlp:H1,H2,..., cnn:...)") == 0);
	CHECK(fl_model_new(&m, "logreg", FL_TASK_REGRESSION, 0, D, NULL, NULL,
	    &err) == FL_EUSAGE);
	CHECK(strcmp(err.msg,
	    "task 'regression' conflicts with model 'logreg'") == 0);
	CHECK(fl_model_new(&m, "softmax", FL_TASK_MULTICLASS, 1, D, NULL,
	    NULL, &err) == FL_EUSAGE);
	CHECK(fl_model_new(&m, "mlp:", FL_TASK_BINARY, 0, D, NULL, NULL,
	    &err) == FL_EUSAGE);
	CHECK(fl_model_new(&m, "mlp:0", FL_TASK_BINARY, 0, D, NULL, NULL,
	    &err) == FL_EUSAGE);
	CHECK(fl_model_new(&m, "mlp:65537", FL_TASK_BINARY, 0, D, NULL, NULL,
	    &err) == FL_EUSAGE);
	CHECK(fl_model_new(&m, "mlp:4,", FL_TASK_BINARY, 0, D, NULL, NULL,
	    &err) == FL_EUSAGE);
	CHECK(fl_model_new(&m, "mlp:4x", FL_TASK_BINARY, 0, D, NULL, NULL,
	    &err) == FL_EUSAGE);
	CHECK(fl_model_new(&m, "mlp:1,1,1,1,1,1,1,1,1,1,1,1,1,1,1,1",
	    FL_TASK_BINARY, 0, D, NULL, NULL, &err) == FL_EUSAGE);
	CHECK_OK(fl_model_new(&m, "mlp:1,1,1,1,1,1,1,1,1,1,1,1,1,1,1",
	    FL_TASK_BINARY, 0, D, NULL, NULL, &err), &err);
	fl_model_free(m);
	CHECK(fl_model_new(&m, "linear", FL_TASK_REGRESSION, 0, 0, NULL, NULL,
	    &err) == FL_EUSAGE);
	CHECK(fl_task_parse("multiclass") == FL_TASK_MULTICLASS);
	CHECK(fl_task_parse("nope") == -1);
	CHECK(strcmp(fl_task_name(FL_TASK_REGRESSION), "regression") == 0);
	CHECK(fl_optimizer_parse("adam") == FL_OPT_ADAM);
	CHECK(fl_optimizer_parse("rmsprop") == -1);
}

/* Random data for task with k classes: X (N, D), y (N). */
static void
data(struct fl_rng *r, enum fl_task task, size_t k, float *X, float *y)
{
	size_t i;

	for (i = 0; i < N * D; i++)
		X[i] = (float)fl_rng_normal(r);
	for (i = 0; i < N; i++) {
		if (task == FL_TASK_BINARY)
			y[i] = (float)(i % 2);
		else if (task == FL_TASK_MULTICLASS)
			y[i] = (float)(i % k);
		else
			y[i] = (float)fl_rng_normal(r);
	}
}

/*
 * Check the reference gradient of spec under task by central differences
 * (h = 1e-6, in double), then the fast path on both backends against it.
 */
static void
check_grad(const char *spec, enum fl_task task, size_t k)
{
	struct fl_err err = FL_ERR_INIT;
	struct fl_model *m = make(spec, task, k);
	const struct fl_backend *be;
	struct fl_rng r;
	float X[N * D], y[N], *p, *fg;
	double *w, *g, lp, lm, num, loss, fl, bad;
	size_t np, i, worst;
	const double l2 = 0.1, h = 1e-6;
	int dev;

	CHECK(m != NULL);
	if (m == NULL)
		return;
	fl_rng_seed(&r, 3, spec);
	data(&r, task, k, X, y);
	fl_model_init_params(m, 5);
	np = fl_model_nparams(m);
	p = fl_model_params(m);
	/* Non-zero biases, so that their gradients are tested too. */
	for (i = 0; i < np; i++)
		if (p[i] == 0.0f)
			p[i] = (float)(0.1 * fl_rng_normal(&r));
	w = malloc(np * sizeof(double));
	g = malloc(np * sizeof(double));
	fg = malloc(np * sizeof(float));
	for (i = 0; i < np; i++)
		w[i] = p[i];
	loss = fl_ref_loss_grad(m, w, N, X, y, l2, g);
	CHECK(isfinite(loss) && loss > 0.0);
	bad = 0.0;
	worst = 0;
	for (i = 0; i < np; i++) {
		double save = w[i], e;

		w[i] = save + h;
		lp = fl_ref_loss_grad(m, w, N, X, y, l2, NULL);
		w[i] = save - h;
		lm = fl_ref_loss_grad(m, w, N, X, y, l2, NULL);
		w[i] = save;
		num = (lp - lm) / (2.0 * h);
		/* Excess over |num - g| <= 1e-7 + 1e-5 |num|. */
		e = fabs(num - g[i]) - 1e-5 * fabs(num);
		if (e > bad) {
			bad = e;
			worst = i;
		}
	}
	if (bad > 1e-7)
		fprintf(stderr, "%s/%s: gradient %zu off by %g\n",
		    spec, fl_task_name(task), worst, bad);
	CHECK(bad <= 1e-7);

	for (dev = 0; dev < 2; dev++) {
		CHECK_OK(fl_backend_get(&be, dev == 0 ? FL_DEVICE_CPU :
		    FL_DEVICE_REF, &err), &err);
		CHECK_OK(fl_loss_grad(m, N, X, y, l2, be, fg, &fl, &err),
		    &err);
		CHECK_NEAR(fl, loss, 1e-5, 1e-5);
		bad = 0.0;
		for (i = 0; i < np; i++)
			if (fabs(fg[i] - g[i]) > 1e-5 + 1e-4 * fabs(g[i])) {
				if (bad++ < 3)
					fprintf(stderr, "%s/%s %s: grad[%zu] = "
					    "%.9g, ref %.9g\n", spec,
					    fl_task_name(task), be->name, i,
					    fg[i], g[i]);
			}
		CHECK(bad == 0);
	}
	free(w);
	free(g);
	free(fg);
	fl_model_free(m);
}

int
main(void)
{
	const struct fl_backend *be;
	struct fl_err err = FL_ERR_INIT;

	unit_run("specs", test_specs);
	UNIT_CASE("grad logreg binary",
	    check_grad("logreg", FL_TASK_BINARY, 0));
	UNIT_CASE("grad softmax multiclass",
	    check_grad("softmax", FL_TASK_MULTICLASS, 3));
	UNIT_CASE("grad linear regression",
	    check_grad("linear", FL_TASK_REGRESSION, 0));
	UNIT_CASE("grad mlp:5,3 binary",
	    check_grad("mlp:5,3", FL_TASK_BINARY, 0));
	UNIT_CASE("grad mlp:5,3 multiclass",
	    check_grad("mlp:5,3", FL_TASK_MULTICLASS, 3));
	UNIT_CASE("grad mlp:5,3 regression",
	    check_grad("mlp:5,3", FL_TASK_REGRESSION, 0));
	/* Without CUDA (or, in a CUDA build, without a GPU) cuda is
	 * FL_EGPU saying which, and auto is the CPU. */
	if (strcmp(fl_backend_cuda_version(), "no CUDA") == 0) {
		CHECK(fl_backend_get(&be, FL_DEVICE_CUDA, &err) == FL_EGPU);
		CHECK(strcmp(err.msg, "--device cuda: this build has no CUDA "
		    "support (build it with 'make cuda')") == 0);
		CHECK_OK(fl_backend_get(&be, FL_DEVICE_AUTO, &err), &err);
		CHECK(strcmp(be->name, "cpu") == 0);
	} else if (fl_backend_get(&be, FL_DEVICE_CUDA, &err) < 0) {
		CHECK(strncmp(err.msg, "--device cuda: no CUDA GPU present",
		    34) == 0);
		CHECK_OK(fl_backend_get(&be, FL_DEVICE_AUTO, &err), &err);
		CHECK(strcmp(be->name, "cpu") == 0);
	}
	return unit_done("test_model");
}
