/*
 * cli-summary.h: the one line a tool prints on stderr to say what it did
 * ("fl-train: a.csv: 268 rows, 1 epoch, loss 0.693 -> 0.651"): printed
 * when stderr is a terminal, or with -v; never with -q, and never when
 * stderr is not a terminal and -v is absent, so that scripts and cron
 * jobs stay silent.
 */
#ifndef FL_CLI_SUMMARY_H
#define FL_CLI_SUMMARY_H

#include "fl.h"

/* verbose is -1 for -q, 1 for -v, 0 when neither was given. */
int	fl_summary_on(int verbose);

/* Print "prog: " and the formatted line on stderr if fl_summary_on. */
void	fl_summary(int verbose, const char *fmt, ...) FL_PRINTF(2, 3);

/* The summary of an archive a tool wrote, from its manifest: a model's
 * round, updates merged, samples and strategy; merged statistics' sites,
 * rows and columns; merged metrics' sites and rows. */
void	fl_summary_archive(int verbose, struct fl_archive *a);

#endif
