/*
 * init.h: what the two files of fl-init share: its options, parsed by
 * init-opts.c from the option table there, and used by fl-init.c.
 */
#ifndef FL_INIT_H
#define FL_INIT_H

#include "fl.h"

struct opts {
	const char	*spec, *label, *task, *stats, *out, *sign;
	const char	*time, *event;	/* survival: the columns */
	int		 grid_set;
	long		 grid;
	double		 tmax;
	char		**features, **exclude;
	size_t		 nfeatures, nexclude;
	long		 classes;
	uint64_t	 seed;
};

extern const char init_usage[];

/* Parse and check fl-init's arguments into o; exits 2 on misuse. */
void	init_parse_args(int argc, char **argv, struct opts *o);

#endif
