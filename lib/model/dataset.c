/*
 * dataset.c: a CSV file read through a model's preprocessing, so that every
 * site turns its rows into the same standardised, imputed matrix.  Columns
 * are found by header name; the reader is csv.c and the model's features,
 * label and prep come from model.c.  See fl.h.
 */
#include <float.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "model/model.h"

#define DS_ROWS_INIT 1024

void
fl_dataset_free(struct fl_dataset *ds)
{
	if (ds == NULL)
		return;
	free(ds->X);
	free(ds->y);
	free(ds->time);
	free(ds);
}

/* Grow X and y to hold cap rows of d features. */
static int
ds_grow(struct fl_dataset *ds, size_t *cap, struct fl_err *err)
{
	size_t ncap = *cap == 0 ? DS_ROWS_INIT : *cap * 2, xbytes, ybytes;
	void *p;

	if (ncap < *cap ||
	    fl_size_mul(ncap, ds->d == 0 ? 1 : ds->d, &xbytes) < 0 ||
	    fl_size_mul(xbytes, sizeof(float), &xbytes) < 0 ||
	    fl_size_mul(ncap, sizeof(float), &ybytes) < 0)
		return fl_err_set(err, FL_ENOMEM, "out of memory");
	if ((p = realloc(ds->X, xbytes)) == NULL)
		return fl_err_set(err, FL_ENOMEM, "out of memory");
	ds->X = p;
	if ((p = realloc(ds->y, ybytes)) == NULL)
		return fl_err_set(err, FL_ENOMEM, "out of memory");
	ds->y = p;
	if (ds->time != NULL) {
		if ((p = realloc(ds->time, ybytes)) == NULL)
			return fl_err_set(err, FL_ENOMEM, "out of memory");
		ds->time = p;
	}
	*cap = ncap;
	return 0;
}

/* Check a label against the task: 0 when valid, else an error. */
static int
check_label(const struct fl_csv *c, const char *col, enum fl_task task,
    size_t k, double v, struct fl_err *err)
{
	switch (task) {
	case FL_TASK_BINARY:
		if (v == 0 || v == 1)
			return 0;
		return fl_err_set(err, FL_EFORMAT,
		    "%s:%zu: column '%.64s': label %.10g is not 0 or 1",
		    fl_csv_name(c), fl_csv_line(c), col, v);
	case FL_TASK_MULTICLASS:
		if (v >= 0 && v == floor(v) && v < (double)k)
			return 0;
		return fl_err_set(err, FL_EFORMAT,
		    "%s:%zu: column '%.64s': label %.10g is not a class "
		    "0 to %zu", fl_csv_name(c), fl_csv_line(c), col, v,
		    k == 0 ? 0 : k - 1);
	case FL_TASK_REGRESSION:
		/* The reader gives finite numbers; y is stored as float. */
		if (fabs(v) <= FLT_MAX)
			return 0;
		return fl_err_set(err, FL_EFORMAT,
		    "%s:%zu: column '%.64s': label %.10g is out of range",
		    fl_csv_name(c), fl_csv_line(c), col, v);
	case FL_TASK_SURVIVAL:
		if (v == 0 || v == 1)
			return 0;
		return fl_err_set(err, FL_EFORMAT,
		    "%s:%zu: column '%.64s': event %.10g is not 0 or 1",
		    fl_csv_name(c), fl_csv_line(c), col, v);
	}
	return fl_err_set(err, FL_EUSAGE, "unknown task");
}

int
fl_dataset_load(struct fl_dataset **dsp, const char *path,
    const struct fl_model *m, int need_label, struct fl_err *err)
{
	return fl_dataset_load_image(dsp, path, m, need_label, NULL, err);
}

int
fl_dataset_load_image(struct fl_dataset **dsp, const char *path,
    const struct fl_model *m, int need_label, const char *image_col,
    struct fl_err *err)
{
	const struct fl_prep *pp = fl_model_prep_const(m);
	enum fl_task task = fl_model_task(m);
	size_t k = fl_model_nclasses(m), d = pp->d, j, cap = 0, ncols;
	struct fl_dataset *ds = NULL;
	struct fl_csv *c = NULL;
	long *idx = NULL, lab = -1, f, tcol = -1;
	long *lvl = NULL;	/* ncat cells' levels, then ncat columns */
	double *row = NULL, *raw = NULL, x;
	const char *cell;
	size_t celln;
	float *xr;
	int rc;

	*dsp = NULL;
	if ((rc = fl_csv_open(&c, path, err)) < 0)
		return rc;
	if (image_col != NULL && (rc = fl_csv_image(c, image_col, err)) < 0) {
		fl_csv_free(c);
		return rc;
	}
	ncols = fl_csv_ncols(c);
	if ((ds = calloc(1, sizeof(*ds))) == NULL ||
	    (idx = calloc(d == 0 ? 1 : d, sizeof(*idx))) == NULL ||
	    (raw = calloc(d == 0 ? 1 : d, sizeof(*raw))) == NULL ||
	    (lvl = calloc(2 * pp->ncat + 1, sizeof(*lvl))) == NULL ||
	    (row = malloc(ncols * sizeof(*row))) == NULL) {
		rc = fl_err_set(err, FL_ENOMEM, "out of memory");
		goto out;
	}
	ds->d = d;
	/* A categorical column's cells may be text (its levels). */
	for (j = 0; j < pp->ncat; j++) {
		if ((rc = fl_csv_text(c, pp->cat[j].column, err)) < 0)
			goto out;
		lvl[pp->ncat + j] = fl_csv_find(c, pp->cat[j].column);
	}
	for (j = 0; j < d; j++) {
		const char *col = pp->fcat != NULL && pp->fcat[j] >= 0 ?
		    pp->cat[pp->fcat[j]].column : pp->features[j];

		if ((f = fl_csv_find(c, col)) < 0) {
			rc = fl_err_set(err, FL_EFORMAT,
			    "%s: missing column '%.64s'", fl_csv_name(c), col);
			goto out;
		}
		idx[j] = f;
	}
	lab = pp->label == NULL ? -1 : fl_csv_find(c, pp->label);
	if (lab < 0 && need_label) {
		rc = fl_err_set(err, FL_EFORMAT, "%s: missing column '%.64s'",
		    fl_csv_name(c), pp->label == NULL ? "" : pp->label);
		goto out;
	}
	/*
	 * A survival model also reads its time column (into ds->time, the
	 * event being the label): a row missing either is skipped like a
	 * row without a label; a time must be finite and >= 0.
	 */
	if (task == FL_TASK_SURVIVAL) {
		tcol = pp->time == NULL ? -1 : fl_csv_find(c, pp->time);
		if (tcol < 0 && need_label) {
			rc = fl_err_set(err, FL_EFORMAT, "%s: missing column "
			    "'%.64s'", fl_csv_name(c),
			    pp->time == NULL ? "" : pp->time);
			goto out;
		}
		if ((ds->time = malloc(sizeof(float))) == NULL) {
			rc = fl_err_set(err, FL_ENOMEM, "out of memory");
			goto out;
		}
	}
	if ((rc = ds_grow(ds, &cap, err)) < 0)
		goto out;
	while ((rc = fl_csv_next(c, row, err)) == 1) {
		double yv = lab >= 0 ? row[lab] : NAN;
		double tv = tcol >= 0 ? row[tcol] : NAN;

		if (task == FL_TASK_SURVIVAL && isnan(tv) && need_label) {
			ds->skipped++;
			continue;
		}
		if (!isnan(tv) && !(tv >= 0 && tv <= FLT_MAX)) {
			rc = fl_err_set(err, FL_EFORMAT, "%s:%zu: column "
			    "'%.64s': time %.10g is not a number >= 0",
			    fl_csv_name(c), fl_csv_line(c), pp->time, tv);
			goto out;
		}

		/*
		 * Training and evaluation drop a row without a label;
		 * prediction (need_label 0) keeps every row, in order.
		 */
		if (isnan(yv)) {
			if (need_label) {
				ds->skipped++;
				continue;
			}
		} else if ((rc = check_label(c, pp->label, task, k, yv,
		    err)) < 0)
			goto out;
		/*
		 * The raw features: numbers, or a categorical column's
		 * indicators, 1 for the cell's level and 0 for the others
		 * (all 0 for a level the model does not know); NaN for a
		 * missing cell.  Without categorical columns they are the
		 * row's cells, read in place.
		 */
		for (j = 0; j < pp->ncat; j++) {
			cell = fl_csv_field(c, (size_t)lvl[pp->ncat + j],
			    &celln);
			lvl[j] = fl_catcol_find(&pp->cat[j], cell, celln);
		}
		for (j = 0; pp->ncat > 0 && j < d; j++) {
			if (pp->fcat[j] < 0)
				raw[j] = row[idx[j]];
			else if ((f = lvl[pp->fcat[j]]) == FL_CAT_MISSING)
				raw[j] = NAN;
			else
				raw[j] = f == (long)pp->flevel[j];
		}
		if (pp->drop_missing && need_label) {
			for (j = 0; j < d && !isnan(pp->ncat > 0 ? raw[j] :
			    row[idx[j]]); j++)
				;
			if (j < d) {
				ds->dropped++;
				continue;
			}
		}
		if (ds->n == cap && (rc = ds_grow(ds, &cap, err)) < 0)
			goto out;
		xr = ds->X + ds->n * d;
		for (j = 0; j < d; j++) {
			x = pp->ncat > 0 ? raw[j] : row[idx[j]];
			if (isnan(x))
				x = pp->impute[j];
			x = (x - pp->mean[j]) / pp->scale[j];
			if (!(fabs(x) <= FLT_MAX)) {
				rc = fl_err_set(err, FL_EFORMAT,
				    "%s:%zu: column '%.64s': value out of range "
				    "after standardisation", fl_csv_name(c),
				    fl_csv_line(c), pp->features[j]);
				goto out;
			}
			xr[j] = (float)x;
		}
		ds->y[ds->n] = (float)yv;
		if (ds->time != NULL)
			ds->time[ds->n] = (float)tv;
		ds->n++;
	}
	if (rc < 0)
		goto out;
	*dsp = ds;
	ds = NULL;
	rc = 0;
out:
	free(idx);
	free(raw);
	free(lvl);
	free(row);
	fl_csv_free(c);
	fl_dataset_free(ds);
	return rc;
}
