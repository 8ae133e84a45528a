/*
 * survmodel.c: the survival model's description, a model-layer concern
 * with no dependency on training: the time column and baseline grid a
 * survival model carries (fl_model_set_survival), their manifest form
 * (model.survival, read and written by modelio.c), and the aggregated
 * baseline cumulative hazard a model archive may carry (fl_baseline_read,
 * fl_baseline_at).  The Cox head is in cox.c, the per-site tables and
 * their federated sum in baseline.c; the manual is fl-archive(5).
 */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "model/model.h"
#include "model_int.h"

#define MAX_GRID 4096	/* baseline grid points */

/* Interval k of the grid: (lo, hi]. */
static double
grid_lo(const struct fl_prep *p, size_t k)
{
	return k == 0 ? 0.0 : p->grid[k - 1];
}

/* Make m a survival model; see fl.h. */
int
fl_model_set_survival(struct fl_model *m, const char *time,
    const double *grid, size_t ngrid, struct fl_err *err)
{
	struct fl_prep *p = &m->prep;
	char *t;
	double *g = NULL;
	size_t k;

	if (m->task != FL_TASK_SURVIVAL)
		return fl_err_set(err, FL_EUSAGE, "model '%s' is not a "
		    "survival model", m->spec);
	if (time == NULL || *time == '\0' || strcmp(time, p->label) == 0)
		return fl_err_set(err, FL_EUSAGE, "the time column must be "
		    "named and differ from the event column");
	for (k = 0; k < p->d; k++)
		if (strcmp(p->features[k], time) == 0)
			return fl_err_set(err, FL_EUSAGE, "the time column "
			    "'%s' cannot be a feature", time);
	if (ngrid > MAX_GRID)
		return fl_err_set(err, FL_EUSAGE, "at most %d grid points",
		    MAX_GRID);
	for (k = 0; k < ngrid; k++)
		if (!isfinite(grid[k]) || !(grid[k] > (k > 0 ? grid[k - 1] :
		    0.0)))
			return fl_err_set(err, FL_EUSAGE, "the baseline grid "
			    "must increase from above 0");
	if ((t = strdup(time)) == NULL || (ngrid > 0 &&
	    (g = malloc(ngrid * sizeof(double))) == NULL)) {
		free(t);
		return fl_err_set(err, FL_ENOMEM, "out of memory");
	}
	if (ngrid > 0)
		memcpy(g, grid, ngrid * sizeof(double));
	free(p->time);
	free(p->grid);
	p->time = t;
	p->grid = g;
	p->ngrid = ngrid;
	return 0;
}

/* Add "survival" to a manifest's "model" object; see fl.h. */
int
fl_survival_describe(const struct fl_model *m, json_t *model,
    struct fl_err *err)
{
	const struct fl_prep *p = &m->prep;
	json_t *s, *g;
	size_t k;
	int bad = 0;

	if (m->task != FL_TASK_SURVIVAL)
		return 0;
	s = json_object();
	g = json_array();
	if (s == NULL || g == NULL)
		bad = 1;
	for (k = 0; !bad && k < p->ngrid; k++)
		bad |= json_array_append_new(g, json_real(p->grid[k])) < 0;
	if (!bad) {
		bad |= json_object_set_new(s, "time", json_string(
		    p->time != NULL ? p->time : "")) < 0;
		bad |= json_object_set_new(s, "event",
		    json_string(p->label)) < 0;
		bad |= json_object_set_new(s, "grid", g) < 0;
		g = NULL;
		bad |= json_object_set_new(model, "survival", s) < 0;
		s = NULL;
	}
	json_decref(s);
	json_decref(g);
	return bad ? fl_err_set(err, FL_ENOMEM, "out of memory") : 0;
}

/* Read "survival" from a manifest's "model" object into m; see fl.h. */
int
fl_survival_from_json(struct fl_model *m, const json_t *model,
    struct fl_err *err)
{
	const json_t *s = json_object_get(model, "survival"), *g, *v;
	const char *time, *event;
	double *grid = NULL;
	size_t k, n;
	int rc;

	if (m->task != FL_TASK_SURVIVAL) {
		if (s != NULL)
			return fl_err_set(err, FL_EFORMAT, "model.survival in "
			    "a model of task '%s'", fl_task_name(m->task));
		return 0;
	}
	if (!json_is_object(s))
		return fl_err_set(err, FL_EFORMAT, "a survival model without "
		    "model.survival");
	if ((rc = fl_json_get_str(s, "time", &time, err)) < 0 ||
	    (rc = fl_json_get_str(s, "event", &event, err)) < 0)
		return fl_err_prefix(err, "model.survival");
	if (strcmp(event, m->prep.label) != 0)
		return fl_err_set(err, FL_EFORMAT, "model.survival.event "
		    "'%s' is not the label '%s'", event, m->prep.label);
	g = json_object_get(s, "grid");
	if (!json_is_array(g) || (n = json_array_size(g)) > MAX_GRID)
		return fl_err_set(err, FL_EFORMAT, "model.survival.grid: "
		    "expected an array of at most %d numbers", MAX_GRID);
	if (n > 0 && (grid = malloc(n * sizeof(double))) == NULL)
		return fl_err_set(err, FL_ENOMEM, "out of memory");
	json_array_foreach(g, k, v) {
		if (!json_is_number(v)) {
			free(grid);
			return fl_err_set(err, FL_EFORMAT, "model.survival."
			    "grid[%zu] is not a number", k);
		}
		grid[k] = json_number_value(v);
	}
	rc = fl_model_set_survival(m, time, grid, n, err);
	free(grid);
	if (rc < 0) {
		err->code = FL_EFORMAT;
		return fl_err_prefix(err, "model.survival");
	}
	return 0;
}

/* Read a model's baseline; see fl.h. */
int
fl_baseline_read(const struct fl_model *m, const json_t *manifest,
    double **cumhaz, struct fl_err *err)
{
	const json_t *b = json_object_get(manifest, "baseline"), *a, *v;
	size_t G = m->prep.ngrid, k;
	double *H, d;

	*cumhaz = NULL;
	if (b == NULL || json_is_null(b))
		return 0;
	a = json_object_get(b, "cumhaz");
	if (m->task != FL_TASK_SURVIVAL || G == 0 || !json_is_array(a) ||
	    json_array_size(a) != G)
		return fl_err_set(err, FL_EFORMAT, "baseline.cumhaz: expected "
		    "an array of %zu numbers", G);
	if ((H = malloc(G * sizeof(double))) == NULL)
		return fl_err_set(err, FL_ENOMEM, "out of memory");
	json_array_foreach(a, k, v) {
		d = json_number_value(v);
		if (!json_is_number(v) || !isfinite(d) || d < 0.0 ||
		    (k > 0 && d < H[k - 1])) {
			free(H);
			return fl_err_set(err, FL_EFORMAT, "baseline.cumhaz"
			    "[%zu]: not a finite number >= 0 and >= the one "
			    "before", k);
		}
		H[k] = d;
	}
	*cumhaz = H;
	return 1;
}

/* H0(t), linear between grid points; see fl.h. */
double
fl_baseline_at(const struct fl_model *m, const double *H, double t)
{
	const struct fl_prep *p = &m->prep;
	size_t k;
	double lo, f;

	if (!(t >= 0.0) || p->ngrid == 0 || t > p->grid[p->ngrid - 1])
		return NAN;
	for (k = 0; k < p->ngrid && t > p->grid[k]; k++)
		;
	lo = grid_lo(p, k);
	f = (t - lo) / (p->grid[k] - lo);
	return (k > 0 ? H[k - 1] : 0.0) * (1.0 - f) + H[k] * f;
}
