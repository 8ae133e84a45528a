/*
 * init-opts.c: fl-init's options, written once in a table that makes
 * its getopt_long tables and --help (cmd/cli.c), and the checks between them.
 * Keep it in step with man/fl-init.1 and the completions.
 */
#include <getopt.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "fl.h"
#include "cli.h"
#include "init.h"

const char init_usage[] =
    "usage: fl-init [-qv] -m spec -l column [-t task] [--classes k]\n"
    "               [-f a,b,... | -s stats] [-x a,b,...] [--seed n]\n"
    "               [--missing impute|drop] [--categorical a,b,...]\n"
    "               [--input CxHxW] [--sign key] [-o file]\n"
    "       fl-init [-qv] -m cox|mlp:H... --time column --event column\n"
    "               [--grid n] [--tmax t] [-f a,b,... | -s stats] ...";

static const char about[] =
    "Write round 0's model: fresh weights and the preprocessing every site\n"
    "applies.\n";

enum { OPT_CLASSES = 256, OPT_SEED, OPT_SIGN, OPT_TIME, OPT_EVENT, OPT_GRID,
	OPT_TMAX, OPT_MISSING, OPT_INPUT, OPT_CAT };

static const struct fl_opt options[] = {
	{ "model", 'm', "SPEC", "logreg, softmax, linear, cox,\n"
	    "mlp:H1[,H2...] or cnn:STAGE,...,denseN...", 0 },
	{ "input", 0, "CxHxW", "cnn: the features are images of C channels\n"
	    "of H x W, channel first, row-major", OPT_INPUT },
	{ "label", 'l', "COL", "the column to predict", 0 },
	{ "task", 't', "TASK", "binary, multiclass, regression or survival\n"
	    "(default: from the model; binary for mlp,\n"
	    "survival with --time)", 0 },
	{ "time", 0, "COL", "survival: the follow-up time column", OPT_TIME },
	{ "event", 0, "COL", "survival: the event column (1 event,\n"
	    "0 censored), the model's label", OPT_EVENT },
	{ "grid", 0, "N", "survival: intervals of the baseline hazard\n"
	    "grid, equal steps up to --tmax (default 100)", OPT_GRID },
	{ "tmax", 0, "T", "survival: the grid's end (default: the\n"
	    "time column's maximum in --stats)", OPT_TMAX },
	{ "classes", 0, "K", "number of classes for multiclass (default:\n"
	    "the label's maximum + 1 from --stats)", OPT_CLASSES },
	{ "features", 'f', "LIST", "feature columns, comma-separated, in "
	    "order", 0 },
	{ "stats", 's', "FILE", "pooled statistics (from fl-stats and\n"
	    "fl-aggregate): standardise and impute with\n"
	    "them; features default to every column but\n"
	    "the label and --exclude", 0 },
	{ "exclude", 'x', "LIST", "columns never to use as features", 0 },
	{ "categorical", 0, "LIST", "one-hot encode these feature columns with\n"
	    "the levels in --stats (the first level left\n"
	    "out for logreg, softmax, linear and cox)", OPT_CAT },
	{ "missing", 0, "HOW", "a row missing a feature: impute (the pooled\n"
	    "mean from --stats) or drop (R's na.omit)\n"
	    "(default impute)", OPT_MISSING },
	{ "seed", 0, "N", "seed of the initial weights (default 1)", OPT_SEED },
	{ "sign", 0, "FILE", "sign the model with this secret key", OPT_SIGN },
	{ "output", 'o', "FILE", "write here instead of stdout", 0 },
	{ "quiet", 'q', NULL, "print nothing but errors", 0 },
	{ "verbose", 'v', NULL, "say which features were chosen and which\n"
	    "left out, and warn about suspect ones\n"
	    "(default when stderr is a terminal)", 0 },
	{ "help", 'h', NULL, "print this help", 0 },
	{ "version", 'V', NULL, "print the version", 0 },
	{ NULL, 0, NULL, NULL, 0 }
};

static const struct fl_cmd cmd = { init_usage, about, options, NULL, NULL, 0 };

void
init_parse_args(int argc, char **argv, struct opts *o)
{
	int c;

	memset(o, 0, sizeof(*o));
	o->seed = 1;
	o->grid = 100;
	o->verbose = -1;
	while ((c = fl_getopt(&cmd, argc, argv)) != -1) {
		switch (c) {
		case 'f':
			free(o->features);
			o->features = fl_opt_list(init_usage, "--features", optarg,
			    &o->nfeatures);
			break;
		case 'l':
			o->label = optarg;
			break;
		case 'm':
			o->spec = optarg;
			break;
		case 'o':
			o->out = optarg;
			break;
		case 'q':
			o->verbose = 0;
			break;
		case 'v':
			o->verbose = 1;
			break;
		case 's':
			o->stats = optarg;
			break;
		case 't':
			if (fl_task_parse(optarg) < 0)
				fl_usage_error(init_usage, "--task: unknown task "
				    "'%s' (binary, multiclass, regression, "
				    "survival)",
				    optarg);
			o->task = optarg;
			break;
		case 'x':
			free(o->exclude);
			o->exclude = fl_opt_list(init_usage, "--exclude", optarg,
			    &o->nexclude);
			break;
		case OPT_CLASSES:
			o->classes = fl_opt_long(init_usage, "--classes", optarg, 2,
			    65536);
			break;
		case OPT_SEED:
			o->seed = fl_opt_seed(init_usage, "--seed", optarg);
			break;
		case OPT_SIGN:
			o->sign = optarg;
			break;
		case OPT_TIME:
			o->time = optarg;
			break;
		case OPT_EVENT:
			o->event = optarg;
			break;
		case OPT_GRID:
			o->grid = fl_opt_long(init_usage, "--grid", optarg, 1, 4096);
			o->grid_set = 1;
			break;
		case OPT_MISSING:
			if (strcmp(optarg, "drop") != 0 &&
			    strcmp(optarg, "impute") != 0)
				fl_usage_error(init_usage, "--missing: '%s' is "
				    "not impute or drop", optarg);
			o->drop_missing = strcmp(optarg, "drop") == 0;
			break;
		case OPT_INPUT:
			o->input = optarg;
			break;
		case OPT_CAT:
			free(o->categorical);
			o->categorical = fl_opt_list(init_usage, "--categorical",
			    optarg, &o->ncategorical);
			break;
		case OPT_TMAX:
			o->tmax = fl_opt_double(init_usage, "--tmax", optarg, 1e-300,
			    1e300);
			break;
		}
	}
	if (optind != argc)
		fl_usage_error(init_usage, "unexpected operand '%s'", argv[optind]);
	if (o->spec == NULL)
		fl_usage_error(init_usage, "--model is required");
	/* A survival model's label is its event column. */
	if (o->event != NULL && o->label != NULL)
		fl_usage_error(init_usage, "--label and --event conflict");
	if (o->event != NULL)
		o->label = o->event;
	if ((o->time == NULL) != (o->event == NULL))
		fl_usage_error(init_usage, "--time and --event go together");
	if (o->time != NULL && o->task != NULL &&
	    strcmp(o->task, "survival") != 0)
		fl_usage_error(init_usage, "--time conflicts with --task %s",
		    o->task);
	if (o->time == NULL && (strcmp(o->spec, "cox") == 0 ||
	    (o->task != NULL && strcmp(o->task, "survival") == 0)))
		fl_usage_error(init_usage, "a survival model needs --time and "
		    "--event");
	if (o->time == NULL && (o->grid_set || o->tmax > 0))
		fl_usage_error(init_usage, "--grid and --tmax are for survival "
		    "models");
	if (o->label == NULL)
		fl_usage_error(init_usage, "--label is required");
	if (o->features == NULL && o->stats == NULL)
		fl_usage_error(init_usage, "give --features or --stats");
	if (o->categorical != NULL && o->stats == NULL)
		fl_usage_error(init_usage, "--categorical needs --stats (the "
		    "levels)");
	if (o->categorical != NULL && (o->input != NULL ||
	    strncmp(o->spec, "cnn", 3) == 0))
		fl_usage_error(init_usage, "--categorical is not for a cnn");
	fl_refuse_tty(o->out);
}
