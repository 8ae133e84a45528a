/*
 * eval-coalitions.c: fl-eval reads its model, or with --emit a coalitions
 * archive (fl-value --coalitions, lib/federation/remote.c), whose every
 * coalition model it scores on the site's rows: one metrics archive per
 * coalition, in the archive's order, each naming the coalitions archive
 * as its parent and its index as "coalition", written as one gzip'd
 * stream for fl-value --from-metrics.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "fl.h"
#include "eval.h"

/* Score coalition k's model m on ds into out. */
static int
score(const struct opts *o, const struct fl_archive *a, struct fl_model *m,
    const struct fl_dataset *ds, float *pred, size_t k, FILE *out,
    const char *outname, struct fl_err *err)
{
	json_t *man = fl_archive_manifest((struct fl_archive *)a);
	struct fl_fedeval *e = NULL;
	struct fl_archive *ma = NULL;
	const float *p;
	int rc;

	if ((rc = fl_coalitions_params(a, fl_model_nparams(m), k, &p,
	    err)) < 0)
		return fl_err_prefix(err, "%s", fl_in_name(o->model));
	memcpy(fl_model_params(m), p, fl_model_nparams(m) * sizeof(float));
	if ((rc = fl_predict(m, ds, NULL, pred, err)) < 0 ||
	    (rc = fl_fedeval_new(&e, fl_model_task(m), fl_model_nclasses(m),
	    fl_archive_id(a), o->site, json_integer_value(json_object_get(man,
	    "round")), err)) < 0)
		goto out;
	if (fl_model_task(m) == FL_TASK_SURVIVAL)
		rc = fl_fedeval_add_survival(e, ds->n, pred, ds->time, ds->y,
		    0, NULL, NULL, err);
	else
		rc = fl_fedeval_add(e, ds->n, fl_model_noutputs(m), pred, ds->y,
		    err);
	if (rc < 0) {
		fl_err_prefix(err, "%s", fl_in_name(o->data));
		goto out;
	}
	if ((rc = fl_fedeval_to_archive(e, &ma, err)) < 0 ||
	    (rc = fl_manifest_set_writer(fl_archive_manifest(ma), "fl-eval",
	    err)) < 0)
		goto out;
	if (json_object_set_new(fl_archive_manifest(ma), "coalition",
	    json_integer((json_int_t)k)) < 0) {
		rc = fl_err_set(err, FL_ENOMEM, "out of memory");
		goto out;
	}
	rc = fl_archive_write(ma, out, outname, FL_COMPRESS_GZIP, err);
out:
	fl_archive_free(ma);
	fl_fedeval_free(e);
	return rc;
}

/* --emit on a coalitions archive a: every coalition, in order. */
static int
emit_all(const struct opts *o, const struct fl_archive *a,
    struct fl_err *err)
{
	const json_t *coal = json_object_get(fl_archive_manifest(
	    (struct fl_archive *)a), "coalitions");
	struct fl_dataset *ds = NULL;
	struct fl_model *m = NULL;
	struct fl_out *out = NULL;
	float *pred = NULL;
	size_t k, len;
	int rc;

	if (o->nh > 0)
		return fl_err_set(err, FL_EUSAGE, "%s: coalitions are scored "
		    "without --horizon", fl_in_name(o->model));
	if (!json_is_array(coal) || json_array_size(coal) == 0)
		return fl_err_set(err, FL_EFORMAT, "%s: key 'coalitions' is "
		    "missing or malformed", fl_in_name(o->model));
	if ((rc = fl_model_from_archive(&m, a, err)) < 0)
		return fl_err_prefix(err, "%s", fl_in_name(o->model));
	if ((rc = fl_dataset_load(&ds, o->data, m, 1, err)) < 0)
		goto out;
	if (ds->n == 0) {
		rc = fl_err_set(err, FL_EFORMAT, "%s: no rows to score",
		    fl_in_name(o->data));
		goto out;
	}
	if (fl_size_mul(ds->n, fl_model_noutputs(m) * sizeof(float),
	    &len) < 0 || (pred = malloc(len)) == NULL) {
		rc = fl_err_set(err, FL_ENOMEM, "out of memory");
		goto out;
	}
	if ((rc = fl_out_open(&out, o->out, err)) < 0)
		goto out;
	for (k = 0; k < json_array_size(coal) && rc == 0; k++)
		rc = score(o, a, m, ds, pred, k, fl_out_stream(out),
		    fl_out_name(out), err);
	if (rc == 0)
		rc = fl_out_commit(out, err);
	else
		fl_out_abort(out);
out:
	free(pred);
	fl_dataset_free(ds);
	fl_model_free(m);
	return rc;
}

int
eval_read(const struct opts *o, const struct fl_seckey *sk,
    struct fl_archive **ap, struct fl_model **mp, struct fl_err *err)
{
	struct fl_archive *a;
	int rc;

	if ((rc = fl_archive_read_file_key(o->model, sk, &a, err)) < 0)
		return rc;
	*ap = a;
	switch (fl_archive_kind(a)) {
	case FL_KIND_MODEL:
		if ((rc = fl_model_from_archive(mp, a, err)) < 0)
			fl_err_prefix(err, "%s", fl_in_name(o->model));
		return rc;
	case FL_KIND_COALITIONS:
		if (!o->emit)
			return fl_err_set(err, FL_EUSAGE, "%s: a coalitions "
			    "archive is scored with --emit",
			    fl_in_name(o->model));
		return (rc = emit_all(o, a, err)) < 0 ? rc : 1;
	default:
		return fl_err_set(err, FL_EFORMAT, "%s: %s %s archive, not a "
		    "model", fl_in_name(o->model),
		    fl_article(fl_kind_name(fl_archive_kind(a))),
		    fl_kind_name(fl_archive_kind(a)));
	}
}
