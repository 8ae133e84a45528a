/*
 * agg_int.h: the state of a streaming aggregation (struct fl_agg), shared
 * by lib/federation/aggregate.c (updates, the round's result) and
 * lib/federation/partial.c (partial sums in and out).
 */
#ifndef FL_AGG_INT_H
#define FL_AGG_INT_H

#include "federation/federation.h"
#include "strategy_int.h"
#include "exact_int.h"

#define IS_ROBUST(s)	((s)->robust)

struct fl_agg {
	const struct fl_model	*base;
	char			*base_id;
	int			 base_round;
	const struct fl_strategy *strategy;	/* its row of the table */
	struct fl_agg_opts	 o;		/* defaults resolved */
	json_t			*ref;		/* base's model description */
	struct fl_xacc		*acc;		/* (nparams) sum of w_k delta_k,
						 * exact (exact_int.h) */
	int64_t			 total;		/* sum of w_k */
	int64_t			 samples;	/* sum of samples */
	int			 spool;		/* robust: deltas, or -1 */
	float			*scratch;	/* (nparams) a scaled delta */
	float			*gather;	/* (nparams) a delta in layout
						 * order, made on first need */
	struct fl_xacc		*dc;		/* sum of scaffold_dc, or NULL */
	size_t			 ndc;
	float			*c0, *m0, *v0;	/* the base's state, or NULL */
	double			*rdp;		/* the base's, or zeros */
	int64_t			 dp_rounds;
	int			 has_privacy;	/* the base carries "privacy" */
	json_t			*contributors;
	json_t			*history;	/* the base's, then ours */
	json_t			*sites;		/* site names seen */
	size_t			 count;		/* updates, also in partials */
	int			 partials;	/* partial sums added */
	json_t			*partial_list;	/* their {id, signer} */
};

/* The model description keys an update or partial must share with the
 * base (in aggregate.c). */
extern const char *const fl_agg_describe_keys[];
extern const size_t fl_agg_ndescribe;

#endif
