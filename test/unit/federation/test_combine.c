/*
 * test_combine.c: what fl-aggregate combines (lib/federation/combine.c), without
 * spawning the tool: the first archive picks the mode (a model and its
 * updates, stats, or metrics); archives of another kind are refused
 * with one line naming the input; ownership of a base model passes to
 * the combiner; the trust policy applies to every archive.
 */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "fl.h"
#include "unit.h"

static const char *const feats[] = { "a", "b" };

/* Give a an id, as an archive read from a file has. */
static void
fix_id(struct fl_archive *a)
{
	struct fl_err err = FL_ERR_INIT;

	CHECK_OK(fl_archive_update_id(a, &err), &err);
}

/* a written and read back, as the tools see it (its id checked by the
 * reader, which fl_archive_verify wants); a is freed. */
static struct fl_archive *
reread(struct fl_archive *a)
{
	struct fl_err err = FL_ERR_INIT;
	struct fl_archive *back = NULL;
	struct fl_reader *r = NULL;
	char *buf = NULL;
	size_t n = 0;
	FILE *f = open_memstream(&buf, &n);

	CHECK_OK(fl_archive_write(a, f, "mem", FL_COMPRESS_NONE, &err), &err);
	fclose(f);
	fl_archive_free(a);
	f = fmemopen(buf, n, "rb");
	CHECK_OK(fl_reader_open(&r, f, "mem", &err), &err);
	CHECK(fl_reader_next(r, &back, &err) == 1);
	fl_reader_free(r);
	fclose(f);
	free(buf);
	return back;
}

/* A round-0 logreg model archive on two features, parameters p. */
static struct fl_archive *
model_archive(float w0, float w1, float b, enum fl_kind kind)
{
	struct fl_err err = FL_ERR_INIT;
	struct fl_model *m = NULL;
	struct fl_archive *a = NULL;
	float *p;

	CHECK_OK(fl_model_new(&m, "logreg", FL_TASK_BINARY, 0, 2, feats, "y",
	    &err), &err);
	if (m == NULL)
		return NULL;
	p = fl_model_params(m);
	p[0] = w0;
	p[1] = w1;
	p[2] = b;
	CHECK_OK(fl_model_to_archive(m, kind, &a, &err), &err);
	fl_model_free(m);
	if (a != NULL)
		json_object_set_new(fl_archive_manifest(a), "round",
		    json_integer(0));
	return a;
}

/* An update of parent from site with samples rows and delta d. */
static struct fl_archive *
update(const char *parent, const char *site, long samples, float d0,
    float d1, float db)
{
	struct fl_archive *a = model_archive(d0, d1, db, FL_KIND_UPDATE);
	json_t *m;

	if (a == NULL)
		return NULL;
	m = fl_archive_manifest(a);
	json_object_set_new(m, "parent", json_string(parent));
	json_object_set_new(m, "site", json_string(site));
	json_object_set_new(m, "samples", json_integer(samples));
	fix_id(a);
	return a;
}

/* The stats archive of a CSV file written from text, from site. */
static struct fl_archive *
stats_archive(const char *name, const char *text, const char *site)
{
	struct fl_err err = FL_ERR_INIT;
	struct fl_stats *s = NULL;
	struct fl_archive *a = NULL;
	FILE *f = fopen(unit_at(name), "w");

	CHECK(f != NULL);
	if (f == NULL)
		return NULL;
	fputs(text, f);
	fclose(f);
	CHECK_OK(fl_stats_from_csv(&s, unit_at(name), &err), &err);
	if (s == NULL)
		return NULL;
	CHECK_OK(fl_stats_to_archive(s, &a, &err), &err);
	fl_stats_free(s);
	if (a != NULL) {
		json_object_set_new(fl_archive_manifest(a), "site",
		    json_string(site));
		fix_id(a);
	}
	return a;
}

/* A metrics archive of four rows from site. */
static struct fl_archive *
metrics_archive(const char *site)
{
	static const float p[4] = { 0.9f, 0.2f, 0.6f, 0.4f },
	    y[4] = { 1, 0, 1, 0 };
	struct fl_err err = FL_ERR_INIT;
	struct fl_fedeval *e = NULL;
	struct fl_archive *a = NULL;

	CHECK_OK(fl_fedeval_new(&e, FL_TASK_BINARY, 0, "sha256:m", site, 1,
	    &err), &err);
	CHECK_OK(fl_fedeval_add(e, 4, 1, p, y, &err), &err);
	CHECK_OK(fl_fedeval_to_archive(e, &a, &err), &err);
	fl_fedeval_free(e);
	if (a != NULL)
		fix_id(a);
	return a;
}

/* A FedAvg combiner with default options and trust t. */
static struct fl_combine *
combine(const struct fl_trust *t)
{
	const struct fl_agg_opts o = FL_AGG_OPTS_INIT;
	struct fl_err err = FL_ERR_INIT;
	struct fl_combine *c = NULL;

	CHECK_OK(fl_combine_new(&c, "fedavg", &o, t, &err), &err);
	return c;
}

/* The first archive is a model: it becomes the base, and the updates
 * after it are averaged, weighted by samples. */
static void
test_model_first(void)
{
	struct fl_err err = FL_ERR_INIT;
	struct fl_combine *c = combine(NULL);
	struct fl_archive *base = model_archive(1, 2, 3, FL_KIND_MODEL);
	struct fl_archive *u1, *u2, *out = NULL, *stats;
	struct fl_model *m = NULL;
	const float *p;
	char id[80];
	int64_t round;

	fix_id(base);
	snprintf(id, sizeof(id), "%s", fl_archive_id(base));
	u1 = update(id, "a", 1, 1, 0, 0);
	u2 = update(id, "b", 3, 0, 4, -1);
	CHECK_OK(fl_combine_add(c, &base, "m.fla", &err), &err);
	CHECK(base == NULL);	/* c has it now */
	CHECK_OK(fl_combine_add(c, &u1, "a.upd", &err), &err);
	CHECK(u1 != NULL);	/* an update is only read */
	CHECK_OK(fl_combine_add(c, &u2, "b.upd", &err), &err);
	/* A second update from one site, or a stats archive, is refused. */
	CHECK(fl_combine_add(c, &u2, "b2.upd", &err) == FL_EFORMAT);
	CHECK(strncmp(err.msg, "b2.upd: ", 8) == 0);
	stats = stats_archive("x.csv", "a,y\n1,0\n", "a");
	CHECK(fl_combine_add(c, &stats, "x.fls", &err) < 0);
	CHECK(strncmp(err.msg, "x.fls: ", 7) == 0);

	CHECK_OK(fl_combine_finish(c, &out, &err), &err);
	CHECK(out != NULL && fl_archive_kind(out) == FL_KIND_MODEL);
	if (out != NULL) {
		CHECK_OK(fl_model_from_archive(&m, out, &err), &err);
		CHECK(fl_json_get_int(fl_archive_manifest(out), "round",
		    &round, &err) == 0 && round == 1);
		CHECK(strcmp(json_string_value(json_object_get(
		    fl_archive_manifest(out), "parent")), id) == 0);
		CHECK(json_array_size(json_object_get(fl_archive_manifest(
		    out), "contributors")) == 2);
	}
	if (m != NULL) {
		/* base + (1 * u1 + 3 * u2) / 4 */
		p = fl_model_params(m);
		CHECK_NEAR(p[0], 1 + 0.25, 1e-6, 0);
		CHECK_NEAR(p[1], 2 + 3.0, 1e-6, 0);
		CHECK_NEAR(p[2], 3 - 0.75, 1e-6, 0);
	}
	fl_model_free(m);
	fl_archive_free(out);
	fl_archive_free(u1);
	fl_archive_free(u2);
	fl_archive_free(stats);
	fl_combine_free(c);
}

/* --model: the base given apart must be a model; c owns it either way. */
static void
test_base(void)
{
	struct fl_err err = FL_ERR_INIT;
	struct fl_combine *c = combine(NULL);
	struct fl_archive *u, *out = NULL;

	CHECK(fl_combine_base(c, stats_archive("b.csv", "a\n1\n", "a"),
	    "s.fls", &err) == FL_EFORMAT);
	CHECK(strcmp(err.msg, "s.fls: a stats archive, not a model") == 0);
	fl_combine_free(c);

	/* An update with no model before it is the caller's mistake. */
	c = combine(NULL);
	u = update("sha256:x", "a", 1, 0, 0, 0);
	CHECK(fl_combine_add(c, &u, "a.upd", &err) == FL_EUSAGE);
	CHECK(strcmp(err.msg, "a.upd: no model to apply the update to; give "
	    "--model") == 0);
	/* Nothing added: no result. */
	CHECK(fl_combine_finish(c, &out, &err) == FL_EFORMAT);
	CHECK(out == NULL && strcmp(err.msg, "no archives to aggregate") ==
	    0);
	fl_archive_free(u);
	fl_combine_free(c);

	/* A model with a bad round. */
	c = combine(NULL);
	u = model_archive(0, 0, 0, FL_KIND_MODEL);
	json_object_set_new(fl_archive_manifest(u), "round",
	    json_integer(-1));
	fix_id(u);
	CHECK(fl_combine_base(c, u, "m.fla", &err) == FL_EFORMAT);
	CHECK(strcmp(err.msg, "m.fla: bad round -1") == 0);
	fl_combine_free(c);
}

/* The first archive is a stats archive: stats archives are merged, with
 * the contributors listed; any other kind is refused. */
static void
test_stats(void)
{
	struct fl_err err = FL_ERR_INIT;
	struct fl_combine *c = combine(NULL);
	struct fl_archive *a = stats_archive("s1.csv", "a,y\n1,0\n2,1\n", "a");
	struct fl_archive *b = stats_archive("s2.csv", "a,y\n3,1\n", "b");
	struct fl_archive *u = update("sha256:x", "c", 1, 0, 0, 0);
	struct fl_archive *out = NULL;
	struct fl_stats *s = NULL;
	json_t *contrib;
	int64_t n;

	CHECK_OK(fl_combine_add(c, &a, "a.fls", &err), &err);
	CHECK(a != NULL);
	CHECK_OK(fl_combine_add(c, &b, "b.fls", &err), &err);
	CHECK(fl_combine_add(c, &u, "c.upd", &err) == FL_EFORMAT);
	CHECK(strcmp(err.msg, "c.upd: an update archive among stats archives") ==
	    0);
	CHECK_OK(fl_combine_finish(c, &out, &err), &err);
	CHECK(out != NULL && fl_archive_kind(out) == FL_KIND_STATS);
	if (out != NULL) {
		CHECK(fl_json_get_int(fl_archive_manifest(out), "samples", &n,
		    &err) == 0 && n == 3);
		contrib = json_object_get(fl_archive_manifest(out),
		    "contributors");
		CHECK(json_array_size(contrib) == 2);
		CHECK(strcmp(json_string_value(json_object_get(
		    json_array_get(contrib, 1), "site")), "b") == 0);
		CHECK(json_integer_value(json_object_get(json_array_get(
		    contrib, 0), "samples")) == 2);
		CHECK(strcmp(json_string_value(json_object_get(
		    json_array_get(contrib, 0), "id")), fl_archive_id(a)) ==
		    0);
		CHECK_OK(fl_stats_from_archive(&s, out, &err), &err);
		CHECK(s != NULL && fl_stats_rows(s) == 3);
		CHECK(s != NULL && fabs(fl_stats_mean(s, 0) - 2) < 1e-12);
	}
	fl_stats_free(s);
	fl_combine_free(c);

	/* Each site counts once: the same archive twice, another archive
	 * from a site already in, a merge holding one, a site-less one. */
	c = combine(NULL);
	CHECK_OK(fl_combine_add(c, &a, "a.fls", &err), &err);
	CHECK(fl_combine_add(c, &a, "a2.fls", &err) == FL_EFORMAT);
	CHECK(strncmp(err.msg, "a2.fls: archive sha256:", 23) == 0 &&
	    strstr(err.msg, "is given twice") != NULL);
	fl_archive_free(b);
	b = stats_archive("s3.csv", "a,y\n5,1\n", "a");
	CHECK(fl_combine_add(c, &b, "b.fls", &err) == FL_EFORMAT);
	CHECK(strcmp(err.msg, "b.fls: statistics of site 'a' are in the "
	    "merge twice") == 0);
	if (out != NULL)
		fix_id(out);
	CHECK(out != NULL && fl_combine_add(c, &out, "pooled.fls", &err) ==
	    FL_EFORMAT);
	CHECK(strcmp(err.msg, "pooled.fls: statistics of site 'a' are in the "
	    "merge twice") == 0);
	fl_combine_free(c);
	c = combine(NULL);
	json_object_set_new(fl_archive_manifest(b), "site", json_null());
	fix_id(b);
	CHECK(fl_combine_add(c, &b, "b.fls", &err) == FL_EFORMAT);
	CHECK(strcmp(err.msg, "b.fls: a stats archive must name its site "
	    "(key 'site' is null)") == 0);
	json_object_set_new(fl_archive_manifest(b), "site",
	    json_string("a\tb"));
	fix_id(b);
	CHECK(fl_combine_add(c, &b, "b.fls", &err) == FL_EFORMAT);
	CHECK(strncmp(err.msg, "b.fls: key 'site' is not a site name", 36) ==
	    0);
	fl_archive_free(out);
	fl_archive_free(a);
	fl_archive_free(b);
	fl_archive_free(u);
	fl_combine_free(c);
}

/* The first archive is a metrics archive: metrics archives are merged,
 * one row per site. */
static void
test_metrics(void)
{
	struct fl_err err = FL_ERR_INIT;
	struct fl_combine *c = combine(NULL);
	struct fl_archive *a = metrics_archive("a"), *b = metrics_archive("b");
	struct fl_archive *s = stats_archive("m.csv", "a\n1\n", "a");
	struct fl_archive *out = NULL;

	CHECK_OK(fl_combine_add(c, &a, "a.fla", &err), &err);
	CHECK_OK(fl_combine_add(c, &b, "b.fla", &err), &err);
	CHECK(fl_combine_add(c, &a, "a2.fla", &err) == FL_EFORMAT);
	CHECK(strncmp(err.msg, "a2.fla: ", 8) == 0);
	CHECK(fl_combine_add(c, &s, "s.fls", &err) == FL_EFORMAT);
	CHECK(strcmp(err.msg, "s.fls: a stats archive among metrics "
	    "archives") == 0);
	fl_archive_free(s);
	s = metrics_archive("c");
	json_object_set_new(fl_archive_manifest(s), "site", json_null());
	fix_id(s);
	CHECK(fl_combine_add(c, &s, "c.fla", &err) == FL_EFORMAT);
	CHECK(strcmp(err.msg, "c.fla: a metrics archive must name its site "
	    "(key 'site' is null)") == 0);
	CHECK_OK(fl_combine_finish(c, &out, &err), &err);
	CHECK(out != NULL && fl_archive_kind(out) == FL_KIND_METRICS);
	if (out != NULL)
		CHECK(json_array_size(json_object_get(fl_archive_manifest(out),
		    "sites")) == 2);
	fl_archive_free(out);
	fl_archive_free(a);
	fl_archive_free(b);
	fl_archive_free(s);
	fl_combine_free(c);
}

/* With a trust directory, every archive, the base included, must be
 * signed by a trusted key, and an update by its site's key. */
static void
test_trust(void)
{
	struct fl_err err = FL_ERR_INIT;
	struct fl_seckey *coord = NULL, *a = NULL;
	struct fl_trust *t = NULL;
	struct fl_combine *c;
	struct fl_archive *base, *u, *out = NULL;
	char id[80];

	CHECK(mkdir(unit_at("trust"), 0777) == 0);
	CHECK(mkdir(unit_at("trust/coordinator"), 0777) == 0);
	CHECK_OK(fl_seckey_generate(&coord, "coord", &err), &err);
	CHECK_OK(fl_seckey_generate(&a, "a", &err), &err);
	if (coord == NULL || a == NULL)
		return;
	CHECK_OK(fl_seckey_write(coord, unit_at("trust/coordinator/coord"), 0,
	    &err), &err);
	CHECK_OK(fl_seckey_write(a, unit_at("trust/a"), 0, &err), &err);
	CHECK_OK(fl_trust_load(&t, unit_at("trust"), &err), &err);

	/* An unsigned base is refused. */
	c = combine(t);
	base = reread(model_archive(0, 0, 0, FL_KIND_MODEL));
	CHECK(fl_combine_base(c, base, "m.fla", &err) == FL_EVERIFY);
	CHECK(strcmp(err.msg, "m.fla: not signed") == 0);
	fl_combine_free(c);

	/* One signed by a site's key is not a coordinator's model. */
	c = combine(t);
	base = model_archive(0, 0, 0, FL_KIND_MODEL);
	CHECK_OK(fl_archive_sign_new(base, a, &err), &err);
	base = reread(base);
	CHECK(fl_combine_base(c, base, "m.fla", &err) == FL_EVERIFY);
	CHECK(strncmp(err.msg, "m.fla: signed by a (", 20) == 0 &&
	    strstr(err.msg, "must be signed by a coordinator key") != NULL);
	fl_combine_free(c);

	/* A signed one is taken. */
	c = combine(t);
	base = model_archive(0, 0, 0, FL_KIND_MODEL);
	CHECK_OK(fl_archive_sign_new(base, coord, &err), &err);
	base = reread(base);
	snprintf(id, sizeof(id), "%s", base != NULL ? fl_archive_id(base) :
	    "");
	CHECK_OK(fl_combine_base(c, base, "m.fla", &err), &err);
	/* An update signed by a key other than its site's. */
	u = update(id, "b", 1, 0, 0, 0);
	CHECK_OK(fl_archive_sign_new(u, a, &err), &err);
	u = reread(u);
	CHECK(fl_combine_add(c, &u, "b.upd", &err) == FL_EVERIFY);
	CHECK(strncmp(err.msg, "b.upd: signed by a (", 20) == 0 &&
	    strstr(err.msg, "but the update is from site 'b'") != NULL);
	fl_archive_free(u);
	/* An update that names no site is refused, though a trusted key
	 * signed it. */
	u = update(id, "a", 1, 0, 0, 0);
	json_object_set_new(fl_archive_manifest(u), "site", json_null());
	CHECK_OK(fl_archive_sign_new(u, a, &err), &err);
	u = reread(u);
	CHECK(fl_combine_add(c, &u, "n.upd", &err) == FL_EFORMAT);
	CHECK(strcmp(err.msg, "n.upd: an update archive must name its site "
	    "(key 'site' is null)") == 0);
	fl_archive_free(u);
	/* One signed by its site's key is taken, its signer recorded, and
	 * a co-signature by the coordinator (whose key id sorts before or
	 * after a's; the CLI test tries both) does not hide it. */
	u = update(id, "a", 2, 1, 1, 1);
	CHECK_OK(fl_archive_sign_new(u, a, &err), &err);
	CHECK_OK(fl_archive_sign(u, coord, &err), &err);
	u = reread(u);
	CHECK_OK(fl_combine_add(c, &u, "a.upd", &err), &err);
	CHECK_OK(fl_combine_finish(c, &out, &err), &err);
	CHECK(out != NULL && strcmp(json_string_value(json_object_get(
	    json_array_get(json_object_get(fl_archive_manifest(out),
	    "contributors"), 0), "signer")), fl_seckey_pub(a)->keyid) == 0);
	fl_archive_free(out);
	fl_archive_free(u);
	fl_combine_free(c);
	fl_trust_free(t);
	fl_seckey_free(coord);
	fl_seckey_free(a);
}

/* A row count past 2^53 is refused, not summed into a negative one. */
static void
test_samples(void)
{
	struct fl_err err = FL_ERR_INIT;
	struct fl_combine *c = combine(NULL);
	struct fl_archive *base = model_archive(0, 0, 0, FL_KIND_MODEL);
	struct fl_archive *u, *v;
	char id[80];

	fix_id(base);
	snprintf(id, sizeof(id), "%s", fl_archive_id(base));
	CHECK_OK(fl_combine_add(c, &base, "m.fla", &err), &err);
	u = update(id, "a", INT64_MAX, 1, 1, 1);
	CHECK(fl_combine_add(c, &u, "a.upd", &err) == FL_EFORMAT);
	CHECK(strcmp(err.msg, "a.upd: samples 9223372036854775807 is over "
	    "the limit of 2^53") == 0);
	v = update(id, "b", (long)FL_MAX_SAMPLES, 1, 1, 1);
	CHECK_OK(fl_combine_add(c, &v, "b.upd", &err), &err);
	fl_archive_free(u);
	fl_archive_free(v);
	fl_archive_free(base);
	fl_combine_free(c);
}

int
main(void)
{
	if (unit_tmpdir("combine") == NULL)
		return 1;
	unit_run("model_first", test_model_first);
	unit_run("base", test_base);
	unit_run("stats", test_stats);
	unit_run("metrics", test_metrics);
	unit_run("trust", test_trust);
	unit_run("samples", test_samples);
	unit_rmtmpdir();
	return unit_done("test_combine");
}
