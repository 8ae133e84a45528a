/*
 * value.h: what the files of fl-value share: its options (value-opts.c),
 * the rounds read from the inputs (value-rounds.c) and the printing of the
 * values (value-print.c); main is in fl-value.c.  Manual: man/fl-value.1.
 */
#ifndef FL_VALUE_H
#define FL_VALUE_H

#include "fl.h"

#define VALUE_MAX_MODELS	1024	/* --model, one per round */

struct opts {
	const char	*models[VALUE_MAX_MODELS];
	size_t		 nmodels;
	const char	*data, *metric, *strategy, *out, *key, *sign;
	const char	*report, *from_metrics;
	int		 coalitions;
	int		 shaping;	/* method or strategy options given */
	struct fl_agg_opts agg;
	struct fl_shapley_opts sh;
	int		 method;	/* -1: auto */
	int		 tsv, quiet;
	char		**inputs;
	int		 ninputs;
};

extern const char value_usage[];

/* Parse and check fl-value's arguments into o; exits 2 on misuse. */
void	value_parse_args(int argc, char **argv, struct opts *o);

/* One round: its coalition (base and updates), the base's name, and its
 * values. */
struct round {
	struct fl_coalition	*c;	/* central, */
	struct fl_remote	*rm;	/* or from the sites' metrics */
	const char		*name;
	enum fl_task		 task;
	struct fl_shapley_result r;
	int			 method;
};

/* A round's updates, whichever way it was valued. */
static inline size_t
round_count(const struct round *r)
{
	return r->c != NULL ? fl_coalition_count(r->c) : fl_remote_count(r->rm);
}

static inline const char *
round_site(const struct round *r, size_t i)
{
	return r->c != NULL ? fl_coalition_site(r->c, i) :
	    fl_remote_site(r->rm, i);
}

static inline const char *
round_update_id(const struct round *r, size_t i)
{
	return r->c != NULL ? fl_coalition_update_id(r->c, i) :
	    fl_remote_update_id(r->rm, i);
}

static inline int64_t
round_samples(const struct round *r, size_t i)
{
	return r->c != NULL ? fl_coalition_samples(r->c, i) :
	    fl_remote_samples(r->rm, i);
}

static inline const char *
round_model_id(const struct round *r)
{
	return r->c != NULL ? fl_coalition_base_id(r->c) :
	    fl_remote_model_id(r->rm);
}

static inline int64_t
round_number(const struct round *r)
{
	return r->c != NULL ? fl_coalition_round(r->c) : fl_remote_round(r->rm);
}

/* Read the models and the updates into rounds, each update to the round
 * of the model it names as its parent, ordered by round number.  *rounds
 * (n of them) is freed by rounds_free. */
int	value_read_rounds(const struct opts *o, const struct fl_seckey *key,
	    struct round **rounds, size_t *n, struct fl_err *err);
void	value_rounds_free(struct round *rounds, size_t n);

/* fl-value --coalitions: write the coalitions archive of one round. */
int	value_coalitions(const struct opts *o, struct round *rd,
	    const struct fl_seckey *sk, struct fl_err *err);
/* fl-value --from-metrics: read the coalitions archive and pool the sites'
 * metrics streams into the utilities of one round in *rd, valued. */
int	value_from_metrics(const struct opts *o, const struct fl_seckey *key,
	    struct round *rd, const char **metric, struct fl_err *err);

/* The values as one JSON object (sites summed over the rounds, and the
 * rounds), NULL when out of memory. */
json_t	*value_json(const struct opts *o, const struct round *rounds,
	    size_t n, const char *metric);
/* Print v (from value_json) as JSON or as TSV, one row per site. */
void	value_print(const json_t *v, int tsv);

#endif
