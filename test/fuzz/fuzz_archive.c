/*
 * fuzz_archive.c: libFuzzer target for the archive reader (lib/format/archive.c):
 * the input is a byte stream of zero or more archives, plain, gzip or
 * zstd.  Every archive in it is read, and what comes out is handed to
 * fl_model_from_archive, fl_stats_from_archive and fl_fedeval_from_archive
 * (with the metrics computed).  Run by `make fuzz`.
 */
#include <stdio.h>
#include <stdlib.h>

#include "fl.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct fl_err err = FL_ERR_INIT;
	struct fl_reader *r = NULL;
	struct fl_archive *a = NULL;
	struct fl_model *m;
	struct fl_stats *s;
	struct fl_fedeval *e;
	struct fl_fedeval_bounds b;
	struct fl_metrics met;
	FILE *f;
	int rc, n = 0;

	if (size == 0)
		return 0;	/* fmemopen refuses an empty buffer */
	if ((f = fmemopen((void *)data, size, "rb")) == NULL)
		return 0;
	if (fl_reader_open(&r, f, "fuzz", &err) < 0)
		goto out;
	/* The archive is reused from one call to the next, as the tools
	 * do when streaming; a bounded count keeps one input fast. */
	while (n++ < 64 && (rc = fl_reader_next(r, &a, &err)) == 1) {
		m = NULL;
		if (fl_model_from_archive(&m, a, &err) == 0)
			(void)fl_model_nparams(m);
		fl_model_free(m);
		s = NULL;
		if (fl_stats_from_archive(&s, a, &err) == 0)
			(void)fl_stats_ncols(s);
		fl_stats_free(s);
		e = NULL;
		if (fl_fedeval_from_archive(&e, a, &err) == 0)
			(void)fl_fedeval_metrics(e, &met, &b, &err);
		fl_fedeval_free(e);
	}
out:
	fl_archive_free(a);
	fl_reader_free(r);
	fclose(f);
	return 0;
}
