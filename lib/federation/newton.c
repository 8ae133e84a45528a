/*
 * newton.c: the server's part of a Newton round (fl-aggregate --strategy
 * newton).  Every update carries its site's score vector, information
 * matrix and log-likelihood at the model's coefficients (lib/train/newton.c)
 * and a zero delta, which the "newton" row of the strategy table
 * (lib/federation/strategy.c) averages as fedavg would, so that
 * lib/federation/aggregate.c checks and records the updates as usual.
 * This file sums the sites' terms, subtracts the ridge penalty once, and
 * moves the coefficients as R's glm.fit and coxph do: a Newton step when
 * the log-likelihood rose, else half the way back to the last accepted
 * point (step-halving), and no step once the relative change is at most
 * 1e-8 (converged).  The model's manifest carries the record, "newton":
 *
 *   iteration   Newton rounds aggregated so far
 *   loglik      pooled log-likelihood at "at" (linear: -RSS/2)
 *   objective   loglik - l2/2 |w|^2, what the steps maximise
 *   at          the coefficients both were evaluated at (the last
 *               accepted point; standardised scale, train/newton.h)
 *   information the pooled information matrix there (p x p, + l2 on
 *               the penalised diagonal), whose inverse gives the SEs
 *   converged, halvings, l2, rows, events, extreme (binary rows fitted
 *   within 10 DBL_EPSILON of 0 or 1: separation), and sites: per site
 *   {site, rows, events, skipped, dropped}.
 *
 * Documented in fl-aggregate(1) and fl-archive(5).
 */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "federation/federation.h"

#define NEWTON_TOL	1e-8	/* R's glm.control epsilon */
#define MAX_HALVINGS	20

struct fl_newton {
	const struct fl_model	*base;
	size_t			 p;
	double			*score, *info;	/* sums */
	double			 loglik, l2;
	int			 have_l2;
	size_t			 rows, events, extreme, count;
	json_t			*prev;		/* the base's "newton", or NULL */
	json_t			*sites;
};

/* A JSON array of n finite numbers into v; -1 if it is not one. */
static int
get_reals(const json_t *a, size_t n, double *v)
{
	size_t i;

	if (!json_is_array(a) || json_array_size(a) != n)
		return -1;
	for (i = 0; i < n; i++) {
		v[i] = json_number_value(json_array_get(a, i));
		if (!json_is_number(json_array_get(a, i)) || !isfinite(v[i]))
			return -1;
	}
	return 0;
}

/* A count >= 0 (at most 2^53) at key of o; -1 if absent or not one. */
static int
get_count(const json_t *o, const char *key, size_t *v)
{
	json_t *x = json_object_get(o, key);

	if (!json_is_integer(x) || json_integer_value(x) < 0 ||
	    json_integer_value(x) > FL_MAX_SAMPLES)
		return -1;
	*v = (size_t)json_integer_value(x);
	return 0;
}

void
fl_newton_free(struct fl_newton *nw)
{
	if (nw == NULL)
		return;
	free(nw->score);
	free(nw->info);
	json_decref(nw->prev);
	json_decref(nw->sites);
	free(nw);
}

int
fl_newton_new(struct fl_newton **nwp, const struct fl_model *base,
    struct fl_archive *base_a, const struct fl_agg_opts *o,
    struct fl_err *err)
{
	struct fl_newton *nw;
	json_t *prev;
	size_t p = fl_newton_ncoef(base);

	*nwp = NULL;
	if (p == 0)
		return fl_err_set(err, FL_EUSAGE, "--strategy newton fits "
		    "logreg, linear and cox models, not %s",
		    fl_model_spec(base));
	if (o->clip > 0 || o->dp_noise > 0)
		return fl_err_set(err, FL_EUSAGE, "--strategy newton sums "
		    "exact information matrices: it takes no --clip or "
		    "--dp-noise");
	if ((nw = calloc(1, sizeof(*nw))) == NULL ||
	    (nw->score = calloc(p, sizeof(double))) == NULL ||
	    (nw->info = calloc(p * p, sizeof(double))) == NULL ||
	    (nw->sites = json_array()) == NULL) {
		fl_newton_free(nw);
		return fl_err_set(err, FL_ENOMEM, "out of memory");
	}
	nw->base = base;
	nw->p = p;
	prev = json_object_get(fl_archive_manifest(base_a), "newton");
	if (prev != NULL && !json_is_null(prev)) {
		double *at = malloc(p * sizeof(double) + 1);
		int bad = at == NULL || !json_is_object(prev) ||
		    get_reals(json_object_get(prev, "at"), p, at) < 0 ||
		    !json_is_number(json_object_get(prev, "objective")) ||
		    !json_is_integer(json_object_get(prev, "iteration")) ||
		    !json_is_integer(json_object_get(prev, "halvings"));

		free(at);
		if (bad) {
			fl_newton_free(nw);
			return fl_err_set(err, FL_EFORMAT, "manifest's "
			    "'newton' is malformed");
		}
		nw->prev = json_incref(prev);
	}
	*nwp = nw;
	return 0;
}

int
fl_newton_add(struct fl_newton *nw, struct fl_archive *a, const char *name,
    struct fl_err *err)
{
	json_t *r = json_object_get(fl_archive_manifest(a), "newton"), *site;
	size_t i, p, pp, rows, events, extreme, skipped, dropped;
	double *v, ll, l2;

	if (nw == NULL) {
		if (r != NULL)
			return fl_err_set(err, FL_EFORMAT, "%s: a Newton "
			    "update; aggregate it with --strategy newton",
			    name);
		return 0;
	}
	if (r == NULL)
		return fl_err_set(err, FL_EFORMAT, "%s: not a Newton update "
		    "(train with --optimizer newton)", name);
	p = nw->p;
	pp = p * p;
	if (!json_is_object(r) || get_count(r, "rows", &rows) < 0 ||
	    get_count(r, "events", &events) < 0 ||
	    get_count(r, "extreme", &extreme) < 0 ||
	    get_count(r, "skipped", &skipped) < 0 ||
	    get_count(r, "dropped", &dropped) < 0 || events > rows ||
	    !json_is_number(json_object_get(r, "loglik")) ||
	    !json_is_number(json_object_get(r, "l2")))
		return fl_err_set(err, FL_EFORMAT, "%s: its 'newton' record "
		    "is malformed", name);
	ll = json_number_value(json_object_get(r, "loglik"));
	l2 = json_number_value(json_object_get(r, "l2"));
	if (!isfinite(ll) || !(l2 >= 0) || !isfinite(l2))
		return fl_err_set(err, FL_ENUM, "%s: its log-likelihood or "
		    "l2 is out of range", name);
	if (nw->have_l2 && l2 != nw->l2)
		return fl_err_set(err, FL_EFORMAT, "%s: trained with --l2 %g, "
		    "another site with --l2 %g; the penalty must be the same "
		    "at every site", name, l2, nw->l2);
	if ((v = malloc((pp + p) * sizeof(double))) == NULL)
		return fl_err_set(err, FL_ENOMEM, "out of memory");
	if (get_reals(json_object_get(r, "score"), p, v) < 0 ||
	    get_reals(json_object_get(r, "information"), pp, v + p) < 0) {
		free(v);
		return fl_err_set(err, FL_EFORMAT, "%s: its score must be %zu "
		    "finite numbers and its information %zu", name, p, pp);
	}
	for (i = 0; i < p; i++)
		nw->score[i] += v[i];
	for (i = 0; i < pp; i++)
		nw->info[i] += v[p + i];
	free(v);
	nw->have_l2 = 1;
	nw->l2 = l2;
	nw->loglik += ll;
	nw->rows += rows;
	nw->events += events;
	nw->extreme += extreme;
	nw->count++;
	site = json_object_get(fl_archive_manifest(a), "site");
	if (json_array_append_new(nw->sites, json_pack("{s:O?, s:I, s:I, "
	    "s:I, s:I}", "site", site, "rows", (json_int_t)rows, "events",
	    (json_int_t)events, "skipped", (json_int_t)skipped, "dropped",
	    (json_int_t)dropped)) < 0)
		return fl_err_set(err, FL_ENOMEM, "out of memory");
	return 0;
}

static json_t *
reals(const double *v, size_t n)
{
	json_t *a = json_array();
	size_t i;

	for (i = 0; a != NULL && i < n; i++)
		if (json_array_append_new(a, json_real(v[i])) < 0) {
			json_decref(a);
			return NULL;
		}
	return a;
}

/*
 * The step from theta (the base's coefficients, where the sums were
 * taken) into next; the record into *rec.  Penalises the sums in place.
 */
static int
step(struct fl_newton *nw, const double *theta, double *next, json_t **rec,
    struct fl_err *err)
{
	size_t p = nw->p, j, first = fl_model_task(nw->base) !=
	    FL_TASK_SURVIVAL;
	double obj = nw->loglik, pobj, *at, *info = nw->info, *chol = NULL;
	json_int_t iter = 0, halvings = 0;
	int accept = 1, conv = 0, rc = 0;

	for (j = first; j < p; j++) {
		obj -= nw->l2 / 2 * theta[j] * theta[j];
		nw->score[j] -= nw->l2 * theta[j];
		info[j * p + j] += nw->l2;
	}
	at = (double *)theta;
	if (nw->prev != NULL) {
		iter = json_integer_value(json_object_get(nw->prev,
		    "iteration"));
		pobj = json_number_value(json_object_get(nw->prev,
		    "objective"));
		halvings = json_integer_value(json_object_get(nw->prev,
		    "halvings"));
		if (obj < pobj - NEWTON_TOL * (fabs(pobj) + 0.1)) {
			/* The log-likelihood fell: half way back. */
			accept = 0;
			if (++halvings > MAX_HALVINGS)
				return fl_err_set(err, FL_ENUM, "newton: the "
				    "log-likelihood still falls after %d "
				    "step-halvings; cannot correct the step "
				    "size", MAX_HALVINGS);
			if ((at = malloc(p * sizeof(double))) == NULL)
				return fl_err_set(err, FL_ENOMEM,
				    "out of memory");
			get_reals(json_object_get(nw->prev, "at"), p, at);
			for (j = 0; j < p; j++)
				next[j] = (theta[j] + at[j]) / 2;
		} else {
			conv = fabs(obj - pobj) <= NEWTON_TOL *
			    (fabs(obj) + 0.1);
			halvings = 0;
		}
	}
	if (accept) {
		memcpy(next, theta, p * sizeof(double));
		if (!conv) {
			if ((chol = malloc(p * p * sizeof(double))) == NULL)
				return fl_err_set(err, FL_ENOMEM,
				    "out of memory");
			memcpy(chol, info, p * p * sizeof(double));
			if (fl_chol(chol, p) < 0) {
				free(chol);
				return fl_err_set(err, FL_ENUM, "newton: the "
				    "information matrix is singular at "
				    "iteration %lld (collinear features, a "
				    "feature constant at every site, or "
				    "separation); refit with --l2",
				    (long long)iter + 1);
			}
			memcpy(next, nw->score, p * sizeof(double));
			fl_chol_solve(chol, p, next);
			for (j = 0; j < p; j++)
				next[j] += theta[j];
			free(chol);
		}
		*rec = json_pack("{s:I, s:f, s:f, s:o, s:o, s:b, s:I}",
		    "iteration", iter + 1, "loglik", nw->loglik, "objective",
		    obj, "at", reals(theta, p), "information",
		    reals(info, p * p), "converged", conv, "halvings",
		    (json_int_t)0);
	} else {
		/* Keep the accepted point's record; count the halving. */
		*rec = json_deep_copy(nw->prev);
		if (*rec != NULL && (json_object_set_new(*rec, "iteration",
		    json_integer(iter + 1)) < 0 || json_object_set_new(*rec,
		    "halvings", json_integer(halvings)) < 0 ||
		    json_object_set_new(*rec, "converged", json_false()) < 0)) {
			json_decref(*rec);
			*rec = NULL;
		}
		free(at);
	}
	for (j = 0; j < p; j++)
		if (!isfinite((float)next[j]))
			rc = fl_err_set(err, FL_ENUM, "newton: the step "
			    "overflows (separated data?); refit with --l2");
	if (rc == 0 && *rec == NULL)
		rc = fl_err_set(err, FL_ENOMEM, "out of memory");
	return rc;
}

int
fl_newton_finish(struct fl_newton *nw, struct fl_archive **out,
    struct fl_err *err)
{
	struct fl_model *m = NULL;
	struct fl_archive *a = NULL;
	double *theta = NULL, *next = NULL;
	json_t *rec = NULL;
	int rc;

	if (nw == NULL || *out == NULL)
		return 0;
	if (nw->count == 0)
		return fl_err_set(err, FL_EUSAGE, "no updates to aggregate");
	if ((theta = malloc(nw->p * sizeof(double))) == NULL ||
	    (next = malloc(nw->p * sizeof(double))) == NULL) {
		rc = fl_err_set(err, FL_ENOMEM, "out of memory");
		goto out;
	}
	fl_newton_get(nw->base, theta);
	if ((rc = step(nw, theta, next, &rec, err)) < 0)
		goto out;
	if (json_object_set_new(rec, "l2", json_real(nw->l2)) < 0 ||
	    json_object_set_new(rec, "rows",
	    json_integer((json_int_t)nw->rows)) < 0 ||
	    json_object_set_new(rec, "events",
	    json_integer((json_int_t)nw->events)) < 0 ||
	    json_object_set_new(rec, "extreme",
	    json_integer((json_int_t)nw->extreme)) < 0 ||
	    json_object_set(rec, "sites", nw->sites) < 0) {
		rc = fl_err_set(err, FL_ENOMEM, "out of memory");
		goto out;
	}
	/* The aggregated archive again, with the new coefficients. */
	if ((rc = fl_model_from_archive(&m, *out, err)) < 0)
		goto out;
	fl_newton_set(m, next);
	if ((rc = fl_model_to_archive(m, FL_KIND_MODEL, &a, err)) < 0)
		goto out;
	if (json_object_update_missing(fl_archive_manifest(a),
	    fl_archive_manifest(*out)) < 0 ||
	    json_object_set(fl_archive_manifest(a), "newton", rec) < 0) {
		rc = fl_err_set(err, FL_ENOMEM, "out of memory");
		goto out;
	}
	fl_archive_free(*out);
	*out = a;
	a = NULL;
out:
	fl_archive_free(a);
	fl_model_free(m);
	json_decref(rec);
	free(theta);
	free(next);
	return rc;
}
