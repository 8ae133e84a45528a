/*
 * fedeval.c: federated evaluation.  A site's predictions are reduced to
 * sufficient statistics (sums, and for binary tasks fine score histograms
 * per class) that add up across sites, so that the pooled metrics are
 * computed without a row leaving any site.  fl-eval --emit writes them as
 * a metrics archive, fl-aggregate merges them, fl-eval --report prints
 * them; the archive form is in man/fl-archive.5, the metrics' definitions
 * in man/fl-eval.1 and their exact twin in lib/metrics.c.
 */
#include <errno.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "fl.h"

#define PCLIP 1e-15	/* as lib/metrics.c */
#define CAL_BINS 10	/* calibration bins; divides FL_FEDEVAL_BINS */

/* The scalar sums a task keeps, in archive order. */
enum { S_N, S_CORRECT, S_LOGLOSS, S_BRIER, S_SSE, S_SAE, S_YSUM, S_YM2,
	S_MAX };
static const char *const s_names[S_MAX] = {
	"n", "correct", "log_loss", "brier", "sse", "sae", "y_sum", "y_m2"
};
static const int s_binary[] = { S_N, S_CORRECT, S_LOGLOSS, S_BRIER, -1 };
static const int s_multi[] = { S_N, S_CORRECT, S_LOGLOSS, -1 };
static const int s_reg[] = { S_N, S_SSE, S_SAE, S_YSUM, S_YM2, -1 };

struct fl_fedeval {
	enum fl_task	 task;
	size_t		 classes;	/* multiclass only, else 0 */
	size_t		 bins;		/* binary: FL_FEDEVAL_BINS, else 0 */
	double		 s[S_MAX];
	double		*hist;		/* (2, bins): negatives, positives */
	double		*psum;		/* (bins): sum of scores per bin */
	char		*parent;	/* the model's id, or NULL */
	char		*site;		/* or NULL */
	char		*id;		/* the archive read, or NULL */
	int64_t		 round;
	json_t		*sites;		/* per-site rows once merged, or NULL */
};

static const int *
task_sums(enum fl_task t)
{
	return t == FL_TASK_BINARY ? s_binary :
	    t == FL_TASK_MULTICLASS ? s_multi : s_reg;
}

static double
clip(double p)
{
	return p < PCLIP ? PCLIP : p > 1.0 - PCLIP ? 1.0 - PCLIP : p;
}

/* The fine bin of score p in [0, 1]: floor(p * bins), the top edge in the
 * last bin.  Out-of-range scores (not from a sigmoid) are clamped. */
static size_t
bin_of(double p, size_t bins)
{
	double b = floor(p * (double)bins);

	if (!(b > 0))
		return 0;
	return b >= (double)bins ? bins - 1 : (size_t)b;
}

void
fl_fedeval_free(struct fl_fedeval *e)
{
	if (e == NULL)
		return;
	free(e->hist);
	free(e->psum);
	free(e->parent);
	free(e->site);
	free(e->id);
	json_decref(e->sites);
	free(e);
}

/* Copy s into *dst (NULL stays NULL).  Returns -1 when out of memory. */
static int
set_str(char **dst, const char *s)
{
	free(*dst);
	*dst = NULL;
	if (s != NULL && (*dst = strdup(s)) == NULL)
		return -1;
	return 0;
}

int
fl_fedeval_new(struct fl_fedeval **ep, enum fl_task task, size_t classes,
    const char *parent, const char *site, int64_t round, struct fl_err *err)
{
	struct fl_fedeval *e;

	*ep = NULL;
	/* Other tasks (survival, lib/cox.c) have no sufficient statistics
	 * here yet. */
	if (task != FL_TASK_BINARY && task != FL_TASK_MULTICLASS &&
	    task != FL_TASK_REGRESSION)
		return fl_err_set(err, FL_EUSAGE, "no federated evaluation "
		    "for task '%s'", fl_task_name(task));
	if ((e = calloc(1, sizeof(*e))) == NULL)
		return fl_err_set(err, FL_ENOMEM, "out of memory");
	e->task = task;
	e->classes = task == FL_TASK_MULTICLASS ? classes : 0;
	e->round = round;
	if (task == FL_TASK_BINARY) {
		e->bins = FL_FEDEVAL_BINS;
		e->hist = calloc(2 * e->bins, sizeof(double));
		e->psum = calloc(e->bins, sizeof(double));
	}
	if ((task == FL_TASK_BINARY && (e->hist == NULL || e->psum == NULL)) ||
	    set_str(&e->parent, parent) < 0 || set_str(&e->site, site) < 0) {
		fl_fedeval_free(e);
		return fl_err_set(err, FL_ENOMEM, "out of memory");
	}
	*ep = e;
	return 0;
}

/*
 * Add the regression spread of a batch (count n, mean mb, squared
 * deviations m2b) to e's by Chan's formula, which stays exact in the
 * sense of summing about each part's own mean.
 */
static void
add_spread(struct fl_fedeval *e, double n, double sum, double m2)
{
	double na = e->s[S_N], nt = na + n, delta;

	if (n == 0)
		return;
	if (na == 0) {
		e->s[S_YSUM] = sum;
		e->s[S_YM2] = m2;
		return;
	}
	delta = sum / n - e->s[S_YSUM] / na;
	e->s[S_YSUM] += sum;
	e->s[S_YM2] += m2 + delta * delta * na * n / nt;
}

int
fl_fedeval_add(struct fl_fedeval *e, size_t n, size_t k, const float *pred,
    const float *y, struct fl_err *err)
{
	size_t i, j, best, cls;
	double q, ysum = 0.0, m2 = 0.0, mean, d;

	if (k != (e->task == FL_TASK_MULTICLASS ? e->classes : 1))
		return fl_err_set(err, FL_EUSAGE, "%zu outputs per row do "
		    "not fit task '%s'", k, fl_task_name(e->task));
	for (i = 0; i < n; i++) {
		switch (e->task) {
		case FL_TASK_BINARY:
			q = pred[i];
			if (!(y[i] == 0.0f || y[i] == 1.0f) || isnan(q))
				return fl_err_set(err, FL_ENUM, "row %zu: "
				    "label or score is not a number", i + 1);
			e->s[S_CORRECT] += (q >= 0.5) == (y[i] == 1.0f);
			e->s[S_LOGLOSS] -= y[i] == 1.0f ? log(clip(q)) :
			    log(1.0 - clip(q));
			e->s[S_BRIER] += (q - y[i]) * (q - y[i]);
			j = bin_of(q, e->bins);
			e->hist[(y[i] == 1.0f) * e->bins + j] += 1;
			e->psum[j] += q;
			break;
		case FL_TASK_MULTICLASS: {
			const float *r = pred + i * k;

			if (!(y[i] >= 0.0f && y[i] < (float)k) ||
			    y[i] != floorf(y[i]))
				return fl_err_set(err, FL_ENUM, "row %zu: "
				    "label %g is not a class in 0..%zu", i + 1,
				    (double)y[i], k - 1);
			cls = (size_t)y[i];
			for (best = 0, j = 1; j < k; j++)
				if (r[j] > r[best])
					best = j;
			e->s[S_CORRECT] += best == cls;
			e->s[S_LOGLOSS] -= log(clip(r[cls]));
			break;
		}
		case FL_TASK_REGRESSION:
			d = (double)pred[i] - y[i];
			e->s[S_SSE] += d * d;
			e->s[S_SAE] += fabs(d);
			ysum += y[i];
			break;
		default:
			break;
		}
	}
	if (e->task == FL_TASK_REGRESSION && n > 0) {
		mean = ysum / (double)n;
		for (i = 0; i < n; i++)
			m2 += (y[i] - mean) * (y[i] - mean);
		add_spread(e, (double)n, ysum, m2);
	}
	e->s[S_N] += (double)n;
	return 0;
}

/*
 * The binned AUC and its bound.  Pairs in different bins are ordered
 * exactly as by their scores; a positive-negative pair in one bin counts
 * 1/2, where the exact AUC counts 0, 1/2 or 1.  So
 * |AUC_binned - AUC| <= (1/2) sum_b pos_b neg_b / (P N).
 */
static void
binned_auc(const struct fl_fedeval *e, double *auc, double *bound)
{
	const double *neg = e->hist, *pos = e->hist + e->bins;
	double P = 0, N = 0, below = 0, u = 0, tie = 0;
	size_t b;

	for (b = 0; b < e->bins; b++) {
		P += pos[b];
		N += neg[b];
	}
	for (b = 0; b < e->bins; b++) {
		u += pos[b] * (below + 0.5 * neg[b]);
		tie += pos[b] * neg[b];
		below += neg[b];
	}
	if (P == 0 || N == 0) {
		*auc = *bound = NAN;
		return;
	}
	*auc = u / (P * N);
	*bound = 0.5 * tie / (P * N);
}

void
fl_fedeval_metrics(const struct fl_fedeval *e, struct fl_metrics *m,
    double *auc_bound)
{
	double n = e->s[S_N];

	memset(m, 0, sizeof(*m));
	m->task = e->task;
	m->n = (size_t)n;
	m->auc = m->accuracy = m->log_loss = m->brier = NAN;
	m->rmse = m->mae = m->r2 = NAN;
	*auc_bound = NAN;
	if (n == 0)
		return;
	switch (e->task) {
	case FL_TASK_BINARY:
		binned_auc(e, &m->auc, auc_bound);
		m->brier = e->s[S_BRIER] / n;
		/* FALLTHROUGH */
	case FL_TASK_MULTICLASS:
		m->accuracy = e->s[S_CORRECT] / n;
		m->log_loss = e->s[S_LOGLOSS] / n;
		break;
	case FL_TASK_REGRESSION:
		m->rmse = sqrt(e->s[S_SSE] / n);
		m->mae = e->s[S_SAE] / n;
		m->r2 = e->s[S_YM2] > 0 ? 1.0 - e->s[S_SSE] / e->s[S_YM2] :
		    NAN;
		break;
	default:
		break;
	}
}

/* The metrics of e as fl-eval's JSON, plus "auc_bound" when binary. */
static json_t *
metrics_json(const struct fl_fedeval *e)
{
	struct fl_metrics m;
	double bound;
	json_t *o;

	fl_fedeval_metrics(e, &m, &bound);
	if ((o = fl_metrics_json(&m)) == NULL)
		return NULL;
	if (e->task == FL_TASK_BINARY && json_object_set_new(o, "auc_bound",
	    isfinite(bound) ? json_real(bound) : json_null()) < 0) {
		json_decref(o);
		return NULL;
	}
	return o;
}

/* e's own row for the per-site table: {site, id, metrics}. */
static json_t *
self_row(const struct fl_fedeval *e)
{
	json_t *m = metrics_json(e);

	if (m == NULL)
		return NULL;
	return json_pack("{s:s?, s:s?, s:o}", "site", e->site, "id", e->id,
	    "metrics", m);
}

int
fl_fedeval_to_archive(const struct fl_fedeval *e, struct fl_archive **ap,
    struct fl_err *err)
{
	struct fl_archive *a;
	json_t *man, *m;
	const int *k;
	size_t shape[2];
	int rc = FL_ENOMEM, bad;

	*ap = NULL;
	if ((a = fl_archive_new(FL_KIND_METRICS)) == NULL)
		return fl_err_set(err, FL_ENOMEM, "out of memory");
	man = fl_archive_manifest(a);
	if ((m = metrics_json(e)) == NULL)
		goto nomem;
	bad = json_object_set_new(man, "metrics", m);
	bad |= json_object_set_new(man, "task",
	    json_string(fl_task_name(e->task)));
	bad |= json_object_set_new(man, "classes",
	    json_integer((json_int_t)e->classes));
	bad |= json_object_set_new(man, "bins",
	    json_integer((json_int_t)e->bins));
	bad |= json_object_set_new(man, "parent", e->parent != NULL ?
	    json_string(e->parent) : json_null());
	bad |= json_object_set_new(man, "site", e->site != NULL ?
	    json_string(e->site) : json_null());
	bad |= json_object_set_new(man, "round", json_integer(e->round));
	bad |= json_object_set_new(man, "samples",
	    json_integer((json_int_t)e->s[S_N]));
	if (e->sites != NULL)
		bad |= json_object_set(man, "sites", e->sites);
	if (bad)
		goto nomem;
	shape[0] = 1;
	for (k = task_sums(e->task); *k >= 0; k++)
		if ((rc = fl_archive_add_tensor(a, s_names[*k], FL_DTYPE_F64,
		    1, shape, &e->s[*k], err)) < 0)
			goto fail;
	if (e->task == FL_TASK_BINARY) {
		shape[0] = 2;
		shape[1] = e->bins;
		if ((rc = fl_archive_add_tensor(a, "hist", FL_DTYPE_F64, 2,
		    shape, e->hist, err)) < 0 ||
		    (rc = fl_archive_add_tensor(a, "psum", FL_DTYPE_F64, 1,
		    shape + 1, e->psum, err)) < 0)
			goto fail;
	}
	*ap = a;
	return 0;
nomem:
	rc = fl_err_set(err, FL_ENOMEM, "out of memory");
fail:
	fl_archive_free(a);
	return rc;
}

/* Copy tensor name of exactly count F64 values into dst. */
static int
get_f64(const struct fl_archive *a, const char *name, size_t ndim,
    const size_t *shape, double *dst, struct fl_err *err)
{
	struct fl_tensor t;
	size_t i, count = 1;

	if (fl_archive_find(a, name, &t) < 0)
		return fl_err_set(err, FL_EFORMAT, "missing tensor '%s'", name);
	for (i = 0; i < ndim; i++)
		count *= shape[i];
	if (t.dtype != FL_DTYPE_F64 || t.ndim != ndim ||
	    t.nbytes != count * sizeof(double))
		return fl_err_set(err, FL_EFORMAT, "tensor '%s' is not F64 "
		    "of the task's shape", name);
	for (i = 0; i < ndim; i++)
		if (t.shape[i] != shape[i])
			return fl_err_set(err, FL_EFORMAT, "tensor '%s' is "
			    "not F64 of the task's shape", name);
	memcpy(dst, t.data, t.nbytes);	/* archive data may be unaligned */
	for (i = 0; i < count; i++)
		if (!isfinite(dst[i]))
			return fl_err_set(err, FL_ENUM, "tensor '%s': a value "
			    "is NaN or infinite", name);
	return 0;
}

/* Check the sums read: whole non-negative counts, no count above n. */
static const char *
check_sums(const struct fl_fedeval *e)
{
	double n = e->s[S_N], P = 0, N = 0;
	size_t b;

	if (n < 0 || n != floor(n) || n > 9007199254740992.0)
		return "'n' is not a count";
	if (e->task != FL_TASK_REGRESSION && (e->s[S_CORRECT] < 0 ||
	    e->s[S_CORRECT] > n || e->s[S_CORRECT] !=
	    floor(e->s[S_CORRECT]) || e->s[S_LOGLOSS] < 0))
		return "'correct' or 'log_loss' is out of range";
	if (e->task == FL_TASK_REGRESSION && (e->s[S_SSE] < 0 ||
	    e->s[S_SAE] < 0 || e->s[S_YM2] < 0))
		return "a sum of squares is negative";
	if (e->task != FL_TASK_BINARY)
		return NULL;
	if (e->s[S_BRIER] < 0 || e->s[S_BRIER] > n)
		return "'brier' is out of range";
	for (b = 0; b < e->bins; b++) {
		if (e->hist[b] < 0 || e->hist[b] != floor(e->hist[b]) ||
		    e->hist[e->bins + b] < 0 ||
		    e->hist[e->bins + b] != floor(e->hist[e->bins + b]))
			return "'hist' holds a value that is not a count";
		N += e->hist[b];
		P += e->hist[e->bins + b];
	}
	if (P + N != n)
		return "'hist' does not add up to 'n'";
	return NULL;
}

int
fl_fedeval_from_archive(struct fl_fedeval **ep, const struct fl_archive *a,
    struct fl_err *err)
{
	json_t *man = fl_archive_manifest((struct fl_archive *)a);
	struct fl_fedeval *e = NULL;
	const json_t *site, *parent, *sites;
	const char *task, *why;
	int64_t classes, bins, round;
	size_t shape[2], want = 0;
	const int *k;
	int t, rc;

	*ep = NULL;
	if (fl_archive_kind(a) != FL_KIND_METRICS)
		return fl_err_set(err, FL_EFORMAT, "not a metrics archive "
		    "(kind '%s')", fl_kind_name(fl_archive_kind(a)));
	if ((rc = fl_json_get_str(man, "task", &task, err)) < 0 ||
	    (rc = fl_json_get_int(man, "classes", &classes, err)) < 0 ||
	    (rc = fl_json_get_int(man, "bins", &bins, err)) < 0 ||
	    (rc = fl_json_get_int(man, "round", &round, err)) < 0)
		return rc;
	if ((t = fl_task_parse(task)) < 0)
		return fl_err_set(err, FL_EFORMAT, "unknown task '%.32s'",
		    task);
	if ((t == FL_TASK_MULTICLASS && (classes < 2 || classes > 65536)) ||
	    (t != FL_TASK_MULTICLASS && classes != 0))
		return fl_err_set(err, FL_EFORMAT, "key 'classes' does not "
		    "fit task '%s'", task);
	if (bins != (t == FL_TASK_BINARY ? FL_FEDEVAL_BINS : 0))
		return fl_err_set(err, FL_EFORMAT, "key 'bins' is %lld, "
		    "not %d", (long long)bins,
		    t == FL_TASK_BINARY ? FL_FEDEVAL_BINS : 0);
	site = json_object_get(man, "site");
	parent = json_object_get(man, "parent");
	sites = json_object_get(man, "sites");
	if ((site != NULL && !json_is_null(site) && !json_is_string(site)) ||
	    (parent != NULL && !json_is_null(parent) &&
	    !json_is_string(parent)) ||
	    (sites != NULL && !json_is_array(sites)))
		return fl_err_set(err, FL_EFORMAT, "key 'site', 'parent' or "
		    "'sites' has the wrong type");
	if ((rc = fl_fedeval_new(&e, (enum fl_task)t, (size_t)classes,
	    json_string_value(parent), json_string_value(site), round,
	    err)) < 0)
		return rc;
	if (set_str(&e->id, fl_archive_id(a)) < 0) {
		rc = fl_err_set(err, FL_ENOMEM, "out of memory");
		goto out;
	}
	if (sites != NULL)
		e->sites = json_deep_copy(sites);
	shape[0] = 1;
	for (k = task_sums(e->task); *k >= 0; k++, want++)
		if ((rc = get_f64(a, s_names[*k], 1, shape, &e->s[*k],
		    err)) < 0)
			goto out;
	if (e->task == FL_TASK_BINARY) {
		shape[0] = 2;
		shape[1] = e->bins;
		if ((rc = get_f64(a, "hist", 2, shape, e->hist, err)) < 0 ||
		    (rc = get_f64(a, "psum", 1, shape + 1, e->psum, err)) < 0)
			goto out;
		want += 2;
	}
	if (fl_archive_ntensors(a) != want) {
		rc = fl_err_set(err, FL_EFORMAT, "%zu tensors, a %s metrics "
		    "archive has %zu", fl_archive_ntensors(a), task, want);
		goto out;
	}
	if ((why = check_sums(e)) != NULL) {
		rc = fl_err_set(err, FL_EFORMAT, "%s", why);
		goto out;
	}
	*ep = e;
	e = NULL;
out:
	fl_fedeval_free(e);
	return rc;
}

/* Append e's rows (its "sites", or its own row) to rows. */
static int
append_rows(json_t *rows, const struct fl_fedeval *e)
{
	size_t i;
	json_t *r;

	if (e->sites != NULL) {
		json_array_foreach(e->sites, i, r)
			if (json_array_append(rows, r) < 0)
				return -1;
		return 0;
	}
	return json_array_append_new(rows, self_row(e));
}

/* 1 when a row in rows names site. */
static int
has_site(const json_t *rows, const char *site)
{
	size_t i;
	json_t *r;
	const char *s;

	json_array_foreach(rows, i, r) {
		s = json_string_value(json_object_get(r, "site"));
		if (s != NULL && strcmp(s, site) == 0)
			return 1;
	}
	return 0;
}

int
fl_fedeval_merge(struct fl_fedeval *dst, const struct fl_fedeval *src,
    struct fl_err *err)
{
	json_t *rows;
	size_t i, j;
	const char *s;

	if (dst->task != src->task || dst->classes != src->classes)
		return fl_err_set(err, FL_ESHAPE, "task '%s' (%zu classes) "
		    "differs from '%s' (%zu classes)", fl_task_name(src->task),
		    src->classes, fl_task_name(dst->task), dst->classes);
	if ((dst->parent == NULL) != (src->parent == NULL) ||
	    (dst->parent != NULL && strcmp(dst->parent, src->parent) != 0))
		return fl_err_set(err, FL_ESHAPE, "metrics of model %.24s, "
		    "not of %.24s", src->parent != NULL ? src->parent : "null",
		    dst->parent != NULL ? dst->parent : "null");
	if (dst->sites == NULL) {
		if ((rows = json_array()) == NULL ||
		    append_rows(rows, dst) < 0) {
			json_decref(rows);
			return fl_err_set(err, FL_ENOMEM, "out of memory");
		}
		dst->sites = rows;
		set_str(&dst->site, NULL);
		set_str(&dst->id, NULL);
	}
	if ((rows = json_array()) == NULL || append_rows(rows, src) < 0) {
		json_decref(rows);
		return fl_err_set(err, FL_ENOMEM, "out of memory");
	}
	for (j = 0; j < json_array_size(rows); j++) {
		s = json_string_value(json_object_get(json_array_get(rows, j),
		    "site"));
		if (s != NULL && has_site(dst->sites, s)) {
			fl_err_set(err, FL_EFORMAT, "site '%.64s' already "
			    "contributed", s);
			json_decref(rows);
			return err != NULL ? err->code : FL_EFORMAT;
		}
	}
	if (json_array_extend(dst->sites, rows) < 0) {
		json_decref(rows);
		return fl_err_set(err, FL_ENOMEM, "out of memory");
	}
	json_decref(rows);
	if (dst->task == FL_TASK_REGRESSION)
		add_spread(dst, src->s[S_N], src->s[S_YSUM], src->s[S_YM2]);
	for (i = 0; i < S_MAX; i++)
		if (i != S_YSUM && i != S_YM2)
			dst->s[i] += src->s[i];
	for (i = 0; i < 2 * dst->bins; i++)
		dst->hist[i] += src->hist[i];
	for (i = 0; i < dst->bins; i++)
		dst->psum[i] += src->psum[i];
	return 0;
}

/* Write one TSV cell: a number as %.10g, else NA. */
static void
put_cell(FILE *f, const json_t *v)
{
	if (json_is_integer(v))
		fprintf(f, "%lld", (long long)json_integer_value(v));
	else if (json_is_number(v))
		fprintf(f, "%.10g", json_number_value(v));
	else
		fputs("NA", f);
}

/* Write site names without tabs or newlines. */
static void
put_name(FILE *f, const char *s)
{
	for (; *s != '\0'; s++)
		fputc(*s == '\t' || *s == '\n' || *s == '\r' ? ' ' : *s, f);
}

/* One row of the report: site, then m's metrics in the key order of
 * keys (the pooled row's, which is fl-eval's: an archive's manifest has
 * its keys sorted). */
static void
report_row(FILE *f, const char *site, const json_t *m, const json_t *keys,
    int json, int header)
{
	const char *key;
	json_t *v, *o;

	if (json) {
		o = json_pack("{s:s}", "site", site);
		json_object_foreach((json_t *)keys, key, v)
			if (o != NULL)
				json_object_set(o, key, json_object_get(m, key) ?
				    json_object_get(m, key) : json_null());
		if (o != NULL)
			json_dumpf(o, f, JSON_PRESERVE_ORDER | JSON_COMPACT |
			    JSON_REAL_PRECISION(12));
		json_decref(o);
		fputc('\n', f);
		return;
	}
	if (header)
		fputs("site", f);
	else
		put_name(f, site);
	json_object_foreach((json_t *)keys, key, v) {
		fputc('\t', f);
		if (header)
			fputs(key, f);
		else
			put_cell(f, json_object_get(m, key));
	}
	fputc('\n', f);
}

int
fl_fedeval_report(const struct fl_fedeval *e, FILE *f, int json,
    const char *name, struct fl_err *err)
{
	json_t *rows, *pooled, *r, *m;
	const char *site;
	size_t i;
	int rc = 0;

	if ((rows = json_array()) == NULL || append_rows(rows, e) < 0 ||
	    (pooled = metrics_json(e)) == NULL) {
		json_decref(rows);
		return fl_err_set(err, FL_ENOMEM, "out of memory");
	}
	if (!json)
		report_row(f, "", pooled, pooled, 0, 1);
	json_array_foreach(rows, i, r) {
		m = json_object_get(r, "metrics");
		site = json_string_value(json_object_get(r, "site"));
		if (!json_is_object(m)) {
			rc = fl_err_set(err, FL_EFORMAT, "%s: key 'sites': "
			    "row %zu has no metrics", name, i);
			goto out;
		}
		report_row(f, site != NULL ? site : "NA", m, pooled, json, 0);
	}
	report_row(f, "pooled", pooled, pooled, json, 0);
	if (ferror(f))
		rc = fl_err_set(err, FL_EIO, "%s: %s", name, strerror(errno));
out:
	json_decref(rows);
	json_decref(pooled);
	return rc;
}

int
fl_fedeval_curve(const struct fl_fedeval *e, const char *curve, FILE *f,
    const char *name, struct fl_err *err)
{
	const double *neg = e->hist, *pos = e->hist + e->bins;
	double P = 0, N = 0, tp = 0, fp = 0, c, o, s;
	size_t b, i, per;

	if (e->task != FL_TASK_BINARY)
		return fl_err_set(err, FL_EUSAGE, "--curve %s needs a binary "
		    "task, not '%s'", curve, fl_task_name(e->task));
	for (b = 0; b < e->bins; b++) {
		P += pos[b];
		N += neg[b];
	}
	if (strcmp(curve, "roc") == 0) {
		if (P == 0 || N == 0)
			return fl_err_set(err, FL_EUSAGE, "%s: no ROC curve "
			    "with one class absent", name);
		/* Predict positive when the score's bin is at or above
		 * b: one point per non-empty bin, from the top. */
		fputs("fpr\ttpr\tthreshold\n0\t0\t1\n", f);
		for (b = e->bins; b-- > 0;) {
			if (pos[b] + neg[b] == 0)
				continue;
			tp += pos[b];
			fp += neg[b];
			fprintf(f, "%.10g\t%.10g\t%.10g\n", fp / N, tp / P,
			    (double)b / (double)e->bins);
		}
	} else if (strcmp(curve, "calibration") == 0) {
		per = e->bins / CAL_BINS;
		fputs("bin\tmean_pred\tobserved\tn\n", f);
		for (b = 0; b < CAL_BINS; b++) {
			for (c = o = s = 0, i = b * per; i < (b + 1) * per;
			    i++) {
				c += pos[i] + neg[i];
				o += pos[i];
				s += e->psum[i];
			}
			if (c == 0)
				continue;
			fprintf(f, "%zu\t%.10g\t%.10g\t%.0f\n", b, s / c,
			    o / c, c);
		}
	} else
		return fl_err_set(err, FL_EUSAGE, "unknown curve '%s'", curve);
	if (ferror(f))
		return fl_err_set(err, FL_EIO, "%s: %s", name, strerror(errno));
	return 0;
}
