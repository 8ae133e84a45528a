/*
 * aggregate-opts.c: fl-aggregate's options, written once in a table that makes
 * its getopt_long tables and --help (cmd/cli.c), and the checks between them.
 * Keep it in step with man/fl-aggregate.1 and the completions.
 */
#include <getopt.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "fl.h"
#include "cli.h"
#include "aggregate.h"

const char aggregate_usage[] =
    "usage: fl-aggregate [-qv] [-m model] [--strategy name] [--server-lr x]\n"
    "                    [--server-momentum x] [--beta1 x] [--beta2 x]\n"
    "                    [--tau x] [--trim x] [--byzantine f] [--select m]\n"
    "                    [--clip c] [--dp-noise z] [--population n]\n"
    "                    [--dp-delta d] [--max-epsilon e] [--seed n]\n"
    "                    [--min-updates n] [--partial]\n"
    "                    [--recovery-request file]\n"
    "                    [--trust dir] [--key key] [--sign key] [-o file]\n"
    "                    [archive ...]";

static const char about[] =
    "Combine updates into the next model, or statistics into pooled\n"
    "statistics.  Archives are read from the operands, or stdin when there\n"
    "are none ('-' also means stdin); each may hold several archives\n"
    "concatenated.  Without --model, the first archive decides: a model is\n"
    "the base for the updates that follow it; stats archives are merged,\n"
    "and so are metrics archives (written by fl-eval).\n";

enum { OPT_STRATEGY = 256, OPT_PROG, OPT_NOPROG, OPT_TRUST, OPT_KEY,
	OPT_SIGN, OPT_LR, OPT_MOM, OPT_B1, OPT_B2, OPT_TAU, OPT_TRIM, OPT_BYZ,
	OPT_SEL, OPT_CLIP, OPT_NOISE, OPT_POP, OPT_DELTA, OPT_EPS, OPT_SEED,
	OPT_MINUPD, OPT_PARTIAL, OPT_REQUEST };

/* Not const: the --strategy row's help is filled from the strategy table
 * (lib/federation/strategy.c) before the table is used. */
static struct fl_opt options[] = {
	{ "model", 'm', "FILE", "the model the updates were trained from", 0 },
	{ "strategy", 0, "NAME", NULL, OPT_STRATEGY },
	{ "server-lr", 0, "X", "server learning rate (fedavgm 1, fedadam,\n"
	    "fedyogi, fedadagrad 0.1)", OPT_LR },
	{ "server-momentum", 0, "X", "fedavgm's momentum (0.9)", OPT_MOM },
	{ "beta1", 0, "X", "first-moment decay (0.9)", OPT_B1 },
	{ "beta2", 0, "X", "second-moment decay of fedadam, fedyogi (0.99)",
	    OPT_B2 },
	{ "tau", 0, "X", "adaptivity: the moments' epsilon (0.001)", OPT_TAU },
	{ "trim", 0, "X", "trimmed-mean: fraction cut per side (0.1)",
	    OPT_TRIM },
	{ "byzantine", 0, "F", "krum: faulty sites tolerated (1)", OPT_BYZ },
	{ "select", 0, "M", "multi-krum: updates averaged (n - F)", OPT_SEL },
	{ "clip", 0, "C", "scale each update down to L2 norm C", OPT_CLIP },
	{ "dp-noise", 0, "Z", "central DP: add noise of std Z*C to the sum",
	    OPT_NOISE },
	{ "population", 0, "N", "sites in all, of which these are the sample",
	    OPT_POP },
	{ "dp-delta", 0, "D", "delta of the reported epsilon (1e-5)",
	    OPT_DELTA },
	{ "max-epsilon", 0, "E", "refuse a round that would pass epsilon E",
	    OPT_EPS },
	{ "seed", 0, "N", "fix the noise (for tests; never in real runs)",
	    OPT_SEED },
	{ "min-updates", 0, "N", "refuse a round with fewer than N updates\n"
	    "(default: no minimum)", OPT_MINUPD },
	{ "partial", 0, NULL, "write the updates' exact partial sums, for an\n"
	    "aggregation tree, instead of a model", OPT_PARTIAL },
	{ "recovery-request", 0, "FILE", "masked updates: when roster "
	    "sites are missing,\nwrite a recovery request for the survivors "
	    "to\nFILE (no model)", OPT_REQUEST },
	{ "trust", 0, "DIR", "accept only archives signed by a key in DIR,\n"
	    "each update by the key named as its site", OPT_TRUST },
	{ "key", 0, "FILE", "open sealed inputs with this secret key",
	    OPT_KEY },
	{ "sign", 0, "FILE", "sign the result with this secret key",
	    OPT_SIGN },
	{ "progress", 0, NULL, "show a progress bar even if stderr is not "
	    "a terminal", OPT_PROG },
	{ "no-progress", 0, NULL, "never show a progress bar", OPT_NOPROG },
	{ "output", 'o', "FILE", "write here instead of stdout", 0 },
	{ "quiet", 'q', NULL, "print nothing but errors", 0 },
	{ "verbose", 'v', NULL, "print the summary line even when stderr is\n"
	    "not a terminal", 0 },
	{ "help", 'h', NULL, "print this help", 0 },
	{ "version", 'V', NULL, "print the version", 0 },
	{ NULL, 0, NULL, NULL, 0 }
};

static const struct fl_cmd cmd = { aggregate_usage, about, options, NULL, NULL, 0 };

void
aggregate_parse_args(int argc, char **argv, struct opts *o)
{
	static char *dash[] = { "-", NULL };
	const struct fl_agg_opts defaults = FL_AGG_OPTS_INIT;
	char list[512];
	int c, i, nstdin = 0;

	static char strategies[600];
	size_t k, col;

	/* "one of fedavg (default), fedavgm, ...", wrapped to the column. */
	fl_agg_strategy_list(list, sizeof(list));
	snprintf(strategies, sizeof(strategies), "%s (default fedavg; see "
	    "fl-aggregate(1))", list);
	for (k = 0, col = 0; strategies[k] != '\0'; k++, col++)
		if (strategies[k] == ' ' && col > 40) {
			strategies[k] = '\n';
			col = 0;
		}
	for (k = 0; options[k].name != NULL; k++)
		if (options[k].id == OPT_STRATEGY)
			options[k].help = strategies;
	memset(o, 0, sizeof(*o));
	o->agg = defaults;
	o->strategy = "fedavg";
	o->progress = -1;
	while ((c = fl_getopt(&cmd, argc, argv)) != -1) {
		switch (c) {
		case 'm':
			o->model = optarg;
			break;
		case 'o':
			o->out = optarg;
			break;
		case 'q':
			o->progress = 0;
			o->verbose = -1;
			break;
		case 'v':
			o->verbose = 1;
			break;
		case OPT_NOPROG:
			o->progress = 0;
			break;
		case OPT_PROG:
			o->progress = 1;
			break;
		case OPT_KEY:
			o->key = optarg;
			break;
		case OPT_SIGN:
			o->sign = optarg;
			break;
		case OPT_TRUST:
			o->trust = optarg;
			break;
		case OPT_PARTIAL:
			o->partial = 1;
			break;
		case OPT_REQUEST:
			o->request = optarg;
			break;
		case OPT_STRATEGY:
			o->strategy = fl_opt_strategy(aggregate_usage, optarg);
			break;
		case OPT_LR:
			o->agg.server_lr = fl_opt_double(aggregate_usage, "--server-lr",
			    optarg, 1e-12, 1e6);
			break;
		case OPT_MOM:
			o->agg.momentum = fl_opt_double(aggregate_usage,
			    "--server-momentum", optarg, 0, 0.999999);
			break;
		case OPT_B1:
			o->agg.beta1 = fl_opt_double(aggregate_usage, "--beta1", optarg,
			    0, 0.999999);
			break;
		case OPT_B2:
			o->agg.beta2 = fl_opt_double(aggregate_usage, "--beta2", optarg,
			    0, 0.999999);
			break;
		case OPT_TAU:
			o->agg.tau = fl_opt_double(aggregate_usage, "--tau", optarg,
			    1e-30, 1e6);
			break;
		case OPT_TRIM:
			o->agg.trim = fl_opt_double(aggregate_usage, "--trim", optarg, 0,
			    0.499999);
			break;
		case OPT_BYZ:
			o->agg.byzantine = fl_opt_long(aggregate_usage, "--byzantine",
			    optarg, 0, 1000000);
			break;
		case OPT_SEL:
			o->agg.select = fl_opt_long(aggregate_usage, "--select", optarg,
			    1, 1000000);
			break;
		case OPT_CLIP:
			o->agg.clip = fl_opt_double(aggregate_usage, "--clip", optarg,
			    1e-30, 1e30);
			break;
		case OPT_NOISE:
			o->agg.dp_noise = fl_opt_double(aggregate_usage, "--dp-noise",
			    optarg, 1e-6, 1e6);
			break;
		case OPT_POP:
			o->agg.population = fl_opt_long(aggregate_usage, "--population",
			    optarg, 1, 1000000000);
			break;
		case OPT_DELTA:
			o->agg.dp_delta = fl_opt_double(aggregate_usage, "--dp-delta",
			    optarg, 1e-300, 0.999999);
			break;
		case OPT_EPS:
			o->agg.max_epsilon = fl_opt_double(aggregate_usage,
			    "--max-epsilon", optarg, 1e-12, 1e9);
			break;
		case OPT_MINUPD:
			o->agg.min_updates = fl_opt_long(aggregate_usage,
			    "--min-updates", optarg, 1, 1000000000);
			break;
		case OPT_SEED:
			o->agg.seed = fl_opt_seed(aggregate_usage, "--seed", optarg);
			o->agg.seeded = 1;
			break;
		}
	}
	o->inputs = argv + optind;
	o->ninputs = argc - optind;
	if (o->ninputs == 0) {
		o->inputs = dash;
		o->ninputs = 1;
	}
	for (i = 0; i < o->ninputs; i++)
		nstdin += strcmp(o->inputs[i], "-") == 0;
	if (o->model != NULL && strcmp(o->model, "-") == 0)
		nstdin++;
	if (nstdin > 1)
		fl_usage_error(aggregate_usage, "stdin can be read only once");
	if (o->agg.dp_noise > 0 && !(o->agg.clip > 0))
		fl_usage_error(aggregate_usage, "--dp-noise needs --clip");
	if ((o->agg.population > 0 || o->agg.max_epsilon > 0 ||
	    o->agg.seeded) && !(o->agg.dp_noise > 0))
		fl_usage_error(aggregate_usage, "--population, --max-epsilon and --seed "
		    "need --dp-noise");
	if (o->partial && (o->agg.population > 0 || o->agg.max_epsilon > 0 ||
	    o->agg.seeded || o->agg.min_updates > 0))
		fl_usage_error(aggregate_usage, "--population, --max-epsilon, "
		    "--seed and --min-updates apply at the root of the tree, "
		    "not with --partial");
	fl_refuse_tty(o->out);
}
