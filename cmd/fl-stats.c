/*
 * fl-stats: per-column statistics of a CSV file (count, missing, sum, sum
 * of squares, min, max) as a stats archive, or as a table.  The work is in
 * lib/stats.c; the manual is man/fl-stats.1.
 */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "fl.h"

static const char usage[] =
    "usage: fl-stats [-q] [--tsv] [-o file] (--data file.csv | archive)";

struct opts {
	const char	*data;		/* CSV to compute, or NULL */
	const char	*archive;	/* stats archive to read, or NULL */
	const char	*out;		/* NULL: stdout */
	int		 quiet;
	int		 tsv;
};

enum { OPT_DATA = 256, OPT_TSV };

static void
help(void)
{
	printf("%s\n\n"
	    "Compute the per-column statistics of a CSV file (--data), or "
	    "read a stats\narchive, and write them as a stats archive or, "
	    "with --tsv, as a table.\n\n"
	    "  --data file.csv    read the CSV file (- for stdin)\n"
	    "  -o, --output file  write to file, atomically "
	    "(default: stdout)\n"
	    "  -q, --quiet        print nothing on stderr but errors\n"
	    "  --tsv              print a tab-separated table instead of an "
	    "archive\n"
	    "  -h, --help         print this help and exit\n"
	    "  -V, --version      print the version and exit\n", usage);
}

static void
parse_args(int argc, char **argv, struct opts *o)
{
	static const struct option longopts[] = {
		{ "data",	required_argument,	NULL, OPT_DATA },
		{ "help",	no_argument,		NULL, 'h' },
		{ "output",	required_argument,	NULL, 'o' },
		{ "quiet",	no_argument,		NULL, 'q' },
		{ "tsv",	no_argument,		NULL, OPT_TSV },
		{ "version",	no_argument,		NULL, 'V' },
		{ NULL,		0,			NULL, 0 }
	};
	int ch;

	opterr = 0;
	while ((ch = getopt_long(argc, argv, ":ho:qV", longopts, NULL)) != -1)
		switch (ch) {
		case 'h':
			help();
			exit(fl_close_stdout());
		case 'o':
			o->out = optarg;
			break;
		case 'q':
			o->quiet = 1;
			break;
		case 'V':
			fl_print_version();
			exit(fl_close_stdout());
		case OPT_DATA:
			o->data = optarg;
			break;
		case OPT_TSV:
			o->tsv = 1;
			break;
		default:
			fl_opt_error(usage, ch, argv);
		}
	if (optind < argc)
		o->archive = argv[optind++];
	if (optind < argc)
		fl_usage_error(usage, "unexpected operand '%s'", argv[optind]);
	if (o->data != NULL && o->archive != NULL)
		fl_usage_error(usage, "--data and an archive operand conflict");
	if (o->data == NULL && o->archive == NULL)
		fl_usage_error(usage, "missing --data or an archive operand");
}

/* The statistics of the CSV, or those held by the stats archive. */
static int
load(struct fl_stats **s, const struct opts *o, struct fl_err *err)
{
	struct fl_archive *a = NULL;
	int rc;

	if (o->data != NULL)
		return fl_stats_from_csv(s, o->data, err);
	if ((rc = fl_archive_read_file(o->archive, &a, err)) < 0)
		return rc;
	if ((rc = fl_stats_from_archive(s, a, err)) < 0)
		fl_err_prefix(err, "%s", fl_in_name(o->archive));
	fl_archive_free(a);
	return rc;
}

/* Write the table or the archive to -o or stdout, atomically. */
static int
write_out(const struct fl_stats *s, const struct opts *o, struct fl_err *err)
{
	struct fl_archive *a = NULL;
	struct fl_out *out = NULL;
	json_t *man;
	int rc;

	if (!o->tsv) {
		if ((rc = fl_stats_to_archive(s, &a, err)) < 0)
			return rc;
		man = fl_archive_manifest(a);
		if (json_object_set_new(man, "site", json_null()) < 0 ||
		    json_object_set_new(man, "samples",
		    json_integer((json_int_t)fl_stats_rows(s))) < 0 ||
		    json_object_set_new(man, "round", json_integer(0)) < 0 ||
		    json_object_set_new(man, "parent", json_null()) < 0) {
			fl_archive_free(a);
			return fl_err_set(err, FL_ENOMEM, "out of memory");
		}
		if ((rc = fl_manifest_set_writer(man, "fl-stats", err)) < 0) {
			fl_archive_free(a);
			return rc;
		}
	}
	if ((rc = fl_out_open(&out, o->out, err)) < 0)
		goto out;
	if (o->tsv)
		rc = fl_stats_write_tsv(s, fl_out_stream(out),
		    fl_out_name(out), err);
	else
		rc = fl_archive_write(a, fl_out_stream(out), fl_out_name(out),
		    FL_COMPRESS_NONE, err);
	if (rc < 0)
		fl_out_abort(out);
	else
		rc = fl_out_commit(out, err);
out:
	fl_archive_free(a);
	return rc;
}

int
main(int argc, char **argv)
{
	struct fl_err err = FL_ERR_INIT;
	struct fl_stats *s = NULL;
	struct opts o = { NULL, NULL, NULL, 0, 0 };
	int rc;

	fl_setprogname(argv[0]);
	parse_args(argc, argv, &o);
	if (!o.tsv)
		fl_refuse_tty(o.out);
	if (load(&s, &o, &err) < 0 || write_out(s, &o, &err) < 0)
		rc = fl_report(&err);
	else
		rc = fl_close_stdout();
	fl_stats_free(s);
	return rc;
}
