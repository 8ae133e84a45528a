/*
 * fl-value: what each site's update added to the model: Shapley and
 * leave-one-out values of the rounds' coalitions on validation rows
 * (lib/federation/coalition.c, shapley.c, value.c), printed or written as
 * a valuation archive.  Manual: man/fl-value.1.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "fl.h"
#include "cli.h"
#include "value.h"

/* Print the values a valuation archive holds. */
static int
report(const struct opts *o, const struct fl_seckey *key, struct fl_err *err)
{
	struct fl_archive *a;
	const json_t *v;
	int rc = 0;

	if ((rc = fl_archive_read_file_key(o->report, key, &a, err)) < 0)
		return rc;
	v = json_object_get(fl_archive_manifest(a), "valuation");
	if (fl_archive_kind(a) != FL_KIND_VALUATION)
		rc = fl_err_set(err, FL_EFORMAT, "%s: %s %s archive, not a "
		    "valuation", fl_in_name(o->report),
		    fl_article(fl_kind_name(fl_archive_kind(a))),
		    fl_kind_name(fl_archive_kind(a)));
	else if (!json_is_object(v) ||
	    !json_is_array(json_object_get(v, "sites")))
		rc = fl_err_set(err, FL_EFORMAT, "%s: key 'valuation' is "
		    "missing or malformed", fl_in_name(o->report));
	else
		value_print(v, o->tsv);
	fl_archive_free(a);
	return rc;
}

/* Whether models a and b read rows alike (features, label, prep). */
static int
same_rows(const struct fl_model *a, const struct fl_model *b)
{
	json_t *x = json_object(), *y = json_object();
	int same;

	same = x != NULL && y != NULL && fl_model_describe(a, x, NULL) == 0 &&
	    fl_model_describe(b, y, NULL) == 0 &&
	    json_equal(json_object_get(x, "features"),
	    json_object_get(y, "features")) &&
	    json_equal(json_object_get(x, "label"),
	    json_object_get(y, "label")) &&
	    json_equal(json_object_get(x, "preprocess"),
	    json_object_get(y, "preprocess"));
	json_decref(x);
	json_decref(y);
	return same;
}

/* Value each round on the validation rows. */
static int
value_rounds(const struct opts *o, struct round *rounds, size_t n,
    const char *metric, struct fl_err *err)
{
	struct fl_dataset *ds = NULL;
	struct fl_valuer *v = NULL;
	const struct fl_model *m, *prev = NULL;
	struct fl_shapley_opts sh = o->sh;
	size_t i, k;
	int rc = 0;

	for (i = 0; i < n && rc == 0; i++) {
		m = fl_coalition_base(rounds[i].c);
		k = round_count(&rounds[i]);
		if (prev == NULL || !same_rows(prev, m)) {
			fl_dataset_free(ds);
			if ((rc = fl_dataset_load(&ds, o->data, m, 1, err)) < 0)
				break;
			prev = m;
		}
		rounds[i].r.value = calloc(k, sizeof(double));
		rounds[i].r.se = calloc(k, sizeof(double));
		rounds[i].r.loo = calloc(k, sizeof(double));
		if (rounds[i].r.value == NULL || rounds[i].r.se == NULL ||
		    rounds[i].r.loo == NULL) {
			rc = fl_err_set(err, FL_ENOMEM, "out of memory");
			break;
		}
		sh.method = o->method >= 0 ? (enum fl_value_method)o->method :
		    k <= 12 ? FL_VALUE_EXACT : FL_VALUE_SAMPLED;
		rounds[i].method = (int)sh.method;
		if ((rc = fl_valuer_new(&v, rounds[i].c, ds, metric, err)) < 0)
			fl_err_prefix(err, "%s", fl_in_name(o->data));
		else if ((rc = fl_shapley(k, fl_valuer_utility, v, &sh,
		    &rounds[i].r, err)) < 0)
			fl_err_prefix(err, "%s", rounds[i].name);
		fl_valuer_free(v);
		v = NULL;
	}
	fl_dataset_free(ds);
	return rc;
}

/* The valuation archive: the values, and the ids they come from. */
static int
save(const struct opts *o, json_t *v, const struct round *rounds, size_t n,
    const struct fl_seckey *sk, struct fl_err *err)
{
	struct fl_archive *a = fl_archive_new(FL_KIND_VALUATION);
	json_t *man, *src = json_array();
	json_int_t samples = 0;
	size_t i, k;
	int rc, bad = src == NULL || a == NULL;

	for (i = 0; !bad && i < n; i++) {
		bad |= json_array_append_new(src, json_string(
		    round_model_id(&rounds[i]))) < 0;
		for (k = 0; !bad && k < round_count(&rounds[i]); k++) {
			bad |= json_array_append_new(src, json_string(
			    round_update_id(&rounds[i], k))) < 0;
			samples += round_samples(&rounds[i], k);
		}
	}
	if (!bad) {
		man = fl_archive_manifest(a);
		bad = json_object_set_new(man, "parent", json_null()) < 0 ||
		    json_object_set_new(man, "round", json_integer(
		    round_number(&rounds[n - 1]))) < 0 ||
		    json_object_set_new(man, "site", json_null()) < 0 ||
		    json_object_set_new(man, "samples",
		    json_integer(samples)) < 0 ||
		    json_object_set(man, "sources", src) < 0 ||
		    json_object_set(man, "valuation", v) < 0;
	}
	json_decref(src);
	if (bad) {
		fl_archive_free(a);
		return fl_err_set(err, FL_ENOMEM, "out of memory");
	}
	if ((rc = fl_manifest_set_writer(fl_archive_manifest(a), "fl-value",
	    err)) < 0 ||
	    (sk != NULL && (rc = fl_archive_sign_new(a, sk, err)) < 0)) {
		fl_archive_free(a);
		return rc;
	}
	rc = fl_archive_save(&a, 1, o->out, err);
	fl_archive_free(a);
	return rc;
}

int
main(int argc, char **argv)
{
	struct fl_err err = FL_ERR_INIT;
	struct fl_seckey *key = NULL, *sk = NULL;
	struct round *rounds = NULL;
	const char *metric;
	json_t *v = NULL;
	size_t n = 0;
	struct opts o;
	int rc;

	fl_setprogname(argv[0]);
	value_parse_args(argc, argv, &o);
	if ((o.key != NULL && (rc = fl_seckey_read(&key, o.key, &err)) < 0) ||
	    (o.sign != NULL && (rc = fl_seckey_read(&sk, o.sign, &err)) < 0))
		goto out;
	if (o.report != NULL) {
		rc = report(&o, key, &err);
		goto out;
	}
	if (o.from_metrics != NULL) {
		if ((rounds = calloc(1, sizeof(*rounds))) == NULL) {
			rc = fl_err_set(&err, FL_ENOMEM, "out of memory");
			goto out;
		}
		n = 1;
		if ((rc = value_from_metrics(&o, key, rounds, &metric,
		    &err)) < 0)
			goto out;
	} else {
		if ((rc = value_read_rounds(&o, key, &rounds, &n, &err)) < 0)
			goto out;
		if (o.coalitions) {
			rc = value_coalitions(&o, rounds, sk, &err);
			goto out;
		}
		metric = o.metric != NULL ? o.metric :
		    fl_value_metric_default(rounds[0].task);
		if ((rc = value_rounds(&o, rounds, n, metric, &err)) < 0)
			goto out;
	}
	if ((v = value_json(&o, rounds, n, metric)) == NULL) {
		rc = fl_err_set(&err, FL_ENOMEM, "out of memory");
		goto out;
	}
	if (o.out != NULL)
		rc = save(&o, v, rounds, n, sk, &err);
	else
		value_print(v, o.tsv);
out:
	if (rc < 0)
		rc = fl_report(&err);
	else
		rc = fl_close_stdout();
	json_decref(v);
	value_rounds_free(rounds, n);
	fl_seckey_free(sk);
	fl_seckey_free(key);
	return rc;
}
