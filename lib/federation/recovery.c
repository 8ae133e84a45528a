/*
 * recovery.c: a survivor's answer to a dropout (fl-pack recover): the
 * seeds it shares with the sites a recovery request declares dropped,
 * which let the coordinator remove the masks those sites' absence left
 * in the sum (lib/federation/secagg.c).  Nothing else leaves the site.
 */
#include <stdlib.h>
#include <string.h>

#include <openssl/crypto.h>

#include "federation/federation.h"
#include "trust/trust_int.h"
#include "secagg_int.h"

/* Whether the JSON array a holds the string s. */
static int
has(const json_t *a, const char *s)
{
	const json_t *v;
	size_t i;

	json_array_foreach(a, i, v)
		if (json_is_string(v) && strcmp(json_string_value(v), s) == 0)
			return 1;
	return 0;
}

/* Survivors and dropped are names of the roster, disjoint, and cover it;
 * no name twice. */
static int
check_sets(const struct fl_pubkey *keys, size_t n, const json_t *surv,
    const json_t *drop, struct fl_err *err)
{
	size_t i;

	if (!json_is_array(surv) || !json_is_array(drop) ||
	    json_array_size(drop) == 0 ||
	    json_array_size(surv) + json_array_size(drop) != n)
		return fl_err_set(err, FL_EFORMAT, "'survivors' and 'dropped' "
		    "do not split the roster");
	for (i = 0; i < n; i++)
		if (has(surv, keys[i].name) == has(drop, keys[i].name))
			return fl_err_set(err, FL_EFORMAT, "'survivors' and "
			    "'dropped' do not split the roster (site '%s')",
			    keys[i].name);
	return 0;
}

int
fl_recovery_shares(const struct fl_archive *req, const struct fl_seckey *sk,
    struct fl_archive **outp, struct fl_err *err)
{
	const struct fl_pubkey *me = fl_seckey_pub(sk);
	json_t *man = fl_archive_manifest((struct fl_archive *)req), *m;
	const json_t *surv, *drop, *v;
	struct fl_archive *out = NULL;
	struct fl_pubkey *keys = NULL;
	unsigned char seed[FL_MASK_SEED_LEN];
	char b64[FL_B64_LEN(FL_MASK_SEED_LEN) + 1];
	const char *what, *parent, *site;
	json_t *shares = NULL;
	int64_t round;
	size_t n, i;
	long self, d;
	int rc;

	*outp = NULL;
	what = json_string_value(json_object_get(man, "recovery"));
	if (fl_archive_kind(req) != FL_KIND_RECOVERY || what == NULL ||
	    strcmp(what, "request") != 0)
		return fl_err_set(err, FL_EFORMAT, "not a recovery request");
	if ((rc = fl_json_get_str(man, "parent", &parent, err)) < 0 ||
	    (rc = fl_json_get_int(man, "round", &round, err)) < 0)
		return rc;
	if (round < 0 || round > 1000000000)
		return fl_err_set(err, FL_EFORMAT, "bad round %lld",
		    (long long)round);
	if ((rc = fl_roster_parse(json_object_get(man, "roster"), &keys, &n,
	    err)) < 0)
		return rc;
	surv = json_object_get(man, "survivors");
	drop = json_object_get(man, "dropped");
	if ((rc = check_sets(keys, n, surv, drop, err)) < 0)
		goto out;
	/* Answer only as a survivor, under the key the roster names. */
	if ((self = fl_roster_find(keys, n, me->name)) < 0 ||
	    strcmp(keys[self].keyid, me->keyid) != 0) {
		rc = fl_err_set(err, FL_EVERIFY, "the request's roster has no "
		    "key %s for site '%s'", me->keyid, me->name);
		goto out;
	}
	if (!has(surv, me->name)) {
		rc = fl_err_set(err, FL_EVERIFY, "the request declares this "
		    "site ('%s') dropped; answering would disclose its own "
		    "masks", me->name);
		goto out;
	}
	if ((shares = json_object()) == NULL) {
		rc = fl_err_set(err, FL_ENOMEM, "out of memory");
		goto out;
	}
	json_array_foreach(drop, i, v) {
		site = json_string_value(v);
		if ((d = fl_roster_find(keys, n, site)) < 0) {
			rc = fl_err_set(err, FL_EFORMAT, "'dropped' names a "
			    "site outside the roster");
			goto out;
		}
		if ((rc = fl_mask_seed(sk, &keys[d], parent, round, seed,
		    err)) < 0)
			goto out;
		fl_b64_encode(b64, seed, sizeof(seed));
		OPENSSL_cleanse(seed, sizeof(seed));
		rc = json_object_set_new(shares, site, json_string(b64));
		OPENSSL_cleanse(b64, sizeof(b64));
		if (rc < 0) {
			rc = fl_err_set(err, FL_ENOMEM, "out of memory");
			goto out;
		}
	}
	if ((out = fl_archive_new(FL_KIND_RECOVERY)) == NULL ||
	    fl_archive_id(req) == NULL) {
		rc = fl_err_set(err, FL_ENOMEM, "out of memory");
		goto out;
	}
	m = fl_archive_manifest(out);
	if (json_object_set_new(m, "recovery", json_string("shares")) < 0 ||
	    json_object_set_new(m, "scheme", json_string(FL_MASK_SCHEME)) <
	    0 ||
	    json_object_set_new(m, "site", json_string(me->name)) < 0 ||
	    json_object_set_new(m, "parent", json_string(parent)) < 0 ||
	    json_object_set_new(m, "round", json_integer(round)) < 0 ||
	    json_object_set_new(m, "request",
	    json_string(fl_archive_id(req))) < 0 ||
	    json_object_set(m, "dropped", (json_t *)drop) < 0 ||
	    json_object_set(m, "shares", shares) < 0) {
		rc = fl_err_set(err, FL_ENOMEM, "out of memory");
		goto out;
	}
	*outp = out;
	out = NULL;
	rc = 0;
out:
	json_decref(shares);
	fl_archive_free(out);
	free(keys);
	return rc;
}
