/*
 * test_cox.c: the Cox model (lib/train/cox.c, lib/compute/ref.c) and the survival
 * metrics (lib/stats/survival.c).  The reference loss and gradient against
 * central finite differences in double, tied times included; the fast
 * path on both backends against the reference; the loss by hand; the
 * C-index, td-AUC and Brier score on tiny hand-made data; the
 * Kaplan-Meier estimate and the survival curve by hand.
 */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "fl.h"
#include "unit.h"

#define N	14	/* rows */
#define D	3	/* features */

static struct fl_model *
make(const char *spec)
{
	struct fl_err err = FL_ERR_INIT;
	struct fl_model *m;

	if (fl_model_new(&m, spec, FL_TASK_SURVIVAL, 0, D, NULL, "event",
	    &err) < 0 || fl_model_set_survival(m, "time", NULL, 0, &err) < 0) {
		fprintf(stderr, "%s: %s\n", spec, err.msg);
		return NULL;
	}
	return m;
}

/* Random X, times with ties (integers 1..5), some censored. */
static void
data(struct fl_rng *r, float *X, float *t, float *e)
{
	size_t i;

	for (i = 0; i < N * D; i++)
		X[i] = (float)fl_rng_normal(r);
	for (i = 0; i < N; i++) {
		t[i] = (float)(1 + fl_rng_below(r, 5));
		e[i] = (float)(i % 3 != 0);
	}
}

static void
check_grad(const char *spec)
{
	struct fl_err err = FL_ERR_INIT;
	struct fl_model *m = make(spec);
	const struct fl_backend *be;
	struct fl_rng r;
	float X[N * D], t[N], e[N], *p, *fg;
	double *w, *g, lp, lm, num, loss, fl, bad, ex;
	size_t np, i, worst = 0;
	const double l2 = 0.05, h = 1e-6;
	int dev;

	CHECK(m != NULL);
	if (m == NULL)
		return;
	fl_rng_seed(&r, 7, spec);
	data(&r, X, t, e);
	fl_model_init_params(m, 3);
	np = fl_model_nparams(m);
	p = fl_model_params(m);
	for (i = 0; i < np; i++)
		if (p[i] == 0.0f)
			p[i] = (float)(0.1 * fl_rng_normal(&r));
	w = malloc(np * sizeof(double));
	g = malloc(np * sizeof(double));
	fg = malloc(np * sizeof(float));
	for (i = 0; i < np; i++)
		w[i] = p[i];
	loss = fl_ref_cox_loss_grad(m, w, N, X, t, e, l2, g);
	CHECK(isfinite(loss) && loss > 0.0);
	bad = 0.0;
	for (i = 0; i < np; i++) {
		double save = w[i];

		w[i] = save + h;
		lp = fl_ref_cox_loss_grad(m, w, N, X, t, e, l2, NULL);
		w[i] = save - h;
		lm = fl_ref_cox_loss_grad(m, w, N, X, t, e, l2, NULL);
		w[i] = save;
		num = (lp - lm) / (2.0 * h);
		ex = fabs(num - g[i]) - 1e-5 * fabs(num);
		if (ex > bad) {
			bad = ex;
			worst = i;
		}
	}
	if (bad > 1e-7)
		fprintf(stderr, "%s: gradient %zu off by %g\n", spec, worst,
		    bad);
	CHECK(bad <= 1e-7);
	/* The output bias cancels: its gradient is 0. */
	CHECK(fabs(g[np - 1]) < 1e-12);

	for (dev = 0; dev < 2; dev++) {
		CHECK_OK(fl_backend_get(&be, dev == 0 ? FL_DEVICE_CPU :
		    FL_DEVICE_REF, &err), &err);
		CHECK_OK(fl_cox_loss_grad(m, N, X, t, e, l2, be, fg, &fl,
		    &err), &err);
		CHECK_NEAR(fl, loss, 1e-5, 1e-5);
		bad = 0.0;
		for (i = 0; i < np; i++)
			if (fabs(fg[i] - g[i]) > 1e-5 + 1e-4 * fabs(g[i])) {
				if (bad++ < 3)
					fprintf(stderr, "%s %s: grad[%zu] = "
					    "%.9g, ref %.9g\n", spec, be->name,
					    i, fg[i], g[i]);
			}
		CHECK(bad == 0);
	}
	free(w);
	free(g);
	free(fg);
	fl_model_free(m);
}

/*
 * The loss by hand: one feature, weight b, x = (1, 0, 2), times (1, 2, 2),
 * events (1, 1, 0).  Risk sets: at t=1 all three, at t=2 rows 2 and 3.
 * L = ([log(e^b + 1 + e^2b) - b] + [log(1 + e^2b) - 0]) / 2.
 */
static void
test_by_hand(void)
{
	struct fl_err err = FL_ERR_INIT;
	struct fl_model *m;
	const float X[3] = { 1, 0, 2 }, t[3] = { 1, 2, 2 }, e[3] = { 1, 1, 0 };
	const float t0[3] = { 1, 1, 1 }, e0[3] = { 0, 0, 0 };
	double w[2] = { 0.3, 0.7 }, g[2], b = 0.3, want, loss;

	CHECK_OK(fl_model_new(&m, "cox", FL_TASK_SURVIVAL, 0, 1, NULL, "e",
	    &err), &err);
	if (m == NULL)
		return;
	CHECK(fl_model_noutputs(m) == 1 && fl_model_nparams(m) == 2);
	want = (log(exp(b) + 1 + exp(2 * b)) - b + log(1 + exp(2 * b))) / 2;
	loss = fl_ref_cox_loss_grad(m, w, 3, X, t, e, 0.0, g);
	CHECK_NEAR(loss, want, 1e-12, 1e-12);
	CHECK_NEAR(g[1], 0.0, 1e-12, 0);	/* the bias cancels */
	/* No events: loss and gradient 0. */
	loss = fl_ref_cox_loss_grad(m, w, 3, X, t0, e0, 0.0, g);
	CHECK(loss == 0.0 && g[0] == 0.0);
	/* Spec errors. */
	fl_model_free(m);
	CHECK(fl_model_new(&m, "cox", FL_TASK_BINARY, 0, 1, NULL, "e",
	    &err) == FL_EUSAGE);
	CHECK_OK(fl_model_new(&m, "logreg", FL_TASK_BINARY, 0, 1, NULL, "e",
	    &err), &err);
	CHECK(fl_model_set_survival(m, "t", NULL, 0, &err) == FL_EUSAGE);
	fl_model_free(m);
}

/* Metrics of hand-made cases. */
static void
test_metrics(void)
{
	struct fl_err err = FL_ERR_INIT;
	struct fl_metrics mt;
	/* Four rows, all events, distinct times. */
	const float t[4] = { 1, 2, 3, 4 }, e[4] = { 1, 1, 1, 1 };
	const float good[4] = { 4, 3, 2, 1 }, rev[4] = { 1, 2, 3, 4 };
	const float flat[4] = { 0, 0, 0, 0 };
	/* Ties: times (1, 1, 2, 3), events (1, 0, 1, 0). */
	const float tt[4] = { 1, 1, 2, 3 }, te[4] = { 1, 0, 1, 0 };
	const float tr[4] = { 2, 2, 1, 0 };
	double hz = 2.5, S[4] = { 0.1, 0.2, 0.9, 0.8 };

	CHECK_OK(fl_metrics_survival(4, good, t, e, 0, NULL, NULL, &mt,
	    &err), &err);
	CHECK_NEAR(mt.c_index, 1.0, 1e-12, 0);
	CHECK_OK(fl_metrics_survival(4, rev, t, e, 0, NULL, NULL, &mt,
	    &err), &err);
	CHECK_NEAR(mt.c_index, 0.0, 1e-12, 0);
	CHECK_OK(fl_metrics_survival(4, flat, t, e, 0, NULL, NULL, &mt,
	    &err), &err);
	CHECK_NEAR(mt.c_index, 0.5, 1e-12, 0);
	/*
	 * Comparable pairs: row 0 (event at 1) with row 1 (censored at 1:
	 * tied time, taken to outlive it), rows 2 and 3; row 2 (event at 2)
	 * with row 3.  Risks (2, 2, 1, 0): (0,1) tie 1/2, (0,2) 1, (0,3) 1,
	 * (2,3) 1: C = 3.5 / 4.
	 */
	CHECK_OK(fl_metrics_survival(4, tr, tt, te, 0, NULL, NULL, &mt,
	    &err), &err);
	CHECK_NEAR(mt.c_index, 3.5 / 4, 1e-12, 0);
	/*
	 * Horizon 2.5 without censoring (G = 1): cases rows 0, 1; controls
	 * rows 2, 3.  Perfect order: AUC 1; Brier = mean of S^2 for cases
	 * and (1 - S)^2 for controls = (0.01 + 0.04 + 0.01 + 0.04) / 4.
	 */
	CHECK_OK(fl_metrics_survival(4, good, t, e, 1, &hz, S, &mt, &err),
	    &err);
	CHECK_NEAR(mt.td_auc[0], 1.0, 1e-12, 0);
	CHECK_NEAR(mt.brier_t[0], 0.1 / 4, 1e-12, 0);
	CHECK_OK(fl_metrics_survival(4, rev, t, e, 1, &hz, NULL, &mt, &err),
	    &err);
	CHECK_NEAR(mt.td_auc[0], 0.0, 1e-12, 0);
	CHECK(isnan(mt.brier_t[0]));
	/*
	 * With censoring: times (1, 1, 2, 3), events (1, 0, 1, 0), horizon
	 * 2.5.  Censoring KM: at 1, 1 censored of 4 at risk: G = 3/4 after
	 * 1; at 3, 1 of 1: G = 0.  Cases: row 0 (G(1-) = 1) and row 2
	 * (G(2-) = 3/4, weight 4/3); control: row 3.  Risks (2, 2, 1, 0):
	 * both cases above the control: AUC 1.  Brier: G(2.5) = 3/4;
	 * (S0^2 / 1 + S2^2 / (3/4) + (1 - S3)^2 / (3/4)) / 4.
	 */
	CHECK_OK(fl_metrics_survival(4, tr, tt, te, 1, &hz, S, &mt, &err),
	    &err);
	CHECK_NEAR(mt.td_auc[0], 1.0, 1e-12, 0);
	CHECK_NEAR(mt.brier_t[0], (0.01 + 0.81 / 0.75 + 0.04 / 0.75) / 4,
	    1e-12, 0);
	CHECK(fl_metrics_survival(0, tr, tt, te, 0, NULL, NULL, &mt,
	    &err) == FL_EUSAGE);
}

/* The baseline on a grid, and its interpolation. */
static void
test_baseline(void)
{
	struct fl_err err = FL_ERR_INIT;
	struct fl_model *m = make("cox");
	struct fl_dataset ds;
	struct fl_baseline *b;
	struct fl_archive *u;
	const double grid[2] = { 2, 4 };
	double *H = NULL;
	float X[4 * D] = { 0 }, t[4] = { 1, 2, 3, 5 }, e[4] = { 1, 0, 1, 1 };
	json_t *man;

	if (m == NULL)
		return;
	CHECK_OK(fl_model_set_survival(m, "time", grid, 2, &err), &err);
	memset(fl_model_params(m), 0, fl_model_nparams(m) * sizeof(float));
	memset(&ds, 0, sizeof(ds));
	ds.n = 4;
	ds.d = D;
	ds.X = X;
	ds.y = e;
	ds.time = t;
	/*
	 * eta = 0.  Interval (0, 2]: events 1 (t=1), exposure 1 + 2 + 2 +
	 * 2 = 7; interval (2, 4]: events 1 (t=3), exposure 0 + 1 + 2 = 3
	 * (t=5's event is beyond the grid).  H(2) = 1/7 * 2, H(4) = H(2) +
	 * 1/3 * 2.
	 */
	CHECK((u = fl_archive_new(FL_KIND_UPDATE)) != NULL);
	man = fl_archive_manifest(u);
	CHECK_OK(fl_survival_update_table(m, &ds, man, &err), &err);
	CHECK_OK(fl_baseline_new(&b, m, "sha256:x", &err), &err);
	CHECK_OK(fl_baseline_add(b, u, "u", &err), &err);
	CHECK_OK(fl_baseline_finish(b, man, &err), &err);
	CHECK(fl_baseline_read(m, man, &H, &err) == 1);
	if (H != NULL) {
		CHECK_NEAR(H[0], 2.0 / 7, 1e-12, 0);
		CHECK_NEAR(H[1], 2.0 / 7 + 2.0 / 3, 1e-12, 0);
		CHECK_NEAR(fl_baseline_at(m, H, 1.0), 1.0 / 7, 1e-12, 0);
		CHECK_NEAR(fl_baseline_at(m, H, 3.0), 2.0 / 7 + 1.0 / 3,
		    1e-12, 0);
		CHECK(fl_baseline_at(m, H, 0.0) == 0.0);
		CHECK(isnan(fl_baseline_at(m, H, 4.5)));
	}
	free(H);
	fl_baseline_free(b);
	fl_archive_free(u);
	fl_model_free(m);
}

/* The Kaplan-Meier estimate and fl-eval's survival curve by hand. */
static void
test_km(void)
{
	struct fl_err err = FL_ERR_INIT;
	struct fl_model *m = make("cox");
	const double q[6] = { 0.5, 1, 2, 2.5, 3, 6 }, grid[2] = { 2, 4 };
	const double H[2] = { 0.5, 1.0 };
	/* One tie at 2: an event and a censoring. */
	float t[5] = { 1, 2, 2, 3, 5 }, e[5] = { 1, 1, 0, 1, 0 };
	float eta[2] = { 0.0f, (float)log(2.0) }, t2[2] = { 1, 3 };
	float e2[2] = { 1, 0 };
	double S[6], want[6], p, ts, pr, ob;
	size_t risk[6], k, r;
	char line[128];
	FILE *f;

	/*
	 * Events at 1 (5 at risk), 2 (4 at risk: the censoring at 2 still
	 * counts) and 3 (2 at risk): S = 4/5, then 4/5 * 3/4 = 3/5, then
	 * 3/5 * 1/2 = 3/10; flat between and after.
	 */
	want[0] = 1.0;
	want[1] = 0.8;
	want[2] = want[3] = 0.6;
	want[4] = want[5] = 0.3;
	CHECK_OK(fl_survival_km(5, t, e, 6, q, S, risk, &err), &err);
	for (k = 0; k < 6; k++)
		CHECK_NEAR(S[k], want[k], 1e-12, 0);
	CHECK(risk[0] == 5 && risk[1] == 5 && risk[2] == 4 &&
	    risk[3] == 2 && risk[4] == 2 && risk[5] == 0);
	CHECK_OK(fl_survival_km(5, t, e, 1, q + 4, S, NULL, &err), &err);
	CHECK_NEAR(S[0], 0.3, 1e-12, 0);

	/*
	 * The curve on grid {2, 4} with H0 = {0.5, 1} and eta = {0, ln 2}:
	 * predicted = (exp(-H0) + exp(-2 H0)) / 2; observed: the event at 1
	 * of 2 gives 1/2; at_risk 1 at 2, 0 at 4.
	 */
	if (m == NULL)
		return;
	CHECK(fl_survival_curve(m, H, 2, eta, t2, e2, stdout, "x",
	    &err) == FL_EUSAGE);	/* no grid */
	CHECK_OK(fl_model_set_survival(m, "time", grid, 2, &err), &err);
	CHECK(fl_survival_curve(m, NULL, 2, eta, t2, e2, stdout, "x",
	    &err) == FL_EFORMAT);	/* no baseline */
	CHECK((f = tmpfile()) != NULL);
	if (f == NULL)
		goto out;
	CHECK_OK(fl_survival_curve(m, H, 2, eta, t2, e2, f, "x", &err),
	    &err);
	rewind(f);
	CHECK(fgets(line, sizeof(line), f) != NULL &&
	    strcmp(line, "time\tpredicted\tobserved\tat_risk\n") == 0);
	for (k = 0; k < 2; k++) {
		CHECK(fgets(line, sizeof(line), f) != NULL &&
		    sscanf(line, "%lf\t%lf\t%lf\t%zu", &ts, &pr, &ob,
		    &r) == 4);
		p = (exp(-H[k]) + exp(-2.0 * H[k])) / 2.0;
		CHECK_NEAR(ts, grid[k], 1e-12, 0);
		CHECK_NEAR(pr, p, 1e-9, 0);
		CHECK_NEAR(ob, 0.5, 1e-12, 0);
		CHECK(r == 1 - k);
	}
	CHECK(fgets(line, sizeof(line), f) == NULL);
	fclose(f);
out:
	fl_model_free(m);
}

int
main(void)
{
	UNIT_CASE("grad cox", check_grad("cox"));
	UNIT_CASE("grad mlp:5,4", check_grad("mlp:5,4"));
	unit_run("by_hand", test_by_hand);
	unit_run("metrics", test_metrics);
	unit_run("baseline", test_baseline);
	unit_run("km", test_km);
	return unit_done("test_cox");
}
