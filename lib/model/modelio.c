/*
 * modelio.c: a model to and from an archive.  The manifest describes the
 * model ("model", "features", "label", "preprocess"); the tensors are the
 * layers' weights and biases as F32.  We write them in layout order, so
 * that the archive's data section is exactly the model's parameter
 * buffer; we read them by name, dtype and shape (fl_archive_params), in
 * whatever order another writer laid them out.  The format is specified
 * in man/fl-archive.5.
 */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "model/model.h"

/* A JSON array of n doubles; NULL when out of memory. */
static json_t *
json_reals(const double *v, size_t n)
{
	json_t *a;
	size_t i;

	if ((a = json_array()) == NULL)
		return NULL;
	for (i = 0; i < n; i++)
		if (json_array_append_new(a, json_real(v[i])) < 0) {
			json_decref(a);
			return NULL;
		}
	return a;
}

/*
 * Set manifest's "model", "features", "label" and "preprocess" keys to
 * describe m.  These keys decide whether two archives' parameter vectors
 * line up, so fl_agg compares them too.  Errors: FL_ENOMEM.
 */
int
fl_model_describe(const struct fl_model *m, json_t *manifest,
    struct fl_err *err)
{
	const struct fl_prep *p = fl_model_prep_const(m);
	json_t *model, *layers, *feats, *prep;
	size_t l, j;
	int bad = 0;

	model = json_object();
	layers = json_array();
	feats = json_array();
	prep = json_object();
	if (model == NULL || layers == NULL || feats == NULL || prep == NULL)
		bad = 1;
	for (l = 0; !bad && l <= fl_model_nlayers(m); l++)
		bad |= json_array_append_new(layers,
		    json_integer((json_int_t)fl_model_width(m, l))) < 0;
	for (j = 0; !bad && j < p->d; j++)
		bad |= json_array_append_new(feats,
		    json_string(p->features[j])) < 0;
	if (!bad) {
		bad |= json_object_set_new(model, "spec",
		    json_string(fl_model_spec(m))) < 0;
		bad |= json_object_set_new(model, "task",
		    json_string(fl_task_name(fl_model_task(m)))) < 0;
		bad |= json_object_set_new(model, "classes",
		    json_integer((json_int_t)fl_model_nclasses(m))) < 0;
		bad |= json_object_set_new(model, "layers", layers) < 0;
		layers = NULL;
		bad |= json_object_set_new(model, "params",
		    json_integer((json_int_t)fl_model_nparams(m))) < 0;
		bad |= json_object_set_new(prep, "mean",
		    json_reals(p->mean, p->d)) < 0;
		bad |= json_object_set_new(prep, "scale",
		    json_reals(p->scale, p->d)) < 0;
		bad |= json_object_set_new(prep, "impute",
		    json_reals(p->impute, p->d)) < 0;
		if (p->drop_missing)
			bad |= json_object_set_new(prep, "missing",
			    json_string("drop")) < 0;
		if (p->ncat > 0)
			bad |= json_object_set_new(prep, "categorical",
			    fl_prep_cat_json(p)) < 0;
		/* Survival columns and grid (lib/train/cox.c). */
		bad |= fl_survival_describe(m, model, NULL) < 0;
		bad |= json_object_set_new(manifest, "model", model) < 0;
		model = NULL;
		bad |= json_object_set_new(manifest, "features", feats) < 0;
		feats = NULL;
		bad |= json_object_set_new(manifest, "label",
		    json_string(p->label)) < 0;
		bad |= json_object_set_new(manifest, "preprocess", prep) < 0;
		prep = NULL;
	}
	json_decref(model);
	json_decref(layers);
	json_decref(feats);
	json_decref(prep);
	return bad ? fl_err_set(err, FL_ENOMEM, "out of memory") : 0;
}

int
fl_model_to_archive(const struct fl_model *m, enum fl_kind kind,
    struct fl_archive **ap, struct fl_err *err)
{
	const float *p = fl_model_params_const(m);
	const struct fl_param_tensor *t;
	struct fl_archive *a;
	size_t i;
	int rc;

	*ap = NULL;
	if ((a = fl_archive_new(kind)) == NULL)
		return fl_err_set(err, FL_ENOMEM, "out of memory");
	if ((rc = fl_model_describe(m, fl_archive_manifest(a), err)) < 0)
		goto fail;
	/* The layer table's tensors, in layout order. */
	for (i = 0; i < fl_model_ntensors(m); i++) {
		t = fl_model_tensor(m, i);
		if ((rc = fl_archive_add_tensor(a, t->name, FL_DTYPE_F32,
		    t->ndim, t->shape, p + t->off, err)) < 0)
			goto fail;
	}
	*ap = a;
	return 0;
fail:
	fl_archive_free(a);
	return rc;
}

int
fl_model_to_archive_with(const struct fl_model *m, enum fl_kind kind,
    float *params, struct fl_archive **ap, struct fl_err *err)
{
	const struct fl_param_tensor *t;
	struct fl_archive *a;
	size_t i;
	int rc;

	*ap = NULL;
	if ((a = fl_archive_new(kind)) == NULL) {
		free(params);
		return fl_err_set(err, FL_ENOMEM, "out of memory");
	}
	if ((rc = fl_archive_adopt(a, params, fl_model_nparams(m) *
	    sizeof(float), err)) < 0 ||
	    (rc = fl_model_describe(m, fl_archive_manifest(a), err)) < 0)
		goto fail;
	/* The layer table's tensors, in layout order: params as it is. */
	for (i = 0; i < fl_model_ntensors(m); i++) {
		t = fl_model_tensor(m, i);
		if (fl_archive_add_tensor_at(a, t->name, FL_DTYPE_F32,
		    t->ndim, t->shape, err) == NULL) {
			rc = err->code;
			goto fail;
		}
	}
	*ap = a;
	return 0;
fail:
	fl_archive_free(a);
	return rc;
}

/* Read an array of d finite doubles (scale also > 0) from prep[key]. */
static int
read_reals(const json_t *prep, const char *key, size_t d, int positive,
    double *out, struct fl_err *err)
{
	const json_t *a = json_object_get(prep, key), *v;
	size_t i;

	if (!json_is_array(a) || json_array_size(a) != d)
		return fl_err_set(err, FL_EFORMAT, "preprocess.%s: expected "
		    "an array of %zu numbers", key, d);
	json_array_foreach(a, i, v) {
		if (!json_is_number(v) || !isfinite(json_number_value(v)) ||
		    (positive && !(json_number_value(v) > 0)))
			return fl_err_set(err, FL_EFORMAT, "preprocess.%s[%zu]:"
			    " not a %snumber", key, i,
			    positive ? "positive " : "finite ");
		out[i] = json_number_value(v);
	}
	return 0;
}

/* Whether name is 1..64 of [a-z0-9_]. */
static int
state_name_ok(const char *name)
{
	size_t i;

	for (i = 0; name[i] != '\0'; i++)
		if (i >= 64 || !((name[i] >= 'a' && name[i] <= 'z') ||
		    (name[i] >= '0' && name[i] <= '9') || name[i] == '_'))
			return 0;
	return i > 0;
}

/* Write "DTYPE [d0, d1, ...]" into buf. */
static void
shape_str(char *buf, size_t len, enum fl_dtype dtype, size_t ndim,
    const size_t *shape)
{
	size_t k, at;

	at = (size_t)snprintf(buf, len, "%s [", fl_dtype_name(dtype));
	for (k = 0; k < ndim && at < len; k++)
		at += (size_t)snprintf(buf + at, len - at, k == 0 ? "%zu" :
		    ", %zu", shape[k]);
	if (at < len)
		snprintf(buf + at, len - at, "]");
}

/* Whether name is the name of one of m's parameter tensors. */
static int
is_param(const struct fl_model *m, const char *name)
{
	size_t i;

	for (i = 0; i < fl_model_ntensors(m); i++)
		if (strcmp(name, fl_model_tensor(m, i)->name) == 0)
			return 1;
	return 0;
}

/* Whether shapes a and b agree in their first ndim dimensions. */
static int
same_shape(const size_t *a, const size_t *b, size_t ndim)
{
	size_t k;

	for (k = 0; k < ndim; k++)
		if (a[k] != b[k])
			return 0;
	return 1;
}

/* FL_ESHAPE: tensor name is t (NULL: absent), where what (F32 of shape
 * want[0..ndim)) is expected. */
static int
shape_error(const char *name, const struct fl_tensor *t, const char *what,
    size_t ndim, const size_t *want, struct fl_err *err)
{
	char got[160], exp[160];

	if (t != NULL)
		shape_str(got, sizeof(got), t->dtype, t->ndim, t->shape);
	else
		snprintf(got, sizeof(got), "missing");
	shape_str(exp, sizeof(exp), FL_DTYPE_F32, ndim, want);
	return fl_err_set(err, FL_ESHAPE, "tensor '%.128s' is %s, %s is %s",
	    name, got, what, exp);
}

/*
 * Bind a's parameter tensors to m by name, dtype and shape; see fl.h.
 * The checks come first, in data order, so that an unknown tensor is
 * named as such rather than as the one it may have replaced.
 */
int
fl_archive_params(const struct fl_archive *a, const struct fl_model *m,
    float **buf, const float **params, struct fl_err *err)
{
	const unsigned char *base = fl_archive_data(a, NULL);
	const struct fl_param_tensor *p;
	struct fl_tensor t;
	size_t i, k, off = 0, np = fl_model_nparams(m);
	int inplace = 1;

	*params = NULL;
	for (k = 0; k < fl_archive_ntensors(a); k++) {
		fl_archive_tensor(a, k, &t);
		if (is_param(m, t.name))
			continue;
		if (strncmp(t.name, "state/", 6) != 0 ||
		    !state_name_ok(t.name + 6))
			return fl_err_set(err, FL_ESHAPE, "tensor '%.128s' is "
			    "neither a parameter of model '%s' nor a state/ "
			    "vector", t.name, fl_model_spec(m));
		if (t.dtype != FL_DTYPE_F32 || t.ndim != 1 ||
		    t.shape[0] != np)
			return shape_error(t.name, &t, "a state/ vector", 1,
			    &np, err);
	}
	/* Each parameter tensor by name, in layout order.  Names are unique
	 * in an archive, so nothing is bound twice. */
	for (i = 0; i < fl_model_ntensors(m); i++) {
		p = fl_model_tensor(m, i);
		if (fl_archive_find(a, p->name, &t) < 0)
			return shape_error(p->name, NULL, "the model's",
			    p->ndim, p->shape, err);
		if (t.dtype != FL_DTYPE_F32 || t.ndim != p->ndim ||
		    !same_shape(t.shape, p->shape, p->ndim))
			return shape_error(p->name, &t, "the model's",
			    p->ndim, p->shape, err);
		if ((const unsigned char *)t.data != base + off)
			inplace = 0;
		off += t.nbytes;
	}
	/* As fl writes them: the parameter vector is the data's first bytes. */
	if (inplace) {
		*params = (const float *)(const void *)base;
		return 0;
	}
	if (*buf == NULL && (*buf = malloc(np * sizeof(float) + 1)) == NULL)
		return fl_err_set(err, FL_ENOMEM, "out of memory");
	off = 0;
	for (i = 0; i < fl_model_ntensors(m); i++) {
		fl_archive_find(a, fl_model_tensor(m, i)->name, &t);
		memcpy((unsigned char *)*buf + off, t.data, t.nbytes);
		off += t.nbytes;
	}
	*params = *buf;
	return 0;
}

/* Index of the first non-finite value in v[0..n-1], or n. */
static size_t
first_nonfinite(const float *v, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++)
		if (!isfinite(v[i]))
			return i;
	return n;
}

static int from_archive(struct fl_model **, const struct fl_archive *,
    struct fl_archive *, struct fl_err *);

int
fl_model_from_archive(struct fl_model **mp, const struct fl_archive *a,
    struct fl_err *err)
{
	return from_archive(mp, a, NULL, err);
}

int
fl_model_from_archive_take(struct fl_model **mp, struct fl_archive *a,
    struct fl_err *err)
{
	return from_archive(mp, a, a, err);
}

/* fl_model_from_archive; with take (a itself), a's buffer becomes the
 * parameters when they lie in it as fl writes them. */
static int
from_archive(struct fl_model **mp, const struct fl_archive *a,
    struct fl_archive *take, struct fl_err *err)
{
	json_t *man = fl_archive_manifest((struct fl_archive *)a);
	const json_t *model, *feats, *prep, *v;
	const char *spec, *task, *label, **names = NULL;
	struct fl_model *m = NULL;
	int64_t classes;
	size_t d, j, bad;
	const float *data;
	float *buf;
	int t, rc;

	*mp = NULL;
	if (fl_archive_kind(a) != FL_KIND_MODEL &&
	    fl_archive_kind(a) != FL_KIND_UPDATE &&
	    fl_archive_kind(a) != FL_KIND_COALITIONS)
		return fl_err_set(err, FL_EFORMAT, "%s %s archive, not a "
		    "model", fl_article(fl_kind_name(fl_archive_kind(a))),
		    fl_kind_name(fl_archive_kind(a)));
	model = json_object_get(man, "model");
	feats = json_object_get(man, "features");
	prep = json_object_get(man, "preprocess");
	if (!json_is_object(model) || !json_is_array(feats) ||
	    !json_is_object(prep))
		return fl_err_set(err, FL_EFORMAT, "manifest lacks 'model', "
		    "'features' or 'preprocess'");
	if ((rc = fl_json_get_str(model, "spec", &spec, err)) < 0 ||
	    (rc = fl_json_get_str(model, "task", &task, err)) < 0 ||
	    (rc = fl_json_get_int(model, "classes", &classes, err)) < 0 ||
	    (rc = fl_json_get_str(man, "label", &label, err)) < 0)
		return rc;
	if ((t = fl_task_parse(task)) < 0)
		return fl_err_set(err, FL_EFORMAT, "unknown task '%s'", task);
	if (classes < 0 || classes > 65536)
		return fl_err_set(err, FL_EFORMAT, "bad class count %lld",
		    (long long)classes);
	d = json_array_size(feats);
	if (d == 0 || (names = calloc(d, sizeof(*names))) == NULL)
		return fl_err_set(err, d == 0 ? FL_EFORMAT : FL_ENOMEM,
		    d == 0 ? "no features" : "out of memory");
	json_array_foreach(feats, j, v) {
		if (!json_is_string(v)) {
			rc = fl_err_set(err, FL_EFORMAT, "features[%zu] is not "
			    "a string", j);
			goto out;
		}
		names[j] = json_string_value(v);
	}
	if ((rc = fl_model_new(&m, spec, t, (size_t)classes, d, names, label,
	    err)) < 0) {
		if (rc == FL_EUSAGE)
			rc = err->code = FL_EFORMAT;
		goto out;
	}
	v = json_object_get(model, "params");
	if (!json_is_integer(v) ||
	    (size_t)json_integer_value(v) != fl_model_nparams(m)) {
		rc = fl_err_set(err, FL_ESHAPE, "model '%s' on %zu features "
		    "has %zu parameters, the manifest says otherwise", spec, d,
		    fl_model_nparams(m));
		goto out;
	}
	if ((rc = read_reals(prep, "mean", d, 0, fl_model_prep(m)->mean,
	    err)) < 0 ||
	    (rc = read_reals(prep, "scale", d, 1, fl_model_prep(m)->scale,
	    err)) < 0 ||
	    (rc = read_reals(prep, "impute", d, 0, fl_model_prep(m)->impute,
	    err)) < 0 ||
	    (rc = fl_survival_from_json(m, model, err)) < 0)
		goto out;
	/* "missing": "drop" or "impute"; absent is impute. */
	v = json_object_get(prep, "missing");
	if (v != NULL && (!json_is_string(v) ||
	    (strcmp(json_string_value(v), "drop") != 0 &&
	    strcmp(json_string_value(v), "impute") != 0))) {
		rc = fl_err_set(err, FL_EFORMAT, "preprocess.missing: "
		    "expected \"drop\" or \"impute\"");
		goto out;
	}
	fl_model_prep(m)->drop_missing = v != NULL &&
	    strcmp(json_string_value(v), "drop") == 0;
	if ((v = json_object_get(prep, "categorical")) != NULL &&
	    (rc = fl_prep_cat_from_json(fl_model_prep(m), v, err)) < 0)
		goto out;
	buf = fl_model_params(m);
	if ((rc = fl_archive_params(a, m, &buf, &data, err)) < 0)
		goto out;
	if (take != NULL && data != buf &&
	    (const void *)data == fl_archive_data(a, NULL)) {
		free(fl_model_take_params(m));
		fl_model_set_params(m, fl_archive_take_data(take));
	} else if (data != buf)
		memcpy(buf, data, fl_model_nparams(m) * sizeof(float));
	bad = first_nonfinite(fl_model_params(m), fl_model_nparams(m));
	if (bad != fl_model_nparams(m)) {
		rc = fl_err_set(err, FL_ENUM, "parameter %zu is %s", bad,
		    isnan(fl_model_params(m)[bad]) ? "NaN" : "Inf");
		goto out;
	}
	*mp = m;
	m = NULL;
out:
	fl_model_free(m);
	free(names);
	return rc;
}

int
fl_archive_state(const struct fl_archive *a, const char *name, size_t n,
    const float **v, struct fl_err *err)
{
	struct fl_tensor t;
	char full[80];

	*v = NULL;
	if (!state_name_ok(name))
		return fl_err_set(err, FL_EUSAGE, "bad state name '%s'", name);
	snprintf(full, sizeof(full), "state/%s", name);
	if (fl_archive_find(a, full, &t) < 0)
		return 0;
	if (t.dtype != FL_DTYPE_F32 || t.ndim != 1 || t.shape[0] != n)
		return fl_err_set(err, FL_EFORMAT, "state '%s' is not F32 "
		    "[%zu]", name, n);
	*v = t.data;
	return 1;
}

int
fl_archive_add_state(struct fl_archive *a, const char *name, const float *v,
    size_t n, struct fl_err *err)
{
	char full[80];
	size_t shape[1];

	if (!state_name_ok(name))
		return fl_err_set(err, FL_EUSAGE, "bad state name '%s'", name);
	snprintf(full, sizeof(full), "state/%s", name);
	shape[0] = n;
	return fl_archive_add_tensor(a, full, FL_DTYPE_F32, 1, shape, v, err);
}

/* Read the one model archive at path and build its model. */
int
fl_model_read(const char *path, const struct fl_seckey *key,
    struct fl_archive **ap, struct fl_model **mp, struct fl_err *err)
{
	struct fl_archive *a = NULL;
	int rc;

	*ap = NULL;
	*mp = NULL;
	if ((rc = fl_archive_read_file_key(path, key, &a, err)) < 0)
		return rc;
	if (fl_archive_kind(a) != FL_KIND_MODEL)
		rc = fl_err_set(err, FL_EFORMAT, "%s: %s %s archive, not a "
		    "model", fl_in_name(path),
		    fl_article(fl_kind_name(fl_archive_kind(a))),
		    fl_kind_name(fl_archive_kind(a)));
	else if ((rc = fl_model_from_archive(mp, a, err)) < 0)
		fl_err_prefix(err, "%s", fl_in_name(path));
	if (rc < 0) {
		fl_archive_free(a);
		return rc;
	}
	*ap = a;
	return 0;
}
