/*
 * survival.c: metrics of survival predictions, for fl-eval: Harrell's
 * C-index, and at a horizon the cumulative/dynamic AUC (Uno et al. 2007)
 * and the Brier score (Graf et al. 1999), both with inverse probability of
 * censoring weights from the Kaplan-Meier estimate of the censoring
 * distribution; and the survival curve of fl-eval --curve survival (the
 * mean predicted S(t|x) against the Kaplan-Meier estimate).  Plain loops
 * in double; the JSON form is in metrics.c and the definitions in fl.h and
 * fl-eval(1).
 */
#include <errno.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "stats/stats.h"

/* A time and whether it counts in km_build (censored, or an event),
 * sorted by time. */
struct tc {
	double	t;
	int	cens;
};

static int
cmp_tc(const void *a, const void *b)
{
	double x = ((const struct tc *)a)->t, y = ((const struct tc *)b)->t;

	return (x > y) - (x < y);
}

/*
 * A Kaplan-Meier estimate: at each distinct time u (ut, ascending, nu of
 * them), g after u = the product over times v <= u of (1 - c_v / n_v),
 * n_v the rows with time >= v and c_v the rows censored at v (cens 1: the
 * censoring survival G, events at v still counting as at risk) or the
 * events at v (cens 0: the survival S).
 */
struct km {
	double	*ut, *g;
	size_t	 nu;
};

static int
km_build(struct km *k, size_t n, const float *time, const float *event,
    int cens, struct fl_err *err)
{
	struct tc *t;
	double acc = 1.0, c;
	size_t i, j, u = 0;

	memset(k, 0, sizeof(*k));
	t = malloc(n * sizeof(*t));
	k->ut = malloc(n * sizeof(double));
	k->g = malloc(n * sizeof(double));
	if (t == NULL || k->ut == NULL || k->g == NULL) {
		free(t);
		free(k->ut);
		free(k->g);
		return fl_err_set(err, FL_ENOMEM, "out of memory");
	}
	for (i = 0; i < n; i++) {
		t[i].t = time[i];
		t[i].cens = (event[i] != 1.0f) == cens;
	}
	qsort(t, n, sizeof(*t), cmp_tc);
	for (i = 0; i < n; i = j) {
		c = 0.0;
		for (j = i; j < n && t[j].t == t[i].t; j++)
			c += t[j].cens;
		acc *= 1.0 - c / (double)(n - i);
		k->ut[u] = t[i].t;
		k->g[u] = acc;
		u++;
	}
	k->nu = u;
	free(t);
	return 0;
}

/* A Kaplan-Meier step function's value; see fl.h. */
double
fl_km_step(size_t nu, const double *ut, const double *g, double t,
    int strict)
{
	size_t lo = 0, hi = nu, mid;

	/* Find the number of distinct times <= t (or < t). */
	while (lo < hi) {
		mid = (lo + hi) / 2;
		if (strict ? ut[mid] < t : ut[mid] <= t)
			lo = mid + 1;
		else
			hi = mid;
	}
	return lo == 0 ? 1.0 : g[lo - 1];
}

/* G(t) (strict 0: G(t-), the product over times < t). */
static double
km_at(const struct km *k, double t, int strict)
{
	return fl_km_step(k->nu, k->ut, k->g, t, strict);
}

/* 1, 1/2 or 0 as a is above, equal to or below b. */
static double
conc(float a, float b)
{
	return a > b ? 1.0 : a == b ? 0.5 : 0.0;
}

/*
 * Harrell's C: over pairs (i, j) where i had an event and either
 * t_i < t_j, or t_i == t_j and j was censored (taken to outlive i), the
 * share in which i has the higher risk, tied risks counting 1/2.
 */
static double
c_index(size_t n, const float *eta, const float *time, const float *event)
{
	double num = 0.0, den = 0.0;
	size_t i, j;

	for (i = 0; i < n; i++) {
		if (event[i] != 1.0f)
			continue;
		for (j = 0; j < n; j++) {
			if (j == i || !(time[i] < time[j] ||
			    (time[i] == time[j] && event[j] != 1.0f)))
				continue;
			den += 1.0;
			num += conc(eta[i], eta[j]);
		}
	}
	return den > 0.0 ? num / den : NAN;
}

/*
 * Uno's cumulative/dynamic AUC at tau: cases are the rows with an event
 * at t_i <= tau, weighted 1/G(t_i-); controls the rows with t_j > tau
 * (their common weight 1/G(tau) cancels).
 */
static double
td_auc(size_t n, const float *eta, const float *time, const float *event,
    const struct km *k, double tau)
{
	double num = 0.0, den = 0.0, w;
	size_t i, j, nctl = 0;

	for (j = 0; j < n; j++)
		nctl += time[j] > tau;
	if (nctl == 0)
		return NAN;
	for (i = 0; i < n; i++) {
		if (event[i] != 1.0f || time[i] > tau)
			continue;
		if (!((w = km_at(k, time[i], 1)) > 0.0))
			continue;
		w = 1.0 / w;
		for (j = 0; j < n; j++)
			if (time[j] > tau)
				num += w * conc(eta[i], eta[j]);
		den += w * (double)nctl;
	}
	return den > 0.0 ? num / den : NAN;
}

/*
 * Graf's Brier score at tau: the mean over all n rows of S_i^2 / G(t_i-)
 * for an event at t_i <= tau, (1 - S_i)^2 / G(tau) for t_i > tau, and 0
 * for a row censored at or before tau.
 */
static double
brier(size_t n, const double *S, size_t stride, const float *time,
    const float *event, const struct km *k, double tau)
{
	double acc = 0.0, gt = km_at(k, tau, 0), g, s;
	size_t i;

	for (i = 0; i < n; i++) {
		s = S[i * stride];
		if (!isfinite(s))
			return NAN;
		if (time[i] > tau) {
			if (!(gt > 0.0))
				return NAN;
			acc += (1.0 - s) * (1.0 - s) / gt;
		} else if (event[i] == 1.0f) {
			if ((g = km_at(k, time[i], 1)) > 0.0)
				acc += s * s / g;
		}
	}
	return acc / (double)n;
}

/* Survival metrics; see fl.h. */
int
fl_metrics_survival(size_t n, const float *eta, const float *time,
    const float *event, size_t nh, const double *horizon, const double *surv,
    struct fl_metrics *out, struct fl_err *err)
{
	struct km k;
	size_t h;
	int rc;

	memset(out, 0, sizeof(*out));
	out->task = FL_TASK_SURVIVAL;
	out->n = n;
	out->auc = out->accuracy = out->log_loss = out->brier = NAN;
	out->rmse = out->mae = out->r2 = NAN;
	out->c_index = NAN;
	if (n == 0)
		return fl_err_set(err, FL_EUSAGE, "no rows to evaluate");
	if (nh > FL_MAX_HORIZONS)
		return fl_err_set(err, FL_EUSAGE, "at most %d horizons",
		    FL_MAX_HORIZONS);
	out->c_index = c_index(n, eta, time, event);
	out->nhorizons = nh;
	if (nh == 0)
		return 0;
	if ((rc = km_build(&k, n, time, event, 1, err)) < 0)
		return rc;
	for (h = 0; h < nh; h++) {
		out->horizon[h] = horizon[h];
		out->td_auc[h] = td_auc(n, eta, time, event, &k, horizon[h]);
		out->brier_t[h] = surv == NULL ? NAN :
		    brier(n, surv + h, nh, time, event, &k, horizon[h]);
	}
	free(k.ut);
	free(k.g);
	return 0;
}

/* The Kaplan-Meier estimate at times t; see fl.h. */
int
fl_survival_km(size_t n, const float *time, const float *event, size_t nt,
    const double *t, double *observed, size_t *at_risk, struct fl_err *err)
{
	struct km k;
	size_t i, j;
	int rc;

	if ((rc = km_build(&k, n, time, event, 0, err)) < 0)
		return rc;
	for (j = 0; j < nt; j++) {
		observed[j] = km_at(&k, t[j], 0);
		if (at_risk == NULL)
			continue;
		for (at_risk[j] = 0, i = 0; i < n; i++)
			at_risk[j] += time[i] >= t[j];
	}
	free(k.ut);
	free(k.g);
	return 0;
}

/* The survival curve of fl-eval; see fl.h. */
int
fl_survival_curve(const struct fl_model *m, const double *cumhaz, size_t n,
    const float *eta, const float *time, const float *event, FILE *f,
    const char *name, struct fl_err *err)
{
	const struct fl_prep *p = fl_model_prep_const(m);
	double *obs, h0, s;
	size_t *risk, G = p->ngrid, i, k;
	int rc;

	if (fl_model_task(m) != FL_TASK_SURVIVAL || G == 0)
		return fl_err_set(err, FL_EUSAGE, "the survival curve needs "
		    "a survival model with a baseline grid");
	if (n == 0)
		return fl_err_set(err, FL_EUSAGE, "no rows to evaluate");
	if (cumhaz == NULL)
		return fl_err_set(err, FL_EFORMAT, "no baseline hazard to "
		    "predict S(t|x) with (fl-aggregate writes it from survival "
		    "updates)");
	obs = malloc(G * sizeof(double));
	risk = malloc(G * sizeof(size_t));
	if (obs == NULL || risk == NULL) {
		rc = fl_err_set(err, FL_ENOMEM, "out of memory");
		goto out;
	}
	if ((rc = fl_survival_km(n, time, event, G, p->grid, obs, risk,
	    err)) < 0)
		goto out;
	fputs("time\tpredicted\tobserved\tat_risk\n", f);
	for (k = 0; k < G; k++) {
		h0 = fl_baseline_at(m, cumhaz, p->grid[k]);
		for (s = 0.0, i = 0; i < n; i++)
			s += exp(-h0 * exp((double)eta[i]));
		fprintf(f, "%.10g\t%.10g\t%.10g\t%zu\n", p->grid[k],
		    s / (double)n, obs[k], risk[k]);
	}
	rc = ferror(f) ? fl_err_set(err, FL_EIO, "%s: %s", name,
	    strerror(errno)) : 0;
out:
	free(obs);
	free(risk);
	return rc;
}
