/*
 * stats/coef.h: the coefficient table of a model fitted by Newton rounds
 * (lib/stats/coef.c), what fl-eval --coef prints.  Included by
 * stats/stats.h.
 */
#ifndef FL_LIB_STATS_COEF_H
#define FL_LIB_STATS_COEF_H

/*
 * The table of m, whose manifest man carries the "newton" record of
 * fl-aggregate --strategy newton (lib/federation/newton.c), at
 * confidence level (0 < level < 1), as a new JSON object:
 *   "terms": one object per coefficient, in the features' original
 *   units ("(Intercept)" first for logreg and linear): term estimate se
 *   z p ci_low ci_high, and for logreg and cox ratio ratio_low
 *   ratio_high (the odds or hazard ratio, exp of the estimate and of
 *   the interval).  The covariance is the inverse of the pooled
 *   information matrix at the estimates, carried back from the
 *   standardised scale (for linear, times RSS / (n - p), and "z" is
 *   Student's t on n - p degrees of freedom, as R's summary.lm); the
 *   intervals are Wald's (R's confint.default; confint.lm for linear).
 *   Then "n", "events", "loglik" (linear: the Gaussian log-likelihood
 *   at the least-squares fit, R's logLik), "iterations", "converged",
 *   "l2", and "sites": {site, rows, events, skipped, dropped} each.
 * Errors name nothing (the caller prefixes the file): FL_EFORMAT (no
 * or a malformed "newton" record, another model), FL_ENUM (not
 * converged; separated data: fitted probabilities of 0 or 1 without
 * --l2; a singular information matrix), FL_ENOMEM.
 */
int		 fl_coef_table(const struct fl_model *m, const json_t *man,
		    double level, json_t **table, struct fl_err *err);

/* The standard normal quantile at 0 < p < 1, to about 1e-15. */
double		 fl_qnorm(double p);
/* P(|T| > |t|) for Student's t on df > 0 degrees of freedom, and its
 * quantile at 0 < p < 1. */
double		 fl_pt2(double t, double df);
double		 fl_qt(double p, double df);

#endif /* FL_LIB_STATS_COEF_H */
