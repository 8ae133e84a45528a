/*
 * agree.c: X25519 key agreement followed by HKDF-SHA256, the one
 * derivation behind sealing (seal.c: a recipient's key-wrapping key) and
 * secure aggregation's pairwise masks (pairmask.c: a pair's mask seed).
 * The formats that fix salt and info are in man/fl-archive.5 (SEALED
 * ARCHIVES) and fl(7) (Secure aggregation).
 */
#include <string.h>

#include <openssl/core_names.h>
#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/kdf.h>

#include "trust_int.h"

/* shared = X25519(priv, pub); -1 on failure (also for a low-order pub,
 * which OpenSSL refuses). */
static int
x25519(const unsigned char *priv, const unsigned char *pub,
    unsigned char *shared)
{
	EVP_PKEY *k = NULL, *p = NULL;
	EVP_PKEY_CTX *c = NULL;
	size_t n = 32;
	int rc = -1;

	if ((k = EVP_PKEY_new_raw_private_key(EVP_PKEY_X25519, NULL, priv,
	    32)) != NULL &&
	    (p = EVP_PKEY_new_raw_public_key(EVP_PKEY_X25519, NULL, pub,
	    32)) != NULL &&
	    (c = EVP_PKEY_CTX_new(k, NULL)) != NULL &&
	    EVP_PKEY_derive_init(c) == 1 &&
	    EVP_PKEY_derive_set_peer(c, p) == 1 &&
	    EVP_PKEY_derive(c, shared, &n) == 1 && n == 32)
		rc = 0;
	EVP_PKEY_CTX_free(c);
	EVP_PKEY_free(k);
	EVP_PKEY_free(p);
	return rc;
}

int
fl_x25519_hkdf(const unsigned char *priv, const unsigned char *pub,
    const unsigned char *salt, size_t saltlen, const void *info,
    size_t infolen, unsigned char *out, size_t outlen)
{
	unsigned char shared[32];
	OSSL_PARAM params[5];
	EVP_KDF *kdf = NULL;
	EVP_KDF_CTX *c = NULL;
	int rc = -2;

	if (x25519(priv, pub, shared) < 0) {
		OPENSSL_cleanse(shared, sizeof(shared));
		return -1;
	}
	params[0] = OSSL_PARAM_construct_utf8_string(OSSL_KDF_PARAM_DIGEST,
	    (char *)"SHA256", 0);
	params[1] = OSSL_PARAM_construct_octet_string(OSSL_KDF_PARAM_KEY,
	    shared, sizeof(shared));
	params[2] = OSSL_PARAM_construct_octet_string(OSSL_KDF_PARAM_SALT,
	    (void *)salt, saltlen);
	params[3] = OSSL_PARAM_construct_octet_string(OSSL_KDF_PARAM_INFO,
	    (void *)info, infolen);
	params[4] = OSSL_PARAM_construct_end();
	if ((kdf = EVP_KDF_fetch(NULL, "HKDF", NULL)) != NULL &&
	    (c = EVP_KDF_CTX_new(kdf)) != NULL &&
	    EVP_KDF_derive(c, out, outlen, params) == 1)
		rc = 0;
	EVP_KDF_CTX_free(c);
	EVP_KDF_free(kdf);
	OPENSSL_cleanse(shared, sizeof(shared));
	return rc;
}
