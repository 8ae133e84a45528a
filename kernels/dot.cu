/*
 * dot.cu: the sum of a[i] b[i] over n, accumulated in double; mirrors
 * fl_ref_dot (lib/compute/ref.c).  At most DOT_BLOCKS blocks of
 * FL_CUDA_THREADS threads: each thread sums a grid stride in double, each
 * block reduces its threads in shared memory into one partial sum in the
 * scratch area, and the host adds the partials in block order.  The
 * grid depends only on n, so a given input gives one result; it differs
 * from the reference's sequential order only by double rounding.
 */
#include "cuda_int.h"

#define DOT_BLOCKS 256

static __global__ void
dot_kernel(size_t n, const float *a, const float *b, double *partial)
{
	__shared__ double sum[FL_CUDA_THREADS];
	double acc = 0.0;
	size_t i;
	unsigned s;

	for (i = blockIdx.x * (size_t)blockDim.x + threadIdx.x; i < n;
	    i += (size_t)gridDim.x * blockDim.x)
		acc += (double)a[i] * (double)b[i];
	sum[threadIdx.x] = acc;
	__syncthreads();
	for (s = blockDim.x / 2; s > 0; s /= 2) {
		if (threadIdx.x < s)
			sum[threadIdx.x] += sum[threadIdx.x + s];
		__syncthreads();
	}
	if (threadIdx.x == 0)
		partial[blockIdx.x] = sum[0];
}

extern "C" double
fl_cuda_dot(size_t n, const float *a, const float *b)
{
	double part[DOT_BLOCKS], acc = 0.0;
	unsigned nb, i;
	double *dev;

	if (n == 0 || fl_cuda_failed_())
		return 0.0;
	nb = fl_cuda_blocks(n);
	if (nb > DOT_BLOCKS)
		nb = DOT_BLOCKS;
	if ((dev = (double *)fl_cuda_scratch_(nb * sizeof(double))) == NULL)
		return 0.0;
	dot_kernel<<<nb, FL_CUDA_THREADS>>>(n, a, b, dev);
	if (FL_CUDA_LAUNCHED() || FL_CUDA_CHECK(cudaMemcpy(part, dev,
	    nb * sizeof(double), cudaMemcpyDeviceToHost)))
		return 0.0;
	for (i = 0; i < nb; i++)
		acc += part[i];
	return acc;
}
