/*
 * test_client.c: the client side of issue 4 (lib/train/train.c, lib/train/scaffold.c):
 * the FedProx and SCAFFOLD terms of a step against central finite
 * differences of the reference, SCAFFOLD's control-variate update and
 * state file by hand, and DP-SGD's per-row clipping, noise and privacy
 * record.
 */
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "fl.h"
#include "unit.h"

/* A dataset of n rows of d features from seed; labels for task. */
static struct fl_dataset *
make_data(size_t n, size_t d, enum fl_task task, uint64_t seed)
{
	struct fl_dataset *ds = calloc(1, sizeof(*ds));
	struct fl_rng r;
	size_t i;

	ds->n = n;
	ds->d = d;
	ds->X = calloc(n * d + 1, sizeof(float));
	ds->y = calloc(n + 1, sizeof(float));
	fl_rng_seed(&r, seed, "data");
	for (i = 0; i < n * d; i++)
		ds->X[i] = (float)fl_rng_normal(&r);
	for (i = 0; i < n; i++)
		ds->y[i] = task == FL_TASK_BINARY ?
		    (float)(fl_rng_uniform(&r) < 0.5) :
		    (float)fl_rng_normal(&r);
	return ds;
}

static void
free_data(struct fl_dataset *ds)
{
	free(ds->X);
	free(ds->y);
	free(ds);
}

/* The reference objective of fl_step_grad at params w (double). */
static double
ref_objective(const struct fl_model *m, const double *w,
    const struct fl_dataset *ds, const struct fl_hparams *hp,
    const float *start)
{
	double obj, dw;
	size_t i, n = fl_model_nparams(m);

	obj = fl_ref_loss_grad(m, w, ds->n, ds->X, ds->y, hp->l2, NULL);
	for (i = 0; i < n; i++) {
		dw = w[i] - start[i];
		obj += 0.5 * hp->prox_mu * dw * dw +
		    hp->correction[i] * w[i];
	}
	return obj;
}

/* FedProx and the SCAFFOLD correction: the fast step gradient against
 * central differences of the reference objective, in double. */
static void
test_step_grad(void)
{
	struct fl_err err = FL_ERR_INIT;
	struct fl_hparams hp = FL_HPARAMS_INIT;
	struct fl_dataset *ds = make_data(40, 5, FL_TASK_BINARY, 3);
	struct fl_model *m;
	struct fl_rng r;
	float *grad, *start, *corr, *p;
	double *w, loss, fp, fm, fd, h = 1e-5;
	size_t n, i, bad = 0;

	CHECK_OK(fl_model_new(&m, "mlp:4", FL_TASK_BINARY, 0, 5, NULL, NULL,
	    &err), &err);
	fl_model_init_params(m, 5);
	n = fl_model_nparams(m);
	grad = malloc(n * sizeof(float));
	start = malloc(n * sizeof(float));
	corr = malloc(n * sizeof(float));
	w = malloc(n * sizeof(double));
	p = fl_model_params(m);
	fl_rng_seed(&r, 9, "test");
	for (i = 0; i < n; i++) {
		start[i] = p[i] + (float)(0.3 * fl_rng_normal(&r));
		corr[i] = (float)(0.2 * fl_rng_normal(&r));
	}
	hp.l2 = 0.01;
	hp.prox_mu = 0.7;
	hp.correction = corr;
	CHECK_OK(fl_step_grad(m, ds->n, ds->X, ds->y, &hp, start, grad,
	    &loss, &err), &err);
	for (i = 0; i < n; i++)
		w[i] = p[i];
	CHECK_NEAR(loss, ref_objective(m, w, ds, &hp, start), 1e-5, 1e-5);
	for (i = 0; i < n; i++) {
		w[i] = p[i] + h;
		fp = ref_objective(m, w, ds, &hp, start);
		w[i] = p[i] - h;
		fm = ref_objective(m, w, ds, &hp, start);
		w[i] = p[i];
		fd = (fp - fm) / (2 * h);
		if (fabs(grad[i] - fd) > 1e-4 + 1e-3 * fabs(fd) && bad++ < 3)
			fprintf(stderr, "step grad [%zu]: %g, fd %g\n", i,
			    (double)grad[i], fd);
	}
	CHECK(bad == 0);
	/* Without the start point the proximal term cannot be taken. */
	CHECK(fl_step_grad(m, ds->n, ds->X, ds->y, &hp, NULL, grad, &loss,
	    &err) == FL_EUSAGE);
	hp.prox_mu = -1;
	CHECK(fl_step_grad(m, ds->n, ds->X, ds->y, &hp, start, grad, &loss,
	    &err) == FL_EUSAGE);
	free(grad);
	free(start);
	free(corr);
	free(w);
	fl_model_free(m);
	free_data(ds);
}

/* One full-batch SGD step with lr 1 from zero; the step is -(params). */
static struct fl_model *
one_step(const char *spec, enum fl_task task, struct fl_dataset *ds,
    struct fl_hparams *hp, struct fl_err *err)
{
	struct fl_train_result res;
	struct fl_model *m;

	if (fl_model_new(&m, spec, task, 0, ds->d, NULL, NULL, err) < 0)
		return NULL;
	hp->epochs = 1;
	hp->batch = ds->n;
	hp->lr = 1.0;
	if (fl_train(m, ds, hp, &res, err) < 0) {
		fl_model_free(m);
		return NULL;
	}
	return m;
}

/* SCAFFOLD: the control-variate update by hand, the correction in a
 * step, and the state file's round trip. */
static void
test_scaffold(void)
{
	static const float ci[2] = { 1, 2 }, c[2] = { 0.5f, -1 };
	static const float x[2] = { 3, 4 }, y[2] = { 2, 5 };
	struct fl_err err = FL_ERR_INIT;
	struct fl_hparams hp = FL_HPARAMS_INIT;
	struct fl_dataset *ds = make_data(6, 2, FL_TASK_REGRESSION, 4);
	struct fl_model *m, *m0, *other;
	float out[2], corr[3] = { 0.25f, -0.5f, 1.0f }, *v, *g;
	float a[3] = { 1, 2, 3 }, b[3] = { 4, 5, 6 };
	double loss;
	char path[] = "/tmp/fl-test-scaffold-XXXXXX";
	size_t i;
	int fd, ok;

	/* c_i+ = c_i - c + (x - y) / (K lr), K = 4, lr = 0.5. */
	fl_scaffold_update(2, ci, c, x, y, 4, 0.5, out);
	CHECK_NEAR(out[0], 1 - 0.5 + (3 - 2) / 2.0, 1e-6, 0);
	CHECK_NEAR(out[1], 2 + 1 + (4 - 5) / 2.0, 1e-6, 0);

	/* A step with the correction moves by -(g + c - c_i). */
	m0 = one_step("linear", FL_TASK_REGRESSION, ds, &hp, &err);
	hp.correction = corr;
	m = one_step("linear", FL_TASK_REGRESSION, ds, &hp, &err);
	CHECK(m0 != NULL && m != NULL);
	ok = 1;
	for (i = 0; m0 != NULL && m != NULL && i < 3; i++)
		ok &= fabsf(fl_model_params(m)[i] -
		    (fl_model_params(m0)[i] - corr[i])) < 1e-6f;
	CHECK(ok);
	hp.correction = NULL;

	/* The state file: absent is zeros, then c_i, and c_i's
	 * predecessor when the same model is trained again. */
	fd = mkstemp(path);
	CHECK(fd >= 0);
	close(fd);
	unlink(path);
	CHECK_OK(fl_scaffold_load(path, m, "sha256:aa", &v, &err), &err);
	CHECK(v != NULL && v[0] == 0 && v[1] == 0 && v[2] == 0);
	free(v);
	CHECK_OK(fl_scaffold_save(path, m, "sha256:aa", a, b, &err), &err);
	CHECK_OK(fl_scaffold_load(path, m, "sha256:bb", &v, &err), &err);
	CHECK(v != NULL && memcmp(v, b, sizeof(b)) == 0);
	free(v);
	CHECK_OK(fl_scaffold_load(path, m, "sha256:aa", &v, &err), &err);
	CHECK(v != NULL && memcmp(v, a, sizeof(a)) == 0);
	free(v);
	CHECK_OK(fl_model_new(&other, "linear", FL_TASK_REGRESSION, 0, 3,
	    NULL, NULL, &err), &err);
	CHECK(fl_scaffold_load(path, other, "sha256:bb", &v, &err) ==
	    FL_ESHAPE);
	CHECK(strstr(err.msg, path) != NULL);
	unlink(path);

	/* The fast step gradient adds the correction exactly. */
	g = malloc(6 * sizeof(float));
	CHECK_OK(fl_step_grad(m0, ds->n, ds->X, ds->y, &hp, NULL, g, &loss,
	    &err), &err);
	hp.correction = corr;
	CHECK_OK(fl_step_grad(m0, ds->n, ds->X, ds->y, &hp, NULL, g + 3,
	    &loss, &err), &err);
	hp.correction = NULL;
	for (i = 0; i < 3; i++)
		CHECK_NEAR(g[3 + i], g[i] + corr[i], 1e-6, 0);
	free(g);
	fl_model_free(other);
	fl_model_free(m);
	fl_model_free(m0);
	free_data(ds);
}

/* DP-SGD: clipping by hand, no clipping matching plain SGD, the noise's
 * spread, seeded noise repeats, and the privacy record. */
static void
test_dp(void)
{
	struct fl_err err = FL_ERR_INIT;
	struct fl_hparams hp = FL_HPARAMS_INIT;
	struct fl_dataset *ds = make_data(3, 2, FL_TASK_BINARY, 5);
	struct fl_dataset *zero, *big = make_data(50, 4, FL_TASK_BINARY, 6);
	struct fl_model *m, *m2;
	struct fl_dp_sgd p;
	double want[3] = { 0, 0, 0 }, g[3], norm, f, sum, sumsq, sd, eps;
	double *rdp;
	size_t i, j, n, norders;
	int ok;

	/* At w = 0 a logistic row's gradient is (0.5 - y) (x, 1).  Row 0
	 * is made huge, so that it alone is clipped to norm C = 1. */
	ds->X[0] = 1000;
	ds->X[1] = -300;
	ds->y[0] = 0;
	for (i = 0; i < 3; i++) {
		g[0] = (0.5 - ds->y[i]) * ds->X[2 * i];
		g[1] = (0.5 - ds->y[i]) * ds->X[2 * i + 1];
		g[2] = 0.5 - ds->y[i];
		norm = sqrt(g[0] * g[0] + g[1] * g[1] + g[2] * g[2]);
		f = norm > 1.0 ? 1.0 / norm : 1.0;
		CHECK(i != 0 || f < 0.01);
		for (j = 0; j < 3; j++)
			want[j] += f * g[j] / 3.0;
	}
	hp.dp_clip = 1.0;
	m = one_step("logreg", FL_TASK_BINARY, ds, &hp, &err);
	CHECK(m != NULL);
	for (j = 0; m != NULL && j < 3; j++)
		CHECK_NEAR(fl_model_params(m)[j], -want[j], 1e-6, 1e-5);
	fl_model_free(m);

	/* A clip nobody reaches, no noise: plain SGD, up to rounding. */
	hp = (struct fl_hparams)FL_HPARAMS_INIT;
	hp.epochs = 3;
	hp.batch = 7;
	CHECK_OK(fl_model_new(&m, "mlp:3", FL_TASK_BINARY, 0, 4, NULL, NULL,
	    &err), &err);
	fl_model_init_params(m, 2);
	m2 = fl_model_dup(m);
	{
		struct fl_train_result res;

		CHECK_OK(fl_train(m, big, &hp, &res, &err), &err);
		hp.dp_clip = 1e6;
		CHECK_OK(fl_train(m2, big, &hp, &res, &err), &err);
	}
	ok = 1;
	for (j = 0; j < fl_model_nparams(m); j++)
		ok &= fabsf(fl_model_params(m)[j] - fl_model_params(m2)[j]) <
		    1e-5f;
	CHECK(ok);
	fl_model_free(m);
	fl_model_free(m2);

	/* Zero gradients: the step is pure noise / batch, of sd Z C / 4. */
	zero = make_data(4, 3000, FL_TASK_REGRESSION, 7);
	memset(zero->X, 0, 4 * 3000 * sizeof(float));
	memset(zero->y, 0, 4 * sizeof(float));
	for (ok = 0; ok < 2; ok++) {
		hp = (struct fl_hparams)FL_HPARAMS_INIT;
		hp.dp_clip = 2.0;
		hp.dp_noise = 1.5;
		hp.dp_seeded = ok;	/* OpenSSL, then seeded */
		hp.dp_seed = 42;
		m = one_step("linear", FL_TASK_REGRESSION, zero, &hp, &err);
		CHECK(m != NULL);
		if (m == NULL)
			break;
		n = fl_model_nparams(m);
		sum = sumsq = 0;
		for (j = 0; j < n; j++) {
			sum += fl_model_params(m)[j];
			sumsq += (double)fl_model_params(m)[j] *
			    fl_model_params(m)[j];
		}
		sd = sqrt(sumsq / n - (sum / n) * (sum / n));
		/* sd of the sample sd is about 0.75 / sqrt(2 n) = 1%. */
		CHECK_NEAR(sd, 1.5 * 2.0 / 4, 0, 0.05);
		CHECK_NEAR(sum / n, 0, 4 * 0.75 / sqrt((double)n), 0);
		/* Seeded noise repeats; OpenSSL's does not. */
		m2 = one_step("linear", FL_TASK_REGRESSION, zero, &hp, &err);
		CHECK(m2 != NULL && (memcmp(fl_model_params(m),
		    fl_model_params(m2), n * sizeof(float)) == 0) == ok);
		fl_model_free(m);
		fl_model_free(m2);
	}
	free_data(zero);

	/* The privacy record is the accountant's, for q = 32/294 over
	 * 5 * ceil(294/32) = 50 steps. */
	hp = (struct fl_hparams)FL_HPARAMS_INIT;
	hp.epochs = 5;
	hp.batch = 32;
	hp.dp_clip = 1.0;
	hp.dp_noise = 1.1;
	CHECK_OK(fl_dp_sgd_account(294, &hp, 1e-5, &p, &err), &err);
	CHECK(p.steps == 50);
	CHECK_NEAR(p.q, 32.0 / 294, 1e-15, 0);
	fl_dp_orders(&norders);
	rdp = calloc(norders, sizeof(double));
	CHECK(fl_dp_rdp_add(rdp, 32.0 / 294, 1.1, 50) == 0);
	eps = fl_dp_epsilon(rdp, 1e-5, NULL);
	CHECK(p.epsilon == eps && eps > 0 && isfinite(eps));
	free(rdp);
	/* A batch over n is one step per epoch at q = 1. */
	hp.batch = 1000;
	CHECK_OK(fl_dp_sgd_account(294, &hp, 1e-5, &p, &err), &err);
	CHECK(p.q == 1.0 && p.steps == 5);
	CHECK(fl_dp_sgd_account(294, &hp, 0, &p, &err) == FL_EUSAGE);
	hp.dp_noise = 0;
	CHECK(fl_dp_sgd_account(294, &hp, 1e-5, &p, &err) == FL_EUSAGE);
	/* Noise without a clip is refused. */
	hp.dp_clip = 0;
	hp.dp_noise = 1;
	CHECK(one_step("logreg", FL_TASK_BINARY, ds, &hp, &err) == NULL &&
	    err.code == FL_EUSAGE);
	free_data(ds);
	free_data(big);
}

int
main(void)
{
	unit_run("step_grad", test_step_grad);
	unit_run("scaffold", test_scaffold);
	unit_run("dp", test_dp);
	return unit_done("test_client");
}
