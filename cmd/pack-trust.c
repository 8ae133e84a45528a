/*
 * pack-trust.c: fl-pack's trust verbs, sign, verify, seal and open, and
 * log, a model's history; each with its option table, a thin front end
 * over lib/trust/key.c, sign.c, seal.c and lineage.c.  The manual is
 * man/fl-pack.1 (SECURITY); the format is man/fl-archive.5.
 */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "fl.h"
#include "cli.h"
#include "pack.h"

enum { OPT_KEY = 256, OPT_TRUST, OPT_TO, OPT_CHAIN };

#define OPT_OUTPUT { "output", 'o', "FILE", "write FILE, atomically " \
	"(default: stdout)", 0 }

/* The options of the verbs that take --key and -o (sign, open). */
static const struct fl_opt key_output[] = {
	{ "key", 0, "KEY", "the secret key file (NAME.key, mode 0600)",
	    OPT_KEY },
	OPT_OUTPUT,
	OPT_HELP,
	OPT_END
};

const struct fl_cmd pack_sign_cmd = {
	"usage: fl-pack sign --key key [-o file] [archive]",
	"Sign one archive with the secret key KEY and write it with the "
	"signature\nadded (a sig/KEYID member; the id is unchanged).  The "
	"signature is\nchecked against the public key before it is "
	"written.\n", key_output, NULL, NULL, 0
};

const struct fl_cmd pack_open_cmd = {
	"usage: fl-pack open --key key [-o file] [file]",
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
	while ((ch = fl_getopt(pack_verb, argc, argv)) != -1)
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

/* Sign one archive and write it, with its new signature, atomically. */
int
pack_sign(int argc, char **argv)
{
	struct fl_err err = FL_ERR_INIT;
	struct fl_seckey *sk = NULL;
	const char *key, *opath, *path;
	int rc = 0;

	path = parse_key_output(argc, argv, &key, &opath);
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

static const struct fl_opt verify_opts[] = {
	{ "trust", 0, "DIR", "the trusted public keys", OPT_TRUST },
	OPT_KEY_IN,
	{ "chain", 0, NULL, "also check each model's history: every round\n"
	    "linked to the one before it", OPT_CHAIN },
	{ "quiet", 'q', NULL, "print nothing on stdout; the exit status "
	    "tells", 0 },
	OPT_HELP,
	OPT_END
};

const struct fl_cmd pack_verify_cmd = {
	"usage: fl-pack verify --trust dir [--key key] [--chain] [-q] "
	"[archive]",
	"Check that each archive read is signed by a key in DIR (its *.pub "
	"files)\nand that every signature by such a key verifies.  Prints "
	"one line per\narchive: signer, key id, archive id, tab-separated.  "
	"Exits 3 when any\narchive fails to verify.\n",
	verify_opts, NULL, NULL, 0
};

/*
 * Check the signatures of every archive in the input against the keys in
 * a directory.  One line per archive that verifies: signer, key id and
 * archive id, tab-separated; a failure is reported and the next archive
 * checked.  --key opens sealed input first.
 */
int
pack_verify(int argc, char **argv)
{
	struct fl_err err = FL_ERR_INIT;
	struct fl_seckey *sk = NULL;
	struct fl_trust *t = NULL;
	struct fl_reader *r = NULL;
	const char *dir = NULL, *key = NULL, *path, *name;
	FILE *f = NULL;
	int ch, quiet = 0, chain = 0, rc = 0;

	while ((ch = fl_getopt(pack_verb, argc, argv)) != -1)
		switch (ch) {
		case 'q':
			quiet = 1;
			break;
		case OPT_CHAIN:
			chain = 1;
			break;
		case OPT_TRUST:
			dir = optarg;
			break;
		case PACK_OPT_KEY:
			key = optarg;
			break;
		}
	path = pack_operand(argc, argv);
	name = fl_in_name(path);
	if (dir == NULL)
		verb_error("missing --trust");
	if (fl_trust_load(&t, dir, &err) < 0 ||
	    (key != NULL && fl_seckey_read(&sk, key, &err) < 0) ||
	    (f = fl_in_open(path, &err)) == NULL ||
	    fl_reader_open_key(&r, f, name, sk, &err) < 0)
		rc = fl_report(&err);
	else if ((rc = fl_reader_verify(r, name, t, chain, verified,
	    &quiet)) < 0)
		/* A trust failure outranks a malformed input. */
		rc = rc == FL_EVERIFY ? FL_EXIT_TRUST : FL_EXIT_FAIL;
	fl_reader_free(r);
	fl_in_close(f);
	fl_seckey_free(sk);
	fl_trust_free(t);
	return rc;
}

static const struct fl_opt seal_opts[] = {
	{ "to", 0, "KEY.pub", "a recipient (repeat for more)", OPT_TO },
	OPT_OUTPUT,
	OPT_HELP,
	OPT_END
};

const struct fl_cmd pack_seal_cmd = {
	"usage: fl-pack seal --to key.pub [--to key.pub ...] [-o file] [file]",
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
	size_t nto = 0;
	int ch, rc = 0;

	if ((files = calloc((size_t)argc + 1, sizeof(*files))) == NULL) {
		fl_err_set(&err, FL_ENOMEM, "out of memory");
		return fl_report(&err);
	}
	while ((ch = fl_getopt(pack_verb, argc, argv)) != -1)
		switch (ch) {
		case 'o':
			opath = optarg;
			break;
		case OPT_TO:
			files[nto++] = optarg;
			break;
		}
	path = pack_operand(argc, argv);
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

/* Decrypt sealed input, publishing nothing before all of it verified. */
int
pack_open(int argc, char **argv)
{
	struct fl_err err = FL_ERR_INIT;
	struct fl_seckey *sk = NULL;
	const char *key, *opath, *path;
	int rc = 0;

	path = parse_key_output(argc, argv, &key, &opath);
	if (fl_seckey_read(&sk, key, &err) < 0 ||
	    fl_unseal_file(path, sk, opath, &err) < 0)
		rc = fl_report(&err);
	fl_seckey_free(sk);
	return rc;
}

const struct fl_cmd pack_log_cmd = {
	"usage: fl-pack log [--key key] [archive]",
	"Print a model's history, one line per update of every round that "
	"made\nit: round, parent model id, site, samples, update id and "
	"signer key id,\ntab-separated, after a header line.\n",
	pack_key_only, NULL, NULL, 0
};

/* Print a model's history: one line per update of every round; --key
 * opens sealed input. */
int
pack_log(int argc, char **argv)
{
	struct fl_err err = FL_ERR_INIT;
	struct fl_seckey *sk = NULL;
	struct fl_archive *a = NULL;
	const char *key, *path;
	int rc = 0;

	path = pack_parse_key_only(argc, argv, &key);
	if ((key != NULL && fl_seckey_read(&sk, key, &err) < 0) ||
	    fl_archive_read_file_key(path, sk, &a, &err) < 0 ||
	    fl_history_print(fl_archive_manifest(a), stdout, &err) < 0) {
		if (a != NULL)
			fl_err_prefix(&err, "%s", fl_in_name(path));
		rc = fl_report(&err);
	}
	fl_archive_free(a);
	fl_seckey_free(sk);
	return rc;
}
