/*
 * scaffold.c: SCAFFOLD's client side (Karimireddy et al. 2020): the
 * site's control variate c_i, kept between rounds in a local state file,
 * and its update after local training.  The correction c - c_i is applied
 * to each step in train.c; the file format is in fl-train(1).
 */
#include <sys/stat.h>

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "train/train.h"

#define CI	"scaffold_ci"
#define CI_PREV	"scaffold_ci_prev"

/* Option II's update of c_i; see fl.h. */
void
fl_scaffold_update(size_t n, const float *ci, const float *c,
    const float *x, const float *y, size_t steps, double lr, float *ci_new)
{
	double k = (double)steps * lr;
	size_t i;

	for (i = 0; i < n; i++)
		ci_new[i] = (float)((double)ci[i] - c[i] +
		    ((double)x[i] - y[i]) / k);
}

/* Check that a holds tensor name as F32 [n] and fill t.  Errors:
 * FL_EFORMAT. */
static int
check_vector(const struct fl_archive *a, const char *path, const char *name,
    size_t n, struct fl_tensor *t, struct fl_err *err)
{
	if (fl_archive_find(a, name, t) < 0)
		return fl_err_set(err, FL_EFORMAT, "%s: no tensor '%s'", path,
		    name);
	if (t->dtype != FL_DTYPE_F32 || t->ndim != 1 || t->shape[0] != n)
		return fl_err_set(err, FL_EFORMAT, "%s: tensor '%s' is not "
		    "F32 [%zu]", path, name, n);
	return 0;
}

/* Check that a holds c_i and the c_i it replaced, each F32 [n], and
 * nothing else.  Errors: FL_EFORMAT. */
static int
check_state(const struct fl_archive *a, const char *path, size_t n,
    struct fl_err *err)
{
	struct fl_tensor t;
	size_t k;
	int rc;

	for (k = 0; k < fl_archive_ntensors(a); k++) {
		fl_archive_tensor(a, k, &t);
		if (strcmp(t.name, CI) != 0 && strcmp(t.name, CI_PREV) != 0)
			return fl_err_set(err, FL_EFORMAT, "%s: tensor "
			    "'%.128s' is not part of a SCAFFOLD state", path,
			    t.name);
	}
	if ((rc = check_vector(a, path, CI, n, &t, err)) < 0)
		return rc;
	return check_vector(a, path, CI_PREV, n, &t, err);
}

/* Copy tensor name (F32, [n]) of a into a new vector *v.  Errors:
 * FL_EFORMAT, FL_ENOMEM. */
static int
get_vector(const struct fl_archive *a, const char *path, const char *name,
    size_t n, float **v, struct fl_err *err)
{
	struct fl_tensor t;
	int rc;

	if ((rc = check_vector(a, path, name, n, &t, err)) < 0)
		return rc;
	if ((*v = malloc(n * sizeof(float) + 1)) == NULL)
		return fl_err_set(err, FL_ENOMEM, "out of memory");
	memcpy(*v, t.data, n * sizeof(float));
	return 0;
}

/* Read c_i; see fl.h. */
int
fl_scaffold_load(const char *path, const struct fl_model *m,
    const char *model_id, float **ci, struct fl_err *err)
{
	static const char *const keys[] = { "model", "features", "label" };
	struct fl_archive *a = NULL;
	struct stat st;
	json_t *man, *desc = NULL;
	const char *s;
	size_t n = fl_model_nparams(m), i;
	int rc;

	*ci = NULL;
	if (stat(path, &st) < 0 && errno == ENOENT) {
		if ((*ci = calloc(n + 1, sizeof(float))) == NULL)
			return fl_err_set(err, FL_ENOMEM, "out of memory");
		return 0;
	}
	if ((rc = fl_archive_read_file(path, &a, err)) < 0)
		goto out;
	man = fl_archive_manifest(a);
	if (fl_archive_kind(a) != FL_KIND_STATE ||
	    fl_json_get_str(man, "state", &s, NULL) < 0 ||
	    strcmp(s, "scaffold") != 0) {
		rc = fl_err_set(err, FL_EFORMAT, "%s: not a SCAFFOLD state "
		    "file", path);
		goto out;
	}
	if ((desc = json_object()) == NULL) {
		rc = fl_err_set(err, FL_ENOMEM, "out of memory");
		goto out;
	}
	if ((rc = fl_model_describe(m, desc, err)) < 0)
		goto out;
	for (i = 0; i < sizeof(keys) / sizeof(keys[0]); i++)
		if (!json_equal(json_object_get(man, keys[i]),
		    json_object_get(desc, keys[i]))) {
			rc = fl_err_set(err, FL_ESHAPE, "%s: the SCAFFOLD "
			    "state is for another model (its %s differs)",
			    path, keys[i]);
			goto out;
		}
	if ((rc = check_state(a, path, n, err)) < 0)
		goto out;
	/* Training the model it was last updated from again starts from
	 * the c_i that update replaced. */
	if (model_id != NULL && json_is_string(json_object_get(man,
	    "trained")) && strcmp(json_string_value(json_object_get(man,
	    "trained")), model_id) == 0)
		rc = get_vector(a, path, CI_PREV, n, ci, err);
	else
		rc = get_vector(a, path, CI, n, ci, err);
out:
	json_decref(desc);
	fl_archive_free(a);
	return rc;
}

/* Write the state; see fl.h. */
int
fl_scaffold_save(const char *path, const struct fl_model *m,
    const char *model_id, const float *ci, const float *ci_new,
    struct fl_err *err)
{
	struct fl_archive *a;
	size_t shape[1] = { fl_model_nparams(m) };
	json_t *man;
	int rc;

	if ((a = fl_archive_new(FL_KIND_STATE)) == NULL)
		return fl_err_set(err, FL_ENOMEM, "out of memory");
	man = fl_archive_manifest(a);
	if ((rc = fl_model_describe(m, man, err)) < 0 ||
	    (rc = fl_manifest_set_writer(man, "fl-train", err)) < 0)
		goto out;
	json_object_del(man, "preprocess");
	if (json_object_set_new(man, "state", json_string("scaffold")) < 0 ||
	    json_object_set_new(man, "trained", model_id != NULL ?
	    json_string(model_id) : json_null()) < 0) {
		rc = fl_err_set(err, FL_ENOMEM, "out of memory");
		goto out;
	}
	if ((rc = fl_archive_add_tensor(a, CI, FL_DTYPE_F32, 1, shape, ci_new,
	    err)) < 0 || (rc = fl_archive_add_tensor(a, CI_PREV, FL_DTYPE_F32,
	    1, shape, ci, err)) < 0)
		goto out;
	rc = fl_archive_save(&a, 1, path, err);
out:
	fl_archive_free(a);
	return rc;
}
