/*
 * cox.c: the Cox head, the train layer's part of survival models: the
 * negative log partial likelihood with Breslow ties over the rows of one
 * site, and its gradient on eta, on top of the dense stack and the one
 * backward pass of nn.c; fl_train trains it full batch.  The reference is
 * fl_ref_cox_loss_grad in ref.c; the model's survival description is in
 * survmodel.c, the federated baseline in baseline.c, the metrics in
 * survival.c; the manuals are fl-init(1), fl-eval(1) and fl-archive(5).
 */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "train/train.h"
#include "model/model_int.h"
#include "compute/nn.h"

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
check_survival(const struct fl_model *m, size_t n, const float *event,
    const float *time, struct fl_err *err)
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
 * dL/deta_k = (exp(eta_k) A(t_k) - event_k) / D.  eta (n, k = 1) in
 * float, scale * dL/deta into deta (n); scratch holds n struct timed.
 * Returns the loss (no penalty).  The trainer passes scale 1, and a
 * product by 1.0 in double is exact.  Host code: be is not used.
 */
static double
cox_loss_grad(const struct fl_backend *be, const float *eta, size_t n,
    size_t k1, const float *event, const float *time, void *scratch,
    float scale, float *deta)
{
	double M = -INFINITY, S = 0.0, A = 0.0, D = 0.0, loss = 0.0, d;
	struct timed *by = scratch;
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

			deta[r] = (float)(scale * ((exp((double)eta[r] - M) *
			    A - (event[r] == 1.0f)) / D));
		}
	}
	return loss / D;
}

/* The predicted log-risk eta, as is. */
static void
cox_output(const float *Z, size_t rows, size_t k, float *out)
{
	size_t i;

	for (i = 0; i < rows; i++)
		out[i * k] = Z[i * k];
}

const struct fl_head fl_head_cox = {
	"cox", FL_HEAD_FULLBATCH, FL_HEAD_PER_RISKSET, 1, sizeof(struct timed),
	check_survival, cox_loss_grad, cox_output
};

/* The fast path's Cox loss and gradient; see fl.h. */
int
fl_cox_loss_grad(const struct fl_model *m, size_t n, const float *X,
    const float *time, const float *event, double l2,
    const struct fl_backend *be, float *grad, double *loss,
    struct fl_err *err)
{
	struct fl_nn nn;
	int rc;

	if (n == 0)
		return fl_err_set(err, FL_EUSAGE, "no rows");
	if (m->task != FL_TASK_SURVIVAL)
		return fl_err_set(err, FL_EUSAGE, "not a survival model");
	if ((rc = check_survival(m, n, event, time, err)) < 0)
		return rc;
	if (be == NULL && (rc = fl_backend_get(&be, FL_DEVICE_CPU, err)) < 0)
		return rc;
	if ((rc = fl_nn_init(&nn, m, &fl_head_cox, be, n, err)) < 0)
		return rc;
	*loss = fl_nn_loss_grad(&nn, m->params, X, event, time, n, 1.0f,
	    grad) + fl_nn_add_l2(m, m->params, grad, l2);
	fl_nn_release(&nn);
	return 0;
}
