/*
 * stats/stats.h: the stats layer of libfl: column statistics, metrics,
 * survival metrics, federated evaluation.
 * Layers include downwards only (README.md, "Source tour"); fl.h
 * includes them all.
 */
#ifndef FL_LIB_STATS_H
#define FL_LIB_STATS_H

#include "model/model.h"
#include "privacy/privacy.h"

/* ------------------------------------------------------------------------ */
/* Per-column sufficient statistics (lib/stats/stats.c).                      */

struct fl_colstats {
	const char	*name;
	double		 count;		/* non-missing values */
	double		 missing;	/* NA or empty cells */
	double		 sum;
	double		 sumsq;
	double		 min;		/* +Inf when count is 0 */
	double		 max;		/* -Inf when count is 0 */
};

struct fl_stats;
/* Statistics of every column of a CSV file.  Errors: those of fl_csv. */
int		 fl_stats_from_csv(struct fl_stats **s, const char *path,
		    struct fl_err *err);
/* A stats archive: manifest "columns" (names in order) and "rows";
 * F64 tensors count, missing, sum, sumsq, min, max of shape [ncols]. */
int		 fl_stats_to_archive(const struct fl_stats *s,
		    struct fl_archive **a, struct fl_err *err);
int		 fl_stats_from_archive(struct fl_stats **s,
		    const struct fl_archive *a, struct fl_err *err);
/* Add src's statistics into dst, matching columns by name; a column only
 * in src is appended.  The result equals the statistics of the pooled
 * rows.  Errors: FL_ENOMEM. */
int		 fl_stats_merge(struct fl_stats *dst, const struct fl_stats *src,
		    struct fl_err *err);
size_t		 fl_stats_ncols(const struct fl_stats *s);
size_t		 fl_stats_rows(const struct fl_stats *s);
void		 fl_stats_col(const struct fl_stats *s, size_t j,
		    struct fl_colstats *out);
/* Index of column name, or -1. */
long		 fl_stats_find(const struct fl_stats *s, const char *name);
/*
 * The levels of column j (lib/stats/levels.c), recorded only for the
 * columns named in fl_stats_opts.categorical: its distinct non-missing
 * cells as written in the CSV (quotes and surrounding blanks removed;
 * compared as strings: 3 and 3.0 differ), sorted (numbers first in
 * numeric order, ties and other text in byte order), with counts.
 * Returns the number of levels and sets *values and *counts;
 * FL_LEVELS_NONE when the column's levels were not recorded (at some
 * site, once merged); FL_LEVELS_OVER when it has too many (more than
 * FL_MAX_LEVELS, or one longer than FL_MAX_LEVEL_LEN bytes).  Under
 * min_count K, a level seen fewer than K times at a site is dropped from
 * that site's levels (not merged into another level).
 */
#define FL_MAX_LEVELS		64
#define FL_MAX_LEVEL_LEN	256
#define FL_LEVELS_NONE		(-1)
#define FL_LEVELS_OVER		(-2)
long		 fl_stats_levels(const struct fl_stats *s, size_t j,
		    const char *const **values, const double **counts);
/* Mean and sample standard deviation of column j (NaN when undefined). */
double		 fl_stats_mean(const struct fl_stats *s, size_t j);
double		 fl_stats_sd(const struct fl_stats *s, size_t j);
/* Print the statistics as a table on f: the header
 * "column count missing mean sd min max" (tab-separated), then one line per
 * column, numbers as %.10g, an empty cell where a value is undefined.
 * name is used in messages.  Errors: FL_EIO. */
int		 fl_stats_write_tsv(const struct fl_stats *s, FILE *f,
		    const char *name, struct fl_err *err);
void		 fl_stats_free(struct fl_stats *s);

/*
 * The clinical summary.  fl_stats_from_csv_opts also computes,
 * when grid is given, a histogram of every column on bins equal bins of
 * [min, max] taken from grid's column of the same name (values outside
 * are clamped to the end bins), and when time is given, a Kaplan-Meier
 * table (time, events, censored per distinct time) of the rows with both
 * time and event (0 or 1).  min_count K > 1 suppresses cells from fewer
 * than K patients; epsilon > 0 adds Laplace noise to the histogram and KM
 * cells (see man/fl-stats.1).  All of it is kept in the archive and
 * merged by fl_stats_merge (FL_ESHAPE for another grid or other survival
 * columns).
 */
struct fl_stats_opts {
	const struct fl_stats	*grid;		/* or NULL: no histograms */
	size_t			 bins;
	const char		*time, *event;	/* or NULL: no KM table */
	size_t			 min_count;	/* 0 or 1: none */
	double			 epsilon;	/* 0: none */
	const char		*image_column;	/* or NULL (fl_csv_image) */
	/* Columns whose levels are recorded and whose cells may be text
	 * (fl_csv_text): a text cell counts as missing in the numeric
	 * statistics and as its level in the levels.  FL_EFORMAT for a
	 * column the CSV lacks. */
	char *const		*categorical;
	size_t			 ncategorical;
};
int		 fl_stats_from_csv_opts(struct fl_stats **s, const char *path,
		    const struct fl_stats_opts *opt, struct fl_err *err);
/* "Table 1": column n missing mean sd median q1 q3 quantile_error ones
 * percent, the quantiles from the histograms (empty without), within
 * quantile_error (one bin width) of the exact ones; a column of only 0s
 * and 1s gives instead the number of 1s and their percent of n.
 * Errors: FL_EIO. */
int		 fl_stats_write_table1(const struct fl_stats *s, FILE *f,
		    const char *name, struct fl_err *err);
/* The Kaplan-Meier curve: time survival at_risk events.  Errors:
 * FL_EUSAGE (no table), FL_EIO. */
int		 fl_stats_write_km(const struct fl_stats *s, FILE *f,
		    const char *name, struct fl_err *err);

/* ------------------------------------------------------------------------ */
/* Metrics (lib/stats/metrics.c).                                             */

#define FL_MAX_HORIZONS 16	/* --horizon values per evaluation */

struct fl_metrics {
	enum fl_task	task;
	size_t		n;
	double		auc, accuracy, log_loss, brier;	/* binary */
	double		rmse, mae, r2;			/* regression */
	/* Survival (lib/stats/survival.c): Harrell's C-index, and per horizon the
	 * IPCW cumulative/dynamic AUC and Brier score. */
	double		c_index;
	size_t		nhorizons;
	double		horizon[FL_MAX_HORIZONS];
	double		td_auc[FL_MAX_HORIZONS];
	double		brier_t[FL_MAX_HORIZONS];
};

/* Metrics of predictions pred (n, k as from fl_predict) against y (n).
 * Binary: n auc accuracy log_loss brier (AUC NaN when one class is
 * absent); multiclass: n accuracy log_loss; regression: n rmse mae r2.
 * Errors: FL_ENOMEM, FL_EUSAGE (n is 0). */
int		 fl_metrics_compute(enum fl_task task, size_t n, size_t k,
		    const float *pred, const float *y, struct fl_metrics *out,
		    struct fl_err *err);
/* The metrics as a new JSON object holding exactly the task's keys, in the
 * order above (NaN written as null).  NULL when out of memory. */
json_t		*fl_metrics_json(const struct fl_metrics *m);

/* ------------------------------------------------------------------------ */
/* Federated evaluation (lib/stats/fedeval.c).                                */

/*
 * The sufficient statistics of a model's metrics on some rows: sums that
 * add up across sites (n, correct, log loss, Brier, squared and absolute
 * errors, the label's sum and squared deviations) and, for binary tasks,
 * per-class histograms of the score on FL_FEDEVAL_BINS equal bins of
 * [0, 1] and the sum of scores per bin.  Pooled metrics are exact but for
 * the AUC, which is binned: within "auc_bound" = (1/2) sum_b pos_b neg_b
 * / (P N) of the exact AUC of the pooled rows.
 *
 * Survival: a table of cells (time, event, risk bin) with the rows in each
 * and, per horizon, their sums of S(T|x)^2 and (1 - S(T|x))^2; the risk
 * bin is that of 1 / (1 + exp(-eta)) on FL_FEDEVAL_BINS equal bins.  Times
 * are kept exactly, so the Kaplan-Meier estimate of censoring, and with it
 * the Brier score, are exact; the C-index and the time-dependent AUC are
 * binned, within "c_index_bound" and "auc_T_bound": (1/2) the weight of
 * the comparable pairs that share a risk bin over that of all comparable
 * pairs.  A metrics archive (kind "metrics") holds them; see
 * man/fl-archive.5.
 */
#define FL_FEDEVAL_BINS 10000
struct fl_fedeval;
/* Empty statistics for task (classes for multiclass) of the model whose
 * archive id is parent (may be NULL), from site (may be NULL).  Errors:
 * FL_ENOMEM. */
int		 fl_fedeval_new(struct fl_fedeval **e, enum fl_task task,
		    size_t classes, const char *parent, const char *site,
		    int64_t round, struct fl_err *err);
void		 fl_fedeval_free(struct fl_fedeval *e);
/* Add n rows: pred (n, k) as from fl_predict, labels y (n).  Errors:
 * FL_EUSAGE (k does not fit), FL_ENUM (a bad label or a NaN score). */
int		 fl_fedeval_add(struct fl_fedeval *e, size_t n, size_t k,
		    const float *pred, const float *y, struct fl_err *err);
/* Survival: add n rows: risk eta, time and event (n), and surv (n, nh:
 * S(horizon[h] | x_i), as fl_metrics_survival; NULL for none, then no
 * Brier score).  The first rows added fix the horizons and whether surv
 * is given; later ones must agree.  Errors: FL_EUSAGE (not a survival
 * task, horizons that differ, nh too large), FL_ENUM (a NaN risk or
 * probability, a time that is not >= 0, an event not 0 or 1), FL_ENOMEM. */
int		 fl_fedeval_add_survival(struct fl_fedeval *e, size_t n,
		    const float *eta, const float *time, const float *event,
		    size_t nh, const double *horizon, const double *surv,
		    struct fl_err *err);
/* The binned metrics' bounds: NaN where the metric is not binned or not
 * defined. */
struct fl_fedeval_bounds {
	double	auc;				/* binary */
	double	c_index;			/* survival */
	double	td_auc[FL_MAX_HORIZONS];	/* survival, per horizon */
};
/* The metrics (the keys of fl_metrics_json) and the bounds of the binned
 * ones.  Errors: FL_ENOMEM (survival only; m then holds NaN). */
int		 fl_fedeval_metrics(const struct fl_fedeval *e,
		    struct fl_metrics *m, struct fl_fedeval_bounds *b,
		    struct fl_err *err);
/* A metrics archive: manifest "task", "classes", "bins", "parent",
 * "site", "round", "samples", "metrics" (fl-eval's keys, plus the bounds:
 * "auc_bound", or "c_index_bound" and "auc_T_bound"), for survival
 * "horizon" and "brier", and once merged "sites" (one row per site).
 * Errors: FL_ENOMEM. */
int		 fl_fedeval_to_archive(const struct fl_fedeval *e,
		    struct fl_archive **a, struct fl_err *err);
/* Read and check a metrics archive.  Errors: FL_EFORMAT, FL_ENUM,
 * FL_ENOMEM. */
int		 fl_fedeval_from_archive(struct fl_fedeval **e,
		    const struct fl_archive *a, struct fl_err *err);
/* Add src into dst, keeping one row per site.  Refused: another task or
 * model or other horizons (FL_ESHAPE), a site already in dst
 * (FL_EFORMAT).  Errors: FL_ENOMEM. */
int		 fl_fedeval_merge(struct fl_fedeval *dst,
		    const struct fl_fedeval *src, struct fl_err *err);
/* The per-site rows and a "pooled" row, as TSV (header "site" and the
 * metric keys) or one JSON object per line.  Errors: FL_EIO, FL_EFORMAT. */
int		 fl_fedeval_report(const struct fl_fedeval *e, FILE *f,
		    int json, const char *name, struct fl_err *err);
/* A binary curve as TSV: "roc" (fpr tpr threshold, one point per
 * non-empty bin) or "calibration" (bin mean_pred observed n, ten bins).
 * Errors: FL_EUSAGE (other tasks, unknown curve), FL_EIO. */
int		 fl_fedeval_curve(const struct fl_fedeval *e, const char *curve,
		    FILE *f, const char *name, struct fl_err *err);
/*
 * Survival metrics of risk scores eta (n, higher = earlier failure)
 * against time and event (n): Harrell's C-index (pairs with t_i < t_j and
 * an event at t_i, or equal times with an event only at i; tied eta
 * count 1/2), and at each horizon[h] the cumulative/dynamic AUC with
 * inverse probability of censoring weights from the Kaplan-Meier estimate
 * of censoring (Uno et al. 2007) and the IPCW Brier score of surv (n,
 * nh: S(horizon[h] | x_i); NULL gives NaN) (Graf et al. 1999).  NaN where
 * undefined.  Errors: FL_EUSAGE (n 0, nh too large), FL_ENOMEM.
 */
int		 fl_metrics_survival(size_t n, const float *eta,
		    const float *time, const float *event, size_t nh,
		    const double *horizon, const double *surv,
		    struct fl_metrics *out, struct fl_err *err);

/* The value at t of a Kaplan-Meier step function: g[k] from the k-th of
 * the nu distinct times ut (ascending) on, 1 before the first; strict
 * gives the value just before t. */
double		 fl_km_step(size_t nu, const double *ut, const double *g,
		    double t, int strict);

/*
 * The Kaplan-Meier estimate of survival from time and event (n) at each
 * of the nt times t: observed[k] = the product over distinct event times
 * u <= t[k] of (1 - d_u / n_u), d_u the events at u and n_u the rows with
 * time >= u; at_risk[k] (NULL for none) = the rows with time >= t[k].
 * Errors: FL_ENOMEM.
 */
int		 fl_survival_km(size_t n, const float *time,
		    const float *event, size_t nt, const double *t,
		    double *observed, size_t *at_risk, struct fl_err *err);
/*
 * fl-eval's survival curve: at each point t of m's baseline grid, write
 * "time predicted observed at_risk" as TSV (with a header line) to f,
 * named name in errors: predicted = the mean over the n rows of S(t|x) =
 * exp(-H0(t) exp(eta)) with H0 from cumhaz (fl_baseline_read), observed
 * and at_risk those of fl_survival_km.  Errors: FL_EUSAGE (not a
 * survival model, no grid, n 0), FL_EFORMAT (cumhaz NULL: no baseline),
 * FL_ENOMEM, FL_EIO.
 */
int		 fl_survival_curve(const struct fl_model *m,
		    const double *cumhaz, size_t n, const float *eta,
		    const float *time, const float *event, FILE *f,
		    const char *name, struct fl_err *err);

#include "stats/coef.h"

#endif /* FL_LIB_STATS_H */
