/*
 * test_train.c: fl_train and fl_predict (lib/train/train.c): loss falls on easy
 * data with both optimizers, runs are reproducible by seed, an MLP learns
 * XOR, softmax outputs are distributions, divergence is reported.
 */
#include <stdlib.h>
#include <string.h>

#include "fl.h"
#include "unit.h"

/* n rows of d features; y by kind: 0 separable, 1 XOR, 2 three classes. */
static struct fl_dataset *
make_data(size_t n, size_t d, int kind, uint64_t seed)
{
	struct fl_dataset *ds = calloc(1, sizeof(*ds));
	struct fl_rng r;
	size_t i, j;
	float *x;

	ds->n = n;
	ds->d = d;
	ds->X = malloc(n * d * sizeof(float));
	ds->y = malloc(n * sizeof(float));
	fl_rng_seed(&r, seed, "data");
	for (i = 0; i < n; i++) {
		x = ds->X + i * d;
		for (j = 0; j < d; j++)
			x[j] = (float)(2.0 * fl_rng_uniform(&r) - 1.0);
		if (kind == 0)
			ds->y[i] = x[0] + 0.5f * x[1] > 0.0f;
		else if (kind == 1)
			ds->y[i] = (x[0] > 0.0f) != (x[1] > 0.0f);
		else
			ds->y[i] = x[0] < -0.3f ? 0.0f : x[0] < 0.3f ? 1.0f :
			    2.0f;
	}
	return ds;
}

static void
free_data(struct fl_dataset *ds)
{
	free(ds->X);
	free(ds->y);
	free(ds);
}

/* Count progress calls, checking that done counts up to total. */
struct prog {
	size_t calls, last, total;
	int ok;
};

static void
on_progress(void *ctx, size_t done, size_t total)
{
	struct prog *p = ctx;

	p->ok &= done == p->last + 1 && done <= total;
	p->last = done;
	p->total = total;
	p->calls++;
}

/* Train a fresh model and return it; NULL on failure. */
static struct fl_model *
train(const char *spec, enum fl_task task, size_t k, struct fl_dataset *ds,
    struct fl_hparams *hp, struct fl_train_result *res)
{
	struct fl_err err = FL_ERR_INIT;
	struct fl_model *m;

	if (fl_model_new(&m, spec, task, k, ds->d, NULL, NULL, &err) < 0) {
		fprintf(stderr, "%s\n", err.msg);
		return NULL;
	}
	fl_model_init_params(m, 11);
	CHECK_OK(fl_train(m, ds, hp, res, &err), &err);
	return m;
}

/* Train expecting failure: NULL and err filled, or the model. */
static struct fl_model *
train_quiet(const char *spec, enum fl_task task, struct fl_dataset *ds,
    struct fl_hparams *hp, struct fl_err *err)
{
	struct fl_train_result res;
	struct fl_model *m;

	if (fl_model_new(&m, spec, task, 0, ds->d, NULL, NULL, err) < 0)
		return NULL;
	fl_model_init_params(m, 11);
	if (fl_train(m, ds, hp, &res, err) < 0) {
		fl_model_free(m);
		return NULL;
	}
	return m;
}

int
main(void)
{
	struct fl_dataset *sep = make_data(400, 3, 0, 1);
	struct fl_dataset *xor = make_data(800, 2, 1, 2);
	struct fl_dataset *tri = make_data(300, 2, 2, 3);
	struct fl_hparams hp = FL_HPARAMS_INIT;
	struct fl_train_result res;
	struct fl_err err = FL_ERR_INIT;
	struct fl_model *a, *b, *c;
	struct prog pg = { 0, 0, 0, 1 };
	struct fl_metrics mt;
	float *out;
	size_t i;
	int sums = 1;

	/* SGD with momentum on separable data. */
	hp.epochs = 30;
	hp.batch = 16;
	hp.lr = 0.5;
	hp.momentum = 0.9;
	hp.seed = 7;
	hp.progress = on_progress;
	hp.progress_ctx = &pg;
	a = train("logreg", FL_TASK_BINARY, 0, sep, &hp, &res);
	CHECK(res.loss < 0.1);
	CHECK(res.samples == 400 && res.steps == 30 * 25);
	CHECK(pg.ok && pg.calls == res.steps && pg.total == res.steps);
	hp.progress = NULL;

	/* The same seed again: bit-identical; another seed: different. */
	b = train("logreg", FL_TASK_BINARY, 0, sep, &hp, &res);
	CHECK(a != NULL && b != NULL && memcmp(fl_model_params(a),
	    fl_model_params(b), fl_model_nparams(a) * sizeof(float)) == 0);
	hp.seed = 8;
	c = train("logreg", FL_TASK_BINARY, 0, sep, &hp, &res);
	CHECK(c != NULL && memcmp(fl_model_params(a), fl_model_params(c),
	    fl_model_nparams(a) * sizeof(float)) != 0);
	fl_model_free(b);
	fl_model_free(c);

	/* Predictions of the trained model score well. */
	out = malloc(sep->n * sizeof(float));
	CHECK_OK(fl_predict(a, sep, NULL, out, &err), &err);
	CHECK_OK(fl_metrics_compute(FL_TASK_BINARY, sep->n, 1, out, sep->y,
	    &mt, &err), &err);
	CHECK(mt.accuracy > 0.97 && mt.auc > 0.99);
	free(out);
	fl_model_free(a);

	/* Adam on the same data, no momentum. */
	hp.optimizer = FL_OPT_ADAM;
	hp.lr = 0.05;
	hp.momentum = 0.0;
	hp.l2 = 1e-4;
	a = train("logreg", FL_TASK_BINARY, 0, sep, &hp, &res);
	CHECK(res.loss < 0.15);
	fl_model_free(a);

	/* An MLP learns XOR, which no linear model can. */
	hp.epochs = 60;
	hp.batch = 32;
	hp.lr = 0.01;
	hp.l2 = 0.0;
	a = train("mlp:16,16", FL_TASK_BINARY, 0, xor, &hp, &res);
	out = malloc(xor->n * sizeof(float));
	CHECK_OK(fl_predict(a, xor, NULL, out, &err), &err);
	CHECK_OK(fl_metrics_compute(FL_TASK_BINARY, xor->n, 1, out, xor->y,
	    &mt, &err), &err);
	CHECK(mt.accuracy > 0.9);
	free(out);
	fl_model_free(a);

	/* Softmax: outputs are probabilities summing to 1. */
	a = train("softmax", FL_TASK_MULTICLASS, 3, tri, &hp, &res);
	out = malloc(tri->n * 3 * sizeof(float));
	CHECK_OK(fl_predict(a, tri, NULL, out, &err), &err);
	for (i = 0; i < tri->n; i++) {
		float *p = out + 3 * i;

		sums &= p[0] >= 0 && p[1] >= 0 && p[2] >= 0 &&
		    fabs(p[0] + p[1] + p[2] - 1.0) < 1e-5;
	}
	CHECK(sums);
	CHECK_OK(fl_metrics_compute(FL_TASK_MULTICLASS, tri->n, 3, out,
	    tri->y, &mt, &err), &err);
	CHECK(mt.accuracy > 0.9);
	free(out);

	/* Squared error with a wild learning rate diverges, clearly. */
	hp.optimizer = FL_OPT_SGD;
	hp.lr = 100.0;
	hp.epochs = 20;
	c = train_quiet("linear", FL_TASK_REGRESSION, tri, &hp, &err);
	CHECK(c == NULL && err.code == FL_ENUM);
	CHECK(strcmp(err.msg, "training diverged (loss is nan); lower --lr")
	    == 0 || strcmp(err.msg, "training diverged (loss is inf); lower "
	    "--lr") == 0);

	/* Shape and emptiness errors. */
	hp.lr = 0.1;
	CHECK(fl_train(a, sep, &hp, &res, &err) == FL_EUSAGE);
	fl_model_free(a);

	free_data(sep);
	free_data(xor);
	free_data(tri);
	return unit_done("test_train");
}
