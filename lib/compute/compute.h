/*
 * compute/compute.h: the compute layer of libfl: backends and their ops, the
 * reference and the BLAS path.
 * Layers include downwards only (README.md, "Source tour"); fl.h
 * includes them all.
 */
#ifndef FL_LIB_COMPUTE_H
#define FL_LIB_COMPUTE_H

#include "model/model.h"

/* ------------------------------------------------------------------------ */
/* Backends (backend.c, ref.c, blas.c in lib/compute; kernels/ for CUDA). */

enum fl_device {
	FL_DEVICE_CPU,
	FL_DEVICE_REF,		/* the plain-loop reference, for tests */
	FL_DEVICE_CUDA,
	FL_DEVICE_AUTO
};

/*
 * The ops a backend offers (struct fl_backend), and supports() asks for
 * one of them by these names.
 */
enum fl_op {
	FL_OP_GEMM,
	FL_OP_BIAS_ADD,
	FL_OP_RELU,
	FL_OP_RELU_BACKWARD,
	FL_OP_COL_SUMS,
	FL_OP_LOSS_BCE,		/* sigmoid + binary cross-entropy */
	FL_OP_LOSS_CE,		/* softmax + cross-entropy */
	FL_OP_LOSS_MSE,		/* squared error */
	FL_OP_SGD,
	FL_OP_ADAM,
	FL_OP_DOT,
	FL_OP_CONV_FORWARD,	/* the image ops: see struct fl_conv */
	FL_OP_CONV_BACKWARD_DATA,
	FL_OP_CONV_BACKWARD_WEIGHTS,
	FL_OP_MAXPOOL_FORWARD,
	FL_OP_MAXPOOL_BACKWARD,
	FL_OP_AVGPOOL_FORWARD,
	FL_OP_AVGPOOL_BACKWARD,
	FL_OP_GAP_FORWARD,
	FL_OP_GAP_BACKWARD,
	FL_OP_DROPOUT_FORWARD,
	FL_OP_DROPOUT_BACKWARD,
	FL_OP_AXPY,
	FL_OP_COUNT
};

/*
 * The image ops' shapes.  Every image tensor is a batch in NCHW order,
 * float, row-major: element [i][ch][y][x] of X (n, c, h, w) lies at
 * X[((i * c + ch) * h + y) * w + x].  A CxHxW row of a CSV is one image,
 * channel first, so a batch of rows is already NCHW, and a flattened
 * output (n, c * h * w) is what a dense layer reads (PyTorch's flatten).
 *
 * A convolution (struct fl_conv) of X (n, c, h, w) by weights W (f, c, k,
 * k) (PyTorch's Conv2d.weight layout) and bias b (f) into Y (n, f, oh,
 * ow), cross-correlation as in every framework:
 *
 *   Y[i][o][y][x] = b[o] + sum over ch < c, u < k, v < k of
 *       W[o][ch][u][v] * X[i][ch][y * stride + u - pad_h][x * stride + v
 *       - pad_w],
 *
 * where X outside 0 <= row < h, 0 <= col < w reads as 0.  Padding
 * (fl_conv_shape fills oh, ow, pad_h, pad_w from h, w, k, stride):
 *   'same':  oh = ceil(h / stride), pad_h = max((oh - 1) * stride + k -
 *            h, 0) / 2 (rounded down; an odd total pads one more row at
 *            the bottom, TensorFlow's rule; for stride 1 and odd k it is
 *            PyTorch's padding = k / 2); ow, pad_w likewise from w.
 *   'valid': oh = (h - k) / stride + 1 (h >= k), pad_h = 0; likewise w.
 * The struct is host memory, never a backend buffer.
 */
struct fl_conv {
	size_t	 n, c, h, w;		/* input (n, c, h, w) */
	size_t	 f, k, stride;		/* f filters of k x k, step stride */
	size_t	 pad_h, pad_w;		/* rows/columns padded at top/left */
	size_t	 oh, ow;		/* output (n, f, oh, ow) */
};
/* Fill s->oh, ow, pad_h, pad_w from s->h, w, k, stride for 'same' (same
 * 1) or 'valid' (same 0) padding.  FL_EUSAGE when valid and k > h or k >
 * w, or k or stride is 0. */
int	fl_conv_shape(struct fl_conv *s, int same, struct fl_err *err);
/* The floats of work a conv op needs: n * c * k * k * oh * ow (the whole
 * batch's im2col columns), or (size_t)-1 on overflow.  A backend may
 * use less of it; its contents are undefined between calls. */
size_t	fl_conv_work(const struct fl_conv *s);

/*
 * A pooling window (struct fl_pool) of k x k, moved by stride, over X (n,
 * c, h, w) into Y (n, c, oh, ow) with no padding: oh = (h - k) / stride
 * + 1, ow = (w - k) / stride + 1 (h, w >= k; a remainder is dropped, as
 * PyTorch's MaxPool2d and AvgPool2d do).  poolK in a spec is k = stride =
 * K.  Max: Y = the window's largest X; its backward sends dY to the first
 * window position (row-major in the window) holding that largest value.
 * Average: Y = the window's mean; backward spreads dY / (k k) over it.
 * Global average pooling is its own op: Y (n, c) = the mean of X (n, c,
 * hw) over its hw positions.
 */
struct fl_pool {
	size_t	 n, c, h, w;		/* input (n, c, h, w) */
	size_t	 k, stride;
	size_t	 oh, ow;		/* output (n, c, oh, ow) */
};

/*
 * Dropout's mask is a function of (seed, i) alone, so that every backend
 * draws the same one: element i (0-based over the whole n) of a batch is
 * kept when u >= p and its mask is then 1 / (1 - p), else 0, where u =
 * fl_dropout_uniform(seed, i), in [0, 1):
 *   z = seed + (i + 1) * 0x9E3779B97F4A7C15 (mod 2^64);
 *   z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9; z = (z ^ (z >> 27)) *
 *   0x94D049BB133111EB; z ^= z >> 31   (splitmix64's finaliser);
 *   u = (z >> 40) * 2^-24.
 * The trainer passes a fresh seed per layer and step (fl_rng).
 */
double	fl_dropout_uniform(uint64_t seed, uint64_t i);

/*
 * The seam where dense math can run elsewhere: a table of ops over
 * buffers the backend allocates itself, so that a device backend keeps
 * a whole local training's buffers resident.  "ref" (lib/compute/ref.c) is the
 * oracle every other backend is tested against; "cpu" (lib/compute/blas.c) is
 * OpenBLAS and the fast loops.  Shapes are row-major; every float pointer
 * an op takes is a buffer from alloc (or, where host_memory is 1, any host
 * memory).
 *
 * supports(op) is 1 when the op may be called.  alloc(bytes) returns an
 * opaque buffer, or NULL when out of memory (alloc(0) returns a freeable
 * pointer or NULL); free accepts NULL.  upload copies bytes of host memory
 * src into buffer dst; download copies buffer src into host memory dst.
 * host_memory 1: buffers are host pointers that callers may also read
 * and write directly (the CPU backends).  host_memory 0 ("cuda",
 * kernels/): device buffers, reached only through the ops, upload and
 * download.  fl_train and fl_predict run a per-row head (binary,
 * multiclass, regression) on either, with the L2, FedProx and SCAFFOLD
 * terms as axpy; DP-SGD's per-row clipping and noise, the Cox head and
 * fl_loss_grad are host code and refuse a device backend (FL_EUSAGE).
 *
 * gemm: C = alpha * op(A) op(B) + beta * C, op(X) = X or X^T by
 *   transa/transb; op(A) is (m, k), op(B) is (k, n), C is (m, n).
 * bias_add: Z (rows, cols) += b (cols) on every row.
 * relu: v (n) = max(v, 0) in place.
 * relu_backward: dA (n) = 0 where the ReLU's output A (n) is <= 0.
 * col_sums: b (cols) = the column sums of D (rows, cols), in double.
 * loss: for FL_OP_LOSS_BCE, _CE or _MSE, the summed loss of logits Z
 *   (rows, k) against y (rows: 0/1, a class in 0..k-1, or a value) and
 *   scale * dloss/dZ into dZ (rows, k); returned in double on the host.
 *   BCE (k 1): log(1 + e^z) - y z, dz = sigmoid(z) - y; CE: logsumexp(z)
 *   - z[y], dz = softmax(z) - onehot(y); MSE (k 1): (z - y)^2, dz = 2 (z -
 *   y).
 * sgd: v = momentum v + g; p -= lr v, over n parameters p, velocity v
 *   and gradient g (weight decay is added to g before, as l2 w).
 * adam: m = b1 m + (1 - b1) g; v = b2 v + (1 - b2) g^2; p -= lr (m c1) /
 *   (sqrt(v c2) + eps), c1 and c2 being the bias corrections 1 / (1 -
 *   b^t) the caller computes.
 * dot: sum of a[i] b[i] over n, accumulated in double (a == b gives the
 *   squared norm).
 * axpy: y (n) += a x (n).
 * error: NULL for the host backends, which cannot fail; a device backend
 *   records its first failure (an op has no return value), and error
 *   returns it (FL_EGPU) or 0, after waiting for the device's work.
 *
 * The image ops (shapes and layouts in struct fl_conv's and fl_pool's
 * comments; s and p are host memory; every output is overwritten, never
 * accumulated into; work holds fl_conv_work(s) floats):
 * conv_forward: Y (n, f, oh, ow) = conv(X (n, c, h, w), W (f, c, k, k))
 *   + b (f).  No activation: the ReLU after it is the relu op.
 * conv_backward_data: dX (n, c, h, w) = the gradient with respect to X
 *   of sum(dY * Y), given dY (n, f, oh, ow) and W (the transposed
 *   convolution, col2im).
 * conv_backward_weights: dW (f, c, k, k) and db (f) = the gradients of
 *   sum(dY * Y) with respect to W and b, summed over the batch, given X
 *   and dY.
 * maxpool_forward: Y (n, c, oh, ow) from X (n, c, h, w).
 * maxpool_backward: dX (n, c, h, w) from X, the forward's Y and dY (n,
 *   c, oh, ow); positions that were no window's maximum get 0, and a
 *   position that was the maximum of several (overlapping) windows gets
 *   their sum.
 * avgpool_forward, avgpool_backward: the same for the mean (dX gets
 *   dY / (k k) summed over the windows holding it; 0 outside them).
 * gap_forward: Y (n, c) = mean of X (n, c, hw) over hw.
 * gap_backward: dX (n, c, hw) = dY (n, c) / hw.
 * dropout_forward: mask (n) = the mask drawn from seed (see
 *   fl_dropout_uniform) at rate p (0 <= p < 1), and Y (n) = X (n) *
 *   mask; Y may be X.  Rate 0 keeps everything (a copy).
 * dropout_backward: dX (n) *= mask (n).
 */
struct fl_backend {
	const char *name;
	int	 host_memory;
	int	(*supports)(enum fl_op op);
	void	*(*alloc)(size_t bytes);
	void	(*free)(void *buf);
	void	(*upload)(void *dst, const void *src, size_t bytes);
	void	(*download)(void *dst, const void *src, size_t bytes);
	void	(*gemm)(int transa, int transb, size_t m, size_t n, size_t k,
		    float alpha, const float *A, size_t lda, const float *B,
		    size_t ldb, float beta, float *C, size_t ldc);
	void	(*bias_add)(float *Z, size_t rows, size_t cols,
		    const float *b);
	void	(*relu)(float *v, size_t n);
	void	(*relu_backward)(const float *A, float *dA, size_t n);
	void	(*col_sums)(const float *D, size_t rows, size_t cols,
		    float *b);
	double	(*loss)(enum fl_op op, const float *Z, size_t rows, size_t k,
		    const float *y, float scale, float *dZ);
	void	(*sgd)(size_t n, float lr, float momentum, float *p,
		    float *v, const float *g);
	void	(*adam)(size_t n, float lr, float b1, float b2, float eps,
		    float c1, float c2, float *p, float *m, float *v,
		    const float *g);
	double	(*dot)(size_t n, const float *a, const float *b);
	void	(*conv_forward)(const struct fl_conv *s, const float *X,
		    const float *W, const float *b, float *Y, float *work);
	void	(*conv_backward_data)(const struct fl_conv *s,
		    const float *dY, const float *W, float *dX, float *work);
	void	(*conv_backward_weights)(const struct fl_conv *s,
		    const float *X, const float *dY, float *dW, float *db,
		    float *work);
	void	(*maxpool_forward)(const struct fl_pool *p, const float *X,
		    float *Y);
	void	(*maxpool_backward)(const struct fl_pool *p, const float *X,
		    const float *Y, const float *dY, float *dX);
	void	(*avgpool_forward)(const struct fl_pool *p, const float *X,
		    float *Y);
	void	(*avgpool_backward)(const struct fl_pool *p, const float *dY,
		    float *dX);
	void	(*gap_forward)(size_t n, size_t c, size_t hw, const float *X,
		    float *Y);
	void	(*gap_backward)(size_t n, size_t c, size_t hw,
		    const float *dY, float *dX);
	void	(*dropout_forward)(size_t n, float p, uint64_t seed,
		    const float *X, float *Y, float *mask);
	void	(*dropout_backward)(size_t n, const float *mask, float *dX);
	void	(*axpy)(size_t n, float a, const float *x, float *y);
	int	(*error)(struct fl_err *err);
};
/* The backend for dev; FL_DEVICE_CUDA in a build without CUDA, or with no
 * GPU present, is FL_EGPU.  AUTO gives CUDA when the build has it and a
 * GPU is present, else the CPU. */
int		 fl_backend_get(const struct fl_backend **be, enum fl_device dev,
		    struct fl_err *err);
/* The device named s ("cpu", "cuda", "auto"; "ref" for tests), or -1. */
int		 fl_device_parse(const char *s);
/* What this build has, for --version: "CUDA 13.0", or "no CUDA". */
const char	*fl_backend_cuda_version(void);
/* The name of op ("gemm", "bias_add", ...), or "?". */
const char	*fl_op_name(enum fl_op op);

/*
 * The reference ops (lib/compute/ref.c): plain loops with double accumulators,
 * the definitions in struct fl_backend's comment.  The oracle.
 */
void	fl_ref_gemm(int transa, int transb, size_t m, size_t n, size_t k,
	    float alpha, const float *A, size_t lda, const float *B, size_t ldb,
	    float beta, float *C, size_t ldc);
void	fl_ref_bias_add(float *Z, size_t rows, size_t cols, const float *b);
void	fl_ref_relu(float *v, size_t n);
void	fl_ref_relu_backward(const float *A, float *dA, size_t n);
void	fl_ref_col_sums(const float *D, size_t rows, size_t cols, float *b);
double	fl_ref_loss(enum fl_op op, const float *Z, size_t rows, size_t k,
	    const float *y, float scale, float *dZ);
void	fl_ref_sgd(size_t n, float lr, float momentum, float *p, float *v,
	    const float *g);
void	fl_ref_adam(size_t n, float lr, float b1, float b2, float eps,
	    float c1, float c2, float *p, float *m, float *v, const float *g);
double	fl_ref_dot(size_t n, const float *a, const float *b);
void	fl_ref_axpy(size_t n, float a, const float *x, float *y);
/* The reference image ops (lib/compute/ref_conv.c): direct loops over the
 * definitions above, double accumulators. */
void	fl_ref_conv_forward(const struct fl_conv *s, const float *X,
	    const float *W, const float *b, float *Y, float *work);
void	fl_ref_conv_backward_data(const struct fl_conv *s, const float *dY,
	    const float *W, float *dX, float *work);
void	fl_ref_conv_backward_weights(const struct fl_conv *s, const float *X,
	    const float *dY, float *dW, float *db, float *work);
void	fl_ref_maxpool_forward(const struct fl_pool *p, const float *X,
	    float *Y);
void	fl_ref_maxpool_backward(const struct fl_pool *p, const float *X,
	    const float *Y, const float *dY, float *dX);
void	fl_ref_avgpool_forward(const struct fl_pool *p, const float *X,
	    float *Y);
void	fl_ref_avgpool_backward(const struct fl_pool *p, const float *dY,
	    float *dX);
void	fl_ref_gap_forward(size_t n, size_t c, size_t hw, const float *X,
	    float *Y);
void	fl_ref_gap_backward(size_t n, size_t c, size_t hw, const float *dY,
	    float *dX);
void	fl_ref_dropout_forward(size_t n, float p, uint64_t seed,
	    const float *X, float *Y, float *mask);
void	fl_ref_dropout_backward(size_t n, const float *mask, float *dX);

/* The fast CPU ops (lib/compute/blas.c): OpenBLAS's gemm and float loops. */
void	fl_blas_gemm(int transa, int transb, size_t m, size_t n, size_t k,
	    float alpha, const float *A, size_t lda, const float *B, size_t ldb,
	    float beta, float *C, size_t ldc);
void	fl_blas_bias_add(float *Z, size_t rows, size_t cols, const float *b);
void	fl_blas_relu(float *v, size_t n);
void	fl_blas_relu_backward(const float *A, float *dA, size_t n);
void	fl_blas_col_sums(const float *D, size_t rows, size_t cols, float *b);
double	fl_blas_loss(enum fl_op op, const float *Z, size_t rows, size_t k,
	    const float *y, float scale, float *dZ);
void	fl_blas_sgd(size_t n, float lr, float momentum, float *p, float *v,
	    const float *g);
void	fl_blas_adam(size_t n, float lr, float b1, float b2, float eps,
	    float c1, float c2, float *p, float *m, float *v, const float *g);
double	fl_blas_dot(size_t n, const float *a, const float *b);
void	fl_blas_axpy(size_t n, float a, const float *x, float *y);
/* The fast CPU image ops (lib/compute/conv.c): im2col and OpenBLAS's gemm
 * for the convolution, float loops for the rest. */
void	fl_blas_conv_forward(const struct fl_conv *s, const float *X,
	    const float *W, const float *b, float *Y, float *work);
void	fl_blas_conv_backward_data(const struct fl_conv *s, const float *dY,
	    const float *W, float *dX, float *work);
void	fl_blas_conv_backward_weights(const struct fl_conv *s,
	    const float *X, const float *dY, float *dW, float *db,
	    float *work);
void	fl_blas_maxpool_forward(const struct fl_pool *p, const float *X,
	    float *Y);
void	fl_blas_maxpool_backward(const struct fl_pool *p, const float *X,
	    const float *Y, const float *dY, float *dX);
void	fl_blas_avgpool_forward(const struct fl_pool *p, const float *X,
	    float *Y);
void	fl_blas_avgpool_backward(const struct fl_pool *p, const float *dY,
	    float *dX);
void	fl_blas_gap_forward(size_t n, size_t c, size_t hw, const float *X,
	    float *Y);
void	fl_blas_gap_backward(size_t n, size_t c, size_t hw, const float *dY,
	    float *dX);
void	fl_blas_dropout_forward(size_t n, float p, uint64_t seed,
	    const float *X, float *Y, float *mask);
void	fl_blas_dropout_backward(size_t n, const float *mask, float *dX);
/* OpenBLAS's version string, e.g. "OpenBLAS 0.3.21". */
const char *fl_blas_version(void);

/*
 * Reference loss and gradient in double, written to be read: the oracle
 * for the fast path and for finite-difference checks.  params is the
 * model's flat vector (nparams), X is (n, d) row-major, y is (n).  Returns
 * the mean loss over the n rows plus l2/2 * |weights|^2 (biases are not
 * penalised); grad (nparams, may be NULL) receives its gradient.
 */
double	fl_ref_loss_grad(const struct fl_model *m, const double *params,
	    size_t n, const float *X, const float *y, double l2,
	    double *grad);

/* The reference Cox loss and gradient (lib/compute/ref.c): plain O(n^2) risk
 * sets in double.  params (nparams), X (n, d), time and event (n); grad
 * (nparams, may be NULL).  NaN when out of memory. */
double		 fl_ref_cox_loss_grad(const struct fl_model *m,
		    const double *params, size_t n, const float *X,
		    const float *time, const float *event, double l2,
		    double *grad);

#endif /* FL_LIB_COMPUTE_H */
