/*
 * test_value.c: Shapley values (lib/federation/shapley.c) on games whose
 * values are known, their properties (efficiency, symmetry, the null
 * player, sampling within its standard error), and coalitions
 * (lib/federation/coalition.c) against fl-aggregate's own aggregation.
 */
#include <math.h>
#include <stdio.h>
#include <string.h>

#include "fl.h"
#include "unit.h"

/* A game: U(S) = sqrt(sum of w_i over S) + pair bonus, or a table. */
struct game {
	double		 w[FL_COALITION_MAX];
	int		 bonus;		/* players 0 and 1 together add 1 */
	const double	*table;		/* U by mask, or NULL */
	size_t		 n;		/* players */
};

static int
game_u(void *ctx, const unsigned char *in, double *u, struct fl_err *err)
{
	const struct game *g = ctx;
	double s = 0;
	unsigned mask = 0;
	size_t i;

	(void)err;
	for (i = 0; i < g->n; i++)
		if (in[i]) {
			s += g->w[i];
			mask |= 1u << i;
		}
	if (g->table != NULL) {
		*u = g->table[mask];
		return 0;
	}
	*u = sqrt(s) + (g->bonus && in[0] && in[1] ? 1.0 : 0.0);
	return 0;
}

/* Run fl_shapley on n players of g into value, se, loo. */
static int
run(struct game *g, size_t n, enum fl_value_method method, size_t K,
    double trunc, double *value, double *se, double *loo,
    struct fl_shapley_result *r)
{
	struct fl_err err = FL_ERR_INIT;
	struct fl_shapley_opts o = { method, K, 7, trunc };
	int rc;

	r->value = value;
	r->se = se;
	r->loo = loo;
	g->n = n;
	rc = fl_shapley(n, game_u, g, &o, r, &err);
	if (rc < 0 && rc != FL_EUSAGE)
		fprintf(stderr, "fl_shapley: %s\n", err.msg);
	return rc;
}

static void
test_additive(void)
{
	struct game g = { { 1, 2, 3, 4 }, 0, NULL, 4 };
	static double table[16];
	struct fl_shapley_result r;
	double v[4], se[4], loo[4];
	unsigned S;
	size_t i;

	/* U(S) = sum of w_i: each player's value is its w_i, as is its
	 * leave-one-out value. */
	for (S = 0; S < 16; S++)
		for (i = 0; i < 4; i++)
			table[S] += S >> i & 1 ? g.w[i] : 0;
	g.table = table;
	CHECK(run(&g, 4, FL_VALUE_EXACT, 0, 0, v, se, loo, &r) == 0);
	for (i = 0; i < 4; i++) {
		CHECK_NEAR(v[i], g.w[i], 1e-12, 0);
		CHECK_NEAR(loo[i], g.w[i], 1e-12, 0);
		CHECK(se[i] == 0);
	}
	CHECK(r.evaluations == 16);
}

static void
test_properties(void)
{
	struct game g;
	struct fl_shapley_result r;
	double v[10], se[10], loo[10], sum = 0;
	size_t i;

	/* Efficiency on a game with a nonlinear part and an interaction. */
	memset(&g, 0, sizeof(g));
	for (i = 0; i < 10; i++)
		g.w[i] = 0.5 + 0.37 * (double)i;
	g.bonus = 1;
	g.w[0] = g.w[1] = 2;	/* 0 and 1 are symmetric */
	g.w[5] = 0;		/* 5 adds nothing to any coalition */
	CHECK(run(&g, 10, FL_VALUE_EXACT, 0, 0, v, se, loo, &r) == 0);
	for (i = 0; i < 10; i++)
		sum += v[i];
	CHECK_NEAR(sum, r.u_all - r.u_none, 1e-9, 0);
	CHECK(r.evaluations == 1024);
	/* Symmetry: identical players get identical values. */
	CHECK_NEAR(v[0], v[1], 1e-12, 0);
	CHECK_NEAR(loo[0], loo[1], 1e-12, 0);
	/* The null player. */
	CHECK_NEAR(v[5], 0, 1e-12, 0);
	CHECK_NEAR(loo[5], 0, 1e-12, 0);
	/* A larger weight, a larger value. */
	for (i = 2; i + 1 < 10; i++)
		if (i != 4 && i != 5)
			CHECK(v[i + 1] > v[i]);
	/* leave-one-out only: no Shapley value, and N + 2 evaluations. */
	CHECK(run(&g, 10, FL_VALUE_LOO, 0, 0, v, se, loo, &r) == 0);
	CHECK(isnan(v[3]) && isnan(se[3]));
	CHECK_NEAR(loo[0], loo[1], 1e-12, 0);
	CHECK(r.evaluations == 12);
}

static void
test_sampled(void)
{
	struct game g;
	struct fl_shapley_result r, s;
	double v[8], se[8], loo[8], sv[8], sse[8], sloo[8], sum = 0;
	size_t i;
	int over = 0;

	memset(&g, 0, sizeof(g));
	for (i = 0; i < 8; i++)
		g.w[i] = 0.2 + 0.5 * (double)((i * 5) % 8);
	g.bonus = 1;
	CHECK(run(&g, 8, FL_VALUE_EXACT, 0, 0, v, se, loo, &r) == 0);
	CHECK(run(&g, 8, FL_VALUE_SAMPLED, 400, 0, sv, sse, sloo, &s) == 0);
	/* Each sampled value within 3 of its standard errors of the exact
	 * (all 8 by chance with probability 0.98), and most within one. */
	for (i = 0; i < 8; i++) {
		CHECK(sse[i] > 0);
		CHECK(fabs(sv[i] - v[i]) <= 3 * sse[i]);
		over += fabs(sv[i] - v[i]) > sse[i];
		sum += sv[i];
		CHECK_NEAR(sloo[i], loo[i], 1e-12, 0);
	}
	CHECK(over <= 4);
	/* Without truncation every permutation's sum is U(all) - U(none). */
	CHECK_NEAR(sum, s.u_all - s.u_none, 1e-9, 0);
	/* Same seed, same values. */
	CHECK(run(&g, 8, FL_VALUE_SAMPLED, 400, 0, v, se, loo, &s) == 0);
	CHECK(memcmp(v, sv, sizeof(v)) == 0);
	/* Truncation evaluates fewer coalitions. */
	CHECK(run(&g, 8, FL_VALUE_SAMPLED, 8, 0, v, se, loo, &s) == 0);
	CHECK(run(&g, 8, FL_VALUE_SAMPLED, 8, 0.2, v, se, loo, &r) == 0);
	CHECK(r.evaluations < s.evaluations);
	/* Limits. */
	CHECK(run(&g, 0, FL_VALUE_EXACT, 0, 0, v, se, loo, &r) == FL_EUSAGE);
	CHECK(run(&g, 8, FL_VALUE_SAMPLED, 1, 0, v, se, loo, &r) ==
	    FL_EUSAGE);
}

static const char *const feats[] = { "a", "b" };

/* An archive of kind for a logreg model with parameters p (3). */
static struct fl_archive *
archive(enum fl_kind kind, const float *p, const char *parent,
    const char *site, long samples)
{
	struct fl_err err = FL_ERR_INIT;
	struct fl_model *m = NULL;
	struct fl_archive *a = NULL;
	json_t *man;
	FILE *f;

	if (fl_model_new(&m, "logreg", FL_TASK_BINARY, 0, 2, feats, "y",
	    &err) < 0)
		return NULL;
	memcpy(fl_model_params(m), p, 3 * sizeof(float));
	if (fl_model_to_archive(m, kind, &a, &err) < 0) {
		fl_model_free(m);
		return NULL;
	}
	fl_model_free(m);
	man = fl_archive_manifest(a);
	json_object_set_new(man, "parent", parent != NULL ?
	    json_string(parent) : json_null());
	json_object_set_new(man, "round", json_integer(0));
	json_object_set_new(man, "site", site != NULL ? json_string(site) :
	    json_null());
	json_object_set_new(man, "samples", json_integer(samples));
	f = fopen("/dev/null", "wb");
	fl_archive_write(a, f, "/dev/null", FL_COMPRESS_NONE, &err);
	fclose(f);
	return a;
}

/* The coalition of all against fl_agg for strategy s. */
static void
check_strategy(const char *s, struct fl_agg_opts *o)
{
	static const float p0[3] = { 0.5f, -0.25f, 0.125f };
	static const float d[4][3] = {
		{ 0.1f, 0.2f, -0.3f }, { -0.7f, 0.05f, 0.3f },
		{ 0.33f, -0.11f, 0.9f }, { 0.01f, 0.4f, -0.2f } };
	static const long samples[4] = { 10, 300, 7, 42 };
	static const char *const sites[4] = { "a", "b", "c", "d" };
	struct fl_err err = FL_ERR_INIT;
	struct fl_archive *base = archive(FL_KIND_MODEL, p0, NULL, NULL, 0);
	struct fl_archive *u[4] = { NULL }, *out = NULL;
	struct fl_coalition *c = NULL;
	struct fl_model *bm = NULL, *next = NULL;
	struct fl_agg *g = NULL;
	unsigned char in[4] = { 1, 1, 1, 1 };
	float params[3];
	size_t i;
	int refused = -1;

	CHECK(base != NULL);
	if (base == NULL)
		return;
	CHECK_OK(fl_model_from_archive(&bm, base, &err), &err);
	CHECK_OK(fl_agg_new(&g, bm, fl_archive_id(base), 0, s, &err), &err);
	CHECK_OK(fl_agg_configure(g, o, base, &err), &err);
	CHECK_OK(fl_coalition_new(&c, base, "base", s, o, &err), &err);
	for (i = 0; i < 4 && c != NULL; i++) {
		u[i] = archive(FL_KIND_UPDATE, d[i], fl_archive_id(base),
		    sites[i], samples[i]);
		CHECK_OK(fl_agg_add(g, u[i], "u", NULL, &err), &err);
		CHECK_OK(fl_coalition_add(c, u[i], "u", &err), &err);
	}
	CHECK_OK(fl_agg_finish(g, &out, &err), &err);
	if (c != NULL && out != NULL) {
		CHECK(fl_coalition_count(c) == 4);
		CHECK(strcmp(fl_coalition_site(c, 2), "c") == 0);
		CHECK(fl_coalition_samples(c, 1) == 300);
		CHECK_OK(fl_model_from_archive(&next, out, &err), &err);
		CHECK_OK(fl_coalition_params(c, in, params, &refused, &err),
		    &err);
		/* Bit for bit fl-aggregate's model. */
		CHECK(next != NULL && memcmp(params, fl_model_params(next),
		    sizeof(params)) == 0);
		CHECK(refused == 0);
		memset(in, 0, sizeof(in));
		CHECK_OK(fl_coalition_params(c, in, params, &refused, &err),
		    &err);
		CHECK(memcmp(params, p0, sizeof(params)) == 0 && refused == 0);
		/* A second update from one site is refused, as fl-aggregate
		 * refuses it. */
		CHECK(fl_coalition_add(c, u[0], "again", &err) == FL_EFORMAT);
	}
	for (i = 0; i < 4; i++)
		fl_archive_free(u[i]);
	fl_archive_free(out);
	fl_archive_free(base);
	fl_coalition_free(c);
	fl_agg_free(g);
	fl_model_free(bm);
	fl_model_free(next);
}

static void
test_coalition(void)
{
	struct fl_agg_opts o = FL_AGG_OPTS_INIT;
	struct fl_agg_opts clip = FL_AGG_OPTS_INIT;
	struct fl_agg_opts krum = FL_AGG_OPTS_INIT;

	clip.clip = 0.5;
	krum.byzantine = 0;
	check_strategy("fedavg", &o);
	check_strategy("fedavg", &clip);
	check_strategy("fedadam", &o);
	check_strategy("fedavgm", &o);
	check_strategy("median", &o);
	check_strategy("trimmed-mean", &o);
	check_strategy("multi-krum", &krum);
}

static void
test_refused(void)
{
	static const float p0[3] = { 1, 2, 3 }, d[3] = { 1, 1, 1 };
	struct fl_err err = FL_ERR_INIT;
	struct fl_agg_opts o = FL_AGG_OPTS_INIT;
	struct fl_archive *base = archive(FL_KIND_MODEL, p0, NULL, NULL, 0);
	struct fl_archive *u = archive(FL_KIND_UPDATE, d,
	    fl_archive_id(base), "a", 5);
	struct fl_coalition *c = NULL;
	unsigned char in[1] = { 1 };
	float params[3];
	int refused = 0;

	/* Krum with F = 1 needs 5 updates: one leaves the model as it was. */
	CHECK_OK(fl_coalition_new(&c, base, "base", "krum", &o, &err), &err);
	if (c != NULL) {
		CHECK_OK(fl_coalition_add(c, u, "u", &err), &err);
		CHECK_OK(fl_coalition_params(c, in, params, &refused, &err),
		    &err);
		CHECK(refused == 1 && memcmp(params, p0, sizeof(p0)) == 0);
	}
	fl_coalition_free(c);
	c = NULL;
	/* No central DP, and an update is no base. */
	o.dp_noise = 1;
	o.clip = 1;
	CHECK(fl_coalition_new(&c, base, "base", "fedavg", &o, &err) ==
	    FL_EUSAGE);
	o.dp_noise = 0;
	CHECK(fl_coalition_new(&c, u, "u", "fedavg", &o, &err) == FL_EFORMAT);
	CHECK(strstr(err.msg, "u: an update archive, not a model") != NULL);
	fl_archive_free(base);
	fl_archive_free(u);
}

static void
test_metrics(void)
{
	struct fl_err err = FL_ERR_INIT;
	struct fl_metrics m;
	int sign = 0;

	CHECK(strcmp(fl_value_metric_default(FL_TASK_BINARY), "auc") == 0);
	CHECK(fl_value_metric_check("log_loss", FL_TASK_BINARY, &sign,
	    &err) == 0 && sign == -1);
	CHECK(fl_value_metric_check("r2", FL_TASK_REGRESSION, &sign,
	    &err) == 0 && sign == 1);
	CHECK(fl_value_metric_check("rmse", FL_TASK_BINARY, &sign, &err) ==
	    FL_EUSAGE);
	CHECK(strstr(err.msg, "(auc, accuracy, log_loss, brier)") != NULL);
	memset(&m, 0, sizeof(m));
	m.brier = 0.25;
	CHECK(fl_value_metric_get(&m, "brier") == 0.25);
	CHECK(isnan(fl_value_metric_get(&m, "bogus")));
}

int
main(void)
{
	unit_run("additive", test_additive);
	unit_run("properties", test_properties);
	unit_run("sampled", test_sampled);
	unit_run("coalition", test_coalition);
	unit_run("refused", test_refused);
	unit_run("metrics", test_metrics);
	return unit_done("test_value");
}
