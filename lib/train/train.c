/*
 * train.c: fl_train, the one training loop, and fl_predict, over a
 * dataset on top of the fast path (nn.c), the task's head (head.c,
 * cox.c: minibatch or full batch, per row or per risk set) and the
 * optimizers (optim.c).  One workspace is allocated per call and reused
 * for every batch.  The terms issue 4 adds to a step (FedProx, SCAFFOLD's
 * correction, DP-SGD's clipping and noise) are here too; fl-train(1)
 * documents them.
 */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "train/train.h"
#include "model/model_int.h"
#include "compute/nn.h"
#include "optim.h"

#define PREDICT_BATCH 1024
#define LOSS_BATCH 1024

/* Check that ds fits m.  Errors: FL_EUSAGE. */
static int
check_data(const struct fl_model *m, const struct fl_dataset *ds,
    struct fl_err *err)
{
	if (ds->n == 0)
		return fl_err_set(err, FL_EUSAGE, "no rows to work on");
	if (ds->d != m->prep.d)
		return fl_err_set(err, FL_EUSAGE, "data has %zu features, "
		    "model '%s' expects %zu", ds->d, m->spec, m->prep.d);
	return 0;
}

/*
 * Copy rows idx[0..rows-1] of X (n, d) and y into the workspace: directly
 * into a host-memory backend's buffers, else into the host staging
 * buffers hx (rows, d) and hy (rows) and from there in one upload each.
 */
static void
gather(struct fl_nn *nn, const struct fl_dataset *ds, const size_t *idx,
    size_t rows, float *hx, float *hy)
{
	size_t i, d = ds->d;
	float *x = nn->be->host_memory ? nn->x : hx;
	float *y = nn->be->host_memory ? nn->y : hy;

	for (i = 0; i < rows; i++) {
		memcpy(x + i * d, ds->X + idx[i] * d, d * sizeof(float));
		y[i] = ds->y[idx[i]];
	}
	if (!nn->be->host_memory) {
		nn->be->upload(nn->x, hx, rows * d * sizeof(float));
		nn->be->upload(nn->y, hy, rows * sizeof(float));
	}
}

/*
 * The L2, FedProx and SCAFFOLD terms of a step on a device backend, as
 * axpy over its buffers: grad += l2 w on the weights (dense and conv,
 * as fl_nn_add_l2), prox_mu (w -
 * start) and the correction (dstart and dcorr: device copies, or NULL
 * when off).  Their part of the objective is not formed: fl_train does
 * not report it.
 */
static void
device_terms(const struct fl_backend *be, const struct fl_model *m,
    const struct fl_hparams *hp, const float *w, const float *dstart,
    const float *dcorr, float *grad)
{
	size_t l, n = m->nparams;

	for (l = 0; hp->l2 != 0.0 && l < m->nstages; l++)
		if (m->stages[l].type == FL_LAYER_CONV)
			be->axpy(m->stages[l].oc * m->stages[l].c *
			    m->stages[l].k * m->stages[l].k, (float)hp->l2,
			    w + m->stages[l].woff, grad + m->stages[l].woff);
	for (l = 0; hp->l2 != 0.0 && l < m->nlayers; l++)
		be->axpy(m->widths[l] * m->widths[l + 1], (float)hp->l2,
		    w + m->woff[l], grad + m->woff[l]);
	if (dstart != NULL) {
		be->axpy(n, (float)hp->prox_mu, w, grad);
		be->axpy(n, (float)-hp->prox_mu, dstart, grad);
	}
	if (dcorr != NULL)
		be->axpy(n, 1.0f, dcorr, grad);
}

/* A device backend's recorded failure, if any (FL_EGPU). */
static int
backend_error(const struct fl_backend *be, struct fl_err *err)
{
	return be->error != NULL ? be->error(err) : 0;
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
 * Add the data-independent terms of a step to grad (n): prox_mu (w -
 * start) and the SCAFFOLD correction.  Return their part of the objective,
 * prox_mu/2 |w - start|^2 + <correction, w>, in double.
 */
static double
add_terms(const struct fl_hparams *hp, size_t n, const float *w,
    const float *start, float *grad)
{
	double obj = 0.0, dw;
	size_t i;

	if (hp->prox_mu != 0.0)
		for (i = 0; i < n; i++) {
			dw = (double)w[i] - start[i];
			obj += 0.5 * hp->prox_mu * dw * dw;
			grad[i] += (float)(hp->prox_mu * dw);
		}
	if (hp->correction != NULL)
		for (i = 0; i < n; i++) {
			obj += (double)hp->correction[i] * w[i];
			grad[i] += hp->correction[i];
		}
	return obj;
}

/* Add N(0, sd^2) deviates to v (n), from the privacy noise source ns
 * (lib/privacy/noise.c).  Errors: FL_EIO. */
static int
noise_add(struct fl_noise *ns, float *v, size_t n, double sd,
    struct fl_err *err)
{
	double z;
	size_t i;
	int rc;

	for (i = 0; i < n; i++) {
		if ((rc = fl_noise_normal(ns, &z, err)) < 0)
			return rc;
		v[i] += (float)(sd * z);
	}
	return 0;
}

/* 1 when the loss is a sum over rows; see fl.h.  The head says. */
int
fl_dp_sgd_supported(const struct fl_model *m)
{
	return fl_head_get(m->task)->unit == FL_HEAD_PER_ROW;
}

/*
 * DP-SGD's gradient over the rows gathered in nn (Abadi et al. 2016):
 * each row's gradient exactly, by a backward pass over that row alone
 * (g1, nparams), scaled to L2 norm at most clip and summed in double
 * (acc, nparams); then noise of sd noise * clip on every coordinate, and
 * the mean over rows into grad.  *loss gets the summed loss.  Errors:
 * FL_EIO (no randomness).
 */
static int
dp_batch_grad(struct fl_nn *nn, const float *params, size_t rows,
    const struct fl_hparams *hp, struct fl_noise *ns, float *g1, double *acc,
    float *grad, double *loss, struct fl_err *err)
{
	const struct fl_model *m = nn->m;
	size_t d = m->prep.d, np = m->nparams, i, j;
	double norm, f;
	int rc;

	*loss = 0.0;

	memset(acc, 0, np * sizeof(*acc));
	for (i = 0; i < rows; i++) {
		*loss += fl_nn_loss_grad(nn, params, nn->x + i * d,
		    nn->y + i, NULL, 1, 1.0f, g1);
		norm = sqrt(nn->be->dot(np, g1, g1));
		f = norm > hp->dp_clip ? hp->dp_clip / norm : 1.0;
		for (j = 0; j < np; j++)
			acc[j] += f * g1[j];
	}
	for (j = 0; j < np; j++)
		grad[j] = (float)acc[j];
	if (hp->dp_noise > 0.0 && (rc = noise_add(ns, grad, np,
	    hp->dp_noise * hp->dp_clip, err)) < 0)
		return rc;
	for (j = 0; j < np; j++)
		grad[j] /= (float)rows;
	return 0;
}

/* Check the issue 4 hyperparameters.  Errors: FL_EUSAGE. */
static int
check_extras(const struct fl_model *m, const struct fl_hparams *hp,
    struct fl_err *err)
{
	if (!(hp->prox_mu >= 0.0) || !isfinite(hp->prox_mu))
		return fl_err_set(err, FL_EUSAGE, "the proximal term's mu "
		    "must be 0 or more");
	if (!(hp->dp_clip >= 0.0) || !isfinite(hp->dp_clip) ||
	    !(hp->dp_noise >= 0.0) || !isfinite(hp->dp_noise))
		return fl_err_set(err, FL_EUSAGE, "DP-SGD's clip and noise "
		    "must be 0 or more");
	if (hp->dp_clip == 0.0 && hp->dp_noise > 0.0)
		return fl_err_set(err, FL_EUSAGE, "DP-SGD's noise needs a "
		    "clipping norm");
	if (hp->dp_clip > 0.0 && !fl_dp_sgd_supported(m))
		return fl_err_set(err, FL_EUSAGE, "DP-SGD needs per-row "
		    "gradients, which the %s head does not have",
		    fl_task_name(m->task));
	return 0;
}

/* The fast path's mean loss and gradient over n rows; see fl.h. */
int
fl_loss_grad(const struct fl_model *m, size_t n, const float *X,
    const float *y, double l2, const struct fl_backend *be, float *grad,
    double *loss, struct fl_err *err)
{
	const struct fl_head *head = fl_head_get(m->task);
	struct fl_nn nn;
	float *g1 = NULL;
	size_t r, rows, j;
	double sum;
	int rc;

	if (n == 0)
		return fl_err_set(err, FL_EUSAGE, "no rows");
	if (head->unit != FL_HEAD_PER_ROW)
		return fl_err_set(err, FL_EUSAGE, "the %s head is not a sum "
		    "over rows", head->name);
	if (be == NULL && (rc = fl_backend_get(&be, FL_DEVICE_CPU, err)) < 0)
		return rc;
	if (!be->host_memory)
		return fl_err_set(err, FL_EUSAGE, "the %s backend cannot "
		    "compute a loss over host rows; use the CPU", be->name);
	if ((rc = head->check(m, n, y, NULL, err)) < 0)
		return rc;
	/* At most LOSS_BATCH rows at a time: a CNN's workspace holds every
	 * stage's output for each row of a batch.  Later batches' gradients
	 * are added in through g1 (host memory, as the rest of this hook). */
	if ((rc = fl_nn_init(&nn, m, head, be, n < LOSS_BATCH ? n :
	    LOSS_BATCH, err)) < 0)
		return rc;
	if (n > LOSS_BATCH && (g1 = malloc(m->nparams * sizeof(*g1))) ==
	    NULL) {
		fl_nn_release(&nn);
		return fl_err_set(err, FL_ENOMEM, "out of memory");
	}
	sum = 0.0;
	for (r = 0; r < n; r += rows) {
		rows = n - r < LOSS_BATCH ? n - r : LOSS_BATCH;
		sum += fl_nn_loss_grad(&nn, m->params, X + r * m->prep.d,
		    y + r, NULL, rows, 1.0f / (float)n, r == 0 ? grad : g1);
		for (j = 0; r > 0 && j < m->nparams; j++)
			grad[j] += g1[j];
	}
	*loss = sum / (double)n + fl_nn_add_l2(m, m->params, grad, l2);
	free(g1);
	fl_nn_release(&nn);
	return 0;
}

/* The gradient of a non-private step; see fl.h. */
int
fl_step_grad(const struct fl_model *m, size_t n, const float *X,
    const float *y, const struct fl_hparams *hp, const float *start,
    float *grad, double *loss, struct fl_err *err)
{
	int rc;

	if ((rc = check_extras(m, hp, err)) < 0)
		return rc;
	if (hp->prox_mu != 0.0 && start == NULL)
		return fl_err_set(err, FL_EUSAGE, "no starting point for the "
		    "proximal term");
	if ((rc = fl_loss_grad(m, n, X, y, hp->l2, hp->backend, grad, loss,
	    err)) < 0)
		return rc;
	*loss += add_terms(hp, m->nparams, m->params, start, grad);
	return 0;
}

/* The privacy of DP-SGD on n rows; see fl.h. */
int
fl_dp_sgd_account(size_t n, const struct fl_hparams *hp, double delta,
    struct fl_dp_sgd *out, struct fl_err *err)
{
	size_t norders, bsz;
	double *rdp;

	memset(out, 0, sizeof(*out));
	if (n == 0 || hp->batch == 0 || hp->epochs == 0)
		return fl_err_set(err, FL_EUSAGE, "no rows or no steps");
	if (!(hp->dp_noise > 0.0) || !isfinite(hp->dp_noise))
		return fl_err_set(err, FL_EUSAGE, "no DP noise to account");
	if (!(delta > 0.0 && delta < 1.0))
		return fl_err_set(err, FL_EUSAGE, "delta must be in (0, 1)");
	bsz = hp->batch < n ? hp->batch : n;
	out->q = (double)bsz / (double)n;
	out->steps = (size_t)hp->epochs * ((n + bsz - 1) / bsz);
	out->sigma = hp->dp_noise;
	out->clip = hp->dp_clip;
	out->delta = delta;
	fl_dp_orders(&norders);
	if ((rdp = calloc(norders, sizeof(*rdp))) == NULL)
		return fl_err_set(err, FL_ENOMEM, "out of memory");
	if (fl_dp_rdp_add(rdp, out->q, out->sigma, (double)out->steps) < 0) {
		free(rdp);
		return fl_err_set(err, FL_EUSAGE, "the accountant refused "
		    "q %g, sigma %g", out->q, out->sigma);
	}
	out->epsilon = fl_dp_epsilon(rdp, delta, &out->order);
	free(rdp);
	return 0;
}

/*
 * Train m in place; see fl.h.  The head decides how: a per-row head
 * trains on minibatches of rows shuffled by the "shuffle" stream, with
 * res->loss the mean data loss (without the L2 penalty) over the last
 * epoch's rows; a full-batch head takes one step per epoch over all rows
 * in their order, with res->loss the last step's loss.  On error m's
 * parameters are partly trained and should be discarded.
 */
int
fl_train(struct fl_model *m, const struct fl_dataset *ds,
    const struct fl_hparams *hp, struct fl_train_result *res,
    struct fl_err *err)
{
	const struct fl_head *head = fl_head_get(m->task);
	const struct fl_backend *be = hp->backend;
	const float *X, *y, *t;
	struct fl_nn nn;
	struct fl_optim opt;
	struct fl_rng rng;
	struct fl_noise *ns = NULL;
	size_t *order = NULL, bsz, nbatch, total, step = 0, i, b, rows, psz;
	float *params = NULL, *grad = NULL, *start = NULL, *g1 = NULL;
	float *hx = NULL, *hy = NULL, *dstart = NULL, *dcorr = NULL;
	double loss, epoch_loss = 0.0, *acc = NULL;
	int dp = hp->dp_clip > 0.0;
	int full = head->batch == FL_HEAD_FULLBATCH;
	int per_row = head->unit == FL_HEAD_PER_ROW;
	unsigned e;
	int rc;

	/* The extras assume a loss that is a sum over rows. */
	if (!per_row && (hp->prox_mu != 0.0 || hp->correction != NULL ||
	    hp->dp_clip > 0.0))
		return fl_err_set(err, FL_EUSAGE, "%s models do not support "
		    "--prox-mu, --scaffold or DP-SGD yet",
		    fl_task_name(m->task));
	memset(&nn, 0, sizeof(nn));
	memset(&opt, 0, sizeof(opt));
	memset(res, 0, sizeof(*res));
	if ((rc = check_data(m, ds, err)) < 0 ||
	    (per_row && (rc = check_extras(m, hp, err)) < 0))
		return rc;
	if (hp->epochs == 0 || (!full && hp->batch == 0))
		return fl_err_set(err, FL_EUSAGE, full ? "epochs must be "
		    "positive" : "epochs and batch size must be positive");
	if (!(hp->lr > 0.0) || !isfinite(hp->lr))
		return fl_err_set(err, FL_EUSAGE, "learning rate must be "
		    "positive");
	if ((rc = head->check(m, ds->n, ds->y, ds->time, err)) < 0)
		return rc;
	if (be == NULL && (rc = fl_backend_get(&be, FL_DEVICE_CPU, err)) < 0)
		return rc;
	/* A device backend runs the plain per-row loop; DP-SGD's per-row
	 * clipping and the Cox head are host code. */
	if (!be->host_memory && (!per_row || full || dp))
		return fl_err_set(err, FL_EUSAGE, "the %s backend does not "
		    "run %s yet; use --device cpu", be->name, dp ? "DP-SGD" :
		    fl_task_name(m->task));
	bsz = full || hp->batch >= ds->n ? ds->n : hp->batch;
	nbatch = (ds->n + bsz - 1) / bsz;
	if (fl_size_mul(nbatch, hp->epochs, &total) < 0)
		return fl_err_set(err, FL_EUSAGE, "too many steps");
	if ((rc = fl_nn_init(&nn, m, head, be, bsz, err)) < 0 ||
	    (rc = fl_optim_init(&opt, hp, m->nparams, err)) < 0)
		goto out;
	nn.training = 1;	/* dropout on, drawn from the seed */
	nn.seed = hp->seed;
	/* The parameters and gradient live in the backend's buffers for the
	 * whole training; the parameters come back to m at the end. */
	psz = m->nparams * sizeof(float);
	if ((params = be->alloc(psz)) != NULL)
		be->upload(params, m->params, psz);
	grad = be->alloc(psz);
	if (!full)
		order = malloc(ds->n * sizeof(*order));
	if (hp->prox_mu != 0.0 && (start = malloc(m->nparams *
	    sizeof(*start))) != NULL)
		memcpy(start, m->params, m->nparams * sizeof(*start));
	if (!be->host_memory) {
		hx = malloc(bsz * ds->d * sizeof(*hx));
		hy = malloc(bsz * sizeof(*hy));
		if (start != NULL && (dstart = be->alloc(psz)) != NULL)
			be->upload(dstart, start, psz);
		if (hp->correction != NULL && (dcorr = be->alloc(psz)) !=
		    NULL)
			be->upload(dcorr, hp->correction, psz);
	}
	if (dp) {
		g1 = malloc(m->nparams * sizeof(*g1));
		acc = malloc(m->nparams * sizeof(*acc));
		if (fl_noise_new(&ns, hp->dp_seeded, hp->dp_seed, "dp-noise",
		    err) < 0)
			ns = NULL;
	}
	if ((!full && order == NULL) || params == NULL || grad == NULL ||
	    (hp->prox_mu != 0.0 && start == NULL) ||
	    (dp && (g1 == NULL || acc == NULL || ns == NULL)) ||
	    (!be->host_memory && (hx == NULL || hy == NULL ||
	    (start != NULL && dstart == NULL) ||
	    (hp->correction != NULL && dcorr == NULL)))) {
		rc = fl_err_set(err, FL_ENOMEM, "out of memory");
		goto out;
	}
	for (i = 0; !full && i < ds->n; i++)
		order[i] = i;
	fl_rng_seed(&rng, hp->seed, "shuffle");

	for (e = 0; e < hp->epochs; e++) {
		if (!full)
			fl_rng_shuffle(&rng, order, ds->n);
		epoch_loss = 0.0;
		for (b = 0; b < nbatch; b++) {
			rows = ds->n - b * bsz < bsz ? ds->n - b * bsz : bsz;
			if (full) {
				/* All rows in their order: risk sets need
				 * the whole site, and no copy is made. */
				X = ds->X;
				y = ds->y;
				t = ds->time;
			} else {
				gather(&nn, ds, order + b * bsz, rows, hx,
				    hy);
				X = nn.x;
				y = nn.y;
				t = NULL;
			}
			if (dp) {
				if ((rc = dp_batch_grad(&nn, params, rows,
				    hp, ns, g1, acc, grad, &loss, err)) < 0)
					goto out;
			} else
				loss = fl_nn_loss_grad(&nn, params, X, y,
				    t, rows, per_row ? 1.0f / (float)rows :
				    1.0f, grad);
			if (!isfinite(loss)) {
				rc = fl_err_set(err, FL_ENUM, "training "
				    "diverged (loss is %s); lower --lr",
				    isnan(loss) ? "nan" : "inf");
				goto out;
			}
			epoch_loss += loss;
			if (be->host_memory) {
				fl_nn_add_l2(m, params, grad, hp->l2);
				add_terms(hp, m->nparams, params, start,
				    grad);
			} else
				device_terms(be, m, hp, params, dstart,
				    dcorr, grad);
			fl_optim_step(&opt, params, grad);
			step++;
			if (hp->progress != NULL)
				hp->progress(hp->progress_ctx, step, total);
		}
	}
	be->download(m->params, params, psz);
	if ((rc = backend_error(be, err)) < 0)
		goto out;
	if (!all_finite(m->params, m->nparams)) {
		rc = fl_err_set(err, FL_ENUM, "training diverged (parameters "
		    "are not finite); lower --lr");
		goto out;
	}
	res->loss = per_row ? epoch_loss / (double)ds->n :
	    epoch_loss / (double)nbatch;
	res->samples = ds->n;
	res->steps = step;
	rc = 0;
out:
	free(order);
	if (be != NULL) {
		be->free(params);
		be->free(grad);
		be->free(dstart);
		be->free(dcorr);
	}
	free(hx);
	free(hy);
	free(start);
	free(g1);
	free(acc);
	fl_noise_free(ns);
	fl_optim_release(&opt);
	fl_nn_release(&nn);
	return rc;
}

/* Predict every row of ds in batches; see fl.h. */
int
fl_predict(const struct fl_model *m, const struct fl_dataset *ds,
    const struct fl_backend *be, float *out, struct fl_err *err)
{
	const struct fl_head *head = fl_head_get(m->task);
	struct fl_nn nn;
	size_t k = m->widths[m->nlayers], bsz, r, rows;
	size_t psz = m->nparams * sizeof(float);
	float *params = NULL, *z = NULL;
	int rc;

	if ((rc = check_data(m, ds, err)) < 0)
		return rc;
	if (be == NULL && (rc = fl_backend_get(&be, FL_DEVICE_CPU, err)) < 0)
		return rc;
	bsz = ds->n < PREDICT_BATCH ? ds->n : PREDICT_BATCH;
	if ((rc = fl_nn_init(&nn, m, head, be, bsz, err)) < 0)
		return rc;
	/* A device backend gets the parameters once and each chunk of rows
	 * in one upload; its logits come back to z (bsz, k). */
	if (!be->host_memory) {
		if ((params = be->alloc(psz)) != NULL)
			be->upload(params, m->params, psz);
		z = malloc(bsz * k * sizeof(*z));
		if (params == NULL || z == NULL) {
			rc = fl_err_set(err, FL_ENOMEM, "out of memory");
			goto out;
		}
	}
	for (r = 0; r < ds->n; r += rows) {
		rows = ds->n - r < bsz ? ds->n - r : bsz;
		if (be->host_memory) {
			fl_nn_forward(&nn, m->params, ds->X + r * ds->d, rows);
			head->output(nn.act[m->nlayers], rows, k, out + r * k);
			continue;
		}
		be->upload(nn.x, ds->X + r * ds->d, rows * ds->d *
		    sizeof(float));
		fl_nn_forward(&nn, params, nn.x, rows);
		be->download(z, nn.act[m->nlayers], rows * k * sizeof(*z));
		head->output(z, rows, k, out + r * k);
	}
	rc = backend_error(be, err);
out:
	be->free(params);
	free(z);
	fl_nn_release(&nn);
	return rc;
}
