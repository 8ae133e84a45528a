/*
 * nn.c: the fast float path for dense models.  Batched forward and the
 * one backward pass through the backend's ops (gemm, bias_add, relu,
 * relu_backward, col_sums: OpenBLAS and the CPU loops, the reference, or
 * later CUDA), over a workspace the backend allocates; the loss on top is
 * the task's head (head.c, cox.c).  The oracles it is tested against are
 * fl_ref_loss_grad and fl_ref_cox_loss_grad in ref.c.
 */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "compute/compute.h"
#include "model/model_int.h"
#include "nn.h"

/* Allocate the workspace for batches of up to cap rows; see nn.h. */
int
fl_nn_init(struct fl_nn *nn, const struct fl_model *m,
    const struct fl_head *head, const struct fl_backend *be, size_t cap,
    struct fl_err *err)
{
	size_t l, tot, w, maxw = 0, sz;

	memset(nn, 0, sizeof(*nn));
	nn->m = m;
	nn->head = head;
	nn->be = be;
	nn->cap = cap;
	/* x and act[1..L] hold cap * width each; y holds cap; d0, d1. */
	tot = cap;
	for (l = 0; l <= m->nlayers; l++) {
		if (m->widths[l] > maxw)
			maxw = m->widths[l];
		/* x holds the input rows, a CNN's images (prep.d wide). */
		if (fl_size_mul(cap, l == 0 ? m->prep.d : m->widths[l],
		    &w) < 0 ||
		    tot > (size_t)-1 - w)
			goto nomem;
		tot += w;
	}
	if (fl_size_mul(cap, maxw, &w) < 0 || w > ((size_t)-1 - tot) / 2)
		goto nomem;
	tot += 2 * w;
	if (fl_size_mul(tot, sizeof(float), &sz) < 0 ||
	    (nn->buf = be->alloc(sz)) == NULL)
		goto nomem;
	nn->x = nn->buf;
	nn->act[0] = nn->x;
	tot = cap * m->prep.d;
	for (l = 1; l <= m->nlayers; l++) {
		nn->act[l] = nn->buf + tot;
		tot += cap * m->widths[l];
	}
	nn->y = nn->buf + tot;
	tot += cap;
	nn->d0 = nn->buf + tot;
	nn->d1 = nn->d0 + w;
	if (head->scratch > 0 && (fl_size_mul(cap, head->scratch, &sz) < 0 ||
	    (nn->scratch = malloc(sz > 0 ? sz : 1)) == NULL)) {
		fl_nn_release(nn);
		goto nomem;
	}
	if (m->nstages > 0 && fl_nn_cnn_init(nn, err) < 0) {
		fl_nn_release(nn);
		goto nomem;
	}
	return 0;
nomem:
	return fl_err_set(err, FL_ENOMEM, "out of memory for a batch of %zu "
	    "rows", cap);
}

/* Free the workspace; a released or zeroed one is fine. */
void
fl_nn_release(struct fl_nn *nn)
{
	if (nn->be != NULL) {
		nn->be->free(nn->buf);
		nn->be->free(nn->sbuf);
	}
	free(nn->scratch);
	memset(nn, 0, sizeof(*nn));
}

/* Forward: act[l+1] = relu(act[l] W_l^T + b_l), no ReLU on the last. */
void
fl_nn_forward(struct fl_nn *nn, const float *params, const float *X,
    size_t rows)
{
	const struct fl_model *m = nn->m;
	const float *in = X;
	size_t l, win, wout;

	/* A CNN's image stages first; the dense stack reads the last. */
	if (m->nstages > 0) {
		fl_nn_cnn_forward(nn, params, X, rows);
		in = nn->sact[m->nstages - 1];
	}
	for (l = 0; l < m->nlayers; l++) {
		win = m->widths[l];
		wout = m->widths[l + 1];
		/* Z (rows, out) = A (rows, in) * W^T, W being (out, in). */
		nn->be->gemm(0, 1, rows, wout, win, 1.0f, in, win,
		    params + m->woff[l], win, 0.0f, nn->act[l + 1], wout);
		nn->be->bias_add(nn->act[l + 1], rows, wout,
		    params + m->boff[l]);
		if (l + 1 < m->nlayers)
			nn->be->relu(nn->act[l + 1], rows * wout);
		in = nn->act[l + 1];
	}
}

/* The one backward pass from dZ in nn->d0; see nn.h. */
void
fl_nn_backward(struct fl_nn *nn, const float *params, const float *X,
    size_t rows, float *grad)
{
	const struct fl_model *m = nn->m;
	size_t L = m->nlayers, l, j, win, wout;
	float *dz = nn->d0, *dprev = nn->d1, *tmp;
	const float *in;

	const float *X0 = m->nstages > 0 ? nn->sact[m->nstages - 1] : X;

	for (l = L; l-- > 0; ) {
		win = m->widths[l];
		wout = m->widths[l + 1];
		in = l == 0 ? X0 : nn->act[l];
		/* gW (out, in) = dZ^T (out, rows) * A (rows, in). */
		nn->be->gemm(1, 0, wout, win, rows, 1.0f, dz, wout, in, win,
		    0.0f, grad + m->woff[l], win);
		nn->be->col_sums(dz, rows, wout, grad + m->boff[l]);
		if (l == 0 && m->nstages == 0)
			break;
		/* dA (rows, in) = dZ (rows, out) * W (out, in). */
		nn->be->gemm(0, 0, rows, win, wout, 1.0f, dz, wout,
		    params + m->woff[l], win, 0.0f, dprev, win);
		if (l == 0) {
			/* Into the image stages, which apply their own
			 * activations' derivatives. */
			fl_nn_cnn_backward(nn, params, X, rows, dprev, grad);
			break;
		}
		nn->be->relu_backward(nn->act[l], dprev, rows * win);
		tmp = dz;
		dz = dprev;
		dprev = tmp;
	}
	if (nn->head->fixed_bias)
		for (j = 0; j < m->widths[L]; j++)
			grad[m->boff[L - 1] + j] = 0.0f;
}

/* Forward, the head and backward over a batch; see nn.h. */
double
fl_nn_loss_grad(struct fl_nn *nn, const float *params, const float *X,
    const float *y, const float *time, size_t rows, float scale,
    float *grad)
{
	const struct fl_model *m = nn->m;
	size_t L = m->nlayers;
	double loss;

	fl_nn_forward(nn, params, X, rows);
	loss = nn->head->loss_grad(nn->be, nn->act[L], rows, m->widths[L], y,
	    time, nn->scratch, scale, nn->d0);
	fl_nn_backward(nn, params, X, rows, grad);
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
	/* A CNN's conv weights too (not their biases). */
	for (l = 0; l < m->nstages; l++) {
		const struct fl_stage *st = &m->stages[l];

		if (st->type != FL_LAYER_CONV)
			continue;
		nw = st->oc * st->c * st->k * st->k;
		w = params + st->woff;
		g = grad + st->woff;
		for (j = 0; j < nw; j++) {
			pen += (double)w[j] * w[j];
			g[j] += (float)(l2 * w[j]);
		}
	}
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
