/*
 * strategy.c: the table of server strategies, one row each: its name,
 * the parameters it takes and their defaults, whether it is a mean
 * strategy (with its server step, lib/federation/fedopt.c) or a robust one
 * (spooled
 * and combined by lib/federation/robust.c).  lib/federation/aggregate.c runs
 * the rows; the
 * names, the "is for" checks and the recorded "strategy_params" all come
 * from here.  fl-aggregate(1) documents each row.
 */
#include <math.h>
#include <stddef.h>
#include <stdio.h>
#include <string.h>

#include "strategy_int.h"

#define FEDOPT	(FL_SP_SERVER_LR | FL_SP_BETA1 | FL_SP_TAU)

static const struct fl_strategy strategies[] = {
	{ "fedavg", 0, 0.1, 0, 0, 0, 0, NULL },
	{ "fedavgm", FL_SP_SERVER_LR | FL_SP_MOMENTUM, 1.0, 1, 0, 0, 0,
	    fl_fedopt_avgm },
	{ "fedadam", FEDOPT | FL_SP_BETA2, 0.1, 2, 0, 0, 0, fl_fedopt_adam },
	{ "fedyogi", FEDOPT | FL_SP_BETA2, 0.1, 2, 0, 0, 0, fl_fedopt_yogi },
	{ "fedadagrad", FEDOPT, 0.1, 2, 0, 0, 0, fl_fedopt_adagrad },
	{ "median", 0, 0.1, 0, 1, FL_ROBUST_MEDIAN, 0, NULL },
	{ "trimmed-mean", FL_SP_TRIM, 0.1, 0, 1, FL_ROBUST_TRIMMED, 0, NULL },
	{ "krum", FL_SP_BYZANTINE, 0.1, 0, 1, FL_ROBUST_KRUM, 1, NULL },
	{ "multi-krum", FL_SP_BYZANTINE | FL_SP_SELECT, 0.1, 0, 1,
	    FL_ROBUST_MULTIKRUM, 1, NULL },
	/* Zero deltas averaged; the step is lib/federation/newton.c's. */
	{ "newton", 0, 0.1, 0, 0, 0, 0, NULL },
};
#define NSTRATEGIES	(sizeof(strategies) / sizeof(*strategies))

/*
 * The parameters, in the order "strategy_params" records them: the
 * option that sets one, its manifest key, where it lives in struct
 * fl_agg_opts, and its default.  A double is unset when NAN; a count
 * when at most its unset value.  server_lr's default is the row's.
 */
static const struct param {
	unsigned	 bit;
	const char	*option;
	const char	*key;
	size_t		 off;
	int		 count;		/* a long, else a double */
	long		 unset;		/* count: unset at or below */
	double		 def;		/* NAN: see above, or none */
} params[] = {
	{ FL_SP_SERVER_LR, "--server-lr", "server_lr",
	    offsetof(struct fl_agg_opts, server_lr), 0, 0, NAN },
	{ FL_SP_MOMENTUM, "--server-momentum", "momentum",
	    offsetof(struct fl_agg_opts, momentum), 0, 0, 0.9 },
	{ FL_SP_BETA1, "--beta1", "beta1",
	    offsetof(struct fl_agg_opts, beta1), 0, 0, 0.9 },
	{ FL_SP_TAU, "--tau", "tau",
	    offsetof(struct fl_agg_opts, tau), 0, 0, 1e-3 },
	{ FL_SP_BETA2, "--beta2", "beta2",
	    offsetof(struct fl_agg_opts, beta2), 0, 0, 0.99 },
	{ FL_SP_TRIM, "--trim", "trim",
	    offsetof(struct fl_agg_opts, trim), 0, 0, 0.1 },
	{ FL_SP_BYZANTINE, "--byzantine", "byzantine",
	    offsetof(struct fl_agg_opts, byzantine), 1, -1, 1 },
	{ FL_SP_SELECT, "--select", "select",
	    offsetof(struct fl_agg_opts, select), 1, 0, NAN },
};
#define NPARAMS	(sizeof(params) / sizeof(*params))

#define DOUBLE_AT(o, p)	((double *)(void *)((char *)(o) + (p)->off))
#define LONG_AT(o, p)	((long *)(void *)((char *)(o) + (p)->off))

const struct fl_strategy *
fl_strategy_at(size_t i)
{
	return i < NSTRATEGIES ? &strategies[i] : NULL;
}

const struct fl_strategy *
fl_strategy_find(const char *name)
{
	size_t i;

	for (i = 0; i < NSTRATEGIES; i++)
		if (strcmp(name, strategies[i].name) == 0)
			return &strategies[i];
	return NULL;
}

size_t
fl_strategy_list(char *buf, size_t size, unsigned want, int robust,
    const char *last)
{
	size_t i, k, n = 0, len = 0;
	const char *sep;
	int w;

	for (i = 0; i < NSTRATEGIES; i++)
		n += (strategies[i].params & want) == want &&
		    (robust < 0 || strategies[i].robust == robust);
	if (size > 0)
		buf[0] = '\0';
	for (i = k = 0; i < NSTRATEGIES; i++) {
		if ((strategies[i].params & want) != want ||
		    (robust >= 0 && strategies[i].robust != robust))
			continue;
		sep = k == 0 ? "" : k + 1 == n ? last : ", ";
		k++;
		w = snprintf(len < size ? buf + len : NULL,
		    len < size ? size - len : 0, "%s%s", sep,
		    strategies[i].name);
		len += w > 0 ? (size_t)w : 0;
	}
	return len;
}

void
fl_strategy_resolve(const struct fl_strategy *s, struct fl_agg_opts *o)
{
	const struct param *p;
	double *d;
	long *l;

	for (p = params; p < params + NPARAMS; p++) {
		if (p->count) {
			l = LONG_AT(o, p);
			if (*l <= p->unset && !isnan(p->def))
				*l = (long)p->def;
			continue;
		}
		d = DOUBLE_AT(o, p);
		if (isnan(*d))
			*d = p->bit == FL_SP_SERVER_LR ? s->server_lr : p->def;
	}
}

int
fl_strategy_check(const struct fl_strategy *s, const struct fl_agg_opts *o,
    struct fl_err *err)
{
	const struct param *p;
	char list[256];
	int set;

	for (p = params; p < params + NPARAMS; p++) {
		if (p->count)
			set = *LONG_AT(o, p) > p->unset;
		else
			set = !isnan(*DOUBLE_AT(o, p));
		if (!set || (s->params & p->bit) != 0)
			continue;
		fl_strategy_list(list, sizeof(list), p->bit, -1, " and ");
		return fl_err_set(err, FL_EUSAGE, "%s is for %s, not %s",
		    p->option, list, s->name);
	}
	return 0;
}

int
fl_strategy_record(const struct fl_strategy *s, const struct fl_agg_opts *o,
    size_t count, json_t *p)
{
	const struct param *q;
	json_t *v;
	long l;

	for (q = params; q < params + NPARAMS; q++) {
		if ((s->params & q->bit) == 0)
			continue;
		if (!q->count)
			v = json_real(*DOUBLE_AT(o, q));
		else {
			l = *LONG_AT(o, q);
			/* multi-krum's M defaults to n - F. */
			if (q->bit == FL_SP_SELECT && l <= 0)
				l = (long)count - o->byzantine;
			v = json_integer(l);
		}
		if (json_object_set_new(p, q->key, v) < 0)
			return -1;
	}
	return 0;
}

const char *
fl_agg_strategy_name(size_t i)
{
	return i < NSTRATEGIES ? strategies[i].name : NULL;
}

size_t
fl_agg_strategy_list(char *buf, size_t size)
{
	return fl_strategy_list(buf, size, 0, -1, ", ");
}
