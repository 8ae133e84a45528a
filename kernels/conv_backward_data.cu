/*
 * conv_backward_data.cu: dX (n, c, h, w), the gradient with respect to X
 * of sum(dY * Y) for the convolution of struct fl_conv, given dY (n, f,
 * oh, ow) and W (f, c, k, k); mirrors fl_ref_conv_backward_data
 * (lib/compute/ref_conv.c).  For each image the columns' gradient col_i
 * (K, P) = W^T (K, f) dY_i (f, P), one strided batched SGEMM into work
 * (n, K, P); then col2im gathers: one thread per element of dX adds, in
 * double and in the order (ch fixed) u, v, the columns that read it, so
 * no atomics and one result per input.  Within 1e-4 + 1e-4 |ref|.
 */
#include <limits.h>

#include "cuda_int.h"

static __global__ void
col2im_kernel(struct fl_cuda_conv s, const float *col, float *dX,
    size_t total)
{
	size_t e, P = s.oh * s.ow, K = s.c * s.k * s.k, i, ch, r, q, u, v,
	    y, x;
	long ty, tx;
	double acc;

	for (e = blockIdx.x * (size_t)blockDim.x + threadIdx.x; e < total;
	    e += (size_t)gridDim.x * blockDim.x) {
		q = e % s.w;
		r = (e / s.w) % s.h;
		ch = (e / (s.w * s.h)) % s.c;
		i = e / (s.w * s.h * s.c);
		acc = 0.0;
		for (u = 0; u < s.k; u++) {
			ty = (long)(r + s.pad_h) - (long)u;
			if (ty < 0 || ty % (long)s.stride != 0)
				continue;
			y = (size_t)ty / s.stride;
			if (y >= s.oh)
				continue;
			for (v = 0; v < s.k; v++) {
				tx = (long)(q + s.pad_w) - (long)v;
				if (tx < 0 || tx % (long)s.stride != 0)
					continue;
				x = (size_t)tx / s.stride;
				if (x >= s.ow)
					continue;
				acc += col[(i * K + (ch * s.k + u) * s.k + v) *
				    P + y * s.ow + x];
			}
		}
		dX[e] = (float)acc;
	}
}

extern "C" void
fl_cuda_conv_backward_data(const struct fl_cuda_conv *s, const float *dY,
    const float *W, float *dX, float *work)
{
	size_t K = s->c * s->k * s->k, P = s->oh * s->ow;
	size_t total = s->n * s->c * s->h * s->w;
	float one = 1.0f, zero = 0.0f;

	if (total == 0 || fl_cuda_failed_())
		return;
	if (K > INT_MAX || P > INT_MAX || s->f > INT_MAX ||
	    s->n > INT_MAX) {
		fl_cuda_fail_("conv_backward_data: a dimension over INT_MAX",
		    __FILE__, __LINE__);
		return;
	}
	/* Column-major: col_i^T (P, K) = dY_i^T (P, f) W (f, K). */
	FL_CUBLAS_CHECK(cublasSgemmStridedBatched(fl_cublas_handle_(),
	    CUBLAS_OP_N, CUBLAS_OP_T, (int)P, (int)K, (int)s->f, &one, dY,
	    (int)P, (long long)(s->f * P), W, (int)K, 0, &zero, work, (int)P,
	    (long long)(K * P), (int)s->n));
	if (fl_cuda_failed_())
		return;
	col2im_kernel<<<fl_cuda_blocks(total), FL_CUDA_THREADS>>>(*s, work,
	    dX, total);
	FL_CUDA_LAUNCHED();
}
