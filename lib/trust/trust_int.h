/*
 * trust_int.h: helpers shared by the trust layer (key.c, sign.c, seal.c,
 * pairmask.c, agree.c) and the archive reader that opens sealed input.
 * Private to lib/; the public interface is the "Trust" section of fl.h.
 */
#ifndef FL_TRUST_INT_H
#define FL_TRUST_INT_H

#include "trust/trust.h"

/* The base64 length of n bytes, with padding (EVP_EncodeBlock's). */
#define FL_B64_LEN(n)	((((n) + 2) / 3) * 4)

/* Encode n bytes as padded base64 into out (FL_B64_LEN(n) + 1 bytes,
 * NUL-terminated). */
void	fl_b64_encode(char *out, const unsigned char *in, size_t n);

/*
 * Decode exactly want bytes from the slen characters at s, strictly: the
 * length must be FL_B64_LEN(want), the padding exact, and the text the
 * canonical encoding of what it decodes to.  Returns 0 or -1; out is
 * wiped on failure.
 */
int	fl_b64_decode(unsigned char *out, size_t want, const char *s,
	    size_t slen);

/* The secret halves of an identity, for sign.c and seal.c. */
const unsigned char *fl_seckey_sign_seed(const struct fl_seckey *sk);
const unsigned char *fl_seckey_seal_priv(const struct fl_seckey *sk);

/*
 * X25519 then HKDF-SHA256 (agree.c): out (outlen bytes) = HKDF-SHA256
 * with ikm X25519(priv, pub) (both 32 bytes), salt (saltlen bytes) and
 * info (infolen bytes).  Returns 0; -1 when pub gives no shared secret
 * (a low-order key); -2 when HKDF fails (out of memory).  The shared
 * secret never leaves, and is wiped.
 */
int	fl_x25519_hkdf(const unsigned char *priv, const unsigned char *pub,
	    const unsigned char *salt, size_t saltlen, const void *info,
	    size_t infolen, unsigned char *out, size_t outlen);

/*
 * fl_unseal after its caller has already read and checked the magic
 * (the archive reader peeks at a stream's first bytes to see whether it
 * is sealed).  The same errors as fl_unseal.
 */
int	fl_unseal_after_magic(FILE *in, FILE *out, const struct fl_seckey *sk,
	    struct fl_err *err);

#endif /* FL_TRUST_INT_H */
