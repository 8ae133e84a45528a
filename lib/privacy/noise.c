/*
 * noise.c: the one source of randomness for privacy noise: DP-SGD's
 * Gaussian (lib/train/train.c), central DP's Gaussian
 * (lib/federation/aggregate.c) and
 * the Laplace mechanism of fl-stats (lib/stats/stats.c).  The rule, stated in
 * fl.h and in the man pages' privacy sections: 64-bit words come from
 * OpenSSL's RAND_bytes, read in blocks; with a test seed, from the seeded
 * generator of lib/core/rng.c (stream "dp-noise"), which gives no privacy.
 * Gaussian deviates are Box-Muller, as fl_rng_normal's; lib/privacy/dp.c
 * accounts.
 */
#include <math.h>
#include <stdlib.h>

#include <openssl/crypto.h>
#include <openssl/rand.h>

#include "privacy/privacy.h"

#define NOISE_BLOCK	512	/* words read from RAND_bytes at a time */

struct fl_noise {
	int		 seeded;
	struct fl_rng	 rng;		/* seeded: the stream */
	uint64_t	 buf[NOISE_BLOCK];	/* unseeded: unused words */
	size_t		 pos;
	double		 spare;		/* Box-Muller's second deviate */
	int		 has_spare;
};

int
fl_noise_new(struct fl_noise **np, int seeded, uint64_t seed,
    const char *stream, struct fl_err *err)
{
	struct fl_noise *ns;

	*np = NULL;
	if ((ns = calloc(1, sizeof(*ns))) == NULL)
		return fl_err_set(err, FL_ENOMEM, "out of memory");
	ns->seeded = seeded;
	ns->pos = NOISE_BLOCK;
	if (seeded)
		fl_rng_seed(&ns->rng, seed, stream);
	*np = ns;
	return 0;
}

/* The next 64 random bits into *u.  Errors: FL_EIO (OpenSSL has none). */
static int
word(struct fl_noise *ns, uint64_t *u, struct fl_err *err)
{
	if (ns->seeded) {
		*u = fl_rng_u64(&ns->rng);
		return 0;
	}
	if (ns->pos == NOISE_BLOCK) {
		if (RAND_bytes((unsigned char *)ns->buf,
		    (int)sizeof(ns->buf)) != 1)
			return fl_err_set(err, FL_EIO, "no randomness from "
			    "OpenSSL for the privacy noise");
		ns->pos = 0;
	}
	*u = ns->buf[ns->pos];
	ns->buf[ns->pos++] = 0;	/* a used word is not kept */
	return 0;
}

/*
 * A standard normal deviate by the Box-Muller transform of two uniforms
 * in [0, 1) with 53 bits each (the first redrawn while 0), the second
 * deviate kept for the next call: exactly fl_rng_normal's arithmetic, so
 * that a seeded source repeats the numbers lib/federation/aggregate.c drew
 * before
 * this module existed.
 */
int
fl_noise_normal(struct fl_noise *ns, double *z, struct fl_err *err)
{
	double u1, u2, rad;
	uint64_t u = 0;
	int rc;

	if (ns->has_spare) {
		ns->has_spare = 0;
		*z = ns->spare;
		return 0;
	}
	do {
		if ((rc = word(ns, &u, err)) < 0)
			return rc;
		u1 = (double)(u >> 11) * 0x1.0p-53;
	} while (u1 == 0.0);
	if ((rc = word(ns, &u, err)) < 0)
		return rc;
	u2 = (double)(u >> 11) * 0x1.0p-53;
	rad = sqrt(-2.0 * log(u1));
	ns->spare = rad * sin(2.0 * M_PI * u2);
	ns->has_spare = 1;
	*z = rad * cos(2.0 * M_PI * u2);
	return 0;
}

/*
 * A Laplace deviate of scale b by inversion: u uniform in (-1/2, 1/2),
 * never 0 nor +-1/2 (53 bits and a half-step offset), and
 * -b sgn(u) log(1 - 2|u|).
 */
int
fl_noise_laplace(struct fl_noise *ns, double b, double *x,
    struct fl_err *err)
{
	uint64_t r = 0;
	double u;
	int rc;

	if ((rc = word(ns, &r, err)) < 0)
		return rc;
	u = ((double)(r >> 11) + 0.5) / 9007199254740992.0 - 0.5;
	*x = -b * (u < 0 ? -1 : 1) * log(1 - 2 * fabs(u));
	return 0;
}

void
fl_noise_free(struct fl_noise *ns)
{
	if (ns == NULL)
		return;
	/* Whoever learns the state can subtract the noise. */
	OPENSSL_cleanse(ns, sizeof(*ns));
	free(ns);
}
