/*
 * aggregate.c: streaming aggregation of updates into the next model.
 * FedAvg (McMahan et al. 2017): the new parameters are the base model's
 * plus the sample-weighted mean of the updates' deltas.  Updates are added
 * one at a time into a double accumulator, so memory stays O(model size)
 * however many arrive.  The strategy name leaves room for others.
 */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "fl.h"

struct fl_agg {
	const struct fl_model	*base;
	char			*base_id;
	int			 base_round;
	json_t			*ref;		/* base's model description */
	double			*acc;		/* (nparams) sum of n_k delta_k */
	double			 total;		/* sum of n_k */
	json_t			*contributors;
	json_t			*history;	/* the base's, then ours */
	json_t			*sites;		/* site names seen */
	size_t			 count;
};

static const char *const describe_keys[] = {
	"model", "features", "label", "preprocess"
};

int
fl_agg_new(struct fl_agg **gp, const struct fl_model *base,
    const char *base_id, int base_round, const char *strategy,
    struct fl_err *err)
{
	struct fl_agg *g;
	int rc;

	*gp = NULL;
	if (strcmp(strategy, "fedavg") != 0)
		return fl_err_set(err, FL_EUSAGE, "unknown strategy '%s' "
		    "(fedavg)", strategy);
	if ((g = calloc(1, sizeof(*g))) == NULL)
		return fl_err_set(err, FL_ENOMEM, "out of memory");
	g->base = base;
	g->base_round = base_round;
	g->base_id = strdup(base_id);
	g->ref = json_object();
	g->contributors = json_array();
	g->history = json_array();
	g->sites = json_object();
	g->acc = calloc(fl_model_nparams(base), sizeof(double));
	if (g->base_id == NULL || g->ref == NULL || g->contributors == NULL ||
	    g->history == NULL || g->sites == NULL || g->acc == NULL) {
		fl_agg_free(g);
		return fl_err_set(err, FL_ENOMEM, "out of memory");
	}
	if ((rc = fl_model_describe(base, g->ref, err)) < 0) {
		fl_agg_free(g);
		return rc;
	}
	*gp = g;
	return 0;
}

/* Check that update u can be added to g: kind, parent, round, model. */
static int
check_update(const struct fl_agg *g, const struct fl_archive *u,
    const char *name, int64_t *samples, struct fl_err *err)
{
	json_t *man = fl_archive_manifest((struct fl_archive *)u);
	struct fl_tensor t;
	const char *parent;
	int64_t round;
	size_t k, n, np = 0;

	if (fl_archive_kind(u) != FL_KIND_UPDATE)
		return fl_err_set(err, FL_EFORMAT, "%s: a %s archive, not an "
		    "update", name, fl_kind_name(fl_archive_kind(u)));
	if (fl_json_get_str(man, "parent", &parent, err) < 0 ||
	    fl_json_get_int(man, "round", &round, err) < 0 ||
	    fl_json_get_int(man, "samples", samples, err) < 0)
		return fl_err_prefix(err, "%s", name);
	if (strcmp(parent, g->base_id) != 0)
		return fl_err_set(err, FL_EFORMAT, "%s: update was trained "
		    "from model %.19s..., not from %.19s...", name, parent,
		    g->base_id);
	if (round != g->base_round)
		return fl_err_set(err, FL_EFORMAT, "%s: update is for round "
		    "%lld, the model is at round %d", name, (long long)round,
		    g->base_round);
	if (*samples <= 0)
		return fl_err_set(err, FL_EFORMAT, "%s: samples must be "
		    "positive, not %lld", name, (long long)*samples);
	for (k = 0; k < sizeof(describe_keys) / sizeof(*describe_keys); k++)
		if (!json_equal(json_object_get(g->ref, describe_keys[k]),
		    json_object_get(man, describe_keys[k])))
			return fl_err_set(err, FL_ESHAPE, "%s: '%s' differs "
			    "from the model's", name, describe_keys[k]);
	fl_archive_data(u, &n);
	if (n < fl_model_nparams(g->base) * sizeof(float) ||
	    fl_archive_ntensors(u) < 2 * fl_model_nlayers(g->base))
		return fl_err_set(err, FL_ESHAPE, "%s: tensors do not match "
		    "the model's layout", name);
	/* The parameters, then only state/ vectors. */
	for (k = 0; k < fl_archive_ntensors(u); k++) {
		fl_archive_tensor(u, k, &t);
		if (k < 2 * fl_model_nlayers(g->base) ?
		    strncmp(t.name, "state/", 6) == 0 :
		    strncmp(t.name, "state/", 6) != 0)
			return fl_err_set(err, FL_ESHAPE, "%s: tensors do not "
			    "match the model's layout", name);
		if (k < 2 * fl_model_nlayers(g->base))
			np += t.nbytes;
	}
	if (np != fl_model_nparams(g->base) * sizeof(float))
		return fl_err_set(err, FL_ESHAPE, "%s: tensors do not match "
		    "the model's layout", name);
	return 0;
}

int
fl_agg_add(struct fl_agg *g, const struct fl_archive *u, const char *name,
    const char *signer, struct fl_err *err)
{
	size_t i, n = fl_model_nparams(g->base);
	const float *delta;
	json_t *c;
	int64_t samples;
	const char *site;
	double w;
	int rc;

	if ((rc = check_update(g, u, name, &samples, err)) < 0)
		return rc;
	delta = fl_archive_data(u, NULL);
	for (i = 0; i < n; i++)
		if (!isfinite(delta[i]))
			return fl_err_set(err, FL_ENUM, "%s: update holds %s "
			    "at parameter %zu", name,
			    isnan(delta[i]) ? "NaN" : "Inf", i);
	/* One update per site and round: a second is a replay or a mistake. */
	site = json_string_value(json_object_get(
	    fl_archive_manifest((struct fl_archive *)u), "site"));
	if (site != NULL && json_object_get(g->sites, site) != NULL)
		return fl_err_set(err, FL_EFORMAT, "%s: a second update from "
		    "site '%s' in round %d", name, site, g->base_round);
	c = json_pack("{s:s, s:s?, s:I, s:s?}", "id", fl_archive_id(u),
	    "site", site, "samples", (json_int_t)samples, "signer", signer);
	if (c == NULL || json_array_append_new(g->contributors, c) < 0 ||
	    (site != NULL && json_object_set_new(g->sites, site,
	    json_true()) < 0))
		return fl_err_set(err, FL_ENOMEM, "out of memory");
	w = (double)samples;
	for (i = 0; i < n; i++)
		g->acc[i] += w * delta[i];
	g->total += w;
	g->count++;
	return 0;
}

int
fl_agg_set_history(struct fl_agg *g, const json_t *history,
    struct fl_err *err)
{
	json_t *copy;

	if (history == NULL || json_is_null(history))
		return 0;
	if (!json_is_array(history))
		return fl_err_set(err, FL_EFORMAT, "'history' is not an array");
	if ((copy = json_deep_copy(history)) == NULL)
		return fl_err_set(err, FL_ENOMEM, "out of memory");
	json_decref(g->history);
	g->history = copy;
	return 0;
}

size_t
fl_agg_count(const struct fl_agg *g)
{
	return g->count;
}

int
fl_agg_finish(struct fl_agg *g, struct fl_archive **out, struct fl_err *err)
{
	struct fl_model *m;
	json_t *man;
	float *p;
	size_t i, n = fl_model_nparams(g->base);
	int rc, bad = 0;

	*out = NULL;
	if (g->count == 0)
		return fl_err_set(err, FL_EUSAGE, "no updates to aggregate");
	if ((m = fl_model_dup(g->base)) == NULL)
		return fl_err_set(err, FL_ENOMEM, "out of memory");
	p = fl_model_params(m);
	for (i = 0; i < n; i++) {
		p[i] = (float)(p[i] + g->acc[i] / g->total);
		if (!isfinite(p[i]))
			bad = 1;
	}
	if (bad) {
		fl_model_free(m);
		return fl_err_set(err, FL_ENUM, "aggregated model overflows "
		    "(a parameter is not finite)");
	}
	rc = fl_model_to_archive(m, FL_KIND_MODEL, out, err);
	fl_model_free(m);
	if (rc < 0)
		return rc;
	man = fl_archive_manifest(*out);
	if (json_object_set_new(man, "round",
	    json_integer(g->base_round + 1)) < 0 ||
	    json_object_set_new(man, "parent", json_string(g->base_id)) < 0 ||
	    json_object_set_new(man, "site", json_null()) < 0 ||
	    json_object_set_new(man, "samples",
	    json_integer((json_int_t)g->total)) < 0 ||
	    json_object_set_new(man, "strategy", json_string("fedavg")) < 0 ||
	    json_object_set(man, "contributors", g->contributors) < 0 ||
	    fl_history_append(g->history, g->base_round, g->base_id,
	    "fedavg", g->contributors) < 0 ||
	    json_object_set(man, "history", g->history) < 0) {
		fl_archive_free(*out);
		*out = NULL;
		return fl_err_set(err, FL_ENOMEM, "out of memory");
	}
	return 0;
}

void
fl_agg_free(struct fl_agg *g)
{
	if (g == NULL)
		return;
	free(g->base_id);
	json_decref(g->ref);
	json_decref(g->contributors);
	json_decref(g->history);
	json_decref(g->sites);
	free(g->acc);
	free(g);
}
