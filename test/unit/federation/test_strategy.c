/*
 * test_strategy.c: the server strategies, clipping, central DP and state
 * carried between rounds (lib/federation/aggregate.c, lib/federation/strategy.c, lib/federation/fedopt.c,
 * lib/federation/robust.c), each against a computation by hand on small inputs; and
 * the table's names, lists and parameter checks.
 */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "fl.h"
#include "federation/robust_int.h"
#include "federation/strategy_int.h"
#include "unit.h"

static const char *const feats[] = { "a", "b" };

/* A logreg model on two features: three parameters. */
static struct fl_model *
model3(const float *v)
{
	struct fl_err err = FL_ERR_INIT;
	struct fl_model *m = NULL;

	if (fl_model_new(&m, "logreg", FL_TASK_BINARY, 0, 2, feats, "y",
	    &err) < 0)
		return NULL;
	memcpy(fl_model_params(m), v, 3 * sizeof(float));
	return m;
}

/* An update of delta v from site for (parent, round). */
static struct fl_archive *
update(const char *parent, int round, const char *site, long samples,
    const float *v)
{
	struct fl_err err = FL_ERR_INIT;
	struct fl_model *m = model3(v);
	struct fl_archive *a = NULL;
	json_t *man;

	if (m == NULL || fl_model_to_archive(m, FL_KIND_UPDATE, &a, &err) < 0)
		return NULL;
	fl_model_free(m);
	man = fl_archive_manifest(a);
	json_object_set_new(man, "parent", json_string(parent));
	json_object_set_new(man, "round", json_integer(round));
	json_object_set_new(man, "site", json_string(site));
	json_object_set_new(man, "samples", json_integer(samples));
	return a;
}

/* Fix a's id, as a real update has one. */
static void
fix_id(struct fl_archive *a)
{
	struct fl_err err = FL_ERR_INIT;
	FILE *f = fopen("/dev/null", "wb");

	if (f != NULL) {
		fl_archive_write(a, f, "/dev/null", FL_COMPRESS_NONE, &err);
		fclose(f);
	}
}

/* Write a to a temp file and read it back, as the next round would. */
static struct fl_archive *
reread(struct fl_archive *a)
{
	struct fl_err err = FL_ERR_INIT;
	struct fl_archive *b = NULL;
	struct fl_reader *r;
	FILE *f = tmpfile();

	if (f == NULL || fl_archive_write(a, f, "tmp", FL_COMPRESS_NONE,
	    &err) < 0)
		return NULL;
	rewind(f);
	if (fl_reader_open(&r, f, "tmp", &err) < 0)
		return NULL;
	if (fl_reader_next(r, &b, &err) != 1)
		b = NULL;
	fl_reader_free(r);
	fclose(f);
	return b;
}

/*
 * One round: base (archive, may be NULL: then params x) plus k updates of
 * deltas d[k][3] with samples n[k] by strategy with o.  The new archive
 * in *out (may be NULL), the new parameters in p.  Returns fl_agg's code.
 */
static int
round_of(const char *strategy, const struct fl_agg_opts *o,
    struct fl_archive *base, const float *x, size_t k, const float d[][3],
    const long *n, float *p, struct fl_archive **out, struct fl_err *err)
{
	struct fl_archive *res = NULL, *u;
	struct fl_model *bm = NULL, *nm = NULL;
	struct fl_agg *g = NULL;
	const char *id = "sha256:base";
	char site[24];
	int rc, round = 0;
	size_t i;

	if (base != NULL) {
		if ((rc = fl_model_from_archive(&bm, base, err)) < 0)
			return rc;
		id = fl_archive_id(base);
		round = (int)json_integer_value(json_object_get(
		    fl_archive_manifest(base), "round"));
	} else
		bm = model3(x);
	if ((rc = fl_agg_new(&g, bm, id, round, strategy, err)) < 0 ||
	    (rc = fl_agg_configure(g, o, base, err)) < 0)
		goto out;
	for (i = 0; i < k; i++) {
		snprintf(site, sizeof(site), "s%zu", i);
		u = update(id, round, site, n != NULL ? n[i] : 1, d[i]);
		fix_id(u);
		rc = fl_agg_add(g, u, site, NULL, err);
		fl_archive_free(u);
		if (rc < 0)
			goto out;
	}
	if ((rc = fl_agg_finish(g, &res, err)) < 0)
		goto out;
	if ((rc = fl_model_from_archive(&nm, res, err)) < 0)
		goto out;
	memcpy(p, fl_model_params(nm), 3 * sizeof(float));
	if (out != NULL) {
		*out = reread(res);
		rc = *out == NULL ? FL_EIO : 0;
	}
out:
	fl_archive_free(res);
	fl_model_free(nm);
	fl_model_free(bm);
	fl_agg_free(g);
	return rc;
}

static const float zero[3] = { 0, 0, 0 };

static void
test_median_trimmed(void)
{
	struct fl_err err = FL_ERR_INIT;
	struct fl_agg_opts o = FL_AGG_OPTS_INIT;
	const float d[5][3] = {
		{ 1, 0, -1 }, { 3, 4, 1 }, { 2, 100, 0 }, { 10, -5, 2 },
		{ 4, 7, -9 }
	};
	const long n[5] = { 1, 1000, 1, 1, 1 };	/* weights are ignored */
	float p[3];

	/* Odd: (1,3,2) (0,4,100) (-1,1,0) -> 2, 4, 0. */
	CHECK_OK(round_of("median", &o, NULL, zero, 3, d, n, p, NULL, &err),
	    &err);
	CHECK(p[0] == 2 && p[1] == 4 && p[2] == 0);
	/* Even: 1 2 3 10 -> 2.5; -5 0 4 100 -> 2; -1 0 1 2 -> 0.5. */
	CHECK_OK(round_of("median", &o, NULL, zero, 4, d, n, p, NULL, &err),
	    &err);
	CHECK(p[0] == 2.5f && p[1] == 2 && p[2] == 0.5f);
	/* Trim 0.25 of 4 cuts one a side: the two middle values. */
	o.trim = 0.25;
	CHECK_OK(round_of("trimmed-mean", &o, NULL, zero, 4, d, n, p, NULL,
	    &err), &err);
	CHECK(p[0] == 2.5f && p[1] == 2 && p[2] == 0.5f);
	/* Trim 0.2 of 5: 1 2 3 4 10 -> 3; -5 0 4 7 100 -> 11/3;
	 * -9 -1 0 1 2 -> 0. */
	o.trim = 0.2;
	CHECK_OK(round_of("trimmed-mean", &o, NULL, zero, 5, d, n, p, NULL,
	    &err), &err);
	CHECK_NEAR(p[0], 3, 1e-6, 0);
	CHECK_NEAR(p[1], 11.0 / 3, 1e-6, 0);
	CHECK_NEAR(p[2], 0, 1e-6, 0);
	/* Trim 0 is the plain mean: 20/5, 106/5, -7/5. */
	o.trim = 0;
	CHECK_OK(round_of("trimmed-mean", &o, NULL, zero, 5, d, n, p, NULL,
	    &err), &err);
	CHECK_NEAR(p[0], 4, 1e-6, 0);
	CHECK_NEAR(p[1], 21.2, 1e-5, 0);
	/* The base is added: median + x. */
	{
		const float x[3] = { 1, -1, 0.5f };
		struct fl_agg_opts o2 = FL_AGG_OPTS_INIT;

		CHECK_OK(round_of("median", &o2, NULL, x, 3, d, n, p, NULL,
		    &err), &err);
		CHECK(p[0] == 3 && p[1] == 3 && p[2] == 0.5f);
	}
}

static void
test_krum(void)
{
	struct fl_err err = FL_ERR_INIT;
	struct fl_agg_opts o = FL_AGG_OPTS_INIT;
	struct fl_archive *out = NULL;
	const json_t *sel;
	/*
	 * Squared distances: ab .01, ac .04, ad .04, bc .05, bd .09, cd .08,
	 * e far from all.  With F = 1, each scores its 5 - 1 - 2 = 2 nearest:
	 * a .05, b .06, c .09, d .12: Krum picks a; multi-krum with M = 2
	 * averages a and b, with M = 3 a, b and c.
	 */
	const float d[5][3] = {
		{ 1, 1, 1 }, { 1.1f, 1, 1 }, { 1, 1.2f, 1 }, { 0.8f, 1, 1 },
		{ 100, 100, 100 }
	};
	float p[3];

	CHECK_OK(round_of("krum", &o, NULL, zero, 5, d, NULL, p, &out, &err),
	    &err);
	CHECK(p[0] == 1 && p[1] == 1 && p[2] == 1);
	if (out != NULL) {
		sel = json_object_get(json_object_get(fl_archive_manifest(out),
		    "strategy_params"), "selected");
		CHECK(json_array_size(sel) == 1 &&
		    json_integer_value(json_array_get(sel, 0)) == 0);
	}
	fl_archive_free(out);
	o.select = 2;
	CHECK_OK(round_of("multi-krum", &o, NULL, zero, 5, d, NULL, p, NULL,
	    &err), &err);
	CHECK_NEAR(p[0], 1.05, 1e-6, 0);
	CHECK_NEAR(p[1], 1, 1e-6, 0);
	o.select = 3;
	CHECK_OK(round_of("multi-krum", &o, NULL, zero, 5, d, NULL, p, NULL,
	    &err), &err);
	CHECK_NEAR(p[0], 3.1 / 3, 1e-6, 0);
	CHECK_NEAR(p[1], 3.2 / 3, 1e-6, 0);
	/* Too few updates for F = 1 (needs 2F + 3 = 5); F = 0 takes 3. */
	o.select = 0;
	CHECK(round_of("krum", &o, NULL, zero, 4, d, NULL, p, NULL,
	    &err) == FL_EUSAGE);
	CHECK(strstr(err.msg, "at least 5") != NULL);
	o.byzantine = 0;
	CHECK_OK(round_of("krum", &o, NULL, zero, 3, d, NULL, p, NULL, &err),
	    &err);
	/* Each scores its one nearest: a .01, b .01 (a tie, to the first),
	 * c .04. */
	CHECK(p[0] == 1 && p[1] == 1);
}

/* Reddi et al. 2021, Algorithm 2, in double, for one coordinate. */
static double
adam_ref(int yogi, int adagrad, double lr, double b1, double b2, double tau,
    double d, double *m, double *v)
{
	*m = b1 * *m + (1 - b1) * d;
	if (adagrad)
		*v += d * d;
	else if (yogi)
		*v -= (1 - b2) * d * d * (*v > d * d ? 1 : *v < d * d ? -1 : 0);
	else
		*v = b2 * *v + (1 - b2) * d * d;
	return lr * *m / (sqrt(*v) + tau);
}

static void
test_fedopt(void)
{
	struct fl_err err = FL_ERR_INIT;
	struct fl_agg_opts o = FL_AGG_OPTS_INIT;
	struct fl_archive *a = NULL, *b = NULL;
	const float d[2][3] = { { 1, 2, -1 }, { 3, 0, 1 } };
	const long n[2] = { 1, 1 };
	const float *mv;
	float p[3];
	double m, v, want;
	const char *names[3] = { "fedadam", "fedyogi", "fedadagrad" };
	int s, r, k, ok;

	/*
	 * fedadam, one step by hand from x = 0: d = (2, 1, 0),
	 * m = 0.1 d, v = 0.99 tau^2 + 0.01 d^2, x = 0.1 m / (sqrt(v) + tau):
	 * coordinate 0: 0.02 / (sqrt(0.04000099) + 0.001) = 0.0995012...
	 */
	CHECK_OK(round_of("fedadam", &o, NULL, zero, 2, d, n, p, &a, &err),
	    &err);
	CHECK_NEAR(p[0], 0.02 / (sqrt(0.04 + 0.99e-6) + 0.001), 1e-7, 0);
	CHECK_NEAR(p[1], 0.01 / (sqrt(0.01 + 0.99e-6) + 0.001), 1e-7, 0);
	CHECK(p[2] == 0);
	if (a != NULL) {
		CHECK(fl_archive_state(a, "fedopt_m", 3, &mv, &err) == 1);
		CHECK_NEAR(mv[0], 0.2, 1e-7, 0);
		CHECK(fl_archive_state(a, "fedopt_v", 3, &mv, &err) == 1);
		CHECK_NEAR(mv[0], 0.04 + 0.99e-6, 1e-9, 0);
	}
	fl_archive_free(a);
	a = NULL;

	/* Three rounds resumed from the archives equal a continuous run. */
	for (s = 0; s < 3; s++) {
		double mm[3] = { 0, 0, 0 }, vv[3], x[3] = { 0, 0, 0 };

		for (k = 0; k < 3; k++)
			vv[k] = 1e-6;
		ok = 1;
		for (r = 0; r < 3; r++) {
			float dr[2][3];

			for (k = 0; k < 3; k++) {
				dr[0][k] = d[0][k] * (float)(r + 1);
				dr[1][k] = d[1][k] - (float)r;
			}
			if (round_of(names[s], &o, a, zero, 2, dr, n, p, &b,
			    &err) < 0) {
				CHECK_OK(-1, &err);
				break;
			}
			for (k = 0; k < 3; k++) {
				m = mm[k];
				v = vv[k];
				want = x[k] + adam_ref(s == 1, s == 2, 0.1, 0.9,
				    0.99, 1e-3, (dr[0][k] + dr[1][k]) / 2.0,
				    &m, &v);
				mm[k] = m;
				vv[k] = v;
				x[k] = want;
				if (fabs(p[k] - want) > 1e-5)
					ok = 0;
			}
			fl_archive_free(a);
			a = b;
			b = NULL;
		}
		CHECK(ok);
		CHECK(r == 3);
		fl_archive_free(a);
		a = NULL;
	}
}

static void
test_fedavgm(void)
{
	struct fl_err err = FL_ERR_INIT;
	struct fl_agg_opts o = FL_AGG_OPTS_INIT;
	struct fl_archive *a = NULL, *b = NULL;
	const float d1[2][3] = { { 1, 0, 0 }, { 3, 2, 0 } };
	const float d2[1][3] = { { -1, 1, 4 } };
	const long n[2] = { 1, 3 };
	const json_t *sp;
	float p[3];

	/* Round 1: d = (10/4, 6/4, 0), m = d, x = 0.5 m = (1.25, .75, 0). */
	o.server_lr = 0.5;
	o.momentum = 0.8;
	CHECK_OK(round_of("fedavgm", &o, NULL, zero, 2, d1, n, p, &a, &err),
	    &err);
	CHECK_NEAR(p[0], 1.25, 1e-7, 0);
	CHECK_NEAR(p[1], 0.75, 1e-7, 0);
	if (a == NULL)
		return;
	sp = json_object_get(fl_archive_manifest(a), "strategy_params");
	CHECK_NEAR(json_real_value(json_object_get(sp, "momentum")), 0.8,
	    1e-12, 0);
	/* Round 2: m = 0.8 (2.5, 1.5, 0) + (-1, 1, 4) = (1, 2.2, 4),
	 * x = (1.25, .75, 0) + 0.5 m = (1.75, 1.85, 2). */
	CHECK_OK(round_of("fedavgm", &o, a, zero, 1, d2, n, p, &b, &err),
	    &err);
	CHECK_NEAR(p[0], 1.75, 1e-6, 0);
	CHECK_NEAR(p[1], 1.85, 1e-6, 0);
	CHECK_NEAR(p[2], 2, 1e-6, 0);
	fl_archive_free(a);
	fl_archive_free(b);
	/* Momentum 0, lr 1 is fedavg. */
	o.server_lr = 1;
	o.momentum = 0;
	CHECK_OK(round_of("fedavgm", &o, NULL, zero, 2, d1, n, p, NULL, &err),
	    &err);
	CHECK_NEAR(p[0], 2.5, 1e-7, 0);
}

static void
test_scaffold(void)
{
	struct fl_err err = FL_ERR_INIT;
	struct fl_agg_opts o = FL_AGG_OPTS_INIT;
	struct fl_model *bm = model3(zero);
	struct fl_archive *u1, *u2, *res = NULL, *next = NULL;
	struct fl_agg *g = NULL;
	const float dc1[3] = { 1, 2, 3 }, dc2[3] = { 3, 0, -1 }, *c;
	const float d[1][3] = { { 1, 1, 1 } };
	float p[3];

	/* c = 0 + (dc1 + dc2) / N with N = 8 = (0.5, 0.25, 0.25). */
	u1 = update("sha256:b", 0, "s1", 1, zero);
	u2 = update("sha256:b", 0, "s2", 1, zero);
	fl_archive_add_state(u1, "scaffold_dc", dc1, 3, &err);
	fl_archive_add_state(u2, "scaffold_dc", dc2, 3, &err);
	fix_id(u1);
	fix_id(u2);
	o.population = 8;
	CHECK_OK(fl_agg_new(&g, bm, "sha256:b", 0, "fedavg", &err), &err);
	CHECK_OK(fl_agg_configure(g, &o, NULL, &err), &err);
	CHECK_OK(fl_agg_add(g, u1, "u1", NULL, &err), &err);
	CHECK_OK(fl_agg_add(g, u2, "u2", NULL, &err), &err);
	CHECK_OK(fl_agg_finish(g, &res, &err), &err);
	if (res != NULL && (next = reread(res)) != NULL) {
		CHECK(fl_archive_state(next, "scaffold_c", 3, &c, &err) == 1);
		CHECK(c[0] == 0.5f && c[1] == 0.25f && c[2] == 0.25f);
		/* The next round, with no dc, carries c over. */
		o.population = 0;
		fl_archive_free(res);
		res = NULL;
		CHECK_OK(round_of("median", &o, next, zero, 1, d, NULL, p,
		    &res, &err), &err);
		if (res != NULL) {
			CHECK(fl_archive_state(res, "scaffold_c", 3, &c,
			    &err) == 1);
			CHECK(c[0] == 0.5f && c[2] == 0.25f);
		}
	}
	fl_archive_free(res);
	fl_archive_free(next);
	fl_archive_free(u1);
	fl_archive_free(u2);
	fl_agg_free(g);
	fl_model_free(bm);
}

static void
test_dp(void)
{
	struct fl_err err = FL_ERR_INIT;
	struct fl_agg_opts o = FL_AGG_OPTS_INIT;
	struct fl_archive *a = NULL, *b = NULL;
	const float d[2][3] = { { 3, 4, 0 }, { 0, 0, 0.5f } };
	const long n[2] = { 1, 9 };
	const json_t *pv;
	double rdp[128], eps;
	float p[3], p2[3];
	size_t norders;

	/* Clip 1: (3, 4, 0) becomes (0.6, 0.8, 0); weights stay 1 : 9. */
	o.clip = 1;
	CHECK_OK(round_of("fedavg", &o, NULL, zero, 2, d, n, p, NULL, &err),
	    &err);
	CHECK_NEAR(p[0], 0.06, 1e-7, 0);
	CHECK_NEAR(p[1], 0.08, 1e-7, 0);
	CHECK_NEAR(p[2], 0.45, 1e-7, 0);
	/* Noise: equal weights, reproducible with a seed, and accounted. */
	o.dp_noise = 1.0;
	o.seeded = 1;
	o.seed = 7;
	o.population = 20;
	CHECK_OK(round_of("fedavg", &o, NULL, zero, 2, d, n, p, &a, &err),
	    &err);
	CHECK_OK(round_of("fedavg", &o, NULL, zero, 2, d, n, p2, NULL, &err),
	    &err);
	CHECK(memcmp(p, p2, sizeof(p)) == 0);
	CHECK(p[0] != 0.3f);	/* (0.6 + 0) / 2 plus noise */
	if (a == NULL)
		return;
	pv = json_object_get(fl_archive_manifest(a), "privacy");
	memset(rdp, 0, sizeof(rdp));
	fl_dp_orders(&norders);
	fl_dp_rdp_add(rdp, 2.0 / 20, 1.0, 1);
	eps = fl_dp_epsilon(rdp, 1e-5, NULL);
	CHECK_NEAR(json_real_value(json_object_get(pv, "epsilon")), eps,
	    0, 1e-12);
	CHECK(json_integer_value(json_object_get(pv, "rounds")) == 1);
	CHECK(json_array_size(json_object_get(pv, "rdp")) == norders);
	/* A second round adds to the budget. */
	CHECK_OK(round_of("fedavg", &o, a, zero, 2, d, n, p, &b, &err), &err);
	if (b != NULL) {
		fl_dp_rdp_add(rdp, 2.0 / 20, 1.0, 1);
		pv = json_object_get(fl_archive_manifest(b), "privacy");
		CHECK_NEAR(json_real_value(json_object_get(pv, "epsilon")),
		    fl_dp_epsilon(rdp, 1e-5, NULL), 0, 1e-9);
		CHECK(json_integer_value(json_object_get(pv, "rounds")) == 2);
	}
	fl_archive_free(b);
	b = NULL;
	/* A budget below the next round's total refuses it. */
	o.max_epsilon = fl_dp_epsilon(rdp, 1e-5, NULL) - 0.01;
	CHECK(round_of("fedavg", &o, a, zero, 2, d, n, p, &b, &err) ==
	    FL_ENUM);
	CHECK(b == NULL);
	CHECK(strstr(err.msg, "--max-epsilon") != NULL);
	/* A private model's next round must be private too. */
	o.max_epsilon = 0;
	o.dp_noise = 0;
	CHECK(round_of("fedavg", &o, a, zero, 2, d, n, p, &b, &err) ==
	    FL_EUSAGE);
	/* Noise is for the mean strategies; parameters for their own. */
	o.dp_noise = 1;
	CHECK(round_of("median", &o, NULL, zero, 2, d, n, p, NULL, &err) ==
	    FL_EUSAGE);
	o.dp_noise = 0;
	o.trim = 0.1;
	CHECK(round_of("fedavg", &o, NULL, zero, 2, d, n, p, NULL, &err) ==
	    FL_EUSAGE);
	CHECK(strstr(err.msg, "--trim") != NULL);
	fl_archive_free(a);
}

/* The table: its names, the lists made from it, and the checks. */
static void
test_table(void)
{
	struct fl_err err = FL_ERR_INIT;
	struct fl_agg_opts o = FL_AGG_OPTS_INIT;
	const struct fl_strategy *s;
	char buf[256];
	size_t i, len;
	int same = 1;

	for (i = 0; fl_agg_strategy_name(i) != NULL; i++) {
		same &= fl_strategy_find(fl_agg_strategy_name(i)) ==
		    fl_strategy_at(i);
		s = fl_strategy_at(i);
		/* A robust row has no server step, a mean row no kind. */
		same &= s->robust ? s->step == NULL : s->selects == 0;
		same &= (s->moments > 0) == (s->step != NULL);
	}
	CHECK(same && i == 10);
	CHECK(fl_strategy_find("fedsgd") == NULL);
	len = fl_agg_strategy_list(buf, sizeof(buf));
	CHECK(strcmp(buf, "fedavg, fedavgm, fedadam, fedyogi, fedadagrad, "
	    "median, trimmed-mean, krum, multi-krum, newton") == 0);
	CHECK(len == strlen(buf));
	/* Truncated, it still says how long the whole list is. */
	CHECK(fl_agg_strategy_list(buf, 7) == len &&
	    strcmp(buf, "fedavg") == 0);
	CHECK(fl_agg_strategy_list(NULL, 0) == len);
	fl_strategy_list(buf, sizeof(buf), FL_SP_BETA2, -1, " and ");
	CHECK(strcmp(buf, "fedadam and fedyogi") == 0);
	fl_strategy_list(buf, sizeof(buf), 0, 1, " and ");
	CHECK(strcmp(buf, "median, trimmed-mean, krum and multi-krum") == 0);

	/* Each parameter is refused by a row that does not take it. */
	s = fl_strategy_find("fedavg");
	CHECK(fl_strategy_check(s, &o, &err) == 0);
	o.beta2 = 0.9;
	CHECK(fl_strategy_check(s, &o, &err) == FL_EUSAGE);
	CHECK(strcmp(err.msg, "--beta2 is for fedadam and fedyogi, not "
	    "fedavg") == 0);
	CHECK(fl_strategy_check(fl_strategy_find("fedyogi"), &o, &err) == 0);
	o.beta2 = NAN;
	o.select = 3;
	CHECK(fl_strategy_check(fl_strategy_find("krum"), &o, &err) ==
	    FL_EUSAGE);
	CHECK(strcmp(err.msg, "--select is for multi-krum, not krum") == 0);
	o.select = 0;
	o.byzantine = 0;
	CHECK(fl_strategy_check(fl_strategy_find("median"), &o, &err) ==
	    FL_EUSAGE);
	CHECK(strcmp(err.msg, "--byzantine is for krum and multi-krum, not "
	    "median") == 0);

	/* Defaults: fedavgm's server learning rate is 1, the others' 0.1. */
	o = (struct fl_agg_opts)FL_AGG_OPTS_INIT;
	fl_strategy_resolve(fl_strategy_find("fedavgm"), &o);
	CHECK(o.server_lr == 1.0 && o.momentum == 0.9 && o.byzantine == 1 &&
	    o.select == 0 && o.tau == 1e-3);
	o = (struct fl_agg_opts)FL_AGG_OPTS_INIT;
	fl_strategy_resolve(fl_strategy_find("fedadam"), &o);
	CHECK(o.server_lr == 0.1 && o.beta1 == 0.9 && o.beta2 == 0.99);
}

/* Chunked robust combination equals one chunk, and a sort by hand. */
static int
cmp_float(const void *a, const void *b)
{
	float x = *(const float *)a, y = *(const float *)b;

	return x < y ? -1 : x > y;
}

static void
test_chunks(void)
{
	struct fl_err err = FL_ERR_INIT;
	enum { M = 9, N = 1000 };
	static float v[M * N], o1[N], o2[N], col[M];
	struct fl_rng r;
	char path[] = "/tmp/test_strategy.XXXXXX";
	int fd = mkstemp(path), c1[M], c2[M], kind, ok;
	size_t i, j;
	double s;

	if (fd < 0) {
		CHECK(0);
		return;
	}
	unlink(path);
	fl_rng_seed(&r, 3, "test");
	for (i = 0; i < M * N; i++)
		v[i] = (float)fl_rng_normal(&r);
	/* Two outliers. */
	for (j = 0; j < N; j++)
		v[2 * N + j] += 50;
	for (j = 0; j < N; j += 7)
		v[5 * N + j] = -1e6f;
	CHECK(write(fd, v, sizeof(v)) == (ssize_t)sizeof(v));
	for (kind = FL_ROBUST_MEDIAN; kind <= FL_ROBUST_MULTIKRUM; kind++) {
		CHECK_OK(fl_robust_combine(fd, M, N, 13, kind, 0.2, 2, 4, o1,
		    c1, &err), &err);
		CHECK_OK(fl_robust_combine(fd, M, N, 0, kind, 0.2, 2, 4, o2,
		    c2, &err), &err);
		CHECK(memcmp(o1, o2, sizeof(o1)) == 0);
		CHECK(memcmp(c1, c2, sizeof(c1)) == 0);
	}
	/* The outliers are never chosen by Krum. */
	CHECK(c1[2] == 0 && c1[5] == 0);
	/* Median and trimmed mean against a sort. */
	CHECK_OK(fl_robust_combine(fd, M, N, 64, FL_ROBUST_MEDIAN, 0, 0, 0,
	    o1, NULL, &err), &err);
	CHECK_OK(fl_robust_combine(fd, M, N, 64, FL_ROBUST_TRIMMED, 0.25, 0, 0,
	    o2, NULL, &err), &err);
	ok = 1;
	for (j = 0; j < N; j++) {
		for (i = 0; i < M; i++)
			col[i] = v[i * N + j];
		qsort(col, M, sizeof(float), cmp_float);
		if (o1[j] != col[M / 2])
			ok = 0;
		for (s = 0, i = 2; i < M - 2; i++)
			s += col[i];
		if (fabs(o2[j] - s / (M - 4)) > 1e-6)
			ok = 0;
	}
	CHECK(ok);
	close(fd);
}

int
main(void)
{
	unit_run("median_trimmed", test_median_trimmed);
	unit_run("krum", test_krum);
	unit_run("fedopt", test_fedopt);
	unit_run("fedavgm", test_fedavgm);
	unit_run("scaffold", test_scaffold);
	unit_run("dp", test_dp);
	unit_run("chunks", test_chunks);
	unit_run("table", test_table);
	return unit_done("test_strategy");
}
