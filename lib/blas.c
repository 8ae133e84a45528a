/*
 * blas.c: the fast CPU path, OpenBLAS behind the same signatures as the
 * plain-loop reference in ref.c (which tests check it against).
 */
#include <cblas.h>

#include "fl.h"

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
