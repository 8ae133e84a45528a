/*
 * rng.c: the one seeded generator behind initialisation and shuffling.
 * xoshiro256** (Blackman and Vigna), seeded from SHA-256 of the seed and a
 * stream name.  OpenSSL has no seedable, reproducible generator (RAND_bytes
 * is deliberately unpredictable), hence this tiny one; OpenSSL only hashes.
 */
#include <math.h>
#include <string.h>

#include <openssl/evp.h>

#include "core/core.h"

/* Rotate x left by k bits (0 < k < 64). */
static uint64_t
rotl(uint64_t x, int k)
{
	return (x << k) | (x >> (64 - k));
}

/* Read 8 bytes as a little-endian u64. */
static uint64_t
load_le64(const unsigned char *p)
{
	uint64_t v = 0;
	int i;

	for (i = 7; i >= 0; i--)
		v = (v << 8) | p[i];
	return v;
}

/*
 * Seed r from SHA-256(seed as u64 little-endian || stream), so that the
 * same (seed, stream) gives the same sequence on every machine and
 * distinct streams are independent.  The all-zero state (which xoshiro
 * cannot leave) is replaced by a constant; SHA-256 makes it unreachable
 * in practice.
 */
void
fl_rng_seed(struct fl_rng *r, uint64_t seed, const char *stream)
{
	unsigned char buf[8], md[EVP_MAX_MD_SIZE];
	unsigned int mdlen = 0;
	int i;

	for (i = 0; i < 8; i++)
		buf[i] = (unsigned char)(seed >> (8 * i));
	if (stream == NULL)
		stream = "";
	memset(md, 0, sizeof(md));
	{
		EVP_MD_CTX *ctx = EVP_MD_CTX_new();

		if (ctx == NULL ||
		    EVP_DigestInit_ex(ctx, EVP_sha256(), NULL) != 1 ||
		    EVP_DigestUpdate(ctx, buf, sizeof(buf)) != 1 ||
		    EVP_DigestUpdate(ctx, stream, strlen(stream)) != 1 ||
		    EVP_DigestFinal_ex(ctx, md, &mdlen) != 1)
			mdlen = 0;
		EVP_MD_CTX_free(ctx);
	}
	if (mdlen < 32) {
		/*
		 * SHA-256 cannot fail short of memory exhaustion; fall back
		 * to splitmix64 of the seed so the generator stays usable.
		 */
		uint64_t z = seed;

		for (i = 0; i < 4; i++) {
			uint64_t t;

			z += 0x9e3779b97f4a7c15ULL;
			t = z;
			t = (t ^ (t >> 30)) * 0xbf58476d1ce4e5b9ULL;
			t = (t ^ (t >> 27)) * 0x94d049bb133111ebULL;
			r->s[i] = t ^ (t >> 31);
		}
	} else {
		for (i = 0; i < 4; i++)
			r->s[i] = load_le64(md + 8 * i);
	}
	if ((r->s[0] | r->s[1] | r->s[2] | r->s[3]) == 0)
		r->s[0] = 0x9e3779b97f4a7c15ULL;
	r->spare = 0.0;
	r->has_spare = 0;
}

/* The next 64 random bits (xoshiro256**). */
uint64_t
fl_rng_u64(struct fl_rng *r)
{
	uint64_t *s = r->s;
	uint64_t out = rotl(s[1] * 5, 7) * 9;
	uint64_t t = s[1] << 17;

	s[2] ^= s[0];
	s[3] ^= s[1];
	s[1] ^= s[2];
	s[0] ^= s[3];
	s[2] ^= t;
	s[3] = rotl(s[3], 45);
	return out;
}

/* A uniform double in [0, 1) with 53 random bits. */
double
fl_rng_uniform(struct fl_rng *r)
{
	return (double)(fl_rng_u64(r) >> 11) * 0x1.0p-53;
}

/*
 * A standard normal deviate by the Box-Muller transform.  Each transform
 * yields two deviates; the second is cached in r->spare for the next call.
 */
double
fl_rng_normal(struct fl_rng *r)
{
	double u1, u2, rad;

	if (r->has_spare) {
		r->has_spare = 0;
		return r->spare;
	}
	do
		u1 = fl_rng_uniform(r);
	while (u1 == 0.0);
	u2 = fl_rng_uniform(r);
	rad = sqrt(-2.0 * log(u1));
	r->spare = rad * sin(2.0 * M_PI * u2);
	r->has_spare = 1;
	return rad * cos(2.0 * M_PI * u2);
}

/*
 * A uniform integer in [0, n), unbiased: draws falling in the incomplete
 * last block of 2^64 mod n values are rejected.  n == 0 gives 0.
 */
size_t
fl_rng_below(struct fl_rng *r, size_t n)
{
	uint64_t x, rem;

	if (n <= 1)
		return 0;
	/* rem = 2^64 mod n; accepting x <= 2^64 - 1 - rem leaves a whole
	 * number of blocks of n values. */
	rem = (UINT64_MAX % n + 1) % n;
	do
		x = fl_rng_u64(r);
	while (x > UINT64_MAX - rem);
	return (size_t)(x % n);
}

/* Shuffle v[0..n-1] in place (Fisher-Yates). */
void
fl_rng_shuffle(struct fl_rng *r, size_t *v, size_t n)
{
	size_t i, j, t;

	for (i = n; i > 1; i--) {
		j = fl_rng_below(r, i);
		t = v[i - 1];
		v[i - 1] = v[j];
		v[j] = t;
	}
}
