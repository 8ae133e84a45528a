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

/* Where a streamed archive's tensor goes (lib/federation/stream.c). */
enum { FL_TO_SKIP, FL_TO_ACC, FL_TO_DC, FL_TO_ACC_LO, FL_TO_ACC_HI,
	FL_TO_DC_LO, FL_TO_DC_HI };
struct fl_route {
	int		 to;
	size_t		 off;		/* the parameter of its element 0 */
};

/* The archive being streamed into the sums, and what it left to say
 * once it is verified (fl_agg_add, fl_agg_add_partial). */
struct fl_agg_stream {
	int		 kind;		/* FL_KIND_UPDATE or _PARTIAL; -1 none */
	struct fl_route	*route;		/* (nroute) by tensor */
	size_t		 nroute;
	double		 w;		/* an update's weight */
	size_t		 nf, nf_dc;	/* first parameter not finite, or -1 */
	float		 nfv, nfv_dc;	/* its value */
	struct fl_err	 add_err;	/* the first failed addition (code 0: */
	struct fl_err	 dc_err;	/* none), to the sum and to dc */
	int		 has_dc;
};

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
	struct fl_agg_stream	 st;		/* stream.c */
	int			 bspool;	/* the base's parameters, spooled
						 * (fl_agg_spool_base), or -1 */
};

/* stream.c: an archive streamed in (fl_archive_streamed) is checked by
 * fl_agg_add or fl_agg_add_partial as any other, then these take what
 * streaming found: the first value not finite and the first failed
 * addition, in the order the unstreamed path reports them. */
int	fl_agg_stream_nonfinite(struct fl_agg *g, const char *name,
	    struct fl_err *err);
int	fl_agg_stream_dc_nonfinite(struct fl_agg *g, const char *name,
	    struct fl_err *err);
int	fl_agg_stream_added(struct fl_agg *g, int dc, const char *name,
	    const char *what, struct fl_err *err);
/* The round's result written over the sum's memory (aggregate.c). */
int	fl_agg_finish_inplace(struct fl_agg *g, float **p, float *m,
	    float *v, int *bad, struct fl_err *err);

/* The model description keys an update or partial must share with the
 * base (in aggregate.c). */
extern const char *const fl_agg_describe_keys[];
extern const size_t fl_agg_ndescribe;

#endif
