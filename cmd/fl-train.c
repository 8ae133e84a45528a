/*
 * fl-train: train a received model on this site's CSV and write an update:
 * the weight delta (trained minus received), the rows it saw and the loss.
 * No row leaves the site.  Manual: man/fl-train.1.
 */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "fl.h"
#include "cli.h"
#include "train.h"
#include "cli-summary.h"

/* The update's "train" record: the hyperparameters and the result, with
 * the issue 4 terms only when used (a plain update is unchanged). */
static json_t *
train_json(const struct opts *o, const struct fl_train_result *res)
{
	const struct fl_hparams *hp = &o->hp;
	json_t *t;
	int bad = 0;

	t = json_pack("{s:i, s:I, s:f, s:s, s:f, s:f, s:I, s:f, s:I}",
	    "epochs", (int)hp->epochs, "batch", (json_int_t)hp->batch,
	    "lr", hp->lr, "optimizer", fl_optimizer_name(hp->optimizer),
	    "momentum", hp->momentum, "l2", hp->l2,
	    "seed", (json_int_t)hp->seed, "loss", res->loss,
	    "steps", (json_int_t)res->steps);
	if (t == NULL)
		return NULL;
	if (hp->prox_mu > 0.0)
		bad |= json_object_set_new(t, "prox_mu",
		    json_real(hp->prox_mu)) < 0;
	if (o->scaffold != NULL)
		bad |= json_object_set_new(t, "scaffold", json_true()) < 0;
	if (hp->dp_clip > 0.0)
		bad |= json_object_set_new(t, "dp_clip",
		    json_real(hp->dp_clip)) < 0 ||
		    json_object_set_new(t, "dp_noise",
		    json_real(hp->dp_noise)) < 0;
	if (bad) {
		json_decref(t);
		return NULL;
	}
	return t;
}

/*
 * The update's FedAvg weight, "samples": its rows; for a survival model
 * its events (at least 1), since a site's Cox loss is its partial
 * likelihood divided by its events (lib/train/cox.c), so that the mean
 * step is that of the sum of the sites' partial likelihoods.
 */
static size_t
update_weight(const struct fl_model *m, const struct fl_dataset *ds)
{
	size_t i, ev = 0;

	if (fl_model_task(m) != FL_TASK_SURVIVAL)
		return ds->n;
	for (i = 0; i < ds->n; i++)
		ev += ds->y[i] == 1.0f;
	return ev > 0 ? ev : 1;
}

/* The update's "privacy" record of DP-SGD over n rows; NULL with err set
 * on failure. */
static json_t *
privacy_json(const struct opts *o, size_t n, struct fl_err *err)
{
	struct fl_dp_sgd p;
	json_t *j;

	if (fl_dp_sgd_account(n, &o->hp, o->dp_delta, &p, err) < 0)
		return NULL;
	j = json_pack("{s:f, s:f, s:f, s:f, s:f, s:I, s:s, s:s, s:s}",
	    "epsilon", p.epsilon, "delta", p.delta, "q", p.q,
	    "sigma", p.sigma, "clip", p.clip, "steps", (json_int_t)p.steps,
	    "accountant", "rdp", "unit", "row",
	    "noise", o->hp.dp_seeded ? "seeded" : "openssl");
	if (j == NULL)
		fl_err_set(err, FL_ENOMEM, "out of memory");
	return j;
}

/* Secure aggregation: replace the update by its masked form. */
static int
mask_update(const struct opts *o, const struct fl_model *m,
    const struct fl_seckey *key, struct fl_archive **upd, struct fl_err *err)
{
	size_t clipped;
	double r = o->mask_range > 0 ? o->mask_range : FL_MASK_RANGE_DEFAULT;
	int rc;

	rc = fl_update_mask(upd, m, key, o->mask, r, o->hp.seed, &clipped,
	    err);
	if (rc == 0 && clipped > 0 && o->progress != 0)
		fl_warnx("%zu value%s of samples x delta clipped to "
		    "--mask-range %g", clipped, clipped == 1 ? "" : "s", r);
	return rc;
}

int
main(int argc, char **argv)
{
	struct fl_err err = FL_ERR_INIT;
	struct train_in in = { NULL, 0, NULL, 0 };
	struct fl_archive *upd = NULL;
	struct fl_seckey *key = NULL, *sk = NULL;
	struct fl_trust *trust = NULL;
	struct fl_model *recv = NULL, *m = NULL;
	struct fl_dataset *ds = NULL;
	struct fl_train_result res;
	struct fl_progress bar;
	const float *p0;
	float *p, *sc = NULL;
	json_t *priv = NULL;
	json_t *man;
	double before = NAN, after = NAN;
	size_t i, n;
	struct opts o;
	int rc;

	fl_setprogname(argv[0]);
	train_parse_args(argc, argv, &o);
	if ((o.key != NULL && (rc = fl_seckey_read(&key, o.key, &err)) < 0) ||
	    (o.sign != NULL && (rc = fl_seckey_read(&sk, o.sign, &err)) < 0) ||
	    (o.trust != NULL && (rc = fl_trust_load(&trust, o.trust,
	    &err)) < 0))
		goto out;
	/* A masked update is from the --key's site, unless --sign says. */
	if (fl_site_choose(o.site, sk != NULL ? sk : o.mask != NULL ? key :
	    NULL, o.data, o.sitebuf, sizeof(o.sitebuf),
	    &o.site, &err) < 0)
		fl_usage_error(train_usage, "%s", err.msg);
	if ((rc = train_read(&o, key, &in, &recv, &err)) < 0 ||
	    (trust != NULL && (rc = fl_archive_trusted(in.model, trust,
	    fl_in_name(o.model), NULL, &err)) < 0))
		goto out;
	if ((rc = fl_dataset_load_image(&ds, o.data, recv, 1,
	    o.image_col, &err)) < 0)
		goto out;
	if (ds->n == 0) {
		rc = fl_err_set(&err, FL_EFORMAT, "%s: no rows with a label",
		    fl_in_name(o.data));
		goto out;
	}
	if (o.hp.optimizer == FL_OPT_NEWTON) {	/* cmd/train-newton.c */
		rc = train_newton(&o, &in, recv, ds, sk, &err);
		goto out;
	}
	if ((m = fl_model_dup(recv)) == NULL) {
		rc = fl_err_set(&err, FL_ENOMEM, "out of memory");
		goto out;
	}
	n = fl_model_nparams(m);
	if (o.scaffold != NULL) {
		if ((rc = train_scaffold_begin(&o, in.model, recv, &sc,
		    &err)) < 0)
			goto out;
		o.hp.correction = sc + 2 * n;
	}
	if (o.hp.dp_clip > 0.0 && !fl_dp_sgd_supported(m)) {
		rc = fl_err_set(&err, FL_EUSAGE, "%s: DP-SGD needs per-row "
		    "gradients, which %s %s model does not have",
		    fl_in_name(o.model),
		    fl_article(fl_task_name(fl_model_task(m))),
		    fl_task_name(fl_model_task(m)));
		goto out;
	}
	if (o.hp.dp_clip > 0.0 &&
	    (priv = privacy_json(&o, ds->n, &err)) == NULL) {
		rc = err.code;
		goto out;
	}
	train_leaks(&o, recv, ds);
	if (fl_summary_on(o.verbose) &&
	    train_loss(recv, ds, o.hp.l2, &before, &err) < 0)
		before = NAN;	/* the line goes without the loss */
	fl_progress_init(&bar, "training", o.progress);
	o.hp.progress = fl_progress_cb;
	o.hp.progress_ctx = &bar;
	rc = fl_train(m, ds, &o.hp, &res, &err);
	fl_progress_end(&bar);
	if (rc < 0) {
		fl_err_prefix(&err, "%s", fl_in_name(o.data));
		goto out;
	}
	if (fl_summary_on(o.verbose) &&
	    train_loss(m, ds, o.hp.l2, &after, &err) < 0)
		after = NAN;
	/* The update carries the delta, trained minus received. */
	p = fl_model_params(m);
	p0 = fl_model_params_const(recv);
	if (sc != NULL)
		train_scaffold_end(&o, &res, sc, p0, p, n);
	for (i = 0; i < n; i++)
		p[i] -= p0[i];
	if ((rc = fl_model_to_archive(m, FL_KIND_UPDATE, &upd, &err)) < 0 ||
	    (sc != NULL && (rc = fl_archive_add_state(upd, "scaffold_dc",
	    sc + 2 * n, n, &err)) < 0))
		goto out;
	man = fl_archive_manifest(upd);
	rc = priv != NULL ? json_object_set_new(man, "privacy", priv) : 0;
	priv = NULL;
	if (rc < 0 ||
	    json_object_set_new(man, "round", json_integer(in.round)) < 0 ||
	    json_object_set_new(man, "parent",
	    json_string(fl_archive_id(in.model))) < 0 ||
	    json_object_set_new(man, "site", json_string(o.site)) < 0 ||
	    json_object_set_new(man, "samples",
	    json_integer((json_int_t)update_weight(m, ds))) < 0 ||
	    json_object_set_new(man, "train", train_json(&o, &res)) < 0) {
		rc = fl_err_set(&err, FL_ENOMEM, "out of memory");
		goto out;
	}
	/* Survival: this site's baseline-hazard table at the received
	 * model, which fl-aggregate sums (lib/train/cox.c). */
	if ((rc = fl_survival_update_table(recv, ds, man, &err)) < 0)
		goto out;
	if (o.mask != NULL && (rc = mask_update(&o, recv, key, &upd,
	    &err)) < 0)
		goto out;
	man = fl_archive_manifest(upd);
	if ((rc = fl_manifest_set_writer(man, "fl-train", &err)) < 0 ||
	    (sk != NULL && (rc = fl_archive_sign_new(upd, sk, &err)) < 0))
		goto out;
	rc = train_write(&o, &in, upd, &err);
	/* The state moves on only once the update is out; were this to
	 * fail, training this model again finds the c_i it started from. */
	if (rc == 0 && sc != NULL)
		rc = fl_scaffold_save(o.scaffold, recv,
		    fl_archive_id(in.model), sc, sc + 3 * n, &err);
out:
	if (rc < 0)
		rc = fl_report(&err);
	else if ((rc = fl_close_stdout()) == 0)
		train_summary(&o, ds, before, after);
	train_in_release(&in);
	fl_archive_free(upd);
	fl_seckey_free(key);
	fl_seckey_free(sk);
	fl_trust_free(trust);
	fl_model_free(recv);
	fl_model_free(m);
	fl_dataset_free(ds);
	free(sc);
	json_decref(priv);
	return rc;
}
