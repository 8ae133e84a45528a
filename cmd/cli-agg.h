/*
 * cli-agg.h: the strategy parameters fl-aggregate takes, and fl-value
 * passes on to make each coalition's model as fl-aggregate would, written
 * once: FL_AGG_PARAMS lists them as X(field of struct fl_agg_opts, long
 * option, argument, help, a count (long) or not (double), least and
 * greatest value).  cli-agg.c sets them; the defaults, and which
 * strategy takes which, are the library's (lib/federation/strategy.c).
 * Keep the help in step with man/fl-aggregate.1.
 */
#ifndef FL_CLI_AGG_H
#define FL_CLI_AGG_H

#include "fl.h"

#define FL_AGG_PARAMS(X)						\
	X(server_lr, "server-lr", "X", "server learning rate (fedavgm 1, "	\
	    "fedadam,\nfedyogi, fedadagrad 0.1)", 0, 1e-12, 1e6)		\
	X(momentum, "server-momentum", "X", "fedavgm's momentum (0.9)",	\
	    0, 0, 0.999999)						\
	X(beta1, "beta1", "X", "first-moment decay (0.9)", 0, 0,	\
	    0.999999)							\
	X(beta2, "beta2", "X", "second-moment decay of fedadam, fedyogi "	\
	    "(0.99)", 0, 0, 0.999999)					\
	X(tau, "tau", "X", "adaptivity: the moments' epsilon (0.001)", 0,	\
	    1e-30, 1e6)							\
	X(trim, "trim", "X", "trimmed-mean: fraction cut per side (0.1)",	\
	    0, 0, 0.499999)						\
	X(byzantine, "byzantine", "F", "krum: faulty sites tolerated (1)",	\
	    1, 0, 1000000)						\
	X(select, "select", "M", "multi-krum: updates averaged (n - F)",	\
	    1, 1, 1000000)						\
	X(clip, "clip", "C", "scale each update down to L2 norm C", 0,	\
	    1e-30, 1e30)						\
	X(min_updates, "min-updates", "N", "refuse a round with fewer "	\
	    "than N updates\n(default: no minimum)", 1, 1, 1000000000)

/* The parameters' numbers, FL_AGG_P_server_lr ..., and their count. */
#define FL_AGG_P_ENUM(f, name, arg, help, count, lo, hi) FL_AGG_P_##f,
enum { FL_AGG_PARAMS(FL_AGG_P_ENUM) FL_AGG_NPARAMS };

/* Their rows of an option table: parameter i has the id FL_OPT_AGG + i,
 * an id no tool's own options use. */
#define FL_OPT_AGG	1024
#define FL_AGG_P_ROW(f, name, arg, help, count, lo, hi)		\
	{ name, 0, arg, help, FL_OPT_AGG + FL_AGG_P_##f },
#define FL_AGG_PARAM_ROWS	FL_AGG_PARAMS(FL_AGG_P_ROW)

/* Whether the id fl_getopt returned is a strategy parameter's. */
#define FL_OPT_IS_AGG(c)	((c) >= FL_OPT_AGG && \
	(c) < FL_OPT_AGG + FL_AGG_NPARAMS)

/* Set the parameter whose id is c in o from arg, with its range check:
 * a value out of range or not a number exits 2 with usage. */
void	fl_opt_agg_param(const char *usage, int c, const char *arg,
	    struct fl_agg_opts *o);

#endif
