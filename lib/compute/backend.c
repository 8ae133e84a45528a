/*
 * backend.c: chooses where dense math runs (--device).  The CPU backend is
 * OpenBLAS and the fast loops (blas.c); "ref" is the plain-loop reference
 * (ref.c), the oracle for tests.  Both keep their buffers in host memory.
 * A CUDA backend (kernels/) will join the table when it lands, with
 * device buffers and its own supports().
 */
#include <stdlib.h>
#include <string.h>

#include "compute/compute.h"

static const char *const op_names[FL_OP_COUNT] = {
	"gemm", "bias_add", "relu", "relu_backward", "col_sums", "loss_bce",
	"loss_ce", "loss_mse", "sgd", "adam", "dot", "conv_forward",
	"conv_backward_data", "conv_backward_weights", "maxpool_forward",
	"maxpool_backward", "avgpool_forward", "avgpool_backward",
	"gap_forward", "gap_backward", "dropout_forward", "dropout_backward"
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
	fl_blas_dropout_forward, fl_blas_dropout_backward
};
static const struct fl_backend backend_ref = {
	"ref", 1, host_supports, host_alloc, host_free, host_copy, host_copy,
	fl_ref_gemm, fl_ref_bias_add, fl_ref_relu, fl_ref_relu_backward,
	fl_ref_col_sums, fl_ref_loss, fl_ref_sgd, fl_ref_adam, fl_ref_dot,
	fl_ref_conv_forward, fl_ref_conv_backward_data,
	fl_ref_conv_backward_weights, fl_ref_maxpool_forward,
	fl_ref_maxpool_backward, fl_ref_avgpool_forward,
	fl_ref_avgpool_backward, fl_ref_gap_forward, fl_ref_gap_backward,
	fl_ref_dropout_forward, fl_ref_dropout_backward
};

/* The backend for dev; see fl.h.  Errors: FL_EGPU, FL_EUSAGE. */
int
fl_backend_get(const struct fl_backend **be, enum fl_device dev,
    struct fl_err *err)
{
	switch (dev) {
	case FL_DEVICE_CPU:
	case FL_DEVICE_AUTO:
		*be = &backend_cpu;
		return 0;
	case FL_DEVICE_REF:
		*be = &backend_ref;
		return 0;
	case FL_DEVICE_CUDA:
		*be = NULL;
		return fl_err_set(err, FL_EGPU,
		    "--device cuda: this build has no CUDA support");
	}
	*be = NULL;
	return fl_err_set(err, FL_EUSAGE, "unknown device %d", (int)dev);
}
