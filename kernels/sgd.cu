/*
 * sgd.cu: SGD with momentum over p, v and g (n): v = momentum v + g;
 * p -= lr v; mirrors fl_ref_sgd (lib/compute/ref.c), in double per
 * element as it is.  One thread per parameter, FL_CUDA_THREADS a block,
 * over a grid stride.
 */
#include "cuda_int.h"

static __global__ void
sgd_kernel(size_t n, float lr, float momentum, float *p, float *v,
    const float *g)
{
	size_t i;
	double vi;

	for (i = blockIdx.x * (size_t)blockDim.x + threadIdx.x; i < n;
	    i += (size_t)gridDim.x * blockDim.x) {
		vi = (double)momentum * v[i] + g[i];
		v[i] = (float)vi;
		p[i] = (float)((double)p[i] - (double)lr * vi);
	}
}

extern "C" void
fl_cuda_sgd(size_t n, float lr, float momentum, float *p, float *v,
    const float *g)
{
	if (n == 0 || fl_cuda_failed_())
		return;
	sgd_kernel<<<fl_cuda_blocks(n), FL_CUDA_THREADS>>>(n, lr, momentum,
	    p, v, g);
	FL_CUDA_LAUNCHED();
}
