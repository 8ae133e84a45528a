/*
 * dp_int.h: lib/privacy/dp.c's internals, for its unit tests and lib/ only.
 */
#ifndef FL_DP_INT_H
#define FL_DP_INT_H

#include <stddef.h>

/* The RDP at order alpha of one step of the sampled Gaussian mechanism
 * with sampling rate q and noise multiplier sigma. */
double	fl_dp_rdp_one(double q, double sigma, double alpha);

/* fl_dp_epsilon over any orders ord[0..n-1] (Balle et al. 2020). */
double	fl_dp_epsilon_at(const double *ord, const double *rdp, size_t n,
	    double delta, double *order);

#endif
