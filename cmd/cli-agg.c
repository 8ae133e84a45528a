/*
 * cli-agg.c: set the strategy parameters of cli-agg.h from their
 * options, for fl-aggregate and fl-value alike.
 */
#include <stddef.h>
#include <stdio.h>

#include "fl.h"
#include "cli.h"
#include "cli-agg.h"

static const struct param {
	const char	*name;
	size_t		 off;		/* in struct fl_agg_opts */
	int		 count;		/* a long, else a double */
	double		 lo, hi;
} params[] = {
#define FL_AGG_P_TABLE(f, name, arg, help, count, lo, hi)		\
	{ "--" name, offsetof(struct fl_agg_opts, f), count, lo, hi },
	FL_AGG_PARAMS(FL_AGG_P_TABLE)
#undef FL_AGG_P_TABLE
};

void
fl_opt_agg_param(const char *usage, int c, const char *arg,
    struct fl_agg_opts *o)
{
	const struct param *p = &params[c - FL_OPT_AGG];
	char *at = (char *)o + p->off;

	if (p->count)
		*(long *)(void *)at = fl_opt_long(usage, p->name, arg,
		    (long)p->lo, (long)p->hi);
	else
		*(double *)(void *)at = fl_opt_double(usage, p->name, arg,
		    p->lo, p->hi);
}
