/*
 * conv.c: the fast CPU image ops.  The convolution is im2col (one
 * image's k x k patches as the columns of a (c k k, oh ow) matrix) and
 * OpenBLAS's sgemm; its backward is col2im of W^T dY for the data and dY
 * cols^T for the weights.  Pooling and dropout are float loops.  Each
 * function has the signature and layout of its reference in ref_conv.c
 * (see compute.h), which test/unit/compute/test_conv.c checks it against.
 */
#include <stdint.h>
#include <string.h>

#include <cblas.h>

#include "compute/compute.h"

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
				/* The x range whose column q lies inside. */
				x0 = 0;
				while ((size_t)x0 < s->ow && (long)(x0 *
				    s->stride + v) < (long)s->pad_w)
					x0++;
				x1 = (long)s->ow;
				while (x1 > x0 && (long)((x1 - 1) * s->stride +
				    v) - (long)s->pad_w >= (long)s->w)
					x1--;
				for (y = 0; y < s->oh; y++, dst += s->ow) {
					r = (long)(y * s->stride + u) -
					    (long)s->pad_h;
					if (r < 0 || r >= (long)s->h) {
						memset(dst, 0, s->ow *
						    sizeof(float));
						continue;
					}
					row = plane + (size_t)r * s->w;
					for (x = 0; x < (size_t)x0; x++)
						dst[x] = 0.0f;
					q = x0 * (long)s->stride + (long)v -
					    (long)s->pad_w;
					if (s->stride == 1)
						memcpy(dst + x0, row + q,
						    (size_t)(x1 - x0) *
						    sizeof(float));
					else
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

/* The adjoint of im2col: add every column entry back onto dX (c, h, w),
 * which the caller has zeroed. */
static void
col2im(const struct fl_conv *s, const float *cols, float *dX)
{
	size_t ch, u, v, y, x, ohw = s->oh * s->ow;
	long r, q;
	const float *src;
	float *plane, *row;

	for (ch = 0; ch < s->c; ch++) {
		plane = dX + ch * s->h * s->w;
		for (u = 0; u < s->k; u++)
			for (v = 0; v < s->k; v++) {
				src = cols + ((ch * s->k + u) * s->k + v) * ohw;
				for (y = 0; y < s->oh; y++, src += s->ow) {
					r = (long)(y * s->stride + u) -
					    (long)s->pad_h;
					if (r < 0 || r >= (long)s->h)
						continue;
					row = plane + (size_t)r * s->w;
					q = (long)v - (long)s->pad_w;
					for (x = 0; x < s->ow; x++,
					    q += (long)s->stride)
						if (q >= 0 && q < (long)s->w)
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
	float *y;

	for (i = 0; i < s->n; i++) {
		im2col(s, X + i * s->c * s->h * s->w, work);
		y = Y + i * s->f * ohw;
		for (o = 0; o < s->f; o++)
			for (j = 0; j < ohw; j++)
				y[o * ohw + j] = b[o];
		cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasNoTrans,
		    (blasint)s->f, (blasint)ohw, (blasint)ckk, 1.0f, W,
		    (blasint)ckk, work, (blasint)ohw, 1.0f, y, (blasint)ohw);
	}
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
	const float *dy;
	double acc;

	for (i = 0; i < s->n; i++) {
		im2col(s, X + i * s->c * s->h * s->w, work);
		cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasTrans,
		    (blasint)s->f, (blasint)ckk, (blasint)ohw, 1.0f,
		    dY + i * s->f * ohw, (blasint)ohw, work, (blasint)ohw,
		    i == 0 ? 0.0f : 1.0f, dW, (blasint)ckk);
	}
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

/* Y = the largest X of each window. */
void
fl_blas_maxpool_forward(const struct fl_pool *p, const float *X, float *Y)
{
	size_t pl, y, x, u, v, hw = p->h * p->w;
	const float *win;
	float best;

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
