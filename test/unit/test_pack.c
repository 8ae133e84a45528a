/*
 * test_pack.c: the work behind fl-pack (lib/pack.c), without spawning
 * the tool: an archive written to and read from a directory, and what
 * neither may do (write outside it, keep a stale id, accept a bad
 * manifest); the tensor listing and the manifests of a stream, byte for
 * byte, and their write errors.
 * test/cli/fl-pack.bats checks the same verbs from the outside.
 */
#include <dirent.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "fl.h"
#include "unit.h"

static char dir[] = "/tmp/fl-test-pack.XXXXXX";

struct buf {
	char	*p;
	size_t	 n;
};

/* dir/name in a static buffer (four at a time). */
static const char *
at(const char *name)
{
	static char path[4][256];
	static int k;

	k = (k + 1) % 4;
	snprintf(path[k], sizeof(path[k]), "%s/%s", dir, name);
	return path[k];
}

static void
put_file(const char *path, const char *text)
{
	FILE *f = fopen(path, "w");

	CHECK(f != NULL);
	if (f == NULL)
		return;
	fputs(text, f);
	fclose(f);
}

/* Not . or .. (for scandir). */
static int
not_dots(const struct dirent *de)
{
	return strcmp(de->d_name, ".") != 0 && strcmp(de->d_name, "..") != 0;
}

/* The entries of directory path other than . and .., sorted and joined
 * by spaces, in a static buffer; "?" when it cannot be read. */
static const char *
ls(const char *path)
{
	static char out[1024];
	struct dirent **de;
	int n, i;

	out[0] = '\0';
	if ((n = scandir(path, &de, not_dots, alphasort)) < 0)
		return "?";
	for (i = 0; i < n; i++) {
		if (i > 0)
			strncat(out, " ", sizeof(out) - strlen(out) - 1);
		strncat(out, de[i]->d_name, sizeof(out) - strlen(out) - 1);
		free(de[i]);
	}
	free(de);
	return out;
}

/* A model archive: tensors of 2, 1 and 0 dimensions and an empty one. */
static struct fl_archive *
make_archive(int round)
{
	static const size_t wshape[2] = { 2, 3 }, bshape[1] = { 2 },
	    eshape[2] = { 4, 0 };
	static const float w[6] = { 1, 2, 3, 4, 5, 6 }, b[2] = { -1, 0.5f };
	static const int64_t one = 42;
	struct fl_err err = FL_ERR_INIT;
	struct fl_archive *a = fl_archive_new(FL_KIND_MODEL);
	json_t *m = fl_archive_manifest(a);

	json_object_set_new(m, "round", json_integer(round));
	json_object_set_new(m, "parent", json_null());
	json_object_set_new(m, "features", json_pack("[ss]", "age", "sex"));
	CHECK_OK(fl_archive_add_tensor(a, "fc0.weight", FL_DTYPE_F32, 2,
	    wshape, w, &err), &err);
	CHECK_OK(fl_archive_add_tensor(a, "fc0.bias", FL_DTYPE_F32, 1, bshape,
	    b, &err), &err);
	CHECK_OK(fl_archive_add_tensor(a, "count", FL_DTYPE_I64, 0, NULL,
	    &one, &err), &err);
	CHECK(fl_archive_add_tensor_uninit(a, "empty", FL_DTYPE_F64, 2,
	    eshape, &err) != NULL);
	return a;
}

static struct buf
write_mem(struct fl_archive *a)
{
	struct buf b = { NULL, 0 };
	struct fl_err err = FL_ERR_INIT;
	FILE *f = open_memstream(&b.p, &b.n);

	CHECK_OK(fl_archive_write(a, f, "mem", FL_COMPRESS_NONE, &err), &err);
	fclose(f);
	return b;
}

/* What a function writing to a stream wrote: run it on a memstream. */
static int
capture(int (*fn)(const struct fl_archive *, FILE *, const char *,
    struct fl_err *), const struct fl_archive *a, struct buf *out,
    struct fl_err *err)
{
	FILE *f = open_memstream(&out->p, &out->n);
	int rc = fn(a, f, "mem", err);

	fclose(f);
	return rc;
}

/* ------------------------------------------------------------------------ */
/* An archive as a directory.                                               */

static void
test_dir_round_trip(void)
{
	struct fl_err err = FL_ERR_INIT;
	struct fl_archive *a = make_archive(3), *b = NULL;
	struct buf wa, wb;
	char *text = NULL, *want;
	size_t len;
	struct stat st;

	/* write_dir makes the directory; exactly two files, no temp. */
	CHECK_OK(fl_archive_update_id(a, &err), &err);
	CHECK_OK(fl_archive_write_dir(a, at("x"), &err), &err);
	CHECK(strcmp(ls(at("x")), "manifest.json tensors.safetensors") == 0);
	CHECK(stat(at("x"), &st) == 0 && S_ISDIR(st.st_mode));
	/* The manifest as fl-pack manifest shows it, id included. */
	CHECK_OK(fl_file_read(at("x/manifest.json"), 1 << 20, &text, &len,
	    &err), &err);
	want = json_dumps(fl_archive_manifest(a), JSON_INDENT(2) |
	    JSON_SORT_KEYS);
	CHECK(text != NULL && want != NULL && len == strlen(want) + 1 &&
	    strncmp(text, want, len - 1) == 0 && text[len - 1] == '\n');
	CHECK(text != NULL && strstr(text, "\"id\": \"sha256:") != NULL);
	free(text);
	free(want);

	/* read_dir gives back the same archive: the same bytes once
	 * written, so the same id. */
	CHECK_OK(fl_archive_read_dir(at("x"), &b, &err), &err);
	CHECK(b != NULL && fl_archive_kind(b) == FL_KIND_MODEL);
	CHECK(b != NULL && fl_archive_ntensors(b) == 4);
	wa = write_mem(a);
	wb = write_mem(b);
	CHECK(wa.n == wb.n && memcmp(wa.p, wb.p, wa.n) == 0);
	CHECK(strcmp(fl_archive_id(a), fl_archive_id(b)) == 0);
	free(wa.p);
	free(wb.p);
	fl_archive_free(b);

	/* Writing again replaces both files; a stale id in the directory
	 * is dropped on reading, not trusted. */
	CHECK_OK(fl_archive_write_dir(a, at("x"), &err), &err);
	CHECK(strcmp(ls(at("x")), "manifest.json tensors.safetensors") == 0);
	put_file(at("x/manifest.json"), "{\"format\": \"fl/1\", \"kind\": "
	    "\"model\", \"round\": 3, \"parent\": null, \"features\": "
	    "[\"age\", \"sex\"], \"id\": \"sha256:0000\"}\n");
	b = NULL;
	CHECK_OK(fl_archive_read_dir(at("x"), &b, &err), &err);
	CHECK(b != NULL && json_object_get(fl_archive_manifest(b), "id") ==
	    NULL);
	wb = write_mem(b);
	CHECK(strcmp(fl_archive_id(a), fl_archive_id(b)) == 0);
	free(wb.p);
	fl_archive_free(b);
	fl_archive_free(a);
}

/* Nothing an archive holds chooses where a file lands: tensor names that
 * look like paths stay inside tensors.safetensors. */
static void
test_dir_confined(void)
{
	static const float v[1] = { 1 };
	static const size_t shape[1] = { 1 };
	struct fl_err err = FL_ERR_INIT;
	struct fl_archive *a = fl_archive_new(FL_KIND_UPDATE), *b = NULL;
	struct fl_tensor t;

	json_object_set_new(fl_archive_manifest(a), "name",
	    json_string("../../escape"));
	CHECK_OK(fl_archive_add_tensor(a, "../../escape", FL_DTYPE_F32, 1,
	    shape, v, &err), &err);
	CHECK_OK(fl_archive_add_tensor(a, "/tmp/abs", FL_DTYPE_F32, 1, shape,
	    v, &err), &err);
	CHECK_OK(fl_archive_update_id(a, &err), &err);
	CHECK(mkdir(at("c"), 0777) == 0);
	CHECK_OK(fl_archive_write_dir(a, at("c/in"), &err), &err);
	CHECK(strcmp(ls(at("c")), "in") == 0);
	CHECK(strcmp(ls(at("c/in")), "manifest.json tensors.safetensors") ==
	    0);
	CHECK(access(at("escape"), F_OK) != 0);
	CHECK_OK(fl_archive_read_dir(at("c/in"), &b, &err), &err);
	CHECK(b != NULL && fl_archive_find(b, "../../escape", &t) == 0);
	fl_archive_free(b);
	fl_archive_free(a);
}

static void
test_dir_write_errors(void)
{
	struct fl_err err = FL_ERR_INIT;
	struct fl_archive *a = make_archive(0);

	CHECK_OK(fl_archive_update_id(a, &err), &err);
	/* A missing parent is not created. */
	CHECK(fl_archive_write_dir(a, at("no/such"), &err) == FL_EIO);
	CHECK(strstr(err.msg, "/no/such: No such file or directory") != NULL);
	CHECK(access(at("no"), F_OK) != 0);
	/* A file where the directory should be. */
	put_file(at("file"), "x\n");
	CHECK(fl_archive_write_dir(a, at("file"), &err) == FL_EIO);
	CHECK(strstr(err.msg, "/file/manifest.json: Not a directory") !=
	    NULL);
	fl_archive_free(a);
}

/* Write m as dir/manifest.json beside a good tensors.safetensors and
 * return what read_dir says. */
static int
read_with_manifest(const char *name, const char *m, struct fl_err *err)
{
	struct fl_archive *b = NULL;
	char sub[64];
	int rc;

	snprintf(sub, sizeof(sub), "%s/manifest.json", name);
	put_file(at(sub), m);
	rc = fl_archive_read_dir(at(name), &b, err);
	CHECK((rc == 0) == (b != NULL));
	fl_archive_free(b);
	return rc;
}

static void
test_dir_read_errors(void)
{
	struct fl_err err = FL_ERR_INIT;
	struct fl_archive *a = make_archive(0), *b = NULL;
	char want[512];

	CHECK_OK(fl_archive_update_id(a, &err), &err);
	CHECK_OK(fl_archive_write_dir(a, at("r"), &err), &err);

	/* No directory, or no manifest in it: the file is named. */
	CHECK(fl_archive_read_dir(at("nodir"), &b, &err) == FL_EIO);
	CHECK(b == NULL);
	snprintf(want, sizeof(want), "%s: No such file or directory",
	    at("nodir/manifest.json"));
	CHECK(strcmp(err.msg, want) == 0);

	/* Malformed manifests, each one line naming the file. */
	CHECK(read_with_manifest("r", "{\"format\": \"fl/1\",\n \"kind\": }\n",
	    &err) == FL_EFORMAT);
	snprintf(want, sizeof(want), "%s:2:", at("r/manifest.json"));
	CHECK(strncmp(err.msg, want, strlen(want)) == 0);
	CHECK(read_with_manifest("r", "[1]\n", &err) == FL_EFORMAT);
	snprintf(want, sizeof(want), "%s: not an object",
	    at("r/manifest.json"));
	CHECK(strcmp(err.msg, want) == 0);
	CHECK(read_with_manifest("r", "{\"kind\": \"model\"}", &err) ==
	    FL_EFORMAT);
	snprintf(want, sizeof(want), "%s: missing key 'format'",
	    at("r/manifest.json"));
	CHECK(strcmp(err.msg, want) == 0);
	CHECK(read_with_manifest("r", "{\"format\": \"fl/9\", \"kind\": "
	    "\"model\"}", &err) == FL_EFORMAT);
	snprintf(want, sizeof(want), "%s: unsupported format 'fl/9'",
	    at("r/manifest.json"));
	CHECK(strcmp(err.msg, want) == 0);
	CHECK(read_with_manifest("r", "{\"format\": \"fl/1\", \"kind\": "
	    "\"bogus\"}", &err) == FL_EFORMAT);
	snprintf(want, sizeof(want), "%s: unknown kind 'bogus'",
	    at("r/manifest.json"));
	CHECK(strcmp(err.msg, want) == 0);
	CHECK(read_with_manifest("r", "{\"format\": \"fl/1\", \"kind\": "
	    "\"model\", \"kind\": \"update\"}", &err) == FL_EFORMAT);
	CHECK(strstr(err.msg, "duplicate") != NULL);
	/* A good manifest with a kind the tensors do not contradict. */
	CHECK(read_with_manifest("r", "{\"format\": \"fl/1\", \"kind\": "
	    "\"update\"}", &err) == 0);

	/* Bad tensors name the tensors file. */
	put_file(at("r/tensors.safetensors"), "garbage");
	CHECK(fl_archive_read_dir(at("r"), &b, &err) == FL_EFORMAT);
	CHECK(b == NULL);
	snprintf(want, sizeof(want), "%s: ", at("r/tensors.safetensors"));
	CHECK(strncmp(err.msg, want, strlen(want)) == 0);
	unlink(at("r/tensors.safetensors"));
	CHECK(fl_archive_read_dir(at("r"), &b, &err) == FL_EIO);
	CHECK(strstr(err.msg, "tensors.safetensors: No such file") != NULL);
	fl_archive_free(a);
}

/* ------------------------------------------------------------------------ */
/* Text views: the tensor listing and the manifests of a stream.           */

static void
test_list(void)
{
	struct fl_err err = FL_ERR_INIT;
	struct fl_archive *a = make_archive(0), *e = fl_archive_new(
	    FL_KIND_STATS);
	struct buf out = { NULL, 0 };
	FILE *f;

	CHECK_OK(capture(fl_archive_list, a, &out, &err), &err);
	CHECK(out.p != NULL && strcmp(out.p, "name\tdtype\tshape\n"
	    "fc0.weight\tF32\t2,3\n"
	    "fc0.bias\tF32\t2\n"
	    "count\tI64\t\n"
	    "empty\tF64\t4,0\n") == 0);
	free(out.p);

	/* No tensors: the header alone. */
	CHECK_OK(capture(fl_archive_list, e, &out, &err), &err);
	CHECK(out.p != NULL && strcmp(out.p, "name\tdtype\tshape\n") == 0);
	free(out.p);

	/* Write errors name the output, with errno's words. */
	if ((f = fopen("/dev/full", "w")) != NULL) {
		CHECK(fl_archive_list(a, f, "<stdout>", &err) == FL_EIO);
		CHECK(strcmp(err.msg, "<stdout>: No space left on device") ==
		    0);
		fclose(f);
	}
	if ((f = fopen("/dev/null", "r")) != NULL) {
		CHECK(fl_archive_list(a, f, "ro", &err) == FL_EIO);
		CHECK(strncmp(err.msg, "ro: ", 4) == 0);
		fclose(f);
	}
	fl_archive_free(e);
	fl_archive_free(a);
}

/* Run fl_reader_print_manifests over in[0..n), writing to out (or to a
 * memstream into got when out is NULL). */
static int
manifests(const void *in, size_t n, FILE *out, struct buf *got,
    struct fl_err *err)
{
	static const char empty[1];
	struct fl_reader *r = NULL;
	FILE *f, *o = out;
	int rc;

	/* fmemopen wants a size of at least 1: an empty stream is one
	 * byte, read past. */
	f = fmemopen(n == 0 ? (void *)empty : (void *)in, n == 0 ? 1 : n,
	    "rb");
	if (n == 0)
		fgetc(f);
	if (o == NULL)
		o = open_memstream(&got->p, &got->n);
	if ((rc = fl_reader_open(&r, f, "in", err)) == 0)
		rc = fl_reader_print_manifests(r, "in", o, "out", err);
	fl_reader_free(r);
	if (out == NULL)
		fclose(o);
	fclose(f);
	return rc;
}

static void
test_manifests(void)
{
	struct fl_err err = FL_ERR_INIT;
	struct fl_archive *a = make_archive(0), *b = make_archive(7);
	struct buf wa = write_mem(a), wb = write_mem(b), got;
	char *cat, *ma, *mb, *want;
	size_t len;
	FILE *f;

	/* Two archives back to back: both manifests, in order, each
	 * pretty-printed and followed by a newline. */
	len = wa.n + wb.n;
	cat = malloc(len);
	CHECK(cat != NULL);
	if (cat == NULL)
		return;
	memcpy(cat, wa.p, wa.n);
	memcpy(cat + wa.n, wb.p, wb.n);
	ma = json_dumps(fl_archive_manifest(a), JSON_INDENT(2) |
	    JSON_SORT_KEYS);
	mb = json_dumps(fl_archive_manifest(b), JSON_INDENT(2) |
	    JSON_SORT_KEYS);
	want = malloc(strlen(ma) + strlen(mb) + 3);
	CHECK(ma != NULL && mb != NULL && want != NULL);
	if (want != NULL)
		sprintf(want, "%s\n%s\n", ma, mb);
	CHECK_OK(manifests(cat, len, NULL, &got, &err), &err);
	CHECK(got.p != NULL && want != NULL && strcmp(got.p, want) == 0);
	free(got.p);

	/* An empty stream is not an archive; an end-of-archive marker
	 * alone (zero blocks) is a stream that holds none. */
	CHECK(manifests(cat, 0, NULL, &got, &err) == FL_EFORMAT);
	CHECK(strcmp(err.msg, "in: not an fl archive") == 0);
	CHECK(got.n == 0);
	free(got.p);
	memset(cat, 0, 1024);
	CHECK(manifests(cat, 1024, NULL, &got, &err) == FL_EFORMAT);
	CHECK(strcmp(err.msg, "in: no archive") == 0);
	CHECK(got.n == 0);
	free(got.p);

	/* A good archive, then one cut short: the first manifest is
	 * out before the error. */
	memcpy(cat, wa.p, wa.n);
	memcpy(cat + wa.n, wb.p, 1000);
	CHECK(manifests(cat, wa.n + 1000, NULL, &got, &err) == FL_EFORMAT);
	CHECK(strcmp(err.msg, "in: truncated archive") == 0);
	CHECK(got.p != NULL && strncmp(got.p, ma, strlen(ma)) == 0 &&
	    got.n == strlen(ma) + 1);
	free(got.p);

	/* A full output names the output. */
	if ((f = fopen("/dev/full", "w")) != NULL) {
		CHECK(manifests(wa.p, wa.n, f, NULL, &err) == FL_EIO);
		CHECK(strcmp(err.msg, "out: No space left on device") == 0);
		fclose(f);
	}
	free(want);
	free(ma);
	free(mb);
	free(cat);
	free(wa.p);
	free(wb.p);
	fl_archive_free(a);
	fl_archive_free(b);
}

int
main(void)
{
	char cmd[300];

	if (mkdtemp(dir) == NULL) {
		perror("mkdtemp");
		return 1;
	}
	test_dir_round_trip();
	test_dir_confined();
	test_dir_write_errors();
	test_dir_read_errors();
	test_list();
	test_manifests();
	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", dir);
	if (system(cmd) != 0)
		fprintf(stderr, "could not remove %s\n", dir);
	return unit_done("test_pack");
}
