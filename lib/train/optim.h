/*
 * optim.h: optimizer state and steps for the training loop (optim.c);
 * the steps themselves are backend ops (compute/).  Private to lib/train.
 */
#ifndef FL_OPTIM_H
#define FL_OPTIM_H

#include "train/train.h"

/* Optimizer state for n parameters (optim.c), in buffers of be. */
struct fl_optim {
	const struct fl_backend	*be;
	enum fl_optimizer	 kind;
	size_t			 n;
	double			 lr, momentum, beta1, beta2, eps;
	unsigned long		 t;		/* steps taken */
	float			*m1;		/* velocity, or Adam's first moment */
	float			*m2;		/* Adam's second moment */
};

/* Zeroed state from be's alloc (hp->backend; NULL: the CPU).  Errors:
 * FL_ENOMEM, FL_EUSAGE (unknown optimizer), FL_EGPU. */
int	fl_optim_init(struct fl_optim *o, const struct fl_hparams *hp,
	    size_t n, struct fl_err *err);
/* One step through be's sgd or adam op: params (n) -= update(grad (n));
 * both are buffers of the backend. */
void	fl_optim_step(struct fl_optim *o, float *params, const float *grad);
void	fl_optim_release(struct fl_optim *o);

#endif /* FL_OPTIM_H */
