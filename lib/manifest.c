/*
 * manifest.c: helpers for the manifest.json of an archive: its canonical
 * form (what the archive id hashes), checked getters for untrusted fields,
 * and the "writer" object.  The fields are specified in man/fl-archive.5.
 */
#include <stdlib.h>

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

json_t *
fl_writer_json(const char *tool)
{
	return json_pack("{s:s, s:s}", "tool", tool, "version", FL_VERSION);
}
