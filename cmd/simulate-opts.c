/*
 * simulate-opts.c: fl-simulate's options, written once in a table that
 * makes its getopt_long tables and --help (cmd/cli.c), and the checks
 * between them.  Keep it in step with man/fl-simulate.1 and the
 * completions.
 */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "fl.h"
#include "cli.h"
#include "simulate.h"

static const char usage[] =
    "usage: fl-simulate [-qv] (--site-column col | --sites n) [-r rounds]\n"
    "                   [-m spec] [-l column] [-x a,b,...] [--strategy name]\n"
    "                   [--categorical a,b,...]\n"
    "                   [--test file | --holdout f] [--seed n]\n"
    "                   [--init-args args] [--train-args args]\n"
    "                   [--aggregate-args args] [-o dir] data.csv";

static const char about[] =
    "Run a whole federation on one machine: split data.csv into sites, pool\n"
    "their statistics, make round 0 with fl-init, run rounds of fl-train at\n"
    "each site and fl-aggregate, and print each round's model scored by\n"
    "fl-eval on held-out rows; then the federated model against the same\n"
    "training at each site alone and on all sites' rows pooled.  Tables go\n"
    "to stdout, tab-separated (lined up on a terminal).\n";

enum { OPT_SITECOL = 256, OPT_SITES, OPT_TEST, OPT_HOLD, OPT_STRAT,
	OPT_SEED, OPT_IARGS, OPT_TARGS, OPT_AARGS, OPT_CAT };

static const struct fl_opt options[] = {
	{ "site-column", 0, "COL", "one site per value of COL (then left "
	    "out of the\nfeatures)", OPT_SITECOL },
	{ "sites", 0, "N", "N simulated sites, each row drawn at random "
	    "(2-256)", OPT_SITES },
	{ "rounds", 'r', "N", "rounds of training (default 5)", 0 },
	{ "model", 'm', "SPEC", "fl-init's model (default logreg)", 0 },
	{ "label", 'l', "COL", "fl-init's label column", 0 },
	{ "exclude", 'x', "LIST", "fl-init: columns that are not features",
	    0 },
	{ "categorical", 0, "LIST", "fl-stats and fl-init: one-hot encode "
	    "these\ncolumns", OPT_CAT },
	{ "strategy", 0, "NAME", "fl-aggregate's strategy (default fedavg)",
	    OPT_STRAT },
	{ "test", 0, "FILE", "score on FILE; all of data.csv trains",
	    OPT_TEST },
	{ "holdout", 0, "F", "score on a random fraction F of data.csv\n"
	    "(default 0.2)", OPT_HOLD },
	{ "seed", 0, "N", "seed of the split, fl-init and fl-train "
	    "(default 1)", OPT_SEED },
	{ "init-args", 0, "ARGS", "more options for fl-init, split at blanks",
	    OPT_IARGS },
	{ "train-args", 0, "ARGS", "more options for every fl-train",
	    OPT_TARGS },
	{ "aggregate-args", 0, "ARGS", "more options for each round's "
	    "fl-aggregate", OPT_AARGS },
	{ "output", 'o', "DIR", "keep the files in DIR (made if absent)\n"
	    "(default: a temporary folder, removed)", 0 },
	{ "quiet", 'q', NULL, "print nothing but errors", 0 },
	{ "verbose", 'v', NULL, "say what each step does, even when stderr\n"
	    "is not a terminal", 0 },
	{ "help", 'h', NULL, "print this help", 0 },
	{ "version", 'V', NULL, "print the version", 0 },
	{ NULL, 0, NULL, NULL, 0 }
};

static const struct fl_cmd cmd = { usage, about, options, NULL, NULL, 0 };

/* Split s at blanks into a NULL-terminated vector: one malloc'd block
 * (the pointers, then a copy of s), freed with free(). */
static char **
split_blanks(const char *s)
{
	size_t n = 1, len = strlen(s), i;
	char **v, *p, *tok, *save;

	for (i = 0; i < len; i++)
		n++;	/* at most one word per byte, and the NULL */
	if ((v = malloc(n * sizeof(*v) + len + 1)) == NULL) {
		fl_warnx("out of memory");
		exit(FL_EXIT_FAIL);
	}
	p = (char *)(v + n);
	memcpy(p, s, len + 1);
	n = 0;
	for (tok = strtok_r(p, " \t\n", &save); tok != NULL;
	    tok = strtok_r(NULL, " \t\n", &save))
		v[n++] = tok;
	v[n] = NULL;
	return v;
}

void
sim_parse_args(int argc, char **argv, struct sim_opts *o)
{
	char **names;
	size_t n, i;
	int ch, hold_set = 0;

	o->holdout = 0.2;
	o->rounds = 5;
	o->seed = 1;
	o->model = "logreg";
	while ((ch = fl_getopt(&cmd, argc, argv)) != -1)
		switch (ch) {
		case 'l':
			o->label = optarg;
			break;
		case 'm':
			o->model = optarg;
			break;
		case 'o':
			o->outdir = optarg;
			break;
		case 'q':
			o->verbose = -1;
			break;
		case 'r':
			o->rounds = fl_opt_long(usage, "--rounds", optarg, 1,
			    100000);
			break;
		case 'v':
			o->verbose = 1;
			break;
		case 'x':
			o->exclude = optarg;
			break;
		case OPT_CAT:
			free(fl_opt_list(usage, "--categorical", optarg, &n));
			o->categorical = optarg;
			break;
		case OPT_SITECOL:
			o->site_col = optarg;
			break;
		case OPT_SITES:
			o->nsites = fl_opt_long(usage, "--sites", optarg, 2,
			    SIM_MAX_SITES);
			break;
		case OPT_TEST:
			o->test = optarg;
			break;
		case OPT_HOLD:
			o->holdout = fl_opt_double(usage, "--holdout", optarg,
			    0.0, 1.0);
			if (o->holdout <= 0.0 || o->holdout >= 1.0)
				fl_usage_error(usage, "--holdout: '%s' must be "
				    "above 0 and below 1", optarg);
			hold_set = 1;
			break;
		case OPT_STRAT:
			o->strategy = fl_opt_strategy(usage, optarg);
			break;
		case OPT_SEED:
			o->seed = fl_opt_seed(usage, "--seed", optarg);
			break;
		case OPT_IARGS:
			free(o->init_args);
			o->init_args = split_blanks(optarg);
			break;
		case OPT_TARGS:
			free(o->train_args);
			o->train_args = split_blanks(optarg);
			break;
		case OPT_AARGS:
			free(o->agg_args);
			o->agg_args = split_blanks(optarg);
			break;
		}
	if ((o->site_col == NULL) == (o->nsites == 0))
		fl_usage_error(usage, "give one of --site-column and --sites");
	if (o->test != NULL && hold_set)
		fl_usage_error(usage, "--test and --holdout conflict");
	if (o->exclude != NULL) {	/* checked here, before any work */
		names = fl_opt_list(usage, "--exclude", o->exclude, &n);
		for (i = 0; i < n && o->site_col != NULL; i++)
			o->exclude_has_site |=
			    strcmp(names[i], o->site_col) == 0;
		free(names);
	}
	if (optind == argc)
		fl_usage_error(usage, "missing data.csv");
	o->data = argv[optind++];
	if (optind < argc)
		fl_usage_error(usage, "unexpected operand '%s'", argv[optind]);
	if (o->test != NULL && strcmp(o->test, "-") == 0)
		fl_usage_error(usage, "--test: give a file, read once a round, "
		    "not stdin");
}
