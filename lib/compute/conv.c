/*
 * conv.c: the fast CPU image ops.  The convolution is im2col (one
 * image's k x k patches as the columns of a (c k k, oh ow) matrix) and
 * OpenBLAS's sgemm; its backward is col2im of W^T dY for the data and dY
 * cols^T for the weights.  Pooling and dropout are float loops.  Each
 * function has the signature and layout of its reference in ref_conv.c
 * (see compute.h), which test/unit/compute/test_conv.c checks it against.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cblas.h>

#include "compute/compute.h"

/*
 * The elementwise loops here vectorise at -O3 without changing a bit of
 * their results (GCC reassociates no float sum without -ffast-math, and
 * ISO C mode contracts nothing into FMAs); GCC's -O2 leaves them scalar.
 */
#if defined(__GNUC__) && !defined(__clang__)
#pragma GCC optimize("O3")
#endif

/* The x range [*x0, *x1) of output columns whose input column x stride
 * + v - pad_w lies inside the image. */
static void
inside(const struct fl_conv *s, size_t v, long *x0, long *x1)
{
	*x0 = 0;
	while ((size_t)*x0 < s->ow && (long)(*x0 * (long)s->stride +
	    (long)v) < (long)s->pad_w)
		(*x0)++;
	*x1 = (long)s->ow;
	while (*x1 > *x0 && (long)((*x1 - 1) * (long)s->stride + (long)v) -
	    (long)s->pad_w >= (long)s->w)
		(*x1)--;
}

/*
 * One image's columns: cols (c k k, oh ow), row (ch, u, v) holding, for
 * every output position (y, x), X[ch][y stride + u - pad_h][x stride + v
 * - pad_w], 0 outside the image.  X is the image (c, h, w).
 */
static void
im2col(const struct fl_conv *s, const float *X, float *cols)
{
	size_t ch, u, v, y, x, ohw = s->oh * s->ow;
	long r, q, x0, x1;
	const float *plane, *row;
	float *dst;

	for (ch = 0; ch < s->c; ch++) {
		plane = X + ch * s->h * s->w;
		for (u = 0; u < s->k; u++)
			for (v = 0; v < s->k; v++) {
				dst = cols + ((ch * s->k + u) * s->k + v) * ohw;
				inside(s, v, &x0, &x1);
				for (y = 0; y < s->oh; y++, dst += s->ow) {
					r = (long)(y * s->stride + u) -
					    (long)s->pad_h;
					/* Short rows: plain loops, not memset
					 * and memcpy calls. */
					if (r < 0 || r >= (long)s->h) {
						for (x = 0; x < s->ow; x++)
							dst[x] = 0.0f;
						continue;
					}
					row = plane + (size_t)r * s->w;
					for (x = 0; x < (size_t)x0; x++)
						dst[x] = 0.0f;
					q = x0 * (long)s->stride + (long)v -
					    (long)s->pad_w;
					if (s->stride == 1) {
						const float *src = row + q - x0;

						for (x = (size_t)x0;
						    x < (size_t)x1; x++)
							dst[x] = src[x];
					} else
						for (x = (size_t)x0;
						    x < (size_t)x1; x++,
						    q += (long)s->stride)
							dst[x] = row[q];
					for (x = (size_t)x1; x < s->ow; x++)
						dst[x] = 0.0f;
				}
			}
	}
}

/*
 * im2col for stride 1 through a zero-padded copy of the image, pad (c, h
 * + k - 1, w + k - 1): every column row is then a run of ow contiguous
 * floats per output row, with no bounds to test.  The same columns as
 * im2col.
 */
static void
im2col_padded(const struct fl_conv *s, const float *X, float *pad,
    float *cols)
{
	size_t ph = s->h + s->k - 1, pw = s->w + s->k - 1, ch, u, v, y, x;
	const float *src;
	float *dst, *prow;

	for (x = 0; x < s->c * ph * pw; x++)
		pad[x] = 0.0f;
	for (ch = 0; ch < s->c; ch++)
		for (y = 0; y < s->h; y++) {
			prow = pad + (ch * ph + y + s->pad_h) * pw + s->pad_w;
			src = X + (ch * s->h + y) * s->w;
			for (x = 0; x < s->w; x++)
				prow[x] = src[x];
		}
	dst = cols;
	for (ch = 0; ch < s->c; ch++)
		for (u = 0; u < s->k; u++)
			for (v = 0; v < s->k; v++)
				for (y = 0; y < s->oh; y++, dst += s->ow) {
					src = pad + (ch * ph + y + u) * pw + v;
					for (x = 0; x < s->ow; x++)
						dst[x] = src[x];
				}
}

/* The padded copy's floats for s when im2col_padded applies (stride 1:
 * oh + k - 1 <= h + k - 1 rows are read, 'same' or 'valid'), else 0.  A
 * failed malloc of it falls back on im2col. */
static size_t
padded_size(const struct fl_conv *s)
{
	if (s->stride != 1)
		return 0;
	return s->c * (s->h + s->k - 1) * (s->w + s->k - 1);
}

/* The columns of image X into cols, through pad when it is not NULL. */
static void
columns(const struct fl_conv *s, const float *X, float *pad, float *cols)
{
	if (pad != NULL)
		im2col_padded(s, X, pad, cols);
	else
		im2col(s, X, cols);
}

/* The adjoint of im2col: add every column entry back onto dX (c, h, w),
 * which the caller has zeroed. */
static void
col2im(const struct fl_conv *s, const float *cols, float *dX)
{
	size_t ch, u, v, y, ohw = s->oh * s->ow;
	long r, q, x, x0, x1;
	const float *src;
	float *plane, *row;

	for (ch = 0; ch < s->c; ch++) {
		plane = dX + ch * s->h * s->w;
		for (u = 0; u < s->k; u++)
			for (v = 0; v < s->k; v++) {
				src = cols + ((ch * s->k + u) * s->k + v) * ohw;
				inside(s, v, &x0, &x1);
				for (y = 0; y < s->oh; y++, src += s->ow) {
					r = (long)(y * s->stride + u) -
					    (long)s->pad_h;
					if (r < 0 || r >= (long)s->h)
						continue;
					row = plane + (size_t)r * s->w;
					q = x0 * (long)s->stride + (long)v -
					    (long)s->pad_w;
					if (s->stride == 1) {
						float *dst = row + q - x0;

						for (x = x0; x < x1; x++)
							dst[x] += src[x];
					} else
						for (x = x0; x < x1; x++,
						    q += (long)s->stride)
							row[q] += src[x];
				}
			}
	}
}

/* Y (n, f, oh, ow) = W (f, c k k) cols + b, image by image. */
void
fl_blas_conv_forward(const struct fl_conv *s, const float *X, const float *W,
    const float *b, float *Y, float *work)
{
	size_t i, o, j, ohw = s->oh * s->ow, ckk = s->c * s->k * s->k;
	size_t np = padded_size(s);
	float *y, *pad = np > 0 ? malloc(np * sizeof(float)) : NULL;

	for (i = 0; i < s->n; i++) {
		columns(s, X + i * s->c * s->h * s->w, pad, work);
		y = Y + i * s->f * ohw;
		for (o = 0; o < s->f; o++)
			for (j = 0; j < ohw; j++)
				y[o * ohw + j] = b[o];
		cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasNoTrans,
		    (blasint)s->f, (blasint)ohw, (blasint)ckk, 1.0f, W,
		    (blasint)ckk, work, (blasint)ohw, 1.0f, y, (blasint)ohw);
	}
	free(pad);
}

/* dX = col2im(W^T dY), image by image. */
void
fl_blas_conv_backward_data(const struct fl_conv *s, const float *dY,
    const float *W, float *dX, float *work)
{
	size_t i, ohw = s->oh * s->ow, ckk = s->c * s->k * s->k;
	size_t chw = s->c * s->h * s->w;

	memset(dX, 0, s->n * chw * sizeof(float));
	for (i = 0; i < s->n; i++) {
		cblas_sgemm(CblasRowMajor, CblasTrans, CblasNoTrans,
		    (blasint)ckk, (blasint)ohw, (blasint)s->f, 1.0f, W,
		    (blasint)ckk, dY + i * s->f * ohw, (blasint)ohw, 0.0f,
		    work, (blasint)ohw);
		col2im(s, work, dX + i * chw);
	}
}

/* dW (f, c k k) = sum over images of dY_i cols_i^T; db = sums of dY. */
void
fl_blas_conv_backward_weights(const struct fl_conv *s, const float *X,
    const float *dY, float *dW, float *db, float *work)
{
	size_t i, o, j, ohw = s->oh * s->ow, ckk = s->c * s->k * s->k;
	size_t np = padded_size(s);
	float *pad = np > 0 ? malloc(np * sizeof(float)) : NULL;
	const float *dy;
	double acc;

	for (i = 0; i < s->n; i++) {
		columns(s, X + i * s->c * s->h * s->w, pad, work);
		cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasTrans,
		    (blasint)s->f, (blasint)ckk, (blasint)ohw, 1.0f,
		    dY + i * s->f * ohw, (blasint)ohw, work, (blasint)ohw,
		    i == 0 ? 0.0f : 1.0f, dW, (blasint)ckk);
	}
	free(pad);
	if (s->n == 0)
		memset(dW, 0, s->f * ckk * sizeof(float));
	for (o = 0; o < s->f; o++) {
		acc = 0.0;
		for (i = 0; i < s->n; i++) {
			dy = dY + (i * s->f + o) * ohw;
			for (j = 0; j < ohw; j++)
				acc += dy[j];
		}
		db[o] = (float)acc;
	}
}

/* The 2 x 2, stride 2 max pool, the common case, unrolled: the same
 * comparisons in the same order as the general loop. */
static void
pool2_forward(const struct fl_pool *p, const float *X, float *Y)
{
	size_t pl, y, x, hw = p->h * p->w;
	const float *r0, *r1;
	float b;

	for (pl = 0; pl < p->n * p->c; pl++, X += hw)
		for (y = 0; y < p->oh; y++) {
			r0 = X + 2 * y * p->w;
			r1 = r0 + p->w;
			for (x = 0; x < p->ow; x++, r0 += 2, r1 += 2) {
				b = r0[0];
				b = r0[1] > b ? r0[1] : b;
				b = r1[0] > b ? r1[0] : b;
				b = r1[1] > b ? r1[1] : b;
				*Y++ = b;
			}
		}
}

/* Its backward: each window's dY to its first position equal to the
 * maximum, 0 to the others; the caller zeroes the rest of dX. */
static void
pool2_backward(const struct fl_pool *p, const float *X, const float *Y,
    const float *dY, float *dX)
{
	static const unsigned char first[16] = {
		0, 0, 1, 0, 2, 0, 1, 0, 3, 0, 1, 0, 2, 0, 1, 0
	};
	size_t pl, y, x, hw = p->h * p->w, o, w = p->w, off[4];
	unsigned m;

	off[0] = 0;
	off[1] = 1;
	off[2] = w;
	off[3] = w + 1;
	for (pl = 0; pl < p->n * p->c; pl++, X += hw, dX += hw)
		for (y = 0; y < p->oh; y++)
			for (x = 0; x < p->ow; x++, Y++, dY++) {
				/* Without jumps: a mask of the positions
				 * equal to the maximum, and the first. */
				o = 2 * y * w + 2 * x;
				m = (unsigned)(X[o] == *Y) |
				    (unsigned)(X[o + 1] == *Y) << 1 |
				    (unsigned)(X[o + w] == *Y) << 2 |
				    (unsigned)(X[o + w + 1] == *Y) << 3;
				dX[o] = dX[o + 1] = dX[o + w] =
				    dX[o + w + 1] = 0.0f;
				if (m != 0)	/* else a NaN: no maximum */
					dX[o + off[first[m]]] = *dY;
			}
}

/* Y = the largest X of each window. */
void
fl_blas_maxpool_forward(const struct fl_pool *p, const float *X, float *Y)
{
	size_t pl, y, x, u, v, hw = p->h * p->w;
	const float *win;
	float best;

	if (p->k == 2 && p->stride == 2) {
		pool2_forward(p, X, Y);
		return;
	}
	for (pl = 0; pl < p->n * p->c; pl++, X += hw)
		for (y = 0; y < p->oh; y++)
			for (x = 0; x < p->ow; x++) {
				win = X + y * p->stride * p->w + x * p->stride;
				best = win[0];
				for (u = 0; u < p->k; u++, win += p->w)
					for (v = 0; v < p->k; v++)
						if (win[v] > best)
							best = win[v];
				*Y++ = best;
			}
}

/* dY to the first position of each window equal to its maximum. */
void
fl_blas_maxpool_backward(const struct fl_pool *p, const float *X,
    const float *Y, const float *dY, float *dX)
{
	size_t pl, y, x, u, v, hw = p->h * p->w, off;

	if (p->k == 2 && p->stride == 2) {
		/* The windows cover all but an odd last row or column. */
		if (p->h % 2 != 0 || p->w % 2 != 0)
			memset(dX, 0, p->n * p->c * hw * sizeof(float));
		pool2_backward(p, X, Y, dY, dX);
		return;
	}
	memset(dX, 0, p->n * p->c * hw * sizeof(float));
	for (pl = 0; pl < p->n * p->c; pl++, X += hw, dX += hw)
		for (y = 0; y < p->oh; y++)
			for (x = 0; x < p->ow; x++, Y++, dY++) {
				off = y * p->stride * p->w + x * p->stride;
				for (u = 0; u < p->k; u++)
					for (v = 0; v < p->k; v++)
						if (X[off + u * p->w + v] ==
						    *Y)
							goto found;
				continue;
found:
				dX[off + u * p->w + v] += *dY;
			}
}

/* Y = the mean of each window. */
void
fl_blas_avgpool_forward(const struct fl_pool *p, const float *X, float *Y)
{
	size_t pl, y, x, u, v, hw = p->h * p->w;
	float inv = 1.0f / (float)(p->k * p->k), acc;
	const float *win;

	for (pl = 0; pl < p->n * p->c; pl++, X += hw)
		for (y = 0; y < p->oh; y++)
			for (x = 0; x < p->ow; x++) {
				win = X + y * p->stride * p->w + x * p->stride;
				acc = 0.0f;
				for (u = 0; u < p->k; u++, win += p->w)
					for (v = 0; v < p->k; v++)
						acc += win[v];
				*Y++ = acc * inv;
			}
}

/* dX = dY / (k k) spread over each window. */
void
fl_blas_avgpool_backward(const struct fl_pool *p, const float *dY,
    float *dX)
{
	size_t pl, y, x, u, v, hw = p->h * p->w;
	float inv = 1.0f / (float)(p->k * p->k), g;
	float *win;

	memset(dX, 0, p->n * p->c * hw * sizeof(float));
	for (pl = 0; pl < p->n * p->c; pl++, dX += hw)
		for (y = 0; y < p->oh; y++)
			for (x = 0; x < p->ow; x++) {
				g = *dY++ * inv;
				win = dX + y * p->stride * p->w + x * p->stride;
				for (u = 0; u < p->k; u++, win += p->w)
					for (v = 0; v < p->k; v++)
						win[v] += g;
			}
}

/* Y (n, c) = the mean of X (n, c, hw) over hw. */
void
fl_blas_gap_forward(size_t n, size_t c, size_t hw, const float *X, float *Y)
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
fl_blas_gap_backward(size_t n, size_t c, size_t hw, const float *dY,
    float *dX)
{
	size_t pl, j;
	float g;

	for (pl = 0; pl < n * c; pl++) {
		g = (float)((double)dY[pl] / (double)hw);
		for (j = 0; j < hw; j++)
			dX[pl * hw + j] = g;
	}
}

/* The same mask as the reference (fl_dropout_uniform); Y = X * mask. */
void
fl_blas_dropout_forward(size_t n, float p, uint64_t seed, const float *X,
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
fl_blas_dropout_backward(size_t n, const float *mask, float *dX)
{
	size_t i;

	for (i = 0; i < n; i++)
		dX[i] *= mask[i];
}
