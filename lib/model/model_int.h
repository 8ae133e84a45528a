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
	struct fl_layer	 layers[FL_MAX_LAYERS];
	struct fl_param_tensor tensors[2 * FL_MAX_LAYERS];
	size_t		 ntensors;
	float		*params;
	struct fl_prep	 prep;
};

#endif /* FL_MODEL_INT_H */
