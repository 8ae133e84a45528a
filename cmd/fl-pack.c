/*
 * fl-pack: look inside, take apart and put together fl archives.  A thin
 * front end over the archive layer (lib/format/archive.c, pack.c) and the
 * trust layer (lib/trust/trust.c, seal.c; the verbs in cmd/pack-trust.c,
 * pack-files.c and pack-recover.c); each verb has its own option table,
 * and is dispatched through a table as git.c does.  The manual is
 * man/fl-pack.1; the format is man/fl-archive.5.
 */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "fl.h"
#include "cli.h"
#include "pack.h"

#define USAGE "usage: fl-pack [-hV] [--max-bytes n] verb [options] [archive]"

const struct fl_cmd *pack_verb;	/* the running verb */

/* The options of the verbs that take only --help. */
const struct fl_opt pack_help_only[] = { OPT_HELP, OPT_END };

/* The options of the verbs that take only --key and --help. */
const struct fl_opt pack_key_only[] = { OPT_KEY_IN, OPT_HELP, OPT_END };

/* The optional archive operand after the options: NULL means stdin. */
const char *
pack_operand(int argc, char **argv)
{
	if (argc - optind > 1)
		verb_error("too many operands");
	return argc - optind == 1 ? argv[optind] : NULL;
}

/* Options of verbs that take only --help. */
void
pack_parse_help_only(int argc, char **argv)
{
	while (fl_getopt(pack_verb, argc, argv) != -1)
		;
}

/* Options of verbs that take only --key and --help. */
const char *
pack_parse_key_only(int argc, char **argv, const char **key)
{
	*key = NULL;
	while (fl_getopt(pack_verb, argc, argv) == PACK_OPT_KEY)
		*key = optarg;
	return pack_operand(argc, argv);
}

/* Print each archive's manifest, one after another; --key opens sealed
 * input. */
static int
cmd_manifest(int argc, char **argv)
{
	struct fl_err err = FL_ERR_INIT;
	struct fl_seckey *sk = NULL;
	struct fl_reader *r = NULL;
	const char *key, *path;
	FILE *f = NULL;
	int rc = 0;

	path = pack_parse_key_only(argc, argv, &key);
	if ((key != NULL && fl_seckey_read(&sk, key, &err) < 0) ||
	    (f = fl_in_open(path, &err)) == NULL ||
	    fl_reader_open_key(&r, f, fl_in_name(path), sk, &err) < 0 ||
	    fl_reader_print_manifests(r, fl_in_name(path), stdout, "<stdout>",
	    &err) < 0)
		rc = fl_report(&err);
	fl_reader_free(r);
	fl_in_close(f);
	fl_seckey_free(sk);
	return rc;
}

/* List the tensors of one archive as TSV. */
static int
cmd_list(int argc, char **argv)
{
	struct fl_err err = FL_ERR_INIT;
	struct fl_archive *a = NULL;
	int rc = 0;

	pack_parse_help_only(argc, argv);
	if (fl_archive_read_file(pack_operand(argc, argv), &a, &err) < 0 ||
	    fl_archive_list(a, stdout, "<stdout>", &err) < 0)
		rc = fl_report(&err);
	fl_archive_free(a);
	return rc;
}

static const struct fl_cmd manifest_cmd = {
	"usage: fl-pack manifest [--key key] [archive]",
	"Print the manifest of each archive read (stdin without an "
	"operand).\n", pack_key_only, NULL, NULL, 0
};

static const struct fl_cmd list_cmd = {
	"usage: fl-pack list [archive]",
	"List the tensors of an archive, one per line: name, dtype and shape\n"
	"(dimensions joined by commas; empty for a scalar), after a header "
	"line.\n", pack_help_only, NULL, NULL, 0
};

/* The verbs; a verb is listed here and in the manual only once it works. */
static const struct verb {
	const char		*name;
	int			(*fn)(int, char **);
	const struct fl_cmd	*cmd;	/* its usage, help and options */
	const char		*summary;
} verbs[] = {
	{ "create", pack_create, &pack_create_cmd,
	    "build an archive from a directory" },
	{ "extract", pack_extract, &pack_extract_cmd,
	    "write an archive's members into a directory" },
	{ "list", cmd_list, &list_cmd, "list the tensors, tab-separated" },
	{ "log", pack_log, &pack_log_cmd, "print a model's history of rounds" },
	{ "manifest", cmd_manifest, &manifest_cmd,
	    "print the manifest of each archive" },
	{ "open", pack_open, &pack_open_cmd, "decrypt a sealed file" },
	{ "recover", pack_recover, &pack_recover_cmd,
	    "answer a masked round's recovery request" },
	{ "seal", pack_seal, &pack_seal_cmd,
	    "encrypt for one or more recipients" },
	{ "sign", pack_sign, &pack_sign_cmd, "sign an archive" },
	{ "verify", pack_verify, &pack_verify_cmd,
	    "check the signatures of each archive" },
};
#define NVERBS (sizeof(verbs) / sizeof(verbs[0]))

/* The "Verbs:" paragraph of fl-pack --help. */
static void
verbs_help(void)
{
	size_t i;

	printf("Verbs:\n");
	for (i = 0; i < NVERBS; i++)
		printf("  %-10s %s\n", verbs[i].name, verbs[i].summary);
	printf("\n");
}

enum { OPT_MAX_BYTES = 256 };

static const struct fl_opt options[] = {
	{ "max-bytes", 0, "N", "refuse an archive whose tensors take more "
	    "than N bytes\nonce decompressed (K, M, G, T: powers of 1024;\n"
	    "default: $FL_MAX_BYTES, else 512M)", OPT_MAX_BYTES },
	OPT_HELP,
	{ "version", 'V', NULL, "show the version", 0 },
	OPT_END
};

static const struct fl_cmd cmd = {
	USAGE, NULL, options, verbs_help, "An archive operand of '-', or "
	"none, means stdin.  'fl-pack VERB --help' describes a verb.\n",
	FL_CMD_INORDER
};

int
main(int argc, char **argv)
{
	uint64_t max;
	size_t i;
	int rc;

	fl_setprogname(argv[0]);
	while (fl_getopt(&cmd, argc, argv) == OPT_MAX_BYTES) {
		/* Every reader the verb opens, in lib/ too, takes its cap
		 * from FL_MAX_BYTES. */
		if (fl_size_parse(optarg, &max) < 0)
			fl_usage_error(USAGE, "--max-bytes: '%s' is not a size",
			    optarg);
		if (setenv("FL_MAX_BYTES", optarg, 1) < 0) {
			fl_warnx("setenv: out of memory");
			return FL_EXIT_FAIL;
		}
	}
	if (optind == argc)
		fl_usage_error(USAGE, "missing verb");
	for (i = 0; i < NVERBS; i++)
		if (strcmp(argv[optind], verbs[i].name) == 0)
			break;
	if (i == NVERBS)
		fl_usage_error(USAGE, "unknown verb '%s'", argv[optind]);
	pack_verb = verbs[i].cmd;
	argc -= optind;
	argv += optind;
	optind = 0;	/* restart getopt on the verb's arguments */
	rc = verbs[i].fn(argc, argv);
	if (rc == 0 && (rc = fl_close_stdout()) == 0)
		pack_summary();
	return rc;
}
