/*
 * gap_forward.cu: global average pooling, Y (n, c) = the mean of X (n,
 * c, hw) over its hw positions; mirrors fl_ref_gap_forward
 * (lib/compute/ref_conv.c), in double in the same order.  One thread per
 * plane, FL_CUDA_THREADS a block, over a grid stride.  Within one float
 * rounding.
 */
#include "cuda_int.h"

static __global__ void
gap_forward_kernel(size_t planes, size_t hw, const float *X, float *Y)
{
	size_t pl, j;
	double acc;

	for (pl = blockIdx.x * (size_t)blockDim.x + threadIdx.x; pl < planes;
	    pl += (size_t)gridDim.x * blockDim.x) {
		acc = 0.0;
		for (j = 0; j < hw; j++)
			acc += X[pl * hw + j];
		Y[pl] = (float)(acc / (double)hw);
	}
}

extern "C" void
fl_cuda_gap_forward(size_t n, size_t c, size_t hw, const float *X, float *Y)
{
	if (n * c == 0 || hw == 0 || fl_cuda_failed_())
		return;
	gap_forward_kernel<<<fl_cuda_blocks(n * c), FL_CUDA_THREADS>>>(n * c,
	    hw, X, Y);
	FL_CUDA_LAUNCHED();
}
