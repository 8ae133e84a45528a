/*
 * value.c: the utility of a coalition for fl-value (man/fl-value.1): a
 * metric of lib/stats/metrics.c, signed so that higher is better, of the
 * coalition's aggregate (lib/federation/coalition.c) on validation rows.
 * The Shapley and leave-one-out values are in lib/federation/shapley.c.
 */
#include <math.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "federation/federation.h"

/* The metrics, their tasks and signs: a loss is negated. */
static const struct metric {
	const char	*name;
	unsigned	 tasks;		/* 1 << enum fl_task */
	int		 sign;
} metrics[] = {
	{ "auc", 1u << FL_TASK_BINARY, 1 },
	{ "accuracy", 1u << FL_TASK_BINARY | 1u << FL_TASK_MULTICLASS, 1 },
	{ "log_loss", 1u << FL_TASK_BINARY | 1u << FL_TASK_MULTICLASS, -1 },
	{ "brier", 1u << FL_TASK_BINARY, -1 },
	{ "rmse", 1u << FL_TASK_REGRESSION, -1 },
	{ "mae", 1u << FL_TASK_REGRESSION, -1 },
	{ "r2", 1u << FL_TASK_REGRESSION, 1 },
	{ "c_index", 1u << FL_TASK_SURVIVAL, 1 },
};
#define NMETRICS	(sizeof(metrics) / sizeof(*metrics))

const char *
fl_value_metric_default(enum fl_task task)
{
	switch (task) {
	case FL_TASK_BINARY:
		return "auc";
	case FL_TASK_MULTICLASS:
		return "accuracy";
	case FL_TASK_REGRESSION:
		return "r2";
	default:
		return "c_index";
	}
}

int
fl_value_metric_check(const char *name, enum fl_task task, int *sign,
    struct fl_err *err)
{
	size_t i, len = 0;
	char list[128];

	list[0] = '\0';
	for (i = 0; i < NMETRICS; i++) {
		if (!(metrics[i].tasks & 1u << task))
			continue;
		if (strcmp(name, metrics[i].name) == 0) {
			*sign = metrics[i].sign;
			return 0;
		}
		len += (size_t)snprintf(list + len, sizeof(list) - len, "%s%s",
		    len > 0 ? ", " : "", metrics[i].name);
	}
	return fl_err_set(err, FL_EUSAGE, "--metric %s is not a metric of %s "
	    "models (%s)", name, fl_task_name(task), list);
}

double
fl_value_metric_get(const struct fl_metrics *m, const char *name)
{
	static const struct { const char *name; size_t off; } at[] = {
		{ "auc", offsetof(struct fl_metrics, auc) },
		{ "accuracy", offsetof(struct fl_metrics, accuracy) },
		{ "log_loss", offsetof(struct fl_metrics, log_loss) },
		{ "brier", offsetof(struct fl_metrics, brier) },
		{ "rmse", offsetof(struct fl_metrics, rmse) },
		{ "mae", offsetof(struct fl_metrics, mae) },
		{ "r2", offsetof(struct fl_metrics, r2) },
		{ "c_index", offsetof(struct fl_metrics, c_index) },
	};
	size_t i;

	for (i = 0; i < sizeof(at) / sizeof(*at); i++)
		if (strcmp(name, at[i].name) == 0)
			return *(const double *)(const void *)
			    ((const char *)m + at[i].off);
	return NAN;
}

struct fl_valuer {
	struct fl_coalition	*c;
	const struct fl_dataset	*ds;
	struct fl_model		*m;
	float			*pred;
	const char		*metric;
	int			 sign;
};

int
fl_valuer_new(struct fl_valuer **vp, struct fl_coalition *c,
    const struct fl_dataset *ds, const char *metric, struct fl_err *err)
{
	const struct fl_model *base = fl_coalition_base(c);
	struct fl_valuer *v;
	size_t len;
	int rc;

	*vp = NULL;
	if (ds->n == 0)
		return fl_err_set(err, FL_EFORMAT, "no validation rows");
	if ((v = calloc(1, sizeof(*v))) == NULL)
		return fl_err_set(err, FL_ENOMEM, "out of memory");
	v->c = c;
	v->ds = ds;
	v->metric = metric;
	if ((rc = fl_value_metric_check(metric, fl_model_task(base), &v->sign,
	    err)) < 0) {
		free(v);
		return rc;
	}
	if (fl_size_mul(ds->n, fl_model_noutputs(base) * sizeof(float),
	    &len) < 0 || (v->m = fl_model_dup(base)) == NULL ||
	    (v->pred = malloc(len)) == NULL) {
		fl_valuer_free(v);
		return fl_err_set(err, FL_ENOMEM, "out of memory");
	}
	*vp = v;
	return 0;
}

void
fl_valuer_free(struct fl_valuer *v)
{
	if (v == NULL)
		return;
	fl_model_free(v->m);
	free(v->pred);
	free(v);
}

int
fl_valuer_utility(void *ctx, const unsigned char *in, double *u,
    struct fl_err *err)
{
	struct fl_valuer *v = ctx;
	const struct fl_dataset *ds = v->ds;
	struct fl_metrics met;
	int rc, refused;

	if ((rc = fl_coalition_params(v->c, in, fl_model_params(v->m),
	    &refused, err)) < 0 ||
	    (rc = fl_predict(v->m, ds, NULL, v->pred, err)) < 0)
		return rc;
	if (fl_model_task(v->m) == FL_TASK_SURVIVAL)
		rc = fl_metrics_survival(ds->n, v->pred, ds->time, ds->y, 0,
		    NULL, NULL, &met, err);
	else
		rc = fl_metrics_compute(fl_model_task(v->m), ds->n,
		    fl_model_noutputs(v->m), v->pred, ds->y, &met, err);
	if (rc < 0)
		return rc;
	*u = v->sign * fl_value_metric_get(&met, v->metric);
	if (!isfinite(*u))
		return fl_err_set(err, FL_ENUM, "%s is undefined on the "
		    "validation rows (one class only?)", v->metric);
	return 0;
}
