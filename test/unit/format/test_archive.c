/*
 * test_archive.c: the fl/1 archive layer (lib/format/archive.c, safetensors.c,
 * manifest.c): round trips, deterministic bytes, compression,
 * concatenated streams, and hostile input (truncation, flipped bytes,
 * lying sizes, bad safetensors headers, unknown members).
 */
#include <stdlib.h>
#include <string.h>

#include <archive.h>
#include <archive_entry.h>

#include "format/archive_int.h"
#include "unit.h"

struct buf {
	char	*p;
	size_t	 n;
};

/* A small model-like archive; round is stored in the manifest. */
static struct fl_archive *
make_archive(int round, float scale)
{
	static const size_t wshape[2] = { 2, 3 }, bshape[1] = { 2 },
	    eshape[1] = { 0 };
	float w[6], b[2];
	int64_t one = 42;
	struct fl_archive *a = fl_archive_new(FL_KIND_UPDATE);
	struct fl_err err = FL_ERR_INIT;
	json_t *m;
	int i;

	for (i = 0; i < 6; i++)
		w[i] = scale * (float)(i + 1);
	b[0] = -scale;
	b[1] = 0.5f;
	m = fl_archive_manifest(a);
	json_object_set_new(m, "round", json_integer(round));
	json_object_set_new(m, "site", json_string("site-a"));
	json_object_set_new(m, "parent", json_null());
	CHECK_OK(fl_manifest_set_writer(m, "test_archive", &err), &err);
	CHECK_OK(fl_archive_add_tensor(a, "fc0.weight", FL_DTYPE_F32, 2,
	    wshape, w, &err), &err);
	CHECK_OK(fl_archive_add_tensor(a, "fc0.bias", FL_DTYPE_F32, 1, bshape,
	    b, &err), &err);
	CHECK_OK(fl_archive_add_tensor(a, "count", FL_DTYPE_I64, 0, NULL,
	    &one, &err), &err);
	CHECK(fl_archive_add_tensor_uninit(a, "empty", FL_DTYPE_F64, 1,
	    eshape, &err) != NULL);
	return a;
}

static struct buf
write_mem(struct fl_archive *a, enum fl_compress c)
{
	struct buf b = { NULL, 0 };
	struct fl_err err = FL_ERR_INIT;
	FILE *f = open_memstream(&b.p, &b.n);

	CHECK_OK(fl_archive_write(a, f, "mem", c, &err), &err);
	fclose(f);
	return b;
}

/* Read every archive from buf; return the last fl_reader_next code and
 * count archives in *n.  *a is reused. */
static int
read_mem(const void *p, size_t n, struct fl_archive **a, size_t *count,
    struct fl_err *err)
{
	static const char empty[1];
	struct fl_reader *r = NULL;
	FILE *f;
	int rc;

	*count = 0;
	f = fmemopen(n == 0 ? (void *)empty : (void *)p, n == 0 ? 1 : n,
	    "rb");
	if (n == 0)
		fgetc(f);
	if ((rc = fl_reader_open(&r, f, "mem", err)) == 0)
		while ((rc = fl_reader_next(r, a, err)) == 1)
			(*count)++;
	fl_reader_free(r);
	fclose(f);
	return rc;
}

static int
same_archive(const struct fl_archive *x, const struct fl_archive *y)
{
	struct fl_tensor tx, ty;
	size_t i, nx, ny;
	const void *dx = fl_archive_data(x, &nx), *dy = fl_archive_data(y,
	    &ny);

	if (fl_archive_ntensors(x) != fl_archive_ntensors(y) || nx != ny ||
	    (nx > 0 && memcmp(dx, dy, nx) != 0))
		return 0;
	for (i = 0; i < fl_archive_ntensors(x); i++) {
		fl_archive_tensor(x, i, &tx);
		fl_archive_tensor(y, i, &ty);
		if (strcmp(tx.name, ty.name) != 0 || tx.dtype != ty.dtype ||
		    tx.ndim != ty.ndim || memcmp(tx.shape, ty.shape,
		    sizeof(tx.shape)) != 0 || tx.nbytes != ty.nbytes)
			return 0;
	}
	return json_equal(((struct fl_archive *)x)->manifest,
	    ((struct fl_archive *)y)->manifest);
}

static void
test_names(void)
{
	CHECK(strcmp(fl_kind_name(FL_KIND_STATS), "stats") == 0);
	CHECK(fl_kind_parse("metrics") == FL_KIND_METRICS);
	CHECK(fl_kind_parse("Model") == -1);
	CHECK(strcmp(fl_dtype_name(FL_DTYPE_I64), "I64") == 0);
	CHECK(fl_dtype_size(FL_DTYPE_F32) == 4);
	CHECK(fl_dtype_size(FL_DTYPE_F64) == 8);
	CHECK(fl_compress_parse("zstd") == FL_COMPRESS_ZSTD);
	CHECK(fl_compress_parse("xz") == -1);
}

static void
test_manifest_helpers(void)
{
	struct fl_err err = FL_ERR_INIT;
	json_t *m = json_pack("{s:i, s:s, s:f, s:s}", "round", 3, "site", "x",
	    "lr", 0.5, "id", "sha256:00");
	const char *s;
	int64_t v;
	char *c;

	CHECK_OK(fl_json_get_int(m, "round", &v, &err), &err);
	CHECK(v == 3);
	CHECK(fl_json_get_int(m, "lr", &v, &err) == FL_EFORMAT);
	CHECK(strcmp(err.msg, "key 'lr' is not an integer") == 0);
	CHECK(fl_json_get_int(m, "samples", &v, &err) == FL_EFORMAT);
	CHECK(strcmp(err.msg, "missing key 'samples'") == 0);
	CHECK_OK(fl_json_get_str(m, "site", &s, &err), &err);
	CHECK(strcmp(s, "x") == 0);
	CHECK(fl_json_get_str(m, "round", &s, &err) == FL_EFORMAT);
	c = fl_manifest_canonical(m);
	CHECK(c != NULL && strcmp(c, "{\"lr\":0.5,\"round\":3,\"site\":\"x\"}")
	    == 0);
	CHECK(json_object_get(m, "id") != NULL);	/* left alone */
	free(c);
	json_decref(m);
}

static void
test_round_trip(void)
{
	struct fl_archive *a = make_archive(1, 1.0f), *b = NULL;
	struct fl_err err = FL_ERR_INIT;
	struct fl_tensor t;
	struct buf w1, w2, w3;
	size_t n;

	CHECK(fl_archive_id(a) == NULL);
	w1 = write_mem(a, FL_COMPRESS_NONE);
	CHECK(fl_archive_id(a) != NULL && strncmp(fl_archive_id(a),
	    "sha256:", 7) == 0 && strlen(fl_archive_id(a)) == 71);
	CHECK(w1.n % 512 == 0);
	CHECK(memcmp(w1.p, "manifest.json", 14) == 0);
	CHECK(read_mem(w1.p, w1.n, &b, &n, &err) == 0);
	CHECK(n == 1);
	CHECK(b != NULL && same_archive(a, b));
	CHECK(b != NULL && strcmp(fl_archive_id(a), fl_archive_id(b)) == 0);
	CHECK(b != NULL && fl_archive_kind(b) == FL_KIND_UPDATE);
	CHECK(b != NULL && fl_archive_find(b, "fc0.bias", &t) == 0 &&
	    t.ndim == 1 && t.shape[0] == 2 && ((const float *)t.data)[1] ==
	    0.5f);
	CHECK(b != NULL && fl_archive_find(b, "count", &t) == 0 &&
	    t.ndim == 0 && *(const int64_t *)t.data == 42);
	CHECK(b != NULL && fl_archive_find(b, "nope", &t) == -1);
	/* Writing again, or writing what was read, gives the same bytes. */
	w2 = write_mem(a, FL_COMPRESS_NONE);
	CHECK(w1.n == w2.n && memcmp(w1.p, w2.p, w1.n) == 0);
	if (b != NULL) {
		w3 = write_mem(b, FL_COMPRESS_NONE);
		CHECK(w1.n == w3.n && memcmp(w1.p, w3.p, w1.n) == 0);
		free(w3.p);
	}
	/* Duplicate names and too many dimensions are refused. */
	CHECK(fl_archive_add_tensor(a, "count", FL_DTYPE_I64, 0, NULL, &n,
	    &err) == FL_EUSAGE);
	CHECK(fl_archive_add_tensor_uninit(a, "x", FL_DTYPE_F32,
	    FL_MAX_DIMS + 1, NULL, &err) == NULL && err.code == FL_EUSAGE);
	free(w1.p);
	free(w2.p);
	fl_archive_free(a);
	fl_archive_free(b);
}

static void
test_source_date_epoch(void)
{
	struct fl_archive *a = make_archive(1, 1.0f), *b = NULL;
	struct fl_err err = FL_ERR_INIT;
	struct buf w0, w1;
	size_t i, n, bad = 0;
	char id0[80];

	w0 = write_mem(a, FL_COMPRESS_NONE);
	snprintf(id0, sizeof(id0), "%s", fl_archive_id(a));
	setenv("SOURCE_DATE_EPOCH", "1700000000", 1);
	w1 = write_mem(a, FL_COMPRESS_NONE);
	CHECK(strcmp(id0, fl_archive_id(a)) == 0);
	CHECK(w0.n == w1.n);
	/* Only the mtime and checksum fields of the headers differ. */
	for (i = 0; i < w0.n && i < w1.n; i++)
		if (w0.p[i] != w1.p[i] && !(i % 512 >= 136 && i % 512 < 156))
			bad++;
	CHECK(bad == 0);
	CHECK(memcmp(w0.p, w1.p, w0.n) != 0);
	CHECK(read_mem(w1.p, w1.n, &b, &n, &err) == 0 && n == 1);
	setenv("SOURCE_DATE_EPOCH", "-5", 1);
	{
		FILE *f = fopen("/dev/null", "wb");

		CHECK(fl_archive_write(a, f, "x", FL_COMPRESS_NONE, &err) ==
		    FL_EUSAGE);
		CHECK(strstr(err.msg, "SOURCE_DATE_EPOCH") != NULL);
		fclose(f);
	}
	unsetenv("SOURCE_DATE_EPOCH");
	free(w0.p);
	free(w1.p);
	fl_archive_free(a);
	fl_archive_free(b);
}

static void
test_compression(void)
{
	static const enum fl_compress cs[] = { FL_COMPRESS_GZIP,
	    FL_COMPRESS_ZSTD };
	struct fl_archive *a = make_archive(2, 3.0f), *b = NULL;
	struct fl_err err = FL_ERR_INIT;
	struct buf plain, w1, w2;
	size_t i, n;

	plain = write_mem(a, FL_COMPRESS_NONE);
	for (i = 0; i < 2; i++) {
		w1 = write_mem(a, cs[i]);
		w2 = write_mem(a, cs[i]);
		CHECK(w1.n == w2.n && memcmp(w1.p, w2.p, w1.n) == 0);
		CHECK(w1.n != plain.n || memcmp(w1.p, plain.p, w1.n) != 0);
		if (cs[i] == FL_COMPRESS_GZIP)	/* magic, no mtime */
			CHECK(w1.n > 10 && (unsigned char)w1.p[0] == 0x1f &&
			    memcmp(w1.p + 4, "\0\0\0\0", 4) == 0 &&
			    (w1.p[3] & 0x08) == 0);
		CHECK(read_mem(w1.p, w1.n, &b, &n, &err) == 0 && n == 1);
		CHECK(b != NULL && same_archive(a, b));
		free(w1.p);
		free(w2.p);
	}
	free(plain.p);
	fl_archive_free(a);
	fl_archive_free(b);
}

static void
test_concatenated(void)
{
	struct fl_archive *a[3], *b = NULL;
	struct fl_err err = FL_ERR_INIT;
	struct fl_reader *r = NULL;
	struct buf w[3];
	const void *data0 = NULL;
	char *cat;
	size_t i, tot = 0;
	int64_t round;
	FILE *f;

	for (i = 0; i < 3; i++) {
		a[i] = make_archive((int)i + 10, (float)i);
		w[i] = write_mem(a[i], FL_COMPRESS_NONE);
		tot += w[i].n;
	}
	cat = malloc(tot);
	for (i = 0, tot = 0; i < 3; i++) {
		memcpy(cat + tot, w[i].p, w[i].n);
		tot += w[i].n;
	}
	f = fmemopen(cat, tot, "rb");
	CHECK_OK(fl_reader_open(&r, f, "cat", &err), &err);
	for (i = 0; i < 3; i++) {
		CHECK(fl_reader_next(r, &b, &err) == 1);
		if (b == NULL)
			break;
		CHECK(fl_json_get_int(fl_archive_manifest(b), "round", &round,
		    &err) == 0 && round == (int64_t)i + 10);
		CHECK(same_archive(a[i], b));
		CHECK(strcmp(fl_archive_id(a[i]), fl_archive_id(b)) == 0);
		/* The data buffer is recycled, not reallocated. */
		if (i == 0)
			data0 = fl_archive_data(b, NULL);
		else
			CHECK(fl_archive_data(b, NULL) == data0);
	}
	CHECK(fl_reader_next(r, &b, &err) == 0);
	CHECK(fl_reader_next(r, &b, &err) == 0);
	fl_reader_free(r);
	fclose(f);
	/* fl_archive_read_file wants exactly one. */
	f = fopen("test_archive.tmp", "wb");
	fwrite(cat, 1, tot, f);
	fclose(f);
	fl_archive_free(b);
	b = NULL;
	CHECK(fl_archive_read_file("test_archive.tmp", &b, &err) ==
	    FL_EFORMAT && b == NULL);
	CHECK(strcmp(err.msg, "test_archive.tmp: holds more than one archive")
	    == 0);
	f = fopen("test_archive.tmp", "wb");
	fwrite(w[1].p, 1, w[1].n, f);
	fclose(f);
	CHECK_OK(fl_archive_read_file("test_archive.tmp", &b, &err), &err);
	CHECK(b != NULL && same_archive(a[1], b));
	remove("test_archive.tmp");
	for (i = 0; i < 3; i++) {
		free(w[i].p);
		fl_archive_free(a[i]);
	}
	free(cat);
	fl_archive_free(b);
}

/* Every prefix of an archive is an error, except those that only cut
 * into the end-of-archive blocks (the content is then whole and
 * verified, as tar itself tolerates). */
static void
test_truncation(void)
{
	struct fl_archive *a = make_archive(1, 1.0f), *b = NULL;
	struct fl_err err = FL_ERR_INIT;
	struct buf w;
	size_t len, n, bad = 0, content;
	int rc;

	w = write_mem(a, FL_COMPRESS_NONE);
	content = w.n - 1024;
	for (len = 0; len < w.n; len++) {
		rc = read_mem(w.p, len, &b, &n, &err);
		if (len < content && (rc >= 0 && n > 0)) {
			fprintf(stderr, "truncated at %zu: accepted\n", len);
			bad++;
		}
		if (len >= content && rc == 0 && (n != 1 ||
		    !same_archive(a, b)))
			bad++;
		if (len > 0 && len < content && rc < 0 && err.msg[0] == '\0')
			bad++;
	}
	CHECK(bad == 0);
	CHECK(read_mem(w.p, 700, &b, &n, &err) == FL_EFORMAT);
	CHECK(strcmp(err.msg, "mem: truncated archive") == 0);
	CHECK(read_mem("garbage garbage garbage", 23, &b, &n, &err) ==
	    FL_EFORMAT);
	CHECK(strcmp(err.msg, "mem: not an fl archive") == 0);
	free(w.p);
	/* Compressed streams too. */
	w = write_mem(a, FL_COMPRESS_GZIP);
	for (len = 0, bad = 0; len + 20 < w.n; len++)
		if (read_mem(w.p, len, &b, &n, &err) >= 0 && n > 0)
			bad++;
	CHECK(bad == 0);
	free(w.p);
	w = write_mem(a, FL_COMPRESS_ZSTD);
	for (len = 0, bad = 0; len + 20 < w.n; len++)
		if (read_mem(w.p, len, &b, &n, &err) >= 0 && n > 0)
			bad++;
	CHECK(bad == 0);
	free(w.p);
	fl_archive_free(a);
	fl_archive_free(b);
}

/* Flip each byte of both members' contents: always an error. */
static void
test_flips(void)
{
	struct fl_archive *a = make_archive(1, 1.0f), *b = NULL;
	struct fl_err err = FL_ERR_INIT;
	struct buf w;
	size_t i, n, mlen, moff, toff, tlen, bad = 0, verify = 0;
	int rc;

	w = write_mem(a, FL_COMPRESS_NONE);
	mlen = strtoul(w.p + 124, NULL, 8);
	moff = 512;
	toff = moff + (mlen + 511) / 512 * 512 + 512;
	tlen = strtoul(w.p + toff - 512 + 124, NULL, 8);
	CHECK(memcmp(w.p + toff - 512, "tensors.safetensors", 19) == 0);
	for (i = 0; i < w.n; i++) {
		int content = (i >= moff && i < moff + mlen) ||
		    (i >= toff && i < toff + tlen);

		w.p[i] ^= 0x01;
		rc = read_mem(w.p, w.n, &b, &n, &err);
		if (content && rc >= 0)
			bad++;
		if (!content && rc == 0 && (n != 1 || !same_archive(a, b)))
			bad++;
		if (rc == FL_EVERIFY)
			verify++;
		w.p[i] ^= 0x01;
		w.p[i] ^= 0xff;
		rc = read_mem(w.p, w.n, &b, &n, &err);
		if (content && rc >= 0)
			bad++;
		w.p[i] ^= 0xff;
	}
	CHECK(bad == 0);
	CHECK(verify > 0);
	/* A flipped float is a clean trust failure naming the stream. */
	w.p[toff + tlen - 1] ^= 0x01;
	CHECK(read_mem(w.p, w.n, &b, &n, &err) == FL_EVERIFY);
	CHECK(strcmp(err.msg, "mem: id does not match content (archive "
	    "altered)") == 0);
	free(w.p);
	fl_archive_free(a);
	fl_archive_free(b);
}

/* Rewrite a ustar size field and fix the header checksum. */
static void
set_size(char *h, unsigned long long size)
{
	char tmp[32];
	unsigned sum = 0;
	int i;

	snprintf(tmp, sizeof(tmp), "%011llo", size);
	memcpy(h + 124, tmp, 12);
	memset(h + 148, ' ', 8);
	for (i = 0; i < 512; i++)
		sum += (unsigned char)h[i];
	snprintf(h + 148, 8, "%06o", sum);
}

static void
test_lying_size(void)
{
	struct fl_archive *a = make_archive(1, 1.0f), *b;
	struct fl_err err = FL_ERR_INIT;
	struct buf w;
	size_t n, mlen, toff;

	w = write_mem(a, FL_COMPRESS_NONE);
	mlen = strtoul(w.p + 124, NULL, 8);
	toff = 512 + (mlen + 511) / 512 * 512;
	/* The tensors member claims 8 GiB but holds a few hundred bytes. */
	set_size(w.p + toff, (8ULL << 30) - 1);
	b = fl_archive_new(FL_KIND_MODEL);
	CHECK(read_mem(w.p, w.n, &b, &n, &err) == FL_EFORMAT);
	CHECK(strstr(err.msg, "mem: ") == err.msg);
	CHECK(b->cap < (1u << 20) && b->nt == 0 && fl_archive_id(b) == NULL);
	/* The manifest claims more than the limit: refused at once. */
	set_size(w.p, (unsigned long long)FL_MAX_MANIFEST + 1);
	CHECK(read_mem(w.p, w.n, &b, &n, &err) == FL_EFORMAT);
	CHECK(strstr(err.msg, "over the limit") != NULL);
	free(w.p);
	fl_archive_free(a);
	fl_archive_free(b);
}

/* A safetensors buffer from a header text and data size. */
static int
st_decode(struct fl_archive *a, const char *hdr, size_t datalen,
    struct fl_err *err)
{
	size_t hl = strlen(hdr), len = 8 + hl + datalen;
	unsigned char *buf = calloc(1, len);
	uint64_t n = hl;
	int rc;

	memcpy(buf, &n, 8);
	memcpy(buf + 8, hdr, hl);
	rc = fl_safetensors_decode(a, buf, len, err);
	free(buf);
	return rc;
}

static void
test_safetensors(void)
{
	struct fl_archive *a = make_archive(1, 2.0f), *b;
	struct fl_err err = FL_ERR_INIT;
	struct fl_tensor t;
	unsigned char *buf;
	size_t len;
	uint64_t n;

	CHECK_OK(fl_safetensors_encode(a, &buf, &len, &err), &err);
	memcpy(&n, buf, 8);
	CHECK(len % 8 == 0 && (8 + n) % 8 == 0 && buf[8] == '{');
	CHECK(memcmp(buf + 8, "{\"count\":{\"data_offsets\":[32,40],", 33)
	    == 0);
	b = fl_archive_new(FL_KIND_MODEL);
	CHECK_OK(fl_safetensors_decode(b, buf, len, &err), &err);
	CHECK(fl_archive_ntensors(b) == 4);
	fl_archive_tensor(b, 0, &t);
	CHECK(strcmp(t.name, "fc0.weight") == 0 && t.shape[1] == 3);
	free(buf);

	CHECK_OK(st_decode(b, "{\"__metadata__\":{\"a\":\"b\"},\"x\":"
	    "{\"dtype\":\"F64\",\"shape\":[2],\"data_offsets\":[0,16]}}", 16,
	    &err), &err);
	CHECK(fl_archive_ntensors(b) == 1);
	CHECK(st_decode(b, "{\"__metadata__\":{\"a\":1}}", 0, &err) ==
	    FL_EFORMAT);
	CHECK(st_decode(b, "{\"x\":{\"dtype\":\"F16\",\"shape\":[2],"
	    "\"data_offsets\":[0,4]}}", 4, &err) == FL_EFORMAT);
	CHECK(strstr(err.msg, "dtype") != NULL);
	/* overlap */
	CHECK(st_decode(b, "{\"x\":{\"dtype\":\"F32\",\"shape\":[2],"
	    "\"data_offsets\":[0,8]},\"y\":{\"dtype\":\"F32\",\"shape\":[2],"
	    "\"data_offsets\":[4,12]}}", 12, &err) == FL_EFORMAT);
	CHECK(strstr(err.msg, "overlap") != NULL);
	/* out of range */
	CHECK(st_decode(b, "{\"x\":{\"dtype\":\"F32\",\"shape\":[4],"
	    "\"data_offsets\":[0,16]}}", 8, &err) == FL_EFORMAT);
	/* hole, and bytes after the last tensor */
	CHECK(st_decode(b, "{\"x\":{\"dtype\":\"F32\",\"shape\":[1],"
	    "\"data_offsets\":[4,8]}}", 8, &err) == FL_EFORMAT);
	CHECK(st_decode(b, "{\"x\":{\"dtype\":\"F32\",\"shape\":[1],"
	    "\"data_offsets\":[0,4]}}", 8, &err) == FL_EFORMAT);
	/* size does not match shape; overflowing shape; too many dims */
	CHECK(st_decode(b, "{\"x\":{\"dtype\":\"F32\",\"shape\":[3],"
	    "\"data_offsets\":[0,8]}}", 8, &err) == FL_EFORMAT);
	CHECK(st_decode(b, "{\"x\":{\"dtype\":\"F32\",\"shape\":"
	    "[4294967296,4294967296],\"data_offsets\":[0,8]}}", 8, &err) ==
	    FL_EFORMAT);
	CHECK(st_decode(b, "{\"x\":{\"dtype\":\"F32\",\"shape\":"
	    "[1,1,1,1,1,1,1,1,1],\"data_offsets\":[0,4]}}", 4, &err) ==
	    FL_EFORMAT);
	CHECK(st_decode(b, "{\"x\":{\"dtype\":\"F32\",\"shape\":[-1],"
	    "\"data_offsets\":[0,4]}}", 4, &err) == FL_EFORMAT);
	CHECK(st_decode(b, "[1,2]", 0, &err) == FL_EFORMAT);
	CHECK(st_decode(b, "{\"x\":", 0, &err) == FL_EFORMAT);
	CHECK(strncmp(err.msg, "header:1:", 9) == 0);
	/* A header nested past a tensor's entry, or holding more items
	 * than any tensor table, is refused before Jansson parses it. */
	CHECK(st_decode(b, "{\"x\":{\"dtype\":\"F32\",\"shape\":[[1]],"
	    "\"data_offsets\":[0,4]}}", 4, &err) == FL_EFORMAT);
	CHECK(strcmp(err.msg, "header: nested deeper than 3 levels") == 0);
	{
		size_t k, items = 20 * (size_t)(FL_MAX_TENSORS + 1) + 4097;
		char *h = malloc(2 * items + 32);

		CHECK(h != NULL);
		if (h != NULL) {
			memcpy(h, "{\"x\":[", 6);
			for (k = 0; k < items; k++)
				memcpy(h + 6 + 2 * k, "0,", 2);
			memcpy(h + 6 + 2 * items - 1, "]}", 3);
			CHECK(st_decode(b, h, 0, &err) == FL_EFORMAT);
			CHECK(strncmp(err.msg, "header: over ", 13) == 0 &&
			    strstr(err.msg, "keys and values") != NULL);
			free(h);
		}
	}
	/* A header length past the end. */
	buf = calloc(1, 16);
	n = 1000;
	memcpy(buf, &n, 8);
	CHECK(fl_safetensors_decode(b, buf, 16, &err) == FL_EFORMAT);
	CHECK(fl_safetensors_decode(b, buf, 4, &err) == FL_EFORMAT);
	free(buf);
	/* Errors leave the last good table in place. */
	CHECK(fl_archive_ntensors(b) == 1);
	fl_archive_free(a);
	fl_archive_free(b);
}

/* Write a tar of the given members with libarchive directly. */
static struct buf
raw_tar(const char *const *names, const struct buf *bodies, size_t n)
{
	struct buf b = { NULL, 0 };
	struct archive *aw = archive_write_new();
	struct archive_entry *e = archive_entry_new();
	FILE *f = open_memstream(&b.p, &b.n);
	size_t i;

	archive_write_set_format_pax_restricted(aw);
	archive_write_open_FILE(aw, f);
	for (i = 0; i < n; i++) {
		archive_entry_clear(e);
		archive_entry_set_pathname(e, names[i]);
		archive_entry_set_filetype(e, AE_IFREG);
		archive_entry_set_perm(e, 0644);
		archive_entry_set_size(e, (la_int64_t)bodies[i].n);
		archive_write_header(aw, e);
		archive_write_data(aw, bodies[i].p, bodies[i].n);
	}
	archive_write_close(aw);
	archive_write_free(aw);
	archive_entry_free(e);
	fclose(f);
	return b;
}

static void
test_members(void)
{
	struct fl_archive *a = make_archive(1, 1.0f), *b = NULL;
	struct fl_err err = FL_ERR_INIT;
	struct buf body[4], w, junk;
	const char *names[4];
	unsigned char *st;
	char *mtext;
	size_t n;

	junk = write_mem(a, FL_COMPRESS_NONE);	/* sets the id */
	free(junk.p);
	mtext = json_dumps(fl_archive_manifest(a), JSON_INDENT(2));
	body[0].p = mtext;
	body[0].n = strlen(body[0].p);
	CHECK_OK(fl_safetensors_encode(a, &st, &body[1].n, &err), &err);
	body[1].p = (char *)st;
	body[2].p = body[3].p = "x";
	body[2].n = body[3].n = 1;
	names[0] = "manifest.json";
	names[1] = "tensors.safetensors";

	w = raw_tar(names, body, 2);
	CHECK(read_mem(w.p, w.n, &b, &n, &err) == 0 && n == 1);
	free(w.p);
	names[2] = "sig/ed25519";
	w = raw_tar(names, body, 3);
	CHECK(read_mem(w.p, w.n, &b, &n, &err) == 0 && n == 1);
	free(w.p);
	names[2] = "extra.txt";
	w = raw_tar(names, body, 3);
	CHECK(read_mem(w.p, w.n, &b, &n, &err) == FL_EFORMAT);
	CHECK(strcmp(err.msg, "mem: unexpected member 'extra.txt'") == 0);
	free(w.p);
	names[0] = "tensors.safetensors";
	names[1] = "manifest.json";
	body[3] = body[0];
	body[0] = body[1];
	body[1] = body[3];
	w = raw_tar(names, body, 2);
	CHECK(read_mem(w.p, w.n, &b, &n, &err) == FL_EFORMAT);
	free(w.p);
	/* A format we do not know. */
	names[0] = "manifest.json";
	body[0].p = "{\"format\":\"fl/2\",\"kind\":\"model\",\"id\":\"x\"}";
	body[0].n = strlen(body[0].p);
	w = raw_tar(names, body, 1);
	CHECK(read_mem(w.p, w.n, &b, &n, &err) == FL_EFORMAT);
	CHECK(strcmp(err.msg, "mem: unsupported format 'fl/2'") == 0);
	free(w.p);
	body[0].p = "{\"format\":\"fl/1\",\n\"kind\":}";
	body[0].n = strlen(body[0].p);
	w = raw_tar(names, body, 1);
	CHECK(read_mem(w.p, w.n, &b, &n, &err) == FL_EFORMAT);
	CHECK(strncmp(err.msg, "mem: manifest.json:2:8: ", 24) == 0);
	free(w.p);
	body[0].p = "{\"format\":\"fl/1\",\"kind\":\"model\"}";
	body[0].n = strlen(body[0].p);
	w = raw_tar(names, body, 1);
	CHECK(read_mem(w.p, w.n, &b, &n, &err) == FL_EFORMAT);
	CHECK(strcmp(err.msg, "mem: manifest.json: missing key 'id'") == 0);
	free(w.p);
	free(st);
	free(mtext);
	fl_archive_free(a);
	fl_archive_free(b);
}

static void
test_write_error(void)
{
	struct fl_archive *a = make_archive(1, 1.0f);
	struct fl_err err = FL_ERR_INIT;
	FILE *f = fopen("/dev/full", "wb");

	if (f == NULL)
		return;
	CHECK(fl_archive_write(a, f, "full.fla", FL_COMPRESS_NONE, &err) ==
	    FL_EIO);
	CHECK(strncmp(err.msg, "full.fla: ", 10) == 0);
	fclose(f);
	fl_archive_free(a);
}

/* A sink that keeps each tensor's bytes (streaming, fl_reader_set_sink):
 * begin sizes the buffers from the table; data checks that it gets whole
 * elements in order. */
struct keep {
	int		 stream;	/* begin's answer */
	size_t		 nt;
	unsigned char	*t[8];
	size_t		 nb[8], got[8];
	int		 bad;
};

static int
keep_begin(void *ctx, const struct fl_archive *a, struct fl_err *err)
{
	struct keep *k = ctx;
	struct fl_tensor t;
	size_t i;

	(void)err;
	k->nt = fl_archive_ntensors(a);
	for (i = 0; i < k->nt && i < 8; i++) {
		fl_archive_tensor(a, i, &t);
		free(k->t[i]);
		k->t[i] = malloc(t.nbytes + 1);
		k->nb[i] = t.nbytes;
		k->got[i] = 0;
	}
	return k->stream;
}

static int
keep_data(void *ctx, size_t t, size_t at, const void *p, size_t n,
    struct fl_err *err)
{
	struct keep *k = ctx;
	size_t es = t == 1 ? 8 : 4;

	(void)err;
	if (t >= k->nt || at * es != k->got[t] || k->got[t] + n * es >
	    k->nb[t]) {
		k->bad = 1;
		return 0;
	}
	memcpy(k->t[t] + k->got[t], p, n * es);
	k->got[t] += n * es;
	return 0;
}

static int
read_sink(const struct buf *b, struct keep *k, struct fl_archive **a,
    struct fl_err *err)
{
	struct fl_sink s = { keep_begin, keep_data, k };
	struct fl_reader *r = NULL;
	FILE *f = fmemopen(b->p, b->n, "rb");
	int rc;

	if ((rc = fl_reader_open(&r, f, "mem", err)) == 0) {
		fl_reader_set_sink(r, &s);
		rc = fl_reader_next(r, a, err);
	}
	fl_reader_free(r);
	fclose(f);
	return rc;
}

/* A 1.6 MB tensor, an I64 one and a small one streamed to a sink, plain
 * and gzip: every byte once, in whole elements, the id checked (a
 * flipped byte is FL_EVERIFY after the sink saw it, a cut one
 * truncated); a sink that declines gets the archive read whole. */
static void
test_sink(void)
{
	static const size_t nbig[1] = { 400000 }, nsm[1] = { 3 },
	    ntail[1] = { 5 };
	struct fl_err err = FL_ERR_INIT;
	struct fl_archive *a = fl_archive_new(FL_KIND_UPDATE), *got = NULL;
	struct keep k;
	struct fl_tensor t;
	struct buf b, z;
	float *big, tail[5] = { 1, 2, 3, 4, 5 };
	int64_t sm[3] = { -1, INT64_MAX, 7 };
	size_t i, ok;
	int c;

	memset(&k, 0, sizeof(k));
	big = malloc(nbig[0] * sizeof(float));
	for (i = 0; i < nbig[0]; i++)
		big[i] = (float)i * 0.25f - 3;
	CHECK_OK(fl_archive_add_tensor(a, "big", FL_DTYPE_F32, 1, nbig, big,
	    &err), &err);
	CHECK_OK(fl_archive_add_tensor(a, "sm", FL_DTYPE_I64, 1, nsm, sm,
	    &err), &err);
	CHECK_OK(fl_archive_add_tensor(a, "tail", FL_DTYPE_F32, 1, ntail,
	    tail, &err), &err);
	b = write_mem(a, FL_COMPRESS_NONE);
	z = write_mem(a, FL_COMPRESS_GZIP);
	for (c = 0; c < 2; c++) {
		k.stream = 1;
		k.bad = 0;
		CHECK(read_sink(c == 0 ? &b : &z, &k, &got, &err) == 1);
		CHECK(!k.bad && k.nt == 3);
		CHECK(fl_archive_streamed(got));
		fl_archive_tensor(got, 0, &t);
		CHECK(t.data == NULL && t.nbytes == sizeof(float) * nbig[0]);
		CHECK(strcmp(fl_archive_id(got), fl_archive_id(a)) == 0);
		CHECK(k.got[0] == k.nb[0] && k.got[1] == 24 && k.got[2] == 20);
		CHECK(memcmp(k.t[0], big, k.nb[0]) == 0);
		CHECK(memcmp(k.t[1], sm, 24) == 0);
		CHECK(memcmp(k.t[2], tail, 20) == 0);
	}
	/* Declined: read whole, as without a sink. */
	k.stream = 0;
	CHECK(read_sink(&b, &k, &got, &err) == 1);
	CHECK(!fl_archive_streamed(got) && same_archive(a, got));
	/* A flipped byte of the data: refused by the id, after streaming. */
	k.stream = 1;
	for (i = 0, ok = 0; i + 8 <= b.n; i++)
		if (memcmp(b.p + i, &big[1000], 4) == 0) {
			b.p[i] ^= 1;
			ok = 1;
			break;
		}
	CHECK(ok);
	CHECK(read_sink(&b, &k, &got, &err) == FL_EVERIFY);
	CHECK(strstr(err.msg, "id does not match") != NULL);
	b.p[i] ^= 1;
	/* Cut in the middle of the big tensor. */
	b.n = i + 100000;
	CHECK(read_sink(&b, &k, &got, &err) == FL_EFORMAT);
	CHECK(strstr(err.msg, "truncated") != NULL);
	for (i = 0; i < 8; i++)
		free(k.t[i]);
	free(b.p);
	free(z.p);
	free(big);
	fl_archive_free(got);
	fl_archive_free(a);
}

int
main(void)
{
	unsetenv("SOURCE_DATE_EPOCH");
	unit_run("names", test_names);
	unit_run("sink", test_sink);
	unit_run("manifest_helpers", test_manifest_helpers);
	unit_run("round_trip", test_round_trip);
	unit_run("source_date_epoch", test_source_date_epoch);
	unit_run("compression", test_compression);
	unit_run("concatenated", test_concatenated);
	unit_run("truncation", test_truncation);
	unit_run("flips", test_flips);
	unit_run("lying_size", test_lying_size);
	unit_run("safetensors", test_safetensors);
	unit_run("members", test_members);
	unit_run("write_error", test_write_error);
	return unit_done("test_archive");
}
