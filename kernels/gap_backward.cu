/*
 * gap_backward.cu: dX (n, c, hw) = dY (n, c) / hw; mirrors
 * fl_ref_gap_backward (lib/compute/ref_conv.c), in double as it is.  One
 * thread per element of dX, FL_CUDA_THREADS a block, over a grid stride.
 * Exact.
 */
#include "cuda_int.h"

static __global__ void
gap_backward_kernel(size_t total, size_t hw, const float *dY, float *dX)
{
	size_t e;

	for (e = blockIdx.x * (size_t)blockDim.x + threadIdx.x; e < total;
	    e += (size_t)gridDim.x * blockDim.x)
		dX[e] = (float)((double)dY[e / hw] / (double)hw);
}

extern "C" void
fl_cuda_gap_backward(size_t n, size_t c, size_t hw, const float *dY,
    float *dX)
{
	if (n * c * hw == 0 || fl_cuda_failed_())
		return;
	gap_backward_kernel<<<fl_cuda_blocks(n * c * hw), FL_CUDA_THREADS>>>(
	    n * c * hw, hw, dY, dX);
	FL_CUDA_LAUNCHED();
}
