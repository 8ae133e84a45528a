/*
 * cox.c: survival models.  The Cox proportional hazards loss (negative log
 * partial likelihood, Breslow ties, over the rows of one site) on top of
 * the dense stack of nn.c, its full-batch training, the model's survival
 * description (time column, baseline grid), and the federated baseline
 * hazard: per-site tables of events and exposure that fl-train adds to
 * updates and fl-aggregate sums.  The reference is fl_ref_cox_loss_grad
 * in ref.c; the metrics are in survival.c; the manuals are fl-init(1),
 * fl-eval(1) and fl-archive(5).
 */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "fl.h"
#include "model_int.h"
#include "nn.h"

#define MAX_GRID 4096	/* baseline grid points */

/* Make m a survival model; see fl.h. */
int
fl_model_set_survival(struct fl_model *m, const char *time,
    const double *grid, size_t ngrid, struct fl_err *err)
{
	struct fl_prep *p = &m->prep;
	char *t;
	double *g = NULL;
	size_t k;

	if (m->task != FL_TASK_SURVIVAL)
		return fl_err_set(err, FL_EUSAGE, "model '%s' is not a "
		    "survival model", m->spec);
	if (time == NULL || *time == '\0' || strcmp(time, p->label) == 0)
		return fl_err_set(err, FL_EUSAGE, "the time column must be "
		    "named and differ from the event column");
	for (k = 0; k < p->d; k++)
		if (strcmp(p->features[k], time) == 0)
			return fl_err_set(err, FL_EUSAGE, "the time column "
			    "'%s' cannot be a feature", time);
	if (ngrid > MAX_GRID)
		return fl_err_set(err, FL_EUSAGE, "at most %d grid points",
		    MAX_GRID);
	for (k = 0; k < ngrid; k++)
		if (!isfinite(grid[k]) || !(grid[k] > (k > 0 ? grid[k - 1] :
		    0.0)))
			return fl_err_set(err, FL_EUSAGE, "the baseline grid "
			    "must increase from above 0");
	if ((t = strdup(time)) == NULL || (ngrid > 0 &&
	    (g = malloc(ngrid * sizeof(double))) == NULL)) {
		free(t);
		return fl_err_set(err, FL_ENOMEM, "out of memory");
	}
	if (ngrid > 0)
		memcpy(g, grid, ngrid * sizeof(double));
	free(p->time);
	free(p->grid);
	p->time = t;
	p->grid = g;
	p->ngrid = ngrid;
	return 0;
}

/* Add "survival" to a manifest's "model" object; see fl.h. */
int
fl_survival_describe(const struct fl_model *m, json_t *model,
    struct fl_err *err)
{
	const struct fl_prep *p = &m->prep;
	json_t *s, *g;
	size_t k;
	int bad = 0;

	if (m->task != FL_TASK_SURVIVAL)
		return 0;
	s = json_object();
	g = json_array();
	if (s == NULL || g == NULL)
		bad = 1;
	for (k = 0; !bad && k < p->ngrid; k++)
		bad |= json_array_append_new(g, json_real(p->grid[k])) < 0;
	if (!bad) {
		bad |= json_object_set_new(s, "time", json_string(
		    p->time != NULL ? p->time : "")) < 0;
		bad |= json_object_set_new(s, "event",
		    json_string(p->label)) < 0;
		bad |= json_object_set_new(s, "grid", g) < 0;
		g = NULL;
		bad |= json_object_set_new(model, "survival", s) < 0;
		s = NULL;
	}
	json_decref(s);
	json_decref(g);
	return bad ? fl_err_set(err, FL_ENOMEM, "out of memory") : 0;
}

/* Read "survival" from a manifest's "model" object into m; see fl.h. */
int
fl_survival_from_json(struct fl_model *m, const json_t *model,
    struct fl_err *err)
{
	const json_t *s = json_object_get(model, "survival"), *g, *v;
	const char *time, *event;
	double *grid = NULL;
	size_t k, n;
	int rc;

	if (m->task != FL_TASK_SURVIVAL) {
		if (s != NULL)
			return fl_err_set(err, FL_EFORMAT, "model.survival in "
			    "a model of task '%s'", fl_task_name(m->task));
		return 0;
	}
	if (!json_is_object(s))
		return fl_err_set(err, FL_EFORMAT, "a survival model without "
		    "model.survival");
	if ((rc = fl_json_get_str(s, "time", &time, err)) < 0 ||
	    (rc = fl_json_get_str(s, "event", &event, err)) < 0)
		return fl_err_prefix(err, "model.survival");
	if (strcmp(event, m->prep.label) != 0)
		return fl_err_set(err, FL_EFORMAT, "model.survival.event "
		    "'%s' is not the label '%s'", event, m->prep.label);
	g = json_object_get(s, "grid");
	if (!json_is_array(g) || (n = json_array_size(g)) > MAX_GRID)
		return fl_err_set(err, FL_EFORMAT, "model.survival.grid: "
		    "expected an array of at most %d numbers", MAX_GRID);
	if (n > 0 && (grid = malloc(n * sizeof(double))) == NULL)
		return fl_err_set(err, FL_ENOMEM, "out of memory");
	json_array_foreach(g, k, v) {
		if (!json_is_number(v)) {
			free(grid);
			return fl_err_set(err, FL_EFORMAT, "model.survival."
			    "grid[%zu] is not a number", k);
		}
		grid[k] = json_number_value(v);
	}
	rc = fl_model_set_survival(m, time, grid, n, err);
	free(grid);
	if (rc < 0) {
		err->code = FL_EFORMAT;
		return fl_err_prefix(err, "model.survival");
	}
	return 0;
}

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

/* ------------------------------------------------------------------------ */
/* The federated baseline hazard.                                          */

/* Interval k of the grid: (lo, hi]. */
static double
grid_lo(const struct fl_prep *p, size_t k)
{
	return k == 0 ? 0.0 : p->grid[k - 1];
}

/* A new JSON array of n doubles; NULL when out of memory. */
static json_t *
reals(const double *v, size_t n)
{
	json_t *a = json_array();
	size_t i;

	for (i = 0; a != NULL && i < n; i++)
		if (json_array_append_new(a, json_real(v[i])) < 0) {
			json_decref(a);
			return NULL;
		}
	return a;
}

/* Add this site's table at model m to an update's manifest; see fl.h. */
int
fl_survival_update_table(const struct fl_model *m,
    const struct fl_dataset *ds, json_t *manifest, struct fl_err *err)
{
	const struct fl_prep *p = &m->prep;
	size_t G = p->ngrid, i, k;
	double *ev = NULL, *ex = NULL, r, t, lo, hi;
	float *eta = NULL;
	json_t *tab = NULL;
	int rc;

	if (m->task != FL_TASK_SURVIVAL || G == 0)
		return 0;
	if (ds->time == NULL)
		return fl_err_set(err, FL_EUSAGE, "no survival times");
	ev = calloc(G, sizeof(double));
	ex = calloc(G, sizeof(double));
	eta = malloc((ds->n > 0 ? ds->n : 1) * sizeof(float));
	if (ev == NULL || ex == NULL || eta == NULL) {
		rc = fl_err_set(err, FL_ENOMEM, "out of memory");
		goto out;
	}
	if ((rc = fl_predict(m, ds, NULL, eta, err)) < 0)
		goto out;
	for (i = 0; i < ds->n; i++) {
		t = ds->time[i];
		r = exp((double)eta[i]);
		for (k = 0; k < G; k++) {
			lo = grid_lo(p, k);
			hi = p->grid[k];
			if (t <= lo && !(k == 0 && t == 0.0))
				break;
			ex[k] += r * ((t < hi ? t : hi) - lo);
			if (ds->y[i] == 1.0f && t <= hi) {
				ev[k] += 1.0;
				break;
			}
			if (t <= hi)
				break;
		}
	}
	tab = json_object();
	if (tab == NULL || json_object_set_new(tab, "events",
	    reals(ev, G)) < 0 || json_object_set_new(tab, "exposure",
	    reals(ex, G)) < 0 || json_object_set_new(manifest,
	    "survival_table", tab) < 0) {
		rc = fl_err_set(err, FL_ENOMEM, "out of memory");
		goto out;
	}
	rc = 0;
out:
	free(ev);
	free(ex);
	free(eta);
	return rc;
}

struct fl_baseline {
	const struct fl_model	*base;
	char			*base_id;
	double			*ev, *ex;	/* (ngrid) sums */
	size_t			 count;
};

/* Start summing tables; *b stays NULL without a grid.  See fl.h. */
int
fl_baseline_new(struct fl_baseline **bp, const struct fl_model *base,
    const char *base_id, struct fl_err *err)
{
	struct fl_baseline *b;
	size_t G = base->prep.ngrid;

	*bp = NULL;
	if (base->task != FL_TASK_SURVIVAL || G == 0)
		return 0;
	if ((b = calloc(1, sizeof(*b))) == NULL ||
	    (b->base_id = strdup(base_id)) == NULL ||
	    (b->ev = calloc(G, sizeof(double))) == NULL ||
	    (b->ex = calloc(G, sizeof(double))) == NULL) {
		fl_baseline_free(b);
		return fl_err_set(err, FL_ENOMEM, "out of memory");
	}
	b->base = base;
	*bp = b;
	return 0;
}

/* Read table key's G non-negative finite numbers into v (added). */
static int
table_add(const json_t *tab, const char *key, size_t G, double *v,
    const char *name, struct fl_err *err)
{
	const json_t *a = json_object_get(tab, key), *x;
	size_t k;
	double d;

	if (!json_is_array(a) || json_array_size(a) != G)
		return fl_err_set(err, FL_EFORMAT, "%s: survival_table.%s: "
		    "expected an array of %zu numbers", name, key, G);
	json_array_foreach(a, k, x) {
		d = json_number_value(x);
		if (!json_is_number(x) || !isfinite(d) || d < 0.0)
			return fl_err_set(err, FL_EFORMAT, "%s: survival_"
			    "table.%s[%zu]: not a finite number >= 0", name,
			    key, k);
	}
	json_array_foreach(a, k, x)
		v[k] += json_number_value(x);
	return 0;
}

/* Add one update's table; see fl.h. */
int
fl_baseline_add(struct fl_baseline *b, const struct fl_archive *u,
    const char *name, struct fl_err *err)
{
	const json_t *tab;
	size_t G;
	int rc;

	if (b == NULL)
		return 0;
	G = b->base->prep.ngrid;
	tab = json_object_get(fl_archive_manifest((struct fl_archive *)u),
	    "survival_table");
	if (!json_is_object(tab))
		return fl_err_set(err, FL_EFORMAT, "%s: a survival update "
		    "without survival_table", name);
	if ((rc = table_add(tab, "events", G, b->ev, name, err)) < 0 ||
	    (rc = table_add(tab, "exposure", G, b->ex, name, err)) < 0)
		return rc;
	b->count++;
	return 0;
}

/* Set the aggregated model's "baseline"; see fl.h. */
int
fl_baseline_finish(struct fl_baseline *b, json_t *manifest,
    struct fl_err *err)
{
	const struct fl_prep *p;
	double *H, acc = 0.0, events = 0.0;
	json_t *o;
	size_t k;

	if (b == NULL || b->count == 0)
		return 0;
	p = &b->base->prep;
	if ((H = malloc(p->ngrid * sizeof(double))) == NULL)
		return fl_err_set(err, FL_ENOMEM, "out of memory");
	for (k = 0; k < p->ngrid; k++) {
		if (b->ex[k] > 0.0)
			acc += b->ev[k] / b->ex[k] * (p->grid[k] -
			    grid_lo(p, k));
		events += b->ev[k];
		H[k] = acc;
	}
	o = json_pack("{s:s, s:I, s:I, s:o}", "model", b->base_id,
	    "sites", (json_int_t)b->count, "events", (json_int_t)events,
	    "cumhaz", reals(H, p->ngrid));
	free(H);
	if (o == NULL || json_object_set_new(manifest, "baseline", o) < 0)
		return fl_err_set(err, FL_ENOMEM, "out of memory");
	return 0;
}

void
fl_baseline_free(struct fl_baseline *b)
{
	if (b == NULL)
		return;
	free(b->base_id);
	free(b->ev);
	free(b->ex);
	free(b);
}

/* Read a model's baseline; see fl.h. */
int
fl_baseline_read(const struct fl_model *m, const json_t *manifest,
    double **cumhaz, struct fl_err *err)
{
	const json_t *b = json_object_get(manifest, "baseline"), *a, *v;
	size_t G = m->prep.ngrid, k;
	double *H, d;

	*cumhaz = NULL;
	if (b == NULL || json_is_null(b))
		return 0;
	a = json_object_get(b, "cumhaz");
	if (m->task != FL_TASK_SURVIVAL || G == 0 || !json_is_array(a) ||
	    json_array_size(a) != G)
		return fl_err_set(err, FL_EFORMAT, "baseline.cumhaz: expected "
		    "an array of %zu numbers", G);
	if ((H = malloc(G * sizeof(double))) == NULL)
		return fl_err_set(err, FL_ENOMEM, "out of memory");
	json_array_foreach(a, k, v) {
		d = json_number_value(v);
		if (!json_is_number(v) || !isfinite(d) || d < 0.0 ||
		    (k > 0 && d < H[k - 1])) {
			free(H);
			return fl_err_set(err, FL_EFORMAT, "baseline.cumhaz"
			    "[%zu]: not a finite number >= 0 and >= the one "
			    "before", k);
		}
		H[k] = d;
	}
	*cumhaz = H;
	return 1;
}

/* H0(t), linear between grid points; see fl.h. */
double
fl_baseline_at(const struct fl_model *m, const double *H, double t)
{
	const struct fl_prep *p = &m->prep;
	size_t k;
	double lo, f;

	if (!(t >= 0.0) || p->ngrid == 0 || t > p->grid[p->ngrid - 1])
		return NAN;
	for (k = 0; k < p->ngrid && t > p->grid[k]; k++)
		;
	lo = grid_lo(p, k);
	f = (t - lo) / (p->grid[k] - lo);
	return (k > 0 ? H[k - 1] : 0.0) * (1.0 - f) + H[k] * f;
}
