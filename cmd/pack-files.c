/*
 * pack-files.c: fl-pack create and extract, between an archive and a
 * directory holding its two members, manifest.json and
 * tensors.safetensors (lib/format/pack.c).  The manual is man/fl-pack.1;
 * the format is man/fl-archive.5.
 */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "fl.h"
#include "cli.h"
#include "pack.h"

/* "a model archive of 2 tensors, id sha256:4fd5dcd9f747...", for a's
 * summary line, into buf. */
static void
describe(const struct fl_archive *a, char *buf, size_t size)
{
	const char *kind = fl_kind_name(fl_archive_kind(a));
	size_t n = fl_archive_ntensors(a);

	snprintf(buf, size, "%s %s archive of %zu tensor%s, id %.19s...",
	    fl_article(kind), kind, n, n == 1 ? "" : "s",
	    fl_archive_id(a) != NULL ? fl_archive_id(a) : "none");
}

static const struct fl_opt extract_opts[] = {
	{ "directory", 'C', "DIR", "write into DIR, created if absent "
	    "(default: .)", 0 },
	OPT_QUIET,
	OPT_VERBOSE,
	OPT_HELP,
	OPT_END
};

const struct fl_cmd pack_extract_cmd = {
	"usage: fl-pack extract [-qv] [-C dir] [archive]",
	"Write manifest.json and tensors.safetensors of one archive into a "
	"directory.\n", extract_opts, NULL, NULL, 0
};

/* Write the members of one archive into a directory. */
int
pack_extract(int argc, char **argv)
{
	struct fl_err err = FL_ERR_INIT;
	struct fl_archive *a = NULL;
	const char *dir = ".", *path;
	char what[160];
	int rc = 0;

	while (pack_getopt(argc, argv) == 'C')
		dir = optarg;
	path = pack_operand(argc, argv);
	if (fl_archive_read_file(path, &a, &err) < 0 ||
	    fl_archive_write_dir(a, dir, &err) < 0)
		rc = fl_report(&err);
	else {
		describe(a, what, sizeof(what));
		pack_note("%s: %s, into %s (manifest.json, "
		    "tensors.safetensors)", fl_in_name(path), what, dir);
	}
	fl_archive_free(a);
	return rc;
}

enum { OPT_COMPRESS = 256 };

static const struct fl_opt create_opts[] = {
	{ "directory", 'C', "DIR", "read from DIR (default: .)", 0 },
	{ "compress", 0, "ALG", "none, gzip or zstd (default: none)",
	    OPT_COMPRESS },
	{ "output", 'o', "FILE", "write FILE (default: stdout)", 0 },
	OPT_QUIET,
	OPT_VERBOSE,
	OPT_HELP,
	OPT_END
};

const struct fl_cmd pack_create_cmd = {
	"usage: fl-pack create [-qv] [-C dir] [--compress none|gzip|zstd] "
	"[-o file]",
	"Build an archive from DIR/manifest.json and DIR/tensors.safetensors,"
	"\ncomputing its id.\n", create_opts, NULL, NULL, 0
};

/* Build an archive from a directory's manifest.json and
 * tensors.safetensors, computing its id. */
int
pack_create(int argc, char **argv)
{
	struct fl_err err = FL_ERR_INIT;
	struct fl_archive *a = NULL;
	struct fl_out *out = NULL;
	const char *dir = ".", *opath = NULL, *compname = "none";
	char what[160];
	int ch, comp = FL_COMPRESS_NONE;

	while ((ch = pack_getopt(argc, argv)) != -1)
		switch (ch) {
		case 'C':
			dir = optarg;
			break;
		case 'o':
			opath = optarg;
			break;
		case OPT_COMPRESS:
			if ((comp = fl_compress_parse(optarg)) < 0)
				verb_error("--compress: '%s' is not one of "
				    "none, gzip, zstd", optarg);
			compname = optarg;
			break;
		}
	if (optind != argc)
		verb_error("unexpected operand '%s'", argv[optind]);
	fl_refuse_tty(opath);
	if (fl_archive_read_dir(dir, &a, &err) < 0 ||
	    fl_out_open(&out, opath, &err) < 0)
		goto fail;
	if (fl_archive_write(a, fl_out_stream(out), fl_out_name(out),
	    (enum fl_compress)comp, &err) < 0)
		goto fail;
	if (fl_out_commit(out, &err) < 0) {
		out = NULL;
		goto fail;
	}
	describe(a, what, sizeof(what));
	pack_note("%s: %s, from %s (compression: %s)", pack_out_name(opath),
	    what, dir, compname);
	fl_archive_free(a);
	return 0;
fail:
	fl_out_abort(out);
	fl_archive_free(a);
	return fl_report(&err);
}
