/*
 * federation/federation.h: the federation layer of libfl: aggregation, the
 * strategy table, combining archives, the baseline hazard.
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
int		 fl_combine_finish(struct fl_combine *c,
		    struct fl_archive **out, struct fl_err *err);
void		 fl_combine_free(struct fl_combine *c);

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
