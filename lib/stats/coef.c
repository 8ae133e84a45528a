/*
 * coef.c: the coefficient table of a model fitted by Newton rounds:
 * estimates, standard errors from the pooled information matrix the
 * model carries, Wald tests and intervals, odds and hazard ratios, all in
 * the features' original units (stats/coef.h; fl-eval(1), --coef).  The
 * record it reads is written by lib/federation/newton.c.
 */
#include <float.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "stats/stats.h"
#include "train/train.h"

/* Acklam's rational approximation, then one Halley step on erfc. */
double
fl_qnorm(double p)
{
	static const double a[] = { -3.969683028665376e+01,
	    2.209460984245205e+02, -2.759285104469687e+02,
	    1.383577518672690e+02, -3.066479806614716e+01,
	    2.506628277459239e+00 };
	static const double b[] = { -5.447609879822406e+01,
	    1.615858368580409e+02, -1.556989798598866e+02,
	    6.680131188771972e+01, -1.328068155288572e+01 };
	static const double c[] = { -7.784894002430293e-03,
	    -3.223964580411365e-01, -2.400758277161838e+00,
	    -2.549732539343734e+00, 4.374664141464968e+00,
	    2.938163982698783e+00 };
	static const double d[] = { 7.784695709041462e-03,
	    3.224671290700398e-01, 2.445134137142996e+00,
	    3.754408661907416e+00 };
	double q, r, x, e, u;

	if (!(p > 0 && p < 1))
		return NAN;
	if (p < 0.02425) {
		q = sqrt(-2 * log(p));
		x = (((((c[0] * q + c[1]) * q + c[2]) * q + c[3]) * q + c[4]) *
		    q + c[5]) / ((((d[0] * q + d[1]) * q + d[2]) * q + d[3]) *
		    q + 1);
	} else if (p <= 1 - 0.02425) {
		q = p - 0.5;
		r = q * q;
		x = (((((a[0] * r + a[1]) * r + a[2]) * r + a[3]) * r + a[4]) *
		    r + a[5]) * q / (((((b[0] * r + b[1]) * r + b[2]) * r +
		    b[3]) * r + b[4]) * r + 1);
	} else {
		q = sqrt(-2 * log1p(-p));
		x = -(((((c[0] * q + c[1]) * q + c[2]) * q + c[3]) * q + c[4]) *
		    q + c[5]) / ((((d[0] * q + d[1]) * q + d[2]) * q + d[3]) *
		    q + 1);
	}
	e = 0.5 * erfc(-x / sqrt(2)) - p;
	u = e * sqrt(2 * M_PI) * exp(x * x / 2);
	return x - u / (1 + x * u / 2);
}

/* The continued fraction of the regularised incomplete beta (Lentz). */
static double
betacf(double a, double b, double x)
{
	double c = 1, d = 1 - (a + b) * x / (a + 1), h, aa, del;
	int m;

	d = fabs(d) < DBL_MIN ? DBL_MIN : d;
	d = 1 / d;
	h = d;
	for (m = 1; m <= 1000; m++) {
		aa = m * (b - m) * x / ((a + 2 * m - 1) * (a + 2 * m));
		d = 1 + aa * d;
		d = fabs(d) < DBL_MIN ? DBL_MIN : d;
		c = 1 + aa / c;
		c = fabs(c) < DBL_MIN ? DBL_MIN : c;
		d = 1 / d;
		h *= d * c;
		aa = -(a + m) * (a + b + m) * x / ((a + 2 * m) * (a + 2 * m + 1));
		d = 1 + aa * d;
		d = fabs(d) < DBL_MIN ? DBL_MIN : d;
		c = 1 + aa / c;
		c = fabs(c) < DBL_MIN ? DBL_MIN : c;
		d = 1 / d;
		del = d * c;
		h *= del;
		if (fabs(del - 1) < 1e-16)
			break;
	}
	return h;
}

/* I_x(a, b). */
static double
ibeta(double a, double b, double x)
{
	double bt;

	if (x <= 0)
		return 0;
	if (x >= 1)
		return 1;
	bt = exp(lgamma(a + b) - lgamma(a) - lgamma(b) + a * log(x) +
	    b * log1p(-x));
	if (x < (a + 1) / (a + b + 2))
		return bt * betacf(a, b, x) / a;
	return 1 - bt * betacf(b, a, 1 - x) / b;
}

double
fl_pt2(double t, double df)
{
	if (isnan(t) || !(df > 0))
		return NAN;
	return ibeta(df / 2, 0.5, df / (df + t * t));
}

double
fl_qt(double p, double df)
{
	double lo = 0, hi = 1, mid, tail;
	int i;

	if (!(p > 0 && p < 1) || !(df > 0))
		return NAN;
	if (p == 0.5)
		return 0;
	tail = p > 0.5 ? 1 - p : p;	/* one-sided tail beyond |q| */
	while (fl_pt2(hi, df) / 2 > tail && hi < 1e300)
		hi *= 2;
	for (i = 0; i < 200; i++) {
		mid = (lo + hi) / 2;
		if (fl_pt2(mid, df) / 2 > tail)
			lo = mid;
		else
			hi = mid;
	}
	return p > 0.5 ? (lo + hi) / 2 : -(lo + hi) / 2;
}

/* A JSON array of n finite numbers into v; -1 if it is not one. */
static int
get_reals(const json_t *a, size_t n, double *v)
{
	size_t i;

	if (!json_is_array(a) || json_array_size(a) != n)
		return -1;
	for (i = 0; i < n; i++) {
		if (!json_is_number(json_array_get(a, i)))
			return -1;
		v[i] = json_number_value(json_array_get(a, i));
		if (!isfinite(v[i]))
			return -1;
	}
	return 0;
}

/* One row of the table. */
static json_t *
term(const char *name, double est, double se, double stat, double p,
    double q, int ratio)
{
	json_t *t = json_pack("{s:s, s:f, s:f, s:f, s:f, s:f, s:f}", "term",
	    name, "estimate", est, "se", se, "z", stat, "p", p, "ci_low",
	    est - q * se, "ci_high", est + q * se);

	if (t != NULL && ratio &&
	    (json_object_set_new(t, "ratio", json_real(exp(est))) < 0 ||
	    json_object_set_new(t, "ratio_low", json_real(exp(est - q *
	    se))) < 0 || json_object_set_new(t, "ratio_high",
	    json_real(exp(est + q * se))) < 0)) {
		json_decref(t);
		return NULL;
	}
	return t;
}

/* The record's checks: a malformed or unusable record is an error. */
static int
check_record(const json_t *r, size_t p, int binary, struct fl_err *err)
{
	json_t *conv = json_object_get(r, "converged");
	json_int_t ext;

	if (!json_is_object(r))
		return fl_err_set(err, FL_EFORMAT, "no Newton record: standard "
		    "errors need a model fitted by Newton rounds (fl-train "
		    "--optimizer newton, fl-aggregate --strategy newton)");
	if (!json_is_boolean(conv) ||
	    !json_is_integer(json_object_get(r, "iteration")) ||
	    !json_is_integer(json_object_get(r, "rows")) ||
	    !json_is_integer(json_object_get(r, "events")) ||
	    !json_is_integer(json_object_get(r, "extreme")) ||
	    !json_is_number(json_object_get(r, "loglik")) ||
	    !json_is_number(json_object_get(r, "l2")) ||
	    !json_is_array(json_object_get(r, "sites")) ||
	    json_integer_value(json_object_get(r, "rows")) <= (json_int_t)p)
		return fl_err_set(err, FL_EFORMAT, "its 'newton' record is "
		    "malformed");
	if (!json_is_true(conv))
		return fl_err_set(err, FL_ENUM, "Newton rounds have not "
		    "converged after %lld iterations; run more rounds",
		    (long long)json_integer_value(json_object_get(r,
		    "iteration")));
	ext = json_integer_value(json_object_get(r, "extreme"));
	if (binary && ext > 0 &&
	    json_number_value(json_object_get(r, "l2")) == 0)
		return fl_err_set(err, FL_ENUM, "%lld rows are fitted with "
		    "probability 0 or 1: the data are separated and some "
		    "estimates are infinite; refit with --l2", (long long)ext);
	return 0;
}

/*
 * The covariance on the original scale, A C A', into cov (p x p), from
 * the standardised one C = inverse information (times the dispersion),
 * with A mapping standardised to original coefficients.
 */
static void
unscale(const struct fl_prep *pp, size_t p, int icpt, const double *c,
    double *A, double *tmp, double *cov)
{
	size_t i, j, k, d = pp->d;

	memset(A, 0, p * p * sizeof(double));
	if (icpt)
		A[0] = 1;
	for (j = 0; j < d; j++) {
		A[(icpt + j) * p + icpt + j] = 1 / pp->scale[j];
		if (icpt)
			A[icpt + j] = -pp->mean[j] / pp->scale[j];
	}
	for (i = 0; i < p; i++)		/* tmp = A C */
		for (j = 0; j < p; j++) {
			double s = 0;

			for (k = 0; k < p; k++)
				s += A[i * p + k] * c[k * p + j];
			tmp[i * p + j] = s;
		}
	for (i = 0; i < p; i++)		/* cov = tmp A' */
		for (j = 0; j < p; j++) {
			double s = 0;

			for (k = 0; k < p; k++)
				s += tmp[i * p + k] * A[j * p + k];
			cov[i * p + j] = s;
		}
}

int
fl_coef_table(const struct fl_model *m, const json_t *man, double level,
    json_t **table, struct fl_err *err)
{
	const struct fl_prep *pp = fl_model_prep_const(m);
	const json_t *r = json_object_get(man, "newton");
	size_t p = fl_newton_ncoef(m), j, n;
	enum fl_task task = fl_model_task(m);
	int icpt = task != FL_TASK_SURVIVAL, lin = task == FL_TASK_REGRESSION;
	double *w = NULL, *at, *info, *c, *A, *tmp, *cov, *est;
	double disp = 1, df = 0, q, ll, se, z;
	json_t *out = NULL, *terms = NULL, *t;
	int rc = 0;

	*table = NULL;
	if (!(level > 0 && level < 1))
		return fl_err_set(err, FL_EUSAGE, "level %g is not in (0, 1)",
		    level);
	if (p == 0)
		return fl_err_set(err, FL_EFORMAT, "a %s model: the table is "
		    "for logreg, linear and cox", fl_model_spec(m));
	if ((rc = check_record(r, p, task == FL_TASK_BINARY, err)) < 0)
		return rc;
	if ((w = malloc((7 * p * p + 3 * p) * sizeof(double))) == NULL)
		return fl_err_set(err, FL_ENOMEM, "out of memory");
	at = w;
	est = at + p;
	info = est + p;
	c = info + p * p;
	A = c + p * p;
	tmp = A + p * p;
	cov = tmp + p * p;
	if (get_reals(json_object_get(r, "at"), p, at) < 0 ||
	    get_reals(json_object_get(r, "information"), p * p, info) < 0) {
		rc = fl_err_set(err, FL_EFORMAT, "its 'newton' record is "
		    "malformed");
		goto out;
	}
	n = (size_t)json_integer_value(json_object_get(r, "rows"));
	ll = json_number_value(json_object_get(r, "loglik"));
	if (fl_chol(info, p) < 0) {
		rc = fl_err_set(err, FL_ENUM, "the information matrix is "
		    "singular: no standard errors (collinear features?); "
		    "refit with --l2");
		goto out;
	}
	fl_chol_inverse(info, p, c, est);
	if (lin) {
		/* Gaussian: dispersion RSS / (n - p); loglik = -RSS/2. */
		df = (double)(n - p);
		disp = -2 * ll / df;
		ll = -(double)n / 2 * (log(2 * M_PI * -2 * ll / (double)n) + 1);
		for (j = 0; j < p * p; j++)
			c[j] *= disp;
	}
	unscale(pp, p, icpt, c, A, tmp, cov);
	for (j = 0; j < p; j++) {	/* est = A at */
		size_t k;
		double s = 0;

		for (k = 0; k < p; k++)
			s += A[j * p + k] * at[k];
		est[j] = s;
	}
	q = lin ? fl_qt(1 - (1 - level) / 2, df) :
	    fl_qnorm(1 - (1 - level) / 2);
	terms = json_array();
	for (j = 0; terms != NULL && j < p; j++) {
		se = sqrt(cov[j * p + j]);
		z = est[j] / se;
		t = term(icpt && j == 0 ? "(Intercept)" :
		    pp->features[j - icpt], est[j], se, z,
		    lin ? fl_pt2(z, df) : erfc(fabs(z) / sqrt(2)), q,
		    task != FL_TASK_REGRESSION);
		if (t == NULL || json_array_append_new(terms, t) < 0) {
			json_decref(terms);
			terms = NULL;
		}
	}
	out = terms == NULL ? NULL : json_pack("{s:o, s:f, s:O, s:O, s:f, "
	    "s:O, s:O, s:O, s:O}", "terms", terms, "level", level,
	    "n", json_object_get(r, "rows"), "events",
	    json_object_get(r, "events"), "loglik", ll, "iterations",
	    json_object_get(r, "iteration"), "converged",
	    json_object_get(r, "converged"), "l2", json_object_get(r, "l2"),
	    "sites", json_object_get(r, "sites"));
	if (out == NULL)
		rc = fl_err_set(err, FL_ENOMEM, "out of memory");
	*table = out;
out:
	free(w);
	return rc;
}
