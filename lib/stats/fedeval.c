/*
 * fedeval.c: federated evaluation.  A site's predictions are reduced to
 * sufficient statistics (sums; for binary tasks fine score histograms per
 * class; for survival a table of (time, event, risk bin) cells) that add
 * up across sites, so that the pooled metrics are
 * computed without a row leaving any site.  fl-eval --emit writes them as
 * a metrics archive, fl-aggregate merges them, fl-eval --report prints
 * them; the archive form is in man/fl-archive.5, the metrics' definitions
 * in man/fl-eval.1 and their exact twin in lib/stats/metrics.c.
 */
#include <errno.h>
#include <math.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "stats/stats.h"

#define PCLIP 1e-15	/* as lib/stats/metrics.c */
#define CAL_BINS 10	/* calibration bins; divides FL_FEDEVAL_BINS */

/* The scalar sums a task keeps, in archive order. */
enum { S_N, S_CORRECT, S_LOGLOSS, S_BRIER, S_SSE, S_SAE, S_YSUM, S_YM2,
	S_MAX };
static const char *const s_names[S_MAX] = {
	"n", "correct", "log_loss", "brier", "sse", "sae", "y_sum", "y_m2"
};
static const int s_binary[] = { S_N, S_CORRECT, S_LOGLOSS, S_BRIER, -1 };
static const int s_multi[] = { S_N, S_CORRECT, S_LOGLOSS, -1 };
static const int s_reg[] = { S_N, S_SSE, S_SAE, S_YSUM, S_YM2, -1 };
static const int s_surv[] = { S_N, -1 };

/* A survival cell's columns: time, event, risk bin, rows, then per
 * horizon the sums of S^2 and of (1 - S)^2 when the Brier score is
 * kept. */
enum { C_TIME, C_EVENT, C_BIN, C_N, C_SUMS };

struct fl_fedeval {
	enum fl_task	 task;
	size_t		 classes;	/* multiclass only, else 0 */
	size_t		 bins;		/* binary: FL_FEDEVAL_BINS, else 0 */
	double		 s[S_MAX];
	double		*hist;		/* (2, bins): negatives, positives */
	double		*psum;		/* (bins): sum of scores per bin */
	char		*parent;	/* the model's id, or NULL */
	char		*site;		/* or NULL */
	char		*id;		/* the archive read, or NULL */
	int64_t		 round;
	json_t		*sites;		/* per-site rows once merged, or NULL */
	/* Survival: the horizons (fixed by the first rows), whether the
	 * Brier sums are kept, and the cells sorted by (time, event, bin),
	 * each key once. */
	int		 fixed, brier;
	size_t		 nh;
	double		 horizon[FL_MAX_HORIZONS];
	double		*cell;		/* (ncell, width(e)) */
	size_t		 ncell;
};

static const int *
task_sums(enum fl_task t)
{
	return t == FL_TASK_BINARY ? s_binary :
	    t == FL_TASK_MULTICLASS ? s_multi :
	    t == FL_TASK_SURVIVAL ? s_surv : s_reg;
}

/* The doubles per survival cell. */
static size_t
width(const struct fl_fedeval *e)
{
	return C_SUMS + (e->brier ? 2 * e->nh : 0);
}

static double
clip(double p)
{
	return p < PCLIP ? PCLIP : p > 1.0 - PCLIP ? 1.0 - PCLIP : p;
}

/* The fine bin of score p in [0, 1]: floor(p * bins), the top edge in the
 * last bin.  Out-of-range scores (not from a sigmoid) are clamped. */
static size_t
bin_of(double p, size_t bins)
{
	double b = floor(p * (double)bins);

	if (!(b > 0))
		return 0;
	return b >= (double)bins ? bins - 1 : (size_t)b;
}

void
fl_fedeval_free(struct fl_fedeval *e)
{
	if (e == NULL)
		return;
	free(e->hist);
	free(e->psum);
	free(e->cell);
	free(e->parent);
	free(e->site);
	free(e->id);
	json_decref(e->sites);
	free(e);
}

/* Copy s into *dst (NULL stays NULL).  Returns -1 when out of memory. */
static int
set_str(char **dst, const char *s)
{
	free(*dst);
	*dst = NULL;
	if (s != NULL && (*dst = strdup(s)) == NULL)
		return -1;
	return 0;
}

int
fl_fedeval_new(struct fl_fedeval **ep, enum fl_task task, size_t classes,
    const char *parent, const char *site, int64_t round, struct fl_err *err)
{
	struct fl_fedeval *e;

	*ep = NULL;
	if (task != FL_TASK_BINARY && task != FL_TASK_MULTICLASS &&
	    task != FL_TASK_REGRESSION && task != FL_TASK_SURVIVAL)
		return fl_err_set(err, FL_EUSAGE, "no federated evaluation "
		    "for task '%s'", fl_task_name(task));
	if ((e = calloc(1, sizeof(*e))) == NULL)
		return fl_err_set(err, FL_ENOMEM, "out of memory");
	e->task = task;
	e->classes = task == FL_TASK_MULTICLASS ? classes : 0;
	e->round = round;
	if (task == FL_TASK_SURVIVAL)
		e->bins = FL_FEDEVAL_BINS;	/* risk bins */
	if (task == FL_TASK_BINARY) {
		e->bins = FL_FEDEVAL_BINS;
		e->hist = calloc(2 * e->bins, sizeof(double));
		e->psum = calloc(e->bins, sizeof(double));
	}
	if ((task == FL_TASK_BINARY && (e->hist == NULL || e->psum == NULL)) ||
	    set_str(&e->parent, parent) < 0 || set_str(&e->site, site) < 0) {
		fl_fedeval_free(e);
		return fl_err_set(err, FL_ENOMEM, "out of memory");
	}
	*ep = e;
	return 0;
}

/*
 * Add the regression spread of a batch (count n, mean mb, squared
 * deviations m2b) to e's by Chan's formula, which stays exact in the
 * sense of summing about each part's own mean.
 */
static void
add_spread(struct fl_fedeval *e, double n, double sum, double m2)
{
	double na = e->s[S_N], nt = na + n, delta;

	if (n == 0)
		return;
	if (na == 0) {
		e->s[S_YSUM] = sum;
		e->s[S_YM2] = m2;
		return;
	}
	delta = sum / n - e->s[S_YSUM] / na;
	e->s[S_YSUM] += sum;
	e->s[S_YM2] += m2 + delta * delta * na * n / nt;
}

int
fl_fedeval_add(struct fl_fedeval *e, size_t n, size_t k, const float *pred,
    const float *y, struct fl_err *err)
{
	size_t i, j, best, cls;
	double q, ysum = 0.0, m2 = 0.0, mean, d;

	if (e->task == FL_TASK_SURVIVAL)
		return fl_err_set(err, FL_EUSAGE, "survival rows need times "
		    "(fl_fedeval_add_survival)");
	if (k != (e->task == FL_TASK_MULTICLASS ? e->classes : 1))
		return fl_err_set(err, FL_EUSAGE, "%zu outputs per row do "
		    "not fit task '%s'", k, fl_task_name(e->task));
	for (i = 0; i < n; i++) {
		switch (e->task) {
		case FL_TASK_BINARY:
			q = pred[i];
			if (!(y[i] == 0.0f || y[i] == 1.0f) || isnan(q))
				return fl_err_set(err, FL_ENUM, "row %zu: "
				    "label or score is not a number", i + 1);
			e->s[S_CORRECT] += (q >= 0.5) == (y[i] == 1.0f);
			e->s[S_LOGLOSS] -= y[i] == 1.0f ? log(clip(q)) :
			    log(1.0 - clip(q));
			e->s[S_BRIER] += (q - y[i]) * (q - y[i]);
			j = bin_of(q, e->bins);
			e->hist[(y[i] == 1.0f) * e->bins + j] += 1;
			e->psum[j] += q;
			break;
		case FL_TASK_MULTICLASS: {
			const float *r = pred + i * k;

			if (!(y[i] >= 0.0f && y[i] < (float)k) ||
			    y[i] != floorf(y[i]))
				return fl_err_set(err, FL_ENUM, "row %zu: "
				    "label %g is not a class in 0..%zu", i + 1,
				    (double)y[i], k - 1);
			cls = (size_t)y[i];
			for (best = 0, j = 1; j < k; j++)
				if (r[j] > r[best])
					best = j;
			e->s[S_CORRECT] += best == cls;
			e->s[S_LOGLOSS] -= log(clip(r[cls]));
			break;
		}
		case FL_TASK_REGRESSION:
			d = (double)pred[i] - y[i];
			e->s[S_SSE] += d * d;
			e->s[S_SAE] += fabs(d);
			ysum += y[i];
			break;
		default:
			break;
		}
	}
	if (e->task == FL_TASK_REGRESSION && n > 0) {
		mean = ysum / (double)n;
		for (i = 0; i < n; i++)
			m2 += (y[i] - mean) * (y[i] - mean);
		add_spread(e, (double)n, ysum, m2);
	}
	e->s[S_N] += (double)n;
	return 0;
}

/* Survival cells. */

static int
cmp_cell(const void *a, const void *b)
{
	const double *x = a, *y = b;
	int k;

	for (k = C_TIME; k <= C_BIN; k++)
		if (x[k] != y[k])
			return (x[k] > y[k]) - (x[k] < y[k]);
	return 0;
}

/* Sort e's cells by key and add up the cells sharing one. */
static void
coalesce(struct fl_fedeval *e)
{
	size_t w = width(e), i, j, k;
	double *c = e->cell;

	if (e->ncell == 0)
		return;
	qsort(c, e->ncell, w * sizeof(double), cmp_cell);
	for (i = 0, j = 1; j < e->ncell; j++) {
		if (cmp_cell(c + i * w, c + j * w) == 0) {
			for (k = C_N; k < w; k++)
				c[i * w + k] += c[j * w + k];
			continue;
		}
		if (++i != j)
			memmove(c + i * w, c + j * w, w * sizeof(double));
	}
	e->ncell = i + 1;
}

/* Make room for n more cells.  -1 when out of memory. */
static int
grow_cells(struct fl_fedeval *e, size_t n)
{
	size_t total, bytes;
	double *c;

	if (n > SIZE_MAX - e->ncell)
		return -1;
	total = e->ncell + n;
	if (fl_size_mul(total, width(e) * sizeof(double), &bytes) < 0 ||
	    (c = realloc(e->cell, bytes > 0 ? bytes : 1)) == NULL)
		return -1;
	e->cell = c;
	return 0;
}

/* Fix e's horizons, or check that they are those given. */
static int
fix_horizons(struct fl_fedeval *e, size_t nh, const double *horizon,
    int brier, struct fl_err *err)
{
	size_t h;

	if (nh > FL_MAX_HORIZONS)
		return fl_err_set(err, FL_EUSAGE, "at most %d horizons",
		    FL_MAX_HORIZONS);
	if (!e->fixed) {
		for (h = 0; h < nh; h++)
			if (!(isfinite(horizon[h]) && horizon[h] > 0))
				return fl_err_set(err, FL_EUSAGE, "horizon "
				    "%g is not a time > 0", horizon[h]);
		e->fixed = 1;
		e->brier = nh > 0 && brier;
		e->nh = nh;
		if (nh > 0)
			memcpy(e->horizon, horizon, nh * sizeof(double));
		return 0;
	}
	if (nh != e->nh || (nh > 0 && (brier != 0) != e->brier))
		goto differ;
	for (h = 0; h < nh; h++)
		if (horizon[h] != e->horizon[h])
			goto differ;
	return 0;
differ:
	return fl_err_set(err, FL_ESHAPE, "metrics at other horizons, or "
	    "%s the Brier score", e->brier ? "without" : "with");
}

int
fl_fedeval_add_survival(struct fl_fedeval *e, size_t n, const float *eta,
    const float *time, const float *event, size_t nh, const double *horizon,
    const double *surv, struct fl_err *err)
{
	size_t i, h, w;
	double *c, s;
	int rc;

	if (e->task != FL_TASK_SURVIVAL)
		return fl_err_set(err, FL_EUSAGE, "task '%s' has no survival "
		    "times", fl_task_name(e->task));
	if ((rc = fix_horizons(e, nh, horizon, surv != NULL, err)) < 0)
		return rc;
	for (i = 0; i < n; i++) {
		if (isnan(eta[i]) || !(time[i] >= 0.0f) || isinf(time[i]) ||
		    !(event[i] == 0.0f || event[i] == 1.0f))
			return fl_err_set(err, FL_ENUM, "row %zu: risk, time "
			    "or event is not a number in range", i + 1);
		for (h = 0; e->brier && h < nh; h++)
			if (!(surv[i * nh + h] >= 0 && surv[i * nh + h] <= 1))
				return fl_err_set(err, FL_ENUM, "row %zu: "
				    "S(%g|x) is not a probability (a horizon "
				    "beyond the baseline grid?)", i + 1,
				    horizon[h]);
	}
	if (grow_cells(e, n) < 0)
		return fl_err_set(err, FL_ENOMEM, "out of memory");
	w = width(e);
	for (i = 0; i < n; i++) {
		c = e->cell + (e->ncell + i) * w;
		c[C_TIME] = time[i];
		c[C_EVENT] = event[i];
		c[C_BIN] = (double)bin_of(1.0 / (1.0 + exp(-(double)eta[i])),
		    e->bins);
		c[C_N] = 1;
		for (h = 0; e->brier && h < nh; h++) {
			s = surv[i * nh + h];
			c[C_SUMS + h] = s * s;
			c[C_SUMS + nh + h] = (1.0 - s) * (1.0 - s);
		}
	}
	e->ncell += n;
	e->s[S_N] += (double)n;
	coalesce(e);
	return 0;
}

/*
 * The Kaplan-Meier estimate of censoring from the cells: after each
 * distinct time u (ut, ascending, nu of them), g = the product over times
 * v <= u of (1 - c_v / n_v), c_v the rows censored at v and n_v those
 * with time >= v, as km_build in lib/stats/survival.c.
 */
struct ckm {
	double	*ut, *g;
	size_t	 nu;
};

static int
ckm_build(struct ckm *k, const struct fl_fedeval *e)
{
	size_t w = width(e), i, j;
	double left = e->s[S_N], acc = 1.0, c, d;

	k->nu = 0;
	k->ut = malloc((e->ncell + 1) * sizeof(double));
	k->g = malloc((e->ncell + 1) * sizeof(double));
	if (k->ut == NULL || k->g == NULL)
		return -1;
	for (i = 0; i < e->ncell; i = j) {
		c = d = 0;
		for (j = i; j < e->ncell && e->cell[j * w + C_TIME] ==
		    e->cell[i * w + C_TIME]; j++) {
			d += e->cell[j * w + C_N];
			if (e->cell[j * w + C_EVENT] == 0)
				c += e->cell[j * w + C_N];
		}
		acc *= 1.0 - c / left;
		left -= d;
		k->ut[k->nu] = e->cell[i * w + C_TIME];
		k->g[k->nu++] = acc;
	}
	return 0;
}

/* G(t) (strict: G(t-), the product over times < t). */
static double
ckm_at(const struct ckm *k, double t, int strict)
{
	return fl_km_step(k->nu, k->ut, k->g, t, strict);
}

/* A Fenwick tree over the risk bins: counts, and their prefix sums. */
static void
fw_add(double *fw, size_t bins, size_t b, double v)
{
	for (b++; b <= bins; b += b & (~b + 1))
		fw[b] += v;
}

/* The count in bins below b. */
static double
fw_below(const double *fw, size_t b)
{
	double s = 0;

	for (; b > 0; b -= b & (~b + 1))
		s += fw[b];
	return s;
}

/* Add the rows of cells [i, j) with event ev to the tree fw and the
 * per-bin counts cnt; returns how many. */
static double
tree_add(const struct fl_fedeval *e, size_t i, size_t j, int ev,
    double *fw, double *cnt)
{
	size_t w = width(e), b;
	const double *x;
	double n = 0;

	for (; i < j; i++) {
		x = e->cell + i * w;
		if ((x[C_EVENT] != 0) != ev)
			continue;
		b = (size_t)x[C_BIN];
		fw_add(fw, e->bins, b, x[C_N]);
		cnt[b] += x[C_N];
		n += x[C_N];
	}
	return n;
}

/*
 * Harrell's C from the cells, as c_index in lib/stats/survival.c: an event
 * at t is compared with the rows of later times and those censored at t,
 * visited from the last time back.  Pairs in different risk bins are
 * ordered as their risks; a pair within one bin counts 1/2 where the
 * exact C counts 0, 1/2 or 1, so the bound is (1/2) those pairs / all.
 */
static int
cells_c_index(const struct fl_fedeval *e, double *c, double *bound)
{
	size_t w = width(e), bins = e->bins, i, j, k, b;
	double *fw, *cnt, tot = 0, num = 0, tie = 0, den = 0, n;
	const double *x;

	fw = calloc(bins + 1, sizeof(double));
	cnt = calloc(bins, sizeof(double));
	if (fw == NULL || cnt == NULL) {
		free(fw);
		free(cnt);
		return -1;
	}
	for (j = e->ncell; j > 0; j = i) {
		/* The cells [i, j) share one time; censored ones first. */
		for (i = j; i > 0 && e->cell[(i - 1) * w + C_TIME] ==
		    e->cell[(j - 1) * w + C_TIME]; i--)
			;
		tot += tree_add(e, i, j, 0, fw, cnt);
		for (k = i; k < j; k++) {
			x = e->cell + k * w;
			if (x[C_EVENT] == 0)
				continue;
			b = (size_t)x[C_BIN];
			n = x[C_N];
			num += n * (fw_below(fw, b) + 0.5 * cnt[b]);
			tie += n * cnt[b];
			den += n * tot;
		}
		tot += tree_add(e, i, j, 1, fw, cnt);
	}
	*c = den > 0 ? num / den : NAN;
	*bound = den > 0 ? 0.5 * tie / den : NAN;
	free(fw);
	free(cnt);
	return 0;
}

/*
 * Uno's cumulative/dynamic AUC at tau from the cells, as td_auc in
 * lib/stats/survival.c: cases (events at t <= tau, weight 1/G(t-)) against the
 * controls (t > tau), binned as cells_c_index.  below is scratch of
 * bins + 1 doubles.
 */
static void
cells_td_auc(const struct fl_fedeval *e, const struct ckm *k, double tau,
    double *below, double *auc, double *bound)
{
	size_t w = width(e), bins = e->bins, i, b;
	double num = 0, tie = 0, den = 0, nctl = 0, g, ctl;
	const double *x;

	memset(below, 0, (bins + 1) * sizeof(double));
	for (i = 0; i < e->ncell; i++) {
		x = e->cell + i * w;
		if (x[C_TIME] > tau)
			below[(size_t)x[C_BIN] + 1] += x[C_N];
	}
	for (b = 0; b < bins; b++)	/* below[b]: controls in bins < b */
		below[b + 1] += below[b];
	nctl = below[bins];
	*auc = *bound = NAN;
	if (nctl == 0)
		return;
	for (i = 0; i < e->ncell; i++) {
		x = e->cell + i * w;
		if (x[C_EVENT] == 0 || x[C_TIME] > tau ||
		    !((g = ckm_at(k, x[C_TIME], 1)) > 0))
			continue;
		b = (size_t)x[C_BIN];
		ctl = below[b + 1] - below[b];
		num += x[C_N] / g * (below[b] + 0.5 * ctl);
		tie += x[C_N] / g * ctl;
		den += x[C_N] / g * nctl;
	}
	if (den > 0) {
		*auc = num / den;
		*bound = 0.5 * tie / den;
	}
}

/* Graf's Brier score at horizon h from the cells, as brier in
 * lib/stats/survival.c: exact, the times being exact. */
static double
cells_brier(const struct fl_fedeval *e, const struct ckm *k, size_t h)
{
	size_t w = width(e), i;
	double tau = e->horizon[h], gt = ckm_at(k, tau, 0), acc = 0, g;
	const double *x;

	for (i = 0; i < e->ncell; i++) {
		x = e->cell + i * w;
		if (x[C_TIME] > tau) {
			if (!(gt > 0))
				return NAN;
			acc += x[C_SUMS + e->nh + h] / gt;
		} else if (x[C_EVENT] != 0 &&
		    (g = ckm_at(k, x[C_TIME], 1)) > 0)
			acc += x[C_SUMS + h] / g;
	}
	return acc / e->s[S_N];
}

/* The survival metrics and bounds of e.  -1 when out of memory. */
static int
survival_metrics(const struct fl_fedeval *e, struct fl_metrics *m,
    struct fl_fedeval_bounds *b)
{
	struct ckm k = { NULL, NULL, 0 };
	double *below = NULL;
	size_t h;
	int rc = -1;

	if (cells_c_index(e, &m->c_index, &b->c_index) < 0)
		return -1;
	m->nhorizons = e->nh;
	if (e->nh == 0)
		return 0;
	if (ckm_build(&k, e) < 0 ||
	    (below = malloc((e->bins + 1) * sizeof(double))) == NULL)
		goto out;
	for (h = 0; h < e->nh; h++) {
		m->horizon[h] = e->horizon[h];
		cells_td_auc(e, &k, e->horizon[h], below, &m->td_auc[h],
		    &b->td_auc[h]);
		m->brier_t[h] = e->brier ? cells_brier(e, &k, h) : NAN;
	}
	rc = 0;
out:
	free(k.ut);
	free(k.g);
	free(below);
	return rc;
}

/*
 * The binned AUC and its bound.  Pairs in different bins are ordered
 * exactly as by their scores; a positive-negative pair in one bin counts
 * 1/2, where the exact AUC counts 0, 1/2 or 1.  So
 * |AUC_binned - AUC| <= (1/2) sum_b pos_b neg_b / (P N).
 */
static void
binned_auc(const struct fl_fedeval *e, double *auc, double *bound)
{
	const double *neg = e->hist, *pos = e->hist + e->bins;
	double P = 0, N = 0, below = 0, u = 0, tie = 0;
	size_t b;

	for (b = 0; b < e->bins; b++) {
		P += pos[b];
		N += neg[b];
	}
	for (b = 0; b < e->bins; b++) {
		u += pos[b] * (below + 0.5 * neg[b]);
		tie += pos[b] * neg[b];
		below += neg[b];
	}
	if (P == 0 || N == 0) {
		*auc = *bound = NAN;
		return;
	}
	*auc = u / (P * N);
	*bound = 0.5 * tie / (P * N);
}

int
fl_fedeval_metrics(const struct fl_fedeval *e, struct fl_metrics *m,
    struct fl_fedeval_bounds *b, struct fl_err *err)
{
	double n = e->s[S_N];
	size_t h;

	memset(m, 0, sizeof(*m));
	m->task = e->task;
	m->n = (size_t)n;
	m->auc = m->accuracy = m->log_loss = m->brier = NAN;
	m->rmse = m->mae = m->r2 = m->c_index = NAN;
	b->auc = b->c_index = NAN;
	for (h = 0; h < FL_MAX_HORIZONS; h++)
		m->td_auc[h] = m->brier_t[h] = b->td_auc[h] = NAN;
	if (e->task == FL_TASK_SURVIVAL) {
		/* The horizons' keys are there even with no rows. */
		m->nhorizons = e->nh;
		memcpy(m->horizon, e->horizon, e->nh * sizeof(double));
	}
	if (n == 0)
		return 0;
	switch (e->task) {
	case FL_TASK_SURVIVAL:
		if (survival_metrics(e, m, b) < 0) {
			m->c_index = b->c_index = NAN;
			return fl_err_set(err, FL_ENOMEM, "out of memory");
		}
		break;
	case FL_TASK_BINARY:
		binned_auc(e, &m->auc, &b->auc);
		m->brier = e->s[S_BRIER] / n;
		/* FALLTHROUGH */
	case FL_TASK_MULTICLASS:
		m->accuracy = e->s[S_CORRECT] / n;
		m->log_loss = e->s[S_LOGLOSS] / n;
		break;
	case FL_TASK_REGRESSION:
		m->rmse = sqrt(e->s[S_SSE] / n);
		m->mae = e->s[S_SAE] / n;
		m->r2 = e->s[S_YM2] > 0 ? 1.0 - e->s[S_SSE] / e->s[S_YM2] :
		    NAN;
		break;
	default:
		break;
	}
	return 0;
}

/* Add key: v to o, null when v is NaN.  -1 on failure. */
static int
set_num(json_t *o, const char *key, double v)
{
	return json_object_set_new(o, key, isfinite(v) ? json_real(v) :
	    json_null());
}

/* The metrics of e as fl-eval's JSON, plus the bounds: "auc_bound"
 * (binary), "c_index_bound" and "auc_T_bound" (survival).  NULL when out
 * of memory. */
static json_t *
metrics_json(const struct fl_fedeval *e)
{
	struct fl_fedeval_bounds b;
	struct fl_metrics m;
	char key[64];
	size_t h;
	json_t *o;
	int bad = 0;

	if (fl_fedeval_metrics(e, &m, &b, NULL) < 0 ||
	    (o = fl_metrics_json(&m)) == NULL)
		return NULL;
	if (e->task == FL_TASK_BINARY)
		bad |= set_num(o, "auc_bound", b.auc);
	if (e->task == FL_TASK_SURVIVAL) {
		bad |= set_num(o, "c_index_bound", b.c_index);
		for (h = 0; h < m.nhorizons; h++) {
			/* The key of fl_metrics_json's "auc_T". */
			snprintf(key, sizeof(key), "auc_%.10g_bound",
			    m.horizon[h]);
			bad |= set_num(o, key, b.td_auc[h]);
		}
	}
	if (bad) {
		json_decref(o);
		return NULL;
	}
	return o;
}

/* e's own row for the per-site table: {site, id, metrics}. */
static json_t *
self_row(const struct fl_fedeval *e)
{
	json_t *m = metrics_json(e);

	if (m == NULL)
		return NULL;
	return json_pack("{s:s?, s:s?, s:o}", "site", e->site, "id", e->id,
	    "metrics", m);
}

/* e's horizons as a JSON array (NULL when out of memory). */
static json_t *
horizons_json(const struct fl_fedeval *e)
{
	json_t *a = json_array();
	size_t h;

	for (h = 0; a != NULL && h < e->nh; h++)
		if (json_array_append_new(a, json_real(e->horizon[h])) < 0) {
			json_decref(a);
			return NULL;
		}
	return a;
}

int
fl_fedeval_to_archive(const struct fl_fedeval *e, struct fl_archive **ap,
    struct fl_err *err)
{
	struct fl_archive *a;
	json_t *man, *m;
	const int *k;
	size_t shape[2];
	int rc = FL_ENOMEM, bad;

	*ap = NULL;
	if ((a = fl_archive_new(FL_KIND_METRICS)) == NULL)
		return fl_err_set(err, FL_ENOMEM, "out of memory");
	man = fl_archive_manifest(a);
	if ((m = metrics_json(e)) == NULL)
		goto nomem;
	bad = json_object_set_new(man, "metrics", m);
	bad |= json_object_set_new(man, "task",
	    json_string(fl_task_name(e->task)));
	bad |= json_object_set_new(man, "classes",
	    json_integer((json_int_t)e->classes));
	bad |= json_object_set_new(man, "bins",
	    json_integer((json_int_t)e->bins));
	bad |= json_object_set_new(man, "parent", e->parent != NULL ?
	    json_string(e->parent) : json_null());
	bad |= json_object_set_new(man, "site", e->site != NULL ?
	    json_string(e->site) : json_null());
	bad |= json_object_set_new(man, "round", json_integer(e->round));
	bad |= json_object_set_new(man, "samples",
	    json_integer((json_int_t)e->s[S_N]));
	if (e->sites != NULL)
		bad |= json_object_set(man, "sites", e->sites);
	if (e->task == FL_TASK_SURVIVAL)
		bad |= json_object_set_new(man, "brier",
		    json_boolean(e->brier)) |
		    json_object_set_new(man, "horizon", horizons_json(e));
	if (bad)
		goto nomem;
	shape[0] = 1;
	for (k = task_sums(e->task); *k >= 0; k++)
		if ((rc = fl_archive_add_tensor(a, s_names[*k], FL_DTYPE_F64,
		    1, shape, &e->s[*k], err)) < 0)
			goto fail;
	if (e->task == FL_TASK_BINARY) {
		shape[0] = 2;
		shape[1] = e->bins;
		if ((rc = fl_archive_add_tensor(a, "hist", FL_DTYPE_F64, 2,
		    shape, e->hist, err)) < 0 ||
		    (rc = fl_archive_add_tensor(a, "psum", FL_DTYPE_F64, 1,
		    shape + 1, e->psum, err)) < 0)
			goto fail;
	}
	if (e->task == FL_TASK_SURVIVAL) {
		if (e->ncell == 0) {
			rc = fl_err_set(err, FL_EUSAGE, "no rows to write");
			goto fail;
		}
		shape[0] = e->ncell;
		shape[1] = width(e);
		if ((rc = fl_archive_add_tensor(a, "cells", FL_DTYPE_F64, 2,
		    shape, e->cell, err)) < 0)
			goto fail;
	}
	*ap = a;
	return 0;
nomem:
	rc = fl_err_set(err, FL_ENOMEM, "out of memory");
fail:
	fl_archive_free(a);
	return rc;
}

/* Copy tensor name of exactly count F64 values into dst. */
static int
get_f64(const struct fl_archive *a, const char *name, size_t ndim,
    const size_t *shape, double *dst, struct fl_err *err)
{
	struct fl_tensor t;
	size_t i, count = 1;

	if (fl_archive_find(a, name, &t) < 0)
		return fl_err_set(err, FL_EFORMAT, "missing tensor '%s'", name);
	for (i = 0; i < ndim; i++)
		count *= shape[i];
	if (t.dtype != FL_DTYPE_F64 || t.ndim != ndim ||
	    t.nbytes != count * sizeof(double))
		return fl_err_set(err, FL_EFORMAT, "tensor '%s' is not F64 "
		    "of the task's shape", name);
	for (i = 0; i < ndim; i++)
		if (t.shape[i] != shape[i])
			return fl_err_set(err, FL_EFORMAT, "tensor '%s' is "
			    "not F64 of the task's shape", name);
	memcpy(dst, t.data, t.nbytes);	/* archive data may be unaligned */
	for (i = 0; i < count; i++)
		if (!isfinite(dst[i]))
			return fl_err_set(err, FL_ENUM, "tensor '%s': a value "
			    "is NaN or infinite", name);
	return 0;
}

/* Check the sums read: whole non-negative counts, no count above n. */
static const char *
check_sums(const struct fl_fedeval *e)
{
	double n = e->s[S_N], P = 0, N = 0;
	size_t b;

	if (n < 0 || n != floor(n) || n > 9007199254740992.0)
		return "'n' is not a count";
	if (e->task != FL_TASK_REGRESSION && (e->s[S_CORRECT] < 0 ||
	    e->s[S_CORRECT] > n || e->s[S_CORRECT] !=
	    floor(e->s[S_CORRECT]) || e->s[S_LOGLOSS] < 0))
		return "'correct' or 'log_loss' is out of range";
	if (e->task == FL_TASK_REGRESSION && (e->s[S_SSE] < 0 ||
	    e->s[S_SAE] < 0 || e->s[S_YM2] < 0))
		return "a sum of squares is negative";
	if (e->task != FL_TASK_BINARY)
		return NULL;
	if (e->s[S_BRIER] < 0 || e->s[S_BRIER] > n)
		return "'brier' is out of range";
	for (b = 0; b < e->bins; b++) {
		if (e->hist[b] < 0 || e->hist[b] != floor(e->hist[b]) ||
		    e->hist[e->bins + b] < 0 ||
		    e->hist[e->bins + b] != floor(e->hist[e->bins + b]))
			return "'hist' holds a value that is not a count";
		N += e->hist[b];
		P += e->hist[e->bins + b];
	}
	if (P + N != n)
		return "'hist' does not add up to 'n'";
	return NULL;
}

/*
 * Read the survival keys "horizon" and "brier" and the tensor "cells",
 * and check the cells: keys strictly increasing (sorted, each once),
 * times >= 0, events 0 or 1, whole bins and counts, sums within what
 * the rows allow, counts adding up to n.
 */
static int
read_cells(struct fl_fedeval *e, const struct fl_archive *a,
    const json_t *man, struct fl_err *err)
{
	const json_t *hz = json_object_get(man, "horizon"),
	    *br = json_object_get(man, "brier");
	double horizon[FL_MAX_HORIZONS], total = 0, *c;
	struct fl_tensor t;
	size_t h, i, k, w, bytes;

	if (!json_is_array(hz) || json_array_size(hz) > FL_MAX_HORIZONS ||
	    !json_is_boolean(br))
		return fl_err_set(err, FL_EFORMAT, "key 'horizon' or 'brier' "
		    "is missing or of the wrong type");
	for (h = 0; h < json_array_size(hz); h++) {
		if (!json_is_number(json_array_get(hz, h)))
			return fl_err_set(err, FL_EFORMAT, "key 'horizon' "
			    "holds a value that is not a number");
		horizon[h] = json_number_value(json_array_get(hz, h));
	}
	if (fix_horizons(e, json_array_size(hz), horizon, json_is_true(br),
	    NULL) < 0)
		return fl_err_set(err, FL_EFORMAT, "key 'horizon' holds a "
		    "time that is not > 0");
	w = width(e);
	if (fl_archive_find(a, "cells", &t) < 0)
		return fl_err_set(err, FL_EFORMAT, "missing tensor 'cells'");
	if (t.dtype != FL_DTYPE_F64 || t.ndim != 2 || t.shape[1] != w ||
	    t.shape[0] == 0 || fl_size_mul(t.shape[0], w * sizeof(double),
	    &bytes) < 0 || bytes != t.nbytes)
		return fl_err_set(err, FL_EFORMAT, "tensor 'cells' is not F64 "
		    "of shape (cells, %zu)", w);
	if (grow_cells(e, t.shape[0]) < 0)
		return fl_err_set(err, FL_ENOMEM, "out of memory");
	memcpy(e->cell, t.data, t.nbytes);	/* may be unaligned */
	e->ncell = t.shape[0];
	for (i = 0; i < e->ncell; i++) {
		c = e->cell + i * w;
		for (k = 0; k < w; k++)
			if (!isfinite(c[k]))
				return fl_err_set(err, FL_ENUM, "tensor "
				    "'cells': a value is NaN or infinite");
		if (c[C_TIME] < 0 || !(c[C_EVENT] == 0 || c[C_EVENT] == 1) ||
		    c[C_BIN] < 0 || c[C_BIN] >= (double)e->bins ||
		    c[C_BIN] != floor(c[C_BIN]) || c[C_N] < 1 ||
		    c[C_N] != floor(c[C_N]))
			return fl_err_set(err, FL_EFORMAT, "tensor 'cells': "
			    "row %zu is not (time >= 0, event 0 or 1, bin, "
			    "count)", i);
		for (k = C_SUMS; k < w; k++)
			if (c[k] < 0 || c[k] > c[C_N] * (1 + 1e-9))
				return fl_err_set(err, FL_EFORMAT, "tensor "
				    "'cells': row %zu: a sum is out of range",
				    i);
		if (i > 0 && cmp_cell(c - w, c) >= 0)
			return fl_err_set(err, FL_EFORMAT, "tensor 'cells': "
			    "row %zu is out of order", i);
		total += c[C_N];
	}
	if (total != e->s[S_N])
		return fl_err_set(err, FL_EFORMAT, "tensor 'cells' does not "
		    "add up to 'n'");
	return 0;
}

int
fl_fedeval_from_archive(struct fl_fedeval **ep, const struct fl_archive *a,
    struct fl_err *err)
{
	json_t *man = fl_archive_manifest((struct fl_archive *)a);
	struct fl_fedeval *e = NULL;
	const json_t *site, *parent, *sites;
	const char *task, *why;
	int64_t classes, bins, round;
	size_t shape[2], want = 0;
	const int *k;
	int t, rc;

	*ep = NULL;
	if (fl_archive_kind(a) != FL_KIND_METRICS)
		return fl_err_set(err, FL_EFORMAT, "not a metrics archive "
		    "(kind '%s')", fl_kind_name(fl_archive_kind(a)));
	if ((rc = fl_json_get_str(man, "task", &task, err)) < 0 ||
	    (rc = fl_json_get_int(man, "classes", &classes, err)) < 0 ||
	    (rc = fl_json_get_int(man, "bins", &bins, err)) < 0 ||
	    (rc = fl_json_get_int(man, "round", &round, err)) < 0)
		return rc;
	if ((t = fl_task_parse(task)) < 0)
		return fl_err_set(err, FL_EFORMAT, "unknown task '%.32s'",
		    task);
	if ((t == FL_TASK_MULTICLASS && (classes < 2 || classes > 65536)) ||
	    (t != FL_TASK_MULTICLASS && classes != 0))
		return fl_err_set(err, FL_EFORMAT, "key 'classes' does not "
		    "fit task '%s'", task);
	want = t == FL_TASK_BINARY || t == FL_TASK_SURVIVAL ?
	    FL_FEDEVAL_BINS : 0;
	if (bins != (int64_t)want)
		return fl_err_set(err, FL_EFORMAT, "key 'bins' is %lld, "
		    "not %zu", (long long)bins, want);
	want = 0;
	site = json_object_get(man, "site");
	parent = json_object_get(man, "parent");
	sites = json_object_get(man, "sites");
	if ((site != NULL && !json_is_null(site) && !json_is_string(site)) ||
	    (parent != NULL && !json_is_null(parent) &&
	    !json_is_string(parent)) ||
	    (sites != NULL && !json_is_array(sites)))
		return fl_err_set(err, FL_EFORMAT, "key 'site', 'parent' or "
		    "'sites' has the wrong type");
	if ((rc = fl_fedeval_new(&e, (enum fl_task)t, (size_t)classes,
	    json_string_value(parent), json_string_value(site), round,
	    err)) < 0)
		return rc;
	if (set_str(&e->id, fl_archive_id(a)) < 0) {
		rc = fl_err_set(err, FL_ENOMEM, "out of memory");
		goto out;
	}
	if (sites != NULL)
		e->sites = json_deep_copy(sites);
	shape[0] = 1;
	for (k = task_sums(e->task); *k >= 0; k++, want++)
		if ((rc = get_f64(a, s_names[*k], 1, shape, &e->s[*k],
		    err)) < 0)
			goto out;
	if (e->task == FL_TASK_BINARY) {
		shape[0] = 2;
		shape[1] = e->bins;
		if ((rc = get_f64(a, "hist", 2, shape, e->hist, err)) < 0 ||
		    (rc = get_f64(a, "psum", 1, shape + 1, e->psum, err)) < 0)
			goto out;
		want += 2;
	}
	if ((why = check_sums(e)) != NULL) {
		rc = fl_err_set(err, FL_EFORMAT, "%s", why);
		goto out;
	}
	if (e->task == FL_TASK_SURVIVAL) {
		if ((rc = read_cells(e, a, man, err)) < 0)
			goto out;
		want++;
	}
	if (fl_archive_ntensors(a) != want) {
		rc = fl_err_set(err, FL_EFORMAT, "%zu tensors, %s %s "
		    "metrics archive has %zu", fl_archive_ntensors(a),
		    fl_article(task), task, want);
		goto out;
	}
	*ep = e;
	e = NULL;
out:
	fl_fedeval_free(e);
	return rc;
}

/* Append e's rows (its "sites", or its own row) to rows. */
static int
append_rows(json_t *rows, const struct fl_fedeval *e)
{
	size_t i;
	json_t *r;

	if (e->sites != NULL) {
		json_array_foreach(e->sites, i, r)
			if (json_array_append(rows, r) < 0)
				return -1;
		return 0;
	}
	return json_array_append_new(rows, self_row(e));
}

/* 1 when a row in rows names site. */
static int
has_site(const json_t *rows, const char *site)
{
	size_t i;
	json_t *r;
	const char *s;

	json_array_foreach(rows, i, r) {
		s = json_string_value(json_object_get(r, "site"));
		if (s != NULL && strcmp(s, site) == 0)
			return 1;
	}
	return 0;
}

int
fl_fedeval_merge(struct fl_fedeval *dst, const struct fl_fedeval *src,
    struct fl_err *err)
{
	json_t *rows;
	size_t i, j;
	const char *s;

	int rc;

	if (dst->task != src->task || dst->classes != src->classes)
		return fl_err_set(err, FL_ESHAPE, "task '%s' (%zu classes) "
		    "differs from '%s' (%zu classes)", fl_task_name(src->task),
		    src->classes, fl_task_name(dst->task), dst->classes);
	if (dst->task == FL_TASK_SURVIVAL && src->fixed &&
	    (rc = fix_horizons(dst, src->nh, src->horizon, src->brier,
	    err)) < 0)
		return rc;
	if (dst->task == FL_TASK_SURVIVAL && grow_cells(dst, src->ncell) < 0)
		return fl_err_set(err, FL_ENOMEM, "out of memory");
	if ((dst->parent == NULL) != (src->parent == NULL) ||
	    (dst->parent != NULL && strcmp(dst->parent, src->parent) != 0))
		return fl_err_set(err, FL_ESHAPE, "metrics of model %.24s, "
		    "not of %.24s", src->parent != NULL ? src->parent : "null",
		    dst->parent != NULL ? dst->parent : "null");
	if (dst->sites == NULL) {
		if ((rows = json_array()) == NULL ||
		    append_rows(rows, dst) < 0) {
			json_decref(rows);
			return fl_err_set(err, FL_ENOMEM, "out of memory");
		}
		dst->sites = rows;
		set_str(&dst->site, NULL);
		set_str(&dst->id, NULL);
	}
	if ((rows = json_array()) == NULL || append_rows(rows, src) < 0) {
		json_decref(rows);
		return fl_err_set(err, FL_ENOMEM, "out of memory");
	}
	for (j = 0; j < json_array_size(rows); j++) {
		s = json_string_value(json_object_get(json_array_get(rows, j),
		    "site"));
		if (s != NULL && has_site(dst->sites, s)) {
			fl_err_set(err, FL_EFORMAT, "site '%.64s' already "
			    "contributed", s);
			json_decref(rows);
			return err != NULL ? err->code : FL_EFORMAT;
		}
	}
	if (json_array_extend(dst->sites, rows) < 0) {
		json_decref(rows);
		return fl_err_set(err, FL_ENOMEM, "out of memory");
	}
	json_decref(rows);
	if (dst->task == FL_TASK_REGRESSION)
		add_spread(dst, src->s[S_N], src->s[S_YSUM], src->s[S_YM2]);
	for (i = 0; i < S_MAX; i++)
		if (i != S_YSUM && i != S_YM2)
			dst->s[i] += src->s[i];
	if (dst->task == FL_TASK_BINARY) {
		for (i = 0; i < 2 * dst->bins; i++)
			dst->hist[i] += src->hist[i];
		for (i = 0; i < dst->bins; i++)
			dst->psum[i] += src->psum[i];
	}
	if (dst->task == FL_TASK_SURVIVAL && src->ncell > 0) {
		memcpy(dst->cell + dst->ncell * width(dst), src->cell,
		    src->ncell * width(src) * sizeof(double));
		dst->ncell += src->ncell;
		coalesce(dst);
	}
	return 0;
}

/* Write one TSV cell: a number as %.10g, else NA. */
static void
put_cell(FILE *f, const json_t *v)
{
	if (json_is_integer(v))
		fprintf(f, "%lld", (long long)json_integer_value(v));
	else if (json_is_number(v))
		fprintf(f, "%.10g", json_number_value(v));
	else
		fputs("NA", f);
}

/* Write site names without tabs or newlines. */
static void
put_name(FILE *f, const char *s)
{
	for (; *s != '\0'; s++)
		fputc(*s == '\t' || *s == '\n' || *s == '\r' ? ' ' : *s, f);
}

/* One row of the report: site, then m's metrics in the key order of
 * keys (the pooled row's, which is fl-eval's: an archive's manifest has
 * its keys sorted). */
static void
report_row(FILE *f, const char *site, const json_t *m, const json_t *keys,
    int json, int header)
{
	const char *key;
	json_t *v, *o;

	if (json) {
		o = json_pack("{s:s}", "site", site);
		json_object_foreach((json_t *)keys, key, v)
			if (o != NULL)
				json_object_set(o, key, json_object_get(m, key) ?
				    json_object_get(m, key) : json_null());
		if (o != NULL)
			json_dumpf(o, f, JSON_PRESERVE_ORDER | JSON_COMPACT |
			    JSON_REAL_PRECISION(12));
		json_decref(o);
		fputc('\n', f);
		return;
	}
	if (header)
		fputs("site", f);
	else
		put_name(f, site);
	json_object_foreach((json_t *)keys, key, v) {
		fputc('\t', f);
		if (header)
			fputs(key, f);
		else
			put_cell(f, json_object_get(m, key));
	}
	fputc('\n', f);
}

int
fl_fedeval_report(const struct fl_fedeval *e, FILE *f, int json,
    const char *name, struct fl_err *err)
{
	json_t *rows, *pooled, *r, *m;
	const char *site;
	size_t i;
	int rc = 0;

	if ((rows = json_array()) == NULL || append_rows(rows, e) < 0 ||
	    (pooled = metrics_json(e)) == NULL) {
		json_decref(rows);
		return fl_err_set(err, FL_ENOMEM, "out of memory");
	}
	if (!json)
		report_row(f, "", pooled, pooled, 0, 1);
	json_array_foreach(rows, i, r) {
		m = json_object_get(r, "metrics");
		site = json_string_value(json_object_get(r, "site"));
		if (!json_is_object(m)) {
			rc = fl_err_set(err, FL_EFORMAT, "%s: key 'sites': "
			    "row %zu has no metrics", name, i);
			goto out;
		}
		report_row(f, site != NULL ? site : "NA", m, pooled, json, 0);
	}
	report_row(f, "pooled", pooled, pooled, json, 0);
	if (ferror(f))
		rc = fl_err_set(err, FL_EIO, "%s: %s", name, strerror(errno));
out:
	json_decref(rows);
	json_decref(pooled);
	return rc;
}

int
fl_fedeval_curve(const struct fl_fedeval *e, const char *curve, FILE *f,
    const char *name, struct fl_err *err)
{
	const double *neg = e->hist, *pos = e->hist + e->bins;
	double P = 0, N = 0, tp = 0, fp = 0, c, o, s;
	size_t b, i, per;

	if (e->task != FL_TASK_BINARY)
		return fl_err_set(err, FL_EUSAGE, "--curve %s needs a binary "
		    "task, not '%s'", curve, fl_task_name(e->task));
	for (b = 0; b < e->bins; b++) {
		P += pos[b];
		N += neg[b];
	}
	if (strcmp(curve, "roc") == 0) {
		if (P == 0 || N == 0)
			return fl_err_set(err, FL_EUSAGE, "%s: no ROC curve "
			    "with one class absent", name);
		/* Predict positive when the score's bin is at or above
		 * b: one point per non-empty bin, from the top. */
		fputs("fpr\ttpr\tthreshold\n0\t0\t1\n", f);
		for (b = e->bins; b-- > 0;) {
			if (pos[b] + neg[b] == 0)
				continue;
			tp += pos[b];
			fp += neg[b];
			fprintf(f, "%.10g\t%.10g\t%.10g\n", fp / N, tp / P,
			    (double)b / (double)e->bins);
		}
	} else if (strcmp(curve, "calibration") == 0) {
		per = e->bins / CAL_BINS;
		fputs("bin\tmean_pred\tobserved\tn\n", f);
		for (b = 0; b < CAL_BINS; b++) {
			for (c = o = s = 0, i = b * per; i < (b + 1) * per;
			    i++) {
				c += pos[i] + neg[i];
				o += pos[i];
				s += e->psum[i];
			}
			if (c == 0)
				continue;
			fprintf(f, "%zu\t%.10g\t%.10g\t%.0f\n", b, s / c,
			    o / c, c);
		}
	} else
		return fl_err_set(err, FL_EUSAGE, "unknown curve '%s'", curve);
	if (ferror(f))
		return fl_err_set(err, FL_EIO, "%s: %s", name, strerror(errno));
	return 0;
}
