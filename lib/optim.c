/*
 * optim.c: the optimizers, SGD with momentum and Adam, over the model's
 * flat parameter vector.  Weight decay is added to the gradient before a
 * step (nn.c, fl_nn_add_l2), so the optimizers see one plain vector.
 */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "fl.h"
#include "nn.h"

static const char *const optim_names[] = { "sgd", "adam" };

/* The optimizer named s ("sgd", "adam"), or -1. */
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
	memset(o, 0, sizeof(*o));
	if (hp->optimizer != FL_OPT_SGD && hp->optimizer != FL_OPT_ADAM)
		return fl_err_set(err, FL_EUSAGE, "unknown optimizer %d",
		    (int)hp->optimizer);
	o->kind = hp->optimizer;
	o->n = n;
	o->lr = hp->lr;
	o->momentum = hp->momentum;
	o->beta1 = hp->beta1;
	o->beta2 = hp->beta2;
	o->eps = hp->eps;
	o->m1 = calloc(n, sizeof(float));
	if (o->kind == FL_OPT_ADAM)
		o->m2 = calloc(n, sizeof(float));
	if (o->m1 == NULL || (o->kind == FL_OPT_ADAM && o->m2 == NULL)) {
		fl_optim_release(o);
		return fl_err_set(err, FL_ENOMEM, "out of memory");
	}
	return 0;
}

/*
 * One step.  SGD: v = momentum v + g; p -= lr v.  Adam: m = b1 m +
 * (1 - b1) g; v = b2 v + (1 - b2) g^2; p -= lr mhat / (sqrt(vhat) + eps)
 * with the bias-corrected mhat = m / (1 - b1^t), vhat = v / (1 - b2^t).
 */
void
fl_optim_step(struct fl_optim *o, float *params, const float *grad)
{
	size_t i;
	float lr = (float)o->lr, mom = (float)o->momentum;
	float b1, b2, eps, c1, c2;

	o->t++;
	if (o->kind == FL_OPT_SGD) {
		for (i = 0; i < o->n; i++) {
			o->m1[i] = mom * o->m1[i] + grad[i];
			params[i] -= lr * o->m1[i];
		}
		return;
	}
	b1 = (float)o->beta1;
	b2 = (float)o->beta2;
	eps = (float)o->eps;
	c1 = (float)(1.0 / (1.0 - pow(o->beta1, (double)o->t)));
	c2 = (float)(1.0 / (1.0 - pow(o->beta2, (double)o->t)));
	for (i = 0; i < o->n; i++) {
		float g = grad[i];

		o->m1[i] = b1 * o->m1[i] + (1.0f - b1) * g;
		o->m2[i] = b2 * o->m2[i] + (1.0f - b2) * g * g;
		params[i] -= lr * (o->m1[i] * c1) /
		    (sqrtf(o->m2[i] * c2) + eps);
	}
}

/* Free the state; a released or zeroed one is fine. */
void
fl_optim_release(struct fl_optim *o)
{
	free(o->m1);
	free(o->m2);
	o->m1 = o->m2 = NULL;
}
