/*
 * trust.c: the policy the tools apply on top of signatures (lib/sign.c):
 * an archive must carry a signature by a trusted key, and an archive that
 * names a site must be signed by that site's key.  Also signing a freshly
 * built archive, once its id is computed, and the walk of fl-pack verify
 * over a stream of archives.
 */
#include <stdio.h>
#include <string.h>

#include "fl.h"

int
fl_archive_trusted(const struct fl_archive *a, const struct fl_trust *t,
    const char *name, const struct fl_pubkey **signerp, struct fl_err *err)
{
	const struct fl_pubkey *signer = NULL;
	const char *site;
	int rc;

	if ((rc = fl_archive_verify(a, t, &signer, err)) < 0)
		return fl_err_prefix(err, "%s", name);
	site = json_string_value(json_object_get(
	    fl_archive_manifest((struct fl_archive *)a), "site"));
	if (site != NULL && strcmp(site, signer->name) != 0)
		return fl_err_set(err, FL_EVERIFY, "%s: signed by %s (%s), but "
		    "the %s is from site '%s'", name, signer->name,
		    signer->keyid, fl_kind_name(fl_archive_kind(a)), site);
	if (signerp != NULL)
		*signerp = signer;
	return 0;
}

int
fl_archive_sign_new(struct fl_archive *a, const struct fl_seckey *sk,
    struct fl_err *err)
{
	int rc;

	if ((rc = fl_archive_update_id(a, err)) < 0)
		return rc;
	return fl_archive_sign(a, sk, err);
}

/*
 * fl-pack verify's walk over a stream.  The first failure of either check
 * is the archive's; failures outrank one another as the exit codes do:
 * FL_EVERIFY (trust) over any other.
 */
int
fl_reader_verify(struct fl_reader *r, const char *name,
    const struct fl_trust *t, int chain,
    void (*fn)(void *ctx, const struct fl_archive *a,
    const struct fl_pubkey *signer, const struct fl_err *err), void *ctx)
{
	struct fl_err err = FL_ERR_INIT, verr;
	struct fl_archive *a = NULL;
	const struct fl_pubkey *who;
	size_t count = 0;
	int n, rc = 0;

	while ((n = fl_reader_next(r, &a, &err)) == 1) {
		count++;
		verr = (struct fl_err)FL_ERR_INIT;
		if (fl_archive_verify(a, t, &who, &verr) < 0 ||
		    (chain && fl_archive_kind(a) == FL_KIND_MODEL &&
		    fl_history_check(fl_archive_manifest(a), &verr) < 0)) {
			if (count == 1)
				fl_err_prefix(&verr, "%s", name);
			else
				fl_err_prefix(&verr, "%s (archive %zu)", name,
				    count);
			fn(ctx, a, NULL, &verr);
			if (rc != FL_EVERIFY)
				rc = verr.code;
			continue;
		}
		fn(ctx, a, who, NULL);
	}
	if (n == 0 && count == 0)
		n = fl_err_set(&err, FL_EFORMAT, "%s: no archive", name);
	if (n < 0) {
		fn(ctx, NULL, NULL, &err);
		if (rc != FL_EVERIFY)
			rc = err.code;
	}
	fl_archive_free(a);
	return rc;
}

/* fl-pack sign: the archive at inpath, signed, to outpath atomically. */
int
fl_archive_sign_file(const char *inpath, const struct fl_seckey *sk,
    const char *outpath, struct fl_err *err)
{
	struct fl_archive *a = NULL;
	int rc;

	if ((rc = fl_archive_read_file(inpath, &a, err)) < 0)
		goto out;
	if ((rc = fl_archive_sign(a, sk, err)) < 0) {
		fl_err_prefix(err, "%s", fl_in_name(inpath));
		goto out;
	}
	rc = fl_archive_save(&a, 1, outpath, err);
out:
	fl_archive_free(a);
	return rc;
}
