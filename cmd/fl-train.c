/*
 * fl-train: train a received model on this site's CSV and write an update:
 * the weight delta (trained minus received), the rows it saw and the loss.
 * No row leaves the site.  Manual: man/fl-train.1.
 */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "fl.h"
#include "cli.h"

static const char usage[] =
    "usage: fl-train [-q] -d data.csv [-e epochs] [-b batch] [--lr x]\n"
    "                [--optimizer sgd|adam] [--momentum m] [--l2 x] "
    "[--seed n]\n"
    "                [--prox-mu mu] [--scaffold state] [--dp-clip c "
    "--dp-noise z\n"
    "                [--dp-delta d] [--dp-seed n]] [--site name] "
    "[--pass-model]\n"
    "                [--trust dir] [--key key] [--sign key] [-o file] "
    "[model]";

static const char help[] =
    "Train a model on a local CSV and write an update (the weight delta).\n"
    "The model is read from the operand, or stdin when absent or '-'.\n\n"
    "  -d, --data FILE       this site's CSV ('-' for stdin)\n"
    "  -e, --epochs N        passes over the data (default 1)\n"
    "  -b, --batch N         rows per step (default 32)\n"
    "      --lr X            learning rate (default 0.1 for sgd,\n"
    "                        0.01 for adam)\n"
    "      --optimizer NAME  sgd or adam (default sgd)\n"
    "      --momentum M      SGD momentum (default 0)\n"
    "      --l2 X            L2 penalty on weights (default 0)\n"
    "      --seed N          seed of the row order (default 1)\n"
    "      --prox-mu MU      FedProx: add MU/2 |w - received|^2 to the loss\n"
    "                        (default 0, off)\n"
    "      --scaffold FILE   SCAFFOLD: keep this site's control variate in\n"
    "                        FILE (created when absent); sgd, no momentum\n"
    "      --dp-clip C       DP-SGD: clip each row's gradient to L2 norm C\n"
    "      --dp-noise Z      DP-SGD: add N(0, (Z C)^2) noise to each batch's\n"
    "                        sum of clipped gradients (needs --dp-clip)\n"
    "      --dp-delta D      DP-SGD: the delta of the recorded epsilon\n"
    "                        (default 1e-5)\n"
    "      --dp-seed N       DP-SGD: draw the noise from seed N, not from\n"
    "                        OpenSSL (for tests only: no privacy)\n"
    "      --site NAME       site name recorded in the update, 1 to 128 of\n"
    "                        A-Z a-z 0-9 . _ - (default: the --sign key's\n"
    "                        name, else the data file's name without its\n"
    "                        extension; required for data on stdin)\n"
    "      --trust DIR       accept only a model signed by a coordinator\n"
    "                        key (DIR/coordinator/*.pub)\n"
    "      --key FILE        open a sealed model with this secret key\n"
    "      --sign FILE       sign the update with this secret key\n"
    "      --pass-model      write the received model before the update,\n"
    "                        so that fl-aggregate can read both from a pipe\n"
    "      --progress        show a progress bar even if stderr is not a "
    "terminal\n"
    "      --no-progress     never show a progress bar\n"
    "  -o, --output FILE     write here instead of stdout\n"
    "  -q, --quiet           print nothing but errors\n"
    "  -h, --help            print this help\n"
    "  -V, --version         print the version\n";

struct opts {
	const char		*data, *model, *site, *out, *trust, *key, *sign;
	const char		*scaffold;
	struct fl_hparams	 hp;
	double			 dp_delta;
	int			 lr_set, pass, progress, delta_set;
	char			 sitebuf[256];
};

static void
parse_args(int argc, char **argv, struct opts *o)
{
	enum { OPT_LR = 256, OPT_OPT, OPT_MOM, OPT_L2, OPT_SEED, OPT_SITE,
	    OPT_PASS, OPT_PROG, OPT_NOPROG, OPT_TRUST, OPT_KEY, OPT_SIGN,
	    OPT_PROX, OPT_SCAF, OPT_CLIP, OPT_NOISE, OPT_DELTA, OPT_DPSEED };
	static const struct option longopts[] = {
		{ "batch", required_argument, NULL, 'b' },
		{ "data", required_argument, NULL, 'd' },
		{ "dp-clip", required_argument, NULL, OPT_CLIP },
		{ "dp-delta", required_argument, NULL, OPT_DELTA },
		{ "dp-noise", required_argument, NULL, OPT_NOISE },
		{ "dp-seed", required_argument, NULL, OPT_DPSEED },
		{ "epochs", required_argument, NULL, 'e' },
		{ "help", no_argument, NULL, 'h' },
		{ "key", required_argument, NULL, OPT_KEY },
		{ "l2", required_argument, NULL, OPT_L2 },
		{ "lr", required_argument, NULL, OPT_LR },
		{ "momentum", required_argument, NULL, OPT_MOM },
		{ "no-progress", no_argument, NULL, OPT_NOPROG },
		{ "optimizer", required_argument, NULL, OPT_OPT },
		{ "output", required_argument, NULL, 'o' },
		{ "pass-model", no_argument, NULL, OPT_PASS },
		{ "progress", no_argument, NULL, OPT_PROG },
		{ "prox-mu", required_argument, NULL, OPT_PROX },
		{ "quiet", no_argument, NULL, 'q' },
		{ "scaffold", required_argument, NULL, OPT_SCAF },
		{ "seed", required_argument, NULL, OPT_SEED },
		{ "sign", required_argument, NULL, OPT_SIGN },
		{ "site", required_argument, NULL, OPT_SITE },
		{ "trust", required_argument, NULL, OPT_TRUST },
		{ "version", no_argument, NULL, 'V' },
		{ NULL, 0, NULL, 0 }
	};
	struct fl_hparams def = FL_HPARAMS_INIT;
	int c, opt;

	memset(o, 0, sizeof(*o));
	o->hp = def;
	o->progress = -1;
	o->dp_delta = 1e-5;
	opterr = 0;
	while ((c = getopt_long(argc, argv, ":b:d:e:ho:qV", longopts,
	    NULL)) != -1) {
		switch (c) {
		case 'b':
			o->hp.batch = (size_t)fl_opt_long(usage, "--batch",
			    optarg, 1, 1 << 20);
			break;
		case 'd':
			o->data = optarg;
			break;
		case 'e':
			o->hp.epochs = (unsigned)fl_opt_long(usage, "--epochs",
			    optarg, 1, 100000);
			break;
		case 'h':
			printf("%s\n\n%s", usage, help);
			exit(fl_close_stdout());
		case 'o':
			o->out = optarg;
			break;
		case 'q':
			o->progress = 0;
			break;
		case 'V':
			fl_print_version();
			exit(fl_close_stdout());
		case OPT_CLIP:
			o->hp.dp_clip = fl_opt_double(usage, "--dp-clip",
			    optarg, 1e-12, 1e6);
			break;
		case OPT_DELTA:
			o->dp_delta = fl_opt_double(usage, "--dp-delta",
			    optarg, 1e-300, 0.5);
			o->delta_set = 1;
			break;
		case OPT_DPSEED:
			o->hp.dp_seed = fl_opt_seed(usage, "--dp-seed",
			    optarg);
			o->hp.dp_seeded = 1;
			break;
		case OPT_KEY:
			o->key = optarg;
			break;
		case OPT_NOISE:
			o->hp.dp_noise = fl_opt_double(usage, "--dp-noise",
			    optarg, 1e-6, 1e6);
			break;
		case OPT_PROX:
			o->hp.prox_mu = fl_opt_double(usage, "--prox-mu",
			    optarg, 0, 1e6);
			break;
		case OPT_SCAF:
			o->scaffold = optarg;
			break;
		case OPT_SIGN:
			o->sign = optarg;
			break;
		case OPT_TRUST:
			o->trust = optarg;
			break;
		case OPT_L2:
			o->hp.l2 = fl_opt_double(usage, "--l2", optarg, 0, 1e6);
			break;
		case OPT_LR:
			o->hp.lr = fl_opt_double(usage, "--lr", optarg, 0, 1e6);
			o->lr_set = 1;
			break;
		case OPT_MOM:
			o->hp.momentum = fl_opt_double(usage, "--momentum",
			    optarg, 0, 0.999999);
			break;
		case OPT_NOPROG:
			o->progress = 0;
			break;
		case OPT_OPT:
			if ((opt = fl_optimizer_parse(optarg)) < 0)
				fl_usage_error(usage, "--optimizer: unknown "
				    "optimizer '%s' (sgd, adam)", optarg);
			o->hp.optimizer = (enum fl_optimizer)opt;
			break;
		case OPT_PASS:
			o->pass = 1;
			break;
		case OPT_PROG:
			o->progress = 1;
			break;
		case OPT_SEED:
			o->hp.seed = fl_opt_seed(usage, "--seed", optarg);
			break;
		case OPT_SITE:
			o->site = optarg;
			break;
		default:
			fl_opt_error(usage, c, argv);
		}
	}
	if (argc - optind > 1)
		fl_usage_error(usage, "one model at most");
	o->model = optind < argc ? argv[optind] : NULL;
	if (o->data == NULL)
		fl_usage_error(usage, "--data is required");
	if (strcmp(o->data, "-") == 0 &&
	    (o->model == NULL || strcmp(o->model, "-") == 0))
		fl_usage_error(usage, "the data and the model cannot both be "
		    "stdin");
	if (!o->lr_set && o->hp.optimizer == FL_OPT_ADAM)
		o->hp.lr = 0.01;
	if ((o->hp.dp_clip > 0.0) != (o->hp.dp_noise > 0.0))
		fl_usage_error(usage, "--dp-clip and --dp-noise go together");
	if (o->hp.dp_clip == 0.0 && (o->delta_set || o->hp.dp_seeded))
		fl_usage_error(usage, "--dp-delta and --dp-seed need "
		    "--dp-clip and --dp-noise");
	if (o->scaffold != NULL && (o->hp.optimizer != FL_OPT_SGD ||
	    o->hp.momentum != 0.0))
		fl_usage_error(usage, "--scaffold needs plain SGD (no --optimizer "
		    "adam, no --momentum)");
	if (o->scaffold != NULL && strcmp(o->scaffold, "-") == 0)
		fl_usage_error(usage, "--scaffold: give a file, not '-'");
	fl_refuse_tty(o->out);
}

/* The update's "train" record: the hyperparameters and the result, with
 * the issue 4 terms only when used (a plain update is unchanged). */
static json_t *
train_json(const struct opts *o, const struct fl_train_result *res)
{
	const struct fl_hparams *hp = &o->hp;
	json_t *t;
	int bad = 0;

	t = json_pack("{s:i, s:I, s:f, s:s, s:f, s:f, s:I, s:f, s:I}",
	    "epochs", (int)hp->epochs, "batch", (json_int_t)hp->batch,
	    "lr", hp->lr, "optimizer", fl_optimizer_name(hp->optimizer),
	    "momentum", hp->momentum, "l2", hp->l2,
	    "seed", (json_int_t)hp->seed, "loss", res->loss,
	    "steps", (json_int_t)res->steps);
	if (t == NULL)
		return NULL;
	if (hp->prox_mu > 0.0)
		bad |= json_object_set_new(t, "prox_mu",
		    json_real(hp->prox_mu)) < 0;
	if (o->scaffold != NULL)
		bad |= json_object_set_new(t, "scaffold", json_true()) < 0;
	if (hp->dp_clip > 0.0)
		bad |= json_object_set_new(t, "dp_clip",
		    json_real(hp->dp_clip)) < 0 ||
		    json_object_set_new(t, "dp_noise",
		    json_real(hp->dp_noise)) < 0;
	if (bad) {
		json_decref(t);
		return NULL;
	}
	return t;
}

/* The update's "privacy" record of DP-SGD over n rows; NULL with err set
 * on failure. */
static json_t *
privacy_json(const struct opts *o, size_t n, struct fl_err *err)
{
	struct fl_dp_sgd p;
	json_t *j;

	if (fl_dp_sgd_account(n, &o->hp, o->dp_delta, &p, err) < 0)
		return NULL;
	j = json_pack("{s:f, s:f, s:f, s:f, s:f, s:I, s:s, s:s, s:s}",
	    "epsilon", p.epsilon, "delta", p.delta, "q", p.q,
	    "sigma", p.sigma, "clip", p.clip, "steps", (json_int_t)p.steps,
	    "accountant", "rdp", "unit", "row",
	    "noise", o->hp.dp_seeded ? "seeded" : "openssl");
	if (j == NULL)
		fl_err_set(err, FL_ENOMEM, "out of memory");
	return j;
}

/*
 * SCAFFOLD's start: this site's c_i from the state file, the server's c
 * from the model's state "scaffold_c" (zeros when absent), and the
 * correction c - c_i.  sc holds four vectors of n (one malloc'd block):
 * c_i, c, the correction and the new c_i.
 */
static int
scaffold_begin(const struct opts *o, const struct fl_archive *in,
    const struct fl_model *recv, float **sc, struct fl_err *err)
{
	size_t n = fl_model_nparams(recv), i, sz;
	const float *c;
	float *ci;
	int rc;

	if (fl_size_mul(4 * sizeof(float), n, &sz) < 0 ||
	    (*sc = calloc(1, sz + 1)) == NULL)
		return fl_err_set(err, FL_ENOMEM, "out of memory");
	if ((rc = fl_scaffold_load(o->scaffold, recv, fl_archive_id(in), &ci,
	    err)) < 0)
		return rc;
	memcpy(*sc, ci, n * sizeof(float));
	free(ci);
	if ((rc = fl_archive_state(in, "scaffold_c", n, &c, err)) < 0)
		return fl_err_prefix(err, "%s", fl_in_name(o->model));
	if (rc == 1)
		memcpy(*sc + n, c, n * sizeof(float));
	for (i = 0; i < n; i++)
		(*sc)[2 * n + i] = (*sc)[n + i] - (*sc)[i];
	return 0;
}

/*
 * SCAFFOLD's end, before the delta is taken: the new c_i from the
 * received x and trained y into sc + 3n, and the update's "scaffold_dc",
 * new c_i - c_i, into sc + 2n (where the correction was).
 */
static void
scaffold_end(const struct opts *o, const struct fl_train_result *res,
    float *sc, const float *x, const float *y, size_t n)
{
	size_t i;

	fl_scaffold_update(n, sc, sc + n, x, y, res->steps, o->hp.lr,
	    sc + 3 * n);
	for (i = 0; i < n; i++)
		sc[2 * n + i] = sc[3 * n + i] - sc[i];
}

int
main(int argc, char **argv)
{
	struct fl_err err = FL_ERR_INIT;
	struct fl_archive *in = NULL, *upd = NULL, *outs[2];
	struct fl_seckey *key = NULL, *sk = NULL;
	struct fl_trust *trust = NULL;
	struct fl_model *recv = NULL, *m = NULL;
	struct fl_dataset *ds = NULL;
	struct fl_train_result res;
	struct fl_progress bar;
	const float *p0;
	float *p, *sc = NULL;
	json_t *priv = NULL;
	json_t *man;
	int64_t round;
	size_t i, n;
	struct opts o;
	int rc;

	fl_setprogname(argv[0]);
	parse_args(argc, argv, &o);
	if ((o.key != NULL && (rc = fl_seckey_read(&key, o.key, &err)) < 0) ||
	    (o.sign != NULL && (rc = fl_seckey_read(&sk, o.sign, &err)) < 0) ||
	    (o.trust != NULL && (rc = fl_trust_load(&trust, o.trust,
	    &err)) < 0))
		goto out;
	if (fl_site_choose(o.site, sk, o.data, o.sitebuf, sizeof(o.sitebuf),
	    &o.site, &err) < 0)
		fl_usage_error(usage, "%s", err.msg);
	if ((rc = fl_model_read(o.model, key, &in, &recv, &err)) < 0 ||
	    (trust != NULL && (rc = fl_archive_trusted(in, trust,
	    fl_in_name(o.model), NULL, &err)) < 0))
		goto out;
	if ((rc = fl_json_get_int(fl_archive_manifest(in), "round", &round,
	    &err)) < 0) {
		fl_err_prefix(&err, "%s", fl_in_name(o.model));
		goto out;
	}
	if ((rc = fl_dataset_load(&ds, o.data, recv, 1, &err)) < 0)
		goto out;
	if (ds->n == 0) {
		rc = fl_err_set(&err, FL_EFORMAT, "%s: no rows with a label",
		    fl_in_name(o.data));
		goto out;
	}
	if ((m = fl_model_dup(recv)) == NULL) {
		rc = fl_err_set(&err, FL_ENOMEM, "out of memory");
		goto out;
	}
	n = fl_model_nparams(m);
	if (o.scaffold != NULL) {
		if ((rc = scaffold_begin(&o, in, recv, &sc, &err)) < 0)
			goto out;
		o.hp.correction = sc + 2 * n;
	}
	if (o.hp.dp_clip > 0.0 && !fl_dp_sgd_supported(m)) {
		rc = fl_err_set(&err, FL_EUSAGE, "%s: DP-SGD needs per-row "
		    "gradients, which a %s model does not have",
		    fl_in_name(o.model), fl_task_name(fl_model_task(m)));
		goto out;
	}
	if (o.hp.dp_clip > 0.0 &&
	    (priv = privacy_json(&o, ds->n, &err)) == NULL) {
		rc = err.code;
		goto out;
	}
	fl_progress_init(&bar, "training", o.progress);
	o.hp.progress = fl_progress_cb;
	o.hp.progress_ctx = &bar;
	rc = fl_train(m, ds, &o.hp, &res, &err);
	fl_progress_end(&bar);
	if (rc < 0) {
		fl_err_prefix(&err, "%s", fl_in_name(o.data));
		goto out;
	}
	/* The update carries the delta, trained minus received. */
	p = fl_model_params(m);
	p0 = fl_model_params_const(recv);
	if (sc != NULL)
		scaffold_end(&o, &res, sc, p0, p, n);
	for (i = 0; i < n; i++)
		p[i] -= p0[i];
	if ((rc = fl_model_to_archive(m, FL_KIND_UPDATE, &upd, &err)) < 0 ||
	    (sc != NULL && (rc = fl_archive_add_state(upd, "scaffold_dc",
	    sc + 2 * n, n, &err)) < 0))
		goto out;
	man = fl_archive_manifest(upd);
	rc = priv != NULL ? json_object_set_new(man, "privacy", priv) : 0;
	priv = NULL;
	if (rc < 0 ||
	    json_object_set_new(man, "round", json_integer(round)) < 0 ||
	    json_object_set_new(man, "parent",
	    json_string(fl_archive_id(in))) < 0 ||
	    json_object_set_new(man, "site", json_string(o.site)) < 0 ||
	    json_object_set_new(man, "samples",
	    json_integer((json_int_t)ds->n)) < 0 ||
	    json_object_set_new(man, "train", train_json(&o, &res)) < 0) {
		rc = fl_err_set(&err, FL_ENOMEM, "out of memory");
		goto out;
	}
	/* Survival: this site's baseline-hazard table at the received
	 * model, which fl-aggregate sums (lib/cox.c). */
	if ((rc = fl_survival_update_table(recv, ds, man, &err)) < 0)
		goto out;
	if ((rc = fl_manifest_set_writer(man, "fl-train", &err)) < 0 ||
	    (sk != NULL && (rc = fl_archive_sign_new(upd, sk, &err)) < 0))
		goto out;
	outs[0] = in;
	outs[1] = upd;
	rc = o.pass ? fl_archive_save(outs, 2, o.out, &err) :
	    fl_archive_save(&upd, 1, o.out, &err);
	/* The state moves on only once the update is out; were this to
	 * fail, training this model again finds the c_i it started from. */
	if (rc == 0 && sc != NULL)
		rc = fl_scaffold_save(o.scaffold, recv, fl_archive_id(in), sc,
		    sc + 3 * n, &err);
out:
	if (rc < 0)
		rc = fl_report(&err);
	else
		rc = fl_close_stdout();
	fl_archive_free(in);
	fl_archive_free(upd);
	fl_seckey_free(key);
	fl_seckey_free(sk);
	fl_trust_free(trust);
	fl_model_free(recv);
	fl_model_free(m);
	fl_dataset_free(ds);
	free(sc);
	json_decref(priv);
	return rc;
}
