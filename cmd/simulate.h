/*
 * simulate.h: what the files of fl-simulate share: its options
 * (simulate-opts.c), the split of the user's CSV into sites and held-out
 * rows (simulate-split.c), and the running of the other fl-* tools and the
 * printing of their results as tables (simulate-run.c).  fl-simulate owns
 * no math: every number it prints comes from a tool it runs.
 */
#ifndef FL_SIMULATE_H
#define FL_SIMULATE_H

#include <limits.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>

#include "fl.h"

#define SIM_MAX_SITES	256	/* sites in one simulation */
#define SIM_MAX_NAME	128	/* bytes of a site name, as fl-train's --site */

struct sim_opts {
	const char	*data;		/* the CSV, "-" for stdin */
	const char	*test;		/* --test FILE; NULL: hold rows out */
	double		 holdout;	/* --holdout fraction (default 0.2) */
	const char	*site_col;	/* --site-column, or NULL */
	long		 nsites;	/* --sites N, or 0 */
	long		 rounds;	/* -r (default 5) */
	uint64_t	 seed;		/* --seed (default 1) */
	const char	*model, *label, *exclude, *strategy;
	const char	*categorical;	/* --categorical LIST, or NULL */
	int		 exclude_has_site;	/* -x names --site-column */
	char		**init_args, **train_args, **agg_args;
	const char	*outdir;	/* -o DIR, or NULL: a temporary one */
	int		 verbose;	/* -v 1, -q -1, else 0 */
};

/* Parse and check fl-simulate's arguments into o; exits 2 on misuse. */
void	sim_parse_args(int argc, char **argv, struct sim_opts *o);

/* A site: its name (also its CSV's name without ".csv") and rows. */
struct sim_site {
	char	*name;
	char	*key;		/* the --site-column value, or NULL */
	size_t	 rows;
	FILE	*f;		/* open while splitting */
};

struct sim_split {
	struct sim_site	 site[SIM_MAX_SITES];
	size_t		 nsite;
	size_t		 test_rows;	/* rows held out (0 with --test) */
	size_t		 train_rows;	/* rows of all sites together */
};

/* Split o->data into DIR/SITE.csv for each site, DIR/pooled.csv (every
 * site's rows) and, without --test, DIR/test.csv (the held-out rows). */
int	sim_split(const struct sim_opts *o, const char *dir,
	    struct sim_split *s, struct fl_err *err);
void	sim_split_release(struct sim_split *s);

/* The site of the --site-column value key (klen bytes, not NUL-ended),
 * added when new; NULL with err set for an empty value, one too many, or
 * a name taken.  file and line are for the messages. */
struct sim_site *sim_site_for_key(struct sim_split *s, const char *col,
	    const char *key, size_t klen, const char *file, size_t line,
	    struct fl_err *err);
/* Sort the sites by their values: as numbers when all are numbers. */
void	sim_sites_sort(struct sim_split *s);

/* A growing argument vector that owns its strings. */
struct sim_argv {
	char	**v;
	size_t	  n, cap;
	int	  failed;	/* an allocation failed: run refuses it */
};
void	sim_argv_add(struct sim_argv *a, const char *s);
void	sim_argv_addf(struct sim_argv *a, const char *fmt, ...)
	    FL_PRINTF(2, 3);
void	sim_argv_addv(struct sim_argv *a, char **v);	/* NULL-ended */
void	sim_argv_free(struct sim_argv *a);

/* Find the fl-* tools: beside this program, else in PATH. */
void	sim_tools_find(const char *argv0);

/*
 * Run the tool a->v[0] (a name such as "fl-train") and wait for it.  When
 * capture is not NULL, its stdout is read into a NUL-terminated buffer
 * the caller frees.  Returns 0 when it exited 0; else the exit code to
 * leave with (the tool's own, which has said why on stderr; or 1 with err
 * set when it could not run or was killed).
 */
int	sim_run(struct sim_argv *a, char **capture, struct fl_err *err);

/* A table on stdout: tab-separated, or lined up when stdout is a
 * terminal.  The columns are the first column's name, then those of
 * fl-eval --format tsv, learnt from the first row. */
struct sim_table {
	char	*head;		/* fl-eval's header line */
	int	 align;
	int	 w0;		/* width of the first column when aligned */
	int	 w[64];		/* widths of fl-eval's columns */
};
/* Print one row: name, then fl-eval's values from its output ev (header
 * and one row), and the header first if this is the table's first row. */
int	sim_table_row(struct sim_table *t, const char *first,
	    const char *name, const char *ev, struct fl_err *err);
void	sim_table_end(struct sim_table *t);

/* A simulation: its options, its sites and its work folder. */
struct sim {
	struct sim_opts		 o;
	struct sim_split	 sp;
	char			 dir[PATH_MAX - 256];
};

/* Set by fl-simulate's signal handler: sim_run then fails, once the tool
 * it runs has ended. */
extern volatile sig_atomic_t sim_stop;

/* The steps (simulate-fed.c), in order; each returns 0 or the exit code
 * to leave with, err set when the tool that failed has not said why. */
int	sim_pool_stats(const struct sim *s, struct fl_err *err);
int	sim_init_model(const struct sim *s, struct fl_err *err);
int	sim_federate(const struct sim *s, struct fl_err *err);
int	sim_compare(const struct sim *s, struct fl_err *err);

#endif
