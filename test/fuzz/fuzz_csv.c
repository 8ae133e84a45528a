/*
 * fuzz_csv.c: libFuzzer target for the CSV reader (lib/format/csv.c) and the
 * statistics built on it (lib/stats/stats.c).  fl_csv_open takes a path, so each
 * input is written to one temp file per process, made once with mkstemp
 * and removed at exit.  Run by `make fuzz`.
 */
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

#include "fl.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static char tmpl[] = "/tmp/fuzz_csv.XXXXXX";
static int tmpfd = -1;

static void
remove_tmp(void)
{
	if (tmpfd >= 0)
		unlink(tmpl);
}

/* Write the input to the temp file; 0 or -1. */
static int
put_input(const uint8_t *data, size_t size)
{
	size_t off = 0;
	ssize_t w;

	if (tmpfd < 0) {
		if ((tmpfd = mkstemp(tmpl)) < 0)
			return -1;
		atexit(remove_tmp);
	}
	if (ftruncate(tmpfd, 0) < 0)
		return -1;
	while (off < size) {
		if ((w = pwrite(tmpfd, data + off, size - off,
		    (off_t)off)) <= 0)
			return -1;
		off += (size_t)w;
	}
	return 0;
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct fl_err err = FL_ERR_INIT;
	struct fl_csv *c = NULL;
	struct fl_stats *s = NULL;
	double *row;
	size_t j, n;

	if (put_input(data, size) < 0)
		abort();
	if (fl_csv_open(&c, tmpl, &err) == 0) {
		n = fl_csv_ncols(c);
		for (j = 0; j < n; j++)
			(void)fl_csv_find(c, fl_csv_colname(c, j));
		if ((row = calloc(n + 1, sizeof(*row))) != NULL) {
			while (fl_csv_next(c, row, &err) == 1)
				(void)fl_csv_line(c);
			free(row);
		}
	}
	fl_csv_free(c);
	if (fl_stats_from_csv(&s, tmpl, &err) == 0) {
		struct fl_colstats cs;

		for (j = 0; j < fl_stats_ncols(s); j++) {
			fl_stats_col(s, j, &cs);
			(void)fl_stats_mean(s, j);
			(void)fl_stats_sd(s, j);
		}
	}
	fl_stats_free(s);
	return 0;
}
