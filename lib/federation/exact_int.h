/*
 * exact_int.h: the exact, order-free accumulator of the mean strategies
 * (lib/federation/exact.c), for lib/federation/aggregate.c, partial.c and
 * tests.  fl-aggregate(1) and fl-archive(5) ("partial") describe the
 * numbers it keeps.
 */
#ifndef FL_EXACT_INT_H
#define FL_EXACT_INT_H

#include <stddef.h>
#include <stdint.h>

#include "federation/federation.h"

/*
 * Each term x (a weighted delta, a double) is first rounded, on its own,
 * to the nearest multiple of 2^-FL_XACC_BITS; the multiples are then
 * summed as integers, exactly.  Integer addition is associative, so the
 * sum is one number whatever the order or grouping of the terms: a tree
 * of partial sums gives the flat sum bit for bit.  A sum is kept as a
 * 128-bit integer: its low 64 bits in one int64 per coordinate (lo,
 * read as signed), and the rest (hi, so that the value is lo + hi 2^64)
 * in blocks of FL_XACC_BLOCK coordinates allocated only where a sum
 * leaves the int64 range, which with 2^-40 means |sum| >= 2^23.  So the
 * memory is 8 bytes per coordinate while the sums stay small, and up to
 * 16 where they do not.
 */
#define FL_XACC_BITS	40
#define FL_XACC_BLOCK	4096
/* The largest |x| of one term: 2^62 (with 2^40 that keeps every term
 * under 2^102, and any sum of fewer than 2^25 of them under 2^127). */
#define FL_XACC_MAX_TERM	4611686018427387904.0

struct fl_xacc;

/* A zero sum of n coordinates.  Errors: FL_ENOMEM. */
int	fl_xacc_new(struct fl_xacc **x, size_t n, struct fl_err *err);
void	fl_xacc_free(struct fl_xacc *x);
size_t	fl_xacc_len(const struct fl_xacc *x);
/* Every coordinate back to zero (high words kept allocated). */
void	fl_xacc_zero(struct fl_xacc *x);
/* Add w * v[i] to coordinate off + i, for i < len (w * v[i] rounded to a
 * double, then to the grid).  Errors: FL_ENUM (a term not finite or over
 * FL_XACC_MAX_TERM; *bad gets its index i), FL_ENOMEM. */
int	fl_xacc_add(struct fl_xacc *x, size_t off, const float *v, size_t len,
	    double w, size_t *bad, struct fl_err *err);
/* Add v[i] (doubles, weighted already) to coordinate off + i, for i <
 * len: a masked round's dequantised sum (secagg.c).  Errors: as
 * fl_xacc_add. */
int	fl_xacc_add_f64(struct fl_xacc *x, size_t off, const double *v,
	    size_t len, struct fl_err *err);
/* Add the sum given as lo (len) and hi (len, or NULL for zeros) to
 * coordinates off .. off + len - 1.  Errors: FL_ENUM (the sum would leave
 * 127 bits), FL_ENOMEM. */
int	fl_xacc_add_raw(struct fl_xacc *x, size_t off, const int64_t *lo,
	    const int64_t *hi, size_t len, struct fl_err *err);
/* Coordinate i as a double: the exact sum times 2^-FL_XACC_BITS, rounded
 * once. */
double	fl_xacc_get(const struct fl_xacc *x, size_t i);
/* The low words (n), and whether any coordinate has a high word. */
const int64_t *fl_xacc_lo(const struct fl_xacc *x);
int	fl_xacc_has_hi(const struct fl_xacc *x);
/* The high words into hi (n, the caller's), zeros where none. */
void	fl_xacc_hi(const struct fl_xacc *x, int64_t *hi);

/*
 * Streaming (aggregate.c, partial.c): fl_xacc_add_f32le adds w * v[i] for
 * the n little-endian F32 values at p (unaligned) to coordinates off + i,
 * as fl_xacc_add, except that a value not finite is skipped, its index
 * i put in *nf unless *nf holds one already ((size_t)-1: none).  Errors
 * as fl_xacc_add (*bad).  fl_xacc_add_hi adds hi[i] * 2^64 (the high
 * words of a partial's sum, whose low words came through
 * fl_xacc_add_raw) to coordinate off + i.  Errors: FL_ENUM, FL_ENOMEM.
 */
int	fl_xacc_add_f32le(struct fl_xacc *x, size_t off, const void *p,
	    size_t n, double w, size_t *nf, size_t *bad, struct fl_err *err);
int	fl_xacc_add_hi(struct fl_xacc *x, size_t off, const int64_t *hi,
	    size_t len, struct fl_err *err);
/* The first index i < n whose F32 at p (unaligned) is not finite, or n. */
size_t	fl_f32_first_nonfinite(const void *p, size_t n);
/* Coordinates off .. off + len - 1 as fl_xacc_get gives them. */
void	fl_xacc_get_range(const struct fl_xacc *x, size_t off, size_t len,
	    double *out);
/*
 * The memory of the low words (n + 1 int64s), for the caller to reuse
 * in place and free: the sum's result is written over the words already
 * read (fl-aggregate writes coordinate i's float at byte 4 i, after
 * reading words 0 .. i), so that the model needs no buffer beside the
 * sum.  It is cut to bytes when that is less.  x keeps only its high
 * words: fl_xacc_get and the rest must not be called after, but
 * fl_xacc_free.
 */
void	*fl_xacc_take(struct fl_xacc *x, size_t bytes);
/* The low words' memory, to write over in place before fl_xacc_take. */
void	*fl_xacc_mem(struct fl_xacc *x);
/* calloc(n, size), for a buffer of a model's size: aligned to and
 * advised for huge pages, whose first touch is cheap. */
void	*fl_xacc_big(size_t n, size_t size);

#endif
