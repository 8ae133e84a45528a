/*
 * baseline.c: the federated baseline hazard, a federation-layer concern.
 * fl-train adds a site's table of events and exposure on the model's
 * grid to its update (fl_survival_update_table); fl-aggregate sums the
 * tables of a round and writes the aggregated model's cumulative hazard
 * (fl_baseline_new, _add, _finish).  The model's grid and the reading
 * of the result are in survmodel.c; the manual is fl-archive(5).
 */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "federation/federation.h"
#include "model/model_int.h"

/* Interval k of the grid: (lo, hi]. */
static double
grid_lo(const struct fl_prep *p, size_t k)
{
	return k == 0 ? 0.0 : p->grid[k - 1];
}


/* A new JSON array of n doubles; NULL when out of memory. */
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

/* Add this site's table at model m to an update's manifest; see fl.h. */
int
fl_survival_update_table(const struct fl_model *m,
    const struct fl_dataset *ds, json_t *manifest, struct fl_err *err)
{
	const struct fl_prep *p = &m->prep;
	size_t G = p->ngrid, i, k;
	double *ev = NULL, *ex = NULL, r, t, lo, hi;
	float *eta = NULL;
	json_t *tab = NULL;
	int rc;

	if (m->task != FL_TASK_SURVIVAL || G == 0)
		return 0;
	if (ds->time == NULL)
		return fl_err_set(err, FL_EUSAGE, "no survival times");
	ev = calloc(G, sizeof(double));
	ex = calloc(G, sizeof(double));
	eta = malloc((ds->n > 0 ? ds->n : 1) * sizeof(float));
	if (ev == NULL || ex == NULL || eta == NULL) {
		rc = fl_err_set(err, FL_ENOMEM, "out of memory");
		goto out;
	}
	if ((rc = fl_predict(m, ds, NULL, eta, err)) < 0)
		goto out;
	for (i = 0; i < ds->n; i++) {
		t = ds->time[i];
		r = exp((double)eta[i]);
		for (k = 0; k < G; k++) {
			lo = grid_lo(p, k);
			hi = p->grid[k];
			if (t <= lo && !(k == 0 && t == 0.0))
				break;
			ex[k] += r * ((t < hi ? t : hi) - lo);
			if (ds->y[i] == 1.0f && t <= hi) {
				ev[k] += 1.0;
				break;
			}
			if (t <= hi)
				break;
		}
	}
	tab = json_object();
	if (tab == NULL || json_object_set_new(tab, "events",
	    reals(ev, G)) < 0 || json_object_set_new(tab, "exposure",
	    reals(ex, G)) < 0 || json_object_set_new(manifest,
	    "survival_table", tab) < 0) {
		rc = fl_err_set(err, FL_ENOMEM, "out of memory");
		goto out;
	}
	rc = 0;
out:
	free(ev);
	free(ex);
	free(eta);
	return rc;
}

struct fl_baseline {
	const struct fl_model	*base;
	char			*base_id;
	double			*ev, *ex;	/* (ngrid) sums */
	size_t			 count;
};

/* Start summing tables; *b stays NULL without a grid.  See fl.h. */
int
fl_baseline_new(struct fl_baseline **bp, const struct fl_model *base,
    const char *base_id, struct fl_err *err)
{
	struct fl_baseline *b;
	size_t G = base->prep.ngrid;

	*bp = NULL;
	if (base->task != FL_TASK_SURVIVAL || G == 0)
		return 0;
	if ((b = calloc(1, sizeof(*b))) == NULL ||
	    (b->base_id = strdup(base_id)) == NULL ||
	    (b->ev = calloc(G, sizeof(double))) == NULL ||
	    (b->ex = calloc(G, sizeof(double))) == NULL) {
		fl_baseline_free(b);
		return fl_err_set(err, FL_ENOMEM, "out of memory");
	}
	b->base = base;
	*bp = b;
	return 0;
}

/* Read table key's G non-negative finite numbers into v (added). */
static int
table_add(const json_t *tab, const char *key, size_t G, double *v,
    const char *name, struct fl_err *err)
{
	const json_t *a = json_object_get(tab, key), *x;
	size_t k;
	double d;

	if (!json_is_array(a) || json_array_size(a) != G)
		return fl_err_set(err, FL_EFORMAT, "%s: survival_table.%s: "
		    "expected an array of %zu numbers", name, key, G);
	json_array_foreach(a, k, x) {
		d = json_number_value(x);
		if (!json_is_number(x) || !isfinite(d) || d < 0.0)
			return fl_err_set(err, FL_EFORMAT, "%s: survival_"
			    "table.%s[%zu]: not a finite number >= 0", name,
			    key, k);
	}
	json_array_foreach(a, k, x)
		v[k] += json_number_value(x);
	return 0;
}

/* Add one update's table; see fl.h. */
int
fl_baseline_add(struct fl_baseline *b, const struct fl_archive *u,
    const char *name, struct fl_err *err)
{
	const json_t *tab;
	size_t G;
	int rc;

	if (b == NULL)
		return 0;
	G = b->base->prep.ngrid;
	tab = json_object_get(fl_archive_manifest((struct fl_archive *)u),
	    "survival_table");
	if (!json_is_object(tab))
		return fl_err_set(err, FL_EFORMAT, "%s: a survival update "
		    "without survival_table", name);
	if ((rc = table_add(tab, "events", G, b->ev, name, err)) < 0 ||
	    (rc = table_add(tab, "exposure", G, b->ex, name, err)) < 0)
		return rc;
	b->count++;
	return 0;
}

/* Set the aggregated model's "baseline"; see fl.h. */
int
fl_baseline_finish(struct fl_baseline *b, json_t *manifest,
    struct fl_err *err)
{
	const struct fl_prep *p;
	double *H, acc = 0.0, events = 0.0;
	json_t *o;
	size_t k;

	if (b == NULL || b->count == 0)
		return 0;
	p = &b->base->prep;
	if ((H = malloc(p->ngrid * sizeof(double))) == NULL)
		return fl_err_set(err, FL_ENOMEM, "out of memory");
	for (k = 0; k < p->ngrid; k++) {
		if (b->ex[k] > 0.0)
			acc += b->ev[k] / b->ex[k] * (p->grid[k] -
			    grid_lo(p, k));
		events += b->ev[k];
		H[k] = acc;
	}
	o = json_pack("{s:s, s:I, s:I, s:o}", "model", b->base_id,
	    "sites", (json_int_t)b->count, "events", (json_int_t)events,
	    "cumhaz", reals(H, p->ngrid));
	free(H);
	if (o == NULL || json_object_set_new(manifest, "baseline", o) < 0)
		return fl_err_set(err, FL_ENOMEM, "out of memory");
	return 0;
}

void
fl_baseline_free(struct fl_baseline *b)
{
	if (b == NULL)
		return;
	free(b->base_id);
	free(b->ev);
	free(b->ex);
	free(b);
}
