/*
 * init-check.c: fl-init's checks of the pooled statistics before it
 * writes anything: the label must be a column of them and fit the task;
 * and, when asked, a summary on stderr of the features chosen and left
 * out, with warnings about columns that look like row numbers,
 * identifiers or constants.
 */
#include <math.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "fl.h"
#include "cli.h"
#include "init.h"

/* Whether x is a finite whole number. */
static int
whole(double x)
{
	return isfinite(x) && x == floor(x);
}

/*
 * Check that the label (o->label, the event column of a survival model)
 * is a column of the statistics st and holds values of task: 0/1 for a
 * binary or survival task (min >= 0, max <= 1 and sum of squares equal to
 * the sum), whole class indices 0..K-1 for a multiclass one, in which
 * case set o->classes from the maximum when --classes was not given.
 */
int
init_check_label(struct opts *o, const struct fl_stats *st,
    enum fl_task task, struct fl_err *err)
{
	struct fl_colstats cs;
	long col;

	if (st == NULL)
		return 0;
	if ((col = fl_stats_find(st, o->label)) < 0)
		return fl_err_set(err, FL_EFORMAT, "%s: no column '%s' (the "
		    "label)", o->stats, o->label);
	fl_stats_col(st, (size_t)col, &cs);
	if (cs.count < 1)
		return fl_err_set(err, FL_EFORMAT, "%s: column '%s' (the "
		    "label) has no values", o->stats, o->label);
	switch (task) {
	case FL_TASK_BINARY:
	case FL_TASK_SURVIVAL:
		if (!(cs.min >= 0) || !(cs.max <= 1) ||
		    fabs(cs.sumsq - cs.sum) > 1e-9 * (cs.count + 1))
			return fl_err_set(err, FL_EFORMAT, "%s: label '%s' is "
			    "not 0/1 (min %g, max %g)", o->stats, o->label,
			    cs.min, cs.max);
		break;
	case FL_TASK_MULTICLASS:
		if (!(cs.min >= 0) || !whole(cs.min) || !whole(cs.max) ||
		    !whole(cs.sum) || cs.max > 65535 ||
		    (o->classes == 0 && cs.max < 1) ||
		    (o->classes > 0 && cs.max >= (double)o->classes))
			return o->classes > 0 ? fl_err_set(err, FL_EFORMAT,
			    "%s: label '%s' is not a class index 0..%ld (min "
			    "%g, max %g)", o->stats, o->label, o->classes - 1,
			    cs.min, cs.max) : fl_err_set(err, FL_EFORMAT,
			    "%s: label '%s' is not a class index 0..K-1 (min "
			    "%g, max %g)", o->stats, o->label, cs.min, cs.max);
		if (o->classes == 0)
			o->classes = (long)cs.max + 1;
		break;
	default:
		break;
	}
	return 0;
}

/* Whether s is one of the n strings v. */
/* Print "; excluded: " before the first name left out, ", " after. */
static void
left_out(size_t *k, const char *name, const char *why)
{
	fprintf(stderr, "%s%s%s", (*k)++ == 0 ? "; excluded: " : ", ", name,
	    why);
}

/*
 * Whether the statistics cs look like a row number or an identifier:
 * whole values, none missing, at least 20 of them, over a range of width
 * w = max - min + 1 with count <= w <= 3 count (room for each value
 * about once), spread over it evenly: the mean within 5% of w of the
 * range's middle and the standard deviation within 8% of that of every
 * whole value of the range, sqrt((w^2 - 1) / 12).  A row number 1..n and
 * sequence numbers with gaps (nwtco's seqno, colon's id, the pid and
 * ptno of the GBSG and PBC3 tables, with test rows held out) qualify; the
 * statistics cannot tell distinct values apart, hence "looks like".  Smaller columns: the exact row number
 * only (0 or 1 up to the count, summing to the triangular number).
 */
static int
looks_like_id(const struct fl_colstats *cs)
{
	double n = cs->count, w, mean, var, sd_u;

	if (cs->missing != 0 || !whole(cs->min) || !whole(cs->max) || n < 2)
		return 0;
	if (n < 20)
		return (cs->min == 0 || cs->min == 1) &&
		    cs->max == n - 1 + cs->min &&
		    cs->sum == cs->max * (cs->max + 1) / 2;
	w = cs->max - cs->min + 1;
	if (w < n || w > 3 * n)
		return 0;
	mean = cs->sum / n;
	var = (cs->sumsq - cs->sum * mean) / (n - 1);
	sd_u = sqrt((w * w - 1) / 12);
	return fabs(mean - (cs->min + cs->max) / 2) <= 0.05 * w &&
	    var > 0 && fabs(sqrt(var) - sd_u) <= 0.08 * sd_u;
}

/*
 * Warn about the feature named name if its statistics cs look like a row
 * number or an identifier (looks_like_id), or a constant.
 */
static void
warn_col(const struct opts *o, const struct fl_colstats *cs)
{
	if (cs->count < 1)
		return;
	if (cs->min == cs->max)
		fprintf(stderr, "%s: warning: %s: column '%s' is constant "
		    "(%g)\n", fl_progname(), o->stats, cs->name, cs->min);
	else if (looks_like_id(cs))
		fprintf(stderr, "%s: warning: %s: column '%s' looks like a row "
		    "number or identifier (%g..%g, each value about once); "
		    "exclude it with -x\n", fl_progname(), o->stats, cs->name,
		    cs->min, cs->max);
}

/*
 * Say on stderr which features fl-init chose (feats, d of them) and which
 * it left out, then warn about suspect features in st: when o->verbose is
 * positive, or negative (the default) and stderr is a terminal.
 */
void
init_report(const struct opts *o, const struct fl_stats *st,
    const char **feats, size_t d)
{
	struct fl_colstats cs;
	size_t j, n, k = 0;
	long col;

	if (o->verbose == 0 || (o->verbose < 0 && !isatty(2)))
		return;
	fprintf(stderr, "%s: %zu feature%s: ", fl_progname(), d,
	    d == 1 ? "" : "s");
	for (j = 0; j < d; j++)
		fprintf(stderr, "%s%s", j > 0 ? ", " : "", feats[j]);
	/* The -x columns that were candidates: in -f, else in the stats. */
	for (j = 0, n = 0; j < o->nexclude; j++)
		if (o->features != NULL ? init_listed(o->features, o->nfeatures,
		    o->exclude[j]) : fl_stats_find(st, o->exclude[j]) >= 0) {
			fprintf(stderr, "%s%s", k == 0 ? "; excluded: " :
			    ", ", o->exclude[j]);
			k++, n++;
		}
	if (n > 0)
		fputs(" (by -x)", stderr);
	if (o->features == NULL && fl_stats_find(st, o->label) >= 0)
		left_out(&k, o->label, " (the label)");
	if (o->features == NULL && o->time != NULL &&
	    fl_stats_find(st, o->time) >= 0)
		left_out(&k, o->time, " (the time)");
	fputc('\n', stderr);
	for (j = 0; st != NULL && j < d; j++)
		if ((col = fl_stats_find(st, feats[j])) >= 0) {
			fl_stats_col(st, (size_t)col, &cs);
			warn_col(o, &cs);
		}
}
