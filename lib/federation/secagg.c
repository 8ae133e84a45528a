/*
 * secagg.c: secure aggregation over files.  A site masks its
 * sample-weighted delta, quantised to integers mod 2^32, with one
 * pairwise mask per other roster site (lib/trust/pairmask.c); the
 * coordinator sums the masked updates mod 2^32, where the masks cancel,
 * and learns only the sum.  When sites drop, the survivors' seeds with
 * them (recovery.c, fl-pack recover) remove the masks left over.  The
 * format is in secagg.h; the threat model and the error bound in fl(7).
 */
#include <math.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/crypto.h>

#include "federation/federation.h"
#include "trust/trust_int.h"
#include "secagg_int.h"
#include "strategy_int.h"

#define LEVELS(n)	((uint32_t)(INT32_MAX / (uint32_t)(n)))

static const char *const describe_keys[] = {
	"model", "features", "label", "preprocess"
};

/* ------------------------------------------------------------------------ */
/* Rosters.                                                                 */

static int
cmp_name(const void *a, const void *b)
{
	return strcmp(((const struct fl_pubkey *)a)->name,
	    ((const struct fl_pubkey *)b)->name);
}

long
fl_roster_find(const struct fl_pubkey *keys, size_t n, const char *site)
{
	size_t i;

	for (i = 0; site != NULL && i < n; i++)
		if (strcmp(keys[i].name, site) == 0)
			return (long)i;
	return -1;
}

int
fl_roster_parse(const json_t *roster, struct fl_pubkey **keysp, size_t *np,
    struct fl_err *err)
{
	struct fl_pubkey *keys;
	const json_t *e;
	const char *site, *keyid, *pub;
	size_t i, j, n = json_array_size(roster);

	*keysp = NULL;
	*np = 0;
	if (!json_is_array(roster) || n < 2 || n > FL_MASK_MAX_ROSTER)
		return fl_err_set(err, FL_EFORMAT, "'mask.roster' is not a "
		    "list of 2 to %d sites", FL_MASK_MAX_ROSTER);
	if ((keys = calloc(n, sizeof(*keys))) == NULL)
		return fl_err_set(err, FL_ENOMEM, "out of memory");
	json_array_foreach(roster, i, e) {
		site = json_string_value(json_object_get(e, "site"));
		keyid = json_string_value(json_object_get(e, "keyid"));
		pub = json_string_value(json_object_get(e, "pub"));
		if (!json_is_object(e) || json_object_size(e) != 3 ||
		    !fl_name_ok(site) || keyid == NULL ||
		    fl_pubkey_from_b64(&keys[i], pub) < 0 ||
		    strcmp(keys[i].keyid, keyid) != 0) {
			free(keys);
			return fl_err_set(err, FL_EFORMAT, "roster entry %zu "
			    "is not {site, keyid, pub} of one key", i);
		}
		snprintf(keys[i].name, sizeof(keys[i].name), "%s", site);
		keys[i].role = FL_ROLE_SITE;
		for (j = 0; j < i; j++)
			if (strcmp(keys[j].name, site) >= 0 ||
			    strcmp(keys[j].keyid, keyid) == 0 ||
			    memcmp(keys[j].seal_pub, keys[i].seal_pub,
			    32) == 0) {
				free(keys);
				return fl_err_set(err, FL_EFORMAT, "roster "
				    "entry %zu ('%s'): not in site order, or "
				    "a site or key given twice", i, site);
			}
	}
	*keysp = keys;
	*np = n;
	return 0;
}

/* The roster's site keys from the folder dir, sorted by name. */
static int
roster_load(const char *dir, struct fl_pubkey **keysp, size_t *np,
    struct fl_err *err)
{
	struct fl_trust *t = NULL;
	struct fl_pubkey *keys;
	const struct fl_pubkey *k;
	size_t i, n = 0;
	int rc;

	*keysp = NULL;
	*np = 0;
	if ((rc = fl_trust_load(&t, dir, err)) < 0)
		return fl_err_prefix(err, "--mask");
	if ((keys = calloc(fl_trust_count(t) + 1, sizeof(*keys))) == NULL) {
		fl_trust_free(t);
		return fl_err_set(err, FL_ENOMEM, "out of memory");
	}
	for (i = 0; (k = fl_trust_at(t, i)) != NULL; i++)
		if (k->role == FL_ROLE_SITE)
			keys[n++] = *k;
	fl_trust_free(t);
	if (n < 2 || n > FL_MASK_MAX_ROSTER) {
		free(keys);
		return fl_err_set(err, FL_EUSAGE, "--mask: %s holds %zu site "
		    "key%s; a roster needs 2 to %d", dir, n, n == 1 ? "" : "s",
		    FL_MASK_MAX_ROSTER);
	}
	qsort(keys, n, sizeof(*keys), cmp_name);
	*keysp = keys;
	*np = n;
	return 0;
}

static json_t *
roster_json(const struct fl_pubkey *keys, size_t n)
{
	char b64[FL_PUB_B64_LEN + 1];
	json_t *r = json_array();
	size_t i;

	for (i = 0; r != NULL && i < n; i++) {
		fl_pubkey_b64(&keys[i], b64);
		if (json_array_append_new(r, json_pack("{s:s, s:s, s:s}",
		    "site", keys[i].name, "keyid", keys[i].keyid, "pub",
		    b64)) < 0) {
			json_decref(r);
			return NULL;
		}
	}
	return r;
}

/* ------------------------------------------------------------------------ */
/* At a site.                                                               */

int
fl_update_is_masked(const struct fl_archive *a)
{
	return fl_archive_kind(a) == FL_KIND_UPDATE &&
	    json_object_get(fl_archive_manifest((struct fl_archive *)a),
	    "mask") != NULL;
}

/* Quantise the sample-weighted delta into q (n): clip, then round
 * stochastically to the grid of step range / levels. */
static int
quantise(const float *delta, size_t n, double samples, double range,
    uint32_t levels, uint64_t seed, uint32_t *q, size_t *clipped,
    struct fl_err *err)
{
	struct fl_rng rng;
	double x, y, f, step = range / levels;
	int64_t v;
	size_t i;

	fl_rng_seed(&rng, seed, "mask-rounding");
	*clipped = 0;
	for (i = 0; i < n; i++) {
		if (!isfinite(delta[i]))
			return fl_err_set(err, FL_ENUM, "update holds %s at "
			    "parameter %zu", isnan(delta[i]) ? "NaN" : "Inf",
			    i);
		x = samples * delta[i];
		if (x > range || x < -range) {
			x = x > 0 ? range : -range;
			(*clipped)++;
		}
		y = x / step;
		f = floor(y);
		v = (int64_t)f + (fl_rng_uniform(&rng) < y - f);
		if (v > (int64_t)levels)
			v = levels;
		if (v < -(int64_t)levels)
			v = -(int64_t)levels;
		q[i] = (uint32_t)v;	/* two's complement, mod 2^32 */
	}
	return 0;
}

int
fl_update_mask(struct fl_archive **updp, const struct fl_model *m,
    const struct fl_seckey *sk, const char *roster, double range,
    uint64_t seed, size_t *clipped, struct fl_err *err)
{
	const struct fl_pubkey *me = fl_seckey_pub(sk);
	const struct fl_param_tensor *pt;
	struct fl_archive *upd = *updp, *out = NULL;
	struct fl_pubkey *keys = NULL;
	unsigned char s[FL_MASK_SEED_LEN];
	char commit[FL_MASK_COMMIT_LEN];
	json_t *man = fl_archive_manifest(upd), *mask = NULL, *commits;
	const char *parent, *site;
	size_t i, n, np = fl_model_nparams(m), nt;
	uint32_t *q = NULL, levels;
	float *buf = NULL;
	const float *delta;
	int64_t round, samples;
	long self;
	void *dst;
	int rc;

	*clipped = 0;
	if (!(range > 0) || !(range <= 1e30))
		return fl_err_set(err, FL_EUSAGE, "--mask-range must be "
		    "positive");
	if ((rc = fl_json_get_str(man, "parent", &parent, err)) < 0 ||
	    (rc = fl_json_get_int(man, "round", &round, err)) < 0 ||
	    (rc = fl_json_get_int(man, "samples", &samples, err)) < 0 ||
	    (rc = fl_json_get_str(man, "site", &site, err)) < 0)
		return rc;
	for (i = 0, nt = fl_archive_ntensors(upd); i < nt; i++) {
		struct fl_tensor t;

		fl_archive_tensor(upd, i, &t);
		if (strncmp(t.name, "state/", 6) == 0)
			return fl_err_set(err, FL_EUSAGE, "--mask: the update "
			    "carries %s, which masks would not cover "
			    "(--scaffold is not supported with --mask)",
			    t.name);
	}
	if ((rc = roster_load(roster, &keys, &n, err)) < 0)
		return rc;
	if ((self = fl_roster_find(keys, n, site)) < 0 ||
	    strcmp(keys[self].keyid, me->keyid) != 0) {
		rc = fl_err_set(err, FL_EUSAGE, "--mask: %s has no key %s "
		    "for site '%s' (the --key %s)", roster, me->keyid, site,
		    me->name);
		goto out;
	}
	levels = LEVELS(n);
	if ((rc = fl_archive_params(upd, m, &buf, &delta, err)) < 0)
		goto out;
	if ((q = malloc(np * sizeof(*q) + 1)) == NULL) {
		rc = fl_err_set(err, FL_ENOMEM, "out of memory");
		goto out;
	}
	if ((rc = quantise(delta, np, (double)samples, range, levels, seed, q,
	    clipped, err)) < 0)
		goto out;
	commits = json_object();
	mask = json_pack("{s:s, s:f, s:I, s:o, s:o}", "scheme",
	    FL_MASK_SCHEME, "range", range, "levels", (json_int_t)levels,
	    "roster", roster_json(keys, n), "commits", commits);
	if (mask == NULL) {
		rc = fl_err_set(err, FL_ENOMEM, "out of memory");
		goto out;
	}
	for (i = 0; i < n; i++) {
		if ((long)i == self)
			continue;
		if ((rc = fl_mask_seed(sk, &keys[i], parent, round, s,
		    err)) < 0 ||
		    (rc = fl_mask_apply(s, fl_mask_sign(me->seal_pub,
		    keys[i].seal_pub), q, np, err)) < 0)
			goto out;
		fl_mask_commit(s, commit);
		if (json_object_set_new(commits, keys[i].name,
		    json_string(commit)) < 0) {
			rc = fl_err_set(err, FL_ENOMEM, "out of memory");
			goto out;
		}
	}
	/* The masked update: the same manifest, U32 tensors of the same
	 * names and shapes in the same order. */
	if ((out = fl_archive_new(FL_KIND_UPDATE)) == NULL ||
	    json_object_update(fl_archive_manifest(out), man) < 0 ||
	    (json_object_del(fl_archive_manifest(out), "id"), 0) ||
	    json_object_set(fl_archive_manifest(out), "mask", mask) < 0) {
		rc = fl_err_set(err, FL_ENOMEM, "out of memory");
		goto out;
	}
	for (i = 0; i < fl_model_ntensors(m); i++) {
		pt = fl_model_tensor(m, i);
		if ((dst = fl_archive_add_tensor_uninit(out, pt->name,
		    FL_DTYPE_U32, pt->ndim, pt->shape, err)) == NULL) {
			rc = err != NULL ? err->code : FL_ENOMEM;
			goto out;
		}
		memcpy(dst, q + pt->off, pt->size * sizeof(*q));
	}
	fl_archive_free(upd);
	*updp = out;
	out = NULL;
	rc = 0;
out:
	OPENSSL_cleanse(s, sizeof(s));
	fl_archive_free(out);
	json_decref(mask);
	free(keys);
	free(buf);
	free(q);
	return rc;
}

/* ------------------------------------------------------------------------ */
/* At the coordinator.                                                      */

struct site_state {
	int		 present;
	int64_t		 samples;
	char		*id;		/* its masked update's id */
	char		*signer;	/* its trusted signer, or NULL */
	json_t		*commits;	/* its update's "commits" */
	json_t		*shares;	/* its recovery archive, or NULL */
};

struct fl_secagg {
	const struct fl_model	*base;
	char			*base_id;
	int			 round;
	json_t			*ref;		/* the base's description */
	json_t			*roster;	/* the first update's */
	char			*first;		/* its input's name */
	struct fl_pubkey	*keys;		/* the roster, n */
	size_t			 n;
	double			 range;
	uint32_t		 levels;
	struct site_state	*st;		/* per roster site */
	uint32_t		*sum;		/* (nparams) mod 2^32 */
	json_t			*recov;		/* recovery archives, as added */
	size_t			 nupd;
};

int
fl_secagg_new(struct fl_secagg **sp, const struct fl_model *base,
    const char *base_id, int round, struct fl_err *err)
{
	struct fl_secagg *s;
	int rc;

	*sp = NULL;
	if ((s = calloc(1, sizeof(*s))) == NULL ||
	    (s->base_id = strdup(base_id)) == NULL ||
	    (s->ref = json_object()) == NULL ||
	    (s->recov = json_array()) == NULL ||
	    (s->sum = calloc(fl_model_nparams(base) + 1,
	    sizeof(*s->sum))) == NULL) {
		fl_secagg_free(s);
		return fl_err_set(err, FL_ENOMEM, "out of memory");
	}
	s->base = base;
	s->round = round;
	if ((rc = fl_model_describe(base, s->ref, err)) < 0) {
		fl_secagg_free(s);
		return rc;
	}
	*sp = s;
	return 0;
}

void
fl_secagg_free(struct fl_secagg *s)
{
	size_t i;

	if (s == NULL)
		return;
	for (i = 0; s->st != NULL && i < s->n; i++) {
		free(s->st[i].id);
		free(s->st[i].signer);
		json_decref(s->st[i].commits);
		json_decref(s->st[i].shares);
	}
	free(s->st);
	free(s->keys);
	free(s->base_id);
	free(s->first);
	free(s->sum);
	json_decref(s->ref);
	json_decref(s->roster);
	json_decref(s->recov);
	free(s);
}

/* The checks every archive of the round passes: parent and round. */
static int
check_round(const struct fl_secagg *s, const json_t *man, const char *name,
    struct fl_err *err)
{
	const char *parent;
	int64_t round;

	if (fl_json_get_str(man, "parent", &parent, err) < 0 ||
	    fl_json_get_int(man, "round", &round, err) < 0)
		return fl_err_prefix(err, "%s", name);
	if (strcmp(parent, s->base_id) != 0 || round != s->round)
		return fl_err_set(err, FL_EFORMAT, "%s: for the round-%lld "
		    "model %.19s..., not this round-%d model %.19s...", name,
		    (long long)round, parent, s->round, s->base_id);
	return 0;
}

/* Take the roster, range and levels of the first masked update, or check
 * a later one's against them. */
static int
check_mask(struct fl_secagg *s, const json_t *mask, const char *name,
    struct fl_err *err)
{
	const json_t *roster = json_object_get(mask, "roster");
	const json_t *range = json_object_get(mask, "range");
	const json_t *levels = json_object_get(mask, "levels");
	const char *scheme = json_string_value(json_object_get(mask,
	    "scheme"));
	int rc;

	if (scheme == NULL || strcmp(scheme, FL_MASK_SCHEME) != 0 ||
	    !json_is_real(range) || !json_is_integer(levels))
		return fl_err_set(err, FL_EFORMAT, "%s: 'mask' is not an %s "
		    "record", name, FL_MASK_SCHEME);
	if (s->roster != NULL) {
		if (!json_equal(roster, s->roster))
			return fl_err_set(err, FL_EFORMAT, "%s: its roster "
			    "differs from that of %s", name, s->first);
		if (json_real_value(range) != s->range ||
		    json_integer_value(levels) != (json_int_t)s->levels)
			return fl_err_set(err, FL_EFORMAT, "%s: its range or "
			    "levels differ from those of %s", name, s->first);
		return 0;
	}
	if ((rc = fl_roster_parse(roster, &s->keys, &s->n, err)) < 0)
		return fl_err_prefix(err, "%s", name);
	s->range = json_real_value(range);
	if (!(s->range > 0 && s->range <= 1e30) ||
	    json_integer_value(levels) != (json_int_t)LEVELS(s->n))
		return fl_err_set(err, FL_EFORMAT, "%s: mask range %g or "
		    "levels %lld out of range for a roster of %zu", name,
		    s->range, (long long)json_integer_value(levels), s->n);
	s->levels = LEVELS(s->n);
	if ((s->st = calloc(s->n, sizeof(*s->st))) == NULL ||
	    (s->roster = json_deep_copy(roster)) == NULL ||
	    (s->first = strdup(name)) == NULL)
		return fl_err_set(err, FL_ENOMEM, "out of memory");
	return 0;
}

/* Check commits: one commitment per other roster site. */
static int
check_commits(const struct fl_secagg *s, size_t self, const json_t *c,
    const char *name, struct fl_err *err)
{
	const char *v;
	size_t i;

	if (!json_is_object(c) || json_object_size(c) != s->n - 1)
		goto bad;
	for (i = 0; i < s->n; i++) {
		if (i == self)
			continue;
		v = json_string_value(json_object_get(c, s->keys[i].name));
		if (v == NULL || strlen(v) != FL_MASK_COMMIT_LEN - 1 ||
		    strncmp(v, "sha256:", 7) != 0)
			goto bad;
	}
	return 0;
bad:
	return fl_err_set(err, FL_EFORMAT, "%s: 'mask.commits' is not one "
	    "commitment per other roster site", name);
}

/* Add the U32 tensors of u to the sum, bound by name and shape. */
static int
add_tensors(struct fl_secagg *s, const struct fl_archive *u,
    const char *name, struct fl_err *err)
{
	const struct fl_param_tensor *p;
	struct fl_tensor t;
	const unsigned char *b;
	size_t i, k;
	uint32_t w;

	if (fl_archive_ntensors(u) != fl_model_ntensors(s->base))
		return fl_err_set(err, FL_ESHAPE, "%s: a masked update holds "
		    "%zu tensors, the model %zu", name, fl_archive_ntensors(u),
		    fl_model_ntensors(s->base));
	for (i = 0; i < fl_model_ntensors(s->base); i++) {
		p = fl_model_tensor(s->base, i);
		if (fl_archive_find(u, p->name, &t) < 0 ||
		    t.dtype != FL_DTYPE_U32 || t.ndim != p->ndim ||
		    t.shape[0] != p->shape[0] ||
		    (p->ndim > 1 && t.shape[1] != p->shape[1]))
			return fl_err_set(err, FL_ESHAPE, "%s: tensor '%s' "
			    "is missing or not U32 of the model's shape", name,
			    p->name);
	}
	for (i = 0; i < fl_model_ntensors(s->base); i++) {
		p = fl_model_tensor(s->base, i);
		fl_archive_find(u, p->name, &t);
		b = t.data;
		for (k = 0; k < p->size; k++) {
			w = (uint32_t)b[4 * k] | (uint32_t)b[4 * k + 1] << 8 |
			    (uint32_t)b[4 * k + 2] << 16 |
			    (uint32_t)b[4 * k + 3] << 24;
			s->sum[p->off + k] += w;
		}
	}
	return 0;
}

static int
add_update(struct fl_secagg *s, const struct fl_archive *u, const char *name,
    const char *signer, struct fl_err *err)
{
	json_t *man = fl_archive_manifest((struct fl_archive *)u);
	const json_t *mask = json_object_get(man, "mask");
	struct site_state *st;
	const char *site;
	int64_t samples;
	size_t k;
	long i;
	int rc;

	if ((rc = check_round(s, man, name, err)) < 0)
		return rc;
	if (fl_json_get_int(man, "samples", &samples, err) < 0 ||
	    fl_archive_site(u, &site, err) < 0)
		return fl_err_prefix(err, "%s", name);
	if (samples <= 0 || samples > FL_MAX_SAMPLES)
		return fl_err_set(err, FL_EFORMAT, "%s: samples must be in 1 "
		    "to 2^53, not %lld", name, (long long)samples);
	for (k = 0; k < sizeof(describe_keys) / sizeof(*describe_keys); k++)
		if (!json_equal(json_object_get(s->ref, describe_keys[k]),
		    json_object_get(man, describe_keys[k])))
			return fl_err_set(err, FL_ESHAPE, "%s: '%s' differs "
			    "from the model's", name, describe_keys[k]);
	if ((rc = check_mask(s, mask, name, err)) < 0)
		return rc;
	if ((i = fl_roster_find(s->keys, s->n, site)) < 0)
		return fl_err_set(err, FL_EFORMAT, "%s: site '%s' is not in "
		    "the roster", name, site);
	st = &s->st[i];
	if (signer != NULL && strcmp(signer, s->keys[i].keyid) != 0)
		return fl_err_set(err, FL_EVERIFY, "%s: signed by key %s, but "
		    "the roster names key %s for site '%s'", name, signer,
		    s->keys[i].keyid, site);
	if (st->present)
		return fl_err_set(err, FL_EFORMAT, "%s: a second masked "
		    "update from site '%s' in round %d", name, site, s->round);
	if ((rc = check_commits(s, (size_t)i, json_object_get(mask,
	    "commits"), name, err)) < 0 ||
	    (rc = add_tensors(s, u, name, err)) < 0)
		return rc;
	st->present = 1;
	st->samples = samples;
	st->commits = json_incref(json_object_get(mask, "commits"));
	if ((st->id = strdup(fl_archive_id(u))) == NULL ||
	    (signer != NULL && (st->signer = strdup(signer)) == NULL))
		return fl_err_set(err, FL_ENOMEM, "out of memory");
	s->nupd++;
	return 0;
}

/* Keep a recovery archive; it is checked against the round in
 * fl_secagg_finish, once every update is in. */
static int
add_recovery(struct fl_secagg *s, const struct fl_archive *a,
    const char *name, const char *signer, struct fl_err *err)
{
	json_t *man = fl_archive_manifest((struct fl_archive *)a);
	const char *what = json_string_value(json_object_get(man,
	    "recovery"));
	const char *site, *req;
	json_t *e;
	int rc;

	if (what == NULL || strcmp(what, "shares") != 0)
		return fl_err_set(err, FL_EFORMAT, "%s: a recovery %s, not a "
		    "survivor's shares (fl-pack recover)", name,
		    what != NULL ? what : "archive");
	if ((rc = check_round(s, man, name, err)) < 0)
		return rc;
	if (fl_archive_site(a, &site, err) < 0 ||
	    fl_json_get_str(man, "request", &req, err) < 0)
		return fl_err_prefix(err, "%s", name);
	if (!json_is_array(json_object_get(man, "dropped")) ||
	    !json_is_object(json_object_get(man, "shares")))
		return fl_err_set(err, FL_EFORMAT, "%s: 'dropped' or 'shares' "
		    "missing or malformed", name);
	e = json_pack("{s:s, s:s, s:s, s:s?, s:s, s:o, s:o}", "name", name,
	    "site", site, "id", fl_archive_id(a), "signer", signer,
	    "request", req, "dropped", json_deep_copy(json_object_get(man,
	    "dropped")), "shares", json_deep_copy(json_object_get(man,
	    "shares")));
	if (e == NULL || json_array_append_new(s->recov, e) < 0)
		return fl_err_set(err, FL_ENOMEM, "out of memory");
	return 0;
}

int
fl_secagg_add(struct fl_secagg *s, const struct fl_archive *a,
    const char *name, const char *signer, struct fl_err *err)
{
	if (fl_archive_kind(a) == FL_KIND_RECOVERY)
		return add_recovery(s, a, name, signer, err);
	return add_update(s, a, name, signer, err);
}

/* The names of the roster sites with present == want, as a JSON array. */
static json_t *
sites_where(const struct fl_secagg *s, int want)
{
	json_t *a = json_array();
	size_t i;

	for (i = 0; a != NULL && i < s->n; i++)
		if (s->st[i].present == want &&
		    json_array_append_new(a, json_string(s->keys[i].name)) < 0) {
			json_decref(a);
			return NULL;
		}
	return a;
}

/* The names in a, joined by ", ", into buf. */
static void
join(const json_t *a, char *buf, size_t len)
{
	const json_t *v;
	size_t i, at = 0;

	buf[0] = '\0';
	json_array_foreach(a, i, v) {
		if (at >= len)
			break;
		at += (size_t)snprintf(buf + at, len - at, "%s%s",
		    i > 0 ? ", " : "", json_string_value(v));
	}
}

int
fl_secagg_request(struct fl_secagg *s, struct fl_archive **reqp,
    struct fl_err *err)
{
	struct fl_archive *req;
	json_t *man, *ups;
	size_t i;

	*reqp = NULL;
	if (s->nupd == 0 || s->nupd == s->n || json_array_size(s->recov) > 0)
		return 0;
	if ((req = fl_archive_new(FL_KIND_RECOVERY)) == NULL ||
	    (ups = json_array()) == NULL) {
		fl_archive_free(req);
		return fl_err_set(err, FL_ENOMEM, "out of memory");
	}
	man = fl_archive_manifest(req);
	for (i = 0; i < s->n; i++)
		if (s->st[i].present)
			json_array_append_new(ups, json_pack("{s:s, s:s}",
			    "site", s->keys[i].name, "id", s->st[i].id));
	if (json_array_size(ups) != s->nupd ||
	    json_object_set_new(man, "recovery", json_string("request")) < 0 ||
	    json_object_set_new(man, "scheme", json_string(FL_MASK_SCHEME)) <
	    0 ||
	    json_object_set_new(man, "parent", json_string(s->base_id)) < 0 ||
	    json_object_set_new(man, "round", json_integer(s->round)) < 0 ||
	    json_object_set(man, "roster", s->roster) < 0 ||
	    json_object_set_new(man, "survivors", sites_where(s, 1)) < 0 ||
	    json_object_set_new(man, "dropped", sites_where(s, 0)) < 0 ||
	    json_object_set_new(man, "updates", ups) < 0) {
		fl_archive_free(req);
		return fl_err_set(err, FL_ENOMEM, "out of memory");
	}
	*reqp = req;
	return 1;
}

/* Match the recovery archives to the round: one request, the dropped
 * sites it names are exactly those missing, one archive per survivor. */
static int
match_recovery(struct fl_secagg *s, json_t *dropped, struct fl_err *err)
{
	const json_t *e, *first = json_array_get(s->recov, 0);
	const char *site, *name;
	char list[512];
	size_t k;
	long i;

	json_array_foreach(s->recov, k, e) {
		name = json_string_value(json_object_get(e, "name"));
		site = json_string_value(json_object_get(e, "site"));
		if (!json_equal(json_object_get(e, "request"),
		    json_object_get(first, "request")) ||
		    !json_equal(json_object_get(e, "dropped"),
		    json_object_get(first, "dropped")))
			return fl_err_set(err, FL_EFORMAT, "%s: answers another "
			    "recovery request than %s", name,
			    json_string_value(json_object_get(first, "name")));
		if ((i = fl_roster_find(s->keys, s->n, site)) < 0 ||
		    !s->st[i].present)
			return fl_err_set(err, FL_EFORMAT, "%s: recovery "
			    "shares from '%s', which is not a survivor of the "
			    "round", name, site);
		if (s->st[i].signer != NULL && (json_object_get(e,
		    "signer") == NULL || strcmp(s->st[i].signer,
		    json_string_value(json_object_get(e, "signer"))) != 0))
			return fl_err_set(err, FL_EVERIFY, "%s: not signed by "
			    "site '%s''s roster key", name, site);
		if (s->st[i].shares != NULL)
			return fl_err_set(err, FL_EFORMAT, "%s: a second "
			    "recovery archive from site '%s'", name, site);
		s->st[i].shares = json_incref((json_t *)e);
	}
	/* A site declared dropped has had its masks disclosed. */
	json_array_foreach(json_object_get(first, "dropped"), k, e)
		if ((i = fl_roster_find(s->keys, s->n,
		    json_string_value(e))) >= 0 && s->st[i].present)
			return fl_err_set(err, FL_EFORMAT, "site '%s' was "
			    "declared dropped (request %.19s...), so its masks "
			    "are disclosed; its masked update %.19s... is "
			    "refused", s->keys[i].name, json_string_value(
			    json_object_get(first, "request")), s->st[i].id);
	if (!json_equal(dropped, json_object_get(first, "dropped"))) {
		join(json_object_get(first, "dropped"), list, sizeof(list));
		return fl_err_set(err, FL_EFORMAT, "the recovery shares "
		    "declare dropped: %s; they do not match this round's "
		    "missing sites", list);
	}
	for (k = 0; k < s->n; k++)
		if (s->st[k].present && s->st[k].shares == NULL)
			return fl_err_set(err, FL_EFORMAT, "no recovery shares "
			    "from survivor '%s'", s->keys[k].name);
	return 0;
}

/* Remove survivor i's masks with the dropped site d, from its seed. */
static int
unmask_dropped(struct fl_secagg *s, size_t i, size_t d, struct fl_err *err)
{
	const json_t *sh = json_object_get(s->st[i].shares, "shares");
	const char *b64 = json_string_value(json_object_get(sh,
	    s->keys[d].name));
	const char *want = json_string_value(json_object_get(
	    s->st[i].commits, s->keys[d].name));
	unsigned char seed[FL_MASK_SEED_LEN];
	char got[FL_MASK_COMMIT_LEN];
	int rc;

	if (b64 == NULL || strlen(b64) != FL_B64_LEN(FL_MASK_SEED_LEN) ||
	    fl_b64_decode(seed, sizeof(seed), b64, strlen(b64)) < 0)
		return fl_err_set(err, FL_EFORMAT, "%s: no seed for dropped "
		    "site '%s'", json_string_value(json_object_get(
		    s->st[i].shares, "name")), s->keys[d].name);
	fl_mask_commit(seed, got);
	if (want == NULL || strcmp(got, want) != 0) {
		OPENSSL_cleanse(seed, sizeof(seed));
		return fl_err_set(err, FL_EVERIFY, "%s: the seed for ('%s', "
		    "'%s') does not match the commitment in '%s''s update",
		    json_string_value(json_object_get(s->st[i].shares,
		    "name")), s->keys[i].name, s->keys[d].name,
		    s->keys[i].name);
	}
	rc = fl_mask_apply(seed, -fl_mask_sign(s->keys[i].seal_pub,
	    s->keys[d].seal_pub), s->sum, fl_model_nparams(s->base), err);
	OPENSSL_cleanse(seed, sizeof(seed));
	return rc;
}

/* Every pair of present sites committed to one seed: else their masks
 * cannot cancel (another key, another roster, another round). */
static int
check_pairs(const struct fl_secagg *s, struct fl_err *err)
{
	const json_t *a, *b;
	size_t i, j;

	for (i = 0; i < s->n; i++)
		for (j = i + 1; s->st[i].present && j < s->n; j++) {
			if (!s->st[j].present)
				continue;
			a = json_object_get(s->st[i].commits, s->keys[j].name);
			b = json_object_get(s->st[j].commits, s->keys[i].name);
			if (!json_equal(a, b))
				return fl_err_set(err, FL_EVERIFY, "sites '%s' "
				    "and '%s' did not derive the same mask "
				    "seed (another key or roster?); their "
				    "masks would not cancel", s->keys[i].name,
				    s->keys[j].name);
		}
	return 0;
}

/* The round's "masked" record. */
static json_t *
record_json(const struct fl_secagg *s, const json_t *dropped)
{
	const json_t *first = json_array_get(s->recov, 0), *e;
	json_t *r, *roster = json_array(), *rec = json_array();
	size_t i;
	int bad = roster == NULL || rec == NULL;

	for (i = 0; !bad && i < s->n; i++)
		bad |= json_array_append_new(roster, json_pack("{s:s, s:s}",
		    "site", s->keys[i].name, "keyid", s->keys[i].keyid)) < 0;
	json_array_foreach(s->recov, i, e)
		bad |= json_array_append_new(rec, json_pack("{s:O, s:O, s:O?}",
		    "site", json_object_get(e, "site"), "id",
		    json_object_get(e, "id"), "signer",
		    json_object_get(e, "signer"))) < 0;
	r = bad ? NULL : json_pack("{s:s, s:f, s:I, s:f, s:O, s:O, s:O?, "
	    "s:O}", "scheme", FL_MASK_SCHEME, "range", s->range, "levels",
	    (json_int_t)s->levels, "step", s->range / s->levels, "roster",
	    roster, "dropped", dropped, "request", json_object_get(first,
	    "request"), "recovery", rec);
	json_decref(roster);
	json_decref(rec);
	return r;
}

int
fl_secagg_finish(struct fl_secagg *s, struct fl_agg *g, json_t **record,
    struct fl_err *err)
{
	size_t i, d, np = fl_model_nparams(s->base);
	json_t *dropped = NULL, *contrib = NULL;
	double *wsum = NULL, step;
	int64_t total = 0;
	char list[512];
	int rc;

	*record = NULL;
	if ((dropped = sites_where(s, 0)) == NULL ||
	    (contrib = json_array()) == NULL) {
		rc = fl_err_set(err, FL_ENOMEM, "out of memory");
		goto out;
	}
	if (json_array_size(s->recov) > 0) {
		if ((rc = match_recovery(s, dropped, err)) < 0)
			goto out;
	} else if (json_array_size(dropped) > 0) {
		join(dropped, list, sizeof(list));
		rc = fl_err_set(err, FL_EFORMAT, "masked round incomplete: no "
		    "update from roster site%s %s; write a recovery request "
		    "(--recovery-request FILE) for the survivors",
		    json_array_size(dropped) == 1 ? "" : "s", list);
		goto out;
	}
	if (s->nupd < 2) {
		rc = fl_err_set(err, FL_EFORMAT, "a masked round needs 2 "
		    "updates or more: the sum of one is that site's update");
		goto out;
	}
	if ((rc = check_pairs(s, err)) < 0)
		goto out;
	for (i = 0; i < s->n; i++)
		for (d = 0; s->st[i].present && d < s->n; d++)
			if (!s->st[d].present &&
			    (rc = unmask_dropped(s, i, d, err)) < 0)
				goto out;
	if ((wsum = malloc(np * sizeof(double) + 1)) == NULL) {
		rc = fl_err_set(err, FL_ENOMEM, "out of memory");
		goto out;
	}
	/* No wrap: |sum| <= nupd x levels < 2^31. */
	step = s->range / s->levels;
	for (i = 0; i < np; i++)
		wsum[i] = (double)(int32_t)s->sum[i] * step;
	for (i = 0; i < s->n; i++) {
		if (!s->st[i].present)
			continue;
		total += s->st[i].samples;
		if (json_array_append_new(contrib, json_pack("{s:s, s:s, s:I, "
		    "s:s?}", "id", s->st[i].id, "site", s->keys[i].name,
		    "samples", (json_int_t)s->st[i].samples, "signer",
		    s->st[i].signer)) < 0) {
			rc = fl_err_set(err, FL_ENOMEM, "out of memory");
			goto out;
		}
	}
	if ((rc = fl_agg_add_sum(g, wsum, total, contrib, err)) < 0)
		goto out;
	if ((*record = record_json(s, dropped)) == NULL)
		rc = fl_err_set(err, FL_ENOMEM, "out of memory");
out:
	json_decref(dropped);
	json_decref(contrib);
	free(wsum);
	return rc;
}
