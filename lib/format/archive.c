/*
 * archive.c: the fl/1 archive: a manifest and tensors in memory, written
 * as a deterministic pax tar stream (manifest.json, tensors.safetensors)
 * and read back, one or several concatenated, with every size checked and
 * the id verified.  The format is specified in man/fl-archive.5; the
 * tensor encoding lives in safetensors.c.
 */
#include <errno.h>
#include <pthread.h>
#include <sys/stat.h>
#include <stdlib.h>
#include <string.h>

#include <archive.h>
#include <archive_entry.h>
#include <openssl/evp.h>

#include "archive_int.h"

#define MEMBER_MANIFEST	"manifest.json"
#define MEMBER_TENSORS	"tensors.safetensors"
#define SIG_PREFIX	"sig/"
#define MAX_SIG		FL_MAX_MEMBER		/* bytes per sig/ member */
#define MAX_SIGS	FL_MAX_MEMBERS		/* sig/ members per archive */
#define MAX_SIG_NAME	100			/* fits a ustar name */
#define WRITE_CHUNK	((size_t)1 << 20)
/*
 * Bytes of the (decompressed) tar stream the reader consumes outside the
 * members' declared sizes, per archive: tar and pax headers, padding and
 * end-of-archive blocks.  Past it a stream is refused, so that a run of
 * zero blocks (what a decompression bomb expands to) cannot spin a tool.
 */
#define MAX_SLACK	((int64_t)1 << 20)
/* Compressed input is handed to libarchive in small pieces, so that the
 * slack is checked every few MiB of output even at zstd's best ratio. */
#define COMPRESSED_CHUNK	((size_t)1 << 10)
/* Plain input in large ones: the tensors' bytes come in blocks of up to
 * this, each hashed on a second core while it is summed (stream_data). */
#define READ_BUF		((size_t)1 << 20)
/* Blocks this large or more are worth handing to the hashing thread. */
#define HASH_ASIDE		((size_t)1 << 16)

static const char *const kind_names[] = { "model", "update", "stats",
    "metrics", "state", "valuation", "coalitions", "partial", "recovery" };

const char *
fl_kind_name(enum fl_kind kind)
{
	if ((unsigned)kind < sizeof(kind_names) / sizeof(kind_names[0]))
		return kind_names[kind];
	return "unknown";
}

int
fl_kind_parse(const char *s)
{
	size_t i;

	for (i = 0; i < sizeof(kind_names) / sizeof(kind_names[0]); i++)
		if (s != NULL && strcmp(s, kind_names[i]) == 0)
			return (int)i;
	return -1;
}

const char *
fl_dtype_name(enum fl_dtype t)
{
	switch (t) {
	case FL_DTYPE_F32:
		return "F32";
	case FL_DTYPE_F64:
		return "F64";
	case FL_DTYPE_I64:
		return "I64";
	case FL_DTYPE_U32:
		return "U32";
	}
	return "unknown";
}

size_t
fl_dtype_size(enum fl_dtype t)
{
	return t == FL_DTYPE_F32 || t == FL_DTYPE_U32 ? 4 : 8;
}

int
fl_compress_parse(const char *s)
{
	if (s == NULL)
		return -1;
	if (strcmp(s, "none") == 0)
		return FL_COMPRESS_NONE;
	if (strcmp(s, "gzip") == 0)
		return FL_COMPRESS_GZIP;
	if (strcmp(s, "zstd") == 0)
		return FL_COMPRESS_ZSTD;
	return -1;
}

/* ------------------------------------------------------------------------ */
/* The archive in memory.                                                   */

/* Set the manifest's format and kind. */
static int
manifest_stamp(struct fl_archive *a)
{
	if (json_object_set_new(a->manifest, "format",
	    json_string(FL_FORMAT)) < 0 ||
	    json_object_set_new(a->manifest, "kind",
	    json_string(fl_kind_name(a->kind))) < 0)
		return -1;
	return 0;
}

struct fl_archive *
fl_archive_new(enum fl_kind kind)
{
	struct fl_archive *a;

	if ((a = calloc(1, sizeof(*a))) == NULL)
		return NULL;
	a->kind = kind;
	if ((a->manifest = json_object()) == NULL || manifest_stamp(a) < 0) {
		fl_archive_free(a);
		return NULL;
	}
	return a;
}

void
fl_archive_clear_tensors(struct fl_archive *a)
{
	size_t i;

	for (i = 0; i < a->nt; i++)
		free(a->t[i].name);
	a->nt = 0;
	a->len = 0;
	a->streamed = 0;
}

/* Drop all extra members. */
static void
clear_members(struct fl_archive *a)
{
	size_t i;

	for (i = 0; i < a->nmem; i++) {
		free(a->mem[i].name);
		free(a->mem[i].data);
	}
	a->nmem = 0;
}

void
fl_archive_free(struct fl_archive *a)
{
	if (a == NULL)
		return;
	fl_archive_clear_tensors(a);
	clear_members(a);
	free(a->t);
	free(a->data);
	json_decref(a->manifest);
	free(a);
}

json_t *
fl_archive_manifest(struct fl_archive *a)
{
	return a->manifest;
}

enum fl_kind
fl_archive_kind(const struct fl_archive *a)
{
	return a->kind;
}

const char *
fl_archive_id(const struct fl_archive *a)
{
	return a->id[0] == '\0' ? NULL : a->id;
}

/* Grow the data buffer geometrically to hold need bytes. */
int
fl_archive_reserve(struct fl_archive *a, size_t need, struct fl_err *err)
{
	unsigned char *nd;
	size_t ncap;

	if (need <= a->cap)
		return 0;
	ncap = a->cap < 4096 ? 4096 : a->cap;
	while (ncap < need)
		ncap = ncap > (size_t)-1 / 2 ? need : ncap * 2;
	if ((nd = realloc(a->data, ncap)) == NULL)
		return fl_err_set(err, FL_ENOMEM, "out of memory");
	fl_mem_huge(nd + a->cap, ncap - a->cap);
	a->data = nd;
	a->cap = ncap;
	return 0;
}

void *
fl_archive_take_data(struct fl_archive *a)
{
	void *p = a->data;

	fl_archive_clear_tensors(a);
	a->data = NULL;
	a->cap = 0;
	return p;
}

int
fl_archive_adopt(struct fl_archive *a, void *data, size_t cap,
    struct fl_err *err)
{
	if (a->nt != 0 || a->len != 0) {
		free(data);
		return fl_err_set(err, FL_EUSAGE, "adopt: the archive holds "
		    "tensors");
	}
	free(a->data);
	a->data = data;
	a->cap = cap;
	return 0;
}

static void *add_entry(struct fl_archive *, const char *, enum fl_dtype,
    size_t, const size_t *, int, struct fl_err *);

void *
fl_archive_add_tensor_uninit(struct fl_archive *a, const char *name,
    enum fl_dtype dtype, size_t ndim, const size_t *shape,
    struct fl_err *err)
{
	return add_entry(a, name, dtype, ndim, shape, 1, err);
}

void *
fl_archive_add_tensor_at(struct fl_archive *a, const char *name,
    enum fl_dtype dtype, size_t ndim, const size_t *shape,
    struct fl_err *err)
{
	return add_entry(a, name, dtype, ndim, shape, 0, err);
}

/* Append a table entry for the next bytes of a's buffer, zeroed when
 * zero is set, else left as they are. */
static void *
add_entry(struct fl_archive *a, const char *name, enum fl_dtype dtype,
    size_t ndim, const size_t *shape, int zero, struct fl_err *err)
{
	struct fl_tent *te;
	size_t i, count = 1, nbytes;

	if (name == NULL || name[0] == '\0') {
		fl_err_set(err, FL_EUSAGE, "empty tensor name");
		return NULL;
	}
	if ((unsigned)dtype > FL_DTYPE_U32) {
		fl_err_set(err, FL_EUSAGE, "%s: bad dtype", name);
		return NULL;
	}
	if (ndim > FL_MAX_DIMS) {
		fl_err_set(err, FL_EUSAGE, "%s: %zu dimensions (at most %d)",
		    name, ndim, FL_MAX_DIMS);
		return NULL;
	}
	for (i = 0; i < a->nt; i++)
		if (strcmp(a->t[i].name, name) == 0) {
			fl_err_set(err, FL_EUSAGE, "%s: duplicate tensor name",
			    name);
			return NULL;
		}
	if (a->nt >= FL_MAX_TENSORS) {
		fl_err_set(err, FL_EUSAGE, "more than %d tensors",
		    FL_MAX_TENSORS);
		return NULL;
	}
	for (i = 0; i < ndim; i++)
		if (fl_size_mul(count, shape[i], &count) < 0)
			goto toobig;
	if (fl_size_mul(count, fl_dtype_size(dtype), &nbytes) < 0 ||
	    nbytes > FL_MAX_DATA - a->len)
		goto toobig;
	if (a->nt == a->tcap) {
		size_t ncap = a->tcap == 0 ? 16 : a->tcap * 2;

		if ((te = realloc(a->t, ncap * sizeof(*te))) == NULL)
			goto nomem;
		a->t = te;
		a->tcap = ncap;
	}
	if (fl_archive_reserve(a, a->len + nbytes, err) < 0)
		return NULL;
	te = &a->t[a->nt];
	memset(te, 0, sizeof(*te));
	if ((te->name = strdup(name)) == NULL)
		goto nomem;
	te->dtype = dtype;
	te->ndim = ndim;
	for (i = 0; i < ndim; i++)
		te->shape[i] = shape[i];
	te->off = a->len;
	te->nbytes = nbytes;
	a->nt++;
	a->len += nbytes;
	if (zero)
		memset(a->data + te->off, 0, nbytes);
	return a->data + te->off;
toobig:
	fl_err_set(err, FL_EUSAGE, "%s: tensor too large", name);
	return NULL;
nomem:
	fl_err_set(err, FL_ENOMEM, "out of memory");
	return NULL;
}

int
fl_archive_add_tensor(struct fl_archive *a, const char *name,
    enum fl_dtype dtype, size_t ndim, const size_t *shape, const void *data,
    struct fl_err *err)
{
	struct fl_err e2 = FL_ERR_INIT;
	void *p;

	if ((p = fl_archive_add_tensor_uninit(a, name, dtype, ndim, shape,
	    &e2)) == NULL) {
		if (err != NULL)
			*err = e2;
		return e2.code;
	}
	if (a->t[a->nt - 1].nbytes > 0)
		memcpy(p, data, a->t[a->nt - 1].nbytes);
	return 0;
}

size_t
fl_archive_ntensors(const struct fl_archive *a)
{
	return a->nt;
}

void
fl_archive_tensor(const struct fl_archive *a, size_t i, struct fl_tensor *t)
{
	const struct fl_tent *te = &a->t[i];
	size_t k;

	t->name = te->name;
	t->dtype = te->dtype;
	t->ndim = te->ndim;
	for (k = 0; k < FL_MAX_DIMS; k++)
		t->shape[k] = k < te->ndim ? te->shape[k] : 0;
	t->nbytes = te->nbytes;
	t->data = a->streamed ? NULL : a->data + te->off;
}

int
fl_archive_streamed(const struct fl_archive *a)
{
	return a->streamed;
}

int
fl_archive_find(const struct fl_archive *a, const char *name,
    struct fl_tensor *t)
{
	size_t i;

	for (i = 0; i < a->nt; i++)
		if (strcmp(a->t[i].name, name) == 0) {
			fl_archive_tensor(a, i, t);
			return 0;
		}
	return -1;
}

const void *
fl_archive_data(const struct fl_archive *a, size_t *nbytes)
{
	if (nbytes != NULL)
		*nbytes = a->len;
	return a->data;
}

/* ------------------------------------------------------------------------ */
/* Extra members: signatures, outside the id.                               */

/* A safe member name: "sig/" then 1 to 96 of [A-Za-z0-9._-], not
 * starting with a dot, so that it can never name a path elsewhere. */
static int
member_name_ok(const char *p)
{
	size_t i, n;

	if (p == NULL || strncmp(p, SIG_PREFIX, 4) != 0)
		return 0;
	p += 4;
	n = strlen(p);
	if (n == 0 || n > MAX_SIG_NAME - 4 || p[0] == '.')
		return 0;
	for (i = 0; i < n; i++)
		if (!((p[i] >= 'A' && p[i] <= 'Z') ||
		    (p[i] >= 'a' && p[i] <= 'z') ||
		    (p[i] >= '0' && p[i] <= '9') ||
		    p[i] == '.' || p[i] == '_' || p[i] == '-'))
			return 0;
	return 1;
}

int
fl_archive_set_member(struct fl_archive *a, const char *name,
    const void *data, size_t len, struct fl_err *err)
{
	unsigned char *d;
	char *nm = NULL;
	size_t i;
	int c = 1;

	if (!member_name_ok(name))
		return fl_err_set(err, FL_EUSAGE, "'%s': bad member name (want "
		    "sig/ and 1 to 96 of A-Z a-z 0-9 . _ -)",
		    name != NULL ? name : "");
	if (len > MAX_SIG)
		return fl_err_set(err, FL_EUSAGE, "%s: over %zu bytes", name,
		    MAX_SIG);
	for (i = 0; i < a->nmem; i++)
		if ((c = strcmp(a->mem[i].name, name)) >= 0)
			break;
	if (c != 0 && a->nmem == MAX_SIGS)
		return fl_err_set(err, FL_EUSAGE, "%s: more than %d members",
		    name, MAX_SIGS);
	if ((d = malloc(len > 0 ? len : 1)) == NULL ||
	    (c != 0 && (nm = strdup(name)) == NULL)) {
		free(d);
		return fl_err_set(err, FL_ENOMEM, "out of memory");
	}
	if (len > 0)
		memcpy(d, data, len);
	if (c == 0) {
		free(a->mem[i].data);
	} else {
		memmove(&a->mem[i + 1], &a->mem[i], (a->nmem - i) *
		    sizeof(a->mem[0]));
		a->mem[i].name = nm;
		a->nmem++;
	}
	a->mem[i].data = d;
	a->mem[i].len = len;
	return 0;
}

size_t
fl_archive_nmembers(const struct fl_archive *a)
{
	return a->nmem;
}

void
fl_archive_member(const struct fl_archive *a, size_t i, const char **name,
    const void **data, size_t *len)
{
	*name = a->mem[i].name;
	*data = a->mem[i].data;
	*len = a->mem[i].len;
}

/* ------------------------------------------------------------------------ */
/* The id: sha256( u64le(len C) || C || S ).                                */

static void
hex_id(const unsigned char *md, char *out)
{
	static const char hex[] = "0123456789abcdef";
	int i;

	memcpy(out, "sha256:", 7);
	for (i = 0; i < 32; i++) {
		out[7 + 2 * i] = hex[md[i] >> 4];
		out[8 + 2 * i] = hex[md[i] & 15];
	}
	out[7 + 64] = '\0';
}

/* Start a digest over the canonical manifest c. */
static EVP_MD_CTX *
id_begin(const char *c)
{
	EVP_MD_CTX *md;
	uint64_t n = strlen(c);

	if ((md = EVP_MD_CTX_new()) == NULL)
		return NULL;
	if (EVP_DigestInit_ex(md, EVP_sha256(), NULL) != 1 ||
	    EVP_DigestUpdate(md, &n, 8) != 1 ||
	    EVP_DigestUpdate(md, c, (size_t)n) != 1) {
		EVP_MD_CTX_free(md);
		return NULL;
	}
	return md;
}

static int
id_end(EVP_MD_CTX *md, char *out)
{
	unsigned char d[EVP_MAX_MD_SIZE];
	unsigned int dl;

	if (EVP_DigestFinal_ex(md, d, &dl) != 1 || dl != 32)
		return -1;
	hex_id(d, out);
	return 0;
}

/* ------------------------------------------------------------------------ */
/* Writing.                                                                 */

struct wctx {
	FILE	*f;
	int	 e;		/* errno of the first failure */
};

static la_ssize_t
w_write(struct archive *ar, void *ctx, const void *buf, size_t n)
{
	struct wctx *w = ctx;

	if (fwrite(buf, 1, n, w->f) != n) {
		w->e = errno != 0 ? errno : EIO;
		archive_set_error(ar, w->e, "%s", strerror(w->e));
		return -1;
	}
	return (la_ssize_t)n;
}

/* SOURCE_DATE_EPOCH, when set, must be a non-negative decimal integer. */
static int
source_date(time_t *t, struct fl_err *err)
{
	const char *s = getenv("SOURCE_DATE_EPOCH");
	unsigned long long v = 0;
	const char *p;

	*t = 0;
	if (s == NULL)
		return 0;
	for (p = s; *p != '\0'; p++) {
		if (*p < '0' || *p > '9' || v > 0xffffffffffULL)
			break;
		v = v * 10 + (unsigned)(*p - '0');
	}
	if (*s == '\0' || *p != '\0')
		return fl_err_set(err, FL_EUSAGE, "SOURCE_DATE_EPOCH: '%s' is "
		    "not a non-negative integer", s);
	*t = (time_t)v;
	return 0;
}

static int
write_member(struct archive *aw, struct archive_entry *e, const char *path,
    la_int64_t size, time_t mtime)
{
	archive_entry_clear(e);
	archive_entry_set_pathname(e, path);
	archive_entry_set_filetype(e, AE_IFREG);
	archive_entry_set_perm(e, 0644);
	archive_entry_set_size(e, size);
	archive_entry_set_mtime(e, mtime, 0);
	archive_entry_set_uid(e, 0);
	archive_entry_set_gid(e, 0);
	return archive_write_header(aw, e) == ARCHIVE_OK ? 0 : -1;
}

static int
write_bytes(struct archive *aw, const void *p, size_t n)
{
	const unsigned char *b = p;
	size_t k;
	la_ssize_t w;

	while (n > 0) {
		k = n < WRITE_CHUNK ? n : WRITE_CHUNK;
		if ((w = archive_write_data(aw, b, k)) <= 0)
			return -1;
		b += w;
		n -= (size_t)w;
	}
	return 0;
}

/*
 * Stamp the manifest, compute the id over the canonical manifest and the
 * safetensors bytes, and set the manifest's "id"; *hdr (malloc'd) gets the
 * safetensors header, which the writer needs too.
 */
static int
compute_id(struct fl_archive *a, char **hdr, size_t *hlen,
    struct fl_err *err)
{
	EVP_MD_CTX *md = NULL;
	char *canon = NULL;
	uint64_t n;
	int rc;

	*hdr = NULL;
	if (manifest_stamp(a) < 0)
		return fl_err_set(err, FL_ENOMEM, "out of memory");
	if ((rc = fl_st_header(a, hdr, hlen, err)) < 0)
		return rc;
	if ((canon = fl_manifest_canonical(a->manifest)) == NULL ||
	    (md = id_begin(canon)) == NULL) {
		rc = fl_err_set(err, FL_ENOMEM, "out of memory");
		goto out;
	}
	n = *hlen;
	if (EVP_DigestUpdate(md, &n, 8) != 1 ||
	    EVP_DigestUpdate(md, *hdr, *hlen) != 1 ||
	    (a->len > 0 && EVP_DigestUpdate(md, a->data, a->len) != 1) ||
	    id_end(md, a->id) < 0) {
		rc = fl_err_set(err, FL_ENOMEM, "sha256 failed");
		goto out;
	}
	if (json_object_set_new(a->manifest, "id", json_string(a->id)) < 0)
		rc = fl_err_set(err, FL_ENOMEM, "out of memory");
out:
	EVP_MD_CTX_free(md);
	free(canon);
	if (rc < 0) {
		free(*hdr);
		*hdr = NULL;
	}
	return rc;
}

/* Fix the id of an archive built in memory, without writing it. */
int
fl_archive_update_id(struct fl_archive *a, struct fl_err *err)
{
	char *hdr;
	size_t hlen;
	int rc;

	rc = compute_id(a, &hdr, &hlen, err);
	free(hdr);
	return rc;
}

int
fl_archive_write(struct fl_archive *a, FILE *f, const char *name,
    enum fl_compress comp, struct fl_err *err)
{
	struct archive *aw = NULL;
	struct archive_entry *e = NULL;
	struct wctx w = { f, 0 };
	char *hdr = NULL, *pretty = NULL;
	size_t hlen, plen, i;
	uint64_t n;
	time_t mtime;
	int rc = 0;

	if ((rc = source_date(&mtime, err)) < 0 ||
	    (rc = compute_id(a, &hdr, &hlen, err)) < 0)
		goto out;
	n = hlen;		/* the safetensors header length, u64 LE */
	/* Never write what a reader would refuse, and check that before
	 * building the text. */
	if ((rc = fl_manifest_check(a->manifest, MEMBER_MANIFEST, err)) < 0) {
		fl_err_prefix(err, "%s", name);
		goto out;
	}
	if ((pretty = json_dumps(a->manifest, JSON_INDENT(2) |
	    JSON_SORT_KEYS)) == NULL)
		goto nomem;
	plen = strlen(pretty);
	if ((aw = archive_write_new()) == NULL ||
	    (e = archive_entry_new()) == NULL)
		goto nomem;
	if (archive_write_set_format_pax_restricted(aw) != ARCHIVE_OK ||
	    archive_write_set_bytes_in_last_block(aw, 1) != ARCHIVE_OK)
		goto laerr;
	if (comp == FL_COMPRESS_GZIP) {
		/* No timestamp and no file name in the gzip header. */
		if (archive_write_add_filter_gzip(aw) != ARCHIVE_OK ||
		    archive_write_set_filter_option(aw, "gzip", "timestamp",
		    NULL) != ARCHIVE_OK)
			goto laerr;
	} else if (comp == FL_COMPRESS_ZSTD) {
		if (archive_write_add_filter_zstd(aw) != ARCHIVE_OK)
			goto laerr;
	} else if (comp != FL_COMPRESS_NONE) {
		rc = fl_err_set(err, FL_EUSAGE, "bad compression");
		goto out;
	}
	if (archive_write_open(aw, &w, NULL, w_write, NULL) != ARCHIVE_OK)
		goto laerr;
	if (write_member(aw, e, MEMBER_MANIFEST, (la_int64_t)plen + 1,
	    mtime) < 0 || write_bytes(aw, pretty, plen) < 0 ||
	    write_bytes(aw, "\n", 1) < 0)
		goto laerr;
	if (write_member(aw, e, MEMBER_TENSORS, (la_int64_t)(8 + hlen +
	    a->len), mtime) < 0 || write_bytes(aw, &n, 8) < 0 ||
	    write_bytes(aw, hdr, hlen) < 0 ||
	    write_bytes(aw, a->data, a->len) < 0)
		goto laerr;
	/* Signatures last, in name order; the id does not cover them. */
	for (i = 0; i < a->nmem; i++)
		if (write_member(aw, e, a->mem[i].name,
		    (la_int64_t)a->mem[i].len, mtime) < 0 ||
		    write_bytes(aw, a->mem[i].data, a->mem[i].len) < 0)
			goto laerr;
	if (archive_write_close(aw) != ARCHIVE_OK)
		goto laerr;
	/* libarchive ignores a close callback's result: flush here. */
	if (fflush(f) != 0 || ferror(f)) {
		rc = fl_err_set(err, FL_EIO, "%s: %s", name,
		    strerror(errno != 0 ? errno : EIO));
		goto out;
	}
	goto out;
laerr:
	if (w.e != 0)
		rc = fl_err_set(err, FL_EIO, "%s: %s", name, strerror(w.e));
	else
		rc = fl_err_set(err, FL_EIO, "%s: %s", name,
		    archive_error_string(aw) != NULL ?
		    archive_error_string(aw) : "write failed");
	goto out;
nomem:
	rc = fl_err_set(err, FL_ENOMEM, "out of memory");
out:
	if (aw != NULL)
		archive_write_free(aw);
	archive_entry_free(e);
	free(hdr);
	free(pretty);
	return rc;
}

/* ------------------------------------------------------------------------ */
/* Reading.                                                                 */

struct fl_reader {
	struct archive	*ar;
	FILE		*f;
	FILE		*owned;		/* decrypted sealed input, or NULL */
	unsigned char	 pre[8];	/* bytes peeked at, served first */
	size_t		 npre;
	char		*name;
	int		 io_errno;	/* set by the read callback */
	int		 pending;	/* a manifest.json header is read */
	struct archive_entry *pentry;	/* ... and this is it */
	int		 eof;
	int		 failed;	/* an error left the stream unusable */
	size_t		 count;		/* archives read */
	int		 compressed;	/* a gzip or zstd filter is in use */
	int		 plain;		/* known to be not compressed */
	int		 over_slack;	/* the read callback refused: slack */
	int64_t		 limit;		/* consume no more of the stream */
	uint64_t	 max;		/* tensors member bytes, per archive */
	const char	*max_why;	/* named in the error */
	unsigned char	*mbuf;		/* manifest.json bytes */
	size_t		 mcap;
	unsigned char	*hbuf;		/* safetensors header */
	size_t		 hcap;
	unsigned char	*sbuf;		/* a sig/ member */
	size_t		 scap;
	struct fl_sink	 sink;		/* fl_reader_set_sink; begin NULL: none */
	const unsigned char *bp;	/* blk_next: the rest of a block */
	size_t		 bn;
	int64_t		 boff;		/* its offset in the member */
	int64_t		 moff;		/* bytes of the member given out */
	int		 mend;		/* the member's data is all read */
	int64_t		 fleft;		/* a regular file's bytes from where
					 * the stream began, else -1 */
	unsigned char	*buf;		/* READ_BUF bytes */
	struct hasher	*hs;		/* stream_data's thread, or NULL */
};

static la_ssize_t
r_read(struct archive *ar, void *ctx, const void **buf)
{
	struct fl_reader *r = ctx;
	size_t n = 0;

	/* Filter 0 is the tar stream as the format reader consumes it. */
	if (r->limit > 0 && archive_filter_bytes(ar, 0) > r->limit) {
		r->over_slack = 1;
		archive_set_error(ar, EFBIG, "over the slack limit");
		return -1;
	}
	if (r->npre > 0) {
		memcpy(r->buf, r->pre, r->npre);
		n = r->npre;
		r->npre = 0;
	}
	/* Until the filter is known (archive_read_open), the old 64 KiB:
	 * a larger first piece of a bomb would expand past the slack check
	 * at once. */
	n += fread(r->buf + n, 1, (r->compressed ? COMPRESSED_CHUNK :
	    r->plain ? READ_BUF : (size_t)65536) - n, r->f);
	if (n == 0 && ferror(r->f)) {
		r->io_errno = errno != 0 ? errno : EIO;
		archive_set_error(ar, r->io_errno, "%s",
		    strerror(r->io_errno));
		return -1;
	}
	*buf = r->buf;
	return (la_ssize_t)n;
}

/* Turn libarchive's last error into ours. */
static int
la_error(struct fl_reader *r, struct fl_err *err)
{
	const char *s = archive_error_string(r->ar);

	if (r->over_slack)
		return fl_err_set(err, FL_EFORMAT, "%s: over %lld bytes of "
		    "headers or padding between members (a decompression "
		    "bomb?)", r->name, (long long)MAX_SLACK);
	if (r->io_errno != 0)
		return fl_err_set(err, FL_EIO, "%s: %s", r->name,
		    strerror(r->io_errno));
	if (s == NULL)
		return fl_err_set(err, FL_EFORMAT, "%s: not an fl archive",
		    r->name);
	if (strstr(s, "runcated") != NULL || strstr(s, "premature") != NULL)
		return fl_err_set(err, FL_EFORMAT, "%s: truncated archive",
		    r->name);
	if (strstr(s, "Unrecognized archive format") != NULL)
		return fl_err_set(err, FL_EFORMAT, "%s: not an fl archive",
		    r->name);
	return fl_err_set(err, FL_EFORMAT, "%s: %s", r->name, s);
}

/*
 * Look at the first bytes of r->f (after the npre already in r->pre):
 * sealed input is for the trust layer to open (lib/trust/sealed.c), and
 * here only named; other input is read as it is, the peeked bytes first.
 */
static int
peek_sealed(struct fl_reader *r, struct fl_err *err)
{
	const size_t mlen = sizeof(FL_SEAL_MAGIC) - 1;

	if (r->npre < mlen)
		r->npre += fread(r->pre + r->npre, 1, mlen - r->npre, r->f);
	if (r->npre < mlen && ferror(r->f))
		return fl_err_set(err, FL_EIO, "%s: %s", r->name,
		    strerror(errno != 0 ? errno : EIO));
	if (r->npre == mlen && memcmp(r->pre, FL_SEAL_MAGIC, mlen) == 0)
		return fl_err_set(err, FL_EFORMAT, "%s: sealed; give --key",
		    r->name);
	return 0;
}

int
fl_reader_open(struct fl_reader **rp, FILE *f, const char *name,
    struct fl_err *err)
{
	return fl_reader_open_with(rp, f, name, NULL, 0, 0, err);
}

int
fl_reader_open_with(struct fl_reader **rp, FILE *f, const char *name,
    const void *pre, size_t npre, int own, struct fl_err *err)
{
	struct fl_reader *r;
	struct stat st;
	off_t pos;
	int rc = 0;

	*rp = NULL;
	if ((r = calloc(1, sizeof(*r))) == NULL ||
	    (r->buf = malloc(READ_BUF)) == NULL ||
	    (r->name = strdup(name != NULL ? name : "<stdin>")) == NULL ||
	    (r->ar = archive_read_new()) == NULL) {
		fl_reader_free(r);
		if (own)
			fclose(f);
		return fl_err_set(err, FL_ENOMEM, "out of memory");
	}
	r->f = f;
	if (own)
		r->owned = f;
	r->fleft = -1;
	if (fstat(fileno(f), &st) == 0 && S_ISREG(st.st_mode) &&
	    (pos = ftello(f)) >= 0 && st.st_size >= pos)
		r->fleft = (int64_t)(st.st_size - pos) + (int64_t)npre;
	if (npre > sizeof(r->pre))
		npre = sizeof(r->pre);
	if (npre > 0)
		memcpy(r->pre, pre, npre);
	r->npre = npre;
	if ((rc = peek_sealed(r, err)) < 0) {
		fl_reader_free(r);
		return rc;
	}
	if (archive_read_support_format_tar(r->ar) != ARCHIVE_OK ||
	    archive_read_support_filter_none(r->ar) != ARCHIVE_OK ||
	    archive_read_support_filter_gzip(r->ar) < ARCHIVE_WARN ||
	    archive_read_support_filter_zstd(r->ar) < ARCHIVE_WARN ||
	    archive_read_set_options(r->ar,
	    "tar:read_concatenated_archives") != ARCHIVE_OK) {
		rc = fl_err_set(err, FL_ENOMEM, "%s: %s", r->name,
		    archive_error_string(r->ar));
		fl_reader_free(r);
		return rc;
	}
	if ((rc = fl_max_bytes_default(&r->max, err)) < 0) {
		fl_reader_free(r);
		return rc;
	}
	r->max_why = "FL_MAX_BYTES or --max-bytes";
	r->limit = MAX_SLACK;
	if (archive_read_open(r->ar, r, NULL, r_read, NULL) != ARCHIVE_OK) {
		rc = la_error(r, err);
		fl_reader_free(r);
		return rc;
	}
	r->compressed = archive_filter_count(r->ar) > 1;
	r->plain = !r->compressed;
	*rp = r;
	return 0;
}

int
fl_size_parse(const char *s, uint64_t *bytes)
{
	uint64_t v = 0, mul = 1;
	const char *p;

	if (s == NULL || *s < '0' || *s > '9')
		return -1;
	for (p = s; *p >= '0' && *p <= '9'; p++) {
		if (v > (UINT64_MAX - 9) / 10)
			return -1;
		v = v * 10 + (uint64_t)(*p - '0');
	}
	switch (*p) {
	case '\0':
		break;
	case 'K': case 'k':
		mul = (uint64_t)1 << 10;
		break;
	case 'M': case 'm':
		mul = (uint64_t)1 << 20;
		break;
	case 'G': case 'g':
		mul = (uint64_t)1 << 30;
		break;
	case 'T': case 't':
		mul = (uint64_t)1 << 40;
		break;
	default:
		return -1;
	}
	if (*p != '\0' && p[1] != '\0')
		return -1;
	if (v == 0 || v > UINT64_MAX / mul)
		return -1;
	*bytes = v * mul;
	return 0;
}

int
fl_max_bytes_default(uint64_t *bytes, struct fl_err *err)
{
	const char *s = getenv("FL_MAX_BYTES");

	*bytes = FL_MAX_BYTES_DEFAULT;
	if (s != NULL && fl_size_parse(s, bytes) < 0)
		return fl_err_set(err, FL_EUSAGE, "FL_MAX_BYTES: '%s' is not "
		    "a size (bytes, or a number and K, M, G or T)", s);
	return 0;
}

void
fl_reader_set_sink(struct fl_reader *r, const struct fl_sink *s)
{
	if (s != NULL)
		r->sink = *s;
	else
		memset(&r->sink, 0, sizeof(r->sink));
}

void
fl_reader_set_max(struct fl_reader *r, uint64_t bytes, const char *why)
{
	r->max = bytes;
	r->max_why = why;
}

uint64_t
fl_reader_max(const struct fl_reader *r)
{
	return r->max;
}

int
fl_update_max_bytes(const struct fl_archive *model, uint64_t *bytes,
    struct fl_err *err)
{
	char *hdr;
	size_t hlen;
	int rc;

	if ((rc = fl_st_header(model, &hdr, &hlen, err)) < 0)
		return rc;
	free(hdr);
	*bytes = 2 * ((uint64_t)8 + hlen + model->len) + ((uint64_t)1 << 20);
	return 0;
}

/*
 * A second thread that hashes a streamed member's blocks while the main
 * thread hands them to the sink: the block stays valid (libarchive's
 * buffer) until the main thread reads on, which it does only once both
 * are done with it.  Without the thread (it could not start), blocks are
 * hashed in turn.
 */
struct hasher {
	pthread_t	 th;
	pthread_mutex_t	 mu;
	pthread_cond_t	 cv;
	EVP_MD_CTX	*md;		/* the job: hash p[0..n) into md */
	const unsigned char *p;
	size_t		 n;
	int		 busy, quit, failed;
};

static void *
hasher_main(void *arg)
{
	struct hasher *h = arg;
	const unsigned char *p;
	EVP_MD_CTX *md;
	size_t n;
	int bad;

	pthread_mutex_lock(&h->mu);
	for (;;) {
		while (!h->busy && !h->quit)
			pthread_cond_wait(&h->cv, &h->mu);
		if (h->quit)
			break;
		md = h->md;
		p = h->p;
		n = h->n;
		pthread_mutex_unlock(&h->mu);
		bad = EVP_DigestUpdate(md, p, n) != 1;
		pthread_mutex_lock(&h->mu);
		h->failed |= bad;
		h->busy = 0;
		pthread_cond_broadcast(&h->cv);
	}
	pthread_mutex_unlock(&h->mu);
	return NULL;
}

static struct hasher *
hasher_start(void)
{
	struct hasher *h;

	if ((h = calloc(1, sizeof(*h))) == NULL)
		return NULL;
	if (pthread_mutex_init(&h->mu, NULL) != 0) {
		free(h);
		return NULL;
	}
	if (pthread_cond_init(&h->cv, NULL) != 0) {
		pthread_mutex_destroy(&h->mu);
		free(h);
		return NULL;
	}
	if (pthread_create(&h->th, NULL, hasher_main, h) != 0) {
		pthread_cond_destroy(&h->cv);
		pthread_mutex_destroy(&h->mu);
		free(h);
		return NULL;
	}
	return h;
}

static void
hasher_post(struct hasher *h, EVP_MD_CTX *md, const unsigned char *p,
    size_t n)
{
	pthread_mutex_lock(&h->mu);
	h->md = md;
	h->p = p;
	h->n = n;
	h->busy = 1;
	pthread_cond_broadcast(&h->cv);
	pthread_mutex_unlock(&h->mu);
}

/* Wait for the block posted; 0, or -1 when hashing it failed. */
static int
hasher_wait(struct hasher *h)
{
	int bad;

	pthread_mutex_lock(&h->mu);
	while (h->busy)
		pthread_cond_wait(&h->cv, &h->mu);
	bad = h->failed;
	h->failed = 0;
	pthread_mutex_unlock(&h->mu);
	return bad ? -1 : 0;
}

static void
hasher_stop(struct hasher *h)
{
	if (h == NULL)
		return;
	pthread_mutex_lock(&h->mu);
	h->quit = 1;
	pthread_cond_broadcast(&h->cv);
	pthread_mutex_unlock(&h->mu);
	pthread_join(h->th, NULL);
	pthread_cond_destroy(&h->cv);
	pthread_mutex_destroy(&h->mu);
	free(h);
}

void
fl_reader_free(struct fl_reader *r)
{
	if (r == NULL)
		return;
	if (r->ar != NULL)
		archive_read_free(r->ar);
	if (r->owned != NULL)
		fclose(r->owned);
	hasher_stop(r->hs);
	free(r->buf);
	free(r->name);
	free(r->mbuf);
	free(r->hbuf);
	free(r->sbuf);
	free(r);
}

/*
 * Grow *buf (capacity *cap, full) for a member of want bytes read under
 * limit: double it from 64 KiB, never past want nor limit + 1 bytes (one
 * more than allowed, so that going over shows).  huge: ask for huge
 * pages for the new part (a model-sized tensors member).
 */
static int
grow_buf(unsigned char **buf, size_t *cap, size_t want, size_t limit,
    int huge, struct fl_err *err)
{
	unsigned char *nb;
	size_t ncap;

	ncap = *cap < 65536 ? 65536 : *cap > (size_t)-1 / 2 ? (size_t)-1 :
	    *cap * 2;
	if (ncap > want)
		ncap = want;
	if (ncap > limit + 1)
		ncap = limit + 1;
	if ((nb = realloc(*buf, ncap)) == NULL)
		return fl_err_set(err, FL_ENOMEM, "out of memory");
	if (huge)
		fl_mem_huge(nb + *cap, ncap - *cap);
	*buf = nb;
	*cap = ncap;
	return 0;
}

/*
 * Read up to want bytes (SIZE_MAX: to the end of the member) of the
 * current member into *buf, growing it as bytes really arrive, never past
 * limit + 1 bytes.  md, when not NULL, hashes what is read.
 */
static int
read_into(struct fl_reader *r, unsigned char **buf, size_t *cap,
    size_t *lenp, size_t want, size_t limit, EVP_MD_CTX *md,
    const char *member, struct fl_err *err)
{
	size_t len = 0, room;
	la_ssize_t n;

	for (;;) {
		if (len > limit)
			return fl_err_set(err, FL_EFORMAT, "%s: %s: over the "
			    "limit of %zu bytes", r->name, member, limit);
		if (len == want)
			break;
		if (len == *cap && grow_buf(buf, cap, want, limit, 0, err) < 0)
			return err->code;
		room = (*cap < want ? *cap : want) - len;
		n = archive_read_data(r->ar, *buf + len, room);
		if (n < 0)
			return la_error(r, err);
		if (n == 0)
			break;
		if (md != NULL && EVP_DigestUpdate(md, *buf + len,
		    (size_t)n) != 1)
			return fl_err_set(err, FL_ENOMEM, "sha256 failed");
		len += (size_t)n;
	}
	if (want != (size_t)-1 && len < want)
		return fl_err_set(err, FL_EFORMAT, "%s: %s: truncated",
		    r->name, member);
	*lenp = len;
	return 0;
}

/* Allow MAX_SLACK more bytes of the stream from here (and never less
 * than already allowed), before reading a member header. */
static void
slack_reset(struct fl_reader *r)
{
	int64_t lim = archive_filter_bytes(r->ar, 0) + MAX_SLACK;

	if (lim > r->limit)
		r->limit = lim;
}

/* Check a member header: a regular file of at most limit bytes.  The
 * stream may then run on for its size (padded to a block) and the slack. */
static int
check_entry(struct fl_reader *r, struct archive_entry *e, size_t limit,
    struct fl_err *err)
{
	const char *p = archive_entry_pathname(e);

	if (archive_entry_filetype(e) != AE_IFREG)
		return fl_err_set(err, FL_EFORMAT, "%s: %s: not a regular "
		    "file", r->name, p);
	if (!archive_entry_size_is_set(e) || archive_entry_size(e) < 0 ||
	    (uint64_t)archive_entry_size(e) > limit)
		return fl_err_set(err, FL_EFORMAT, "%s: %s: size over the "
		    "limit of %zu bytes", r->name, p, limit);
	r->limit = archive_filter_bytes(r->ar, 0) +
	    (archive_entry_size(e) + 511) / 512 * 512 + MAX_SLACK;
	return 0;
}

/* Check the tensors member's declared size against the reader's cap,
 * before any of it is read. */
static int
check_max(struct fl_reader *r, struct archive_entry *e, struct fl_err *err)
{
	uint64_t size = (uint64_t)archive_entry_size(e);

	if (r->max == 0 || size <= r->max)
		return 0;
	return fl_err_set(err, FL_EFORMAT, "%s: %s: %llu bytes declared, over "
	    "the limit of %llu%s%s%s", r->name, MEMBER_TENSORS,
	    (unsigned long long)size, (unsigned long long)r->max,
	    r->max_why != NULL ? " (" : "", r->max_why != NULL ?
	    r->max_why : "", r->max_why != NULL ? ")" : "");
}

/* Read and check manifest.json (the current member) into a. */
static int
read_manifest(struct fl_reader *r, struct fl_archive *a, struct fl_err *err)
{
	char what[FL_ERR_MAX];
	json_t *m, *v;
	const char *fmt, *kind;
	size_t len;
	int rc, k;

	if ((rc = read_into(r, &r->mbuf, &r->mcap, &len, (size_t)-1,
	    FL_MAX_MANIFEST, NULL, MEMBER_MANIFEST, err)) < 0)
		return rc;
	/* A long name is cut short; testing the result says so to GCC. */
	if (snprintf(what, sizeof(what), "%s: %s", r->name,
	    MEMBER_MANIFEST) < 0)
		what[0] = '\0';
	if ((rc = fl_manifest_parse((const char *)r->mbuf, len, what, &m,
	    err)) < 0)
		return rc;
	if ((rc = fl_json_get_str(m, "format", &fmt, err)) < 0)
		goto prefix;
	if (strcmp(fmt, FL_FORMAT) != 0) {
		rc = fl_err_set(err, FL_EFORMAT, "%s: unsupported format "
		    "'%s'", r->name, fmt);
		goto bad;
	}
	if ((rc = fl_json_get_str(m, "kind", &kind, err)) < 0)
		goto prefix;
	if ((k = fl_kind_parse(kind)) < 0) {
		rc = fl_err_set(err, FL_EFORMAT, "%s: unknown kind '%s'",
		    r->name, kind);
		goto bad;
	}
	v = json_object_get(m, "id");
	if (!json_is_string(v) || strlen(json_string_value(v)) >=
	    sizeof(a->id)) {
		rc = fl_err_set(err, FL_EFORMAT, "%s: manifest.json: %s",
		    r->name, v == NULL ? "missing key 'id'" :
		    "key 'id' is not an id string");
		goto bad;
	}
	json_decref(a->manifest);
	a->manifest = m;
	a->kind = (enum fl_kind)k;
	return 0;
prefix:
	fl_err_prefix(err, "%s: manifest.json", r->name);
bad:
	json_decref(m);
	return rc;
}

/*
 * The tensors member is read block by block from libarchive's buffer
 * (archive_read_data_block), so that the data can go where it is used
 * without a copy.  blk_next gives the member's next bytes, at most max:
 * *p (valid until the next call) and *n, 0 at the member's end.  The
 * holes of a sparse member come as zeros, as archive_read_data gives
 * them.
 */
static int
blk_next(struct fl_reader *r, const unsigned char **p, size_t *n,
    size_t max, struct fl_err *err)
{
	static const unsigned char zeros[4096];
	const void *b;
	size_t len;
	la_int64_t off;
	int rc;

	*n = 0;
	while (r->bn == 0) {
		if (r->mend)
			return 0;
		rc = archive_read_data_block(r->ar, &b, &len, &off);
		if (rc == ARCHIVE_EOF) {
			r->mend = 1;
			return 0;
		}
		if (rc != ARCHIVE_OK)
			return la_error(r, err);
		if (off < r->moff)
			return fl_err_set(err, FL_EFORMAT, "%s: %s: blocks out "
			    "of order", r->name, MEMBER_TENSORS);
		r->bp = b;
		r->bn = len;
		r->boff = off;
	}
	if (r->boff > r->moff) {
		*p = zeros;
		*n = (uint64_t)(r->boff - r->moff) < sizeof(zeros) ?
		    (size_t)(r->boff - r->moff) : sizeof(zeros);
		if (*n > max)
			*n = max;
	} else {
		*p = r->bp;
		*n = r->bn < max ? r->bn : max;
		r->bp += *n;
		r->bn -= *n;
	}
	r->moff += (int64_t)*n;
	return 0;
}

struct hasher;
static struct hasher *hasher_start(void);
static void	hasher_post(struct hasher *, EVP_MD_CTX *,
		    const unsigned char *, size_t);
static int	hasher_wait(struct hasher *);
static void	hasher_stop(struct hasher *);

/* read_into for the tensors member, from blk_next. */
static int
blk_into(struct fl_reader *r, unsigned char **buf, size_t *cap,
    size_t *lenp, size_t want, size_t limit, EVP_MD_CTX *md,
    struct fl_err *err)
{
	const unsigned char *p;
	size_t len = 0, room, n;
	int rc;

	while (len < want) {
		if (len > limit)
			return fl_err_set(err, FL_EFORMAT, "%s: %s: over the "
			    "limit of %zu bytes", r->name, MEMBER_TENSORS,
			    limit);
		if (len == *cap && grow_buf(buf, cap, want, limit, 1, err) < 0)
			return err->code;
		room = (*cap < want ? *cap : want) - len;
		if ((rc = blk_next(r, &p, &n, room, err)) < 0)
			return rc;
		if (n == 0)
			break;
		/* A large block is hashed on the second thread while it is
		 * copied (the base model, an update read whole). */
		if (md != NULL && n >= HASH_ASIDE && r->hs == NULL)
			r->hs = hasher_start();
		if (md != NULL && n >= HASH_ASIDE && r->hs != NULL) {
			hasher_post(r->hs, md, p, n);
			memcpy(*buf + len, p, n);
			if (hasher_wait(r->hs) < 0)
				return fl_err_set(err, FL_ENOMEM,
				    "sha256 failed");
		} else {
			memcpy(*buf + len, p, n);
			if (md != NULL && EVP_DigestUpdate(md, p, n) != 1)
				return fl_err_set(err, FL_ENOMEM,
				    "sha256 failed");
		}
		len += n;
	}
	if (len < want)
		return fl_err_set(err, FL_EFORMAT, "%s: %s: truncated",
		    r->name, MEMBER_TENSORS);
	*lenp = len;
	return 0;
}

/* Hand the n bytes at p, the next of a's data, to r's sink: whole
 * elements of one tensor at a time; an element split between two blocks
 * is put together in carry (nc bytes so far).  *t and *tin: the tensor
 * and the bytes of it given so far. */
static int
give(struct fl_reader *r, const struct fl_archive *a, const unsigned char *p,
    size_t n, size_t *t, size_t *tin, unsigned char *carry, size_t *nc,
    struct fl_err *err)
{
	const struct fl_tent *te;
	size_t es, k, whole;
	int rc;

	while (n > 0) {
		while (*t < a->nt && *tin == a->t[*t].nbytes) {
			(*t)++;
			*tin = 0;
		}
		if (*t == a->nt)	/* fl_st_parse_header rules it out */
			return fl_err_set(err, FL_EFORMAT, "%s: %s: data "
			    "after the last tensor", r->name, MEMBER_TENSORS);
		te = &a->t[*t];
		es = fl_dtype_size(te->dtype);
		if (*nc > 0) {
			k = es - *nc < n ? es - *nc : n;
			memcpy(carry + *nc, p, k);
			*nc += k;
			p += k;
			n -= k;
			if (*nc < es)
				continue;
			if ((rc = r->sink.data(r->sink.ctx, *t, *tin / es,
			    carry, 1, err)) < 0)
				return rc;
			*tin += es;
			*nc = 0;
			continue;
		}
		k = te->nbytes - *tin < n ? te->nbytes - *tin : n;
		whole = k / es * es;
		if (whole > 0 && (rc = r->sink.data(r->sink.ctx, *t,
		    *tin / es, p, whole / es, err)) < 0)
			return rc;
		*tin += whole;
		p += whole;
		n -= whole;
		if (k > whole) {	/* the start of a split element */
			*nc = k - whole;
			memcpy(carry, p, *nc);
			p += *nc;
			n -= *nc;
		}
	}
	return 0;
}

/*
 * Give the want bytes of a's data, as they arrive, to r's sink: whole
 * elements of one tensor at a time (an element split between two
 * blocks is put together in carry), hashing every byte.
 */
static int
stream_data(struct fl_reader *r, struct fl_archive *a, size_t want,
    EVP_MD_CTX *md, struct fl_err *err)
{
	const unsigned char *p;
	unsigned char carry[8];
	size_t got = 0, t = 0, tin = 0, nc = 0, n;
	int rc;

	while (got < want) {
		if ((rc = blk_next(r, &p, &n, want - got, err)) < 0)
			return rc;
		if (n == 0)
			return fl_err_set(err, FL_EFORMAT, "%s: %s: truncated",
			    r->name, MEMBER_TENSORS);
		if (n >= HASH_ASIDE && r->hs == NULL)
			r->hs = hasher_start();
		if (n >= HASH_ASIDE && r->hs != NULL)
			hasher_post(r->hs, md, p, n);
		else if (EVP_DigestUpdate(md, p, n) != 1)
			return fl_err_set(err, FL_ENOMEM, "sha256 failed");
		got += n;
		rc = give(r, a, p, n, &t, &tin, carry, &nc, err);
		if (n >= HASH_ASIDE && r->hs != NULL && hasher_wait(r->hs) < 0)
			return fl_err_set(err, FL_ENOMEM, "sha256 failed");
		if (rc < 0)
			return rc;
	}
	return 0;
}

/* Read tensors.safetensors (the current member) into a, or to r's sink,
 * hashing it. */
static int
read_tensors(struct fl_reader *r, struct fl_archive *a, EVP_MD_CTX *md,
    la_int64_t size, struct fl_err *err)
{
	unsigned char pre[8], *pp = pre;
	char *canon = NULL;
	size_t plen, pcap = 8, hlen, clen, dlen, want;
	uint64_t n;
	int rc;

	r->bn = 0;
	r->moff = 0;
	r->mend = 0;
	if ((rc = blk_into(r, &pp, &pcap, &plen, 8, 8, md, err)) < 0)
		return rc;
	memcpy(&n, pre, 8);
	if (n == 0 || n > FL_MAX_ST_HEADER || n > (uint64_t)size - 8)
		return fl_err_set(err, FL_EFORMAT, "%s: %s: bad header length "
		    "%llu", r->name, MEMBER_TENSORS, (unsigned long long)n);
	if ((rc = blk_into(r, &r->hbuf, &r->hcap, &hlen, (size_t)n,
	    FL_MAX_ST_HEADER, md, err)) < 0)
		return rc;
	/* Check the header against the declared data size before reading
	 * any data, so that a lying header costs no memory; the data must
	 * then really hold that many bytes. */
	want = (size_t)size - 8 - hlen;
	if ((rc = fl_st_parse_header(a, (const char *)r->hbuf, hlen, want,
	    err)) < 0)
		return fl_err_prefix(err, "%s: %s", r->name, MEMBER_TENSORS);
	if (r->sink.begin != NULL &&
	    (rc = r->sink.begin(r->sink.ctx, a, err)) != 0) {
		if (rc < 0 || (rc = stream_data(r, a, want, md, err)) < 0)
			return rc;
		a->len = 0;
		a->streamed = 1;
	} else {
		/* A plain file that holds the data: its buffer at once, not
		 * grown (and copied) as the bytes come. */
		if (!r->compressed && r->fleft >= 0 && want > a->cap &&
		    r->fleft - archive_filter_bytes(r->ar, 0) >=
		    (int64_t)want && (rc = fl_archive_reserve(a, want,
		    err)) < 0)
			return rc;
		if ((rc = blk_into(r, &a->data, &a->cap, &dlen, want,
		    FL_MAX_DATA, md, err)) < 0)
			return rc;
		a->len = dlen;
	}
	/* fl/1 stores the canonical header only, so that the id is a
	 * function of the tensors themselves. */
	if ((rc = fl_st_header(a, &canon, &clen, err)) < 0)
		return rc;
	if (clen != hlen || memcmp(canon, r->hbuf, hlen) != 0)
		rc = fl_err_set(err, FL_EFORMAT, "%s: %s: header is not in "
		    "canonical form", r->name, MEMBER_TENSORS);
	free(canon);
	return rc;
}

/*
 * After an archive's members: keep sig/ members (for fl_archive_verify),
 * and stop at the end of the stream or at the manifest.json that starts
 * the next archive.
 */
static int
read_trailer(struct fl_reader *r, struct fl_archive *a, struct fl_err *err)
{
	struct archive_entry *e;
	const char *p;
	size_t nsig = 0, len, i;
	int rc;

	for (;;) {
		slack_reset(r);
		rc = archive_read_next_header(r->ar, &e);
		if (rc == ARCHIVE_EOF) {
			r->eof = 1;
			return 0;
		}
		if (rc < ARCHIVE_WARN)
			return la_error(r, err);
		p = archive_entry_pathname(e);
		if (p != NULL && strcmp(p, MEMBER_MANIFEST) == 0) {
			r->pending = 1;
			r->pentry = e;
			return 0;
		}
		if (!member_name_ok(p))
			return fl_err_set(err, FL_EFORMAT, "%s: unexpected "
			    "member '%s'", r->name, p != NULL ? p : "");
		if (++nsig > MAX_SIGS)
			return fl_err_set(err, FL_EFORMAT, "%s: more than %d "
			    "sig/ members", r->name, MAX_SIGS);
		for (i = 0; i < a->nmem; i++)
			if (strcmp(a->mem[i].name, p) == 0)
				return fl_err_set(err, FL_EFORMAT, "%s: member "
				    "'%s' given twice", r->name, p);
		if ((rc = check_entry(r, e, MAX_SIG, err)) < 0 ||
		    (rc = read_into(r, &r->sbuf, &r->scap, &len,
		    (size_t)archive_entry_size(e), MAX_SIG, NULL, p,
		    err)) < 0)
			return rc;
		if ((rc = fl_archive_set_member(a, p, r->sbuf, len, err)) < 0)
			return rc;
	}
}

static int
reader_next(struct fl_reader *r, struct fl_archive *a, struct fl_err *err)
{
	struct archive_entry *e;
	EVP_MD_CTX *md = NULL;
	char *canon = NULL, got[sizeof(a->id)];
	const char *p;
	int rc;

	if (!r->pending) {
		slack_reset(r);
		rc = archive_read_next_header(r->ar, &e);
		if (rc == ARCHIVE_EOF) {
			r->eof = 1;
			return 0;
		}
		if (rc < ARCHIVE_WARN)
			return la_error(r, err);
		p = archive_entry_pathname(e);
		if (p == NULL || strcmp(p, MEMBER_MANIFEST) != 0)
			return fl_err_set(err, FL_EFORMAT, "%s: not an fl "
			    "archive (first member '%s')", r->name,
			    p != NULL ? p : "");
	} else
		e = r->pentry;
	r->pending = 0;
	a->id[0] = '\0';
	fl_archive_clear_tensors(a);
	clear_members(a);
	if ((rc = check_entry(r, e, FL_MAX_MANIFEST, err)) < 0 ||
	    (rc = read_manifest(r, a, err)) < 0)
		return rc;
	if ((canon = fl_manifest_canonical(a->manifest)) == NULL ||
	    (md = id_begin(canon)) == NULL) {
		rc = fl_err_set(err, FL_ENOMEM, "out of memory");
		goto out;
	}
	slack_reset(r);
	rc = archive_read_next_header(r->ar, &e);
	if (rc == ARCHIVE_EOF) {
		rc = fl_err_set(err, FL_EFORMAT, "%s: truncated archive (no "
		    "%s)", r->name, MEMBER_TENSORS);
		goto out;
	}
	if (rc < ARCHIVE_WARN) {
		rc = la_error(r, err);
		goto out;
	}
	p = archive_entry_pathname(e);
	if (p == NULL || strcmp(p, MEMBER_TENSORS) != 0) {
		rc = fl_err_set(err, FL_EFORMAT, "%s: unexpected member '%s' "
		    "(want %s)", r->name, p != NULL ? p : "",
		    MEMBER_TENSORS);
		goto out;
	}
	if ((rc = check_entry(r, e, 8 + FL_MAX_ST_HEADER + FL_MAX_DATA,
	    err)) < 0 || (rc = check_max(r, e, err)) < 0 ||
	    (rc = read_tensors(r, a, md,
	    archive_entry_size(e), err)) < 0)
		goto out;
	if (id_end(md, got) < 0) {
		rc = fl_err_set(err, FL_ENOMEM, "sha256 failed");
		goto out;
	}
	if (strcmp(got, json_string_value(json_object_get(a->manifest,
	    "id"))) != 0) {
		rc = fl_err_set(err, FL_EVERIFY, "%s: id does not match "
		    "content (archive altered)", r->name);
		goto out;
	}
	if ((rc = read_trailer(r, a, err)) < 0)
		goto out;
	memcpy(a->id, got, sizeof(got));
	r->count++;
	rc = 1;
out:
	EVP_MD_CTX_free(md);
	free(canon);
	if (rc < 0) {
		fl_archive_clear_tensors(a);
		clear_members(a);
		a->id[0] = '\0';
	}
	return rc;
}

int
fl_reader_next(struct fl_reader *r, struct fl_archive **ap,
    struct fl_err *err)
{
	struct fl_archive *a = *ap;
	int rc;

	if (r->failed)
		return fl_err_set(err, FL_EFORMAT, "%s: cannot read on after "
		    "an error", r->name);
	if (r->eof)
		return 0;
	if (a == NULL && (a = fl_archive_new(FL_KIND_MODEL)) == NULL)
		return fl_err_set(err, FL_ENOMEM, "out of memory");
	rc = reader_next(r, a, err);
	if (rc < 0)
		r->failed = 1;
	if (rc == 1)
		*ap = a;
	else if (*ap == NULL)
		fl_archive_free(a);
	return rc;
}

int
fl_reader_read_one(struct fl_reader *r, struct fl_archive **ap,
    struct fl_err *err)
{
	struct fl_archive *a = NULL;
	int rc;

	*ap = NULL;
	if ((rc = fl_reader_next(r, &a, err)) < 0)
		goto out;
	if (rc == 0) {
		rc = fl_err_set(err, FL_EFORMAT, "%s: no archive", r->name);
		goto out;
	}
	if (r->pending) {
		rc = fl_err_set(err, FL_EFORMAT, "%s: holds more than one "
		    "archive", r->name);
		goto out;
	}
	*ap = a;
	a = NULL;
	rc = 0;
out:
	fl_archive_free(a);
	return rc;
}

int
fl_archive_read_file(const char *path, struct fl_archive **ap,
    struct fl_err *err)
{
	struct fl_reader *r = NULL;
	FILE *f;
	int rc;

	*ap = NULL;
	if ((f = fl_in_open(path, err)) == NULL)
		return FL_EIO;
	if ((rc = fl_reader_open(&r, f, fl_in_name(path), err)) == 0)
		rc = fl_reader_read_one(r, ap, err);
	fl_reader_free(r);
	fl_in_close(f);
	return rc;
}
