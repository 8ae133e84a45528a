/*
 * axpy.cu: y (n) += a x (n); mirrors fl_ref_axpy (lib/compute/ref.c), in
 * double per element as it is.  One thread per element, FL_CUDA_THREADS
 * a block, over a grid stride.  fl_train uses it for the L2, FedProx and
 * SCAFFOLD terms on a device backend.
 */
#include "cuda_int.h"

static __global__ void
axpy_kernel(size_t n, float a, const float *x, float *y)
{
	size_t i;

	for (i = blockIdx.x * (size_t)blockDim.x + threadIdx.x; i < n;
	    i += (size_t)gridDim.x * blockDim.x)
		y[i] = (float)((double)y[i] + (double)a * x[i]);
}

extern "C" void
fl_cuda_axpy(size_t n, float a, const float *x, float *y)
{
	if (n == 0 || fl_cuda_failed_())
		return;
	axpy_kernel<<<fl_cuda_blocks(n), FL_CUDA_THREADS>>>(n, a, x, y);
	FL_CUDA_LAUNCHED();
}
