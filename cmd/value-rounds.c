/*
 * value-rounds.c: fl-value's inputs: the models (one per round) and the
 * updates, each given to the round of the model it names as its parent,
 * held as coalitions (lib/federation/coalition.c).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "fl.h"
#include "cli.h"
#include "value.h"

void
value_rounds_free(struct round *rounds, size_t n)
{
	size_t i;

	for (i = 0; rounds != NULL && i < n; i++) {
		fl_coalition_free(rounds[i].c);
		fl_remote_free(rounds[i].rm);
		free(rounds[i].r.value);
		free(rounds[i].r.se);
		free(rounds[i].r.loo);
	}
	free(rounds);
}

/* Read the models into rounds[0..n-1]; *cap gets the most tensor bytes
 * an update of any of them may declare. */
static int
read_models(const struct opts *o, const struct fl_seckey *key,
    struct round *rounds, uint64_t *cap, struct fl_err *err)
{
	struct fl_archive *a;
	uint64_t bytes;
	size_t i, j;
	int rc;

	*cap = 0;
	for (i = 0; i < o->nmodels; i++) {
		rounds[i].name = fl_in_name(o->models[i]);
		if ((rc = fl_archive_read_file_key(o->models[i], key, &a,
		    err)) < 0)
			return rc;
		rc = fl_coalition_new(&rounds[i].c, a, rounds[i].name,
		    o->strategy, &o->agg, err);
		if (rc == 0)
			rounds[i].task = fl_model_task(fl_coalition_base(
			    rounds[i].c));
		if (rc == 0 && (rc = fl_update_max_bytes(a, &bytes, err)) == 0 &&
		    bytes > *cap)
			*cap = bytes;
		fl_archive_free(a);
		if (rc < 0)
			return rc;
		for (j = 0; j < i; j++)
			if (strcmp(fl_coalition_base_id(rounds[j].c),
			    fl_coalition_base_id(rounds[i].c)) == 0)
				return fl_err_set(err, FL_EUSAGE, "%s: the same "
				    "model as %s", rounds[i].name,
				    rounds[j].name);
	}
	return 0;
}

/* Give update a (named name) to the round of its parent. */
static int
add_update(struct round *rounds, size_t n, const struct fl_archive *a,
    const char *name, struct fl_err *err)
{
	const json_t *p = json_object_get(fl_archive_manifest(
	    (struct fl_archive *)a), "parent");
	size_t i;

	if (fl_archive_kind(a) != FL_KIND_UPDATE)
		return fl_err_set(err, FL_EFORMAT, "%s: %s %s archive, not an "
		    "update", name, fl_article(fl_kind_name(fl_archive_kind(a))),
		    fl_kind_name(fl_archive_kind(a)));
	if (!json_is_string(p))
		return fl_err_set(err, FL_EFORMAT, "%s: key 'parent' is missing "
		    "or not a string", name);
	for (i = 0; i < n; i++)
		if (strcmp(json_string_value(p),
		    fl_coalition_base_id(rounds[i].c)) == 0)
			return fl_coalition_add(rounds[i].c, a, name, err);
	return fl_err_set(err, FL_EFORMAT, "%s: trained from the model "
	    "%.19s..., which no --model names", name, json_string_value(p));
}

/* qsort order of rounds by round number. */
static int
by_round(const void *x, const void *y)
{
	int64_t a = fl_coalition_round(((const struct round *)x)->c);
	int64_t b = fl_coalition_round(((const struct round *)y)->c);

	return (a > b) - (a < b);
}

int
value_read_rounds(const struct opts *o, const struct fl_seckey *key,
    struct round **roundsp, size_t *np, struct fl_err *err)
{
	struct fl_archive *a = NULL;
	struct round *rounds;
	struct fl_reader *r;
	const char *name;
	uint64_t cap;
	size_t i;
	FILE *f;
	int k, rc, nstdin = 0;

	*roundsp = NULL;
	*np = 0;
	for (i = 0; i < o->nmodels; i++)
		nstdin += strcmp(o->models[i], "-") == 0;
	for (k = 0; k < o->ninputs; k++)
		nstdin += strcmp(o->inputs[k], "-") == 0;
	if (nstdin > 1)
		return fl_err_set(err, FL_EUSAGE, "stdin can be read only once");
	if ((rounds = calloc(o->nmodels, sizeof(*rounds))) == NULL)
		return fl_err_set(err, FL_ENOMEM, "out of memory");
	if ((rc = read_models(o, key, rounds, &cap, err)) < 0)
		goto out;
	for (k = 0; k < o->ninputs && rc >= 0; k++) {
		name = fl_in_name(o->inputs[k]);
		if ((f = fl_in_open(o->inputs[k], err)) == NULL) {
			rc = FL_EIO;
			break;
		}
		if ((rc = fl_reader_open_key(&r, f, name, key, err)) < 0) {
			fl_in_close(f);
			break;
		}
		for (;;) {
			fl_reader_set_max(r, cap, "an update of these models "
			    "holds no more");
			if ((rc = fl_reader_next(r, &a, err)) <= 0 ||
			    (rc = add_update(rounds, o->nmodels, a, name,
			    err)) < 0)
				break;
		}
		fl_reader_free(r);
		fl_in_close(f);
	}
	fl_archive_free(a);
	if (rc < 0)
		goto out;
	for (i = 0; i < o->nmodels; i++)
		if (fl_coalition_count(rounds[i].c) == 0) {
			rc = fl_err_set(err, FL_EFORMAT, "%s: no update was "
			    "trained from this model", rounds[i].name);
			goto out;
		}
	qsort(rounds, o->nmodels, sizeof(*rounds), by_round);
	*roundsp = rounds;
	*np = o->nmodels;
	return 0;
out:
	value_rounds_free(rounds, o->nmodels);
	return rc;
}
