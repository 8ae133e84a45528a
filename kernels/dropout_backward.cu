/*
 * dropout_backward.cu: dX (n) *= mask (n), the mask dropout_forward.cu
 * drew; mirrors fl_ref_dropout_backward (lib/compute/ref_conv.c).  One
 * thread per element, FL_CUDA_THREADS a block, over a grid stride.
 * Exact.
 */
#include "cuda_int.h"

static __global__ void
dropout_backward_kernel(size_t n, const float *mask, float *dX)
{
	size_t i;

	for (i = blockIdx.x * (size_t)blockDim.x + threadIdx.x; i < n;
	    i += (size_t)gridDim.x * blockDim.x)
		dX[i] *= mask[i];
}

extern "C" void
fl_cuda_dropout_backward(size_t n, const float *mask, float *dX)
{
	if (n == 0 || fl_cuda_failed_())
		return;
	dropout_backward_kernel<<<fl_cuda_blocks(n), FL_CUDA_THREADS>>>(n,
	    mask, dX);
	FL_CUDA_LAUNCHED();
}
