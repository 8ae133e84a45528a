/*
 * test_conv.c: the image ops.  The references (lib/compute/ref_conv.c)
 * are checked by central finite differences of L = sum(Y * R), R random,
 * whose gradient is each op's backward with dY = R; the CPU ops
 * (lib/compute/conv.c) are checked against the references through the
 * backend tables, as |x - ref| <= atol + rtol |ref|, printing the first
 * mismatches.  Shapes include 1x1, odd sizes, stride 1 and 2, 'same'
 * and 'valid', and one large case (the MNIST network's second layer).
 *
 * Tolerances: finite differences (step 1e-2 in float, sums in double)
 * 2e-3 + 2e-3 |g|; conv CPU vs reference 1e-4 + 1e-4 |ref| (float sgemm
 * against double sums); pooling and dropout exact but for the float
 * rounding of a mean (1e-6 + 1e-6 |ref|).
 */
#include <stdlib.h>
#include <string.h>

#include "fl.h"
#include "unit.h"

static const struct fl_backend *cpu, *ref;
static struct fl_rng rng;

/* v (n) uniform in [-1, 1). */
static float *
rnd(size_t n)
{
	float *v = malloc((n > 0 ? n : 1) * sizeof(float));
	size_t i;

	for (i = 0; v != NULL && i < n; i++)
		v[i] = (float)(2.0 * fl_rng_uniform(&rng) - 1.0);
	return v;
}

/* Compare got and want (n), printing the first three mismatches. */
static void
near(const char *what, const float *got, const float *want, size_t n,
    double atol, double rtol)
{
	size_t i, bad = 0;

	for (i = 0; i < n; i++)
		if (!(fabs((double)got[i] - want[i]) <= atol + rtol *
		    fabs((double)want[i]))) {
			if (bad++ < 3)
				fprintf(stderr, "%s: %s[%zu] = %.9g, want "
				    "%.9g\n", unit_case, what, i, got[i],
				    want[i]);
		}
	CHECK(bad == 0);
}

static double
dot(const float *a, const float *b, size_t n)
{
	double acc = 0.0;
	size_t i;

	for (i = 0; i < n; i++)
		acc += (double)a[i] * b[i];
	return acc;
}

/* sum(conv(X, W) + b) * R), by the reference. */
static double
conv_l(const struct fl_conv *s, const float *X, const float *W,
    const float *b, const float *R, float *Y)
{
	fl_ref_conv_forward(s, X, W, b, Y, NULL);
	return dot(Y, R, s->n * s->f * s->oh * s->ow);
}

/* Central differences of conv_l in every element of v (n) against g. */
static void
conv_fd(const char *what, const struct fl_conv *s, float *X, float *W,
    float *b, const float *R, float *Y, float *v, size_t n, const float *g)
{
	size_t i, bad = 0;
	float keep, h = 1e-2f;
	double lp, lm, fd;

	for (i = 0; i < n; i++) {
		keep = v[i];
		v[i] = keep + h;
		lp = conv_l(s, X, W, b, R, Y);
		v[i] = keep - h;
		lm = conv_l(s, X, W, b, R, Y);
		v[i] = keep;
		fd = (lp - lm) / (2.0 * h);
		if (!(fabs(fd - g[i]) <= 2e-3 + 2e-3 * fabs(fd)) &&
		    bad++ < 3)
			fprintf(stderr, "%s: d%s[%zu] = %.9g, differences "
			    "give %.9g\n", unit_case, what, i, g[i], fd);
	}
	CHECK(bad == 0);
}

/* One convolution shape: FD of the reference, CPU against reference. */
static void
conv_case(size_t n, size_t c, size_t h, size_t w, size_t f, size_t k,
    size_t stride, int same)
{
	struct fl_conv s = { n, c, h, w, f, k, stride, 0, 0, 0, 0 };
	struct fl_err err = FL_ERR_INIT;
	size_t nx, ny, nw, nwork;
	float *X, *W, *b, *R, *Y, *Y2, *dX, *dX2, *dW, *dW2, *db, *db2;
	float *work;

	CHECK_OK(fl_conv_shape(&s, same, &err), &err);
	nx = n * c * h * w;
	ny = n * f * s.oh * s.ow;
	nw = f * c * k * k;
	nwork = fl_conv_work(&s);
	X = rnd(nx);
	W = rnd(nw);
	b = rnd(f);
	R = rnd(ny);
	Y = rnd(ny);
	Y2 = rnd(ny);
	dX = rnd(nx);
	dX2 = rnd(nx);
	dW = rnd(nw);
	dW2 = rnd(nw);
	db = rnd(f);
	db2 = rnd(f);
	work = rnd(nwork);
	fl_ref_conv_backward_data(&s, R, W, dX, NULL);
	fl_ref_conv_backward_weights(&s, X, R, dW, db, NULL);
	if (nx <= 1000) {	/* the large case only against the reference */
		conv_fd("X", &s, X, W, b, R, Y, X, nx, dX);
		conv_fd("W", &s, X, W, b, R, Y, W, nw, dW);
		conv_fd("b", &s, X, W, b, R, Y, b, f, db);
	}

	ref->conv_forward(&s, X, W, b, Y, work);
	cpu->conv_forward(&s, X, W, b, Y2, work);
	near("Y", Y2, Y, ny, 1e-4, 1e-4);
	cpu->conv_backward_data(&s, R, W, dX2, work);
	near("dX", dX2, dX, nx, 1e-4, 1e-4);
	cpu->conv_backward_weights(&s, X, R, dW2, db2, work);
	near("dW", dW2, dW, nw, 1e-4, 1e-4);
	near("db", db2, db, f, 1e-4, 1e-4);
	free(X);
	free(W);
	free(b);
	free(R);
	free(Y);
	free(Y2);
	free(dX);
	free(dX2);
	free(dW);
	free(dW2);
	free(db);
	free(db2);
	free(work);
}

static void
test_conv(void)
{
	conv_case(1, 1, 1, 1, 1, 1, 1, 1);	/* 1x1 */
	conv_case(2, 3, 7, 6, 4, 3, 1, 1);	/* same, stride 1 */
	conv_case(2, 3, 7, 6, 4, 3, 2, 1);	/* same, stride 2, odd */
	conv_case(2, 2, 8, 8, 3, 4, 2, 1);	/* same, even k */
	conv_case(2, 3, 7, 6, 4, 3, 1, 0);	/* valid */
	conv_case(3, 2, 9, 7, 2, 2, 2, 0);	/* valid, stride 2 */
	conv_case(1, 2, 5, 5, 3, 5, 1, 1);	/* kernel as big as the image */
	conv_case(4, 8, 14, 14, 16, 5, 1, 1);	/* the MNIST conv2 */
}

/* Padding arithmetic and one value worked by hand. */
static void
test_conv_shape(void)
{
	struct fl_conv s = { 1, 1, 28, 28, 8, 5, 1, 0, 0, 0, 0 };
	struct fl_err err = FL_ERR_INIT;
	float X[9] = { 1, 2, 3, 4, 5, 6, 7, 8, 9 }, W[9], b[1] = { 0.5f };
	float Y[9];
	size_t i;

	CHECK_OK(fl_conv_shape(&s, 1, &err), &err);
	CHECK(s.oh == 28 && s.ow == 28 && s.pad_h == 2 && s.pad_w == 2);
	s.k = 3;
	s.stride = 2;
	CHECK_OK(fl_conv_shape(&s, 1, &err), &err);
	CHECK(s.oh == 14 && s.pad_h == 0);	/* 29 rows: one at the bottom */
	s.h = 7;
	CHECK_OK(fl_conv_shape(&s, 1, &err), &err);
	CHECK(s.oh == 4 && s.pad_h == 1 && s.ow == 14);
	CHECK_OK(fl_conv_shape(&s, 0, &err), &err);
	CHECK(s.oh == 3 && s.ow == 13 && s.pad_h == 0);
	s.k = 8;
	CHECK(fl_conv_shape(&s, 0, &err) == FL_EUSAGE);
	s.k = 0;
	CHECK(fl_conv_shape(&s, 1, &err) == FL_EUSAGE);

	/* A 3x3 kernel of ones, 'same': each output sums its neighbours. */
	s = (struct fl_conv){ 1, 1, 3, 3, 1, 3, 1, 0, 0, 0, 0 };
	CHECK_OK(fl_conv_shape(&s, 1, &err), &err);
	for (i = 0; i < 9; i++)
		W[i] = 1.0f;
	cpu->conv_forward(&s, X, W, b, Y, (float[81]){ 0 });
	CHECK(Y[4] == 45.5f && Y[0] == 12.5f && Y[8] == 28.5f);
	ref->conv_forward(&s, X, W, b, Y, NULL);
	CHECK(Y[4] == 45.5f && Y[0] == 12.5f && Y[8] == 28.5f);
}

/* One pooling shape: FD of the references, CPU against reference. */
static void
pool_case(size_t n, size_t c, size_t h, size_t w, size_t k, size_t stride)
{
	struct fl_pool p = { n, c, h, w, k, stride, (h - k) / stride + 1,
	    (w - k) / stride + 1 };
	size_t nx = n * c * h * w, ny = n * c * p.oh * p.ow, i, bad;
	float *X = rnd(nx), *R = rnd(ny), *Y = rnd(ny), *Y2 = rnd(ny);
	float *dX = rnd(nx), *dX2 = rnd(nx), keep, h_ = 1e-3f;
	double lp, lm, fd;
	int pass;

	for (pass = 0; pass < 2; pass++) {
		const char *what = pass == 0 ? "max" : "avg";

		if (pass == 0) {
			fl_ref_maxpool_forward(&p, X, Y);
			fl_ref_maxpool_backward(&p, X, Y, R, dX);
		} else
			fl_ref_avgpool_backward(&p, R, dX);
		/* Differences on the small cases only: in the large one
		 * two values of a window lie within the step. */
		for (i = bad = 0; nx <= 500 && i < nx; i++) {
			keep = X[i];
			X[i] = keep + h_;
			if (pass == 0)
				fl_ref_maxpool_forward(&p, X, Y);
			else
				fl_ref_avgpool_forward(&p, X, Y);
			lp = dot(Y, R, ny);
			X[i] = keep - h_;
			if (pass == 0)
				fl_ref_maxpool_forward(&p, X, Y);
			else
				fl_ref_avgpool_forward(&p, X, Y);
			lm = dot(Y, R, ny);
			X[i] = keep;
			fd = (lp - lm) / (2.0 * h_);
			if (!(fabs(fd - dX[i]) <= 2e-3 + 2e-3 * fabs(fd)) &&
			    bad++ < 3)
				fprintf(stderr, "%s: %spool dX[%zu] = %.9g, "
				    "differences give %.9g\n", unit_case, what,
				    i, dX[i], fd);
		}
		CHECK(bad == 0);
		if (pass == 0) {
			ref->maxpool_forward(&p, X, Y);
			cpu->maxpool_forward(&p, X, Y2);
			near("max Y", Y2, Y, ny, 0, 0);
			ref->maxpool_backward(&p, X, Y, R, dX);
			cpu->maxpool_backward(&p, X, Y, R, dX2);
			near("max dX", dX2, dX, nx, 0, 0);
		} else {
			ref->avgpool_forward(&p, X, Y);
			cpu->avgpool_forward(&p, X, Y2);
			near("avg Y", Y2, Y, ny, 1e-6, 1e-6);
			ref->avgpool_backward(&p, R, dX);
			cpu->avgpool_backward(&p, R, dX2);
			near("avg dX", dX2, dX, nx, 1e-6, 1e-6);
		}
	}
	free(X);
	free(R);
	free(Y);
	free(Y2);
	free(dX);
	free(dX2);
}

static void
test_pool(void)
{
	pool_case(1, 1, 1, 1, 1, 1);
	pool_case(2, 3, 6, 6, 2, 2);
	pool_case(2, 2, 7, 5, 2, 2);	/* a remainder row and column */
	pool_case(1, 2, 7, 7, 3, 2);	/* overlapping windows */
	pool_case(4, 16, 28, 28, 2, 2);
}

/* Global average pooling: FD, CPU against reference. */
static void
test_gap(void)
{
	size_t n = 3, c = 4, hw = 10, i;
	float *X = rnd(n * c * hw), *R = rnd(n * c), *Y = rnd(n * c);
	float *Y2 = rnd(n * c), *dX = rnd(n * c * hw), *dX2 = rnd(n * c * hw);
	float keep;
	double lp, lm;

	ref->gap_backward(n, c, hw, R, dX);
	for (i = 0; i < n * c * hw; i++) {
		keep = X[i];
		X[i] = keep + 1e-2f;
		ref->gap_forward(n, c, hw, X, Y);
		lp = dot(Y, R, n * c);
		X[i] = keep - 1e-2f;
		ref->gap_forward(n, c, hw, X, Y);
		lm = dot(Y, R, n * c);
		X[i] = keep;
		CHECK_NEAR(dX[i], (lp - lm) / 2e-2, 2e-3, 2e-3);
	}
	ref->gap_forward(n, c, hw, X, Y);
	cpu->gap_forward(n, c, hw, X, Y2);
	near("gap Y", Y2, Y, n * c, 1e-6, 1e-6);
	cpu->gap_backward(n, c, hw, R, dX2);
	near("gap dX", dX2, dX, n * c * hw, 1e-6, 1e-6);
	free(X);
	free(R);
	free(Y);
	free(Y2);
	free(dX);
	free(dX2);
}

/* Dropout: the documented draws, the rate, and the same mask everywhere. */
static void
test_dropout(void)
{
	size_t n = 10000, i, kept = 0;
	float *X = rnd(n), *X2 = malloc(n * sizeof(float)), *X0;
	float *m = malloc(n * sizeof(float)), *m2 = malloc(n * sizeof(float));

	/* Values of the formula in compute.h, computed in Python. */
	CHECK(fl_dropout_uniform(1, 0) == 0.5665615200996399);
	CHECK(fl_dropout_uniform(42, 7) == 0.8006318211555481);
	CHECK(fl_dropout_uniform(0, 1000) == 0.17569249868392944);
	X0 = malloc(n * sizeof(float));
	memcpy(X0, X, n * sizeof(float));
	memcpy(X2, X, n * sizeof(float));
	ref->dropout_forward(n, 0.25f, 99, X, X, m);	/* in place */
	cpu->dropout_forward(n, 0.25f, 99, X0, X2, m2);
	near("mask", m2, m, n, 0, 0);
	near("X", X2, X, n, 0, 0);
	for (i = 0; i < n; i++) {
		kept += m[i] != 0.0f;
		CHECK(m[i] == 0.0f || m[i] == (float)(1.0 / 0.75));
		CHECK(X[i] == X0[i] * m[i]);
	}
	CHECK(kept > 7300 && kept < 7700);
	memcpy(X2, X0, n * sizeof(float));
	ref->dropout_backward(n, m, X0);
	cpu->dropout_backward(n, m, X2);
	near("dX", X2, X0, n, 0, 0);
	cpu->dropout_forward(n, 0.25f, 100, X2, X2, m2);
	CHECK(memcmp(m, m2, n * sizeof(float)) != 0);
	/* Rate 0 is a copy. */
	cpu->dropout_forward(n, 0.0f, 100, X0, X2, m2);
	near("copy", X2, X0, n, 0, 0);
	free(X);
	free(X0);
	free(X2);
	free(m);
	free(m2);
}

int
main(void)
{
	struct fl_err err = FL_ERR_INIT;

	fl_rng_seed(&rng, 7, "test_conv");
	CHECK_OK(fl_backend_get(&cpu, FL_DEVICE_CPU, &err), &err);
	CHECK_OK(fl_backend_get(&ref, FL_DEVICE_REF, &err), &err);
	unit_run("conv shape", test_conv_shape);
	unit_run("conv", test_conv);
	unit_run("pool", test_pool);
	unit_run("gap", test_gap);
	unit_run("dropout", test_dropout);
	return unit_done("test_conv");
}
