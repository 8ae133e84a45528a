/*
 * pack-sign.c: fl-pack's verbs that sign and encrypt, sign, seal and
 * open, each with its option table, a thin front end over
 * lib/trust/sign.c and seal.c.  The manual is man/fl-pack.1 (SECURITY);
 * the format is man/fl-archive.5.
 */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "fl.h"
#include "cli.h"
#include "pack.h"

enum { OPT_KEY = 256, OPT_TO };

#define OPT_OUTPUT { "output", 'o', "FILE", "write FILE, atomically " \
	"(default: stdout)", 0 }

/* The options of the verbs that take --key and -o (sign, open). */
static const struct fl_opt key_output[] = {
	{ "key", 0, "KEY", "the secret key file (NAME.key, mode 0600)",
	    OPT_KEY },
	OPT_OUTPUT,
	OPT_QUIET,
	OPT_VERBOSE,
	OPT_HELP,
	OPT_END
};

const struct fl_cmd pack_sign_cmd = {
	"usage: fl-pack sign [-qv] --key key [-o file] [archive]",
	"Sign one archive with the secret key KEY and write it with the "
	"signature\nadded (a sig/KEYID member; the id is unchanged).  The "
	"signature is\nchecked against the public key before it is "
	"written.\n", key_output, NULL, NULL, 0
};

const struct fl_cmd pack_open_cmd = {
	"usage: fl-pack open [-qv] --key key [-o file] [file]",
	"Decrypt a sealed file with the secret key KEY.  Nothing is written\n"
	"before every chunk, the last one included, has verified.\n",
	key_output, NULL, NULL, 0
};

/*
 * The options of sign and open: returns the operand (NULL for stdin);
 * exits 2 on misuse and when stdout is a terminal.
 */
static const char *
parse_key_output(int argc, char **argv, const char **key,
    const char **opath)
{
	const char *path;
	int ch;

	*key = *opath = NULL;
	while ((ch = pack_getopt(argc, argv)) != -1)
		switch (ch) {
		case 'o':
			*opath = optarg;
			break;
		case OPT_KEY:
			*key = optarg;
			break;
		}
	path = pack_operand(argc, argv);
	if (*key == NULL)
		verb_error("missing --key");
	fl_refuse_tty(*opath);
	return path;
}

/*
 * sign and open: fn (fl_archive_sign_file or fl_unseal_file) from the
 * operand to -o with the --key; the summary says what was done ("signed
 * by", "opened with the key of") and by whom.
 */
static int
key_verb(int argc, char **argv, int (*fn)(const char *,
    const struct fl_seckey *, const char *, struct fl_err *),
    const char *did)
{
	struct fl_err err = FL_ERR_INIT;
	struct fl_seckey *sk = NULL;
	const char *key, *opath, *path;
	int rc = 0;

	path = parse_key_output(argc, argv, &key, &opath);
	if (fl_seckey_read(&sk, key, &err) < 0 ||
	    fn(path, sk, opath, &err) < 0)
		rc = fl_report(&err);
	else
		pack_note("%s: %s %s (key %s), written to %s",
		    fl_in_name(path), did, fl_seckey_pub(sk)->name,
		    fl_seckey_pub(sk)->keyid, pack_out_name(opath));
	fl_seckey_free(sk);
	return rc;
}

/* Sign one archive and write it, with its new signature, atomically. */
int
pack_sign(int argc, char **argv)
{
	return key_verb(argc, argv, fl_archive_sign_file, "signed by");
}

static const struct fl_opt seal_opts[] = {
	{ "to", 0, "KEY.pub", "a recipient (repeat for more)", OPT_TO },
	OPT_OUTPUT,
	OPT_QUIET,
	OPT_VERBOSE,
	OPT_HELP,
	OPT_END
};

const struct fl_cmd pack_seal_cmd = {
	"usage: fl-pack seal [-qv] --to key.pub [--to key.pub ...] [-o file] "
	"[file]",
	"Encrypt the input (any bytes, normally an archive) so that only the\n"
	"holders of the recipients' secret keys can open it.  Output is in\n"
	"authenticated 64 KiB chunks; see fl-archive(5).\n",
	seal_opts, NULL, NULL, 0
};

/* Encrypt any input for one or more recipients' public keys. */
int
pack_seal(int argc, char **argv)
{
	struct fl_err err = FL_ERR_INIT;
	struct fl_pubkey *keys = NULL;
	const char **files, *opath = NULL, *path;
	char names[512];
	size_t nto = 0, i;
	int ch, rc = 0;

	if ((files = calloc((size_t)argc + 1, sizeof(*files))) == NULL) {
		fl_err_set(&err, FL_ENOMEM, "out of memory");
		return fl_report(&err);
	}
	while ((ch = pack_getopt(argc, argv)) != -1)
		switch (ch) {
		case 'o':
			opath = optarg;
			break;
		case OPT_TO:
			files[nto++] = optarg;
			break;
		}
	/* A usage error exits: nothing held past it. */
	if (argc - optind > 1 || nto == 0)
		free(files);
	path = pack_operand(argc, argv);
	if (nto == 0)
		verb_error("missing --to");
	fl_refuse_tty(opath);
	if ((keys = calloc(nto, sizeof(*keys))) == NULL)
		rc = fl_err_set(&err, FL_ENOMEM, "out of memory");
	else if ((rc = fl_pubkey_read_list(keys, files, nto, &err)) ==
	    FL_EUSAGE) {
		free(files);
		free(keys);
		verb_error("--to: %s", err.msg);	/* a key given twice */
	} else if (rc == 0 &&
	    (rc = fl_seal_file(path, keys, nto, opath, &err)) == 0) {
		/* The names, in the order given, over files[] (done with). */
		for (i = 0; i < nto; i++)
			files[i] = keys[i].name;
		pack_note_names(names, sizeof(names), files, nto);
		pack_note("%s: sealed for %zu recipient%s (%s), written to %s",
		    fl_in_name(path), nto, nto == 1 ? "" : "s", names,
		    pack_out_name(opath));
	}
	if (rc < 0)
		rc = fl_report(&err);
	free(files);
	free(keys);
	return rc;
}

/* Decrypt sealed input, publishing nothing before all of it verified. */
int
pack_open(int argc, char **argv)
{
	return key_verb(argc, argv, fl_unseal_file, "opened with the key of");
}
