/*
 * model_int.h: the layout of struct fl_model, shared by the files that
 * implement models (model.c, modelio.c, nn.c, ref.c).  Everything else goes
 * through the accessors in fl.h.
 */
#ifndef FL_MODEL_INT_H
#define FL_MODEL_INT_H

#include "model/model.h"

/* Hard limits on a model's shape. */
#define FL_MAX_WIDTH	65536	/* hidden width, and number of classes */

/* cnn.c, for model.c: parse a "cnn:" spec for d input features into
 * m->stages and the dense hidden widths, writing the normalised spec to
 * norm (normsz); then lay out the stages' layers and tensors from offset
 * 0, returning in *off where the dense layers start.  Errors:
 * FL_EUSAGE, FL_ENOMEM (too large). */
struct fl_model;
int	fl_cnn_parse(struct fl_model *m, const char *spec, size_t d,
	    size_t *hidden, size_t *nhidden, char *norm, size_t normsz,
	    struct fl_err *err);
int	fl_cnn_layout(struct fl_model *m, size_t *off, struct fl_err *err);
/* Draw the conv weights (He-uniform, fan-in c k k) from r; biases 0. */
struct fl_rng;
void	fl_cnn_init_params(struct fl_model *m, struct fl_rng *r);

/*
 * A stack of nlayers dense layers.  widths[0] is d, widths[nlayers] the
 * output width (1, or nclasses for multiclass).  Layer l's weight
 * (widths[l+1], widths[l]) row-major starts at params + woff[l], its bias
 * (widths[l+1]) at params + boff[l]; the layers follow each other with no
 * gap, so params is the whole flat vector of nparams floats.  The layer
 * table (layers, tensors; see fl.h) describes the same layout by type,
 * name and shape; layout() in model.c fills both.
 */
struct fl_model {
	char		*spec;		/* normalised: "mlp:64,32" */
	enum fl_task	 task;
	size_t		 nclasses;	/* 0 unless multiclass */
	size_t		 nlayers;
	size_t		 widths[FL_MAX_LAYERS + 1];
	size_t		 woff[FL_MAX_LAYERS];
	size_t		 boff[FL_MAX_LAYERS];
	size_t		 nparams;
	size_t		 nstages;	/* a CNN's image stages (cnn.c) */
	struct fl_stage	 stages[FL_MAX_STAGES];
	struct fl_layer	 layers[FL_MAX_STAGES + FL_MAX_LAYERS];
	struct fl_param_tensor tensors[2 * (FL_MAX_STAGES + FL_MAX_LAYERS)];
	size_t		 ntensors;
	float		*params;
	struct fl_prep	 prep;
};

#endif /* FL_MODEL_INT_H */
