/*
 * pack-trust.c: fl-pack's verbs that check and trace, verify and log, a
 * model's history; each with its option table, a thin front end over
 * lib/trust/sign.c and lineage.c (sign, seal and open: pack-sign.c).
 * The manual is man/fl-pack.1 (SECURITY); the format is man/fl-archive.5.
 */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "fl.h"
#include "cli.h"
#include "pack.h"

enum { OPT_TRUST = 256, OPT_CHAIN };

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
