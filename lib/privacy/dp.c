/*
 * dp.c: a Renyi differential privacy (RDP) accountant for the sampled
 * Gaussian mechanism (Mironov, Talwar and Zhang 2019, "Renyi Differential
 * Privacy of the Sampled Gaussian Mechanism", arXiv:1908.10530).
 *
 * One step samples each record (here: each site) with probability q and
 * adds Gaussian noise of standard deviation sigma times the sensitivity.
 * Its RDP at order alpha is log(A_alpha) / (alpha - 1), where A_alpha is
 * computed as in the paper's section 3.3: by the binomial expansion for
 * integer alpha, and by the two-sided series with erfc tails for
 * fractional alpha; everything is summed in log space.  The method is the
 * one of TensorFlow Privacy's rdp_accountant (compute_rdp, _compute_log_a)
 * and Google's dp_accounting; this is an independent C implementation.
 *
 * RDP composes by addition over steps and rounds.  The conversion to
 * (epsilon, delta) is the improved one of Balle et al. 2020 ("Hypothesis
 * testing interpretations and Renyi differential privacy", Theorem 21),
 * which dp_accounting's compute_epsilon uses:
 *   epsilon = rdp + log1p(-1/alpha) - log(delta * alpha) / (alpha - 1),
 * minimised over the orders.
 */
#include <math.h>
#include <stddef.h>

#include "privacy/privacy.h"
#include "dp_int.h"

/* The orders tracked: fractional near 1 for large noise, every integer
 * 2..64, and a few large ones for small noise. */
static const double orders[] = {
	1.25, 1.5, 1.75, 2, 2.25, 2.5, 3, 3.5, 4, 4.5,
	5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16, 17, 18, 19, 20,
	21, 22, 23, 24, 25, 26, 27, 28, 29, 30, 31, 32, 33, 34, 35, 36,
	37, 38, 39, 40, 41, 42, 43, 44, 45, 46, 47, 48, 49, 50, 51, 52,
	53, 54, 55, 56, 57, 58, 59, 60, 61, 62, 63, 64, 128, 256, 512
};
#define NORDERS (sizeof(orders) / sizeof(*orders))

const double *
fl_dp_orders(size_t *n)
{
	*n = NORDERS;
	return orders;
}

/* log(exp(a) + exp(b)), exact for -inf. */
static double
log_add(double a, double b)
{
	double lo = a < b ? a : b, hi = a < b ? b : a;

	if (lo == -INFINITY)
		return hi;
	return log1p(exp(lo - hi)) + hi;
}

/* log(exp(a) - exp(b)) for a >= b; -inf when equal. */
static double
log_sub(double a, double b)
{
	if (b == -INFINITY)
		return a;
	if (a <= b)
		return -INFINITY;
	if (a - b > 700)
		return a;
	return log(expm1(a - b)) + b;
}

/* log(erfc(x)), with the asymptotic series where erfc underflows. */
static double
log_erfc(double x)
{
	double r = erfc(x), x2;

	if (r > 1e-300)
		return log(r);
	x2 = x * x;
	return -0.5 * log(M_PI) - log(x) - x2 - 0.5 / x2 + 0.625 / (x2 * x2) -
	    37.0 / 24.0 / (x2 * x2 * x2) + 353.0 / 64.0 / (x2 * x2 * x2 * x2);
}

/* log A_alpha for integer alpha: the binomial expansion
 * sum_i C(alpha, i) q^i (1-q)^(alpha-i) exp((i^2 - i) / (2 sigma^2)). */
static double
log_a_int(double q, double sigma, long alpha)
{
	double la = -INFINITY, lq = log(q), l1q = log1p(-q), s;
	long i;

	for (i = 0; i <= alpha; i++) {
		s = lgamma((double)alpha + 1) - lgamma((double)i + 1) -
		    lgamma((double)(alpha - i) + 1) + i * lq +
		    (alpha - i) * l1q +
		    ((double)i * i - i) / (2 * sigma * sigma);
		la = log_add(la, s);
	}
	return la;
}

/* log A_alpha for fractional alpha: the series of section 3.3, split at
 * z0 = sigma^2 log(1/q - 1) + 1/2, until both terms fall below e^-30. */
static double
log_a_frac(double q, double sigma, double alpha)
{
	double la0 = -INFINITY, la1 = -INFINITY, z0, lcoef = 0, j;
	double lt0, lt1, le0, le1, ls0, ls1, lq = log(q), l1q = log1p(-q);
	int sign = 1;
	long i;

	z0 = sigma * sigma * log(1 / q - 1) + 0.5;
	for (i = 0; i < 100000; i++) {
		j = alpha - i;
		lt0 = lcoef + i * lq + j * l1q;
		lt1 = lcoef + j * lq + i * l1q;
		le0 = log(0.5) + log_erfc((i - z0) / (M_SQRT2 * sigma));
		le1 = log(0.5) + log_erfc((z0 - j) / (M_SQRT2 * sigma));
		ls0 = lt0 + ((double)i * i - i) / (2 * sigma * sigma) + le0;
		ls1 = lt1 + (j * j - j) / (2 * sigma * sigma) + le1;
		if (sign > 0) {
			la0 = log_add(la0, ls0);
			la1 = log_add(la1, ls1);
		} else {
			la0 = log_sub(la0, ls0);
			la1 = log_sub(la1, ls1);
		}
		if ((ls0 > ls1 ? ls0 : ls1) < -30)
			break;
		/* C(alpha, i+1) = C(alpha, i) (alpha - i) / (i + 1) */
		if (alpha - i < 0)
			sign = -sign;
		lcoef += log(fabs(alpha - i)) - log((double)i + 1);
	}
	return log_add(la0, la1);
}

double
fl_dp_rdp_one(double q, double sigma, double alpha)
{
	if (q <= 0)
		return 0;
	if (q >= 1)
		return alpha / (2 * sigma * sigma);
	if (isinf(alpha))
		return INFINITY;
	if (alpha == floor(alpha) && alpha < 1e6)
		return log_a_int(q, sigma, (long)alpha) / (alpha - 1);
	return log_a_frac(q, sigma, alpha) / (alpha - 1);
}

int
fl_dp_rdp_add(double *rdp, double q, double sigma, double steps)
{
	size_t k;

	if (!(q > 0 && q <= 1) || !(sigma > 0) || !(steps >= 0) ||
	    !isfinite(sigma) || !isfinite(steps))
		return FL_EUSAGE;
	for (k = 0; k < NORDERS; k++)
		rdp[k] += steps * fl_dp_rdp_one(q, sigma, orders[k]);
	return 0;
}

double
fl_dp_epsilon_at(const double *ord, const double *rdp, size_t n,
    double delta, double *order)
{
	double best = INFINITY, e, a, r;
	size_t k;

	if (order != NULL)
		*order = NAN;
	for (k = 0; k < n; k++) {
		a = ord[k];
		r = rdp[k];
		if (!(a > 1) || !(r >= 0) || isnan(r))
			continue;
		if (delta * delta + expm1(-r) >= 0)
			e = 0;	/* already (0, delta)-DP at this order */
		else
			e = r + log1p(-1 / a) - log(delta * a) / (a - 1);
		if (e < best) {
			best = e;
			if (order != NULL)
				*order = a;
		}
	}
	return best < 0 ? 0 : best;
}

double
fl_dp_epsilon(const double *rdp, double delta, double *order)
{
	return fl_dp_epsilon_at(orders, rdp, NORDERS, delta, order);
}
