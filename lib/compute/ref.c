/*
 * ref.c: the reference.  Plain loops, double accumulators, no BLAS, written
 * to be read: the oracle that the fast path (blas.c, nn.c) and any future
 * kernel are tested against, and itself checked by finite differences
 * (test/unit/test_model.c).
 */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "compute/compute.h"
#include "model/model_int.h"

/*
 * C = alpha * op(A) op(B) + beta * C, row-major.  op(A) is (m, k): A is
 * (m, k) with row stride lda, or (k, m) when transa.  op(B) is (k, n): B is
 * (k, n) with stride ldb, or (n, k) when transb.  C is (m, n), stride ldc.
 * As in BLAS, beta == 0 overwrites C without reading it.
 */
void
fl_ref_gemm(int transa, int transb, size_t m, size_t n, size_t k,
    float alpha, const float *A, size_t lda, const float *B, size_t ldb,
    float beta, float *C, size_t ldc)
{
	size_t i, j, p;
	double acc, a, b;

	for (i = 0; i < m; i++) {
		for (j = 0; j < n; j++) {
			acc = 0.0;
			for (p = 0; p < k; p++) {
				a = transa ? A[p * lda + i] : A[i * lda + p];
				b = transb ? B[j * ldb + p] : B[p * ldb + j];
				acc += a * b;
			}
			acc *= alpha;
			if (beta != 0.0f)
				acc += (double)beta * C[i * ldc + j];
			C[i * ldc + j] = (float)acc;
		}
	}
}

/*
 * One dense layer: z = W a + b.  W is (out, in) row-major, b is (out),
 * a is (in), z is (out).
 */
static void
dense_forward(const double *W, const double *b, size_t out, size_t in,
    const double *a, double *z)
{
	size_t i, j;
	double acc;

	for (i = 0; i < out; i++) {
		acc = b[i];
		for (j = 0; j < in; j++)
			acc += W[i * in + j] * a[j];
		z[i] = acc;
	}
}

/* ReLU in place: v (n). */
static void
relu(double *v, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++)
		if (v[i] < 0.0)
			v[i] = 0.0;
}

/*
 * The loss of one row for the task's head, and its derivative with
 * respect to the outputs z (nout) into dz (nout).
 *   binary:     log(1 + e^z) - y z, computed stably; dz = sigmoid(z) - y
 *   multiclass: logsumexp(z) - z[y], stably;   dz = softmax(z) - onehot(y)
 *   regression: (z - y)^2;                      dz = 2 (z - y)
 */
static double
head_loss(enum fl_task task, const double *z, size_t nout, double y,
    double *dz)
{
	double zmax, sum, lse;
	size_t k, cls;

	switch (task) {
	case FL_TASK_BINARY:
		dz[0] = 1.0 / (1.0 + exp(-z[0])) - y;
		return fmax(z[0], 0.0) - z[0] * y + log1p(exp(-fabs(z[0])));
	case FL_TASK_MULTICLASS:
		cls = (size_t)y;
		zmax = z[0];
		for (k = 1; k < nout; k++)
			zmax = fmax(zmax, z[k]);
		sum = 0.0;
		for (k = 0; k < nout; k++)
			sum += exp(z[k] - zmax);
		lse = zmax + log(sum);
		for (k = 0; k < nout; k++)
			dz[k] = exp(z[k] - lse) - (k == cls ? 1.0 : 0.0);
		return lse - z[cls];
	case FL_TASK_REGRESSION:
	default:
		dz[0] = 2.0 * (z[0] - y);
		return (z[0] - y) * (z[0] - y);
	}
}

/*
 * Backward through one dense layer, accumulating into gW (out, in) and
 * gb (out): gW += dz a^T, gb += dz.  When da (in) is not NULL it receives
 * W^T dz, the gradient with respect to the layer's input.
 */
static void
dense_backward(const double *W, size_t out, size_t in, const double *a,
    const double *dz, double *gW, double *gb, double *da)
{
	size_t i, j;

	for (i = 0; i < out; i++) {
		gb[i] += dz[i];
		for (j = 0; j < in; j++)
			gW[i * in + j] += dz[i] * a[j];
	}
	if (da == NULL)
		return;
	for (j = 0; j < in; j++) {
		da[j] = 0.0;
		for (i = 0; i < out; i++)
			da[j] += W[i * in + j] * dz[i];
	}
}

/* Zero the gradient where the ReLU was off: a (n) is the layer output. */
static void
relu_backward(const double *a, double *da, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++)
		if (a[i] <= 0.0)
			da[i] = 0.0;
}

/*
 * The backend ops (struct fl_backend in fl.h), one plain loop each, in
 * double where a sum or a product is formed.  The fast CPU ops in blas.c
 * and any kernel are checked against these (test/unit/test_backend.c).
 */

/* Z (rows, cols) += b (cols) on every row. */
void
fl_ref_bias_add(float *Z, size_t rows, size_t cols, const float *b)
{
	size_t i, j;

	for (i = 0; i < rows; i++)
		for (j = 0; j < cols; j++)
			Z[i * cols + j] = (float)((double)Z[i * cols + j] +
			    b[j]);
}

/* v (n) = max(v, 0), in place. */
void
fl_ref_relu(float *v, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++)
		v[i] = v[i] > 0.0f ? v[i] : 0.0f;
}

/* dA (n) = 0 where the ReLU's output A (n) is not positive. */
void
fl_ref_relu_backward(const float *A, float *dA, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++)
		if (!(A[i] > 0.0f))
			dA[i] = 0.0f;
}

/* b (cols) = the column sums of D (rows, cols), in double. */
void
fl_ref_col_sums(const float *D, size_t rows, size_t cols, float *b)
{
	size_t i, j;
	double acc;

	for (j = 0; j < cols; j++) {
		acc = 0.0;
		for (i = 0; i < rows; i++)
			acc += (double)D[i * cols + j];
		b[j] = (float)acc;
	}
}

/*
 * A loss head over rows: for each row, head_loss on the row's logits Z
 * (rows, k) in double; scale * dz into dZ (rows, k).  Returns the summed
 * loss, or NaN for an op that is not a loss or when out of memory.
 */
double
fl_ref_loss(enum fl_op op, const float *Z, size_t rows, size_t k,
    const float *y, float scale, float *dZ)
{
	enum fl_task task;
	double *z, *dz, loss = 0.0;
	size_t i, j;

	switch (op) {
	case FL_OP_LOSS_BCE:
		task = FL_TASK_BINARY;
		break;
	case FL_OP_LOSS_CE:
		task = FL_TASK_MULTICLASS;
		break;
	case FL_OP_LOSS_MSE:
		task = FL_TASK_REGRESSION;
		break;
	default:
		return NAN;
	}
	z = malloc((k > 0 ? k : 1) * sizeof(*z));
	dz = malloc((k > 0 ? k : 1) * sizeof(*dz));
	if (z == NULL || dz == NULL) {
		free(z);
		free(dz);
		return NAN;
	}
	for (i = 0; i < rows; i++) {
		for (j = 0; j < k; j++)
			z[j] = Z[i * k + j];
		loss += head_loss(task, z, k, y[i], dz);
		for (j = 0; j < k; j++)
			dZ[i * k + j] = (float)((double)scale * dz[j]);
	}
	free(z);
	free(dz);
	return loss;
}

/* SGD with momentum, in double per element: v = momentum v + g; p -= lr v.
 * p, v and g are (n). */
void
fl_ref_sgd(size_t n, float lr, float momentum, float *p, float *v,
    const float *g)
{
	size_t i;
	double vi;

	for (i = 0; i < n; i++) {
		vi = (double)momentum * v[i] + g[i];
		v[i] = (float)vi;
		p[i] = (float)((double)p[i] - (double)lr * vi);
	}
}

/*
 * Adam, in double per element: m = b1 m + (1 - b1) g; v = b2 v + (1 - b2)
 * g^2; p -= lr (m c1) / (sqrt(v c2) + eps).  p, m, v and g are (n).
 */
void
fl_ref_adam(size_t n, float lr, float b1, float b2, float eps, float c1,
    float c2, float *p, float *m, float *v, const float *g)
{
	size_t i;
	double mi, vi;

	for (i = 0; i < n; i++) {
		mi = (double)b1 * m[i] + (1.0 - b1) * g[i];
		vi = (double)b2 * v[i] + (1.0 - b2) * (double)g[i] * g[i];
		m[i] = (float)mi;
		v[i] = (float)vi;
		p[i] = (float)((double)p[i] - (double)lr * (mi * c1) /
		    (sqrt(vi * c2) + eps));
	}
}

/* The sum of a[i] b[i] over n, in double. */
double
fl_ref_dot(size_t n, const float *a, const float *b)
{
	double acc = 0.0;
	size_t i;

	for (i = 0; i < n; i++)
		acc += (double)a[i] * (double)b[i];
	return acc;
}

/* y (n) += a x (n), in double per element. */
void
fl_ref_axpy(size_t n, float a, const float *x, float *y)
{
	size_t i;

	for (i = 0; i < n; i++)
		y[i] = (float)((double)y[i] + (double)a * x[i]);
}

/*
 * Mean loss and gradient over n rows plus the L2 penalty on weights; see
 * fl.h.  params and grad are (nparams), X is (n, d), y is (n).  Each row
 * is run forward, keeping every layer's output, then backward.  Returns
 * NaN when out of memory.
 */
double
fl_ref_loss_grad(const struct fl_model *m, const double *params, size_t n,
    const float *X, const float *y, double l2, double *grad)
{
	size_t L = m->nlayers, l, r, j, off[FL_MAX_LAYERS + 2], tot = 0;
	double *act = NULL, *da = NULL, *db = NULL, *tmp, loss = 0.0;
	double *gscratch = NULL;
	size_t maxw = 0;

	/* act holds the layer boundaries a_0 (input) .. a_L (logits). */
	for (l = 0; l <= L; l++) {
		off[l] = tot;
		tot += m->widths[l];
		if (m->widths[l] > maxw)
			maxw = m->widths[l];
	}
	act = malloc(tot * sizeof(double));
	da = malloc(maxw * sizeof(double));
	db = malloc(maxw * sizeof(double));
	if (grad == NULL)
		grad = gscratch = malloc(m->nparams * sizeof(double));
	if (act == NULL || da == NULL || db == NULL || grad == NULL) {
		loss = NAN;
		goto out;
	}
	memset(grad, 0, m->nparams * sizeof(double));

	for (r = 0; r < n; r++) {
		for (j = 0; j < m->widths[0]; j++)
			act[j] = X[r * m->widths[0] + j];
		for (l = 0; l < L; l++) {
			dense_forward(params + m->woff[l], params + m->boff[l],
			    m->widths[l + 1], m->widths[l], act + off[l],
			    act + off[l + 1]);
			if (l + 1 < L)
				relu(act + off[l + 1], m->widths[l + 1]);
		}
		loss += head_loss(m->task, act + off[L], m->widths[L], y[r],
		    da);
		/* da is now d(loss_r)/d(a_L); walk back to the input. */
		for (l = L; l-- > 0; ) {
			dense_backward(params + m->woff[l], m->widths[l + 1],
			    m->widths[l], act + off[l], da, grad + m->woff[l],
			    grad + m->boff[l], l > 0 ? db : NULL);
			if (l > 0) {
				relu_backward(act + off[l], db, m->widths[l]);
				tmp = da;
				da = db;
				db = tmp;
			}
		}
	}

	/* Mean over rows, then the penalty l2/2 |W|^2 on weights only. */
	if (n > 0) {
		loss /= (double)n;
		for (j = 0; j < m->nparams; j++)
			grad[j] /= (double)n;
	}
	for (l = 0; l < L; l++) {
		size_t nw = m->widths[l] * m->widths[l + 1];
		const double *w = params + m->woff[l];

		for (j = 0; j < nw; j++) {
			loss += 0.5 * l2 * w[j] * w[j];
			grad[m->woff[l] + j] += l2 * w[j];
		}
	}
out:
	free(act);
	free(da);
	free(db);
	free(gscratch);
	return loss;
}

/*
 * The Cox reference: the negative log partial likelihood with Breslow ties,
 * divided by the number of events D, plus l2/2 |W|^2; see fl.h.  params
 * and grad are (nparams), X is (n, d), time and event are (n).  Written
 * the slow way on purpose, to differ from the sorted fast path in cox.c:
 *
 *   L = (1/D) sum over events i of [ log S_i - eta_i ],
 *   S_i = sum over j with time_j >= time_i of exp(eta_j),
 *   dL/deta_k = (1/D) [ sum over events i with time_i <= time_k of
 *               exp(eta_k) / S_i  -  event_k ].
 *
 * Every S_i is summed afresh (O(n^2)), after subtracting the largest eta.
 * Each row is run forward keeping its activations, then backward with its
 * dL/deta.  Returns NaN when out of memory.
 */
double
fl_ref_cox_loss_grad(const struct fl_model *m, const double *params,
    size_t n, const float *X, const float *time, const float *event,
    double l2, double *grad)
{
	size_t L = m->nlayers, l, r, i, j, off[FL_MAX_LAYERS + 2], tot = 0;
	size_t maxw = 0, nw;
	double *act = NULL, *da = NULL, *db = NULL, *eta = NULL, *S = NULL;
	double *gscratch = NULL, *tmp, loss = 0.0, D = 0.0, M = -INFINITY;
	double acc;
	const double *w;

	for (l = 0; l <= L; l++) {
		off[l] = tot;
		tot += m->widths[l];
		if (m->widths[l] > maxw)
			maxw = m->widths[l];
	}
	/* act holds every row's layer boundaries: row r at act + r * tot. */
	act = malloc((n > 0 ? n : 1) * tot * sizeof(double));
	eta = malloc((n > 0 ? n : 1) * sizeof(double));
	S = malloc((n > 0 ? n : 1) * sizeof(double));
	da = malloc(maxw * sizeof(double));
	db = malloc(maxw * sizeof(double));
	if (grad == NULL)
		grad = gscratch = malloc(m->nparams * sizeof(double));
	if (act == NULL || eta == NULL || S == NULL || da == NULL ||
	    db == NULL || grad == NULL) {
		loss = NAN;
		goto out;
	}
	memset(grad, 0, m->nparams * sizeof(double));

	for (r = 0; r < n; r++) {
		double *a = act + r * tot;

		for (j = 0; j < m->widths[0]; j++)
			a[j] = X[r * m->widths[0] + j];
		for (l = 0; l < L; l++) {
			dense_forward(params + m->woff[l], params + m->boff[l],
			    m->widths[l + 1], m->widths[l], a + off[l],
			    a + off[l + 1]);
			if (l + 1 < L)
				relu(a + off[l + 1], m->widths[l + 1]);
		}
		eta[r] = a[off[L]];
		if (eta[r] > M)
			M = eta[r];
		D += event[r] == 1.0f;
	}
	/* The risk set sums, and the loss. */
	for (i = 0; i < n; i++) {
		if (event[i] != 1.0f)
			continue;
		acc = 0.0;
		for (j = 0; j < n; j++)
			if (time[j] >= time[i])
				acc += exp(eta[j] - M);
		S[i] = acc;
		loss += M + log(acc) - eta[i];
	}
	for (r = 0; D > 0.0 && r < n; r++) {
		double *a = act + r * tot;

		acc = 0.0;
		for (i = 0; i < n; i++)
			if (event[i] == 1.0f && time[i] <= time[r])
				acc += exp(eta[r] - M) / S[i];
		da[0] = (acc - (event[r] == 1.0f)) / D;
		for (l = L; l-- > 0; ) {
			dense_backward(params + m->woff[l], m->widths[l + 1],
			    m->widths[l], a + off[l], da, grad + m->woff[l],
			    grad + m->boff[l], l > 0 ? db : NULL);
			if (l > 0) {
				relu_backward(a + off[l], db, m->widths[l]);
				tmp = da;
				da = db;
				db = tmp;
			}
		}
	}
	if (D > 0.0)
		loss /= D;
	for (l = 0; l < L; l++) {
		nw = m->widths[l] * m->widths[l + 1];
		w = params + m->woff[l];
		for (j = 0; j < nw; j++) {
			loss += 0.5 * l2 * w[j] * w[j];
			grad[m->woff[l] + j] += l2 * w[j];
		}
	}
out:
	free(act);
	free(eta);
	free(S);
	free(da);
	free(db);
	free(gscratch);
	return loss;
}
