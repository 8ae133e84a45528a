/*
 * nn.h: the fast float path's internal interface, shared by nn.c, optim.c
 * and train.c.  Not part of the public API (fl.h); the reference these
 * mirror is fl_ref_loss_grad in ref.c.
 */
#ifndef FL_NN_H
#define FL_NN_H

#include "fl.h"

/*
 * A workspace for batches of up to cap rows of model m: the gathered
 * inputs and labels, every layer's outputs and two delta buffers, in one
 * allocation made once per fl_train or fl_predict call and reused.
 */
struct fl_nn {
	const struct fl_model	*m;
	const struct fl_backend	*be;
	size_t			 cap;
	float			*buf;		/* owns everything below */
	float			*x;		/* (cap, d): gathered rows */
	float			*y;		/* (cap) */
	float			*act[FL_MAX_LAYERS + 1]; /* act[l] (cap, w_l) */
	float			*d0, *d1;	/* (cap, max width) */
};

/* Allocate a workspace.  Errors: FL_ENOMEM. */
int	fl_nn_init(struct fl_nn *nn, const struct fl_model *m,
	    const struct fl_backend *be, size_t cap, struct fl_err *err);
void	fl_nn_release(struct fl_nn *nn);

/* Run rows (<= cap) rows of X (rows, d) forward; the logits are left in
 * nn->act[nlayers] (rows, noutputs). */
void	fl_nn_forward(struct fl_nn *nn, const float *params, const float *X,
	    size_t rows);

/*
 * Forward and backward over rows rows of X (rows, d) and y (rows): grad
 * (nparams) is overwritten with scale * the gradient of the summed loss.
 * Returns the summed loss (no penalty), in double.
 */
double	fl_nn_loss_grad(struct fl_nn *nn, const float *params, const float *X,
	    const float *y, size_t rows, float scale, float *grad);

/* Add l2 * w to grad for every weight (not bias); return l2/2 |W|^2. */
double	fl_nn_add_l2(const struct fl_model *m, const float *params,
	    float *grad, double l2);

/* Check that y (n) holds labels valid for m's task.  Errors: FL_ENUM. */
int	fl_nn_check_labels(const struct fl_model *m, size_t n, const float *y,
	    struct fl_err *err);

/* Optimizer state for n parameters (optim.c). */
struct fl_optim {
	enum fl_optimizer	 kind;
	size_t			 n;
	double			 lr, momentum, beta1, beta2, eps;
	unsigned long		 t;		/* steps taken */
	float			*m1;		/* velocity, or Adam's first moment */
	float			*m2;		/* Adam's second moment */
};

/* Errors: FL_ENOMEM, FL_EUSAGE (unknown optimizer). */
int	fl_optim_init(struct fl_optim *o, const struct fl_hparams *hp,
	    size_t n, struct fl_err *err);
/* One step: params (n) -= update(grad (n)). */
void	fl_optim_step(struct fl_optim *o, float *params, const float *grad);
void	fl_optim_release(struct fl_optim *o);

#endif /* FL_NN_H */
