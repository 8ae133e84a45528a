/*
 * fl_cuda.h: the CUDA ops of kernels/, a plain C interface that
 * lib/compute/backend.c puts into struct fl_backend ("cuda") in a CUDA
 * build (make cuda, -DFL_CUDA).  Each fl_cuda_<op> has the signature,
 * the layout and the meaning of fl_ref_<op> in lib/compute/ref.c (the
 * oracle; struct fl_backend's comment in lib/compute/compute.h defines
 * them); every float pointer is device memory from fl_cuda_alloc.
 *
 * kernels/ is the compute layer's device half: it sits beside
 * lib/compute, is called only from lib/compute/backend.c (and
 * test/kernels), and itself depends on nothing in lib/, only on the CUDA
 * runtime and cuBLAS.  This header is C, so that it needs no lib/ header
 * and C and nvcc both read it.
 *
 * Errors: the ops return nothing, as the CPU ops do; the first CUDA or
 * cuBLAS failure is recorded (FL_CUDA_CHECK in cuda_int.h: the call, file
 * and line) and kept until fl_cuda_error reads it, and the ops after a
 * failure do nothing.
 */
#ifndef FL_CUDA_H
#define FL_CUDA_H

#include <stddef.h>

#ifdef __cplusplus
extern "C" {
#endif

/* The losses of fl_cuda_loss, as FL_OP_LOSS_BCE, _CE and _MSE. */
enum fl_cuda_loss_kind {
	FL_CUDA_LOSS_BCE,
	FL_CUDA_LOSS_CE,
	FL_CUDA_LOSS_MSE
};

/* The image ops' shapes: the fields of struct fl_conv and struct fl_pool
 * (lib/compute/compute.h), which backend.c copies in. */
struct fl_cuda_conv {
	size_t	 n, c, h, w;		/* input (n, c, h, w) */
	size_t	 f, k, stride;		/* f filters of k x k, step stride */
	size_t	 pad_h, pad_w;		/* rows/columns padded at top/left */
	size_t	 oh, ow;		/* output (n, f, oh, ow) */
};
struct fl_cuda_pool {
	size_t	 n, c, h, w;		/* input (n, c, h, w) */
	size_t	 k, stride;
	size_t	 oh, ow;		/* output (n, c, oh, ow) */
};

/*
 * Make the CUDA backend ready: count the devices (cudaGetDeviceCount),
 * pick device 0 and create the cuBLAS handle, once.  Returns 0, or -1
 * with a line in msg (cap bytes): no device, a driver too old, cuBLAS
 * failing.
 */
int	fl_cuda_init(char *msg, size_t cap);
/* The number of CUDA devices present (0 when none or no driver). */
int	fl_cuda_device_count(void);
/* "CUDA 13.0" (the runtime this build links), for --version. */
const char *fl_cuda_version(void);
/* 0, or -1 with the first recorded failure's line in msg (cap bytes);
 * reading it clears it. */
int	fl_cuda_error(char *msg, size_t cap);

/* Device buffers: cudaMalloc (NULL when out of memory), cudaFree, and
 * copies of bytes from host to device and back. */
void	*fl_cuda_alloc(size_t bytes);
void	 fl_cuda_free(void *buf);
void	 fl_cuda_upload(void *dst, const void *src, size_t bytes);
void	 fl_cuda_download(void *dst, const void *src, size_t bytes);

/* The ops: kernels/<op>.cu each, mirroring fl_ref_<op>. */
void	fl_cuda_gemm(int transa, int transb, size_t m, size_t n, size_t k,
	    float alpha, const float *A, size_t lda, const float *B,
	    size_t ldb, float beta, float *C, size_t ldc);
void	fl_cuda_bias_add(float *Z, size_t rows, size_t cols, const float *b);
void	fl_cuda_relu(float *v, size_t n);
void	fl_cuda_relu_backward(const float *A, float *dA, size_t n);
void	fl_cuda_col_sums(const float *D, size_t rows, size_t cols, float *b);
double	fl_cuda_loss(enum fl_cuda_loss_kind kind, const float *Z, size_t rows,
	    size_t k, const float *y, float scale, float *dZ);
void	fl_cuda_sgd(size_t n, float lr, float momentum, float *p, float *v,
	    const float *g);
void	fl_cuda_adam(size_t n, float lr, float b1, float b2, float eps,
	    float c1, float c2, float *p, float *m, float *v, const float *g);
double	fl_cuda_dot(size_t n, const float *a, const float *b);
void	fl_cuda_axpy(size_t n, float a, const float *x, float *y);

/* The image ops (compute.h defines them; work holds n c k k oh ow floats
 * of device memory). */
void	fl_cuda_conv_forward(const struct fl_cuda_conv *s, const float *X,
	    const float *W, const float *b, float *Y, float *work);
void	fl_cuda_conv_backward_data(const struct fl_cuda_conv *s,
	    const float *dY, const float *W, float *dX, float *work);
void	fl_cuda_conv_backward_weights(const struct fl_cuda_conv *s,
	    const float *X, const float *dY, float *dW, float *db,
	    float *work);
void	fl_cuda_maxpool_forward(const struct fl_cuda_pool *p, const float *X,
	    float *Y);
void	fl_cuda_maxpool_backward(const struct fl_cuda_pool *p,
	    const float *X, const float *Y, const float *dY, float *dX);
void	fl_cuda_avgpool_forward(const struct fl_cuda_pool *p, const float *X,
	    float *Y);
void	fl_cuda_avgpool_backward(const struct fl_cuda_pool *p,
	    const float *dY, float *dX);
void	fl_cuda_gap_forward(size_t n, size_t c, size_t hw, const float *X,
	    float *Y);
void	fl_cuda_gap_backward(size_t n, size_t c, size_t hw, const float *dY,
	    float *dX);
void	fl_cuda_dropout_forward(size_t n, float p, unsigned long long seed,
	    const float *X, float *Y, float *mask);
void	fl_cuda_dropout_backward(size_t n, const float *mask, float *dX);

#ifdef __cplusplus
}
#endif

#endif /* FL_CUDA_H */
