/*
 * aggregate.c: aggregation of updates into the next model, streaming.
 * Updates are added one at a time.  The mean strategies keep one exact
 * sum (lib/federation/exact.c), fed while the updates are read
 * (lib/federation/stream.c), and write the model over it, so memory
 * stays twice the model however many arrive:
 *
 *   fedavg      the sample-weighted mean delta (McMahan et al. 2017)
 *   fedavgm     server momentum on that mean (Hsu et al. 2019)
 *   fedadam, fedyogi, fedadagrad
 *               adaptive server optimizers on that mean as a
 *               pseudo-gradient (Reddi et al. 2021, Algorithm 2)
 *
 * The strategies are rows of a table (lib/federation/strategy.c); the server
 * optimizers' steps are in lib/federation/fedopt.c.  The robust strategies
 * (median,
 * trimmed-mean, krum, multi-krum, see lib/federation/robust.c) spool each delta
 * into one unlinked temp file as it arrives and combine them chunk by
 * chunk at the end.  Central DP clips every delta to an L2 bound, gives
 * every site the same weight and adds Gaussian noise (lib/privacy/noise.c) to
 * the sum (McMahan et al. 2018, DP-FedAvg); lib/privacy/dp.c accounts for it.
 * Server moments and SCAFFOLD's control variate are
 * carried as state/ vectors in the model archive, the privacy spent in
 * its manifest, so that a federation resumes exactly where it stopped.
 */
#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "federation/federation.h"
#include "strategy_int.h"
#include "agg_int.h"

const char *const fl_agg_describe_keys[] = {
	"model", "features", "label", "preprocess"
};
const size_t fl_agg_ndescribe = 4;

/* Fill o's defaults for strategy s. */
static void
resolve(struct fl_agg_opts *o, const struct fl_strategy *s)
{
	fl_strategy_resolve(s, o);
	if (!(o->dp_delta > 0))
		o->dp_delta = 1e-5;
}

int
fl_agg_new(struct fl_agg **gp, const struct fl_model *base,
    const char *base_id, int base_round, const char *strategy,
    struct fl_err *err)
{
	const struct fl_agg_opts defaults = FL_AGG_OPTS_INIT;
	const struct fl_strategy *s;
	struct fl_agg *g;
	size_t k, n = fl_model_nparams(base);
	char names[256];
	int rc;

	*gp = NULL;
	if ((s = fl_strategy_find(strategy)) == NULL) {
		fl_agg_strategy_list(names, sizeof(names));
		return fl_err_set(err, FL_EUSAGE, "unknown strategy '%s' "
		    "(%s)", strategy, names);
	}
	if ((g = calloc(1, sizeof(*g))) == NULL)
		return fl_err_set(err, FL_ENOMEM, "out of memory");
	g->strategy = s;
	g->o = defaults;
	resolve(&g->o, g->strategy);
	g->spool = -1;
	g->bspool = -1;
	g->st.kind = -1;
	g->base = base;
	g->base_round = base_round;
	g->base_id = strdup(base_id);
	g->ref = json_object();
	g->contributors = json_array();
	g->history = json_array();
	g->sites = json_object();
	g->partial_list = json_array();
	fl_dp_orders(&k);
	g->rdp = calloc(k, sizeof(double));
	if (IS_ROBUST(g->strategy))
		g->scratch = malloc(n * sizeof(float) + 1);
	else if (fl_xacc_new(&g->acc, n, err) < 0)
		g->acc = NULL;
	if (g->base_id == NULL || g->ref == NULL || g->contributors == NULL ||
	    g->history == NULL || g->sites == NULL || g->rdp == NULL ||
	    g->partial_list == NULL ||
	    (IS_ROBUST(g->strategy) ? g->scratch == NULL : g->acc == NULL)) {
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

/* Copy state name of base (n values) into *dst when present. */
static int
take_state(const struct fl_archive *base, const char *name, size_t n,
    float **dst, struct fl_err *err)
{
	const float *v;
	int rc;

	if ((rc = fl_archive_state(base, name, n, &v, err)) <= 0)
		return rc;
	if ((*dst = malloc(n * sizeof(float) + 1)) == NULL)
		return fl_err_set(err, FL_ENOMEM, "out of memory");
	memcpy(*dst, v, n * sizeof(float));
	return 0;
}

/* Read the base's "privacy": the cumulative RDP at our orders. */
static int
take_privacy(struct fl_agg *g, const json_t *p, struct fl_err *err)
{
	const json_t *ord = json_object_get(p, "orders");
	const json_t *rdp = json_object_get(p, "rdp");
	const json_t *rounds = json_object_get(p, "rounds");
	const double *our;
	size_t n, k;
	double a, r;

	our = fl_dp_orders(&n);
	if (!json_is_object(p) || !json_is_array(ord) || !json_is_array(rdp) ||
	    json_array_size(ord) != n || json_array_size(rdp) != n ||
	    !json_is_integer(rounds) || json_integer_value(rounds) < 0)
		return fl_err_set(err, FL_EFORMAT, "'privacy' is malformed or "
		    "uses other orders");
	for (k = 0; k < n; k++) {
		a = json_number_value(json_array_get(ord, k));
		r = json_number_value(json_array_get(rdp, k));
		if (fabs(a - our[k]) > 1e-9 * our[k] ||
		    !json_is_number(json_array_get(rdp, k)) ||
		    !isfinite(r) || r < 0)
			return fl_err_set(err, FL_EFORMAT, "'privacy' is "
			    "malformed or uses other orders");
		g->rdp[k] = r;
	}
	g->dp_rounds = json_integer_value(rounds);
	g->has_privacy = 1;
	return 0;
}

int
fl_agg_configure(struct fl_agg *g, const struct fl_agg_opts *opt,
    const struct fl_archive *base, struct fl_err *err)
{
	struct fl_agg_opts o = *opt;
	const struct fl_strategy *s = g->strategy;
	const char *name = s->name;
	size_t n = fl_model_nparams(g->base);
	const json_t *priv;
	char means[256];
	int rc;

	if (g->count > 0)
		return fl_err_set(err, FL_EUSAGE, "configure before adding");
	if ((rc = fl_strategy_check(s, &o, err)) < 0)
		return rc;
	resolve(&o, s);
	if (!(o.server_lr > 0) || !(o.momentum >= 0 && o.momentum < 1) ||
	    !(o.beta1 >= 0 && o.beta1 < 1) || !(o.beta2 >= 0 && o.beta2 < 1) ||
	    !(o.tau > 0) || !(o.trim >= 0 && o.trim < 0.5) ||
	    o.select < 0 || !(o.clip >= 0) || !(o.dp_noise >= 0) ||
	    o.population < 0 || !(o.dp_delta > 0 && o.dp_delta < 1) ||
	    !(o.max_epsilon >= 0) || o.min_updates < 0)
		return fl_err_set(err, FL_EUSAGE, "a strategy or privacy "
		    "parameter is out of range");
	if (o.dp_noise > 0 && !(o.clip > 0))
		return fl_err_set(err, FL_EUSAGE, "--dp-noise needs --clip: "
		    "the noise is scaled to the clip bound");
	if (o.dp_noise > 0 && IS_ROBUST(s)) {
		fl_strategy_list(means, sizeof(means), 0, 0, " and ");
		return fl_err_set(err, FL_EUSAGE, "--dp-noise works with the "
		    "mean strategies (%s), not %s", means, name);
	}
	if (o.max_epsilon > 0 && !(o.dp_noise > 0))
		return fl_err_set(err, FL_EUSAGE, "--max-epsilon needs "
		    "--dp-noise");
	g->o = o;
	if (base == NULL)
		return 0;
	if (s->moments >= 1 &&
	    (rc = take_state(base, "fedopt_m", n, &g->m0, err)) < 0)
		return rc;
	if (s->moments >= 2 &&
	    (rc = take_state(base, "fedopt_v", n, &g->v0, err)) < 0)
		return rc;
	if ((rc = take_state(base, "scaffold_c", n, &g->c0, err)) < 0)
		return rc;
	priv = json_object_get(fl_archive_manifest((struct fl_archive *)base),
	    "privacy");
	if (priv != NULL && !json_is_null(priv) &&
	    (rc = take_privacy(g, priv, err)) < 0)
		return rc;
	if (g->has_privacy && !(o.dp_noise > 0))
		return fl_err_set(err, FL_EUSAGE, "the model carries a privacy "
		    "budget; a round without --dp-noise would void it");
	return 0;
}

/*
 * Check that update u can be added to g: kind, parent, round, model; and
 * bind its tensors by name, dtype and shape, so that *delta is its
 * parameter vector in the model's layout order.  An update laid out as
 * fl writes it is used in place; another is gathered into g's buffer
 * (the robust strategies' scratch, which fl_agg_add scales in place).
 */
static int
check_update(struct fl_agg *g, const struct fl_archive *u,
    const char *name, int64_t *samples, const float **delta,
    struct fl_err *err)
{
	json_t *man = fl_archive_manifest((struct fl_archive *)u);
	const char *parent;
	int64_t round;
	size_t k;

	if (fl_archive_kind(u) != FL_KIND_UPDATE)
		return fl_err_set(err, FL_EFORMAT, "%s: a %s archive, not an "
		    "update", name, fl_kind_name(fl_archive_kind(u)));
	if (fl_json_get_str(man, "parent", &parent, err) < 0 ||
	    fl_json_get_int(man, "round", &round, err) < 0 ||
	    fl_json_get_int(man, "samples", samples, err) < 0)
		return fl_err_prefix(err, "%s", name);
	/* An update's round is that of the model it was trained from. */
	if (strcmp(parent, g->base_id) != 0)
		return fl_err_set(err, FL_EFORMAT, "%s: update was trained "
		    "from the round-%lld model %.19s..., not from this "
		    "round-%d model %.19s...", name, (long long)round, parent,
		    g->base_round, g->base_id);
	if (round != g->base_round)
		return fl_err_set(err, FL_EFORMAT, "%s: update is for round "
		    "%lld, the model is at round %d", name, (long long)round,
		    g->base_round);
	if (*samples <= 0)
		return fl_err_set(err, FL_EFORMAT, "%s: samples must be "
		    "positive, not %lld", name, (long long)*samples);
	for (k = 0; k < fl_agg_ndescribe; k++)
		if (!json_equal(json_object_get(g->ref, fl_agg_describe_keys[k]),
		    json_object_get(man, fl_agg_describe_keys[k])))
			return fl_err_set(err, FL_ESHAPE, "%s: '%s' differs "
			    "from the model's", name, fl_agg_describe_keys[k]);
	/* A streamed update was bound by name, dtype and shape when it
	 * began (stream.c) and is in the sum already. */
	if (fl_archive_streamed(u)) {
		*delta = NULL;
		return 0;
	}
	if (fl_archive_params(u, g->base, IS_ROBUST(g->strategy) ?
	    &g->scratch : &g->gather, delta, err) < 0)
		return fl_err_prefix(err, "%s", name);
	return 0;
}

/* Write the n floats of v as update number i of the spool. */
static int
spool_write(struct fl_agg *g, const float *v, size_t n, struct fl_err *err)
{
	const char *dir = getenv("TMPDIR");
	char path[4096];
	size_t want = n * sizeof(float), got;
	off_t off = (off_t)(g->count * want);
	ssize_t r;

	if (g->spool < 0) {
		snprintf(path, sizeof(path), "%s/fl-aggregate.XXXXXX",
		    dir != NULL && *dir != '\0' ? dir : "/tmp");
		if ((g->spool = mkstemp(path)) < 0)
			return fl_err_set(err, FL_EIO, "%s: %s", path,
			    strerror(errno));
		unlink(path);
	}
	for (got = 0; got < want; got += (size_t)r) {
		r = pwrite(g->spool, (const char *)v + got, want - got,
		    off + (off_t)got);
		if (r < 0 && errno == EINTR) {
			r = 0;
			continue;
		}
		if (r <= 0)
			return fl_err_set(err, FL_EIO, "spool: write: %s",
			    r < 0 ? strerror(errno) : "no space");
	}
	return 0;
}

/* The rest of fl_agg_add for an update streamed into the sums already
 * (stream.c): its checks, in the same order, and its records. */
static int
add_streamed(struct fl_agg *g, const struct fl_archive *u, const char *name,
    const char *signer, int64_t samples, struct fl_err *err)
{
	const char *site;
	json_t *c;
	int rc;

	g->st.kind = -1;
	if ((rc = fl_agg_stream_nonfinite(g, name, err)) < 0 ||
	    (rc = fl_agg_stream_dc_nonfinite(g, name, err)) < 0)
		return rc;
	if ((rc = fl_archive_site(u, &site, err)) < 0)
		return fl_err_prefix(err, "%s", name);
	if (json_object_get(g->sites, site) != NULL)
		return fl_err_set(err, FL_EFORMAT, "%s: a second update from "
		    "site '%s' in round %d", name, site, g->base_round);
	c = json_pack("{s:s, s:s, s:I, s:s?}", "id", fl_archive_id(u),
	    "site", site, "samples", (json_int_t)samples, "signer", signer);
	if (c == NULL || json_array_append_new(g->contributors, c) < 0 ||
	    json_object_set_new(g->sites, site, json_true()) < 0)
		return fl_err_set(err, FL_ENOMEM, "out of memory");
	if ((rc = fl_agg_stream_added(g, 0, name, NULL, err)) < 0)
		return rc;
	if ((rc = fl_agg_stream_added(g, 1, name, "scaffold_dc", err)) < 0)
		return rc;
	g->ndc += g->st.has_dc;
	g->total += g->o.dp_noise > 0 ? 1 : samples;
	g->samples += samples;
	g->count++;
	return 0;
}

int
fl_agg_add(struct fl_agg *g, const struct fl_archive *u, const char *name,
    const char *signer, struct fl_err *err)
{
	size_t i, n = fl_model_nparams(g->base);
	const float *delta, *dc = NULL;
	json_t *c;
	int64_t samples;
	const char *site;
	double w, scale = 1, norm = 0;
	int rc;

	if (fl_archive_streamed(u) && g->st.kind != FL_KIND_UPDATE)
		return fl_err_set(err, FL_EUSAGE, "%s: not streamed into this "
		    "round", name);
	if ((rc = check_update(g, u, name, &samples, &delta, err)) < 0)
		return rc;
	/* A weight is a row count: at most 2^53, exact in a double, and the
	 * round's total must fit the manifest's integer. */
	if (samples > FL_MAX_SAMPLES)
		return fl_err_set(err, FL_EFORMAT, "%s: samples %lld is over "
		    "the limit of 2^53", name, (long long)samples);
	if (samples > INT64_MAX - g->samples)
		return fl_err_set(err, FL_EFORMAT, "%s: the round's samples "
		    "would overflow (%lld + %lld)", name,
		    (long long)g->samples, (long long)samples);
	if (delta == NULL)
		return add_streamed(g, u, name, signer, samples, err);
	for (i = 0; i < n; i++) {
		if (!isfinite(delta[i]))
			return fl_err_set(err, FL_ENUM, "%s: update holds %s "
			    "at parameter %zu", name,
			    isnan(delta[i]) ? "NaN" : "Inf", i);
		norm += (double)delta[i] * delta[i];
	}
	if ((rc = fl_archive_state(u, "scaffold_dc", n, &dc, err)) < 0)
		return fl_err_prefix(err, "%s", name);
	for (i = 0; dc != NULL && i < n; i++)
		if (!isfinite(dc[i]))
			return fl_err_set(err, FL_ENUM, "%s: scaffold_dc holds "
			    "%s at %zu", name, isnan(dc[i]) ? "NaN" : "Inf", i);
	/* One update per site and round: a second is a replay or a mistake. */
	if ((rc = fl_archive_site(u, &site, err)) < 0)
		return fl_err_prefix(err, "%s", name);
	if (json_object_get(g->sites, site) != NULL)
		return fl_err_set(err, FL_EFORMAT, "%s: a second update from "
		    "site '%s' in round %d", name, site, g->base_round);
	if (dc != NULL && g->dc == NULL &&
	    (rc = fl_xacc_new(&g->dc, n, err)) < 0)
		return rc;
	/* Clip to the L2 bound: scale down, never up. */
	norm = sqrt(norm);
	if (g->o.clip > 0 && norm > g->o.clip)
		scale = g->o.clip / norm;
	if (IS_ROBUST(g->strategy)) {
		for (i = 0; i < n; i++)
			g->scratch[i] = (float)(scale * delta[i]);
		if ((rc = spool_write(g, g->scratch, n, err)) < 0)
			return rc;
	}
	c = json_pack("{s:s, s:s, s:I, s:s?}", "id", fl_archive_id(u),
	    "site", site, "samples", (json_int_t)samples, "signer", signer);
	if (c == NULL || json_array_append_new(g->contributors, c) < 0 ||
	    json_object_set_new(g->sites, site, json_true()) < 0)
		return fl_err_set(err, FL_ENOMEM, "out of memory");
	/* DP-FedAvg weighs every site the same (McMahan et al. 2018). */
	w = g->o.dp_noise > 0 ? 1.0 : (double)samples;
	/* Exact sums (exact_int.h): the same whatever the order, or the
	 * tree of partial sums (lib/federation/partial.c), they arrive in. */
	if (g->acc != NULL && (rc = fl_xacc_add(g->acc, 0, delta, n,
	    w * scale, &i, err)) < 0)
		return fl_err_prefix(err, "%s", name);
	if (dc != NULL && (rc = fl_xacc_add(g->dc, 0, dc, n, 1.0, &i,
	    err)) < 0)
		return fl_err_prefix(err, "%s: scaffold_dc", name);
	g->ndc += dc != NULL;
	g->total += g->o.dp_noise > 0 ? 1 : samples;
	g->samples += samples;
	g->count++;
	return 0;
}

int
fl_agg_add_sum(struct fl_agg *g, const double *wsum, int64_t total,
    const json_t *contributors, struct fl_err *err)
{
	size_t i, n = fl_model_nparams(g->base);
	const char *site;
	json_t *c;
	int rc;

	/* Masked updates arrive as their sum (lib/federation/secagg.c). */
	if (IS_ROBUST(g->strategy))
		return fl_err_set(err, FL_EUSAGE, "masked updates reach the "
		    "coordinator only as their sum; %s needs each update "
		    "(use fedavg or a server optimizer)", g->strategy->name);
	if (g->o.clip > 0 || g->o.dp_noise > 0)
		return fl_err_set(err, FL_EUSAGE, "--clip and --dp-noise need "
		    "each update; masked updates reach the coordinator only "
		    "as their sum (central DP with masks is not supported)");
	if (total <= 0 || total > FL_MAX_SAMPLES ||
	    total > INT64_MAX - g->samples)
		return fl_err_set(err, FL_EFORMAT, "masked sum: bad samples "
		    "%lld", (long long)total);
	json_array_foreach(contributors, i, c) {
		site = json_string_value(json_object_get(c, "site"));
		if (site == NULL || json_object_get(g->sites, site) != NULL)
			return fl_err_set(err, FL_EFORMAT, "a second update "
			    "from site '%s' in round %d", site != NULL ? site :
			    "?", g->base_round);
	}
	json_array_foreach(contributors, i, c)
		if (json_array_append(g->contributors, c) < 0 ||
		    json_object_set_new(g->sites, json_string_value(
		    json_object_get(c, "site")), json_true()) < 0)
			return fl_err_set(err, FL_ENOMEM, "out of memory");
	if ((rc = fl_xacc_add_f64(g->acc, 0, wsum, n, err)) < 0)
		return rc;
	g->total += total;
	g->samples += total;
	g->count += json_array_size(contributors);
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

int
fl_agg_round(const struct fl_agg *g)
{
	return g->base_round;
}

size_t
fl_agg_count(const struct fl_agg *g)
{
	return g->count;
}

/* The strategy's parameters, as recorded in the manifest. */
static json_t *
strategy_params(const struct fl_agg *g, const int *chosen)
{
	const struct fl_agg_opts *o = &g->o;
	json_t *p = json_object(), *sel;
	size_t i;
	int bad = p == NULL;

	if (!bad)
		bad |= fl_strategy_record(g->strategy, o, g->count, p) < 0;
	if (!bad && g->strategy->selects) {
		sel = json_array();
		for (i = 0; sel != NULL && chosen != NULL && i < g->count; i++)
			if (chosen[i])
				bad |= json_array_append_new(sel,
				    json_integer((json_int_t)i)) < 0;
		bad |= json_object_set_new(p, "selected", sel) < 0;
	}
	if (!bad && o->clip > 0)
		bad |= json_object_set_new(p, "clip", json_real(o->clip)) < 0;
	if (!bad && o->dp_noise > 0)
		bad |= json_object_set_new(p, "dp_noise",
		    json_real(o->dp_noise)) < 0;
	if (!bad && o->population > 0)
		bad |= json_object_set_new(p, "population",
		    json_integer(o->population)) < 0;
	if (bad) {
		json_decref(p);
		return NULL;
	}
	return p;
}

/* Add this round's privacy cost to g->rdp; refuse a round past the
 * budget.  *eps gets the new epsilon and *order its best order. */
static int
account(struct fl_agg *g, double *eps, double *order, struct fl_err *err)
{
	double q, before;
	size_t sites;

	sites = g->o.population > 0 ? (size_t)g->o.population : g->count;
	if (sites < g->count)
		return fl_err_set(err, FL_EUSAGE, "%zu updates, but "
		    "--population is %ld", g->count, g->o.population);
	q = (double)g->count / (double)sites;
	before = fl_dp_epsilon(g->rdp, g->o.dp_delta, NULL);
	if (fl_dp_rdp_add(g->rdp, q, g->o.dp_noise, 1) < 0)
		return fl_err_set(err, FL_EUSAGE, "bad privacy parameters");
	*eps = fl_dp_epsilon(g->rdp, g->o.dp_delta, order);
	if (!isfinite(*eps))
		return fl_err_set(err, FL_ENUM, "privacy accounting overflows "
		    "(noise too small)");
	if (g->o.max_epsilon > 0 && *eps > g->o.max_epsilon)
		return fl_err_set(err, FL_ENUM, "privacy budget: this round "
		    "would bring epsilon from %.4g to %.4g, past --max-epsilon "
		    "%g (delta %g); no model written", before, *eps,
		    g->o.max_epsilon, g->o.dp_delta);
	return 0;
}

/* The "privacy" record: cumulative RDP and its (epsilon, delta). */
static json_t *
privacy_json(const struct fl_agg *g, double eps, double order)
{
	const double *ord;
	json_t *p, *jo, *jr;
	size_t n, k;
	int bad;

	ord = fl_dp_orders(&n);
	p = json_object();
	jo = json_array();
	jr = json_array();
	bad = p == NULL || jo == NULL || jr == NULL;
	for (k = 0; !bad && k < n; k++)
		bad |= json_array_append_new(jo, json_real(ord[k])) < 0 ||
		    json_array_append_new(jr, json_real(g->rdp[k])) < 0;
	if (!bad)
		bad |= json_object_set_new(p, "accountant",
		    json_string("rdp-sampled-gaussian")) < 0 ||
		    json_object_set_new(p, "epsilon", json_real(eps)) < 0 ||
		    json_object_set_new(p, "delta",
		    json_real(g->o.dp_delta)) < 0 ||
		    json_object_set_new(p, "order", json_real(order)) < 0 ||
		    json_object_set_new(p, "rounds",
		    json_integer(g->dp_rounds + 1)) < 0 ||
		    json_object_set(p, "orders", jo) < 0 ||
		    json_object_set(p, "rdp", jr) < 0;
	json_decref(jo);
	json_decref(jr);
	if (bad) {
		json_decref(p);
		return NULL;
	}
	return p;
}

/*
 * The round's step delta (n): the strategy's combination of the updates,
 * then the server optimizer; the new moments into m and v.  A robust
 * strategy writes it into d; a mean strategy adds it, rounded to float,
 * to p (the new model's parameters) at once, so that no third
 * model-sized buffer is needed beside the sum.
 */
static int
combine(struct fl_agg *g, float *d, float *p, float *m, float *v,
    int *chosen, struct fl_err *err)
{
	const struct fl_agg_opts *o = &g->o;
	const struct fl_strategy *s = g->strategy;
	size_t i, n = fl_model_nparams(g->base);
	struct fl_noise *ns = NULL;
	double x, z, sd = o->dp_noise * o->clip;
	int rc;

	if (IS_ROBUST(s))
		return fl_robust_combine(g->spool, g->count, n, o->chunk,
		    s->kind, o->trim, o->byzantine, o->select, d, chosen, err);
	if (sd > 0 && (rc = fl_noise_new(&ns, o->seeded, o->seed, "dp-noise",
	    err)) < 0)
		return rc;
	for (i = 0; i < n; i++) {
		x = fl_xacc_get(g->acc, i);
		if (sd > 0) {
			if ((rc = fl_noise_normal(ns, &z, err)) < 0) {
				fl_noise_free(ns);
				return rc;
			}
			x += sd * z;
		}
		x /= (double)g->total;
		if (s->step != NULL)
			x = s->step(o, i, x, g->m0, g->v0, m, v);
		p[i] = (float)((double)p[i] + (float)x);
	}
	fl_noise_free(ns);
	return 0;
}

/* Read len bytes at off of fd into buf. */
static int
pread_full(int fd, void *buf, size_t len, off_t off, struct fl_err *err)
{
	size_t got;
	ssize_t r;

	for (got = 0; got < len; got += (size_t)r) {
		r = pread(fd, (char *)buf + got, len - got, off + (off_t)got);
		if (r < 0 && errno == EINTR) {
			r = 0;
			continue;
		}
		if (r <= 0)
			return fl_err_set(err, FL_EIO, "spool: read: %s",
			    r < 0 ? strerror(errno) : "short");
	}
	return 0;
}

/*
 * combine() for a base spooled by fl_agg_spool_base: the new parameters,
 * a piece at a time, written over the sum's memory where it is read (the
 * float of coordinate i at byte 4 i, once words 0 .. i are read), and
 * that memory given to *p: beside the sum, no model-sized buffer.  *bad
 * is set when a parameter is not finite.
 */
#define PIECE	2048
int
fl_agg_finish_inplace(struct fl_agg *g, float **p, float *m, float *v,
    int *bad, struct fl_err *err)
{
	const struct fl_agg_opts *o = &g->o;
	const struct fl_strategy *s = g->strategy;
	size_t i, j, k, n = fl_model_nparams(g->base);
	unsigned char *mem = fl_xacc_mem(g->acc);
	struct fl_noise *ns = NULL;
	double x, z, xd[PIECE], sd = o->dp_noise * o->clip;
	float b[PIECE], f[PIECE];
	int rc = 0;

	*p = NULL;
	if (sd > 0 && (rc = fl_noise_new(&ns, o->seeded, o->seed, "dp-noise",
	    err)) < 0)
		return rc;
	for (i = 0; i < n; i += k) {
		k = n - i < PIECE ? n - i : PIECE;
		if ((rc = pread_full(g->bspool, b, k * sizeof(float),
		    (off_t)(i * sizeof(float)), err)) < 0)
			goto out;
		fl_xacc_get_range(g->acc, i, k, xd);
		for (j = 0; j < k; j++) {
			x = xd[j];
			if (sd > 0) {
				if ((rc = fl_noise_normal(ns, &z, err)) < 0)
					goto out;
				x += sd * z;
			}
			x /= (double)g->total;
			if (s->step != NULL)
				x = s->step(o, i + j, x, g->m0, g->v0, m, v);
			f[j] = (float)((double)b[j] + (float)x);
			if (!isfinite(f[j]))
				*bad = 1;
		}
		memcpy(mem + i * sizeof(float), f, k * sizeof(float));
	}
	*p = fl_xacc_take(g->acc, n * sizeof(float));
out:
	fl_noise_free(ns);
	return rc;
}

int
fl_agg_finish(struct fl_agg *g, struct fl_archive **out, struct fl_err *err)
{
	const struct fl_strategy *s = g->strategy;
	struct fl_model *model = NULL;
	json_t *man, *sp = NULL, *pj = NULL;
	float *p, *d = NULL, *m = NULL, *v = NULL, *c = NULL, *own = NULL;
	int *chosen = NULL;
	size_t i, n = fl_model_nparams(g->base), sites;
	double eps = 0, order = 0;
	int rc, bad = 0;

	*out = NULL;
	/* A quorum: a round from too few sites says too much about each. */
	if (g->o.min_updates > 0 && g->count < (size_t)g->o.min_updates)
		return fl_err_set(err, FL_EFORMAT, "%zu update%s, fewer than "
		    "--min-updates %ld; no model written", g->count,
		    g->count == 1 ? "" : "s", g->o.min_updates);
	if (g->count == 0)
		return fl_err_set(err, FL_EUSAGE, "no updates to aggregate");
	if (g->o.dp_noise > 0 && (rc = account(g, &eps, &order, err)) < 0)
		return rc;
	if (IS_ROBUST(s))
		d = malloc(n * sizeof(float) + 1);
	chosen = calloc(g->count, sizeof(int));
	if (s->moments >= 1)
		m = malloc(n * sizeof(float) + 1);
	if (s->moments >= 2)
		v = malloc(n * sizeof(float) + 1);
	if (g->dc != NULL || g->c0 != NULL)
		c = malloc(n * sizeof(float) + 1);
	if (g->bspool < 0)
		model = fl_model_dup(g->base);
	if ((IS_ROBUST(s) && d == NULL) || chosen == NULL ||
	    (g->bspool < 0 && model == NULL) ||
	    (s->moments >= 1 && m == NULL) ||
	    (s->moments >= 2 && v == NULL) ||
	    ((g->dc != NULL || g->c0 != NULL) && c == NULL)) {
		rc = fl_err_set(err, FL_ENOMEM, "out of memory");
		goto out;
	}
	if (g->bspool >= 0) {
		/* The base waits in a file; the model takes the sum's place. */
		if ((rc = fl_agg_finish_inplace(g, &own, m, v, &bad,
		    err)) < 0)
			goto out;
	} else {
		p = fl_model_params(model);
		if ((rc = combine(g, d, p, m, v, chosen, err)) < 0)
			goto out;
		for (i = 0; i < n; i++) {
			if (d != NULL)
				p[i] = (float)((double)p[i] + d[i]);
			if (!isfinite(p[i]))
				bad = 1;
		}
	}
	/* The sum is spent: give its memory back before the archive is
	 * built. */
	fl_xacc_free(g->acc);
	g->acc = NULL;
	free(d);
	d = NULL;
	/* SCAFFOLD: c += |S|/N * mean(dc) = sum(dc) / N. */
	sites = g->o.population > 0 ? (size_t)g->o.population : g->count;
	for (i = 0; c != NULL && i < n; i++) {
		c[i] = (float)((g->c0 != NULL ? g->c0[i] : 0) +
		    (g->dc != NULL ? fl_xacc_get(g->dc, i) / (double)sites : 0));
		if (!isfinite(c[i]))
			bad = 1;
	}
	if (bad) {
		rc = fl_err_set(err, FL_ENUM, "aggregated model overflows "
		    "(a parameter is not finite)");
		goto out;
	}
	if (own != NULL) {
		rc = fl_model_to_archive_with(g->base, FL_KIND_MODEL, own, out,
		    err);
		own = NULL;	/* the archive's now */
		if (rc < 0)
			goto out;
	}
	if ((own == NULL && model != NULL && (rc = fl_model_to_archive(model,
	    FL_KIND_MODEL, out, err)) < 0) ||
	    (m != NULL && (rc = fl_archive_add_state(*out, "fedopt_m", m, n,
	    err)) < 0) ||
	    (v != NULL && (rc = fl_archive_add_state(*out, "fedopt_v", v, n,
	    err)) < 0) ||
	    (c != NULL && (rc = fl_archive_add_state(*out, "scaffold_c", c, n,
	    err)) < 0))
		goto out;
	man = fl_archive_manifest(*out);
	sp = strategy_params(g, chosen);
	if (g->o.dp_noise > 0)
		pj = privacy_json(g, eps, order);
	if (sp == NULL || (g->o.dp_noise > 0 && pj == NULL) ||
	    json_object_set_new(man, "round",
	    json_integer(g->base_round + 1)) < 0 ||
	    json_object_set_new(man, "parent", json_string(g->base_id)) < 0 ||
	    json_object_set_new(man, "site", json_null()) < 0 ||
	    json_object_set_new(man, "samples",
	    json_integer((json_int_t)g->samples)) < 0 ||
	    json_object_set_new(man, "strategy",
	    json_string(s->name)) < 0 ||
	    json_object_set(man, "strategy_params", sp) < 0 ||
	    (pj != NULL && json_object_set(man, "privacy", pj) < 0) ||
	    json_object_set(man, "contributors", g->contributors) < 0 ||
	    (g->partials > 0 && json_object_set(man, "partials",
	    g->partial_list) < 0) ||
	    fl_history_append(g->history, g->base_round, g->base_id,
	    s->name, g->contributors) < 0 ||
	    json_object_set(man, "history", g->history) < 0) {
		rc = fl_err_set(err, FL_ENOMEM, "out of memory");
		goto out;
	}
	rc = 0;
out:
	if (rc < 0) {
		fl_archive_free(*out);
		*out = NULL;
	}
	json_decref(sp);
	json_decref(pj);
	fl_model_free(model);
	free(own);
	free(d);
	free(m);
	free(v);
	free(c);
	free(chosen);
	return rc;
}

void
fl_agg_free(struct fl_agg *g)
{
	if (g == NULL)
		return;
	if (g->spool >= 0)
		close(g->spool);
	if (g->bspool >= 0)
		close(g->bspool);
	free(g->st.route);
	free(g->base_id);
	json_decref(g->ref);
	json_decref(g->contributors);
	json_decref(g->history);
	json_decref(g->sites);
	json_decref(g->partial_list);
	fl_xacc_free(g->acc);
	free(g->scratch);
	free(g->gather);
	fl_xacc_free(g->dc);
	free(g->c0);
	free(g->m0);
	free(g->v0);
	free(g->rdp);
	free(g);
}
