/*
 * dropout_forward.cu: mask (n) at rate p from seed, and Y (n) = X (n) *
 * mask (Y may be X); mirrors fl_ref_dropout_forward
 * (lib/compute/ref_conv.c).  Element i is kept, with mask 1 / (1 - p),
 * when u = fl_dropout_uniform(seed, i) >= p, else its mask is 0: u is the
 * same splitmix64 finaliser (lib/compute/compute.h), so the device draws
 * the very mask the CPU draws.  One thread per element, FL_CUDA_THREADS a
 * block, over a grid stride.  Exact.
 */
#include <stdint.h>

#include "cuda_int.h"

static __device__ double
dropout_uniform(uint64_t seed, uint64_t i)
{
	uint64_t z = seed + (i + 1) * 0x9E3779B97F4A7C15ULL;

	z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ULL;
	z = (z ^ (z >> 27)) * 0x94D049BB133111EBULL;
	z ^= z >> 31;
	return (double)(z >> 40) * (1.0 / 16777216.0);
}

static __global__ void
dropout_forward_kernel(size_t n, float p, uint64_t seed, const float *X,
    float *Y, float *mask)
{
	float keep = (float)(1.0 / (1.0 - (double)p));
	size_t i;

	for (i = blockIdx.x * (size_t)blockDim.x + threadIdx.x; i < n;
	    i += (size_t)gridDim.x * blockDim.x) {
		mask[i] = dropout_uniform(seed, i) >= (double)p ? keep : 0.0f;
		Y[i] = X[i] * mask[i];
	}
}

extern "C" void
fl_cuda_dropout_forward(size_t n, float p, unsigned long long seed,
    const float *X, float *Y, float *mask)
{
	if (n == 0 || fl_cuda_failed_())
		return;
	dropout_forward_kernel<<<fl_cuda_blocks(n), FL_CUDA_THREADS>>>(n, p,
	    (uint64_t)seed, X, Y, mask);
	FL_CUDA_LAUNCHED();
}
