/*
 * metrics.c: evaluation metrics of predictions from fl_predict, and their
 * JSON form (the "metrics" of fl-eval and of a metrics archive).  All sums
 * are in double.
 */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>

#include "stats/stats.h"

#define PCLIP 1e-15	/* probabilities are clipped to [PCLIP, 1 - PCLIP] */

/* A prediction and its label, sorted by score for the AUC. */
struct scored {
	double	s;
	int	pos;
};

/* qsort order of struct scored by score. */
static int
cmp_scored(const void *a, const void *b)
{
	double x = ((const struct scored *)a)->s;
	double y = ((const struct scored *)b)->s;

	return (x > y) - (x < y);
}

/* Clip a probability away from 0 and 1 for the log loss. */
static double
clip(double p)
{
	return p < PCLIP ? PCLIP : p > 1.0 - PCLIP ? 1.0 - PCLIP : p;
}

/*
 * The AUC by the rank (Mann-Whitney) formula: with ranks 1..n of the
 * scores, tied scores sharing their average rank, AUC = (R+ - P(P+1)/2)
 * / (P N) where R+ sums the positives' ranks.  NaN when a class is
 * absent.  Errors: FL_ENOMEM.
 */
static int
auc(size_t n, const float *p, const float *y, double *out,
    struct fl_err *err)
{
	struct scored *v;
	size_t i, j, k, npos = 0;
	double rpos = 0.0, rank;

	if ((v = malloc(n * sizeof(*v))) == NULL)
		return fl_err_set(err, FL_ENOMEM, "out of memory");
	for (i = 0; i < n; i++) {
		v[i].s = p[i];
		v[i].pos = y[i] == 1.0f;
		npos += (size_t)v[i].pos;
	}
	qsort(v, n, sizeof(*v), cmp_scored);
	for (i = 0; i < n; i = j) {
		for (j = i + 1; j < n && v[j].s == v[i].s; j++)
			;
		/* Rows i..j-1 tie; their ranks i+1..j average to this. */
		rank = 0.5 * (double)(i + 1 + j);
		for (k = i; k < j; k++)
			if (v[k].pos)
				rpos += rank;
	}
	free(v);
	if (npos == 0 || npos == n)
		*out = NAN;
	else
		*out = (rpos - 0.5 * (double)npos * (double)(npos + 1)) /
		    ((double)npos * (double)(n - npos));
	return 0;
}

/* Binary: AUC, accuracy at 0.5, log loss and Brier score. */
static int
binary(size_t n, const float *p, const float *y, struct fl_metrics *m,
    struct fl_err *err)
{
	size_t i, right = 0;
	double ll = 0.0, br = 0.0, q;

	for (i = 0; i < n; i++) {
		q = p[i];
		right += (q >= 0.5) == (y[i] == 1.0f);
		ll -= y[i] == 1.0f ? log(clip(q)) : log(1.0 - clip(q));
		br += (q - y[i]) * (q - y[i]);
	}
	m->accuracy = (double)right / (double)n;
	m->log_loss = ll / (double)n;
	m->brier = br / (double)n;
	return auc(n, p, y, &m->auc, err);
}

/* Multiclass: accuracy by argmax (lowest index on ties) and log loss.
 * Errors: FL_ENUM (a label that is not a class). */
static int
multiclass(size_t n, size_t k, const float *p, const float *y,
    struct fl_metrics *m, struct fl_err *err)
{
	size_t i, j, best, cls, right = 0;
	double ll = 0.0;

	for (i = 0; i < n; i++) {
		const float *r = p + i * k;

		if (!(y[i] >= 0.0f && y[i] < (float)k) || y[i] != floorf(y[i]))
			return fl_err_set(err, FL_ENUM, "row %zu: label %g is "
			    "not a class in 0..%zu", i + 1, (double)y[i],
			    k - 1);
		cls = (size_t)y[i];
		best = 0;
		for (j = 1; j < k; j++)
			if (r[j] > r[best])
				best = j;
		right += best == cls;
		ll -= log(clip(r[cls]));
	}
	m->accuracy = (double)right / (double)n;
	m->log_loss = ll / (double)n;
	return 0;
}

/* Regression: RMSE, MAE and R^2 = 1 - SSres / SStot (NaN if SStot is 0). */
static void
regression(size_t n, const float *f, const float *y, struct fl_metrics *m)
{
	size_t i;
	double mean = 0.0, ssres = 0.0, sstot = 0.0, sae = 0.0, e;

	for (i = 0; i < n; i++)
		mean += y[i];
	mean /= (double)n;
	for (i = 0; i < n; i++) {
		e = (double)f[i] - y[i];
		ssres += e * e;
		sae += fabs(e);
		sstot += (y[i] - mean) * (y[i] - mean);
	}
	m->rmse = sqrt(ssres / (double)n);
	m->mae = sae / (double)n;
	m->r2 = sstot > 0.0 ? 1.0 - ssres / sstot : NAN;
}

/* Metrics of pred (n, k) against y (n); see fl.h. */
int
fl_metrics_compute(enum fl_task task, size_t n, size_t k, const float *pred,
    const float *y, struct fl_metrics *out, struct fl_err *err)
{
	out->task = task;
	out->n = n;
	out->auc = out->accuracy = out->log_loss = out->brier = NAN;
	out->rmse = out->mae = out->r2 = NAN;
	out->c_index = NAN;
	out->nhorizons = 0;
	if (n == 0)
		return fl_err_set(err, FL_EUSAGE, "no rows to evaluate");
	switch (task) {
	case FL_TASK_BINARY:
		if (k != 1)
			break;
		return binary(n, pred, y, out, err);
	case FL_TASK_MULTICLASS:
		if (k < 2)
			break;
		return multiclass(n, k, pred, y, out, err);
	case FL_TASK_REGRESSION:
		if (k != 1)
			break;
		regression(n, pred, y, out);
		return 0;
	case FL_TASK_SURVIVAL:
		/* Survival needs times: see fl_metrics_survival. */
		return fl_err_set(err, FL_EUSAGE, "survival metrics need "
		    "times (fl_metrics_survival)");
	}
	return fl_err_set(err, FL_EUSAGE, "%zu outputs per row do not fit "
	    "task '%s'", k, fl_task_name(task));
}

/* Add key: v to o, as null when v is NaN or infinite.  -1 on failure. */
static int
set_num(json_t *o, const char *key, double v)
{
	return json_object_set_new(o, key,
	    isfinite(v) ? json_real(v) : json_null());
}

/*
 * Survival: "c_index", then for each horizon T "auc_T" and "brier_T", T
 * written as by %g ("auc_365", "brier_182.5").  -1 on failure.
 */
static int
survival_json(json_t *o, const struct fl_metrics *m)
{
	char key[64];
	size_t h;
	int bad;

	bad = set_num(o, "c_index", m->c_index);
	for (h = 0; h < m->nhorizons && h < FL_MAX_HORIZONS; h++) {
		snprintf(key, sizeof(key), "auc_%.10g", m->horizon[h]);
		bad |= set_num(o, key, m->td_auc[h]);
		snprintf(key, sizeof(key), "brier_%.10g", m->horizon[h]);
		bad |= set_num(o, key, m->brier_t[h]);
	}
	return bad;
}

/* The task's metrics as a JSON object, keys in a fixed order; see fl.h. */
json_t *
fl_metrics_json(const struct fl_metrics *m)
{
	json_t *o;
	int bad;

	if ((o = json_object()) == NULL)
		return NULL;
	bad = json_object_set_new(o, "n", json_integer((json_int_t)m->n));
	switch (m->task) {
	case FL_TASK_BINARY:
		bad |= set_num(o, "auc", m->auc);
		bad |= set_num(o, "accuracy", m->accuracy);
		bad |= set_num(o, "log_loss", m->log_loss);
		bad |= set_num(o, "brier", m->brier);
		break;
	case FL_TASK_MULTICLASS:
		bad |= set_num(o, "accuracy", m->accuracy);
		bad |= set_num(o, "log_loss", m->log_loss);
		break;
	case FL_TASK_REGRESSION:
		bad |= set_num(o, "rmse", m->rmse);
		bad |= set_num(o, "mae", m->mae);
		bad |= set_num(o, "r2", m->r2);
		break;
	case FL_TASK_SURVIVAL:
		bad |= survival_json(o, m);
		break;
	}
	if (bad != 0) {
		json_decref(o);
		return NULL;
	}
	return o;
}
