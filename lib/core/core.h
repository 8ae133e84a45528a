/*
 * core/core.h: the core layer of libfl: errors, exit codes, atomic files, the
 * seeded generator.
 * Layers include downwards only (README.md, "Source tour"); fl.h
 * includes them all.
 */
#ifndef FL_LIB_CORE_H
#define FL_LIB_CORE_H


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
/* Errors (lib/core/err.c).                                                   */

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

/* "an" before a word that starts with a vowel ("an update", "an unknown"),
 * else "a": the article for a kind or task name put into a message. */
const char *fl_article(const char *word);

/* Store a*b in *out; return 0, or -1 (and leave *out alone) on overflow. */
int fl_size_mul(size_t a, size_t b, size_t *out);

/* Ask for huge pages for the 2 MiB-aligned inside of the n bytes at p
 * (a buffer of a model's size, not yet touched; nothing under 8 MiB or
 * where the system has no such advice).  The first touch of fresh memory
 * costs a page fault per 4 KiB otherwise, which on virtual machines is
 * slower than reading the same bytes from the page cache. */
void fl_mem_huge(void *p, size_t n);

/* ------------------------------------------------------------------------ */
/* Files (lib/core/io.c).                                                     */

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
/* Random numbers (lib/core/rng.c).                                           */

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

#endif /* FL_LIB_CORE_H */
