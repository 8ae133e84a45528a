/*
 * test_exact.c: the exact accumulator of lib/federation/exact.c: sums of
 * the same terms in any order and any grouping (as an aggregation tree
 * of partial sums makes them) are the same bits, also where the sums
 * leave the int64 range and need their high words; and the values
 * against a long-double reference.
 */
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "fl.h"
#include "federation/exact_int.h"
#include "unit.h"

#define N	5000	/* coordinates: more than one block of high words */
#define K	24	/* terms per coordinate */

static float v[K][N];
static double w[K];

/* Terms of every scale: tiny, ordinary, and large enough (with weight
 * 2^20) to carry out of the int64 low words. */
static void
fill(void)
{
	size_t k, i;
	uint64_t s = 42;

	for (k = 0; k < K; k++) {
		w[k] = (double)(1 + k * 37 % 1000) * (k % 5 == 0 ? 1048576 : 1);
		for (i = 0; i < N; i++) {
			s = s * 6364136223846793005ULL + 1442695040888963407ULL;
			v[k][i] = (float)((double)(int64_t)(s >> 11) /
			    9007199254740992.0 * pow(10, (double)(s % 9) - 6));
		}
	}
}

/* The sum of terms order[0..n-1] into a new accumulator. */
static struct fl_xacc *
sum_of(const size_t *order, size_t n)
{
	struct fl_err err = FL_ERR_INIT;
	struct fl_xacc *x;
	size_t j, bad;

	if (fl_xacc_new(&x, N, &err) < 0)
		return NULL;
	for (j = 0; j < n; j++)
		if (fl_xacc_add(x, 0, v[order[j]], N, w[order[j]], &bad,
		    &err) < 0) {
			fl_xacc_free(x);
			return NULL;
		}
	return x;
}

/* Add y's raw words into x, as the root adds a partial. */
static int
merge(struct fl_xacc *x, const struct fl_xacc *y)
{
	struct fl_err err = FL_ERR_INIT;
	int64_t *hi = malloc(N * sizeof(int64_t));
	int rc;

	if (hi == NULL)
		return -1;
	fl_xacc_hi(y, hi);
	rc = fl_xacc_add_raw(x, 0, fl_xacc_lo(y), fl_xacc_has_hi(y) ? hi :
	    NULL, N, &err);
	free(hi);
	return rc;
}

static int
same(const struct fl_xacc *a, const struct fl_xacc *b)
{
	size_t i;
	double x, y;

	for (i = 0; i < N; i++) {
		x = fl_xacc_get(a, i);
		y = fl_xacc_get(b, i);
		if (memcmp(&x, &y, sizeof(x)) != 0)
			return 0;
	}
	return 1;
}

static void
test_trees(void)
{
	size_t fwd[K], rev[K], i, k;
	struct fl_xacc *flat, *back, *p1, *p2, *p3, *root;
	long double ref;
	int ok = 1;

	fill();
	for (k = 0; k < K; k++) {
		fwd[k] = k;
		rev[k] = K - 1 - k;
	}
	flat = sum_of(fwd, K);
	back = sum_of(rev, K);
	CHECK(flat != NULL && back != NULL);
	if (flat == NULL || back == NULL)
		return;
	CHECK(fl_xacc_has_hi(flat));
	CHECK(same(flat, back));
	/* Three uneven partials, one of them itself a tree. */
	p1 = sum_of(fwd, 5);
	p2 = sum_of(fwd + 5, 13);
	p3 = sum_of(rev, K - 18);
	root = sum_of(fwd, 0);
	CHECK(p1 != NULL && p2 != NULL && p3 != NULL && root != NULL);
	if (p1 != NULL && p2 != NULL && p3 != NULL && root != NULL) {
		CHECK(merge(p2, p1) == 0);
		CHECK(merge(root, p3) == 0);
		CHECK(merge(root, p2) == 0);
		CHECK(same(flat, root));
	}
	/* Against long double: each term is rounded to 2^-41 at most. */
	for (i = 0; i < N; i++) {
		ref = 0;
		for (k = 0; k < K; k++)
			ref += (long double)w[k] * v[k][i];
		if (fabsl(ref - (long double)fl_xacc_get(flat, i)) >
		    K * ldexp(1, -41) + 1e-15L * fabsl(ref))
			ok = 0;
	}
	CHECK(ok);
	fl_xacc_free(flat);
	fl_xacc_free(back);
	fl_xacc_free(p1);
	fl_xacc_free(p2);
	fl_xacc_free(p3);
	fl_xacc_free(root);
}

static void
test_limits(void)
{
	struct fl_err err = FL_ERR_INIT;
	struct fl_xacc *x;
	float big = 1e30f, nan = NAN, tiny = 1e-13f;
	size_t bad = 99;

	if (fl_xacc_new(&x, 1, &err) < 0) {
		CHECK(0);
		return;
	}
	CHECK(fl_xacc_add(x, 0, &big, 1, 1.0, &bad, &err) == FL_ENUM);
	CHECK(bad == 0);
	CHECK(strstr(err.msg, "over the limit of 2^62") != NULL);
	CHECK(fl_xacc_add(x, 0, &nan, 1, 1.0, &bad, &err) == FL_ENUM);
	CHECK(strstr(err.msg, "not finite") != NULL);
	/* Below the grid: rounded to the nearest multiple of 2^-40. */
	CHECK_OK(fl_xacc_add(x, 0, &tiny, 1, 1.0, &bad, &err), &err);
	CHECK(fl_xacc_get(x, 0) == 0);
	CHECK_OK(fl_xacc_add(x, 0, &tiny, 1, 10.0, &bad, &err), &err);
	CHECK(fl_xacc_get(x, 0) == ldexp(1, -40));
	fl_xacc_free(x);
}

/* fl_xacc_zero (fl-value's coalitions) then the same terms: the same
 * sums, high words included, as a fresh accumulator's; and
 * fl_xacc_add_f64 (a masked round's sum) adds doubles onto the grid. */
static void
test_zero(void)
{
	struct fl_err err = FL_ERR_INIT;
	struct fl_xacc *a, *b;
	size_t order[K], k, i, bad, same = 0;
	double d[N];

	for (k = 0; k < K; k++)
		order[k] = k;
	a = sum_of(order, K);
	b = sum_of(order, K);
	if (a == NULL || b == NULL) {
		CHECK(0);
		return;
	}
	CHECK(fl_xacc_has_hi(b));
	fl_xacc_zero(b);
	CHECK(!fl_xacc_has_hi(b));
	for (i = 0; i < N; i++)
		same += fl_xacc_get(b, i) == 0;
	CHECK(same == N);
	for (k = 0; k < K; k++)
		CHECK_OK(fl_xacc_add(b, 0, v[k], N, w[k], &bad, &err), &err);
	for (i = 0, same = 0; i < N; i++)
		same += fl_xacc_get(a, i) == fl_xacc_get(b, i);
	CHECK(same == N);
	fl_xacc_zero(b);
	for (i = 0; i < N; i++)
		d[i] = w[1] * v[1][i];
	CHECK_OK(fl_xacc_add_f64(b, 0, d, N, &err), &err);
	fl_xacc_free(a);
	a = sum_of(order + 1, 1);
	for (i = 0, same = 0; a != NULL && i < N; i++)
		same += fl_xacc_get(a, i) == fl_xacc_get(b, i);
	CHECK(a != NULL && same == N);
	d[0] = NAN;
	CHECK(fl_xacc_add_f64(b, 0, d, 1, &err) == FL_ENUM);
	fl_xacc_free(a);
	fl_xacc_free(b);
}

int
main(void)
{
	unit_run("trees", test_trees);
	unit_run("limits", test_limits);
	unit_run("zero", test_zero);
	return unit_done("test_exact");
}
