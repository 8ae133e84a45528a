/*
 * strategy_int.h: the table of server strategies (lib/federation/strategy.c)
 * and
 * the FedOpt server optimizers (lib/federation/fedopt.c), for
 * lib/federation/aggregate.c and
 * tests.  fl-aggregate(1) documents each strategy and parameter.
 */
#ifndef FL_STRATEGY_INT_H
#define FL_STRATEGY_INT_H

#include <stddef.h>

#include <jansson.h>

#include "federation/federation.h"
#include "robust_int.h"

/* The strategy parameters of struct fl_agg_opts, one bit each. */
enum {
	FL_SP_SERVER_LR	= 1 << 0,
	FL_SP_MOMENTUM	= 1 << 1,
	FL_SP_BETA1	= 1 << 2,
	FL_SP_TAU	= 1 << 3,
	FL_SP_BETA2	= 1 << 4,
	FL_SP_TRIM	= 1 << 5,
	FL_SP_BYZANTINE	= 1 << 6,
	FL_SP_SELECT	= 1 << 7
};

/*
 * A mean strategy's server step on coordinate i: x is the round's mean
 * delta there (noised under central DP), a pseudo-gradient; m0 and v0
 * (nparams each) are the base's moments, or NULL before the first round.
 * Returns the step and sets the new moments m[i] (and v[i] when the
 * strategy keeps two); o's parameters are resolved.
 */
typedef double fl_strategy_step(const struct fl_agg_opts *o, size_t i,
    double x, const float *m0, const float *v0, float *m, float *v);

/* One row of the table. */
struct fl_strategy {
	const char		*name;
	unsigned		 params;	/* FL_SP_* it takes */
	double			 server_lr;	/* default --server-lr, or 0 */
	int			 moments;	/* state vectors it carries: 0,
						 * 1 ("fedopt_m") or 2 (and
						 * "fedopt_v") */
	int			 robust;	/* 0: a mean strategy, streamed
						 * into one accumulator; 1:
						 * robust, spooled */
	enum fl_robust		 kind;		/* robust: how it combines */
	int			 selects;	/* robust: records the updates
						 * it chose as "selected" */
	fl_strategy_step	*step;		/* mean: the server optimizer
						 * after the mean; NULL: none */
};

/* Row i of the table, in fl_agg_strategy_name order, or NULL past the
 * last. */
const struct fl_strategy *fl_strategy_at(size_t i);
/* The row named name, or NULL. */
const struct fl_strategy *fl_strategy_find(const char *name);
/*
 * The names of the rows that take every parameter in params (0: all
 * rows) and, when robust is 0 or 1, are mean or robust strategies,
 * joined by ", " and the last two by last (", " or " and "), into buf
 * (size bytes, NUL-terminated when size > 0, truncated to fit).
 * Returns the length the whole list needs, as snprintf does.
 */
size_t	fl_strategy_list(char *buf, size_t size, unsigned params, int robust,
	    const char *last);
/* Fill the strategy parameters of o left unset (NAN, or a count below
 * its unset value) with their defaults for s. */
void	fl_strategy_resolve(const struct fl_strategy *s,
	    struct fl_agg_opts *o);
/* Check that o sets no parameter s does not take.  Errors: FL_EUSAGE
 * ("--beta2 is for fedadam and fedyogi, not fedavg"). */
int	fl_strategy_check(const struct fl_strategy *s,
	    const struct fl_agg_opts *o, struct fl_err *err);
/* Record in p the parameters s takes, from o (resolved), in table
 * order; multi-krum's default "select" is count - byzantine.  Returns 0
 * or -1 when out of memory. */
int	fl_strategy_record(const struct fl_strategy *s,
	    const struct fl_agg_opts *o, size_t count, json_t *p);

/* The FedOpt family (lib/federation/fedopt.c): server momentum (Hsu et al.
 * 2019)
 * and adaptive moments (Reddi et al. 2021, Algorithm 2). */
fl_strategy_step	fl_fedopt_avgm;
fl_strategy_step	fl_fedopt_adam;
fl_strategy_step	fl_fedopt_yogi;
fl_strategy_step	fl_fedopt_adagrad;

#endif
