/*
 * cnn.c: convolutional models.  The "cnn:CxHxW:STAGES,denseN,..." spec
 * (grammar in fl-init(1) and model.h), its image stages' shapes, their
 * place in the layer table and parameter vector (before the dense
 * layers, which model.c lays out), and their initialisation.  The math is
 * in lib/compute/nn.c (fast) and ref_conv.c (the reference ops).
 */
#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "model/model.h"
#include "model_int.h"

#define CNN_HINT "(convNkK[sS][v], poolK, avgpoolK, gap, dropP, denseN)"
#define MAX_KERNEL 64
#define MAX_STRIDE 16

/* An unsigned number in [lo, hi] at *p, advancing *p.  -1 when there is
 * none or it is out of range. */
static int
number(const char **p, unsigned long lo, unsigned long hi, size_t *v)
{
	unsigned long x;
	char *end;

	if (**p < '0' || **p > '9')
		return -1;
	errno = 0;
	x = strtoul(*p, &end, 10);
	if (errno != 0 || x < lo || x > hi)
		return -1;
	*p = end;
	*v = (size_t)x;
	return 0;
}

/* Whether the token at p (up to a comma or the end) starts with word;
 * if so, p moves past it. */
static int
word(const char **p, const char *w)
{
	size_t n = strlen(w);

	if (strncmp(*p, w, n) != 0)
		return 0;
	*p += n;
	return 1;
}

/* Set st's output from its input and kind.  Errors: FL_EUSAGE. */
static int
stage_shape(struct fl_stage *st, const char *spec, struct fl_err *err)
{
	size_t sz, tot;

	switch (st->type) {
	case FL_LAYER_CONV:
		/* struct fl_conv's arithmetic (compute.h, fl_conv_shape). */
		if (st->same) {
			st->oh = (st->h + st->stride - 1) / st->stride;
			st->ow = (st->w + st->stride - 1) / st->stride;
			tot = (st->oh - 1) * st->stride + st->k;
			st->pad_h = tot > st->h ? (tot - st->h) / 2 : 0;
			tot = (st->ow - 1) * st->stride + st->k;
			st->pad_w = tot > st->w ? (tot - st->w) / 2 : 0;
			break;
		}
		if (st->k > st->h || st->k > st->w)
			return fl_err_set(err, FL_EUSAGE, "model '%s': a %zux%zu"
			    " 'valid' convolution does not fit a %zux%zu input",
			    spec, st->k, st->k, st->h, st->w);
		st->oh = (st->h - st->k) / st->stride + 1;
		st->ow = (st->w - st->k) / st->stride + 1;
		break;
	case FL_LAYER_MAXPOOL:
	case FL_LAYER_AVGPOOL:
		if (st->k > st->h || st->k > st->w)
			return fl_err_set(err, FL_EUSAGE, "model '%s': a %zux%zu"
			    " pool does not fit a %zux%zu input", spec, st->k,
			    st->k, st->h, st->w);
		st->oc = st->c;
		st->oh = (st->h - st->k) / st->stride + 1;
		st->ow = (st->w - st->k) / st->stride + 1;
		break;
	case FL_LAYER_GAP:
		st->oc = st->c;
		st->oh = st->ow = 1;
		break;
	default:	/* dropout */
		st->oc = st->c;
		st->oh = st->h;
		st->ow = st->w;
		break;
	}
	if (fl_size_mul(st->oc, st->oh, &sz) < 0 ||
	    fl_size_mul(sz, st->ow, &sz) < 0 ||
	    sz > FL_MAX_DATA / sizeof(float))
		return fl_err_set(err, FL_EUSAGE, "model '%s' is too large",
		    spec);
	return 0;
}

/* The input shape "CxHxW:" at *p, for d features.  Errors: FL_EUSAGE. */
static int
input_shape(const char **p, const char *spec, size_t d, size_t *c,
    size_t *h, size_t *w, struct fl_err *err)
{
	size_t hw, chw;

	if (**p < '0' || **p > '9' || strchr(*p, ':') == NULL)
		return fl_err_set(err, FL_EUSAGE, "model '%s': no input shape "
		    "(give --input CxHxW)", spec);
	if (number(p, 1, FL_MAX_WIDTH, c) < 0 || *(*p)++ != 'x' ||
	    number(p, 1, FL_MAX_WIDTH, h) < 0 || *(*p)++ != 'x' ||
	    number(p, 1, FL_MAX_WIDTH, w) < 0 || *(*p)++ != ':')
		return fl_err_set(err, FL_EUSAGE, "model '%s': the input "
		    "shape is not CxHxW, each 1 to %d", spec, FL_MAX_WIDTH);
	if (fl_size_mul(*h, *w, &hw) < 0 || fl_size_mul(hw, *c, &chw) < 0 ||
	    chw != d)
		return fl_err_set(err, FL_EUSAGE, "input %zux%zux%zu has %zu "
		    "values, the model has %zu features", *c, *h, *w,
		    hw == 0 || chw / hw != *c ? (size_t)0 : chw, d);
	return 0;
}

/*
 * Parse "cnn:CxHxW:" and its tokens into m's stages and the hidden
 * widths; see model_int.h.  The normalised spec drops stride 1 ("s1").
 */
int
fl_cnn_parse(struct fl_model *m, const char *spec, size_t d, size_t *hidden,
    size_t *nhidden, char *norm, size_t normsz, struct fl_err *err)
{
	const char *p = spec + 4, *tok;
	struct fl_stage *st;
	size_t c, h, w, len, v;
	double rate;
	char *end;
	int rc;

	*nhidden = 0;
	m->nstages = 0;
	if ((rc = input_shape(&p, spec, d, &c, &h, &w, err)) < 0)
		return rc;
	len = (size_t)snprintf(norm, normsz, "cnn:%zux%zux%zu:", c, h, w);
	for (;;) {
		tok = p;
		if (word(&p, "dense")) {
			if (number(&p, 1, FL_MAX_WIDTH, &v) < 0)
				goto bad;
			if (*nhidden == FL_MAX_LAYERS - 1)
				return fl_err_set(err, FL_EUSAGE, "model '%s': "
				    "at most %d dense layers", spec,
				    FL_MAX_LAYERS - 1);
			hidden[(*nhidden)++] = v;
			len += (size_t)snprintf(norm + len, normsz - len,
			    "dense%zu", v);
		} else {
			if (*nhidden > 0)
				return fl_err_set(err, FL_EUSAGE, "model '%s': "
				    "'%.*s' after a dense layer", spec,
				    (int)strcspn(tok, ","), tok);
			if (m->nstages == FL_MAX_STAGES)
				return fl_err_set(err, FL_EUSAGE, "model '%s': "
				    "at most %d image stages", spec,
				    FL_MAX_STAGES);
			st = &m->stages[m->nstages];
			memset(st, 0, sizeof(*st));
			st->c = st->oc = c;
			st->h = h;
			st->w = w;
			st->stride = 1;
			if (word(&p, "conv")) {
				st->type = FL_LAYER_CONV;
				st->same = 1;
				if (number(&p, 1, FL_MAX_WIDTH, &st->oc) < 0 ||
				    *p++ != 'k' ||
				    number(&p, 1, MAX_KERNEL, &st->k) < 0)
					goto bad;
				if (*p == 's' && (p++, number(&p, 1,
				    MAX_STRIDE, &st->stride) < 0))
					goto bad;
				if (*p == 'v') {
					st->same = 0;
					p++;
				}
				len += (size_t)snprintf(norm + len, normsz -
				    len, "conv%zuk%zu", st->oc, st->k);
				if (st->stride > 1)
					len += (size_t)snprintf(norm + len,
					    normsz - len, "s%zu", st->stride);
				if (!st->same)
					len += (size_t)snprintf(norm + len,
					    normsz - len, "v");
			} else if (word(&p, "pool") || word(&p, "avgpool")) {
				st->type = tok[0] == 'p' ? FL_LAYER_MAXPOOL :
				    FL_LAYER_AVGPOOL;
				if (number(&p, 1, MAX_KERNEL, &st->k) < 0)
					goto bad;
				st->stride = st->k;
				len += (size_t)snprintf(norm + len, normsz -
				    len, "%s%zu", tok[0] == 'p' ? "pool" :
				    "avgpool", st->k);
			} else if (word(&p, "gap")) {
				st->type = FL_LAYER_GAP;
				len += (size_t)snprintf(norm + len, normsz -
				    len, "gap");
			} else if (word(&p, "drop")) {
				st->type = FL_LAYER_DROPOUT;
				if (*p < '0' || *p > '9')
					goto bad;
				errno = 0;
				rate = strtod(p, &end);
				if (errno != 0 || !(rate > 0.0 && rate < 1.0))
					return fl_err_set(err, FL_EUSAGE,
					    "model '%s': a dropout rate is "
					    "in (0, 1)", spec);
				p = end;
				st->p = (float)rate;
				len += (size_t)snprintf(norm + len, normsz -
				    len, "drop%g", (double)st->p);
			} else
				goto bad;
			if ((rc = stage_shape(st, spec, err)) < 0)
				return rc;
			c = st->oc;
			h = st->oh;
			w = st->ow;
			m->nstages++;
		}
		if (*p == '\0')
			break;
		if (*p != ',')
			goto bad;
		p++;
		len += (size_t)snprintf(norm + len, normsz - len, ",");
	}
	if (m->nstages == 0 || m->stages[0].type == FL_LAYER_DROPOUT)
		return fl_err_set(err, FL_EUSAGE, "model '%s': a cnn starts "
		    "with an image stage %s", spec, CNN_HINT);
	if (len >= normsz)
		return fl_err_set(err, FL_EUSAGE, "model '%s': spec too long",
		    spec);
	return 0;
bad:
	return fl_err_set(err, FL_EUSAGE, "model '%s': cannot read '%.*s' %s",
	    spec, (int)strcspn(tok, ","), tok, CNN_HINT);
}

/* Lay out the stages' layers and conv tensors from offset 0. */
int
fl_cnn_layout(struct fl_model *m, size_t *off, struct fl_err *err)
{
	struct fl_param_tensor *t;
	struct fl_layer *ly;
	struct fl_stage *st;
	size_t i, nconv = 0, w;

	*off = 0;
	for (i = 0; i < m->nstages; i++) {
		st = &m->stages[i];
		ly = &m->layers[i];
		ly->type = st->type;
		ly->in = st->c * st->h * st->w;
		ly->out = st->oc * st->oh * st->ow;
		ly->first = m->ntensors;
		ly->ntensors = 0;
		if (st->type != FL_LAYER_CONV)
			continue;
		if (fl_size_mul(st->oc, st->c * st->k * st->k, &w) < 0 ||
		    w > FL_MAX_DATA / sizeof(float) - *off - st->oc)
			return fl_err_set(err, FL_ENOMEM, "model '%s' is too "
			    "large", m->spec);
		ly->ntensors = 2;
		t = &m->tensors[m->ntensors++];
		snprintf(t->name, sizeof(t->name), "conv%zu.weight", nconv);
		t->ndim = 4;
		t->shape[0] = st->oc;
		t->shape[1] = st->c;
		t->shape[2] = st->k;
		t->shape[3] = st->k;
		t->off = st->woff = *off;
		t->size = w;
		*off += w;
		t = &m->tensors[m->ntensors++];
		snprintf(t->name, sizeof(t->name), "conv%zu.bias", nconv);
		t->ndim = 1;
		t->shape[0] = st->oc;
		t->off = st->boff = *off;
		t->size = st->oc;
		*off += st->oc;
		nconv++;
	}
	return 0;
}

/* He-uniform conv weights, a = sqrt(6 / (c k k)), in stage order. */
void
fl_cnn_init_params(struct fl_model *m, struct fl_rng *r)
{
	const struct fl_stage *st;
	size_t i, j, nw;
	double a;

	for (i = 0; i < m->nstages; i++) {
		st = &m->stages[i];
		if (st->type != FL_LAYER_CONV)
			continue;
		nw = st->oc * st->c * st->k * st->k;
		a = sqrt(6.0 / (double)(st->c * st->k * st->k));
		for (j = 0; j < nw; j++)
			m->params[st->woff + j] = (float)((2.0 *
			    fl_rng_uniform(r) - 1.0) * a);
		memset(m->params + st->boff, 0, st->oc * sizeof(float));
	}
}
