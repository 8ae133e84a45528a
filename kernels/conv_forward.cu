/*
 * conv_forward.cu: Y (n, f, oh, ow) = conv(X (n, c, h, w), W (f, c, k,
 * k)) + b (f), the shapes and padding of struct fl_conv
 * (lib/compute/compute.h); mirrors fl_ref_conv_forward
 * (lib/compute/ref_conv.c).  By im2col and cuBLAS: the batch's columns
 * go to work (n, K, P) (im2col.cu; K = c k k, P = oh ow), then for each
 * image Y_i (f, P) = W (f, K) col_i (K, P), one strided batched SGEMM
 * (row-major, so computed as Y_i^T = col_i^T W^T), then the bias, one
 * thread per element of Y.  FP32 products (no TF32) summed by cuBLAS in
 * its order: within 1e-4 + 1e-4 |ref| of the reference's double sums.
 */
#include <limits.h>

#include "cuda_int.h"

static __global__ void
conv_bias_kernel(float *Y, size_t total, size_t P, size_t f,
    const float *b)
{
	size_t e;

	for (e = blockIdx.x * (size_t)blockDim.x + threadIdx.x; e < total;
	    e += (size_t)gridDim.x * blockDim.x)
		Y[e] += b[(e / P) % f];
}

extern "C" void
fl_cuda_conv_forward(const struct fl_cuda_conv *s, const float *X,
    const float *W, const float *b, float *Y, float *work)
{
	size_t K = s->c * s->k * s->k, P = s->oh * s->ow;
	float one = 1.0f, zero = 0.0f;

	if (s->n == 0 || s->f == 0 || P == 0 || fl_cuda_failed_())
		return;
	if (K > INT_MAX || P > INT_MAX || s->f > INT_MAX ||
	    s->n > INT_MAX || K * P > LLONG_MAX || s->f * P > LLONG_MAX) {
		fl_cuda_fail_("conv_forward: a dimension over INT_MAX",
		    __FILE__, __LINE__);
		return;
	}
	fl_cuda_im2col_(s, X, work);
	if (fl_cuda_failed_())
		return;
	/* Column-major: Y_i^T (P, f) = col_i^T (P, K) W^T (K, f). */
	FL_CUBLAS_CHECK(cublasSgemmStridedBatched(fl_cublas_handle_(),
	    CUBLAS_OP_N, CUBLAS_OP_N, (int)P, (int)s->f, (int)K, &one, work,
	    (int)P, (long long)(K * P), W, (int)K, 0, &zero, Y, (int)P,
	    (long long)(s->f * P), (int)s->n));
	conv_bias_kernel<<<fl_cuda_blocks(s->n * s->f * P),
	    FL_CUDA_THREADS>>>(Y, s->n * s->f * P, P, s->f, b);
	FL_CUDA_LAUNCHED();
}
