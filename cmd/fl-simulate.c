/*
 * fl-simulate: a whole federation on one machine, in one command.  It
 * splits the user's CSV into sites (simulate-split.c) and runs the other
 * tools on the parts as real sites and a coordinator would
 * (simulate-run.c): fl-stats and fl-aggregate for pooled statistics,
 * fl-init, then rounds of fl-train and fl-aggregate, each model scored by
 * fl-eval.  It owns no math.  Manual: man/fl-simulate.1.
 */
#define _XOPEN_SOURCE 700
#include <errno.h>
#include <ftw.h>
#include <limits.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "fl.h"
#include "cli.h"
#include "simulate.h"

static struct sim sim;
static int dir_is_temp;

static int
rm_one(const char *path, const struct stat *st, int flag, struct FTW *f)
{
	(void)st; (void)flag; (void)f;
	remove(path);
	return 0;
}

static void
cleanup(void)
{
	if (dir_is_temp)
		nftw(sim.dir, rm_one, 16, FTW_DEPTH | FTW_PHYS);
	dir_is_temp = 0;
}

static void
on_signal(int sig)
{
	sim_stop = sig;
}

/* The work folder: -o DIR (made if absent), else a temporary one. */
static int
make_dir(struct sim *s, struct fl_err *err)
{
	const char *tmp = getenv("TMPDIR");

	if (s->o.outdir != NULL) {
		if (strlen(s->o.outdir) >= sizeof(s->dir))
			return fl_err_set(err, FL_EUSAGE, "%s: path too long",
			    s->o.outdir);
		snprintf(s->dir, sizeof(s->dir), "%s", s->o.outdir);
		if (mkdir(s->dir, 0777) < 0 && errno != EEXIST)
			return fl_err_set(err, FL_EIO, "%s: %s", s->dir,
			    strerror(errno));
		return 0;
	}
	if (tmp == NULL || *tmp == '\0' || strlen(tmp) > sizeof(s->dir) - 32)
		tmp = "/tmp";
	snprintf(s->dir, sizeof(s->dir), "%s/fl-simulate.XXXXXX", tmp);
	if (mkdtemp(s->dir) == NULL)
		return fl_err_set(err, FL_EIO, "%s: %s", s->dir,
		    strerror(errno));
	dir_is_temp = 1;
	return 0;
}

/* The one-line summary on stderr (a terminal, or -v). */
static void
summary(const struct sim *s)
{
	size_t i;

	if (s->o.verbose < 0 ||
	    (s->o.verbose == 0 && !isatty(STDERR_FILENO)))
		return;
	fprintf(stderr, "%s: %zu sites:", fl_progname(), s->sp.nsite);
	for (i = 0; i < s->sp.nsite; i++)
		fprintf(stderr, " %s (%zu rows)%s", s->sp.site[i].name,
		    s->sp.site[i].rows, i + 1 < s->sp.nsite ? "," : ";");
	if (s->o.test == NULL)
		fprintf(stderr, " %zu rows held out;", s->sp.test_rows);
	else
		fprintf(stderr, " tested on %s;", s->o.test);
	fprintf(stderr, " %ld round%s of %s%s%s\n", s->o.rounds,
	    s->o.rounds == 1 ? "" : "s",
	    s->o.strategy ? s->o.strategy : "fedavg",
	    s->o.outdir ? "; files in " : "", s->o.outdir ? s->o.outdir : "");
}

int
main(int argc, char **argv)
{
	struct fl_err err = FL_ERR_INIT;
	struct sigaction sa;
	int rc;

	fl_setprogname(argv[0]);
	sim_parse_args(argc, argv, &sim.o);
	sim_tools_find(argv[0]);
	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = on_signal;
	sigaction(SIGINT, &sa, NULL);
	sigaction(SIGTERM, &sa, NULL);
	sigaction(SIGHUP, &sa, NULL);
	if (make_dir(&sim, &err) < 0)
		return fl_report(&err);
	atexit(cleanup);
	if (sim_split(&sim.o, sim.dir, &sim.sp, &err) < 0)
		rc = fl_report(&err);
	else {
		summary(&sim);
		if ((rc = sim_pool_stats(&sim, &err)) == 0 &&
		    (rc = sim_init_model(&sim, &err)) == 0 &&
		    (rc = sim_federate(&sim, &err)) == 0)
			rc = sim_compare(&sim, &err);
		if (rc != 0 && err.msg[0] != '\0')
			fl_report(&err);
		else if (rc == 0)
			rc = fl_close_stdout();
	}
	sim_split_release(&sim.sp);
	free(sim.o.init_args);
	free(sim.o.train_args);
	free(sim.o.agg_args);
	return rc;
}
