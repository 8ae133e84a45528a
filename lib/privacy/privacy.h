/*
 * privacy/privacy.h: the privacy layer of libfl: the RDP accountant and the
 * one noise source.
 * Layers include downwards only (README.md, "Source tour"); fl.h
 * includes them all.
 */
#ifndef FL_LIB_PRIVACY_H
#define FL_LIB_PRIVACY_H

#include "core/core.h"

/*
 * Renyi differential privacy of the sampled Gaussian mechanism (Mironov,
 * Talwar and Zhang 2019), composed over steps and rounds.  rdp[] holds one
 * value per order of fl_dp_orders(); fl_dp_rdp_add adds steps
 * compositions of one step with sampling rate q (0 < q <= 1) and noise
 * multiplier sigma (> 0); fl_dp_epsilon converts to (epsilon, delta),
 * taking the best order (returned in *order when not NULL).
 */
const double	*fl_dp_orders(size_t *n);
int		 fl_dp_rdp_add(double *rdp, double q, double sigma,
		    double steps);
double		 fl_dp_epsilon(const double *rdp, double delta, double *order);

/*
 * Privacy noise (lib/privacy/noise.c): the one source of randomness behind
 * DP-SGD (fl_train), central DP (fl_agg_finish) and the Laplace mechanism
 * of fl_stats_from_csv_opts.  The rule: noise is drawn from 64-bit words
 * of OpenSSL's RAND_bytes (its DRBG, AES-256 CTR_DRBG by default, seeded
 * from the operating system), read in blocks and wiped after use.  With
 * a test seed (seeded, seed), the words come instead from fl_rng_seed(seed,
 * stream), so that a test repeats; anyone who knows the seed can subtract
 * the noise, so a seeded run gives no privacy.  fl_train and fl_agg_finish
 * use the stream "dp-noise".  Gaussian deviates are Box-Muller in double,
 * the arithmetic of fl_rng_normal; Laplace deviates are by inversion.
 */
struct fl_noise;
/* A new source in *n.  stream names the seeded stream; unseeded, seed and
 * stream are unused.  Errors: FL_ENOMEM. */
int		 fl_noise_new(struct fl_noise **n, int seeded, uint64_t seed,
		    const char *stream, struct fl_err *err);
/* A standard normal deviate into *z.  Errors: FL_EIO (no randomness). */
int		 fl_noise_normal(struct fl_noise *n, double *z,
		    struct fl_err *err);
/* A Laplace deviate of scale b (> 0) into *x.  Errors: FL_EIO. */
int		 fl_noise_laplace(struct fl_noise *n, double b, double *x,
		    struct fl_err *err);
/* Wipe and free n; accepts NULL. */
void		 fl_noise_free(struct fl_noise *n);

#endif /* FL_LIB_PRIVACY_H */
