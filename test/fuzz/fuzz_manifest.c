/*
 * fuzz_manifest.c: libFuzzer target for manifests (lib/format/manifest.c,
 * lib/model/modelio.c, lib/stats/stats.c): the input is parsed as JSON, dumped in
 * canonical form, read with the checked getters on the common keys, and
 * set as the manifest of an archive holding a fixed small tensor set (a
 * logistic regression with two features, and the six stats tensors), from
 * which a model and stats are built.  Run by `make fuzz`.
 */
#include <stdlib.h>
#include <string.h>

#include "fl.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static const char *const int_keys[] = { "round", "samples", "rows",
    "classes", "params" };
static const char *const str_keys[] = { "format", "kind", "id", "site",
    "parent", "label", "spec", "task", "strategy" };
static const char *const stats_names[] = { "count", "missing", "sum",
    "sumsq", "min", "max" };

/* Fixed tensors under whatever manifest the input gives. */
static struct fl_archive *
fixed_archive(json_t *man)
{
	static const float w[2] = { 0.5f, -0.25f }, b[1] = { 0.125f };
	static const double col[3] = { 1.0, 2.0, 3.0 };
	static const size_t wshape[2] = { 1, 2 }, bshape[1] = { 1 },
	    sshape[1] = { 3 };
	struct fl_archive *a;
	size_t i;

	if ((a = fl_archive_new(FL_KIND_MODEL)) == NULL)
		return NULL;
	if (fl_archive_add_tensor(a, "fc0.weight", FL_DTYPE_F32, 2, wshape,
	    w, NULL) < 0 || fl_archive_add_tensor(a, "fc0.bias",
	    FL_DTYPE_F32, 1, bshape, b, NULL) < 0)
		goto bad;
	for (i = 0; i < 6; i++)
		if (fl_archive_add_tensor(a, stats_names[i], FL_DTYPE_F64, 1,
		    sshape, col, NULL) < 0)
			goto bad;
	/* Replace the manifest's keys with the input's, so that "kind" is
	 * whatever the input says, as a reader would leave it. */
	if (json_object_clear(fl_archive_manifest(a)) < 0 ||
	    json_object_update(fl_archive_manifest(a), man) < 0)
		goto bad;
	return a;
bad:
	fl_archive_free(a);
	return NULL;
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct fl_err err = FL_ERR_INIT;
	json_error_t jerr;
	struct fl_archive *a;
	struct fl_model *m = NULL;
	struct fl_stats *s = NULL;
	const json_t *model;
	const char *str;
	int64_t v;
	json_t *man;
	char *canon;
	size_t i;

	man = json_loadb((const char *)data, size, JSON_REJECT_DUPLICATES,
	    &jerr);
	if (man == NULL)
		return 0;
	canon = fl_manifest_canonical(man);
	free(canon);
	model = json_object_get(man, "model");
	for (i = 0; i < sizeof(int_keys) / sizeof(int_keys[0]); i++) {
		(void)fl_json_get_int(man, int_keys[i], &v, &err);
		(void)fl_json_get_int(model, int_keys[i], &v, &err);
	}
	for (i = 0; i < sizeof(str_keys) / sizeof(str_keys[0]); i++) {
		(void)fl_json_get_str(man, str_keys[i], &str, &err);
		(void)fl_json_get_str(model, str_keys[i], &str, &err);
	}
	if (json_is_object(man) && (a = fixed_archive(man)) != NULL) {
		if (fl_model_from_archive(&m, a, &err) == 0)
			(void)fl_model_nparams(m);
		fl_model_free(m);
		if (fl_stats_from_archive(&s, a, &err) == 0)
			(void)fl_stats_ncols(s);
		fl_stats_free(s);
		fl_archive_free(a);
	}
	json_decref(man);
	return 0;
}
