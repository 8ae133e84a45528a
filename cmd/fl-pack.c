/*
 * fl-pack: look inside, take apart and put together fl archives.  A thin
 * front end over the archive layer (lib/archive.c, pack.c) and the trust
 * layer (lib/trust.c, seal.c); each verb is a static function with its
 * own options, dispatched through a table as git.c does.  The manual is
 * man/fl-pack.1; the format is man/fl-archive.5.
 */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "fl.h"
#include "cli.h"

#define USAGE "usage: fl-pack [-hV] [--max-bytes n] verb [options] [archive]"

static const char *verb_usage;	/* the running verb's usage line */

/* Usage error for the running verb; exits 2. */
#define verb_error(...) fl_usage_error(verb_usage, __VA_ARGS__)

static const struct option help_only[] = {
	{ "help", no_argument, NULL, 'h' },
	{ NULL, 0, NULL, 0 }
};

static void
verb_help(const char *text)
{
	printf("%s\n%s", verb_usage, text);
	exit(fl_close_stdout());
}

/* The optional archive operand after the options: NULL means stdin. */
static const char *
one_operand(int argc, char **argv)
{
	if (argc - optind > 1)
		verb_error("too many operands");
	return argc - optind == 1 ? argv[optind] : NULL;
}

/* Options of verbs that take only --help. */
static void
parse_help_only(int argc, char **argv, const char *help)
{
	int ch;

	while ((ch = getopt_long(argc, argv, ":h", help_only, NULL)) != -1)
		switch (ch) {
		case 'h':
			verb_help(help);
			break;
		default:
			fl_opt_error(verb_usage, ch, argv);
		}
}

/* Print each archive's manifest, one after another. */
static int
cmd_manifest(int argc, char **argv)
{
	struct fl_err err = FL_ERR_INIT;
	struct fl_reader *r = NULL;
	const char *path;
	FILE *f;
	int rc = 0;

	parse_help_only(argc, argv, "Print the manifest of each archive "
	    "read (stdin without an operand).\n\n"
	    "  -h, --help  show this help\n");
	path = one_operand(argc, argv);
	if ((f = fl_in_open(path, &err)) == NULL)
		return fl_report(&err);
	if (fl_reader_open(&r, f, fl_in_name(path), &err) < 0 ||
	    fl_reader_print_manifests(r, fl_in_name(path), stdout, "<stdout>",
	    &err) < 0)
		rc = fl_report(&err);
	fl_reader_free(r);
	fl_in_close(f);
	return rc;
}

/* List the tensors of one archive as TSV. */
static int
cmd_list(int argc, char **argv)
{
	struct fl_err err = FL_ERR_INIT;
	struct fl_archive *a = NULL;
	int rc = 0;

	parse_help_only(argc, argv, "List the tensors of an archive, one per "
	    "line: name, dtype and shape\n(dimensions joined by commas; "
	    "empty for a scalar), after a header line.\n\n"
	    "  -h, --help  show this help\n");
	if (fl_archive_read_file(one_operand(argc, argv), &a, &err) < 0 ||
	    fl_archive_list(a, stdout, "<stdout>", &err) < 0)
		rc = fl_report(&err);
	fl_archive_free(a);
	return rc;
}

/* Write the members of one archive into a directory. */
static int
cmd_extract(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "directory", required_argument, NULL, 'C' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 }
	};
	struct fl_err err = FL_ERR_INIT;
	struct fl_archive *a = NULL;
	const char *dir = ".";
	int ch, rc = 0;

	while ((ch = getopt_long(argc, argv, ":C:h", opts, NULL)) != -1)
		switch (ch) {
		case 'C':
			dir = optarg;
			break;
		case 'h':
			verb_help("Write manifest.json and tensors.safetensors "
			    "of one archive into a directory.\n\n"
			    "  -C, --directory DIR  write into DIR, created "
			    "if absent (default: .)\n"
			    "  -h, --help           show this help\n");
			break;
		default:
			fl_opt_error(verb_usage, ch, argv);
		}
	if (fl_archive_read_file(one_operand(argc, argv), &a, &err) < 0 ||
	    fl_archive_write_dir(a, dir, &err) < 0)
		rc = fl_report(&err);
	fl_archive_free(a);
	return rc;
}

/* Build an archive from a directory's manifest.json and
 * tensors.safetensors, computing its id. */
static int
cmd_create(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "compress", required_argument, NULL, 'c' },
		{ "directory", required_argument, NULL, 'C' },
		{ "help", no_argument, NULL, 'h' },
		{ "output", required_argument, NULL, 'o' },
		{ NULL, 0, NULL, 0 }
	};
	struct fl_err err = FL_ERR_INIT;
	struct fl_archive *a = NULL;
	struct fl_out *out = NULL;
	const char *dir = ".", *opath = NULL;
	int ch, comp = FL_COMPRESS_NONE;

	while ((ch = getopt_long(argc, argv, ":C:ho:", opts, NULL)) != -1)
		switch (ch) {
		case 'C':
			dir = optarg;
			break;
		case 'c':
			if ((comp = fl_compress_parse(optarg)) < 0)
				verb_error("--compress: '%s' is not one of "
				    "none, gzip, zstd", optarg);
			break;
		case 'h':
			verb_help("Build an archive from DIR/manifest.json and "
			    "DIR/tensors.safetensors,\ncomputing its id.\n\n"
			    "  -C, --directory DIR  read from DIR (default: .)"
			    "\n"
			    "      --compress ALG   none, gzip or zstd "
			    "(default: none)\n"
			    "  -o, --output FILE    write FILE (default: "
			    "stdout)\n"
			    "  -h, --help           show this help\n");
			break;
		case 'o':
			opath = optarg;
			break;
		default:
			fl_opt_error(verb_usage, ch, argv);
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
	fl_archive_free(a);
	return 0;
fail:
	fl_out_abort(out);
	fl_archive_free(a);
	return fl_report(&err);
}

/* ------------------------------------------------------------------------ */
/* Trust: sign, verify, seal, open (lib/key.c, sign.c, seal.c).             */

enum { OPT_KEY = 256, OPT_TRUST, OPT_TO };

/*
 * The options of the verbs that take --key and -o (sign, open): returns
 * the operand (NULL for stdin); exits 2 on misuse and when stdout is a
 * terminal.
 */
static const char *
parse_key_output(int argc, char **argv, const char *help, const char **key,
    const char **opath)
{
	static const struct option opts[] = {
		{ "help", no_argument, NULL, 'h' },
		{ "key", required_argument, NULL, OPT_KEY },
		{ "output", required_argument, NULL, 'o' },
		{ NULL, 0, NULL, 0 }
	};
	const char *path;
	int ch;

	*key = *opath = NULL;
	while ((ch = getopt_long(argc, argv, ":ho:", opts, NULL)) != -1)
		switch (ch) {
		case 'h':
			verb_help(help);
			break;
		case 'o':
			*opath = optarg;
			break;
		case OPT_KEY:
			*key = optarg;
			break;
		default:
			fl_opt_error(verb_usage, ch, argv);
		}
	path = one_operand(argc, argv);
	if (*key == NULL)
		verb_error("missing --key");
	fl_refuse_tty(*opath);
	return path;
}

static const char sign_help[] =
    "Sign one archive with the secret key KEY "
    "and write it with the signature\nadded (a sig/KEYID "
    "member; the id is unchanged).  The signature is\n"
    "checked against the public key before it is "
    "written.\n\n"
    "      --key KEY      the secret key file "
    "(NAME.key, mode 0600)\n"
    "  -o, --output FILE  write FILE, atomically "
    "(default: stdout)\n"
    "  -h, --help         show this help\n";

/* Sign one archive and write it, with its new signature, atomically. */
static int
cmd_sign(int argc, char **argv)
{
	struct fl_err err = FL_ERR_INIT;
	struct fl_seckey *sk = NULL;
	const char *key, *opath, *path;
	int rc = 0;

	path = parse_key_output(argc, argv, sign_help, &key, &opath);
	if (fl_seckey_read(&sk, key, &err) < 0 ||
	    fl_archive_sign_file(path, sk, opath, &err) < 0)
		rc = fl_report(&err);
	fl_seckey_free(sk);
	return rc;
}

/* fl_reader_verify's report of one archive: its line, or its error. */
static void
verified(void *quiet, const struct fl_archive *a,
    const struct fl_pubkey *who, const struct fl_err *err)
{
	if (err != NULL)
		fl_report(err);
	else if (!*(int *)quiet)
		printf("%s\t%s\t%s\n", who->name, who->keyid,
		    fl_archive_id(a));
}

/*
 * Check the signatures of every archive in the input against the keys in
 * a directory.  One line per archive that verifies: signer, key id and
 * archive id, tab-separated; a failure is reported and the next archive
 * checked.
 */
static int
cmd_verify(int argc, char **argv)
{
	enum { OPT_CHAIN = 300 };
	static const struct option opts[] = {
		{ "chain", no_argument, NULL, OPT_CHAIN },
		{ "help", no_argument, NULL, 'h' },
		{ "quiet", no_argument, NULL, 'q' },
		{ "trust", required_argument, NULL, OPT_TRUST },
		{ NULL, 0, NULL, 0 }
	};
	struct fl_err err = FL_ERR_INIT;
	struct fl_trust *t = NULL;
	struct fl_reader *r = NULL;
	const char *dir = NULL, *path, *name;
	FILE *f = NULL;
	int ch, quiet = 0, chain = 0, rc = 0;

	while ((ch = getopt_long(argc, argv, ":hq", opts, NULL)) != -1)
		switch (ch) {
		case 'h':
			verb_help("Check that each archive read is signed by a "
			    "key in DIR (its *.pub files)\nand that every "
			    "signature by such a key verifies.  Prints one "
			    "line per\narchive: signer, key id, archive id, "
			    "tab-separated.  Exits 3 when any\narchive fails "
			    "to verify.\n\n"
			    "      --trust DIR  the trusted public keys\n"
			    "      --chain      also check each model's history: "
			    "every round\n"
			    "                   linked to the one before it\n"
			    "  -q, --quiet      print nothing on stdout; the "
			    "exit status tells\n"
			    "  -h, --help       show this help\n");
			break;
		case 'q':
			quiet = 1;
			break;
		case OPT_TRUST:
			dir = optarg;
			break;
		case OPT_CHAIN:
			chain = 1;
			break;
		default:
			fl_opt_error(verb_usage, ch, argv);
		}
	path = one_operand(argc, argv);
	name = fl_in_name(path);
	if (dir == NULL)
		verb_error("missing --trust");
	if (fl_trust_load(&t, dir, &err) < 0 ||
	    (f = fl_in_open(path, &err)) == NULL ||
	    fl_reader_open(&r, f, name, &err) < 0)
		rc = fl_report(&err);
	else if ((rc = fl_reader_verify(r, name, t, chain, verified,
	    &quiet)) < 0)
		/* A trust failure outranks a malformed input. */
		rc = rc == FL_EVERIFY ? FL_EXIT_TRUST : FL_EXIT_FAIL;
	fl_reader_free(r);
	fl_in_close(f);
	fl_trust_free(t);
	return rc;
}

/* Encrypt any input for one or more recipients' public keys. */
static int
cmd_seal(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "help", no_argument, NULL, 'h' },
		{ "output", required_argument, NULL, 'o' },
		{ "to", required_argument, NULL, OPT_TO },
		{ NULL, 0, NULL, 0 }
	};
	struct fl_err err = FL_ERR_INIT;
	struct fl_pubkey *keys = NULL;
	const char **files, *opath = NULL, *path;
	size_t nto = 0;
	int ch, rc = 0;

	if ((files = calloc((size_t)argc + 1, sizeof(*files))) == NULL) {
		fl_err_set(&err, FL_ENOMEM, "out of memory");
		return fl_report(&err);
	}
	while ((ch = getopt_long(argc, argv, ":ho:", opts, NULL)) != -1)
		switch (ch) {
		case 'h':
			verb_help("Encrypt the input (any bytes, normally an "
			    "archive) so that only the\nholders of the "
			    "recipients' secret keys can open it.  Output is "
			    "in\nauthenticated 64 KiB chunks; see "
			    "fl-archive(5).\n\n"
			    "      --to KEY.pub    a recipient (repeat for "
			    "more)\n"
			    "  -o, --output FILE   write FILE, atomically "
			    "(default: stdout)\n"
			    "  -h, --help          show this help\n");
			break;
		case 'o':
			opath = optarg;
			break;
		case OPT_TO:
			files[nto++] = optarg;
			break;
		default:
			fl_opt_error(verb_usage, ch, argv);
		}
	path = one_operand(argc, argv);
	if (nto == 0)
		verb_error("missing --to");
	fl_refuse_tty(opath);
	if ((keys = calloc(nto, sizeof(*keys))) == NULL)
		rc = fl_err_set(&err, FL_ENOMEM, "out of memory");
	else if ((rc = fl_pubkey_read_list(keys, files, nto, &err)) ==
	    FL_EUSAGE)
		verb_error("--to: %s", err.msg);	/* a key given twice */
	else if (rc == 0)
		rc = fl_seal_file(path, keys, nto, opath, &err);
	if (rc < 0)
		rc = fl_report(&err);
	free(files);
	free(keys);
	return rc;
}

static const char open_help[] =
    "Decrypt a sealed file with the secret key "
    "KEY.  Nothing is written\nbefore every chunk, the "
    "last one included, has verified.\n\n"
    "      --key KEY      the secret key file "
    "(NAME.key, mode 0600)\n"
    "  -o, --output FILE  write FILE, atomically "
    "(default: stdout)\n"
    "  -h, --help         show this help\n";

/* Decrypt sealed input, publishing nothing before all of it verified. */
static int
cmd_open(int argc, char **argv)
{
	struct fl_err err = FL_ERR_INIT;
	struct fl_seckey *sk = NULL;
	const char *key, *opath, *path;
	int rc = 0;

	path = parse_key_output(argc, argv, open_help, &key, &opath);
	if (fl_seckey_read(&sk, key, &err) < 0 ||
	    fl_unseal_file(path, sk, opath, &err) < 0)
		rc = fl_report(&err);
	fl_seckey_free(sk);
	return rc;
}

/* Print a model's history: one line per update of every round. */
static int
cmd_log(int argc, char **argv)
{
	struct fl_err err = FL_ERR_INIT;
	struct fl_archive *a = NULL;
	const char *path;
	int rc = 0;

	parse_help_only(argc, argv, "Print a model's history, one line per "
	    "update of every round that made\nit: round, parent model id, "
	    "site, samples, update id and signer key id,\ntab-separated, "
	    "after a header line.\n\n"
	    "  -h, --help  show this help\n");
	path = one_operand(argc, argv);
	if (fl_archive_read_file(path, &a, &err) < 0 ||
	    fl_history_print(fl_archive_manifest(a), stdout, &err) < 0) {
		if (a != NULL)
			fl_err_prefix(&err, "%s", fl_in_name(path));
		rc = fl_report(&err);
	}
	fl_archive_free(a);
	return rc;
}

/* The verbs; a verb is listed here and in the manual only once it works. */
static const struct verb {
	const char	*name;
	int		(*fn)(int, char **);
	const char	*usage;
	const char	*summary;
} verbs[] = {
	{ "create", cmd_create,
	    "usage: fl-pack create [-C dir] [--compress none|gzip|zstd] "
	    "[-o file]", "build an archive from a directory" },
	{ "extract", cmd_extract,
	    "usage: fl-pack extract [-C dir] [archive]",
	    "write an archive's members into a directory" },
	{ "list", cmd_list, "usage: fl-pack list [archive]",
	    "list the tensors, tab-separated" },
	{ "log", cmd_log, "usage: fl-pack log [archive]",
	    "print a model's history of rounds" },
	{ "manifest", cmd_manifest, "usage: fl-pack manifest [archive]",
	    "print the manifest of each archive" },
	{ "open", cmd_open, "usage: fl-pack open --key key [-o file] [file]",
	    "decrypt a sealed file" },
	{ "seal", cmd_seal,
	    "usage: fl-pack seal --to key.pub [--to key.pub ...] [-o file] "
	    "[file]", "encrypt for one or more recipients" },
	{ "sign", cmd_sign,
	    "usage: fl-pack sign --key key [-o file] [archive]",
	    "sign an archive" },
	{ "verify", cmd_verify,
	    "usage: fl-pack verify --trust dir [--chain] [-q] [archive]",
	    "check the signatures of each archive" },
};

static void
help(void)
{
	size_t i;

	printf("%s\n\nVerbs:\n", USAGE);
	for (i = 0; i < sizeof(verbs) / sizeof(verbs[0]); i++)
		printf("  %-10s %s\n", verbs[i].name, verbs[i].summary);
	printf("\nOptions:\n"
	    "      --max-bytes N  refuse an archive whose tensors take more "
	    "than N bytes\n"
	    "                     once decompressed (K, M, G, T: powers of "
	    "1024; default:\n"
	    "                     $FL_MAX_BYTES, else 512M)\n"
	    "  -h, --help         show this help\n"
	    "  -V, --version      show the version\n\n"
	    "An archive operand of '-', or none, means stdin.  "
	    "'fl-pack VERB --help' describes a verb.\n");
}

int
main(int argc, char **argv)
{
	enum { OPT_MAX_BYTES = 400 };
	static const struct option opts[] = {
		{ "help", no_argument, NULL, 'h' },
		{ "max-bytes", required_argument, NULL, OPT_MAX_BYTES },
		{ "version", no_argument, NULL, 'V' },
		{ NULL, 0, NULL, 0 }
	};
	uint64_t max;
	size_t i;
	int ch, rc;

	fl_setprogname(argv[0]);
	opterr = 0;		/* we word the errors ourselves */
	while ((ch = getopt_long(argc, argv, "+:hV", opts, NULL)) != -1)
		switch (ch) {
		case 'h':
			help();
			return fl_close_stdout();
		case 'V':
			fl_print_version();
			return fl_close_stdout();
		case OPT_MAX_BYTES:
			/* Every reader the verb opens, in lib/ too, takes its
			 * cap from FL_MAX_BYTES. */
			if (fl_size_parse(optarg, &max) < 0)
				fl_usage_error(USAGE, "--max-bytes: '%s' is not "
				    "a size", optarg);
			if (setenv("FL_MAX_BYTES", optarg, 1) < 0) {
				fl_warnx("setenv: out of memory");
				return FL_EXIT_FAIL;
			}
			break;
		default:
			fl_opt_error(USAGE, ch, argv);
		}
	if (optind == argc)
		fl_usage_error(USAGE, "missing verb");
	for (i = 0; i < sizeof(verbs) / sizeof(verbs[0]); i++)
		if (strcmp(argv[optind], verbs[i].name) == 0)
			break;
	if (i == sizeof(verbs) / sizeof(verbs[0]))
		fl_usage_error(USAGE, "unknown verb '%s'", argv[optind]);
	verb_usage = verbs[i].usage;
	argc -= optind;
	argv += optind;
	optind = 0;	/* restart getopt on the verb's arguments */
	rc = verbs[i].fn(argc, argv);
	if (rc == 0)
		rc = fl_close_stdout();
	return rc;
}
