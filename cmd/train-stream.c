/*
 * train-stream.c: what fl-train reads and writes.  The input is one
 * model, or a model followed by updates of it, as an fl-train
 * --pass-model upstream writes them; the model is trained, and the
 * updates are checked to be of that model and round and are written on,
 * unchanged, before this site's, so that fl-train commands chain in a
 * pipe.  Manual: man/fl-train.1, --pass-model.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "fl.h"
#include "cli.h"
#include "train.h"

/*
 * Check upstream update number i (archive i + 2 of the stream) against
 * the model and the updates before it: an update, of this model and
 * round, from a site that has none yet in the stream, this site
 * included (fl-aggregate takes one update per site and round).
 */
static int
check_upstream(const struct opts *o, const struct train_in *in, size_t i,
    const char *name, struct fl_err *err)
{
	const struct fl_archive *u = in->ups[i];
	json_t *man = fl_archive_manifest((struct fl_archive *)u);
	const char *parent, *site, *other;
	int64_t round;
	size_t k;

	if (fl_archive_kind(u) != FL_KIND_UPDATE)
		return fl_err_set(err, FL_EFORMAT, "%s (archive %zu): %s %s "
		    "archive after the model, not an update", name, i + 2,
		    fl_article(fl_kind_name(fl_archive_kind(u))),
		    fl_kind_name(fl_archive_kind(u)));
	if (fl_json_get_str(man, "parent", &parent, err) < 0 ||
	    fl_json_get_int(man, "round", &round, err) < 0 ||
	    fl_archive_site(u, &site, err) < 0)
		return fl_err_prefix(err, "%s (archive %zu)", name, i + 2);
	if (strcmp(parent, fl_archive_id(in->model)) != 0)
		return fl_err_set(err, FL_EFORMAT, "%s (archive %zu): update "
		    "was trained from the round-%lld model %.19s..., not from "
		    "the stream's round-%lld model %.19s...", name, i + 2,
		    (long long)round, parent, (long long)in->round,
		    fl_archive_id(in->model));
	if (round != in->round)
		return fl_err_set(err, FL_EFORMAT, "%s (archive %zu): update "
		    "is for round %lld, the stream's model is at round %lld",
		    name, i + 2, (long long)round, (long long)in->round);
	for (k = 0; k < i; k++) {
		other = json_string_value(json_object_get(
		    fl_archive_manifest(in->ups[k]), "site"));
		if (other != NULL && strcmp(site, other) == 0)
			return fl_err_set(err, FL_EFORMAT, "%s (archive %zu): "
			    "a second update from site '%s' in round %lld",
			    name, i + 2, site, (long long)round);
	}
	if (strcmp(site, o->site) == 0)
		return fl_err_set(err, FL_EFORMAT, "%s (archive %zu): an "
		    "update from site '%s', this site's name, in round %lld "
		    "(give each site its own --site)", name, i + 2, site,
		    (long long)round);
	return 0;
}

/* Read the model, then each update after it, from r. */
static int
read_stream(const struct opts *o, struct fl_reader *r, struct train_in *in,
    struct fl_model **recv, struct fl_err *err)
{
	const char *name = fl_in_name(o->model);
	struct fl_archive *a = NULL, **grown;
	uint64_t max;
	size_t cap = 0;
	int rc;

	if ((rc = fl_reader_next(r, &in->model, err)) < 0)
		return rc;
	if (rc == 0)
		return fl_err_set(err, FL_EFORMAT, "%s: no archive", name);
	if (fl_archive_kind(in->model) != FL_KIND_MODEL)
		return fl_err_set(err, FL_EFORMAT, "%s: %s %s archive, not a "
		    "model", name,
		    fl_article(fl_kind_name(fl_archive_kind(in->model))),
		    fl_kind_name(fl_archive_kind(in->model)));
	if ((rc = fl_model_from_archive(recv, in->model, err)) < 0 ||
	    (rc = fl_json_get_int(fl_archive_manifest(in->model), "round",
	    &in->round, err)) < 0)
		return fl_err_prefix(err, "%s", name);
	/* Nothing after the model may declare more than an update holds. */
	if ((rc = fl_update_max_bytes(in->model, &max, err)) < 0)
		return rc;
	fl_reader_set_max(r, max, "an update of this model holds no more");
	for (;;) {
		if ((rc = fl_reader_next(r, &a, err)) <= 0)
			break;
		if (in->nups == cap) {
			cap = cap > 0 ? 2 * cap : 4;
			if ((grown = realloc(in->ups, cap *
			    sizeof(*grown))) == NULL) {
				rc = fl_err_set(err, FL_ENOMEM,
				    "out of memory");
				break;
			}
			in->ups = grown;
		}
		in->ups[in->nups++] = a;
		a = NULL;
		if ((rc = check_upstream(o, in, in->nups - 1, name, err)) < 0)
			break;
	}
	fl_archive_free(a);
	return rc;
}

int
train_read(const struct opts *o, const struct fl_seckey *key,
    struct train_in *in, struct fl_model **recv, struct fl_err *err)
{
	struct fl_reader *r;
	FILE *f;
	int rc;

	memset(in, 0, sizeof(*in));
	*recv = NULL;
	if ((f = fl_in_open(o->model, err)) == NULL)
		return FL_EIO;
	if ((rc = fl_reader_open_key(&r, f, fl_in_name(o->model), key,
	    err)) < 0) {
		fl_in_close(f);
		return rc;
	}
	rc = read_stream(o, r, in, recv, err);
	fl_reader_free(r);
	fl_in_close(f);
	return rc;
}

int
train_write(const struct opts *o, const struct train_in *in,
    struct fl_archive *upd, struct fl_err *err)
{
	struct fl_archive **outs;
	size_t i;
	int rc;

	if (!o->pass && in->nups == 0)
		return fl_archive_save(&upd, 1, o->out, err);
	if ((outs = calloc(in->nups + 2, sizeof(*outs))) == NULL)
		return fl_err_set(err, FL_ENOMEM, "out of memory");
	outs[0] = in->model;
	for (i = 0; i < in->nups; i++)
		outs[i + 1] = in->ups[i];
	outs[in->nups + 1] = upd;
	rc = fl_archive_save(outs, in->nups + 2, o->out, err);
	free(outs);
	return rc;
}

void
train_in_release(struct train_in *in)
{
	size_t i;

	fl_archive_free(in->model);
	for (i = 0; i < in->nups; i++)
		fl_archive_free(in->ups[i]);
	free(in->ups);
	memset(in, 0, sizeof(*in));
}
