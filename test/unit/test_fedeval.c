/*
 * test_fedeval.c: federated evaluation (lib/fedeval.c).  Rows split over
 * sites and merged give the metrics of lib/metrics.c on the pooled rows:
 * exactly (to 1e-9 relative) for n, accuracy, log loss, Brier, RMSE, MAE
 * and R^2, and within the stated bound for the binned AUC; the archive
 * round trip; merges of another task or model, or a site twice, refused.
 */
#include <math.h>
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
	double bound;
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
	fl_fedeval_metrics(e, &got, &bound);
	CHECK(got.n == NROWS);
	CHECK_NEAR(got.accuracy, want.accuracy, 0, 1e-9);
	CHECK_NEAR(got.log_loss, want.log_loss, 0, 1e-9);
	CHECK_NEAR(got.brier, want.brier, 0, 1e-9);
	CHECK(isfinite(bound) && bound >= 0);
	CHECK(fabs(got.auc - want.auc) <= bound + 1e-12);
	if (coarse)	/* all ties sit in one bin: the binned AUC is exact */
		CHECK_NEAR(got.auc, want.auc, 1e-12, 0);
	else
		CHECK(bound < 1e-3);
	fprintf(stderr, "# binary%s: |auc - exact| = %.3g, bound %.3g\n",
	    coarse ? " (tied scores)" : "", fabs(got.auc - want.auc), bound);
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
	double bound;

	CHECK_OK(fl_fedeval_new(&e, FL_TASK_BINARY, 0, NULL, NULL, 0, &err),
	    &err);
	CHECK_OK(fl_fedeval_add(e, 4, 1, p, y, &err), &err);
	fl_fedeval_metrics(e, &got, &bound);
	CHECK_NEAR(got.auc, 0.5, 1e-12, 0);
	CHECK_NEAR(bound, 0.5, 1e-12, 0);
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
	double bound;
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
	fl_fedeval_metrics(e, &got, &bound);
	CHECK_NEAR(got.rmse, want.rmse, 0, 1e-9);
	CHECK_NEAR(got.mae, want.mae, 0, 1e-9);
	CHECK_NEAR(got.r2, want.r2, 0, 1e-9);
	CHECK(isnan(got.auc) && isnan(bound));
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
	double bound, s, v[3];
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
	fl_fedeval_metrics(e, &got, &bound);
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

int
main(void)
{
	test_binary(0);
	test_binary(1);
	test_bound_tight();
	test_regression();
	test_multiclass();
	test_refusals();
	return unit_done("test_fedeval");
}
