/*
 * stats.c: per-column sufficient statistics of a CSV file (count, missing,
 * sum, sum of squares, min, max), which add up across sites without any
 * row leaving one.  fl-stats computes and prints them, fl-aggregate merges
 * them; the archive form is described in man/fl-archive.5.
 */
#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "stats/stats.h"
#include "stats/levels_int.h"

/* The six per-column quantities, in archive order. */
enum { ST_COUNT, ST_MISSING, ST_SUM, ST_SUMSQ, ST_MIN, ST_MAX, ST_N };
static const char *const st_names[ST_N] = {
	"count", "missing", "sum", "sumsq", "min", "max"
};

struct fl_stats {
	size_t	  ncols, cap;
	size_t	  rows;
	char	**names;	/* ncols owned strings */
	double	 *v[ST_N];	/* ncols each */
	struct fl_levels *lv;	/* cap: each column's levels, where
				 * recorded (--categorical) */
	/* Clinical summary (issue 5): histograms on a common grid, a
	 * Kaplan-Meier table, and what was done to protect them. */
	size_t	  bins;		/* 0: no histograms */
	double	 *lo, *hi;	/* ncols: each column's grid */
	double	 *hist;		/* (ncols, bins) counts */
	char	 *km_time, *km_event;	/* NULL: no KM table */
	size_t	  km_n;
	double	 *km;		/* (km_n, 3): time, events, censored */
	double	  min_count;	/* 0: none */
	double	  epsilon;	/* 0: no noise */
	double	  suppressed;	/* cells suppressed by min_count */
};

/* Make room for cap columns. */
static int
stats_reserve(struct fl_stats *s, size_t cap, struct fl_err *err)
{
	size_t bytes, k;
	void *p;

	if (cap <= s->cap)
		return 0;
	if (fl_size_mul(cap, sizeof(double), &bytes) < 0)
		return fl_err_set(err, FL_ENOMEM, "out of memory");
	if ((p = realloc(s->names, cap * sizeof(*s->names))) == NULL)
		return fl_err_set(err, FL_ENOMEM, "out of memory");
	s->names = p;
	if ((p = realloc(s->lv, cap * sizeof(*s->lv))) == NULL)
		return fl_err_set(err, FL_ENOMEM, "out of memory");
	s->lv = p;
	memset(&s->lv[s->cap], 0, (cap - s->cap) * sizeof(*s->lv));
	for (k = 0; k < ST_N; k++) {
		if ((p = realloc(s->v[k], bytes)) == NULL)
			return fl_err_set(err, FL_ENOMEM, "out of memory");
		s->v[k] = p;
	}
	s->cap = cap;
	return 0;
}

/* Append an empty column named name (copied). */
static int
stats_add_col(struct fl_stats *s, const char *name, struct fl_err *err)
{
	size_t j = s->ncols;
	int rc;

	if (s->ncols == s->cap &&
	    (rc = stats_reserve(s, s->cap < 8 ? 8 : s->cap * 2, err)) < 0)
		return rc;
	if ((s->names[j] = strdup(name)) == NULL)
		return fl_err_set(err, FL_ENOMEM, "out of memory");
	s->v[ST_COUNT][j] = 0;
	s->v[ST_MISSING][j] = 0;
	s->v[ST_SUM][j] = 0;
	s->v[ST_SUMSQ][j] = 0;
	s->v[ST_MIN][j] = INFINITY;
	s->v[ST_MAX][j] = -INFINITY;
	memset(&s->lv[j], 0, sizeof(s->lv[j]));
	s->ncols++;
	return 0;
}

static struct fl_stats *
stats_new(void)
{
	return calloc(1, sizeof(struct fl_stats));
}

void
fl_stats_free(struct fl_stats *s)
{
	size_t j, k;

	if (s == NULL)
		return;
	for (j = 0; j < s->ncols; j++) {
		free(s->names[j]);
		fl_levels_clear(&s->lv[j]);
	}
	free(s->names);
	free(s->lv);
	for (k = 0; k < ST_N; k++)
		free(s->v[k]);
	free(s->lo);
	free(s->hi);
	free(s->hist);
	free(s->km_time);
	free(s->km_event);
	free(s->km);
	free(s);
}

int
fl_stats_from_csv(struct fl_stats **sp, const char *path, struct fl_err *err)
{
	return fl_stats_from_csv_opts(sp, path, NULL, err);
}

/* The bin of x on [lo, hi] with bins bins; outside values are clamped to
 * the end bins. */
static size_t
grid_bin(double x, double lo, double hi, size_t bins)
{
	double b;

	if (!(hi > lo))
		return 0;
	b = floor((x - lo) / (hi - lo) * (double)bins);
	if (!(b > 0))
		return 0;
	return b >= (double)bins ? bins - 1 : (size_t)b;
}

/* A KM observation: time and whether it was an event. */
struct obs {
	double	t;
	int	ev;
};

static int
cmp_obs(const void *a, const void *b)
{
	double x = ((const struct obs *)a)->t, y = ((const struct obs *)b)->t;

	return (x > y) - (x < y);
}

/* Build s's KM table from n observations (sorted here). */
static int
km_build(struct fl_stats *s, struct obs *o, size_t n, struct fl_err *err)
{
	size_t i, m = 0;

	qsort(o, n, sizeof(*o), cmp_obs);
	if (n > 0 && (s->km = calloc(n, 3 * sizeof(double))) == NULL)
		return fl_err_set(err, FL_ENOMEM, "out of memory");
	for (i = 0; i < n; i++) {
		if (m == 0 || s->km[(m - 1) * 3] != o[i].t) {
			s->km[m * 3] = o[i].t;
			m++;
		}
		s->km[(m - 1) * 3 + (o[i].ev ? 1 : 2)] += 1;
	}
	s->km_n = m;
	return 0;
}

/*
 * Suppression: histogram cells holding 1..K-1 patients become 0; a column
 * with fewer than K values is reported as all missing; KM rows are
 * grouped, from the earliest, until each group holds at least K patients
 * (events plus censored), and a group is reported at its last time (a
 * remainder short of K joins the group before it, or, with none, the
 * table is emptied).
 */
static void
suppress(struct fl_stats *s, double k)
{
	size_t j, b, i, m = 0;
	double *c, d = 0, cz = 0;

	s->min_count = k;
	for (j = 0; j < s->ncols; j++) {
		if (s->v[ST_COUNT][j] > 0 && s->v[ST_COUNT][j] < k) {
			s->v[ST_MISSING][j] += s->v[ST_COUNT][j];
			s->v[ST_COUNT][j] = s->v[ST_SUM][j] = 0;
			s->v[ST_SUMSQ][j] = 0;
			s->v[ST_MIN][j] = INFINITY;
			s->v[ST_MAX][j] = -INFINITY;
			s->suppressed++;
		}
		s->suppressed += fl_levels_suppress(&s->lv[j], k);
		for (b = 0; s->hist != NULL && b < s->bins; b++) {
			c = &s->hist[j * s->bins + b];
			if (*c > 0 && *c < k) {
				*c = 0;
				s->suppressed++;
			}
		}
	}
	for (i = 0; i < s->km_n; i++) {
		d += s->km[i * 3 + 1];
		cz += s->km[i * 3 + 2];
		if (d + cz >= k || i + 1 == s->km_n) {
			if (d + cz < k && m > 0) {	/* join the last group */
				s->km[(m - 1) * 3] = s->km[i * 3];
				s->km[(m - 1) * 3 + 1] += d;
				s->km[(m - 1) * 3 + 2] += cz;
			} else if (d + cz >= k) {
				s->km[m * 3] = s->km[i * 3];
				s->km[m * 3 + 1] = d;
				s->km[m * 3 + 2] = cz;
				m++;
			}
			d = cz = 0;
		}
	}
	if (s->km != NULL)
		s->suppressed += (double)(s->km_n - m);
	s->km_n = m;
}

/* Add Laplace noise of scale b from ns to n counts (every stride-th of
 * v), rounded and kept >= 0.  Errors: FL_EIO. */
static int
noise(struct fl_noise *ns, double *v, size_t n, size_t stride, double b,
    struct fl_err *err)
{
	size_t i;
	double x, l;
	int rc;

	for (i = 0; i < n; i++) {
		if ((rc = fl_noise_laplace(ns, b, &l, err)) < 0)
			return rc;
		x = floor(v[i * stride] + l + 0.5);
		v[i * stride] = x > 0 ? x : 0;
	}
	return 0;
}

/*
 * The Laplace mechanism on the histogram and KM cells: one patient is in
 * one bin of each column's histogram and in one KM row, so the L1
 * sensitivity of all the cells together is (columns with a histogram) +
 * (1 with a KM table), and each cell gets noise of scale sensitivity / e.
 */
static double
dp_scale(const struct fl_stats *s)
{
	double sens = (s->hist != NULL ? (double)s->ncols : 0) +
	    (s->km_time != NULL ? 1 : 0);

	return sens / s->epsilon;
}

/* The Laplace noise is drawn from an unseeded fl_noise source
 * (lib/privacy/noise.c):
 * fl-stats has no test seed.  Errors: FL_ENOMEM, FL_EIO. */
static int
privatize(struct fl_stats *s, double e, struct fl_err *err)
{
	struct fl_noise *ns;
	double b;
	int rc;

	s->epsilon = e;
	b = dp_scale(s);
	if ((rc = fl_noise_new(&ns, 0, 0, NULL, err)) < 0)
		return rc;
	if ((s->hist == NULL ||
	    (rc = noise(ns, s->hist, s->ncols * s->bins, 1, b, err)) >= 0) &&
	    (rc = noise(ns, s->km + 1, s->km_n, 3, b, err)) >= 0)
		rc = noise(ns, s->km + 2, s->km_n, 3, b, err);
	fl_noise_free(ns);
	return rc;
}

int
fl_stats_from_csv_opts(struct fl_stats **sp, const char *path,
    const struct fl_stats_opts *opt, struct fl_err *err)
{
	struct fl_stats *s = NULL;
	struct fl_csv *c = NULL;
	double *row = NULL, x;
	struct obs *obs = NULL;
	const char *cell = NULL;
	size_t j, n, nobs = 0, cap = 0, bytes, celln;
	long ti = -1, ei = -1, g;
	int rc;

	*sp = NULL;
	if ((rc = fl_csv_open(&c, path, err)) < 0)
		return rc;
	if (opt != NULL && opt->image_column != NULL &&
	    (rc = fl_csv_image(c, opt->image_column, err)) < 0)
		goto out;
	n = fl_csv_ncols(c);
	if (opt != NULL && opt->time != NULL &&
	    ((ti = fl_csv_find(c, opt->time)) < 0 ||
	    (ei = fl_csv_find(c, opt->event)) < 0)) {
		rc = fl_err_set(err, FL_EFORMAT, "%s: no column '%s'",
		    fl_csv_name(c), ti < 0 ? opt->time : opt->event);
		goto out;
	}
	if ((s = stats_new()) == NULL ||
	    (row = malloc(n * sizeof(*row))) == NULL) {
		rc = fl_err_set(err, FL_ENOMEM, "out of memory");
		goto out;
	}
	if ((rc = stats_reserve(s, n, err)) < 0)
		goto out;
	for (j = 0; j < n; j++)
		if ((rc = stats_add_col(s, fl_csv_colname(c, j), err)) < 0)
			goto out;
	/* The categorical columns: levels recorded, text cells read. */
	for (j = 0; opt != NULL && j < opt->ncategorical; j++) {
		if ((rc = fl_csv_text(c, opt->categorical[j], err)) < 0) {
			if (rc == FL_EFORMAT)
				fl_err_set(err, rc, "%s: no column '%s' "
				    "(--categorical)", fl_csv_name(c),
				    opt->categorical[j]);
			goto out;
		}
		s->lv[fl_csv_find(c, opt->categorical[j])].rec = 1;
	}
	if (opt != NULL && opt->grid != NULL && opt->bins > 0) {
		s->bins = opt->bins;
		if (fl_size_mul(n, s->bins * sizeof(double), &bytes) < 0 ||
		    (s->hist = calloc(1, bytes ? bytes : 1)) == NULL ||
		    (s->lo = calloc(n ? n : 1, sizeof(double))) == NULL ||
		    (s->hi = calloc(n ? n : 1, sizeof(double))) == NULL) {
			rc = fl_err_set(err, FL_ENOMEM, "out of memory");
			goto out;
		}
		for (j = 0; j < n; j++) {
			if ((g = fl_stats_find(opt->grid, s->names[j])) < 0) {
				rc = fl_err_set(err, FL_EFORMAT, "%s: column "
				    "'%s' is not in the grid's statistics",
				    fl_csv_name(c), s->names[j]);
				goto out;
			}
			s->lo[j] = opt->grid->v[ST_MIN][g];
			s->hi[j] = opt->grid->v[ST_MAX][g];
			if (!isfinite(s->lo[j])) /* no values: a null grid */
				s->lo[j] = s->hi[j] = 0;
		}
	}
	if (ti >= 0 && ((s->km_time = strdup(opt->time)) == NULL ||
	    (s->km_event = strdup(opt->event)) == NULL)) {
		rc = fl_err_set(err, FL_ENOMEM, "out of memory");
		goto out;
	}
	while ((rc = fl_csv_next(c, row, err)) == 1) {
		s->rows++;
		if (ti >= 0 && !isnan(row[ti]) && !isnan(row[ei])) {
			if (row[ei] != 0 && row[ei] != 1) {
				rc = fl_err_set(err, FL_EFORMAT, "%s:%zu: "
				    "column '%s': not 0 or 1", fl_csv_name(c),
				    fl_csv_line(c), opt->event);
				goto out;
			}
			if (nobs == cap) {
				void *p;

				cap = cap ? 2 * cap : 256;
				if ((p = realloc(obs, cap * sizeof(*obs))) ==
				    NULL) {
					rc = fl_err_set(err, FL_ENOMEM,
					    "out of memory");
					goto out;
				}
				obs = p;
			}
			obs[nobs].t = row[ti];
			obs[nobs++].ev = row[ei] == 1;
		}
		for (j = 0; s->hist != NULL && j < n; j++)
			if (!isnan(row[j]))
				s->hist[j * s->bins + grid_bin(row[j],
				    s->lo[j], s->hi[j], s->bins)] += 1;
		for (j = 0; j < n; j++) {
			x = row[j];
			/* A level; a text cell is no number (NaN). */
			if (s->lv[j].rec && !s->lv[j].over &&
			    (cell = fl_csv_field(c, j, &celln)) != NULL &&
			    (rc = fl_levels_add_num(&s->lv[j], cell, celln, x,
			    1, err)) < 0)
				goto out;
			if (isnan(x)) {
				s->v[ST_MISSING][j] += 1;
				continue;
			}
			s->v[ST_COUNT][j] += 1;
			s->v[ST_SUM][j] += x;
			s->v[ST_SUMSQ][j] += x * x;
			if (x < s->v[ST_MIN][j])
				s->v[ST_MIN][j] = x;
			if (x > s->v[ST_MAX][j])
				s->v[ST_MAX][j] = x;
		}
	}
	if (rc < 0)
		goto out;
	if (ti >= 0 && (rc = km_build(s, obs, nobs, err)) < 0)
		goto out;
	if (opt != NULL && opt->min_count > 1)
		suppress(s, (double)opt->min_count);
	if (opt != NULL && opt->epsilon > 0 &&
	    (rc = privatize(s, opt->epsilon, err)) < 0)
		goto out;
	*sp = s;
	s = NULL;
	rc = 0;
out:
	free(obs);
	free(row);
	fl_csv_free(c);
	fl_stats_free(s);
	return rc;
}

/* The clinical summary's manifest keys and tensors (fl-archive(5)). */
static int
summary_to_archive(const struct fl_stats *s, struct fl_archive *a,
    struct fl_err *err)
{
	json_t *man = fl_archive_manifest(a), *p;
	size_t shape[2], i;
	int rc, bad = 0;

	if (s->hist != NULL) {
		bad |= json_object_set_new(man, "bins",
		    json_integer((json_int_t)s->bins));
		shape[0] = s->ncols;
		shape[1] = s->bins;
		if ((rc = fl_archive_add_tensor(a, "hist", FL_DTYPE_F64, 2,
		    shape, s->hist, err)) < 0 ||
		    (rc = fl_archive_add_tensor(a, "hist_lo", FL_DTYPE_F64, 1,
		    shape, s->lo, err)) < 0 ||
		    (rc = fl_archive_add_tensor(a, "hist_hi", FL_DTYPE_F64, 1,
		    shape, s->hi, err)) < 0)
			return rc;
	}
	if (s->km_time != NULL) {
		bad |= json_object_set_new(man, "survival", json_pack(
		    "{s:s, s:s}", "time", s->km_time, "event", s->km_event));
		shape[0] = s->km_n;
		shape[1] = 3;
		if ((rc = fl_archive_add_tensor(a, "km", FL_DTYPE_F64, 2,
		    shape, s->km, err)) < 0)
			return rc;
	}
	for (i = 0; i < s->ncols && !s->lv[i].rec; i++)
		continue;
	if (i < s->ncols) {	/* some column's levels are recorded */
		json_t *l = json_object();

		for (; l != NULL && i < s->ncols; i++)
			if (s->lv[i].rec && json_object_set_new(l, s->names[i],
			    fl_levels_to_json(&s->lv[i])) < 0) {
				json_decref(l);
				l = NULL;
			}
		if (l == NULL || json_object_set_new(man, "levels", l) < 0)
			return fl_err_set(err, FL_ENOMEM, "out of memory");
	}
	if (s->min_count > 0 || s->epsilon > 0) {
		p = json_pack("{s:f, s:f}", "min_count", s->min_count,
		    "suppressed", s->suppressed);
		if (p != NULL && s->epsilon > 0)
			bad |= json_object_set_new(p, "dp", json_pack(
			    "{s:s, s:f, s:f, s:s}", "mechanism", "laplace",
			    "epsilon", s->epsilon, "scale", dp_scale(s),
			    "cells", "hist, km"));
		bad |= json_object_set_new(man, "privacy", p);
	}
	return bad ? fl_err_set(err, FL_ENOMEM, "out of memory") : 0;
}

/* Read the optional summary back; the caller has read the columns. */
static int
summary_from_archive(struct fl_stats *s, const struct fl_archive *a,
    size_t *ntensors, struct fl_err *err)
{
	json_t *man = fl_archive_manifest((struct fl_archive *)a);
	const json_t *sv = json_object_get(man, "survival");
	const json_t *pv = json_object_get(man, "privacy");
	const json_t *lv = json_object_get(man, "levels");
	struct fl_tensor t;
	int64_t bins;
	size_t i, n = s->ncols;
	int rc;

	if (json_object_get(man, "bins") != NULL) {
		if ((rc = fl_json_get_int(man, "bins", &bins, err)) < 0)
			return rc;
		if (bins < 1 || bins > 100000)
			return fl_err_set(err, FL_EFORMAT, "key 'bins' is not "
			    "in [1, 100000]");
		s->bins = (size_t)bins;
		if (fl_archive_find(a, "hist", &t) < 0 || t.ndim != 2 ||
		    t.dtype != FL_DTYPE_F64 || t.shape[0] != n ||
		    t.shape[1] != s->bins)
			return fl_err_set(err, FL_EFORMAT, "tensor 'hist' is "
			    "not F64 of shape [%zu, %zu]", n, s->bins);
		if ((s->hist = malloc(t.nbytes ? t.nbytes : 1)) == NULL ||
		    (s->lo = calloc(n, sizeof(double))) == NULL ||
		    (s->hi = calloc(n, sizeof(double))) == NULL)
			return fl_err_set(err, FL_ENOMEM, "out of memory");
		memcpy(s->hist, t.data, t.nbytes);
		if (fl_archive_find(a, "hist_lo", &t) < 0 || t.ndim != 1 ||
		    t.dtype != FL_DTYPE_F64 || t.shape[0] != n)
			return fl_err_set(err, FL_EFORMAT, "bad tensor "
			    "'hist_lo'");
		memcpy(s->lo, t.data, t.nbytes);
		if (fl_archive_find(a, "hist_hi", &t) < 0 || t.ndim != 1 ||
		    t.dtype != FL_DTYPE_F64 || t.shape[0] != n)
			return fl_err_set(err, FL_EFORMAT, "bad tensor "
			    "'hist_hi'");
		memcpy(s->hi, t.data, t.nbytes);
		for (i = 0; i < n * s->bins; i++)
			if (!(s->hist[i] >= 0) || s->hist[i] != floor(s->hist[i]))
				return fl_err_set(err, FL_EFORMAT, "tensor "
				    "'hist' holds a value that is not a count");
		for (i = 0; i < n; i++)
			if (!isfinite(s->lo[i]) || !isfinite(s->hi[i]) ||
			    s->lo[i] > s->hi[i])
				return fl_err_set(err, FL_EFORMAT, "column "
				    "'%.64s': a bad histogram grid",
				    s->names[i]);
		*ntensors += 3;
	}
	if (sv != NULL) {
		const char *tc, *ec;

		if ((rc = fl_json_get_str(sv, "time", &tc, err)) < 0 ||
		    (rc = fl_json_get_str(sv, "event", &ec, err)) < 0)
			return fl_err_prefix(err, "key 'survival'");
		if ((s->km_time = strdup(tc)) == NULL ||
		    (s->km_event = strdup(ec)) == NULL)
			return fl_err_set(err, FL_ENOMEM, "out of memory");
		if (fl_archive_find(a, "km", &t) < 0 || t.ndim != 2 ||
		    t.dtype != FL_DTYPE_F64 || t.shape[1] != 3)
			return fl_err_set(err, FL_EFORMAT, "tensor 'km' is not "
			    "F64 of shape [n, 3]");
		s->km_n = t.shape[0];
		if ((s->km = malloc(t.nbytes ? t.nbytes : 1)) == NULL)
			return fl_err_set(err, FL_ENOMEM, "out of memory");
		memcpy(s->km, t.data, t.nbytes);
		for (i = 0; i < s->km_n; i++)
			if (!isfinite(s->km[i * 3]) || (i > 0 &&
			    !(s->km[i * 3] > s->km[(i - 1) * 3])) ||
			    !(s->km[i * 3 + 1] >= 0) || !(s->km[i * 3 + 2] >= 0)
			    || s->km[i * 3 + 1] != floor(s->km[i * 3 + 1]) ||
			    s->km[i * 3 + 2] != floor(s->km[i * 3 + 2]))
				return fl_err_set(err, FL_EFORMAT, "tensor "
				    "'km': row %zu is not a time in order with "
				    "counts", i);
		*ntensors += 1;
	}
	if (lv != NULL) {
		const char *key;
		const json_t *v;
		long col;

		if (!json_is_object(lv))
			return fl_err_set(err, FL_EFORMAT, "key 'levels' is not "
			    "an object");
		json_object_foreach((json_t *)lv, key, v) {
			if ((col = fl_stats_find(s, key)) < 0)
				return fl_err_set(err, FL_EFORMAT, "key 'levels':"
				    " no column '%.64s'", key);
			if ((rc = fl_levels_from_json(&s->lv[col], v,
			    err)) < 0)
				return fl_err_prefix(err, "key 'levels': "
				    "column '%.64s'", key);
			s->lv[col].rec = 1;
		}
	}
	if (pv != NULL) {
		const json_t *dp = json_object_get(pv, "dp");

		s->min_count = json_number_value(json_object_get(pv,
		    "min_count"));
		s->suppressed = json_number_value(json_object_get(pv,
		    "suppressed"));
		if (dp != NULL)
			s->epsilon = json_number_value(json_object_get(dp,
			    "epsilon"));
		if (!(s->min_count >= 0) || !(s->epsilon >= 0) ||
		    !isfinite(s->epsilon))
			return fl_err_set(err, FL_EFORMAT, "key 'privacy' is "
			    "malformed");
	}
	return 0;
}

int
fl_stats_to_archive(const struct fl_stats *s, struct fl_archive **ap,
    struct fl_err *err)
{
	struct fl_archive *a;
	json_t *man, *cols = NULL;
	size_t j, k, shape[1];
	int rc;

	*ap = NULL;
	if ((a = fl_archive_new(FL_KIND_STATS)) == NULL)
		return fl_err_set(err, FL_ENOMEM, "out of memory");
	man = fl_archive_manifest(a);
	if ((cols = json_array()) == NULL)
		goto nomem;
	for (j = 0; j < s->ncols; j++)
		if (json_array_append_new(cols,
		    json_string(s->names[j])) < 0)
			goto nomem;
	if (json_object_set_new(man, "columns", cols) < 0) {
		cols = NULL;
		goto nomem;
	}
	cols = NULL;
	if (json_object_set_new(man, "rows",
	    json_integer((json_int_t)s->rows)) < 0)
		goto nomem;
	shape[0] = s->ncols;
	for (k = 0; k < ST_N; k++)
		if ((rc = fl_archive_add_tensor(a, st_names[k], FL_DTYPE_F64,
		    1, shape, s->v[k], err)) < 0) {
			fl_archive_free(a);
			return rc;
		}
	if ((rc = summary_to_archive(s, a, err)) < 0) {
		fl_archive_free(a);
		return rc;
	}
	*ap = a;
	return 0;
nomem:
	json_decref(cols);
	fl_archive_free(a);
	return fl_err_set(err, FL_ENOMEM, "out of memory");
}

/*
 * Check one column read from an archive: counts are non-negative whole
 * numbers, nothing is NaN, and min and max are consistent with count.
 */
static const char *
check_col(const struct fl_stats *s, size_t j)
{
	double n = s->v[ST_COUNT][j], m = s->v[ST_MISSING][j];
	double lo = s->v[ST_MIN][j], hi = s->v[ST_MAX][j];
	size_t k;

	if (!isfinite(n) || n < 0 || n != floor(n))
		return "count is not a non-negative whole number";
	if (!isfinite(m) || m < 0 || m != floor(m))
		return "missing is not a non-negative whole number";
	if (n + m > (double)s->rows)
		return "count plus missing exceeds rows";
	for (k = 0; k < ST_N; k++)
		if (isnan(s->v[k][j]))
			return "a value is NaN";
	if (s->v[ST_SUMSQ][j] < 0)
		return "sumsq is negative";
	if (n == 0) {
		if (lo != INFINITY || hi != -INFINITY ||
		    s->v[ST_SUM][j] != 0 || s->v[ST_SUMSQ][j] != 0)
			return "values given for a column with count 0";
	} else if (!isfinite(lo) || !isfinite(hi) || lo > hi)
		return "min and max are not finite with min <= max";
	return NULL;
}

static int
cmp_name(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

/* Index of a name that occurs twice, -1 when none, or FL_ENOMEM.  Sorting
 * keeps this O(n log n) for the untrusted column lists of archives. */
static long
find_duplicate(const struct fl_stats *s, struct fl_err *err)
{
	char **v;
	size_t j;
	long r = -1;

	if (s->ncols < 2)
		return -1;
	if ((v = malloc(s->ncols * sizeof(*v))) == NULL)
		return fl_err_set(err, FL_ENOMEM, "out of memory");
	memcpy(v, s->names, s->ncols * sizeof(*v));
	qsort(v, s->ncols, sizeof(*v), cmp_name);
	for (j = 1; j < s->ncols && r < 0; j++)
		if (strcmp(v[j - 1], v[j]) == 0)
			r = fl_stats_find(s, v[j]);
	free(v);
	return r;
}

int
fl_stats_from_archive(struct fl_stats **sp, const struct fl_archive *a,
    struct fl_err *err)
{
	struct fl_stats *s = NULL;
	struct fl_tensor t;
	const json_t *man, *cols, *col;
	const char *why;
	int64_t rows;
	size_t j, k, n, want;
	long dup;
	int rc;

	*sp = NULL;
	if (fl_archive_kind(a) != FL_KIND_STATS)
		return fl_err_set(err, FL_EFORMAT,
		    "not a stats archive (kind '%s')",
		    fl_kind_name(fl_archive_kind(a)));
	man = fl_archive_manifest((struct fl_archive *)a);
	if ((rc = fl_json_get_int(man, "rows", &rows, err)) < 0)
		return rc;
	if (rows < 0)
		return fl_err_set(err, FL_EFORMAT, "key 'rows' is negative");
	cols = json_object_get(man, "columns");
	if (cols == NULL)
		return fl_err_set(err, FL_EFORMAT, "missing key 'columns'");
	if (!json_is_array(cols) || json_array_size(cols) == 0)
		return fl_err_set(err, FL_EFORMAT,
		    "key 'columns' is not a non-empty array of names");
	n = json_array_size(cols);
	if ((s = stats_new()) == NULL)
		return fl_err_set(err, FL_ENOMEM, "out of memory");
	s->rows = (size_t)rows;
	if ((rc = stats_reserve(s, n, err)) < 0)
		goto out;
	for (j = 0; j < n; j++) {
		col = json_array_get(cols, j);
		if (!json_is_string(col) || json_string_length(col) == 0 ||
		    strlen(json_string_value(col)) != json_string_length(col)) {
			rc = fl_err_set(err, FL_EFORMAT,
			    "key 'columns': item %zu is not a name", j);
			goto out;
		}
		if ((rc = stats_add_col(s, json_string_value(col), err)) < 0)
			goto out;
	}
	if ((dup = find_duplicate(s, err)) < -1) {
		rc = (int)dup;
		goto out;
	}
	if (dup >= 0) {
		rc = fl_err_set(err, FL_EFORMAT,
		    "key 'columns': duplicate column '%.64s'", s->names[dup]);
		goto out;
	}
	want = ST_N;
	if ((rc = summary_from_archive(s, a, &want, err)) < 0)
		goto out;
	if (fl_archive_ntensors(a) != want) {
		rc = fl_err_set(err, FL_EFORMAT,
		    "%zu tensors, a stats archive has %zu",
		    fl_archive_ntensors(a), want);
		goto out;
	}
	for (k = 0; k < ST_N; k++) {
		if (fl_archive_find(a, st_names[k], &t) < 0) {
			rc = fl_err_set(err, FL_EFORMAT, "missing tensor '%s'",
			    st_names[k]);
			goto out;
		}
		if (t.dtype != FL_DTYPE_F64 || t.ndim != 1 ||
		    t.shape[0] != n || t.nbytes != n * sizeof(double)) {
			rc = fl_err_set(err, FL_EFORMAT,
			    "tensor '%s' is not F64 of shape [%zu]",
			    st_names[k], n);
			goto out;
		}
		/* Archive data need not be aligned for double. */
		memcpy(s->v[k], t.data, t.nbytes);
	}
	for (j = 0; j < n; j++)
		if ((why = check_col(s, j)) != NULL) {
			rc = fl_err_set(err, FL_EFORMAT, "column '%.64s': %s",
			    s->names[j], why);
			goto out;
		}
	*sp = s;
	s = NULL;
	rc = 0;
out:
	fl_stats_free(s);
	return rc;
}

/* Merge the KM tables: the union of the times, counts added. */
static int
km_merge(struct fl_stats *dst, const struct fl_stats *src,
    struct fl_err *err)
{
	size_t i = 0, j = 0, m = 0, n = dst->km_n + src->km_n;
	double *v, *a = dst->km, *b = src->km;

	if ((v = calloc(n ? n : 1, 3 * sizeof(double))) == NULL)
		return fl_err_set(err, FL_ENOMEM, "out of memory");
	while (i < dst->km_n || j < src->km_n) {
		const double *r;

		if (j >= src->km_n || (i < dst->km_n && a[i * 3] <= b[j * 3]))
			r = a + 3 * i++;
		else
			r = b + 3 * j++;
		if (m == 0 || v[(m - 1) * 3] != r[0])
			v[3 * m++] = r[0];
		v[(m - 1) * 3 + 1] += r[1];
		v[(m - 1) * 3 + 2] += r[2];
	}
	free(dst->km);
	dst->km = v;
	dst->km_n = m;
	return 0;
}

/* Merge the summaries; they must be of one kind: the same grid, the same
 * survival columns. */
static int
summary_merge(struct fl_stats *dst, const struct fl_stats *src,
    struct fl_err *err)
{
	size_t j, b;

	if ((dst->hist == NULL) != (src->hist == NULL) ||
	    (dst->hist != NULL && (dst->bins != src->bins ||
	    dst->ncols != src->ncols)))
		return fl_err_set(err, FL_ESHAPE, "histograms on another "
		    "grid; make both with the same --bins-from and --bins");
	for (j = 0; dst->hist != NULL && j < dst->ncols; j++) {
		if (strcmp(dst->names[j], src->names[j]) != 0 ||
		    dst->lo[j] != src->lo[j] || dst->hi[j] != src->hi[j])
			return fl_err_set(err, FL_ESHAPE, "column '%.64s': "
			    "histograms on another grid", src->names[j]);
		for (b = 0; b < dst->bins; b++)
			dst->hist[j * dst->bins + b] +=
			    src->hist[j * src->bins + b];
	}
	if ((dst->km_time == NULL) != (src->km_time == NULL) ||
	    (dst->km_time != NULL && (strcmp(dst->km_time, src->km_time) ||
	    strcmp(dst->km_event, src->km_event))))
		return fl_err_set(err, FL_ESHAPE, "Kaplan-Meier tables of "
		    "other columns; use the same --survival");
	/* The pooled protection is the weakest of the parts'. */
	if (src->min_count < dst->min_count)
		dst->min_count = src->min_count;
	if (src->epsilon == 0 || dst->epsilon == 0)
		dst->epsilon = 0;
	else if (src->epsilon > dst->epsilon)
		dst->epsilon = src->epsilon;
	dst->suppressed += src->suppressed;
	return dst->km_time != NULL ? km_merge(dst, src, err) : 0;
}

int
fl_stats_merge(struct fl_stats *dst, const struct fl_stats *src,
    struct fl_err *err)
{
	size_t j, i;
	long f;
	int rc;

	if ((dst->hist != NULL || src->hist != NULL ||
	    dst->km_time != NULL || src->km_time != NULL) &&
	    (rc = summary_merge(dst, src, err)) < 0)
		return rc;

	for (j = 0; j < src->ncols; j++) {
		/* Sites usually share the column order: try j first. */
		if (j < dst->ncols && strcmp(dst->names[j], src->names[j]) == 0)
			i = j;
		else if ((f = fl_stats_find(dst, src->names[j])) >= 0)
			i = (size_t)f;
		else {
			if ((rc = stats_add_col(dst, src->names[j], err)) < 0)
				return rc;
			i = dst->ncols - 1;
			dst->lv[i].rec = src->lv[j].rec;
		}
		dst->v[ST_COUNT][i] += src->v[ST_COUNT][j];
		dst->v[ST_MISSING][i] += src->v[ST_MISSING][j];
		dst->v[ST_SUM][i] += src->v[ST_SUM][j];
		dst->v[ST_SUMSQ][i] += src->v[ST_SUMSQ][j];
		if (src->v[ST_MIN][j] < dst->v[ST_MIN][i])
			dst->v[ST_MIN][i] = src->v[ST_MIN][j];
		if (src->v[ST_MAX][j] > dst->v[ST_MAX][i])
			dst->v[ST_MAX][i] = src->v[ST_MAX][j];
		/* Levels pool only where both sides recorded them. */
		if (!src->lv[j].rec) {
			fl_levels_clear(&dst->lv[i]);
			dst->lv[i].rec = dst->lv[i].over = 0;
		} else if (dst->lv[i].rec && (rc = fl_levels_merge(
		    &dst->lv[i], &src->lv[j], err)) < 0)
			return rc;
	}
	dst->rows += src->rows;
	return 0;
}

size_t
fl_stats_ncols(const struct fl_stats *s)
{
	return s->ncols;
}

size_t
fl_stats_rows(const struct fl_stats *s)
{
	return s->rows;
}

void
fl_stats_col(const struct fl_stats *s, size_t j, struct fl_colstats *out)
{
	out->name = s->names[j];
	out->count = s->v[ST_COUNT][j];
	out->missing = s->v[ST_MISSING][j];
	out->sum = s->v[ST_SUM][j];
	out->sumsq = s->v[ST_SUMSQ][j];
	out->min = s->v[ST_MIN][j];
	out->max = s->v[ST_MAX][j];
}

long
fl_stats_levels(const struct fl_stats *s, size_t j,
    const char *const **values, const double **counts)
{
	if (j >= s->ncols || !s->lv[j].rec)
		return FL_LEVELS_NONE;
	if (s->lv[j].over)
		return FL_LEVELS_OVER;
	*values = (const char *const *)s->lv[j].v;
	*counts = s->lv[j].cnt;
	return (long)s->lv[j].n;
}

long
fl_stats_find(const struct fl_stats *s, const char *name)
{
	size_t j;

	for (j = 0; j < s->ncols; j++)
		if (strcmp(s->names[j], name) == 0)
			return (long)j;
	return -1;
}

double
fl_stats_mean(const struct fl_stats *s, size_t j)
{
	double n = s->v[ST_COUNT][j];

	return n > 0 ? s->v[ST_SUM][j] / n : NAN;
}

/* Sample standard deviation from the sums, clamped at 0 against the
 * rounding error of sumsq - sum^2/n. */
double
fl_stats_sd(const struct fl_stats *s, size_t j)
{
	double n = s->v[ST_COUNT][j], sum = s->v[ST_SUM][j], var;

	if (n < 2)
		return NAN;
	var = (s->v[ST_SUMSQ][j] - sum * sum / n) / (n - 1);
	return var > 0 ? sqrt(var) : 0;
}

/* Print v with %.10g, or nothing when it is not finite. */
static void
put_num(FILE *f, double v)
{
	fputc('\t', f);
	if (isfinite(v))
		fprintf(f, "%.10g", v);
}

int
fl_stats_write_tsv(const struct fl_stats *s, FILE *f, const char *name,
    struct fl_err *err)
{
	size_t j;

	fputs("column\tcount\tmissing\tmean\tsd\tmin\tmax\n", f);
	for (j = 0; j < s->ncols; j++) {
		const char *p;

		/* Keep one record per line whatever a name holds. */
		for (p = s->names[j]; *p != '\0'; p++)
			fputc(*p == '\t' || *p == '\n' || *p == '\r' ? ' ' :
			    *p, f);
		put_num(f, s->v[ST_COUNT][j]);
		put_num(f, s->v[ST_MISSING][j]);
		put_num(f, fl_stats_mean(s, j));
		put_num(f, fl_stats_sd(s, j));
		put_num(f, s->v[ST_MIN][j]);
		put_num(f, s->v[ST_MAX][j]);
		if (fputc('\n', f) == EOF)
			break;
	}
	if (ferror(f))
		return fl_err_set(err, FL_EIO, "%s: %s", name,
		    strerror(errno));
	return 0;
}

/* The q-quantile of column j from its histogram, interpolated linearly
 * within the bin where the cumulative count reaches q * total: within one
 * bin width of the exact quantile of the (unsuppressed, noiseless) rows. */
static double
hist_quantile(const struct fl_stats *s, size_t j, double q)
{
	const double *h = s->hist + j * s->bins;
	double tot = 0, cum = 0, w, want;
	size_t b;

	for (b = 0; b < s->bins; b++)
		tot += h[b];
	if (tot == 0)
		return NAN;
	w = (s->hi[j] - s->lo[j]) / (double)s->bins;
	want = q * tot;
	for (b = 0; b < s->bins; b++) {
		if (h[b] > 0 && cum + h[b] >= want)
			return s->lo[j] + w * ((double)b + (want - cum) / h[b]);
		cum += h[b];
	}
	return s->hi[j];
}

/*
 * Whether every value of column j is 0 or 1: in [0, 1] with the sum of
 * squares equal to the sum (x * x == x only at 0 and 1).  Both sums of
 * 0s and 1s are whole numbers, exact in a double, and stay exact when
 * sites merge; the noise of --dp-epsilon touches only the histograms.
 */
static int
col_binary(const struct fl_stats *s, size_t j)
{
	return s->v[ST_COUNT][j] > 0 && s->v[ST_MIN][j] >= 0 &&
	    s->v[ST_MAX][j] <= 1 && s->v[ST_SUMSQ][j] == s->v[ST_SUM][j];
}

/* A name, or "name=level", with tabs and line ends as blanks. */
static void
put_name(FILE *f, const char *name, const char *level)
{
	const char *p;

	for (p = name; *p != '\0'; p++)
		fputc(*p == '\t' || *p == '\n' || *p == '\r' ? ' ' : *p, f);
	if (level != NULL) {
		fputc('=', f);
		put_name(f, level, NULL);
	}
}

/*
 * Table 1's rows of categorical column j (after its name): n, the rows of
 * its recorded levels, and missing, its other rows (empty or NA, or in a
 * level suppressed under --min-count); then one row per level, named
 * "column=level", read as the level's 0/1 indicator: n, and the rows of
 * the level (ones) and their percent of n.
 */
static void
table1_levels(const struct fl_stats *s, size_t j, FILE *f)
{
	const struct fl_levels *l = &s->lv[j];
	double n = 0;
	size_t i, k;

	for (i = 0; i < l->n; i++)
		n += l->cnt[i];
	put_num(f, n);
	put_num(f, s->v[ST_COUNT][j] + s->v[ST_MISSING][j] - n);
	for (k = 0; k < 8; k++)
		put_num(f, NAN);
	fputc('\n', f);
	for (i = 0; i < l->n; i++) {
		put_name(f, s->names[j], l->v[i]);
		put_num(f, n);
		for (k = 0; k < 7; k++)
			put_num(f, NAN);
		put_num(f, l->cnt[i]);
		put_num(f, 100 * l->cnt[i] / n);
		fputc('\n', f);
	}
}

int
fl_stats_write_table1(const struct fl_stats *s, FILE *f, const char *name,
    struct fl_err *err)
{
	size_t j;
	double n;
	int bin, q;

	fputs("column\tn\tmissing\tmean\tsd\tmedian\tq1\tq3\t"
	    "quantile_error\tones\tpercent\n", f);
	for (j = 0; j < s->ncols; j++) {
		put_name(f, s->names[j], NULL);
		if (s->lv[j].rec && !s->lv[j].over) {
			table1_levels(s, j, f);
			continue;
		}
		n = s->v[ST_COUNT][j];
		/* A 0/1 column is a count of 1s, not quartiles. */
		bin = col_binary(s, j);
		q = s->hist != NULL && !bin;
		put_num(f, n);
		put_num(f, s->v[ST_MISSING][j]);
		put_num(f, fl_stats_mean(s, j));
		put_num(f, fl_stats_sd(s, j));
		put_num(f, q ? hist_quantile(s, j, 0.5) : NAN);
		put_num(f, q ? hist_quantile(s, j, 0.25) : NAN);
		put_num(f, q ? hist_quantile(s, j, 0.75) : NAN);
		put_num(f, q ? (s->hi[j] - s->lo[j]) / (double)s->bins : NAN);
		put_num(f, bin ? s->v[ST_SUM][j] : NAN);
		put_num(f, bin ? 100 * s->v[ST_SUM][j] / n : NAN);
		if (fputc('\n', f) == EOF)
			break;
	}
	if (ferror(f))
		return fl_err_set(err, FL_EIO, "%s: %s", name,
		    strerror(errno));
	return 0;
}

int
fl_stats_write_km(const struct fl_stats *s, FILE *f, const char *name,
    struct fl_err *err)
{
	double n = 0, surv = 1, d, r;
	size_t i;

	if (s->km_time == NULL)
		return fl_err_set(err, FL_EUSAGE, "%s: no Kaplan-Meier table; "
		    "give --survival TIME,EVENT", name);
	for (i = 0; i < s->km_n; i++)
		n += s->km[i * 3 + 1] + s->km[i * 3 + 2];
	fputs("time\tsurvival\tat_risk\tevents\n", f);
	if (s->km_n > 0 && s->km[0] > 0)
		fprintf(f, "0\t1\t%.0f\t0\n", n);
	for (r = n, i = 0; i < s->km_n; i++) {
		d = s->km[i * 3 + 1];
		if (r > 0)
			surv *= 1 - d / r;
		fprintf(f, "%.10g\t%.10g\t%.0f\t%.0f\n", s->km[i * 3],
		    surv, r, d);
		r -= d + s->km[i * 3 + 2];
	}
	if (ferror(f))
		return fl_err_set(err, FL_EIO, "%s: %s", name,
		    strerror(errno));
	return 0;
}
