/*
 * pairmask.c: the pairwise masks of secure aggregation, from the X25519
 * keys the sites already hold (lib/trust/key.c): a shared secret per
 * pair, a seed per pair and round (HKDF-SHA256; both agree.c), a mask per seed
 * (ChaCha20), and commitments to seeds.  The protocol that uses them is
 * lib/federation/secagg.c and recovery.c; fl(7) states the threat model.
 */
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <openssl/crypto.h>
#include <openssl/evp.h>

#include "trust/trust_int.h"

#define MASK_INFO	"fl-mask-1\n"
#define COMMIT_TAG	"fl-mask-commit-1\n"
#define BLOCK_WORDS	4096

int
fl_mask_sign(const unsigned char *own, const unsigned char *peer)
{
	int c = memcmp(own, peer, 32);

	return c < 0 ? 1 : c > 0 ? -1 : 0;
}

int
fl_mask_seed(const struct fl_seckey *sk, const struct fl_pubkey *peer,
    const char *model_id, int64_t round, unsigned char *seed,
    struct fl_err *err)
{
	const unsigned char *own = fl_seckey_pub(sk)->seal_pub;
	unsigned char salt[64];
	char info[256];
	int sign = fl_mask_sign(own, peer->seal_pub), n, rc;

	if (sign == 0)
		return fl_err_set(err, FL_EVERIFY, "key %s: a site shares no "
		    "mask with itself", peer->keyid);
	n = snprintf(info, sizeof(info), MASK_INFO "%s\n%lld", model_id,
	    (long long)round);
	if (n < 0 || (size_t)n >= sizeof(info))
		return fl_err_set(err, FL_EFORMAT, "model id too long");
	/* The salt is the same at both ends: the keys in byte order. */
	memcpy(salt, sign > 0 ? own : peer->seal_pub, 32);
	memcpy(salt + 32, sign > 0 ? peer->seal_pub : own, 32);
	rc = fl_x25519_hkdf(fl_seckey_seal_priv(sk), peer->seal_pub, salt,
	    sizeof(salt), info, (size_t)n, seed, FL_MASK_SEED_LEN);
	if (rc == -1)
		return fl_err_set(err, FL_EVERIFY, "key %s (%s): no shared "
		    "secret (a low-order X25519 key)", peer->keyid, peer->name);
	if (rc < 0)
		return fl_err_set(err, FL_ENOMEM, "HKDF failed");
	return 0;
}

int
fl_mask_apply(const unsigned char *seed, int sign, uint32_t *v, size_t n,
    struct fl_err *err)
{
	static const unsigned char zero[4 * BLOCK_WORDS];
	static const unsigned char iv[16];
	unsigned char ks[4 * BLOCK_WORDS];
	EVP_CIPHER_CTX *c;
	size_t i, k, m;
	uint32_t w;
	int len, rc = 0;

	if ((c = EVP_CIPHER_CTX_new()) == NULL ||
	    EVP_EncryptInit_ex(c, EVP_chacha20(), NULL, seed, iv) != 1) {
		EVP_CIPHER_CTX_free(c);
		return fl_err_set(err, FL_ENOMEM, "ChaCha20 failed");
	}
	for (i = 0; i < n && rc == 0; i += m) {
		m = n - i < BLOCK_WORDS ? n - i : BLOCK_WORDS;
		/* The keystream is ChaCha20 of zeros; words little-endian. */
		if (EVP_EncryptUpdate(c, ks, &len, zero, (int)(4 * m)) != 1 ||
		    len != (int)(4 * m)) {
			rc = fl_err_set(err, FL_ENOMEM, "ChaCha20 failed");
			break;
		}
		for (k = 0; k < m; k++) {
			w = (uint32_t)ks[4 * k] | (uint32_t)ks[4 * k + 1] << 8 |
			    (uint32_t)ks[4 * k + 2] << 16 |
			    (uint32_t)ks[4 * k + 3] << 24;
			v[i + k] = sign > 0 ? v[i + k] + w : v[i + k] - w;
		}
	}
	OPENSSL_cleanse(ks, sizeof(ks));
	EVP_CIPHER_CTX_free(c);
	return rc;
}

/* hex of the n bytes at md into out (2n + 1 bytes). */
static void
hex(const unsigned char *md, size_t n, char *out)
{
	static const char digits[] = "0123456789abcdef";
	size_t i;

	for (i = 0; i < n; i++) {
		out[2 * i] = digits[md[i] >> 4];
		out[2 * i + 1] = digits[md[i] & 15];
	}
	out[2 * n] = '\0';
}

void
fl_mask_commit(const unsigned char *seed, char *out)
{
	unsigned char buf[sizeof(COMMIT_TAG) - 1 + FL_MASK_SEED_LEN];
	unsigned char md[EVP_MAX_MD_SIZE];
	unsigned int mdlen = 0;

	memcpy(buf, COMMIT_TAG, sizeof(COMMIT_TAG) - 1);
	memcpy(buf + sizeof(COMMIT_TAG) - 1, seed, FL_MASK_SEED_LEN);
	memcpy(out, "sha256:", 7);
	if (EVP_Digest(buf, sizeof(buf), md, &mdlen, EVP_sha256(), NULL) != 1
	    || mdlen != 32)
		memset(md, 0, 32);	/* an impossible commitment */
	hex(md, 32, out + 7);
	OPENSSL_cleanse(buf, sizeof(buf));
}

void
fl_pubkey_keyid(const unsigned char *sign_pub, const unsigned char *seal_pub,
    char *out)
{
	unsigned char raw[64], md[EVP_MAX_MD_SIZE];
	unsigned int mdlen = 0;

	memcpy(raw, sign_pub, 32);
	memcpy(raw + 32, seal_pub, 32);
	if (EVP_Digest(raw, sizeof(raw), md, &mdlen, EVP_sha256(), NULL) != 1)
		memset(md, 0, 8);
	hex(md, FL_KEYID_LEN / 2, out);
}

void
fl_pubkey_b64(const struct fl_pubkey *pk, char *out)
{
	unsigned char raw[64];

	memcpy(raw, pk->sign_pub, 32);
	memcpy(raw + 32, pk->seal_pub, 32);
	fl_b64_encode(out, raw, sizeof(raw));
}

int
fl_pubkey_from_b64(struct fl_pubkey *pk, const char *s)
{
	unsigned char raw[64];

	if (s == NULL || strlen(s) != FL_PUB_B64_LEN ||
	    fl_b64_decode(raw, sizeof(raw), s, FL_PUB_B64_LEN) < 0)
		return -1;
	memcpy(pk->sign_pub, raw, 32);
	memcpy(pk->seal_pub, raw + 32, 32);
	fl_pubkey_keyid(pk->sign_pub, pk->seal_pub, pk->keyid);
	return 0;
}
