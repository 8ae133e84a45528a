/*
 * conv_backward_weights.cu: dW (f, c, k, k) and db (f), the gradients of
 * sum(dY * Y) for the convolution of struct fl_conv, summed over the
 * batch, given X (n, c, h, w) and dY (n, f, oh, ow); mirrors
 * fl_ref_conv_backward_weights (lib/compute/ref_conv.c).  The batch's
 * columns go to work (im2col.cu), then dW (f, K) = sum over images of
 * dY_i (f, P) col_i^T (P, K): one SGEMM per image, the first writing dW
 * and the rest adding to it (beta 1), images in order.  db: one thread
 * per filter sums its dY over the batch in double, in order.  Within 1e-4
 * + 1e-4 |ref| (dW) and 1e-6 + 1e-6 |ref| (db).
 */
#include <limits.h>

#include "cuda_int.h"

static __global__ void
conv_db_kernel(const float *dY, size_t n, size_t f, size_t P, float *db)
{
	size_t o, i, p;
	double acc;

	for (o = blockIdx.x * (size_t)blockDim.x + threadIdx.x; o < f;
	    o += (size_t)gridDim.x * blockDim.x) {
		acc = 0.0;
		for (i = 0; i < n; i++)
			for (p = 0; p < P; p++)
				acc += dY[(i * f + o) * P + p];
		db[o] = (float)acc;
	}
}

extern "C" void
fl_cuda_conv_backward_weights(const struct fl_cuda_conv *s, const float *X,
    const float *dY, float *dW, float *db, float *work)
{
	size_t K = s->c * s->k * s->k, P = s->oh * s->ow, i;
	float one = 1.0f, zero = 0.0f;

	if (s->f == 0 || fl_cuda_failed_())
		return;
	if (K > INT_MAX || P > INT_MAX || s->f > INT_MAX) {
		fl_cuda_fail_("conv_backward_weights: a dimension over "
		    "INT_MAX", __FILE__, __LINE__);
		return;
	}
	if (s->n == 0 || P == 0 || K == 0) {
		FL_CUDA_CHECK(cudaMemset(dW, 0, s->f * K * sizeof(float)));
		FL_CUDA_CHECK(cudaMemset(db, 0, s->f * sizeof(float)));
		return;
	}
	fl_cuda_im2col_(s, X, work);
	/* Column-major: dW^T (K, f) += col_i (K, P) dY_i^T (P, f), the
	 * row-major col_i read as its transpose (P, K) and transposed. */
	for (i = 0; i < s->n && !fl_cuda_failed_(); i++)
		FL_CUBLAS_CHECK(cublasSgemm(fl_cublas_handle_(), CUBLAS_OP_T,
		    CUBLAS_OP_N, (int)K, (int)s->f, (int)P, &one,
		    work + i * K * P, (int)P, dY + i * s->f * P, (int)P,
		    i == 0 ? &zero : &one, dW, (int)K));
	conv_db_kernel<<<fl_cuda_blocks(s->f), FL_CUDA_THREADS>>>(dY, s->n,
	    s->f, P, db);
	FL_CUDA_LAUNCHED();
}
