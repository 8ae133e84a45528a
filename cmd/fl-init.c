/*
 * fl-init: write round 0 of a federation, a model with fresh weights and
 * the preprocessing every site will apply.  Manual: man/fl-init.1.
 */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "fl.h"
#include "cli.h"
#include "init.h"

/* Whether s is one of v[0..n-1]; see init.h. */
int
init_listed(char *const *v, size_t n, const char *s)
{
	size_t i;

	for (i = 0; i < n; i++)
		if (strcmp(v[i], s) == 0)
			return 1;
	return 0;
}

/*
 * Make m a survival model on o's time column, with a baseline grid of
 * o->grid equal steps up to --tmax or the time's pooled maximum from the
 * statistics st (no grid when neither is known).
 */
static int
survival(struct fl_model *m, const struct opts *o, const struct fl_stats *st,
    struct fl_err *err)
{
	struct fl_colstats cs;
	double tmax = o->tmax, *grid = NULL;
	long col, k;
	int rc;

	if (tmax <= 0 && st != NULL &&
	    (col = fl_stats_find(st, o->time)) >= 0) {
		fl_stats_col(st, (size_t)col, &cs);
		if (cs.count > 0 && cs.max > 0 && isfinite(cs.max))
			tmax = cs.max;
	}
	if (tmax > 0 && (grid = calloc((size_t)o->grid, sizeof(double))) ==
	    NULL)
		return fl_err_set(err, FL_ENOMEM, "out of memory");
	for (k = 0; grid != NULL && k < o->grid; k++)
		grid[k] = tmax * (double)(k + 1) / (double)o->grid;
	rc = fl_model_set_survival(m, o->time, grid, grid != NULL ?
	    (size_t)o->grid : 0, err);
	free(grid);
	return rc;
}

/* The task named by --task, else the one the spec implies. */
static enum fl_task
pick_task(const struct opts *o)
{
	if (o->task != NULL)
		return (enum fl_task)fl_task_parse(o->task);
	if (o->time != NULL)
		return FL_TASK_SURVIVAL;
	if (strcmp(o->spec, "softmax") == 0)
		return FL_TASK_MULTICLASS;
	if (strcmp(o->spec, "linear") == 0)
		return FL_TASK_REGRESSION;
	return FL_TASK_BINARY;
}

int
main(int argc, char **argv)
{
	struct fl_err err = FL_ERR_INIT;
	struct fl_archive *sa = NULL, *a = NULL;
	struct fl_seckey *sk = NULL;
	struct fl_stats *st = NULL;
	struct fl_model *m = NULL;
	const char **feats = NULL;
	char **made = NULL;
	struct fl_colstats cs;
	struct fl_prep *p;
	struct opts o;
	enum fl_task task;
	size_t d = 0, j, k;
	char spec[1024];
	long col;
	int rc = 0;

	fl_setprogname(argv[0]);
	init_parse_args(argc, argv, &o);
	task = pick_task(&o);
	if (o.sign != NULL && (rc = fl_seckey_read(&sk, o.sign, &err)) < 0)
		goto out;
	if (o.stats != NULL && ((rc = fl_archive_read_file(o.stats, &sa,
	    &err)) < 0 || (rc = fl_stats_from_archive(&st, sa, &err)) < 0)) {
		if (rc != FL_EVERIFY && strstr(err.msg, o.stats) != err.msg)
			fl_err_prefix(&err, "%s", o.stats);
		goto out;
	}
	if ((rc = init_check_label(&o, st, task, &err)) < 0)
		goto out;
	k = o.features != NULL ? o.nfeatures : fl_stats_ncols(st);
	if ((feats = calloc(k + 1, sizeof(*feats))) == NULL) {
		rc = fl_err_set(&err, FL_ENOMEM, "out of memory");
		goto out;
	}
	for (j = 0; j < k; j++) {
		const char *name = o.features != NULL ? o.features[j] :
		    (fl_stats_col(st, j, &cs), cs.name);

		if (o.time != NULL && strcmp(name, o.time) == 0) {
			if (o.features == NULL)
				continue;
			rc = fl_err_set(&err, FL_EUSAGE, "--features: the "
			    "time '%s' cannot be a feature", name);
			goto out;
		}
		if (strcmp(name, o.label) == 0) {
			if (o.features == NULL)
				continue;
			rc = fl_err_set(&err, FL_EUSAGE, "--features: the "
			    "label '%s' cannot be a feature", name);
			goto out;
		}
		if (!init_listed(o.exclude, o.nexclude, name))
			feats[d++] = name;
	}
	for (j = 0; st != NULL && j < o.nexclude; j++)
		if (fl_stats_find(st, o.exclude[j]) < 0) {
			rc = fl_err_set(&err, FL_EUSAGE, "--exclude: %s has no "
			    "column '%s'", o.stats, o.exclude[j]);
			goto out;
		}
	if (d == 0) {
		rc = fl_err_set(&err, FL_EUSAGE, "no features left");
		goto out;
	}
	if ((rc = init_cat_expand(&o, st, &feats, &d, &made, &err)) < 0)
		goto out;
	if (task == FL_TASK_MULTICLASS && o.classes == 0 && st == NULL) {
		rc = fl_err_set(&err, FL_EUSAGE, "multiclass needs --classes, "
		    "or --stats holding the label");
		goto out;
	}
	if ((rc = fl_model_new(&m, init_cnn_spec(&o, spec, sizeof(spec)), task,
	    (size_t)o.classes, d, feats, o.label, &err)) < 0)
		goto out;
	p = fl_model_prep(m);
	p->drop_missing = o.drop_missing;
	if ((rc = init_cat_prep(&o, st, m, &err)) < 0)
		goto out;
	for (j = 0; st != NULL && j < d; j++) {
		if (p->fcat != NULL && p->fcat[j] >= 0)
			continue;	/* a level's indicator */
		if ((col = fl_stats_find(st, feats[j])) < 0) {
			rc = fl_err_set(&err, FL_EFORMAT, "%s: no column '%s'",
			    o.stats, feats[j]);
			goto out;
		}
		fl_stats_col(st, (size_t)col, &cs);
		if (cs.count < 1) {
			rc = fl_err_set(&err, FL_EFORMAT, "%s: column '%s' has "
			    "no values", o.stats, feats[j]);
			goto out;
		}
		p->mean[j] = p->impute[j] = fl_stats_mean(st, (size_t)col);
		p->scale[j] = fl_stats_sd(st, (size_t)col);
		if (!(p->scale[j] > 0) || !isfinite(p->scale[j]))
			p->scale[j] = 1;
	}
	init_cnn_stats(m, st, feats);	/* per channel, for a CNN */
	init_report(&o, st, feats, d);
	init_cat_report(&o, m);
	if (task == FL_TASK_SURVIVAL && (rc = survival(m, &o, st, &err)) < 0)
		goto out;
	fl_model_init_params(m, o.seed);
	if ((rc = fl_model_to_archive(m, FL_KIND_MODEL, &a, &err)) < 0)
		goto out;
	if (json_object_set_new(fl_archive_manifest(a), "round",
	    json_integer(0)) < 0 ||
	    json_object_set_new(fl_archive_manifest(a), "parent",
	    json_null()) < 0 ||
	    json_object_set_new(fl_archive_manifest(a), "site",
	    json_null()) < 0 ||
	    json_object_set_new(fl_archive_manifest(a), "samples",
	    json_integer(0)) < 0 ||
	    json_object_set_new(fl_archive_manifest(a), "seed",
	    json_integer((json_int_t)o.seed)) < 0 ||
	    (sa != NULL && json_object_set_new(fl_archive_manifest(a),
	    "stats", json_string(fl_archive_id(sa))) < 0)) {
		rc = fl_err_set(&err, FL_ENOMEM, "out of memory");
		goto out;
	}
	if ((rc = fl_manifest_set_writer(fl_archive_manifest(a), "fl-init",
	    &err)) < 0 ||
	    (sk != NULL && (rc = fl_archive_sign_new(a, sk, &err)) < 0))
		goto out;
	rc = fl_archive_save(&a, 1, o.out, &err);
out:
	if (rc < 0)
		rc = fl_report(&err);
	else
		rc = fl_close_stdout();
	fl_archive_free(a);
	fl_archive_free(sa);
	fl_seckey_free(sk);
	fl_stats_free(st);
	fl_model_free(m);
	free(feats);
	for (j = 0; made != NULL && made[j] != NULL; j++)
		free(made[j]);
	free(made);
	free(o.features);
	free(o.exclude);
	free(o.categorical);
	return rc;
}
