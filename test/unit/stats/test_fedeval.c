/*
 * test_fedeval.c: federated evaluation (lib/stats/fedeval.c).  Rows split over
 * sites and merged give the metrics of lib/stats/metrics.c on the pooled rows:
 * exactly (to 1e-9 relative) for n, accuracy, log loss, Brier, RMSE, MAE
 * and R^2, and within the stated bound for the binned AUC; the archive
 * round trip; merges of another task or model, or a site twice, refused.
 */
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "fl.h"
#include "unit.h"

#define NROWS 5000

/* Split rows 0..n-1 into three sites by i % 3, merge, and return the
 * merged statistics. */
static struct fl_fedeval *
split_merge(enum fl_task task, size_t k, size_t n, const float *pred,
    const float *y)
{
	struct fl_err err = FL_ERR_INIT;
	struct fl_fedeval *all = NULL, *e;
	struct fl_archive *a;
	static const char *sites[3] = { "a", "b", "c" };
	float *p, *yy;
	size_t s, i, j, m;

	p = malloc(n * k * sizeof(*p));
	yy = malloc(n * sizeof(*yy));
	for (s = 0; s < 3; s++) {
		for (m = 0, i = s; i < n; i += 3, m++) {
			for (j = 0; j < k; j++)
				p[m * k + j] = pred[i * k + j];
			yy[m] = y[i];
		}
		CHECK_OK(fl_fedeval_new(&e, task, k > 1 ? k : 0, "sha256:m",
		    sites[s], 1, &err), &err);
		CHECK_OK(fl_fedeval_add(e, m, k, p, yy, &err), &err);
		/* Through an archive, as between sites. */
		CHECK_OK(fl_fedeval_to_archive(e, &a, &err), &err);
		fl_fedeval_free(e);
		CHECK_OK(fl_fedeval_from_archive(&e, a, &err), &err);
		fl_archive_free(a);
		if (all == NULL)
			all = e;
		else {
			CHECK_OK(fl_fedeval_merge(all, e, &err), &err);
			fl_fedeval_free(e);
		}
	}
	free(p);
	free(yy);
	return all;
}

static void
test_binary(int coarse)
{
	struct fl_metrics want, got;
	struct fl_err err = FL_ERR_INIT;
	struct fl_fedeval *e;
	struct fl_rng r;
	float *p = malloc(NROWS * sizeof(float));
	float *y = malloc(NROWS * sizeof(float));
	struct fl_fedeval_bounds bd;
	size_t i;

	fl_rng_seed(&r, 7, "fedeval");
	for (i = 0; i < NROWS; i++) {
		y[i] = fl_rng_uniform(&r) < 0.3;
		p[i] = (float)(1.0 / (1.0 + exp(-(fl_rng_normal(&r) +
		    1.2 * y[i] - 0.8))));
		/* Many scores sharing few values: ties within bins. */
		if (coarse)
			p[i] = floorf(p[i] * 50.0f) / 50.0f + 0.001f;
	}
	CHECK_OK(fl_metrics_compute(FL_TASK_BINARY, NROWS, 1, p, y, &want,
	    &err), &err);
	e = split_merge(FL_TASK_BINARY, 1, NROWS, p, y);
	if (e == NULL)
		return;
	fl_fedeval_metrics(e, &got, &bd, NULL);
	CHECK(got.n == NROWS);
	CHECK_NEAR(got.accuracy, want.accuracy, 0, 1e-9);
	CHECK_NEAR(got.log_loss, want.log_loss, 0, 1e-9);
	CHECK_NEAR(got.brier, want.brier, 0, 1e-9);
	CHECK(isfinite(bd.auc) && bd.auc >= 0);
	CHECK(fabs(got.auc - want.auc) <= bd.auc + 1e-12);
	if (coarse)	/* all ties sit in one bin: the binned AUC is exact */
		CHECK_NEAR(got.auc, want.auc, 1e-12, 0);
	else
		CHECK(bd.auc < 1e-3);
	fprintf(stderr, "# binary%s: |auc - exact| = %.3g, bound %.3g\n",
	    coarse ? " (tied scores)" : "", fabs(got.auc - want.auc), bd.auc);
	fl_fedeval_free(e);
	free(p);
	free(y);
}

/* Adversarial ties: positives at the top of a bin, negatives at its
 * bottom, so the exact AUC is 1 and the binned one 1/2: the bound is met
 * with equality. */
static void
test_bound_tight(void)
{
	struct fl_err err = FL_ERR_INIT;
	struct fl_fedeval *e;
	struct fl_metrics got;
	float p[4] = { 0.50001f, 0.50002f, 0.50008f, 0.50009f };
	float y[4] = { 0, 0, 1, 1 };
	struct fl_fedeval_bounds bd;

	CHECK_OK(fl_fedeval_new(&e, FL_TASK_BINARY, 0, NULL, NULL, 0, &err),
	    &err);
	CHECK_OK(fl_fedeval_add(e, 4, 1, p, y, &err), &err);
	fl_fedeval_metrics(e, &got, &bd, NULL);
	CHECK_NEAR(got.auc, 0.5, 1e-12, 0);
	CHECK_NEAR(bd.auc, 0.5, 1e-12, 0);
	fl_fedeval_free(e);
}

static void
test_regression(void)
{
	struct fl_metrics want, got;
	struct fl_err err = FL_ERR_INIT;
	struct fl_fedeval *e;
	struct fl_rng r;
	float *f = malloc(NROWS * sizeof(float));
	float *y = malloc(NROWS * sizeof(float));
	struct fl_fedeval_bounds bd;
	size_t i;

	fl_rng_seed(&r, 8, "fedeval");
	for (i = 0; i < NROWS; i++) {
		/* A large mean and a small spread, different per site. */
		y[i] = (float)(1000.0 + (double)(i % 3) +
		    fl_rng_normal(&r));
		f[i] = (float)(y[i] + 0.5 * fl_rng_normal(&r));
	}
	CHECK_OK(fl_metrics_compute(FL_TASK_REGRESSION, NROWS, 1, f, y,
	    &want, &err), &err);
	e = split_merge(FL_TASK_REGRESSION, 1, NROWS, f, y);
	fl_fedeval_metrics(e, &got, &bd, NULL);
	CHECK_NEAR(got.rmse, want.rmse, 0, 1e-9);
	CHECK_NEAR(got.mae, want.mae, 0, 1e-9);
	CHECK_NEAR(got.r2, want.r2, 0, 1e-9);
	CHECK(isnan(got.auc) && isnan(bd.auc));
	fl_fedeval_free(e);
	free(f);
	free(y);
}

static void
test_multiclass(void)
{
	struct fl_metrics want, got;
	struct fl_err err = FL_ERR_INIT;
	struct fl_fedeval *e;
	struct fl_rng r;
	float *p = malloc(NROWS * 3 * sizeof(float));
	float *y = malloc(NROWS * sizeof(float));
	struct fl_fedeval_bounds bd;
	double s, v[3];
	size_t i, j;

	fl_rng_seed(&r, 9, "fedeval");
	for (i = 0; i < NROWS; i++) {
		y[i] = (float)fl_rng_below(&r, 3);
		for (s = 0, j = 0; j < 3; j++)
			s += v[j] = exp(fl_rng_normal(&r) + (j == y[i]));
		for (j = 0; j < 3; j++)
			p[i * 3 + j] = (float)(v[j] / s);
	}
	CHECK_OK(fl_metrics_compute(FL_TASK_MULTICLASS, NROWS, 3, p, y,
	    &want, &err), &err);
	e = split_merge(FL_TASK_MULTICLASS, 3, NROWS, p, y);
	fl_fedeval_metrics(e, &got, &bd, NULL);
	CHECK_NEAR(got.accuracy, want.accuracy, 0, 1e-9);
	CHECK_NEAR(got.log_loss, want.log_loss, 0, 1e-9);
	fl_fedeval_free(e);
	free(p);
	free(y);
}

static void
test_refusals(void)
{
	struct fl_err err = FL_ERR_INIT;
	struct fl_fedeval *a, *b, *c, *d;
	float p[2] = { 0.2f, 0.7f }, y[2] = { 0, 1 };

	CHECK_OK(fl_fedeval_new(&a, FL_TASK_BINARY, 0, "sha256:m", "a", 1,
	    &err), &err);
	CHECK_OK(fl_fedeval_new(&b, FL_TASK_BINARY, 0, "sha256:other", "b",
	    1, &err), &err);
	CHECK_OK(fl_fedeval_new(&c, FL_TASK_REGRESSION, 0, "sha256:m", "c",
	    1, &err), &err);
	CHECK_OK(fl_fedeval_new(&d, FL_TASK_BINARY, 0, "sha256:m", "a", 1,
	    &err), &err);
	CHECK_OK(fl_fedeval_add(a, 2, 1, p, y, &err), &err);
	CHECK(fl_fedeval_merge(a, b, &err) == FL_ESHAPE);
	CHECK(strstr(err.msg, "model") != NULL);
	CHECK(fl_fedeval_merge(a, c, &err) == FL_ESHAPE);
	CHECK(strstr(err.msg, "task") != NULL);
	CHECK(fl_fedeval_merge(a, d, &err) == FL_EFORMAT);
	CHECK(strcmp(err.msg, "site 'a' already contributed") == 0);
	y[0] = 2;
	CHECK(fl_fedeval_add(a, 2, 1, p, y, &err) == FL_ENUM);
	fl_fedeval_free(a);
	fl_fedeval_free(b);
	fl_fedeval_free(c);
	fl_fedeval_free(d);
}

/* Survival rows: integer times (many ties), about half censored, risks
 * from a normal (spread, or rounded to a few values 0.5 apart). */
static void
surv_rows(size_t n, int squeeze, float *eta, float *t, float *ev)
{
	struct fl_rng r;
	size_t i;
	double x, u;

	fl_rng_seed(&r, 11 + (uint64_t)squeeze, "fedeval-surv");
	for (i = 0; i < n; i++) {
		x = fl_rng_normal(&r);
		eta[i] = (float)(squeeze ? 0.5 * floor(x) : 0.8 * x);
		u = fl_rng_uniform(&r);
		t[i] = (float)floor(-log(1.0 - u) * 300.0 * exp(-0.8 * x));
		ev[i] = fl_rng_uniform(&r) < 0.6;
	}
}

/* Split survival rows over three sites by i % 3, through archives, and
 * merge. */
static struct fl_fedeval *
surv_split_merge(size_t n, const float *eta, const float *t,
    const float *ev, size_t nh, const double *hz, const double *S)
{
	struct fl_err err = FL_ERR_INIT;
	struct fl_fedeval *all = NULL, *e;
	struct fl_archive *a;
	static const char *sites[3] = { "a", "b", "c" };
	float *pe = malloc(n * sizeof(float)), *pt = malloc(n * sizeof(float)),
	    *pv = malloc(n * sizeof(float));
	double *ps = malloc(n * (nh + 1) * sizeof(double));
	size_t s, i, m, h;

	for (s = 0; s < 3; s++) {
		for (m = 0, i = s; i < n; i += 3, m++) {
			pe[m] = eta[i];
			pt[m] = t[i];
			pv[m] = ev[i];
			for (h = 0; S != NULL && h < nh; h++)
				ps[m * nh + h] = S[i * nh + h];
		}
		CHECK_OK(fl_fedeval_new(&e, FL_TASK_SURVIVAL, 0, "sha256:m",
		    sites[s], 1, &err), &err);
		/* Two batches: the cells of both add up. */
		CHECK_OK(fl_fedeval_add_survival(e, m / 2, pe, pt, pv, nh, hz,
		    S != NULL ? ps : NULL, &err), &err);
		CHECK_OK(fl_fedeval_add_survival(e, m - m / 2, pe + m / 2,
		    pt + m / 2, pv + m / 2, nh, hz, S != NULL ? ps + m / 2 *
		    nh : NULL, &err), &err);
		CHECK_OK(fl_fedeval_to_archive(e, &a, &err), &err);
		fl_fedeval_free(e);
		CHECK_OK(fl_fedeval_from_archive(&e, a, &err), &err);
		fl_archive_free(a);
		if (all == NULL)
			all = e;
		else {
			CHECK_OK(fl_fedeval_merge(all, e, &err), &err);
			fl_fedeval_free(e);
		}
	}
	free(pe);
	free(pt);
	free(pv);
	free(ps);
	return all;
}

/* Merged survival statistics against fl_metrics_survival on the pooled
 * rows: the C-index and time-dependent AUC within their bounds, the
 * Brier score exact. */
static void
test_survival(int squeeze)
{
	static const double hz[3] = { 100, 300, 700 };
	struct fl_err err = FL_ERR_INIT;
	struct fl_fedeval_bounds bd;
	struct fl_metrics want, got;
	struct fl_fedeval *e;
	float *eta = malloc(NROWS * sizeof(float)),
	    *t = malloc(NROWS * sizeof(float)),
	    *ev = malloc(NROWS * sizeof(float));
	double *S = malloc(NROWS * 3 * sizeof(double));
	size_t i, h;

	surv_rows(NROWS, squeeze, eta, t, ev);
	for (i = 0; i < NROWS; i++)
		for (h = 0; h < 3; h++)
			S[i * 3 + h] = exp(-hz[h] / 400.0 * exp(eta[i]));
	CHECK_OK(fl_metrics_survival(NROWS, eta, t, ev, 3, hz, S, &want,
	    &err), &err);
	e = surv_split_merge(NROWS, eta, t, ev, 3, hz, S);
	CHECK_OK(fl_fedeval_metrics(e, &got, &bd, &err), &err);
	CHECK(got.n == NROWS && got.nhorizons == 3);
	CHECK(isfinite(bd.c_index) && bd.c_index >= 0);
	CHECK(fabs(got.c_index - want.c_index) <= bd.c_index + 1e-12);
	if (!squeeze)
		CHECK(bd.c_index < 1e-3);
	else	/* few risk values, each in its own bin: exact */
		CHECK_NEAR(got.c_index, want.c_index, 1e-12, 0);
	for (h = 0; h < 3; h++) {
		CHECK(got.horizon[h] == hz[h]);
		CHECK(isfinite(bd.td_auc[h]));
		CHECK(fabs(got.td_auc[h] - want.td_auc[h]) <=
		    bd.td_auc[h] + 1e-12);
		CHECK_NEAR(got.brier_t[h], want.brier_t[h], 0, 1e-9);
	}
	fprintf(stderr, "# survival%s: |c - exact| = %.3g, bound %.3g; "
	    "|auc_300 - exact| = %.3g, bound %.3g\n", squeeze ? " (tied risks)"
	    : "", fabs(got.c_index - want.c_index), bd.c_index,
	    fabs(got.td_auc[1] - want.td_auc[1]), bd.td_auc[1]);
	fl_fedeval_free(e);
	/* No probabilities: no Brier score, the rest as before. */
	e = surv_split_merge(NROWS, eta, t, ev, 3, hz, NULL);
	CHECK_OK(fl_fedeval_metrics(e, &got, &bd, &err), &err);
	CHECK(isnan(got.brier_t[0]) && isfinite(got.td_auc[0]));
	fl_fedeval_free(e);
	free(eta);
	free(t);
	free(ev);
	free(S);
}

/* A later event in the same risk bin as an earlier one: the exact C is 1,
 * the binned 1/2, and the bound is met with equality. */
static void
test_survival_tight(void)
{
	struct fl_err err = FL_ERR_INIT;
	struct fl_fedeval_bounds bd;
	struct fl_fedeval *e;
	struct fl_metrics got;
	float eta[2] = { 0.00002f, 0.00001f }, t[2] = { 1, 2 },
	    ev[2] = { 1, 1 };

	CHECK_OK(fl_fedeval_new(&e, FL_TASK_SURVIVAL, 0, NULL, NULL, 0,
	    &err), &err);
	CHECK_OK(fl_fedeval_add_survival(e, 2, eta, t, ev, 0, NULL, NULL,
	    &err), &err);
	CHECK_OK(fl_fedeval_metrics(e, &got, &bd, &err), &err);
	CHECK_NEAR(got.c_index, 0.5, 1e-12, 0);
	CHECK_NEAR(bd.c_index, 0.5, 1e-12, 0);
	CHECK(got.nhorizons == 0);
	fl_fedeval_free(e);
}

/* Survival refusals: other horizons, bad rows, tampered cells. */
static void
test_survival_refusals(void)
{
	static const double h1[1] = { 10 }, h2[1] = { 20 };
	struct fl_err err = FL_ERR_INIT;
	struct fl_fedeval *a, *b, *c;
	struct fl_archive *ar, *bad;
	struct fl_tensor tt;
	float eta[3] = { 0.1f, -0.2f, 0.3f }, t[3] = { 5, 7, 30 },
	    ev[3] = { 1, 0, 1 };
	double S[3] = { 0.9, 0.8, 0.7 }, cells[18];
	size_t shape[2];

	CHECK_OK(fl_fedeval_new(&a, FL_TASK_SURVIVAL, 0, "sha256:m", "a", 1,
	    &err), &err);
	CHECK_OK(fl_fedeval_new(&b, FL_TASK_SURVIVAL, 0, "sha256:m", "b", 1,
	    &err), &err);
	CHECK_OK(fl_fedeval_add_survival(a, 3, eta, t, ev, 1, h1, S, &err),
	    &err);
	CHECK_OK(fl_fedeval_add_survival(b, 3, eta, t, ev, 1, h2, S, &err),
	    &err);
	CHECK(fl_fedeval_merge(a, b, &err) == FL_ESHAPE);
	CHECK(strstr(err.msg, "horizons") != NULL);
	CHECK(fl_fedeval_add_survival(a, 3, eta, t, ev, 1, h2, S, &err) ==
	    FL_ESHAPE);
	CHECK(fl_fedeval_add(a, 3, 1, eta, ev, &err) == FL_EUSAGE);
	ev[1] = 2;
	CHECK(fl_fedeval_add_survival(a, 3, eta, t, ev, 1, h1, S, &err) ==
	    FL_ENUM);
	ev[1] = 0;
	S[2] = NAN;
	CHECK(fl_fedeval_add_survival(a, 3, eta, t, ev, 1, h1, S, &err) ==
	    FL_ENUM);
	CHECK(strstr(err.msg, "probability") != NULL);
	/* Cells out of order, read back: refused. */
	CHECK_OK(fl_fedeval_to_archive(a, &ar, &err), &err);
	CHECK(fl_archive_find(ar, "cells", &tt) == 0);
	CHECK(tt.shape[0] == 3 && tt.shape[1] == 6);
	bad = fl_archive_new(FL_KIND_METRICS);
	json_object_update(fl_archive_manifest(bad), fl_archive_manifest(ar));
	shape[0] = 1;
	CHECK_OK(fl_archive_add_tensor(bad, "n", FL_DTYPE_F64, 1, shape,
	    (double[]){ 3 }, &err), &err);
	/* The first two cells swapped. */
	memcpy(cells, (const char *)tt.data + 6 * sizeof(double),
	    6 * sizeof(double));
	memcpy(cells + 6, tt.data, 6 * sizeof(double));
	memcpy(cells + 12, (const char *)tt.data + 12 * sizeof(double),
	    6 * sizeof(double));
	shape[0] = 3;
	shape[1] = 6;
	CHECK_OK(fl_archive_add_tensor(bad, "cells", FL_DTYPE_F64, 2, shape,
	    cells, &err), &err);
	CHECK(fl_fedeval_from_archive(&c, bad, &err) == FL_EFORMAT);
	CHECK(strstr(err.msg, "out of order") != NULL);
	fl_archive_free(bad);
	fl_archive_free(ar);
	fl_fedeval_free(a);
	fl_fedeval_free(b);
}

int
main(void)
{
	UNIT_CASE("binary", test_binary(0));
	UNIT_CASE("binary, coarse", test_binary(1));
	unit_run("bound_tight", test_bound_tight);
	unit_run("regression", test_regression);
	unit_run("multiclass", test_multiclass);
	unit_run("refusals", test_refusals);
	UNIT_CASE("survival", test_survival(0));
	UNIT_CASE("survival, squeezed", test_survival(1));
	unit_run("survival_tight", test_survival_tight);
	unit_run("survival_refusals", test_survival_refusals);
	return unit_done("test_fedeval");
}
