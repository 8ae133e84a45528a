/*
 * format/format.h: the format layer of libfl: archives, safetensors,
 * manifests, directories, CSV.
 * Layers include downwards only (README.md, "Source tour"); fl.h
 * includes them all.
 */
#ifndef FL_LIB_FORMAT_H
#define FL_LIB_FORMAT_H

#include "core/core.h"

/* ------------------------------------------------------------------------ */
/* Archives (lib/format/archive.c, safetensors.c, manifest.c, pack.c).        */

enum fl_kind {
	FL_KIND_MODEL,
	FL_KIND_UPDATE,
	FL_KIND_STATS,
	FL_KIND_METRICS,
	FL_KIND_STATE,		/* a site's local state (fl-train --scaffold) */
	FL_KIND_VALUATION,	/* sites' values (fl-value -o) */
	FL_KIND_COALITIONS,	/* coalitions' models (fl-value --coalitions) */
	FL_KIND_PARTIAL,	/* partial sums of updates (fl-aggregate
				 * --partial) */
	FL_KIND_RECOVERY	/* secure aggregation: a dropout's request or
				 * a survivor's shares (fl-pack recover) */
};
const char	*fl_kind_name(enum fl_kind kind);
/* Return the kind named s, or -1. */
int		 fl_kind_parse(const char *s);

enum fl_dtype {
	FL_DTYPE_F32,
	FL_DTYPE_F64,
	FL_DTYPE_I64,
	FL_DTYPE_U32		/* a masked update's integers mod 2^32 */
};
const char	*fl_dtype_name(enum fl_dtype t);	/* "F32" ... */
size_t		 fl_dtype_size(enum fl_dtype t);

#define FL_MAX_DIMS 8

/* A tensor as stored in an archive; data points into the archive and is
 * valid until the archive changes or is freed. */
struct fl_tensor {
	const char	*name;
	enum fl_dtype	 dtype;
	size_t		 ndim;
	size_t		 shape[FL_MAX_DIMS];
	size_t		 nbytes;
	const void	*data;
};

/* Hard limits on untrusted input. */
#define FL_MAX_MANIFEST	(16u << 20)		/* manifest.json bytes */
#define FL_MAX_ST_HEADER	(64u << 20)	/* safetensors header */
#define FL_MAX_TENSORS	65536
#define FL_MAX_DATA	((size_t)16 << 30)	/* tensor bytes */
/*
 * A manifest's JSON, checked before it is parsed and again before any
 * manifest is written (see fl-archive(5)): arrays and objects nested at
 * most FL_MAX_JSON_DEPTH deep (the manifest itself is level 1; fl writes
 * at most 5), at most FL_MAX_JSON_ITEMS keys and values in all, strings
 * and keys of at most FL_MAX_JSON_STRING bytes, and the manifest printed
 * as fl prints it (indented by two spaces, keys sorted, a final newline)
 * at most FL_MAX_MANIFEST bytes, so that no manifest fl reads makes it
 * print or hold more than that, however compact the input.
 */
#define FL_MAX_JSON_DEPTH	32
#define FL_MAX_JSON_ITEMS	(1u << 20)
#define FL_MAX_JSON_STRING	(64u << 10)
/*
 * The most bytes the tensors.safetensors member of one archive may declare
 * (its decompressed size), checked before any of it is read: the
 * environment's FL_MAX_BYTES (a number of bytes, with an optional K, M, G
 * or T suffix for powers of 1024), else FL_MAX_BYTES_DEFAULT.  The format
 * allows up to 8 + FL_MAX_ST_HEADER + FL_MAX_DATA bytes; a larger setting
 * means that.
 */
#define FL_MAX_BYTES_DEFAULT	((uint64_t)512 << 20)

/*
 * An archive in memory: a manifest (a Jansson object) and tensors stored
 * back to back in one buffer in the order they were added, which is also
 * their order in the safetensors data section.
 */
struct fl_archive;

/* A new archive with manifest {"format": FL_FORMAT, "kind": kind}.
 * Returns NULL when out of memory. */
struct fl_archive *fl_archive_new(enum fl_kind kind);
void		 fl_archive_free(struct fl_archive *a);

/* The manifest, borrowed: the caller may add and change fields before
 * fl_archive_write, which sets "format", "kind" and "id" itself. */
json_t		*fl_archive_manifest(struct fl_archive *a);
enum fl_kind	 fl_archive_kind(const struct fl_archive *a);
/* "sha256:<64 hex>" of the canonical content, as read or as last
 * written; NULL for an archive never read or written. */
const char	*fl_archive_id(const struct fl_archive *a);

/* Append a tensor, copying nbytes = product(shape) * dtype size from data.
 * Errors: FL_EUSAGE (duplicate name, bad ndim), FL_ENOMEM. */
int		 fl_archive_add_tensor(struct fl_archive *a, const char *name,
		    enum fl_dtype dtype, size_t ndim, const size_t *shape,
		    const void *data, struct fl_err *err);
/* Append a tensor and return a pointer to its (zeroed) storage, to fill
 * in place; NULL on error. */
void		*fl_archive_add_tensor_uninit(struct fl_archive *a,
		    const char *name, enum fl_dtype dtype, size_t ndim,
		    const size_t *shape, struct fl_err *err);
/* a's buffer, for the caller to free; a is left without tensors. */
void		*fl_archive_take_data(struct fl_archive *a);
/* Make data (malloc'd, cap bytes; a owns it from here, also on failure)
 * a's buffer, for fl_archive_add_tensor_at to describe: a model written
 * where it was computed, without a copy.  a must hold no tensors.
 * Errors: FL_EUSAGE. */
int		 fl_archive_adopt(struct fl_archive *a, void *data, size_t cap,
		    struct fl_err *err);
/* As fl_archive_add_tensor_uninit, but the tensor's bytes are those
 * already in a's buffer at its end (fl_archive_adopt), left as they are. */
void		*fl_archive_add_tensor_at(struct fl_archive *a, const char *name,
		    enum fl_dtype dtype, size_t ndim, const size_t *shape,
		    struct fl_err *err);
size_t		 fl_archive_ntensors(const struct fl_archive *a);
/* Fill t with tensor i (0 <= i < ntensors), in data order. */
void		 fl_archive_tensor(const struct fl_archive *a, size_t i,
		    struct fl_tensor *t);
/* Find a tensor by name: 0 and t filled, or -1. */
int		 fl_archive_find(const struct fl_archive *a, const char *name,
		    struct fl_tensor *t);
/* All tensor bytes, back to back in data order, and their total size. */
const void	*fl_archive_data(const struct fl_archive *a, size_t *nbytes);

enum fl_compress {
	FL_COMPRESS_NONE,
	FL_COMPRESS_GZIP,
	FL_COMPRESS_ZSTD
};
/* Return the compression named s ("none", "gzip", "zstd"), or -1. */
int		 fl_compress_parse(const char *s);

/*
 * Compute the id, set the manifest's "id", and write the archive to f as a
 * pax tar stream: manifest.json, then tensors.safetensors.  Output is
 * byte-identical for identical content (mtime 0, or SOURCE_DATE_EPOCH;
 * owner 0; mode 0644).  name is used in messages.  Errors: FL_EIO.
 */
int		 fl_archive_write(struct fl_archive *a, FILE *f,
		    const char *name, enum fl_compress comp,
		    struct fl_err *err);

/* Write as[0..n-1] one after another, uncompressed, to path (NULL or "-"
 * for stdout) atomically (lib/format/save.c).  Errors: FL_EIO, FL_ENOMEM. */
int		 fl_archive_save(struct fl_archive *const *as, size_t n,
		    const char *path, struct fl_err *err);

/* Compute the id of an archive built in memory and set the manifest's
 * "id", as fl_archive_write would, without writing anything (so that it
 * can be signed first).  Errors: FL_ENOMEM, FL_EFORMAT. */
int		 fl_archive_update_id(struct fl_archive *a, struct fl_err *err);

/*
 * Read archives one after another from a stream of one or more
 * concatenated archives, plain, gzip or zstd (auto-detected).  Each archive
 * read is checked: its members, its sizes against the limits above and the
 * bytes really present, its manifest (format, kind), and its id against
 * its content (FL_EVERIFY on mismatch).
 */
struct fl_reader;
/* f is borrowed and must stay open; name is used in messages. */
int		 fl_reader_open(struct fl_reader **r, FILE *f, const char *name,
		    struct fl_err *err);
/*
 * Read the next archive into *a.  If *a is not NULL it is reused (its
 * buffers are recycled, which keeps memory flat when streaming); otherwise
 * a new archive is allocated.  Returns 1 when an archive was read, 0 at a
 * clean end of stream (*a untouched), or a negative FL_E* code.
 */
int		 fl_reader_next(struct fl_reader *r, struct fl_archive **a,
		    struct fl_err *err);
void		 fl_reader_free(struct fl_reader *r);
/*
 * Cap the bytes the tensors.safetensors member of each archive read next
 * from r may declare, for instance to what an update of a known model can
 * hold (fl_update_max_bytes); why (a static string, or NULL) is named in
 * the error, "NAME: tensors.safetensors: N bytes declared, over the limit
 * of MAX (why)".  A reader starts with fl_max_bytes_default's value; a cap
 * of 0, or one over the format's limit, means the format's limit.  The cap
 * is per archive: buffers are reused, so a stream of archives holds no
 * more than its largest.
 */
void		 fl_reader_set_max(struct fl_reader *r, uint64_t bytes,
		    const char *why);
uint64_t	 fl_reader_max(const struct fl_reader *r);
/*
 * Streaming: a sink takes the tensor data of the archives r reads next
 * as it arrives, instead of a's buffer (fl-aggregate adds updates into
 * its sum while reading, so that no whole update is ever held).  For
 * each archive, once its manifest and tensor table are read (and
 * checked against the member's declared size; no data yet), begin
 * decides: 1 to stream this archive's data to data, 0 to read it into
 * a's buffer as usual, negative an error that stops reading.  data then
 * gets every byte of the tensors in data order, as n whole elements of
 * tensor number t (in a's table) from element number at; p may be
 * unaligned (read it with memcpy) and is valid only during the call.  A
 * negative return stops reading.  The archive is hashed as it streams
 * and its id checked at the end as always, so fl_reader_next still
 * refuses one that was altered; data has then seen its bytes, and the
 * caller must treat what data gathered as unverified until
 * fl_reader_next returns 1.  A streamed archive has its manifest, tensor
 * table and members, but no tensor data: fl_archive_streamed is 1 and
 * fl_archive_tensor gives data NULL.  s (copied) NULL: no sink.
 */
struct fl_sink {
	int	(*begin)(void *ctx, const struct fl_archive *a,
		    struct fl_err *err);
	int	(*data)(void *ctx, size_t t, size_t at, const void *p,
		    size_t n, struct fl_err *err);
	void	*ctx;
};
void		 fl_reader_set_sink(struct fl_reader *r,
		    const struct fl_sink *s);
int		 fl_archive_streamed(const struct fl_archive *a);
/* The default cap: FL_MAX_BYTES from the environment, else
 * FL_MAX_BYTES_DEFAULT.  Errors: FL_EUSAGE ("FL_MAX_BYTES: 'x' is not a
 * size"). */
int		 fl_max_bytes_default(uint64_t *bytes, struct fl_err *err);
/* Parse a size: decimal digits and an optional suffix K, M, G or T (any
 * case; powers of 1024).  Returns 0, or -1 for anything else, 0 or an
 * overflow. */
int		 fl_size_parse(const char *s, uint64_t *bytes);
/*
 * The most tensor bytes an update of model may declare: twice the
 * model's tensors member (the parameters' change, and one state vector of
 * the same size such as SCAFFOLD's state/scaffold_dc), plus 1 MiB for
 * the safetensors header; an aggregator passes it to fl_reader_set_max
 * once the base model is read.  Errors: FL_ENOMEM.
 */
int		 fl_update_max_bytes(const struct fl_archive *model,
		    uint64_t *bytes, struct fl_err *err);

/* Read exactly one archive from path ("-" or NULL for stdin).  A file
 * holding no archive or more than one is FL_EFORMAT. */
int		 fl_archive_read_file(const char *path, struct fl_archive **a,
		    struct fl_err *err);
/*
 * fl_reader_open over f whose first npre bytes (at most 8) the caller has
 * already read into pre (they are read first); when own is set the
 * reader closes f when freed, also when opening fails.  Sealed input
 * (FL_SEAL_MAGIC) is FL_EFORMAT "NAME: sealed; give --key": the trust
 * layer opens it (fl_reader_open_key).
 */
int		 fl_reader_open_with(struct fl_reader **r, FILE *f,
		    const char *name, const void *pre, size_t npre, int own,
		    struct fl_err *err);
/* The one archive left in r into *a: none, or one followed by another,
 * is FL_EFORMAT ("NAME: no archive", "NAME: holds more than one
 * archive"). */
int		 fl_reader_read_one(struct fl_reader *r, struct fl_archive **a,
		    struct fl_err *err);

/*
 * An archive as a directory (lib/format/pack.c): DIR/manifest.json and
 * DIR/tensors.safetensors, the only two names used, so that no archive
 * can choose where a file lands.  fl_archive_write_dir creates dir if
 * absent (its parent must exist) and writes each file atomically, the
 * manifest pretty-printed with sorted keys.  Errors: FL_EIO, FL_ENOMEM.
 * fl_archive_read_dir builds a new archive from them, dropping the
 * manifest's "id" (fl_archive_write computes it afresh); the messages
 * name the file.  Errors: FL_EIO, FL_EFORMAT (bad JSON, a "format" other
 * than FL_FORMAT, an unknown "kind", bad safetensors), FL_ENOMEM.
 */
int		 fl_archive_write_dir(const struct fl_archive *a,
		    const char *dir, struct fl_err *err);
int		 fl_archive_read_dir(const char *dir, struct fl_archive **a,
		    struct fl_err *err);

/*
 * Text views of archives, written to out (named outname in messages),
 * which is flushed and checked before they return (lib/format/pack.c).
 * fl_archive_list writes a's tensor table as TSV: the header
 * "name\tdtype\tshape", then one line per tensor in data order, the
 * shape's dimensions joined by commas (empty for a scalar).  Errors:
 * FL_EIO ("outname: strerror").
 * fl_reader_print_manifests reads every archive left in r (named name)
 * and writes each manifest, pretty-printed with sorted keys and a
 * newline; the first write error ends it.  Errors: FL_EIO, those of
 * fl_reader_next, and FL_EFORMAT ("name: no archive") for a stream that
 * holds none.
 */
int		 fl_archive_list(const struct fl_archive *a, FILE *out,
		    const char *outname, struct fl_err *err);
int		 fl_reader_print_manifests(struct fl_reader *r,
		    const char *name, FILE *out, const char *outname,
		    struct fl_err *err);

/*
 * The safetensors encoding of a's tensors (lib/format/safetensors.c): u64 LE
 * header length, JSON header (keys sorted, padded with spaces to a multiple
 * of 8), data.  fl_safetensors_encode returns a malloc'd buffer;
 * fl_safetensors_decode replaces a's tensors with those in buf (checking
 * offsets, dtypes, shapes and sizes against len).  Errors: FL_ENOMEM,
 * FL_EFORMAT.
 */
int		 fl_safetensors_encode(const struct fl_archive *a,
		    unsigned char **buf, size_t *len, struct fl_err *err);
int		 fl_safetensors_decode(struct fl_archive *a,
		    const unsigned char *buf, size_t len, struct fl_err *err);

/* Dump a manifest canonically (sorted keys, compact, "id" left out) into
 * a malloc'd NUL-terminated string; NULL when out of memory. */
char		*fl_manifest_canonical(const json_t *manifest);

/*
 * Check JSON text against limits before Jansson builds anything from it
 * (lib/format/manifest.c): nesting at most maxdepth deep, at most maxitems keys
 * and values, no string over FL_MAX_JSON_STRING bytes as written.  what
 * names the text in the message.  Malformed text is left to the parser.
 * Errors: FL_EFORMAT.
 */
int		 fl_json_scan(const char *buf, size_t len, size_t maxdepth,
		    size_t maxitems, const char *what, struct fl_err *err);
/*
 * Parse buf[0..len) as a manifest: a JSON object within the limits above
 * (FL_MAX_JSON_*, checked on the bytes before Jansson builds anything,
 * then the printed size).  what names it in messages ("what:LINE:COL:
 * text", "what: nested deeper than 32 levels").  *m gets a new reference.
 * Errors: FL_EFORMAT, FL_ENOMEM.
 */
int		 fl_manifest_parse(const char *buf, size_t len,
		    const char *what, json_t **m, struct fl_err *err);
/* Check a manifest in memory against the same limits, without building
 * its text, before it is written or printed.  Errors: FL_EFORMAT,
 * FL_ENOMEM. */
int		 fl_manifest_check(const json_t *m, const char *what,
		    struct fl_err *err);

/* Manifest helpers, for reading untrusted manifests with one-line errors
 * naming the key: "missing key 'round'", "key 'samples' is not an integer".
 * Return 0 or FL_EFORMAT.  The string is borrowed from the manifest. */
int		 fl_json_get_int(const json_t *obj, const char *key,
		    int64_t *v, struct fl_err *err);
int		 fl_json_get_str(const json_t *obj, const char *key,
		    const char **s, struct fl_err *err);

/* ------------------------------------------------------------------------ */
/* CSV (lib/format/csv.c).                                                    */

/*
 * A streaming reader of a numeric CSV file: one header row of names, then
 * rows of numbers separated by commas (text only in columns made text
 * columns with fl_csv_text).  "NA" and empty cells read as NaN.
 * Quoted fields are accepted around names and numbers.  Lines end in LF or
 * CRLF.  Errors name the file, line and column:
 * "data.csv:17: column 'age': not a number".
 */
struct fl_csv;
/* Open path (NULL or "-" for stdin) and read its header. */
int		 fl_csv_open(struct fl_csv **c, const char *path,
		    struct fl_err *err);
size_t		 fl_csv_ncols(const struct fl_csv *c);
const char	*fl_csv_colname(const struct fl_csv *c, size_t j);
/* Column index of name, or -1. */
long		 fl_csv_find(const struct fl_csv *c, const char *name);
/* Read the next row into row[ncols]; 1 when read, 0 at end of file, or a
 * negative FL_E* code (FL_EFORMAT for a short row or a non-number). */
int		 fl_csv_next(struct fl_csv *c, double *row, struct fl_err *err);
/* The text of column j in the row last read (quotes removed, not
 * NUL-terminated, len bytes), valid until the next fl_csv_next; NULL for an
 * empty or NA cell, and for every column of a CSV with an image column. */
const char	*fl_csv_field(const struct fl_csv *c, size_t j, size_t *len);
/*
 * Let column col (a header name) hold text as well as numbers: a cell
 * there that is not a number reads as NaN in the row, as a missing cell
 * does, and fl_csv_field gives its text (a categorical column's level).
 * Every other column still refuses a non-number.  Call before the first
 * fl_csv_next; not with an image column.  Errors: FL_EFORMAT (no such
 * column, "FILE: missing column 'col'"), FL_EUSAGE, FL_ENOMEM.
 */
int		 fl_csv_text(struct fl_csv *c, const char *col,
		    struct fl_err *err);
/* The line number of the row last read (the header is line 1). */
size_t		 fl_csv_line(const struct fl_csv *c);
const char	*fl_csv_name(const struct fl_csv *c);
void		 fl_csv_free(struct fl_csv *c);

/*
 * Images in a CSV (--image-column).  After fl_csv_image(c, col), column
 * col of every row names a PNG file (relative to the CSV's directory, or
 * absolute; "NA" or empty: all its pixels NaN), and the columns c shows
 * are its others followed by the image's pixels, named px0, px1, ... in
 * channel-first row-major order (C x H x W), the shape of the first row's
 * image, which every other row's must have.  16-bit samples are divided
 * by 257 (fl_png_read).  Errors: FL_EFORMAT (no such column, a column
 * named like a pixel, the first row without an image), and those of
 * fl_png_shape for the first image, its name prefixed by file:line.
 */
int		 fl_csv_image(struct fl_csv *c, const char *col,
		    struct fl_err *err);
/* The image shape (fl_csv_image), or 0 when the CSV has none. */
int		 fl_csv_image_shape(const struct fl_csv *c, size_t *ch,
		    size_t *h, size_t *w);

/*
 * PNG images (lib/format/image.c, libspng): 8- and 16-bit grayscale (c 1)
 * and RGB (c 3).  fl_png_shape reads the header; fl_png_read decodes an
 * image that must be c x h x w into out (c h w), channel first, as values
 * 0..255 (16-bit samples / 257).  Sides over FL_IMAGE_MAX_SIDE and images
 * of more than FL_IMAGE_MAX_VALUES values are refused before any
 * allocation.  Errors name the file: FL_EIO, FL_ENOMEM, FL_EFORMAT (not a
 * PNG, truncated, corrupt, palette or alpha), FL_ESHAPE (another shape).
 */
#define FL_IMAGE_MAX_SIDE	16384
#define FL_IMAGE_MAX_VALUES	((size_t)1 << 20)
int		 fl_png_shape(const char *path, size_t *c, size_t *h,
		    size_t *w, struct fl_err *err);
int		 fl_png_read(const char *path, size_t c, size_t h, size_t w,
		    double *out, struct fl_err *err);
/* "libspng 0.7.3". */
const char	*fl_png_version(void);

/* Set a new manifest's "writer" {tool, version} and, when
 * SOURCE_DATE_EPOCH is set, "created" (UTC, ISO 8601) (lib/format/manifest.c).
 * Errors: FL_ENOMEM, FL_EUSAGE (a malformed SOURCE_DATE_EPOCH). */
int		 fl_manifest_set_writer(json_t *manifest, const char *tool,
		    struct fl_err *err);

/*
 * Extra archive members (lib/format/archive.c): names under "sig/" (at most 64,
 * 1 MiB each), written after tensors.safetensors in name order and kept
 * by the reader.  They are outside the id, so signing leaves it unchanged.
 */
int		 fl_archive_set_member(struct fl_archive *a, const char *name,
		    const void *data, size_t len, struct fl_err *err);
size_t		 fl_archive_nmembers(const struct fl_archive *a);
void		 fl_archive_member(const struct fl_archive *a, size_t i,
		    const char **name, const void **data, size_t *len);

/* The first bytes of a sealed file (lib/trust/seal.c, fl-archive(5)): a
 * reader names such input rather than parse it. */
#define FL_SEAL_MAGIC	"flseal1\n"

#endif /* FL_LIB_FORMAT_H */
