/*
 * test_newton.c: a site's Newton sums (lib/train/newton.c): the score
 * against central finite differences of the log-likelihood and the
 * information against those of the score, for logistic, linear and Cox
 * models (with tied times); the Cox log partial likelihood against a
 * direct O(n^2) Breslow sum; the Cholesky factor, solve, inverse and its
 * refusal of a singular matrix; and the quantiles of the coefficient
 * table (lib/stats/coef.c) against R's qnorm, qt and pt.
 */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "fl.h"
#include "unit.h"

/* n rows of d features from seed; labels (and times) for task. */
static struct fl_dataset *
make_data(size_t n, size_t d, enum fl_task task, uint64_t seed)
{
	struct fl_dataset *ds = calloc(1, sizeof(*ds));
	struct fl_rng r;
	size_t i;

	ds->n = n;
	ds->d = d;
	ds->X = calloc(n * d + 1, sizeof(float));
	ds->y = calloc(n + 1, sizeof(float));
	fl_rng_seed(&r, seed, "data");
	for (i = 0; i < n * d; i++)
		ds->X[i] = (float)fl_rng_normal(&r);
	for (i = 0; i < n; i++)
		ds->y[i] = task == FL_TASK_REGRESSION ?
		    (float)fl_rng_normal(&r) : (float)(fl_rng_uniform(&r) < 0.6);
	if (task == FL_TASK_SURVIVAL) {
		ds->time = calloc(n + 1, sizeof(float));
		/* Whole days from 1 to 20: many ties. */
		for (i = 0; i < n; i++)
			ds->time[i] = (float)(1 + (int)(fl_rng_uniform(&r) * 20));
	}
	return ds;
}

static void
free_data(struct fl_dataset *ds)
{
	free(ds->X);
	free(ds->y);
	free(ds->time);
	free(ds);
}

static struct fl_model *
make_model(const char *spec, enum fl_task task, size_t d)
{
	struct fl_err err = FL_ERR_INIT;
	struct fl_model *m = NULL;
	double theta[8];
	size_t j;

	CHECK_OK(fl_model_new(&m, spec, task, 0, d, NULL, NULL, &err), &err);
	if (m == NULL)
		return NULL;
	for (j = 0; j < fl_newton_ncoef(m); j++)
		theta[j] = 0.3 * sin((double)j + 1);
	fl_newton_set(m, theta);
	return m;
}

/* The log-likelihood at theta + h e_j; *at gets the coordinate as set. */
static double
loglik_at(struct fl_model *m, const struct fl_dataset *ds,
    const double *theta, size_t j, double h, double *at, double *score_k,
    size_t k)
{
	struct fl_err err = FL_ERR_INIT;
	struct fl_newton_sums s;
	double t[8], ll = NAN;

	memcpy(t, theta, sizeof(t));
	t[j] += h;
	fl_newton_set(m, t);
	fl_newton_get(m, t);
	*at = t[j];
	CHECK_OK(fl_newton_site(m, ds, &s, &err), &err);
	if (s.score != NULL) {
		ll = s.loglik;
		*score_k = s.score[k];
	}
	fl_newton_sums_release(&s);
	return ll;
}

/* Score and information of spec against finite differences. */
static void
check_derivatives(const char *spec, enum fl_task task)
{
	struct fl_err err = FL_ERR_INIT;
	struct fl_dataset *ds = make_data(200, 3, task, 7);
	struct fl_model *m = make_model(spec, task, 3);
	struct fl_newton_sums s;
	double theta[8], a, b, lp, lm, sp, sm;
	size_t p, j, k;

	if (m == NULL)
		return;
	p = fl_newton_ncoef(m);
	CHECK(p == (task == FL_TASK_SURVIVAL ? 3u : 4u));
	fl_newton_get(m, theta);
	CHECK_OK(fl_newton_site(m, ds, &s, &err), &err);
	CHECK(s.rows == 200);
	for (j = 0; s.score != NULL && j < p; j++) {
		for (k = 0; k < p; k++) {
			lp = loglik_at(m, ds, theta, j, 1e-3, &a, &sp, k);
			lm = loglik_at(m, ds, theta, j, -1e-3, &b, &sm, k);
			if (k == j)
				CHECK_NEAR(s.score[j], (lp - lm) / (a - b),
				    1e-4, 1e-4);
			/* info = - d score / d theta, symmetric. */
			CHECK_NEAR(s.info[k * p + j], -(sp - sm) / (a - b),
			    1e-3, 1e-3);
			CHECK(s.info[k * p + j] == s.info[j * p + k]);
		}
	}
	fl_newton_sums_release(&s);
	fl_model_free(m);
	free_data(ds);
}

/* The Breslow log partial likelihood by its definition, O(n^2). */
static void
check_cox_direct(void)
{
	struct fl_err err = FL_ERR_INIT;
	struct fl_dataset *ds = make_data(60, 2, FL_TASK_SURVIVAL, 3);
	struct fl_model *m = make_model("cox", FL_TASK_SURVIVAL, 2);
	struct fl_newton_sums s;
	double theta[2], ll = 0, eta_i, sum;
	size_t i, k, ev = 0;

	if (m == NULL)
		return;
	fl_newton_get(m, theta);
	for (i = 0; i < ds->n; i++) {
		if (ds->y[i] != 1.0f)
			continue;
		ev++;
		eta_i = theta[0] * ds->X[2 * i] + theta[1] * ds->X[2 * i + 1];
		for (sum = 0, k = 0; k < ds->n; k++)
			if (ds->time[k] >= ds->time[i])
				sum += exp(theta[0] * ds->X[2 * k] +
				    theta[1] * ds->X[2 * k + 1]);
		ll += eta_i - log(sum);
	}
	CHECK_OK(fl_newton_site(m, ds, &s, &err), &err);
	CHECK_NEAR(s.loglik, ll, 1e-9, 1e-12);
	CHECK(s.events == ev);
	fl_newton_sums_release(&s);
	fl_model_free(m);
	free_data(ds);
}

/* Models Newton rounds do not fit. */
static void
check_refused(void)
{
	struct fl_err err = FL_ERR_INIT;
	struct fl_dataset *ds = make_data(10, 3, FL_TASK_BINARY, 1);
	struct fl_model *m = NULL;
	struct fl_newton_sums s;

	CHECK_OK(fl_model_new(&m, "mlp:4", FL_TASK_BINARY, 0, 3, NULL, NULL,
	    &err), &err);
	CHECK(fl_newton_ncoef(m) == 0);
	CHECK(fl_newton_site(m, ds, &s, &err) == FL_EUSAGE);
	CHECK(s.score == NULL && s.info == NULL);
	fl_model_free(m);
	free_data(ds);
}

static void
check_chol(void)
{
	/* A = B B' + I for B below; x = (1, -2, 3). */
	double a[9] = { 6, 2, 1, 2, 5, 2, 1, 2, 4 }, l[9], b[3], inv[9], w[3];
	double sing[9] = { 1, 2, 3, 2, 4, 6, 3, 6, 10 };
	size_t i, j, k;

	memcpy(l, a, sizeof(a));
	CHECK(fl_chol(l, 3) == 0);
	for (i = 0; i < 3; i++)
		b[i] = a[i * 3] * 1 - a[i * 3 + 1] * 2 + a[i * 3 + 2] * 3;
	fl_chol_solve(l, 3, b);
	CHECK_NEAR(b[0], 1, 1e-12, 0);
	CHECK_NEAR(b[1], -2, 1e-12, 0);
	CHECK_NEAR(b[2], 3, 1e-12, 0);
	fl_chol_inverse(l, 3, inv, w);
	for (i = 0; i < 3; i++)
		for (j = 0; j < 3; j++) {
			double s = 0;

			for (k = 0; k < 3; k++)
				s += a[i * 3 + k] * inv[k * 3 + j];
			CHECK_NEAR(s, i == j, 1e-12, 0);
		}
	/* Column 2 is twice column 1: singular. */
	CHECK(fl_chol(sing, 3) == -1);
}

static void
check_quantiles(void)
{
	/* R 4.2: qnorm, qt, 2 * pt(-|t|). */
	CHECK_NEAR(fl_qnorm(0.975), 1.959963984540054, 1e-13, 0);
	CHECK_NEAR(fl_qnorm(1e-10), -6.361340902404056, 1e-12, 0);
	CHECK_NEAR(fl_qt(0.975, 10), 2.228138851986274, 1e-10, 0);
	CHECK_NEAR(fl_qt(0.05, 3), -2.353363434801826, 1e-10, 0);
	CHECK_NEAR(fl_pt2(2, 5), 0.1019394788298583, 1e-13, 0);
	CHECK_NEAR(fl_pt2(-0.5, 1000), 0.617185080833875, 1e-12, 0);
	CHECK(isnan(fl_qnorm(0)) && isnan(fl_qnorm(1)) && isnan(fl_qt(1, 3)));
}

static void
check_logreg(void)
{
	check_derivatives("logreg", FL_TASK_BINARY);
}

static void
check_linear(void)
{
	check_derivatives("linear", FL_TASK_REGRESSION);
}

static void
check_cox(void)
{
	check_derivatives("cox", FL_TASK_SURVIVAL);
}

int
main(void)
{
	unit_run("logreg score and information", check_logreg);
	unit_run("linear score and information", check_linear);
	unit_run("cox score and information, tied times", check_cox);
	unit_run("cox log partial likelihood by definition", check_cox_direct);
	unit_run("models newton does not fit", check_refused);
	unit_run("cholesky", check_chol);
	unit_run("normal and t quantiles", check_quantiles);
	return unit_done("test_newton");
}
