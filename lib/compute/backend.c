/*
 * backend.c: chooses where dense math runs (--device).  The CPU backend is
 * OpenBLAS and the fast loops (blas.c); "ref" is the plain-loop reference
 * (ref.c), the oracle for tests.  Both keep their buffers in host memory.
 * In a CUDA build (make cuda: -DFL_CUDA, kernels/ linked in) "cuda" joins
 * them, its buffers on the device and its ops the kernels of kernels/
 * (fl_cuda.h, the compute layer's device half, called from here only).
 */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "compute/compute.h"
#ifdef FL_CUDA
#include "fl_cuda.h"
#endif

static const char *const op_names[FL_OP_COUNT] = {
	"gemm", "bias_add", "relu", "relu_backward", "col_sums", "loss_bce",
	"loss_ce", "loss_mse", "sgd", "adam", "dot", "conv_forward",
	"conv_backward_data", "conv_backward_weights", "maxpool_forward",
	"maxpool_backward", "avgpool_forward", "avgpool_backward",
	"gap_forward", "gap_backward", "dropout_forward", "dropout_backward", "axpy"
};

/* The name of op; see fl.h. */
const char *
fl_op_name(enum fl_op op)
{
	if ((unsigned)op < FL_OP_COUNT)
		return op_names[op];
	return "?";
}

/* The CPU backends do every op. */
static int
host_supports(enum fl_op op)
{
	return (unsigned)op < FL_OP_COUNT;
}

/* Host buffers: malloc, free and memcpy. */
static void *
host_alloc(size_t bytes)
{
	return malloc(bytes > 0 ? bytes : 1);
}

static void
host_free(void *buf)
{
	free(buf);
}

static void
host_copy(void *dst, const void *src, size_t bytes)
{
	if (bytes > 0)
		memcpy(dst, src, bytes);
}

static const struct fl_backend backend_cpu = {
	"cpu", 1, host_supports, host_alloc, host_free, host_copy, host_copy,
	fl_blas_gemm, fl_blas_bias_add, fl_blas_relu, fl_blas_relu_backward,
	fl_blas_col_sums, fl_blas_loss, fl_blas_sgd, fl_blas_adam,
	fl_blas_dot, fl_blas_conv_forward, fl_blas_conv_backward_data,
	fl_blas_conv_backward_weights, fl_blas_maxpool_forward,
	fl_blas_maxpool_backward, fl_blas_avgpool_forward,
	fl_blas_avgpool_backward, fl_blas_gap_forward, fl_blas_gap_backward,
	fl_blas_dropout_forward, fl_blas_dropout_backward,
	fl_blas_axpy, NULL
};
static const struct fl_backend backend_ref = {
	"ref", 1, host_supports, host_alloc, host_free, host_copy, host_copy,
	fl_ref_gemm, fl_ref_bias_add, fl_ref_relu, fl_ref_relu_backward,
	fl_ref_col_sums, fl_ref_loss, fl_ref_sgd, fl_ref_adam, fl_ref_dot,
	fl_ref_conv_forward, fl_ref_conv_backward_data,
	fl_ref_conv_backward_weights, fl_ref_maxpool_forward,
	fl_ref_maxpool_backward, fl_ref_avgpool_forward,
	fl_ref_avgpool_backward, fl_ref_gap_forward, fl_ref_gap_backward,
	fl_ref_dropout_forward, fl_ref_dropout_backward,
	fl_ref_axpy, NULL
};

#ifdef FL_CUDA
/* The loss op over the kernels' own names of the losses. */
static double
cuda_loss(enum fl_op op, const float *Z, size_t rows, size_t k,
    const float *y, float scale, float *dZ)
{
	switch (op) {
	case FL_OP_LOSS_BCE:
		return fl_cuda_loss(FL_CUDA_LOSS_BCE, Z, rows, k, y, scale,
		    dZ);
	case FL_OP_LOSS_CE:
		return fl_cuda_loss(FL_CUDA_LOSS_CE, Z, rows, k, y, scale, dZ);
	case FL_OP_LOSS_MSE:
		return fl_cuda_loss(FL_CUDA_LOSS_MSE, Z, rows, k, y, scale,
		    dZ);
	default:
		return NAN;
	}
}

/* The first failure the kernels recorded: FL_EGPU with its line. */
static int
cuda_error(struct fl_err *err)
{
	char msg[FL_ERR_MAX];

	if (fl_cuda_error(msg, sizeof(msg)) == 0)
		return 0;
	return fl_err_set(err, FL_EGPU, "%s", msg);
}

/* The image ops, their shapes copied into the kernels' own structs. */
static struct fl_cuda_conv
cuda_conv_of(const struct fl_conv *s)
{
	struct fl_cuda_conv c = { s->n, s->c, s->h, s->w, s->f, s->k,
		s->stride, s->pad_h, s->pad_w, s->oh, s->ow };

	return c;
}

static struct fl_cuda_pool
cuda_pool_of(const struct fl_pool *p)
{
	struct fl_cuda_pool c = { p->n, p->c, p->h, p->w, p->k, p->stride,
		p->oh, p->ow };

	return c;
}

static void
cuda_conv_forward(const struct fl_conv *s, const float *X, const float *W,
    const float *b, float *Y, float *work)
{
	struct fl_cuda_conv c = cuda_conv_of(s);

	fl_cuda_conv_forward(&c, X, W, b, Y, work);
}

static void
cuda_conv_backward_data(const struct fl_conv *s, const float *dY,
    const float *W, float *dX, float *work)
{
	struct fl_cuda_conv c = cuda_conv_of(s);

	fl_cuda_conv_backward_data(&c, dY, W, dX, work);
}

static void
cuda_conv_backward_weights(const struct fl_conv *s, const float *X,
    const float *dY, float *dW, float *db, float *work)
{
	struct fl_cuda_conv c = cuda_conv_of(s);

	fl_cuda_conv_backward_weights(&c, X, dY, dW, db, work);
}

static void
cuda_maxpool_forward(const struct fl_pool *p, const float *X, float *Y)
{
	struct fl_cuda_pool c = cuda_pool_of(p);

	fl_cuda_maxpool_forward(&c, X, Y);
}

static void
cuda_maxpool_backward(const struct fl_pool *p, const float *X,
    const float *Y, const float *dY, float *dX)
{
	struct fl_cuda_pool c = cuda_pool_of(p);

	fl_cuda_maxpool_backward(&c, X, Y, dY, dX);
}

static void
cuda_avgpool_forward(const struct fl_pool *p, const float *X, float *Y)
{
	struct fl_cuda_pool c = cuda_pool_of(p);

	fl_cuda_avgpool_forward(&c, X, Y);
}

static void
cuda_avgpool_backward(const struct fl_pool *p, const float *dY, float *dX)
{
	struct fl_cuda_pool c = cuda_pool_of(p);

	fl_cuda_avgpool_backward(&c, dY, dX);
}

static void
cuda_dropout_forward(size_t n, float p, uint64_t seed, const float *X,
    float *Y, float *mask)
{
	fl_cuda_dropout_forward(n, p, (unsigned long long)seed, X, Y, mask);
}

static const struct fl_backend backend_cuda = {
	.name = "cuda", .host_memory = 0, .supports = host_supports,
	.alloc = fl_cuda_alloc, .free = fl_cuda_free,
	.upload = fl_cuda_upload, .download = fl_cuda_download,
	.gemm = fl_cuda_gemm, .bias_add = fl_cuda_bias_add,
	.relu = fl_cuda_relu, .relu_backward = fl_cuda_relu_backward,
	.col_sums = fl_cuda_col_sums, .loss = cuda_loss, .sgd = fl_cuda_sgd,
	.adam = fl_cuda_adam, .dot = fl_cuda_dot,
	.conv_forward = cuda_conv_forward,
	.conv_backward_data = cuda_conv_backward_data,
	.conv_backward_weights = cuda_conv_backward_weights,
	.maxpool_forward = cuda_maxpool_forward,
	.maxpool_backward = cuda_maxpool_backward,
	.avgpool_forward = cuda_avgpool_forward,
	.avgpool_backward = cuda_avgpool_backward,
	.gap_forward = fl_cuda_gap_forward,
	.gap_backward = fl_cuda_gap_backward,
	.dropout_forward = cuda_dropout_forward,
	.dropout_backward = fl_cuda_dropout_backward,
	.axpy = fl_cuda_axpy, .error = cuda_error
};
#endif

/* "CUDA 13.0" or "no CUDA"; see compute.h. */
const char *
fl_backend_cuda_version(void)
{
#ifdef FL_CUDA
	return fl_cuda_version();
#else
	return "no CUDA";
#endif
}

/* The device named s; see compute.h. */
int
fl_device_parse(const char *s)
{
	static const char *const names[] = { "cpu", "ref", "cuda", "auto" };
	size_t i;

	for (i = 0; s != NULL && i < sizeof(names) / sizeof(names[0]); i++)
		if (strcmp(s, names[i]) == 0)
			return (int)i;
	return -1;
}

/* The CUDA backend, or FL_EGPU saying why there is none. */
static int
cuda_get(const struct fl_backend **be, struct fl_err *err)
{
#ifdef FL_CUDA
	char msg[FL_ERR_MAX - 32];

	if (fl_cuda_init(msg, sizeof(msg)) < 0) {
		*be = NULL;
		return fl_err_set(err, FL_EGPU, "--device cuda: %s", msg);
	}
	*be = &backend_cuda;
	return 0;
#else
	*be = NULL;
	return fl_err_set(err, FL_EGPU, "--device cuda: this build has no "
	    "CUDA support (build it with 'make cuda')");
#endif
}

/* The backend for dev; see fl.h.  Errors: FL_EGPU, FL_EUSAGE. */
int
fl_backend_get(const struct fl_backend **be, enum fl_device dev,
    struct fl_err *err)
{
	switch (dev) {
	case FL_DEVICE_CPU:
		*be = &backend_cpu;
		return 0;
	case FL_DEVICE_AUTO:
		if (cuda_get(be, NULL) == 0)
			return 0;
		*be = &backend_cpu;
		return 0;
	case FL_DEVICE_REF:
		*be = &backend_ref;
		return 0;
	case FL_DEVICE_CUDA:
		return cuda_get(be, err);
	}
	*be = NULL;
	return fl_err_set(err, FL_EUSAGE, "unknown device %d", (int)dev);
}
