/*
 * test_gemm.c: the OpenBLAS gemm (lib/compute/blas.c) against the reference
 * (lib/compute/ref.c) for every transpose combination, including 1x1x1, odd sizes
 * and one large case.  Tolerance: |x - ref| <= 1e-4 + 1e-4 |ref|.
 */
#include <stdlib.h>
#include <string.h>

#include "fl.h"
#include "unit.h"

#define ATOL 1e-4
#define RTOL 1e-4

/* Fill v (n) with uniform values in [-1, 1). */
static void
fill(struct fl_rng *r, float *v, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++)
		v[i] = (float)(2.0 * fl_rng_uniform(r) - 1.0);
}

/* Compare one case; print the first few mismatches; return their count. */
static size_t
one(struct fl_rng *r, int ta, int tb, size_t m, size_t n, size_t k)
{
	size_t lda = ta ? m : k, ldb = tb ? k : n, i, j, bad = 0;
	float *A = malloc(m * k * sizeof(float));
	float *B = malloc(k * n * sizeof(float));
	float *C = malloc(m * n * sizeof(float));
	float *R = malloc(m * n * sizeof(float));
	double x, w;

	fill(r, A, m * k);
	fill(r, B, k * n);
	fill(r, C, m * n);
	memcpy(R, C, m * n * sizeof(float));
	fl_blas_gemm(ta, tb, m, n, k, 0.5f, A, lda, B, ldb, 0.25f, C, n);
	fl_ref_gemm(ta, tb, m, n, k, 0.5f, A, lda, B, ldb, 0.25f, R, n);
	for (i = 0; i < m; i++)
		for (j = 0; j < n; j++) {
			x = C[i * n + j];
			w = R[i * n + j];
			if (fabs(x - w) <= ATOL + RTOL * fabs(w))
				continue;
			if (bad++ < 5)
				fprintf(stderr, "gemm ta=%d tb=%d %zux%zux%zu: "
				    "C[%zu,%zu] = %.9g, ref %.9g\n", ta, tb,
				    m, n, k, i, j, x, w);
		}
	free(A);
	free(B);
	free(C);
	free(R);
	return bad;
}

int
main(void)
{
	static const size_t shapes[][3] = {
		{ 1, 1, 1 }, { 7, 5, 3 }, { 33, 65, 17 }, { 256, 300, 200 }
	};
	struct fl_rng r;
	size_t s;
	int ta, tb;

	fl_rng_seed(&r, 1, "gemm");
	for (s = 0; s < sizeof(shapes) / sizeof(shapes[0]); s++)
		for (ta = 0; ta < 2; ta++)
			for (tb = 0; tb < 2; tb++)
				CHECK(one(&r, ta, tb, shapes[s][0],
				    shapes[s][1], shapes[s][2]) == 0);
	return unit_done("test_gemm");
}
