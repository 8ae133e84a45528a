/*
 * model/model.h: the model layer of libfl: models and their layer table,
 * model archives, datasets, state vectors, the survival model.
 * Layers include downwards only (README.md, "Source tour"); fl.h
 * includes them all.
 */
#ifndef FL_LIB_MODEL_H
#define FL_LIB_MODEL_H

#include "trust/trust.h"

/* ------------------------------------------------------------------------ */
/* Models (lib/model/model.c).                                                */

enum fl_task {
	FL_TASK_BINARY,		/* one logit, sigmoid, log loss; labels 0/1 */
	FL_TASK_MULTICLASS,	/* K logits, softmax; labels 0..K-1 */
	FL_TASK_REGRESSION,	/* one output, squared error */
	FL_TASK_SURVIVAL	/* one log-risk, Cox partial likelihood */
};
const char	*fl_task_name(enum fl_task t);
int		 fl_task_parse(const char *s);	/* or -1 */

#define FL_MAX_LAYERS 16

/*
 * Every model is a stack of dense layers: input (d) -> hidden layers with
 * ReLU -> output layer (1 or K units) with the task's head.  "logreg",
 * "softmax" and "linear" have no hidden layer; "mlp:64,32" has two.
 * Layer l has tensors "fc<l>.weight" of shape (out, in), row-major, and
 * "fc<l>.bias" of shape (out), laid out in that order in one contiguous
 * float buffer, which is also the archive's tensor data.  A CNN ("cnn:",
 * below) has image stages before its dense stack, whose conv tensors come
 * first in that buffer.
 */
struct fl_model;

/* Preprocessing and data description carried by the model, so that every
 * site reads its CSV identically.  Raw value x of feature j becomes
 * (x - mean[j]) / scale[j]; a missing x becomes impute[j] first. */
struct fl_prep {
	size_t		 d;		/* number of features */
	char		**features;	/* d names, in input order */
	char		*label;
	double		*mean;		/* d */
	double		*scale;		/* d, > 0 */
	double		*impute;	/* d, raw units */
	/* 1: a row missing a feature is dropped when training and
	 * scoring (fl-init --missing drop, R's na.omit), not imputed. */
	int		 drop_missing;
	/* Survival only (NULL and 0 otherwise; lib/model/survmodel.c): label names
	 * the event column (0/1), time the time column; the baseline
	 * hazard is estimated on grid[0..ngrid-1], increasing, > 0. */
	char		*time;
	size_t		 ngrid;
	double		*grid;
	/* Categorical columns (lib/model/onehot.c; none: 0 and NULL):
	 * feature j is the 0/1 indicator of level flevel[j] of column
	 * cat[fcat[j]] where fcat[j] >= 0, else a number. */
	size_t		 ncat;
	struct fl_catcol *cat;
	long		*fcat;		/* d */
	size_t		*flevel;	/* d */
};

/*
 * A categorical column: its levels in order (as fl-stats sorts them, R's
 * factor() order), each a feature "column=level" but for the reference
 * level, which the other indicators' zeros stand for (reference coding);
 * reference -1: every level is a feature (full one-hot).  A cell that is
 * none of the levels (a level this model never saw) is all zeros; an
 * empty or NA cell is missing (imputed or dropped as any feature).
 */
#define FL_MAX_CAT_LEVELS	64
#define FL_MAX_CAT_LEVEL_LEN	256
struct fl_catcol {
	char	 *column;
	size_t	  nlevels;
	char	**levels;
	long	  reference;
};
/* Add categorical column column (copied) with levels[0..nlevels) (2 to
 * FL_MAX_CAT_LEVELS distinct, 1 to FL_MAX_CAT_LEVEL_LEN bytes each) and
 * reference (-1 or a level's index) to p; then fl_prep_link.  Errors:
 * FL_EFORMAT (naming the column), FL_ENOMEM. */
int		 fl_prep_add_categorical(struct fl_prep *p,
		    const char *column, size_t nlevels,
		    const char *const *levels, long reference,
		    struct fl_err *err);
/* Match p's features to its categorical columns (fcat, flevel): each
 * level but the reference must be exactly one feature named
 * "column=level", and no other feature may be named like a categorical
 * column or match two.  Errors: FL_EFORMAT, FL_ENOMEM. */
int		 fl_prep_link(struct fl_prep *p, struct fl_err *err);
/* Copy src's categorical columns into dst (same features) and link. */
int		 fl_prep_cat_copy(struct fl_prep *dst,
		    const struct fl_prep *src, struct fl_err *err);
void		 fl_prep_cat_release(struct fl_prep *p);
/* The index of the level a cell (len bytes, not NUL-terminated; NULL for
 * an empty or NA cell) is, or FL_CAT_MISSING or FL_CAT_UNKNOWN. */
#define FL_CAT_MISSING	(-2)
#define FL_CAT_UNKNOWN	(-1)
long		 fl_catcol_find(const struct fl_catcol *c, const char *cell,
		    size_t len);
/* The manifest's preprocess "categorical" {column: {"levels": [...],
 * "reference": level or null}}, and back (then linked).  NULL: out of
 * memory.  Errors: FL_EFORMAT, FL_ENOMEM. */
json_t		*fl_prep_cat_json(const struct fl_prep *p);
int		 fl_prep_cat_from_json(struct fl_prep *p, const json_t *j,
		    struct fl_err *err);

/*
 * A new model from a spec ("logreg", "softmax", "linear", "mlp:H1[,H2...]")
 * for a task with d features and, for multiclass, nclasses >= 2 classes.
 * The spec fixes the task for logreg (binary), softmax (multiclass) and
 * linear (regression); a conflicting task is FL_EUSAGE.  Features are named
 * features[0..d-1] (features NULL: "x1".."xd"; label NULL: "y");
 * preprocessing starts as the identity (mean 0, scale 1, impute 0).
 * Parameters are zero.  Errors: FL_EUSAGE, FL_ENOMEM.
 */
int		 fl_model_new(struct fl_model **m, const char *spec,
		    enum fl_task task, size_t nclasses, size_t d,
		    const char *const *features, const char *label,
		    struct fl_err *err);
/* A deep copy.  NULL when out of memory. */
struct fl_model	*fl_model_dup(const struct fl_model *m);
void		 fl_model_free(struct fl_model *m);

/* Initialise weights (He-uniform for ReLU layers, Xavier-uniform for the
 * output layer) and zero biases, from the "init" stream of seed. */
void		 fl_model_init_params(struct fl_model *m, uint64_t seed);

const char	*fl_model_spec(const struct fl_model *m);
enum fl_task	 fl_model_task(const struct fl_model *m);
size_t		 fl_model_nclasses(const struct fl_model *m); /* 0 unless multiclass */
size_t		 fl_model_noutputs(const struct fl_model *m);	/* 1 or K */
size_t		 fl_model_nlayers(const struct fl_model *m);
/* Width of layer boundary l: 0 is the input (d), nlayers the output. */
size_t		 fl_model_width(const struct fl_model *m, size_t l);

/*
 * The layer table.  A model is a stack of layers, each of a type (dense
 * today; a convolution would join), with an input and an output shape
 * and parameter tensors that lie back to back in the flat parameter
 * vector, in layer order.  A parameter tensor has a name (a dense layer l
 * has "fc<l>.weight", shape (out, in), and "fc<l>.bias", shape (out)),
 * a shape of ndim <= 2 dimensions, and its place: off and size floats
 * into the parameter vector.  Archives, binding and aggregation read
 * tensor names, shapes and counts from here.
 */
enum fl_layer_type {
	FL_LAYER_DENSE,
	FL_LAYER_CONV,		/* the image stages of a CNN: struct fl_stage */
	FL_LAYER_MAXPOOL,
	FL_LAYER_AVGPOOL,
	FL_LAYER_GAP,
	FL_LAYER_DROPOUT
};
#define FL_TENSOR_NAME	32	/* longest name + 1 */
struct fl_param_tensor {
	char	 name[FL_TENSOR_NAME];
	size_t	 ndim;			/* 1, 2, or 4 for a convolution */
	size_t	 shape[4];
	size_t	 off, size;		/* in floats */
};
struct fl_layer {
	enum fl_layer_type type;
	size_t	 in, out;		/* input and output widths */
	size_t	 first, ntensors;	/* its tensors in the model's list */
};
/* Layer l of m's layer table: its image stages first (0 <= l <
 * nstages), then its dense layers (nstages <= l < nstages + nlayers); a
 * pointer into m, or NULL past the end. */
const struct fl_layer *fl_model_layer(const struct fl_model *m, size_t l);

/*
 * A CNN (lib/model/cnn.c): spec "cnn:CxHxW:STAGES,denseN,...", whose
 * image stages run on each row read as a (C, H, W) image, channel first
 * and row-major (the CSV's feature columns in that order), before the
 * dense stack, which reads the last stage's output flattened (C' H' W')
 * and ends in the task's head.  Grammar in fl-init(1): convNkK[sS][v]
 * (N filters of K x K, stride S, 'same' padding or 'valid' with v, then a
 * ReLU), poolK and avgpoolK (K x K windows, stride K), gap (global
 * average pooling), dropP (dropout at rate P, training only), then denseN
 * (ReLU dense layers).  Convolution stage i has tensors "conv<i>.weight"
 * (N, C, K, K) and "conv<i>.bias" (N), laid out before the dense layers'
 * "fc<l>.*"; layouts and padding arithmetic are struct fl_conv's
 * (compute.h).
 */
#define FL_MAX_STAGES	16
struct fl_stage {
	enum fl_layer_type type;	/* FL_LAYER_CONV .. _DROPOUT */
	size_t	 c, h, w;		/* input (c, h, w) */
	size_t	 oc, oh, ow;		/* output (oc, oh, ow) */
	size_t	 k, stride;		/* conv and pools */
	size_t	 pad_h, pad_w;		/* conv: top and left padding */
	int	 same;			/* conv: 1 'same', 0 'valid' */
	float	 p;			/* dropout rate, in (0, 1) */
	size_t	 woff, boff;		/* conv: weight and bias offsets */
};
/* The number of image stages (0 for a dense model), and stage i. */
size_t		 fl_model_nstages(const struct fl_model *m);
const struct fl_stage *fl_model_stage(const struct fl_model *m, size_t i);
/* The number of input features (C H W for a CNN). */
size_t		 fl_model_ninputs(const struct fl_model *m);
/* 1 and the input shape (c, h, w) when m is a CNN; else 0. */
int		 fl_model_image(const struct fl_model *m, size_t *c,
		    size_t *h, size_t *w);
/* The number of parameter tensors of m, and tensor i (0 <= i < that) in
 * layout order; a pointer into m, valid while m lives. */
size_t		 fl_model_ntensors(const struct fl_model *m);
const struct fl_param_tensor *fl_model_tensor(const struct fl_model *m,
		    size_t i);
size_t		 fl_model_nparams(const struct fl_model *m);
float		*fl_model_params(struct fl_model *m);
const float	*fl_model_params_const(const struct fl_model *m);
struct fl_prep	*fl_model_prep(struct fl_model *m);
const struct fl_prep *fl_model_prep_const(const struct fl_model *m);

/* 1 when a and b have the same spec, task, classes, features and label,
 * so that their parameter vectors line up; else 0. */
int		 fl_model_compatible(const struct fl_model *a,
		    const struct fl_model *b);

/*
 * Write the model into a new archive of the given kind (model or update):
 * manifest keys "model" {"spec","task","classes","layers","params"},
 * "features", "label", "preprocess" {"mean","scale","impute"}, and the
 * F32 tensors.  The caller adds round, parent, site and the rest.
 */
int		 fl_model_to_archive(const struct fl_model *m, enum fl_kind kind,
		    struct fl_archive **a, struct fl_err *err);
/* The same with params (nparams floats, malloc'd; taken, also on
 * failure) as the tensors' bytes instead of m's, without a copy. */
int		 fl_model_to_archive_with(const struct fl_model *m,
		    enum fl_kind kind, float *params, struct fl_archive **a,
		    struct fl_err *err);
/* m's parameters, for the caller to free; m keeps its layout and
 * description (fl_model_to_archive_with, fl_archive_params) but has no
 * parameters after: fl_model_params gives NULL.  fl-aggregate's base
 * model, whose parameters wait in a file while the round streams. */
float		*fl_model_take_params(struct fl_model *m);
/* Make params (malloc'd, at least nparams floats; m owns it) m's
 * parameters, freeing those it had. */
void		 fl_model_set_params(struct fl_model *m, float *params);
/* fl_model_from_archive, taking a's buffer as the parameters when they
 * lie in it as fl writes them (no copy): a is left without tensors. */
int		 fl_model_from_archive_take(struct fl_model **m,
		    struct fl_archive *a, struct fl_err *err);
/* Set manifest's "model", "features", "label" and "preprocess" keys to
 * describe m (fl_model_to_archive does this).  Two archives whose four
 * keys are equal have parameter vectors that line up.  FL_ENOMEM. */
int		 fl_model_describe(const struct fl_model *m, json_t *manifest,
		    struct fl_err *err);
/* Build a model from a model, update or coalitions archive (the round's
 * model of fl-value --coalitions), checking the manifest and
 * binding the tensors with fl_archive_params.  Errors: FL_EFORMAT,
 * FL_ESHAPE, FL_ENUM (a parameter not finite), FL_ENOMEM. */
int		 fl_model_from_archive(struct fl_model **m,
		    const struct fl_archive *a, struct fl_err *err);
/*
 * Bind a's parameter tensors to m's layout by name, dtype and shape, in
 * whatever order they lie in a's data: the layer table's tensors, for
 * each dense layer l "fc<l>.weight" F32 (width(l+1), width(l)) and
 * "fc<l>.bias" F32 (width(l+1)), and a CNN's "conv<i>.weight" F32 (N, C,
 * K, K) and "conv<i>.bias" F32 (N).  Every
 * other tensor must be a state vector "state/<name>", F32 (nparams).
 * *params gets the nparams parameters in layout order: a pointer into
 * a's data when the tensors lie there in layout order from offset 0, as
 * fl writes them (no copy), else *buf filled by copying.  *buf is the
 * caller's: nparams floats, or NULL to have one malloc'd on first need
 * and left in *buf for the caller to reuse and free.  *params is valid
 * while a and *buf are.  Values are not checked.  Errors: FL_ESHAPE
 * naming the tensor (missing, unknown, another dtype or shape), as
 * "tensor 'fc0.weight' is F32 [3, 5], the model's is F32 [5, 3]", for
 * the caller to prefix with the file name; FL_ENOMEM.
 */
int		 fl_archive_params(const struct fl_archive *a,
		    const struct fl_model *m, float **buf,
		    const float **params, struct fl_err *err);

/* Read the one model archive at path (NULL or "-" for stdin; sealed input
 * is opened with key, which may be NULL) into *a and build its model into
 * *m; the caller frees both.  Errors name the file: those of
 * fl_archive_read_file_key and fl_model_from_archive, and FL_EFORMAT for
 * an archive of another kind. */
struct fl_seckey;
int		 fl_model_read(const char *path, const struct fl_seckey *key,
		    struct fl_archive **a, struct fl_model **m,
		    struct fl_err *err);

/* ------------------------------------------------------------------------ */
/* Datasets (lib/model/dataset.c).                                            */

/* A CSV read through a model's prep: X (n, d) row-major, standardised and
 * imputed; y (n): 0/1, class index, or target value. */
struct fl_dataset {
	size_t	 n, d;
	float	*X;
	float	*y;
	size_t	 skipped;	/* rows dropped because the label was missing */
	size_t	 dropped;	/* rows dropped for a missing feature
				 * (prep drop_missing) */
	float	*time;		/* survival: (n) times (y: events), else NULL */
};

/*
 * Load path (NULL or "-" for stdin) with m's features, label and prep.
 * Columns are matched by header name; extra columns are ignored.  A
 * missing feature or label column, a non-number, a label outside the
 * task's range (binary 0/1, multiclass 0..K-1 integers, survival event
 * 0/1) or a survival time that is not >= 0 is FL_EFORMAT naming file,
 * line and column.  Rows whose label (or survival time) is missing are
 * skipped (and counted in skipped); with the prep's drop_missing, so
 * are rows missing a feature (counted in dropped).  With need_label 0 (prediction) the
 * label and time columns may be absent (NaN) and no row is skipped: a
 * missing label stays NaN in y.  A categorical column's cells (which may
 * be text there only) become its features' 0/1 indicators (struct
 * fl_catcol): a level the model does not know is all zeros, an empty or
 * NA cell is missing.
 */
int		 fl_dataset_load(struct fl_dataset **ds, const char *path,
		    const struct fl_model *m, int need_label,
		    struct fl_err *err);
/* The same, with column image_col (when not NULL) naming PNG files whose
 * pixels are the columns px0, px1, ... (fl_csv_image). */
int		 fl_dataset_load_image(struct fl_dataset **ds,
		    const char *path, const struct fl_model *m,
		    int need_label, const char *image_col,
		    struct fl_err *err);
void		 fl_dataset_free(struct fl_dataset *ds);


/* The survival model (lib/model/survmodel.c); its head is in train/, its */
/* metrics in stats/, its federated baseline in federation/.               */

/*
 * The Cox proportional hazards model: a dense stack (spec "cox", no hidden
 * layer, or "mlp:H..." with task survival) whose one output is the
 * log-risk eta.  Its loss is the negative log partial likelihood with
 * Breslow ties over the rows given (a site's own risk sets: training is
 * site-stratified), divided by the number of events (0 when there are
 * none), plus l2/2 |W|^2.  The output layer's bias cancels in the partial
 * likelihood: its gradient is exactly 0, so it stays at its initial 0.
 */

/* Make m a survival model reading times from column time and events from
 * its label column, with the baseline hazard grid grid[0..ngrid-1]
 * (increasing, > 0; ngrid 0 for none).  Errors: FL_EUSAGE, FL_ENOMEM. */
int		 fl_model_set_survival(struct fl_model *m, const char *time,
		    const double *grid, size_t ngrid, struct fl_err *err);
/* Add "survival" {"time", "event", "grid"} to a manifest's "model"
 * object (nothing for other tasks), and read it back into m.  Hooks
 * called by lib/model/modelio.c.  Errors: FL_ENOMEM; FL_EFORMAT. */
int		 fl_survival_describe(const struct fl_model *m, json_t *model,
		    struct fl_err *err);
int		 fl_survival_from_json(struct fl_model *m, const json_t *model,
		    struct fl_err *err);

/* Read a model manifest's "baseline" into *cumhaz (m's ngrid values, a
 * malloc'd copy): 1 when present, 0 when absent.  Errors: FL_EFORMAT. */
int		 fl_baseline_read(const struct fl_model *m,
		    const json_t *manifest, double **cumhaz,
		    struct fl_err *err);
/* The baseline cumulative hazard at time t >= 0, linear between grid
 * points (0 at 0); NaN beyond the last grid point. */
double		 fl_baseline_at(const struct fl_model *m, const double *cumhaz,
		    double t);

/* ------------------------------------------------------------------------ */
/* State vectors carried beside the parameters (lib/model/modelio.c).      */

/*
 * State vectors: F32 tensors of shape (nparams), the model's parameter
 * count, named "state/<name>", written after the parameter tensors of a
 * model or update archive: server optimizer moments ("fedopt_m",
 * "fedopt_v") and SCAFFOLD control variates ("scaffold_c" in models,
 * "scaffold_dc" in updates).  fl_archive_params checks and skips them;
 * names are 1..64 of [a-z0-9_].
 */
/* 1 and *v (borrowed from a) when state name is present as F32 (n), 0
 * when absent; FL_EFORMAT when present with another dtype or shape. */
int		 fl_archive_state(const struct fl_archive *a, const char *name,
		    size_t n, const float **v, struct fl_err *err);
/* Append state name (n values copied).  Errors: FL_EUSAGE, FL_ENOMEM. */
int		 fl_archive_add_state(struct fl_archive *a, const char *name,
		    const float *v, size_t n, struct fl_err *err);

#endif /* FL_LIB_MODEL_H */
