/*
 * fl-aggregate: combine the sites' updates into the next model (FedAvg,
 * a server optimizer or a robust strategy, optionally with central
 * differential privacy), or the sites' statistics into pooled statistics.  Inputs are streamed
 * one archive at a time, so memory does not grow with their number.
 * Manual: man/fl-aggregate.1.
 */
#include <getopt.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "fl.h"

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

/* What is being combined, once the first archive has said. */
struct state {
	struct fl_archive	*base_a;	/* the base model's archive */
	struct fl_model		*base;
	struct fl_agg		*agg;
	struct fl_stats		*stats;		/* merged statistics */
	json_t			*contributors;	/* of the stats */
	struct fl_fedeval	*metrics;	/* merged metrics (fedeval) */
	const struct opts	*o;
	struct fl_trust		*trust;
	struct fl_seckey	*key;		/* opens sealed input */
	struct fl_baseline	*bl;		/* survival: lib/cox.c */
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

/* Make a the base model (it was read first, or from --model). */
static int
take_base(struct state *s, struct fl_archive *a, const char *name,
    struct fl_err *err)
{
	int64_t round;
	int rc;

	s->base_a = a;
	if ((rc = fl_model_from_archive(&s->base, a, err)) < 0 ||
	    (rc = fl_json_get_int(fl_archive_manifest(a), "round", &round,
	    err)) < 0)
		return fl_err_prefix(err, "%s", name);
	if (round < 0 || round > 1000000000)
		return fl_err_set(err, FL_EFORMAT, "%s: bad round %lld", name,
		    (long long)round);
	if ((rc = fl_agg_new(&s->agg, s->base, fl_archive_id(a), (int)round,
	    s->o->strategy, err)) < 0 ||
	    (rc = fl_agg_configure(s->agg, &s->o->agg, a, err)) < 0)
		return rc == FL_EUSAGE ? rc : fl_err_prefix(err, "%s", name);
	if ((rc = fl_agg_set_history(s->agg, json_object_get(
	    fl_archive_manifest(a), "history"), err)) < 0)
		return fl_err_prefix(err, "%s", name);
	/* Survival hook: sum the updates' baseline tables (lib/cox.c). */
	return fl_baseline_new(&s->bl, s->base, fl_archive_id(a), err);
}

/* Merge one stats archive into s->stats. */
static int
add_stats(struct state *s, const struct fl_archive *a, const char *name,
    struct fl_err *err)
{
	struct fl_stats *st;
	json_int_t rows;
	json_t *c;
	int rc;

	if (fl_archive_kind(a) != FL_KIND_STATS)
		return fl_err_set(err, FL_EFORMAT, "%s: a %s archive among "
		    "stats archives", name, fl_kind_name(fl_archive_kind(a)));
	if ((rc = fl_stats_from_archive(&st, a, err)) < 0)
		return fl_err_prefix(err, "%s", name);
	rows = (json_int_t)fl_stats_rows(st);
	if (s->stats == NULL) {
		s->stats = st;
		s->contributors = json_array();
	} else {
		rc = fl_stats_merge(s->stats, st, err);
		fl_stats_free(st);
		if (rc < 0)
			return fl_err_prefix(err, "%s", name);
	}
	c = json_pack("{s:s, s:O?, s:I}", "id", fl_archive_id(a), "site",
	    json_object_get(fl_archive_manifest((struct fl_archive *)a),
	    "site"), "samples", rows);
	if (c == NULL || json_array_append_new(s->contributors, c) < 0)
		return fl_err_set(err, FL_ENOMEM, "out of memory");
	return 0;
}

/* Metrics-merge mode: merge one metrics archive (lib/fedeval.c). */
static int
add_metrics(struct state *s, const struct fl_archive *a, const char *name,
    struct fl_err *err)
{
	struct fl_fedeval *e;
	int rc;

	if (fl_archive_kind(a) != FL_KIND_METRICS)
		return fl_err_set(err, FL_EFORMAT, "%s: a %s archive among "
		    "metrics archives", name, fl_kind_name(fl_archive_kind(a)));
	if ((rc = fl_fedeval_from_archive(&e, a, err)) < 0)
		return fl_err_prefix(err, "%s", name);
	if (s->metrics == NULL) {
		s->metrics = e;
		return 0;
	}
	if ((rc = fl_fedeval_merge(s->metrics, e, err)) < 0)
		fl_err_prefix(err, "%s", name);
	fl_fedeval_free(e);
	return rc;
}

/*
 * Handle one archive read from input name.  *keep is set when the state
 * took ownership of it (the base model), so the reader needs a new one.
 */
static int
consume(struct state *s, struct fl_archive *a, const char *name, int *keep,
    struct fl_err *err)
{
	const struct fl_pubkey *signer = NULL;
	int rc;

	*keep = 0;
	if (s->trust != NULL &&
	    (rc = fl_archive_trusted(a, s->trust, name, &signer, err)) < 0)
		return rc;
	if (s->metrics != NULL || (s->agg == NULL && s->stats == NULL &&
	    fl_archive_kind(a) == FL_KIND_METRICS))
		return add_metrics(s, a, name, err);
	if (s->agg == NULL && s->stats == NULL) {
		if (fl_archive_kind(a) == FL_KIND_MODEL) {
			*keep = 1;
			return take_base(s, a, name, err);
		}
		if (fl_archive_kind(a) != FL_KIND_STATS)
			return fl_err_set(err, FL_EUSAGE, "%s: no model to "
			    "apply the %s to; give --model", name,
			    fl_kind_name(fl_archive_kind(a)));
	}
	if (s->agg != NULL)
		return (rc = fl_agg_add(s->agg, a, name,
		    signer != NULL ? signer->keyid : NULL, err)) < 0 ? rc :
		    fl_baseline_add(s->bl, a, name, err);
	return add_stats(s, a, name, err);
}

/* Read every archive of every input, in order. */
static int
read_inputs(struct state *s, struct fl_progress *bar, struct fl_err *err)
{
	const struct opts *o = s->o;
	struct fl_archive *a = NULL;
	struct fl_reader *r;
	const char *name;
	FILE *f;
	int i, rc = 0, keep;

	for (i = 0; i < o->ninputs && rc >= 0; i++) {
		name = fl_in_name(o->inputs[i]);
		if ((f = fl_in_open(o->inputs[i], err)) == NULL)
			return FL_EIO;
		if ((rc = fl_reader_open_key(&r, f, name, s->key, err)) < 0) {
			fl_in_close(f);
			break;
		}
		while ((rc = fl_reader_next(r, &a, err)) > 0) {
			if ((rc = consume(s, a, name, &keep, err)) < 0)
				break;
			if (keep)
				a = NULL;
		}
		fl_reader_free(r);
		fl_in_close(f);
		fl_progress_cb(bar, (size_t)i + 1, (size_t)o->ninputs);
	}
	fl_archive_free(a);
	return rc;
}

/* The merged statistics as an archive. */
static int
stats_result(struct state *s, struct fl_archive **out, struct fl_err *err)
{
	json_t *man;
	int rc;

	if ((rc = fl_stats_to_archive(s->stats, out, err)) < 0)
		return rc;
	man = fl_archive_manifest(*out);
	if (json_object_set(man, "contributors", s->contributors) < 0 ||
	    json_object_set_new(man, "samples",
	    json_integer((json_int_t)fl_stats_rows(s->stats))) < 0)
		return fl_err_set(err, FL_ENOMEM, "out of memory");
	return 0;
}

int
main(int argc, char **argv)
{
	struct fl_err err = FL_ERR_INIT;
	struct fl_archive *a = NULL, *out = NULL;
	struct fl_seckey *sk = NULL;
	struct fl_progress bar;
	struct state s;
	struct opts o;
	int rc;

	fl_setprogname(argv[0]);
	parse_args(argc, argv, &o);
	memset(&s, 0, sizeof(s));
	s.o = &o;
	fl_progress_init(&bar, "aggregating", o.progress);
	if ((o.key != NULL && (rc = fl_seckey_read(&s.key, o.key,
	    &err)) < 0) ||
	    (o.sign != NULL && (rc = fl_seckey_read(&sk, o.sign, &err)) < 0) ||
	    (o.trust != NULL && (rc = fl_trust_load(&s.trust, o.trust,
	    &err)) < 0))
		goto out;
	if (o.model != NULL) {
		if ((rc = fl_archive_read_file_key(o.model, s.key, &a,
		    &err)) < 0 || (s.trust != NULL &&
		    (rc = fl_archive_trusted(a, s.trust, fl_in_name(o.model),
		    NULL, &err)) < 0))
			goto out;
		if (fl_archive_kind(a) != FL_KIND_MODEL) {
			rc = fl_err_set(&err, FL_EFORMAT, "%s: a %s archive, "
			    "not a model", fl_in_name(o.model),
			    fl_kind_name(fl_archive_kind(a)));
			goto out;
		}
		rc = take_base(&s, a, fl_in_name(o.model), &err);
		a = NULL;	/* the state owns it now */
		if (rc < 0)
			goto out;
	}
	if ((rc = read_inputs(&s, &bar, &err)) < 0)
		goto out;
	fl_progress_end(&bar);
	if (s.agg != NULL) {
		if ((rc = fl_agg_finish(s.agg, &out, &err)) == 0)
			rc = fl_baseline_finish(s.bl, fl_archive_manifest(out),
			    &err);
	} else if (s.stats != NULL)
		rc = stats_result(&s, &out, &err);
	else if (s.metrics != NULL)
		rc = fl_fedeval_to_archive(s.metrics, &out, &err);
	else
		rc = fl_err_set(&err, FL_EFORMAT, "no archives to aggregate");
	if (rc < 0)
		goto out;
	if ((rc = fl_manifest_set_writer(fl_archive_manifest(out),
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
	fl_archive_free(s.base_a);
	fl_model_free(s.base);
	fl_agg_free(s.agg);
	fl_baseline_free(s.bl);
	fl_stats_free(s.stats);
	fl_fedeval_free(s.metrics);
	json_decref(s.contributors);
	fl_seckey_free(sk);
	fl_seckey_free(s.key);
	fl_trust_free(s.trust);
	return rc;
}
