/*
 * train-summary.c: the loss fl-train's summary line shows before and
 * after training: the mean loss of the model over the site's rows plus
 * the L2 term, the objective training lowers, computed by the library's
 * loss (fl_loss_grad, or fl_cox_loss_grad for a survival model); and
 * the warning about a feature that alone separates the labels.
 */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>

#include "fl.h"
#include "cli.h"
#include "cli-summary.h"
#include "train.h"

int
train_loss(const struct fl_model *m, const struct fl_dataset *ds,
    double l2, double *loss, struct fl_err *err)
{
	float *grad;
	int rc;

	if ((grad = calloc(fl_model_nparams(m), sizeof(*grad))) == NULL)
		return fl_err_set(err, FL_ENOMEM, "out of memory");
	if (fl_model_task(m) == FL_TASK_SURVIVAL)
		rc = fl_cox_loss_grad(m, ds->n, ds->X, ds->time, ds->y, l2,
		    NULL, grad, loss, err);
	else
		rc = fl_loss_grad(m, ds->n, ds->X, ds->y, l2, NULL, grad,
		    loss, err);
	free(grad);
	return rc;
}

void
train_leaks(const struct opts *o, const struct fl_model *m,
    const struct fl_dataset *ds)
{
	const struct fl_prep *prep = fl_model_prep_const(m);
	struct fl_metrics mt;
	struct fl_err err;
	size_t i, j, pos = 0;
	float *col;

	if (!fl_summary_on(o->verbose) || fl_model_task(m) != FL_TASK_BINARY ||
	    fl_model_nstages(m) > 0 || prep == NULL || prep->d != ds->d)
		return;
	for (i = 0; i < ds->n; i++)
		pos += ds->y[i] == 1.0f;
	if (pos < 10 || ds->n - pos < 10 ||
	    (col = malloc(ds->n * sizeof(*col))) == NULL)
		return;
	for (j = 0; j < ds->d; j++) {
		for (i = 0; i < ds->n; i++)
			col[i] = ds->X[i * ds->d + j];
		if (fl_metrics_compute(FL_TASK_BINARY, ds->n, 1, col, ds->y,
		    &mt, &err) == 0 && (mt.auc >= 0.99 || mt.auc <= 0.01))
			fprintf(stderr, "%s: warning: %s: feature '%s' alone "
			    "separates the label here (AUC %.3f); an outcome, "
			    "or a copy of the label? (fl-init -x leaves it "
			    "out)\n", fl_progname(), fl_in_name(o->data),
			    prep->features[j], mt.auc);
	}
	free(col);
}

void
train_summary(const struct opts *o, const struct fl_dataset *ds,
    double before, double after)
{
	char skipped[64] = "";

	if (ds->skipped > 0)
		snprintf(skipped, sizeof(skipped), " (%zu without a label "
		    "skipped)", ds->skipped);
	if (isnan(before) || isnan(after))
		fl_summary(o->verbose, "%s: %zu rows%s, %d epoch%s",
		    fl_in_name(o->data), ds->n, skipped, (int)o->hp.epochs,
		    o->hp.epochs == 1 ? "" : "s");
	else
		fl_summary(o->verbose, "%s: %zu rows%s, %d epoch%s, loss "
		    "%.6g -> %.6g", fl_in_name(o->data), ds->n, skipped,
		    (int)o->hp.epochs, o->hp.epochs == 1 ? "" : "s", before,
		    after);
}
