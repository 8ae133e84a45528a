/*
 * safetensors.c: the tensors.safetensors member of an archive, exactly as
 * the safetensors format defines it: a u64 little-endian header length N,
 * N bytes of JSON {"name": {"dtype", "shape", "data_offsets"}, ...} padded
 * with spaces so that 8 + N is a multiple of 8, then the data.  We write
 * keys sorted and compact; the layout is specified in man/fl-archive.5.
 */
#include <stdlib.h>
#include <string.h>

#include "archive_int.h"

_Static_assert(sizeof(size_t) >= 8, "fl needs a 64-bit size_t");

/* Build the canonical header text of a's tensors. */
int
fl_st_header(const struct fl_archive *a, char **hdrp, size_t *lenp,
    struct fl_err *err)
{
	json_t *root, *ent, *shape, *offs;
	char *text = NULL, *hdr;
	size_t i, k, n, padded;
	int rc = 0;

	*hdrp = NULL;
	if ((root = json_object()) == NULL)
		return fl_err_set(err, FL_ENOMEM, "out of memory");
	for (i = 0; i < a->nt; i++) {
		const struct fl_tent *t = &a->t[i];

		shape = json_array();
		offs = json_array();
		ent = json_object();
		if (shape == NULL || offs == NULL || ent == NULL) {
			json_decref(shape);
			json_decref(offs);
			json_decref(ent);
			goto nomem;
		}
		for (k = 0; k < t->ndim; k++)
			if (json_array_append_new(shape,
			    json_integer((json_int_t)t->shape[k])) < 0)
				goto nomem_ent;
		if (json_array_append_new(offs,
		    json_integer((json_int_t)t->off)) < 0 ||
		    json_array_append_new(offs,
		    json_integer((json_int_t)(t->off + t->nbytes))) < 0)
			goto nomem_ent;
		if (json_object_set_new(ent, "dtype",
		    json_string(fl_dtype_name(t->dtype))) < 0 ||
		    json_object_set_new(ent, "shape", shape) < 0) {
			shape = NULL;
			goto nomem_ent;
		}
		shape = NULL;
		if (json_object_set_new(ent, "data_offsets", offs) < 0) {
			offs = NULL;
			goto nomem_ent;
		}
		offs = NULL;
		if (json_object_set_new(root, t->name, ent) < 0)
			goto nomem;
		continue;
nomem_ent:
		json_decref(shape);
		json_decref(offs);
		json_decref(ent);
		goto nomem;
	}
	if ((text = json_dumps(root, JSON_COMPACT | JSON_SORT_KEYS)) == NULL)
		goto nomem;
	n = strlen(text);
	padded = n + (8 - (8 + n) % 8) % 8;
	if ((hdr = malloc(padded)) == NULL)
		goto nomem;
	memcpy(hdr, text, n);
	memset(hdr + n, ' ', padded - n);
	*hdrp = hdr;
	*lenp = padded;
	goto out;
nomem:
	rc = fl_err_set(err, FL_ENOMEM, "out of memory");
out:
	free(text);
	json_decref(root);
	return rc;
}

int
fl_safetensors_encode(const struct fl_archive *a, unsigned char **bufp,
    size_t *lenp, struct fl_err *err)
{
	unsigned char *buf;
	char *hdr;
	size_t hlen, total;
	uint64_t n;
	int rc;

	*bufp = NULL;
	if ((rc = fl_st_header(a, &hdr, &hlen, err)) < 0)
		return rc;
	total = 8 + hlen + a->len;
	if ((buf = malloc(total)) == NULL) {
		free(hdr);
		return fl_err_set(err, FL_ENOMEM, "out of memory");
	}
	n = hlen;
	memcpy(buf, &n, 8);		/* little-endian host */
	memcpy(buf + 8, hdr, hlen);
	if (a->len > 0)
		memcpy(buf + 8 + hlen, a->data, a->len);
	free(hdr);
	*bufp = buf;
	*lenp = total;
	return 0;
}

/* An entry while parsing: its index in the header and its offsets. */
struct st_ent {
	const char	*key;
	json_t		*val;
	size_t		 begin, end;
};

static int
st_ent_cmp(const void *pa, const void *pb)
{
	const struct st_ent *x = pa, *y = pb;

	if (x->begin != y->begin)
		return x->begin < y->begin ? -1 : 1;
	if (x->end != y->end)
		return x->end < y->end ? -1 : 1;
	return strcmp(x->key, y->key);
}

/* Read a non-negative integer that fits a size_t. */
static int
get_size(const json_t *v, size_t *out)
{
	json_int_t i;

	if (!json_is_integer(v) || (i = json_integer_value(v)) < 0)
		return -1;
	*out = (size_t)i;
	return 0;
}

static int
parse_dtype(const char *s, enum fl_dtype *t)
{
	if (strcmp(s, "F32") == 0)
		*t = FL_DTYPE_F32;
	else if (strcmp(s, "F64") == 0)
		*t = FL_DTYPE_F64;
	else if (strcmp(s, "I64") == 0)
		*t = FL_DTYPE_I64;
	else if (strcmp(s, "U32") == 0)
		*t = FL_DTYPE_U32;
	else
		return -1;
	return 0;
}

/* Check one tensor's entry and fill te (except its name). */
static int
parse_entry(const char *key, json_t *val, struct fl_tent *te,
    struct fl_err *err)
{
	json_t *dt, *shape, *offs;
	size_t k, n, count = 1, begin, end;

	if (!json_is_object(val))
		return fl_err_set(err, FL_EFORMAT,
		    "tensor '%s': entry is not an object", key);
	dt = json_object_get(val, "dtype");
	shape = json_object_get(val, "shape");
	offs = json_object_get(val, "data_offsets");
	if (!json_is_string(dt) || parse_dtype(json_string_value(dt),
	    &te->dtype) < 0)
		return fl_err_set(err, FL_EFORMAT,
		    "tensor '%s': unsupported dtype (F32, F64, I64, U32)", key);
	if (!json_is_array(shape) || (n = json_array_size(shape)) >
	    FL_MAX_DIMS)
		return fl_err_set(err, FL_EFORMAT,
		    "tensor '%s': bad shape (at most %d dimensions)", key,
		    FL_MAX_DIMS);
	te->ndim = n;
	for (k = 0; k < n; k++) {
		if (get_size(json_array_get(shape, k), &te->shape[k]) < 0)
			return fl_err_set(err, FL_EFORMAT,
			    "tensor '%s': bad shape", key);
		if (fl_size_mul(count, te->shape[k], &count) < 0)
			return fl_err_set(err, FL_EFORMAT,
			    "tensor '%s': shape too large", key);
	}
	if (fl_size_mul(count, fl_dtype_size(te->dtype), &te->nbytes) < 0 ||
	    te->nbytes > FL_MAX_DATA)
		return fl_err_set(err, FL_EFORMAT,
		    "tensor '%s': shape too large", key);
	if (!json_is_array(offs) || json_array_size(offs) != 2 ||
	    get_size(json_array_get(offs, 0), &begin) < 0 ||
	    get_size(json_array_get(offs, 1), &end) < 0 || end < begin)
		return fl_err_set(err, FL_EFORMAT,
		    "tensor '%s': bad data_offsets", key);
	if (end - begin != te->nbytes)
		return fl_err_set(err, FL_EFORMAT, "tensor '%s': data_offsets "
		    "span %zu bytes, shape and dtype need %zu", key,
		    end - begin, te->nbytes);
	te->off = begin;
	return 0;
}

int
fl_st_parse_header(struct fl_archive *a, const char *hdr, size_t hlen,
    size_t datalen, struct fl_err *err)
{
	json_error_t jerr;
	json_t *root, *val;
	const char *key;
	struct st_ent *ents = NULL;
	struct fl_tent te;
	size_t n = 0, i, pos;
	int rc = 0;

	/* A tensor's entry is an object in the header object holding a
	 * shape array: three levels and about twenty items; more is not a
	 * header but a way to make Jansson allocate. */
	if ((rc = fl_json_scan(hdr, hlen, 3, 20 * (size_t)(FL_MAX_TENSORS + 1)
	    + 4096, "header", err)) < 0)
		return rc;
	root = json_loadb(hdr, hlen, JSON_REJECT_DUPLICATES, &jerr);
	if (root == NULL)
		return fl_err_set(err, FL_EFORMAT, "header:%d:%d: %s",
		    jerr.line, jerr.column, jerr.text);
	if (!json_is_object(root)) {
		rc = fl_err_set(err, FL_EFORMAT, "header is not an object");
		goto out;
	}
	if (json_object_size(root) > FL_MAX_TENSORS + 1) {
		rc = fl_err_set(err, FL_EFORMAT, "more than %d tensors",
		    FL_MAX_TENSORS);
		goto out;
	}
	ents = calloc(json_object_size(root) + 1, sizeof(*ents));
	if (ents == NULL) {
		rc = fl_err_set(err, FL_ENOMEM, "out of memory");
		goto out;
	}
	json_object_foreach(root, key, val) {
		if (strcmp(key, "__metadata__") == 0) {
			const char *mk;
			json_t *mv;

			if (!json_is_object(val)) {
				rc = fl_err_set(err, FL_EFORMAT,
				    "__metadata__ is not an object");
				goto out;
			}
			json_object_foreach(val, mk, mv)
				if (!json_is_string(mv)) {
					rc = fl_err_set(err, FL_EFORMAT,
					    "__metadata__: '%s' is not a "
					    "string", mk);
					goto out;
				}
			continue;
		}
		if (key[0] == '\0') {
			rc = fl_err_set(err, FL_EFORMAT, "empty tensor name");
			goto out;
		}
		if ((rc = parse_entry(key, val, &te, err)) < 0)
			goto out;
		ents[n].key = key;
		ents[n].val = val;
		ents[n].begin = te.off;
		ents[n].end = te.off + te.nbytes;
		n++;
	}
	if (n > FL_MAX_TENSORS) {
		rc = fl_err_set(err, FL_EFORMAT, "more than %d tensors",
		    FL_MAX_TENSORS);
		goto out;
	}
	qsort(ents, n, sizeof(*ents), st_ent_cmp);
	for (i = 0, pos = 0; i < n; i++) {
		if (ents[i].begin != pos) {
			rc = fl_err_set(err, FL_EFORMAT, "tensor '%s': "
			    "data_offsets [%zu, %zu] %s", ents[i].key,
			    ents[i].begin, ents[i].end, ents[i].begin < pos ?
			    "overlap another tensor" : "leave a hole");
			goto out;
		}
		if (ents[i].end > datalen) {
			rc = fl_err_set(err, FL_EFORMAT, "tensor '%s': "
			    "data_offsets [%zu, %zu] past the end of the "
			    "data (%zu bytes)", ents[i].key, ents[i].begin,
			    ents[i].end, datalen);
			goto out;
		}
		pos = ents[i].end;
	}
	if (pos != datalen) {
		rc = fl_err_set(err, FL_EFORMAT, "%zu bytes of data after the "
		    "last tensor", datalen - pos);
		goto out;
	}
	/* All checked: replace the table. */
	fl_archive_clear_tensors(a);
	if (n > a->tcap) {
		struct fl_tent *nt = realloc(a->t, n * sizeof(*nt));

		if (nt == NULL) {
			rc = fl_err_set(err, FL_ENOMEM, "out of memory");
			goto out;
		}
		a->t = nt;
		a->tcap = n;
	}
	for (i = 0; i < n; i++) {
		memset(&te, 0, sizeof(te));
		parse_entry(ents[i].key, ents[i].val, &te, NULL);
		if ((te.name = strdup(ents[i].key)) == NULL) {
			rc = fl_err_set(err, FL_ENOMEM, "out of memory");
			goto out;
		}
		a->t[a->nt++] = te;
	}
out:
	free(ents);
	json_decref(root);
	return rc;
}

int
fl_safetensors_decode(struct fl_archive *a, const unsigned char *buf,
    size_t len, struct fl_err *err)
{
	uint64_t n;
	size_t datalen;
	int rc;

	if (len < 8)
		return fl_err_set(err, FL_EFORMAT, "too short for a "
		    "safetensors file (%zu bytes)", len);
	memcpy(&n, buf, 8);
	if (n > FL_MAX_ST_HEADER)
		return fl_err_set(err, FL_EFORMAT, "header of %llu bytes is "
		    "over the limit", (unsigned long long)n);
	if (n > len - 8)
		return fl_err_set(err, FL_EFORMAT, "header of %llu bytes is "
		    "past the end", (unsigned long long)n);
	datalen = len - 8 - (size_t)n;
	if (datalen > FL_MAX_DATA)
		return fl_err_set(err, FL_EFORMAT, "data over the limit");
	if ((rc = fl_archive_reserve(a, datalen, err)) < 0)
		return rc;
	if ((rc = fl_st_parse_header(a, (const char *)buf + 8, (size_t)n,
	    datalen, err)) < 0)
		return rc;
	if (datalen > 0)
		memcpy(a->data, buf + 8 + n, datalen);
	a->len = datalen;
	return 0;
}
