/*
 * test_head.c: the head table and the one backward pass (lib/train/head.c,
 * lib/train/cox.c, lib/compute/nn.c), and the layer table (lib/model/model.c).  Every head's
 * fast-path gradient, through the single backward pass of nn.c, against
 * central finite differences of its own loss; the layer table's names,
 * shapes and offsets for a small stack.
 */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "fl.h"
#include "unit.h"

#define N	12	/* rows */
#define D	3	/* features */

/*
 * The fast path's loss at m's parameters: fl_loss_grad, or for survival
 * fl_cox_loss_grad with times t.  NaN on error.
 */
static double
loss_at(const struct fl_model *m, const float *X, const float *y,
    const float *t, float *g)
{
	struct fl_err err = FL_ERR_INIT;
	double loss;
	int rc;

	if (fl_model_task(m) == FL_TASK_SURVIVAL)
		rc = fl_cox_loss_grad(m, N, X, t, y, 0.05, NULL, g, &loss,
		    &err);
	else
		rc = fl_loss_grad(m, N, X, y, 0.05, NULL, g, &loss, &err);
	if (rc < 0) {
		fprintf(stderr, "loss_at: %s\n", err.msg);
		return NAN;
	}
	return loss;
}

/*
 * Central differences of the float loss with step h = 1e-3 against the
 * gradient of one backward pass: the loss is smooth away from ReLU kinks
 * (which steps this small on random data miss), so the truncation
 * error is O(h^2) and float rounding of the loss costs about 1e-4;
 * tolerance |g - num| <= 2e-3 + 2e-2 |num|.  (The data's seed matters
 * for the hidden layers: seed 11 puts a ReLU kink within h of a row of
 * mlp:4,3, and that coordinate's difference is then meaningless.)
 */
static void
check_head(const char *spec, enum fl_task task, size_t k)
{
	struct fl_err err = FL_ERR_INIT;
	struct fl_model *m;
	struct fl_rng r;
	float X[N * D], y[N], t[N], *p, *g, *scratch, save;
	double lp, lm, num;
	size_t np, i, bad = 0;
	const float h = 1e-3f;

	if (fl_model_new(&m, spec, task, k, D, NULL, "y", &err) < 0) {
		fprintf(stderr, "%s: %s\n", spec, err.msg);
		CHECK(0);
		return;
	}
	if (task == FL_TASK_SURVIVAL)
		CHECK_OK(fl_model_set_survival(m, "time", NULL, 0, &err),
		    &err);
	fl_rng_seed(&r, 12, spec);
	for (i = 0; i < N * D; i++)
		X[i] = (float)fl_rng_normal(&r);
	for (i = 0; i < N; i++) {
		switch (task) {
		case FL_TASK_BINARY:
			y[i] = (float)(i % 2);
			break;
		case FL_TASK_MULTICLASS:
			y[i] = (float)(i % k);
			break;
		case FL_TASK_REGRESSION:
			y[i] = (float)fl_rng_normal(&r);
			break;
		default:
			y[i] = (float)(i % 3 != 0);
			break;
		}
		t[i] = (float)(1 + fl_rng_below(&r, 5));	/* ties */
	}
	fl_model_init_params(m, 5);
	np = fl_model_nparams(m);
	p = fl_model_params(m);
	for (i = 0; i < np; i++)
		p[i] += (float)(0.1 * fl_rng_normal(&r));
	g = malloc(np * sizeof(float));
	scratch = malloc(np * sizeof(float));
	CHECK(g != NULL && scratch != NULL);
	if (g == NULL || scratch == NULL)
		goto out;
	CHECK(isfinite(loss_at(m, X, y, t, g)));
	for (i = 0; i < np; i++) {
		save = p[i];
		p[i] = save + h;
		lp = loss_at(m, X, y, t, scratch);
		p[i] = save - h;
		lm = loss_at(m, X, y, t, scratch);
		p[i] = save;
		num = (lp - lm) / (2.0 * (double)h);
		if (!(fabs(g[i] - num) <= 2e-3 + 2e-2 * fabs(num))) {
			if (bad++ < 5)
				fprintf(stderr, "%s: grad[%zu] = %.7g, "
				    "finite difference %.7g\n", spec, i,
				    (double)g[i], num);
		}
	}
	CHECK(bad == 0);
	/* The Cox head's output bias cancels: its gradient is exactly 0. */
	if (task == FL_TASK_SURVIVAL)
		CHECK(g[np - 1] == 0.0f);
out:
	free(g);
	free(scratch);
	fl_model_free(m);
}

/* The layer table of mlp:4 on 3 features, binary. */
static void
check_layers(void)
{
	static const struct {
		const char	*name;
		size_t		 ndim, s0, s1, off, size;
	} want[] = {
		{ "fc0.weight", 2, 4, 3, 0, 12 },
		{ "fc0.bias", 1, 4, 0, 12, 4 },
		{ "fc1.weight", 2, 1, 4, 16, 4 },
		{ "fc1.bias", 1, 1, 0, 20, 1 },
	};
	struct fl_err err = FL_ERR_INIT;
	const struct fl_param_tensor *t;
	const struct fl_layer *ly;
	struct fl_model *m;
	size_t i;

	CHECK_OK(fl_model_new(&m, "mlp:4", FL_TASK_BINARY, 0, 3, NULL, NULL,
	    &err), &err);
	if (m == NULL)
		return;
	CHECK(fl_model_nparams(m) == 21);
	CHECK(fl_model_ntensors(m) == 4);
	for (i = 0; i < 4 && i < fl_model_ntensors(m); i++) {
		t = fl_model_tensor(m, i);
		CHECK(strcmp(t->name, want[i].name) == 0);
		CHECK(t->ndim == want[i].ndim);
		CHECK(t->shape[0] == want[i].s0);
		CHECK(t->ndim < 2 || t->shape[1] == want[i].s1);
		CHECK(t->off == want[i].off);
		CHECK(t->size == want[i].size);
	}
	CHECK(fl_model_tensor(m, 4) == NULL);
	ly = fl_model_layer(m, 0);
	CHECK(ly->type == FL_LAYER_DENSE && ly->in == 3 && ly->out == 4 &&
	    ly->first == 0 && ly->ntensors == 2);
	ly = fl_model_layer(m, 1);
	CHECK(ly->type == FL_LAYER_DENSE && ly->in == 4 && ly->out == 1 &&
	    ly->first == 2 && ly->ntensors == 2);
	CHECK(fl_model_layer(m, 2) == NULL);
	fl_model_free(m);
}

int
main(void)
{
	UNIT_CASE("logreg binary", check_head("logreg", FL_TASK_BINARY, 0));
	UNIT_CASE("mlp:5 binary", check_head("mlp:5", FL_TASK_BINARY, 0));
	UNIT_CASE("softmax multiclass", check_head("softmax", FL_TASK_MULTICLASS, 3));
	UNIT_CASE("mlp:4,3 multiclass", check_head("mlp:4,3", FL_TASK_MULTICLASS, 3));
	UNIT_CASE("linear regression", check_head("linear", FL_TASK_REGRESSION, 0));
	UNIT_CASE("mlp:5 regression", check_head("mlp:5", FL_TASK_REGRESSION, 0));
	UNIT_CASE("cox survival", check_head("cox", FL_TASK_SURVIVAL, 0));
	UNIT_CASE("mlp:4 survival", check_head("mlp:4", FL_TASK_SURVIVAL, 0));
	unit_run("layers", check_layers);
	return unit_done("test_head");
}
