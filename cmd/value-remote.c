/*
 * value-remote.c: fl-value without validation rows at the coordinator:
 * --coalitions writes the coalitions archive the sites score with fl-eval
 * --emit, and --from-metrics pools the sites' metrics streams, coalition
 * by coalition, into the utilities the values come from
 * (lib/federation/remote.c).  man/fl-value.1 says what travels.
 */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "fl.h"
#include "cli.h"
#include "value.h"

int
value_coalitions(const struct opts *o, struct round *rd,
    const struct fl_seckey *sk, struct fl_err *err)
{
	struct fl_shapley_opts sh = o->sh;
	struct fl_archive *a = NULL;
	int rc;

	sh.method = o->method >= 0 ? (enum fl_value_method)o->method :
	    fl_coalition_count(rd->c) <= 12 ? FL_VALUE_EXACT :
	    FL_VALUE_SAMPLED;
	if ((rc = fl_coalitions_write(rd->c, &sh, &a, err)) == 0 &&
	    (rc = fl_manifest_set_writer(fl_archive_manifest(a), "fl-value",
	    err)) == 0 &&
	    (sk == NULL || (rc = fl_archive_sign_new(a, sk, err)) == 0))
		rc = fl_archive_save(&a, 1, o->out, err);
	fl_archive_free(a);
	return rc;
}

/* The pooled utility of coalition k from the next archive of each of the
 * n readers. */
static int
pool_one(struct fl_reader **r, char **names, size_t n, size_t k,
    const char *id, enum fl_task task, const char *metric, int sign,
    double *u, struct fl_err *err)
{
	struct fl_fedeval *pool = NULL, *e = NULL;
	struct fl_archive *a = NULL;
	struct fl_fedeval_bounds b;
	struct fl_metrics met;
	json_t *man;
	const json_t *p, *c;
	size_t i;
	int rc = 0;

	for (i = 0; i < n && rc >= 0; i++) {
		if ((rc = fl_reader_next(r[i], &a, err)) < 0)
			break;
		if (rc == 0) {
			rc = fl_err_set(err, FL_EFORMAT, "%s: ends after %zu "
			    "coalitions", names[i], k);
			break;
		}
		man = fl_archive_manifest(a);
		p = json_object_get(man, "parent");
		c = json_object_get(man, "coalition");
		if (fl_archive_kind(a) != FL_KIND_METRICS || !json_is_string(p) ||
		    strcmp(json_string_value(p), id) != 0) {
			rc = fl_err_set(err, FL_EFORMAT, "%s: archive %zu is no "
			    "metrics of this coalitions archive", names[i],
			    k + 1);
			break;
		}
		if (!json_is_integer(c) || json_integer_value(c) != (json_int_t)k) {
			rc = fl_err_set(err, FL_EFORMAT, "%s: archive %zu is not "
			    "coalition %zu's metrics", names[i], k + 1, k);
			break;
		}
		if ((rc = fl_fedeval_from_archive(&e, a, err)) < 0 ||
		    (pool != NULL && (rc = fl_fedeval_merge(pool, e, err)) < 0)) {
			fl_err_prefix(err, "%s", names[i]);
			break;
		}
		if (pool == NULL) {
			pool = e;
			e = NULL;
		}
		fl_fedeval_free(e);
		e = NULL;
	}
	fl_archive_free(a);
	fl_fedeval_free(e);
	if (rc >= 0 && (rc = fl_fedeval_metrics(pool, &met, &b, err)) == 0) {
		met.task = task;
		*u = sign * fl_value_metric_get(&met, metric);
		if (!isfinite(*u))
			rc = fl_err_set(err, FL_ENUM, "%s is undefined on the "
			    "sites' rows for coalition %zu", metric, k);
	}
	fl_fedeval_free(pool);
	return rc < 0 ? rc : 0;
}

/* Pool the operands, one site's stream each, into rd->rm's utilities. */
static int
pool(const struct opts *o, const struct fl_seckey *key, struct round *rd,
    const char *metric, int sign, struct fl_err *err)
{
	size_t n = (size_t)o->ninputs, i, k;
	struct fl_reader **r = calloc(n, sizeof(*r));
	struct fl_archive *a = NULL;
	FILE **f = calloc(n, sizeof(*f));
	double u;
	int rc = 0;

	if (r == NULL || f == NULL) {
		free(r);
		free(f);
		return fl_err_set(err, FL_ENOMEM, "out of memory");
	}
	for (i = 0; i < n && rc == 0; i++)
		if ((f[i] = fl_in_open(o->inputs[i], err)) == NULL)
			rc = FL_EIO;
		else
			rc = fl_reader_open_key(&r[i], f[i],
			    fl_in_name(o->inputs[i]), key, err);
	for (k = 0; rc == 0 && k < fl_remote_ncoalitions(rd->rm); k++) {
		rc = pool_one(r, o->inputs, n, k, fl_remote_id(rd->rm),
		    rd->task, metric, sign, &u, err);
		fl_remote_set(rd->rm, k, u);
	}
	for (i = 0; rc == 0 && i < n; i++)
		if ((rc = fl_reader_next(r[i], &a, err)) > 0)
			rc = fl_err_set(err, FL_EFORMAT, "%s: more archives "
			    "than the %zu coalitions", fl_in_name(o->inputs[i]),
			    fl_remote_ncoalitions(rd->rm));
	fl_archive_free(a);
	for (i = 0; i < n; i++) {
		fl_reader_free(r[i]);
		fl_in_close(f[i]);
	}
	free(r);
	free(f);
	return rc;
}

int
value_from_metrics(const struct opts *o, const struct fl_seckey *key,
    struct round *rd, const char **metric, struct fl_err *err)
{
	const char *name = fl_in_name(o->from_metrics);
	struct fl_archive *a = NULL;
	struct fl_model *m = NULL;
	size_t n;
	int rc, sign;

	if ((rc = fl_archive_read_file_key(o->from_metrics, key, &a,
	    err)) < 0 ||
	    (rc = fl_remote_new(&rd->rm, a, name, err)) < 0)
		goto out;
	if ((rc = fl_model_from_archive(&m, a, err)) < 0) {
		fl_err_prefix(err, "%s", name);
		goto out;
	}
	rd->name = name;
	rd->task = fl_model_task(m);
	*metric = o->metric != NULL ? o->metric :
	    fl_value_metric_default(rd->task);
	n = fl_remote_count(rd->rm);
	rd->r.value = calloc(n, sizeof(double));
	rd->r.se = calloc(n, sizeof(double));
	rd->r.loo = calloc(n, sizeof(double));
	if (rd->r.value == NULL || rd->r.se == NULL || rd->r.loo == NULL) {
		rc = fl_err_set(err, FL_ENOMEM, "out of memory");
		goto out;
	}
	rd->method = (int)fl_remote_opts(rd->rm)->method;
	if ((rc = fl_value_metric_check(*metric, rd->task, &sign, err)) < 0 ||
	    (rc = pool(o, key, rd, *metric, sign, err)) < 0)
		goto out;
	if ((rc = fl_shapley(n, fl_remote_utility, rd->rm,
	    fl_remote_opts(rd->rm), &rd->r, err)) < 0)
		fl_err_prefix(err, "%s", name);
out:
	fl_model_free(m);
	fl_archive_free(a);
	return rc;
}
