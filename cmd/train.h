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
	const char		*mask;		/* --mask: the roster */
	double			 mask_range;	/* 0: the default */
	const char		*image_col;	/* --image-column, or NULL */
	struct fl_hparams	 hp;
	double			 dp_delta;
	int			 lr_set, pass, progress, delta_set;
	int			 verbose;	/* -q -1, -v 1, else 0 */
	long			 min_count;	/* newton: --min-count */
	int			 min_set;
	enum fl_device		 device;	/* --device (default cpu) */
	char			 sitebuf[256];
};

extern const char train_usage[];

/* Parse and check fl-train's arguments into o; exits 2 on misuse. */
void	train_parse_args(int argc, char **argv, struct opts *o);

/* The loss of m on ds's rows, with the L2 term l2 (train-summary.c). */
int	train_loss(const struct fl_model *m, const struct fl_dataset *ds,
	    double l2, double *loss, struct fl_err *err);
/* Print fl-train's summary line (cli-summary.h): the data, its rows, the
 * epochs and the loss before and after (NAN: not shown). */
void	train_summary(const struct opts *o, const struct fl_dataset *ds,
	    double before, double after);
/* fl-train --optimizer newton (train-newton.c): write the update of
 * score, information and log-likelihood at recv over ds. */
int	train_newton(const struct opts *o, struct fl_archive *in,
	    const struct fl_model *recv, const struct fl_dataset *ds,
	    const struct fl_seckey *sk, int64_t round, struct fl_err *err);

#endif
