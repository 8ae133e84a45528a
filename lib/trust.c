/*
 * trust.c: the policy the tools apply on top of signatures (lib/sign.c):
 * an archive must carry a signature by a trusted key, and an archive that
 * names a site must be signed by that site's key.  Also signing a freshly
 * built archive, once its id is computed.
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
