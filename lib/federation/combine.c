/*
 * combine.c: what fl-aggregate combines, decided by the archives
 * themselves: updates into the next model (lib/federation/aggregate.c, with the
 * survival baseline of lib/train/cox.c), stats archives into pooled statistics
 * (lib/stats/stats.c), or metrics archives into federated metrics
 * (lib/stats/fedeval.c).  The tool (cmd/fl-aggregate.c, man/fl-aggregate.1)
 * reads the inputs and writes the result.
 */
#include <stdlib.h>
#include <string.h>

#include "federation/federation.h"
#include "strategy_int.h"

struct fl_combine {
	char			*strategy;
	struct fl_agg_opts	 opts;
	const struct fl_trust	*trust;		/* borrowed; NULL: none */
	struct fl_archive	*base_a;	/* the base model's archive */
	char			 base_id[80];	/* its id, kept after it */
	struct fl_model		*base;
	struct fl_agg		*agg;
	struct fl_baseline	*bl;		/* survival: lib/federation/baseline.c */
	struct fl_stats		*stats;		/* merged statistics */
	json_t			*contributors;	/* of the stats */
	json_t			*sites;		/* stats: site names seen */
	json_t			*ids;		/* every archive id seen */
	uint64_t		 cap;		/* an update's tensor bytes */
	struct fl_fedeval	*metrics;	/* merged metrics (fedeval) */
	int			 partial;	/* write a partial, not a model */
	struct fl_secagg	*sec;		/* masked updates (secagg.c) */
	int			 plain;		/* a plain update was added */
	struct fl_newton	*nw;		/* --strategy newton, else NULL */
};

/* An empty combiner: the first archive added will set its mode. */
int
fl_combine_new(struct fl_combine **cp, const char *strategy,
    const struct fl_agg_opts *o, const struct fl_trust *t,
    struct fl_err *err)
{
	struct fl_combine *c;

	*cp = NULL;
	if ((c = calloc(1, sizeof(*c))) == NULL ||
	    (c->strategy = strdup(strategy)) == NULL) {
		free(c);
		return fl_err_set(err, FL_ENOMEM, "out of memory");
	}
	c->opts = *o;
	c->trust = t;
	if ((c->sites = json_object()) == NULL ||
	    (c->ids = json_object()) == NULL) {
		fl_combine_free(c);
		return fl_err_set(err, FL_ENOMEM, "out of memory");
	}
	*cp = c;
	return 0;
}

/* Free c and all it holds, the base model's archive included. */
void
fl_combine_free(struct fl_combine *c)
{
	if (c == NULL)
		return;
	fl_archive_free(c->base_a);
	fl_model_free(c->base);
	fl_agg_free(c->agg);
	fl_baseline_free(c->bl);
	fl_stats_free(c->stats);
	json_decref(c->contributors);
	json_decref(c->sites);
	json_decref(c->ids);
	fl_fedeval_free(c->metrics);
	fl_secagg_free(c->sec);
	fl_newton_free(c->nw);
	free(c->strategy);
	free(c);
}

/* Make a the base model (it was read first, or from --model); c owns a
 * from here on. */
static int
take_base(struct fl_combine *c, struct fl_archive *a, const char *name,
    struct fl_err *err)
{
	struct fl_tensor t;
	int64_t round;
	size_t i;
	int rc, state;

	c->base_a = a;
	snprintf(c->base_id, sizeof(c->base_id), "%s", fl_archive_id(a) !=
	    NULL ? fl_archive_id(a) : "");
	if ((rc = fl_update_max_bytes(a, &c->cap, err)) < 0)
		return rc;
	/* Without state vectors the archive's tensors are the parameters
	 * alone, and the model may take their buffer instead of a copy. */
	for (i = 0, state = 0; i < fl_archive_ntensors(a); i++) {
		fl_archive_tensor(a, i, &t);
		state |= strncmp(t.name, "state/", 6) == 0;
	}
	if ((rc = !state && strcmp(c->strategy, "newton") != 0 ?
	    fl_model_from_archive_take(&c->base, a, err) :
	    fl_model_from_archive(&c->base, a, err)) < 0 ||
	    (rc = fl_json_get_int(fl_archive_manifest(a), "round", &round,
	    err)) < 0)
		return fl_err_prefix(err, "%s", name);
	if (round < 0 || round > 1000000000)
		return fl_err_set(err, FL_EFORMAT, "%s: bad round %lld", name,
		    (long long)round);
	if ((rc = fl_agg_new(&c->agg, c->base, fl_archive_id(a), (int)round,
	    c->strategy, err)) < 0 ||
	    (rc = fl_agg_configure(c->agg, &c->opts, a, err)) < 0)
		return rc == FL_EUSAGE ? rc : fl_err_prefix(err, "%s", name);
	if ((rc = fl_agg_set_history(c->agg, json_object_get(
	    fl_archive_manifest(a), "history"), err)) < 0)
		return fl_err_prefix(err, "%s", name);
	/* Newton rounds: lib/federation/newton.c. */
	if (strcmp(c->strategy, "newton") == 0 &&
	    (rc = fl_newton_new(&c->nw, c->base, a, &c->opts, err)) < 0)
		return rc == FL_EUSAGE ? rc : fl_err_prefix(err, "%s", name);
	/* Survival hook: sum the updates' baseline tables (lib/train/cox.c). */
	if ((rc = fl_baseline_new(&c->bl, c->base, fl_archive_id(a),
	    err)) < 0)
		return rc;
	/* Everything needed is copied out (the model, its state, history
	 * and id): the archive's tensors would be a second copy of the
	 * model held all through the round. */
	fl_archive_free(c->base_a);
	c->base_a = NULL;
	/* A streaming round (stream.c) holds the sum only: the base's
	 * parameters wait in a file (a partial never needs them). */
	if (c->nw == NULL && fl_agg_inplace(c->agg)) {
		if (!c->partial && (rc = fl_agg_spool_base(c->agg, err)) < 0)
			return rc;
		free(fl_model_take_params(c->base));
	}
	return 0;
}

/* The sink's begin (format.h): stream an update or a partial into the
 * round's sums when fl_combine_add would give it to fl_agg_add or
 * fl_agg_add_partial; anything else is read whole. */
static int
combine_begin(void *ctx, const struct fl_archive *a, struct fl_err *err)
{
	struct fl_combine *c = ctx;
	enum fl_kind k = fl_archive_kind(a);

	if (c->agg == NULL || c->nw != NULL || c->sec != NULL ||
	    !fl_agg_streams(c->agg))
		return 0;
	if ((k == FL_KIND_UPDATE && !fl_update_is_masked(a)) ||
	    (k == FL_KIND_PARTIAL && c->bl == NULL))
		return fl_agg_stream_begin(c->agg, a, err);
	return 0;
}

static int
combine_data(void *ctx, size_t t, size_t at, const void *p, size_t n,
    struct fl_err *err)
{
	struct fl_combine *c = ctx;
	struct fl_sink s;

	fl_agg_sink(c->agg, &s);
	return s.data(s.ctx, t, at, p, n, err);
}

void
fl_combine_sink(struct fl_combine *c, struct fl_sink *s)
{
	s->begin = combine_begin;
	s->data = combine_data;
	s->ctx = c;
}

/* The most tensor bytes an update may declare once the base model is
 * known (fl_update_max_bytes), else 0.  A partial holds up to four I64
 * vectors (the sums and SCAFFOLD's, each with high words): four times
 * what an update may. */
uint64_t
fl_combine_max_bytes(const struct fl_combine *c)
{
	return c->cap > UINT64_MAX / 4 ? UINT64_MAX : 4 * c->cap;
}

void
fl_combine_set_partial(struct fl_combine *c)
{
	c->partial = 1;
}

/* The base model given apart from the inputs: trusted, and a model. */
int
fl_combine_base(struct fl_combine *c, struct fl_archive *a, const char *name,
    struct fl_err *err)
{
	int rc;

	if (c->trust != NULL &&
	    (rc = fl_archive_trusted(a, c->trust, name, NULL, err)) < 0) {
		fl_archive_free(a);
		return rc;
	}
	if (fl_archive_kind(a) != FL_KIND_MODEL) {
		rc = fl_err_set(err, FL_EFORMAT, "%s: %s %s archive, not a "
		    "model", name, fl_article(fl_kind_name(fl_archive_kind(a))),
		    fl_kind_name(fl_archive_kind(a)));
		fl_archive_free(a);
		return rc;
	}
	return take_base(c, a, name, err);
}

/* Count site once among the statistics merged: a second is refused. */
static int
stats_site(struct fl_combine *c, const char *site, const char *name,
    struct fl_err *err)
{
	if (!fl_name_ok(site))
		return fl_err_set(err, FL_EFORMAT, "%s: a contributor's site is "
		    "not a site name", name);
	if (json_object_get(c->sites, site) != NULL)
		return fl_err_set(err, FL_EFORMAT, "%s: statistics of site "
		    "'%s' are in the merge twice", name, site);
	if (json_object_set_new(c->sites, site, json_true()) < 0)
		return fl_err_set(err, FL_ENOMEM, "out of memory");
	return 0;
}

/* Merge one stats archive into c->stats. */
static int
add_stats(struct fl_combine *c, const struct fl_archive *a, const char *name,
    struct fl_err *err)
{
	struct fl_stats *st;
	json_int_t rows;
	json_t *e;
	const char *site;
	size_t i;
	int rc;

	if (fl_archive_kind(a) != FL_KIND_STATS)
		return fl_err_set(err, FL_EFORMAT, "%s: %s %s archive among "
		    "stats archives", name,
		    fl_article(fl_kind_name(fl_archive_kind(a))),
		    fl_kind_name(fl_archive_kind(a)));
	if ((rc = fl_archive_site(a, &site, err)) < 0)
		return fl_err_prefix(err, "%s", name);
	/* A site's statistics count for it; a merge, for those it lists. */
	if (site != NULL && (rc = stats_site(c, site, name, err)) < 0)
		return rc;
	json_array_foreach(site == NULL ? json_object_get(
	    fl_archive_manifest((struct fl_archive *)a), "contributors") :
	    NULL, i, e)
		if ((rc = stats_site(c, json_string_value(json_object_get(e,
		    "site")), name, err)) < 0)
			return rc;
	if ((rc = fl_stats_from_archive(&st, a, err)) < 0)
		return fl_err_prefix(err, "%s", name);
	rows = (json_int_t)fl_stats_rows(st);
	if (c->stats == NULL) {
		c->stats = st;
		c->contributors = json_array();
	} else {
		rc = fl_stats_merge(c->stats, st, err);
		fl_stats_free(st);
		if (rc < 0)
			return fl_err_prefix(err, "%s", name);
	}
	e = json_pack("{s:s, s:O?, s:I}", "id", fl_archive_id(a), "site",
	    json_object_get(fl_archive_manifest((struct fl_archive *)a),
	    "site"), "samples", rows);
	if (e == NULL || json_array_append_new(c->contributors, e) < 0)
		return fl_err_set(err, FL_ENOMEM, "out of memory");
	return 0;
}

/* Metrics-merge mode: merge one metrics archive (lib/stats/fedeval.c). */
static int
add_metrics(struct fl_combine *c, const struct fl_archive *a,
    const char *name, struct fl_err *err)
{
	struct fl_fedeval *e;
	int rc;

	const char *site;

	if (fl_archive_kind(a) != FL_KIND_METRICS)
		return fl_err_set(err, FL_EFORMAT, "%s: %s %s archive among "
		    "metrics archives", name,
		    fl_article(fl_kind_name(fl_archive_kind(a))),
		    fl_kind_name(fl_archive_kind(a)));
	if ((rc = fl_archive_site(a, &site, err)) < 0 ||
	    (rc = fl_fedeval_from_archive(&e, a, err)) < 0)
		return fl_err_prefix(err, "%s", name);
	if (c->metrics == NULL) {
		c->metrics = e;
		return 0;
	}
	if ((rc = fl_fedeval_merge(c->metrics, e, err)) < 0)
		fl_err_prefix(err, "%s", name);
	fl_fedeval_free(e);
	return rc;
}

/* A masked update or a recovery archive, for the secure sum. */
static int
add_masked(struct fl_combine *c, const struct fl_archive *a,
    const char *name, const struct fl_pubkey *signer, struct fl_err *err)
{
	const struct fl_strategy *s = fl_strategy_find(c->strategy);
	int rc;

	if (s != NULL && s->robust)
		return fl_err_set(err, FL_EUSAGE, "%s: a masked update shows "
		    "the coordinator only the sum of the round; %s needs each "
		    "update (use fedavg or a server optimizer)", name,
		    s->name);
	if (c->opts.clip > 0 || c->opts.dp_noise > 0)
		return fl_err_set(err, FL_EUSAGE, "%s: central DP (--clip, "
		    "--dp-noise) needs each update; it is not supported with "
		    "masked updates", name);
	if (c->nw != NULL)
		return fl_err_set(err, FL_EUSAGE, "%s: a masked update in a "
		    "Newton round (masks cover deltas, not scores and "
		    "information)", name);
	if (c->plain)
		return fl_err_set(err, FL_EFORMAT, "%s: a masked update among "
		    "plain ones", name);
	if (c->sec == NULL && (rc = fl_secagg_new(&c->sec, c->base,
	    c->base_id, fl_agg_round(c->agg), err)) < 0)
		return rc;
	return fl_secagg_add(c->sec, a, name, signer != NULL ? signer->keyid :
	    NULL, err);
}

int
fl_combine_request(struct fl_combine *c, struct fl_archive **req,
    struct fl_err *err)
{
	*req = NULL;
	return c->sec != NULL ? fl_secagg_request(c->sec, req, err) : 0;
}

/* Record the masked round in the model's manifest and history entry. */
static int
masked_finish(struct fl_combine *c, struct fl_archive **out,
    struct fl_err *err)
{
	json_t *rec, *h;
	int rc;

	if ((rc = fl_secagg_finish(c->sec, c->agg, &rec, err)) < 0)
		return rc;
	if ((rc = fl_agg_finish(c->agg, out, err)) < 0) {
		json_decref(rec);
		return rc;
	}
	h = json_object_get(fl_archive_manifest(*out), "history");
	rc = json_object_set(fl_archive_manifest(*out), "masked", rec) < 0 ||
	    json_object_set(json_array_get(h, json_array_size(h) - 1),
	    "masked", rec) < 0;
	json_decref(rec);
	return rc ? fl_err_set(err, FL_ENOMEM, "out of memory") : 0;
}

/*
 * The first archive decides the mode: metrics archives are merged, a
 * model becomes the base for the updates that follow, stats archives are
 * merged; an update with no model before it is the caller's mistake.
 */
int
fl_combine_add(struct fl_combine *c, struct fl_archive **ap,
    const char *name, struct fl_err *err)
{
	const struct fl_pubkey *signer = NULL;
	struct fl_archive *a = *ap;
	int rc;

	if (c->trust != NULL &&
	    (rc = fl_archive_trusted(a, c->trust, name, &signer, err)) < 0)
		return rc;
	/* The same archive twice is a replay or a mistake, whatever it is. */
	if (fl_archive_id(a) == NULL)
		return fl_err_set(err, FL_EFORMAT, "%s: an archive without an "
		    "id (not read, nor written)", name);
	if (json_object_get(c->ids, fl_archive_id(a)) != NULL)
		return fl_err_set(err, FL_EFORMAT, "%s: archive %.16s... is "
		    "given twice", name, fl_archive_id(a));
	if (json_object_set_new(c->ids, fl_archive_id(a), json_true()) < 0)
		return fl_err_set(err, FL_ENOMEM, "out of memory");
	if (c->metrics != NULL || (c->agg == NULL && c->stats == NULL &&
	    fl_archive_kind(a) == FL_KIND_METRICS))
		return add_metrics(c, a, name, err);
	if (c->agg == NULL && c->stats == NULL) {
		if (fl_archive_kind(a) == FL_KIND_MODEL) {
			*ap = NULL;
			return take_base(c, a, name, err);
		}
		if (fl_archive_kind(a) != FL_KIND_STATS)
			return fl_err_set(err, FL_EUSAGE, "%s: no model to "
			    "apply the %s to; give --model", name,
			    fl_kind_name(fl_archive_kind(a)));
	}
	if (c->agg != NULL && fl_archive_kind(a) == FL_KIND_PARTIAL &&
	    c->nw != NULL)
		return fl_err_set(err, FL_EUSAGE, "%s: Newton rounds sum each "
		    "site's score and information; they take no partials",
		    name);
	if (c->agg != NULL && fl_archive_kind(a) == FL_KIND_PARTIAL &&
	    c->sec != NULL)
		return fl_err_set(err, FL_EUSAGE, "%s: a partial among masked "
		    "updates (masked rounds are summed flat)", name);
	if (c->agg != NULL && fl_archive_kind(a) == FL_KIND_PARTIAL) {
		c->plain = 1;	/* masked updates after it are refused */
		return c->bl != NULL ? fl_err_set(err, FL_EUSAGE, "%s: "
		    "partial sums of a survival model with a time grid are "
		    "not supported (its baseline tables are not summed)",
		    name) : fl_agg_add_partial(c->agg, a, name,
		    signer != NULL ? signer->keyid : NULL, err);
	}
	if (c->agg != NULL && (fl_update_is_masked(a) ||
	    fl_archive_kind(a) == FL_KIND_RECOVERY))
		return (rc = add_masked(c, a, name, signer, err)) < 0 ||
		    fl_archive_kind(a) == FL_KIND_RECOVERY ? rc :
		    fl_baseline_add(c->bl, a, name, err);
	if (c->agg != NULL && c->sec != NULL &&
	    fl_archive_kind(a) == FL_KIND_UPDATE)
		return fl_err_set(err, FL_EFORMAT, "%s: a plain update among "
		    "masked ones", name);
	c->plain |= c->agg != NULL;
	if (c->agg != NULL)
		return (rc = fl_newton_add(c->nw, a, name, err)) < 0 ||
		    (rc = fl_agg_add(c->agg, a, name,
		    signer != NULL ? signer->keyid : NULL, err)) < 0 ? rc :
		    fl_baseline_add(c->bl, a, name, err);
	return add_stats(c, a, name, err);
}

/* The merged statistics as an archive. */
static int
stats_result(struct fl_combine *c, struct fl_archive **out,
    struct fl_err *err)
{
	json_t *man;
	int rc;

	if ((rc = fl_stats_to_archive(c->stats, out, err)) < 0)
		return rc;
	man = fl_archive_manifest(*out);
	if (json_object_set(man, "contributors", c->contributors) < 0 ||
	    json_object_set_new(man, "samples",
	    json_integer((json_int_t)fl_stats_rows(c->stats))) < 0)
		return fl_err_set(err, FL_ENOMEM, "out of memory");
	return 0;
}

/* The result of the mode the first archive set, as a new archive. */
int
fl_combine_finish(struct fl_combine *c, struct fl_archive **out,
    struct fl_err *err)
{
	int rc;

	*out = NULL;
	if (c->partial && c->agg == NULL)
		rc = fl_err_set(err, FL_EUSAGE, "--partial sums updates; %s",
		    c->stats != NULL || c->metrics != NULL ? "statistics and "
		    "metrics archives are merged whole" : "no updates given");
	else if (c->partial && c->bl != NULL)
		rc = fl_err_set(err, FL_EUSAGE, "--partial: partial sums of a "
		    "survival model with a time grid are not supported");
	else if (c->partial && c->nw != NULL)
		rc = fl_err_set(err, FL_EUSAGE, "--partial: Newton rounds sum "
		    "each site's score and information, not partial sums");
	else if (c->partial && c->sec != NULL)
		rc = fl_err_set(err, FL_EUSAGE, "--partial: masked updates are "
		    "summed flat, at the root (no partial sums of masks)");
	else if (c->partial)
		rc = fl_agg_finish_partial(c->agg, out, err);
	else if (c->agg != NULL) {
		if ((rc = c->sec != NULL ? masked_finish(c, out, err) :
		    fl_agg_finish(c->agg, out, err)) == 0 &&
		    (rc = fl_baseline_finish(c->bl, fl_archive_manifest(
		    *out), err)) == 0)
			rc = fl_newton_finish(c->nw, out, err);
	} else if (c->stats != NULL)
		rc = stats_result(c, out, err);
	else if (c->metrics != NULL)
		rc = fl_fedeval_to_archive(c->metrics, out, err);
	else
		rc = fl_err_set(err, FL_EFORMAT, "no archives to aggregate");
	if (rc < 0) {
		fl_archive_free(*out);
		*out = NULL;
	}
	return rc;
}
