/*
 * pack.c: an archive as files and as text, the work behind fl-pack's
 * extract, create, list and manifest verbs (cmd/fl-pack.c, man/fl-pack.1):
 * a directory holding manifest.json and tensors.safetensors, the tensor
 * listing and the manifests of a stream.  The container itself is
 * archive.c; the member formats are in man/fl-archive.5.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "format/format.h"

/* The only names read from or written into a directory: fixed, so that
 * nothing an archive holds can choose where a file lands. */
#define DIR_MANIFEST	"manifest.json"
#define DIR_TENSORS	"tensors.safetensors"

/* dir/name, malloc'd; NULL when out of memory. */
static char *
join(const char *dir, const char *name)
{
	size_t n = strlen(dir) + strlen(name) + 2;
	char *s = malloc(n);

	if (s != NULL)
		snprintf(s, n, "%s/%s", dir, name);
	return s;
}

/* The error for a failed write to out, named name: errno as it was when
 * the write failed (e), or "write error" when the stream set none. */
static int
write_error(const char *name, int e, struct fl_err *err)
{
	return fl_err_set(err, FL_EIO, "%s: %s", name, e != 0 ? strerror(e) :
	    "write error");
}

/* Flush out and check its error indicator; e is errno from a write that
 * already failed, or 0. */
static int
flush_check(FILE *out, const char *name, int e, struct fl_err *err)
{
	if (e != 0)
		return write_error(name, e, err);
	errno = 0;
	if (fflush(out) != 0 || ferror(out))
		return write_error(name, errno, err);
	return 0;
}

/*
 * Write the two members of a into dir (created, mode 0777 less the umask,
 * if absent), each atomically.  The manifest is pretty-printed with
 * sorted keys and a final newline.
 */
int
fl_archive_write_dir(const struct fl_archive *a, const char *dir,
    struct fl_err *err)
{
	struct fl_out *om = NULL, *ot = NULL;
	char *mpath = NULL, *tpath = NULL, *mtext = NULL;
	unsigned char *st = NULL;
	size_t stlen;
	int rc = 0;

	if (mkdir(dir, 0777) < 0 && errno != EEXIST) {
		rc = fl_err_set(err, FL_EIO, "%s: %s", dir, strerror(errno));
		goto out;
	}
	if ((mpath = join(dir, DIR_MANIFEST)) == NULL ||
	    (tpath = join(dir, DIR_TENSORS)) == NULL ||
	    (mtext = json_dumps(fl_archive_manifest((struct fl_archive *)a),
	    JSON_INDENT(2) | JSON_SORT_KEYS)) == NULL) {
		rc = fl_err_set(err, FL_ENOMEM, "out of memory");
		goto out;
	}
	if ((rc = fl_safetensors_encode(a, &st, &stlen, err)) < 0 ||
	    (rc = fl_out_open(&om, mpath, err)) < 0 ||
	    (rc = fl_out_open(&ot, tpath, err)) < 0)
		goto out;
	if (fprintf(fl_out_stream(om), "%s\n", mtext) < 0 ||
	    fwrite(st, 1, stlen, fl_out_stream(ot)) != stlen) {
		rc = fl_err_set(err, FL_EIO, "%s: %s", dir, strerror(errno));
		goto out;
	}
	rc = fl_out_commit(om, err);
	om = NULL;
	if (rc < 0)
		goto out;
	rc = fl_out_commit(ot, err);
	ot = NULL;
out:
	fl_out_abort(om);
	fl_out_abort(ot);
	free(mpath);
	free(tpath);
	free(mtext);
	free(st);
	return rc;
}

/*
 * Build an archive from dir's two members.  The manifest's "format" and
 * "kind" are checked here; its "id" is dropped, to be computed afresh
 * when the archive is written; the tensors are checked by
 * fl_safetensors_decode.
 */
int
fl_archive_read_dir(const char *dir, struct fl_archive **ap,
    struct fl_err *err)
{
	json_t *m = NULL;
	struct fl_archive *a = NULL;
	const char *fmt, *kind;
	char *mpath, *tpath, *buf = NULL;
	size_t len;
	int rc = 0, k;

	mpath = join(dir, DIR_MANIFEST);
	tpath = join(dir, DIR_TENSORS);
	if (mpath == NULL || tpath == NULL) {
		rc = fl_err_set(err, FL_ENOMEM, "out of memory");
		goto out;
	}
	if ((rc = fl_file_read(mpath, FL_MAX_MANIFEST, &buf, &len, err)) < 0)
		goto out;
	if ((rc = fl_manifest_parse(buf, len, mpath, &m, err)) < 0)
		goto out;
	if ((rc = fl_json_get_str(m, "format", &fmt, err)) < 0 ||
	    (rc = fl_json_get_str(m, "kind", &kind, err)) < 0) {
		fl_err_prefix(err, "%s", mpath);
		goto out;
	}
	if (strcmp(fmt, FL_FORMAT) != 0) {
		rc = fl_err_set(err, FL_EFORMAT, "%s: unsupported format '%s'",
		    mpath, fmt);
		goto out;
	}
	if ((k = fl_kind_parse(kind)) < 0) {
		rc = fl_err_set(err, FL_EFORMAT, "%s: unknown kind '%s'",
		    mpath, kind);
		goto out;
	}
	if ((a = fl_archive_new((enum fl_kind)k)) == NULL ||
	    json_object_update(fl_archive_manifest(a), m) < 0) {
		rc = fl_err_set(err, FL_ENOMEM, "out of memory");
		goto out;
	}
	json_object_del(fl_archive_manifest(a), "id");
	free(buf);
	buf = NULL;
	if ((rc = fl_file_read(tpath, 8 + FL_MAX_ST_HEADER + FL_MAX_DATA,
	    &buf, &len, err)) < 0)
		goto out;
	if ((rc = fl_safetensors_decode(a, (unsigned char *)buf, len,
	    err)) < 0) {
		fl_err_prefix(err, "%s", tpath);
		goto out;
	}
	*ap = a;
	a = NULL;
out:
	fl_archive_free(a);
	json_decref(m);
	free(buf);
	free(mpath);
	free(tpath);
	return rc;
}

/* The tensor table as TSV: a header, then name, dtype and shape (its
 * dimensions joined by commas, empty for a scalar) per tensor. */
int
fl_archive_list(const struct fl_archive *a, FILE *out, const char *name,
    struct fl_err *err)
{
	struct fl_tensor t;
	size_t i, k;

	if (fprintf(out, "name\tdtype\tshape\n") < 0)
		return write_error(name, errno, err);
	for (i = 0; i < fl_archive_ntensors(a); i++) {
		fl_archive_tensor(a, i, &t);
		if (fprintf(out, "%s\t%s\t", t.name,
		    fl_dtype_name(t.dtype)) < 0)
			return write_error(name, errno, err);
		for (k = 0; k < t.ndim; k++)
			if (fprintf(out, k == 0 ? "%zu" : ",%zu",
			    t.shape[k]) < 0)
				return write_error(name, errno, err);
		if (putc('\n', out) == EOF)
			return write_error(name, errno, err);
	}
	return flush_check(out, name, 0, err);
}

/* Each archive's manifest in turn, pretty-printed with sorted keys; the
 * first write error ends the walk. */
int
fl_reader_print_manifests(struct fl_reader *r, const char *name, FILE *out,
    const char *outname, struct fl_err *err)
{
	struct fl_archive *a = NULL;
	int n, e = 0;

	while ((n = fl_reader_next(r, &a, err)) == 1) {
		errno = 0;
		if (json_dumpf(fl_archive_manifest(a), out, JSON_INDENT(2) |
		    JSON_SORT_KEYS) < 0 || putc('\n', out) == EOF) {
			e = errno;
			break;
		}
	}
	if (n == 0 && a == NULL)
		n = fl_err_set(err, FL_EFORMAT, "%s: no archive", name);
	else if (n >= 0)
		n = flush_check(out, outname, e, err);
	fl_archive_free(a);
	return n;
}
