/*
 * bias_add.cu: Z (rows, cols) += b (cols) on every row; mirrors
 * fl_ref_bias_add (lib/compute/ref.c).  One thread per element of Z,
 * FL_CUDA_THREADS a block, over a grid stride.  Exact: one float add,
 * as the reference's rounding of the double sum of two floats.
 */
#include "cuda_int.h"

static __global__ void
bias_add_kernel(float *Z, size_t rows, size_t cols, const float *b)
{
	size_t i, n = rows * cols;

	for (i = blockIdx.x * (size_t)blockDim.x + threadIdx.x; i < n;
	    i += (size_t)gridDim.x * blockDim.x)
		Z[i] += b[i % cols];
}

extern "C" void
fl_cuda_bias_add(float *Z, size_t rows, size_t cols, const float *b)
{
	if (rows == 0 || cols == 0 || fl_cuda_failed_())
		return;
	bias_add_kernel<<<fl_cuda_blocks(rows * cols), FL_CUDA_THREADS>>>(Z,
	    rows, cols, b);
	FL_CUDA_LAUNCHED();
}
