/*
 * train-opts.c: fl-train's options, written once in a table that makes
 * its getopt_long tables and --help (cmd/cli.c), and the checks that need
 * them all.  Keep it in step with man/fl-train.1 and the completions.
 */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "fl.h"
#include "cli.h"
#include "train.h"

const char train_usage[] =
    "usage: fl-train [-qv] -d data.csv [-e epochs] [-b batch] [--lr x]\n"
    "                [--optimizer sgd|adam|newton] [--momentum m] "
    "[--l2 x]\n"
    "                [--seed n] [--min-count n]"
    "\n"
    "                [--prox-mu mu] [--scaffold state] [--dp-clip c "
    "--dp-noise z\n"
    "                [--dp-delta d] [--dp-seed n]] [--site name] "
    "[--pass-model]\n"
    "                [--trust dir] [--key key] [--sign key] "
    "[--mask roster\n"
    "                [--mask-range r]] [--device dev] [--image-column col]\n"
    "                [-o file] [model]";

static const char about[] =
    "Train a model on a local CSV and write an update (the weight delta).\n"
    "The model is read from the operand, or stdin when absent or '-'.\n";

enum { OPT_LR = 256, OPT_OPT, OPT_MOM, OPT_L2, OPT_SEED, OPT_SITE, OPT_PASS,
	OPT_PROG, OPT_NOPROG, OPT_TRUST, OPT_KEY, OPT_SIGN, OPT_PROX,
	OPT_SCAF, OPT_CLIP, OPT_NOISE, OPT_DELTA, OPT_DPSEED, OPT_MASK,
	OPT_MASKRANGE, OPT_MINCOUNT, OPT_DEVICE, OPT_IMAGE };

static const struct fl_opt options[] = {
	{ "data", 'd', "FILE", "this site's CSV ('-' for stdin)", 0 },
	{ "image-column", 0, "COL", "column COL of the CSV names PNG files (relative\n"
	    "to the CSV) whose pixels are the columns px0,\npx1, ... "
	    "(CxHxW order)", OPT_IMAGE },
	{ "epochs", 'e', "N", "passes over the data (default 1)", 0 },
	{ "batch", 'b', "N", "rows per step (default 32)", 0 },
	{ "lr", 0, "X", "learning rate (default 0.1 for sgd,\n"
	    "0.01 for adam)", OPT_LR },
	{ "optimizer", 0, "NAME", "sgd, adam or newton (default sgd); newton\n"
	    "writes the site's score, information matrix\n"
	    "and log-likelihood at the received model for\n"
	    "fl-aggregate --strategy newton (logreg,\n"
	    "linear, cox)", OPT_OPT },
	{ "momentum", 0, "M", "SGD momentum (default 0)", OPT_MOM },
	{ "l2", 0, "X", "L2 penalty on weights (default 0); newton:\n"
	    "X/2 |w|^2 off the pooled log-likelihood,\n"
	    "the same at every site", OPT_L2 },
	{ "min-count", 0, "N", "newton: refuse to write an update from fewer\n"
	    "than N rows or events (default 10)", OPT_MINCOUNT },
	{ "seed", 0, "N", "seed of the row order (default 1)", OPT_SEED },
	{ "prox-mu", 0, "MU", "FedProx: add MU/2 |w - received|^2 to the "
	    "loss\n(default 0, off)", OPT_PROX },
	{ "scaffold", 0, "FILE", "SCAFFOLD: keep this site's control "
	    "variate in\nFILE (created when absent); sgd, no momentum",
	    OPT_SCAF },
	{ "dp-clip", 0, "C", "DP-SGD: clip each row's gradient to L2 norm C",
	    OPT_CLIP },
	{ "dp-noise", 0, "Z", "DP-SGD: add N(0, (Z C)^2) noise to each "
	    "batch's\nsum of clipped gradients (needs --dp-clip)",
	    OPT_NOISE },
	{ "dp-delta", 0, "D", "DP-SGD: the delta of the recorded epsilon\n"
	    "(default 1e-5)", OPT_DELTA },
	{ "dp-seed", 0, "N", "DP-SGD: draw the noise from seed N, not from\n"
	    "OpenSSL (for tests only: no privacy)", OPT_DPSEED },
	{ "site", 0, "NAME", "site name recorded in the update, 1 to 128 of\n"
	    "A-Z a-z 0-9 . _ - (default: the --sign key's\n"
	    "name, else the data file's name without its\n"
	    "extension; required for data on stdin)", OPT_SITE },
	{ "trust", 0, "DIR", "accept only a model signed by a coordinator\n"
	    "key (DIR/coordinator/*.pub)", OPT_TRUST },
	{ "key", 0, "FILE", "open a sealed model with this secret key",
	    OPT_KEY },
	{ "sign", 0, "FILE", "sign the update with this secret key",
	    OPT_SIGN },
	{ "mask", 0, "DIR", "secure aggregation: mask the update for the\n"
	    "roster of site keys in DIR (needs --key)", OPT_MASK },
	{ "mask-range", 0, "R", "clip samples x delta to [-R, R] before\n"
	    "masking (default 65536)", OPT_MASKRANGE },
	{ "pass-model", 0, NULL, "write the received model before the "
	    "update,\nso that fl-aggregate or another fl-train can\n"
	    "read both from a pipe (updates that came after\n"
	    "the model are passed on in any case)", OPT_PASS },
	{ "device", 0, "DEV", "train on cpu, cuda (an NVIDIA GPU; a 'make "
	    "cuda'\nbuild) or auto (cuda when present, else cpu)\n"
	    "(default cpu)", OPT_DEVICE },
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

static const struct fl_cmd cmd = { train_usage, about, options, NULL, NULL, 0 };

/* The checks that need every option: exits 2 on misuse. */
static void
check_args(struct opts *o)
{
	if (o->data == NULL)
		fl_usage_error(train_usage, "--data is required");
	if (strcmp(o->data, "-") == 0 &&
	    (o->model == NULL || strcmp(o->model, "-") == 0))
		fl_usage_error(train_usage, "the data and the model cannot both be "
		    "stdin");
	if (!o->lr_set && o->hp.optimizer == FL_OPT_ADAM)
		o->hp.lr = 0.01;
	if ((o->hp.dp_clip > 0.0) != (o->hp.dp_noise > 0.0))
		fl_usage_error(train_usage, "--dp-clip and --dp-noise go together");
	if (o->hp.dp_clip == 0.0 && (o->delta_set || o->hp.dp_seeded))
		fl_usage_error(train_usage, "--dp-delta and --dp-seed need "
		    "--dp-clip and --dp-noise");
	if (o->scaffold != NULL && (o->hp.optimizer != FL_OPT_SGD ||
	    o->hp.momentum != 0.0))
		fl_usage_error(train_usage, "--scaffold needs plain SGD (no --optimizer "
		    "adam, no --momentum)");
	if (o->hp.optimizer == FL_OPT_NEWTON && (o->scaffold != NULL ||
	    o->hp.dp_clip > 0.0 || o->hp.prox_mu > 0.0 || o->hp.momentum > 0.0))
		fl_usage_error(train_usage, "--optimizer newton takes no --scaffold, "
		    "--dp-clip, --prox-mu or --momentum");
	if (o->min_set && o->hp.optimizer != FL_OPT_NEWTON)
		fl_usage_error(train_usage, "--min-count is for --optimizer newton");
	if (o->scaffold != NULL && strcmp(o->scaffold, "-") == 0)
		fl_usage_error(train_usage, "--scaffold: give a file, not '-'");
	if (o->mask == NULL && o->mask_range > 0)
		fl_usage_error(train_usage, "--mask-range needs --mask");
	if (o->mask != NULL && o->key == NULL)
		fl_usage_error(train_usage, "--mask needs --key (this site's "
		    "secret key)");
	if (o->mask != NULL && o->scaffold != NULL)
		fl_usage_error(train_usage, "--mask does not cover --scaffold's "
		    "state");
	fl_refuse_tty(o->out);
	o->hp.backend = fl_device_backend(o->device, o->verbose < 0);
}

void
train_parse_args(int argc, char **argv, struct opts *o)
{
	struct fl_hparams def = FL_HPARAMS_INIT;
	int c, opt;

	memset(o, 0, sizeof(*o));
	o->hp = def;
	o->progress = -1;
	o->dp_delta = 1e-5;
	o->min_count = 10;
	while ((c = fl_getopt(&cmd, argc, argv)) != -1) {
		switch (c) {
		case 'b':
			o->hp.batch = (size_t)fl_opt_long(train_usage, "--batch",
			    optarg, 1, 1 << 20);
			break;
		case 'd':
			o->data = optarg;
			break;
		case 'e':
			o->hp.epochs = (unsigned)fl_opt_long(train_usage, "--epochs",
			    optarg, 1, 100000);
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
		case OPT_DEVICE:
			o->device = fl_opt_device(train_usage, optarg);
			break;
		case OPT_IMAGE:
			o->image_col = optarg;
			break;
		case OPT_CLIP:
			o->hp.dp_clip = fl_opt_double(train_usage, "--dp-clip",
			    optarg, 1e-12, 1e6);
			break;
		case OPT_DELTA:
			o->dp_delta = fl_opt_double(train_usage, "--dp-delta",
			    optarg, 1e-300, 0.5);
			o->delta_set = 1;
			break;
		case OPT_DPSEED:
			o->hp.dp_seed = fl_opt_seed(train_usage, "--dp-seed",
			    optarg);
			o->hp.dp_seeded = 1;
			break;
		case OPT_KEY:
			o->key = optarg;
			break;
		case OPT_L2:
			o->hp.l2 = fl_opt_double(train_usage, "--l2", optarg, 0, 1e6);
			break;
		case OPT_LR:
			o->hp.lr = fl_opt_double(train_usage, "--lr", optarg, 0, 1e6);
			o->lr_set = 1;
			break;
		case OPT_MASK:
			o->mask = optarg;
			break;
		case OPT_MASKRANGE:
			o->mask_range = fl_opt_double(train_usage,
			    "--mask-range", optarg, 1e-6, 1e30);
			break;
		case OPT_MINCOUNT:
			o->min_count = fl_opt_long(train_usage, "--min-count",
			    optarg, 0, 1000000000);
			o->min_set = 1;
			break;
		case OPT_MOM:
			o->hp.momentum = fl_opt_double(train_usage, "--momentum",
			    optarg, 0, 0.999999);
			break;
		case OPT_NOISE:
			o->hp.dp_noise = fl_opt_double(train_usage, "--dp-noise",
			    optarg, 1e-6, 1e6);
			break;
		case OPT_NOPROG:
			o->progress = 0;
			break;
		case OPT_OPT:
			if ((opt = fl_optimizer_parse(optarg)) < 0)
				fl_usage_error(train_usage, "--optimizer: unknown "
				    "optimizer '%s' (sgd, adam, newton)",
				    optarg);
			o->hp.optimizer = (enum fl_optimizer)opt;
			break;
		case OPT_PASS:
			o->pass = 1;
			break;
		case OPT_PROG:
			o->progress = 1;
			break;
		case OPT_PROX:
			o->hp.prox_mu = fl_opt_double(train_usage, "--prox-mu",
			    optarg, 0, 1e6);
			break;
		case OPT_SCAF:
			o->scaffold = optarg;
			break;
		case OPT_SEED:
			o->hp.seed = fl_opt_seed(train_usage, "--seed", optarg);
			break;
		case OPT_SIGN:
			o->sign = optarg;
			break;
		case OPT_SITE:
			o->site = optarg;
			break;
		case OPT_TRUST:
			o->trust = optarg;
			break;
		}
	}
	if (argc - optind > 1)
		fl_usage_error(train_usage, "one model at most");
	o->model = optind < argc ? argv[optind] : NULL;
	check_args(o);
}
