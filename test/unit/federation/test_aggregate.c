/*
 * test_aggregate.c: model archives (lib/model/modelio.c) and FedAvg
 * (lib/federation/aggregate.c) against a hand computation.
 */
#include <math.h>
#include <stdio.h>
#include <string.h>

#include "fl.h"
#include "unit.h"

static const char *const feats[] = { "a", "b" };

/* A logreg model on two features with parameters w0, w1, bias. */
static struct fl_model *
model3(float w0, float w1, float b)
{
	struct fl_err err = FL_ERR_INIT;
	struct fl_model *m = NULL;
	float *p;

	if (fl_model_new(&m, "logreg", FL_TASK_BINARY, 0, 2, feats, "y",
	    &err) < 0)
		return NULL;
	p = fl_model_params(m);
	p[0] = w0;
	p[1] = w1;
	p[2] = b;
	return m;
}

/* An update archive holding delta (d0, d1, db) for parent at round 0. */
static struct fl_archive *
update(const char *parent, const char *site, long samples, float d0, float d1,
    float db)
{
	struct fl_err err = FL_ERR_INIT;
	struct fl_model *m = model3(d0, d1, db);
	struct fl_archive *a = NULL;
	FILE *f;

	if (m == NULL || fl_model_to_archive(m, FL_KIND_UPDATE, &a, &err) < 0)
		return NULL;
	fl_model_free(m);
	json_object_set_new(fl_archive_manifest(a), "parent",
	    json_string(parent));
	json_object_set_new(fl_archive_manifest(a), "round", json_integer(0));
	json_object_set_new(fl_archive_manifest(a), "site", json_string(site));
	json_object_set_new(fl_archive_manifest(a), "samples",
	    json_integer(samples));
	/* Writing computes the id, as a real update's has one. */
	f = fopen("/dev/null", "wb");
	fl_archive_write(a, f, "/dev/null", FL_COMPRESS_NONE, &err);
	fclose(f);
	return a;
}

static void
test_round_trip(void)
{
	struct fl_err err = FL_ERR_INIT;
	struct fl_model *m, *back = NULL;
	struct fl_archive *a = NULL;
	struct fl_prep *p;

	if (fl_model_new(&m, "mlp:4,3", FL_TASK_MULTICLASS, 3, 2, feats, "y",
	    &err) < 0) {
		CHECK(0);
		return;
	}
	fl_model_init_params(m, 5);
	p = fl_model_prep(m);
	p->mean[1] = 2.5;
	p->scale[1] = 0.25;
	p->impute[0] = -1;
	CHECK_OK(fl_model_to_archive(m, FL_KIND_MODEL, &a, &err), &err);
	CHECK(fl_archive_ntensors(a) == 6);
	CHECK_OK(fl_model_from_archive(&back, a, &err), &err);
	if (back != NULL) {
		CHECK(fl_model_compatible(m, back));
		CHECK(memcmp(fl_model_params(m), fl_model_params(back),
		    fl_model_nparams(m) * sizeof(float)) == 0);
		CHECK(fl_model_prep(back)->mean[1] == 2.5);
		CHECK(fl_model_prep(back)->scale[1] == 0.25);
		CHECK(fl_model_prep(back)->impute[0] == -1);
		CHECK(fl_model_nclasses(back) == 3);
	}
	fl_model_free(back);
	back = NULL;

	/* A NaN parameter is refused. */
	((float *)fl_archive_data(a, &(size_t){ 0 }))[3] = NAN;
	CHECK(fl_model_from_archive(&back, a, &err) == FL_ENUM);
	CHECK(back == NULL);
	fl_archive_free(a);

	/* A stats archive is not a model. */
	a = fl_archive_new(FL_KIND_STATS);
	CHECK(fl_model_from_archive(&back, a, &err) == FL_EFORMAT);
	fl_archive_free(a);
	fl_model_free(m);
}

static void
test_fedavg(void)
{
	struct fl_err err = FL_ERR_INIT;
	struct fl_model *base = model3(1, 2, 3), *next = NULL;
	struct fl_archive *u1, *u2, *out = NULL, *bad;
	struct fl_agg *g = NULL;
	const char *id = "sha256:base";
	const float *p;
	json_t *c;

	u1 = update(id, "s1", 10, 1, 0, -1);
	u2 = update(id, "s2", 30, 0, 4, 1);
	CHECK_OK(fl_agg_new(&g, base, id, 0, "fedavg", &err), &err);
	if (g == NULL || u1 == NULL || u2 == NULL)
		return;
	CHECK_OK(fl_agg_add(g, u1, "u1", "k1", &err), &err);
	CHECK_OK(fl_agg_add(g, u2, "u2", NULL, &err), &err);
	CHECK(fl_agg_count(g) == 2);

	/* Refusals leave the sum alone and name the update. */
	bad = update("sha256:other", "s3", 5, 9, 9, 9);
	CHECK(fl_agg_add(g, bad, "bad.upd", NULL, &err) == FL_EFORMAT);
	CHECK(strstr(err.msg, "bad.upd") != NULL);
	fl_archive_free(bad);
	bad = update(id, "s3", 0, 9, 9, 9);
	CHECK(fl_agg_add(g, bad, "zero.upd", NULL, &err) == FL_EFORMAT);
	fl_archive_free(bad);
	bad = update(id, "s3", 5, 9, INFINITY, 9);
	CHECK(fl_agg_add(g, bad, "inf.upd", NULL, &err) == FL_ENUM);
	CHECK(strstr(err.msg, "Inf") != NULL);
	fl_archive_free(bad);
	bad = update(id, "s3", 5, 9, 9, 9);
	json_object_set_new(fl_archive_manifest(bad), "round",
	    json_integer(1));
	CHECK(fl_agg_add(g, bad, "r1.upd", NULL, &err) == FL_EFORMAT);
	json_object_set_new(fl_archive_manifest(bad), "round",
	    json_integer(0));
	json_object_set_new(fl_archive_manifest(bad), "label",
	    json_string("z"));
	CHECK(fl_agg_add(g, bad, "label.upd", NULL, &err) == FL_ESHAPE);
	fl_archive_free(bad);
	/* A second update from a site is refused. */
	CHECK(fl_agg_add(g, u1, "again.upd", NULL, &err) == FL_EFORMAT);
	CHECK(strstr(err.msg, "second update from site 's1'") != NULL);
	CHECK(fl_agg_count(g) == 2);

	/*
	 * By hand: weights 10 and 30 of 40.
	 * w0: 1 + (10*1 + 30*0)/40 = 1.25
	 * w1: 2 + (10*0 + 30*4)/40 = 5
	 * b:  3 + (10*-1 + 30*1)/40 = 3.5
	 */
	CHECK_OK(fl_agg_finish(g, &out, &err), &err);
	if (out != NULL) {
		CHECK_OK(fl_model_from_archive(&next, out, &err), &err);
		p = fl_model_params(next);
		CHECK_NEAR(p[0], 1.25, 1e-6, 0);
		CHECK_NEAR(p[1], 5, 1e-6, 0);
		CHECK_NEAR(p[2], 3.5, 1e-6, 0);
		CHECK(json_integer_value(json_object_get(
		    fl_archive_manifest(out), "round")) == 1);
		CHECK(json_integer_value(json_object_get(
		    fl_archive_manifest(out), "samples")) == 40);
		CHECK(strcmp(json_string_value(json_object_get(
		    fl_archive_manifest(out), "parent")), id) == 0);
		CHECK_OK(fl_history_check(fl_archive_manifest(out), &err),
		    &err);
		c = json_object_get(fl_archive_manifest(out), "contributors");
		CHECK(json_array_size(c) == 2);
		CHECK(strcmp(json_string_value(json_object_get(
		    json_array_get(c, 0), "signer")), "k1") == 0);
		CHECK(json_is_null(json_object_get(json_array_get(c, 1),
		    "signer")) || json_object_get(json_array_get(c, 1),
		    "signer") == NULL);
		CHECK(strcmp(json_string_value(json_object_get(
		    json_array_get(c, 1), "site")), "s2") == 0);
		CHECK(json_integer_value(json_object_get(json_array_get(c, 1),
		    "samples")) == 30);
	}
	fl_model_free(next);
	fl_archive_free(out);
	fl_agg_free(g);

	/* No update, and an unknown strategy. */
	CHECK_OK(fl_agg_new(&g, base, id, 0, "fedavg", &err), &err);
	CHECK(fl_agg_finish(g, &out, &err) == FL_EUSAGE);
	fl_agg_free(g);
	CHECK(fl_agg_new(&g, base, id, 0, "bogus", &err) == FL_EUSAGE);
	fl_archive_free(u1);
	fl_archive_free(u2);
	fl_model_free(base);
}

static void
test_history(void)
{
	struct fl_err err = FL_ERR_INIT;
	json_t *man = json_object(), *h = json_array(), *ups, *u;
	char parent[16];
	int r;

	/* A round-0 model has no history and passes. */
	json_object_set_new(man, "round", json_integer(0));
	CHECK_OK(fl_history_check(man, &err), &err);
	json_object_set_new(man, "round", json_integer(1));
	CHECK(fl_history_check(man, &err) == FL_EVERIFY);

	for (r = 0; r < 3; r++) {
		snprintf(parent, sizeof(parent), "m%d", r);
		ups = json_pack("[{s:s, s:s, s:i, s:n}]", "id", "u", "site",
		    "s1", "samples", 10 + r, "signer");
		CHECK(fl_history_append(h, r, parent, "fedavg", ups) == 0);
		json_decref(ups);
	}
	json_object_set_new(man, "history", h);
	json_object_set_new(man, "round", json_integer(3));
	json_object_set_new(man, "parent", json_string("m2"));
	CHECK_OK(fl_history_check(man, &err), &err);

	/* The wrong parent or round for the last entry. */
	json_object_set_new(man, "parent", json_string("m9"));
	CHECK(fl_history_check(man, &err) == FL_EVERIFY);
	json_object_set_new(man, "parent", json_string("m2"));
	json_object_set_new(man, "round", json_integer(4));
	CHECK(fl_history_check(man, &err) == FL_EVERIFY);
	json_object_set_new(man, "round", json_integer(3));

	/* An altered earlier entry breaks the next link. */
	u = json_array_get(json_object_get(json_array_get(h, 0), "updates"),
	    0);
	json_object_set_new(u, "samples", json_integer(99));
	CHECK(fl_history_check(man, &err) == FL_EVERIFY);
	CHECK(strstr(err.msg, "entry 0") != NULL);
	json_object_set_new(u, "samples", json_integer(10));
	CHECK_OK(fl_history_check(man, &err), &err);
	json_object_set_new(json_array_get(h, 1), "round", json_integer(7));
	CHECK(fl_history_check(man, &err) == FL_EVERIFY);
	json_decref(man);
}

/* State vectors ride after the parameters and are ignored by readers. */
static void
test_state(void)
{
	struct fl_err err = FL_ERR_INIT;
	struct fl_model *m = model3(1, 2, 3), *back = NULL, *next = NULL;
	struct fl_archive *a = NULL, *u, *out = NULL;
	struct fl_agg *g = NULL;
	const float sv[3] = { 0.5f, -1, 2 }, *v = NULL;

	CHECK_OK(fl_model_to_archive(m, FL_KIND_MODEL, &a, &err), &err);
	CHECK(fl_archive_state(a, "fedopt_m", 3, &v, &err) == 0 && v == NULL);
	CHECK_OK(fl_archive_add_state(a, "fedopt_m", sv, 3, &err), &err);
	CHECK(fl_archive_add_state(a, "fedopt_m", sv, 3, &err) == FL_EUSAGE);
	CHECK(fl_archive_add_state(a, "Bad-Name", sv, 3, &err) == FL_EUSAGE);
	CHECK(fl_archive_add_state(a, "", sv, 3, &err) == FL_EUSAGE);
	CHECK(fl_archive_state(a, "fedopt_m", 3, &v, &err) == 1);
	CHECK(v != NULL && v[0] == 0.5f && v[2] == 2);
	CHECK(fl_archive_state(a, "fedopt_m", 4, &v, &err) == FL_EFORMAT);
	CHECK_OK(fl_model_from_archive(&back, a, &err), &err);
	if (back != NULL)
		CHECK(fl_model_params(back)[2] == 3);
	fl_model_free(back);
	fl_archive_free(a);

	/* An update carrying scaffold_dc is aggregated as before. */
	u = update("sha256:b", "s1", 10, 1, 0, -1);
	CHECK_OK(fl_archive_add_state(u, "scaffold_dc", sv, 3, &err), &err);
	CHECK_OK(fl_agg_new(&g, m, "sha256:b", 0, "fedavg", &err), &err);
	CHECK_OK(fl_agg_add(g, u, "u", NULL, &err), &err);
	CHECK_OK(fl_agg_finish(g, &out, &err), &err);
	if (out != NULL) {
		CHECK_OK(fl_model_from_archive(&next, out, &err), &err);
		if (next != NULL)
			CHECK(fl_model_params(next)[0] == 2 &&
			    fl_model_params(next)[2] == 2);
	}
	fl_model_free(next);
	fl_archive_free(out);
	fl_archive_free(u);
	fl_agg_free(g);
	fl_model_free(m);
}

int
main(void)
{
	unit_run("state", test_state);
	unit_run("history", test_history);
	unit_run("round_trip", test_round_trip);
	unit_run("fedavg", test_fedavg);
	return unit_done("test_aggregate");
}
