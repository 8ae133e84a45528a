/*
 * lineage.c: a model's history, one hash-chained entry per round, so that
 * a consortium can trace every model back to the updates and sites that
 * made it, and so that an altered entry is detected.  The format is in
 * man/fl-archive.5; fl-pack log prints it and fl-pack verify --chain
 * checks it.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/evp.h>

#include "trust/trust.h"

/* "sha256:<hex>" of entry's canonical JSON into out[72]; -1 on error. */
static int
entry_hash(const json_t *entry, char out[72])
{
	unsigned char md[EVP_MAX_MD_SIZE];
	unsigned int mdlen = 0, i;
	char *s;
	int rc;

	if ((s = json_dumps(entry, JSON_COMPACT | JSON_SORT_KEYS)) == NULL)
		return -1;
	rc = EVP_Digest(s, strlen(s), md, &mdlen, EVP_sha256(), NULL);
	free(s);
	if (rc != 1)
		return -1;
	memcpy(out, "sha256:", 7);
	for (i = 0; i < mdlen; i++)
		snprintf(out + 7 + 2 * i, 3, "%02x", md[i]);
	return 0;
}

int
fl_history_append(json_t *history, int round, const char *parent,
    const char *strategy, const json_t *updates)
{
	size_t n = json_array_size(history);
	char prev[72];
	json_t *e;

	if (n > 0 && entry_hash(json_array_get(history, n - 1), prev) < 0)
		return -1;
	e = json_pack("{s:i, s:s, s:s, s:O, s:s?}", "round", round, "parent",
	    parent, "strategy", strategy, "updates", updates, "prev",
	    n > 0 ? prev : NULL);
	if (e == NULL)
		return -1;
	if (n == 0 && json_object_set_new(e, "prev", json_null()) < 0) {
		json_decref(e);
		return -1;
	}
	return json_array_append_new(history, e);
}

int
fl_history_check(const json_t *man, struct fl_err *err)
{
	const json_t *h = json_object_get(man, "history"), *e, *prev;
	const char *parent, *p;
	int64_t round, r, first = 0;
	char want[72];
	size_t i, n;
	int rc;

	if ((rc = fl_json_get_int(man, "round", &round, err)) < 0)
		return rc;
	if (h == NULL || json_is_null(h)) {
		if (round == 0)
			return 0;
		return fl_err_set(err, FL_EVERIFY, "round %lld model has no "
		    "history", (long long)round);
	}
	if (!json_is_array(h) || (n = json_array_size(h)) == 0)
		return fl_err_set(err, FL_EVERIFY, "history is not a list of "
		    "rounds");
	for (i = 0; i < n; i++) {
		e = json_array_get(h, i);
		if (!json_is_object(e) ||
		    fl_json_get_int(e, "round", &r, err) < 0 ||
		    fl_json_get_str(e, "parent", &p, err) < 0 ||
		    !json_is_array(json_object_get(e, "updates")))
			return fl_err_set(err, FL_EVERIFY, "history entry %zu "
			    "is malformed", i);
		if (i == 0)
			first = r;
		else if (r != first + (int64_t)i)
			return fl_err_set(err, FL_EVERIFY, "history entry %zu "
			    "is round %lld, expected %lld", i, (long long)r,
			    (long long)(first + (int64_t)i));
		prev = json_object_get(e, "prev");
		if (i == 0) {
			if (!json_is_null(prev))
				return fl_err_set(err, FL_EVERIFY, "history "
				    "entry 0 links to an earlier one");
			continue;
		}
		if (entry_hash(json_array_get(h, i - 1), want) < 0)
			return fl_err_set(err, FL_ENOMEM, "out of memory");
		if (!json_is_string(prev) ||
		    strcmp(json_string_value(prev), want) != 0)
			return fl_err_set(err, FL_EVERIFY, "history entry %zu "
			    "(round %lld) was altered: the link from entry %zu "
			    "does not match", i - 1, (long long)(first +
			    (int64_t)i - 1), i);
	}
	e = json_array_get(h, n - 1);
	fl_json_get_int(e, "round", &r, NULL);
	fl_json_get_str(e, "parent", &p, NULL);
	if (fl_json_get_str(man, "parent", &parent, err) < 0 ||
	    strcmp(parent, p) != 0 || r + 1 != round)
		return fl_err_set(err, FL_EVERIFY, "the last history entry "
		    "(round %lld) is not this model's parent round", (long long)r);
	return 0;
}

/* Whether v prints safely in a row: absent or null, or a string that is
 * a name (name set) or an id "sha256:" and 64 lower-case hex digits. */
static int
field_ok(const json_t *v, int name)
{
	const char *s;

	if (v == NULL || json_is_null(v))
		return 1;
	if (!json_is_string(v))
		return 0;
	s = json_string_value(v);
	if (name)
		return fl_name_ok(s);
	return strlen(s) == 71 && strncmp(s, "sha256:", 7) == 0 &&
	    strspn(s + 7, "0123456789abcdef") == 64;
}

int
fl_history_print(const json_t *man, FILE *out, struct fl_err *err)
{
	const json_t *h = json_object_get(man, "history"), *e, *u;
	size_t i, j;

	if (h != NULL && !json_is_null(h) && !json_is_array(h))
		return fl_err_set(err, FL_EFORMAT, "'history' is not an "
		    "array");
	/* Check every field before the first row: a name or an id with a
	 * tab or a newline in it would forge rows, a fake signer among them. */
	json_array_foreach(h, i, e) {
		if (!field_ok(json_object_get(e, "parent"), 0))
			return fl_err_set(err, FL_EFORMAT, "history entry %zu: "
			    "'parent' is not an id", i);
		json_array_foreach(json_object_get(e, "updates"), j, u)
			if (!field_ok(json_object_get(u, "site"), 1) ||
			    !field_ok(json_object_get(u, "signer"), 1) ||
			    !field_ok(json_object_get(u, "id"), 0))
				return fl_err_set(err, FL_EFORMAT, "history "
				    "entry %zu, update %zu: a site, signer or "
				    "id that is not a name or an id", i, j);
	}
	fprintf(out, "round\tparent\tsite\tsamples\tupdate\tsigner\n");
	json_array_foreach(h, i, e) {
		json_array_foreach(json_object_get(e, "updates"), j, u) {
			const char *site = json_string_value(
			    json_object_get(u, "site"));
			const char *signer = json_string_value(
			    json_object_get(u, "signer"));
			const char *id = json_string_value(
			    json_object_get(u, "id"));

			fprintf(out, "%lld\t%s\t%s\t%lld\t%s\t%s\n",
			    (long long)json_integer_value(
			    json_object_get(e, "round")),
			    json_string_value(json_object_get(e, "parent")) ?
			    json_string_value(json_object_get(e, "parent")) :
			    "-", site != NULL ? site : "-",
			    (long long)json_integer_value(
			    json_object_get(u, "samples")),
			    id != NULL ? id : "-", signer != NULL ? signer :
			    "-");
		}
	}
	if (fflush(out) != 0 || ferror(out))
		return fl_err_set(err, FL_EIO, "write error");
	return 0;
}
