/*
 * fl-aggregate: combine the sites' updates into the next model (FedAvg,
 * a server optimizer or a robust strategy, optionally with central
 * differential privacy), or the sites' statistics or metrics into pooled
 * ones; lib/federation/combine.c decides which from the archives.  Inputs are
 * streamed one archive at a time, so memory does not grow with their
 * number.  Manual: man/fl-aggregate.1.
 */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "fl.h"
#include "cli.h"
#include "aggregate.h"
#include "cli-summary.h"

/* Read every archive of every input, in order, into c. */
static int
read_inputs(struct fl_combine *c, const struct opts *o,
    const struct fl_seckey *key, struct fl_progress *bar, struct fl_err *err)
{
	struct fl_archive *a = NULL;
	struct fl_reader *r;
	struct fl_sink sink;
	const char *name;
	FILE *f;
	int i, rc = 0;

	/* Updates are added to the sums as they are read: no update is
	 * held whole (lib/federation/stream.c). */
	fl_combine_sink(c, &sink);
	for (i = 0; i < o->ninputs && rc >= 0; i++) {
		name = fl_in_name(o->inputs[i]);
		if ((f = fl_in_open(o->inputs[i], err)) == NULL)
			return FL_EIO;
		if ((rc = fl_reader_open_key(&r, f, name, key, err)) < 0) {
			fl_in_close(f);
			break;
		}
		fl_reader_set_sink(r, &sink);
		/* Once the model is known, nothing after it may declare more
		 * tensor bytes than an update of it holds. */
		for (;;) {
			if (fl_combine_max_bytes(c) > 0)
				fl_reader_set_max(r, fl_combine_max_bytes(c),
				    "an update of this model holds no more");
			if ((rc = fl_reader_next(r, &a, err)) <= 0 ||
			    (rc = fl_combine_add(c, &a, name, err)) < 0)
				break;
		}
		fl_reader_free(r);
		fl_in_close(f);
		fl_progress_cb(bar, (size_t)i + 1, (size_t)o->ninputs);
	}
	fl_archive_free(a);
	return rc;
}

/* The round stops at a recovery request: exit 1, naming the missing. */
static int
request_note(struct fl_archive *req, const char *path, struct fl_err *err)
{
	const json_t *d = json_object_get(fl_archive_manifest(req),
	    "dropped"), *v;
	char list[512];
	size_t i, at = 0;

	list[0] = '\0';
	json_array_foreach(d, i, v)
		if (at < sizeof(list))
			at += (size_t)snprintf(list + at, sizeof(list) - at,
			    "%s%s", i > 0 ? ", " : "", json_string_value(v));
	return fl_err_set(err, FL_EFORMAT, "masked round incomplete: no "
	    "update from %s; recovery request written to %s, no model", list,
	    path);
}

int
main(int argc, char **argv)
{
	struct fl_err err = FL_ERR_INIT;
	struct fl_archive *a = NULL, *out = NULL;
	struct fl_seckey *key = NULL, *sk = NULL;
	struct fl_trust *trust = NULL;
	struct fl_combine *c = NULL;
	struct fl_progress bar;
	struct opts o;
	int rc;

	fl_setprogname(argv[0]);
	aggregate_parse_args(argc, argv, &o);
	fl_progress_init(&bar, "aggregating", o.progress);
	if ((o.key != NULL && (rc = fl_seckey_read(&key, o.key, &err)) < 0) ||
	    (o.sign != NULL && (rc = fl_seckey_read(&sk, o.sign, &err)) < 0) ||
	    (o.trust != NULL && (rc = fl_trust_load(&trust, o.trust,
	    &err)) < 0) ||
	    (rc = fl_combine_new(&c, o.strategy, &o.agg, trust, &err)) < 0)
		goto out;
	if (o.partial)
		fl_combine_set_partial(c);
	if (o.model != NULL) {
		if ((rc = fl_archive_read_file_key(o.model, key, &a,
		    &err)) < 0)
			goto out;
		rc = fl_combine_base(c, a, fl_in_name(o.model), &err);
		a = NULL;	/* c owns it now */
		if (rc < 0)
			goto out;
	}
	if ((rc = read_inputs(c, &o, key, &bar, &err)) < 0)
		goto out;
	fl_progress_end(&bar);
	/* Masked updates with roster sites missing: the survivors' turn. */
	if (o.request != NULL &&
	    (rc = fl_combine_request(c, &out, &err)) != 0) {
		if (rc > 0 && (rc = fl_manifest_set_writer(fl_archive_manifest(
		    out), "fl-aggregate", &err)) == 0 && (sk == NULL ||
		    (rc = fl_archive_sign_new(out, sk, &err)) == 0) &&
		    (rc = fl_archive_save(&out, 1, o.request, &err)) == 0)
			rc = request_note(out, o.request, &err);
		goto out;
	}
	if ((rc = fl_combine_finish(c, &out, &err)) < 0 ||
	    (rc = fl_manifest_set_writer(fl_archive_manifest(out),
	    "fl-aggregate", &err)) < 0 ||
	    (sk != NULL && (rc = fl_archive_sign_new(out, sk, &err)) < 0))
		goto out;
	if ((rc = fl_archive_save(&out, 1, o.out, &err)) == 0)
		fl_summary_archive(o.verbose, out);
out:
	fl_progress_end(&bar);
	if (rc < 0)
		rc = fl_report(&err);
	else
		rc = fl_close_stdout();
	fl_archive_free(a);
	fl_archive_free(out);
	fl_combine_free(c);
	fl_seckey_free(sk);
	fl_seckey_free(key);
	fl_trust_free(trust);
	return rc;
}
