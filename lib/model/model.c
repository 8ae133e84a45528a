/*
 * model.c: dense models (logreg, softmax, linear, mlp) as a shape and one
 * flat float parameter vector, with the preprocessing that travels with
 * them.  The math lives in nn.c (fast) and ref.c (reference); the archive
 * form in modelio.c.  The struct is in model_int.h.
 */
#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "model/model.h"
#include "model_int.h"

static const char *const task_names[] = {
	"binary", "multiclass", "regression", "survival"
};

/* "binary", "multiclass", "regression", "survival", or "?". */
const char *
fl_task_name(enum fl_task t)
{
	if ((unsigned)t < sizeof(task_names) / sizeof(task_names[0]))
		return task_names[t];
	return "?";
}

/* The task named s, or -1. */
int
fl_task_parse(const char *s)
{
	size_t i;

	if (s == NULL)
		return -1;
	for (i = 0; i < sizeof(task_names) / sizeof(task_names[0]); i++)
		if (strcmp(s, task_names[i]) == 0)
			return (int)i;
	return -1;
}

#define SPEC_HINT "(logreg, softmax, linear, cox, mlp:H1,H2,..., cnn:...)"

/*
 * Parse spec into the hidden widths and the task it implies (-1 for mlp,
 * which takes the caller's).  Fills hidden[0..*nhidden-1] and the
 * normalised spec into norm (size normsz).  Errors: FL_EUSAGE.
 */
static int
parse_spec(const char *spec, int *fixed, size_t *hidden, size_t *nhidden,
    char *norm, size_t normsz, struct fl_err *err)
{
	const char *p;
	char *end;
	unsigned long v;
	size_t len;

	*nhidden = 0;
	if (spec == NULL)
		return fl_err_set(err, FL_EUSAGE, "no model given %s",
		    SPEC_HINT);
	if (strcmp(spec, "cox") == 0) {
		*fixed = FL_TASK_SURVIVAL;
		snprintf(norm, normsz, "%s", spec);
		return 0;
	}
	if (strcmp(spec, "logreg") == 0 || strcmp(spec, "softmax") == 0 ||
	    strcmp(spec, "linear") == 0) {
		*fixed = spec[0] == 'l' ? (spec[1] == 'o' ? FL_TASK_BINARY :
		    FL_TASK_REGRESSION) : FL_TASK_MULTICLASS;
		snprintf(norm, normsz, "%s", spec);
		return 0;
	}
	if (strncmp(spec, "mlp:", 4) != 0)
		return fl_err_set(err, FL_EUSAGE, "unknown model '%s' %s",
		    spec, SPEC_HINT);
	*fixed = -1;
	len = (size_t)snprintf(norm, normsz, "mlp:");
	p = spec + 4;
	for (;;) {
		if (*p < '0' || *p > '9')
			return fl_err_set(err, FL_EUSAGE, "model '%s': "
			    "expected a hidden width after '%.*s' %s", spec,
			    (int)(p - spec), spec, SPEC_HINT);
		errno = 0;
		v = strtoul(p, &end, 10);
		if (errno != 0 || v < 1 || v > FL_MAX_WIDTH)
			return fl_err_set(err, FL_EUSAGE, "model '%s': hidden "
			    "width must be in [1, %d]", spec, FL_MAX_WIDTH);
		if (*nhidden == FL_MAX_LAYERS - 1)
			return fl_err_set(err, FL_EUSAGE, "model '%s': at most "
			    "%d hidden layers", spec, FL_MAX_LAYERS - 1);
		hidden[(*nhidden)++] = (size_t)v;
		len += (size_t)snprintf(norm + len, normsz - len, "%s%lu",
		    *nhidden > 1 ? "," : "", v);
		p = end;
		if (*p == '\0')
			break;
		if (*p != ',')
			return fl_err_set(err, FL_EUSAGE, "model '%s': "
			    "unexpected '%c' %s", spec, *p, SPEC_HINT);
		p++;
	}
	return 0;
}

/* Free what prep owns, leaving it empty. */
static void
prep_release(struct fl_prep *p)
{
	size_t j;

	if (p->features != NULL)
		for (j = 0; j < p->d; j++)
			free(p->features[j]);
	free(p->features);
	free(p->label);
	free(p->mean);
	free(p->scale);
	free(p->impute);
	free(p->time);
	free(p->grid);
	fl_prep_cat_release(p);
	memset(p, 0, sizeof(*p));
}

/*
 * Give p d features named names[j] (or "x1".."xd" when names is NULL) and
 * label (or "y"), with identity preprocessing.  Errors: FL_ENOMEM.
 */
static int
prep_init(struct fl_prep *p, size_t d, const char *const *names,
    const char *label, struct fl_err *err)
{
	char buf[32];
	size_t j;

	memset(p, 0, sizeof(*p));
	p->d = d;
	p->features = calloc(d, sizeof(*p->features));
	p->mean = calloc(d, sizeof(double));
	p->scale = calloc(d, sizeof(double));
	p->impute = calloc(d, sizeof(double));
	p->label = strdup(label != NULL ? label : "y");
	if (p->features == NULL || p->mean == NULL || p->scale == NULL ||
	    p->impute == NULL || p->label == NULL)
		goto nomem;
	for (j = 0; j < d; j++) {
		if (names == NULL || names[j] == NULL) {
			snprintf(buf, sizeof(buf), "x%zu", j + 1);
			p->features[j] = strdup(buf);
		} else
			p->features[j] = strdup(names[j]);
		if (p->features[j] == NULL)
			goto nomem;
		p->scale[j] = 1.0;
	}
	return 0;
nomem:
	prep_release(p);
	return fl_err_set(err, FL_ENOMEM, "out of memory");
}

/* Copy src into dst (which is overwritten).  Errors: FL_ENOMEM. */
static int
prep_copy(struct fl_prep *dst, const struct fl_prep *src)
{
	size_t d = src->d;

	if (prep_init(dst, d, (const char *const *)src->features, src->label,
	    NULL) < 0)
		return FL_ENOMEM;
	memcpy(dst->mean, src->mean, d * sizeof(double));
	memcpy(dst->scale, src->scale, d * sizeof(double));
	memcpy(dst->impute, src->impute, d * sizeof(double));
	dst->drop_missing = src->drop_missing;
	if (src->time != NULL && (dst->time = strdup(src->time)) == NULL)
		goto nomem;
	if (src->ngrid > 0) {
		if ((dst->grid = malloc(src->ngrid * sizeof(double))) == NULL)
			goto nomem;
		memcpy(dst->grid, src->grid, src->ngrid * sizeof(double));
		dst->ngrid = src->ngrid;
	}
	if (fl_prep_cat_copy(dst, src, NULL) < 0)
		goto nomem;
	return 0;
nomem:
	prep_release(dst);
	return FL_ENOMEM;
}

/*
 * Lay out the layers of m from widths[0..nlayers], checking every product
 * and sum for overflow and the total against FL_MAX_DATA.
 * Errors: FL_ENOMEM.
 */
static int
layout(struct fl_model *m, struct fl_err *err)
{
	struct fl_param_tensor *t;
	struct fl_layer *ly;
	size_t l, w, off = 0;
	int rc;

	m->ntensors = 0;
	/* A CNN's stages come first (cnn.c). */
	if (m->nstages > 0 && (rc = fl_cnn_layout(m, &off, err)) < 0)
		return rc;
	for (l = 0; l < m->nlayers; l++) {
		if (fl_size_mul(m->widths[l + 1], m->widths[l], &w) < 0 ||
		    w > FL_MAX_DATA / sizeof(float) - off)
			goto big;
		ly = &m->layers[m->nstages + l];
		ly->type = FL_LAYER_DENSE;
		ly->in = m->widths[l];
		ly->out = m->widths[l + 1];
		ly->first = m->ntensors;
		ly->ntensors = 2;
		t = &m->tensors[m->ntensors++];
		snprintf(t->name, sizeof(t->name), "fc%zu.weight", l);
		t->ndim = 2;
		t->shape[0] = ly->out;
		t->shape[1] = ly->in;
		t->off = m->woff[l] = off;
		t->size = w;
		off += w;
		if (m->widths[l + 1] > FL_MAX_DATA / sizeof(float) - off)
			goto big;
		t = &m->tensors[m->ntensors++];
		snprintf(t->name, sizeof(t->name), "fc%zu.bias", l);
		t->ndim = 1;
		t->shape[0] = ly->out;
		t->shape[1] = 0;
		t->off = m->boff[l] = off;
		t->size = ly->out;
		off += m->widths[l + 1];
	}
	m->nparams = off;
	return 0;
big:
	return fl_err_set(err, FL_ENOMEM, "model '%s' with %zu features is "
	    "too large", m->spec, m->widths[0]);
}

/* A new model with zero parameters; see fl.h. */
int
fl_model_new(struct fl_model **mp, const char *spec, enum fl_task task,
    size_t nclasses, size_t d, const char *const *features, const char *label,
    struct fl_err *err)
{
	struct fl_model *m = NULL;
	size_t hidden[FL_MAX_LAYERS], nhidden, l;
	char norm[FL_MAX_STAGES * 16 + FL_MAX_LAYERS * 8 + 64];
	int fixed, rc;

	*mp = NULL;
	if (spec != NULL && strncmp(spec, "cnn:", 4) == 0) {
		/* The image stages go straight into the new model. */
		if ((m = calloc(1, sizeof(*m))) == NULL)
			goto nomem;
		fixed = -1;
		if ((rc = fl_cnn_parse(m, spec, d, hidden, &nhidden, norm,
		    sizeof(norm), err)) < 0)
			goto fail;
	} else if ((rc = parse_spec(spec, &fixed, hidden, &nhidden, norm,
	    sizeof(norm), err)) < 0)
		return rc;
	if (fl_task_parse(fl_task_name(task)) < 0) {
		rc = fl_err_set(err, FL_EUSAGE, "unknown task %d", (int)task);
		goto fail;
	}
	if (fixed >= 0 && (int)task != fixed)
		return fl_err_set(err, FL_EUSAGE,
		    "task '%s' conflicts with model '%s'", fl_task_name(task),
		    spec);
	if (task == FL_TASK_MULTICLASS &&
	    (nclasses < 2 || nclasses > FL_MAX_WIDTH)) {
		rc = fl_err_set(err, FL_EUSAGE, "multiclass needs 2 to %d "
		    "classes, not %zu", FL_MAX_WIDTH, nclasses);
		goto fail;
	}
	if (d == 0) {
		rc = fl_err_set(err, FL_EUSAGE, "a model needs at least "
		    "one feature");
		goto fail;
	}
	if ((m == NULL && (m = calloc(1, sizeof(*m))) == NULL) ||
	    (m->spec = strdup(norm)) == NULL)
		goto nomem;
	m->task = task;
	m->nclasses = task == FL_TASK_MULTICLASS ? nclasses : 0;
	m->nlayers = nhidden + 1;
	/* A CNN's dense stack reads its last stage's output, flattened. */
	m->widths[0] = m->nstages == 0 ? d :
	    m->stages[m->nstages - 1].oc * m->stages[m->nstages - 1].oh *
	    m->stages[m->nstages - 1].ow;
	for (l = 0; l < nhidden; l++)
		m->widths[l + 1] = hidden[l];
	m->widths[m->nlayers] = task == FL_TASK_MULTICLASS ? nclasses : 1;
	if ((rc = layout(m, err)) < 0)
		goto fail;
	if ((m->params = calloc(m->nparams, sizeof(float))) != NULL)
		fl_mem_huge(m->params, m->nparams * sizeof(float));
	if (m->params == NULL)
		goto nomem;
	if ((rc = prep_init(&m->prep, d, features, label, err)) < 0)
		goto fail;
	*mp = m;
	return 0;
nomem:
	rc = fl_err_set(err, FL_ENOMEM, "out of memory");
fail:
	fl_model_free(m);
	return rc;
}

/* A deep copy of m, or NULL when out of memory. */
struct fl_model *
fl_model_dup(const struct fl_model *m)
{
	struct fl_model *c;

	if ((c = calloc(1, sizeof(*c))) == NULL)
		return NULL;
	*c = *m;
	c->spec = NULL;
	c->params = NULL;
	memset(&c->prep, 0, sizeof(c->prep));
	if ((c->spec = strdup(m->spec)) == NULL ||
	    (c->params = malloc(m->nparams * sizeof(float))) == NULL ||
	    prep_copy(&c->prep, &m->prep) < 0) {
		fl_model_free(c);
		return NULL;
	}
	memcpy(c->params, m->params, m->nparams * sizeof(float));
	return c;
}

float *
fl_model_take_params(struct fl_model *m)
{
	float *p = m->params;

	m->params = NULL;
	return p;
}

void
fl_model_set_params(struct fl_model *m, float *params)
{
	free(m->params);
	m->params = params;
}

/* Free m and everything it owns; NULL is fine. */
void
fl_model_free(struct fl_model *m)
{
	if (m == NULL)
		return;
	prep_release(&m->prep);
	free(m->params);
	free(m->spec);
	free(m);
}

/*
 * Draw the weights uniformly in [-a, a]: a = sqrt(6 / fan_in) (He) for the
 * ReLU layers, a = sqrt(6 / (fan_in + fan_out)) (Xavier) for the output
 * layer; biases are zero.  Layers are drawn in order from stream "init".
 */
void
fl_model_init_params(struct fl_model *m, uint64_t seed)
{
	struct fl_rng r;
	size_t l, i, nw, in, out;
	double a;
	float *w;

	fl_rng_seed(&r, seed, "init");
	if (m->nstages > 0)
		fl_cnn_init_params(m, &r);
	for (l = 0; l < m->nlayers; l++) {
		in = m->widths[l];
		out = m->widths[l + 1];
		if (l + 1 < m->nlayers)
			a = sqrt(6.0 / (double)in);
		else
			a = sqrt(6.0 / (double)(in + out));
		w = m->params + m->woff[l];
		nw = in * out;
		for (i = 0; i < nw; i++)
			w[i] = (float)((2.0 * fl_rng_uniform(&r) - 1.0) * a);
		memset(m->params + m->boff[l], 0, out * sizeof(float));
	}
}

/* Accessors; see fl.h. */
const char *
fl_model_spec(const struct fl_model *m)
{
	return m->spec;
}

/* The model's task. */
enum fl_task
fl_model_task(const struct fl_model *m)
{
	return m->task;
}

/* The number of classes, 0 unless multiclass. */
size_t
fl_model_nclasses(const struct fl_model *m)
{
	return m->nclasses;
}

/* The output width: 1, or K for multiclass. */
size_t
fl_model_noutputs(const struct fl_model *m)
{
	return m->widths[m->nlayers];
}

/* The number of dense layers (hidden layers + 1). */
size_t
fl_model_nlayers(const struct fl_model *m)
{
	return m->nlayers;
}

/* Width of layer boundary l (0: input, nlayers: output); 0 out of range. */
size_t
fl_model_width(const struct fl_model *m, size_t l)
{
	return l <= m->nlayers ? m->widths[l] : 0;
}

/* Layer l of the layer table; see fl.h. */
const struct fl_layer *
fl_model_layer(const struct fl_model *m, size_t l)
{
	return l < m->nstages + m->nlayers ? &m->layers[l] : NULL;
}

/* The number of image stages; see fl.h. */
size_t
fl_model_nstages(const struct fl_model *m)
{
	return m->nstages;
}

/* Image stage i, or NULL. */
const struct fl_stage *
fl_model_stage(const struct fl_model *m, size_t i)
{
	return i < m->nstages ? &m->stages[i] : NULL;
}

/* The number of input features. */
size_t
fl_model_ninputs(const struct fl_model *m)
{
	return m->prep.d;
}

/* The input image's shape, when m is a CNN. */
int
fl_model_image(const struct fl_model *m, size_t *c, size_t *h, size_t *w)
{
	if (m->nstages == 0)
		return 0;
	*c = m->stages[0].c;
	*h = m->stages[0].h;
	*w = m->stages[0].w;
	return 1;
}

/* The number of parameter tensors; see fl.h. */
size_t
fl_model_ntensors(const struct fl_model *m)
{
	return m->ntensors;
}

/* Parameter tensor i, in layout order; see fl.h. */
const struct fl_param_tensor *
fl_model_tensor(const struct fl_model *m, size_t i)
{
	return i < m->ntensors ? &m->tensors[i] : NULL;
}

/* The length of the flat parameter vector. */
size_t
fl_model_nparams(const struct fl_model *m)
{
	return m->nparams;
}

/* The flat parameter vector, nparams floats, owned by m. */
float *
fl_model_params(struct fl_model *m)
{
	return m->params;
}

/* The same, read-only. */
const float *
fl_model_params_const(const struct fl_model *m)
{
	return m->params;
}

/* The preprocessing, owned by m. */
struct fl_prep *
fl_model_prep(struct fl_model *m)
{
	return &m->prep;
}

/* The same, read-only. */
const struct fl_prep *
fl_model_prep_const(const struct fl_model *m)
{
	return &m->prep;
}

/* 1 when a and b's parameter vectors line up and mean the same; see fl.h. */
int
fl_model_compatible(const struct fl_model *a, const struct fl_model *b)
{
	size_t j;

	if (strcmp(a->spec, b->spec) != 0 || a->task != b->task ||
	    a->nclasses != b->nclasses || a->prep.d != b->prep.d ||
	    a->nparams != b->nparams || strcmp(a->prep.label, b->prep.label) != 0)
		return 0;
	if ((a->prep.time == NULL) != (b->prep.time == NULL) ||
	    (a->prep.time != NULL && strcmp(a->prep.time, b->prep.time) != 0) ||
	    a->prep.ngrid != b->prep.ngrid || (a->prep.ngrid > 0 &&
	    memcmp(a->prep.grid, b->prep.grid, a->prep.ngrid *
	    sizeof(double)) != 0))
		return 0;
	for (j = 0; j < a->prep.d; j++)
		if (strcmp(a->prep.features[j], b->prep.features[j]) != 0)
			return 0;
	return 1;
}
