/*
 * fl-aggregate: combine the sites' updates into the next model (FedAvg,
 * a server optimizer or a robust strategy, optionally with central
 * differential privacy), or the sites' statistics or metrics into pooled
 * ones; lib/combine.c decides which from the archives.  Inputs are
 * streamed one archive at a time, so memory does not grow with their
 * number.  Manual: man/fl-aggregate.1.
 */
#include <getopt.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "fl.h"
#include "cli.h"

static const char usage[] =
    "usage: fl-aggregate [-q] [-m model] [--strategy name] [--server-lr x]\n"
    "                    [--server-momentum x] [--beta1 x] [--beta2 x]\n"
    "                    [--tau x] [--trim x] [--byzantine f] [--select m]\n"
    "                    [--clip c] [--dp-noise z] [--population n]\n"
    "                    [--dp-delta d] [--max-epsilon e] [--seed n]\n"
    "                    [--trust dir] [--key key] [--sign key] [-o file]\n"
    "                    [archive ...]";

static const char help[] =
    "Combine updates into the next model, or statistics into pooled\n"
    "statistics.  Archives are read from the operands, or stdin when there\n"
    "are none ('-' also means stdin); each may hold several archives\n"
    "concatenated.  Without --model, the first archive decides: a model is\n"
    "the base for the updates that follow it; stats archives are merged,\n"
    "and so are metrics archives (written by fl-eval).\n\n"
    "  -m, --model FILE      the model the updates were trained from\n"
    "      --strategy NAME   fedavg (default), fedavgm, fedadam, fedyogi,\n"
    "                        fedadagrad, median, trimmed-mean, krum or\n"
    "                        multi-krum; see fl-aggregate(1)\n"
    "      --server-lr X     server learning rate (fedavgm 1, fedadam,\n"
    "                        fedyogi, fedadagrad 0.1)\n"
    "      --server-momentum X  fedavgm's momentum (0.9)\n"
    "      --beta1 X         first-moment decay (0.9)\n"
    "      --beta2 X         second-moment decay of fedadam, fedyogi (0.99)\n"
    "      --tau X           adaptivity: the moments' epsilon (0.001)\n"
    "      --trim X          trimmed-mean: fraction cut per side (0.1)\n"
    "      --byzantine F     krum: faulty sites tolerated (1)\n"
    "      --select M        multi-krum: updates averaged (n - F)\n"
    "      --clip C          scale each update down to L2 norm C\n"
    "      --dp-noise Z      central DP: add noise of std Z*C to the sum\n"
    "      --population N    sites in all, of which these are the sample\n"
    "      --dp-delta D      delta of the reported epsilon (1e-5)\n"
    "      --max-epsilon E   refuse a round that would pass epsilon E\n"
    "      --seed N          fix the noise (for tests; never in real runs)\n"
    "      --trust DIR       accept only archives signed by a key in DIR,\n"
    "                        each update by the key named as its site\n"
    "      --key FILE        open sealed inputs with this secret key\n"
    "      --sign FILE       sign the result with this secret key\n"
    "      --progress        show a progress bar even if stderr is not a "
    "terminal\n"
    "      --no-progress     never show a progress bar\n"
    "  -o, --output FILE     write here instead of stdout\n"
    "  -q, --quiet           print nothing but errors\n"
    "  -h, --help            print this help\n"
    "  -V, --version         print the version\n";

struct opts {
	const char	*model, *strategy, *out, *trust, *key, *sign;
	struct fl_agg_opts agg;
	char		**inputs;
	int		 ninputs, progress;
};

static void
parse_args(int argc, char **argv, struct opts *o)
{
	enum { OPT_STRATEGY = 256, OPT_PROG, OPT_NOPROG, OPT_TRUST, OPT_KEY,
	    OPT_SIGN, OPT_LR, OPT_MOM, OPT_B1, OPT_B2, OPT_TAU, OPT_TRIM,
	    OPT_BYZ, OPT_SEL, OPT_CLIP, OPT_NOISE, OPT_POP, OPT_DELTA, OPT_EPS,
	    OPT_SEED };
	static const struct option longopts[] = {
		{ "beta1", required_argument, NULL, OPT_B1 },
		{ "beta2", required_argument, NULL, OPT_B2 },
		{ "byzantine", required_argument, NULL, OPT_BYZ },
		{ "clip", required_argument, NULL, OPT_CLIP },
		{ "dp-delta", required_argument, NULL, OPT_DELTA },
		{ "dp-noise", required_argument, NULL, OPT_NOISE },
		{ "help", no_argument, NULL, 'h' },
		{ "key", required_argument, NULL, OPT_KEY },
		{ "max-epsilon", required_argument, NULL, OPT_EPS },
		{ "model", required_argument, NULL, 'm' },
		{ "no-progress", no_argument, NULL, OPT_NOPROG },
		{ "output", required_argument, NULL, 'o' },
		{ "population", required_argument, NULL, OPT_POP },
		{ "progress", no_argument, NULL, OPT_PROG },
		{ "quiet", no_argument, NULL, 'q' },
		{ "seed", required_argument, NULL, OPT_SEED },
		{ "select", required_argument, NULL, OPT_SEL },
		{ "server-lr", required_argument, NULL, OPT_LR },
		{ "server-momentum", required_argument, NULL, OPT_MOM },
		{ "sign", required_argument, NULL, OPT_SIGN },
		{ "strategy", required_argument, NULL, OPT_STRATEGY },
		{ "tau", required_argument, NULL, OPT_TAU },
		{ "trim", required_argument, NULL, OPT_TRIM },
		{ "trust", required_argument, NULL, OPT_TRUST },
		{ "version", no_argument, NULL, 'V' },
		{ NULL, 0, NULL, 0 }
	};
	static char *dash[] = { "-", NULL };
	const struct fl_agg_opts defaults = FL_AGG_OPTS_INIT;
	const char *const *names;
	int c, i, nstdin = 0;

	memset(o, 0, sizeof(*o));
	o->agg = defaults;
	o->strategy = "fedavg";
	o->progress = -1;
	opterr = 0;
	while ((c = getopt_long(argc, argv, ":hm:o:qV", longopts,
	    NULL)) != -1) {
		switch (c) {
		case 'h':
			printf("%s\n\n%s", usage, help);
			exit(fl_close_stdout());
		case 'm':
			o->model = optarg;
			break;
		case 'o':
			o->out = optarg;
			break;
		case 'q':
			o->progress = 0;
			break;
		case 'V':
			fl_print_version();
			exit(fl_close_stdout());
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
		case OPT_STRATEGY:
			for (names = fl_agg_strategies(); *names != NULL;
			    names++)
				if (strcmp(optarg, *names) == 0)
					break;
			if (*names == NULL)
				fl_usage_error(usage, "--strategy: unknown "
				    "strategy '%s' (fedavg, fedavgm, fedadam, "
				    "fedyogi, fedadagrad, median, trimmed-mean, "
				    "krum, multi-krum)", optarg);
			o->strategy = optarg;
			break;
		case OPT_LR:
			o->agg.server_lr = fl_opt_double(usage, "--server-lr",
			    optarg, 1e-12, 1e6);
			break;
		case OPT_MOM:
			o->agg.momentum = fl_opt_double(usage,
			    "--server-momentum", optarg, 0, 0.999999);
			break;
		case OPT_B1:
			o->agg.beta1 = fl_opt_double(usage, "--beta1", optarg,
			    0, 0.999999);
			break;
		case OPT_B2:
			o->agg.beta2 = fl_opt_double(usage, "--beta2", optarg,
			    0, 0.999999);
			break;
		case OPT_TAU:
			o->agg.tau = fl_opt_double(usage, "--tau", optarg,
			    1e-30, 1e6);
			break;
		case OPT_TRIM:
			o->agg.trim = fl_opt_double(usage, "--trim", optarg, 0,
			    0.499999);
			break;
		case OPT_BYZ:
			o->agg.byzantine = fl_opt_long(usage, "--byzantine",
			    optarg, 0, 1000000);
			break;
		case OPT_SEL:
			o->agg.select = fl_opt_long(usage, "--select", optarg,
			    1, 1000000);
			break;
		case OPT_CLIP:
			o->agg.clip = fl_opt_double(usage, "--clip", optarg,
			    1e-30, 1e30);
			break;
		case OPT_NOISE:
			o->agg.dp_noise = fl_opt_double(usage, "--dp-noise",
			    optarg, 1e-6, 1e6);
			break;
		case OPT_POP:
			o->agg.population = fl_opt_long(usage, "--population",
			    optarg, 1, 1000000000);
			break;
		case OPT_DELTA:
			o->agg.dp_delta = fl_opt_double(usage, "--dp-delta",
			    optarg, 1e-300, 0.999999);
			break;
		case OPT_EPS:
			o->agg.max_epsilon = fl_opt_double(usage,
			    "--max-epsilon", optarg, 1e-12, 1e9);
			break;
		case OPT_SEED:
			o->agg.seed = fl_opt_seed(usage, "--seed", optarg);
			o->agg.seeded = 1;
			break;
		default:
			fl_opt_error(usage, c, argv);
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
		fl_usage_error(usage, "stdin can be read only once");
	if (o->agg.dp_noise > 0 && !(o->agg.clip > 0))
		fl_usage_error(usage, "--dp-noise needs --clip");
	if ((o->agg.population > 0 || o->agg.max_epsilon > 0 ||
	    o->agg.seeded) && !(o->agg.dp_noise > 0))
		fl_usage_error(usage, "--population, --max-epsilon and --seed "
		    "need --dp-noise");
	fl_refuse_tty(o->out);
}

/* Read every archive of every input, in order, into c. */
static int
read_inputs(struct fl_combine *c, const struct opts *o,
    const struct fl_seckey *key, struct fl_progress *bar, struct fl_err *err)
{
	struct fl_archive *a = NULL;
	struct fl_reader *r;
	const char *name;
	FILE *f;
	int i, rc = 0;

	for (i = 0; i < o->ninputs && rc >= 0; i++) {
		name = fl_in_name(o->inputs[i]);
		if ((f = fl_in_open(o->inputs[i], err)) == NULL)
			return FL_EIO;
		if ((rc = fl_reader_open_key(&r, f, name, key, err)) < 0) {
			fl_in_close(f);
			break;
		}
		/* Once the model is known, nothing after it may declare more
		 * tensor bytes than an update of it holds. */
		for (;;) {
			if (fl_combine_max_bytes(c) > 0)
				fl_reader_set_max(r, fl_combine_max_bytes(c),
				    "an update of this model holds no more");
			if ((rc = fl_reader_next(r, &a, err)) <= 0 ||
			    (rc = fl_combine_add(c, &a, name, err)) < 0)
				break;
		}
		fl_reader_free(r);
		fl_in_close(f);
		fl_progress_cb(bar, (size_t)i + 1, (size_t)o->ninputs);
	}
	fl_archive_free(a);
	return rc;
}

int
main(int argc, char **argv)
{
	struct fl_err err = FL_ERR_INIT;
	struct fl_archive *a = NULL, *out = NULL;
	struct fl_seckey *key = NULL, *sk = NULL;
	struct fl_trust *trust = NULL;
	struct fl_combine *c = NULL;
	struct fl_progress bar;
	struct opts o;
	int rc;

	fl_setprogname(argv[0]);
	parse_args(argc, argv, &o);
	fl_progress_init(&bar, "aggregating", o.progress);
	if ((o.key != NULL && (rc = fl_seckey_read(&key, o.key, &err)) < 0) ||
	    (o.sign != NULL && (rc = fl_seckey_read(&sk, o.sign, &err)) < 0) ||
	    (o.trust != NULL && (rc = fl_trust_load(&trust, o.trust,
	    &err)) < 0) ||
	    (rc = fl_combine_new(&c, o.strategy, &o.agg, trust, &err)) < 0)
		goto out;
	if (o.model != NULL) {
		if ((rc = fl_archive_read_file_key(o.model, key, &a,
		    &err)) < 0)
			goto out;
		rc = fl_combine_base(c, a, fl_in_name(o.model), &err);
		a = NULL;	/* c owns it now */
		if (rc < 0)
			goto out;
	}
	if ((rc = read_inputs(c, &o, key, &bar, &err)) < 0)
		goto out;
	fl_progress_end(&bar);
	if ((rc = fl_combine_finish(c, &out, &err)) < 0 ||
	    (rc = fl_manifest_set_writer(fl_archive_manifest(out),
	    "fl-aggregate", &err)) < 0 ||
	    (sk != NULL && (rc = fl_archive_sign_new(out, sk, &err)) < 0))
		goto out;
	rc = fl_archive_save(&out, 1, o.out, &err);
out:
	fl_progress_end(&bar);
	if (rc < 0)
		rc = fl_report(&err);
	else
		rc = fl_close_stdout();
	fl_archive_free(a);
	fl_archive_free(out);
	fl_combine_free(c);
	fl_seckey_free(sk);
	fl_seckey_free(key);
	fl_trust_free(trust);
	return rc;
}
