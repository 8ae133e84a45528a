/*
 * federation/federation.h: the federation layer of libfl: aggregation, the
 * strategy table, combining archives, the baseline hazard, valuation.
 * Layers include downwards only (README.md, "Source tour"); fl.h
 * includes them all.
 */
#ifndef FL_LIB_FEDERATION_H
#define FL_LIB_FEDERATION_H

#include "train/train.h"
#include "stats/stats.h"

/*
 * The federated baseline hazard.  A site's table, at model m, on m's grid
 * g_1 < ... < g_G (g_0 = 0): events[k], the events with time in
 * (g_{k-1}, g_k] (the first interval includes 0), and exposure[k], the
 * sum over rows of exp(eta) times the part of (g_{k-1}, g_k] before the
 * row's time.  Summed over sites, h_k = events / exposure is the maximum
 * likelihood piecewise-constant baseline hazard given eta (Breslow's
 * estimator in the limit of a fine grid), and H0(g_k) = sum of h_j
 * (g_j - g_{j-1}) for j <= k.  fl_survival_update_table adds the table as
 * "survival_table" {"events", "exposure"} to an update's manifest (a
 * hook of fl-train; nothing for other tasks or without a grid).
 */
int		 fl_survival_update_table(const struct fl_model *m,
		    const struct fl_dataset *ds, json_t *manifest,
		    struct fl_err *err);
/* Sum the tables of the updates to base (whose id is base_id) and set the
 * aggregated model's "baseline" {"model": base_id, "sites", "events",
 * "cumhaz": H0 at each grid point}.
 * fl_baseline_new gives *b NULL for a model without survival grid; the
 * other functions accept NULL and then do nothing.  Hooks of fl-aggregate.
 * Errors: FL_EFORMAT (a table of the wrong size), FL_ENOMEM. */
struct fl_baseline;
int		 fl_baseline_new(struct fl_baseline **b,
		    const struct fl_model *base, const char *base_id,
		    struct fl_err *err);
int		 fl_baseline_add(struct fl_baseline *b,
		    const struct fl_archive *update, const char *name,
		    struct fl_err *err);
int		 fl_baseline_finish(struct fl_baseline *b, json_t *manifest,
		    struct fl_err *err);
void		 fl_baseline_free(struct fl_baseline *b);
/* ------------------------------------------------------------------------ */
/* Aggregation (lib/federation/aggregate.c).                                  */

/*
 * A streaming aggregator: memory is O(model size) however many updates are
 * added.  base is the current model and base_id its archive's id; both are
 * borrowed and must outlive the aggregator.
 */
struct fl_agg;
/* strategy: one of fl_agg_strategy_name().  Errors: FL_EUSAGE (unknown
 * strategy), FL_ENOMEM. */
int		 fl_agg_new(struct fl_agg **g, const struct fl_model *base,
		    const char *base_id, int base_round, const char *strategy,
		    struct fl_err *err);
/*
 * Add one update archive.  It is refused (FL_EFORMAT or FL_ESHAPE or
 * FL_ENUM, message naming name) if it is not an update, its parent is not
 * base_id, its round is not base_round, its model differs from base's, its
 * samples count is not positive, a value is NaN or Inf, or its site already
 * sent an update.  signer is the key id that signed it, or NULL.
 */
int		 fl_agg_add(struct fl_agg *g, const struct fl_archive *update,
		    const char *name, const char *signer, struct fl_err *err);
/* Continue the base model's "history" (borrowed; NULL or null for none).
 * Errors: FL_EFORMAT (not an array), FL_ENOMEM. */
int		 fl_agg_set_history(struct fl_agg *g, const json_t *history,
		    struct fl_err *err);
size_t		 fl_agg_count(const struct fl_agg *g);
/* The round of the base model. */
int		 fl_agg_round(const struct fl_agg *g);
/* Write the aggregated model into a new archive (kind model, round + 1,
 * parent base_id, samples the total, "strategy", "contributors": an
 * array of {id, site, samples, signer} in the order added, and "history":
 * the base's history with this round appended, see fl_history_append).
 * Errors: FL_EUSAGE
 * (no update added), FL_ENUM, FL_ENOMEM. */
int		 fl_agg_finish(struct fl_agg *g, struct fl_archive **out,
		    struct fl_err *err);
void		 fl_agg_free(struct fl_agg *g);
/*
 * Aggregation trees (lib/federation/partial.c, fl-archive(5)
 * "partial"): fl_agg_add_partial adds a partial archive's exact sums,
 * weight and contributors, as if its updates were added one by one (the
 * same checks of parent, round, model and sites); signer as for
 * fl_agg_add.  Errors: FL_EUSAGE (a robust strategy; other weights or
 * clipping than this round's), FL_EFORMAT, FL_ESHAPE, FL_ENUM,
 * FL_ENOMEM.  fl_agg_finish_partial writes the sums so far as a new
 * partial archive instead of a model.  Errors: FL_EUSAGE (a robust
 * strategy or a server optimizer, which apply once at the root; nothing
 * added), FL_ENOMEM.
 */
int		 fl_agg_add_partial(struct fl_agg *g,
		    const struct fl_archive *partial, const char *name,
		    const char *signer, struct fl_err *err);
int		 fl_agg_finish_partial(struct fl_agg *g,
		    struct fl_archive **out, struct fl_err *err);
/*
 * Streaming (lib/federation/stream.c).  fl_agg_sink fills s with a sink
 * (fl_reader_set_sink) that adds an update's or a partial's tensors to
 * the sums as they are read, so that no update is held whole.  It takes
 * only what the mean strategies can add at once (fedavg and the server
 * optimizers without --clip, which needs each update's norm first);
 * others are read whole as before.  A streamed archive must then be
 * given to fl_agg_add or fl_agg_add_partial, which checks it as any
 * other once fl_reader_next has verified it; the sums hold its values
 * already, so any error ends the round.  fl_agg_spool_base moves the
 * base model's parameters into an unlinked temporary file (TMPDIR),
 * read back in pieces by fl_agg_finish, whose model is then written over
 * the sum's memory: the caller may free the base's parameters
 * (fl_model_take_params) and the round holds one model-sized sum of 8
 * bytes per parameter and no other model-sized buffer (fedavg; a server
 * optimizer adds its moments).  fl_agg_streams: whether g takes
 * streamed archives; fl_agg_inplace: whether its model is written over
 * the sum (the mean strategies, with --clip too).  fl_agg_spool_base
 * returns 1 when spooled, 0 when g is not in place (a robust strategy).
 * Errors: FL_EIO, FL_ENOMEM.
 */
void		 fl_agg_sink(struct fl_agg *g, struct fl_sink *s);
int		 fl_agg_streams(const struct fl_agg *g);
int		 fl_agg_inplace(const struct fl_agg *g);
int		 fl_agg_stream_begin(struct fl_agg *g,
		    const struct fl_archive *a, struct fl_err *err);
int		 fl_agg_spool_base(struct fl_agg *g, struct fl_err *err);

/*
 * Server strategies and central differential privacy
 * (lib/federation/aggregate.c,
 * lib/federation/strategy.c, lib/federation/fedopt.c,
 * lib/federation/robust.c), documented in
 * fl-aggregate(1).  fl_agg_new accepts every name of
 * fl_agg_strategy_name(); fl_agg_configure, called before the first
 * fl_agg_add, sets their parameters and reads the state the base model's
 * archive carries (server moments, SCAFFOLD's "scaffold_c", "privacy").
 * A field left NAN (or 0 for the counts) takes the strategy's default;
 * FL_AGG_OPTS_INIT uses NAN, so it needs <math.h>.
 */
/* The most rows one update may claim (its weight in FedAvg): 2^53, the
 * largest count a double holds exactly. */
#define FL_MAX_SAMPLES	((int64_t)1 << 53)

struct fl_agg_opts {
	double		 server_lr;	/* fedavgm, fedadam, fedyogi, fedadagrad */
	double		 momentum;	/* fedavgm */
	double		 beta1, beta2, tau;	/* fedadam, fedyogi, fedadagrad */
	double		 trim;		/* trimmed-mean: fraction cut per side */
	long		 byzantine;	/* krum, multi-krum: F (-1: default 1) */
	long		 select;	/* multi-krum: M (0: n - F) */
	double		 clip;		/* L2 bound on each update; 0: none */
	double		 dp_noise;	/* noise multiplier; 0: no noise */
	long		 population;	/* sites in all; 0: this round's */
	double		 dp_delta;	/* delta of the reported epsilon */
	double		 max_epsilon;	/* refuse a round past it; 0: none */
	int		 seeded;	/* noise from seed (tests only) */
	uint64_t	 seed;
	size_t		 chunk;		/* floats per chunk (robust); 0: 65536 */
	long		 min_updates;	/* refuse a round with fewer; 0: none */
};
#define FL_AGG_OPTS_INIT { NAN, NAN, NAN, NAN, NAN, NAN, -1, 0, 0, 0, 0, \
	1e-5, 0, 0, 0, 0, 0 }
/* The strategy names, in the order of the table in lib/federation/strategy.c:
 * the
 * name of strategy i (fedavg is 0), or NULL past the last. */
const char	*fl_agg_strategy_name(size_t i);
/* The names as one list, "fedavg, fedavgm, ..., multi-krum", for help
 * text and messages, into buf (size bytes, NUL-terminated when size > 0,
 * truncated to fit).  Returns the length the whole list needs, as
 * snprintf does, so that a first call may size buf. */
size_t		 fl_agg_strategy_list(char *buf, size_t size);
/* Errors: FL_EUSAGE (a parameter out of range or not for this strategy),
 * FL_EFORMAT (base's state or "privacy" malformed), FL_ENOMEM, FL_EIO. */
int		 fl_agg_configure(struct fl_agg *g, const struct fl_agg_opts *o,
		    const struct fl_archive *base, struct fl_err *err);

/*
 * What fl-aggregate combines (lib/federation/combine.c), decided by the
 * archives:
 * with a base model (given to fl_combine_base, or the first archive
 * added), the updates that follow are aggregated with fl_agg (strategy
 * and o as for fl_agg_new and fl_agg_configure, copied) and the survival
 * baseline summed; when the first archive is a stats archive, stats
 * archives are merged (fl_stats_merge) with a "contributors" list
 * {id, site, samples}; when it is a metrics archive, metrics archives are
 * merged (fl_fedeval_merge).  When t (borrowed; NULL for none) is given,
 * every archive must pass fl_archive_trusted.  name is the input's name
 * in messages.
 */
struct fl_combine;
struct fl_trust;	/* see "Trust" below */
/* Errors: FL_ENOMEM. */
int		 fl_combine_new(struct fl_combine **c, const char *strategy,
		    const struct fl_agg_opts *o, const struct fl_trust *t,
		    struct fl_err *err);
/* Once the base model is known, the most tensor bytes an archive that
 * follows may declare (fl_update_max_bytes); 0 before.  A caller reading
 * the inputs passes it to fl_reader_set_max, so that a compressed bomb in
 * an inbox costs no more memory than an honest update. */
uint64_t	 fl_combine_max_bytes(const struct fl_combine *c);
/* Make a, which must be a model, the base; takes ownership of a, also on
 * failure.  Errors: FL_EVERIFY, FL_EFORMAT ("a stats archive, not a
 * model", a bad round), FL_EUSAGE (fl_agg_configure), those of
 * fl_model_from_archive and fl_agg_new. */
int		 fl_combine_base(struct fl_combine *c, struct fl_archive *a,
		    const char *name, struct fl_err *err);
/* Add one archive.  When it becomes the base model, c takes it and *a is
 * set to NULL (so a reader allocates a new one); otherwise *a is only
 * read.  Errors: FL_EVERIFY, FL_EUSAGE (an update with no model before
 * it), FL_EFORMAT (among stats or metrics archives, another kind), and
 * those of fl_agg_add, fl_baseline_add, fl_stats_merge and
 * fl_fedeval_merge. */
int		 fl_combine_add(struct fl_combine *c, struct fl_archive **a,
		    const char *name, struct fl_err *err);
/* The result as a new archive in *out (NULL on failure), without
 * "writer" or signature.  Errors: FL_EFORMAT ("no archives to
 * aggregate"), and those of fl_agg_finish, fl_baseline_finish,
 * fl_stats_to_archive and fl_fedeval_to_archive. */
/* When the round's masked updates lack roster sites and no recovery
 * shares were given: a recovery request in *req and 1 (secagg.h,
 * fl_secagg_request); else 0.  Errors: FL_ENOMEM. */
int		 fl_combine_request(struct fl_combine *c,
		    struct fl_archive **req, struct fl_err *err);
int		 fl_combine_finish(struct fl_combine *c,
		    struct fl_archive **out, struct fl_err *err);
void		 fl_combine_free(struct fl_combine *c);
/* A sink (fl_reader_set_sink) that streams the updates and partials of
 * a round into its sums (fl_agg_sink) once the base model is known. */
void		 fl_combine_sink(struct fl_combine *c, struct fl_sink *s);
/* Make fl_combine_finish write a partial archive (fl_agg_finish_partial)
 * instead of a model; call before the first archive. */
void		 fl_combine_set_partial(struct fl_combine *c);

/* ------------------------------------------------------------------------ */
/* Valuation (lib/federation/coalition.c, shapley.c, value.c): what each     */
/* site's update added, for fl-value (man/fl-value.1).                       */

/* The most updates one round may hold for valuation (coalitions are 64-bit
 * masks), and the most for exact Shapley values (2^20 coalitions). */
#define FL_COALITION_MAX	64
#define FL_SHAPLEY_EXACT_MAX	20

/*
 * One round held for valuation: the base model (its archive a, named name
 * in messages; borrowed only during the call) and its updates, each
 * checked by fl_agg_add as fl-aggregate checks it (strategy and o as for
 * fl_agg_new and fl_agg_configure; o may not ask for DP noise, and a base
 * carrying a privacy budget is refused) and its delta kept.  Errors:
 * FL_EUSAGE, FL_EFORMAT, FL_ESHAPE, FL_ENUM, FL_ENOMEM.
 */
struct fl_coalition;
int		 fl_coalition_new(struct fl_coalition **c,
		    const struct fl_archive *a, const char *name,
		    const char *strategy, const struct fl_agg_opts *o,
		    struct fl_err *err);
/* Add an update (checked as by fl_agg_add; at most FL_COALITION_MAX). */
int		 fl_coalition_add(struct fl_coalition *c,
		    const struct fl_archive *u, const char *name,
		    struct fl_err *err);
void		 fl_coalition_free(struct fl_coalition *c);
size_t		 fl_coalition_count(const struct fl_coalition *c);
/* Update i's site, archive id and samples, in the order added. */
const char	*fl_coalition_site(const struct fl_coalition *c, size_t i);
const char	*fl_coalition_update_id(const struct fl_coalition *c, size_t i);
int64_t		 fl_coalition_samples(const struct fl_coalition *c, size_t i);
const struct fl_model *fl_coalition_base(const struct fl_coalition *c);
const char	*fl_coalition_base_id(const struct fl_coalition *c);
int64_t		 fl_coalition_round(const struct fl_coalition *c);
/*
 * The parameters (nparams) of the aggregate of the updates i with in[i]
 * nonzero (in has one byte per update), as fl-aggregate would make it
 * from just those: for the coalition of all, bit for bit its model.  The
 * empty coalition, and one the strategy refuses (Krum with fewer than 2F
 * + 3 updates, fewer than --min-updates), give the base's parameters, and
 * *refused is 1 for the latter.  Errors: FL_EIO (the robust strategies'
 * spool), FL_ENUM (overflow), FL_ENOMEM.
 */
int		 fl_coalition_params(struct fl_coalition *c,
		    const unsigned char *in, float *params, int *refused,
		    struct fl_err *err);

/* A utility of coalitions: *u for the players i with in[i] nonzero. */
typedef int fl_utility_fn(void *ctx, const unsigned char *in, double *u,
    struct fl_err *err);
enum fl_value_method {
	FL_VALUE_EXACT,		/* all 2^n coalitions */
	FL_VALUE_SAMPLED,	/* permutations, with truncation */
	FL_VALUE_LOO		/* leave-one-out only */
};
struct fl_shapley_opts {
	enum fl_value_method	 method;
	size_t			 permutations;	/* sampled: K >= 2 */
	uint64_t		 seed;
	double			 truncation;	/* sampled: t >= 0 */
};
/* Caller-allocated: value, se and loo hold n doubles each. */
struct fl_shapley_result {
	double		*value;		/* Shapley values (NaN for loo) */
	double		*se;		/* their standard errors (0 exact) */
	double		*loo;		/* U(all) - U(all without i) */
	double		 u_all, u_none;
	size_t		 evaluations;	/* distinct coalitions evaluated */
};
/*
 * The Shapley values of n players (1 to FL_COALITION_MAX; exact: at most
 * FL_SHAPLEY_EXACT_MAX) under utility f, and their leave-one-out values:
 * see lib/federation/shapley.c for the estimators.  Errors: FL_EUSAGE,
 * FL_ENOMEM, and f's.
 */
int		 fl_shapley(size_t n, fl_utility_fn *f, void *ctx,
		    const struct fl_shapley_opts *o,
		    struct fl_shapley_result *r, struct fl_err *err);

/* The metric fl-value uses by default for a task: auc, accuracy, r2 or
 * c_index. */
const char	*fl_value_metric_default(enum fl_task task);
/* Check that name is a metric of task; *sign is 1 when higher is better,
 * -1 for a loss (the utility is then its negative).  Errors: FL_EUSAGE,
 * listing the task's metrics. */
int		 fl_value_metric_check(const char *name, enum fl_task task,
		    int *sign, struct fl_err *err);
/* The metric name of m (NaN when unknown). */
double		 fl_value_metric_get(const struct fl_metrics *m,
		    const char *name);
/*
 * The utility of a coalition of c's updates on validation rows ds (both
 * borrowed): the signed metric of its aggregate's predictions, an
 * fl_utility_fn with ctx a struct fl_valuer.  Errors: FL_EUSAGE (a
 * metric not of the task), FL_EFORMAT (no rows), FL_ENUM (the metric is
 * undefined, as the AUC on one class), FL_ENOMEM.
 */
struct fl_valuer;
int		 fl_valuer_new(struct fl_valuer **v, struct fl_coalition *c,
		    const struct fl_dataset *ds, const char *metric,
		    struct fl_err *err);
void		 fl_valuer_free(struct fl_valuer *v);
fl_utility_fn	 fl_valuer_utility;

/*
 * Valuation without rows at the coordinator (lib/federation/remote.c).  A
 * coalitions archive (kind "coalitions", see fl-archive(5)) is the round's
 * model with, as state vectors "state/c<k>", the parameters of every
 * coalition a valuation by o needs (o->truncation is ignored: every
 * coalition of every permutation is written), "sites" {site, samples,
 * id}, "coalitions" (each a list of indices into sites) and "valuation"
 * {method, permutations, seed, truncation}.  Exact valuation takes at most
 * FL_COALITIONS_EXACT_MAX updates.  Errors: FL_EUSAGE, FL_ENOMEM, and
 * those of fl_coalition_params.
 */
#define FL_COALITIONS_EXACT_MAX	15
int		 fl_coalitions_write(struct fl_coalition *c,
		    const struct fl_shapley_opts *o, struct fl_archive **out,
		    struct fl_err *err);
/* Coalition k's parameters (nparams, borrowed from a).  Errors:
 * FL_EFORMAT (absent, or of another shape). */
int		 fl_coalitions_params(const struct fl_archive *a,
		    size_t nparams, size_t k, const float **p,
		    struct fl_err *err);
/*
 * A coalitions archive as the coordinator reads it back (checked: named
 * name in messages), and the utilities of its coalitions as the sites'
 * pooled metrics give them (fl_remote_set); fl_remote_utility is then the
 * fl_utility_fn to give fl_shapley with fl_remote_opts.  Errors:
 * FL_EFORMAT, FL_ENOMEM; fl_remote_utility: FL_EFORMAT for a coalition
 * without a utility.
 */
struct fl_remote;
int		 fl_remote_new(struct fl_remote **r, const struct fl_archive *a,
		    const char *name, struct fl_err *err);
void		 fl_remote_free(struct fl_remote *r);
size_t		 fl_remote_count(const struct fl_remote *r);
size_t		 fl_remote_ncoalitions(const struct fl_remote *r);
const char	*fl_remote_site(const struct fl_remote *r, size_t i);
const char	*fl_remote_update_id(const struct fl_remote *r, size_t i);
int64_t		 fl_remote_samples(const struct fl_remote *r, size_t i);
/* The round's model's id, and the coalitions archive's own. */
const char	*fl_remote_model_id(const struct fl_remote *r);
const char	*fl_remote_id(const struct fl_remote *r);
int64_t		 fl_remote_round(const struct fl_remote *r);
const struct fl_shapley_opts *fl_remote_opts(const struct fl_remote *r);
void		 fl_remote_set(struct fl_remote *r, size_t k, double u);
fl_utility_fn	 fl_remote_utility;

/* Secure aggregation: masked updates and dropout recovery. */
#include "federation/secagg.h"

/*
 * Newton rounds (lib/federation/newton.c), a hook of fl-aggregate like the
 * baseline: with --strategy newton, fl_newton_new reads the base model's
 * "newton" record, fl_newton_add sums an update's score, information
 * and log-likelihood (with any other strategy, nw is NULL and an update
 * carrying them is refused), and fl_newton_finish replaces the
 * aggregated archive *out with one holding the new coefficients and the
 * "newton" record.  Errors: FL_EUSAGE (not a logreg, linear or cox
 * model; central DP asked for), FL_EFORMAT (a malformed record, --l2
 * differing between sites), FL_ENUM (a singular information matrix, a
 * step that cannot be corrected or overflows), FL_ENOMEM.
 */
struct fl_newton;
int		 fl_newton_new(struct fl_newton **nw,
		    const struct fl_model *base, struct fl_archive *base_a,
		    const struct fl_agg_opts *o, struct fl_err *err);
int		 fl_newton_add(struct fl_newton *nw, struct fl_archive *a,
		    const char *name, struct fl_err *err);
int		 fl_newton_finish(struct fl_newton *nw, struct fl_archive **out,
		    struct fl_err *err);
void		 fl_newton_free(struct fl_newton *nw);

#endif /* FL_LIB_FEDERATION_H */
