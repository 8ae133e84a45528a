/*
 * newton.c: a site's part of a Newton round: the score vector,
 * information matrix and log-likelihood of its rows at the model's
 * coefficients, summed in double, for logistic, linear and Cox models
 * (train/newton.h).  The server adds them up and takes the step
 * (lib/federation/newton.c); fl-train(1) documents what leaves a site.
 * Also the small Cholesky factor both ends and fl-eval use.
 */
#include <float.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "train/train.h"
#include "model/model_int.h"

size_t
fl_newton_ncoef(const struct fl_model *m)
{
	if (m->nlayers != 1 || m->widths[1] != 1)
		return 0;
	switch (m->task) {
	case FL_TASK_BINARY:
	case FL_TASK_REGRESSION:
		return m->widths[0] + 1;
	case FL_TASK_SURVIVAL:
		return m->widths[0];
	default:
		return 0;
	}
}

/* 1 when theta starts with the intercept. */
static int
has_intercept(const struct fl_model *m)
{
	return m->task != FL_TASK_SURVIVAL;
}

void
fl_newton_get(const struct fl_model *m, double *theta)
{
	size_t j, d = m->widths[0], k = has_intercept(m);

	if (k)
		theta[0] = m->params[m->boff[0]];
	for (j = 0; j < d; j++)
		theta[k + j] = m->params[m->woff[0] + j];
}

void
fl_newton_set(struct fl_model *m, const double *theta)
{
	size_t j, d = m->widths[0], k = has_intercept(m);

	m->params[m->boff[0]] = k ? (float)theta[0] : 0.0f;
	for (j = 0; j < d; j++)
		m->params[m->woff[0] + j] = (float)theta[k + j];
}

void
fl_newton_sums_release(struct fl_newton_sums *s)
{
	free(s->score);
	free(s->info);
	s->score = s->info = NULL;
}

/* info += w z z' over the lower triangle; z (p). */
static void
rank1(double *info, size_t p, double w, const double *z)
{
	size_t a, b;

	for (a = 0; a < p; a++)
		for (b = 0; b <= a; b++)
			info[a * p + b] += w * z[a] * z[b];
}

/* Fill the upper triangle from the lower. */
static void
symmetrise(double *a, size_t p)
{
	size_t i, j;

	for (i = 0; i < p; i++)
		for (j = 0; j < i; j++)
			a[j * p + i] = a[i * p + j];
}

/* Row i's covariates z (p): 1 then x for a model with an intercept. */
static void
row_z(const struct fl_model *m, const struct fl_dataset *ds, size_t i,
    double *z)
{
	size_t j, k = has_intercept(m);

	if (k)
		z[0] = 1.0;
	for (j = 0; j < ds->d; j++)
		z[k + j] = ds->X[i * ds->d + j];
}

static double
dot(const double *a, const double *b, size_t p)
{
	double s = 0;
	size_t j;

	for (j = 0; j < p; j++)
		s += a[j] * b[j];
	return s;
}

/* Logistic and linear: sums over rows, one at a time. */
static void
glm_sums(const struct fl_model *m, const struct fl_dataset *ds,
    const double *theta, double *z, struct fl_newton_sums *s)
{
	size_t i, j, p = s->p;
	double eta, mu, w, y, r;

	for (i = 0; i < ds->n; i++) {
		row_z(m, ds, i, z);
		eta = dot(theta, z, p);
		y = ds->y[i];
		if (m->task == FL_TASK_BINARY) {
			/* log(1 + e^eta), stably. */
			s->loglik += y * eta - (eta > 0 ? eta + log1p(exp(-eta)) :
			    log1p(exp(eta)));
			mu = 1.0 / (1.0 + exp(-eta));
			w = mu * (1.0 - mu);
			s->events += y == 1.0;
			s->extreme += mu < 10 * DBL_EPSILON ||
			    mu > 1.0 - 10 * DBL_EPSILON;
		} else {
			mu = eta;
			w = 1.0;
			s->events++;
			s->loglik -= 0.5 * (y - mu) * (y - mu);
		}
		r = y - mu;
		for (j = 0; j < p; j++)
			s->score[j] += r * z[j];
		rank1(s->info, p, w, z);
	}
}

/* A row's time and index, for sorting. */
struct timed {
	double	t;
	size_t	i;
};

/* Descending time, then ascending index. */
static int
cmp_desc(const void *a, const void *b)
{
	const struct timed *x = a, *y = b;

	if (x->t != y->t)
		return (x->t < y->t) - (x->t > y->t);
	return (x->i > y->i) - (x->i < y->i);
}

/*
 * Cox, Breslow ties: walk times from the largest down, adding each group
 * of tied times to the risk sums S0 = sum r, S1 = sum r x, S2 = sum r x x'
 * (r = exp(eta - c), c the largest eta, so that nothing overflows) before
 * its events count: each event adds eta - log S0 - c to the log partial
 * likelihood, x - S1/S0 to the score and S2/S0 - (S1/S0)(S1/S0)' to the
 * information.  work: 2p + p*p doubles.
 */
static int
cox_sums(const struct fl_model *m, const struct fl_dataset *ds,
    const double *theta, double *z, double *work, struct timed *ord,
    double *eta, struct fl_newton_sums *s)
{
	size_t i, j, a, b, g, h, p = s->p, n = ds->n;
	double *S1 = work, *mean = work + p, *S2 = work + 2 * p;
	double c = -HUGE_VAL, S0 = 0, r, ev;

	for (i = 0; i < n; i++) {
		row_z(m, ds, i, z);
		eta[i] = dot(theta, z, p);
		if (!isfinite(eta[i]))
			return -1;
		c = eta[i] > c ? eta[i] : c;
		ord[i].t = ds->time[i];
		ord[i].i = i;
	}
	qsort(ord, n, sizeof(*ord), cmp_desc);
	memset(work, 0, (2 * p + p * p) * sizeof(double));
	for (g = 0; g < n; g = h) {
		for (h = g; h < n && ord[h].t == ord[g].t; h++) {
			i = ord[h].i;
			row_z(m, ds, i, z);
			r = exp(eta[i] - c);
			S0 += r;
			for (a = 0; a < p; a++) {
				S1[a] += r * z[a];
				for (b = 0; b <= a; b++)
					S2[a * p + b] += r * z[a] * z[b];
			}
		}
		for (ev = 0, j = g; j < h; j++) {
			i = ord[j].i;
			if (ds->y[i] != 1.0f)
				continue;
			ev++;
			row_z(m, ds, i, z);
			s->loglik += eta[i] - c - log(S0);
			for (a = 0; a < p; a++)
				s->score[a] += z[a];
		}
		if (ev == 0)
			continue;
		s->events += (size_t)ev;
		for (a = 0; a < p; a++) {
			mean[a] = S1[a] / S0;
			s->score[a] -= ev * mean[a];
		}
		for (a = 0; a < p; a++)
			for (b = 0; b <= a; b++)
				s->info[a * p + b] += ev * (S2[a * p + b] / S0 -
				    mean[a] * mean[b]);
	}
	return 0;
}

int
fl_newton_site(const struct fl_model *m, const struct fl_dataset *ds,
    struct fl_newton_sums *s, struct fl_err *err)
{
	size_t p = fl_newton_ncoef(m), j, n = ds->n, sz;
	double *theta = NULL, *z = NULL, *work = NULL, *eta = NULL;
	struct timed *ord = NULL;
	int rc = 0;

	memset(s, 0, sizeof(*s));
	if (p == 0)
		return fl_err_set(err, FL_EUSAGE, "Newton rounds fit logreg, "
		    "linear and cox models, not %s", m->spec);
	if (ds->d != m->widths[0])
		return fl_err_set(err, FL_EUSAGE, "data has %zu features, the "
		    "model %zu", ds->d, m->widths[0]);
	s->p = p;
	if (fl_size_mul(p, p, &sz) < 0 ||
	    (s->score = calloc(p, sizeof(double))) == NULL ||
	    (s->info = calloc(sz, sizeof(double))) == NULL ||
	    (theta = malloc(p * sizeof(double))) == NULL ||
	    (z = malloc(p * sizeof(double))) == NULL) {
		rc = fl_err_set(err, FL_ENOMEM, "out of memory");
		goto out;
	}
	fl_newton_get(m, theta);
	s->rows = n;
	if (m->task != FL_TASK_SURVIVAL)
		glm_sums(m, ds, theta, z, s);
	else if (ds->time == NULL)
		rc = fl_err_set(err, FL_EUSAGE, "no survival times");
	else if ((work = malloc((2 * p + sz) * sizeof(double))) == NULL ||
	    (eta = malloc((n + 1) * sizeof(double))) == NULL ||
	    (ord = malloc((n + 1) * sizeof(*ord))) == NULL)
		rc = fl_err_set(err, FL_ENOMEM, "out of memory");
	else if (cox_sums(m, ds, theta, z, work, ord, eta, s) < 0)
		rc = fl_err_set(err, FL_ENUM, "a linear predictor is not "
		    "finite");
	if (rc == 0) {
		symmetrise(s->info, p);
		for (j = 0; j < sz && isfinite(s->info[j]); j++)
			;
		if (!isfinite(s->loglik) || j < sz)
			rc = fl_err_set(err, FL_ENUM, "the log-likelihood or "
			    "information is not finite at these "
			    "coefficients");
		for (j = 0; rc == 0 && j < p; j++)
			if (!isfinite(s->score[j]))
				rc = fl_err_set(err, FL_ENUM, "the score is "
				    "not finite at these coefficients");
	}
out:
	if (rc < 0)
		fl_newton_sums_release(s);
	free(theta);
	free(z);
	free(work);
	free(eta);
	free(ord);
	return rc;
}

int
fl_chol(double *a, size_t p)
{
	size_t i, j, k;
	double s, big = 0;

	for (i = 0; i < p; i++)
		big = a[i * p + i] > big ? a[i * p + i] : big;
	if (!(big > 0) || !isfinite(big))
		return -1;
	for (j = 0; j < p; j++) {
		s = a[j * p + j];
		for (k = 0; k < j; k++)
			s -= a[j * p + k] * a[j * p + k];
		/* 1 - R^2 of column j on those before it: at most 1e-9 is
		 * collinear, given features stored as float. */
		if (!(s > 1e-9 * a[j * p + j]) || !(s > 1e-300 * big))
			return -1;
		a[j * p + j] = sqrt(s);
		for (i = j + 1; i < p; i++) {
			s = a[i * p + j];
			for (k = 0; k < j; k++)
				s -= a[i * p + k] * a[j * p + k];
			a[i * p + j] = s / a[j * p + j];
		}
	}
	return 0;
}

void
fl_chol_solve(const double *l, size_t p, double *b)
{
	size_t i, k;
	double s;

	for (i = 0; i < p; i++) {
		s = b[i];
		for (k = 0; k < i; k++)
			s -= l[i * p + k] * b[k];
		b[i] = s / l[i * p + i];
	}
	for (i = p; i-- > 0;) {
		s = b[i];
		for (k = i + 1; k < p; k++)
			s -= l[k * p + i] * b[k];
		b[i] = s / l[i * p + i];
	}
}

void
fl_chol_inverse(const double *l, size_t p, double *inv, double *work)
{
	size_t i, j;

	for (j = 0; j < p; j++) {
		for (i = 0; i < p; i++)
			work[i] = i == j;
		fl_chol_solve(l, p, work);
		for (i = 0; i < p; i++)
			inv[i * p + j] = work[i];
	}
}
