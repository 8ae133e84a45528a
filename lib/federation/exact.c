/*
 * exact.c: sums of weighted deltas that do not depend on the order or the
 * grouping of their terms (see exact_int.h), so that an aggregation tree
 * of partial sums (lib/federation/partial.c) and the flat aggregation
 * (lib/federation/aggregate.c) give the same model, byte for byte.
 * Double addition is not associative; integer addition is.
 */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "exact_int.h"

struct fl_xacc {
	size_t		 n;
	int64_t		*lo;		/* (n) low 64 bits, signed */
	int64_t		**hi;		/* (nblocks) NULL, or FL_XACC_BLOCK */
	size_t		 nblocks;
	int		 any_hi;
};

__extension__ typedef __int128 i128;

#define TWO62	4611686018427387904.0	/* 2^62 */

void *
fl_xacc_big(size_t n, size_t size)
{
	void *p;

	/* calloc touches nothing of a buffer this large (it maps zero
	 * pages), so a model-sized sum costs memory as updates fill it. */
	if ((p = calloc(n, size)) != NULL && size != 0 &&
	    n <= (size_t)-1 / size)
		fl_mem_huge(p, n * size);
	return p;
}

int
fl_xacc_new(struct fl_xacc **xp, size_t n, struct fl_err *err)
{
	struct fl_xacc *x;

	*xp = NULL;
	if ((x = calloc(1, sizeof(*x))) == NULL)
		return fl_err_set(err, FL_ENOMEM, "out of memory");
	x->n = n;
	x->nblocks = (n + FL_XACC_BLOCK - 1) / FL_XACC_BLOCK;
	if ((x->lo = fl_xacc_big(n + 1, sizeof(int64_t))) == NULL ||
	    (x->hi = calloc(x->nblocks + 1, sizeof(int64_t *))) == NULL) {
		fl_xacc_free(x);
		return fl_err_set(err, FL_ENOMEM, "out of memory");
	}
	*xp = x;
	return 0;
}

void
fl_xacc_free(struct fl_xacc *x)
{
	size_t b;

	if (x == NULL)
		return;
	for (b = 0; x->hi != NULL && b < x->nblocks; b++)
		free(x->hi[b]);
	free(x->hi);
	free(x->lo);
	free(x);
}

size_t
fl_xacc_len(const struct fl_xacc *x)
{
	return x->n;
}

/* The high word of coordinate i, allocating its block. */
static int64_t *
hi_at(struct fl_xacc *x, size_t i)
{
	size_t b = i / FL_XACC_BLOCK;

	if (x->hi[b] == NULL &&
	    (x->hi[b] = calloc(FL_XACC_BLOCK, sizeof(int64_t))) == NULL)
		return NULL;
	x->any_hi = 1;
	return &x->hi[b][i % FL_XACC_BLOCK];
}

/* Add t to coordinate i, exactly: the carry out of lo goes to hi. */
static int
add128(struct fl_xacc *x, size_t i, i128 t, struct fl_err *err)
{
	i128 s = (i128)x->lo[i] + t, carry;
	int64_t nl, *h;

	nl = (int64_t)(uint64_t)s;
	carry = (s - (i128)nl) / ((i128)1 << 64);
	x->lo[i] = nl;
	if (carry == 0)
		return 0;
	if ((h = hi_at(x, i)) == NULL)
		return fl_err_set(err, FL_ENOMEM, "out of memory");
	if (carry > INT64_MAX || carry < INT64_MIN ||
	    __builtin_add_overflow(*h, (int64_t)carry, h) ||
	    *h > ((int64_t)1 << 62) || *h < -((int64_t)1 << 62))
		return fl_err_set(err, FL_ENUM, "weighted sum out of range at "
		    "parameter %zu", i);
	return 0;
}

/* Add the term t (a double) to coordinate k: round t to the grid, then
 * add it as an integer.  Errors: FL_ENUM, FL_ENOMEM. */
static int
add_term(struct fl_xacc *x, size_t k, double t, struct fl_err *err)
{
	const double scale = 1099511627776.0;	/* 2^FL_XACC_BITS */
	int64_t q, r;

	if (!(fabs(t) <= FL_XACC_MAX_TERM))
		return fl_err_set(err, FL_ENUM, "weighted delta %g at "
		    "parameter %zu is %s", t, k, isfinite(t) ?
		    "over the limit of 2^62" : "not finite");
	/* t * scale is exact (a power of two); then to the nearest
	 * integer, ties to even: below 2^51 by adding and taking
	 * away 1.5 * 2^52, which leaves no fraction. */
	t *= scale;
	if (fabs(t) < 2251799813685248.0)
		t = (t + 6755399441055744.0) - 6755399441055744.0;
	else
		t = nearbyint(t);
	/* The common case: the rounded term and the sum fit 63 bits. */
	if (fabs(t) < TWO62) {
		q = (int64_t)t;
		if (!__builtin_add_overflow(x->lo[k], q, &r)) {
			x->lo[k] = r;
			return 0;
		}
	}
	return add128(x, k, (i128)t, err);
}

void
fl_xacc_zero(struct fl_xacc *x)
{
	size_t b;

	memset(x->lo, 0, x->n * sizeof(*x->lo));
	for (b = 0; b < x->nblocks; b++)
		if (x->hi[b] != NULL)
			memset(x->hi[b], 0, FL_XACC_BLOCK * sizeof(int64_t));
	x->any_hi = 0;
}

int
fl_xacc_add(struct fl_xacc *x, size_t off, const float *v, size_t len,
    double w, size_t *bad, struct fl_err *err)
{
	size_t i;
	int rc;

	for (i = 0; i < len; i++)
		if ((rc = add_term(x, off + i, w * v[i], err)) < 0) {
			*bad = i;
			return rc;
		}
	return 0;
}

int
fl_xacc_add_f64(struct fl_xacc *x, size_t off, const double *v, size_t len,
    struct fl_err *err)
{
	size_t i;
	int rc;

	for (i = 0; i < len; i++)
		if ((rc = add_term(x, off + i, v[i], err)) < 0)
			return rc;
	return 0;
}

int
fl_xacc_add_raw(struct fl_xacc *x, size_t off, const int64_t *lo,
    const int64_t *hi, size_t len, struct fl_err *err)
{
	int64_t r;
	size_t i;
	int rc;

	for (i = 0; i < len; i++) {
		if (hi == NULL || hi[i] == 0) {
			if (!__builtin_add_overflow(x->lo[off + i], lo[i], &r)) {
				x->lo[off + i] = r;
				continue;
			}
		}
		if (hi != NULL && (hi[i] > ((int64_t)1 << 62) ||
		    hi[i] < -((int64_t)1 << 62)))
			return fl_err_set(err, FL_ENUM, "weighted sum out of "
			    "range at parameter %zu", off + i);
		if ((rc = add128(x, off + i, (i128)lo[i] +
		    (hi != NULL ? (i128)hi[i] * ((i128)1 << 64) : 0),
		    err)) < 0)
			return rc;
	}
	return 0;
}

double
fl_xacc_get(const struct fl_xacc *x, size_t i)
{
	const int64_t *h = x->hi[i / FL_XACC_BLOCK];
	i128 s = x->lo[i];

	if (h != NULL)
		s += (i128)h[i % FL_XACC_BLOCK] * ((i128)1 << 64);
	/* One rounding, to nearest: the conversion; ldexp is exact. */
	return ldexp((double)s, -FL_XACC_BITS);
}

const int64_t *
fl_xacc_lo(const struct fl_xacc *x)
{
	return x->lo;
}

int
fl_xacc_has_hi(const struct fl_xacc *x)
{
	return x->any_hi;
}

void
fl_xacc_hi(const struct fl_xacc *x, int64_t *hi)
{
	size_t b, k;

	for (b = 0; b < x->nblocks; b++) {
		k = b + 1 < x->nblocks ? FL_XACC_BLOCK :
		    x->n - b * FL_XACC_BLOCK;
		if (x->hi[b] != NULL)
			memcpy(hi + b * FL_XACC_BLOCK, x->hi[b],
			    k * sizeof(int64_t));
		else
			memset(hi + b * FL_XACC_BLOCK, 0, k * sizeof(int64_t));
	}
}

/* The first index i < n whose F32 at p (unaligned) is not finite, or n. */
size_t
fl_f32_first_nonfinite(const void *p, size_t n)
{
	const unsigned char *b = p;
	uint32_t u;
	size_t i;

	for (i = 0; i < n; i++) {
		memcpy(&u, b + 4 * i, 4);
		if ((u & 0x7f800000u) == 0x7f800000u)
			return i;
	}
	return n;
}

/*
 * The fast path of fl_xacc_add_f32le: when every term of p[0..n) is
 * finite and under 2^51 grid units (so that the rounding below is
 * add_term's) and no sum leaves int64, the chunk is added in one pass
 * and 1 returned.  Else its additions are taken back, exactly (wrapping
 * addition is a group), and 0 returned for add_term to redo them.  The
 * rounding adds 1.5 * 2^52, so that the double's low mantissa bits are
 * the rounded term.
 */
static int
add_fast(struct fl_xacc *x, size_t off, const unsigned char *p, size_t n,
    double w)
{
	const double scale = 1099511627776.0, big = 6755399441055744.0;
	const double lim = 2251799813685248.0;		/* 2^51 */
	int64_t *lo = x->lo + off, q, s, ovf = 0;
	uint64_t ub, uc;
	double t, r;
	size_t i;
	float v;
	int out = 0;

	memcpy(&uc, &big, 8);
	for (i = 0; i < n; i++) {
		memcpy(&v, p + 4 * i, 4);
		t = w * (double)v * scale;
		out |= !(fabs(t) < lim);	/* NaN too */
		r = t + big;
		memcpy(&ub, &r, 8);
		q = (int64_t)(ub - uc);
		s = (int64_t)((uint64_t)lo[i] + (uint64_t)q);
		ovf |= (lo[i] ^ s) & (q ^ s);
		lo[i] = s;
	}
	if (!out && ovf >= 0)
		return 1;
	for (i = 0; i < n; i++) {
		memcpy(&v, p + 4 * i, 4);
		t = w * (double)v * scale;
		r = t + big;
		memcpy(&ub, &r, 8);
		q = (int64_t)(ub - uc);
		lo[i] = (int64_t)((uint64_t)lo[i] - (uint64_t)q);
	}
	return 0;
}

int
fl_xacc_add_f32le(struct fl_xacc *x, size_t off, const void *p, size_t n,
    double w, size_t *nf, size_t *bad, struct fl_err *err)
{
	const unsigned char *b = p;
	size_t i, k;
	float v;
	int rc;

	for (i = 0; i < n; i += k) {
		k = n - i < 1024 ? n - i : 1024;
		if (add_fast(x, off + i, b + 4 * i, k, w))
			continue;
		/* The slow path, term by term, as fl_xacc_add. */
		for (k = 0; i + k < n && k < 1024; k++) {
			memcpy(&v, b + 4 * (i + k), 4);
			if (!isfinite(v)) {
				if (*nf == (size_t)-1)
					*nf = i + k;
				continue;
			}
			if ((rc = add_term(x, off + i + k, w * v, err)) < 0) {
				*bad = i + k;
				return rc;
			}
		}
	}
	return 0;
}

int
fl_xacc_add_hi(struct fl_xacc *x, size_t off, const int64_t *hi,
    size_t len, struct fl_err *err)
{
	size_t i;
	int rc;

	for (i = 0; i < len; i++) {
		if (hi[i] == 0)
			continue;
		if (hi[i] > ((int64_t)1 << 62) || hi[i] < -((int64_t)1 << 62))
			return fl_err_set(err, FL_ENUM, "weighted sum out of "
			    "range at parameter %zu", off + i);
		if ((rc = add128(x, off + i, (i128)hi[i] * ((i128)1 << 64),
		    err)) < 0)
			return rc;
	}
	return 0;
}

void
fl_xacc_get_range(const struct fl_xacc *x, size_t off, size_t len,
    double *out)
{
	const int64_t *h;
	size_t i, b;

	for (i = 0; i < len; i++) {
		b = (off + i) / FL_XACC_BLOCK;
		h = x->hi[b];
		/* 2^-40 times a double of an integer is exact (no result
		 * is subnormal): ldexp's value, without its call. */
		out[i] = h == NULL ? (double)x->lo[off + i] *
		    9.094947017729282379150390625e-13 : fl_xacc_get(x, off + i);
	}
}

void *
fl_xacc_mem(struct fl_xacc *x)
{
	return x->lo;
}

void *
fl_xacc_take(struct fl_xacc *x, size_t bytes)
{
	void *p = x->lo, *q;

	x->lo = NULL;
	if (bytes < (x->n + 1) * sizeof(int64_t) &&
	    (q = realloc(p, bytes > 0 ? bytes : 1)) != NULL)
		p = q;
	return p;
}
