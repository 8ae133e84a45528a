/*
 * nn.h: the fast float path's internal interface, shared by nn.c, head.c,
 * cox.c, optim.c and train.c.  Not part of the public API (fl.h); the
 * references these mirror are fl_ref_loss_grad and fl_ref_cox_loss_grad
 * in ref.c.
 */
#ifndef FL_NN_H
#define FL_NN_H

#include "compute/compute.h"

/* How a head's loss is trained: over shuffled minibatches, or one step
 * over all of a site's rows per epoch. */
enum fl_head_batch {
	FL_HEAD_MINIBATCH,
	FL_HEAD_FULLBATCH
};

/* What a head's loss is a sum over: rows (so per-row gradients exist, and
 * DP-SGD, FedProx and SCAFFOLD apply), or risk sets that couple rows. */
enum fl_head_unit {
	FL_HEAD_PER_ROW,
	FL_HEAD_PER_RISKSET
};

/*
 * A task's head: what sits on the dense stack's output Z (rows, k).  One
 * entry per task (head.c: binary, multiclass, regression; cox.c:
 * survival); fl_train's one loop and the one backward pass in nn.c read
 * everything task-specific from it.
 *
 * check validates the n targets: y (n) and, for survival, time (n; NULL
 * when the dataset has none).  Errors: FL_ENUM, FL_EUSAGE.
 *
 * loss_grad returns the batch's loss from Z (rows, k) against y (rows)
 * and time (rows, or NULL), and writes scale * dloss/dZ into dZ (rows,
 * k).  The dense heads run it as the backend's loss op (be->loss); the
 * Cox head is host code, which needs a backend with host_memory.  A per-row
 * head returns the summed loss (the trainer passes scale
 * 1/rows); a per-risk-set head returns its own normalised loss (the
 * trainer passes scale 1).  scratch holds rows * scratch bytes.
 *
 * output turns Z (rows, k) into the task's predictions out (rows, k).
 *
 * fixed_bias: the output layer's bias cancels from the loss (a shift of
 * every eta in a partial likelihood), so the backward pass sets its
 * gradient to exactly 0 (Adam would turn rounding noise there into
 * full-size steps).
 */
struct fl_head {
	const char		*name;
	enum fl_head_batch	 batch;
	enum fl_head_unit	 unit;
	int			 fixed_bias;
	size_t			 scratch;
	int	(*check)(const struct fl_model *m, size_t n, const float *y,
		    const float *time, struct fl_err *err);
	double	(*loss_grad)(const struct fl_backend *be, const float *Z,
		    size_t rows, size_t k,
		    const float *y, const float *time, void *scratch,
		    float scale, float *dZ);
	void	(*output)(const float *Z, size_t rows, size_t k, float *out);
};

/* The head of task t (head.c); every task has one. */
const struct fl_head *fl_head_get(enum fl_task t);
/* The Cox head (cox.c). */
extern const struct fl_head fl_head_cox;

/*
 * A workspace for batches of up to cap rows of model m: the gathered
 * inputs and labels, every layer's outputs and two delta buffers, in one
 * buffer the backend allocates (be->alloc) once per fl_train or
 * fl_predict call and reuses.  The head's scratch is host memory.
 */
struct fl_nn {
	const struct fl_model	*m;
	const struct fl_head	*head;
	const struct fl_backend	*be;
	size_t			 cap;
	float			*buf;		/* be->alloc: x .. d1 */
	float			*x;		/* (cap, d): gathered rows */
	float			*y;		/* (cap) */
	float			*act[FL_MAX_LAYERS + 1]; /* act[l] (cap, w_l) */
	float			*d0, *d1;	/* (cap, max width) */
	void			*scratch;	/* cap * head->scratch bytes */
	/*
	 * A CNN's image stages (nn_cnn.c; unused for a dense model), in a
	 * second buffer of the backend: each stage's output sact[s] (cap,
	 * out_s), dropout masks mask[s] (cap, out_s), the convolutions'
	 * work (fl_conv_work for up to FL_NN_CHUNK images), the deltas e0,
	 * e1 (cap, largest stage input), gtmp (a conv stage's weights and
	 * bias, for batches of more than FL_NN_CHUNK) and one (1.0).  Dropout
	 * runs only when training is 1, drawing its masks from seed and the
	 * number of forward passes so far (steps).
	 */
	float			*sbuf;
	float			*sact[FL_MAX_STAGES];
	float			*mask[FL_MAX_STAGES];
	float			*work, *e0, *e1, *gtmp, *one;
	int			 training;
	uint64_t		 seed, steps;
};

/* The most images a convolution op is given at once. */
#define FL_NN_CHUNK	128

/* nn_cnn.c: the image stages' workspace (from fl_nn_init), their forward
 * pass from X (rows, c h w) into sact, and their backward pass from dS
 * (rows, the last stage's output; clobbered) into grad's conv tensors. */
int	fl_nn_cnn_init(struct fl_nn *nn, struct fl_err *err);
void	fl_nn_cnn_forward(struct fl_nn *nn, const float *params,
	    const float *X, size_t rows);
void	fl_nn_cnn_backward(struct fl_nn *nn, const float *params,
	    const float *X, size_t rows, float *dS, float *grad);

/* Allocate a workspace for m with head (fl_head_get(m's task)).  Errors:
 * FL_ENOMEM. */
int	fl_nn_init(struct fl_nn *nn, const struct fl_model *m,
	    const struct fl_head *head, const struct fl_backend *be,
	    size_t cap, struct fl_err *err);
void	fl_nn_release(struct fl_nn *nn);

/* Run rows (<= cap) rows of X (rows, d) forward; the logits are left in
 * nn->act[nlayers] (rows, noutputs). */
void	fl_nn_forward(struct fl_nn *nn, const float *params, const float *X,
	    size_t rows);

/*
 * Forward, the head, and backward over rows rows of X (rows, d), y (rows)
 * and time (rows, or NULL): grad (nparams) is overwritten with the
 * gradient of the head's loss_grad at scale.  Returns the head's loss (no
 * penalty), in double.
 */
double	fl_nn_loss_grad(struct fl_nn *nn, const float *params, const float *X,
	    const float *y, const float *time, size_t rows, float scale,
	    float *grad);

/*
 * The one backward pass: from dZ (rows, noutputs) in nn->d0, through the
 * stack run forward on X (rows, d) by fl_nn_forward, into grad (nparams,
 * overwritten).  nn->d0 and nn->d1 are clobbered.
 */
void	fl_nn_backward(struct fl_nn *nn, const float *params, const float *X,
	    size_t rows, float *grad);

/* Add l2 * w to grad for every weight (not bias); return l2/2 |W|^2. */
double	fl_nn_add_l2(const struct fl_model *m, const float *params,
	    float *grad, double l2);

#endif /* FL_NN_H */
