/*
 * ref_conv.c: the reference image ops (convolution, pooling, global
 * average pooling, dropout), direct loops over the definitions in
 * compute.h with double accumulators, written to be read.  They are the
 * oracle for the fast CPU ops in conv.c and for kernels/, and are checked
 * by finite differences (test/unit/compute/test_conv.c).
 */
#include <stdint.h>
#include <string.h>

#include "compute/compute.h"

/* oh, ow and the padding of s for 'same' or 'valid'; see compute.h. */
int
fl_conv_shape(struct fl_conv *s, int same, struct fl_err *err)
{
	size_t tot;

	if (s->k == 0 || s->stride == 0)
		return fl_err_set(err, FL_EUSAGE, "a convolution needs a "
		    "kernel and a stride of at least 1");
	if (same) {
		s->oh = (s->h + s->stride - 1) / s->stride;
		s->ow = (s->w + s->stride - 1) / s->stride;
		tot = (s->oh - 1) * s->stride + s->k;
		s->pad_h = tot > s->h ? (tot - s->h) / 2 : 0;
		tot = (s->ow - 1) * s->stride + s->k;
		s->pad_w = tot > s->w ? (tot - s->w) / 2 : 0;
		return 0;
	}
	if (s->k > s->h || s->k > s->w)
		return fl_err_set(err, FL_EUSAGE, "a %zux%zu 'valid' "
		    "convolution does not fit a %zux%zu input", s->k, s->k,
		    s->h, s->w);
	s->oh = (s->h - s->k) / s->stride + 1;
	s->ow = (s->w - s->k) / s->stride + 1;
	s->pad_h = s->pad_w = 0;
	return 0;
}

/* n * c * k * k * oh * ow, or (size_t)-1 on overflow. */
size_t
fl_conv_work(const struct fl_conv *s)
{
	size_t v = 1, f[6], i;

	f[0] = s->n;
	f[1] = s->c;
	f[2] = s->k;
	f[3] = s->k;
	f[4] = s->oh;
	f[5] = s->ow;
	for (i = 0; i < 6; i++)
		if (fl_size_mul(v, f[i], &v) < 0)
			return (size_t)-1;
	return v;
}

/* splitmix64's finaliser over seed and i, as 24 bits in [0, 1). */
double
fl_dropout_uniform(uint64_t seed, uint64_t i)
{
	uint64_t z = seed + (i + 1) * UINT64_C(0x9E3779B97F4A7C15);

	z = (z ^ (z >> 30)) * UINT64_C(0xBF58476D1CE4E5B9);
	z = (z ^ (z >> 27)) * UINT64_C(0x94D049BB133111EB);
	z ^= z >> 31;
	return (double)(z >> 40) * (1.0 / 16777216.0);
}

/* X[i][ch][r][q], or 0 outside the image. */
static double
at(const struct fl_conv *s, const float *X, size_t i, size_t ch, long r,
    long q)
{
	if (r < 0 || q < 0 || r >= (long)s->h || q >= (long)s->w)
		return 0.0;
	return X[((i * s->c + ch) * s->h + (size_t)r) * s->w + (size_t)q];
}

/* The input row under output row y and kernel row u (may be outside). */
static long
in_pos(size_t y, size_t stride, size_t u, size_t pad)
{
	return (long)(y * stride + u) - (long)pad;
}

/* Y (n, f, oh, ow) = conv(X, W) + b, straight from the definition. */
void
fl_ref_conv_forward(const struct fl_conv *s, const float *X, const float *W,
    const float *b, float *Y, float *work)
{
	size_t i, o, y, x, ch, u, v;
	double acc;

	(void)work;
	for (i = 0; i < s->n; i++)
		for (o = 0; o < s->f; o++)
			for (y = 0; y < s->oh; y++)
				for (x = 0; x < s->ow; x++) {
					acc = b[o];
					for (ch = 0; ch < s->c; ch++)
						for (u = 0; u < s->k; u++)
							for (v = 0; v < s->k; v++)
								acc += (double)W[((o * s->c + ch) * s->k + u) * s->k + v] *
								    at(s, X, i, ch, in_pos(y, s->stride, u, s->pad_h),
								    in_pos(x, s->stride, v, s->pad_w));
					Y[((i * s->f + o) * s->oh + y) * s->ow + x] = (float)acc;
				}
}

/*
 * dX[i][ch][r][q] = sum over (o, u, v) and the output (y, x) that read
 * X[r][q] through W[o][ch][u][v] of dY[i][o][y][x] W[o][ch][u][v].  Each
 * input position gathers its own sum, so the loop is over inputs.
 */
void
fl_ref_conv_backward_data(const struct fl_conv *s, const float *dY,
    const float *W, float *dX, float *work)
{
	size_t i, ch, r, q, o, u, v, y, x;
	long ty, tx;
	double acc;

	(void)work;
	for (i = 0; i < s->n; i++)
		for (ch = 0; ch < s->c; ch++)
			for (r = 0; r < s->h; r++)
				for (q = 0; q < s->w; q++) {
					acc = 0.0;
					for (o = 0; o < s->f; o++)
						for (u = 0; u < s->k; u++)
							for (v = 0; v < s->k; v++) {
								/* y * stride + u - pad_h == r */
								ty = (long)(r + s->pad_h) - (long)u;
								tx = (long)(q + s->pad_w) - (long)v;
								if (ty < 0 || tx < 0 ||
								    ty % (long)s->stride != 0 ||
								    tx % (long)s->stride != 0)
									continue;
								y = (size_t)ty / s->stride;
								x = (size_t)tx / s->stride;
								if (y >= s->oh || x >= s->ow)
									continue;
								acc += (double)dY[((i * s->f + o) * s->oh + y) * s->ow + x] *
								    W[((o * s->c + ch) * s->k + u) * s->k + v];
							}
					dX[((i * s->c + ch) * s->h + r) * s->w + q] = (float)acc;
				}
}

/* dW[o][ch][u][v] = sum of dY[i][o][y][x] X[i][ch][..]; db[o] = sum dY. */
void
fl_ref_conv_backward_weights(const struct fl_conv *s, const float *X,
    const float *dY, float *dW, float *db, float *work)
{
	size_t i, o, ch, u, v, y, x;
	double acc;

	(void)work;
	for (o = 0; o < s->f; o++) {
		for (ch = 0; ch < s->c; ch++)
			for (u = 0; u < s->k; u++)
				for (v = 0; v < s->k; v++) {
					acc = 0.0;
					for (i = 0; i < s->n; i++)
						for (y = 0; y < s->oh; y++)
							for (x = 0; x < s->ow; x++)
								acc += (double)dY[((i * s->f + o) * s->oh + y) * s->ow + x] *
								    at(s, X, i, ch, in_pos(y, s->stride, u, s->pad_h),
								    in_pos(x, s->stride, v, s->pad_w));
					dW[((o * s->c + ch) * s->k + u) * s->k + v] = (float)acc;
				}
		acc = 0.0;
		for (i = 0; i < s->n; i++)
			for (y = 0; y < s->oh * s->ow; y++)
				acc += dY[(i * s->f + o) * s->oh * s->ow + y];
		db[o] = (float)acc;
	}
}

/* The window of output (y, x) of plane X (h, w): its first element. */
static const float *
window(const struct fl_pool *p, const float *plane, size_t y, size_t x)
{
	return plane + y * p->stride * p->w + x * p->stride;
}

/* Y = the largest X in each window. */
void
fl_ref_maxpool_forward(const struct fl_pool *p, const float *X, float *Y)
{
	size_t pl, y, x, u, v;
	const float *win;
	float best;

	for (pl = 0; pl < p->n * p->c; pl++)
		for (y = 0; y < p->oh; y++)
			for (x = 0; x < p->ow; x++) {
				win = window(p, X + pl * p->h * p->w, y, x);
				best = win[0];
				for (u = 0; u < p->k; u++)
					for (v = 0; v < p->k; v++)
						if (win[u * p->w + v] > best)
							best = win[u * p->w + v];
				Y[(pl * p->oh + y) * p->ow + x] = best;
			}
}

/* dY to the first position of each window that holds its maximum. */
void
fl_ref_maxpool_backward(const struct fl_pool *p, const float *X,
    const float *Y, const float *dY, float *dX)
{
	size_t pl, y, x, u, v, o;
	const float *win;
	int done;

	memset(dX, 0, p->n * p->c * p->h * p->w * sizeof(float));
	for (pl = 0; pl < p->n * p->c; pl++)
		for (y = 0; y < p->oh; y++)
			for (x = 0; x < p->ow; x++) {
				o = (pl * p->oh + y) * p->ow + x;
				win = window(p, X + pl * p->h * p->w, y, x);
				done = 0;
				for (u = 0; u < p->k && !done; u++)
					for (v = 0; v < p->k && !done; v++)
						if (win[u * p->w + v] == Y[o]) {
							dX[pl * p->h * p->w + (y * p->stride + u) * p->w +
							    x * p->stride + v] += dY[o];
							done = 1;
						}
			}
}

/* Y = the mean of X over each window. */
void
fl_ref_avgpool_forward(const struct fl_pool *p, const float *X, float *Y)
{
	size_t pl, y, x, u, v;
	const float *win;
	double acc;

	for (pl = 0; pl < p->n * p->c; pl++)
		for (y = 0; y < p->oh; y++)
			for (x = 0; x < p->ow; x++) {
				win = window(p, X + pl * p->h * p->w, y, x);
				acc = 0.0;
				for (u = 0; u < p->k; u++)
					for (v = 0; v < p->k; v++)
						acc += win[u * p->w + v];
				Y[(pl * p->oh + y) * p->ow + x] =
				    (float)(acc / (double)(p->k * p->k));
			}
}

/* dX = the sum of dY / (k k) over the windows holding each position. */
void
fl_ref_avgpool_backward(const struct fl_pool *p, const float *dY, float *dX)
{
	size_t pl, y, x, u, v;
	double g;

	memset(dX, 0, p->n * p->c * p->h * p->w * sizeof(float));
	for (pl = 0; pl < p->n * p->c; pl++)
		for (y = 0; y < p->oh; y++)
			for (x = 0; x < p->ow; x++) {
				g = dY[(pl * p->oh + y) * p->ow + x] /
				    (double)(p->k * p->k);
				for (u = 0; u < p->k; u++)
					for (v = 0; v < p->k; v++)
						dX[pl * p->h * p->w + (y * p->stride + u) * p->w +
						    x * p->stride + v] += (float)g;
			}
}

/* Y (n, c) = the mean of X (n, c, hw) over hw. */
void
fl_ref_gap_forward(size_t n, size_t c, size_t hw, const float *X, float *Y)
{
	size_t pl, j;
	double acc;

	for (pl = 0; pl < n * c; pl++) {
		acc = 0.0;
		for (j = 0; j < hw; j++)
			acc += X[pl * hw + j];
		Y[pl] = (float)(acc / (double)hw);
	}
}

/* dX (n, c, hw) = dY (n, c) / hw. */
void
fl_ref_gap_backward(size_t n, size_t c, size_t hw, const float *dY,
    float *dX)
{
	size_t pl, j;

	for (pl = 0; pl < n * c; pl++)
		for (j = 0; j < hw; j++)
			dX[pl * hw + j] = (float)((double)dY[pl] / (double)hw);
}

/* mask (n) from (seed, i) at rate p; Y (n) = X (n) * mask. */
void
fl_ref_dropout_forward(size_t n, float p, uint64_t seed, const float *X,
    float *Y, float *mask)
{
	size_t i;
	float keep = (float)(1.0 / (1.0 - (double)p));

	for (i = 0; i < n; i++) {
		mask[i] = fl_dropout_uniform(seed, i) >= (double)p ? keep :
		    0.0f;
		Y[i] = X[i] * mask[i];
	}
}

/* dX (n) *= mask (n). */
void
fl_ref_dropout_backward(size_t n, const float *mask, float *dX)
{
	size_t i;

	for (i = 0; i < n; i++)
		dX[i] *= mask[i];
}
