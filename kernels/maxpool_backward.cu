/*
 * maxpool_backward.cu: dX (n, c, h, w) from X, the forward's Y and dY (n,
 * c, oh, ow): each window's dY goes to the first position (row-major in
 * the window) holding its maximum, summed where windows overlap, 0
 * elsewhere; mirrors fl_ref_maxpool_backward (lib/compute/ref_conv.c).
 * Gathered, not scattered: one thread per element of dX looks at the
 * windows that contain it, finds each one's first maximum as the
 * reference does, and adds the dY of those whose maximum it is, in
 * window order; no atomics.  Exact up to the order of that float sum.
 */
#include "cuda_int.h"

static __global__ void
maxpool_backward_kernel(struct fl_cuda_pool p, const float *X,
    const float *Y, const float *dY, float *dX, size_t total)
{
	size_t e, pl, r, q, y, x, u, v, o, y0, y1, x0, x1;
	const float *plane, *win;
	float acc;
	int found;

	for (e = blockIdx.x * (size_t)blockDim.x + threadIdx.x; e < total;
	    e += (size_t)gridDim.x * blockDim.x) {
		q = e % p.w;
		r = (e / p.w) % p.h;
		pl = e / (p.w * p.h);
		plane = X + pl * p.h * p.w;
		acc = 0.0f;
		/* Windows y with y stride <= r < y stride + k. */
		y0 = r + 1 > p.k ? (r + 1 - p.k + p.stride - 1) / p.stride : 0;
		y1 = r / p.stride;
		x0 = q + 1 > p.k ? (q + 1 - p.k + p.stride - 1) / p.stride : 0;
		x1 = q / p.stride;
		for (y = y0; y <= y1 && y < p.oh; y++)
			for (x = x0; x <= x1 && x < p.ow; x++) {
				o = (pl * p.oh + y) * p.ow + x;
				win = plane + y * p.stride * p.w +
				    x * p.stride;
				found = 0;
				for (u = 0; u < p.k && !found; u++)
					for (v = 0; v < p.k && !found; v++)
						if (win[u * p.w + v] == Y[o]) {
							found = 1;
							if (y * p.stride + u == r &&
							    x * p.stride + v == q)
								acc += dY[o];
						}
			}
		dX[e] = acc;
	}
}

extern "C" void
fl_cuda_maxpool_backward(const struct fl_cuda_pool *p, const float *X,
    const float *Y, const float *dY, float *dX)
{
	size_t total = p->n * p->c * p->h * p->w;

	if (total == 0 || fl_cuda_failed_())
		return;
	maxpool_backward_kernel<<<fl_cuda_blocks(total), FL_CUDA_THREADS>>>(
	    *p, X, Y, dY, dX, total);
	FL_CUDA_LAUNCHED();
}
