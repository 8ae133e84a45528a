/*
 * nn.c: the fast float path for dense models.  Batched forward and
 * backward through backend->gemm (OpenBLAS, the reference, or later CUDA),
 * with bias, ReLU and the heads as plain loops.  The oracle it is tested
 * against is fl_ref_loss_grad in ref.c.
 */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "fl.h"
#include "model_int.h"
#include "nn.h"

/* Allocate the workspace for batches of up to cap rows; see nn.h. */
int
fl_nn_init(struct fl_nn *nn, const struct fl_model *m,
    const struct fl_backend *be, size_t cap, struct fl_err *err)
{
	size_t l, tot, w, maxw = 0, sz;

	memset(nn, 0, sizeof(*nn));
	nn->m = m;
	nn->be = be;
	nn->cap = cap;
	/* x and act[1..L] hold cap * width each; y holds cap; d0, d1. */
	tot = cap;
	for (l = 0; l <= m->nlayers; l++) {
		if (m->widths[l] > maxw)
			maxw = m->widths[l];
		if (fl_size_mul(cap, m->widths[l], &w) < 0 ||
		    tot > (size_t)-1 - w)
			goto nomem;
		tot += w;
	}
	if (fl_size_mul(cap, maxw, &w) < 0 || w > ((size_t)-1 - tot) / 2)
		goto nomem;
	tot += 2 * w;
	if (fl_size_mul(tot, sizeof(float), &sz) < 0 ||
	    (nn->buf = malloc(sz)) == NULL)
		goto nomem;
	nn->x = nn->buf;
	nn->act[0] = nn->x;
	tot = cap * m->widths[0];
	for (l = 1; l <= m->nlayers; l++) {
		nn->act[l] = nn->buf + tot;
		tot += cap * m->widths[l];
	}
	nn->y = nn->buf + tot;
	tot += cap;
	nn->d0 = nn->buf + tot;
	nn->d1 = nn->d0 + w;
	return 0;
nomem:
	return fl_err_set(err, FL_ENOMEM, "out of memory for a batch of %zu "
	    "rows", cap);
}

/* Free the workspace; a released or zeroed one is fine. */
void
fl_nn_release(struct fl_nn *nn)
{
	free(nn->buf);
	memset(nn, 0, sizeof(*nn));
}

/* Add the bias b (cols) to every row of Z (rows, cols). */
static void
add_bias(float *Z, size_t rows, size_t cols, const float *b)
{
	size_t i, j;

	for (i = 0; i < rows; i++)
		for (j = 0; j < cols; j++)
			Z[i * cols + j] += b[j];
}

/* ReLU in place on v (n). */
static void
relu(float *v, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++)
		if (v[i] < 0.0f)
			v[i] = 0.0f;
}

/* Forward: act[l+1] = relu(act[l] W_l^T + b_l), no ReLU on the last. */
void
fl_nn_forward(struct fl_nn *nn, const float *params, const float *X,
    size_t rows)
{
	const struct fl_model *m = nn->m;
	const float *in = X;
	size_t l, win, wout;

	for (l = 0; l < m->nlayers; l++) {
		win = m->widths[l];
		wout = m->widths[l + 1];
		/* Z (rows, out) = A (rows, in) * W^T, W being (out, in). */
		nn->be->gemm(0, 1, rows, wout, win, 1.0f, in, win,
		    params + m->woff[l], win, 0.0f, nn->act[l + 1], wout);
		add_bias(nn->act[l + 1], rows, wout, params + m->boff[l]);
		if (l + 1 < m->nlayers)
			relu(nn->act[l + 1], rows * wout);
		in = nn->act[l + 1];
	}
}

/*
 * The head of rows rows: the summed loss of logits Z (rows, k) against y,
 * and scale * d(loss)/dZ into dZ (rows, k).  Same formulas as head_loss in
 * ref.c, evaluated in double per element.
 */
static double
head(enum fl_task task, const float *Z, size_t rows, size_t k,
    const float *y, float scale, float *dZ)
{
	double loss = 0.0, z, zmax, sum, lse;
	size_t i, j, cls;

	for (i = 0; i < rows; i++) {
		const float *zr = Z + i * k;
		float *dr = dZ + i * k;

		switch (task) {
		case FL_TASK_BINARY:
			z = zr[0];
			loss += fmax(z, 0.0) - z * y[i] +
			    log1p(exp(-fabs(z)));
			dr[0] = (float)(scale * (1.0 / (1.0 + exp(-z)) -
			    y[i]));
			break;
		case FL_TASK_MULTICLASS:
			cls = (size_t)y[i];
			zmax = zr[0];
			for (j = 1; j < k; j++)
				zmax = fmax(zmax, zr[j]);
			sum = 0.0;
			for (j = 0; j < k; j++)
				sum += exp(zr[j] - zmax);
			lse = zmax + log(sum);
			loss += lse - zr[cls];
			for (j = 0; j < k; j++)
				dr[j] = (float)(scale * (exp(zr[j] - lse) -
				    (j == cls ? 1.0 : 0.0)));
			break;
		case FL_TASK_REGRESSION:
		default:
			z = (double)zr[0] - y[i];
			loss += z * z;
			dr[0] = (float)(scale * 2.0 * z);
			break;
		}
	}
	return loss;
}

/* Column sums of D (rows, cols) into b (cols), accumulated in double. */
static void
col_sums(const float *D, size_t rows, size_t cols, float *b)
{
	size_t i, j;
	double acc;

	for (j = 0; j < cols; j++) {
		acc = 0.0;
		for (i = 0; i < rows; i++)
			acc += D[i * cols + j];
		b[j] = (float)acc;
	}
}

/* Zero dA (n) where the ReLU output A (n) was not positive. */
static void
relu_backward(const float *A, float *dA, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++)
		if (A[i] <= 0.0f)
			dA[i] = 0.0f;
}

/* Forward and backward over a batch; see nn.h. */
double
fl_nn_loss_grad(struct fl_nn *nn, const float *params, const float *X,
    const float *y, size_t rows, float scale, float *grad)
{
	const struct fl_model *m = nn->m;
	size_t L = m->nlayers, l, win, wout;
	float *dz = nn->d0, *dprev = nn->d1, *tmp;
	const float *in;
	double loss;

	fl_nn_forward(nn, params, X, rows);
	loss = head(m->task, nn->act[L], rows, m->widths[L], y, scale, dz);
	for (l = L; l-- > 0; ) {
		win = m->widths[l];
		wout = m->widths[l + 1];
		in = l == 0 ? X : nn->act[l];
		/* gW (out, in) = dZ^T (out, rows) * A (rows, in). */
		nn->be->gemm(1, 0, wout, win, rows, 1.0f, dz, wout, in, win,
		    0.0f, grad + m->woff[l], win);
		col_sums(dz, rows, wout, grad + m->boff[l]);
		if (l == 0)
			break;
		/* dA (rows, in) = dZ (rows, out) * W (out, in). */
		nn->be->gemm(0, 0, rows, win, wout, 1.0f, dz, wout,
		    params + m->woff[l], win, 0.0f, dprev, win);
		relu_backward(nn->act[l], dprev, rows * win);
		tmp = dz;
		dz = dprev;
		dprev = tmp;
	}
	return loss;
}

/* Add the L2 gradient to the weights; see nn.h. */
double
fl_nn_add_l2(const struct fl_model *m, const float *params, float *grad,
    double l2)
{
	size_t l, j, nw;
	double pen = 0.0;
	const float *w;
	float *g;

	if (l2 == 0.0)
		return 0.0;
	for (l = 0; l < m->nlayers; l++) {
		nw = m->widths[l] * m->widths[l + 1];
		w = params + m->woff[l];
		g = grad + m->woff[l];
		for (j = 0; j < nw; j++) {
			pen += (double)w[j] * w[j];
			g[j] += (float)(l2 * w[j]);
		}
	}
	return 0.5 * l2 * pen;
}

/* Check the labels against the task; see nn.h. */
int
fl_nn_check_labels(const struct fl_model *m, size_t n, const float *y,
    struct fl_err *err)
{
	size_t i;

	for (i = 0; i < n; i++) {
		float v = y[i];

		if (!isfinite(v))
			return fl_err_set(err, FL_ENUM, "row %zu: label is "
			    "not a finite number", i + 1);
		if (m->task == FL_TASK_BINARY && v != 0.0f && v != 1.0f)
			return fl_err_set(err, FL_ENUM, "row %zu: label %g is "
			    "not 0 or 1", i + 1, (double)v);
		if (m->task == FL_TASK_MULTICLASS && (v < 0.0f ||
		    v >= (float)m->nclasses || v != floorf(v)))
			return fl_err_set(err, FL_ENUM, "row %zu: label %g is "
			    "not a class in 0..%zu", i + 1, (double)v,
			    m->nclasses - 1);
	}
	return 0;
}

/* The fast path's mean loss and gradient over n rows; see fl.h. */
int
fl_loss_grad(const struct fl_model *m, size_t n, const float *X,
    const float *y, double l2, const struct fl_backend *be, float *grad,
    double *loss, struct fl_err *err)
{
	struct fl_nn nn;
	double sum;
	int rc;

	if (n == 0)
		return fl_err_set(err, FL_EUSAGE, "no rows");
	if (be == NULL && (rc = fl_backend_get(&be, FL_DEVICE_CPU, err)) < 0)
		return rc;
	if ((rc = fl_nn_check_labels(m, n, y, err)) < 0)
		return rc;
	if ((rc = fl_nn_init(&nn, m, be, n, err)) < 0)
		return rc;
	sum = fl_nn_loss_grad(&nn, m->params, X, y, n, 1.0f / (float)n,
	    grad);
	*loss = sum / (double)n + fl_nn_add_l2(m, m->params, grad, l2);
	fl_nn_release(&nn);
	return 0;
}
