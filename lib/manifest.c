/*
 * manifest.c: helpers for the manifest.json of an archive: its canonical
 * form (what the archive id hashes), checked getters for untrusted fields,
 * and the "writer" object.  The fields are specified in man/fl-archive.5.
 */
#include <errno.h>
#include <stdlib.h>
#include <time.h>

#include "fl.h"

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
