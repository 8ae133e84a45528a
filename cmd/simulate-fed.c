/*
 * simulate-fed.c: the federation fl-simulate runs, as real sites and a
 * coordinator would run it, each step one of the other tools: pooled
 * statistics, round 0, the rounds, and the comparison with training at
 * each site alone and on the pooled rows.
 */
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "fl.h"
#include "cli.h"
#include "simulate.h"

/* Run the tool in a and free a; 0, or the exit code to leave with. */
static int
tool(struct sim_argv *a, char **capture, struct fl_err *err)
{
	int rc = sim_run(a, capture, err);

	sim_argv_free(a);
	return rc;
}

/* Each site's statistics, then the pooled ones (stats.fls). */
int
sim_pool_stats(const struct sim *s, struct fl_err *err)
{
	struct sim_argv a = { 0 };
	size_t i;
	int rc;

	for (i = 0; i < s->sp.nsite; i++) {
		sim_argv_add(&a, "fl-stats");
		sim_argv_add(&a, "-q");
		sim_argv_addf(&a, "--data=%s/%s.csv", s->dir,
		    s->sp.site[i].name);
		sim_argv_addf(&a, "--output=%s/%s.fls", s->dir,
		    s->sp.site[i].name);
		if (s->o.categorical != NULL)
			sim_argv_addf(&a, "--categorical=%s",
			    s->o.categorical);
		if ((rc = tool(&a, NULL, err)) != 0)
			return rc;
	}
	sim_argv_add(&a, "fl-aggregate");
	sim_argv_add(&a, "-q");
	sim_argv_addf(&a, "--output=%s/stats.fls", s->dir);
	for (i = 0; i < s->sp.nsite; i++)
		sim_argv_addf(&a, "%s/%s.fls", s->dir, s->sp.site[i].name);
	return tool(&a, NULL, err);
}

/* Round 0 (r0.fla), with the site column left out of the features. */
int
sim_init_model(const struct sim *s, struct fl_err *err)
{
	struct sim_argv a = { 0 };
	const char *x = s->o.exclude, *col = s->o.site_col;

	sim_argv_add(&a, "fl-init");
	sim_argv_add(&a, "-q");
	sim_argv_addv(&a, s->o.init_args);
	sim_argv_addf(&a, "--model=%s", s->o.model);
	if (s->o.label != NULL)
		sim_argv_addf(&a, "--label=%s", s->o.label);
	if (s->o.exclude_has_site || col == NULL)
		col = NULL;	/* nothing to add to -x */
	if (x != NULL || col != NULL)
		sim_argv_addf(&a, "--exclude=%s%s%s", x ? x : "",
		    x && col ? "," : "", col ? col : "");
	sim_argv_addf(&a, "--stats=%s/stats.fls", s->dir);
	if (s->o.categorical != NULL)
		sim_argv_addf(&a, "--categorical=%s", s->o.categorical);
	sim_argv_addf(&a, "--seed=%llu", (unsigned long long)s->o.seed);
	sim_argv_addf(&a, "--output=%s/r0.fla", s->dir);
	return tool(&a, NULL, err);
}

/* Train model at the site whose CSV is NAME.csv, into upd. */
static int
train(const struct sim *s, const char *name, const char *model,
    const char *upd, struct fl_err *err)
{
	struct sim_argv a = { 0 };

	sim_argv_add(&a, "fl-train");
	sim_argv_add(&a, "-q");
	sim_argv_addv(&a, s->o.train_args);
	sim_argv_addf(&a, "--data=%s/%s.csv", s->dir, name);
	sim_argv_addf(&a, "--seed=%llu", (unsigned long long)s->o.seed);
	sim_argv_addf(&a, "--output=%s", upd);
	sim_argv_add(&a, model);
	return tool(&a, NULL, err);
}

/* Score model on the held-out rows: one row of table t. */
static int
score(const struct sim *s, struct sim_table *t, const char *first,
    const char *name, const char *model, struct fl_err *err)
{
	struct sim_argv a = { 0 };
	char *ev = NULL;
	int rc;

	sim_argv_add(&a, "fl-eval");
	sim_argv_add(&a, "-q");
	sim_argv_add(&a, "--format=tsv");
	if (s->o.test != NULL)
		sim_argv_addf(&a, "--data=%s", s->o.test);
	else
		sim_argv_addf(&a, "--data=%s/test.csv", s->dir);
	sim_argv_add(&a, model);
	if ((rc = tool(&a, &ev, err)) == 0 &&
	    sim_table_row(t, first, name, ev, err) < 0)
		rc = FL_EXIT_FAIL;
	free(ev);
	return rc;
}

/* The width of a table's first column on a terminal: the longest of
 * "round", "model", "federated", "pooled" and "SITE alone", the same for
 * both tables so that they line up together. */
static int
first_width(const struct sim *s)
{
	size_t i;
	int w = (int)strlen("federated");

	for (i = 0; i < s->sp.nsite; i++)
		if ((int)strlen(s->sp.site[i].name) + 6 > w)
			w = (int)strlen(s->sp.site[i].name) + 6;
	return w;
}

/* The rounds of the federation, r1.fla to rR.fla, one row each. */
int
sim_federate(const struct sim *s, struct fl_err *err)
{
	struct sim_table t = { 0 };
	struct sim_argv a = { 0 };
	char model[PATH_MAX], upd[PATH_MAX], num[32];
	size_t i;
	long r;
	int rc = 0;

	t.w0 = first_width(s);
	for (r = 1; rc == 0 && r <= s->o.rounds; r++) {
		snprintf(model, sizeof(model), "%s/r%ld.fla", s->dir, r - 1);
		for (i = 0; rc == 0 && i < s->sp.nsite; i++) {
			snprintf(upd, sizeof(upd), "%s/r%ld-%s.upd", s->dir, r,
			    s->sp.site[i].name);
			rc = train(s, s->sp.site[i].name, model, upd, err);
		}
		if (rc != 0)
			break;
		sim_argv_add(&a, "fl-aggregate");
		sim_argv_add(&a, "-q");
		sim_argv_addv(&a, s->o.agg_args);
		if (s->o.strategy != NULL)
			sim_argv_addf(&a, "--strategy=%s", s->o.strategy);
		sim_argv_addf(&a, "--model=%s", model);
		sim_argv_addf(&a, "--output=%s/r%ld.fla", s->dir, r);
		for (i = 0; i < s->sp.nsite; i++)
			sim_argv_addf(&a, "%s/r%ld-%s.upd", s->dir, r,
			    s->sp.site[i].name);
		if ((rc = tool(&a, NULL, err)) != 0)
			break;
		snprintf(model, sizeof(model), "%s/r%ld.fla", s->dir, r);
		snprintf(num, sizeof(num), "%ld", r);
		rc = score(s, &t, "round", num, model, err);
		fflush(stdout);
	}
	sim_table_end(&t);
	return rc;
}

/* The same training at one site alone (or on the pooled rows): R rounds
 * of fl-train and plain fl-aggregate from r0.fla, into NAME-alone.fla. */
static int
alone(const struct sim *s, const char *name, struct fl_err *err)
{
	struct sim_argv a = { 0 };
	char model[PATH_MAX], upd[PATH_MAX], next[PATH_MAX];
	long r;
	int rc = 0;

	snprintf(model, sizeof(model), "%s/r0.fla", s->dir);
	snprintf(upd, sizeof(upd), "%s/%s-alone.upd", s->dir, name);
	snprintf(next, sizeof(next), "%s/%s-alone.fla", s->dir, name);
	for (r = 1; rc == 0 && r <= s->o.rounds; r++) {
		if ((rc = train(s, name, model, upd, err)) != 0)
			break;
		sim_argv_add(&a, "fl-aggregate");
		sim_argv_add(&a, "-q");
		sim_argv_addf(&a, "--model=%s", model);
		sim_argv_addf(&a, "--output=%s", next);
		sim_argv_add(&a, upd);
		rc = tool(&a, NULL, err);
		snprintf(model, sizeof(model), "%s", next);
	}
	remove(upd);
	return rc;
}

/* The federated model against pooled training and each site alone. */
int
sim_compare(const struct sim *s, struct fl_err *err)
{
	struct sim_table t = { 0 };
	char model[PATH_MAX], name[SIM_MAX_SITES + 200];
	size_t i;
	int rc;

	t.w0 = first_width(s);
	putchar('\n');
	snprintf(model, sizeof(model), "%s/r%ld.fla", s->dir, s->o.rounds);
	if ((rc = score(s, &t, "model", "federated", model, err)) != 0 ||
	    (rc = alone(s, "pooled", err)) != 0)
		goto out;
	snprintf(model, sizeof(model), "%s/pooled-alone.fla", s->dir);
	if ((rc = score(s, &t, "model", "pooled", model, err)) != 0)
		goto out;
	for (i = 0; i < s->sp.nsite; i++) {
		if ((rc = alone(s, s->sp.site[i].name, err)) != 0)
			break;
		snprintf(model, sizeof(model), "%s/%s-alone.fla", s->dir,
		    s->sp.site[i].name);
		snprintf(name, sizeof(name), "%s alone", s->sp.site[i].name);
		if ((rc = score(s, &t, "model", name, model, err)) != 0)
			break;
	}
out:
	sim_table_end(&t);
	return rc;
}

