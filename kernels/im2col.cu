/*
 * im2col.cu: the columns of a convolution, shared by conv_forward.cu and
 * conv_backward_weights.cu: for X (n, c, h, w) and the shape s, col (n,
 * K, P) with K = c k k (row ch k k + u k + v) and P = oh ow (column y ow
 * + x) holds X[i][ch][y stride + u - pad_h][x stride + v - pad_w], 0
 * outside the image; the reference reads the same values through its
 * at() (lib/compute/ref_conv.c).  One thread per element of col,
 * FL_CUDA_THREADS a block, over a grid stride.
 */
#include "cuda_int.h"

static __global__ void
im2col_kernel(struct fl_cuda_conv s, const float *X, float *col,
    size_t total)
{
	size_t e, P = s.oh * s.ow, K = s.c * s.k * s.k, i, r, p, ch, u, v, y,
	    x;
	long ry, rx;

	for (e = blockIdx.x * (size_t)blockDim.x + threadIdx.x; e < total;
	    e += (size_t)gridDim.x * blockDim.x) {
		p = e % P;
		r = (e / P) % K;
		i = e / (P * K);
		ch = r / (s.k * s.k);
		u = (r / s.k) % s.k;
		v = r % s.k;
		y = p / s.ow;
		x = p % s.ow;
		ry = (long)(y * s.stride + u) - (long)s.pad_h;
		rx = (long)(x * s.stride + v) - (long)s.pad_w;
		col[e] = ry < 0 || rx < 0 || ry >= (long)s.h ||
		    rx >= (long)s.w ? 0.0f : X[((i * s.c + ch) * s.h +
		    (size_t)ry) * s.w + (size_t)rx];
	}
}

void
fl_cuda_im2col_(const struct fl_cuda_conv *s, const float *X, float *col)
{
	size_t total = s->n * s->c * s->k * s->k * s->oh * s->ow;

	if (total == 0 || fl_cuda_failed_())
		return;
	im2col_kernel<<<fl_cuda_blocks(total), FL_CUDA_THREADS>>>(*s, X, col,
	    total);
	FL_CUDA_LAUNCHED();
}
