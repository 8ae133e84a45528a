/*
 * levels.c: the distinct values of each column of a CSV (its levels, for
 * fl-init --categorical), with a count per level.  A level is the text of
 * a cell exactly as written in the CSV (so 3 and 3.0 differ); a column
 * with more than FL_MAX_LEVELS levels, or a level longer than
 * FL_MAX_LEVEL_LEN bytes, keeps none and is marked as having too many.
 * The levels of a column are kept sorted, so that merging sites in any
 * order gives the same result: levels that read as numbers first, in
 * numeric order (as R orders the levels of factor(x) for a numeric x),
 * ties such as 3 and 3.0 and the other levels in byte order.
 */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "stats/stats.h"
#include "stats/levels_int.h"

/* The number level (p, n) reads as, or 0 when it is not a finite one. */
static int
lv_num(const char *p, size_t n, double *v)
{
	char buf[FL_MAX_LEVEL_LEN + 1], *end;

	if (n == 0 || n > FL_MAX_LEVEL_LEN)
		return 0;
	memcpy(buf, p, n);
	buf[n] = '\0';
	*v = strtod(buf, &end);
	return *end == '\0' && isfinite(*v);
}

/* Compare level i of l with (p, n), which reads as number y when pn. */
static int
lv_cmp(const struct fl_levels *l, size_t i, const char *p, size_t n,
    int pn, double y)
{
	size_t an;
	int c;

	if (l->isnum[i] != pn)
		return l->isnum[i] ? -1 : 1;
	if (pn && l->num[i] != y)
		return l->num[i] < y ? -1 : 1;
	an = strlen(l->v[i]);
	c = memcmp(l->v[i], p, an < n ? an : n);
	if (c == 0)
		c = an < n ? -1 : an > n ? 1 : 0;
	return c;
}

/* Index of level (p, n), which reads as number y when pn, in l, or
 * -(insertion point) - 1. */
static long
lv_search(const struct fl_levels *l, const char *p, size_t n, int pn,
    double y)
{
	size_t lo = 0, hi = l->n, mid;
	int c;

	while (lo < hi) {
		mid = lo + (hi - lo) / 2;
		c = lv_cmp(l, mid, p, n, pn, y);
		if (c == 0)
			return (long)mid;
		if (c < 0)
			lo = mid + 1;
		else
			hi = mid;
	}
	return -(long)lo - 1;
}

void
fl_levels_clear(struct fl_levels *l)
{
	size_t i;

	for (i = 0; i < l->n; i++)
		free(l->v[i]);
	l->n = 0;
}

/* Give up on l: too many levels. */
static void
lv_over(struct fl_levels *l)
{
	fl_levels_clear(l);
	l->over = 1;
}

int
fl_levels_add(struct fl_levels *l, const char *p, size_t n, double count,
    struct fl_err *err)
{
	double y = 0;

	if (l->over)
		return 0;
	if (!lv_num(p, n, &y))
		y = NAN;
	return fl_levels_add_num(l, p, n, y, count, err);
}

int
fl_levels_add_num(struct fl_levels *l, const char *p, size_t n, double y,
    double count, struct fl_err *err)
{
	long i;
	size_t at, m;
	char *v;
	int pn = isfinite(y);

	if (l->over)
		return 0;
	if (n > FL_MAX_LEVEL_LEN || memchr(p, '\0', n) != NULL) {
		lv_over(l);
		return 0;
	}
	if ((i = lv_search(l, p, n, pn, y)) >= 0) {
		l->cnt[i] += count;
		return 0;
	}
	if (l->n == FL_MAX_LEVELS) {
		lv_over(l);
		return 0;
	}
	at = (size_t)(-i - 1);
	if ((v = malloc(n + 1)) == NULL)
		return fl_err_set(err, FL_ENOMEM, "out of memory");
	memcpy(v, p, n);
	v[n] = '\0';
	memmove(&l->v[at + 1], &l->v[at], (l->n - at) * sizeof(l->v[0]));
	m = l->n - at;
	memmove(&l->cnt[at + 1], &l->cnt[at], m * sizeof(l->cnt[0]));
	memmove(&l->num[at + 1], &l->num[at], m * sizeof(l->num[0]));
	memmove(&l->isnum[at + 1], &l->isnum[at], m * sizeof(l->isnum[0]));
	l->v[at] = v;
	l->cnt[at] = count;
	l->num[at] = pn ? y : 0;
	l->isnum[at] = (char)pn;
	l->n++;
	return 0;
}

int
fl_levels_merge(struct fl_levels *dst, const struct fl_levels *src,
    struct fl_err *err)
{
	size_t i;
	int rc;

	if (src->over) {
		lv_over(dst);
		return 0;
	}
	for (i = 0; i < src->n; i++)
		if ((rc = fl_levels_add(dst, src->v[i], strlen(src->v[i]),
		    src->cnt[i], err)) < 0)
			return rc;
	return 0;
}

double
fl_levels_suppress(struct fl_levels *l, double k)
{
	size_t i, m = 0;
	double gone = 0;

	for (i = 0; i < l->n; i++) {
		if (l->cnt[i] < k) {
			free(l->v[i]);
			gone++;
			continue;
		}
		l->v[m] = l->v[i];
		l->num[m] = l->num[i];
		l->isnum[m] = l->isnum[i];
		l->cnt[m++] = l->cnt[i];
	}
	l->n = m;
	return gone;
}

json_t *
fl_levels_to_json(const struct fl_levels *l)
{
	json_t *o, *v, *c;
	size_t i;

	if (l->over)
		return json_null();
	o = json_object();
	v = json_array();
	c = json_array();
	if (o == NULL || v == NULL || c == NULL)
		goto fail;
	for (i = 0; i < l->n; i++)
		if (json_array_append_new(v, json_string(l->v[i])) < 0 ||
		    json_array_append_new(c,
		    json_integer((json_int_t)l->cnt[i])) < 0)
			goto fail;
	if (json_object_set_new(o, "values", v) < 0) {
		v = NULL;
		goto fail;
	}
	v = NULL;
	if (json_object_set_new(o, "counts", c) < 0) {
		c = NULL;
		goto fail;
	}
	return o;
fail:
	json_decref(o);
	json_decref(v);
	json_decref(c);
	return NULL;
}

int
fl_levels_from_json(struct fl_levels *l, const json_t *j, struct fl_err *err)
{
	const json_t *v, *c, *x;
	const char *p;
	size_t i, n;
	double k, y;
	int rc, pn;

	fl_levels_clear(l);
	l->over = 0;
	if (json_is_null(j)) {
		l->over = 1;
		return 0;
	}
	v = json_object_get(j, "values");
	c = json_object_get(j, "counts");
	if (!json_is_object(j) || !json_is_array(v) || !json_is_array(c) ||
	    json_array_size(v) != json_array_size(c) ||
	    json_array_size(v) > FL_MAX_LEVELS)
		return fl_err_set(err, FL_EFORMAT, "not null or values and "
		    "counts of the same length (at most %d)", FL_MAX_LEVELS);
	n = json_array_size(v);
	for (i = 0; i < n; i++) {
		x = json_array_get(v, i);
		if (!json_is_string(x) || json_string_length(x) == 0 ||
		    json_string_length(x) > FL_MAX_LEVEL_LEN ||
		    strlen(json_string_value(x)) != json_string_length(x))
			return fl_err_set(err, FL_EFORMAT, "value %zu is not "
			    "a level", i);
		k = json_number_value(json_array_get(c, i));
		if (!json_is_number(json_array_get(c, i)) || !(k >= 1) ||
		    !isfinite(k) || k != floor(k))
			return fl_err_set(err, FL_EFORMAT, "count %zu is not "
			    "a positive count", i);
		p = json_string_value(x);
		pn = lv_num(p, strlen(p), &y);
		if (lv_search(l, p, strlen(p), pn, y) >= 0)
			return fl_err_set(err, FL_EFORMAT, "value %zu is a "
			    "duplicate", i);
		if ((rc = fl_levels_add(l, p, strlen(p), k, err)) < 0)
			return rc;
	}
	return 0;
}
