/*
 * test_number.c: lib/format/csv.c's number parser.  The exact fast path
 * (fl_csv_number_fast) must give strtod's double bit for bit, and take
 * only cells that strtod reads whole, on about two million seeded random
 * decimals of many shapes and on hand-picked edge cases; it must also
 * take the short decimals real files hold, or it would not be faster.
 * The reference is fl_csv_number_strtod, the reader's rule before the
 * fast path existed (and still its fallback).
 */
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "fl.h"
#include "format/csv_int.h"
#include "unit.h"

#define CELL_MAX	2048	/* longest cell made here, NUL excluded */
#define SHOW_MAX	10	/* disagreements printed */

static int shown;

/* The bits of a double, so that -0.0 and 0.0 differ. */
static uint64_t
bits(double x)
{
	uint64_t u;

	memcpy(&u, &x, sizeof(u));
	return u;
}

/*
 * Run both parsers on cell[0..len) (which may hold NUL bytes): 1 when they
 * agree, that is when the fast path declines, or takes a cell that the
 * reference reads as the same bits; else 0, printing the first few.
 * *fast says whether the fast path took the cell, *ok whether the
 * reference did, with its value in *ref.
 */
static int
agree(const char *cell, size_t len, int *fast, int *ok, double *ref)
{
	char buf[CELL_MAX + 1];
	double fv = 0.0, rv = 0.0;
	int f, r;

	if (len > CELL_MAX)
		abort();
	memcpy(buf, cell, len);
	buf[len] = 'X';		/* fl_csv_number_strtod puts back this byte */
	f = fl_csv_number_fast(buf, buf + len, &fv);
	r = fl_csv_number_strtod(buf, buf + len, &rv) == 0;
	if (buf[len] != 'X' || memcmp(buf, cell, len) != 0)
		r = -1;
	*fast = f;
	*ok = r == 1;
	*ref = rv;
	if (r >= 0 && (!f || (r && bits(fv) == bits(rv))))
		return 1;
	if (shown++ < SHOW_MAX)
		fprintf(stderr, "test_number: '%.*s': fast %s %a, strtod %s "
		    "%a\n", (int)(len < 80 ? len : 80), cell,
		    f ? "took" : "declined", fv,
		    r < 0 ? "changed the cell" : r ? "took" : "rejected", rv);
	return 0;
}

/* A string cell; see agree. */
static int
agree_str(const char *cell, int *fast, int *ok, double *ref)
{
	return agree(cell, strlen(cell), fast, ok, ref);
}

static size_t
below(struct fl_rng *r, size_t n)
{
	return fl_rng_below(r, n);
}

/*
 * One random cell in o (at most 128 bytes): a sign or none, 1 to 25
 * digits with the point anywhere or nowhere (".5", "5.", leading and
 * trailing zeros, runs of nines, halfway patterns like 25000...), an
 * exponent from e-30 to e+30 or now and then far out, and sometimes one
 * byte changed, dropped or cut off, so that rejections are compared too.
 */
static size_t
gen_shape(struct fl_rng *r, char *o)
{
	static const char junk[] = "0123456789+-.eEx pn\0";
	size_t n = 0, nd, ni, i, k;
	int style = (int)below(r, 8), point, ex;

	switch (below(r, 4)) {
	case 2:
		o[n++] = '-';
		break;
	case 3:
		o[n++] = '+';
		break;
	}
	nd = 1 + below(r, 25);
	ni = below(r, nd + 1);
	if (below(r, 4) == 0)
		for (k = below(r, 4) + 1; k > 0; k--)
			o[n++] = '0';
	point = ni < nd || below(r, 4) == 0;
	for (i = 0; i < nd; i++) {
		if (i == ni && point)
			o[n++] = '.';
		if (style == 0)
			o[n++] = '9';
		else if (style == 1)
			o[n++] = i == 0 ? (char)('1' + below(r, 9)) :
			    i == nd / 2 ? '5' : '0';
		else if (style == 2 && i > 2)
			o[n++] = '0';
		else
			o[n++] = (char)('0' + below(r, 10));
	}
	if (ni == nd && point)
		o[n++] = '.';
	if (below(r, 2) == 0) {
		o[n++] = below(r, 2) ? 'e' : 'E';
		switch (below(r, 3)) {
		case 1:
			o[n++] = '-';
			break;
		case 2:
			o[n++] = '+';
			break;
		}
		if (below(r, 8) == 0)
			o[n++] = '0';
		ex = below(r, 32) == 0 ? 280 + (int)below(r, 150) :
		    (int)below(r, 31);
		n += (size_t)snprintf(o + n, 8, "%d", ex);
	}
	switch (below(r, 32)) {
	case 0:
		o[below(r, n)] = junk[below(r, sizeof(junk) - 1)];
		break;
	case 1:
		k = below(r, n);
		memmove(o + k, o + k + 1, n - k - 1);
		n--;
		break;
	case 2:
		n = below(r, n);
		break;
	}
	return n;
}

/*
 * Random doubles as printf writes them: all bit patterns in %.Ng for N
 * from 1 to 17, and modest values in %.Nf, so that cells near halfway
 * between two doubles, and subnormal and huge ones, are common.
 */
static size_t
gen_printf(struct fl_rng *r, char *o)
{
	double x;
	uint64_t u;
	int prec;

	do {
		u = fl_rng_u64(r);
		memcpy(&x, &u, sizeof(x));
	} while (!isfinite(x));
	prec = (int)below(r, 17) + 1;
	if (below(r, 2) == 0)
		return (size_t)snprintf(o, 128, "%.*g", prec, x);
	x = (fl_rng_uniform(r) - 0.5) * pow(10.0, (double)below(r, 12) - 4);
	return (size_t)snprintf(o, 128, "%.*f", (int)below(r, 12), x);
}

/* Cells as data files hold them: integers, and decimals with up to 6
 * places, which the fast path must always take. */
static size_t
gen_common(struct fl_rng *r, char *o)
{
	double x = (fl_rng_uniform(r) * 2.0 - 1.0) *
	    pow(10.0, (double)below(r, 7));

	if (below(r, 4) == 0)
		return (size_t)snprintf(o, 128, "%lld", (long long)x);
	return (size_t)snprintf(o, 128, "%.*f", (int)below(r, 7), x);
}

/* n cells from gen, all agreeing; return how many the fast path took. */
static size_t
run_random(const char *stream, size_t (*gen)(struct fl_rng *, char *),
    size_t n)
{
	struct fl_rng r;
	char cell[160];
	size_t i, len, bad = 0, took = 0;
	int fast, ok;
	double v;

	fl_rng_seed(&r, 20261122, stream);
	for (i = 0; i < n; i++) {
		len = gen(&r, cell);
		bad += !agree(cell, len, &fast, &ok, &v);
		took += fast;
	}
	CHECK(bad == 0);
	if (bad != 0)
		fprintf(stderr, "test_number: %s: %zu of %zu disagree\n",
		    stream, bad, n);
	printf("# test_number: %s: the fast path took %zu of %zu cells\n",
	    stream, took, n);
	return took;
}

static void
test_random(void)
{
	size_t n = 1000000, took;

	/* About three in five shapes and half the printf cells are in the
	 * fast path's range (625243 and 262530 with this seed). */
	took = run_random("shape", gen_shape, n);
	CHECK(took > n / 2);
	took = run_random("printf", gen_printf, n / 2);
	CHECK(took > n / 8);
	took = run_random("common", gen_common, n / 4);
	CHECK(took == n / 4);
}

/* Cells that the fast path must take, decline, or may do either with;
 * ok says whether the reader accepts the cell at all. */
#define TAKE	1
#define DECLINE	0
#define EITHER	(-1)

static void
edge(const char *cell, size_t len, int want_fast, int want_ok, int line)
{
	int fast, ok;
	double v;

	if (agree(cell, len, &fast, &ok, &v) && ok == want_ok &&
	    (want_fast == EITHER || fast == want_fast))
		unit_pass++;
	else {
		unit_fail++;
		fprintf(stderr, "test_number.c:%d: '%.*s': fast %d ok %d, "
		    "want fast %d ok %d\n", line, (int)(len < 80 ? len : 80),
		    cell, fast, ok, want_fast, want_ok);
	}
}

#define EDGE(cell, f, ok) edge(cell, strlen(cell), f, ok, __LINE__)
#define EDGE_LEN(cell, len, f, ok) edge(cell, len, f, ok, __LINE__)

/* The value the reader gives a cell (NAN when it rejects it); agree
 * has checked that the fast path, if it took the cell, gives the same. */
static double
value(const char *cell)
{
	int fast, ok;
	double v;

	return agree_str(cell, &fast, &ok, &v) && ok ? v : NAN;
}

static void
test_edges(void)
{
	char longc[CELL_MAX + 1];
	size_t i;

	EDGE("0", TAKE, 1);
	EDGE("-0", TAKE, 1);
	EDGE("+0", TAKE, 1);
	EDGE("0.0e0", TAKE, 1);
	EDGE("-0.000e-99999999999", TAKE, 1);
	EDGE("0e999999999999999999999999", TAKE, 1);
	CHECK(value("0") == 0 && !signbit(value("0")));
	CHECK(value("-0") == 0 && signbit(value("-0")));
	CHECK(signbit(value("-0.0e5")) && signbit(value("-.0")));
	EDGE("1", TAKE, 1);
	EDGE("-1.5", TAKE, 1);
	EDGE("0.1", TAKE, 1);
	EDGE(".5", TAKE, 1);
	EDGE("5.", TAKE, 1);
	EDGE("-.5e-1", TAKE, 1);
	EDGE("1E5", TAKE, 1);
	EDGE("1e+5", TAKE, 1);
	EDGE("1e0000000000000000000000000000000000000005", TAKE, 1);
	EDGE("00000000000000000000000000001", TAKE, 1);
	CHECK(value("0.1") == 0.1 && value(".5") == 0.5 && value("5.") == 5);

	/* 2^53 is the largest mantissa taken; 2^53 + 1 is no double. */
	EDGE("9007199254740992", TAKE, 1);
	EDGE("9007199254740993", DECLINE, 1);
	EDGE("-9007199254740993", DECLINE, 1);
	CHECK(value("9007199254740993") == 9007199254740992.0);
	EDGE("90071992547409.93", DECLINE, 1);
	EDGE("123456789012345678e-5", DECLINE, 1);

	/* 10^22 is the last exact power of ten. */
	EDGE("1e22", TAKE, 1);
	EDGE("1e-22", TAKE, 1);
	EDGE("-9007199254740992e-22", TAKE, 1);
	EDGE("10000000000000000000000", TAKE, 1);	/* 1e22 */
	EDGE("1e23", DECLINE, 1);
	EDGE("1e-23", DECLINE, 1);
	EDGE("100000000000000000000000", DECLINE, 1);	/* 1e23 */
	CHECK(value("1e23") == 1e23 && value("1e22") == 1e22);

	/* Trailing zeros are no digits of the mantissa. */
	EDGE("1.50000000000000000000000000", TAKE, 1);
	EDGE("1234567890123456789", DECLINE, 1);
	EDGE("1000000000000000000000e-10", TAKE, 1);
	EDGE("123456789012345678901234", DECLINE, 1);
	EDGE("0.00000000000000000000000000000000000000000000000000000001",
	    DECLINE, 1);

	/* Subnormal, underflow to zero (read as 0, as strtod does) and
	 * overflow (rejected: not finite). */
	EDGE("4.9e-324", DECLINE, 1);
	CHECK(value("4.9e-324") == 0x1p-1074);
	EDGE("2.2250738585072011e-308", DECLINE, 1);
	EDGE("1e-400", DECLINE, 1);
	CHECK(value("1e-400") == 0 && value("-1e-400") == 0 &&
	    signbit(value("-1e-400")));
	EDGE("1e400", DECLINE, 0);
	EDGE("-1e400", DECLINE, 0);
	EDGE("1.7976931348623157e308", DECLINE, 1);
	EDGE("1.7976931348623159e308", DECLINE, 0);

	/* Not numbers, or not wholly. */
	EDGE("", DECLINE, 0);
	EDGE("1e", DECLINE, 0);
	EDGE("1e+", DECLINE, 0);
	EDGE("1e-", DECLINE, 0);
	EDGE("e5", DECLINE, 0);
	EDGE("+", DECLINE, 0);
	EDGE("-", DECLINE, 0);
	EDGE(".", DECLINE, 0);
	EDGE("-.", DECLINE, 0);
	EDGE(".e1", DECLINE, 0);
	EDGE("+-1", DECLINE, 0);
	EDGE("--1", DECLINE, 0);
	EDGE("1.2.3", DECLINE, 0);
	EDGE("1e5.0", DECLINE, 0);
	EDGE("1e5e5", DECLINE, 0);
	EDGE("1-", DECLINE, 0);
	EDGE("0x1p3", DECLINE, 0);
	EDGE("0x10", DECLINE, 0);
	EDGE("inf", DECLINE, 0);
	EDGE("-Infinity", DECLINE, 0);
	EDGE("nan", DECLINE, 0);
	EDGE(" 1", DECLINE, 0);
	EDGE("1 ", DECLINE, 0);
	EDGE("1,5", DECLINE, 0);
	EDGE("1d5", DECLINE, 0);
	EDGE_LEN("1\0", 2, DECLINE, 0);
	EDGE_LEN("1\0" "5", 3, DECLINE, 0);

	/* Long cells: digits beyond any fast path, and long zero runs. */
	for (i = 0; i < CELL_MAX; i++)
		longc[i] = (char)('1' + i % 9);
	longc[CELL_MAX] = '\0';
	longc[100] = '.';
	EDGE(longc, DECLINE, 1);
	longc[100] = 'e';
	EDGE(longc, DECLINE, 0);
	longc[0] = '0';
	longc[1] = '.';
	for (i = 2; i < CELL_MAX - 1; i++)
		longc[i] = '0';
	longc[CELL_MAX - 1] = '7';
	EDGE(longc, DECLINE, 1);
	CHECK(value(longc) == 0);	/* 7e-2047 underflows */
	for (i = 0; i < CELL_MAX; i++)
		longc[i] = i == 0 ? '1' : '0';
	EDGE(longc, DECLINE, 0);	/* 1e2047 overflows */

	/* The fast path reads cells of up to 64 bytes. */
	memset(longc, '0', 64);
	memcpy(longc + 61, "1.5", 4);
	EDGE(longc, TAKE, 1);
	CHECK(value(longc) == 1.5);
	memset(longc, '0', 65);
	memcpy(longc + 62, "1.5", 4);
	EDGE(longc, DECLINE, 1);
}

int
main(void)
{
	unit_run("edges", test_edges);
	unit_run("random", test_random);
	return unit_done("test_number");
}
