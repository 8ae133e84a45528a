/*
 * fl-eval: score a model on local data, printing metrics (or one
 * prediction per row) on stdout.  Manual: man/fl-eval.1.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "fl.h"
#include "cli.h"
#include "eval.h"

int
main(int argc, char **argv)
{
	struct fl_err err = FL_ERR_INIT;
	struct fl_archive *a = NULL;
	struct fl_seckey *sk = NULL;
	struct fl_model *m = NULL;
	struct fl_dataset *ds = NULL;
	struct fl_metrics met;
	json_t *obj = NULL;
	float *pred = NULL;
	size_t len;
	struct opts o;
	int rc;

	fl_setprogname(argv[0]);
	eval_parse_args(argc, argv, &o);
	if (o.coef) {
		rc = eval_coef(&o, &err);
		goto out;
	}
	if (o.report) {
		rc = eval_fedeval(&o, NULL, NULL, NULL, NULL, NULL, &err);
		goto out;
	}
	if (o.key != NULL && (rc = fl_seckey_read(&sk, o.key, &err)) < 0)
		goto out;
	if ((rc = eval_read(&o, sk, &a, &m, &err)) != 0 ||
	    (rc = fl_dataset_load_image(&ds, o.data, m,
	    !o.predictions, o.image_col, &err)) < 0)
		goto out;
	if (ds->n == 0) {
		rc = fl_err_set(&err, FL_EFORMAT, "%s: no rows to score",
		    fl_in_name(o.data));
		goto out;
	}
	if (fl_size_mul(ds->n, fl_model_noutputs(m) * sizeof(float),
	    &len) < 0 || (pred = malloc(len)) == NULL) {
		rc = fl_err_set(&err, FL_ENOMEM, "out of memory");
		goto out;
	}
	if ((rc = fl_predict(m, ds, o.backend, pred, &err)) < 0)
		goto out;
	if (fl_model_task(m) == FL_TASK_SURVIVAL) {
		if (o.curve != NULL && strcmp(o.curve, "survival") != 0)
			rc = fl_err_set(&err, FL_EUSAGE, "%s: --curve %s is "
			    "for binary models", fl_in_name(o.model), o.curve);
		else
			rc = eval_survival(&o, m, a, ds, pred, &err);
		goto out;
	}
	if (o.nh > 0) {
		rc = fl_err_set(&err, FL_EUSAGE, "--horizon is for survival "
		    "models");
		goto out;
	}
	if (o.predictions) {
		eval_print_predictions(m, ds, pred, o.tsv);
		goto out;
	}
	if (o.curve != NULL && strcmp(o.curve, "survival") == 0) {
		rc = fl_err_set(&err, FL_EUSAGE, "--curve survival is for "
		    "survival models");
		goto out;
	}
	if (o.emit || o.curve != NULL) {
		rc = eval_fedeval(&o, a, m, ds, pred, NULL, &err);
		goto out;
	}
	if ((rc = fl_metrics_compute(fl_model_task(m), ds->n,
	    fl_model_noutputs(m), pred, ds->y, &met, &err)) < 0)
		goto out;
	if ((obj = fl_metrics_json(&met)) == NULL) {
		rc = fl_err_set(&err, FL_ENOMEM, "out of memory");
		goto out;
	}
	if (o.tsv) {
		eval_print_tsv(obj, 1);
		eval_print_tsv(obj, 0);
	} else
		eval_print_json(obj);
out:
	if (rc < 0)
		rc = fl_report(&err);
	else if ((rc = fl_close_stdout()) == 0 && ds != NULL)
		eval_summary(&o, a, ds);
	json_decref(obj);
	free(pred);
	fl_archive_free(a);
	fl_seckey_free(sk);
	fl_model_free(m);
	fl_dataset_free(ds);
	return rc;
}
