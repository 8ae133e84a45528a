/*
 * fl-eval: score a model on local data, printing metrics (or one
 * prediction per row) on stdout.  Manual: man/fl-eval.1.
 */
#include <getopt.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "fl.h"
#include "cli.h"

static const char usage[] =
    "usage: fl-eval [-q] -d data.csv [--format json|tsv] [-p] [--key key]\n"
    "               [--horizon t,...] [--curve roc|calibration|survival]\n"
    "               [--emit [--site name] [-o file]] [model]\n"
    "       fl-eval --report [--format json|tsv] [--curve roc|calibration]\n"
    "               metrics.fla";

static const char help[] =
    "Score a model on a local CSV.  The model is read from the operand, or\n"
    "stdin when absent or '-'.  Prints one JSON object of metrics:\n"
    "binary: n auc accuracy log_loss brier; multiclass: n accuracy\n"
    "log_loss; regression: n rmse mae r2; survival: n c_index, and\n"
    "auc_T brier_T for each --horizon T.\n\n"
    "  -d, --data FILE       the CSV to score ('-' for stdin)\n"
    "      --format FMT      json (one object) or tsv (a header line and a\n"
    "                        value line) (default json)\n"
    "  -p, --predictions     print one line per row instead: the label and\n"
    "                        the prediction\n"
    "      --key FILE        open a sealed model with this secret key\n"
    "      --curve NAME      print a curve as TSV instead: binary: roc\n"
    "                        (fpr tpr threshold) or calibration (bin\n"
    "                        mean_pred observed n); survival: survival\n"
    "                        (time predicted observed at_risk, on the\n"
    "                        model's grid; needs its baseline hazard)\n"
    "      --emit            write a metrics archive of sufficient\n"
    "                        statistics, for fl-aggregate to pool (for\n"
    "                        survival, at the --horizon times)\n"
    "      --site NAME       the site named in the metrics archive (default:\n"
    "                        the data file's name without its extension;\n"
    "                        required for data on stdin)\n"
    "  -o, --output FILE     write the metrics archive here (default\n"
    "                        stdout)\n"
    "      --report          read a metrics archive (the operand) and print\n"
    "                        its per-site and pooled rows (default tsv)\n"
    "      --horizon T,...   survival: times at which to score the AUC\n"
    "                        and Brier score, and to predict S(T|x) with\n"
    "                        --predictions; repeatable\n"
    "  -q, --quiet           print nothing but errors on stderr\n"
    "  -h, --help            print this help\n"
    "  -V, --version         print the version\n";

struct opts {
	const char	*data, *model, *key;
	int		 tsv, predictions;
	/* Federated evaluation (lib/fedeval.c). */
	const char	*curve, *site, *out;
	int		 emit, report, format;
	size_t		 nh;		/* survival: --horizon values */
	double		 horizon[FL_MAX_HORIZONS];
	char		 sitebuf[FL_NAME_MAX + 1];
};

/* The federated evaluation flags' conflicts. */
static void
check_fedeval(struct opts *o)
{
	if (o->emit + o->report + (o->curve != NULL) + o->predictions > 1 &&
	    !(o->report && o->curve != NULL))
		fl_usage_error(usage, "--emit, --curve, --report and "
		    "--predictions conflict");
	if ((o->site != NULL || o->out != NULL) && !o->emit)
		fl_usage_error(usage, "--site and --output need --emit");
	if (o->report && o->curve != NULL &&
	    strcmp(o->curve, "survival") == 0)
		fl_usage_error(usage, "--curve survival is local: it takes "
		    "--data, not --report");
	if (o->report && o->data != NULL)
		fl_usage_error(usage, "--report reads no --data");
	if (o->report && o->nh > 0)
		fl_usage_error(usage, "--report takes the horizons of its "
		    "archive, not --horizon");
	if (o->report && !o->format)
		o->tsv = 1;
	if (o->emit) {
		struct fl_err err = FL_ERR_INIT;

		/* A metrics archive names its site: --site or the data's. */
		if (fl_site_choose(o->site, NULL, o->data, o->sitebuf,
		    sizeof(o->sitebuf), &o->site, &err) < 0)
			fl_usage_error(usage, "%s", err.msg);
		fl_refuse_tty(o->out);
	}
}

/* Add the comma-separated times of one --horizon to o. */
static void
add_horizons(struct opts *o, const char *arg)
{
	char **v;
	size_t n, i;

	v = fl_opt_list(usage, "--horizon", arg, &n);
	for (i = 0; i < n; i++) {
		if (o->nh == FL_MAX_HORIZONS)
			fl_usage_error(usage, "--horizon: at most %d times",
			    FL_MAX_HORIZONS);
		o->horizon[o->nh++] = fl_opt_double(usage, "--horizon", v[i],
		    0.0, 1e300);
	}
	free(v);
}

static void
parse_args(int argc, char **argv, struct opts *o)
{
	enum { OPT_FORMAT = 256, OPT_KEY, OPT_CURVE, OPT_EMIT, OPT_REPORT,
	    OPT_SITE, OPT_HORIZON };
	static const struct option longopts[] = {
		{ "curve", required_argument, NULL, OPT_CURVE },
		{ "data", required_argument, NULL, 'd' },
		{ "emit", no_argument, NULL, OPT_EMIT },
		{ "format", required_argument, NULL, OPT_FORMAT },
		{ "help", no_argument, NULL, 'h' },
		{ "horizon", required_argument, NULL, OPT_HORIZON },
		{ "key", required_argument, NULL, OPT_KEY },
		{ "output", required_argument, NULL, 'o' },
		{ "predictions", no_argument, NULL, 'p' },
		{ "quiet", no_argument, NULL, 'q' },
		{ "report", no_argument, NULL, OPT_REPORT },
		{ "site", required_argument, NULL, OPT_SITE },
		{ "version", no_argument, NULL, 'V' },
		{ NULL, 0, NULL, 0 }
	};
	int c;

	memset(o, 0, sizeof(*o));
	opterr = 0;
	while ((c = getopt_long(argc, argv, ":d:ho:pqV", longopts, NULL)) != -1) {
		switch (c) {
		case 'd':
			o->data = optarg;
			break;
		case 'h':
			printf("%s\n\n%s", usage, help);
			exit(fl_close_stdout());
		case 'o':
			o->out = optarg;
			break;
		case 'p':
			o->predictions = 1;
			break;
		case 'q':
			break;	/* fl-eval prints nothing but errors anyway */
		case 'V':
			fl_print_version();
			exit(fl_close_stdout());
		case OPT_KEY:
			o->key = optarg;
			break;
		case OPT_CURVE:
			if (strcmp(optarg, "roc") != 0 &&
			    strcmp(optarg, "calibration") != 0 &&
			    strcmp(optarg, "survival") != 0)
				fl_usage_error(usage, "--curve: unknown curve "
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
				fl_usage_error(usage, "--format: unknown format"
				    " '%s' (json, tsv)", optarg);
			break;
		default:
			fl_opt_error(usage, c, argv);
		}
	}
	if (argc - optind > 1)
		fl_usage_error(usage, "one model at most");
	o->model = optind < argc ? argv[optind] : NULL;
	check_fedeval(o);
	if (o->report)
		return;
	if (o->data == NULL)
		fl_usage_error(usage, "--data is required");
	if (strcmp(o->data, "-") == 0 &&
	    (o->model == NULL || strcmp(o->model, "-") == 0))
		fl_usage_error(usage, "the data and the model cannot both be "
		    "stdin");
}

/* Print a JSON object as a TSV header line (keys) or value line. */
static void
print_tsv(const json_t *obj, int header)
{
	const char *key;
	json_t *v;
	int first = 1;

	json_object_foreach((json_t *)obj, key, v) {
		if (!first)
			putchar('\t');
		first = 0;
		if (header)
			fputs(key, stdout);
		else if (json_is_integer(v))
			printf("%lld", (long long)json_integer_value(v));
		else if (json_is_number(v))
			printf("%.10g", json_number_value(v));
		else
			fputs("NA", stdout);
	}
	putchar('\n');
}

static void
print_json(const json_t *obj)
{
	json_dumpf(obj, stdout, JSON_PRESERVE_ORDER | JSON_COMPACT |
	    JSON_REAL_PRECISION(12));
	putchar('\n');
}

/* One prediction row as a JSON object: label, pred, probabilities. */
static json_t *
prediction(enum fl_task task, size_t k, const float *p, float y)
{
	json_t *o = json_object(), *probs;
	size_t c, best = 0;

	json_object_set_new(o, "label", isnan(y) ? json_null() :
	    json_real(y));
	if (task == FL_TASK_BINARY) {
		json_object_set_new(o, "p", json_real(p[0]));
	} else if (task == FL_TASK_REGRESSION) {
		json_object_set_new(o, "pred", json_real(p[0]));
	} else {
		probs = json_array();
		for (c = 0; c < k; c++) {
			json_array_append_new(probs, json_real(p[c]));
			if (p[c] > p[best])
				best = c;
		}
		json_object_set_new(o, "pred", json_integer((json_int_t)best));
		json_object_set_new(o, "p", probs);
	}
	return o;
}

static void
print_predictions(const struct fl_model *m, const struct fl_dataset *ds,
    const float *pred, int tsv)
{
	size_t i, c, k = fl_model_noutputs(m);
	enum fl_task task = fl_model_task(m);
	json_t *row;

	if (tsv) {
		fputs(task == FL_TASK_BINARY ? "label\tp" : "label\tpred",
		    stdout);
		for (c = 0; task == FL_TASK_MULTICLASS && c < k; c++)
			printf("\tp%zu", c);
		putchar('\n');
	}
	for (i = 0; i < ds->n; i++) {
		row = prediction(task, k, pred + i * k, ds->y[i]);
		if (row == NULL)
			continue;
		if (!tsv) {
			print_json(row);
		} else {
			const json_t *p = json_object_get(row, "p");

			if (isnan(ds->y[i]))
				fputs("NA", stdout);
			else
				printf("%.10g", ds->y[i]);
			if (task != FL_TASK_BINARY)
				printf("\t%.10g", json_number_value(
				    json_object_get(row, "pred")));
			if (task == FL_TASK_BINARY)
				printf("\t%.10g", json_number_value(p));
			for (c = 0; task == FL_TASK_MULTICLASS && c < k; c++)
				printf("\t%.10g", json_number_value(
				    json_array_get(p, c)));
			putchar('\n');
		}
		json_decref(row);
	}
}

/*
 * Federated evaluation: with --report, print the per-site and pooled rows
 * (or the pooled curve) of a metrics archive; else reduce the predictions
 * to sufficient statistics and write them (--emit) or print a curve.
 */
static int
fedeval(const struct opts *o, const struct fl_archive *ma,
    const struct fl_model *m, const struct fl_dataset *ds, const float *pred,
    const double *S, struct fl_err *err)
{
	struct fl_fedeval *e = NULL;
	struct fl_archive *a = NULL, *out = NULL;
	const json_t *man;
	json_int_t round;
	int rc;

	if (o->report) {
		if ((rc = fl_archive_read_file(o->model, &a, err)) < 0)
			return rc;
		if ((rc = fl_fedeval_from_archive(&e, a, err)) < 0)
			fl_err_prefix(err, "%s", fl_in_name(o->model));
		else if (o->curve != NULL)
			rc = fl_fedeval_curve(e, o->curve, stdout,
			    "<stdout>", err);
		else
			rc = fl_fedeval_report(e, stdout, !o->tsv,
			    "<stdout>", err);
		goto out;
	}
	man = fl_archive_manifest((struct fl_archive *)ma);
	round = json_integer_value(json_object_get(man, "round"));
	if ((rc = fl_fedeval_new(&e, fl_model_task(m), fl_model_nclasses(m),
	    fl_archive_id(ma), o->site, round, err)) < 0)
		goto out;
	if (fl_model_task(m) == FL_TASK_SURVIVAL)
		rc = fl_fedeval_add_survival(e, ds->n, pred, ds->time, ds->y,
		    o->nh, o->horizon, S, err);
	else
		rc = fl_fedeval_add(e, ds->n, fl_model_noutputs(m), pred,
		    ds->y, err);
	if (rc < 0) {
		fl_err_prefix(err, "%s", fl_in_name(o->data));
		goto out;
	}
	if (o->curve != NULL) {
		rc = fl_fedeval_curve(e, o->curve, stdout, "<stdout>", err);
		goto out;
	}
	if ((rc = fl_fedeval_to_archive(e, &out, err)) < 0 ||
	    (rc = fl_manifest_set_writer(fl_archive_manifest(out), "fl-eval",
	    err)) < 0)
		goto out;
	rc = fl_archive_save(&out, 1, o->out, err);
out:
	fl_archive_free(a);
	fl_archive_free(out);
	fl_fedeval_free(e);
	return rc;
}

/*
 * Survival: the risk eta of each row, S(T|x) = exp(-H0(T) exp(eta)) at
 * each horizon from the model's baseline hazard (lib/cox.c), and the
 * metrics of lib/survival.c, or one prediction per row.
 */
static int
survival(const struct opts *o, const struct fl_model *m,
    struct fl_archive *a, const struct fl_dataset *ds, const float *eta,
    struct fl_err *err)
{
	struct fl_metrics met;
	double *H = NULL, *S = NULL, h0;
	json_t *obj = NULL;
	size_t i, h, nh = o->nh;
	char key[64];
	int rc, have;

	if ((have = fl_baseline_read(m, fl_archive_manifest(a), &H,
	    err)) < 0)
		return fl_err_prefix(err, "%s", fl_in_name(o->model));
	if (o->curve != NULL) {
		if ((rc = fl_survival_curve(m, H, ds->n, eta, ds->time, ds->y,
		    stdout, "<stdout>", err)) < 0)
			fl_err_prefix(err, "%s", fl_in_name(o->model));
		goto out;
	}
	if (have && nh > 0 &&
	    (S = calloc(ds->n * nh, sizeof(double))) == NULL) {
		rc = fl_err_set(err, FL_ENOMEM, "out of memory");
		goto out;
	}
	for (h = 0; S != NULL && h < nh; h++) {
		h0 = fl_baseline_at(m, H, o->horizon[h]);
		if (o->emit && isnan(h0)) {
			rc = fl_err_set(err, FL_EUSAGE, "%s: --horizon %g is "
			    "beyond the model's baseline grid", fl_in_name(
			    o->model), o->horizon[h]);
			goto out;
		}
		for (i = 0; i < ds->n; i++)
			S[i * nh + h] = exp(-h0 * exp((double)eta[i]));
	}
	if (o->emit) {
		rc = fedeval(o, a, m, ds, eta, S, err);
		goto out;
	}
	if (o->predictions) {
		if (nh > 0 && S == NULL) {
			rc = fl_err_set(err, FL_EFORMAT, "%s: no baseline "
			    "hazard to predict S(T|x) with (fl-aggregate "
			    "writes it from survival updates)",
			    fl_in_name(o->model));
			goto out;
		}
		if (o->tsv) {
			fputs("time\tevent\teta", stdout);
			for (h = 0; h < nh; h++)
				printf("\ts_%.10g", o->horizon[h]);
			putchar('\n');
		}
		for (i = 0; i < ds->n; i++) {
			if (!o->tsv) {
				obj = json_pack("{s:o, s:o, s:f}", "time",
				    isnan(ds->time[i]) ? json_null() :
				    json_real(ds->time[i]), "event",
				    isnan(ds->y[i]) ? json_null() :
				    json_real(ds->y[i]), "eta", eta[i]);
				for (h = 0; obj != NULL && h < nh; h++) {
					snprintf(key, sizeof(key), "s_%.10g",
					    o->horizon[h]);
					json_object_set_new(obj, key, isnan(
					    S[i * nh + h]) ? json_null() :
					    json_real(S[i * nh + h]));
				}
				if (obj != NULL)
					print_json(obj);
				json_decref(obj);
				obj = NULL;
				continue;
			}
			if (isnan(ds->time[i]))
				fputs("NA", stdout);
			else
				printf("%.10g", ds->time[i]);
			if (isnan(ds->y[i]))
				fputs("\tNA", stdout);
			else
				printf("\t%.10g", ds->y[i]);
			printf("\t%.10g", eta[i]);
			for (h = 0; h < nh; h++)
				if (isnan(S[i * nh + h]))
					fputs("\tNA", stdout);
				else
					printf("\t%.10g", S[i * nh + h]);
			putchar('\n');
		}
		rc = 0;
		goto out;
	}
	if ((rc = fl_metrics_survival(ds->n, eta, ds->time, ds->y, nh,
	    o->horizon, S, &met, err)) < 0)
		goto out;
	if ((obj = fl_metrics_json(&met)) == NULL) {
		rc = fl_err_set(err, FL_ENOMEM, "out of memory");
		goto out;
	}
	if (o->tsv) {
		print_tsv(obj, 1);
		print_tsv(obj, 0);
	} else
		print_json(obj);
	rc = 0;
out:
	json_decref(obj);
	free(H);
	free(S);
	return rc;
}

int
main(int argc, char **argv)
{
	struct fl_err err = FL_ERR_INIT;
	struct fl_archive *a = NULL;
	struct fl_seckey *sk = NULL;
	struct fl_model *m = NULL;
	struct fl_dataset *ds = NULL;
	struct fl_metrics met;
	json_t *obj = NULL;
	float *pred = NULL;
	size_t len;
	struct opts o;
	int rc;

	fl_setprogname(argv[0]);
	parse_args(argc, argv, &o);
	if (o.report) {
		rc = fedeval(&o, NULL, NULL, NULL, NULL, NULL, &err);
		goto out;
	}
	if (o.key != NULL && (rc = fl_seckey_read(&sk, o.key, &err)) < 0)
		goto out;
	if ((rc = fl_model_read(o.model, sk, &a, &m, &err)) < 0 ||
	    (rc = fl_dataset_load(&ds, o.data, m, !o.predictions, &err)) < 0)
		goto out;
	if (ds->n == 0) {
		rc = fl_err_set(&err, FL_EFORMAT, "%s: no rows to score",
		    fl_in_name(o.data));
		goto out;
	}
	if (fl_size_mul(ds->n, fl_model_noutputs(m) * sizeof(float),
	    &len) < 0 || (pred = malloc(len)) == NULL) {
		rc = fl_err_set(&err, FL_ENOMEM, "out of memory");
		goto out;
	}
	if ((rc = fl_predict(m, ds, NULL, pred, &err)) < 0)
		goto out;
	if (fl_model_task(m) == FL_TASK_SURVIVAL) {
		if (o.curve != NULL && strcmp(o.curve, "survival") != 0)
			rc = fl_err_set(&err, FL_EUSAGE, "%s: --curve %s is "
			    "for binary models", fl_in_name(o.model), o.curve);
		else
			rc = survival(&o, m, a, ds, pred, &err);
		goto out;
	}
	if (o.nh > 0) {
		rc = fl_err_set(&err, FL_EUSAGE, "--horizon is for survival "
		    "models");
		goto out;
	}
	if (o.predictions) {
		print_predictions(m, ds, pred, o.tsv);
		goto out;
	}
	if (o.curve != NULL && strcmp(o.curve, "survival") == 0) {
		rc = fl_err_set(&err, FL_EUSAGE, "--curve survival is for "
		    "survival models");
		goto out;
	}
	if (o.emit || o.curve != NULL) {
		rc = fedeval(&o, a, m, ds, pred, NULL, &err);
		goto out;
	}
	if ((rc = fl_metrics_compute(fl_model_task(m), ds->n,
	    fl_model_noutputs(m), pred, ds->y, &met, &err)) < 0)
		goto out;
	if ((obj = fl_metrics_json(&met)) == NULL) {
		rc = fl_err_set(&err, FL_ENOMEM, "out of memory");
		goto out;
	}
	if (o.tsv) {
		print_tsv(obj, 1);
		print_tsv(obj, 0);
	} else
		print_json(obj);
out:
	if (rc < 0)
		rc = fl_report(&err);
	else
		rc = fl_close_stdout();
	json_decref(obj);
	free(pred);
	fl_archive_free(a);
	fl_seckey_free(sk);
	fl_model_free(m);
	fl_dataset_free(ds);
	return rc;
}
