/*
 * cox.c: the Cox proportional hazards loss (negative log partial
 * likelihood, Breslow ties, over the rows of one site) on top of the
 * dense stack of nn.c, and its full-batch training.  The reference is
 * fl_ref_cox_loss_grad in ref.c; the model's survival description is in
 * survmodel.c, the federated baseline in baseline.c, the metrics in
 * survival.c; the manuals are fl-init(1), fl-eval(1) and fl-archive(5).
 */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "fl.h"
#include "model_int.h"
#include "nn.h"

/* A row's time and its index, sorted by time. */
struct timed {
	double	t;
	size_t	i;
};

static int
cmp_timed(const void *a, const void *b)
{
	const struct timed *x = a, *y = b;

	if (x->t != y->t)
		return (x->t > y->t) - (x->t < y->t);
	return (x->i > y->i) - (x->i < y->i);
}

/* Check times (finite, >= 0) and events (0/1) of n rows.  FL_ENUM. */
static int
check_survival(size_t n, const float *time, const float *event,
    struct fl_err *err)
{
	size_t i;

	if (time == NULL)
		return fl_err_set(err, FL_EUSAGE, "no survival times");
	for (i = 0; i < n; i++) {
		if (!isfinite(time[i]) || time[i] < 0.0f)
			return fl_err_set(err, FL_ENUM, "row %zu: time %g is "
			    "not a finite number >= 0", i + 1,
			    (double)time[i]);
		if (event[i] != 0.0f && event[i] != 1.0f)
			return fl_err_set(err, FL_ENUM, "row %zu: event %g is "
			    "not 0 or 1", i + 1, (double)event[i]);
	}
	return 0;
}

/*
 * The loss and dL/deta of n rows, as in fl_ref_cox_loss_grad, by sorted
 * risk sets in O(n log n): walking times from the largest down, the risk
 * sum S of a group of tied times includes the whole group (Breslow); then
 * walking up, A(t) = sum over event times u <= t of d_u / S_u and
 * dL/deta_k = (exp(eta_k) A(t_k) - event_k) / D.  eta (n) in float,
 * deta (n) out; by (n) is scratch.  Returns the loss (no penalty).
 */
static double
cox_deta(size_t n, const float *eta, const float *time, const float *event,
    struct timed *by, float *deta)
{
	double M = -INFINITY, S = 0.0, A = 0.0, D = 0.0, loss = 0.0, d;
	size_t i, j, k;

	for (i = 0; i < n; i++) {
		by[i].t = time[i];
		by[i].i = i;
		if (eta[i] > M)
			M = eta[i];
		D += event[i] == 1.0f;
	}
	if (D == 0.0) {
		memset(deta, 0, n * sizeof(float));
		return 0.0;
	}
	qsort(by, n, sizeof(*by), cmp_timed);
	/* Down: S over each tied group; keep it in deta[] for now. */
	for (i = n; i > 0; i = j) {
		for (j = i - 1; j > 0 && by[j - 1].t == by[i - 1].t; j--)
			;
		for (k = j; k < i; k++)
			S += exp((double)eta[by[k].i] - M);
		for (k = j; k < i; k++) {
			deta[by[k].i] = (float)S;
			if (event[by[k].i] == 1.0f)
				loss += M + log(S) - eta[by[k].i];
		}
	}
	/* Up: A over each tied group, then the derivatives. */
	for (i = 0; i < n; i = j) {
		S = deta[by[i].i];
		d = 0.0;
		for (j = i; j < n && by[j].t == by[i].t; j++)
			d += event[by[j].i] == 1.0f;
		A += d / S;
		for (k = i; k < j; k++) {
			size_t r = by[k].i;

			deta[r] = (float)((exp((double)eta[r] - M) * A -
			    (event[r] == 1.0f)) / D);
		}
	}
	return loss / D;
}

/*
 * Backward through the stack from dz (rows, 1), as in fl_nn_loss_grad:
 * grad (nparams) is overwritten.  The output layer's bias gradient is set
 * to exactly 0, which it is in exact arithmetic: a shift of every eta
 * cancels in the partial likelihood (and Adam would turn rounding noise
 * there into full-size steps).
 */
static void
cox_backward(struct fl_nn *nn, const float *params, const float *X,
    size_t rows, float *grad)
{
	const struct fl_model *m = nn->m;
	size_t L = m->nlayers, l, i, j, win, wout;
	float *dz = nn->d0, *dprev = nn->d1, *tmp;
	const float *in;
	double acc;

	for (l = L; l-- > 0; ) {
		win = m->widths[l];
		wout = m->widths[l + 1];
		in = l == 0 ? X : nn->act[l];
		nn->be->gemm(1, 0, wout, win, rows, 1.0f, dz, wout, in, win,
		    0.0f, grad + m->woff[l], win);
		for (j = 0; j < wout; j++) {
			acc = 0.0;
			for (i = 0; i < rows; i++)
				acc += dz[i * wout + j];
			grad[m->boff[l] + j] = (float)acc;
		}
		if (l == 0)
			break;
		nn->be->gemm(0, 0, rows, win, wout, 1.0f, dz, wout,
		    params + m->woff[l], win, 0.0f, dprev, win);
		for (i = 0; i < rows * win; i++)
			if (nn->act[l][i] <= 0.0f)
				dprev[i] = 0.0f;
		tmp = dz;
		dz = dprev;
		dprev = tmp;
	}
	grad[m->boff[L - 1]] = 0.0f;
}

/* Loss and gradient of all n rows through a workspace of n rows. */
static double
cox_step(struct fl_nn *nn, const float *params, size_t n, const float *X,
    const float *time, const float *event, struct timed *by, float *grad)
{
	double loss;

	fl_nn_forward(nn, params, X, n);
	loss = cox_deta(n, nn->act[nn->m->nlayers], time, event, by, nn->d0);
	cox_backward(nn, params, X, n, grad);
	return loss;
}

/* The fast path's Cox loss and gradient; see fl.h. */
int
fl_cox_loss_grad(const struct fl_model *m, size_t n, const float *X,
    const float *time, const float *event, double l2,
    const struct fl_backend *be, float *grad, double *loss,
    struct fl_err *err)
{
	struct fl_nn nn;
	struct timed *by;
	int rc;

	if (n == 0)
		return fl_err_set(err, FL_EUSAGE, "no rows");
	if (m->task != FL_TASK_SURVIVAL)
		return fl_err_set(err, FL_EUSAGE, "not a survival model");
	if ((rc = check_survival(n, time, event, err)) < 0)
		return rc;
	if (be == NULL && (rc = fl_backend_get(&be, FL_DEVICE_CPU, err)) < 0)
		return rc;
	if ((by = malloc(n * sizeof(*by))) == NULL)
		return fl_err_set(err, FL_ENOMEM, "out of memory");
	if ((rc = fl_nn_init(&nn, m, be, n, err)) < 0) {
		free(by);
		return rc;
	}
	*loss = cox_step(&nn, m->params, n, X, time, event, by, grad) +
	    fl_nn_add_l2(m, m->params, grad, l2);
	fl_nn_release(&nn);
	free(by);
	return 0;
}

/* Full-batch training of a survival model; see fl.h. */
int
fl_cox_train(struct fl_model *m, const struct fl_dataset *ds,
    const struct fl_hparams *hp, struct fl_train_result *res,
    struct fl_err *err)
{
	const struct fl_backend *be = hp->backend;
	struct fl_nn nn;
	struct fl_optim opt;
	struct timed *by = NULL;
	float *grad = NULL;
	double loss = 0.0;
	unsigned e;
	size_t i;
	int rc;

	memset(&nn, 0, sizeof(nn));
	memset(&opt, 0, sizeof(opt));
	memset(res, 0, sizeof(*res));
	if (ds->n == 0)
		return fl_err_set(err, FL_EUSAGE, "no rows to work on");
	if (ds->d != m->widths[0])
		return fl_err_set(err, FL_EUSAGE, "data has %zu features, "
		    "model '%s' expects %zu", ds->d, m->spec, m->widths[0]);
	if (hp->epochs == 0)
		return fl_err_set(err, FL_EUSAGE, "epochs must be positive");
	if (!(hp->lr > 0.0) || !isfinite(hp->lr))
		return fl_err_set(err, FL_EUSAGE, "learning rate must be "
		    "positive");
	if ((rc = check_survival(ds->n, ds->time, ds->y, err)) < 0)
		return rc;
	if (be == NULL && (rc = fl_backend_get(&be, FL_DEVICE_CPU, err)) < 0)
		return rc;
	if ((rc = fl_nn_init(&nn, m, be, ds->n, err)) < 0 ||
	    (rc = fl_optim_init(&opt, hp, m->nparams, err)) < 0)
		goto out;
	by = malloc(ds->n * sizeof(*by));
	grad = malloc(m->nparams * sizeof(*grad));
	if (by == NULL || grad == NULL) {
		rc = fl_err_set(err, FL_ENOMEM, "out of memory");
		goto out;
	}
	for (e = 0; e < hp->epochs; e++) {
		loss = cox_step(&nn, m->params, ds->n, ds->X, ds->time, ds->y,
		    by, grad);
		if (!isfinite(loss)) {
			rc = fl_err_set(err, FL_ENUM, "training diverged "
			    "(loss is %s); lower --lr",
			    isnan(loss) ? "nan" : "inf");
			goto out;
		}
		fl_nn_add_l2(m, m->params, grad, hp->l2);
		grad[m->boff[m->nlayers - 1]] = 0.0f;
		fl_optim_step(&opt, m->params, grad);
		if (hp->progress != NULL)
			hp->progress(hp->progress_ctx, e + 1, hp->epochs);
	}
	for (i = 0; i < m->nparams; i++)
		if (!isfinite(m->params[i])) {
			rc = fl_err_set(err, FL_ENUM, "training diverged "
			    "(parameters are not finite); lower --lr");
			goto out;
		}
	res->loss = loss;
	res->samples = ds->n;
	res->steps = hp->epochs;
	rc = 0;
out:
	free(by);
	free(grad);
	fl_optim_release(&opt);
	fl_nn_release(&nn);
	return rc;
}
