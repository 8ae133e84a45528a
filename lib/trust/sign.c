/*
 * sign.c: Ed25519 signatures over an archive's id, kept as "sig/KEYID"
 * members beside its content, and their verification against a
 * directory of trusted keys.  Keys are in key.c; the member format is in
 * man/fl-archive.5 and the checks in the SECURITY section of fl-pack(1).
 */
#include <stdlib.h>
#include <string.h>

#include <openssl/crypto.h>
#include <openssl/evp.h>

#include "trust_int.h"

#define SIG_CONTEXT	"fl-sig-1\n"
#define SIG_LEN		64
#define MAX_MESSAGE	128

/* The signed message: "fl-sig-1\n" followed by the id.  Returns its
 * length, or 0 when the id does not fit. */
static size_t
sig_message(char *msg, const char *id)
{
	int n = snprintf(msg, MAX_MESSAGE, "%s%s", SIG_CONTEXT, id);

	return n < 0 || n >= MAX_MESSAGE ? 0 : (size_t)n;
}

/* Check sig over msg with the raw Ed25519 public key pub: 1 when it
 * verifies, 0 when not, -1 when OpenSSL fails. */
static int
ed25519_verify(const unsigned char *pub, const unsigned char *sig,
    const char *msg, size_t mlen)
{
	EVP_PKEY *k;
	EVP_MD_CTX *md = NULL;
	int rc = -1;

	if ((k = EVP_PKEY_new_raw_public_key(EVP_PKEY_ED25519, NULL, pub,
	    32)) == NULL)
		return 0;	/* not a key at all: cannot verify */
	if ((md = EVP_MD_CTX_new()) != NULL &&
	    EVP_DigestVerifyInit(md, NULL, NULL, NULL, k) == 1)
		rc = EVP_DigestVerify(md, sig, SIG_LEN,
		    (const unsigned char *)msg, mlen) == 1;
	EVP_MD_CTX_free(md);
	EVP_PKEY_free(k);
	return rc;
}

int
fl_archive_sign(struct fl_archive *a, const struct fl_seckey *sk,
    struct fl_err *err)
{
	const struct fl_pubkey *pk = fl_seckey_pub(sk);
	const char *id = fl_archive_id(a);
	EVP_PKEY *k = NULL;
	EVP_MD_CTX *md = NULL;
	json_t *j = NULL;
	unsigned char sig[SIG_LEN];
	char msg[MAX_MESSAGE], b64[FL_B64_LEN(SIG_LEN) + 1];
	char member[4 + FL_KEYID_LEN + 1], *text = NULL;
	size_t mlen, slen = SIG_LEN;
	int rc = 0;

	if (id == NULL || (mlen = sig_message(msg, id)) == 0)
		return fl_err_set(err, FL_EUSAGE, "cannot sign an archive "
		    "without an id (read or write it first)");
	if ((k = EVP_PKEY_new_raw_private_key(EVP_PKEY_ED25519, NULL,
	    fl_seckey_sign_seed(sk), 32)) == NULL ||
	    (md = EVP_MD_CTX_new()) == NULL ||
	    EVP_DigestSignInit(md, NULL, NULL, NULL, k) != 1 ||
	    EVP_DigestSign(md, sig, &slen, (const unsigned char *)msg,
	    mlen) != 1 || slen != SIG_LEN) {
		rc = fl_err_set(err, FL_ENOMEM, "signing failed");
		goto out;
	}
	/* As minisign does: never keep a signature the public key does not
	 * accept (a damaged key in memory, a fault). */
	if (ed25519_verify(pk->sign_pub, sig, msg, mlen) != 1) {
		rc = fl_err_set(err, FL_EVERIFY, "new signature by %s (%s) "
		    "does not verify; not kept", pk->name, pk->keyid);
		goto out;
	}
	fl_b64_encode(b64, sig, SIG_LEN);
	snprintf(member, sizeof(member), "sig/%s", pk->keyid);
	if ((j = json_pack("{s:s, s:s, s:s, s:s}", "alg", "ed25519",
	    "keyid", pk->keyid, "signer", pk->name, "sig", b64)) == NULL ||
	    (text = json_dumps(j, JSON_COMPACT | JSON_SORT_KEYS)) == NULL) {
		rc = fl_err_set(err, FL_ENOMEM, "out of memory");
		goto out;
	}
	rc = fl_archive_set_member(a, member, text, strlen(text), err);
out:
	OPENSSL_cleanse(msg, sizeof(msg));
	EVP_MD_CTX_free(md);
	EVP_PKEY_free(k);
	json_decref(j);
	free(text);
	return rc;
}

/* A signer name as fl-keygen allows it, so that it prints safely. */
static int
signer_ok(const char *s)
{
	size_t n = strlen(s);

	if (n == 0 || n > FL_NAME_MAX)
		return 0;
	return strspn(s, "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz"
	    "0123456789._-") == n;
}

/*
 * Parse a sig/ member: {"alg": "ed25519", "keyid", "signer", "sig"} with
 * exactly these keys, keyid equal to the member's name after "sig/", and
 * a 64-byte signature.  Fills keyid, signer and sig; -1 when malformed.
 */
static int
sig_parse(const char *name, const void *data, size_t len, char *keyid,
    char *signer, unsigned char *sig)
{
	json_error_t jerr;
	json_t *j;
	const char *alg, *kid, *who, *s;
	int rc = -1;

	if ((j = json_loadb(data, len, JSON_REJECT_DUPLICATES, &jerr)) ==
	    NULL)
		return -1;
	if (json_unpack(j, "{s:s, s:s, s:s, s:s !}", "alg", &alg, "keyid",
	    &kid, "signer", &who, "sig", &s) == 0 &&
	    strcmp(alg, "ed25519") == 0 &&
	    strlen(kid) == FL_KEYID_LEN && strcmp(name + 4, kid) == 0 &&
	    signer_ok(who) &&
	    fl_b64_decode(sig, SIG_LEN, s, strlen(s)) == 0) {
		memcpy(keyid, kid, FL_KEYID_LEN + 1);
		memcpy(signer, who, strlen(who) + 1);
		rc = 0;
	}
	json_decref(j);
	return rc;
}

int
fl_archive_signers(const struct fl_archive *a, const struct fl_trust *t,
    const struct fl_pubkey **who, size_t max, size_t *np,
    struct fl_err *err)
{
	const struct fl_pubkey *pk;
	const char *id = fl_archive_id(a), *name;
	const void *data;
	unsigned char sig[SIG_LEN];
	char msg[MAX_MESSAGE], keyid[FL_KEYID_LEN + 1];
	char signer[FL_NAME_MAX + 1], unknown[FL_KEYID_LEN + FL_NAME_MAX + 4];
	size_t i, len, mlen, nsig = 0, n = 0;
	int v;

	*np = 0;
	unknown[0] = '\0';
	/* The reader checked the id against the content; without one there
	 * is nothing the signatures could be tied to. */
	if (id == NULL || (mlen = sig_message(msg, id)) == 0)
		return fl_err_set(err, FL_EVERIFY, "no verified id");
	for (i = 0; i < fl_archive_nmembers(a); i++) {
		fl_archive_member(a, i, &name, &data, &len);
		if (strncmp(name, "sig/", 4) != 0)
			continue;
		nsig++;
		if (sig_parse(name, data, len, keyid, signer, sig) < 0)
			return fl_err_set(err, FL_EVERIFY, "%s: malformed "
			    "signature", name);
		if ((pk = fl_trust_find(t, keyid)) == NULL) {
			if (unknown[0] == '\0')
				snprintf(unknown, sizeof(unknown), "%s (%s)",
				    keyid, signer);
			continue;
		}
		if ((v = ed25519_verify(pk->sign_pub, sig, msg, mlen)) < 0)
			return fl_err_set(err, FL_ENOMEM, "verification "
			    "failed to run");
		if (v == 0)
			return fl_err_set(err, FL_EVERIFY, "signature by %s "
			    "(%s) does not verify", pk->name, pk->keyid);
		/* The signer name is not signed; it must at least agree
		 * with the trusted key, so that no byte goes unchecked. */
		if (strcmp(signer, pk->name) != 0)
			return fl_err_set(err, FL_EVERIFY, "signature by %s "
			    "(%s) names its signer '%s'", pk->name, pk->keyid,
			    signer);
		if (n < max)
			who[n++] = pk;
	}
	if (nsig == 0)
		return fl_err_set(err, FL_EVERIFY, "not signed");
	if (n == 0)
		return fl_err_set(err, FL_EVERIFY, "signed by unknown key %s",
		    unknown);
	*np = n;
	return 0;
}

int
fl_archive_verify(const struct fl_archive *a, const struct fl_trust *t,
    const struct fl_pubkey **signer, struct fl_err *err)
{
	const struct fl_pubkey *who[1];
	size_t n;
	int rc;

	if (signer != NULL)
		*signer = NULL;
	if ((rc = fl_archive_signers(a, t, who, 1, &n, err)) < 0)
		return rc;
	if (signer != NULL)
		*signer = who[0];
	return 0;
}
