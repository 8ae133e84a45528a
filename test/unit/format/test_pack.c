/*
 * test_pack.c: the work behind fl-pack (lib/format/pack.c and the trust glue in
 * trust.c, seal.c and key.c), without spawning the tool: an archive
 * written to and read from a directory, and what neither may do (write
 * outside it, keep a stale id, accept a bad manifest); the tensor listing
 * and the manifests of a stream, byte for byte, and their write errors;
 * the verify walk over a stream (signatures, history links, read errors,
 * how failures rank); sign, seal and open from file to file, leaving
 * nothing behind on failure.  test/cli/fl-pack.bats checks the same
 * verbs from the outside.
 */
#include <dirent.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "fl.h"
#include "unit.h"


struct buf {
	char	*p;
	size_t	 n;
};

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

/* a as written to memory (the caller frees b.p). */
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
	CHECK_OK(fl_archive_write_dir(a, unit_at("x"), &err), &err);
	CHECK(strcmp(ls(unit_at("x")), "manifest.json tensors.safetensors") == 0);
	CHECK(stat(unit_at("x"), &st) == 0 && S_ISDIR(st.st_mode));
	/* The manifest as fl-pack manifest shows it, id included. */
	CHECK_OK(fl_file_read(unit_at("x/manifest.json"), 1 << 20, &text, &len,
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
	CHECK_OK(fl_archive_read_dir(unit_at("x"), &b, &err), &err);
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
	CHECK_OK(fl_archive_write_dir(a, unit_at("x"), &err), &err);
	CHECK(strcmp(ls(unit_at("x")), "manifest.json tensors.safetensors") == 0);
	put_file(unit_at("x/manifest.json"), "{\"format\": \"fl/1\", \"kind\": "
	    "\"model\", \"round\": 3, \"parent\": null, \"features\": "
	    "[\"age\", \"sex\"], \"id\": \"sha256:0000\"}\n");
	b = NULL;
	CHECK_OK(fl_archive_read_dir(unit_at("x"), &b, &err), &err);
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
	CHECK(mkdir(unit_at("c"), 0777) == 0);
	CHECK_OK(fl_archive_write_dir(a, unit_at("c/in"), &err), &err);
	CHECK(strcmp(ls(unit_at("c")), "in") == 0);
	CHECK(strcmp(ls(unit_at("c/in")), "manifest.json tensors.safetensors") ==
	    0);
	CHECK(access(unit_at("escape"), F_OK) != 0);
	CHECK_OK(fl_archive_read_dir(unit_at("c/in"), &b, &err), &err);
	CHECK(b != NULL && fl_archive_find(b, "../../escape", &t) == 0);
	fl_archive_free(b);
	fl_archive_free(a);
}

/* write_dir refuses what it cannot do, naming the path. */
static void
test_dir_write_errors(void)
{
	struct fl_err err = FL_ERR_INIT;
	struct fl_archive *a = make_archive(0);

	CHECK_OK(fl_archive_update_id(a, &err), &err);
	/* A missing parent is not created. */
	CHECK(fl_archive_write_dir(a, unit_at("no/such"), &err) == FL_EIO);
	CHECK(strstr(err.msg, "/no/such: No such file or directory") != NULL);
	CHECK(access(unit_at("no"), F_OK) != 0);
	/* A file where the directory should be. */
	put_file(unit_at("file"), "x\n");
	CHECK(fl_archive_write_dir(a, unit_at("file"), &err) == FL_EIO);
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
	put_file(unit_at(sub), m);
	rc = fl_archive_read_dir(unit_at(name), &b, err);
	CHECK((rc == 0) == (b != NULL));
	fl_archive_free(b);
	return rc;
}

/* read_dir: every way a directory can be wrong, one line each. */
static void
test_dir_read_errors(void)
{
	struct fl_err err = FL_ERR_INIT;
	struct fl_archive *a = make_archive(0), *b = NULL;
	char want[512];

	CHECK_OK(fl_archive_update_id(a, &err), &err);
	CHECK_OK(fl_archive_write_dir(a, unit_at("r"), &err), &err);

	/* No directory, or no manifest in it: the file is named. */
	CHECK(fl_archive_read_dir(unit_at("nodir"), &b, &err) == FL_EIO);
	CHECK(b == NULL);
	snprintf(want, sizeof(want), "%s: No such file or directory",
	    unit_at("nodir/manifest.json"));
	CHECK(strcmp(err.msg, want) == 0);

	/* Malformed manifests, each one line naming the file. */
	CHECK(read_with_manifest("r", "{\"format\": \"fl/1\",\n \"kind\": }\n",
	    &err) == FL_EFORMAT);
	snprintf(want, sizeof(want), "%s:2:", unit_at("r/manifest.json"));
	CHECK(strncmp(err.msg, want, strlen(want)) == 0);
	CHECK(read_with_manifest("r", "[1]\n", &err) == FL_EFORMAT);
	snprintf(want, sizeof(want), "%s: not an object",
	    unit_at("r/manifest.json"));
	CHECK(strcmp(err.msg, want) == 0);
	CHECK(read_with_manifest("r", "{\"kind\": \"model\"}", &err) ==
	    FL_EFORMAT);
	snprintf(want, sizeof(want), "%s: missing key 'format'",
	    unit_at("r/manifest.json"));
	CHECK(strcmp(err.msg, want) == 0);
	CHECK(read_with_manifest("r", "{\"format\": \"fl/9\", \"kind\": "
	    "\"model\"}", &err) == FL_EFORMAT);
	snprintf(want, sizeof(want), "%s: unsupported format 'fl/9'",
	    unit_at("r/manifest.json"));
	CHECK(strcmp(err.msg, want) == 0);
	CHECK(read_with_manifest("r", "{\"format\": \"fl/1\", \"kind\": "
	    "\"bogus\"}", &err) == FL_EFORMAT);
	snprintf(want, sizeof(want), "%s: unknown kind 'bogus'",
	    unit_at("r/manifest.json"));
	CHECK(strcmp(err.msg, want) == 0);
	CHECK(read_with_manifest("r", "{\"format\": \"fl/1\", \"kind\": "
	    "\"model\", \"kind\": \"update\"}", &err) == FL_EFORMAT);
	CHECK(strstr(err.msg, "duplicate") != NULL);
	/* A good manifest with a kind the tensors do not contradict. */
	CHECK(read_with_manifest("r", "{\"format\": \"fl/1\", \"kind\": "
	    "\"update\"}", &err) == 0);

	/* Bad tensors name the tensors file. */
	put_file(unit_at("r/tensors.safetensors"), "garbage");
	CHECK(fl_archive_read_dir(unit_at("r"), &b, &err) == FL_EFORMAT);
	CHECK(b == NULL);
	snprintf(want, sizeof(want), "%s: ", unit_at("r/tensors.safetensors"));
	CHECK(strncmp(err.msg, want, strlen(want)) == 0);
	unlink(unit_at("r/tensors.safetensors"));
	CHECK(fl_archive_read_dir(unit_at("r"), &b, &err) == FL_EIO);
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

/* The manifests of a stream, in order, and the walk's errors. */
static void
test_manifests(void)
{
	struct fl_err err = FL_ERR_INIT;
	struct fl_archive *a = make_archive(0), *b = make_archive(7);
	struct buf wa = write_mem(a), wb = write_mem(b), got;
	char *cat, *ma, *mb, *want;
	size_t len, wlen;
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
	CHECK(ma != NULL && mb != NULL);
	wlen = ma != NULL && mb != NULL ? strlen(ma) + strlen(mb) + 3 : 1;
	want = malloc(wlen);
	CHECK(want != NULL);
	if (want != NULL)
		snprintf(want, wlen, "%s\n%s\n", ma != NULL ? ma : "",
		    mb != NULL ? mb : "");
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

/* ------------------------------------------------------------------------ */
/* Trust glue: the verify walk, sign, seal and open on files.               */

static struct fl_seckey *
new_key(const char *name, const char *base)
{
	struct fl_err err = FL_ERR_INIT;
	struct fl_seckey *sk = NULL;

	CHECK_OK(fl_seckey_generate(&sk, name, &err), &err);
	if (base != NULL)
		CHECK_OK(fl_seckey_write(sk, base, 0, &err), &err);
	return sk;
}

/* A round-r model whose history runs from round 0 to r - 1, each entry
 * with one update; when alter is set, entry 0 is changed after the
 * next one was chained to it.  Signed by sk when not NULL. */
static struct fl_archive *
history_model(int r, int alter, const struct fl_seckey *sk)
{
	struct fl_err err = FL_ERR_INIT;
	struct fl_archive *a = make_archive(r);
	json_t *h = json_array(), *u;
	char parent[32];
	int i;

	for (i = 0; i < r; i++) {
		snprintf(parent, sizeof(parent), "sha256:parent%d", i);
		u = json_pack("[{s:s, s:s, s:i, s:s}]", "id", "sha256:u",
		    "site", "a", "samples", 10 + i, "signer", "0123");
		CHECK(fl_history_append(h, i, parent, "fedavg", u) == 0);
		json_decref(u);
	}
	if (alter && r > 1)
		json_object_set_new(json_array_get(h, 0), "strategy",
		    json_string("krum"));
	if (r > 0) {
		json_object_set_new(fl_archive_manifest(a), "parent",
		    json_string(parent));
		json_object_set_new(fl_archive_manifest(a), "history", h);
	} else
		json_decref(h);
	if (sk != NULL)
		CHECK_OK(fl_archive_sign_new(a, sk, &err), &err);
	return a;
}

/* What fl_reader_verify reported, one line per call of fn. */
struct walk {
	char	lines[8][FL_ERR_MAX + 64];
	size_t	n;
};

static void
walk_fn(void *ctx, const struct fl_archive *a, const struct fl_pubkey *who,
    const struct fl_err *err)
{
	struct walk *w = ctx;

	if (w->n == 8)
		return;
	if (err == NULL)
		snprintf(w->lines[w->n++], sizeof(w->lines[0]), "ok %s",
		    a != NULL && who != NULL ? who->name : "?");
	else
		snprintf(w->lines[w->n++], sizeof(w->lines[0]), "%s %d %s",
		    a != NULL ? "fail" : "end", err->code, err->msg);
}

/* Walk the archives as[0..n), written back to back, then tail. */
static int
walk(struct fl_archive **as, size_t n, const char *tail, size_t tlen,
    const struct fl_trust *t, int chain, struct walk *w)
{
	struct fl_err err = FL_ERR_INIT;
	struct fl_reader *r = NULL;
	struct buf b = { NULL, 0 };
	FILE *f = open_memstream(&b.p, &b.n);
	size_t i;
	int rc;

	for (i = 0; i < n; i++)
		CHECK_OK(fl_archive_write(as[i], f, "mem", FL_COMPRESS_NONE,
		    &err), &err);
	if (tlen > 0)
		fwrite(tail, 1, tlen, f);
	fclose(f);
	memset(w, 0, sizeof(*w));
	f = fmemopen(b.p, b.n, "rb");
	CHECK_OK(fl_reader_open(&r, f, "in", &err), &err);
	rc = fl_reader_verify(r, "in", t, chain, walk_fn, w);
	fl_reader_free(r);
	fclose(f);
	free(b.p);
	return rc;
}

/* fl_reader_verify over streams of good and bad archives. */
static void
test_verify_walk(void)
{
	static const char zeros[1024];
	struct fl_err err = FL_ERR_INIT;
	struct fl_seckey *coord, *eve;
	struct fl_trust *t = NULL;
	struct fl_archive *as[5];
	struct walk w;
	size_t i;

	CHECK(mkdir(unit_at("trust"), 0777) == 0);
	CHECK(mkdir(unit_at("trust/coordinator"), 0777) == 0);
	coord = new_key("coord", unit_at("trust/coordinator/coord"));
	eve = new_key("eve", NULL);
	CHECK_OK(fl_trust_load(&t, unit_at("trust"), &err), &err);
	as[0] = history_model(2, 0, coord);
	as[1] = history_model(2, 1, coord);	/* a broken link */
	as[2] = history_model(3, 0, NULL);	/* not signed */
	as[3] = history_model(0, 0, coord);	/* round 0: no history */
	as[4] = history_model(1, 0, eve);	/* an unknown key */

	/* Every archive is reported, in order, and the walk goes on. */
	CHECK(walk(as, 4, NULL, 0, t, 1, &w) == FL_EVERIFY);
	CHECK(w.n == 4);
	CHECK(strcmp(w.lines[0], "ok coord") == 0);
	CHECK(strcmp(w.lines[1], "fail -6 in (archive 2): history entry 0 "
	    "(round 0) was altered: the link from entry 1 does not match") ==
	    0);
	CHECK(strcmp(w.lines[2], "fail -6 in (archive 3): not signed") == 0);
	CHECK(strcmp(w.lines[3], "ok coord") == 0);
	/* Without chain the altered history passes: its signature is good. */
	CHECK(walk(as, 2, NULL, 0, t, 0, &w) == 0);
	CHECK(w.n == 2 && strcmp(w.lines[1], "ok coord") == 0);
	/* The first archive is named without a number. */
	CHECK(walk(as + 1, 1, NULL, 0, t, 1, &w) == FL_EVERIFY);
	CHECK(w.n == 1 && strncmp(w.lines[0], "fail -6 in: history entry 0",
	    27) == 0);
	CHECK(walk(as + 4, 1, NULL, 0, t, 0, &w) == FL_EVERIFY);
	CHECK(w.n == 1 && strncmp(w.lines[0], "fail -6 in: signed by unknown "
	    "key ", 34) == 0);

	/* A model whose round does not follow its history. */
	json_object_set_new(fl_archive_manifest(as[3]), "round",
	    json_integer(2));
	CHECK_OK(fl_archive_sign_new(as[3], coord, &err), &err);
	CHECK(walk(as + 3, 1, NULL, 0, t, 1, &w) == FL_EVERIFY);
	CHECK(w.n == 1 && strcmp(w.lines[0], "fail -6 in: round 2 model has "
	    "no history") == 0);
	CHECK(walk(as + 3, 1, NULL, 0, t, 0, &w) == 0);

	/* A read error ends the walk, reported last (the reader looks past
	 * an archive before handing it over, so garbage after the last
	 * archive takes that archive down with it); a trust failure
	 * outranks a read error, and a read error outranks success. */
	CHECK(walk(as, 1, "hello, world\n", 13, t, 1, &w) == FL_EFORMAT);
	CHECK(w.n == 1 && strncmp(w.lines[0], "end -3 in: ", 11) == 0);
	CHECK(walk(as + 1, 2, zeros, 700, t, 1, &w) == FL_EVERIFY);
	CHECK(w.n == 2 && strncmp(w.lines[0], "fail -6 in: history", 19) ==
	    0 && strcmp(w.lines[1], "end -3 in: truncated archive") == 0);
	/* A stream of no archive. */
	CHECK(walk(as, 0, zeros, 1024, t, 1, &w) == FL_EFORMAT);
	CHECK(w.n == 1 && strcmp(w.lines[0], "end -3 in: no archive") == 0);

	for (i = 0; i < 5; i++)
		fl_archive_free(as[i]);
	fl_trust_free(t);
	fl_seckey_free(coord);
	fl_seckey_free(eve);
}

/* fl_archive_sign_file: file to file, nothing left on failure. */
static void
test_sign_file(void)
{
	struct fl_err err = FL_ERR_INIT;
	struct fl_seckey *sk;
	struct fl_trust *t = NULL;
	struct fl_archive *a = make_archive(0), *b = NULL;
	const struct fl_pubkey *who = NULL;
	char want[512];
	FILE *f;

	CHECK(mkdir(unit_at("s"), 0777) == 0);
	CHECK(mkdir(unit_at("strust"), 0777) == 0);
	sk = new_key("signer", unit_at("strust/signer"));
	CHECK_OK(fl_trust_load(&t, unit_at("strust"), &err), &err);
	CHECK((f = fopen(unit_at("s/in.fla"), "w")) != NULL);
	if (f == NULL)
		return;
	CHECK_OK(fl_archive_write(a, f, "in", FL_COMPRESS_NONE, &err), &err);
	fclose(f);

	CHECK_OK(fl_archive_sign_file(unit_at("s/in.fla"), sk, unit_at("s/out.fla"),
	    &err), &err);
	CHECK_OK(fl_archive_read_file(unit_at("s/out.fla"), &b, &err), &err);
	CHECK(b != NULL && strcmp(fl_archive_id(a), fl_archive_id(b)) == 0);
	CHECK(b != NULL && fl_archive_verify(b, t, &who, &err) == 0 &&
	    who != NULL && strcmp(who->name, "signer") == 0);
	fl_archive_free(b);

	/* Failures leave no output, and no temp file beside it. */
	CHECK(fl_archive_sign_file(unit_at("s/none.fla"), sk, unit_at("s/o2.fla"),
	    &err) == FL_EIO);
	snprintf(want, sizeof(want), "%s: No such file or directory",
	    unit_at("s/none.fla"));
	CHECK(strcmp(err.msg, want) == 0);
	CHECK(fl_archive_sign_file(unit_at("s/in.fla"), sk, unit_at("s/no/o.fla"),
	    &err) == FL_EIO);
	CHECK(strcmp(ls(unit_at("s")), "in.fla out.fla") == 0);
	fl_trust_free(t);
	fl_seckey_free(sk);
	fl_archive_free(a);
}

/* fl_pubkey_read_list, fl_seal_file and fl_unseal_file. */
static void
test_seal_file(void)
{
	struct fl_err err = FL_ERR_INIT;
	struct fl_seckey *ka, *kb, *kc;
	struct fl_pubkey keys[3];
	const char *paths[3];
	char *x = NULL, *y = NULL, want[512];
	size_t xn, yn, i;
	FILE *f;

	CHECK(mkdir(unit_at("k"), 0777) == 0);
	CHECK(mkdir(unit_at("e"), 0777) == 0);
	ka = new_key("a", unit_at("k/a"));
	kb = new_key("b", unit_at("k/b"));
	kc = new_key("c", unit_at("k/c"));

	/* The recipients' files, each once. */
	paths[0] = unit_at("k/a.pub");
	paths[1] = unit_at("k/b.pub");
	CHECK_OK(fl_pubkey_read_list(keys, paths, 2, &err), &err);
	CHECK(strcmp(keys[1].name, "b") == 0);
	paths[2] = unit_at("k/a.pub");
	CHECK(fl_pubkey_read_list(keys, paths, 3, &err) == FL_EUSAGE);
	snprintf(want, sizeof(want), "key %s given twice (%s, %s)",
	    fl_seckey_pub(ka)->keyid, paths[0], paths[2]);
	CHECK(strcmp(err.msg, want) == 0);
	paths[2] = unit_at("k/none.pub");
	CHECK(fl_pubkey_read_list(keys, paths, 3, &err) == FL_EIO);
	CHECK_OK(fl_pubkey_read_list(keys, paths, 2, &err), &err);

	/* 200 000 bytes: several chunks, the last one short. */
	CHECK((f = fopen(unit_at("e/plain"), "w")) != NULL);
	if (f == NULL)
		return;
	for (i = 0; i < 200000; i++)
		putc((int)(i * 7 % 251), f);
	fclose(f);
	CHECK_OK(fl_seal_file(unit_at("e/plain"), keys, 2, unit_at("e/s"), &err), &err);
	CHECK_OK(fl_unseal_file(unit_at("e/s"), kb, unit_at("e/back"), &err), &err);
	CHECK_OK(fl_file_read(unit_at("e/plain"), 1 << 20, &x, &xn, &err), &err);
	CHECK_OK(fl_file_read(unit_at("e/back"), 1 << 20, &y, &yn, &err), &err);
	CHECK(x != NULL && y != NULL && xn == yn && memcmp(x, y, xn) == 0);
	free(y);
	/* A device as output: the temp-file route. */
	CHECK_OK(fl_unseal_file(unit_at("e/s"), ka, "/dev/null", &err), &err);

	/* Not for this key; cut short; not sealed at all: nothing out. */
	CHECK(fl_unseal_file(unit_at("e/s"), kc, unit_at("e/o"), &err) == FL_EVERIFY);
	snprintf(want, sizeof(want), "%s: not sealed for key %s (c)",
	    unit_at("e/s"), fl_seckey_pub(kc)->keyid);
	CHECK(strcmp(err.msg, want) == 0);
	CHECK((f = fopen(unit_at("e/cut"), "w")) != NULL);
	if (f != NULL) {
		CHECK_OK(fl_file_read(unit_at("e/s"), 1 << 20, &y, &yn, &err),
		    &err);
		if (y != NULL)
			fwrite(y, 1, 70000, f);
		free(y);
		fclose(f);
	}
	CHECK(fl_unseal_file(unit_at("e/cut"), ka, unit_at("e/o"), &err) ==
	    FL_EVERIFY);
	snprintf(want, sizeof(want), "%s: sealed archive altered or corrupt "
	    "at chunk 1", unit_at("e/cut"));
	CHECK(strcmp(err.msg, want) == 0);
	CHECK(fl_unseal_file(unit_at("e/plain"), ka, unit_at("e/o"), &err) ==
	    FL_EFORMAT);
	snprintf(want, sizeof(want), "%s: not a sealed archive",
	    unit_at("e/plain"));
	CHECK(strcmp(err.msg, want) == 0);
	CHECK(fl_unseal_file(unit_at("e/none"), ka, unit_at("e/o"), &err) == FL_EIO);

	/* Sealing errors name the file at fault. */
	CHECK(fl_seal_file(unit_at("e/plain"), keys, 1, "/dev/full", &err) ==
	    FL_EIO);
	CHECK(strcmp(err.msg, "/dev/full: write: No space left on device") ==
	    0);
	CHECK(fl_seal_file(unit_at("e/none"), keys, 1, unit_at("e/o"), &err) ==
	    FL_EIO);
	snprintf(want, sizeof(want), "%s: No such file or directory",
	    unit_at("e/none"));
	CHECK(strcmp(err.msg, want) == 0);
	CHECK(fl_seal_file(unit_at("e/plain"), keys, 0, unit_at("e/o"), &err) ==
	    FL_EUSAGE);
	CHECK(strcmp(ls(unit_at("e")), "back cut plain s") == 0);
	free(x);
	fl_seckey_free(ka);
	fl_seckey_free(kb);
	fl_seckey_free(kc);
}

int
main(void)
{
	if (unit_tmpdir("pack") == NULL)
		return 1;
	unit_run("dir_round_trip", test_dir_round_trip);
	unit_run("dir_confined", test_dir_confined);
	unit_run("dir_write_errors", test_dir_write_errors);
	unit_run("dir_read_errors", test_dir_read_errors);
	unit_run("list", test_list);
	unit_run("manifests", test_manifests);
	unit_run("verify_walk", test_verify_walk);
	unit_run("sign_file", test_sign_file);
	unit_run("seal_file", test_seal_file);
	unit_rmtmpdir();
	return unit_done("test_pack");
}
