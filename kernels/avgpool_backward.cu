/*
 * avgpool_backward.cu: dX (n, c, h, w) = the sum of dY / (k k) over the
 * windows holding each position, 0 outside every window (struct
 * fl_pool); mirrors fl_ref_avgpool_backward (lib/compute/ref_conv.c).
 * Gathered: one thread per element of dX adds its windows' shares in
 * double, in window order; no atomics.  Within 1e-7 + 1e-6 |ref|.
 */
#include "cuda_int.h"

static __global__ void
avgpool_backward_kernel(struct fl_cuda_pool p, const float *dY, float *dX,
    size_t total)
{
	size_t e, pl, r, q, y, x, y0, y1, x0, x1;
	double acc;

	for (e = blockIdx.x * (size_t)blockDim.x + threadIdx.x; e < total;
	    e += (size_t)gridDim.x * blockDim.x) {
		q = e % p.w;
		r = (e / p.w) % p.h;
		pl = e / (p.w * p.h);
		y0 = r + 1 > p.k ? (r + 1 - p.k + p.stride - 1) / p.stride : 0;
		y1 = r / p.stride;
		x0 = q + 1 > p.k ? (q + 1 - p.k + p.stride - 1) / p.stride : 0;
		x1 = q / p.stride;
		acc = 0.0;
		for (y = y0; y <= y1 && y < p.oh; y++)
			for (x = x0; x <= x1 && x < p.ow; x++)
				acc += (double)dY[(pl * p.oh + y) * p.ow + x] /
				    (double)(p.k * p.k);
		dX[e] = (float)acc;
	}
}

extern "C" void
fl_cuda_avgpool_backward(const struct fl_cuda_pool *p, const float *dY,
    float *dX)
{
	size_t total = p->n * p->c * p->h * p->w;

	if (total == 0 || fl_cuda_failed_())
		return;
	avgpool_backward_kernel<<<fl_cuda_blocks(total), FL_CUDA_THREADS>>>(
	    *p, dY, dX, total);
	FL_CUDA_LAUNCHED();
}
