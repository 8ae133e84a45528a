/*
 * maxpool_forward.cu: Y (n, c, oh, ow) = the largest X (n, c, h, w) in
 * each k x k window moved by stride, no padding (struct fl_pool,
 * lib/compute/compute.h); mirrors fl_ref_maxpool_forward
 * (lib/compute/ref_conv.c), scanning the window in the same row-major
 * order.  One thread per output, FL_CUDA_THREADS a block, over a grid
 * stride.  Exact.
 */
#include "cuda_int.h"

static __global__ void
maxpool_forward_kernel(struct fl_cuda_pool p, const float *X, float *Y,
    size_t total)
{
	size_t e, pl, y, x, u, v;
	const float *win;
	float best;

	for (e = blockIdx.x * (size_t)blockDim.x + threadIdx.x; e < total;
	    e += (size_t)gridDim.x * blockDim.x) {
		x = e % p.ow;
		y = (e / p.ow) % p.oh;
		pl = e / (p.ow * p.oh);
		win = X + pl * p.h * p.w + y * p.stride * p.w + x * p.stride;
		best = win[0];
		for (u = 0; u < p.k; u++)
			for (v = 0; v < p.k; v++)
				if (win[u * p.w + v] > best)
					best = win[u * p.w + v];
		Y[e] = best;
	}
}

extern "C" void
fl_cuda_maxpool_forward(const struct fl_cuda_pool *p, const float *X,
    float *Y)
{
	size_t total = p->n * p->c * p->oh * p->ow;

	if (total == 0 || fl_cuda_failed_())
		return;
	maxpool_forward_kernel<<<fl_cuda_blocks(total), FL_CUDA_THREADS>>>(*p,
	    X, Y, total);
	FL_CUDA_LAUNCHED();
}
