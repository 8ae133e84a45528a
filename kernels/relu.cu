/*
 * relu.cu: v (n) = max(v, 0) in place; mirrors fl_ref_relu
 * (lib/compute/ref.c).  One thread per element, FL_CUDA_THREADS a block,
 * over a grid stride.  Exact.
 */
#include "cuda_int.h"

static __global__ void
relu_kernel(float *v, size_t n)
{
	size_t i;

	for (i = blockIdx.x * (size_t)blockDim.x + threadIdx.x; i < n;
	    i += (size_t)gridDim.x * blockDim.x)
		v[i] = v[i] > 0.0f ? v[i] : 0.0f;
}

extern "C" void
fl_cuda_relu(float *v, size_t n)
{
	if (n == 0 || fl_cuda_failed_())
		return;
	relu_kernel<<<fl_cuda_blocks(n), FL_CUDA_THREADS>>>(v, n);
	FL_CUDA_LAUNCHED();
}
