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

/* What fl-train read (train-stream.c): the model archive, its round,
 * and the updates of it that came after it in the stream. */
struct train_in {
	struct fl_archive	*model;
	int64_t			 round;
	struct fl_archive	**ups;
	size_t			 nups;
};

extern const char train_usage[];

/* Read o->model (sealed input opened with key, which may be NULL): a
 * model, into in and *recv, and the updates of it that follow, checked
 * to be of its id and round and from sites that differ from each other
 * and from o->site.  Errors name the input and the archive's place in
 * it; train_in_release frees in also on failure. */
int	train_read(const struct opts *o, const struct fl_seckey *key,
	    struct train_in *in, struct fl_model **recv, struct fl_err *err);
/* Write upd to o->out; with --pass-model or updates upstream, after the
 * model and those updates, unchanged. */
int	train_write(const struct opts *o, const struct train_in *in,
	    struct fl_archive *upd, struct fl_err *err);
void	train_in_release(struct train_in *in);

/* SCAFFOLD (train-scaffold.c): *sc gets four vectors of the model's n
 * parameters in one malloc'd block, c_i, c, the correction c - c_i and
 * room for the new c_i; train_scaffold_end, given the received x and
 * trained y, fills the new c_i and puts its change where the correction
 * was, for the update. */
int	train_scaffold_begin(const struct opts *o, const struct fl_archive *in,
	    const struct fl_model *recv, float **sc, struct fl_err *err);
void	train_scaffold_end(const struct opts *o,
	    const struct fl_train_result *res, float *sc, const float *x,
	    const float *y, size_t n);

/* Parse and check fl-train's arguments into o; exits 2 on misuse. */
void	train_parse_args(int argc, char **argv, struct opts *o);

/* The loss of m on ds's rows, with the L2 term l2 (train-summary.c). */
int	train_loss(const struct fl_model *m, const struct fl_dataset *ds,
	    double l2, double *loss, struct fl_err *err);
/* Print fl-train's summary line (cli-summary.h): the data, its rows, the
 * epochs and the loss before and after (NAN: not shown). */
void	train_summary(const struct opts *o, const struct fl_dataset *ds,
	    double before, double after);
/* With the summary on (-v, or stderr a terminal): warn about each feature
 * of a binary model that alone separates this site's labels (AUC at least
 * 0.99 or at most 0.01, 10 rows or more of each class): an outcome, or a
 * copy of the label, among the features. */
void	train_leaks(const struct opts *o, const struct fl_model *m,
	    const struct fl_dataset *ds);
/* fl-train --optimizer newton (train-newton.c): write the update of
 * score, information and log-likelihood at recv over ds. */
int	train_newton(const struct opts *o, const struct train_in *in,
	    const struct fl_model *recv, const struct fl_dataset *ds,
	    const struct fl_seckey *sk, struct fl_err *err);

#endif
