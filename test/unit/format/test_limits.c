/*
 * test_limits.c: hostile input against the hard limits of lib/format/archive.c
 * and lib/format/safetensors.c: sizes that lie, decompression bombs, huge
 * shapes.  Each must be refused quickly, with one clear line, and without
 * allocating more than the input really holds (peak RSS is checked with
 * getrusage).  The limits are documented in man/fl-archive.5.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>

#include <archive.h>
#include <archive_entry.h>

#include "fl.h"
#include "unit.h"

#define MiB ((size_t)1 << 20)
#define GiB ((uint64_t)1 << 30)
/* A refused input may use at most this much memory. */
#define RSS_BUDGET (64 * MiB)

struct buf {
	unsigned char	*p;
	size_t		 n, cap;
};

static void
put(struct buf *b, const void *p, size_t n)
{
	if (b->n + n > b->cap) {
		b->cap = (b->n + n) * 2;
		if ((b->p = realloc(b->p, b->cap)) == NULL)
			abort();
	}
	memcpy(b->p + b->n, p, n);
	b->n += n;
}

static void
put_zeros(struct buf *b, size_t n)
{
	static const unsigned char z[512];

	while (n > 0) {
		size_t k = n < sizeof(z) ? n : sizeof(z);

		put(b, z, k);
		n -= k;
	}
}

/* Peak resident set size of this process, in bytes. */
static size_t
peak_rss(void)
{
	struct rusage ru;

	getrusage(RUSAGE_SELF, &ru);
	return (size_t)ru.ru_maxrss * 1024;
}

/* A ustar header for a member of the given size (base-256 past 8 GiB). */
static void
tar_header(struct buf *b, const char *name, uint64_t size, char type)
{
	unsigned char h[512];
	unsigned sum = 0;
	int i;

	memset(h, 0, sizeof(h));
	snprintf((char *)h, 100, "%s", name);
	memcpy(h + 100, "0000644", 8);
	memcpy(h + 108, "0000000", 8);
	memcpy(h + 116, "0000000", 8);
	if (size < ((uint64_t)1 << 33))
		snprintf((char *)h + 124, 12, "%011llo",
		    (unsigned long long)size);
	else {
		h[124] = 0x80;
		for (i = 0; i < 8; i++)
			h[135 - i] = (unsigned char)(size >> (8 * i));
	}
	memcpy(h + 136, "00000000000", 12);
	h[156] = (unsigned char)type;
	memcpy(h + 257, "ustar", 6);
	memcpy(h + 263, "00", 2);
	memset(h + 148, ' ', 8);
	for (i = 0; i < 512; i++)
		sum += h[i];
	snprintf((char *)h + 148, 8, "%06o", sum);
	put(b, h, sizeof(h));
}

/* A member's content, padded to a block. */
static void
tar_body(struct buf *b, const void *p, size_t n)
{
	put(b, p, n);
	put_zeros(b, (512 - n % 512) % 512);
}

static void
put_manifest(struct buf *b)
{
	static const char man[] = "{\"format\": \"fl/1\", \"kind\": "
	    "\"model\", \"id\": \"sha256:00\"}\n";

	tar_header(b, "manifest.json", sizeof(man) - 1, '0');
	tar_body(b, man, sizeof(man) - 1);
}

/* Read every archive in b, with a cap of max tensor bytes per archive
 * unless max is (uint64_t)-1; return the first failure (or 0 / 1). */
static int
read_all_max(const struct buf *b, uint64_t max, struct fl_err *err)
{
	struct fl_reader *r = NULL;
	struct fl_archive *a = NULL;
	FILE *f = fmemopen(b->p, b->n, "rb");
	int rc;

	if (f == NULL)
		abort();
	if ((rc = fl_reader_open(&r, f, "mem", err)) == 0) {
		if (max != (uint64_t)-1)
			fl_reader_set_max(r, max, "test");
		while ((rc = fl_reader_next(r, &a, err)) == 1)
			;
	}
	fl_archive_free(a);
	fl_reader_free(r);
	fclose(f);
	return rc;
}

/* Read every archive in b with the default cap. */
static int
read_all(const struct buf *b, struct fl_err *err)
{
	return read_all_max(b, (uint64_t)-1, err);
}

/* A tensors member claiming 10 GiB (with a header consistent with that)
 * in a file of about 2 KiB: refused by its declared size before any of it
 * is read, or, with no cap but the format's, as truncated; memory stays
 * small. */
static void
test_lying_tensors(void)
{
	struct fl_err err = FL_ERR_INIT;
	struct buf b = { NULL, 0, 0 };
	uint64_t data = 10 * GiB, n;
	char hdr[256];
	size_t hl, rss = peak_rss();

	snprintf(hdr, sizeof(hdr), "{\"t\":{\"data_offsets\":[0,%llu],"
	    "\"dtype\":\"F32\",\"shape\":[%llu]}}", (unsigned long long)data,
	    (unsigned long long)(data / 4));
	hl = strlen(hdr);
	while ((8 + hl) % 8 != 0)
		hdr[hl++] = ' ';
	n = hl;
	put_manifest(&b);
	tar_header(&b, "tensors.safetensors", 8 + hl + data, '0');
	put(&b, &n, 8);
	put(&b, hdr, hl);
	put_zeros(&b, 1024);
	CHECK(b.n < 4096);
	CHECK(read_all(&b, &err) == FL_EFORMAT);
	CHECK(strncmp(err.msg, "mem: tensors.safetensors: 107374183", 35) ==
	    0);
	CHECK(strstr(err.msg, " bytes declared, over the limit of 536870912 "
	    "(FL_MAX_BYTES or --max-bytes)") != NULL);
	CHECK(read_all_max(&b, 0, &err) == FL_EFORMAT);
	CHECK(strstr(err.msg, "truncated") != NULL);
	CHECK(peak_rss() - rss < RSS_BUDGET);

	/* The manifest claiming 10 GiB is over its limit at once. */
	b.n = 0;
	tar_header(&b, "manifest.json", 10 * GiB, '0');
	put_zeros(&b, 1024);
	CHECK(read_all(&b, &err) == FL_EFORMAT);
	CHECK(strstr(err.msg, "over the limit") != NULL);

	/* A safetensors header that disagrees with the member's size is
	 * refused before any data is read. */
	b.n = 0;
	put_manifest(&b);
	tar_header(&b, "tensors.safetensors", 8 + hl + data + 512, '0');
	put(&b, &n, 8);
	put(&b, hdr, hl);
	put_zeros(&b, 1024);
	CHECK(read_all_max(&b, 0, &err) == FL_EFORMAT);
	CHECK(strstr(err.msg, "bytes of data after the last tensor") != NULL);

	/* A pax extended header claiming 1 GiB. */
	b.n = 0;
	tar_header(&b, "PaxHeader/manifest.json", GiB, 'x');
	put_zeros(&b, 1024);
	CHECK(read_all(&b, &err) < 0);
	CHECK(peak_rss() - rss < RSS_BUDGET);
	free(b.p);
}

/* n bytes of zeros compressed with filter (ARCHIVE_FILTER_GZIP or
 * ARCHIVE_FILTER_ZSTD): one 64 MiB stream compressed once and repeated,
 * which gzip and zstd both read as one stream of concatenated members. */
static void
make_bomb(struct buf *out, int filter, uint64_t n)
{
	struct archive *aw;
	struct archive_entry *e;
	unsigned char *one = NULL, *zeros;
	size_t olen = 0, cap = 4 * MiB, chunk = 64 * MiB;
	uint64_t i;

	if ((zeros = calloc(1, MiB)) == NULL || (one = malloc(cap)) == NULL ||
	    (aw = archive_write_new()) == NULL ||
	    (e = archive_entry_new()) == NULL)
		abort();
	if (archive_write_add_filter(aw, filter) != ARCHIVE_OK ||
	    archive_write_set_format_raw(aw) != ARCHIVE_OK ||
	    archive_write_set_bytes_per_block(aw, 0) != ARCHIVE_OK ||
	    archive_write_open_memory(aw, one, cap, &olen) != ARCHIVE_OK)
		abort();
	archive_entry_set_filetype(e, AE_IFREG);
	archive_entry_set_pathname(e, "zeros");
	if (archive_write_header(aw, e) != ARCHIVE_OK)
		abort();
	for (i = 0; i < chunk / MiB; i++)
		if (archive_write_data(aw, zeros, MiB) != (la_ssize_t)MiB)
			abort();
	if (archive_write_close(aw) != ARCHIVE_OK)
		abort();
	archive_write_free(aw);
	archive_entry_free(e);
	for (i = 0; i < n / chunk; i++)
		put(out, one, olen);
	free(one);
	free(zeros);
}

/* 1 GiB of zeros, gzip and zstd: stopped by the slack limit long before
 * the end, with a clear line, in little memory. */
static void
test_bombs(void)
{
	static const int filters[] = { ARCHIVE_FILTER_GZIP,
	    ARCHIVE_FILTER_ZSTD };
	struct fl_err err = FL_ERR_INIT;
	struct fl_archive *a = NULL;
	size_t i, rss;

	for (i = 0; i < 2; i++) {
		struct buf b = { NULL, 0, 0 };

		make_bomb(&b, filters[i], GiB);
		CHECK(b.n > 0 && b.n < 16 * MiB);
		rss = peak_rss();
		CHECK(read_all_max(&b, 0, &err) == FL_EFORMAT);
		CHECK(strstr(err.msg, "decompression bomb") != NULL);
		CHECK(peak_rss() - rss < RSS_BUDGET);
		free(b.p);
	}
	/* Plain zero blocks too, and after a real archive. */
	{
		struct buf b = { NULL, 0, 0 };
		FILE *f = fmemopen(NULL, 8192, "w+b");

		a = fl_archive_new(FL_KIND_MODEL);
		CHECK(f != NULL && a != NULL);
		CHECK_OK(fl_archive_write(a, f, "mem", FL_COMPRESS_NONE,
		    &err), &err);
		b.cap = (size_t)ftell(f) + 4 * MiB;
		b.p = malloc(b.cap);
		rewind(f);
		b.n = fread(b.p, 1, b.cap, f);
		fclose(f);
		CHECK(read_all(&b, &err) == 0);	/* the archive alone */
		put_zeros(&b, 3 * MiB);
		CHECK(read_all(&b, &err) == FL_EFORMAT);
		CHECK(strstr(err.msg, "decompression bomb") != NULL);
		free(b.p);
		fl_archive_free(a);
	}
}

/* A safetensors header claiming huge shapes is refused before the data
 * section is allocated. */
static void
test_huge_shapes(void)
{
	static const char *const hdrs[] = {
	    "{\"t\":{\"dtype\":\"F32\",\"shape\":[1073741824,1024],"
	    "\"data_offsets\":[0,4398046511104]}}",
	    "{\"t\":{\"dtype\":\"F64\",\"shape\":[4294967296,4294967296,"
	    "4294967296],\"data_offsets\":[0,8]}}",
	    "{\"t\":{\"dtype\":\"I64\",\"shape\":[9223372036854775807],"
	    "\"data_offsets\":[0,8]}}",
	    "{\"t\":{\"dtype\":\"F32\",\"shape\":[2],"
	    "\"data_offsets\":[0,18446744073709551615]}}",
	};
	struct fl_err err = FL_ERR_INIT;
	struct fl_archive *a = fl_archive_new(FL_KIND_MODEL);
	unsigned char buf[512];
	size_t i, hl, rss = peak_rss();
	uint64_t n;

	for (i = 0; i < sizeof(hdrs) / sizeof(hdrs[0]); i++) {
		hl = strlen(hdrs[i]);
		n = hl;
		memset(buf, 0, sizeof(buf));
		memcpy(buf, &n, 8);
		memcpy(buf + 8, hdrs[i], hl);
		CHECK(fl_safetensors_decode(a, buf, 8 + hl + 8, &err) ==
		    FL_EFORMAT);
		CHECK(fl_archive_ntensors(a) == 0);
	}
	/* A header length past the end, or over the limit. */
	n = (uint64_t)FL_MAX_ST_HEADER + 1;
	memcpy(buf, &n, 8);
	CHECK(fl_safetensors_decode(a, buf, sizeof(buf), &err) == FL_EFORMAT);
	CHECK(strstr(err.msg, "over the limit") != NULL);
	n = 1000;
	memcpy(buf, &n, 8);
	CHECK(fl_safetensors_decode(a, buf, sizeof(buf), &err) == FL_EFORMAT);
	CHECK(strstr(err.msg, "past the end") != NULL);
	CHECK(peak_rss() - rss < RSS_BUDGET);
	fl_archive_free(a);
}

/* An archive in memory: kind, one F32 tensor "w" of n values and, when
 * x is not NULL, the manifest key "x" set to x (taking its reference). */
static void
mem_archive(struct buf *b, enum fl_kind kind, size_t n, json_t *x)
{
	struct fl_err err = FL_ERR_INIT;
	struct fl_archive *a = fl_archive_new(kind);
	float *w = calloc(n > 0 ? n : 1, sizeof(*w));
	char *p = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&p, &len);

	if (a == NULL || w == NULL || f == NULL)
		abort();
	if (x != NULL)
		json_object_set_new(fl_archive_manifest(a), "x", x);
	CHECK_OK(fl_archive_add_tensor(a, "w", FL_DTYPE_F32, 1, &n, w, &err),
	    &err);
	CHECK_OK(fl_archive_write(a, f, "mem", FL_COMPRESS_NONE, &err), &err);
	fclose(f);
	b->n = 0;
	put(b, p, len);
	free(p);
	free(w);
	fl_archive_free(a);
}

/* The reader's cap on declared tensor bytes: the default, FL_MAX_BYTES,
 * fl_reader_set_max, and the cap fl_update_max_bytes gives for updates
 * of a model. */
static void
test_max_bytes(void)
{
	struct fl_err err = FL_ERR_INIT;
	struct fl_reader *r = NULL;
	struct fl_archive *model = NULL;
	struct buf b = { NULL, 0, 0 }, big = { NULL, 0, 0 };
	uint64_t v, cap;
	FILE *f;

	CHECK(fl_size_parse("512", &v) == 0 && v == 512);
	CHECK(fl_size_parse("4k", &v) == 0 && v == 4096);
	CHECK(fl_size_parse("3M", &v) == 0 && v == 3 * MiB);
	CHECK(fl_size_parse("4G", &v) == 0 && v == 4 * GiB);
	CHECK(fl_size_parse("2T", &v) == 0 && v == 2048 * GiB);
	CHECK(fl_size_parse("0", &v) < 0);
	CHECK(fl_size_parse("", &v) < 0);
	CHECK(fl_size_parse("-1", &v) < 0);
	CHECK(fl_size_parse("1MB", &v) < 0);
	CHECK(fl_size_parse("1 M", &v) < 0);
	CHECK(fl_size_parse("18446744073709551616", &v) < 0);
	CHECK(fl_size_parse("17179869184G", &v) < 0);

	unsetenv("FL_MAX_BYTES");
	CHECK(fl_max_bytes_default(&v, &err) == 0 &&
	    v == FL_MAX_BYTES_DEFAULT);
	setenv("FL_MAX_BYTES", "1K", 1);
	CHECK(fl_max_bytes_default(&v, &err) == 0 && v == 1024);
	/* A 1000-value model (4000 bytes of data) is over 1 KiB. */
	mem_archive(&b, FL_KIND_MODEL, 1000, NULL);
	CHECK(read_all(&b, &err) == FL_EFORMAT);
	CHECK(strstr(err.msg, "mem: tensors.safetensors: ") != NULL);
	CHECK(strstr(err.msg, " bytes declared, over the limit of 1024 "
	    "(FL_MAX_BYTES or --max-bytes)") != NULL);
	setenv("FL_MAX_BYTES", "lots", 1);
	CHECK((f = fmemopen(b.p, b.n, "rb")) != NULL);
	CHECK(fl_reader_open(&r, f, "mem", &err) == FL_EUSAGE);
	CHECK(r == NULL);
	CHECK(strcmp(err.msg, "FL_MAX_BYTES: 'lots' is not a size (bytes, "
	    "or a number and K, M, G or T)") == 0);
	fclose(f);
	unsetenv("FL_MAX_BYTES");
	CHECK(read_all(&b, &err) == 0);

	/* An update may hold twice its model's tensors and 1 MiB more. */
	CHECK((f = fmemopen(b.p, b.n, "rb")) != NULL);
	CHECK_OK(fl_reader_open(&r, f, "mem", &err), &err);
	CHECK(fl_reader_max(r) == FL_MAX_BYTES_DEFAULT);
	CHECK(fl_reader_next(r, &model, &err) == 1);
	fl_reader_free(r);
	fclose(f);
	CHECK_OK(fl_update_max_bytes(model, &cap, &err), &err);
	CHECK(cap > 2 * 4000 + MiB && cap < 2 * 4000 + MiB + 1024);
	mem_archive(&big, FL_KIND_UPDATE, 1000, NULL);
	CHECK(read_all_max(&big, cap, &err) == 0);
	mem_archive(&big, FL_KIND_UPDATE, (size_t)(cap / 4), NULL);
	CHECK(read_all_max(&big, cap, &err) == FL_EFORMAT);
	CHECK(strstr(err.msg, "over the limit of") != NULL);
	CHECK(strstr(err.msg, "(test)") != NULL);
	CHECK(read_all_max(&big, 0, &err) == 0);
	fl_archive_free(model);
	free(b.p);
	free(big.p);
}

/* n arrays nested in one another. */
static json_t *
nest(size_t n)
{
	json_t *x = json_array(), *y;

	while (--n > 0) {
		y = json_array();
		json_array_append_new(y, x);
		x = y;
	}
	return x;
}

/* Copy the string t to *p and advance *p past it (the caller sized the
 * buffer). */
static void
append(char **p, const char *t)
{
	size_t k = strlen(t);

	memcpy(*p, t, k);
	*p += k;
}

/* JSON text: "{"x":" pre, body, post "}". */
static char *
text(const char *pre, size_t npre, const char *body, size_t nbody,
    const char *post, size_t npost, size_t *len)
{
	size_t n = 5 + npre * strlen(pre) + nbody * (strlen(body) + 1) +
	    npost * strlen(post) + 1, i;
	char *s = malloc(n + 1), *p = s;

	if (s == NULL)
		abort();
	append(&p, "{\"x\":");
	for (i = 0; i < npre; i++)
		append(&p, pre);
	for (i = 0; i < nbody; i++) {
		append(&p, i > 0 ? "," : "");
		append(&p, body);
	}
	for (i = 0; i < npost; i++)
		append(&p, post);
	append(&p, "}");
	*p = '\0';
	*len = (size_t)(p - s);
	return s;
}

/* Manifests that would amplify when printed indented: refused before
 * Jansson builds them, and never written. */
static void
test_manifest_limits(void)
{
	struct fl_err err = FL_ERR_INIT;
	struct fl_archive *a;
	struct buf b = { NULL, 0, 0 };
	json_t *m = NULL;
	size_t len, rss = peak_rss();
	char *s, *p = NULL;
	FILE *f;

	/* Depth: the manifest and 31 arrays, not 32; nor 2000. */
	s = text("[", 31, "0", 1, "]", 31, &len);
	CHECK_OK(fl_manifest_parse(s, len, "m.json", &m, &err), &err);
	json_decref(m);
	free(s);
	s = text("[", 32, "0", 1, "]", 32, &len);
	CHECK(fl_manifest_parse(s, len, "m.json", &m, &err) == FL_EFORMAT);
	CHECK(m == NULL);
	CHECK(strcmp(err.msg, "m.json: nested deeper than 32 levels") == 0);
	free(s);
	s = text("[", 2000, "0", 1, "]", 2000, &len);
	CHECK(fl_manifest_parse(s, len, "m.json", &m, &err) == FL_EFORMAT);
	CHECK(strstr(err.msg, "nested deeper") != NULL);
	free(s);
	/* Brackets inside strings are not nesting. */
	s = text("[", 1, "\"[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[\"", 1, "]",
	    1, &len);
	CHECK_OK(fl_manifest_parse(s, len, "m.json", &m, &err), &err);
	json_decref(m);
	free(s);
	/* Items: 2^20 in all, counting the manifest, its key and array;
	 * one more is refused before Jansson builds any of them. */
	s = text("[", 1, "0", FL_MAX_JSON_ITEMS - 2, "]", 1, &len);
	CHECK(fl_manifest_parse(s, len, "m.json", &m, &err) == FL_EFORMAT);
	CHECK(strcmp(err.msg, "m.json: over 1048576 keys and values") == 0);
	free(s);
	s = text("{", 1, "\"k\":true", 600000, "}", 1, &len);
	CHECK(fl_manifest_parse(s, len, "m.json", &m, &err) == FL_EFORMAT);
	CHECK(strstr(err.msg, "keys and values") != NULL);
	free(s);
	/* Strings: 64 KiB as written, escapes included. */
	s = text("\"", 1, "a", 1, "\"", 1, &len);
	free(s);
	{
		size_t n = FL_MAX_JSON_STRING;
		char *t = malloc(n + 16);

		memset(t, 'a', n);
		t[0] = '\\';
		t[1] = 'n';
		t[n] = '\0';
		s = text("\"", 1, t, 1, "\"", 1, &len);
		CHECK_OK(fl_manifest_parse(s, len, "m.json", &m, &err), &err);
		json_decref(m);
		free(s);
		t[n] = 'a';
		t[n + 1] = '\0';
		s = text("\"", 1, t, 1, "\"", 1, &len);
		CHECK(fl_manifest_parse(s, len, "m.json", &m, &err) ==
		    FL_EFORMAT);
		CHECK(strcmp(err.msg, "m.json: a string over 65536 bytes") ==
		    0);
		free(s);
		free(t);
	}
	/* Printed size: 300000 zeros 30 deep, 600 KB compact, are over
	 * 16 MiB indented. */
	s = text("[", 30, "0", 300000, "]", 30, &len);
	CHECK(len < MiB);
	CHECK(fl_manifest_parse(s, len, "m.json", &m, &err) == FL_EFORMAT);
	CHECK(strcmp(err.msg, "m.json: over 16777216 bytes when printed "
	    "indented") == 0);
	free(s);
	/* Not an object; bad JSON keeps Jansson's line and column. */
	CHECK(fl_manifest_parse("[]", 2, "m.json", &m, &err) == FL_EFORMAT);
	CHECK(strcmp(err.msg, "m.json: not an object") == 0);
	CHECK(fl_manifest_parse("{\n\"a\":}", 8, "m.json", &m, &err) ==
	    FL_EFORMAT);
	CHECK(strncmp(err.msg, "m.json:2:", 9) == 0);
	CHECK(peak_rss() - rss < RSS_BUDGET);
	/* The most items there may be: accepted (and, with 2^20 nodes,
	 * the most memory a manifest's tree may take). */
	s = text("[", 1, "0", FL_MAX_JSON_ITEMS - 3, "]", 1, &len);
	CHECK_OK(fl_manifest_parse(s, len, "m.json", &m, &err), &err);
	json_decref(m);
	free(s);

	/* In memory: checked before the writer builds any text. */
	m = json_object();
	json_object_set_new(m, "x", nest(40));
	CHECK(fl_manifest_check(m, "m", &err) == FL_EFORMAT);
	CHECK(strcmp(err.msg, "m: nested deeper than 32 levels") == 0);
	json_decref(m);
	a = fl_archive_new(FL_KIND_MODEL);
	json_object_set_new(fl_archive_manifest(a), "x", nest(40));
	CHECK((f = open_memstream(&p, &len)) != NULL);
	CHECK(fl_archive_write(a, f, "out.fla", FL_COMPRESS_NONE, &err) ==
	    FL_EFORMAT);
	CHECK(strcmp(err.msg, "out.fla: manifest.json: nested deeper than "
	    "32 levels") == 0);
	fclose(f);
	CHECK(len == 0);
	free(p);
	fl_archive_free(a);
	/* What fl writes within the limits reads back: 31 arrays deep. */
	mem_archive(&b, FL_KIND_MODEL, 1, nest(31));
	CHECK(read_all(&b, &err) == 0);
	free(b.p);
}

int
main(void)
{
	unit_run("manifest_limits", test_manifest_limits);
	unit_run("max_bytes", test_max_bytes);
	unit_run("lying_tensors", test_lying_tensors);
	unit_run("huge_shapes", test_huge_shapes);
	unit_run("bombs", test_bombs);
	return unit_done("test_limits");
}
