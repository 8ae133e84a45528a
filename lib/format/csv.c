/*
 * csv.c: a streaming reader of numeric CSV files (a header row of names,
 * then rows of numbers).  Lines are found in one large buffer and cells are
 * parsed in place, by an exact fast path for short decimals and strtod for
 * the rest: nothing is allocated per row or per cell, and the buffer only
 * grows when one line does not fit, so memory follows the bytes really
 * present.  Used by stats.c and dataset.c; see fl.h.  The number parser's
 * internals are in csv_int.h for test/unit/test_number.c.
 */
#include <errno.h>
#include <float.h>
#include <locale.h>
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "format/format.h"
#include "csv_int.h"

/* The first buffer, doubled as long lines need; the fuzz build makes it
 * tiny so that refills and growth happen inside short inputs. */
#ifndef CSV_BUF_INIT
#define CSV_BUF_INIT	((size_t)64 << 10)
#endif
#define CSV_MAX_LINE	((size_t)16 << 20)	/* longest line: 16 MiB */
#define CSV_MAX_COLS	100000
#define CSV_SHOW_CELL	24			/* bytes of a bad cell shown */

struct fl_csv {
	FILE	*f;
	char	*name;
	char	*buf;		/* bytes [pos, end) not yet consumed */
	size_t	 cap;		/* always > end: buf[end] may be written */
	size_t	 pos, end;
	int	 eof;
	int	 failed;	/* sticky error code, 0 while healthy */
	size_t	 line;		/* number of the line last returned */
	size_t	 blank;		/* blank lines held back (see next_row) */
	size_t	 ncols;
	char	**names;	/* ncols pointers into namebuf */
	char	*namebuf;
	size_t	*sorted;	/* column indexes sorted by name */
	int	 fastnum;	/* the radix is '.': fl_csv_number_fast applies */
	/*
	 * The fields of a line: pcols named pnames, the same as ncols and
	 * names unless an image column (fl_csv_image) is set.  Then img is
	 * its field, the columns shown are the others and the pixels
	 * (npix, shape ic x ih x iw, named in pxbuf), prow holds the fields
	 * of the line being read, cell [cell, cell + celln) the image's, and
	 * dir the directory relative names are in ("" or ending in '/').
	 */
	size_t	 pcols;
	char	**pnames;
	long	 img;
	size_t	 npix, ic, ih, iw;
	char	*pxbuf, *dir, *path;
	double	*prow;
	const char *cell;
	size_t	 celln;
	/* The raw text of each field of the row last read (fl_csv_field),
	 * pointing into buf; fn[j] 0 for an empty or NA cell. */
	const char **fs;
	size_t	*fn;
	/* text[j] 1 where column j may hold text (fl_csv_text), or NULL. */
	unsigned char *text;
};

/* Bytes that may appear in a number: digits, sign, point, exponent. */
static const unsigned char numchar[256] = {
	['0'] = 1, ['1'] = 1, ['2'] = 1, ['3'] = 1, ['4'] = 1, ['5'] = 1,
	['6'] = 1, ['7'] = 1, ['8'] = 1, ['9'] = 1, ['+'] = 1, ['-'] = 1,
	['.'] = 1, ['e'] = 1, ['E'] = 1
};

/*
 * The fast path needs each product and quotient of doubles rounded once,
 * to double: true where FLT_EVAL_METHOD is 0 (SSE2, AArch64), false with
 * x87 extended precision, which would round twice; there every cell goes
 * to strtod.
 */
#if defined(FLT_EVAL_METHOD) && FLT_EVAL_METHOD == 0
#define CSV_FAST_NUMBER	1
#else
#define CSV_FAST_NUMBER	0
#endif
#define CSV_FAST_LEN	64	/* longer cells go to strtod */
#define CSV_FAST_DIGITS	19	/* 10^19 - 1 < 2^64 */
#define CSV_FAST_EXP	22	/* 10^22 = 2^22 5^22 is the last exact power */
#define CSV_FAST_MANT	((uint64_t)1 << 53)	/* integers <= 2^53 are exact */

/* 10^0 .. 10^22: each is exactly a double, so the literals are exact. */
static const double pow10_exact[CSV_FAST_EXP + 1] = {
	1e0, 1e1, 1e2, 1e3, 1e4, 1e5, 1e6, 1e7, 1e8, 1e9, 1e10, 1e11,
	1e12, 1e13, 1e14, 1e15, 1e16, 1e17, 1e18, 1e19, 1e20, 1e21, 1e22
};

/* 10^0 .. 10^19 as integers. */
static const uint64_t pow10_u64[CSV_FAST_DIGITS + 1] = {
	UINT64_C(1), UINT64_C(10), UINT64_C(100), UINT64_C(1000),
	UINT64_C(10000), UINT64_C(100000), UINT64_C(1000000),
	UINT64_C(10000000), UINT64_C(100000000), UINT64_C(1000000000),
	UINT64_C(10000000000), UINT64_C(100000000000),
	UINT64_C(1000000000000), UINT64_C(10000000000000),
	UINT64_C(100000000000000), UINT64_C(1000000000000000),
	UINT64_C(10000000000000000), UINT64_C(100000000000000000),
	UINT64_C(1000000000000000000), UINT64_C(10000000000000000000)
};

/*
 * Clinger's fast path.  The digits are read as an integer m times 10^z,
 * where z counts zeros not yet multiplied in: "1.2500" is m = 125, z = 2,
 * with 4 digits after the point, so that trailing zeros cost no precision.
 * A cell of another shape, or out of the exact range, returns 0 for
 * strtod to read; so does anything unusual (strtod's hex floats, inf and
 * nan spellings, leading blanks) since none of it matches here.  m and
 * 10^|e| are exact doubles, so the one rounding of their product or
 * quotient gives the correctly rounded value, as strtod does.  The sign
 * goes on before that rounding, which keeps even directed rounding modes
 * in step with strtod.
 */
int
fl_csv_number_fast(const char *s, const char *t, double *v)
{
#if CSV_FAST_NUMBER
	const char *p = s, *q;
	uint64_t m = 0;
	unsigned dg;
	int neg = 0, point = 0, digits = 0, nd = 0, z = 0, fd = 0;
	int ex = 0, eneg = 0, e;
	double d;

	if (t - s > CSV_FAST_LEN)
		return 0;
	if (p < t && (*p == '-' || *p == '+'))
		neg = *p++ == '-';
	for (; p < t; p++) {
		dg = (unsigned)((unsigned char)*p - '0');
		if (dg > 9) {
			if (*p == '.' && !point) {
				point = 1;
				continue;
			}
			break;
		}
		digits++;
		fd += point;
		if (dg == 0) {
			z += m != 0;	/* a leading zero is no digit of m */
			continue;
		}
		if (nd + z + 1 > CSV_FAST_DIGITS)
			return 0;
		m = m * pow10_u64[z + 1] + dg;
		nd += z + 1;
		z = 0;
	}
	if (digits == 0)
		return 0;
	if (p < t && (*p == 'e' || *p == 'E')) {
		p++;
		if (p < t && (*p == '-' || *p == '+'))
			eneg = *p++ == '-';
		for (q = p; p < t; p++) {
			dg = (unsigned)((unsigned char)*p - '0');
			if (dg > 9)
				break;
			if (ex < 10000)		/* far out of range already */
				ex = ex * 10 + (int)dg;
		}
		if (p == q)
			return 0;
	}
	if (p != t)
		return 0;
	if (m == 0) {
		*v = neg ? -0.0 : 0.0;
		return 1;
	}
	e = z - fd + (eneg ? -ex : ex);
	if (m > CSV_FAST_MANT || e < -CSV_FAST_EXP || e > CSV_FAST_EXP)
		return 0;
	d = (double)m;
	if (neg)
		d = -d;
	*v = e >= 0 ? d * pow10_exact[e] : d / pow10_exact[-e];
	return 1;
#else
	return 0;
#endif
}

/* strtod on the whole cell, as the fast path's fallback and reference. */
int
fl_csv_number_strtod(char *s, char *t, double *v)
{
	char *end, saved;
	double x;

	if (s == t)
		return -1;
	for (end = s; end < t && numchar[(unsigned char)*end]; end++)
		continue;
	if (end != t)
		return -1;
	saved = *t;
	*t = '\0';
	x = strtod(s, &end);
	*t = saved;
	if (end != t || !isfinite(x))
		return -1;
	*v = x;
	return 0;
}

static int
is_blank(int ch)
{
	return ch == ' ' || ch == '\t';
}

/*
 * Return the next line in [*lp, *lp + *lenp), without its LF or CRLF, and
 * consume it: 1 when a line was found, 0 at end of input, or an error.
 * The byte just after the line may be overwritten by the caller.
 */
static int
next_line(struct fl_csv *c, char **lp, size_t *lenp, struct fl_err *err)
{
	size_t scanned = c->pos, len;
	char *nl, *nb;

	for (;;) {
		nl = memchr(c->buf + scanned, '\n', c->end - scanned);
		if (nl != NULL || c->eof)
			break;
		scanned = c->end;
		if (c->end - c->pos > CSV_MAX_LINE)
			return fl_err_set(err, FL_EFORMAT,
			    "%s:%zu: line longer than 16 MiB", c->name,
			    c->line + c->blank + 1);
		/* Keep the partial line and fill the rest of the buffer. */
		if (c->pos > 0) {
			memmove(c->buf, c->buf + c->pos, c->end - c->pos);
			c->end -= c->pos;
			scanned -= c->pos;
			c->pos = 0;
		}
		if (c->end + 1 >= c->cap) {
			size_t ncap = c->cap * 2;

			if (ncap > CSV_MAX_LINE + 2)
				ncap = CSV_MAX_LINE + 2;
			if ((nb = realloc(c->buf, ncap)) == NULL)
				return fl_err_set(err, FL_ENOMEM,
				    "out of memory");
			c->buf = nb;
			c->cap = ncap;
		}
		len = fread(c->buf + c->end, 1, c->cap - 1 - c->end, c->f);
		c->end += len;
		if (len == 0) {
			if (ferror(c->f))
				return fl_err_set(err, FL_EIO, "%s: %s",
				    c->name, strerror(errno));
			c->eof = 1;
		}
	}
	if (nl == NULL) {
		if (c->pos == c->end)
			return 0;
		nl = c->buf + c->end;	/* last line, no final newline */
	}
	*lp = c->buf + c->pos;
	len = (size_t)(nl - *lp);
	c->pos = (size_t)(nl - c->buf) + (nl < c->buf + c->end);
	if (len > 0 && (*lp)[len - 1] == '\r')
		len--;
	if (len > CSV_MAX_LINE)
		return fl_err_set(err, FL_EFORMAT,
		    "%s:%zu: line longer than 16 MiB", c->name,
		    c->line + c->blank + 1);
	*lenp = len;
	return 1;
}

static int
line_is_blank(const char *s, size_t len)
{
	size_t i;

	for (i = 0; i < len; i++)
		if (!is_blank((unsigned char)s[i]))
			return 0;
	return 1;
}

/*
 * Find the field starting at p in a line ending at e: its content
 * [*sp, *tp) without surrounding blanks and quotes, and the end of the
 * field (a comma or e) in *qp.  Returns 0, or -1 on bad quoting.
 */
static int
split_field(char *p, char *e, char **sp, char **tp, char **qp)
{
	char *q, *t;

	while (p < e && is_blank((unsigned char)*p))
		p++;
	if (p < e && *p == '"') {
		if ((t = memchr(p + 1, '"', (size_t)(e - p - 1))) == NULL)
			return -1;
		*sp = p + 1;
		*tp = t;
		for (q = t + 1; q < e && is_blank((unsigned char)*q); q++)
			continue;
		if (q < e && *q != ',')
			return -1;
		*qp = q;
		return 0;
	}
	if ((q = memchr(p, ',', (size_t)(e - p))) == NULL)
		q = e;
	for (t = q; t > p && is_blank((unsigned char)t[-1]); t--)
		continue;
	*sp = p;
	*tp = t;
	*qp = q;
	return 0;
}

/* Count the fields of a line, for a message. */
static size_t
count_fields(char *p, char *e)
{
	char *s, *t, *q;
	size_t n = 0;

	for (;;) {
		n++;
		if (split_field(p, e, &s, &t, &q) < 0)
			return n;
		if (q == e)
			return n;
		p = q + 1;
	}
}

/* A short, printable copy of a cell for a message. */
static void
show_cell(char *out, size_t outsz, const char *s, size_t len)
{
	size_t i, n = len < CSV_SHOW_CELL ? len : CSV_SHOW_CELL;

	if (outsz < CSV_SHOW_CELL + 4)
		n = 0;
	for (i = 0; i < n; i++) {
		unsigned char ch = (unsigned char)s[i];

		out[i] = ch >= 0x20 && ch < 0x7f ? (char)ch : '?';
	}
	if (n < len) {
		memcpy(out + i, "...", 3);
		i += 3;
	}
	out[i] = '\0';
}

static int
cmp_idx(const void *a, const void *b, void *names)
{
	char **nm = names;

	return strcmp(nm[*(const size_t *)a], nm[*(const size_t *)b]);
}

/* qsort with a context, by insertion into a merge sort (qsort_r is not
 * in POSIX): sorts idx[0..n) by name. */
static void
sort_idx(size_t *idx, size_t *tmp, size_t n, char **names)
{
	size_t h, i, j, k;

	if (n < 2)
		return;
	h = n / 2;
	sort_idx(idx, tmp, h, names);
	sort_idx(idx + h, tmp, n - h, names);
	for (i = 0, j = h, k = 0; i < h && j < n; k++)
		tmp[k] = cmp_idx(&idx[j], &idx[i], names) < 0 ?
		    idx[j++] : idx[i++];
	while (i < h)
		tmp[k++] = idx[i++];
	while (j < n)
		tmp[k++] = idx[j++];
	memcpy(idx, tmp, n * sizeof(*idx));
}

/* Parse the header line into names, checking for duplicates. */
static int
parse_header(struct fl_csv *c, char *line, size_t len, struct fl_err *err)
{
	char *p = line, *e = line + len, *s, *t, *q, *nb;
	size_t j, n, bytes = 0, *tmp, dup;

	if (memchr(line, '\0', len) != NULL)
		return fl_err_set(err, FL_EFORMAT, "%s:%zu: NUL byte in header",
		    c->name, c->line);
	n = count_fields(line, e);
	if (n > CSV_MAX_COLS)
		return fl_err_set(err, FL_EFORMAT,
		    "%s:%zu: %zu columns, more than %d", c->name, c->line, n,
		    CSV_MAX_COLS);
	c->names = calloc(n, sizeof(*c->names));
	c->sorted = calloc(n, sizeof(*c->sorted));
	c->namebuf = nb = malloc(len + 1);
	if (c->names == NULL || c->sorted == NULL || nb == NULL)
		return fl_err_set(err, FL_ENOMEM, "out of memory");
	for (j = 0; j < n; j++) {
		if (split_field(p, e, &s, &t, &q) < 0)
			return fl_err_set(err, FL_EFORMAT,
			    "%s:%zu: column %zu: unbalanced quotes", c->name,
			    c->line, j + 1);
		if (t == s)
			return fl_err_set(err, FL_EFORMAT,
			    "%s:%zu: column %zu has an empty name", c->name,
			    c->line, j + 1);
		memcpy(nb + bytes, s, (size_t)(t - s));
		c->names[j] = nb + bytes;
		bytes += (size_t)(t - s);
		nb[bytes++] = '\0';
		c->sorted[j] = j;
		p = q + 1;
	}
	c->ncols = c->pcols = n;
	c->pnames = c->names;
	if ((c->fs = calloc(n, sizeof(*c->fs))) == NULL ||
	    (c->fn = calloc(n, sizeof(*c->fn))) == NULL)
		return fl_err_set(err, FL_ENOMEM, "out of memory");
	if ((tmp = malloc(n * sizeof(*tmp))) == NULL)
		return fl_err_set(err, FL_ENOMEM, "out of memory");
	sort_idx(c->sorted, tmp, n, c->names);
	free(tmp);
	/* Report the duplicate whose second occurrence comes first. */
	dup = n;
	for (j = 1; j < n; j++)
		if (strcmp(c->names[c->sorted[j - 1]],
		    c->names[c->sorted[j]]) == 0) {
			size_t later = c->sorted[j] > c->sorted[j - 1] ?
			    c->sorted[j] : c->sorted[j - 1];

			if (later < dup)
				dup = later;
		}
	if (dup < n)
		return fl_err_set(err, FL_EFORMAT,
		    "%s:%zu: duplicate column '%.64s'", c->name, c->line,
		    c->names[dup]);
	return 0;
}

int
fl_csv_open(struct fl_csv **cp, const char *path, struct fl_err *err)
{
	struct fl_csv *c;
	char *line;
	size_t len;
	int rc;

	*cp = NULL;
	if ((c = calloc(1, sizeof(*c))) == NULL)
		return fl_err_set(err, FL_ENOMEM, "out of memory");
	if ((c->name = strdup(fl_in_name(path))) == NULL ||
	    (c->buf = malloc(CSV_BUF_INIT)) == NULL) {
		rc = fl_err_set(err, FL_ENOMEM, "out of memory");
		goto fail;
	}
	c->cap = CSV_BUF_INIT;
	c->img = -1;
	/* strtod reads a point only where LC_NUMERIC's radix is one. */
	c->fastnum = strcmp(localeconv()->decimal_point, ".") == 0;
	if ((c->f = fl_in_open(path, err)) == NULL) {
		rc = FL_EIO;
		goto fail;
	}
	/* Skip blank lines before the header, and a UTF-8 byte order mark. */
	for (;;) {
		if ((rc = next_line(c, &line, &len, err)) < 0)
			goto fail;
		if (rc == 0) {
			rc = fl_err_set(err, FL_EFORMAT,
			    "%s: empty file, expected a header row", c->name);
			goto fail;
		}
		c->line++;
		if (c->line == 1 && len >= 3 &&
		    memcmp(line, "\xef\xbb\xbf", 3) == 0) {
			line += 3;
			len -= 3;
		}
		if (!line_is_blank(line, len))
			break;
	}
	if ((rc = parse_header(c, line, len, err)) < 0)
		goto fail;
	*cp = c;
	return 0;
fail:
	fl_csv_free(c);
	return rc;
}

size_t
fl_csv_ncols(const struct fl_csv *c)
{
	return c->ncols;
}

const char *
fl_csv_colname(const struct fl_csv *c, size_t j)
{
	return j < c->ncols ? c->names[j] : NULL;
}

/* Binary search of the sorted index. */
long
fl_csv_find(const struct fl_csv *c, const char *name)
{
	size_t lo = 0, hi = c->ncols, mid;
	int r;

	while (lo < hi) {
		mid = lo + (hi - lo) / 2;
		r = strcmp(name, c->names[c->sorted[mid]]);
		if (r == 0)
			return (long)c->sorted[mid];
		if (r < 0)
			hi = mid;
		else
			lo = mid + 1;
	}
	return -1;
}

/* Parse one data line's fields into row[pcols]. */
static int
parse_row(struct fl_csv *c, char *line, size_t len, double *row,
    struct fl_err *err)
{
	char *p = line, *e = line + len, *s, *t, *q = NULL;
	char shown[CSV_SHOW_CELL + 4];
	size_t j, n;
	double v;

	for (j = 0; j < c->pcols; j++) {
		if (j > 0) {
			if (q == e)
				return fl_err_set(err, FL_EFORMAT,
				    "%s:%zu: %zu fields, header has %zu",
				    c->name, c->line, j, c->pcols);
			p = q + 1;
		}
		if (split_field(p, e, &s, &t, &q) < 0)
			return fl_err_set(err, FL_EFORMAT,
			    "%s:%zu: column '%.64s': unbalanced quotes",
			    c->name, c->line, c->pnames[j]);
		n = (size_t)(t - s);
		c->fs[j] = s;
		c->fn[j] = n;
		if ((long)j == c->img) {	/* a file name, read later */
			c->cell = s;
			c->celln = n;
			row[j] = NAN;
			continue;
		}
		if (n == 0 || (n == 2 && s[0] == 'N' && s[1] == 'A')) {
			c->fn[j] = 0;
			row[j] = NAN;
			continue;
		}
		/* t is inside the line or its terminator: writable. */
		if ((c->fastnum && fl_csv_number_fast(s, t, &v)) ||
		    fl_csv_number_strtod(s, t, &v) == 0) {
			row[j] = v;
			continue;
		}
		if (c->text != NULL && c->text[j]) {	/* a level */
			row[j] = NAN;
			continue;
		}
		show_cell(shown, sizeof(shown), s, n);
		return fl_err_set(err, FL_EFORMAT,
		    "%s:%zu: column '%.64s': not a number: '%s'", c->name,
		    c->line, c->pnames[j], shown);
	}
	if (q != e)
		return fl_err_set(err, FL_EFORMAT,
		    "%s:%zu: %zu fields, header has %zu", c->name, c->line,
		    c->pcols + count_fields(q + 1, e), c->pcols);
	return 0;
}

/*
 * The image of the row just parsed (c->cell) into px (npix): NaN for an
 * empty or NA cell.  Errors name the file and line.
 */
static int
read_image(struct fl_csv *c, double *px, struct fl_err *err)
{
	size_t i, dl = strlen(c->dir);
	int rc;

	if (c->celln == 0 || (c->celln == 2 && c->cell[0] == 'N' &&
	    c->cell[1] == 'A')) {
		for (i = 0; i < c->npix; i++)
			px[i] = NAN;
		return 0;
	}
	if (memchr(c->cell, '\0', c->celln) != NULL || c->celln > 4096)
		return fl_err_set(err, FL_EFORMAT, "%s:%zu: column '%.64s': "
		    "not a file name", c->name, c->line, c->pnames[c->img]);
	free(c->path);
	if ((c->path = malloc(dl + c->celln + 1)) == NULL)
		return fl_err_set(err, FL_ENOMEM, "out of memory");
	if (c->cell[0] == '/')
		dl = 0;
	memcpy(c->path, c->dir, dl);
	memcpy(c->path + dl, c->cell, c->celln);
	c->path[dl + c->celln] = '\0';
	if ((rc = fl_png_read(c->path, c->ic, c->ih, c->iw, px, err)) < 0)
		return fl_err_prefix(err, "%s:%zu", c->name, c->line);
	return 0;
}

/* Parse one data line into row[ncols]: directly, or with an image
 * column through prow and the image's pixels. */
static int
parse_line(struct fl_csv *c, char *line, size_t len, double *row,
    struct fl_err *err)
{
	size_t j, k = 0;
	int rc;

	if (c->img < 0)
		return parse_row(c, line, len, row, err);
	if ((rc = parse_row(c, line, len, c->prow, err)) < 0)
		return rc;
	for (j = 0; j < c->pcols; j++)
		if ((long)j != c->img)
			row[k++] = c->prow[j];
	return read_image(c, row + k, err);
}

/*
 * Blank lines are allowed at the end of the file.  A blank line followed
 * by data is a row with one empty field (a short row, or NaN when there is
 * one column), so blank lines are counted and only replayed when a
 * non-blank line follows them.
 */
int
fl_csv_next(struct fl_csv *c, double *row, struct fl_err *err)
{
	char *line, empty[1];
	size_t len;
	int rc;

	if (c->failed)
		return fl_err_set(err, c->failed,
		    "%s:%zu: reading after an error", c->name, c->line);
	while (c->blank == 0) {
		if ((rc = next_line(c, &line, &len, err)) < 0)
			goto fail;
		if (rc == 0)
			return 0;
		if (line_is_blank(line, len)) {
			c->blank++;
			continue;
		}
		c->line++;
		if ((rc = parse_line(c, line, len, row, err)) < 0)
			goto fail;
		return 1;
	}
	/* Blank lines held back: is there data after them? */
	for (;;) {
		if ((rc = next_line(c, &line, &len, err)) < 0)
			goto fail;
		if (rc == 0) {
			c->blank = 0;
			return 0;
		}
		if (!line_is_blank(line, len))
			break;
		c->blank++;
	}
	/* Put the data line back (it is still in the buffer, unmodified,
	 * since next_line only moves bytes before reading more) and replay
	 * one blank line as an empty row. */
	c->pos = (size_t)(line - c->buf);
	c->blank--;
	c->line++;
	empty[0] = '\0';
	if ((rc = parse_line(c, empty, 0, row, err)) < 0)
		goto fail;
	return 1;
fail:
	c->failed = rc;
	return rc;
}

const char *
fl_csv_field(const struct fl_csv *c, size_t j, size_t *len)
{
	if (c->img >= 0 || c->line < 2 || j >= c->pcols || c->fn[j] == 0) {
		*len = 0;
		return NULL;
	}
	*len = c->fn[j];
	return c->fs[j];
}

/* Let column col hold text; see format.h. */
int
fl_csv_text(struct fl_csv *c, const char *col, struct fl_err *err)
{
	long j;

	if (c->img >= 0)
		return fl_err_set(err, FL_EUSAGE, "%s: text columns and an "
		    "image column do not mix", c->name);
	if ((j = fl_csv_find(c, col)) < 0)
		return fl_err_set(err, FL_EFORMAT, "%s: missing column '%.64s'",
		    c->name, col);
	if (c->text == NULL && (c->text = calloc(c->pcols,
	    sizeof(*c->text))) == NULL)
		return fl_err_set(err, FL_ENOMEM, "out of memory");
	c->text[j] = 1;
	return 0;
}

size_t
fl_csv_line(const struct fl_csv *c)
{
	return c->line;
}

const char *
fl_csv_name(const struct fl_csv *c)
{
	return c->name;
}

void
fl_csv_free(struct fl_csv *c)
{
	if (c == NULL)
		return;
	fl_in_close(c->f);
	if (c->pnames != c->names)
		free(c->pnames);
	free(c->pxbuf);
	free(c->dir);
	free(c->path);
	free(c->prow);
	free(c->fs);
	free(c->fn);
	free(c->text);
	free(c->name);
	free(c->buf);
	free(c->names);
	free(c->namebuf);
	free(c->sorted);
	free(c);
}

/* The image shape; see format.h. */
int
fl_csv_image_shape(const struct fl_csv *c, size_t *ch, size_t *h, size_t *w)
{
	if (c->img < 0)
		return 0;
	*ch = c->ic;
	*h = c->ih;
	*w = c->iw;
	return 1;
}

/*
 * The first data row's image, without consuming the row: the line is put
 * back (it stays in the buffer, as in fl_csv_next) and the blank lines
 * before it are held back as fl_csv_next holds them.  *found is 0 when
 * the file has no data row.
 */
static int
peek_image(struct fl_csv *c, const char *path, int *found,
    struct fl_err *err)
{
	char *line, *p, *e, *s, *t, *q;
	size_t len, j, blank = 0, line0 = c->line;
	int rc;

	*found = 0;
	if (c->blank > 0)
		return fl_err_set(err, FL_EUSAGE, "%s: rows already read",
		    path);
	for (;;) {
		if ((rc = next_line(c, &line, &len, err)) <= 0)
			return rc;
		if (!line_is_blank(line, len))
			break;
		blank++;
	}
	c->pos = (size_t)(line - c->buf);
	c->blank = blank;
	c->line = line0 + blank + 1;	/* for messages about this row */
	p = line;
	e = line + len;
	for (j = 0; ; j++) {
		if (split_field(p, e, &s, &t, &q) < 0 || (q == e &&
		    j < (size_t)c->img)) {
			c->line = line0;
			return 0;	/* parse_row will say what is wrong */
		}
		if (j == (size_t)c->img)
			break;
		p = q + 1;
	}
	c->cell = s;
	c->celln = (size_t)(t - s);
	if (c->celln == 0 || (c->celln == 2 && s[0] == 'N' && s[1] == 'A'))
		rc = fl_err_set(err, FL_EFORMAT, "%s:%zu: column '%.64s': the "
		    "first row needs an image, to give the shape", c->name,
		    c->line, c->pnames[c->img]);
	else {
		/* read_image's path, with the shape not yet known. */
		size_t dl = c->cell[0] == '/' ? 0 : strlen(c->dir);

		free(c->path);
		if ((c->path = malloc(dl + c->celln + 1)) == NULL)
			rc = fl_err_set(err, FL_ENOMEM, "out of memory");
		else if (memchr(c->cell, '\0', c->celln) != NULL)
			rc = fl_err_set(err, FL_EFORMAT, "%s:%zu: column "
			    "'%.64s': not a file name", c->name, c->line,
			    c->pnames[c->img]);
		else {
			memcpy(c->path, c->dir, dl);
			memcpy(c->path + dl, c->cell, c->celln);
			c->path[dl + c->celln] = '\0';
			if ((rc = fl_png_shape(c->path, &c->ic, &c->ih,
			    &c->iw, err)) < 0)
				fl_err_prefix(err, "%s:%zu", c->name,
				    c->line);
			else
				*found = 1;
		}
	}
	c->line = line0;
	return rc;
}

/* Read column col as image file names; see format.h. */
int
fl_csv_image(struct fl_csv *c, const char *col, struct fl_err *err)
{
	const char *slash, *nm;
	size_t j, k, n, bytes, *tmp, dl;
	long img;
	char **names;
	int found, rc;

	if ((img = fl_csv_find(c, col)) < 0)
		return fl_err_set(err, FL_EFORMAT, "%s: no column '%.64s' "
		    "(--image-column)", c->name, col);
	if (c->text != NULL)
		return fl_err_set(err, FL_EUSAGE, "%s: text columns and an "
		    "image column do not mix", c->name);
	if (c->img >= 0)
		return fl_err_set(err, FL_EUSAGE, "%s: one image column only",
		    c->name);
	nm = strcmp(c->name, "<stdin>") == 0 ? "" : c->name;
	slash = strrchr(nm, '/');
	dl = slash != NULL ? (size_t)(slash - nm) + 1 : 0;
	if ((c->dir = malloc(dl + 1)) == NULL)
		return fl_err_set(err, FL_ENOMEM, "out of memory");
	memcpy(c->dir, nm, dl);
	c->dir[dl] = '\0';
	c->img = img;
	if ((rc = peek_image(c, c->name, &found, err)) < 0) {
		c->img = -1;
		return rc;
	}
	c->npix = found ? c->ic * c->ih * c->iw : 0;
	if (!found)
		c->ic = c->ih = c->iw = 0;
	/* The columns shown: the others, then px0 .. px(npix-1). */
	n = c->pcols - 1 + c->npix;
	bytes = c->npix * 10;	/* "px", 7 digits at most (npix <= 2^20) */
	names = calloc(n > 0 ? n : 1, sizeof(*names));
	c->pxbuf = malloc(bytes > 0 ? bytes : 1);
	c->prow = calloc(c->pcols, sizeof(*c->prow));
	tmp = malloc((n > 0 ? n : 1) * sizeof(*tmp));
	free(c->sorted);
	c->sorted = calloc(n > 0 ? n : 1, sizeof(*c->sorted));
	if (names == NULL || c->pxbuf == NULL || c->prow == NULL ||
	    tmp == NULL || c->sorted == NULL) {
		free(names);
		free(tmp);
		c->img = -1;
		return fl_err_set(err, FL_ENOMEM, "out of memory");
	}
	for (j = k = 0; j < c->pcols; j++)
		if ((long)j != img)
			names[k++] = c->pnames[j];
	for (j = 0, bytes = 0; j < c->npix; j++) {
		names[k++] = c->pxbuf + bytes;
		bytes += (size_t)snprintf(c->pxbuf + bytes, 10, "px%zu",
		    j) + 1;
	}
	c->names = names;
	c->ncols = n;
	for (j = 0; j < n; j++)
		c->sorted[j] = j;
	sort_idx(c->sorted, tmp, n, c->names);
	free(tmp);
	for (j = 1; j < n; j++)
		if (strcmp(c->names[c->sorted[j - 1]],
		    c->names[c->sorted[j]]) == 0)
			return fl_err_set(err, FL_EFORMAT, "%s: column "
			    "'%.64s' is also the name of a pixel of "
			    "--image-column '%.64s'", c->name,
			    c->names[c->sorted[j]], col);
	return 0;
}
