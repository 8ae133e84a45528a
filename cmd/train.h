/*
 * train.h: what the two files of fl-train share: its options, parsed by
 * train-opts.c from the option table there, and used by fl-train.c.
 */
#ifndef FL_TRAIN_H
#define FL_TRAIN_H

#include "fl.h"

struct opts {
	const char		*data, *model, *site, *out, *trust, *key, *sign;
	const char		*scaffold;
	struct fl_hparams	 hp;
	double			 dp_delta;
	int			 lr_set, pass, progress, delta_set;
	long			 min_count;	/* newton: --min-count */
	int			 min_set;
	char			 sitebuf[256];
};

extern const char train_usage[];

/* Parse and check fl-train's arguments into o; exits 2 on misuse. */
void	train_parse_args(int argc, char **argv, struct opts *o);

/* fl-train --optimizer newton (train-newton.c): write the update of
 * score, information and log-likelihood at recv over ds. */
int	train_newton(const struct opts *o, struct fl_archive *in,
	    const struct fl_model *recv, const struct fl_dataset *ds,
	    const struct fl_seckey *sk, int64_t round, struct fl_err *err);

#endif
