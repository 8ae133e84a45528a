/*
 * manifest.c: helpers for the manifest.json of an archive: its canonical
 * form (what the archive id hashes), checked getters for untrusted fields,
 * and the "writer" object.  The fields are specified in man/fl-archive.5.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "format/format.h"

/* Compact, keys sorted, "id" left out.  json_copy is shallow, so the
 * manifest itself is never changed. */
char *
fl_manifest_canonical(const json_t *manifest)
{
	json_t *c;
	char *s;

	if (!json_is_object(manifest))
		return json_dumps(manifest, JSON_COMPACT | JSON_SORT_KEYS |
		    JSON_ENCODE_ANY);
	if ((c = json_copy((json_t *)manifest)) == NULL)
		return NULL;
	json_object_del(c, "id");
	s = json_dumps(c, JSON_COMPACT | JSON_SORT_KEYS);
	json_decref(c);
	return s;
}

/* The flags fl prints manifests with: archive members, fl-pack extract
 * and fl-pack manifest. */
#define PRINT_FLAGS	(JSON_INDENT(2) | JSON_SORT_KEYS)

/*
 * Check JSON text against the depth, item and string limits before
 * Jansson builds anything from it, so that neither its recursion nor its
 * nodes (tens of bytes each) can be driven by the input.  A string (key or
 * value) is measured as written, escapes included; an item is a key, a
 * string, an array, an object or any other token (a number, true, false,
 * null).  Malformed text is left for Jansson to report: this only counts.
 */
int
fl_json_scan(const char *b, size_t n, size_t maxdepth, size_t maxitems,
    const char *what, struct fl_err *err)
{
	size_t i, depth = 0, items = 0, slen = 0;
	int in_str = 0, esc = 0, in_tok = 0;
	unsigned char c;

	for (i = 0; i < n; i++) {
		c = (unsigned char)b[i];
		if (in_str) {
			if (esc)
				esc = 0;
			else if (c == '\\')
				esc = 1;
			else if (c == '"') {
				in_str = 0;
				continue;
			}
			if (++slen > FL_MAX_JSON_STRING)
				return fl_err_set(err, FL_EFORMAT, "%s: a "
				    "string over %u bytes", what,
				    FL_MAX_JSON_STRING);
			continue;
		}
		switch (c) {
		case '"':
			in_str = 1;
			slen = 0;
			items++;
			in_tok = 0;
			break;
		case '[':
		case '{':
			if (++depth > maxdepth)
				return fl_err_set(err, FL_EFORMAT, "%s: nested "
				    "deeper than %zu levels", what, maxdepth);
			items++;
			in_tok = 0;
			break;
		case ']':
		case '}':
			if (depth > 0)
				depth--;
			in_tok = 0;
			break;
		case ',':
		case ':':
		case ' ':
		case '\t':
		case '\n':
		case '\r':
			in_tok = 0;
			break;
		default:
			if (!in_tok)
				items++;
			in_tok = 1;
		}
		if (items > maxitems)
			return fl_err_set(err, FL_EFORMAT, "%s: over %zu keys "
			    "and values", what, maxitems);
	}
	return 0;
}

struct walk {
	size_t		 items;
	const char	*what;
	struct fl_err	*err;
};

/* The same limits on a tree: recursion stops one level past the limit. */
static int
walk(const json_t *v, int depth, struct walk *w)
{
	const char *k;
	json_t *x;
	size_t i;
	int rc;

	if ((json_is_object(v) || json_is_array(v)) &&
	    ++depth > FL_MAX_JSON_DEPTH)
		return fl_err_set(w->err, FL_EFORMAT, "%s: nested deeper than "
		    "%d levels", w->what, FL_MAX_JSON_DEPTH);
	if (++w->items > FL_MAX_JSON_ITEMS)
		goto items;
	if (json_is_string(v) && json_string_length(v) > FL_MAX_JSON_STRING)
		goto string;
	if (json_is_object(v))
		json_object_foreach((json_t *)v, k, x) {
			if (++w->items > FL_MAX_JSON_ITEMS)
				goto items;
			if (strlen(k) > FL_MAX_JSON_STRING)
				goto string;
			if ((rc = walk(x, depth, w)) < 0)
				return rc;
		}
	else if (json_is_array(v))
		json_array_foreach(v, i, x)
			if ((rc = walk(x, depth, w)) < 0)
				return rc;
	return 0;
items:
	return fl_err_set(w->err, FL_EFORMAT, "%s: over %u keys and values",
	    w->what, FL_MAX_JSON_ITEMS);
string:
	return fl_err_set(w->err, FL_EFORMAT, "%s: a string over %u bytes",
	    w->what, FL_MAX_JSON_STRING);
}

int
fl_manifest_check(const json_t *m, const char *what, struct fl_err *err)
{
	struct walk w = { 0, what, err };
	size_t n;
	int rc;

	if ((rc = walk(m, 0, &w)) < 0)
		return rc;
	/* With the tree bounded, its printed size is counted, not built:
	 * json_dumpb with no buffer only adds up the bytes. */
	if ((n = json_dumpb(m, NULL, 0, PRINT_FLAGS)) == 0)
		return fl_err_set(err, FL_ENOMEM, "%s: out of memory", what);
	if (n + 1 > FL_MAX_MANIFEST)
		return fl_err_set(err, FL_EFORMAT, "%s: over %u bytes when "
		    "printed indented", what, FL_MAX_MANIFEST);
	return 0;
}

int
fl_manifest_parse(const char *buf, size_t len, const char *what,
    json_t **mp, struct fl_err *err)
{
	json_error_t jerr;
	json_t *m;
	int rc;

	*mp = NULL;
	if (len > FL_MAX_MANIFEST)
		return fl_err_set(err, FL_EFORMAT, "%s: over %u bytes", what,
		    FL_MAX_MANIFEST);
	if ((rc = fl_json_scan(buf, len, FL_MAX_JSON_DEPTH, FL_MAX_JSON_ITEMS,
	    what, err)) < 0)
		return rc;
	if ((m = json_loadb(buf, len, JSON_REJECT_DUPLICATES, &jerr)) == NULL)
		return fl_err_set(err, FL_EFORMAT, "%s:%d:%d: %s", what,
		    jerr.line, jerr.column, jerr.text);
	if (!json_is_object(m)) {
		json_decref(m);
		return fl_err_set(err, FL_EFORMAT, "%s: not an object", what);
	}
	if ((rc = fl_manifest_check(m, what, err)) < 0) {
		json_decref(m);
		return rc;
	}
	*mp = m;
	return 0;
}

int
fl_json_get_int(const json_t *obj, const char *key, int64_t *v,
    struct fl_err *err)
{
	json_t *x = json_object_get(obj, key);

	if (x == NULL)
		return fl_err_set(err, FL_EFORMAT, "missing key '%s'", key);
	if (!json_is_integer(x))
		return fl_err_set(err, FL_EFORMAT,
		    "key '%s' is not an integer", key);
	*v = (int64_t)json_integer_value(x);
	return 0;
}

int
fl_json_get_str(const json_t *obj, const char *key, const char **s,
    struct fl_err *err)
{
	json_t *x = json_object_get(obj, key);

	if (x == NULL)
		return fl_err_set(err, FL_EFORMAT, "missing key '%s'", key);
	if (!json_is_string(x))
		return fl_err_set(err, FL_EFORMAT,
		    "key '%s' is not a string", key);
	*s = json_string_value(x);
	return 0;
}

/*
 * Record who wrote a new manifest: "writer" {tool, version}, and "created"
 * (UTC, ISO 8601) only when SOURCE_DATE_EPOCH is set, so that archives
 * carry no wall-clock time unless asked to.
 */
int
fl_manifest_set_writer(json_t *man, const char *tool, struct fl_err *err)
{
	const char *s = getenv("SOURCE_DATE_EPOCH");
	char buf[32], *end;
	unsigned long long v;
	struct tm tm;
	time_t t;

	if (json_object_set_new(man, "writer", json_pack("{s:s, s:s}",
	    "tool", tool, "version", FL_VERSION)) < 0)
		return fl_err_set(err, FL_ENOMEM, "out of memory");
	if (s == NULL)
		return 0;
	errno = 0;
	v = strtoull(s, &end, 10);
	if (*s < '0' || *s > '9' || *end != '\0' || errno != 0 ||
	    v > 253402300799ULL)
		return fl_err_set(err, FL_EUSAGE, "SOURCE_DATE_EPOCH: '%s' is "
		    "not a non-negative integer", s);
	t = (time_t)v;
	if (gmtime_r(&t, &tm) == NULL ||
	    strftime(buf, sizeof(buf), "%Y-%m-%dT%H:%M:%SZ", &tm) == 0)
		return fl_err_set(err, FL_EUSAGE, "SOURCE_DATE_EPOCH: '%s' is "
		    "out of range", s);
	if (json_object_set_new(man, "created", json_string(buf)) < 0)
		return fl_err_set(err, FL_ENOMEM, "out of memory");
	return 0;
}
