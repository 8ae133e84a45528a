/*
 * nn_cnn.c: a CNN's image stages on the fast path: convolution + ReLU,
 * max and average pooling, global average pooling and dropout, run
 * forward and backward through the backend's image ops (compute.h) over
 * the workspace of struct fl_nn; nn.c runs the dense stack on top.  The
 * ops' references are in ref_conv.c; the whole pass is checked by finite
 * differences in test/unit/compute/test_cnn.c.
 */
#include <stdint.h>
#include <string.h>

#include "compute/compute.h"
#include "model/model_int.h"
#include "nn.h"

/* The images one conv op call gets: at most FL_NN_CHUNK. */
static size_t
chunk(size_t rows)
{
	return rows < FL_NN_CHUNK ? rows : FL_NN_CHUNK;
}

/* Stage st's convolution over n images. */
static void
conv_of(const struct fl_stage *st, size_t n, struct fl_conv *cs)
{
	cs->n = n;
	cs->c = st->c;
	cs->h = st->h;
	cs->w = st->w;
	cs->f = st->oc;
	cs->k = st->k;
	cs->stride = st->stride;
	cs->pad_h = st->pad_h;
	cs->pad_w = st->pad_w;
	cs->oh = st->oh;
	cs->ow = st->ow;
}

/* Stage st's pooling window over n images. */
static void
pool_of(const struct fl_stage *st, size_t n, struct fl_pool *p)
{
	p->n = n;
	p->c = st->c;
	p->h = st->h;
	p->w = st->w;
	p->k = st->k;
	p->stride = st->stride;
	p->oh = st->oh;
	p->ow = st->ow;
}

/* Allocate the stages' buffers in one backend buffer; see nn.h. */
int
fl_nn_cnn_init(struct fl_nn *nn, struct fl_err *err)
{
	const struct fl_model *m = nn->m;
	const struct fl_stage *st;
	struct fl_conv cs;
	size_t s, out, in, tot = 0, maxin = 0, work = 0, w, sz, np = 0;
	float one = 1.0f;

	for (s = 0; s < m->nstages; s++) {
		st = &m->stages[s];
		out = st->oc * st->oh * st->ow;
		in = st->c * st->h * st->w;
		if (in > maxin)
			maxin = in;
		/* Output, and a mask for dropout. */
		if (fl_size_mul(nn->cap, out, &w) < 0 ||
		    w > ((size_t)-1 - tot) / 2)
			goto nomem;
		tot += st->type == FL_LAYER_DROPOUT ? 2 * w : w;
		if (st->type == FL_LAYER_CONV) {
			conv_of(st, chunk(nn->cap), &cs);
			if ((w = fl_conv_work(&cs)) == (size_t)-1)
				goto nomem;
			if (w > work)
				work = w;
			if (st->oc * (st->c * st->k * st->k + 1) > np)
				np = st->oc * (st->c * st->k * st->k + 1);
		}
	}
	if (fl_size_mul(nn->cap, maxin, &w) < 0 ||
	    w > ((size_t)-1 - tot - work - np - 1) / 2)
		goto nomem;
	tot += work + 2 * w + np + 1;
	if (fl_size_mul(tot, sizeof(float), &sz) < 0 ||
	    (nn->sbuf = nn->be->alloc(sz)) == NULL)
		goto nomem;
	tot = 0;
	for (s = 0; s < m->nstages; s++) {
		st = &m->stages[s];
		out = nn->cap * st->oc * st->oh * st->ow;
		nn->sact[s] = nn->sbuf + tot;
		tot += out;
		if (st->type == FL_LAYER_DROPOUT) {
			nn->mask[s] = nn->sbuf + tot;
			tot += out;
		}
	}
	nn->work = nn->sbuf + tot;
	nn->e0 = nn->work + work;
	nn->e1 = nn->e0 + w;
	nn->gtmp = nn->e1 + w;
	nn->one = nn->gtmp + np;
	nn->be->upload(nn->one, &one, sizeof(one));
	return 0;
nomem:
	return fl_err_set(err, FL_ENOMEM, "out of memory for a batch of %zu "
	    "images", nn->cap);
}

/* A 64-bit seed for stage s at forward pass step (splitmix64). */
static uint64_t
stage_seed(uint64_t seed, uint64_t step, size_t s)
{
	uint64_t z = seed ^ (step * UINT64_C(0x9E3779B97F4A7C15)) ^
	    ((uint64_t)s << 56);

	z = (z ^ (z >> 30)) * UINT64_C(0xBF58476D1CE4E5B9);
	z = (z ^ (z >> 27)) * UINT64_C(0x94D049BB133111EB);
	return z ^ (z >> 31);
}

/* The stages forward from X (rows, c h w); see nn.h. */
void
fl_nn_cnn_forward(struct fl_nn *nn, const float *params, const float *X,
    size_t rows)
{
	const struct fl_model *m = nn->m;
	const struct fl_backend *be = nn->be;
	const struct fl_stage *st;
	const float *in = X;
	struct fl_conv cs;
	struct fl_pool p;
	size_t s, i, n, inw, outw;

	for (s = 0; s < m->nstages; s++) {
		st = &m->stages[s];
		inw = st->c * st->h * st->w;
		outw = st->oc * st->oh * st->ow;
		switch (st->type) {
		case FL_LAYER_CONV:
			for (i = 0; i < rows; i += n) {
				n = chunk(rows - i);
				conv_of(st, n, &cs);
				be->conv_forward(&cs, in + i * inw,
				    params + st->woff, params + st->boff,
				    nn->sact[s] + i * outw, nn->work);
			}
			be->relu(nn->sact[s], rows * outw);
			break;
		case FL_LAYER_MAXPOOL:
			pool_of(st, rows, &p);
			be->maxpool_forward(&p, in, nn->sact[s]);
			break;
		case FL_LAYER_AVGPOOL:
			pool_of(st, rows, &p);
			be->avgpool_forward(&p, in, nn->sact[s]);
			break;
		case FL_LAYER_GAP:
			be->gap_forward(rows, st->c, st->h * st->w, in,
			    nn->sact[s]);
			break;
		default:	/* dropout: a copy unless training */
			be->dropout_forward(rows * outw, nn->training ?
			    st->p : 0.0f, stage_seed(nn->seed, nn->steps, s),
			    in, nn->sact[s], nn->mask[s]);
			break;
		}
		in = nn->sact[s];
	}
	if (nn->training)
		nn->steps++;
}

/*
 * dW, db of a conv stage over rows images in chunks: the first chunk
 * writes grad, later ones write dtmp, then grad += dtmp by a gemm with
 * k = 1 (grad (1, nw) = one (1, 1) dtmp (1, nw) + grad), which any
 * backend can do on its own buffers.
 */
static void
conv_weights(struct fl_nn *nn, const struct fl_stage *st, const float *in,
    const float *dS, size_t rows, float *grad, float *dtmp)
{
	const struct fl_backend *be = nn->be;
	size_t i, n, inw = st->c * st->h * st->w, outw = st->oc * st->oh *
	    st->ow, nw = st->oc * st->c * st->k * st->k;
	struct fl_conv cs;

	for (i = 0; i < rows; i += n) {
		n = chunk(rows - i);
		conv_of(st, n, &cs);
		if (i == 0) {
			be->conv_backward_weights(&cs, in, dS, grad + st->woff,
			    grad + st->boff, nn->work);
			continue;
		}
		be->conv_backward_weights(&cs, in + i * inw, dS + i * outw,
		    dtmp, dtmp + nw, nn->work);
		be->gemm(0, 0, 1, nw, 1, 1.0f, nn->one, 1, dtmp, nw, 1.0f,
		    grad + st->woff, nw);
		be->gemm(0, 0, 1, st->oc, 1, 1.0f, nn->one, 1, dtmp + nw,
		    st->oc, 1.0f, grad + st->boff, st->oc);
	}
}

/* The stages backward from dS, the last stage's output delta; see nn.h. */
void
fl_nn_cnn_backward(struct fl_nn *nn, const float *params, const float *X,
    size_t rows, float *dS, float *grad)
{
	const struct fl_model *m = nn->m;
	const struct fl_backend *be = nn->be;
	const struct fl_stage *st;
	const float *in;
	struct fl_conv cs;
	struct fl_pool p;
	float *dI;
	size_t s, i, n, inw, outw;

	for (s = m->nstages; s-- > 0; ) {
		st = &m->stages[s];
		in = s == 0 ? X : nn->sact[s - 1];
		inw = st->c * st->h * st->w;
		outw = st->oc * st->oh * st->ow;
		/* dI, the delta of this stage's input, in whichever of e0
		 * and e1 dS is not. */
		dI = dS == nn->e0 ? nn->e1 : nn->e0;
		switch (st->type) {
		case FL_LAYER_CONV:
			be->relu_backward(nn->sact[s], dS, rows * outw);
			conv_weights(nn, st, in, dS, rows, grad, nn->gtmp);
			if (s == 0)
				break;
			for (i = 0; i < rows; i += n) {
				n = chunk(rows - i);
				conv_of(st, n, &cs);
				be->conv_backward_data(&cs, dS + i * outw,
				    params + st->woff, dI + i * inw, nn->work);
			}
			break;
		case FL_LAYER_MAXPOOL:
			pool_of(st, rows, &p);
			if (s > 0)
				be->maxpool_backward(&p, in, nn->sact[s], dS,
				    dI);
			break;
		case FL_LAYER_AVGPOOL:
			pool_of(st, rows, &p);
			if (s > 0)
				be->avgpool_backward(&p, dS, dI);
			break;
		case FL_LAYER_GAP:
			if (s > 0)
				be->gap_backward(rows, st->c, st->h * st->w,
				    dS, dI);
			break;
		default:	/* dropout, in place */
			be->dropout_backward(rows * outw, nn->mask[s], dS);
			dI = dS;
			break;
		}
		dS = dI;
	}
}
