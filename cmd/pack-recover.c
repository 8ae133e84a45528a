/*
 * pack-recover.c: fl-pack recover, a survivor's answer to a dropout in a
 * masked round: it reads the coordinator's recovery request and writes,
 * signed with this site's key, the mask seeds it shares with the dropped
 * sites and nothing else (lib/federation/recovery.c).  The manual is
 * man/fl-pack.1; the protocol and its threat model are in fl(7).
 */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "fl.h"
#include "cli.h"
#include "pack.h"

enum { OPT_KEY = 256, OPT_TRUST };

static const struct fl_opt recover_opts[] = {
	{ "key", 0, "KEY", "this site's secret key (NAME.key): derives the\n"
	    "seeds, opens a sealed request, signs the answer", OPT_KEY },
	{ "trust", 0, "DIR", "accept only a request signed by a coordinator\n"
	    "key (DIR/coordinator/*.pub)", OPT_TRUST },
	{ "output", 'o', "FILE", "write FILE, atomically (default: stdout)",
	    0 },
	OPT_QUIET,
	OPT_VERBOSE,
	OPT_HELP,
	OPT_END
};

const struct fl_cmd pack_recover_cmd = {
	"usage: fl-pack recover [-qv] --key key [--trust dir] [-o file] "
	"[request]",
	"Answer a recovery request (fl-aggregate --recovery-request) as a\n"
	"survivor of a masked round: write a recovery archive holding the mask\n"
	"seeds this site shares with the sites the request declares dropped,\n"
	"signed with KEY.  Refused when the request declares this site\n"
	"dropped or its roster has another key for it.  Seal the answer to\n"
	"the coordinator: the seeds unmask this round's pairs with the\n"
	"dropped sites.\n", recover_opts, NULL, NULL, 0
};

/* The summary: the round, the dropped sites the seeds are for, the
 * signer. */
static void
note(struct fl_archive *out, const char *path, const char *opath)
{
	json_t *man = fl_archive_manifest(out);
	const json_t *drop = json_object_get(man, "dropped");
	const char *names[8];
	char list[512];
	size_t n = json_array_size(drop), i;

	for (i = 0; i < n && i < 8; i++)
		names[i] = json_string_value(json_array_get(drop, i));
	pack_note_names(list, sizeof(list), names, i);
	pack_note("%s: round %lld, the seeds shared with %zu dropped site%s "
	    "(%s%s), signed by %s, written to %s", fl_in_name(path),
	    (long long)json_integer_value(json_object_get(man, "round")), n,
	    n == 1 ? "" : "s", list, n > 8 ? ", ..." : "",
	    json_string_value(json_object_get(man, "site")),
	    pack_out_name(opath));
}

int
pack_recover(int argc, char **argv)
{
	struct fl_err err = FL_ERR_INIT;
	struct fl_seckey *sk = NULL;
	struct fl_trust *trust = NULL;
	struct fl_archive *req = NULL, *out = NULL;
	const char *key = NULL, *dir = NULL, *opath = NULL, *path;
	int ch, rc;

	while ((ch = pack_getopt(argc, argv)) != -1)
		switch (ch) {
		case 'o':
			opath = optarg;
			break;
		case OPT_KEY:
			key = optarg;
			break;
		case OPT_TRUST:
			dir = optarg;
			break;
		}
	path = pack_operand(argc, argv);
	if (key == NULL)
		verb_error("missing --key");
	fl_refuse_tty(opath);
	if ((rc = fl_seckey_read(&sk, key, &err)) < 0 ||
	    (dir != NULL && (rc = fl_trust_load(&trust, dir, &err)) < 0) ||
	    (rc = fl_archive_read_file_key(path, sk, &req, &err)) < 0 ||
	    (trust != NULL && (rc = fl_archive_trusted(req, trust,
	    fl_in_name(path), NULL, &err)) < 0))
		goto out;
	if ((rc = fl_recovery_shares(req, sk, &out, &err)) < 0) {
		fl_err_prefix(&err, "%s", fl_in_name(path));
		goto out;
	}
	if ((rc = fl_manifest_set_writer(fl_archive_manifest(out),
	    "fl-pack", &err)) < 0 ||
	    (rc = fl_archive_sign_new(out, sk, &err)) < 0)
		goto out;
	if ((rc = fl_archive_save(&out, 1, opath, &err)) == 0)
		note(out, path, opath);
out:
	if (rc < 0)
		rc = fl_report(&err);
	fl_archive_free(req);
	fl_archive_free(out);
	fl_trust_free(trust);
	fl_seckey_free(sk);
	return rc;
}
