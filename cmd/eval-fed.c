/*
 * eval-fed.c: fl-eval's federated evaluation (lib/stats/fedeval.c: --emit,
 * --report and pooled curves) and the scoring of survival models
 * (lib/train/cox.c, lib/stats/survival.c).
 */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "fl.h"
#include "eval.h"

/*
 * Federated evaluation: with --report, print the per-site and pooled rows
 * (or the pooled curve) of a metrics archive; else reduce the predictions
 * to sufficient statistics and write them (--emit) or print a curve.
 */
int
eval_fedeval(const struct opts *o, const struct fl_archive *ma,
    const struct fl_model *m, const struct fl_dataset *ds, const float *pred,
    const double *S, struct fl_err *err)
{
	struct fl_fedeval *e = NULL;
	struct fl_archive *a = NULL, *out = NULL;
	const json_t *man;
	json_int_t round;
	int rc;

	if (o->report) {
		if ((rc = fl_archive_read_file(o->model, &a, err)) < 0)
			return rc;
		if ((rc = fl_fedeval_from_archive(&e, a, err)) < 0)
			fl_err_prefix(err, "%s", fl_in_name(o->model));
		else if (o->curve != NULL)
			rc = fl_fedeval_curve(e, o->curve, stdout,
			    "<stdout>", err);
		else
			rc = fl_fedeval_report(e, stdout, !o->tsv,
			    "<stdout>", err);
		goto out;
	}
	man = fl_archive_manifest((struct fl_archive *)ma);
	round = json_integer_value(json_object_get(man, "round"));
	if ((rc = fl_fedeval_new(&e, fl_model_task(m), fl_model_nclasses(m),
	    fl_archive_id(ma), o->site, round, err)) < 0)
		goto out;
	if (fl_model_task(m) == FL_TASK_SURVIVAL)
		rc = fl_fedeval_add_survival(e, ds->n, pred, ds->time, ds->y,
		    o->nh, o->horizon, S, err);
	else
		rc = fl_fedeval_add(e, ds->n, fl_model_noutputs(m), pred,
		    ds->y, err);
	if (rc < 0) {
		fl_err_prefix(err, "%s", fl_in_name(o->data));
		goto out;
	}
	if (o->curve != NULL) {
		rc = fl_fedeval_curve(e, o->curve, stdout, "<stdout>", err);
		goto out;
	}
	if ((rc = fl_fedeval_to_archive(e, &out, err)) < 0 ||
	    (rc = fl_manifest_set_writer(fl_archive_manifest(out), "fl-eval",
	    err)) < 0)
		goto out;
	rc = fl_archive_save(&out, 1, o->out, err);
out:
	fl_archive_free(a);
	fl_archive_free(out);
	fl_fedeval_free(e);
	return rc;
}

/*
 * Survival: the risk eta of each row, S(T|x) = exp(-H0(T) exp(eta)) at
 * each horizon from the model's baseline hazard (lib/train/cox.c), and the
 * metrics of lib/stats/survival.c, or one prediction per row.
 */
int
eval_survival(const struct opts *o, const struct fl_model *m,
    struct fl_archive *a, const struct fl_dataset *ds, const float *eta,
    struct fl_err *err)
{
	struct fl_metrics met;
	double *H = NULL, *S = NULL, h0;
	json_t *obj = NULL;
	size_t i, h, nh = o->nh;
	char key[64];
	int rc, have;

	if ((have = fl_baseline_read(m, fl_archive_manifest(a), &H,
	    err)) < 0)
		return fl_err_prefix(err, "%s", fl_in_name(o->model));
	if (o->curve != NULL) {
		if ((rc = fl_survival_curve(m, H, ds->n, eta, ds->time, ds->y,
		    stdout, "<stdout>", err)) < 0)
			fl_err_prefix(err, "%s", fl_in_name(o->model));
		goto out;
	}
	if (have && nh > 0 &&
	    (S = calloc(ds->n * nh, sizeof(double))) == NULL) {
		rc = fl_err_set(err, FL_ENOMEM, "out of memory");
		goto out;
	}
	for (h = 0; S != NULL && h < nh; h++) {
		h0 = fl_baseline_at(m, H, o->horizon[h]);
		if (o->emit && isnan(h0)) {
			rc = fl_err_set(err, FL_EUSAGE, "%s: --horizon %g is "
			    "beyond the model's baseline grid", fl_in_name(
			    o->model), o->horizon[h]);
			goto out;
		}
		for (i = 0; i < ds->n; i++)
			S[i * nh + h] = exp(-h0 * exp((double)eta[i]));
	}
	if (o->emit) {
		rc = eval_fedeval(o, a, m, ds, eta, S, err);
		goto out;
	}
	if (o->predictions) {
		if (nh > 0 && S == NULL) {
			rc = fl_err_set(err, FL_EFORMAT, "%s: no baseline "
			    "hazard to predict S(T|x) with (fl-aggregate "
			    "writes it from survival updates)",
			    fl_in_name(o->model));
			goto out;
		}
		if (o->tsv) {
			fputs("time\tevent\teta", stdout);
			for (h = 0; h < nh; h++)
				printf("\ts_%.10g", o->horizon[h]);
			putchar('\n');
		}
		for (i = 0; i < ds->n; i++) {
			if (!o->tsv) {
				obj = json_pack("{s:o, s:o, s:f}", "time",
				    isnan(ds->time[i]) ? json_null() :
				    json_real(ds->time[i]), "event",
				    isnan(ds->y[i]) ? json_null() :
				    json_real(ds->y[i]), "eta", eta[i]);
				for (h = 0; obj != NULL && h < nh; h++) {
					snprintf(key, sizeof(key), "s_%.10g",
					    o->horizon[h]);
					json_object_set_new(obj, key, isnan(
					    S[i * nh + h]) ? json_null() :
					    json_real(S[i * nh + h]));
				}
				if (obj != NULL)
					eval_print_json(obj);
				json_decref(obj);
				obj = NULL;
				continue;
			}
			if (isnan(ds->time[i]))
				fputs("NA", stdout);
			else
				printf("%.10g", ds->time[i]);
			if (isnan(ds->y[i]))
				fputs("\tNA", stdout);
			else
				printf("\t%.10g", ds->y[i]);
			printf("\t%.10g", eta[i]);
			for (h = 0; h < nh; h++)
				if (isnan(S[i * nh + h]))
					fputs("\tNA", stdout);
				else
					printf("\t%.10g", S[i * nh + h]);
			putchar('\n');
		}
		rc = 0;
		goto out;
	}
	if ((rc = fl_metrics_survival(ds->n, eta, ds->time, ds->y, nh,
	    o->horizon, S, &met, err)) < 0)
		goto out;
	if ((obj = fl_metrics_json(&met)) == NULL) {
		rc = fl_err_set(err, FL_ENOMEM, "out of memory");
		goto out;
	}
	if (o->tsv) {
		eval_print_tsv(obj, 1);
		eval_print_tsv(obj, 0);
	} else
		eval_print_json(obj);
	rc = 0;
out:
	json_decref(obj);
	free(H);
	free(S);
	return rc;
}
