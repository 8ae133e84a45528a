/*
 * aggregate.h: what the two files of fl-aggregate share: its options, parsed by
 * aggregate-opts.c from the option table there, and used by fl-aggregate.c.
 */
#ifndef FL_AGGREGATE_H
#define FL_AGGREGATE_H

#include "fl.h"

struct opts {
	const char	*model, *strategy, *out, *trust, *key, *sign;
	const char	*request;	/* --recovery-request */
	struct fl_agg_opts agg;
	char		**inputs;
	int		 ninputs, progress, partial;
	int		 verbose;	/* -q -1, -v 1, else 0 */
};

extern const char aggregate_usage[];

/* Parse and check fl-aggregate's arguments into o; exits 2 on misuse. */
void	aggregate_parse_args(int argc, char **argv, struct opts *o);

#endif
