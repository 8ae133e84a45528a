/*
 * adam.cu: Adam over p, m, v and g (n): m = b1 m + (1 - b1) g; v = b2 v
 * + (1 - b2) g^2; p -= lr (m c1) / (sqrt(v c2) + eps); mirrors
 * fl_ref_adam (lib/compute/ref.c), in double per element as it is.  One
 * thread per parameter, FL_CUDA_THREADS a block, over a grid stride.
 */
#include "cuda_int.h"

static __global__ void
adam_kernel(size_t n, float lr, float b1, float b2, float eps, float c1,
    float c2, float *p, float *m, float *v, const float *g)
{
	size_t i;
	double mi, vi;

	for (i = blockIdx.x * (size_t)blockDim.x + threadIdx.x; i < n;
	    i += (size_t)gridDim.x * blockDim.x) {
		mi = (double)b1 * m[i] + (1.0 - b1) * g[i];
		vi = (double)b2 * v[i] + (1.0 - b2) * (double)g[i] * g[i];
		m[i] = (float)mi;
		v[i] = (float)vi;
		p[i] = (float)((double)p[i] - (double)lr * (mi * c1) /
		    (sqrt(vi * c2) + eps));
	}
}

extern "C" void
fl_cuda_adam(size_t n, float lr, float b1, float b2, float eps, float c1,
    float c2, float *p, float *m, float *v, const float *g)
{
	if (n == 0 || fl_cuda_failed_())
		return;
	adam_kernel<<<fl_cuda_blocks(n), FL_CUDA_THREADS>>>(n, lr, b1, b2,
	    eps, c1, c2, p, m, v, g);
	FL_CUDA_LAUNCHED();
}
