/*
 * eval-opts.c: fl-eval's options, written once in a table that makes its
 * getopt_long tables and --help (cmd/cli.c), and the checks between them.
 * Keep it in step with man/fl-eval.1 and the completions.
 */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "fl.h"
#include "cli.h"
#include "eval.h"

const char eval_usage[] =
    "usage: fl-eval [-qv] -d data.csv [--format json|tsv] [-p] [--key key]\n"
    "               [--horizon t,...] [--curve roc|calibration|survival]\n"
    "               [--emit [--site name] [-o file]] [--device dev]\n"
    "               [--image-column col] [model]\n"
    "       fl-eval --report [--format json|tsv] [--curve roc|calibration]\n"
    "               metrics.fla\n"
    "       fl-eval --coef [--format json|tsv] [--level x] [--key key] "
    "[model]";

static const char about[] =
    "Score a model on a local CSV.  The model is read from the operand, or\n"
    "stdin when absent or '-'.  Prints one JSON object of metrics:\n"
    "binary: n auc accuracy log_loss brier; multiclass: n accuracy\n"
    "log_loss; regression: n rmse mae r2; survival: n c_index, and\n"
    "auc_T brier_T for each --horizon T.\n";

enum { OPT_FORMAT = 256, OPT_KEY, OPT_CURVE, OPT_EMIT, OPT_REPORT, OPT_SITE,
	OPT_HORIZON, OPT_COEF, OPT_LEVEL, OPT_DEVICE, OPT_IMAGE };

static const struct fl_opt options[] = {
	{ "data", 'd', "FILE", "the CSV to score ('-' for stdin)", 0 },
	{ "image-column", 0, "COL", "column COL of the CSV names PNG files (relative\n"
	    "to the CSV) whose pixels are the columns px0,\npx1, ... "
	    "(CxHxW order)", OPT_IMAGE },
	{ "format", 0, "FMT", "json (one object) or tsv (a header line and a\n"
	    "value line) (default json)", OPT_FORMAT },
	{ "predictions", 'p', NULL, "print one line per row instead: the "
	    "label and\nthe prediction", 0 },
	{ "key", 0, "FILE", "open a sealed model with this secret key",
	    OPT_KEY },
	{ "curve", 0, "NAME", "print a curve as TSV instead: binary: roc\n"
	    "(fpr tpr threshold) or calibration (bin\n"
	    "mean_pred observed n); survival: survival\n"
	    "(time predicted observed at_risk, on the\n"
	    "model's grid; needs its baseline hazard)", OPT_CURVE },
	{ "emit", 0, NULL, "write a metrics archive of sufficient\n"
	    "statistics, for fl-aggregate to pool (for\n"
	    "survival, at the --horizon times)", OPT_EMIT },
	{ "site", 0, "NAME", "the site named in the metrics archive "
	    "(default:\nthe data file's name without its extension;\n"
	    "required for data on stdin)", OPT_SITE },
	{ "output", 'o', "FILE", "write the metrics archive here (default\n"
	    "stdout)", 0 },
	{ "report", 0, NULL, "read a metrics archive (the operand) and "
	    "print\nits per-site and pooled rows (default tsv)", OPT_REPORT },
	{ "horizon", 0, "T,...", "survival: times at which to score the AUC\n"
	    "and Brier score, and to predict S(T|x) with\n"
	    "--predictions; repeatable", OPT_HORIZON },
	{ "coef", 0, NULL, "print the coefficient table of a model fitted\n"
	    "by Newton rounds instead (no --data): term\n"
	    "estimate se z p ci_low ci_high, and ratio\n"
	    "ratio_low ratio_high for logreg and cox, in\n"
	    "original units; then the fit and the sites", OPT_COEF },
	{ "level", 0, "X", "--coef: confidence level of the intervals\n"
	    "(default 0.95)", OPT_LEVEL },
	{ "device", 0, "DEV", "predict on cpu, cuda (an NVIDIA GPU; a "
	    "'make\ncuda' build) or auto (cuda when present, else\ncpu) "
	    "(default cpu)", OPT_DEVICE },
	{ "quiet", 'q', NULL, "print nothing but errors on stderr", 0 },
	{ "verbose", 'v', NULL, "print the summary line even when stderr is\n"
	    "not a terminal", 0 },
	{ "help", 'h', NULL, "print this help", 0 },
	{ "version", 'V', NULL, "print the version", 0 },
	{ NULL, 0, NULL, NULL, 0 }
};

static const struct fl_cmd cmd = { eval_usage, about, options, NULL, NULL,
	0 };

/* The federated evaluation flags' conflicts. */
static void
check_fedeval(struct opts *o)
{
	if (o->emit + o->report + (o->curve != NULL) + o->predictions > 1 &&
	    !(o->report && o->curve != NULL))
		fl_usage_error(eval_usage, "--emit, --curve, --report and "
		    "--predictions conflict");
	if ((o->site != NULL || o->out != NULL) && !o->emit)
		fl_usage_error(eval_usage, "--site and --output need --emit");
	if (o->report && o->curve != NULL &&
	    strcmp(o->curve, "survival") == 0)
		fl_usage_error(eval_usage, "--curve survival is local: it takes "
		    "--data, not --report");
	if (o->report && o->data != NULL)
		fl_usage_error(eval_usage, "--report reads no --data");
	if (o->report && o->nh > 0)
		fl_usage_error(eval_usage, "--report takes the horizons of its "
		    "archive, not --horizon");
	if (o->report && !o->format)
		o->tsv = 1;
	if (o->emit) {
		struct fl_err err = FL_ERR_INIT;

		/* A metrics archive names its site: --site or the data's. */
		if (fl_site_choose(o->site, NULL, o->data, o->sitebuf,
		    sizeof(o->sitebuf), &o->site, &err) < 0)
			fl_usage_error(eval_usage, "%s", err.msg);
		fl_refuse_tty(o->out);
	}
}

/* Add the comma-separated times of one --horizon to o. */
static void
add_horizons(struct opts *o, const char *arg)
{
	char **v;
	size_t n, i;

	v = fl_opt_list(eval_usage, "--horizon", arg, &n);
	for (i = 0; i < n; i++) {
		if (o->nh == FL_MAX_HORIZONS)
			fl_usage_error(eval_usage, "--horizon: at most %d times",
			    FL_MAX_HORIZONS);
		o->horizon[o->nh++] = fl_opt_double(eval_usage, "--horizon", v[i],
		    0.0, 1e300);
	}
	free(v);
}

void
eval_parse_args(int argc, char **argv, struct opts *o)
{
	int c;

	memset(o, 0, sizeof(*o));
	o->level = 0.95;
	while ((c = fl_getopt(&cmd, argc, argv)) != -1) {
		switch (c) {
		case 'd':
			o->data = optarg;
			break;
		case 'o':
			o->out = optarg;
			break;
		case 'p':
			o->predictions = 1;
			break;
		case 'q':
			o->verbose = -1;
			break;
		case 'v':
			o->verbose = 1;
			break;
		case OPT_DEVICE:
			o->device = fl_opt_device(eval_usage, optarg);
			break;
		case OPT_IMAGE:
			o->image_col = optarg;
			break;
		case OPT_KEY:
			o->key = optarg;
			break;
		case OPT_CURVE:
			if (strcmp(optarg, "roc") != 0 &&
			    strcmp(optarg, "calibration") != 0 &&
			    strcmp(optarg, "survival") != 0)
				fl_usage_error(eval_usage, "--curve: unknown curve "
				    "'%s' (roc, calibration, survival)",
				    optarg);
			o->curve = optarg;
			break;
		case OPT_EMIT:
			o->emit = 1;
			break;
		case OPT_REPORT:
			o->report = 1;
			break;
		case OPT_SITE:
			o->site = optarg;
			break;
		case OPT_COEF:
			o->coef = 1;
			break;
		case OPT_LEVEL:
			o->level = fl_opt_double(eval_usage, "--level", optarg,
			    1e-6, 1 - 1e-9);
			o->level_set = 1;
			break;
		case OPT_HORIZON:
			add_horizons(o, optarg);
			break;
		case OPT_FORMAT:
			o->format = 1;
			if (strcmp(optarg, "tsv") == 0)
				o->tsv = 1;
			else if (strcmp(optarg, "json") == 0)
				o->tsv = 0;
			else
				fl_usage_error(eval_usage, "--format: unknown format"
				    " '%s' (json, tsv)", optarg);
			break;
		}
	}
	if (argc - optind > 1)
		fl_usage_error(eval_usage, "one model at most");
	o->model = optind < argc ? argv[optind] : NULL;
	check_fedeval(o);
	if (o->level_set && !o->coef)
		fl_usage_error(eval_usage, "--level is for --coef");
	if (o->coef && (o->data != NULL || o->emit || o->report ||
	    o->curve != NULL || o->predictions || o->nh > 0))
		fl_usage_error(eval_usage, "--coef reads the model alone: no "
		    "--data, --emit, --report, --curve, -p or --horizon");
	if (o->report || o->coef)
		return;
	if (o->data == NULL)
		fl_usage_error(eval_usage, "--data is required");
	if (strcmp(o->data, "-") == 0 &&
	    (o->model == NULL || strcmp(o->model, "-") == 0))
		fl_usage_error(eval_usage, "the data and the model cannot both be "
		    "stdin");
	o->backend = fl_device_backend(o->device, o->verbose < 0);
}
