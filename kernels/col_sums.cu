/*
 * col_sums.cu: b (cols) = the column sums of D (rows, cols), accumulated
 * in double; mirrors fl_ref_col_sums (lib/compute/ref.c).  One thread per
 * column, adding its rows in order (neighbouring threads read
 * neighbouring floats, so each row's read is coalesced), FL_CUDA_THREADS
 * a block.  The same order and precision as the reference: equal up to
 * the last float rounding.
 */
#include "cuda_int.h"

static __global__ void
col_sums_kernel(const float *D, size_t rows, size_t cols, float *b)
{
	size_t i, j;
	double acc;

	for (j = blockIdx.x * (size_t)blockDim.x + threadIdx.x; j < cols;
	    j += (size_t)gridDim.x * blockDim.x) {
		acc = 0.0;
		for (i = 0; i < rows; i++)
			acc += (double)D[i * cols + j];
		b[j] = (float)acc;
	}
}

extern "C" void
fl_cuda_col_sums(const float *D, size_t rows, size_t cols, float *b)
{
	if (cols == 0 || fl_cuda_failed_())
		return;
	col_sums_kernel<<<fl_cuda_blocks(cols), FL_CUDA_THREADS>>>(D, rows,
	    cols, b);
	FL_CUDA_LAUNCHED();
}
