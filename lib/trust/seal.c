/*
 * seal.c: encryption of any byte stream (normally an archive) to one or
 * more identities: X25519 with one ephemeral key per file, HKDF-SHA256
 * and ChaCha20-Poly1305 in 64 KiB chunks, so that sealing and opening
 * take constant memory and a truncated, reordered or altered file fails.
 * The format is specified in man/fl-archive.5 (SEALED ARCHIVES); keys
 * are in key.c, and the archive reader opens sealed input through
 * fl_unseal_after_magic.  fl_seal_file and fl_unseal_file, at the end,
 * are fl-pack seal and open on files, with atomic output.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/rand.h>

#include "trust_int.h"

#define MAGIC_LEN	(sizeof(FL_SEAL_MAGIC) - 1)
#define CHUNK		65536
#define TAG		16
#define MAX_HEADER	((size_t)1 << 20)
#define MAX_RECIPIENTS	1024
#define WRAP_INFO	"fl-seal-1 wrap"
#define WRAP_LEN	(32 + TAG)

/* ------------------------------------------------------------------------ */
/* Primitives.                                                              */

/* kek = HKDF-SHA256(ikm = X25519(priv, pub), salt = epk || rpub, info),
 * where pub is rpub when sealing and epk when opening: fl_x25519_hkdf's
 * -1 (no shared secret) or -2. */
static int
wrap_key(const unsigned char *priv, const unsigned char *pub,
    const unsigned char *epk, const unsigned char *rpub, unsigned char *kek)
{
	unsigned char salt[64];

	memcpy(salt, epk, 32);
	memcpy(salt + 32, rpub, 32);
	return fl_x25519_hkdf(priv, pub, salt, sizeof(salt), WRAP_INFO,
	    sizeof(WRAP_INFO) - 1, kek, 32);
}

/*
 * ChaCha20-Poly1305 of in[0..n) into out with key and a 12-byte nonce:
 * enc 1 writes ciphertext and the tag into tag; enc 0 checks tag.
 * Returns 1, 0 when the tag does not verify, -1 when OpenSSL fails.
 * aad (32 bytes) may be NULL.
 */
static int
aead(EVP_CIPHER_CTX *c, int enc, const unsigned char *key,
    const unsigned char *nonce, const unsigned char *aad,
    const unsigned char *in, size_t n, unsigned char *out,
    unsigned char *tag)
{
	int l;

	if (EVP_CipherInit_ex(c, EVP_chacha20_poly1305(), NULL, key, nonce,
	    enc) != 1)
		return -1;
	if (!enc && EVP_CIPHER_CTX_ctrl(c, EVP_CTRL_AEAD_SET_TAG, TAG,
	    tag) != 1)
		return -1;
	if (aad != NULL && EVP_CipherUpdate(c, NULL, &l, aad, 32) != 1)
		return -1;
	if (n > 0 && (EVP_CipherUpdate(c, out, &l, in, (int)n) != 1 ||
	    (size_t)l != n))
		return enc ? -1 : 0;
	if (EVP_CipherFinal_ex(c, out + n, &l) != 1)
		return enc ? -1 : 0;
	if (enc && EVP_CIPHER_CTX_ctrl(c, EVP_CTRL_AEAD_GET_TAG, TAG,
	    tag) != 1)
		return -1;
	return 1;
}

/* The nonce of chunk i: 11-byte big-endian counter, then the last flag. */
static void
chunk_nonce(unsigned char *nonce, uint64_t i, int last)
{
	int k;

	memset(nonce, 0, 12);
	for (k = 0; k < 8; k++)
		nonce[10 - k] = (unsigned char)(i >> (8 * k));
	nonce[11] = last ? 1 : 0;
}

/* aad = SHA-256(magic || u32le(len) || header). */
static int
header_hash(const char *hdr, uint32_t len, unsigned char *aad)
{
	unsigned char le[4] = { len & 0xff, (len >> 8) & 0xff,
	    (len >> 16) & 0xff, (len >> 24) & 0xff };
	EVP_MD_CTX *md;
	unsigned int n = 0;
	int rc = -1;

	if ((md = EVP_MD_CTX_new()) != NULL &&
	    EVP_DigestInit_ex(md, EVP_sha256(), NULL) == 1 &&
	    EVP_DigestUpdate(md, FL_SEAL_MAGIC, MAGIC_LEN) == 1 &&
	    EVP_DigestUpdate(md, le, 4) == 1 &&
	    EVP_DigestUpdate(md, hdr, len) == 1 &&
	    EVP_DigestFinal_ex(md, aad, &n) == 1 && n == 32)
		rc = 0;
	EVP_MD_CTX_free(md);
	return rc;
}

/* Read up to n bytes, stopping early only at the end of the stream. */
static size_t
read_full(FILE *f, unsigned char *buf, size_t n)
{
	size_t got = 0, k;

	while (got < n && (k = fread(buf + got, 1, n - got, f)) > 0)
		got += k;
	return got;
}

/* ------------------------------------------------------------------------ */
/* Sealing.                                                                 */

/* The header for recipients to[0..nto), wrapping file_key. */
static int
make_header(const struct fl_pubkey *const *to, size_t nto,
    const unsigned char *file_key, EVP_CIPHER_CTX *c, char **hdr,
    struct fl_err *err)
{
	static const unsigned char zero[12];
	EVP_PKEY *eph = NULL;
	json_t *h = NULL, *arr = NULL;
	unsigned char epriv[32], epub[32], kek[32];
	unsigned char wrap[WRAP_LEN];
	char epk64[FL_B64_LEN(32) + 1], wrap64[FL_B64_LEN(WRAP_LEN) + 1];
	size_t i, n = 32, m = 32;
	int rc = 0;

	*hdr = NULL;
	if ((eph = EVP_PKEY_Q_keygen(NULL, NULL, "X25519")) == NULL ||
	    EVP_PKEY_get_raw_private_key(eph, epriv, &n) != 1 || n != 32 ||
	    EVP_PKEY_get_raw_public_key(eph, epub, &m) != 1 || m != 32 ||
	    (arr = json_array()) == NULL) {
		rc = fl_err_set(err, FL_ENOMEM, "key generation failed");
		goto out;
	}
	for (i = 0; i < nto; i++) {
		if ((rc = wrap_key(epriv, to[i]->seal_pub, epub,
		    to[i]->seal_pub, kek)) == -1) {
			rc = fl_err_set(err, FL_EUSAGE, "key %s (%s): not a "
			    "usable sealing key", to[i]->keyid, to[i]->name);
			goto out;
		}
		if (rc < 0 || aead(c, 1, kek, zero, NULL, file_key, 32, wrap,
		    wrap + 32) != 1) {
			rc = fl_err_set(err, FL_ENOMEM, "key wrap failed");
			goto out;
		}
		fl_b64_encode(wrap64, wrap, WRAP_LEN);
		if (json_array_append_new(arr, json_pack("{s:s, s:s}", "keyid",
		    to[i]->keyid, "wrap", wrap64)) < 0)
			goto nomem;
	}
	fl_b64_encode(epk64, epub, 32);
	/* Keys in this order: version, epk, chunk, recipients. */
	if ((h = json_pack("{s:i, s:s, s:i, s:O}", "version", 1, "epk",
	    epk64, "chunk", CHUNK, "recipients", arr)) == NULL ||
	    (*hdr = json_dumps(h, JSON_COMPACT | JSON_PRESERVE_ORDER)) ==
	    NULL)
		goto nomem;
	if (strlen(*hdr) > MAX_HEADER) {
		free(*hdr);
		*hdr = NULL;
		rc = fl_err_set(err, FL_EUSAGE, "too many recipients");
	}
	goto out;
nomem:
	rc = fl_err_set(err, FL_ENOMEM, "out of memory");
out:
	OPENSSL_cleanse(epriv, sizeof(epriv));
	OPENSSL_cleanse(kek, sizeof(kek));
	EVP_PKEY_free(eph);
	json_decref(arr);
	json_decref(h);
	return rc;
}

int
fl_seal(FILE *in, FILE *out, const struct fl_pubkey *const *to, size_t nto,
    struct fl_err *err)
{
	EVP_CIPHER_CTX *c = NULL;
	unsigned char file_key[32], aad[32], nonce[12], le[4];
	unsigned char *pbuf = NULL, *cbuf = NULL;
	char *hdr = NULL;
	uint64_t i;
	size_t n, hlen;
	int rc = 0, last, ch;

	if (nto == 0 || nto > MAX_RECIPIENTS)
		return fl_err_set(err, FL_EUSAGE, "need 1 to %d recipients",
		    MAX_RECIPIENTS);
	if ((c = EVP_CIPHER_CTX_new()) == NULL ||
	    (pbuf = malloc(CHUNK)) == NULL ||
	    (cbuf = malloc(CHUNK + TAG)) == NULL) {
		rc = fl_err_set(err, FL_ENOMEM, "out of memory");
		goto out;
	}
	if (RAND_bytes(file_key, sizeof(file_key)) != 1) {
		rc = fl_err_set(err, FL_ENOMEM, "no randomness");
		goto out;
	}
	if ((rc = make_header(to, nto, file_key, c, &hdr, err)) < 0)
		goto out;
	hlen = strlen(hdr);
	le[0] = hlen & 0xff;
	le[1] = (hlen >> 8) & 0xff;
	le[2] = (hlen >> 16) & 0xff;
	le[3] = (hlen >> 24) & 0xff;
	if (header_hash(hdr, (uint32_t)hlen, aad) < 0) {
		rc = fl_err_set(err, FL_ENOMEM, "sha256 failed");
		goto out;
	}
	if (fwrite(FL_SEAL_MAGIC, 1, MAGIC_LEN, out) != MAGIC_LEN ||
	    fwrite(le, 1, 4, out) != 4 || fwrite(hdr, 1, hlen, out) != hlen)
		goto werr;
	for (i = 0;; i++) {
		n = read_full(in, pbuf, CHUNK);
		if (ferror(in)) {
			rc = fl_err_set(err, FL_EIO, "read: %s",
			    strerror(errno != 0 ? errno : EIO));
			goto out;
		}
		/* A full chunk is the last one only if nothing follows. */
		last = n < CHUNK;
		if (!last) {
			if ((ch = getc(in)) == EOF) {
				if (ferror(in)) {
					rc = fl_err_set(err, FL_EIO, "read: %s",
					    strerror(errno));
					goto out;
				}
				last = 1;
			} else
				ungetc(ch, in);
		}
		chunk_nonce(nonce, i, last);
		if (aead(c, 1, file_key, nonce, aad, pbuf, n, cbuf,
		    cbuf + n) != 1) {
			rc = fl_err_set(err, FL_ENOMEM, "encryption failed");
			goto out;
		}
		if (fwrite(cbuf, 1, n + TAG, out) != n + TAG)
			goto werr;
		if (last)
			break;
	}
	if (fflush(out) != 0 || ferror(out))
		goto werr;
	goto out;
werr:
	rc = fl_err_set(err, FL_EIO, "write: %s",
	    strerror(errno != 0 ? errno : EIO));
out:
	OPENSSL_cleanse(file_key, sizeof(file_key));
	if (pbuf != NULL)
		OPENSSL_cleanse(pbuf, CHUNK);
	EVP_CIPHER_CTX_free(c);
	free(pbuf);
	free(cbuf);
	free(hdr);
	return rc;
}

/* ------------------------------------------------------------------------ */
/* Opening.                                                                 */

#define ALTERED		"sealed archive altered or corrupt"
#define TRUNCATED	"sealed archive truncated"

/*
 * Parse the header and unwrap the file key for sk.  Malformed headers
 * are FL_EVERIFY (the magic promised a sealed file), an unknown version
 * or chunk size FL_EFORMAT.
 */
static int
open_header(const char *hdr, size_t hlen, const struct fl_seckey *sk,
    EVP_CIPHER_CTX *c, unsigned char *file_key, struct fl_err *err)
{
	static const unsigned char zero[12];
	const struct fl_pubkey *me = fl_seckey_pub(sk);
	json_error_t jerr;
	json_t *h, *rs, *r;
	json_int_t version, chunk;
	const char *epk64, *kid, *wrap64;
	unsigned char epk[32], kek[32], wrap[WRAP_LEN];
	size_t i;
	int rc = 0, found = 0;

	if ((h = json_loadb(hdr, hlen, JSON_REJECT_DUPLICATES, &jerr)) ==
	    NULL || json_unpack(h, "{s:I, s:s, s:I, s:o !}", "version",
	    &version, "epk", &epk64, "chunk", &chunk, "recipients",
	    &rs) != 0) {
		rc = fl_err_set(err, FL_EVERIFY, ALTERED " (header)");
		goto out;
	}
	if (version != 1) {
		rc = fl_err_set(err, FL_EFORMAT, "sealed with format version "
		    "%lld (this fl reads 1)", (long long)version);
		goto out;
	}
	if (chunk != CHUNK) {
		rc = fl_err_set(err, FL_EFORMAT, "sealed with chunks of %lld "
		    "bytes (this fl reads %d)", (long long)chunk, CHUNK);
		goto out;
	}
	if (!json_is_array(rs) || json_array_size(rs) == 0 ||
	    json_array_size(rs) > MAX_RECIPIENTS ||
	    fl_b64_decode(epk, 32, epk64, strlen(epk64)) < 0) {
		rc = fl_err_set(err, FL_EVERIFY, ALTERED " (header)");
		goto out;
	}
	json_array_foreach(rs, i, r) {
		if (json_unpack(r, "{s:s, s:s !}", "keyid", &kid, "wrap",
		    &wrap64) != 0) {
			rc = fl_err_set(err, FL_EVERIFY, ALTERED " (header)");
			goto out;
		}
		if (found || strcmp(kid, me->keyid) != 0)
			continue;
		found = 1;
		if (fl_b64_decode(wrap, WRAP_LEN, wrap64, strlen(wrap64)) <
		    0 || wrap_key(fl_seckey_seal_priv(sk), epk, epk,
		    me->seal_pub, kek) < 0 ||
		    aead(c, 0, kek, zero, NULL, wrap, 32, file_key,
		    wrap + 32) != 1) {
			rc = fl_err_set(err, FL_EVERIFY, ALTERED " (key wrap "
			    "for %s)", me->keyid);
			goto out;
		}
	}
	if (!found)
		rc = fl_err_set(err, FL_EVERIFY, "not sealed for key %s (%s)",
		    me->keyid, me->name);
out:
	OPENSSL_cleanse(kek, sizeof(kek));
	json_decref(h);
	return rc;
}

int
fl_unseal_after_magic(FILE *in, FILE *out, const struct fl_seckey *sk,
    struct fl_err *err)
{
	EVP_CIPHER_CTX *c = NULL;
	unsigned char le[4], file_key[32], aad[32], nonce[12];
	unsigned char *cbuf = NULL, *pbuf = NULL;
	char *hdr = NULL;
	uint32_t hlen;
	uint64_t i;
	size_t n;
	int rc = 0, last, ch, v;

	if ((c = EVP_CIPHER_CTX_new()) == NULL ||
	    (pbuf = malloc(CHUNK + TAG)) == NULL ||
	    (cbuf = malloc(CHUNK + TAG)) == NULL) {
		rc = fl_err_set(err, FL_ENOMEM, "out of memory");
		goto out;
	}
	if (read_full(in, le, 4) != 4)
		goto short_read;
	hlen = (uint32_t)le[0] | (uint32_t)le[1] << 8 |
	    (uint32_t)le[2] << 16 | (uint32_t)le[3] << 24;
	if (hlen == 0 || hlen > MAX_HEADER) {
		rc = fl_err_set(err, FL_EVERIFY, ALTERED " (header length "
		    "%lu)", (unsigned long)hlen);
		goto out;
	}
	if ((hdr = malloc(hlen)) == NULL) {
		rc = fl_err_set(err, FL_ENOMEM, "out of memory");
		goto out;
	}
	if (read_full(in, (unsigned char *)hdr, hlen) != hlen)
		goto short_read;
	if ((rc = open_header(hdr, hlen, sk, c, file_key, err)) < 0)
		goto out;
	if (header_hash(hdr, hlen, aad) < 0) {
		rc = fl_err_set(err, FL_ENOMEM, "sha256 failed");
		goto out;
	}
	for (i = 0;; i++) {
		n = read_full(in, cbuf, CHUNK + TAG);
		if (ferror(in))
			goto rerr;
		if (n < TAG)
			goto short_read;
		last = n < CHUNK + TAG;
		if (!last) {
			if ((ch = getc(in)) == EOF) {
				if (ferror(in))
					goto rerr;
				last = 1;
			} else
				ungetc(ch, in);
		}
		chunk_nonce(nonce, i, last);
		v = aead(c, 0, file_key, nonce, aad, cbuf, n - TAG, pbuf,
		    cbuf + n - TAG);
		if (v < 0) {
			rc = fl_err_set(err, FL_ENOMEM, "decryption failed");
			goto out;
		}
		if (v == 0) {
			/* Tell a cut at a chunk boundary, and bytes after
			 * the final chunk, from damage. */
			chunk_nonce(nonce, i, !last);
			if (aead(c, 0, file_key, nonce, aad, cbuf, n - TAG,
			    pbuf, cbuf + n - TAG) == 1)
				rc = fl_err_set(err, FL_EVERIFY, last ?
				    TRUNCATED : ALTERED " (data after the "
				    "final chunk)");
			else
				rc = fl_err_set(err, FL_EVERIFY, ALTERED " at "
				    "chunk %llu", (unsigned long long)i);
			goto out;
		}
		if (n > TAG && fwrite(pbuf, 1, n - TAG, out) != n - TAG) {
			rc = fl_err_set(err, FL_EIO, "write: %s",
			    strerror(errno != 0 ? errno : EIO));
			goto out;
		}
		if (last)
			break;
	}
	if (fflush(out) != 0 || ferror(out))
		rc = fl_err_set(err, FL_EIO, "write: %s",
		    strerror(errno != 0 ? errno : EIO));
	goto out;
short_read:
	if (ferror(in))
		goto rerr;
	rc = fl_err_set(err, FL_EVERIFY, TRUNCATED);
	goto out;
rerr:
	rc = fl_err_set(err, FL_EIO, "read: %s",
	    strerror(errno != 0 ? errno : EIO));
out:
	OPENSSL_cleanse(file_key, sizeof(file_key));
	if (pbuf != NULL)
		OPENSSL_cleanse(pbuf, CHUNK + TAG);
	EVP_CIPHER_CTX_free(c);
	free(pbuf);
	free(cbuf);
	free(hdr);
	return rc;
}

int
fl_unseal(FILE *in, FILE *out, const struct fl_seckey *sk,
    struct fl_err *err)
{
	unsigned char m[MAGIC_LEN];
	size_t n;

	n = read_full(in, m, MAGIC_LEN);
	if (n < MAGIC_LEN && ferror(in))
		return fl_err_set(err, FL_EIO, "read: %s",
		    strerror(errno != 0 ? errno : EIO));
	if (n == MAGIC_LEN && memcmp(m, FL_SEAL_MAGIC, MAGIC_LEN) == 0)
		return fl_unseal_after_magic(in, out, sk, err);
	/* A proper prefix of the magic is a sealed file cut short. */
	if (n > 0 && n < MAGIC_LEN && memcmp(m, FL_SEAL_MAGIC, n) == 0)
		return fl_err_set(err, FL_EVERIFY, TRUNCATED);
	return fl_err_set(err, FL_EFORMAT, "not a sealed archive");
}

/* ------------------------------------------------------------------------ */
/* Files: the work of fl-pack seal and open.                                */

/* The name for an error raised by fl_seal or fl_unseal: the output's
 * when writing failed ("write: ..."), else the input's. */
static const char *
blame(const struct fl_err *err, const char *inname, const struct fl_out *out)
{
	return out != NULL && strncmp(err->msg, "write:", 6) == 0 ?
	    fl_out_name(out) : inname;
}

/* Seal inpath for keys[0..nto) into outpath, which appears only when
 * all of it was written. */
int
fl_seal_file(const char *inpath, const struct fl_pubkey *keys, size_t nto,
    const char *outpath, struct fl_err *err)
{
	const struct fl_pubkey **to;
	struct fl_out *out = NULL;
	FILE *in = NULL;
	size_t i;
	int rc;

	if ((to = calloc(nto == 0 ? 1 : nto, sizeof(*to))) == NULL)
		return fl_err_set(err, FL_ENOMEM, "out of memory");
	for (i = 0; i < nto; i++)
		to[i] = &keys[i];
	if ((in = fl_in_open(inpath, err)) == NULL) {
		rc = FL_EIO;
		goto out;
	}
	if ((rc = fl_out_open(&out, outpath, err)) < 0)
		goto out;
	if ((rc = fl_seal(in, fl_out_stream(out), to, nto, err)) < 0) {
		fl_err_prefix(err, "%s", blame(err, fl_in_name(inpath), out));
		goto out;
	}
	rc = fl_out_commit(out, err);
	out = NULL;
out:
	fl_out_abort(out);
	fl_in_close(in);
	free(to);
	return rc;
}

/* Copy all of f, from its start, to out. */
static int
copy_out(FILE *f, struct fl_out *out, struct fl_err *err)
{
	char buf[65536];
	size_t n;

	if (fseek(f, 0, SEEK_SET) != 0)
		return fl_err_set(err, FL_EIO, "temp file: %s",
		    strerror(errno));
	while ((n = fread(buf, 1, sizeof(buf), f)) > 0)
		if (fwrite(buf, 1, n, fl_out_stream(out)) != n)
			return fl_err_set(err, FL_EIO, "%s: %s",
			    fl_out_name(out), strerror(errno));
	if (ferror(f))
		return fl_err_set(err, FL_EIO, "temp file: %s",
		    strerror(errno));
	return 0;
}

/*
 * A regular file (or a path not there yet) gets its temp file beside it,
 * through fl_out.  Stdout or a device would see bytes as they come, so
 * those get an unlinked temp file, copied out once all has verified.
 */
int
fl_unseal_file(const char *inpath, const struct fl_seckey *sk,
    const char *outpath, struct fl_err *err)
{
	struct fl_out *out = NULL;
	struct stat st;
	FILE *in, *tmp = NULL;
	int rc;

	if ((in = fl_in_open(inpath, err)) == NULL)
		return FL_EIO;
	if (outpath != NULL && strcmp(outpath, "-") != 0 &&
	    (stat(outpath, &st) != 0 || S_ISREG(st.st_mode))) {
		if ((rc = fl_out_open(&out, outpath, err)) < 0)
			goto out;
		if ((rc = fl_unseal(in, fl_out_stream(out), sk, err)) < 0) {
			fl_err_prefix(err, "%s", fl_in_name(inpath));
			goto out;
		}
	} else {
		if ((tmp = tmpfile()) == NULL) {
			rc = fl_err_set(err, FL_EIO, "temp file: %s",
			    strerror(errno));
			goto out;
		}
		if ((rc = fl_unseal(in, tmp, sk, err)) < 0) {
			fl_err_prefix(err, "%s", fl_in_name(inpath));
			goto out;
		}
		if ((rc = fl_out_open(&out, outpath, err)) < 0 ||
		    (rc = copy_out(tmp, out, err)) < 0)
			goto out;
	}
	rc = fl_out_commit(out, err);
	out = NULL;
out:
	fl_out_abort(out);
	if (tmp != NULL)
		fclose(tmp);
	fl_in_close(in);
	return rc;
}
