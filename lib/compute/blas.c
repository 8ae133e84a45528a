/*
 * blas.c: the fast CPU path, OpenBLAS and float loops behind the same
 * signatures as the plain-loop reference in ref.c (which tests check it
 * against; test/unit/test_backend.c).  These loops are the arithmetic
 * training has always done (they came from nn.c, head.c and optim.c
 * unchanged), so that a given seed keeps giving the same bytes.
 */
#include <math.h>

#include <cblas.h>

#include "compute/compute.h"

/*
 * The elementwise loops here vectorise at -O3 without changing a bit of
 * their results (GCC reassociates no float sum without -ffast-math, and
 * ISO C mode contracts nothing into FMAs); GCC's -O2 leaves them scalar.
 */
#if defined(__GNUC__) && !defined(__clang__)
#pragma GCC optimize("O3")
#endif

/* C = alpha * op(A) op(B) + beta * C, row-major; see fl.h. */
void
fl_blas_gemm(int transa, int transb, size_t m, size_t n, size_t k,
    float alpha, const float *A, size_t lda, const float *B, size_t ldb,
    float beta, float *C, size_t ldc)
{
	if (m == 0 || n == 0)
		return;
	cblas_sgemm(CblasRowMajor, transa ? CblasTrans : CblasNoTrans,
	    transb ? CblasTrans : CblasNoTrans, (blasint)m, (blasint)n,
	    (blasint)k, alpha, A, (blasint)lda, B, (blasint)ldb, beta, C,
	    (blasint)ldc);
}

/* Z (rows, cols) += b (cols) on every row. */
void
fl_blas_bias_add(float *Z, size_t rows, size_t cols, const float *b)
{
	size_t i, j;

	for (i = 0; i < rows; i++)
		for (j = 0; j < cols; j++)
			Z[i * cols + j] += b[j];
}

/* ReLU in place on v (n). */
void
fl_blas_relu(float *v, size_t n)
{
	size_t i;

	/* Branch-free, so that the compiler vectorises it; the same
	 * values as "if (v[i] < 0) v[i] = 0" (NaN stays NaN). */
	for (i = 0; i < n; i++)
		v[i] = v[i] < 0.0f ? 0.0f : v[i];
}

/* Zero dA (n) where the ReLU output A (n) was not positive. */
void
fl_blas_relu_backward(const float *A, float *dA, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++)
		dA[i] = A[i] <= 0.0f ? 0.0f : dA[i];
}

/* Column sums of D (rows, cols) into b (cols), accumulated in double. */
void
fl_blas_col_sums(const float *D, size_t rows, size_t cols, float *b)
{
	size_t i, j;
	double acc;

	for (j = 0; j < cols; j++) {
		acc = 0.0;
		for (i = 0; i < rows; i++)
			acc += D[i * cols + j];
		b[j] = (float)acc;
	}
}

/*
 * The loss heads' summed loss of logits Z (rows, k) against y, and scale *
 * dloss/dZ into dZ (rows, k), evaluated in double per element; see fl.h.
 */
static double
loss_bce(const float *Z, size_t rows, size_t k, const float *y, float scale,
    float *dZ)
{
	double loss = 0.0, z;
	size_t i;

	for (i = 0; i < rows; i++) {
		z = Z[i * k];
		loss += fmax(z, 0.0) - z * y[i] + log1p(exp(-fabs(z)));
		dZ[i * k] = (float)(scale * (1.0 / (1.0 + exp(-z)) - y[i]));
	}
	return loss;
}

static double
loss_ce(const float *Z, size_t rows, size_t k, const float *y, float scale,
    float *dZ)
{
	double loss = 0.0, zmax, sum, lse;
	size_t i, j, cls;

	for (i = 0; i < rows; i++) {
		const float *zr = Z + i * k;
		float *dr = dZ + i * k;

		cls = (size_t)y[i];
		zmax = zr[0];
		for (j = 1; j < k; j++)
			zmax = fmax(zmax, zr[j]);
		sum = 0.0;
		for (j = 0; j < k; j++)
			sum += exp(zr[j] - zmax);
		lse = zmax + log(sum);
		loss += lse - zr[cls];
		for (j = 0; j < k; j++)
			dr[j] = (float)(scale * (exp(zr[j] - lse) -
			    (j == cls ? 1.0 : 0.0)));
	}
	return loss;
}

static double
loss_mse(const float *Z, size_t rows, size_t k, const float *y, float scale,
    float *dZ)
{
	double loss = 0.0, z;
	size_t i;

	for (i = 0; i < rows; i++) {
		z = (double)Z[i * k] - y[i];
		loss += z * z;
		dZ[i * k] = (float)(scale * 2.0 * z);
	}
	return loss;
}

/* The loss op op (FL_OP_LOSS_*); see fl.h.  Another op returns NaN. */
double
fl_blas_loss(enum fl_op op, const float *Z, size_t rows, size_t k,
    const float *y, float scale, float *dZ)
{
	switch (op) {
	case FL_OP_LOSS_BCE:
		return loss_bce(Z, rows, k, y, scale, dZ);
	case FL_OP_LOSS_CE:
		return loss_ce(Z, rows, k, y, scale, dZ);
	case FL_OP_LOSS_MSE:
		return loss_mse(Z, rows, k, y, scale, dZ);
	default:
		return NAN;
	}
}

/* SGD with momentum over p, v, g (n): v = momentum v + g; p -= lr v. */
void
fl_blas_sgd(size_t n, float lr, float momentum, float *p, float *v,
    const float *g)
{
	size_t i;

	for (i = 0; i < n; i++) {
		v[i] = momentum * v[i] + g[i];
		p[i] -= lr * v[i];
	}
}

/* Adam over p, m, v, g (n) with bias corrections c1, c2; see fl.h. */
void
fl_blas_adam(size_t n, float lr, float b1, float b2, float eps, float c1,
    float c2, float *p, float *m, float *v, const float *g)
{
	size_t i;

	for (i = 0; i < n; i++) {
		float gi = g[i];

		m[i] = b1 * m[i] + (1.0f - b1) * gi;
		v[i] = b2 * v[i] + (1.0f - b2) * gi * gi;
		p[i] -= lr * (m[i] * c1) / (sqrtf(v[i] * c2) + eps);
	}
}

/* The dot product of a and b (n), accumulated in double in order. */
double
fl_blas_dot(size_t n, const float *a, const float *b)
{
	double acc = 0.0;
	size_t i;

	for (i = 0; i < n; i++)
		acc += (double)a[i] * b[i];
	return acc;
}

/* y (n) += a x (n): OpenBLAS's saxpy. */
void
fl_blas_axpy(size_t n, float a, const float *x, float *y)
{
	if (n > 0)
		cblas_saxpy((blasint)n, a, x, 1, y, 1);
}

/* "OpenBLAS 0.3.21", from the header the library was built against. */
const char *
fl_blas_version(void)
{
#ifdef OPENBLAS_VERSION
	static char v[64];
	const char *s = OPENBLAS_VERSION;
	size_t i = 0;

	if (v[0] == '\0') {
		while (*s == ' ')
			s++;
		while (*s != '\0' && i + 1 < sizeof(v))
			v[i++] = *s++;
		while (i > 0 && v[i - 1] == ' ')
			i--;
		v[i] = '\0';
	}
	return v;
#else
	return "CBLAS";
#endif
}
