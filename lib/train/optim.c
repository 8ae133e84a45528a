/*
 * optim.c: the optimizers, SGD with momentum and Adam, over the model's
 * flat parameter vector, as the backend's sgd and adam ops over state
 * the backend allocates.  Weight decay is added to the gradient before a
 * step (nn.c, fl_nn_add_l2), so the optimizers see one plain vector.
 */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "train/train.h"
#include "compute/nn.h"
#include "optim.h"

static const char *const optim_names[] = { "sgd", "adam", "newton" };

/* The optimizer named s ("sgd", "adam", "newton"), or -1. */
int
fl_optimizer_parse(const char *s)
{
	size_t i;

	if (s == NULL)
		return -1;
	for (i = 0; i < sizeof(optim_names) / sizeof(optim_names[0]); i++)
		if (strcmp(s, optim_names[i]) == 0)
			return (int)i;
	return -1;
}

/* "sgd", "adam", or "?" for a bad value. */
const char *
fl_optimizer_name(enum fl_optimizer o)
{
	if ((unsigned)o < sizeof(optim_names) / sizeof(optim_names[0]))
		return optim_names[o];
	return "?";
}

/* Zeroed state for n parameters; see nn.h. */
int
fl_optim_init(struct fl_optim *o, const struct fl_hparams *hp, size_t n,
    struct fl_err *err)
{
	const struct fl_backend *be = hp->backend;
	float *zero = NULL;
	size_t sz;
	int rc;

	memset(o, 0, sizeof(*o));
	if (hp->optimizer != FL_OPT_SGD && hp->optimizer != FL_OPT_ADAM)
		return fl_err_set(err, FL_EUSAGE, "unknown optimizer %d",
		    (int)hp->optimizer);
	if (be == NULL && (rc = fl_backend_get(&be, FL_DEVICE_CPU, err)) < 0)
		return rc;
	if (!be->supports(hp->optimizer == FL_OPT_SGD ? FL_OP_SGD :
	    FL_OP_ADAM))
		return fl_err_set(err, FL_EUSAGE, "the %s backend has no %s",
		    be->name, fl_optimizer_name(hp->optimizer));
	o->be = be;
	o->kind = hp->optimizer;
	o->n = n;
	o->lr = hp->lr;
	o->momentum = hp->momentum;
	o->beta1 = hp->beta1;
	o->beta2 = hp->beta2;
	o->eps = hp->eps;
	if (fl_size_mul(n, sizeof(float), &sz) < 0)
		goto nomem;
	/* The moments start at zero: uploaded from a zeroed host copy. */
	zero = calloc(n > 0 ? n : 1, sizeof(float));
	o->m1 = be->alloc(sz);
	if (o->kind == FL_OPT_ADAM)
		o->m2 = be->alloc(sz);
	if (zero == NULL || o->m1 == NULL ||
	    (o->kind == FL_OPT_ADAM && o->m2 == NULL))
		goto nomem;
	be->upload(o->m1, zero, sz);
	if (o->m2 != NULL)
		be->upload(o->m2, zero, sz);
	free(zero);
	return 0;
nomem:
	free(zero);
	fl_optim_release(o);
	return fl_err_set(err, FL_ENOMEM, "out of memory");
}

/*
 * One step.  SGD: v = momentum v + g; p -= lr v.  Adam: m = b1 m +
 * (1 - b1) g; v = b2 v + (1 - b2) g^2; p -= lr mhat / (sqrt(vhat) + eps)
 * with the bias-corrected mhat = m / (1 - b1^t), vhat = v / (1 - b2^t).
 * The backend does the elementwise work; the corrections are formed here.
 */
void
fl_optim_step(struct fl_optim *o, float *params, const float *grad)
{
	float lr = (float)o->lr, mom = (float)o->momentum;
	float b1, b2, eps, c1, c2;

	o->t++;
	if (o->kind == FL_OPT_SGD) {
		o->be->sgd(o->n, lr, mom, params, o->m1, grad);
		return;
	}
	b1 = (float)o->beta1;
	b2 = (float)o->beta2;
	eps = (float)o->eps;
	c1 = (float)(1.0 / (1.0 - pow(o->beta1, (double)o->t)));
	c2 = (float)(1.0 / (1.0 - pow(o->beta2, (double)o->t)));
	o->be->adam(o->n, lr, b1, b2, eps, c1, c2, params, o->m1, o->m2,
	    grad);
}

/* Free the state; a released or zeroed one is fine. */
void
fl_optim_release(struct fl_optim *o)
{
	if (o->be != NULL) {
		o->be->free(o->m1);
		o->be->free(o->m2);
	}
	o->m1 = o->m2 = NULL;
}
