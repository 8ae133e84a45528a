/*
 * test_metrics.c: metrics (lib/stats/metrics.c) against values worked by hand,
 * and the JSON form's keys and their order.
 */
#include <string.h>

#include "fl.h"
#include "unit.h"

/* The JSON dump of m, compact, keys in insertion order, into buf. */
static void
dump(const struct fl_metrics *m, char *buf, size_t sz)
{
	json_t *o = fl_metrics_json(m);
	char *s = o != NULL ? json_dumps(o, JSON_PRESERVE_ORDER |
	    JSON_COMPACT | JSON_REAL_PRECISION(6)) : NULL;

	snprintf(buf, sz, "%s", s != NULL ? s : "(null)");
	free(s);
	json_decref(o);
}

int
main(void)
{
	struct fl_err err = FL_ERR_INIT;
	struct fl_metrics m;
	char js[512];
	const float s1[] = { 0.1f, 0.4f, 0.35f, 0.8f }, y1[] = { 0, 0, 1, 1 };
	const float s2[] = { 0.5f, 0.5f, 0.2f, 0.9f }, y2[] = { 0, 1, 0, 1 };
	const float rev[] = { 0.9f, 0.8f, 0.2f, 0.1f };
	const float mc[] = { 0.7f, 0.2f, 0.1f,  0.4f, 0.4f, 0.2f,
	    0.1f, 0.1f, 0.8f };
	const float ymc[] = { 0, 1, 2 };
	const float f[] = { 1, 2, 3, 4 }, yr[] = { 1, 3, 3, 2 };
	const float same[] = { 2, 2, 2, 2 };

	/* The classic example: 3 of 4 positive-negative pairs ordered. */
	CHECK_OK(fl_metrics_compute(FL_TASK_BINARY, 4, 1, s1, y1, &m, &err),
	    &err);
	CHECK_NEAR(m.auc, 0.75, 1e-12, 0);
	/* Predicted 0 0 0 1 against 0 0 1 1. */
	CHECK_NEAR(m.accuracy, 0.75, 1e-12, 0);
	CHECK_NEAR(m.log_loss, -(log(0.9) + log(0.6) + log(0.35) + log(0.8))
	    / 4, 1e-6, 0);
	CHECK_NEAR(m.brier, (0.01 + 0.16 + 0.4225 + 0.04) / 4, 1e-6, 0);
	/* A tie across classes counts one half: (1 + 0.5 + 1 + 1) / 4. */
	CHECK_OK(fl_metrics_compute(FL_TASK_BINARY, 4, 1, s2, y2, &m, &err),
	    &err);
	CHECK_NEAR(m.auc, 0.875, 1e-12, 0);
	/* 0.5 counts as class 1: rows 0 (wrong), 1, 2, 3 right. */
	CHECK_NEAR(m.accuracy, 0.75, 1e-12, 0);
	CHECK_OK(fl_metrics_compute(FL_TASK_BINARY, 4, 1, rev, y1, &m, &err),
	    &err);
	CHECK_NEAR(m.auc, 0.0, 1e-12, 0);
	{
		const float perfect[] = { 0.1f, 0.2f, 0.8f, 0.9f };

		CHECK_OK(fl_metrics_compute(FL_TASK_BINARY, 4, 1, perfect, y1,
		    &m, &err), &err);
		CHECK_NEAR(m.auc, 1.0, 1e-12, 0);
		CHECK_NEAR(m.accuracy, 1.0, 1e-12, 0);
	}
	/* One class only: AUC is undefined and written as null. */
	CHECK_OK(fl_metrics_compute(FL_TASK_BINARY, 2, 1, s1, y1, &m, &err),
	    &err);
	CHECK(isnan(m.auc));
	/* Clipping keeps a confident mistake finite. */
	{
		const float p0[] = { 0.0f }, one[] = { 1 };

		CHECK_OK(fl_metrics_compute(FL_TASK_BINARY, 1, 1, p0, one, &m,
		    &err), &err);
		CHECK_NEAR(m.log_loss, -log(1e-15), 1e-9, 1e-9);
		dump(&m, js, sizeof(js));
		CHECK(strcmp(js, "{\"n\":1,\"auc\":null,\"accuracy\":0.0,"
		    "\"log_loss\":34.5388,\"brier\":1.0}") == 0);
		if (strcmp(js, "{\"n\":1,\"auc\":null,\"accuracy\":0.0,"
		    "\"log_loss\":34.5388,\"brier\":1.0}") != 0)
			fprintf(stderr, "got %s\n", js);
	}

	/* Multiclass: the row with tied 0.4s picks class 0, a mistake. */
	CHECK_OK(fl_metrics_compute(FL_TASK_MULTICLASS, 3, 3, mc, ymc, &m,
	    &err), &err);
	CHECK_NEAR(m.accuracy, 2.0 / 3, 1e-12, 0);
	CHECK_NEAR(m.log_loss, -(log(0.7) + log(0.4) + log(0.8)) / 3, 1e-6, 0);
	dump(&m, js, sizeof(js));
	CHECK(strncmp(js, "{\"n\":3,\"accuracy\":", 18) == 0 &&
	    strstr(js, ",\"log_loss\":") != NULL && strstr(js, "auc") == NULL);

	/* Regression: errors 0, -1, 0, 2; mean y 2.25, SStot 2.75. */
	CHECK_OK(fl_metrics_compute(FL_TASK_REGRESSION, 4, 1, f, yr, &m, &err),
	    &err);
	CHECK_NEAR(m.rmse, sqrt(5.0 / 4), 1e-9, 0);
	CHECK_NEAR(m.mae, 3.0 / 4, 1e-9, 0);
	CHECK_NEAR(m.r2, 1.0 - 5.0 / 2.75, 1e-9, 0);
	dump(&m, js, sizeof(js));
	CHECK(strncmp(js, "{\"n\":4,\"rmse\":", 14) == 0 &&
	    strstr(js, "\"mae\":0.75,\"r2\":") != NULL);
	CHECK_OK(fl_metrics_compute(FL_TASK_REGRESSION, 4, 1, f, same, &m,
	    &err), &err);
	CHECK(isnan(m.r2));

	/* Misuse. */
	CHECK(fl_metrics_compute(FL_TASK_BINARY, 0, 1, s1, y1, &m, &err) ==
	    FL_EUSAGE);
	CHECK(fl_metrics_compute(FL_TASK_BINARY, 4, 2, s1, y1, &m, &err) ==
	    FL_EUSAGE);
	return unit_done("test_metrics");
}
