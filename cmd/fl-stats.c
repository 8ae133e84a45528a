/*
 * fl-stats: per-column statistics of a CSV file (count, missing, sum, sum
 * of squares, min, max) as a stats archive, or as a table.  The work is in
 * lib/stats/stats.c; the manual is man/fl-stats.1.
 */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "fl.h"
#include "cli.h"
#include "cli-summary.h"

static const char usage[] =
    "usage: fl-stats [-qv] [--tsv | --table1 | --curve km] [-o file]\n"
    "                [--bins-from pooled.fls [--bins n]] [--survival time,event]\n"
    "                [--min-count k] [--dp-epsilon e] [--site name]\n"
    "                [--categorical a,b,...]\n"
    "                [--data file.csv [--image-column col] | archive]";

struct opts {
	const char	*data;		/* CSV to compute, or NULL */
	const char	*archive;	/* stats archive to read, or NULL */
	const char	*out, *bins_from;	/* out NULL: stdout */
	int		 quiet, verbose, tsv;	/* tsv 1 table, 2 table 1, 3 KM */
	const char	*site;		/* named in the archive written */
	char		 sitebuf[FL_NAME_MAX + 1];
	json_t		*from;		/* the archive read's manifest */
	struct fl_stats_opts so;
};

enum { OPT_DATA = 256, OPT_TSV, OPT_BINS, OPT_BINS_FROM, OPT_CURVE, OPT_DP,
	OPT_MINCOUNT, OPT_SITE, OPT_SURV, OPT_TABLE1, OPT_IMAGE, OPT_CAT };

static const struct fl_opt options[] = {
	{ "data", 0, "file.csv", "read the CSV file (- for stdin)", OPT_DATA },
	{ "image-column", 0, "col", "column COL of the CSV names PNG files (relative\n"
	    "to the CSV) whose pixels are the columns px0,\npx1, ... "
	    "(CxHxW order)", OPT_IMAGE },
	{ "categorical", 0, "a,b", "record these columns' levels (up to 64 "
	    "each);\ntheir cells may be text", OPT_CAT },
	{ "output", 'o', "file", "write to file, atomically (default: stdout)",
	    0 },
	{ "quiet", 'q', NULL, "print nothing on stderr but errors", 0 },
	{ "verbose", 'v', NULL, "print the summary line even when stderr is\n"
	    "not a terminal", 0 },
	{ "tsv", 0, NULL, "print a tab-separated table instead of an archive",
	    OPT_TSV },
	{ "table1", 0, NULL, "print table 1: n missing mean sd median q1 q3\n"
	    "quantile_error ones percent (quantiles need\nhistograms; "
	    "a 0/1 column and the levels of\na --categorical column give "
	    "ones and percent)", OPT_TABLE1 },
	{ "curve", 0, "km", "print the Kaplan-Meier curve: time survival "
	    "at_risk\nevents", OPT_CURVE },
	{ "bins-from", 0, "file", "histograms on the grid [min, max] of each "
	    "column\nof this (pooled) stats archive", OPT_BINS_FROM },
	{ "bins", 0, "n", "histogram bins (default 100)", OPT_BINS },
	{ "survival", 0, "t,e", "a Kaplan-Meier table of time column t and "
	    "event\ncolumn e (0 or 1)", OPT_SURV },
	{ "min-count", 0, "k", "suppress cells from fewer than k patients",
	    OPT_MINCOUNT },
	{ "dp-epsilon", 0, "e", "add Laplace noise to histogram and KM cells",
	    OPT_DP },
	{ "site", 0, "name", "the site named in the archive, 1 to 128 of\n"
	    "A-Z a-z 0-9 . _ - (default: the data file's name\n"
	    "without its extension; required for stdin)", OPT_SITE },
	{ "help", 'h', NULL, "print this help and exit", 0 },
	{ "version", 'V', NULL, "print the version and exit", 0 },
	{ NULL, 0, NULL, NULL, 0 }
};

static const struct fl_cmd cmd = {
	usage,
	"Compute the per-column statistics of a CSV file (--data), or read a "
	"stats\narchive (standard input without an operand), and write them "
	"as a stats\narchive or, with --tsv, as a table.\n", options, NULL,
	NULL, 0
};

static void
parse_args(int argc, char **argv, struct opts *o)
{
	char *comma;
	int ch, views = 0;

	while ((ch = fl_getopt(&cmd, argc, argv)) != -1)
		switch (ch) {
		case 'o':
			o->out = optarg;
			break;
		case 'q':
			o->quiet = 1;
			o->verbose = 0;
			break;
		case 'v':
			o->verbose = 1;
			o->quiet = 0;
			break;
		case OPT_DATA:
			o->data = optarg;
			break;
		case OPT_IMAGE:
			o->so.image_column = optarg;
			break;
		case OPT_CAT:
			free((void *)o->so.categorical);
			o->so.categorical = fl_opt_list(usage, "--categorical",
			    optarg, &o->so.ncategorical);
			break;
		case OPT_TSV:
			o->tsv = 1;
			views++;
			break;
		case OPT_TABLE1:
			o->tsv = 2;
			views++;
			break;
		case OPT_CURVE:
			if (strcmp(optarg, "km") != 0)
				fl_usage_error(usage, "--curve: unknown curve "
				    "'%s' (km)", optarg);
			o->tsv = 3;
			views++;
			break;
		case OPT_BINS:
			o->so.bins = (size_t)fl_opt_long(usage, "--bins",
			    optarg, 1, 100000);
			break;
		case OPT_BINS_FROM:
			o->bins_from = optarg;
			break;
		case OPT_DP:
			o->so.epsilon = fl_opt_double(usage, "--dp-epsilon",
			    optarg, 1e-6, 1e6);
			break;
		case OPT_MINCOUNT:
			o->so.min_count = (size_t)fl_opt_long(usage,
			    "--min-count", optarg, 1, 1000000);
			break;
		case OPT_SITE:
			o->site = optarg;
			break;
		case OPT_SURV:
			if ((comma = strchr(optarg, ',')) == NULL ||
			    comma == optarg || comma[1] == '\0' ||
			    strchr(comma + 1, ',') != NULL)
				fl_usage_error(usage, "--survival: want "
				    "TIME,EVENT, not '%s'", optarg);
			/* argv is ours to split: no copy to free. */
			*comma = '\0';
			o->so.time = optarg;
			o->so.event = comma + 1;
			break;
		}
	if (optind < argc)
		o->archive = argv[optind++];
	if (optind < argc)
		fl_usage_error(usage, "unexpected operand '%s'", argv[optind]);
	if (o->data != NULL && o->archive != NULL)
		fl_usage_error(usage, "--data and an archive operand conflict");
	/* No CSV and no operand: an archive on stdin, as for "-". */
	if (o->data == NULL && o->archive == NULL)
		o->archive = "-";
	if (views > 1)
		fl_usage_error(usage, "--tsv, --table1 and --curve conflict");
	if (o->data == NULL && (o->bins_from != NULL || o->so.time != NULL ||
	    o->so.min_count > 0 || o->so.epsilon > 0 ||
	    o->so.image_column != NULL || o->so.categorical != NULL))
		fl_usage_error(usage, "--bins-from, --survival, --min-count, "
		    "--dp-epsilon, --categorical and --image-column need "
		    "--data");
	if (o->so.bins > 0 && o->bins_from == NULL)
		fl_usage_error(usage, "--bins needs --bins-from");
	o->so.bins = o->so.bins > 0 ? o->so.bins : 100;
	if (o->site != NULL && (o->data == NULL || o->tsv))
		fl_usage_error(usage, "--site needs --data and an archive to "
		    "write");
	if (o->data != NULL && !o->tsv) {
		struct fl_err err = FL_ERR_INIT;

		if (fl_site_choose(o->site, NULL, o->data, o->sitebuf,
		    sizeof(o->sitebuf), &o->site, &err) < 0)
			fl_usage_error(usage, "%s", err.msg);
	}
}

/* The statistics of the CSV, or those held by the stats archive. */
static int
load(struct fl_stats **s, const struct opts *o, struct fl_err *err)
{
	struct fl_archive *a = NULL;
	int rc;

	if (o->data != NULL && o->bins_from != NULL) {
		struct fl_stats *grid = NULL;

		if ((rc = fl_archive_read_file(o->bins_from, &a, err)) < 0)
			return rc;
		if ((rc = fl_stats_from_archive(&grid, a, err)) < 0)
			fl_err_prefix(err, "%s", o->bins_from);
		fl_archive_free(a);
		if (rc < 0)
			return rc;
		((struct opts *)o)->so.grid = grid;
		rc = fl_stats_from_csv_opts(s, o->data, &o->so, err);
		fl_stats_free(grid);
		return rc;
	}
	if (o->data != NULL)
		return fl_stats_from_csv_opts(s, o->data, &o->so, err);
	if ((rc = fl_archive_read_file(o->archive, &a, err)) < 0)
		return rc;
	if ((rc = fl_stats_from_archive(s, a, err)) < 0)
		fl_err_prefix(err, "%s", fl_in_name(o->archive));
	/* An archive written back keeps whose statistics these are. */
	((struct opts *)o)->from = json_incref(fl_archive_manifest(a));
	fl_archive_free(a);
	return rc;
}

/* Write the table or the archive to -o or stdout, atomically. */
static int
write_out(const struct fl_stats *s, const struct opts *o, struct fl_err *err)
{
	struct fl_archive *a = NULL;
	struct fl_out *out = NULL;
	json_t *man, *site;
	int rc;

	if (!o->tsv) {
		if ((rc = fl_stats_to_archive(s, &a, err)) < 0)
			return rc;
		man = fl_archive_manifest(a);
		site = json_object_get(o->from, "site");
		if (json_object_set_new(man, "site", o->site != NULL ?
		    json_string(o->site) : site != NULL ?
		    json_deep_copy(site) : json_null()) < 0 ||
		    (json_object_get(o->from, "contributors") != NULL &&
		    json_object_set_new(man, "contributors", json_deep_copy(
		    json_object_get(o->from, "contributors"))) < 0) ||
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
	if (o->tsv == 3)
		rc = fl_stats_write_km(s, fl_out_stream(out),
		    fl_out_name(out), err);
	else if (o->tsv == 2)
		rc = fl_stats_write_table1(s, fl_out_stream(out),
		    fl_out_name(out), err);
	else if (o->tsv)
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
	struct opts o = { 0 };
	int rc;

	fl_setprogname(argv[0]);
	parse_args(argc, argv, &o);
	if (!o.tsv)
		fl_refuse_tty(o.out);
	if (load(&s, &o, &err) < 0 || write_out(s, &o, &err) < 0)
		rc = fl_report(&err);
	else if ((rc = fl_close_stdout()) == 0 && !o.tsv)
		fl_summary(o.quiet ? -1 : o.verbose, "%s: %zu rows, %zu columns",
		    fl_in_name(o.data != NULL ? o.data : o.archive),
		    fl_stats_rows(s), fl_stats_ncols(s));
	fl_stats_free(s);
	free((void *)o.so.categorical);
	json_decref(o.from);
	return rc;
}
