/*
 * onehot.c: categorical columns of a model's preprocessing.  A categorical
 * column (fl-init --categorical) becomes one 0/1 feature per level, named
 * "column=level", but for its reference level (reference coding, R's
 * contr.treatment), which all zeros stand for.  The model keeps each
 * column's levels in its manifest ("preprocess" "categorical", see
 * fl-archive(5)); dataset.c encodes the cells; fl-init builds the names.
 */
#include <stdlib.h>
#include <string.h>

#include "model/model.h"

/* Free what p's categorical part owns, leaving none. */
void
fl_prep_cat_release(struct fl_prep *p)
{
	size_t k, l;

	for (k = 0; k < p->ncat; k++) {
		free(p->cat[k].column);
		for (l = 0; l < p->cat[k].nlevels; l++)
			free(p->cat[k].levels[l]);
		free(p->cat[k].levels);
	}
	free(p->cat);
	free(p->fcat);
	free(p->flevel);
	p->cat = NULL;
	p->fcat = NULL;
	p->flevel = NULL;
	p->ncat = 0;
}

int
fl_prep_add_categorical(struct fl_prep *p, const char *column,
    size_t nlevels, const char *const *levels, long reference,
    struct fl_err *err)
{
	struct fl_catcol *c;
	size_t l, i;
	void *q;

	if (column[0] == '\0')
		return fl_err_set(err, FL_EFORMAT, "a categorical column "
		    "without a name");
	if (nlevels < 2 || nlevels > FL_MAX_CAT_LEVELS)
		return fl_err_set(err, FL_EFORMAT, "categorical column "
		    "'%.64s': %zu levels, not 2 to %d", column, nlevels,
		    FL_MAX_CAT_LEVELS);
	if (reference < -1 || reference >= (long)nlevels)
		return fl_err_set(err, FL_EFORMAT, "categorical column "
		    "'%.64s': no reference level %ld", column, reference);
	for (i = 0; i < p->ncat; i++)
		if (strcmp(p->cat[i].column, column) == 0)
			return fl_err_set(err, FL_EFORMAT, "categorical column "
			    "'%.64s' given twice", column);
	for (l = 0; l < nlevels; l++) {
		if (levels[l] == NULL || levels[l][0] == '\0' ||
		    strlen(levels[l]) > FL_MAX_CAT_LEVEL_LEN)
			return fl_err_set(err, FL_EFORMAT, "categorical column "
			    "'%.64s': level %zu is empty or longer than %d "
			    "bytes", column, l, FL_MAX_CAT_LEVEL_LEN);
		for (i = 0; i < l; i++)
			if (strcmp(levels[i], levels[l]) == 0)
				return fl_err_set(err, FL_EFORMAT, "categorical "
				    "column '%.64s': level '%.64s' twice",
				    column, levels[l]);
	}
	if ((q = realloc(p->cat, (p->ncat + 1) * sizeof(*p->cat))) == NULL)
		return fl_err_set(err, FL_ENOMEM, "out of memory");
	p->cat = q;
	c = &p->cat[p->ncat];
	memset(c, 0, sizeof(*c));
	c->reference = reference;
	if ((c->column = strdup(column)) == NULL ||
	    (c->levels = calloc(nlevels, sizeof(*c->levels))) == NULL)
		goto nomem;
	p->ncat++;		/* owned from here: release frees it */
	for (l = 0; l < nlevels; l++, c->nlevels++)
		if ((c->levels[l] = strdup(levels[l])) == NULL)
			return fl_err_set(err, FL_ENOMEM, "out of memory");
	return 0;
nomem:
	free(c->column);
	c->column = NULL;
	return fl_err_set(err, FL_ENOMEM, "out of memory");
}

/* Order categorical columns by name. */
static int
cmp_col(const void *a, const void *b)
{
	return strcmp((*(struct fl_catcol *const *)a)->column,
	    (*(struct fl_catcol *const *)b)->column);
}

/* The column of ord[0..n) (sorted by name) named s[0..len), or NULL. */
static const struct fl_catcol *
find_col(struct fl_catcol *const *ord, size_t n, const char *s, size_t len)
{
	size_t lo = 0, hi = n, mid;
	int c;

	while (lo < hi) {
		mid = lo + (hi - lo) / 2;
		c = strncmp(ord[mid]->column, s, len);
		if (c == 0)
			c = ord[mid]->column[len] != '\0';
		if (c == 0)
			return ord[mid];
		if (c < 0)
			lo = mid + 1;
		else
			hi = mid;
	}
	return NULL;
}

/*
 * Which column and level feature f names, as "column=level" where the
 * column may itself hold '=': every '=' in f is tried, with a binary
 * search of the columns, so that linking costs d log(ncat) searches
 * however many columns a (hostile) manifest declares.  Returns the
 * number of (column, level) pairs f names, the last in *k and *l.
 */
static size_t
feature_level(struct fl_catcol *const *ord, size_t n,
    const struct fl_catcol *cat, const char *f, long *k, size_t *l)
{
	const struct fl_catcol *c;
	const char *eq;
	size_t hits = 0;
	long lv;

	for (eq = strchr(f, '='); eq != NULL; eq = strchr(eq + 1, '=')) {
		if ((c = find_col(ord, n, f, (size_t)(eq - f))) == NULL)
			continue;
		lv = fl_catcol_find(c, eq + 1, strlen(eq + 1));
		if (lv < 0)
			continue;	/* the reference counts: refused */
		*k = (long)(c - cat);
		*l = (size_t)lv;
		hits++;
	}
	return hits;
}

int
fl_prep_link(struct fl_prep *p, struct fl_err *err)
{
	struct fl_catcol **ord = NULL;
	size_t j, k, l, hits, *seen = NULL, *base = NULL, total = 0;
	int rc = 0;

	free(p->fcat);
	free(p->flevel);
	p->fcat = NULL;
	p->flevel = NULL;
	if (p->ncat == 0)
		return 0;
	for (k = 0; k < p->ncat; k++)
		total += p->cat[k].nlevels;
	if ((p->fcat = malloc(p->d * sizeof(*p->fcat))) == NULL ||
	    (p->flevel = calloc(p->d, sizeof(*p->flevel))) == NULL ||
	    (ord = malloc(p->ncat * sizeof(*ord))) == NULL ||
	    (base = malloc(p->ncat * sizeof(*base))) == NULL ||
	    (seen = calloc(total, sizeof(*seen))) == NULL) {
		rc = fl_err_set(err, FL_ENOMEM, "out of memory");
		goto out;
	}
	for (k = 0, total = 0; k < p->ncat; k++) {
		ord[k] = &p->cat[k];
		base[k] = total;
		total += p->cat[k].nlevels;
	}
	qsort(ord, p->ncat, sizeof(*ord), cmp_col);
	for (j = 0; j < p->d; j++) {
		const char *f = p->features[j];

		p->fcat[j] = -1;
		if (find_col(ord, p->ncat, f, strlen(f)) != NULL) {
			rc = fl_err_set(err, FL_EFORMAT, "feature '%.64s' is "
			    "also a categorical column", f);
			goto out;
		}
		hits = feature_level(ord, p->ncat, p->cat, f, &p->fcat[j],
		    &p->flevel[j]);
		if (hits > 1) {
			rc = fl_err_set(err, FL_EFORMAT, "feature '%.64s' "
			    "names levels of two categorical columns", f);
			goto out;
		}
		if (hits == 1)
			seen[base[p->fcat[j]] + p->flevel[j]]++;
	}
	/* Each level but the reference is exactly one feature. */
	for (k = 0; k < p->ncat; k++)
		for (l = 0; l < p->cat[k].nlevels; l++) {
			hits = (long)l != p->cat[k].reference;
			if (seen[base[k] + l] == hits)
				continue;
			rc = fl_err_set(err, FL_EFORMAT, "features name level "
			    "'%.64s' of categorical column '%.64s' %zu times",
			    p->cat[k].levels[l], p->cat[k].column,
			    seen[base[k] + l]);
			goto out;
		}
out:
	free(ord);
	free(base);
	free(seen);
	return rc;
}

int
fl_prep_cat_copy(struct fl_prep *dst, const struct fl_prep *src,
    struct fl_err *err)
{
	size_t k;
	int rc;

	for (k = 0; k < src->ncat; k++)
		if ((rc = fl_prep_add_categorical(dst, src->cat[k].column,
		    src->cat[k].nlevels,
		    (const char *const *)src->cat[k].levels,
		    src->cat[k].reference, err)) < 0)
			return rc;
	return fl_prep_link(dst, err);
}

long
fl_catcol_find(const struct fl_catcol *c, const char *cell, size_t len)
{
	size_t l;

	if (cell == NULL)
		return FL_CAT_MISSING;
	for (l = 0; l < c->nlevels; l++)
		if (strncmp(c->levels[l], cell, len) == 0 &&
		    c->levels[l][len] == '\0')
			return (long)l;
	return FL_CAT_UNKNOWN;
}

json_t *
fl_prep_cat_json(const struct fl_prep *p)
{
	json_t *o, *c, *lv;
	size_t k, l;

	if ((o = json_object()) == NULL)
		return NULL;
	for (k = 0; k < p->ncat; k++) {
		const struct fl_catcol *cc = &p->cat[k];

		c = json_object();
		lv = json_array();
		for (l = 0; lv != NULL && l < cc->nlevels; l++)
			if (json_array_append_new(lv,
			    json_string(cc->levels[l])) < 0) {
				json_decref(lv);
				lv = NULL;
			}
		if (c == NULL || lv == NULL ||
		    json_object_set_new(c, "levels", lv) < 0 ||
		    json_object_set_new(c, "reference", cc->reference < 0 ?
		    json_null() : json_string(cc->levels[cc->reference])) < 0 ||
		    json_object_set_new(o, cc->column, c) < 0) {
			json_decref(c);
			json_decref(o);
			return NULL;
		}
	}
	return o;
}

int
fl_prep_cat_from_json(struct fl_prep *p, const json_t *j, struct fl_err *err)
{
	const char *key, **names = NULL;
	const json_t *c, *lv, *ref, *v;
	long reference;
	size_t l;
	int rc = 0;

	if (!json_is_object(j) || json_object_size(j) > p->d)
		return fl_err_set(err, FL_EFORMAT, "preprocess.categorical: "
		    "not an object of at most %zu columns", p->d);
	json_object_foreach((json_t *)j, key, c) {
		lv = json_object_get(c, "levels");
		ref = json_object_get(c, "reference");
		if (!json_is_array(lv) || json_array_size(lv) < 2 ||
		    json_array_size(lv) > FL_MAX_CAT_LEVELS ||
		    (!json_is_null(ref) && !json_is_string(ref)))
			return fl_err_set(err, FL_EFORMAT, "preprocess."
			    "categorical.%.64s: not levels (2 to %d) and a "
			    "reference", key, FL_MAX_CAT_LEVELS);
		if ((names = calloc(json_array_size(lv), sizeof(*names))) ==
		    NULL)
			return fl_err_set(err, FL_ENOMEM, "out of memory");
		reference = json_is_null(ref) ? -1 : -2;
		json_array_foreach(lv, l, v) {
			names[l] = json_string_value(v);	/* NULL: refused */
			if (names[l] != NULL && json_is_string(ref) &&
			    strcmp(names[l], json_string_value(ref)) == 0)
				reference = (long)l;
			if (names[l] != NULL && strlen(names[l]) !=
			    json_string_length(v))
				names[l] = NULL;	/* a NUL inside */
		}
		if (reference == -2) {
			free(names);
			return fl_err_set(err, FL_EFORMAT, "preprocess."
			    "categorical.%.64s: the reference is none of its "
			    "levels", key);
		}
		rc = fl_prep_add_categorical(p, key, json_array_size(lv),
		    names, reference, err);
		free(names);
		if (rc < 0)
			return fl_err_prefix(err, "preprocess");
	}
	return fl_prep_link(p, err);
}
