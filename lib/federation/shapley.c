/*
 * shapley.c: each player's Shapley value and leave-one-out value from a
 * utility of coalitions, for fl-value (man/fl-value.1).  Exact: all 2^n
 * coalitions, phi_i = sum over S not holding i of |S|! (n-|S|-1)! / n!
 * (U(S + i) - U(S)).  Sampled: K permutations, the first player of
 * permutation k being k mod n (so each player leads equally often), the
 * rest shuffled by the seeded generator; a player's value is its mean
 * marginal contribution and its standard error the sample standard
 * deviation over sqrt(K).  With a truncation t > 0, a permutation stops
 * once its prefix is within t |U(all) - U(none)| of U(all) and the rest
 * get 0, as GTG-Shapley does (Liu et al. 2022).  Utilities are cached by
 * coalition, so none is computed twice.
 */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "federation/federation.h"

/* Utilities by coalition: open addressing on the 64-bit mask. */
struct cache {
	uint64_t	*key;
	double		*val;
	unsigned char	*used;
	size_t		 cap, n;
	fl_utility_fn	*f;
	void		*ctx;
	size_t		 players;
	unsigned char	*in;
	size_t		 evals;
};

static size_t
slot(const struct cache *c, uint64_t k)
{
	uint64_t h = k * 0x9E3779B97F4A7C15ull;

	return (size_t)(h ^ (h >> 29)) & (c->cap - 1);
}

static int
cache_grow(struct cache *c, struct fl_err *err)
{
	struct cache o = *c;
	size_t i, j;

	c->cap = o.cap == 0 ? 1024 : 2 * o.cap;
	c->key = malloc(c->cap * sizeof(uint64_t));
	c->val = malloc(c->cap * sizeof(double));
	c->used = calloc(c->cap, 1);
	if (c->key == NULL || c->val == NULL || c->used == NULL) {
		free(c->key);
		free(c->val);
		free(c->used);
		*c = o;
		return fl_err_set(err, FL_ENOMEM, "out of memory");
	}
	for (i = 0; i < o.cap; i++) {
		if (!o.used[i])
			continue;
		for (j = slot(c, o.key[i]); c->used[j]; j = (j + 1) &
		    (c->cap - 1))
			;
		c->used[j] = 1;
		c->key[j] = o.key[i];
		c->val[j] = o.val[i];
	}
	free(o.key);
	free(o.val);
	free(o.used);
	return 0;
}

/* U(mask), from the cache or computed once. */
static int
utility(struct cache *c, uint64_t mask, double *u, struct fl_err *err)
{
	size_t j, i;
	int rc;

	if (c->cap > 0)
		for (j = slot(c, mask); c->used[j]; j = (j + 1) & (c->cap - 1))
			if (c->key[j] == mask) {
				*u = c->val[j];
				return 0;
			}
	for (i = 0; i < c->players; i++)
		c->in[i] = (mask >> i) & 1;
	if ((rc = c->f(c->ctx, c->in, u, err)) < 0)
		return rc;
	c->evals++;
	if (2 * (c->n + 1) > c->cap && (rc = cache_grow(c, err)) < 0)
		return rc;
	for (j = slot(c, mask); c->used[j]; j = (j + 1) & (c->cap - 1))
		;
	c->used[j] = 1;
	c->key[j] = mask;
	c->val[j] = *u;
	c->n++;
	return 0;
}

/* Exact values from the 2^n utilities. */
static int
exact(struct cache *c, size_t n, double *value, struct fl_err *err)
{
	uint64_t S, full = ((uint64_t)1 << n) - 1;
	double *U, *w;
	size_t i, s;
	int rc = 0;

	U = malloc(((size_t)1 << n) * sizeof(double));
	w = malloc(n * sizeof(double));
	if (U == NULL || w == NULL) {
		free(U);
		free(w);
		return fl_err_set(err, FL_ENOMEM, "out of memory");
	}
	for (S = 0; S <= full && rc == 0; S++)
		rc = utility(c, S, &U[S], err);
	/* w[s] = s! (n - s - 1)! / n!, by its ratio from w[0] = 1 / n. */
	w[0] = 1.0 / (double)n;
	for (s = 0; s + 1 < n; s++)
		w[s + 1] = w[s] * (double)(s + 1) / (double)(n - s - 1);
	for (i = 0; rc == 0 && i < n; i++) {
		value[i] = 0;
		for (S = 0; S <= full; S++)
			if (!(S >> i & 1))
				value[i] += w[__builtin_popcountll(S)] *
				    (U[S | (uint64_t)1 << i] - U[S]);
	}
	free(U);
	free(w);
	return rc;
}

/* Sampled values and their standard errors. */
static int
sampled(struct cache *c, size_t n, const struct fl_shapley_opts *o,
    double u_all, double u_none, double *value, double *se,
    struct fl_err *err)
{
	struct fl_rng rng;
	size_t *perm, *rest, k, j, i, K = o->permutations;
	double *sum2, prev, u, mc, tol;
	uint64_t S;
	int rc = 0;

	if (K < 2)
		return fl_err_set(err, FL_EUSAGE, "sampling needs at least 2 "
		    "permutations");
	perm = malloc(n * sizeof(size_t));
	rest = malloc(n * sizeof(size_t));
	sum2 = calloc(n, sizeof(double));
	if (perm == NULL || rest == NULL || sum2 == NULL) {
		rc = fl_err_set(err, FL_ENOMEM, "out of memory");
		goto out;
	}
	tol = o->truncation * fabs(u_all - u_none);
	fl_rng_seed(&rng, o->seed, "fl-value permutations");
	for (i = 0; i < n; i++)
		value[i] = 0;
	for (k = 0; k < K && rc == 0; k++) {
		perm[0] = k % n;
		for (i = 0, j = 0; i < n; i++)
			if (i != perm[0])
				rest[j++] = i;
		fl_rng_shuffle(&rng, rest, n - 1);
		memcpy(perm + 1, rest, (n - 1) * sizeof(size_t));
		S = 0;
		prev = u_none;
		for (j = 0; j < n && rc == 0; j++) {
			S |= (uint64_t)1 << perm[j];
			if (o->truncation > 0 && fabs(u_all - prev) <= tol) {
				mc = 0;
				u = prev;
			} else {
				if ((rc = utility(c, S, &u, err)) < 0)
					break;
				mc = u - prev;
			}
			value[perm[j]] += mc;
			sum2[perm[j]] += mc * mc;
			prev = u;
		}
	}
	for (i = 0; rc == 0 && i < n; i++) {
		value[i] /= (double)K;
		u = (sum2[i] - (double)K * value[i] * value[i]) /
		    (double)(K - 1);
		se[i] = sqrt(u > 0 ? u : 0) / sqrt((double)K);
	}
out:
	free(perm);
	free(rest);
	free(sum2);
	return rc;
}

int
fl_shapley(size_t n, fl_utility_fn *f, void *ctx,
    const struct fl_shapley_opts *o, struct fl_shapley_result *r,
    struct fl_err *err)
{
	struct cache c;
	uint64_t full;
	size_t i;
	double u;
	int rc;

	if (n == 0 || n > FL_COALITION_MAX)
		return fl_err_set(err, FL_EUSAGE, "%zu players: valuation "
		    "takes 1 to %d", n, FL_COALITION_MAX);
	if (o->method == FL_VALUE_EXACT && n > FL_SHAPLEY_EXACT_MAX)
		return fl_err_set(err, FL_EUSAGE, "exact Shapley values of "
		    "%zu sites need 2^%zu coalitions; at most %d (sample "
		    "permutations instead)", n, n, FL_SHAPLEY_EXACT_MAX);
	memset(&c, 0, sizeof(c));
	c.f = f;
	c.ctx = ctx;
	c.players = n;
	if ((c.in = malloc(n)) == NULL)
		return fl_err_set(err, FL_ENOMEM, "out of memory");
	full = n == 64 ? ~(uint64_t)0 : ((uint64_t)1 << n) - 1;
	if ((rc = utility(&c, 0, &r->u_none, err)) < 0 ||
	    (rc = utility(&c, full, &r->u_all, err)) < 0)
		goto out;
	for (i = 0; i < n; i++) {
		if ((rc = utility(&c, full & ~((uint64_t)1 << i), &u,
		    err)) < 0)
			goto out;
		r->loo[i] = r->u_all - u;
		r->value[i] = r->se[i] = NAN;
	}
	if (o->method == FL_VALUE_EXACT) {
		if ((rc = exact(&c, n, r->value, err)) < 0)
			goto out;
		for (i = 0; i < n; i++)
			r->se[i] = 0;
	} else if (o->method == FL_VALUE_SAMPLED)
		rc = sampled(&c, n, o, r->u_all, r->u_none, r->value, r->se,
		    err);
out:
	r->evaluations = c.evals;
	free(c.in);
	free(c.key);
	free(c.val);
	free(c.used);
	return rc;
}
