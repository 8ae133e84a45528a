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

#include "fl.h"

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
	for (j = 0; j < s->ncols; j++)
		free(s->names[j]);
	free(s->names);
	for (k = 0; k < ST_N; k++)
		free(s->v[k]);
	free(s);
}

int
fl_stats_from_csv(struct fl_stats **sp, const char *path, struct fl_err *err)
{
	struct fl_stats *s = NULL;
	struct fl_csv *c = NULL;
	double *row = NULL, x;
	size_t j, n;
	int rc;

	*sp = NULL;
	if ((rc = fl_csv_open(&c, path, err)) < 0)
		return rc;
	n = fl_csv_ncols(c);
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
	while ((rc = fl_csv_next(c, row, err)) == 1) {
		s->rows++;
		for (j = 0; j < n; j++) {
			x = row[j];
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
	*sp = s;
	s = NULL;
	rc = 0;
out:
	free(row);
	fl_csv_free(c);
	fl_stats_free(s);
	return rc;
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
	size_t j, k, n;
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
	if (fl_archive_ntensors(a) != ST_N) {
		rc = fl_err_set(err, FL_EFORMAT,
		    "%zu tensors, a stats archive has %d",
		    fl_archive_ntensors(a), ST_N);
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

int
fl_stats_merge(struct fl_stats *dst, const struct fl_stats *src,
    struct fl_err *err)
{
	size_t j, i;
	long f;
	int rc;

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
		}
		dst->v[ST_COUNT][i] += src->v[ST_COUNT][j];
		dst->v[ST_MISSING][i] += src->v[ST_MISSING][j];
		dst->v[ST_SUM][i] += src->v[ST_SUM][j];
		dst->v[ST_SUMSQ][i] += src->v[ST_SUMSQ][j];
		if (src->v[ST_MIN][j] < dst->v[ST_MIN][i])
			dst->v[ST_MIN][i] = src->v[ST_MIN][j];
		if (src->v[ST_MAX][j] > dst->v[ST_MAX][i])
			dst->v[ST_MAX][i] = src->v[ST_MAX][j];
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
