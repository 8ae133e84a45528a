/*
 * fedopt.c: the FedOpt family of server optimizers, run on the round's
 * mean delta as a pseudo-gradient, one coordinate at a time: server
 * momentum (fedavgm, Hsu et al. 2019) and adaptive moments (fedadam,
 * fedyogi, fedadagrad; Reddi et al. 2021, Algorithm 2).  Rows of the
 * strategy table (lib/federation/strategy.c); fl-aggregate(1) documents them.
 * The
 * arithmetic and its order are fixed: a model aggregated once must be
 * aggregated again to the same bytes.
 */
#include <math.h>
#include <stddef.h>

#include "strategy_int.h"

/* fedavgm: m = momentum m0 + x; the step is server_lr m. */
double
fl_fedopt_avgm(const struct fl_agg_opts *o, size_t i, double x,
    const float *m0, const float *v0, float *m, float *v)
{
	double mi;

	(void)v0;
	(void)v;
	mi = o->momentum * (m0 != NULL ? m0[i] : 0) + x;
	m[i] = (float)mi;
	return o->server_lr * mi;
}

enum adaptive { ADAM, YOGI, ADAGRAD };

/*
 * m = beta1 m0 + (1 - beta1) x and the second moment v from v0 (tau^2
 * before the first round) by kind; the step is server_lr m / (sqrt(v) +
 * tau).
 */
static double
adaptive(enum adaptive kind, const struct fl_agg_opts *o, size_t i,
    double x, const float *m0, const float *v0, float *m, float *v)
{
	double mi, vi, g2;

	mi = o->beta1 * (m0 != NULL ? m0[i] : 0) + (1 - o->beta1) * x;
	vi = v0 != NULL ? v0[i] : o->tau * o->tau;
	g2 = x * x;
	if (kind == ADAM)
		vi = o->beta2 * vi + (1 - o->beta2) * g2;
	else if (kind == YOGI)
		vi -= (1 - o->beta2) * g2 * (vi > g2 ? 1 : vi < g2 ? -1 : 0);
	else
		vi += g2;
	m[i] = (float)mi;
	v[i] = (float)vi;
	return o->server_lr * mi / (sqrt(vi) + o->tau);
}

/* fedadam: v = beta2 v0 + (1 - beta2) x^2. */
double
fl_fedopt_adam(const struct fl_agg_opts *o, size_t i, double x,
    const float *m0, const float *v0, float *m, float *v)
{
	return adaptive(ADAM, o, i, x, m0, v0, m, v);
}

/* fedyogi: v = v0 - (1 - beta2) x^2 sgn(v0 - x^2). */
double
fl_fedopt_yogi(const struct fl_agg_opts *o, size_t i, double x,
    const float *m0, const float *v0, float *m, float *v)
{
	return adaptive(YOGI, o, i, x, m0, v0, m, v);
}

/* fedadagrad: v = v0 + x^2. */
double
fl_fedopt_adagrad(const struct fl_agg_opts *o, size_t i, double x,
    const float *m0, const float *v0, float *m, float *v)
{
	return adaptive(ADAGRAD, o, i, x, m0, v0, m, v);
}
