/*
 * relu_backward.cu: dA (n) = 0 where the ReLU's output A (n) is not
 * positive; mirrors fl_ref_relu_backward (lib/compute/ref.c).  One
 * thread per element, FL_CUDA_THREADS a block, over a grid stride.
 * Exact.
 */
#include "cuda_int.h"

static __global__ void
relu_backward_kernel(const float *A, float *dA, size_t n)
{
	size_t i;

	for (i = blockIdx.x * (size_t)blockDim.x + threadIdx.x; i < n;
	    i += (size_t)gridDim.x * blockDim.x)
		if (!(A[i] > 0.0f))
			dA[i] = 0.0f;
}

extern "C" void
fl_cuda_relu_backward(const float *A, float *dA, size_t n)
{
	if (n == 0 || fl_cuda_failed_())
		return;
	relu_backward_kernel<<<fl_cuda_blocks(n), FL_CUDA_THREADS>>>(A, dA,
	    n);
	FL_CUDA_LAUNCHED();
}
