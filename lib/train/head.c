/*
 * head.c: the heads of the dense tasks (binary, multiclass, regression)
 * and the table that gives each task its head; the Cox head of survival
 * models is in cox.c.  fl_train's one loop (train.c) and the one backward
 * pass (nn.c) read everything task-specific from this table.  The dense
 * heads' losses are the backend's loss ops (blas.c, ref.c); the reference
 * they mirror is head_loss in ref.c.
 */
#include <math.h>
#include <stddef.h>

#include "train/train.h"
#include "model/model_int.h"
#include "compute/nn.h"

/* Check the labels y (n) against m's task.  Errors: FL_ENUM. */
static int
check_labels(const struct fl_model *m, size_t n, const float *y,
    const float *time, struct fl_err *err)
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

/*
 * The summed loss of logits Z (rows, k) against y and scale * dloss/dZ
 * into dZ (rows, k): the backend's loss op (fl_blas_loss on the CPU, the
 * same formulas as head_loss in ref.c, evaluated in double per element).
 * A backend without the op, whose buffers are host memory, gets the CPU's
 * loop.
 */
static double
backend_loss(const struct fl_backend *be, enum fl_op op, const float *Z,
    size_t rows, size_t k, const float *y, float scale, float *dZ)
{
	if (be->supports(op))
		return be->loss(op, Z, rows, k, y, scale, dZ);
	return fl_blas_loss(op, Z, rows, k, y, scale, dZ);
}

static double
binary_loss_grad(const struct fl_backend *be, const float *Z, size_t rows,
    size_t k, const float *y, const float *time, void *scratch, float scale,
    float *dZ)
{
	return backend_loss(be, FL_OP_LOSS_BCE, Z, rows, k, y, scale, dZ);
}

static double
multiclass_loss_grad(const struct fl_backend *be, const float *Z,
    size_t rows, size_t k, const float *y, const float *time, void *scratch,
    float scale, float *dZ)
{
	return backend_loss(be, FL_OP_LOSS_CE, Z, rows, k, y, scale, dZ);
}

static double
regression_loss_grad(const struct fl_backend *be, const float *Z,
    size_t rows, size_t k, const float *y, const float *time, void *scratch,
    float scale, float *dZ)
{
	return backend_loss(be, FL_OP_LOSS_MSE, Z, rows, k, y, scale, dZ);
}

/* Predictions: the probability of class 1, of each class, or the value. */
static void
binary_output(const float *Z, size_t rows, size_t k, float *out)
{
	size_t i;

	for (i = 0; i < rows; i++)
		out[i * k] = (float)(1.0 / (1.0 + exp(-(double)Z[i * k])));
}

static void
multiclass_output(const float *Z, size_t rows, size_t k, float *out)
{
	size_t i, j;
	double zmax, sum;

	for (i = 0; i < rows; i++) {
		const float *z = Z + i * k;
		float *o = out + i * k;

		zmax = z[0];
		for (j = 1; j < k; j++)
			zmax = fmax(zmax, z[j]);
		sum = 0.0;
		for (j = 0; j < k; j++)
			sum += exp(z[j] - zmax);
		for (j = 0; j < k; j++)
			o[j] = (float)(exp(z[j] - zmax) / sum);
	}
}

/* The identity: regression's value, and also the Cox head's eta. */
static void
identity_output(const float *Z, size_t rows, size_t k, float *out)
{
	size_t i;

	for (i = 0; i < rows; i++)
		out[i * k] = Z[i * k];
}

static const struct fl_head head_binary = {
	"binary", FL_HEAD_MINIBATCH, FL_HEAD_PER_ROW, 0, 0, check_labels,
	binary_loss_grad, binary_output
};
static const struct fl_head head_multiclass = {
	"multiclass", FL_HEAD_MINIBATCH, FL_HEAD_PER_ROW, 0, 0, check_labels,
	multiclass_loss_grad, multiclass_output
};
static const struct fl_head head_regression = {
	"regression", FL_HEAD_MINIBATCH, FL_HEAD_PER_ROW, 0, 0,
	check_labels, regression_loss_grad, identity_output
};

/* The head of task t; see nn.h. */
const struct fl_head *
fl_head_get(enum fl_task t)
{
	switch (t) {
	case FL_TASK_BINARY:
		return &head_binary;
	case FL_TASK_MULTICLASS:
		return &head_multiclass;
	case FL_TASK_SURVIVAL:
		return &fl_head_cox;
	case FL_TASK_REGRESSION:
	default:
		return &head_regression;
	}
}
