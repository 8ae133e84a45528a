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
	"loss_ce", "loss_mse", "sgd", "adam", "dot", "axpy"
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
	fl_blas_dot, fl_blas_axpy, NULL
};
static const struct fl_backend backend_ref = {
	"ref", 1, host_supports, host_alloc, host_free, host_copy, host_copy,
	fl_ref_gemm, fl_ref_bias_add, fl_ref_relu, fl_ref_relu_backward,
	fl_ref_col_sums, fl_ref_loss, fl_ref_sgd, fl_ref_adam, fl_ref_dot,
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

static const struct fl_backend backend_cuda = {
	"cuda", 0, host_supports, fl_cuda_alloc, fl_cuda_free,
	fl_cuda_upload, fl_cuda_download, fl_cuda_gemm, fl_cuda_bias_add,
	fl_cuda_relu, fl_cuda_relu_backward, fl_cuda_col_sums, cuda_loss,
	fl_cuda_sgd, fl_cuda_adam, fl_cuda_dot, fl_cuda_axpy, cuda_error
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
