/*
 * coalition.c: the aggregate of any subset of one round's updates, for
 * fl-value (man/fl-value.1).  Each update is checked by fl_agg_add, as
 * fl-aggregate checks it, then bound once and its delta kept; a
 * coalition's model is the strategy's combination of its members' deltas
 * computed as lib/federation/aggregate.c computes it (the same sums in the
 * same order, the strategy table's server step, lib/federation/robust.c's
 * robust rules), so that the coalition of all updates is bit for bit the
 * model fl-aggregate writes.
 */
#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "federation/federation.h"
#include "federation/exact_int.h"
#include "strategy_int.h"

struct fl_coalition {
	struct fl_model		*base;
	char			*base_id;
	int64_t			 round;
	const struct fl_strategy *s;
	struct fl_agg_opts	 o;		/* resolved */
	struct fl_agg		*check;		/* fl_agg_add's checks */
	size_t			 nparams, n, cap;
	float			**delta;	/* (n) deltas of nparams */
	double			*scale;		/* (n) clip factors */
	int64_t			*samples;	/* (n) */
	char			**site, **id;	/* (n) */
	float			*m0, *v0;	/* the base's moments, or NULL */
	float			*m, *v, *d;	/* (nparams) scratch */
	struct fl_xacc		*acc;		/* (nparams), exact as fl_agg's */
	int			 spool;		/* robust: the members' deltas */
};

void
fl_coalition_free(struct fl_coalition *c)
{
	size_t i;

	if (c == NULL)
		return;
	for (i = 0; i < c->n; i++) {
		free(c->delta[i]);
		free(c->site[i]);
		free(c->id[i]);
	}
	free(c->delta);
	free(c->site);
	free(c->id);
	free(c->scale);
	free(c->samples);
	free(c->m0);
	free(c->v0);
	free(c->m);
	free(c->v);
	free(c->d);
	fl_xacc_free(c->acc);
	if (c->spool >= 0)
		close(c->spool);
	fl_agg_free(c->check);
	fl_model_free(c->base);
	free(c->base_id);
	free(c);
}

/* Copy state name of a (n values) into *dst when present. */
static int
copy_state(const struct fl_archive *a, const char *name, size_t n,
    float **dst, struct fl_err *err)
{
	const float *v;
	int rc;

	if ((rc = fl_archive_state(a, name, n, &v, err)) <= 0)
		return rc;
	if ((*dst = malloc(n * sizeof(float) + 1)) == NULL)
		return fl_err_set(err, FL_ENOMEM, "out of memory");
	memcpy(*dst, v, n * sizeof(float));
	return 0;
}

int
fl_coalition_new(struct fl_coalition **cp, const struct fl_archive *a,
    const char *name, const char *strategy, const struct fl_agg_opts *opt,
    struct fl_err *err)
{
	json_t *man = fl_archive_manifest((struct fl_archive *)a);
	const json_t *priv = json_object_get(man, "privacy");
	struct fl_coalition *c;
	size_t n;
	int rc;

	*cp = NULL;
	if (opt->dp_noise > 0)
		return fl_err_set(err, FL_EUSAGE, "a coalition's aggregate "
		    "is defined without central DP noise");
	if (strategy != NULL && strcmp(strategy, "newton") == 0)
		return fl_err_set(err, FL_EUSAGE, "--strategy newton is not "
		    "valued: a Newton round's model is a step from the sites' "
		    "summed information, not a mean of deltas");
	if (fl_archive_kind(a) != FL_KIND_MODEL)
		return fl_err_set(err, FL_EFORMAT, "%s: %s %s archive, not a "
		    "model", name, fl_article(fl_kind_name(fl_archive_kind(a))),
		    fl_kind_name(fl_archive_kind(a)));
	if (priv != NULL && !json_is_null(priv))
		return fl_err_set(err, FL_EUSAGE, "%s: the model was made "
		    "under central DP; its rounds cannot be valued (a "
		    "coalition's noise would swamp its value)", name);
	if ((c = calloc(1, sizeof(*c))) == NULL)
		return fl_err_set(err, FL_ENOMEM, "out of memory");
	c->spool = -1;
	if ((rc = fl_model_from_archive(&c->base, a, err)) < 0 ||
	    (rc = fl_json_get_int(man, "round", &c->round, err)) < 0) {
		fl_err_prefix(err, "%s", name);
		goto fail;
	}
	if (c->round < 0 || c->round > 1000000000) {
		rc = fl_err_set(err, FL_EFORMAT, "%s: bad round %lld", name,
		    (long long)c->round);
		goto fail;
	}
	n = c->nparams = fl_model_nparams(c->base);
	c->base_id = strdup(fl_archive_id(a) != NULL ? fl_archive_id(a) : "");
	if ((rc = fl_agg_new(&c->check, c->base, c->base_id, (int)c->round,
	    strategy, err)) < 0 ||
	    (rc = fl_agg_configure(c->check, opt, a, err)) < 0)
		goto fail;
	c->s = fl_strategy_find(strategy);
	c->o = *opt;
	fl_strategy_resolve(c->s, &c->o);
	if ((rc = copy_state(a, "fedopt_m", n, &c->m0, err)) < 0 ||
	    (rc = copy_state(a, "fedopt_v", n, &c->v0, err)) < 0) {
		fl_err_prefix(err, "%s", name);
		goto fail;
	}
	c->m = malloc(n * sizeof(float) + 1);
	c->v = malloc(n * sizeof(float) + 1);
	c->d = malloc(n * sizeof(float) + 1);
	if (c->base_id == NULL || c->m == NULL || c->v == NULL ||
	    c->d == NULL) {
		rc = fl_err_set(err, FL_ENOMEM, "out of memory");
		goto fail;
	}
	if ((rc = fl_xacc_new(&c->acc, n, err)) < 0)
		goto fail;
	*cp = c;
	return 0;
fail:
	fl_coalition_free(c);
	return rc;
}

int
fl_coalition_add(struct fl_coalition *c, const struct fl_archive *u,
    const char *name, struct fl_err *err)
{
	json_t *man = fl_archive_manifest((struct fl_archive *)u);
	const float *p;
	float *buf = NULL;
	const char *site;
	double norm = 0;
	size_t i, k = c->n, cap;
	void *t;
	int rc;

	if (c->n == FL_COALITION_MAX)
		return fl_err_set(err, FL_EUSAGE, "%s: more than %d updates "
		    "in round %lld", name, FL_COALITION_MAX,
		    (long long)c->round);
	/* Every check of fl-aggregate: kind, parent, round, model, samples,
	 * finite values, one update per site. */
	if ((rc = fl_agg_add(c->check, u, name, NULL, err)) < 0)
		return rc;
	if (k == c->cap) {
		cap = c->cap == 0 ? 8 : 2 * c->cap;
		if ((t = realloc(c->delta, cap * sizeof(float *))) == NULL)
			return fl_err_set(err, FL_ENOMEM, "out of memory");
		c->delta = t;
		if ((t = realloc(c->site, cap * sizeof(char *))) == NULL)
			return fl_err_set(err, FL_ENOMEM, "out of memory");
		c->site = t;
		if ((t = realloc(c->id, cap * sizeof(char *))) == NULL)
			return fl_err_set(err, FL_ENOMEM, "out of memory");
		c->id = t;
		if ((t = realloc(c->scale, cap * sizeof(double))) == NULL)
			return fl_err_set(err, FL_ENOMEM, "out of memory");
		c->scale = t;
		if ((t = realloc(c->samples, cap * sizeof(int64_t))) == NULL)
			return fl_err_set(err, FL_ENOMEM, "out of memory");
		c->samples = t;
		c->cap = cap;
	}
	if ((rc = fl_archive_params(u, c->base, &buf, &p, err)) < 0)
		return fl_err_prefix(err, "%s", name);
	c->delta[k] = malloc(c->nparams * sizeof(float) + 1);
	fl_archive_site(u, &site, NULL);
	c->site[k] = strdup(site);
	c->id[k] = strdup(fl_archive_id(u) != NULL ? fl_archive_id(u) : "");
	fl_json_get_int(man, "samples", &c->samples[k], NULL);
	if (c->delta[k] == NULL || c->site[k] == NULL || c->id[k] == NULL) {
		free(c->delta[k]);
		free(c->site[k]);
		free(c->id[k]);
		free(buf);
		return fl_err_set(err, FL_ENOMEM, "out of memory");
	}
	memcpy(c->delta[k], p, c->nparams * sizeof(float));
	free(buf);
	/* The clip bound, as aggregate.c applies it: scale down, never up. */
	for (i = 0; i < c->nparams; i++)
		norm += (double)c->delta[k][i] * c->delta[k][i];
	norm = sqrt(norm);
	c->scale[k] = c->o.clip > 0 && norm > c->o.clip ? c->o.clip / norm :
	    1;
	c->n++;
	return 0;
}

size_t
fl_coalition_count(const struct fl_coalition *c)
{
	return c->n;
}

const char *
fl_coalition_site(const struct fl_coalition *c, size_t i)
{
	return i < c->n ? c->site[i] : NULL;
}

const char *
fl_coalition_update_id(const struct fl_coalition *c, size_t i)
{
	return i < c->n ? c->id[i] : NULL;
}

int64_t
fl_coalition_samples(const struct fl_coalition *c, size_t i)
{
	return i < c->n ? c->samples[i] : 0;
}

const struct fl_model *
fl_coalition_base(const struct fl_coalition *c)
{
	return c->base;
}

const char *
fl_coalition_base_id(const struct fl_coalition *c)
{
	return c->base_id;
}

int64_t
fl_coalition_round(const struct fl_coalition *c)
{
	return c->round;
}

/* Write the members' scaled deltas, one after another, into the spool. */
static int
spool_members(struct fl_coalition *c, const unsigned char *in, size_t *m,
    struct fl_err *err)
{
	const char *dir = getenv("TMPDIR");
	char path[4096];
	size_t k, i, want = c->nparams * sizeof(float), got;
	off_t off = 0;
	ssize_t r;

	if (c->spool < 0) {
		snprintf(path, sizeof(path), "%s/fl-value.XXXXXX",
		    dir != NULL && *dir != '\0' ? dir : "/tmp");
		if ((c->spool = mkstemp(path)) < 0)
			return fl_err_set(err, FL_EIO, "%s: %s", path,
			    strerror(errno));
		unlink(path);
	}
	*m = 0;
	for (k = 0; k < c->n; k++) {
		if (!in[k])
			continue;
		for (i = 0; i < c->nparams; i++)
			c->d[i] = (float)(c->scale[k] * c->delta[k][i]);
		for (got = 0; got < want; got += (size_t)r) {
			r = pwrite(c->spool, (const char *)c->d + got,
			    want - got, off + (off_t)got);
			if (r < 0 && errno == EINTR) {
				r = 0;
				continue;
			}
			if (r <= 0)
				return fl_err_set(err, FL_EIO, "spool: write: "
				    "%s", r < 0 ? strerror(errno) :
				    "no space");
		}
		off += (off_t)want;
		(*m)++;
	}
	return 0;
}

int
fl_coalition_params(struct fl_coalition *c, const unsigned char *in,
    float *params, int *refused, struct fl_err *err)
{
	const float *p0 = fl_model_params_const(c->base);
	const struct fl_agg_opts *o = &c->o;
	size_t i, k, m = 0;
	double w, total = 0, x;
	int rc;

	*refused = 0;
	for (k = 0; k < c->n; k++)
		m += in[k] != 0;
	/* The empty coalition, or one fl-aggregate would refuse, leaves the
	 * model where it was. */
	if (m == 0 || (o->min_updates > 0 && m < (size_t)o->min_updates)) {
		*refused = m > 0;
		memcpy(params, p0, c->nparams * sizeof(float));
		return 0;
	}
	if (c->s->robust) {
		if ((rc = spool_members(c, in, &m, err)) < 0)
			return rc;
		rc = fl_robust_combine(c->spool, m, c->nparams, o->chunk,
		    c->s->kind, o->trim, o->byzantine, o->select, c->d, NULL,
		    err);
		if (rc == FL_EUSAGE) {
			*refused = 1;
			memcpy(params, p0, c->nparams * sizeof(float));
			return 0;
		}
		if (rc < 0)
			return rc;
	} else {
		/* The exact sums fl_agg_add makes (exact_int.h), term for
		 * term: the coalition of all is fl-aggregate's model. */
		fl_xacc_zero(c->acc);
		for (k = 0; k < c->n; k++) {
			if (!in[k])
				continue;
			w = (double)c->samples[k];
			if ((rc = fl_xacc_add(c->acc, 0, c->delta[k], c->nparams,
			    w * c->scale[k], &i, err)) < 0)
				return rc;
			total += w;
		}
		for (i = 0; i < c->nparams; i++) {
			x = fl_xacc_get(c->acc, i) / total;
			if (c->s->step != NULL)
				x = c->s->step(o, i, x, c->m0, c->v0, c->m,
				    c->v);
			c->d[i] = (float)x;
		}
	}
	for (i = 0; i < c->nparams; i++) {
		params[i] = (float)((double)p0[i] + c->d[i]);
		if (!isfinite(params[i]))
			return fl_err_set(err, FL_ENUM, "a coalition's "
			    "aggregate overflows (a parameter is not finite)");
	}
	return 0;
}
