/*
 * init-cat.c: fl-init --categorical.  Each column named becomes one 0/1
 * feature "column=level" per level that the pooled statistics recorded
 * (fl-stats --categorical), in the column's place among the features; a
 * model without hidden layers (logreg, softmax, linear, cox) drops the
 * first level, its reference (R's contr.treatment), since its bias (or a
 * Cox model's baseline) already stands for it and a full one-hot would
 * make the fit singular.  The encoding itself is lib/model/onehot.c.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "fl.h"
#include "cli.h"
#include "init.h"

/* The reference level's index for o's model: 0, or -1 with hidden
 * layers (mlp), which keep every level. */
static long
reference(const struct opts *o)
{
	return strncmp(o->spec, "mlp", 3) == 0 ? -1 : 0;
}

/* The levels of categorical column name in st, checked. */
static long
levels(const struct opts *o, const struct fl_stats *st, const char *name,
    const char *const **v, const double **cnt, struct fl_err *err)
{
	long col, n;

	if ((col = fl_stats_find(st, name)) < 0)
		return fl_err_set(err, FL_EFORMAT, "%s: no column '%s' "
		    "(--categorical)", o->stats, name);
	n = fl_stats_levels(st, (size_t)col, v, cnt);
	if (n == FL_LEVELS_NONE)
		return fl_err_set(err, FL_EFORMAT, "%s: column '%s' has no "
		    "recorded levels (every site needs fl-stats --categorical "
		    "%s)", o->stats, name, name);
	if (n == FL_LEVELS_OVER)
		return fl_err_set(err, FL_EFORMAT, "%s: column '%s' has too "
		    "many levels for --categorical (over %d)", o->stats, name,
		    FL_MAX_LEVELS);
	if (n < 2)
		return fl_err_set(err, FL_EFORMAT, "%s: column '%s' has %ld "
		    "level%s; --categorical needs 2 or more", o->stats, name,
		    n, n == 1 ? "" : "s");
	return n;
}

int
init_cat_expand(const struct opts *o, const struct fl_stats *st,
    const char ***feats, size_t *d, char ***made, struct fl_err *err)
{
	const char *const *v, **out = NULL;
	const double *cnt;
	size_t j, k, n = 0, nmade = 0, cap = *d + 1;
	long nl, l;
	char **mk = NULL;
	int rc;

	*made = NULL;
	if (o->ncategorical == 0)
		return 0;
	for (k = 0; k < o->ncategorical; k++) {
		if ((nl = levels(o, st, o->categorical[k], &v, &cnt, err)) < 0)
			return (int)nl;
		if (!init_listed((char *const *)*feats, *d,
		    o->categorical[k]))
			return fl_err_set(err, FL_EUSAGE, "--categorical: "
			    "'%s' is not a feature", o->categorical[k]);
		cap += (size_t)nl;
	}
	if ((out = calloc(cap, sizeof(*out))) == NULL ||
	    (mk = calloc(cap, sizeof(*mk))) == NULL) {
		rc = fl_err_set(err, FL_ENOMEM, "out of memory");
		goto fail;
	}
	for (j = 0; j < *d; j++) {
		if (!init_listed(o->categorical, o->ncategorical,
		    (*feats)[j])) {
			out[n++] = (*feats)[j];
			continue;
		}
		nl = levels(o, st, (*feats)[j], &v, &cnt, err);
		for (l = reference(o) + 1; l < nl; l++) {
			size_t len = strlen((*feats)[j]) + strlen(v[l]) + 2;

			if ((mk[nmade] = malloc(len)) == NULL) {
				rc = fl_err_set(err, FL_ENOMEM,
				    "out of memory");
				goto fail;
			}
			snprintf(mk[nmade], len, "%s=%s", (*feats)[j], v[l]);
			out[n++] = mk[nmade++];
		}
	}
	free(*feats);
	*feats = out;
	*d = n;
	*made = mk;
	return 0;
fail:
	for (j = 0; mk != NULL && j < nmade; j++)
		free(mk[j]);
	free(mk);
	free(out);
	return rc;
}

void
init_cat_report(const struct opts *o, const struct fl_model *m)
{
	const struct fl_prep *p = fl_model_prep_const(m);
	const struct fl_catcol *c;
	size_t k;

	if (o->verbose == 0 || (o->verbose < 0 && !isatty(2)))
		return;
	for (k = 0; k < p->ncat; k++) {
		c = &p->cat[k];
		if (c->reference >= 0)
			fprintf(stderr, "%s: %s: %zu levels, reference %s (all "
			    "zeros)\n", fl_progname(), c->column, c->nlevels,
			    c->levels[c->reference]);
		else
			fprintf(stderr, "%s: %s: %zu levels, a feature each\n",
			    fl_progname(), c->column, c->nlevels);
	}
}

int
init_cat_prep(const struct opts *o, const struct fl_stats *st,
    struct fl_model *m, struct fl_err *err)
{
	struct fl_prep *p = fl_model_prep(m);
	const char *const *v;
	const double *cnt;
	double total;
	size_t j, k;
	long nl, l;
	int rc;

	for (k = 0; k < o->ncategorical; k++) {
		nl = levels(o, st, o->categorical[k], &v, &cnt, err);
		if ((rc = fl_prep_add_categorical(p, o->categorical[k],
		    (size_t)nl, v, reference(o), err)) < 0)
			return rc;
	}
	if ((rc = fl_prep_link(p, err)) < 0)
		return rc;
	/*
	 * Indicators stay 0/1 (mean 0, scale 1), so their coefficients
	 * read as R's; a missing cell is imputed with each level's share
	 * of the pooled cells, as a number is with its pooled mean.
	 */
	for (j = 0; j < p->d; j++) {
		if (p->fcat == NULL || p->fcat[j] < 0)
			continue;
		nl = levels(o, st, p->cat[p->fcat[j]].column, &v, &cnt, err);
		for (l = 0, total = 0; l < nl; l++)
			total += cnt[l];
		p->mean[j] = 0;
		p->scale[j] = 1;
		p->impute[j] = cnt[p->flevel[j]] / total;
	}
	return 0;
}
