/*
 * trust.c: the policy the tools apply on top of signatures (lib/trust/sign.c):
 * an archive must carry a signature by a trusted key, and an archive that
 * names a site must be signed by that site's key, one that names none by
 * a coordinator's (the roles of a trust folder).  Also signing a freshly
 * built archive, once its id is computed, and the walk of fl-pack verify
 * over a stream of archives.
 */
#include <stdio.h>
#include <string.h>

#include "trust/trust.h"

int
fl_archive_site(const struct fl_archive *a, const char **sitep,
    struct fl_err *err)
{
	json_t *man = fl_archive_manifest((struct fl_archive *)a);
	const json_t *v = json_object_get(man, "site");
	enum fl_kind kind = fl_archive_kind(a);
	const char *merged;

	*sitep = NULL;
	if (v != NULL && !json_is_null(v)) {
		if (!json_is_string(v) || !fl_name_ok(json_string_value(v)))
			return fl_err_set(err, FL_EFORMAT, "key 'site' is not "
			    "a site name (1 to %d of A-Z a-z 0-9 . _ -)",
			    FL_NAME_MAX);
		if (kind == FL_KIND_MODEL)
			return fl_err_set(err, FL_EFORMAT, "a model names a "
			    "site ('%s'); models come from a coordinator",
			    json_string_value(v));
		*sitep = json_string_value(v);
		return 0;
	}
	/* Without a site: a model, a valuation or coalitions (a
	 * coordinator's), or a coordinator's merge of sites' statistics or
	 * metrics, or a partial, which lists them. */
	merged = kind == FL_KIND_STATS || kind == FL_KIND_PARTIAL ?
	    "contributors" : kind == FL_KIND_METRICS ? "sites" : NULL;
	if (kind == FL_KIND_MODEL || kind == FL_KIND_VALUATION ||
	    kind == FL_KIND_COALITIONS ||
	    (merged != NULL && json_is_array(json_object_get(man, merged))))
		return 0;
	/* A recovery request comes from the coordinator (secure
	 * aggregation, lib/federation/recovery.c); a survivor's shares name
	 * their site. */
	if (kind == FL_KIND_RECOVERY && json_is_string(json_object_get(man,
	    "recovery")) && strcmp(json_string_value(json_object_get(man,
	    "recovery")), "request") == 0)
		return 0;
	return fl_err_set(err, FL_EFORMAT, "a%s %s archive must name its site "
	    "(key 'site' is %s)", kind == FL_KIND_UPDATE ? "n" : "",
	    fl_kind_name(kind), v == NULL ? "missing" : "null");
}

int
fl_site_choose(const char *given, const struct fl_seckey *sk,
    const char *data, char *buf, size_t len, const char **sitep,
    struct fl_err *err)
{
	const char *key = sk != NULL ? fl_seckey_pub(sk)->name : NULL;
	const char *base, *dot;
	size_t n;

	*sitep = NULL;
	if (given != NULL) {
		if (!fl_name_ok(given))
			return fl_err_set(err, FL_EUSAGE, "--site: not a name "
			    "(1 to %d of A-Z a-z 0-9 . _ -)", FL_NAME_MAX);
		if (key != NULL && strcmp(given, key) != 0)
			return fl_err_set(err, FL_EUSAGE, "--site '%s' is not "
			    "the signing key's name '%s'", given, key);
		*sitep = given;
		return 0;
	}
	if (key != NULL) {
		*sitep = key;
		return 0;
	}
	if (data == NULL || strcmp(data, "-") == 0)
		return fl_err_set(err, FL_EUSAGE, "no site name: give --site "
		    "NAME (the data is read from stdin)");
	base = strrchr(data, '/');
	base = base == NULL ? data : base + 1;
	dot = strrchr(base, '.');
	n = dot != NULL && dot != base ? (size_t)(dot - base) : strlen(base);
	if (n == 0 || n >= len || n > FL_NAME_MAX)
		return fl_err_set(err, FL_EUSAGE, "cannot take a site name from "
		    "'%.64s'; give --site NAME", base);
	memcpy(buf, base, n);
	buf[n] = '\0';
	if (!fl_name_ok(buf))
		return fl_err_set(err, FL_EUSAGE, "cannot take a site name from "
		    "'%.64s'; give --site NAME", base);
	*sitep = buf;
	return 0;
}

int
fl_archive_trusted(const struct fl_archive *a, const struct fl_trust *t,
    const char *name, const struct fl_pubkey **signerp, struct fl_err *err)
{
	const struct fl_pubkey *who[FL_MAX_SIGNERS];
	const char *site;
	size_t n, i;
	int rc;

	if (signerp != NULL)
		*signerp = NULL;
	if ((rc = fl_archive_signers(a, t, who, FL_MAX_SIGNERS, &n, err)) < 0 ||
	    (rc = fl_archive_site(a, &site, err)) < 0)
		return fl_err_prefix(err, "%s", name);
	/* The signature the archive needs may be any of the trusted ones:
	 * co-signers do not hide it, whatever their key ids. */
	for (i = 0; i < n; i++)
		if (site != NULL ? who[i]->role == FL_ROLE_SITE &&
		    strcmp(who[i]->name, site) == 0 :
		    who[i]->role == FL_ROLE_COORDINATOR ||
		    (who[i]->role == FL_ROLE_AGGREGATOR &&
		    fl_archive_kind(a) == FL_KIND_PARTIAL))
			break;
	if (i == n && site != NULL)
		return fl_err_set(err, FL_EVERIFY, "%s: signed by %s (%s), but "
		    "the %s is from site '%s' and carries no signature by its "
		    "site key", name, who[0]->name, who[0]->keyid,
		    fl_kind_name(fl_archive_kind(a)), site);
	if (i == n && fl_archive_kind(a) == FL_KIND_PARTIAL)
		return fl_err_set(err, FL_EVERIFY, "%s: signed by %s (%s), "
		    "%s; a partial must be signed by an aggregator key (the "
		    "trust folder's aggregator/) or a coordinator key", name,
		    who[0]->name, who[0]->keyid, who[0]->role == FL_ROLE_SITE ?
		    "a site key" : "not an aggregator key");
	if (i == n)
		return fl_err_set(err, FL_EVERIFY, "%s: signed by %s (%s), %s; "
		    "%s %s that names no site must be signed by a "
		    "coordinator key (the trust folder's coordinator/)", name,
		    who[0]->name, who[0]->keyid, who[0]->role ==
		    FL_ROLE_AGGREGATOR ? "an aggregator key" : "a site key",
		    fl_article(fl_kind_name(fl_archive_kind(a))),
		    fl_kind_name(fl_archive_kind(a)));
	if (signerp != NULL)
		*signerp = who[i];
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
	char label[4200];
	size_t count = 0;
	int n, rc = 0;

	while ((n = fl_reader_next(r, &a, &err)) == 1) {
		count++;
		verr = (struct fl_err)FL_ERR_INIT;
		if (count == 1)
			snprintf(label, sizeof(label), "%s", name);
		else
			snprintf(label, sizeof(label), "%s (archive %zu)",
			    name, count);
		if (fl_archive_trusted(a, t, label, &who, &verr) == 0 &&
		    chain && fl_archive_kind(a) == FL_KIND_MODEL &&
		    fl_history_check(fl_archive_manifest(a), &verr) < 0)
			fl_err_prefix(&verr, "%s", label);
		if (verr.code != 0) {
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
