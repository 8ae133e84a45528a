/*
 * pack-summary.c: the one line fl-pack's verbs that write something
 * (create, extract, sign, seal, open, recover) print on stderr to say
 * what they did, when stderr is a terminal or with -v (cli-summary.h).
 * A verb notes its line; main prints it only once the verb succeeded and
 * stdout closed cleanly, so that no summary follows a failure.
 */
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "fl.h"
#include "cli.h"
#include "cli-summary.h"
#include "pack.h"

/* -q -1, -v 1, else 0; the last of -q and -v given counts. */
static int verbose;
static char note[1024];

int
pack_getopt(int argc, char **argv)
{
	int c;

	while ((c = fl_getopt(pack_verb, argc, argv)) == 'q' || c == 'v')
		verbose = c == 'v' ? 1 : -1;
	return c;
}

const char *
pack_out_name(const char *path)
{
	return path == NULL || strcmp(path, "-") == 0 ? "<stdout>" : path;
}

void
pack_note(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(note, sizeof(note), fmt, ap);
	va_end(ap);
}

void
pack_note_names(char *buf, size_t size, const char *const *names,
    size_t n)
{
	size_t i, at = 0;

	buf[0] = '\0';
	for (i = 0; i < n && at < size; i++)
		at += (size_t)snprintf(buf + at, size - at, "%s%s",
		    i > 0 ? ", " : "", names[i]);
}

void
pack_summary(void)
{
	if (note[0] != '\0')
		fl_summary(verbose, "%s", note);
}
