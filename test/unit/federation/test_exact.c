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

__extension__ typedef __int128 i128;

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

/*
 * Streaming (stream.c): fl_xacc_add_f32le on unaligned bytes in uneven
 * pieces gives fl_xacc_add's sums bit for bit, high words included (the
 * weights of 2^20 carry out of int64, through the fast path's undo); a
 * partial's low words then its high words (fl_xacc_add_hi) give merge's
 * sums; values not finite are skipped and the first named; a low word at
 * the edge of int64 carries into its high word.
 */
static void
test_stream(void)
{
	static unsigned char raw[4 * N + 3];
	static const size_t cut[] = { 1, 1023, 1024, 1025, 1 };
	struct fl_err err = FL_ERR_INIT;
	struct fl_xacc *flat, *x, *y;
	size_t order[K], k, i, at, c, nf, bad, ok;
	int64_t *hi, lo0;
	double d[N];
	float f[8] = { 1, 2, INFINITY, 4, NAN, 6, 1e30f, 8 };

	for (k = 0; k < K; k++)
		order[k] = k;
	flat = sum_of(order, K);
	if (flat == NULL || fl_xacc_new(&x, N, &err) < 0) {
		CHECK(0);
		return;
	}
	for (k = 0; k < K; k++) {
		memcpy(raw + 3, v[k], 4 * N);	/* unaligned */
		nf = (size_t)-1;
		for (at = 0, c = 0; at < N; at += cut[c % 5], c++)
			CHECK_OK(fl_xacc_add_f32le(x, at, raw + 3 + 4 * at,
			    at + cut[c % 5] <= N ? cut[c % 5] : N - at, w[k],
			    &nf, &bad, &err), &err);
		CHECK(nf == (size_t)-1);
	}
	CHECK(fl_xacc_has_hi(x));
	CHECK(same(flat, x));
	/* get_range is get. */
	fl_xacc_get_range(x, 0, N, d);
	for (i = 0, ok = 0; i < N; i++)
		ok += memcmp(&d[i], &(double){ fl_xacc_get(x, i) }, 8) == 0;
	CHECK(ok == N);
	/* A partial's words, low then high, as the root streams them. */
	hi = malloc(N * sizeof(int64_t));
	CHECK(fl_xacc_new(&y, N, &err) == 0 && hi != NULL);
	if (hi != NULL && y != NULL) {
		fl_xacc_hi(x, hi);
		CHECK_OK(fl_xacc_add_raw(y, 0, fl_xacc_lo(x), NULL, N, &err),
		    &err);
		CHECK_OK(fl_xacc_add_hi(y, 0, hi, N, &err), &err);
		CHECK(same(flat, y));
		hi[0] = (int64_t)1 << 62 | 1;
		CHECK(fl_xacc_add_hi(y, 0, hi, 1, &err) == FL_ENUM);
		CHECK(strstr(err.msg, "out of range at parameter 0") != NULL);
	}
	fl_xacc_free(y);
	free(hi);
	/* Not finite: skipped, the first named; a term too large fails. */
	fl_xacc_zero(x);
	nf = (size_t)-1;
	CHECK_OK(fl_xacc_add_f32le(x, 0, f, 6, 1.0, &nf, &bad, &err), &err);
	CHECK(nf == 2);
	CHECK(fl_xacc_get(x, 0) == 1 && fl_xacc_get(x, 2) == 0 &&
	    fl_xacc_get(x, 4) == 0 && fl_xacc_get(x, 5) == 6);
	CHECK_OK(fl_xacc_add_f32le(x, 0, f + 4, 1, 1.0, &nf, &bad, &err),
	    &err);
	CHECK(nf == 2);	/* the first stays */
	CHECK(fl_xacc_add_f32le(x, 0, f, 8, 1.0, &nf, &bad, &err) == FL_ENUM);
	CHECK(bad == 6 && strstr(err.msg, "over the limit of 2^62") != NULL);
	/* At the edge of int64: the fast path's sum would wrap, so it is
	 * undone and the slow path carries into the high word. */
	fl_xacc_zero(x);
	lo0 = INT64_MAX - 5;
	CHECK_OK(fl_xacc_add_raw(x, 0, &lo0, NULL, 1, &err), &err);
	f[0] = 1e-11f;	/* about 11 units of 2^-40 */
	nf = (size_t)-1;
	CHECK_OK(fl_xacc_add_f32le(x, 0, f, 1, 1.0, &nf, &bad, &err), &err);
	CHECK(fl_xacc_has_hi(x));
	CHECK(fl_xacc_get(x, 0) == ldexp((double)((i128)(INT64_MAX - 5) +
	    (int64_t)nearbyint(ldexp(1e-11f, 40))), -40));
	/* The sum's memory taken over in place keeps what was written. */
	for (i = 0; i < N; i++) {
		f[0] = (float)i;
		memcpy((unsigned char *)fl_xacc_mem(x) + 4 * i, f, 4);
	}
	hi = fl_xacc_take(x, N * sizeof(float));
	for (i = 0, ok = 0; hi != NULL && i < N; i++)
		ok += ((float *)(void *)hi)[i] == (float)i;
	CHECK(ok == N);
	free(hi);
	fl_xacc_free(x);
	fl_xacc_free(flat);
}

int
main(void)
{
	unit_run("trees", test_trees);
	unit_run("limits", test_limits);
	unit_run("zero", test_zero);
	unit_run("stream", test_stream);
	return unit_done("test_exact");
}
