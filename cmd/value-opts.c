/*
 * value-opts.c: fl-value's options, written once in a table that makes its
 * getopt_long tables and --help (cmd/cli.c), and the checks between them.
 * The strategy options are fl-aggregate's; their ranges and which strategy
 * takes which are checked by the library (lib/federation/strategy.c).
 * Keep it in step with man/fl-value.1 and the completions.
 */
#include <getopt.h>
#include <math.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "fl.h"
#include "cli.h"
#include "value.h"

const char value_usage[] =
    "usage: fl-value [-q] -m model [-m model ...] -d valid.csv [--metric name]\n"
    "                [--method shapley|sampled|loo|auto] [--permutations k]\n"
    "                [--truncation t] [--seed n] [--format json|tsv]\n"
    "                [--strategy name] [strategy options] [--key key]\n"
    "                [--sign key] [-o file] update ...\n"
    "       fl-value --coalitions -m model [--method name] [--permutations k]\n"
    "                [--seed n] [strategy options] [--sign key] -o file\n"
    "                update ...\n"
    "       fl-value --from-metrics coalitions.fla [--metric name]\n"
    "                [--format json|tsv] [--sign key] [-o file] metrics ...\n"
    "       fl-value --report [--format json|tsv] valuation.fla";

static const char about[] =
    "Value each site's update by what it adds to the model: the utility (a\n"
    "metric on validation rows, higher is better) of the aggregate of every\n"
    "coalition of a round's updates, made as fl-aggregate makes it, gives\n"
    "each site's Shapley value and leave-one-out value.  Each update goes\n"
    "to the round of the model (-m, repeatable) it was trained from; the\n"
    "values of several rounds are summed.  Prints one JSON object, or with\n"
    "-o writes a valuation archive.\n";

enum { OPT_METRIC = 256, OPT_METHOD, OPT_PERM, OPT_TRUNC, OPT_SEED,
	OPT_FORMAT, OPT_STRATEGY, OPT_KEY, OPT_SIGN, OPT_REPORT, OPT_COAL,
	OPT_FROM, OPT_PARAM };

/* The strategy parameters, as fl-aggregate takes them: where each lives
 * in struct fl_agg_opts, and whether it is a count. */
static const struct param {
	const char	*name;
	size_t		 off;
	int		 count;
} params[] = {
	{ "server-lr", offsetof(struct fl_agg_opts, server_lr), 0 },
	{ "server-momentum", offsetof(struct fl_agg_opts, momentum), 0 },
	{ "beta1", offsetof(struct fl_agg_opts, beta1), 0 },
	{ "beta2", offsetof(struct fl_agg_opts, beta2), 0 },
	{ "tau", offsetof(struct fl_agg_opts, tau), 0 },
	{ "trim", offsetof(struct fl_agg_opts, trim), 0 },
	{ "byzantine", offsetof(struct fl_agg_opts, byzantine), 1 },
	{ "select", offsetof(struct fl_agg_opts, select), 1 },
	{ "clip", offsetof(struct fl_agg_opts, clip), 0 },
	{ "min-updates", offsetof(struct fl_agg_opts, min_updates), 1 },
};
#define NPARAMS	(sizeof(params) / sizeof(*params))

static const struct fl_opt options[] = {
	{ "model", 'm', "FILE", "a model the updates were trained from; one\n"
	    "per round, repeatable", 0 },
	{ "data", 'd', "FILE", "the validation rows ('-' for stdin)", 0 },
	{ "metric", 0, "NAME", "the utility: a metric of fl-eval (default\n"
	    "auc, accuracy, r2 or c_index by task); a loss\n"
	    "is negated", OPT_METRIC },
	{ "method", 0, "NAME", "shapley (exact, all 2^n coalitions), sampled\n"
	    "(permutations), loo (leave-one-out only) or\n"
	    "auto (shapley up to 12 updates a round, else\n"
	    "sampled; the default)", OPT_METHOD },
	{ "permutations", 0, "K", "sampled: permutations per round (200)",
	    OPT_PERM },
	{ "truncation", 0, "T", "sampled: end a permutation within T of the\n"
	    "round's gain of the whole (0.01; 0: never)", OPT_TRUNC },
	{ "seed", 0, "N", "sampled: the permutations' seed (1)", OPT_SEED },
	{ "format", 0, "FMT", "json (one object) or tsv (a row per site)\n"
	    "(default json)", OPT_FORMAT },
	{ "strategy", 0, "NAME", "the strategy the rounds were aggregated with\n"
	    "(default fedavg), and its options, as in\n"
	    "fl-aggregate(1):", OPT_STRATEGY },
	{ "server-lr", 0, "X", "the server learning rate", OPT_PARAM + 0 },
	{ "server-momentum", 0, "X", "fedavgm's momentum", OPT_PARAM + 1 },
	{ "beta1", 0, "X", "the first-moment decay", OPT_PARAM + 2 },
	{ "beta2", 0, "X", "the second-moment decay", OPT_PARAM + 3 },
	{ "tau", 0, "X", "the moments' epsilon", OPT_PARAM + 4 },
	{ "trim", 0, "X", "trimmed-mean's cut per side", OPT_PARAM + 5 },
	{ "byzantine", 0, "F", "krum's faulty sites F", OPT_PARAM + 6 },
	{ "select", 0, "M", "multi-krum's M", OPT_PARAM + 7 },
	{ "clip", 0, "C", "the L2 bound on each update", OPT_PARAM + 8 },
	{ "min-updates", 0, "N", "the quorum of a round", OPT_PARAM + 9 },
	{ "key", 0, "FILE", "open sealed inputs with this secret key",
	    OPT_KEY },
	{ "sign", 0, "FILE", "sign the valuation archive with this key",
	    OPT_SIGN },
	{ "coalitions", 0, NULL, "write the coalitions' models for the sites to\n"
	    "score (fl-eval --emit) instead", OPT_COAL },
	{ "from-metrics", 0, "FILE", "value from the sites' metrics of the\n"
	    "coalitions archive FILE (one operand a site)", OPT_FROM },
	{ "report", 0, NULL, "print the values a valuation archive holds",
	    OPT_REPORT },
	{ "output", 'o', "FILE", "write a valuation archive here instead of\n"
	    "printing", 0 },
	{ "quiet", 'q', NULL, "print nothing but errors", 0 },
	{ "help", 'h', NULL, "print this help", 0 },
	{ "version", 'V', NULL, "print the version", 0 },
	{ NULL, 0, NULL, NULL, 0 }
};

static const struct fl_cmd cmd = { value_usage, about, options, NULL, NULL,
	0 };

/* Set strategy parameter p of o from arg. */
static void
set_param(struct opts *o, const struct param *p, const char *arg)
{
	char opt[64];

	snprintf(opt, sizeof(opt), "--%s", p->name);
	if (p->count)
		*(long *)(void *)((char *)&o->agg + p->off) =
		    fl_opt_long(value_usage, opt, arg, 0, 1000000000);
	else
		*(double *)(void *)((char *)&o->agg + p->off) =
		    fl_opt_double(value_usage, opt, arg, 0, 1e30);
}

/* The checks between options once all are read. */
static void
check(struct opts *o, int argc, char **argv)
{
	o->inputs = argv + optind;
	o->ninputs = argc - optind;
	if (o->report != NULL) {
		if (o->ninputs != 1)
			fl_usage_error(value_usage, "--report reads one "
			    "valuation archive");
		if (o->nmodels > 0 || o->data != NULL || o->out != NULL)
			fl_usage_error(value_usage, "--report takes no --model, "
			    "--data or --output");
		o->report = o->inputs[0];
		return;
	}
	if (o->coalitions + (o->from_metrics != NULL) > 1)
		fl_usage_error(value_usage, "--coalitions and --from-metrics "
		    "conflict");
	if (o->from_metrics != NULL) {
		if (o->nmodels > 0 || o->data != NULL || o->shaping)
			fl_usage_error(value_usage, "--from-metrics takes the "
			    "model, method and strategy from the coalitions "
			    "archive, and no --data");
		if (o->ninputs == 0)
			fl_usage_error(value_usage, "no metrics to pool");
		if (o->sign != NULL && o->out == NULL)
			fl_usage_error(value_usage, "--sign needs --output");
		if (o->out != NULL)
			fl_refuse_tty(o->out);
		return;
	}
	if (o->coalitions) {
		if (o->nmodels != 1 || o->data != NULL || o->out == NULL)
			fl_usage_error(value_usage, "--coalitions takes one "
			    "--model and --output, and no --data");
		if (o->ninputs == 0)
			fl_usage_error(value_usage, "no updates to value");
		fl_refuse_tty(o->out);
		return;
	}
	if (o->nmodels == 0)
		fl_usage_error(value_usage, "--model is required");
	if (o->data == NULL)
		fl_usage_error(value_usage, "--data is required");
	if (o->ninputs == 0)
		fl_usage_error(value_usage, "no updates to value");
	if (o->sign != NULL && o->out == NULL)
		fl_usage_error(value_usage, "--sign needs --output");
	if (o->out != NULL)
		fl_refuse_tty(o->out);
}

void
value_parse_args(int argc, char **argv, struct opts *o)
{
	const struct fl_agg_opts defaults = FL_AGG_OPTS_INIT;
	size_t k;
	int c, sign;

	memset(o, 0, sizeof(*o));
	o->agg = defaults;
	o->strategy = "fedavg";
	o->method = -1;
	o->sh.permutations = 200;
	o->sh.truncation = 0.01;
	o->sh.seed = 1;
	while ((c = fl_getopt(&cmd, argc, argv)) != -1) {
		o->shaping += c == OPT_METHOD || c == OPT_PERM ||
		    c == OPT_TRUNC || c == OPT_SEED || c == OPT_STRATEGY ||
		    c >= OPT_PARAM;
		switch (c) {
		case 'd':
			o->data = optarg;
			break;
		case 'm':
			if (o->nmodels == VALUE_MAX_MODELS)
				fl_usage_error(value_usage, "--model: at most "
				    "%d", VALUE_MAX_MODELS);
			o->models[o->nmodels++] = optarg;
			break;
		case 'o':
			o->out = optarg;
			break;
		case 'q':
			o->quiet = 1;
			break;
		case OPT_METRIC:
			o->metric = optarg;
			for (k = 0; k <= FL_TASK_SURVIVAL; k++)
				if (fl_value_metric_check(optarg,
				    (enum fl_task)k, &sign, NULL) == 0)
					break;
			if (k > FL_TASK_SURVIVAL)
				fl_usage_error(value_usage, "--metric: unknown "
				    "metric '%s' (auc, accuracy, log_loss, "
				    "brier, rmse, mae, r2, c_index)", optarg);
			break;
		case OPT_METHOD:
			if (strcmp(optarg, "shapley") == 0)
				o->method = FL_VALUE_EXACT;
			else if (strcmp(optarg, "sampled") == 0)
				o->method = FL_VALUE_SAMPLED;
			else if (strcmp(optarg, "loo") == 0)
				o->method = FL_VALUE_LOO;
			else if (strcmp(optarg, "auto") == 0)
				o->method = -1;
			else
				fl_usage_error(value_usage, "--method: unknown "
				    "method '%s' (shapley, sampled, loo, auto)",
				    optarg);
			break;
		case OPT_PERM:
			o->sh.permutations = (size_t)fl_opt_long(value_usage,
			    "--permutations", optarg, 2, 10000000);
			break;
		case OPT_TRUNC:
			o->sh.truncation = fl_opt_double(value_usage,
			    "--truncation", optarg, 0, 1);
			break;
		case OPT_SEED:
			o->sh.seed = fl_opt_seed(value_usage, "--seed", optarg);
			break;
		case OPT_FORMAT:
			if (strcmp(optarg, "tsv") == 0)
				o->tsv = 1;
			else if (strcmp(optarg, "json") != 0)
				fl_usage_error(value_usage, "--format: unknown "
				    "format '%s' (json, tsv)", optarg);
			break;
		case OPT_STRATEGY:
			o->strategy = fl_opt_strategy(value_usage, optarg);
			break;
		case OPT_KEY:
			o->key = optarg;
			break;
		case OPT_SIGN:
			o->sign = optarg;
			break;
		case OPT_REPORT:
			o->report = "";
			break;
		case OPT_COAL:
			o->coalitions = 1;
			break;
		case OPT_FROM:
			o->from_metrics = optarg;
			break;
		default:
			if (c >= OPT_PARAM && c < OPT_PARAM + (int)NPARAMS)
				set_param(o, &params[c - OPT_PARAM], optarg);
		}
	}
	check(o, argc, argv);
}
