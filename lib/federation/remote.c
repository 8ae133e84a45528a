/*
 * remote.c: valuation without validation rows at the coordinator
 * (man/fl-value.1, "Without rows at the coordinator").  A coalitions
 * archive holds the models of the coalitions a valuation needs, each as
 * a state vector "state/c<k>" beside the round's model; the sites score
 * every one with fl-eval --emit (cmd/eval-coalitions.c), and the
 * coordinator pools their metrics per coalition into utilities, from
 * which lib/federation/shapley.c gives the values, as from central ones.
 */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "federation/federation.h"

static const char *const methods[] = { "shapley", "sampled", "loo" };

/* The coalitions a valuation meets, recorded by a utility of 0. */
struct record {
	uint64_t	*mask;
	size_t		 n, cap, players;
};

static int
rec_u(void *ctx, const unsigned char *in, double *u, struct fl_err *err)
{
	struct record *r = ctx;
	uint64_t m = 0, *t;
	size_t i;

	for (i = 0; i < r->players; i++)
		if (in[i])
			m |= (uint64_t)1 << i;
	if (r->n == r->cap) {
		r->cap = r->cap == 0 ? 64 : 2 * r->cap;
		if ((t = realloc(r->mask, r->cap * sizeof(*t))) == NULL)
			return fl_err_set(err, FL_ENOMEM, "out of memory");
		r->mask = t;
	}
	r->mask[r->n++] = m;
	*u = 0;
	return 0;
}

int
fl_coalitions_write(struct fl_coalition *c, const struct fl_shapley_opts *so,
    struct fl_archive **out, struct fl_err *err)
{
	struct fl_shapley_opts o = *so;
	struct fl_shapley_result res;
	struct record rc_ = { NULL, 0, 0, 0 };
	struct fl_archive *a = NULL;
	size_t n = fl_coalition_count(c), k, i;
	size_t np = fl_model_nparams(fl_coalition_base(c));
	double *v = NULL, *se = NULL, *loo = NULL;
	float *p = NULL;
	json_t *man, *sites, *coal, *mem, *val;
	json_int_t samples = 0;
	char name[32];
	int rc, refused, bad = 0;

	*out = NULL;
	rc_.players = n;
	v = calloc(n + 1, sizeof(double));
	se = calloc(n + 1, sizeof(double));
	loo = calloc(n + 1, sizeof(double));
	p = malloc(np * sizeof(float) + 1);
	if (v == NULL || se == NULL || loo == NULL || p == NULL) {
		rc = fl_err_set(err, FL_ENOMEM, "out of memory");
		goto out;
	}
	/* Every coalition of every permutation, none cut short. */
	o.truncation = 0;
	if (o.method == FL_VALUE_EXACT && n > FL_COALITIONS_EXACT_MAX) {
		rc = fl_err_set(err, FL_EUSAGE, "%zu updates: a coalitions "
		    "archive holds the models of at most 2^%d coalitions "
		    "(sample permutations instead)", n,
		    FL_COALITIONS_EXACT_MAX);
		goto out;
	}
	res.value = v;
	res.se = se;
	res.loo = loo;
	if ((rc = fl_shapley(n, rec_u, &rc_, &o, &res, err)) < 0)
		goto out;
	if (rc_.n > FL_MAX_TENSORS / 2) {
		rc = fl_err_set(err, FL_EUSAGE, "%zu coalitions: more than a "
		    "coalitions archive holds (%d)", rc_.n,
		    FL_MAX_TENSORS / 2);
		goto out;
	}
	if ((rc = fl_model_to_archive(fl_coalition_base(c),
	    FL_KIND_COALITIONS, &a, err)) < 0)
		goto out;
	man = fl_archive_manifest(a);
	sites = json_array();
	coal = json_array();
	bad = sites == NULL || coal == NULL;
	for (i = 0; !bad && i < n; i++) {
		samples += fl_coalition_samples(c, i);
		bad = json_array_append_new(sites, json_pack("{s:s, s:I, s:s}",
		    "site", fl_coalition_site(c, i), "samples",
		    (json_int_t)fl_coalition_samples(c, i), "id",
		    fl_coalition_update_id(c, i))) < 0;
	}
	for (k = 0; !bad && k < rc_.n; k++) {
		unsigned char in[FL_COALITION_MAX];

		mem = json_array();
		for (i = 0; mem != NULL && i < n; i++) {
			in[i] = rc_.mask[k] >> i & 1;
			if (in[i] && json_array_append_new(mem,
			    json_integer((json_int_t)i)) < 0)
				bad = 1;
		}
		if (mem == NULL || json_array_append_new(coal, mem) < 0) {
			bad = 1;
			break;
		}
		if ((rc = fl_coalition_params(c, in, p, &refused, err)) < 0)
			goto out_json;
		snprintf(name, sizeof(name), "c%zu", k);
		if ((rc = fl_archive_add_state(a, name, p, np, err)) < 0)
			goto out_json;
	}
	val = json_pack("{s:s, s:I, s:I, s:f}", "method", methods[o.method],
	    "permutations", (json_int_t)so->permutations, "seed",
	    (json_int_t)so->seed, "truncation", so->truncation);
	if (bad || val == NULL ||
	    json_object_set_new(man, "parent",
	    json_string(fl_coalition_base_id(c))) < 0 ||
	    json_object_set_new(man, "round",
	    json_integer(fl_coalition_round(c))) < 0 ||
	    json_object_set_new(man, "site", json_null()) < 0 ||
	    json_object_set_new(man, "samples", json_integer(samples)) < 0 ||
	    json_object_set_new(man, "sites", sites) < 0 ||
	    json_object_set_new(man, "coalitions", coal) < 0 ||
	    json_object_set_new(man, "valuation", val) < 0) {
		rc = fl_err_set(err, FL_ENOMEM, "out of memory");
		goto out;
	}
	*out = a;
	a = NULL;
	rc = 0;
	goto out;
out_json:
	json_decref(sites);
	json_decref(coal);
out:
	fl_archive_free(a);
	free(rc_.mask);
	free(v);
	free(se);
	free(loo);
	free(p);
	return rc;
}

/* The coalitions archive as read: sites, members, options. */
struct fl_remote {
	size_t		 n, ncoal;
	const char	**site, **id;
	int64_t		*samples;
	uint64_t	*mask;		/* (ncoal) */
	double		*u;		/* (ncoal) utilities; NaN unset */
	char		*model_id, *id_self;
	int64_t		 round;
	struct fl_shapley_opts o;
	json_t		*man;		/* a reference to a's manifest */
};

void
fl_remote_free(struct fl_remote *r)
{
	if (r == NULL)
		return;
	free(r->site);
	free(r->id);
	free(r->samples);
	free(r->mask);
	free(r->u);
	free(r->model_id);
	free(r->id_self);
	json_decref(r->man);
	free(r);
}

int
fl_remote_new(struct fl_remote **rp, const struct fl_archive *a,
    const char *name, struct fl_err *err)
{
	json_t *man = fl_archive_manifest((struct fl_archive *)a);
	const json_t *sites = json_object_get(man, "sites");
	const json_t *coal = json_object_get(man, "coalitions");
	const json_t *val = json_object_get(man, "valuation");
	const json_t *e, *m, *x;
	const char *meth, *parent;
	struct fl_remote *r;
	size_t i, k, j;
	int64_t t;
	int rc;

	*rp = NULL;
	if (fl_archive_kind(a) != FL_KIND_COALITIONS)
		return fl_err_set(err, FL_EFORMAT, "%s: %s %s archive, not a "
		    "coalitions archive", name,
		    fl_article(fl_kind_name(fl_archive_kind(a))),
		    fl_kind_name(fl_archive_kind(a)));
	if (!json_is_array(sites) || json_array_size(sites) == 0 ||
	    json_array_size(sites) > FL_COALITION_MAX ||
	    !json_is_array(coal) || json_array_size(coal) == 0 ||
	    json_array_size(coal) > FL_MAX_TENSORS || !json_is_object(val))
		return fl_err_set(err, FL_EFORMAT, "%s: 'sites', 'coalitions' "
		    "or 'valuation' is missing or malformed", name);
	if ((r = calloc(1, sizeof(*r))) == NULL)
		return fl_err_set(err, FL_ENOMEM, "out of memory");
	r->man = json_incref(man);
	r->n = json_array_size(sites);
	r->ncoal = json_array_size(coal);
	r->site = calloc(r->n, sizeof(char *));
	r->id = calloc(r->n, sizeof(char *));
	r->samples = calloc(r->n, sizeof(int64_t));
	r->mask = calloc(r->ncoal, sizeof(uint64_t));
	r->u = malloc(r->ncoal * sizeof(double));
	r->id_self = strdup(fl_archive_id(a) != NULL ? fl_archive_id(a) : "");
	if (r->site == NULL || r->id == NULL || r->samples == NULL ||
	    r->mask == NULL || r->u == NULL || r->id_self == NULL) {
		rc = fl_err_set(err, FL_ENOMEM, "out of memory");
		goto fail;
	}
	json_array_foreach(sites, i, e) {
		x = json_object_get(e, "samples");
		if (fl_json_get_str(e, "site", &r->site[i], NULL) < 0 ||
		    !fl_name_ok(r->site[i]) ||
		    fl_json_get_str(e, "id", &r->id[i], NULL) < 0 ||
		    !json_is_integer(x) || json_integer_value(x) <= 0) {
			rc = fl_err_set(err, FL_EFORMAT, "%s: sites[%zu] is "
			    "malformed", name, i);
			goto fail;
		}
		r->samples[i] = json_integer_value(x);
		for (j = 0; j < i; j++)
			if (strcmp(r->site[j], r->site[i]) == 0) {
				rc = fl_err_set(err, FL_EFORMAT, "%s: site "
				    "'%s' twice", name, r->site[i]);
				goto fail;
			}
	}
	json_array_foreach(coal, k, e) {
		r->u[k] = NAN;
		if (!json_is_array(e))
			goto bad_coal;
		json_array_foreach(e, j, m) {
			if (!json_is_integer(m) || json_integer_value(m) < 0 ||
			    (size_t)json_integer_value(m) >= r->n ||
			    r->mask[k] >> json_integer_value(m) & 1)
				goto bad_coal;
			r->mask[k] |= (uint64_t)1 << json_integer_value(m);
		}
		for (j = 0; j < k; j++)
			if (r->mask[j] == r->mask[k])
				goto bad_coal;
	}
	if (fl_json_get_str(val, "method", &meth, NULL) < 0 ||
	    fl_json_get_int(val, "permutations", &t, NULL) < 0 || t < 2 ||
	    t > 10000000 || !json_is_number(json_object_get(val,
	    "truncation")) || fl_json_get_str(man, "parent", &parent,
	    NULL) < 0 || fl_json_get_int(man, "round", &r->round, NULL) < 0) {
		rc = fl_err_set(err, FL_EFORMAT, "%s: 'valuation', 'parent' "
		    "or 'round' is malformed", name);
		goto fail;
	}
	r->o.permutations = (size_t)t;
	r->o.truncation = json_number_value(json_object_get(val,
	    "truncation"));
	if (fl_json_get_int(val, "seed", &t, NULL) < 0 || t < 0 ||
	    !(r->o.truncation >= 0 && r->o.truncation <= 1)) {
		rc = fl_err_set(err, FL_EFORMAT, "%s: 'valuation' is "
		    "malformed", name);
		goto fail;
	}
	r->o.seed = (uint64_t)t;
	for (i = 0; i < 3 && strcmp(meth, methods[i]) != 0; i++)
		;
	if (i == 3) {
		rc = fl_err_set(err, FL_EFORMAT, "%s: unknown method '%s'",
		    name, meth);
		goto fail;
	}
	r->o.method = (enum fl_value_method)i;
	if ((r->model_id = strdup(parent)) == NULL) {
		rc = fl_err_set(err, FL_ENOMEM, "out of memory");
		goto fail;
	}
	*rp = r;
	return 0;
bad_coal:
	rc = fl_err_set(err, FL_EFORMAT, "%s: coalitions[%zu] is malformed",
	    name, k);
fail:
	fl_remote_free(r);
	return rc;
}

size_t
fl_remote_count(const struct fl_remote *r)
{
	return r->n;
}

size_t
fl_remote_ncoalitions(const struct fl_remote *r)
{
	return r->ncoal;
}

const char *
fl_remote_site(const struct fl_remote *r, size_t i)
{
	return i < r->n ? r->site[i] : NULL;
}

const char *
fl_remote_update_id(const struct fl_remote *r, size_t i)
{
	return i < r->n ? r->id[i] : NULL;
}

int64_t
fl_remote_samples(const struct fl_remote *r, size_t i)
{
	return i < r->n ? r->samples[i] : 0;
}

const char *
fl_remote_model_id(const struct fl_remote *r)
{
	return r->model_id;
}

const char *
fl_remote_id(const struct fl_remote *r)
{
	return r->id_self;
}

int64_t
fl_remote_round(const struct fl_remote *r)
{
	return r->round;
}

const struct fl_shapley_opts *
fl_remote_opts(const struct fl_remote *r)
{
	return &r->o;
}

void
fl_remote_set(struct fl_remote *r, size_t k, double u)
{
	if (k < r->ncoal)
		r->u[k] = u;
}

int
fl_remote_utility(void *ctx, const unsigned char *in, double *u,
    struct fl_err *err)
{
	const struct fl_remote *r = ctx;
	uint64_t m = 0;
	size_t i, k;

	for (i = 0; i < r->n; i++)
		if (in[i])
			m |= (uint64_t)1 << i;
	for (k = 0; k < r->ncoal; k++)
		if (r->mask[k] == m && isfinite(r->u[k])) {
			*u = r->u[k];
			return 0;
		}
	return fl_err_set(err, FL_EFORMAT, "no utility for a coalition of %zu "
	    "sites the valuation needs", (size_t)__builtin_popcountll(m));
}

int
fl_coalitions_params(const struct fl_archive *a, size_t nparams, size_t k,
    const float **p, struct fl_err *err)
{
	char name[32];
	int rc;

	snprintf(name, sizeof(name), "c%zu", k);
	if ((rc = fl_archive_state(a, name, nparams, p, err)) < 0)
		return rc;
	if (rc == 0)
		return fl_err_set(err, FL_EFORMAT, "no state vector '%s'",
		    name);
	return 0;
}
