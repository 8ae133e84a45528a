/*
 * cli-summary.c: the one-line summary every tool prints on stderr when
 * stderr is a terminal or with -v (cli-summary.h).
 */
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "fl.h"
#include "cli.h"
#include "cli-summary.h"

int
fl_summary_on(int verbose)
{
	return verbose > 0 || (verbose == 0 && isatty(STDERR_FILENO));
}

void
fl_summary(int verbose, const char *fmt, ...)
{
	va_list ap;

	if (!fl_summary_on(verbose))
		return;
	fprintf(stderr, "%s: ", fl_progname());
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
}

/* An integer field of the manifest, or -1. */
static json_int_t
get_int(json_t *man, const char *key)
{
	json_t *v = json_object_get(man, key);

	return json_is_integer(v) ? json_integer_value(v) : -1;
}

void
fl_summary_archive(int verbose, struct fl_archive *a)
{
	json_t *man = fl_archive_manifest(a);
	const char *kind = json_string_value(json_object_get(man, "kind"));
	const char *strategy;
	size_t n = json_array_size(json_object_get(man, "contributors"));
	json_int_t samples = get_int(man, "samples");

	if (kind == NULL)
		return;
	if (strcmp(kind, "model") == 0) {
		strategy = json_string_value(json_object_get(man, "strategy"));
		fl_summary(verbose, "round %lld: %zu update%s merged, %lld "
		    "samples, %s", (long long)get_int(man, "round"), n,
		    n == 1 ? "" : "s", (long long)samples,
		    strategy != NULL ? strategy : "no strategy");
	} else if (strcmp(kind, "stats") == 0)
		fl_summary(verbose, "statistics of %zu site%s merged: %lld "
		    "rows, %zu columns", n, n == 1 ? "" : "s",
		    (long long)get_int(man, "rows"),
		    json_array_size(json_object_get(man, "columns")));
	else if (strcmp(kind, "metrics") == 0)
		fl_summary(verbose, "metrics of %zu site%s merged: %lld rows",
		    n, n == 1 ? "" : "s", (long long)samples);
}
