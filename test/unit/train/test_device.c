/*
 * test_device.c: fl_train and fl_predict with a backend whose buffers are
 * not host memory (host_memory 0), as the CUDA backend's are, on any
 * machine: "shifted" runs the CPU's ops, but its buffers are handed out
 * as addresses moved out of the address space, so that any host code
 * that reads or writes one directly crashes instead of passing.  Its
 * results must equal the CPU's: bit for bit on the plain path, and
 * within float rounding where the L2 and FedProx terms become axpy ops.
 * The refusals of DP-SGD, survival and fl_loss_grad are checked too.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "fl.h"
#include "unit.h"

/* Far enough to leave the 47-bit user address space of x86-64 and the
 * 48-bit one of arm64 (dereferencing a moved address faults). */
#define SHIFT ((uintptr_t)1 << 62)
#define H(p) ((float *)((uintptr_t)(p) - SHIFT))
#define CH(p) ((const float *)((uintptr_t)(p) - SHIFT))

static void *
sh_alloc(size_t bytes)
{
	void *p = malloc(bytes > 0 ? bytes : 1);

	return p != NULL ? (void *)((uintptr_t)p + SHIFT) : NULL;
}

static void
sh_free(void *buf)
{
	if (buf != NULL)
		free((void *)((uintptr_t)buf - SHIFT));
}

static void
sh_upload(void *dst, const void *src, size_t bytes)
{
	if (bytes > 0)
		memcpy(H(dst), src, bytes);
}

static void
sh_download(void *dst, const void *src, size_t bytes)
{
	if (bytes > 0)
		memcpy(dst, CH(src), bytes);
}

static int
sh_supports(enum fl_op op)
{
	return (unsigned)op < FL_OP_COUNT;
}

static void
sh_gemm(int ta, int tb, size_t m, size_t n, size_t k, float alpha,
    const float *A, size_t lda, const float *B, size_t ldb, float beta,
    float *C, size_t ldc)
{
	fl_blas_gemm(ta, tb, m, n, k, alpha, CH(A), lda, CH(B), ldb, beta,
	    H(C), ldc);
}

static void
sh_bias_add(float *Z, size_t rows, size_t cols, const float *b)
{
	fl_blas_bias_add(H(Z), rows, cols, CH(b));
}

static void
sh_relu(float *v, size_t n)
{
	fl_blas_relu(H(v), n);
}

static void
sh_relu_backward(const float *A, float *dA, size_t n)
{
	fl_blas_relu_backward(CH(A), H(dA), n);
}

static void
sh_col_sums(const float *D, size_t rows, size_t cols, float *b)
{
	fl_blas_col_sums(CH(D), rows, cols, H(b));
}

static double
sh_loss(enum fl_op op, const float *Z, size_t rows, size_t k,
    const float *y, float scale, float *dZ)
{
	return fl_blas_loss(op, CH(Z), rows, k, CH(y), scale, H(dZ));
}

static void
sh_sgd(size_t n, float lr, float mom, float *p, float *v, const float *g)
{
	fl_blas_sgd(n, lr, mom, H(p), H(v), CH(g));
}

static void
sh_adam(size_t n, float lr, float b1, float b2, float eps, float c1,
    float c2, float *p, float *m, float *v, const float *g)
{
	fl_blas_adam(n, lr, b1, b2, eps, c1, c2, H(p), H(m), H(v), CH(g));
}

static double
sh_dot(size_t n, const float *a, const float *b)
{
	return fl_blas_dot(n, CH(a), CH(b));
}

static void
sh_axpy(size_t n, float a, const float *x, float *y)
{
	fl_blas_axpy(n, a, CH(x), H(y));
}

static void
sh_conv_forward(const struct fl_conv *s, const float *X, const float *W,
    const float *b, float *Y, float *work)
{
	fl_blas_conv_forward(s, CH(X), CH(W), CH(b), H(Y), H(work));
}

static void
sh_conv_backward_data(const struct fl_conv *s, const float *dY,
    const float *W, float *dX, float *work)
{
	fl_blas_conv_backward_data(s, CH(dY), CH(W), H(dX), H(work));
}

static void
sh_conv_backward_weights(const struct fl_conv *s, const float *X,
    const float *dY, float *dW, float *db, float *work)
{
	fl_blas_conv_backward_weights(s, CH(X), CH(dY), H(dW), H(db),
	    H(work));
}

static void
sh_maxpool_forward(const struct fl_pool *p, const float *X, float *Y)
{
	fl_blas_maxpool_forward(p, CH(X), H(Y));
}

static void
sh_maxpool_backward(const struct fl_pool *p, const float *X, const float *Y,
    const float *dY, float *dX)
{
	fl_blas_maxpool_backward(p, CH(X), CH(Y), CH(dY), H(dX));
}

static void
sh_avgpool_forward(const struct fl_pool *p, const float *X, float *Y)
{
	fl_blas_avgpool_forward(p, CH(X), H(Y));
}

static void
sh_avgpool_backward(const struct fl_pool *p, const float *dY, float *dX)
{
	fl_blas_avgpool_backward(p, CH(dY), H(dX));
}

static void
sh_gap_forward(size_t n, size_t c, size_t hw, const float *X, float *Y)
{
	fl_blas_gap_forward(n, c, hw, CH(X), H(Y));
}

static void
sh_gap_backward(size_t n, size_t c, size_t hw, const float *dY, float *dX)
{
	fl_blas_gap_backward(n, c, hw, CH(dY), H(dX));
}

static void
sh_dropout_forward(size_t n, float p, uint64_t seed, const float *X,
    float *Y, float *mask)
{
	fl_blas_dropout_forward(n, p, seed, CH(X), H(Y), H(mask));
}

static void
sh_dropout_backward(size_t n, const float *mask, float *dX)
{
	fl_blas_dropout_backward(n, CH(mask), H(dX));
}

static const struct fl_backend shifted = {
	.name = "shifted", .host_memory = 0, .supports = sh_supports,
	.alloc = sh_alloc, .free = sh_free, .upload = sh_upload,
	.download = sh_download, .gemm = sh_gemm, .bias_add = sh_bias_add,
	.relu = sh_relu, .relu_backward = sh_relu_backward,
	.col_sums = sh_col_sums, .loss = sh_loss, .sgd = sh_sgd,
	.adam = sh_adam, .dot = sh_dot,
	.conv_forward = sh_conv_forward,
	.conv_backward_data = sh_conv_backward_data,
	.conv_backward_weights = sh_conv_backward_weights,
	.maxpool_forward = sh_maxpool_forward,
	.maxpool_backward = sh_maxpool_backward,
	.avgpool_forward = sh_avgpool_forward,
	.avgpool_backward = sh_avgpool_backward,
	.gap_forward = sh_gap_forward, .gap_backward = sh_gap_backward,
	.dropout_forward = sh_dropout_forward,
	.dropout_backward = sh_dropout_backward,
	.axpy = sh_axpy, .error = NULL
};
/* n rows of d features; y: three classes, or 0/1. */
static void
make_data(struct fl_dataset *ds, size_t n, size_t d, int classes)
{
	struct fl_rng r;
	size_t i, j;
	float *x;

	memset(ds, 0, sizeof(*ds));
	ds->n = n;
	ds->d = d;
	ds->X = malloc(n * d * sizeof(float));
	ds->y = malloc(n * sizeof(float));
	fl_rng_seed(&r, 5, "data");
	for (i = 0; i < n; i++) {
		x = ds->X + i * d;
		for (j = 0; j < d; j++)
			x[j] = (float)(2.0 * fl_rng_uniform(&r) - 1.0);
		ds->y[i] = classes ? (x[0] < -0.3f ? 0.0f : x[0] < 0.3f ?
		    1.0f : 2.0f) : (float)(x[0] + 0.5f * x[1] > 0.0f);
	}
}

/* Train model spec (d inputs) from one start on the CPU and on
 * "shifted"; compare. */
static void
compare_spec(const char *spec, size_t d, enum fl_task task, size_t k,
    struct fl_hparams hp, double tol)
{
	struct fl_err err = FL_ERR_INIT;
	struct fl_model *m[2] = { NULL, NULL };
	struct fl_train_result res[2];
	const struct fl_backend *be[2] = { NULL, &shifted };
	struct fl_dataset ds;
	float *pred[2] = { NULL, NULL };
	size_t i, np, nout, bad = 0;
	int b;

	make_data(&ds, 101, d, task == FL_TASK_MULTICLASS);
	for (b = 0; b < 2; b++) {
		CHECK_OK(fl_model_new(&m[b], spec, task, k, ds.d, NULL,
		    NULL, &err), &err);
		if (m[b] == NULL)
			goto out;
		fl_model_init_params(m[b], 3);
		hp.backend = be[b];
		CHECK_OK(fl_train(m[b], &ds, &hp, &res[b], &err), &err);
	}
	np = fl_model_nparams(m[0]);
	for (i = 0; i < np; i++) {
		double w0 = fl_model_params(m[0])[i];
		double w1 = fl_model_params(m[1])[i];

		if (fabs(w1 - w0) > tol * (1.0 + fabs(w0)) && bad++ < 5)
			fprintf(stderr, "param %zu: %.9g, cpu %.9g\n", i, w1,
			    w0);
	}
	CHECK(bad == 0);
	CHECK_NEAR(res[1].loss, res[0].loss, tol, tol);
	CHECK(res[0].steps == res[1].steps && res[0].steps > 0);
	nout = task == FL_TASK_MULTICLASS ? k : 1;
	for (b = 0; b < 2; b++) {
		pred[b] = malloc(ds.n * nout * sizeof(float));
		CHECK_OK(fl_predict(m[0], &ds, be[b], pred[b], &err), &err);
	}
	CHECK(memcmp(pred[0], pred[1], ds.n * nout * sizeof(float)) == 0);
out:
	free(pred[0]);
	free(pred[1]);
	fl_model_free(m[0]);
	fl_model_free(m[1]);
	free(ds.X);
	free(ds.y);
}

static void
compare(enum fl_task task, size_t k, struct fl_hparams hp, double tol)
{
	compare_spec("mlp:9,5", 6, task, k, hp, tol);
}

static void
test_plain(void)
{
	struct fl_hparams hp = FL_HPARAMS_INIT;

	hp.epochs = 3;
	hp.batch = 16;
	compare(FL_TASK_BINARY, 2, hp, 0.0);
	hp.optimizer = FL_OPT_ADAM;
	hp.lr = 0.01;
	compare(FL_TASK_MULTICLASS, 3, hp, 0.0);
	hp.optimizer = FL_OPT_SGD;
	hp.lr = 0.05;
	hp.momentum = 0.5;
	compare(FL_TASK_REGRESSION, 1, hp, 0.0);
}

/* L2, FedProx and SCAFFOLD's correction: axpy on the device. */
static void
test_terms(void)
{
	struct fl_hparams hp = FL_HPARAMS_INIT;
	float *corr;
	size_t i;

	hp.epochs = 2;
	hp.batch = 16;
	hp.l2 = 0.01;
	hp.prox_mu = 0.1;
	compare(FL_TASK_BINARY, 2, hp, 1e-5);
	/* mlp:9,5 on 6 features, binary: 6*9+9 + 9*5+5 + 5+1 = 120. */
	corr = malloc(120 * sizeof(*corr));
	for (i = 0; i < 120; i++)
		corr[i] = (float)(i % 5) * 0.01f - 0.02f;
	hp.l2 = 0.0;
	hp.prox_mu = 0.0;
	hp.correction = corr;
	compare(FL_TASK_BINARY, 2, hp, 1e-5);
	free(corr);
}

/* A CNN's image stages (conv, pooling, dropout) on the device path. */
static void
test_cnn(void)
{
	struct fl_hparams hp = FL_HPARAMS_INIT;

	hp.epochs = 2;
	hp.batch = 16;
	hp.optimizer = FL_OPT_ADAM;
	hp.lr = 0.01;
	compare_spec("cnn:1x6x6:conv3k3,pool2,drop0.25,dense4", 36,
	    FL_TASK_MULTICLASS, 3, hp, 0.0);
	compare_spec("cnn:2x5x4:conv2k3s2v,avgpool1,gap", 40,
	    FL_TASK_MULTICLASS, 3, hp, 0.0);
	hp.optimizer = FL_OPT_SGD;
	hp.lr = 0.05;
	hp.l2 = 0.01;
	compare_spec("cnn:1x6x6:conv3k3,pool2,dense4", 36, FL_TASK_BINARY, 2,
	    hp, 1e-5);
}

/* What a device backend does not run yet: one clear error each. */
static void
test_refusals(void)
{
	struct fl_err err = FL_ERR_INIT;
	struct fl_hparams hp = FL_HPARAMS_INIT;
	struct fl_train_result res;
	struct fl_model *m = NULL;
	struct fl_dataset ds;
	float grad[120];
	double loss;

	make_data(&ds, 20, 6, 0);
	CHECK_OK(fl_model_new(&m, "mlp:9,5", FL_TASK_BINARY, 2, ds.d, NULL,
	    NULL, &err), &err);
	if (m == NULL)
		goto out;
	hp.backend = &shifted;
	hp.dp_clip = 1.0;
	hp.dp_noise = 1.0;
	hp.dp_seeded = 1;
	CHECK(fl_train(m, &ds, &hp, &res, &err) == FL_EUSAGE);
	CHECK(strcmp(err.msg, "the shifted backend does not run DP-SGD yet; "
	    "use --device cpu") == 0);
	CHECK(fl_loss_grad(m, ds.n, ds.X, ds.y, 0.0, &shifted, grad, &loss,
	    &err) == FL_EUSAGE);
out:
	fl_model_free(m);
	free(ds.X);
	free(ds.y);
}

int
main(void)
{
	unit_run("plain path, bit for bit", test_plain);
	unit_run("terms as axpy", test_terms);
	unit_run("cnn stages", test_cnn);
	unit_run("refusals", test_refusals);
	return unit_done("test_device");
}
