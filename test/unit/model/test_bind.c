/*
 * test_bind.c: parameter tensors are bound to the model by name, dtype and
 * shape (lib/model/modelio.c fl_archive_params), not by position: an update or
 * model whose data lies in another order gives bit-identical results
 * under fedavg and median (lib/federation/aggregate.c), and a renamed, transposed,
 * flattened, F64, extra or missing tensor is refused, naming it.  State
 * vectors and SCAFFOLD's state file are read by shape, extras refused.
 */
#include <stdlib.h>
#include <string.h>

#include "fl.h"
#include "unit.h"

static const char *const feats[] = { "a", "b" };
static const char *const base_id = "sha256:base";

/* An mlp on two features for three classes: fc0 (4, 2), fc1 (3, 4),
 * fc2 (3, 3), 39 parameters, all different and biases not 0. */
static struct fl_model *
mlp(uint64_t seed)
{
	struct fl_err err = FL_ERR_INIT;
	struct fl_model *m = NULL;
	size_t i;

	if (fl_model_new(&m, "mlp:4,3", FL_TASK_MULTICLASS, 3, 2, feats, "y",
	    &err) < 0)
		return NULL;
	for (i = 0; i < fl_model_nparams(m); i++)
		fl_model_params(m)[i] = (float)(seed * 100 + i) / 64 - 1.5f;
	return m;
}

/* An update as fl-train writes it: delta from seed, tensors in layout
 * order, state/scaffold_dc after them when dc is set. */
static struct fl_archive *
update(uint64_t seed, const char *site, int dc)
{
	struct fl_err err = FL_ERR_INIT;
	struct fl_model *m = mlp(seed);
	struct fl_archive *a = NULL;
	json_t *man;

	if (m == NULL || fl_model_to_archive(m, FL_KIND_UPDATE, &a, &err) < 0) {
		fl_model_free(m);
		return NULL;
	}
	if (dc)
		CHECK_OK(fl_archive_add_state(a, "scaffold_dc",
		    fl_model_params_const(m), fl_model_nparams(m), &err), &err);
	fl_model_free(m);
	man = fl_archive_manifest(a);
	json_object_set_new(man, "parent", json_string(base_id));
	json_object_set_new(man, "round", json_integer(0));
	json_object_set_new(man, "site", json_string(site));
	json_object_set_new(man, "samples", json_integer(10));
	CHECK_OK(fl_archive_update_id(a, &err), &err);
	return a;
}

enum change {
	C_NAME_ORDER,	/* tensors added sorted by name */
	C_REVERSE,	/* tensors added in reverse layout order */
	C_RENAME,	/* fc0.weight named fc0.weights */
	C_TRANSPOSE,	/* fc0.weight stored (in, out) */
	C_FLATTEN,	/* fc0.weight stored (out * in) */
	C_F64,		/* fc1.bias stored as F64 */
	C_EXTRA,	/* an unknown tensor "extra" */
	C_MISSING,	/* no fc2.bias */
	C_STATE_SHAPE	/* state/scaffold_dc stored (1, n) */
};

static int
name_cmp(const void *x, const void *y)
{
	return strcmp(*(const char *const *)x, *(const char *const *)y);
}

/* A copy of a with its tensors in another order, or altered as c says. */
static struct fl_archive *
rewrite(const struct fl_archive *a, enum change c)
{
	struct fl_err err = FL_ERR_INIT;
	struct fl_archive *b = fl_archive_new(fl_archive_kind(a));
	struct fl_tensor t;
	const char *names[64];
	size_t i, k, n = fl_archive_ntensors(a), shape[FL_MAX_DIMS];
	const float *f;
	float *tr;
	double *d;

	if (b == NULL || n > 64)
		return NULL;
	json_object_update(fl_archive_manifest(b),
	    fl_archive_manifest((struct fl_archive *)a));
	json_object_del(fl_archive_manifest(b), "id");
	for (i = 0; i < n; i++) {
		fl_archive_tensor(a, c == C_REVERSE ? n - 1 - i : i, &t);
		names[i] = t.name;
	}
	if (c == C_NAME_ORDER)
		qsort(names, n, sizeof(*names), name_cmp);
	for (i = 0; i < n; i++) {
		fl_archive_find(a, names[i], &t);
		f = t.data;
		for (k = 0; k < t.ndim; k++)
			shape[k] = t.shape[k];
		if (strcmp(t.name, "fc0.weight") == 0 && c == C_RENAME) {
			CHECK_OK(fl_archive_add_tensor(b, "fc0.weights",
			    t.dtype, t.ndim, shape, t.data, &err), &err);
		} else if (strcmp(t.name, "fc0.weight") == 0 &&
		    c == C_TRANSPOSE) {
			shape[0] = t.shape[1];
			shape[1] = t.shape[0];
			tr = fl_archive_add_tensor_uninit(b, t.name, t.dtype,
			    2, shape, &err);
			for (k = 0; tr != NULL && k < t.nbytes / 4; k++)
				tr[(k % t.shape[1]) * t.shape[0] +
				    k / t.shape[1]] = f[k];
		} else if (strcmp(t.name, "fc0.weight") == 0 &&
		    c == C_FLATTEN) {
			shape[0] = t.shape[0] * t.shape[1];
			CHECK_OK(fl_archive_add_tensor(b, t.name, t.dtype, 1,
			    shape, t.data, &err), &err);
		} else if (strcmp(t.name, "fc1.bias") == 0 && c == C_F64) {
			d = fl_archive_add_tensor_uninit(b, t.name,
			    FL_DTYPE_F64, 1, shape, &err);
			for (k = 0; d != NULL && k < t.shape[0]; k++)
				d[k] = f[k];
		} else if (strcmp(t.name, "state/scaffold_dc") == 0 &&
		    c == C_STATE_SHAPE) {
			shape[1] = shape[0];
			shape[0] = 1;
			CHECK_OK(fl_archive_add_tensor(b, t.name, t.dtype, 2,
			    shape, t.data, &err), &err);
		} else if (strcmp(t.name, "fc2.bias") != 0 || c != C_MISSING) {
			CHECK_OK(fl_archive_add_tensor(b, t.name, t.dtype,
			    t.ndim, shape, t.data, &err), &err);
		}
	}
	if (c == C_EXTRA) {
		shape[0] = 1;
		CHECK_OK(fl_archive_add_tensor(b, "extra", FL_DTYPE_F32, 1,
		    shape, &(float){ 0 }, &err), &err);
	}
	CHECK_OK(fl_archive_update_id(b, &err), &err);
	return b;
}

/* Aggregate u0 and u1 on base with strategy s; the next model, or NULL. */
static struct fl_archive *
aggregate(const struct fl_model *base, const char *s,
    const struct fl_archive *u0, const struct fl_archive *u1)
{
	struct fl_err err = FL_ERR_INIT;
	struct fl_archive *out = NULL;
	struct fl_agg *g = NULL;

	CHECK_OK(fl_agg_new(&g, base, base_id, 0, s, &err), &err);
	if (g == NULL)
		return NULL;
	CHECK_OK(fl_agg_add(g, u0, "u0.upd", NULL, &err), &err);
	CHECK_OK(fl_agg_add(g, u1, "u1.upd", NULL, &err), &err);
	CHECK_OK(fl_agg_finish(g, &out, &err), &err);
	fl_agg_free(g);
	return out;
}

/* Whether a and b hold the same tensors with the same bytes. */
static int
same_tensors(const struct fl_archive *a, const struct fl_archive *b)
{
	struct fl_tensor s, t;
	size_t i;

	if (a == NULL || b == NULL ||
	    fl_archive_ntensors(a) != fl_archive_ntensors(b))
		return 0;
	for (i = 0; i < fl_archive_ntensors(a); i++) {
		fl_archive_tensor(a, i, &s);
		if (fl_archive_find(b, s.name, &t) < 0 ||
		    s.nbytes != t.nbytes || memcmp(s.data, t.data,
		    s.nbytes) != 0)
			return 0;
	}
	return 1;
}

/* An update in any data order gives exactly the same next model. */
static void
test_order(void)
{
	static const char *const strategies[] = { "fedavg", "median" };
	static const enum change orders[] = { C_NAME_ORDER, C_REVERSE };
	struct fl_model *base = mlp(1);
	struct fl_archive *u0 = update(2, "s0", 1), *u1 = update(3, "s1", 1);
	struct fl_archive *r0, *r1, *want, *got;
	struct fl_tensor t;
	size_t s, o;

	if (base == NULL || u0 == NULL || u1 == NULL) {
		CHECK(0);
		return;
	}
	for (o = 0; o < 2; o++) {
		r0 = rewrite(u0, orders[o]);
		r1 = rewrite(u1, orders[o]);
		/* The data really is in another order. */
		fl_archive_tensor(r0, 0, &t);
		CHECK(strcmp(t.name, "fc0.weight") != 0);
		for (s = 0; s < 2; s++) {
			want = aggregate(base, strategies[s], u0, u1);
			got = aggregate(base, strategies[s], r0, r1);
			CHECK(same_tensors(want, got));
			fl_archive_free(got);
			/* One of each, too. */
			got = aggregate(base, strategies[s], u0, r1);
			CHECK(same_tensors(want, got));
			fl_archive_free(got);
			fl_archive_free(want);
		}
		fl_archive_free(r0);
		fl_archive_free(r1);
	}
	fl_archive_free(u0);
	fl_archive_free(u1);
	fl_model_free(base);
}

/* fl's own layout is used in place; another order is gathered. */
static void
test_in_place(void)
{
	struct fl_err err = FL_ERR_INIT;
	struct fl_model *m = mlp(1);
	struct fl_archive *u = update(2, "s0", 1), *r = NULL;
	const float *p = NULL, *q = NULL;
	float *buf = NULL;

	if (m == NULL || u == NULL || (r = rewrite(u, C_NAME_ORDER)) == NULL) {
		CHECK(0);
		goto out;
	}
	CHECK_OK(fl_archive_params(u, m, &buf, &p, &err), &err);
	CHECK(p == fl_archive_data(u, NULL) && buf == NULL);
	CHECK_OK(fl_archive_params(r, m, &buf, &q, &err), &err);
	CHECK(q == buf && buf != NULL);
	CHECK(p != NULL && q != NULL &&
	    memcmp(p, q, fl_model_nparams(m) * sizeof(float)) == 0);
out:
	free(buf);
	fl_archive_free(r);
	fl_archive_free(u);
	fl_model_free(m);
}

/* A model in another data order is read as the same model. */
static void
test_model_order(void)
{
	struct fl_err err = FL_ERR_INIT;
	struct fl_model *m = mlp(4), *back = NULL;
	struct fl_archive *a = NULL, *r;
	const float *v;

	if (m == NULL)
		return;
	CHECK_OK(fl_model_to_archive(m, FL_KIND_MODEL, &a, &err), &err);
	r = rewrite(a, C_NAME_ORDER);
	CHECK_OK(fl_model_from_archive(&back, r, &err), &err);
	CHECK(back != NULL && memcmp(fl_model_params(back),
	    fl_model_params(m), fl_model_nparams(m) * sizeof(float)) == 0);
	fl_model_free(back);
	fl_archive_free(r);
	back = NULL;
	r = rewrite(a, C_TRANSPOSE);
	CHECK(fl_model_from_archive(&back, r, &err) == FL_ESHAPE);
	CHECK(back == NULL);
	CHECK(strcmp(err.msg, "tensor 'fc0.weight' is F32 [2, 4], the "
	    "model's is F32 [4, 2]") == 0);
	fl_archive_free(r);
	fl_archive_free(a);

	/* A state vector is read by shape too, not by its byte count. */
	a = update(5, "s0", 1);
	r = rewrite(a, C_STATE_SHAPE);
	CHECK(fl_archive_state(a, "scaffold_dc", 39, &v, &err) == 1);
	CHECK(fl_archive_state(r, "scaffold_dc", 39, &v, &err) == FL_EFORMAT);
	CHECK(strcmp(err.msg, "state 'scaffold_dc' is not F32 [39]") == 0);
	fl_archive_free(r);
	fl_archive_free(a);
	fl_model_free(m);
}

/* Everything but the parameters and state/ vectors is refused. */
static void
test_refused(void)
{
	static const struct {
		enum change	 c;
		const char	*msg;
	} cases[] = {
		{ C_RENAME, "u1.upd: tensor 'fc0.weights' is neither a "
		    "parameter of model 'mlp:4,3' nor a state/ vector" },
		{ C_TRANSPOSE, "u1.upd: tensor 'fc0.weight' is F32 [2, 4], "
		    "the model's is F32 [4, 2]" },
		{ C_FLATTEN, "u1.upd: tensor 'fc0.weight' is F32 [8], the "
		    "model's is F32 [4, 2]" },
		{ C_F64, "u1.upd: tensor 'fc1.bias' is F64 [3], the model's "
		    "is F32 [3]" },
		{ C_EXTRA, "u1.upd: tensor 'extra' is neither a parameter of "
		    "model 'mlp:4,3' nor a state/ vector" },
		{ C_MISSING, "u1.upd: tensor 'fc2.bias' is missing, the "
		    "model's is F32 [3]" },
		{ C_STATE_SHAPE, "u1.upd: tensor 'state/scaffold_dc' is F32 "
		    "[1, 39], a state/ vector is F32 [39]" },
	};
	static const char *const strategies[] = { "fedavg", "median" };
	struct fl_err err = FL_ERR_INIT;
	struct fl_model *base = mlp(1);
	struct fl_archive *u0 = update(2, "s0", 0), *u1 = update(3, "s1", 1);
	struct fl_archive *bad;
	struct fl_agg *g = NULL;
	size_t i, s;

	if (base == NULL || u0 == NULL || u1 == NULL) {
		CHECK(0);
		return;
	}
	CHECK(fl_model_nparams(base) == 39);
	for (s = 0; s < 2; s++) {
		CHECK_OK(fl_agg_new(&g, base, base_id, 0, strategies[s], &err),
		    &err);
		if (g == NULL)
			continue;
		CHECK_OK(fl_agg_add(g, u0, "u0.upd", NULL, &err), &err);
		for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
			bad = rewrite(u1, cases[i].c);
			CHECK(fl_agg_add(g, bad, "u1.upd", NULL, &err) ==
			    FL_ESHAPE);
			if (strcmp(err.msg, cases[i].msg) != 0) {
				CHECK(0);
				fprintf(stderr, "got  '%s'\nwant '%s'\n",
				    err.msg, cases[i].msg);
			}
			fl_archive_free(bad);
		}
		/* Refusals add nothing. */
		CHECK(fl_agg_count(g) == 1);
		fl_agg_free(g);
		g = NULL;
	}
	fl_archive_free(u0);
	fl_archive_free(u1);
	fl_model_free(base);
}

/* A SCAFFOLD state file holds its two vectors, F32 [n], and nothing else. */
static void
test_scaffold_state(void)
{
	struct fl_err err = FL_ERR_INIT;
	struct fl_model *m = mlp(1);
	struct fl_archive *a = NULL;
	const char *path;
	size_t shape[1] = { 39 };
	float *v = NULL;

	if (m == NULL || unit_tmpdir("bind") == NULL) {
		CHECK(0);
		fl_model_free(m);
		return;
	}
	path = unit_at("s.state");
	CHECK_OK(fl_scaffold_save(path, m, "sha256:aa",
	    fl_model_params_const(m), fl_model_params_const(m), &err), &err);
	CHECK_OK(fl_scaffold_load(path, m, "sha256:bb", &v, &err), &err);
	free(v);
	v = NULL;
	/* An extra tensor is refused, naming it. */
	CHECK_OK(fl_archive_read_file(path, &a, &err), &err);
	if (a != NULL) {
		CHECK_OK(fl_archive_add_tensor(a, "extra", FL_DTYPE_F32, 1,
		    shape, fl_model_params_const(m), &err), &err);
		CHECK_OK(fl_archive_save(&a, 1, path, &err), &err);
		CHECK(fl_scaffold_load(path, m, "sha256:bb", &v, &err) ==
		    FL_EFORMAT);
		CHECK(strstr(err.msg, "tensor 'extra'") != NULL);
		fl_archive_free(a);
	}
	CHECK(v == NULL);
	unit_rmtmpdir();
	fl_model_free(m);
}

int
main(void)
{
	unit_run("order", test_order);
	unit_run("in_place", test_in_place);
	unit_run("model_order", test_model_order);
	unit_run("refused", test_refused);
	unit_run("scaffold_state", test_scaffold_state);
	return unit_done("test_bind");
}
