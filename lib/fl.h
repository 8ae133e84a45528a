/*
 * fl.h: the public interface of libfl, the library behind the fl tools.
 * Every tool in cmd/ is a thin front end over these functions.  The library
 * never prints on its own (it writes only to streams it is handed) and never
 * exits; the tools' command-line helpers are in cmd/cli.h.  A function that
 * can fail returns 0 or a negative FL_E* code and fills a caller-provided
 * struct fl_err.  The archive format is specified in
 * man/fl-archive.5.
 */
#ifndef FL_H
#define FL_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include <jansson.h>

#define FL_VERSION "0.1.0"

/* The archive format this library writes, and the only one it reads. */
#define FL_FORMAT "fl/1"

#if defined(__GNUC__)
#define FL_PRINTF(a, b) __attribute__((format(printf, a, b)))
#define FL_NORETURN __attribute__((noreturn))
#else
#define FL_PRINTF(a, b)
#define FL_NORETURN
#endif

/* ------------------------------------------------------------------------ */
/* Exit codes, the same in every tool and every man page.                   */

#define FL_EXIT_OK	0	/* success */
#define FL_EXIT_FAIL	1	/* input rejected or work not done */
#define FL_EXIT_USAGE	2	/* unknown option, missing operand, conflict */
#define FL_EXIT_TRUST	3	/* verification failed: hash, signature, key */

/* ------------------------------------------------------------------------ */
/* Errors (lib/err.c).                                                      */

enum fl_status {
	FL_OK = 0,
	FL_EIO = -1,		/* read, write, open, close, fsync, rename */
	FL_ENOMEM = -2,		/* allocation failed or size over a limit */
	FL_EFORMAT = -3,	/* malformed archive, manifest, CSV */
	FL_ESHAPE = -4,		/* architecture or shape mismatch */
	FL_ENUM = -5,		/* NaN, Inf or out-of-range number */
	FL_EVERIFY = -6,	/* trust: hash or signature mismatch */
	FL_EGPU = -7,		/* GPU asked for but absent, or CUDA error */
	FL_EUSAGE = -8		/* the caller asked for something invalid */
};

#define FL_ERR_MAX 512

/*
 * An error record: the code and one line of text, lower case, no full stop,
 * that names its subject first ("site3.fla: truncated at byte 512").
 */
struct fl_err {
	int	code;
	char	msg[FL_ERR_MAX];
};
#define FL_ERR_INIT { 0, "" }

/* Fill err (which may be NULL) and return code, so that a failure path is
 * one line: return fl_err_set(err, FL_EFORMAT, "%s: ...", path). */
int fl_err_set(struct fl_err *err, int code, const char *fmt, ...)
    FL_PRINTF(3, 4);

/* Prepend "prefix: " to err's message, keeping its code; returns the code.
 * Used to add a file name to an error raised by a lower layer. */
int fl_err_prefix(struct fl_err *err, const char *fmt, ...) FL_PRINTF(2, 3);

/* Store a*b in *out; return 0, or -1 (and leave *out alone) on overflow. */
int fl_size_mul(size_t a, size_t b, size_t *out);

/* ------------------------------------------------------------------------ */
/* Files (lib/io.c).                                                        */

/*
 * An output that appears atomically.  fl_out_open with a path creates a
 * temp file beside it (mkstemp, same directory), registered for removal at
 * exit and on SIGINT/SIGTERM/SIGHUP/SIGPIPE; fl_out_commit flushes, fsyncs,
 * closes, renames it over path and fsyncs the directory.  With NULL or "-"
 * the output is stdout, and fl_out_commit only flushes and checks it.
 * fl_out_commit and fl_out_abort free out whatever happens; abort removes
 * the temp file and accepts NULL.  Errors: FL_EIO.
 */
struct fl_out;
int		 fl_out_open(struct fl_out **out, const char *path,
		    struct fl_err *err);
FILE		*fl_out_stream(struct fl_out *out);
const char	*fl_out_name(const struct fl_out *out);
int		 fl_out_commit(struct fl_out *out, struct fl_err *err);
void		 fl_out_abort(struct fl_out *out);

/* Open path for reading, NULL or "-" meaning stdin.  Errors: FL_EIO. */
FILE		*fl_in_open(const char *path, struct fl_err *err);
/* Close what fl_in_open returned (stdin is left open); NULL is fine. */
void		 fl_in_close(FILE *f);
/* The name to use in messages: "<stdin>" for NULL or "-", else path. */
const char	*fl_in_name(const char *path);

/* Read a whole small file (at most max bytes) into a NUL-terminated
 * buffer the caller frees.  Errors: FL_EIO, FL_ENOMEM (over max). */
int		 fl_file_read(const char *path, size_t max, char **buf,
		    size_t *len, struct fl_err *err);

/* ------------------------------------------------------------------------ */
/* Random numbers (lib/rng.c).                                              */

/*
 * A seeded, reproducible generator (xoshiro256**), seeded through SHA-256
 * of (seed, stream name) so that independent streams ("init", "shuffle")
 * never overlap.  The same seed gives the same numbers on every machine.
 */
struct fl_rng {
	uint64_t s[4];
	double	 spare;		/* cached second normal deviate */
	int	 has_spare;
};
void		fl_rng_seed(struct fl_rng *r, uint64_t seed, const char *stream);
uint64_t	fl_rng_u64(struct fl_rng *r);
double		fl_rng_uniform(struct fl_rng *r);	/* [0, 1) */
double		fl_rng_normal(struct fl_rng *r);	/* N(0, 1) */
size_t		fl_rng_below(struct fl_rng *r, size_t n);	/* [0, n) */
void		fl_rng_shuffle(struct fl_rng *r, size_t *v, size_t n);

/* ------------------------------------------------------------------------ */
/* Archives (lib/archive.c, safetensors.c, manifest.c, pack.c).            */

enum fl_kind {
	FL_KIND_MODEL,
	FL_KIND_UPDATE,
	FL_KIND_STATS,
	FL_KIND_METRICS,
	FL_KIND_STATE		/* a site's local state (fl-train --scaffold) */
};
const char	*fl_kind_name(enum fl_kind kind);
/* Return the kind named s, or -1. */
int		 fl_kind_parse(const char *s);

enum fl_dtype {
	FL_DTYPE_F32,
	FL_DTYPE_F64,
	FL_DTYPE_I64
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
 * for stdout) atomically (lib/save.c).  Errors: FL_EIO, FL_ENOMEM. */
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
 * An archive as a directory (lib/pack.c): DIR/manifest.json and
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
 * which is flushed and checked before they return (lib/pack.c).
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
 * The safetensors encoding of a's tensors (lib/safetensors.c): u64 LE
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
 * (lib/manifest.c): nesting at most maxdepth deep, at most maxitems keys
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
/* CSV (lib/csv.c).                                                         */

/*
 * A streaming reader of a numeric CSV file: one header row of names, then
 * rows of numbers separated by commas.  "NA" and empty cells read as NaN.
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
/* The line number of the row last read (the header is line 1). */
size_t		 fl_csv_line(const struct fl_csv *c);
const char	*fl_csv_name(const struct fl_csv *c);
void		 fl_csv_free(struct fl_csv *c);

/* ------------------------------------------------------------------------ */
/* Per-column sufficient statistics (lib/stats.c).                          */

struct fl_colstats {
	const char	*name;
	double		 count;		/* non-missing values */
	double		 missing;	/* NA or empty cells */
	double		 sum;
	double		 sumsq;
	double		 min;		/* +Inf when count is 0 */
	double		 max;		/* -Inf when count is 0 */
};

struct fl_stats;
/* Statistics of every column of a CSV file.  Errors: those of fl_csv. */
int		 fl_stats_from_csv(struct fl_stats **s, const char *path,
		    struct fl_err *err);
/* A stats archive: manifest "columns" (names in order) and "rows";
 * F64 tensors count, missing, sum, sumsq, min, max of shape [ncols]. */
int		 fl_stats_to_archive(const struct fl_stats *s,
		    struct fl_archive **a, struct fl_err *err);
int		 fl_stats_from_archive(struct fl_stats **s,
		    const struct fl_archive *a, struct fl_err *err);
/* Add src's statistics into dst, matching columns by name; a column only
 * in src is appended.  The result equals the statistics of the pooled
 * rows.  Errors: FL_ENOMEM. */
int		 fl_stats_merge(struct fl_stats *dst, const struct fl_stats *src,
		    struct fl_err *err);
size_t		 fl_stats_ncols(const struct fl_stats *s);
size_t		 fl_stats_rows(const struct fl_stats *s);
void		 fl_stats_col(const struct fl_stats *s, size_t j,
		    struct fl_colstats *out);
/* Index of column name, or -1. */
long		 fl_stats_find(const struct fl_stats *s, const char *name);
/* Mean and sample standard deviation of column j (NaN when undefined). */
double		 fl_stats_mean(const struct fl_stats *s, size_t j);
double		 fl_stats_sd(const struct fl_stats *s, size_t j);
/* Print the statistics as a table on f: the header
 * "column count missing mean sd min max" (tab-separated), then one line per
 * column, numbers as %.10g, an empty cell where a value is undefined.
 * name is used in messages.  Errors: FL_EIO. */
int		 fl_stats_write_tsv(const struct fl_stats *s, FILE *f,
		    const char *name, struct fl_err *err);
void		 fl_stats_free(struct fl_stats *s);

/*
 * The clinical summary (issue 5).  fl_stats_from_csv_opts also computes,
 * when grid is given, a histogram of every column on bins equal bins of
 * [min, max] taken from grid's column of the same name (values outside
 * are clamped to the end bins), and when time is given, a Kaplan-Meier
 * table (time, events, censored per distinct time) of the rows with both
 * time and event (0 or 1).  min_count K > 1 suppresses cells from fewer
 * than K patients; epsilon > 0 adds Laplace noise to the histogram and KM
 * cells (see man/fl-stats.1).  All of it is kept in the archive and
 * merged by fl_stats_merge (FL_ESHAPE for another grid or other survival
 * columns).
 */
struct fl_stats_opts {
	const struct fl_stats	*grid;		/* or NULL: no histograms */
	size_t			 bins;
	const char		*time, *event;	/* or NULL: no KM table */
	size_t			 min_count;	/* 0 or 1: none */
	double			 epsilon;	/* 0: none */
};
int		 fl_stats_from_csv_opts(struct fl_stats **s, const char *path,
		    const struct fl_stats_opts *opt, struct fl_err *err);
/* "Table 1": column n missing mean sd median q1 q3 quantile_error, the
 * quantiles from the histograms (empty without), within quantile_error
 * (one bin width) of the exact ones.  Errors: FL_EIO. */
int		 fl_stats_write_table1(const struct fl_stats *s, FILE *f,
		    const char *name, struct fl_err *err);
/* The Kaplan-Meier curve: time survival at_risk events.  Errors:
 * FL_EUSAGE (no table), FL_EIO. */
int		 fl_stats_write_km(const struct fl_stats *s, FILE *f,
		    const char *name, struct fl_err *err);

/* ------------------------------------------------------------------------ */
/* Models (lib/model.c).                                                    */

enum fl_task {
	FL_TASK_BINARY,		/* one logit, sigmoid, log loss; labels 0/1 */
	FL_TASK_MULTICLASS,	/* K logits, softmax; labels 0..K-1 */
	FL_TASK_REGRESSION,	/* one output, squared error */
	FL_TASK_SURVIVAL	/* one log-risk, Cox partial likelihood */
};
const char	*fl_task_name(enum fl_task t);
int		 fl_task_parse(const char *s);	/* or -1 */

#define FL_MAX_LAYERS 16

/*
 * Every model is a stack of dense layers: input (d) -> hidden layers with
 * ReLU -> output layer (1 or K units) with the task's head.  "logreg",
 * "softmax" and "linear" have no hidden layer; "mlp:64,32" has two.
 * Layer l has tensors "fc<l>.weight" of shape (out, in), row-major, and
 * "fc<l>.bias" of shape (out), laid out in that order in one contiguous
 * float buffer, which is also the archive's tensor data.
 */
struct fl_model;

/* Preprocessing and data description carried by the model, so that every
 * site reads its CSV identically.  Raw value x of feature j becomes
 * (x - mean[j]) / scale[j]; a missing x becomes impute[j] first. */
struct fl_prep {
	size_t		 d;		/* number of features */
	char		**features;	/* d names, in input order */
	char		*label;
	double		*mean;		/* d */
	double		*scale;		/* d, > 0 */
	double		*impute;	/* d, raw units */
	/* Survival only (NULL and 0 otherwise; lib/survmodel.c): label names
	 * the event column (0/1), time the time column; the baseline
	 * hazard is estimated on grid[0..ngrid-1], increasing, > 0. */
	char		*time;
	size_t		 ngrid;
	double		*grid;
};

/*
 * A new model from a spec ("logreg", "softmax", "linear", "mlp:H1[,H2...]")
 * for a task with d features and, for multiclass, nclasses >= 2 classes.
 * The spec fixes the task for logreg (binary), softmax (multiclass) and
 * linear (regression); a conflicting task is FL_EUSAGE.  Features are named
 * features[0..d-1] (features NULL: "x1".."xd"; label NULL: "y");
 * preprocessing starts as the identity (mean 0, scale 1, impute 0).  Parameters are zero.  Errors: FL_EUSAGE, FL_ENOMEM.
 */
int		 fl_model_new(struct fl_model **m, const char *spec,
		    enum fl_task task, size_t nclasses, size_t d,
		    const char *const *features, const char *label,
		    struct fl_err *err);
/* A deep copy.  NULL when out of memory. */
struct fl_model	*fl_model_dup(const struct fl_model *m);
void		 fl_model_free(struct fl_model *m);

/* Initialise weights (He-uniform for ReLU layers, Xavier-uniform for the
 * output layer) and zero biases, from the "init" stream of seed. */
void		 fl_model_init_params(struct fl_model *m, uint64_t seed);

const char	*fl_model_spec(const struct fl_model *m);
enum fl_task	 fl_model_task(const struct fl_model *m);
size_t		 fl_model_nclasses(const struct fl_model *m); /* 0 unless multiclass */
size_t		 fl_model_noutputs(const struct fl_model *m);	/* 1 or K */
size_t		 fl_model_nlayers(const struct fl_model *m);
/* Width of layer boundary l: 0 is the input (d), nlayers the output. */
size_t		 fl_model_width(const struct fl_model *m, size_t l);

/*
 * The layer table.  A model is a stack of layers, each of a type (dense
 * today; a convolution would join), with an input and an output shape
 * and parameter tensors that lie back to back in the flat parameter
 * vector, in layer order.  A parameter tensor has a name (a dense layer l
 * has "fc<l>.weight", shape (out, in), and "fc<l>.bias", shape (out)),
 * a shape of ndim <= 2 dimensions, and its place: off and size floats
 * into the parameter vector.  Archives, binding and aggregation read
 * tensor names, shapes and counts from here.
 */
enum fl_layer_type {
	FL_LAYER_DENSE
};
#define FL_TENSOR_NAME	32	/* longest name + 1 */
struct fl_param_tensor {
	char	 name[FL_TENSOR_NAME];
	size_t	 ndim;
	size_t	 shape[2];
	size_t	 off, size;		/* in floats */
};
struct fl_layer {
	enum fl_layer_type type;
	size_t	 in, out;		/* input and output widths */
	size_t	 first, ntensors;	/* its tensors in the model's list */
};
/* Layer l (0 <= l < nlayers) of m; a pointer into m. */
const struct fl_layer *fl_model_layer(const struct fl_model *m, size_t l);
/* The number of parameter tensors of m, and tensor i (0 <= i < that) in
 * layout order; a pointer into m, valid while m lives. */
size_t		 fl_model_ntensors(const struct fl_model *m);
const struct fl_param_tensor *fl_model_tensor(const struct fl_model *m,
		    size_t i);
size_t		 fl_model_nparams(const struct fl_model *m);
float		*fl_model_params(struct fl_model *m);
const float	*fl_model_params_const(const struct fl_model *m);
struct fl_prep	*fl_model_prep(struct fl_model *m);
const struct fl_prep *fl_model_prep_const(const struct fl_model *m);

/* 1 when a and b have the same spec, task, classes, features and label,
 * so that their parameter vectors line up; else 0. */
int		 fl_model_compatible(const struct fl_model *a,
		    const struct fl_model *b);

/*
 * Write the model into a new archive of the given kind (model or update):
 * manifest keys "model" {"spec","task","classes","layers","params"},
 * "features", "label", "preprocess" {"mean","scale","impute"}, and the
 * F32 tensors.  The caller adds round, parent, site and the rest.
 */
int		 fl_model_to_archive(const struct fl_model *m, enum fl_kind kind,
		    struct fl_archive **a, struct fl_err *err);
/* Set manifest's "model", "features", "label" and "preprocess" keys to
 * describe m (fl_model_to_archive does this).  Two archives whose four
 * keys are equal have parameter vectors that line up.  FL_ENOMEM. */
int		 fl_model_describe(const struct fl_model *m, json_t *manifest,
		    struct fl_err *err);
/* Build a model from a model or update archive, checking the manifest and
 * binding the tensors with fl_archive_params.  Errors: FL_EFORMAT,
 * FL_ESHAPE, FL_ENUM (a parameter not finite), FL_ENOMEM. */
int		 fl_model_from_archive(struct fl_model **m,
		    const struct fl_archive *a, struct fl_err *err);
/*
 * Bind a's parameter tensors to m's layout by name, dtype and shape, in
 * whatever order they lie in a's data: for each layer l, "fc<l>.weight"
 * F32 (width(l+1), width(l)) and "fc<l>.bias" F32 (width(l+1)).  Every
 * other tensor must be a state vector "state/<name>", F32 (nparams).
 * *params gets the nparams parameters in layout order: a pointer into
 * a's data when the tensors lie there in layout order from offset 0, as
 * fl writes them (no copy), else *buf filled by copying.  *buf is the
 * caller's: nparams floats, or NULL to have one malloc'd on first need
 * and left in *buf for the caller to reuse and free.  *params is valid
 * while a and *buf are.  Values are not checked.  Errors: FL_ESHAPE
 * naming the tensor (missing, unknown, another dtype or shape), as
 * "tensor 'fc0.weight' is F32 [3, 5], the model's is F32 [5, 3]", for
 * the caller to prefix with the file name; FL_ENOMEM.
 */
int		 fl_archive_params(const struct fl_archive *a,
		    const struct fl_model *m, float **buf,
		    const float **params, struct fl_err *err);

/* Read the one model archive at path (NULL or "-" for stdin; sealed input
 * is opened with key, which may be NULL) into *a and build its model into
 * *m; the caller frees both.  Errors name the file: those of
 * fl_archive_read_file_key and fl_model_from_archive, and FL_EFORMAT for
 * an archive of another kind. */
struct fl_seckey;
int		 fl_model_read(const char *path, const struct fl_seckey *key,
		    struct fl_archive **a, struct fl_model **m,
		    struct fl_err *err);

/* ------------------------------------------------------------------------ */
/* Datasets (lib/dataset.c).                                                */

/* A CSV read through a model's prep: X (n, d) row-major, standardised and
 * imputed; y (n): 0/1, class index, or target value. */
struct fl_dataset {
	size_t	 n, d;
	float	*X;
	float	*y;
	size_t	 skipped;	/* rows dropped because the label was missing */
	float	*time;		/* survival: (n) times (y: events), else NULL */
};

/*
 * Load path (NULL or "-" for stdin) with m's features, label and prep.
 * Columns are matched by header name; extra columns are ignored.  A
 * missing feature or label column, a non-number, a label outside the
 * task's range (binary 0/1, multiclass 0..K-1 integers, survival event
 * 0/1) or a survival time that is not >= 0 is FL_EFORMAT naming file,
 * line and column.  Rows whose label (or survival time) is missing are
 * skipped (and counted in skipped).  With need_label 0 (prediction) the
 * label and time columns may be absent (NaN) and no row is skipped: a
 * missing label stays NaN in y.
 */
int		 fl_dataset_load(struct fl_dataset **ds, const char *path,
		    const struct fl_model *m, int need_label,
		    struct fl_err *err);
void		 fl_dataset_free(struct fl_dataset *ds);

/* ------------------------------------------------------------------------ */
/* Backends (lib/backend.c, lib/ref.c, lib/blas.c; kernels/ later).         */

enum fl_device {
	FL_DEVICE_CPU,
	FL_DEVICE_REF,		/* the plain-loop reference, for tests */
	FL_DEVICE_CUDA,
	FL_DEVICE_AUTO
};

/*
 * The ops a backend offers (struct fl_backend), and supports() asks for
 * one of them by these names.
 */
enum fl_op {
	FL_OP_GEMM,
	FL_OP_BIAS_ADD,
	FL_OP_RELU,
	FL_OP_RELU_BACKWARD,
	FL_OP_COL_SUMS,
	FL_OP_LOSS_BCE,		/* sigmoid + binary cross-entropy */
	FL_OP_LOSS_CE,		/* softmax + cross-entropy */
	FL_OP_LOSS_MSE,		/* squared error */
	FL_OP_SGD,
	FL_OP_ADAM,
	FL_OP_DOT,
	FL_OP_COUNT
};

/*
 * The seam where dense math can run elsewhere: a table of ops over
 * buffers the backend allocates itself, so that a device backend keeps
 * a whole local training's buffers resident.  "ref" (lib/ref.c) is the
 * oracle every other backend is tested against; "cpu" (lib/blas.c) is
 * OpenBLAS and the fast loops.  Shapes are row-major; every float pointer
 * an op takes is a buffer from alloc (or, where host_memory is 1, any host
 * memory).
 *
 * supports(op) is 1 when the op may be called.  alloc(bytes) returns an
 * opaque buffer, or NULL when out of memory (alloc(0) returns a freeable
 * pointer or NULL); free accepts NULL.  upload copies bytes of host memory
 * src into buffer dst; download copies buffer src into host memory dst.
 * host_memory 1: buffers are host pointers that callers may also read
 * and write directly (the CPU backends).  fl_train still relies on it
 * for gathering rows, the L2, FedProx and SCAFFOLD terms, DP-SGD's
 * clipping and noise, the output bias of the Cox head and the Cox loss;
 * fl_predict and fl_loss_grad pass host memory to the ops.
 *
 * gemm: C = alpha * op(A) op(B) + beta * C, op(X) = X or X^T by
 *   transa/transb; op(A) is (m, k), op(B) is (k, n), C is (m, n).
 * bias_add: Z (rows, cols) += b (cols) on every row.
 * relu: v (n) = max(v, 0) in place.
 * relu_backward: dA (n) = 0 where the ReLU's output A (n) is <= 0.
 * col_sums: b (cols) = the column sums of D (rows, cols), in double.
 * loss: for FL_OP_LOSS_BCE, _CE or _MSE, the summed loss of logits Z
 *   (rows, k) against y (rows: 0/1, a class in 0..k-1, or a value) and
 *   scale * dloss/dZ into dZ (rows, k); returned in double on the host.
 *   BCE (k 1): log(1 + e^z) - y z, dz = sigmoid(z) - y; CE: logsumexp(z)
 *   - z[y], dz = softmax(z) - onehot(y); MSE (k 1): (z - y)^2, dz = 2 (z -
 *   y).
 * sgd: v = momentum v + g; p -= lr v, over n parameters p, velocity v
 *   and gradient g (weight decay is added to g before, as l2 w).
 * adam: m = b1 m + (1 - b1) g; v = b2 v + (1 - b2) g^2; p -= lr (m c1) /
 *   (sqrt(v c2) + eps), c1 and c2 being the bias corrections 1 / (1 -
 *   b^t) the caller computes.
 * dot: sum of a[i] b[i] over n, accumulated in double (a == b gives the
 *   squared norm).
 */
struct fl_backend {
	const char *name;
	int	 host_memory;
	int	(*supports)(enum fl_op op);
	void	*(*alloc)(size_t bytes);
	void	(*free)(void *buf);
	void	(*upload)(void *dst, const void *src, size_t bytes);
	void	(*download)(void *dst, const void *src, size_t bytes);
	void	(*gemm)(int transa, int transb, size_t m, size_t n, size_t k,
		    float alpha, const float *A, size_t lda, const float *B,
		    size_t ldb, float beta, float *C, size_t ldc);
	void	(*bias_add)(float *Z, size_t rows, size_t cols,
		    const float *b);
	void	(*relu)(float *v, size_t n);
	void	(*relu_backward)(const float *A, float *dA, size_t n);
	void	(*col_sums)(const float *D, size_t rows, size_t cols,
		    float *b);
	double	(*loss)(enum fl_op op, const float *Z, size_t rows, size_t k,
		    const float *y, float scale, float *dZ);
	void	(*sgd)(size_t n, float lr, float momentum, float *p,
		    float *v, const float *g);
	void	(*adam)(size_t n, float lr, float b1, float b2, float eps,
		    float c1, float c2, float *p, float *m, float *v,
		    const float *g);
	double	(*dot)(size_t n, const float *a, const float *b);
};
/* The backend for dev; FL_DEVICE_CUDA in a build without CUDA, or with no
 * GPU present, is FL_EGPU.  AUTO gives the best one present. */
int		 fl_backend_get(const struct fl_backend **be, enum fl_device dev,
		    struct fl_err *err);
/* The name of op ("gemm", "bias_add", ...), or "?". */
const char	*fl_op_name(enum fl_op op);

/*
 * The reference ops (lib/ref.c): plain loops with double accumulators,
 * the definitions in struct fl_backend's comment.  The oracle.
 */
void	fl_ref_gemm(int transa, int transb, size_t m, size_t n, size_t k,
	    float alpha, const float *A, size_t lda, const float *B, size_t ldb,
	    float beta, float *C, size_t ldc);
void	fl_ref_bias_add(float *Z, size_t rows, size_t cols, const float *b);
void	fl_ref_relu(float *v, size_t n);
void	fl_ref_relu_backward(const float *A, float *dA, size_t n);
void	fl_ref_col_sums(const float *D, size_t rows, size_t cols, float *b);
double	fl_ref_loss(enum fl_op op, const float *Z, size_t rows, size_t k,
	    const float *y, float scale, float *dZ);
void	fl_ref_sgd(size_t n, float lr, float momentum, float *p, float *v,
	    const float *g);
void	fl_ref_adam(size_t n, float lr, float b1, float b2, float eps,
	    float c1, float c2, float *p, float *m, float *v, const float *g);
double	fl_ref_dot(size_t n, const float *a, const float *b);

/* The fast CPU ops (lib/blas.c): OpenBLAS's gemm and float loops. */
void	fl_blas_gemm(int transa, int transb, size_t m, size_t n, size_t k,
	    float alpha, const float *A, size_t lda, const float *B, size_t ldb,
	    float beta, float *C, size_t ldc);
void	fl_blas_bias_add(float *Z, size_t rows, size_t cols, const float *b);
void	fl_blas_relu(float *v, size_t n);
void	fl_blas_relu_backward(const float *A, float *dA, size_t n);
void	fl_blas_col_sums(const float *D, size_t rows, size_t cols, float *b);
double	fl_blas_loss(enum fl_op op, const float *Z, size_t rows, size_t k,
	    const float *y, float scale, float *dZ);
void	fl_blas_sgd(size_t n, float lr, float momentum, float *p, float *v,
	    const float *g);
void	fl_blas_adam(size_t n, float lr, float b1, float b2, float eps,
	    float c1, float c2, float *p, float *m, float *v, const float *g);
double	fl_blas_dot(size_t n, const float *a, const float *b);
/* OpenBLAS's version string, e.g. "OpenBLAS 0.3.21". */
const char *fl_blas_version(void);

/*
 * Reference loss and gradient in double, written to be read: the oracle
 * for the fast path and for finite-difference checks.  params is the
 * model's flat vector (nparams), X is (n, d) row-major, y is (n).  Returns
 * the mean loss over the n rows plus l2/2 * |weights|^2 (biases are not
 * penalised); grad (nparams, may be NULL) receives its gradient.
 */
double	fl_ref_loss_grad(const struct fl_model *m, const double *params,
	    size_t n, const float *X, const float *y, double l2,
	    double *grad);

/* ------------------------------------------------------------------------ */
/* Training and prediction (lib/nn.c, lib/optim.c, lib/train.c).            */

enum fl_optimizer {
	FL_OPT_SGD,
	FL_OPT_ADAM
};
int		 fl_optimizer_parse(const char *s);	/* or -1 */
const char	*fl_optimizer_name(enum fl_optimizer o);

struct fl_hparams {
	unsigned	 epochs;
	size_t		 batch;
	double		 lr;
	enum fl_optimizer optimizer;
	double		 momentum;	/* SGD only */
	double		 l2;		/* weight decay on weights, not biases */
	double		 beta1, beta2, eps;	/* Adam */
	uint64_t	 seed;		/* drives the "shuffle" stream */
	const struct fl_backend *backend;	/* NULL: the CPU (BLAS) */
	/* Called after each batch with steps done and total; may be NULL. */
	void		(*progress)(void *ctx, size_t done, size_t total);
	void		*progress_ctx;
	/*
	 * Issue 4, the client's side; zero or NULL leaves each off.
	 * FedProx adds prox_mu/2 |w - w_start|^2 to the objective, w_start
	 * being the parameters fl_train starts from.  SCAFFOLD adds
	 * correction (nparams: c - c_i) to every gradient.  DP-SGD clips
	 * each row's gradient to L2 norm dp_clip, adds N(0, (dp_noise *
	 * dp_clip)^2) to each coordinate of the batch's sum and divides by
	 * the batch's rows; the noise comes from OpenSSL's RAND_bytes, or
	 * from dp_seed when dp_seeded (for tests: a known seed voids the
	 * guarantee).  dp_noise 0 clips without noise.
	 */
	double		 prox_mu;
	const float	*correction;
	double		 dp_clip, dp_noise;
	int		 dp_seeded;
	uint64_t	 dp_seed;
};
#define FL_HPARAMS_INIT { 1, 32, 0.1, FL_OPT_SGD, 0.0, 0.0, 0.9, 0.999, \
	1e-8, 1, NULL, NULL, NULL, 0.0, NULL, 0.0, 0.0, 0, 0 }

struct fl_train_result {
	double	loss;		/* mean training loss over the last epoch */
	size_t	samples;	/* rows trained on */
	size_t	steps;		/* optimizer steps taken */
};

/*
 * Train m in place on ds with minibatch SGD or Adam: each epoch visits the
 * rows in an order shuffled by hp->seed.  Deterministic for a given seed.
 * Survival models (the Cox head, whose risk sets need the whole site)
 * instead take one full-batch step per epoch over ds's rows in their
 * order; hp->batch is ignored, and FedProx, SCAFFOLD and DP-SGD are
 * FL_EUSAGE.  A loss that becomes NaN or Inf is FL_ENUM.  Errors:
 * FL_ENOMEM, FL_ENUM, FL_EUSAGE (empty dataset, d mismatch).
 */
int		 fl_train(struct fl_model *m, const struct fl_dataset *ds,
		    const struct fl_hparams *hp, struct fl_train_result *res,
		    struct fl_err *err);

/*
 * A test hook: the fast path's mean loss over n rows of X (n, d) and y (n)
 * plus l2/2 * |weights|^2, and its gradient into grad (nparams), computed
 * in float through be (NULL: the CPU) from m's parameters.  The same
 * definition as fl_ref_loss_grad, which tests compare it with.
 * Errors: FL_EUSAGE (n is 0, or a survival model: see fl_cox_loss_grad),
 * FL_ENUM (a label out of range), FL_ENOMEM.
 */
int		 fl_loss_grad(const struct fl_model *m, size_t n,
		    const float *X, const float *y, double l2,
		    const struct fl_backend *be, float *grad, double *loss,
		    struct fl_err *err);

/*
 * A test hook: the gradient one non-private fl_train step uses, at m's
 * parameters, over n rows of X (n, d) and y (n): the mean data loss's
 * gradient plus hp->l2 w (weights), hp->prox_mu (w - start) and
 * hp->correction, into grad (nparams); *loss gets the objective whose
 * gradient that is: the mean loss + l2/2 |W|^2 + prox_mu/2 |w - start|^2 +
 * <correction, w>.  start (nparams) may be NULL when prox_mu is 0.
 * Errors: those of fl_loss_grad.
 */
int		 fl_step_grad(const struct fl_model *m, size_t n,
		    const float *X, const float *y,
		    const struct fl_hparams *hp, const float *start,
		    float *grad, double *loss, struct fl_err *err);

/* 1 when m's loss is a sum over rows, so that per-row gradients exist and
 * DP-SGD applies; 0 otherwise (a head that couples rows). */
int		 fl_dp_sgd_supported(const struct fl_model *m);

/*
 * The privacy of fl_train's DP-SGD on n rows with hp (batch, epochs,
 * dp_noise): q = min(batch, n) / n, steps = epochs * ceil(n / batch),
 * sigma = dp_noise, epsilon at delta from the RDP accountant
 * (fl_dp_rdp_add, fl_dp_epsilon), which treats the shuffled fixed-size
 * batches as Poisson sampling with rate q.  Errors: FL_EUSAGE (no rows,
 * no noise, delta not in (0, 1)), FL_ENOMEM.
 */
struct fl_dp_sgd {
	double	epsilon, delta, q, sigma, clip, order;
	size_t	steps;
};
int		 fl_dp_sgd_account(size_t n, const struct fl_hparams *hp,
		    double delta, struct fl_dp_sgd *out, struct fl_err *err);

/*
 * SCAFFOLD's site state (lib/scaffold.c), kept in a local file between
 * rounds: an archive of kind "state" (see fl-train(1)) bound to the
 * model's spec, features and label.  fl_scaffold_load reads c_i (nparams,
 * malloc'd, the caller frees) from path, zeros when path does not exist;
 * when the state was last written after training model_id, the c_i it
 * started from is returned, so that training the same model again gives
 * the same update.  Errors: FL_EIO, FL_EFORMAT, FL_ESHAPE (another
 * model), FL_ENOMEM.
 */
int		 fl_scaffold_load(const char *path, const struct fl_model *m,
		    const char *model_id, float **ci, struct fl_err *err);
/* Write the state atomically: ci_new, and ci (what it replaces) with
 * model_id, the model trained.  Errors: FL_EIO, FL_ENOMEM. */
int		 fl_scaffold_save(const char *path, const struct fl_model *m,
		    const char *model_id, const float *ci, const float *ci_new,
		    struct fl_err *err);
/* Option II of Karimireddy et al. (2020): ci_new = ci - c + (x - y) /
 * (steps lr), from the received parameters x and trained y; every vector
 * is (n), computed in double. */
void		 fl_scaffold_update(size_t n, const float *ci, const float *c,
		    const float *x, const float *y, size_t steps, double lr,
		    float *ci_new);

/* Model outputs for every row: out is (n, noutputs): the probability of
 * class 1 (binary), the class probabilities (multiclass) or the predicted
 * value (regression).  be may be NULL.  Errors: FL_ENOMEM, FL_EUSAGE. */
int		 fl_predict(const struct fl_model *m, const struct fl_dataset *ds,
		    const struct fl_backend *be, float *out, struct fl_err *err);

/* ------------------------------------------------------------------------ */
/* Metrics (lib/metrics.c).                                                 */

#define FL_MAX_HORIZONS 16	/* --horizon values per evaluation */

struct fl_metrics {
	enum fl_task	task;
	size_t		n;
	double		auc, accuracy, log_loss, brier;	/* binary */
	double		rmse, mae, r2;			/* regression */
	/* Survival (lib/survival.c): Harrell's C-index, and per horizon the
	 * IPCW cumulative/dynamic AUC and Brier score. */
	double		c_index;
	size_t		nhorizons;
	double		horizon[FL_MAX_HORIZONS];
	double		td_auc[FL_MAX_HORIZONS];
	double		brier_t[FL_MAX_HORIZONS];
};

/* Metrics of predictions pred (n, k as from fl_predict) against y (n).
 * Binary: n auc accuracy log_loss brier (AUC NaN when one class is
 * absent); multiclass: n accuracy log_loss; regression: n rmse mae r2.
 * Errors: FL_ENOMEM, FL_EUSAGE (n is 0). */
int		 fl_metrics_compute(enum fl_task task, size_t n, size_t k,
		    const float *pred, const float *y, struct fl_metrics *out,
		    struct fl_err *err);
/* The metrics as a new JSON object holding exactly the task's keys, in the
 * order above (NaN written as null).  NULL when out of memory. */
json_t		*fl_metrics_json(const struct fl_metrics *m);

/* ------------------------------------------------------------------------ */
/* Federated evaluation (lib/fedeval.c).                                    */

/*
 * The sufficient statistics of a model's metrics on some rows: sums that
 * add up across sites (n, correct, log loss, Brier, squared and absolute
 * errors, the label's sum and squared deviations) and, for binary tasks,
 * per-class histograms of the score on FL_FEDEVAL_BINS equal bins of
 * [0, 1] and the sum of scores per bin.  Pooled metrics are exact but for
 * the AUC, which is binned: within "auc_bound" = (1/2) sum_b pos_b neg_b
 * / (P N) of the exact AUC of the pooled rows.
 *
 * Survival: a table of cells (time, event, risk bin) with the rows in each
 * and, per horizon, their sums of S(T|x)^2 and (1 - S(T|x))^2; the risk
 * bin is that of 1 / (1 + exp(-eta)) on FL_FEDEVAL_BINS equal bins.  Times
 * are kept exactly, so the Kaplan-Meier estimate of censoring, and with it
 * the Brier score, are exact; the C-index and the time-dependent AUC are
 * binned, within "c_index_bound" and "auc_T_bound": (1/2) the weight of
 * the comparable pairs that share a risk bin over that of all comparable
 * pairs.  A metrics archive (kind "metrics") holds them; see
 * man/fl-archive.5.
 */
#define FL_FEDEVAL_BINS 10000
struct fl_fedeval;
/* Empty statistics for task (classes for multiclass) of the model whose
 * archive id is parent (may be NULL), from site (may be NULL).  Errors:
 * FL_ENOMEM. */
int		 fl_fedeval_new(struct fl_fedeval **e, enum fl_task task,
		    size_t classes, const char *parent, const char *site,
		    int64_t round, struct fl_err *err);
void		 fl_fedeval_free(struct fl_fedeval *e);
/* Add n rows: pred (n, k) as from fl_predict, labels y (n).  Errors:
 * FL_EUSAGE (k does not fit), FL_ENUM (a bad label or a NaN score). */
int		 fl_fedeval_add(struct fl_fedeval *e, size_t n, size_t k,
		    const float *pred, const float *y, struct fl_err *err);
/* Survival: add n rows: risk eta, time and event (n), and surv (n, nh:
 * S(horizon[h] | x_i), as fl_metrics_survival; NULL for none, then no
 * Brier score).  The first rows added fix the horizons and whether surv
 * is given; later ones must agree.  Errors: FL_EUSAGE (not a survival
 * task, horizons that differ, nh too large), FL_ENUM (a NaN risk or
 * probability, a time that is not >= 0, an event not 0 or 1), FL_ENOMEM. */
int		 fl_fedeval_add_survival(struct fl_fedeval *e, size_t n,
		    const float *eta, const float *time, const float *event,
		    size_t nh, const double *horizon, const double *surv,
		    struct fl_err *err);
/* The binned metrics' bounds: NaN where the metric is not binned or not
 * defined. */
struct fl_fedeval_bounds {
	double	auc;				/* binary */
	double	c_index;			/* survival */
	double	td_auc[FL_MAX_HORIZONS];	/* survival, per horizon */
};
/* The metrics (the keys of fl_metrics_json) and the bounds of the binned
 * ones.  Errors: FL_ENOMEM (survival only; m then holds NaN). */
int		 fl_fedeval_metrics(const struct fl_fedeval *e,
		    struct fl_metrics *m, struct fl_fedeval_bounds *b,
		    struct fl_err *err);
/* A metrics archive: manifest "task", "classes", "bins", "parent",
 * "site", "round", "samples", "metrics" (fl-eval's keys, plus the bounds:
 * "auc_bound", or "c_index_bound" and "auc_T_bound"), for survival
 * "horizon" and "brier", and once merged "sites" (one row per site).
 * Errors: FL_ENOMEM. */
int		 fl_fedeval_to_archive(const struct fl_fedeval *e,
		    struct fl_archive **a, struct fl_err *err);
/* Read and check a metrics archive.  Errors: FL_EFORMAT, FL_ENUM,
 * FL_ENOMEM. */
int		 fl_fedeval_from_archive(struct fl_fedeval **e,
		    const struct fl_archive *a, struct fl_err *err);
/* Add src into dst, keeping one row per site.  Refused: another task or
 * model or other horizons (FL_ESHAPE), a site already in dst
 * (FL_EFORMAT).  Errors: FL_ENOMEM. */
int		 fl_fedeval_merge(struct fl_fedeval *dst,
		    const struct fl_fedeval *src, struct fl_err *err);
/* The per-site rows and a "pooled" row, as TSV (header "site" and the
 * metric keys) or one JSON object per line.  Errors: FL_EIO, FL_EFORMAT. */
int		 fl_fedeval_report(const struct fl_fedeval *e, FILE *f,
		    int json, const char *name, struct fl_err *err);
/* A binary curve as TSV: "roc" (fpr tpr threshold, one point per
 * non-empty bin) or "calibration" (bin mean_pred observed n, ten bins).
 * Errors: FL_EUSAGE (other tasks, unknown curve), FL_EIO. */
int		 fl_fedeval_curve(const struct fl_fedeval *e, const char *curve,
		    FILE *f, const char *name, struct fl_err *err);

/* Survival models (lib/survmodel.c, cox.c, baseline.c) and metrics        */
/* (lib/survival.c).                                                       */

/*
 * The Cox proportional hazards model: a dense stack (spec "cox", no hidden
 * layer, or "mlp:H..." with task survival) whose one output is the
 * log-risk eta.  Its loss is the negative log partial likelihood with
 * Breslow ties over the rows given (a site's own risk sets: training is
 * site-stratified), divided by the number of events (0 when there are
 * none), plus l2/2 |W|^2.  The output layer's bias cancels in the partial
 * likelihood: its gradient is exactly 0, so it stays at its initial 0.
 */

/* Make m a survival model reading times from column time and events from
 * its label column, with the baseline hazard grid grid[0..ngrid-1]
 * (increasing, > 0; ngrid 0 for none).  Errors: FL_EUSAGE, FL_ENOMEM. */
int		 fl_model_set_survival(struct fl_model *m, const char *time,
		    const double *grid, size_t ngrid, struct fl_err *err);
/* Add "survival" {"time", "event", "grid"} to a manifest's "model"
 * object (nothing for other tasks), and read it back into m.  Hooks
 * called by lib/modelio.c.  Errors: FL_ENOMEM; FL_EFORMAT. */
int		 fl_survival_describe(const struct fl_model *m, json_t *model,
		    struct fl_err *err);
int		 fl_survival_from_json(struct fl_model *m, const json_t *model,
		    struct fl_err *err);

/* The reference Cox loss and gradient (lib/ref.c): plain O(n^2) risk
 * sets in double.  params (nparams), X (n, d), time and event (n); grad
 * (nparams, may be NULL).  NaN when out of memory. */
double		 fl_ref_cox_loss_grad(const struct fl_model *m,
		    const double *params, size_t n, const float *X,
		    const float *time, const float *event, double l2,
		    double *grad);
/* The fast path's loss and gradient (sorted risk sets, gemm through be,
 * NULL for the CPU), the same definition.  Errors: FL_EUSAGE, FL_ENOMEM. */
int		 fl_cox_loss_grad(const struct fl_model *m, size_t n,
		    const float *X, const float *time, const float *event,
		    double l2, const struct fl_backend *be, float *grad,
		    double *loss, struct fl_err *err);

/*
 * The federated baseline hazard.  A site's table, at model m, on m's grid
 * g_1 < ... < g_G (g_0 = 0): events[k], the events with time in
 * (g_{k-1}, g_k] (the first interval includes 0), and exposure[k], the
 * sum over rows of exp(eta) times the part of (g_{k-1}, g_k] before the
 * row's time.  Summed over sites, h_k = events / exposure is the maximum
 * likelihood piecewise-constant baseline hazard given eta (Breslow's
 * estimator in the limit of a fine grid), and H0(g_k) = sum of h_j
 * (g_j - g_{j-1}) for j <= k.  fl_survival_update_table adds the table as
 * "survival_table" {"events", "exposure"} to an update's manifest (a
 * hook of fl-train; nothing for other tasks or without a grid).
 */
int		 fl_survival_update_table(const struct fl_model *m,
		    const struct fl_dataset *ds, json_t *manifest,
		    struct fl_err *err);
/* Sum the tables of the updates to base (whose id is base_id) and set the
 * aggregated model's "baseline" {"model": base_id, "sites", "events",
 * "cumhaz": H0 at each grid point}.
 * fl_baseline_new gives *b NULL for a model without survival grid; the
 * other functions accept NULL and then do nothing.  Hooks of fl-aggregate.
 * Errors: FL_EFORMAT (a table of the wrong size), FL_ENOMEM. */
struct fl_baseline;
int		 fl_baseline_new(struct fl_baseline **b,
		    const struct fl_model *base, const char *base_id,
		    struct fl_err *err);
int		 fl_baseline_add(struct fl_baseline *b,
		    const struct fl_archive *update, const char *name,
		    struct fl_err *err);
int		 fl_baseline_finish(struct fl_baseline *b, json_t *manifest,
		    struct fl_err *err);
void		 fl_baseline_free(struct fl_baseline *b);
/* Read a model manifest's "baseline" into *cumhaz (m's ngrid values, a
 * malloc'd copy): 1 when present, 0 when absent.  Errors: FL_EFORMAT. */
int		 fl_baseline_read(const struct fl_model *m,
		    const json_t *manifest, double **cumhaz,
		    struct fl_err *err);
/* The baseline cumulative hazard at time t >= 0, linear between grid
 * points (0 at 0); NaN beyond the last grid point. */
double		 fl_baseline_at(const struct fl_model *m, const double *cumhaz,
		    double t);

/*
 * Survival metrics of risk scores eta (n, higher = earlier failure)
 * against time and event (n): Harrell's C-index (pairs with t_i < t_j and
 * an event at t_i, or equal times with an event only at i; tied eta
 * count 1/2), and at each horizon[h] the cumulative/dynamic AUC with
 * inverse probability of censoring weights from the Kaplan-Meier estimate
 * of censoring (Uno et al. 2007) and the IPCW Brier score of surv (n,
 * nh: S(horizon[h] | x_i); NULL gives NaN) (Graf et al. 1999).  NaN where
 * undefined.  Errors: FL_EUSAGE (n 0, nh too large), FL_ENOMEM.
 */
int		 fl_metrics_survival(size_t n, const float *eta,
		    const float *time, const float *event, size_t nh,
		    const double *horizon, const double *surv,
		    struct fl_metrics *out, struct fl_err *err);

/* The value at t of a Kaplan-Meier step function: g[k] from the k-th of
 * the nu distinct times ut (ascending) on, 1 before the first; strict
 * gives the value just before t. */
double		 fl_km_step(size_t nu, const double *ut, const double *g,
		    double t, int strict);

/*
 * The Kaplan-Meier estimate of survival from time and event (n) at each
 * of the nt times t: observed[k] = the product over distinct event times
 * u <= t[k] of (1 - d_u / n_u), d_u the events at u and n_u the rows with
 * time >= u; at_risk[k] (NULL for none) = the rows with time >= t[k].
 * Errors: FL_ENOMEM.
 */
int		 fl_survival_km(size_t n, const float *time,
		    const float *event, size_t nt, const double *t,
		    double *observed, size_t *at_risk, struct fl_err *err);
/*
 * fl-eval's survival curve: at each point t of m's baseline grid, write
 * "time predicted observed at_risk" as TSV (with a header line) to f,
 * named name in errors: predicted = the mean over the n rows of S(t|x) =
 * exp(-H0(t) exp(eta)) with H0 from cumhaz (fl_baseline_read), observed
 * and at_risk those of fl_survival_km.  Errors: FL_EUSAGE (not a
 * survival model, no grid, n 0), FL_EFORMAT (cumhaz NULL: no baseline),
 * FL_ENOMEM, FL_EIO.
 */
int		 fl_survival_curve(const struct fl_model *m,
		    const double *cumhaz, size_t n, const float *eta,
		    const float *time, const float *event, FILE *f,
		    const char *name, struct fl_err *err);

/* ------------------------------------------------------------------------ */
/* Aggregation (lib/aggregate.c).                                           */

/*
 * A streaming aggregator: memory is O(model size) however many updates are
 * added.  base is the current model and base_id its archive's id; both are
 * borrowed and must outlive the aggregator.
 */
struct fl_agg;
/* strategy: one of fl_agg_strategy_name().  Errors: FL_EUSAGE (unknown
 * strategy), FL_ENOMEM. */
int		 fl_agg_new(struct fl_agg **g, const struct fl_model *base,
		    const char *base_id, int base_round, const char *strategy,
		    struct fl_err *err);
/*
 * Add one update archive.  It is refused (FL_EFORMAT or FL_ESHAPE or
 * FL_ENUM, message naming name) if it is not an update, its parent is not
 * base_id, its round is not base_round, its model differs from base's, its
 * samples count is not positive, a value is NaN or Inf, or its site already
 * sent an update.  signer is the key id that signed it, or NULL.
 */
int		 fl_agg_add(struct fl_agg *g, const struct fl_archive *update,
		    const char *name, const char *signer, struct fl_err *err);
/* Continue the base model's "history" (borrowed; NULL or null for none).
 * Errors: FL_EFORMAT (not an array), FL_ENOMEM. */
int		 fl_agg_set_history(struct fl_agg *g, const json_t *history,
		    struct fl_err *err);
size_t		 fl_agg_count(const struct fl_agg *g);
/* Write the aggregated model into a new archive (kind model, round + 1,
 * parent base_id, samples the total, "strategy", "contributors": an
 * array of {id, site, samples, signer} in the order added, and "history":
 * the base's history with this round appended, see fl_history_append).  Errors: FL_EUSAGE
 * (no update added), FL_ENUM, FL_ENOMEM. */
int		 fl_agg_finish(struct fl_agg *g, struct fl_archive **out,
		    struct fl_err *err);
void		 fl_agg_free(struct fl_agg *g);

/*
 * Server strategies and central differential privacy (lib/aggregate.c,
 * lib/strategy.c, lib/fedopt.c, lib/robust.c), documented in
 * fl-aggregate(1).  fl_agg_new accepts every name of
 * fl_agg_strategy_name(); fl_agg_configure, called before the first
 * fl_agg_add, sets their parameters and reads the state the base model's
 * archive carries (server moments, SCAFFOLD's "scaffold_c", "privacy").
 * A field left NAN (or 0 for the counts) takes the strategy's default;
 * FL_AGG_OPTS_INIT uses NAN, so it needs <math.h>.
 */
/* The most rows one update may claim (its weight in FedAvg): 2^53, the
 * largest count a double holds exactly. */
#define FL_MAX_SAMPLES	((int64_t)1 << 53)

struct fl_agg_opts {
	double		 server_lr;	/* fedavgm, fedadam, fedyogi, fedadagrad */
	double		 momentum;	/* fedavgm */
	double		 beta1, beta2, tau;	/* fedadam, fedyogi, fedadagrad */
	double		 trim;		/* trimmed-mean: fraction cut per side */
	long		 byzantine;	/* krum, multi-krum: F (-1: default 1) */
	long		 select;	/* multi-krum: M (0: n - F) */
	double		 clip;		/* L2 bound on each update; 0: none */
	double		 dp_noise;	/* noise multiplier; 0: no noise */
	long		 population;	/* sites in all; 0: this round's */
	double		 dp_delta;	/* delta of the reported epsilon */
	double		 max_epsilon;	/* refuse a round past it; 0: none */
	int		 seeded;	/* noise from seed (tests only) */
	uint64_t	 seed;
	size_t		 chunk;		/* floats per chunk (robust); 0: 65536 */
};
#define FL_AGG_OPTS_INIT { NAN, NAN, NAN, NAN, NAN, NAN, -1, 0, 0, 0, 0, \
	1e-5, 0, 0, 0, 0 }
/* The strategy names, in the order of the table in lib/strategy.c: the
 * name of strategy i (fedavg is 0), or NULL past the last. */
const char	*fl_agg_strategy_name(size_t i);
/* The names as one list, "fedavg, fedavgm, ..., multi-krum", for help
 * text and messages, into buf (size bytes, NUL-terminated when size > 0,
 * truncated to fit).  Returns the length the whole list needs, as
 * snprintf does, so that a first call may size buf. */
size_t		 fl_agg_strategy_list(char *buf, size_t size);
/* The names, NULL-terminated; as fl_agg_strategy_name, which callers
 * should prefer (this one goes once cmd/fl-aggregate.c stops using it). */
const char *const *fl_agg_strategies(void);
/* Errors: FL_EUSAGE (a parameter out of range or not for this strategy),
 * FL_EFORMAT (base's state or "privacy" malformed), FL_ENOMEM, FL_EIO. */
int		 fl_agg_configure(struct fl_agg *g, const struct fl_agg_opts *o,
		    const struct fl_archive *base, struct fl_err *err);

/*
 * What fl-aggregate combines (lib/combine.c), decided by the archives:
 * with a base model (given to fl_combine_base, or the first archive
 * added), the updates that follow are aggregated with fl_agg (strategy
 * and o as for fl_agg_new and fl_agg_configure, copied) and the survival
 * baseline summed; when the first archive is a stats archive, stats
 * archives are merged (fl_stats_merge) with a "contributors" list
 * {id, site, samples}; when it is a metrics archive, metrics archives are
 * merged (fl_fedeval_merge).  When t (borrowed; NULL for none) is given,
 * every archive must pass fl_archive_trusted.  name is the input's name
 * in messages.
 */
struct fl_combine;
struct fl_trust;	/* see "Trust" below */
/* Errors: FL_ENOMEM. */
int		 fl_combine_new(struct fl_combine **c, const char *strategy,
		    const struct fl_agg_opts *o, const struct fl_trust *t,
		    struct fl_err *err);
/* Once the base model is known, the most tensor bytes an archive that
 * follows may declare (fl_update_max_bytes); 0 before.  A caller reading
 * the inputs passes it to fl_reader_set_max, so that a compressed bomb in
 * an inbox costs no more memory than an honest update. */
uint64_t	 fl_combine_max_bytes(const struct fl_combine *c);
/* Make a, which must be a model, the base; takes ownership of a, also on
 * failure.  Errors: FL_EVERIFY, FL_EFORMAT ("a stats archive, not a
 * model", a bad round), FL_EUSAGE (fl_agg_configure), those of
 * fl_model_from_archive and fl_agg_new. */
int		 fl_combine_base(struct fl_combine *c, struct fl_archive *a,
		    const char *name, struct fl_err *err);
/* Add one archive.  When it becomes the base model, c takes it and *a is
 * set to NULL (so a reader allocates a new one); otherwise *a is only
 * read.  Errors: FL_EVERIFY, FL_EUSAGE (an update with no model before
 * it), FL_EFORMAT (among stats or metrics archives, another kind), and
 * those of fl_agg_add, fl_baseline_add, fl_stats_merge and
 * fl_fedeval_merge. */
int		 fl_combine_add(struct fl_combine *c, struct fl_archive **a,
		    const char *name, struct fl_err *err);
/* The result as a new archive in *out (NULL on failure), without
 * "writer" or signature.  Errors: FL_EFORMAT ("no archives to
 * aggregate"), and those of fl_agg_finish, fl_baseline_finish,
 * fl_stats_to_archive and fl_fedeval_to_archive. */
int		 fl_combine_finish(struct fl_combine *c,
		    struct fl_archive **out, struct fl_err *err);
void		 fl_combine_free(struct fl_combine *c);

/* Set a new manifest's "writer" {tool, version} and, when
 * SOURCE_DATE_EPOCH is set, "created" (UTC, ISO 8601) (lib/manifest.c).
 * Errors: FL_ENOMEM, FL_EUSAGE (a malformed SOURCE_DATE_EPOCH). */
int		 fl_manifest_set_writer(json_t *manifest, const char *tool,
		    struct fl_err *err);

/* ------------------------------------------------------------------------ */
/* State carried beside the parameters (lib/modelio.c) and differential    */
/* privacy accounting (lib/dp.c).  Issue 4 fills these in.                  */

/*
 * State vectors: F32 tensors of shape (nparams), the model's parameter
 * count, named "state/<name>", written after the parameter tensors of a
 * model or update archive: server optimizer moments ("fedopt_m",
 * "fedopt_v") and SCAFFOLD control variates ("scaffold_c" in models,
 * "scaffold_dc" in updates).  fl_archive_params checks and skips them;
 * names are 1..64 of [a-z0-9_].
 */
/* 1 and *v (borrowed from a) when state name is present as F32 (n), 0
 * when absent; FL_EFORMAT when present with another dtype or shape. */
int		 fl_archive_state(const struct fl_archive *a, const char *name,
		    size_t n, const float **v, struct fl_err *err);
/* Append state name (n values copied).  Errors: FL_EUSAGE, FL_ENOMEM. */
int		 fl_archive_add_state(struct fl_archive *a, const char *name,
		    const float *v, size_t n, struct fl_err *err);

/*
 * Renyi differential privacy of the sampled Gaussian mechanism (Mironov,
 * Talwar and Zhang 2019), composed over steps and rounds.  rdp[] holds one
 * value per order of fl_dp_orders(); fl_dp_rdp_add adds steps
 * compositions of one step with sampling rate q (0 < q <= 1) and noise
 * multiplier sigma (> 0); fl_dp_epsilon converts to (epsilon, delta),
 * taking the best order (returned in *order when not NULL).
 */
const double	*fl_dp_orders(size_t *n);
int		 fl_dp_rdp_add(double *rdp, double q, double sigma,
		    double steps);
double		 fl_dp_epsilon(const double *rdp, double delta, double *order);

/*
 * Privacy noise (lib/noise.c): the one source of randomness behind
 * DP-SGD (fl_train), central DP (fl_agg_finish) and the Laplace mechanism
 * of fl_stats_from_csv_opts.  The rule: noise is drawn from 64-bit words
 * of OpenSSL's RAND_bytes (its DRBG, AES-256 CTR_DRBG by default, seeded
 * from the operating system), read in blocks and wiped after use.  With
 * a test seed (seeded, seed), the words come instead from fl_rng_seed(seed,
 * stream), so that a test repeats; anyone who knows the seed can subtract
 * the noise, so a seeded run gives no privacy.  fl_train and fl_agg_finish
 * use the stream "dp-noise".  Gaussian deviates are Box-Muller in double,
 * the arithmetic of fl_rng_normal; Laplace deviates are by inversion.
 */
struct fl_noise;
/* A new source in *n.  stream names the seeded stream; unseeded, seed and
 * stream are unused.  Errors: FL_ENOMEM. */
int		 fl_noise_new(struct fl_noise **n, int seeded, uint64_t seed,
		    const char *stream, struct fl_err *err);
/* A standard normal deviate into *z.  Errors: FL_EIO (no randomness). */
int		 fl_noise_normal(struct fl_noise *n, double *z,
		    struct fl_err *err);
/* A Laplace deviate of scale b (> 0) into *x.  Errors: FL_EIO. */
int		 fl_noise_laplace(struct fl_noise *n, double b, double *x,
		    struct fl_err *err);
/* Wipe and free n; accepts NULL. */
void		 fl_noise_free(struct fl_noise *n);

/* ------------------------------------------------------------------------ */
/* Lineage (lib/lineage.c).                                                 */

/*
 * A model's "history" is an array with one entry per round, oldest first:
 * {"round", "parent": the id of the model the round's updates were
 * trained from, "strategy", "updates": [{id, site, samples, signer}],
 * "prev": "sha256:..." of the previous entry's canonical JSON (sorted
 * keys, compact), or null for the first}.  Each entry is chained to the
 * one before it, and the model's id and signature cover all of them.
 */
/* Append an entry for round (from parent, with updates) to history.
 * Returns 0 or -1 when out of memory. */
int		 fl_history_append(json_t *history, int round,
		    const char *parent, const char *strategy,
		    const json_t *updates);
/* Check manifest's history: every "prev" link, consecutive rounds, and
 * that the last entry is this model's parent and round - 1.  A model with
 * no history passes only at round 0.  Errors: FL_EVERIFY, one line naming
 * the entry. */
int		 fl_history_check(const json_t *manifest, struct fl_err *err);
/* Print the history as TSV with the header
 * "round\tparent\tsite\tsamples\tupdate\tsigner", one line per update.
 * Errors: FL_EFORMAT, FL_EIO. */
int		 fl_history_print(const json_t *manifest, FILE *out,
		    struct fl_err *err);

/* ------------------------------------------------------------------------ */
/* Trust: keys, signatures, sealing (lib/key.c, lib/sign.c, lib/seal.c).    */

/*
 * An identity holds an Ed25519 signing key and an X25519 sealing key.  Its
 * key id is the first 16 hex digits of SHA-256(sign_pub || seal_pub).
 * NAME.pub is one line: "fl-pub-1 KEYID BASE64(sign_pub || seal_pub) NAME".
 * NAME.key is one line: "fl-key-1 KEYID BASE64(sign_seed || seal_priv)
 * NAME", mode 0600.  Names are 1 to 128 characters of [A-Za-z0-9._-].
 */
#define FL_KEYID_LEN	16
#define FL_NAME_MAX	128

/* Whether s is a name as keys and sites use them: 1 to FL_NAME_MAX
 * characters of [A-Za-z0-9._-], so that it prints safely in a TSV row
 * or a file name (no control character, no blank, no '/'). */
int		 fl_name_ok(const char *s);

/*
 * What a trusted key may sign (fl-pack(1) SECURITY, fl(7) "Trust"):
 * the .pub files at a trust folder's top level are sites' keys, and an
 * archive that names a site must carry the signature of the site key of
 * that name; the .pub files in its coordinator/ subfolder are
 * coordinators' keys, and an archive that names no site (a model, merged
 * statistics or metrics) must carry a coordinator's signature.
 */
enum fl_role {
	FL_ROLE_SITE,
	FL_ROLE_COORDINATOR
};

struct fl_pubkey {
	char		keyid[FL_KEYID_LEN + 1];
	char		name[FL_NAME_MAX + 1];
	unsigned char	sign_pub[32];		/* Ed25519 */
	unsigned char	seal_pub[32];		/* X25519 */
	enum fl_role	role;			/* in a trust folder */
};

/* A secret identity; its bytes are wiped (OPENSSL_cleanse) when freed. */
struct fl_seckey;

/* A new identity from OpenSSL's randomness.  Errors: FL_EUSAGE (bad
 * name), FL_ENOMEM. */
int		 fl_seckey_generate(struct fl_seckey **sk, const char *name,
		    struct fl_err *err);
/* Write base.key (O_EXCL, mode 0600; replaced only when force, and then
 * atomically) and base.pub.  Errors: FL_EIO (also: exists without force). */
int		 fl_seckey_write(const struct fl_seckey *sk, const char *base,
		    int force, struct fl_err *err);
/* Read a secret key file; a file readable by group or others is refused
 * (FL_EVERIFY).  Errors: FL_EIO, FL_EFORMAT, FL_EVERIFY. */
int		 fl_seckey_read(struct fl_seckey **sk, const char *path,
		    struct fl_err *err);
const struct fl_pubkey *fl_seckey_pub(const struct fl_seckey *sk);
void		 fl_seckey_free(struct fl_seckey *sk);

/* Read one .pub file.  Errors: FL_EIO, FL_EFORMAT. */
int		 fl_pubkey_read(struct fl_pubkey *pk, const char *path,
		    struct fl_err *err);
/* Read n .pub files into keys[0..n-1] (the caller's storage), in order.
 * Errors: those of fl_pubkey_read, and FL_EUSAGE when two files hold
 * one key ("key KEYID given twice (PATH1, PATH2)"). */
int		 fl_pubkey_read_list(struct fl_pubkey *keys,
		    const char *const *paths, size_t n, struct fl_err *err);

/* The trusted keys: every *.pub file in a directory (role
 * FL_ROLE_SITE) and in its coordinator/ subfolder, when there is one
 * (FL_ROLE_COORDINATOR); at least one in all.  Two files with one key id
 * or one name, anywhere in the folder, are FL_EFORMAT. */
struct fl_trust;
int		 fl_trust_load(struct fl_trust **t, const char *dir,
		    struct fl_err *err);
/* The key with this id, or NULL. */
const struct fl_pubkey *fl_trust_find(const struct fl_trust *t,
		    const char *keyid);
void		 fl_trust_free(struct fl_trust *t);

/*
 * Sign an archive: an Ed25519 signature over "fl-sig-1\n" followed by the
 * archive's id (which covers the manifest and every tensor byte), stored
 * as the member "sig/KEYID", a JSON object {"alg": "ed25519", "keyid",
 * "signer": name, "sig": base64}.  The archive must have an id (read, or
 * written once).  The new signature is checked against the public key
 * before it is kept.  Errors: FL_EUSAGE (no id), FL_EVERIFY, FL_ENOMEM.
 */
int		 fl_archive_sign(struct fl_archive *a, const struct fl_seckey *sk,
		    struct fl_err *err);
/*
 * Check an archive's signatures against the trusted keys: succeed when at
 * least one signature by a trusted key verifies and none present fails to
 * verify; *signer (may be NULL) gets the first trusted signer.  Failures
 * are FL_EVERIFY, one line: "not signed", "signed by unknown key KEYID
 * (NAME)", "signature by NAME (KEYID) does not verify".
 */
int		 fl_archive_verify(const struct fl_archive *a,
		    const struct fl_trust *t, const struct fl_pubkey **signer,
		    struct fl_err *err);
/*
 * The same checks, and who[0..*n) gets every trusted key whose signature
 * verified (at most max, in member order, i.e. key id order), so that a
 * policy can look for the one it needs among several signers.  The
 * errors of fl_archive_verify.
 */
#define FL_MAX_SIGNERS	64
int		 fl_archive_signers(const struct fl_archive *a,
		    const struct fl_trust *t, const struct fl_pubkey **who,
		    size_t max, size_t *n, struct fl_err *err);

/*
 * Extra archive members (lib/archive.c): names under "sig/" (at most 64,
 * 1 MiB each), written after tensors.safetensors in name order and kept
 * by the reader.  They are outside the id, so signing leaves it unchanged.
 */
int		 fl_archive_set_member(struct fl_archive *a, const char *name,
		    const void *data, size_t len, struct fl_err *err);
size_t		 fl_archive_nmembers(const struct fl_archive *a);
void		 fl_archive_member(const struct fl_archive *a, size_t i,
		    const char **name, const void **data, size_t *len);

/*
 * Sealing (lib/seal.c), specified in fl-archive(5): the magic "flseal1\n",
 * a header naming each recipient's key id with the file key wrapped by
 * X25519 (one ephemeral key per file) and HKDF-SHA256, then the payload in
 * ChaCha20-Poly1305 chunks of 64 KiB whose nonces count chunks and mark
 * the last one, with the header's hash as associated data: memory is
 * constant, and a truncated, reordered or altered file fails.
 */
#define FL_SEAL_MAGIC	"flseal1\n"
int		 fl_seal(FILE *in, FILE *out, const struct fl_pubkey *const *to,
		    size_t nto, struct fl_err *err);
/* Decrypt in to out.  out may hold unverified bytes until this returns
 * 0: write it to a temp file (fl_out_*) and publish only then.  Errors:
 * FL_EVERIFY (not for this key, altered, truncated), FL_EFORMAT, FL_EIO. */
int		 fl_unseal(FILE *in, FILE *out, const struct fl_seckey *sk,
		    struct fl_err *err);
/*
 * fl_seal and fl_unseal from the file inpath to the file outpath (each
 * NULL or "-" for stdin or stdout), the output written atomically
 * (fl_out_*); errors name the file at fault.  fl_seal_file seals for
 * keys[0..nto-1].  fl_unseal_file releases no byte before all of the
 * input has verified: a regular outpath gets a temp file beside it,
 * stdout or a device gets the plaintext only after it was decrypted in
 * full into an unlinked temp file.  Errors: those of fl_seal and
 * fl_unseal, FL_EIO, FL_ENOMEM.
 */
int		 fl_seal_file(const char *inpath, const struct fl_pubkey *keys,
		    size_t nto, const char *outpath, struct fl_err *err);
int		 fl_unseal_file(const char *inpath, const struct fl_seckey *sk,
		    const char *outpath, struct fl_err *err);

/*
 * Readers that open sealed input: when the stream starts with
 * FL_SEAL_MAGIC it is decrypted with key (into an unlinked temp file, all
 * of it authenticated before the first archive is parsed) and the archives
 * inside are read; sealed input without a key is FL_EFORMAT ("sealed;
 * give --key").  fl_reader_open and fl_archive_read_file are these with
 * key NULL.
 */
int		 fl_reader_open_key(struct fl_reader **r, FILE *f,
		    const char *name, const struct fl_seckey *key,
		    struct fl_err *err);
int		 fl_archive_read_file_key(const char *path,
		    const struct fl_seckey *key, struct fl_archive **a,
		    struct fl_err *err);

/*
 * The site an archive names (lib/trust.c): *site gets the manifest's
 * "site", a name as fl_name_ok has it, or NULL for an archive that names
 * none.  An update, a site's statistics and a site's metrics must name
 * one; a model never does, nor does a merge of statistics (which lists
 * its "contributors") or of metrics (its "sites").  Errors: FL_EFORMAT
 * (a site that is not a name, of another type, missing or null where one
 * is needed; the caller prefixes the file name).
 */
int		 fl_archive_site(const struct fl_archive *a, const char **site,
		    struct fl_err *err);
/*
 * The site name a writer records (fl-train, fl-eval --emit, fl-stats):
 * given (--site) when not NULL, which must then be a name and, when sk is
 * not NULL, sk's name; else the name of the signing key sk; else the
 * base name of the data file without its extension (buf, len bytes,
 * holds it).  Data from stdin ("-" or NULL) with neither is FL_EUSAGE,
 * and so is a name that breaks the rule of fl_name_ok.
 */
int		 fl_site_choose(const char *given, const struct fl_seckey *sk,
		    const char *data, char *buf, size_t len, const char **site,
		    struct fl_err *err);
/*
 * The tools' trust policy (lib/trust.c): the archive's site is checked
 * (fl_archive_site), every signature by a key in t must verify, and
 * among them must be one by the site key named as the archive's site, or,
 * for an archive that names no site (a model, merged statistics or
 * metrics), one by a coordinator key.  name is used in messages; *signer
 * (may be NULL) gets that signer.  Errors: FL_EVERIFY, FL_EFORMAT.
 */
int		 fl_archive_trusted(const struct fl_archive *a,
		    const struct fl_trust *t, const char *name,
		    const struct fl_pubkey **signer, struct fl_err *err);
/* Fix the id of an archive built in memory and sign it with sk.  Errors:
 * those of fl_archive_write and fl_archive_sign. */
int		 fl_archive_sign_new(struct fl_archive *a,
		    const struct fl_seckey *sk, struct fl_err *err);
/* Read the one archive at inpath (NULL or "-": stdin), sign it with sk
 * and write it to outpath (NULL or "-": stdout) atomically, as fl-pack
 * sign does.  Errors: those of fl_archive_read_file, fl_archive_sign
 * (the message prefixed with inpath's name) and fl_archive_save. */
int		 fl_archive_sign_file(const char *inpath,
		    const struct fl_seckey *sk, const char *outpath,
		    struct fl_err *err);
/*
 * Check every archive left in r (named name in messages), as fl-pack
 * verify does (lib/trust.c): its signatures with fl_archive_verify and,
 * when chain is set and it is a model, its history with
 * fl_history_check.  fn is called once per archive, in order: with the
 * archive (borrowed for the call) and its signer and a NULL err when it
 * passes, or with a NULL signer and the error, prefixed "name: " for the
 * first archive and "name (archive N): " after, when it fails; the walk
 * goes on.  A read error ends the walk, and fn is called once more with
 * a NULL archive and that error, or "name: no archive" when the stream
 * held none.  Returns 0 when every archive passed, FL_EVERIFY when any
 * failure was FL_EVERIFY, else the (negative) code of a failure.
 */
int		 fl_reader_verify(struct fl_reader *r, const char *name,
		    const struct fl_trust *t, int chain,
		    void (*fn)(void *ctx, const struct fl_archive *a,
		    const struct fl_pubkey *signer, const struct fl_err *err),
		    void *ctx);

#endif /* FL_H */
