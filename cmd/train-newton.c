/*
 * train-newton.c: fl-train --optimizer newton: instead of training, the
 * site writes an update whose delta is zero and whose manifest carries
 * "newton": the score vector, information matrix and log-likelihood of
 * its rows at the received coefficients (lib/train/newton.c), and its
 * counts.  fl-aggregate --strategy newton sums them and takes the step.
 * Manual: man/fl-train.1, "Newton rounds".
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "fl.h"
#include "cli.h"
#include "train.h"

static json_t *
reals(const double *v, size_t n)
{
	json_t *a = json_array();
	size_t i;

	for (i = 0; a != NULL && i < n; i++)
		if (json_array_append_new(a, json_real(v[i])) < 0) {
			json_decref(a);
			return NULL;
		}
	return a;
}

/* The update's "newton" record. */
static json_t *
newton_json(const struct opts *o, const struct fl_newton_sums *s,
    const struct fl_dataset *ds)
{
	return json_pack("{s:I, s:f, s:o, s:o, s:I, s:I, s:I, s:I, s:I, s:f}",
	    "coefficients", (json_int_t)s->p, "loglik", s->loglik,
	    "score", reals(s->score, s->p),
	    "information", reals(s->info, s->p * s->p),
	    "rows", (json_int_t)s->rows, "events", (json_int_t)s->events,
	    "extreme", (json_int_t)s->extreme,
	    "skipped", (json_int_t)ds->skipped,
	    "dropped", (json_int_t)ds->dropped, "l2", o->hp.l2);
}

int
train_newton(const struct opts *o, const struct train_in *in,
    const struct fl_model *recv, const struct fl_dataset *ds,
    const struct fl_seckey *sk, struct fl_err *err)
{
	struct fl_newton_sums s;
	struct fl_archive *upd = NULL;
	struct fl_model *m = NULL;
	json_t *man, *t;
	int rc;

	if ((rc = fl_newton_site(recv, ds, &s, err)) < 0)
		return fl_err_prefix(err, "%s", fl_in_name(o->data));
	/* Sums over a handful of rows would reveal them. */
	if (s.rows < (size_t)o->min_count || s.events < (size_t)o->min_count) {
		rc = fl_err_set(err, FL_EFORMAT, "%s: %zu rows and %zu events, "
		    "fewer than --min-count %ld; no update written",
		    fl_in_name(o->data), s.rows, s.events, o->min_count);
		goto out;
	}
	if ((m = fl_model_dup(recv)) == NULL) {
		rc = fl_err_set(err, FL_ENOMEM, "out of memory");
		goto out;
	}
	memset(fl_model_params(m), 0, fl_model_nparams(m) * sizeof(float));
	if ((rc = fl_model_to_archive(m, FL_KIND_UPDATE, &upd, err)) < 0)
		goto out;
	man = fl_archive_manifest(upd);
	t = json_pack("{s:s, s:f, s:f, s:I}", "optimizer", "newton",
	    "l2", o->hp.l2, "loss", s.rows > 0 ? -s.loglik / (double)s.rows :
	    0.0, "steps", (json_int_t)0);
	if (t == NULL ||
	    json_object_set_new(man, "round", json_integer(in->round)) < 0 ||
	    json_object_set_new(man, "parent",
	    json_string(fl_archive_id(in->model))) < 0 ||
	    json_object_set_new(man, "site", json_string(o->site)) < 0 ||
	    json_object_set_new(man, "samples",
	    json_integer((json_int_t)ds->n)) < 0 ||
	    json_object_set_new(man, "train", t) < 0 ||
	    json_object_set_new(man, "newton", newton_json(o, &s, ds)) < 0) {
		rc = fl_err_set(err, FL_ENOMEM, "out of memory");
		goto out;
	}
	if ((rc = fl_survival_update_table(recv, ds, man, err)) < 0 ||
	    (rc = fl_manifest_set_writer(man, "fl-train", err)) < 0 ||
	    (sk != NULL && (rc = fl_archive_sign_new(upd, sk, err)) < 0))
		goto out;
	rc = train_write(o, in, upd, err);
out:
	fl_newton_sums_release(&s);
	fl_archive_free(upd);
	fl_model_free(m);
	return rc;
}
