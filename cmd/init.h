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
	const char	*input;		/* cnn: CxHxW */
	int		 grid_set;
	long		 grid;
	double		 tmax;
	char		**features, **exclude, **categorical;
	size_t		 nfeatures, nexclude, ncategorical;
	long		 classes;
	uint64_t	 seed;
	int		 verbose;	/* -v 1, -q 0, else -1: if a terminal */
	int		 drop_missing;	/* --missing drop */
};

extern const char init_usage[];

/* Parse and check fl-init's arguments into o; exits 2 on misuse. */
void	init_parse_args(int argc, char **argv, struct opts *o);
/* Whether s is one of the n names in v. */
int	init_listed(char *const *v, size_t n, const char *s);

/* Check the label against the statistics st (none: no check); set
 * o->classes for a multiclass label when not given.  Errors: FL_EFORMAT,
 * naming the statistics file. */
int	init_check_label(struct opts *o, const struct fl_stats *st,
	    enum fl_task task, struct fl_err *err);

/* Print the features chosen and left out, and warnings about suspect
 * ones, on stderr, as o->verbose says. */
void	init_report(const struct opts *o, const struct fl_stats *st,
	    const char **feats, size_t d);

/* init-cnn.c: the spec with --input joined (buf, len; exits 2 on
 * misuse), and per-channel standardisation of a CNN from st. */
const char *init_cnn_spec(const struct opts *o, char *buf, size_t len);
void	init_cnn_stats(struct fl_model *m, const struct fl_stats *st,
	    const char **feats);

/* init-cat.c: --categorical.  Replace each categorical column among
 * feats[0..*d) by its features "column=level" (a new *feats, the old one
 * freed; the names made in *made, NULL-terminated, for the caller to
 * free), then record the columns' levels in m's prep.  Errors name the
 * statistics file: FL_EFORMAT (no levels recorded, too many, fewer than
 * two), FL_EUSAGE (not a feature), FL_ENOMEM. */
int	init_cat_expand(const struct opts *o, const struct fl_stats *st,
	    const char ***feats, size_t *d, char ***made, struct fl_err *err);
int	init_cat_prep(const struct opts *o, const struct fl_stats *st,
	    struct fl_model *m, struct fl_err *err);
/* Say on stderr, as init_report does, each categorical column's levels
 * and reference. */
void	init_cat_report(const struct opts *o, const struct fl_model *m);

#endif
