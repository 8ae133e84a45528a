/*
 * train.c: fl_train and fl_predict, minibatch loops over a dataset on top
 * of the fast path (nn.c) and the optimizers (optim.c).  One workspace is
 * allocated per call and reused for every batch.
 */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "fl.h"
#include "model_int.h"
#include "nn.h"

#define PREDICT_BATCH 1024

/* Check that ds fits m.  Errors: FL_EUSAGE. */
static int
check_data(const struct fl_model *m, const struct fl_dataset *ds,
    struct fl_err *err)
{
	if (ds->n == 0)
		return fl_err_set(err, FL_EUSAGE, "no rows to work on");
	if (ds->d != m->widths[0])
		return fl_err_set(err, FL_EUSAGE, "data has %zu features, "
		    "model '%s' expects %zu", ds->d, m->spec, m->widths[0]);
	return 0;
}

/* Copy rows idx[0..rows-1] of X (n, d) and y into the workspace. */
static void
gather(struct fl_nn *nn, const struct fl_dataset *ds, const size_t *idx,
    size_t rows)
{
	size_t i, d = ds->d;

	for (i = 0; i < rows; i++) {
		memcpy(nn->x + i * d, ds->X + idx[i] * d, d * sizeof(float));
		nn->y[i] = ds->y[idx[i]];
	}
}

/* 1 when every value of v (n) is finite. */
static int
all_finite(const float *v, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++)
		if (!isfinite(v[i]))
			return 0;
	return 1;
}

/*
 * Train m in place; see fl.h.  res->loss is the mean data loss (without
 * the L2 penalty) over the last epoch's rows.  On error m's parameters
 * are partly trained and should be discarded.
 */
int
fl_train(struct fl_model *m, const struct fl_dataset *ds,
    const struct fl_hparams *hp, struct fl_train_result *res,
    struct fl_err *err)
{
	const struct fl_backend *be = hp->backend;
	struct fl_nn nn;
	struct fl_optim opt;
	struct fl_rng rng;
	size_t *order = NULL, bsz, nbatch, total, step = 0, i, b, rows;
	float *grad = NULL;
	double loss, epoch_loss = 0.0;
	unsigned e;
	int rc;

	/* Survival models train full-batch on their own loss (cox.c). */
	if (m->task == FL_TASK_SURVIVAL)
		return fl_cox_train(m, ds, hp, res, err);
	memset(&nn, 0, sizeof(nn));
	memset(&opt, 0, sizeof(opt));
	memset(res, 0, sizeof(*res));
	if ((rc = check_data(m, ds, err)) < 0)
		return rc;
	if (hp->epochs == 0 || hp->batch == 0)
		return fl_err_set(err, FL_EUSAGE, "epochs and batch size "
		    "must be positive");
	if (!(hp->lr > 0.0) || !isfinite(hp->lr))
		return fl_err_set(err, FL_EUSAGE, "learning rate must be "
		    "positive");
	if (be == NULL && (rc = fl_backend_get(&be, FL_DEVICE_CPU, err)) < 0)
		return rc;
	if ((rc = fl_nn_check_labels(m, ds->n, ds->y, err)) < 0)
		return rc;
	bsz = hp->batch < ds->n ? hp->batch : ds->n;
	nbatch = (ds->n + bsz - 1) / bsz;
	if (fl_size_mul(nbatch, hp->epochs, &total) < 0)
		return fl_err_set(err, FL_EUSAGE, "too many steps");
	if ((rc = fl_nn_init(&nn, m, be, bsz, err)) < 0 ||
	    (rc = fl_optim_init(&opt, hp, m->nparams, err)) < 0)
		goto out;
	order = malloc(ds->n * sizeof(*order));
	grad = malloc(m->nparams * sizeof(*grad));
	if (order == NULL || grad == NULL) {
		rc = fl_err_set(err, FL_ENOMEM, "out of memory");
		goto out;
	}
	for (i = 0; i < ds->n; i++)
		order[i] = i;
	fl_rng_seed(&rng, hp->seed, "shuffle");

	for (e = 0; e < hp->epochs; e++) {
		fl_rng_shuffle(&rng, order, ds->n);
		epoch_loss = 0.0;
		for (b = 0; b < nbatch; b++) {
			rows = ds->n - b * bsz < bsz ? ds->n - b * bsz : bsz;
			gather(&nn, ds, order + b * bsz, rows);
			loss = fl_nn_loss_grad(&nn, m->params, nn.x, nn.y,
			    rows, 1.0f / (float)rows, grad);
			if (!isfinite(loss)) {
				rc = fl_err_set(err, FL_ENUM, "training "
				    "diverged (loss is %s); lower --lr",
				    isnan(loss) ? "nan" : "inf");
				goto out;
			}
			epoch_loss += loss;
			fl_nn_add_l2(m, m->params, grad, hp->l2);
			fl_optim_step(&opt, m->params, grad);
			step++;
			if (hp->progress != NULL)
				hp->progress(hp->progress_ctx, step, total);
		}
	}
	if (!all_finite(m->params, m->nparams)) {
		rc = fl_err_set(err, FL_ENUM, "training diverged (parameters "
		    "are not finite); lower --lr");
		goto out;
	}
	res->loss = epoch_loss / (double)ds->n;
	res->samples = ds->n;
	res->steps = step;
	rc = 0;
out:
	free(order);
	free(grad);
	fl_optim_release(&opt);
	fl_nn_release(&nn);
	return rc;
}

/* Turn logits Z (rows, k) into the task's outputs in out (rows, k). */
static void
outputs(enum fl_task task, const float *Z, size_t rows, size_t k,
    float *out)
{
	size_t i, j;
	double zmax, sum;

	for (i = 0; i < rows; i++) {
		const float *z = Z + i * k;
		float *o = out + i * k;

		switch (task) {
		case FL_TASK_BINARY:
			o[0] = (float)(1.0 / (1.0 + exp(-(double)z[0])));
			break;
		case FL_TASK_MULTICLASS:
			zmax = z[0];
			for (j = 1; j < k; j++)
				zmax = fmax(zmax, z[j]);
			sum = 0.0;
			for (j = 0; j < k; j++)
				sum += exp(z[j] - zmax);
			for (j = 0; j < k; j++)
				o[j] = (float)(exp(z[j] - zmax) / sum);
			break;
		case FL_TASK_REGRESSION:
		default:
			o[0] = z[0];
			break;
		}
	}
}

/* Predict every row of ds in batches; see fl.h. */
int
fl_predict(const struct fl_model *m, const struct fl_dataset *ds,
    const struct fl_backend *be, float *out, struct fl_err *err)
{
	struct fl_nn nn;
	size_t k = m->widths[m->nlayers], bsz, r, rows;
	int rc;

	if ((rc = check_data(m, ds, err)) < 0)
		return rc;
	if (be == NULL && (rc = fl_backend_get(&be, FL_DEVICE_CPU, err)) < 0)
		return rc;
	bsz = ds->n < PREDICT_BATCH ? ds->n : PREDICT_BATCH;
	if ((rc = fl_nn_init(&nn, m, be, bsz, err)) < 0)
		return rc;
	for (r = 0; r < ds->n; r += rows) {
		rows = ds->n - r < bsz ? ds->n - r : bsz;
		fl_nn_forward(&nn, m->params, ds->X + r * ds->d, rows);
		outputs(m->task, nn.act[m->nlayers], rows, k, out + r * k);
	}
	fl_nn_release(&nn);
	return 0;
}
