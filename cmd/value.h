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
	const char	*report;
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
	struct fl_coalition	*c;
	const char		*name;
	struct fl_shapley_result r;
	int			 method;
};

/* Read the models and the updates into rounds, each update to the round
 * of the model it names as its parent, ordered by round number.  *rounds
 * (n of them) is freed by rounds_free. */
int	value_read_rounds(const struct opts *o, const struct fl_seckey *key,
	    struct round **rounds, size_t *n, struct fl_err *err);
void	value_rounds_free(struct round *rounds, size_t n);

/* The values as one JSON object (sites summed over the rounds, and the
 * rounds), NULL when out of memory. */
json_t	*value_json(const struct opts *o, const struct round *rounds,
	    size_t n, const char *metric);
/* Print v (from value_json) as JSON or as TSV, one row per site. */
void	value_print(const json_t *v, int tsv);

#endif
