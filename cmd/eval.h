/*
 * eval.h: what the files of fl-eval share: its options (eval-opts.c), the
 * printing of metrics and predictions (eval-print.c), and federated
 * evaluation and survival scoring (eval-fed.c); main is in fl-eval.c.
 */
#ifndef FL_EVAL_H
#define FL_EVAL_H

#include "fl.h"

struct opts {
	const char	*data, *model, *key;
	const char	*image_col;	/* --image-column, or NULL */
	int		 tsv, predictions;
	int		 verbose;	/* -q -1, -v 1, else 0 */
	enum fl_device	 device;		/* --device (default cpu) */
	const struct fl_backend *backend;	/* its backend */
	/* Federated evaluation (lib/stats/fedeval.c). */
	const char	*curve, *site, *out;
	int		 emit, report, format;
	int		 coef;		/* --coef (eval-coef.c) */
	double		 level;		/* --level */
	int		 level_set;
	size_t		 nh;		/* survival: --horizon values */
	double		 horizon[FL_MAX_HORIZONS];
	char		 sitebuf[FL_NAME_MAX + 1];
};

extern const char eval_usage[];

/* Parse and check fl-eval's arguments into o; exits 2 on misuse. */
void	eval_parse_args(int argc, char **argv, struct opts *o);

/* Print a JSON object as a TSV header line (keys) or value line, or as
 * one compact line of JSON, on stdout. */
void	eval_print_tsv(const json_t *obj, int header);
void	eval_print_json(const json_t *obj);

/* Print one prediction per row of ds on stdout, as JSON or TSV. */
void	eval_print_predictions(const struct fl_model *m,
	    const struct fl_dataset *ds, const float *pred, int tsv);

/* Read the model (o->model, sealed input opened with sk) into *a and *m;
 * or, for a coalitions archive with --emit, score and emit every
 * coalition (cmd/eval-coalitions.c) and return 1 with *m NULL. */
int	eval_read(const struct opts *o, const struct fl_seckey *sk,
	    struct fl_archive **a, struct fl_model **m, struct fl_err *err);

/* Federated evaluation: --report, --emit or a pooled --curve. */
int	eval_fedeval(const struct opts *o, const struct fl_archive *ma,
	    const struct fl_model *m, const struct fl_dataset *ds,
	    const float *pred, const double *S, struct fl_err *err);

/* Score, predict or emit for a survival model from the risks eta. */
int	eval_survival(const struct opts *o, const struct fl_model *m,
	    struct fl_archive *a, const struct fl_dataset *ds,
	    const float *eta, struct fl_err *err);

/* Print fl-eval's summary line (cmd/cli-summary.h): the data, the rows
 * scored and skipped, the model and its round (eval-print.c). */
void	eval_summary(const struct opts *o, struct fl_archive *a,
	    const struct fl_dataset *ds);
/* --coef: print the model's coefficient table (eval-coef.c). */
int	eval_coef(const struct opts *o, struct fl_err *err);

#endif
