/*
 * test_limits.c: hostile input against the hard limits of lib/archive.c
 * and lib/safetensors.c: sizes that lie, decompression bombs, huge
 * shapes.  Each must be refused quickly, with one clear line, and without
 * allocating more than the input really holds (peak RSS is checked with
 * getrusage).  The limits are documented in man/fl-archive.5.
 */
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

/* Read every archive in b; return the first failure (or 0 / 1). */
static int
read_all(const struct buf *b, struct fl_err *err)
{
	struct fl_reader *r = NULL;
	struct fl_archive *a = NULL;
	FILE *f = fmemopen(b->p, b->n, "rb");
	int rc;

	if (f == NULL)
		abort();
	if ((rc = fl_reader_open(&r, f, "mem", err)) == 0)
		while ((rc = fl_reader_next(r, &a, err)) == 1)
			;
	fl_archive_free(a);
	fl_reader_free(r);
	fclose(f);
	return rc;
}

/* A tensors member claiming 10 GiB (with a header consistent with that)
 * in a file of about 2 KiB: refused as truncated, memory stays small. */
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
	CHECK(read_all(&b, &err) == FL_EFORMAT);
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
		CHECK(read_all(&b, &err) == FL_EFORMAT);
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

int
main(void)
{
	test_lying_tensors();
	test_huge_shapes();
	test_bombs();
	return unit_done("test_limits");
}
