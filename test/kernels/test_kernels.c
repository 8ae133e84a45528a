/*
 * test_kernels.c: every kernel of the CUDA backend (kernels/, one .cu per op) against
 * the reference backend (lib/compute/ref.c), the oracle, through the
 * backend tables: inputs are uploaded into buffers each backend
 * allocates, the op runs, the results come back and are compared as
 * |x - ref| <= atol + rtol |ref|, printing the first mismatches with
 * their indices.  Shapes: 1x1, 7x13 and 33x1000 (not multiples of the
 * 256-thread block), and 257x1029 (large: several blocks, a grid
 * stride for dot).  Then whole trainings on the device against the CPU.
 * Built by `make cuda` (build/cuda/test/kernels/test_kernels), run by
 * test/run kernels; without a GPU it prints why and exits 77 (skipped).
 * An argument names another backend to check the same way (test_kernels
 * cpu: the checks themselves, on any machine).
 *
 * Tolerances, per op (the kernels compute in float or double as the
 * reference does, in another order or with the device's libm):
 *   gemm            1e-4 + 1e-4 |ref|  (cuBLAS FP32, no TF32)
 *   bias_add        0 + 1.2e-7 |ref|   (one rounding of a float sum)
 *   relu, relu_backward   exact
 *   col_sums        1e-6 + 1e-6 |ref|  (double sums, in order)
 *   loss_* dZ       1e-7 + 1e-6 |ref|; loss 1e-9 + 1e-9 |ref|
 *   sgd (p, v)      1e-6 + 1e-5 |ref|  (after 3 steps)
 *   adam (p, m, v)  1e-6 + 1e-4 |ref|  (after 3 steps)
 *   axpy            1e-7 + 1e-6 |ref|
 *   dot             1e-7 + 1e-9 |ref|  (block partial sums in double)
 *   conv_forward, conv_backward_data, conv_backward_weights
 *                   1e-4 + 1e-4 |ref|  (cuBLAS FP32 against double sums)
 *   maxpool (Y, dX), dropout (mask, Y, dX), gap_backward   exact
 *   avgpool (Y, dX), gap_forward       1e-6 + 1e-6 |ref|
 * Training: after 3 epochs of Adam (and of SGD with momentum, L2 and the
 * FedProx term) on 300 rows, and of a small CNN (conv, pooling,
 * dropout) on 120 images, every parameter of the device's model is
 * within 1e-3 + 1e-3 |cpu| of the CPU's, and the update (trained minus
 * initial parameters) within 1e-2 of the CPU's in relative L2 norm;
 * predictions within 1e-4 + 1e-4 |cpu|.
 */
#include <stdlib.h>
#include <string.h>

#include "fl.h"
#include "unit.h"

static const size_t shapes[][2] = { { 1, 1 }, { 7, 13 }, { 33, 1000 },
	{ 257, 1029 } };
#define NSHAPES (sizeof(shapes) / sizeof(shapes[0]))

static const struct fl_backend *dev, *ref, *cpu;
static struct fl_rng rng;

/* Fill v (n) with uniform values in [lo, hi); every seventh one is 0. */
static void
fill(float *v, size_t n, double lo, double hi)
{
	size_t i;

	for (i = 0; i < n; i++)
		v[i] = i % 7 == 3 ? 0.0f :
		    (float)(lo + (hi - lo) * fl_rng_uniform(&rng));
}

/* A buffer of be holding a copy of host (n floats). */
static float *
put(const struct fl_backend *be, const float *host, size_t n)
{
	float *b = be->alloc(n * sizeof(float));

	if (b != NULL)
		be->upload(b, host, n * sizeof(float));
	return b;
}

/* Download buffer b (n floats) of be into a new host array; free b. */
static float *
take(const struct fl_backend *be, float *b, size_t n)
{
	float *h = malloc((n > 0 ? n : 1) * sizeof(float));

	if (h != NULL && b != NULL)
		be->download(h, b, n * sizeof(float));
	be->free(b);
	return h;
}

/* Compare got against want (rows, cols); print the first few mismatches
 * as op shape [i,j]; return their count. */
static size_t
cmp(const char *op, const float *got, const float *want, size_t rows,
    size_t cols, double atol, double rtol)
{
	size_t i, bad = 0;
	double x, w;

	if (got == NULL || want == NULL) {
		fprintf(stderr, "%s %zux%zu: out of memory\n", op, rows, cols);
		return 1;
	}
	for (i = 0; i < rows * cols; i++) {
		x = got[i];
		w = want[i];
		if (fabs(x - w) <= atol + rtol * fabs(w))
			continue;
		if (bad++ < 5)
			fprintf(stderr, "%s %zux%zu: [%zu,%zu] = %.9g, ref "
			    "%.9g\n", op, rows, cols, i / cols, i % cols, x, w);
	}
	return bad;
}

/* The device's recorded failures: none. */
static void
check_no_error(void)
{
	struct fl_err err = FL_ERR_INIT;

	if (dev->error != NULL)
		CHECK_OK(dev->error(&err), &err);
}

static void
test_buffers(void)
{
	size_t s, n;
	float *h, *b, *back;

	for (s = 0; s < NSHAPES; s++) {
		n = shapes[s][0] * shapes[s][1];
		h = malloc(n * sizeof(float));
		fill(h, n, -1.0, 1.0);
		b = put(dev, h, n);
		CHECK(b != NULL);
		back = take(dev, b, n);
		CHECK(back != NULL &&
		    memcmp(h, back, n * sizeof(float)) == 0);
		free(h);
		free(back);
	}
	dev->free(dev->alloc(0));
	dev->free(NULL);
	for (s = 0; s < FL_OP_COUNT; s++)
		CHECK(dev->supports((enum fl_op)s) == 1);
	check_no_error();
}

/* gemm, the three transposes that nn.c uses, k = cols / 2 + 1. */
static void
test_gemm(size_t m, size_t n)
{
	static const int tr[][2] = { { 0, 1 }, { 1, 0 }, { 0, 0 } };
	size_t k = n / 2 + 1, t, lda, ldb;
	float *A = malloc(m * k * sizeof(float));
	float *B = malloc(k * n * sizeof(float));
	float *C = malloc(m * n * sizeof(float));
	float *out[2];
	const struct fl_backend *be[2] = { dev, ref };
	int i;

	fill(A, m * k, -1.0, 1.0);
	fill(B, k * n, -1.0, 1.0);
	fill(C, m * n, -1.0, 1.0);
	for (t = 0; t < 3; t++) {
		lda = tr[t][0] ? m : k;
		ldb = tr[t][1] ? k : n;
		for (i = 0; i < 2; i++) {
			float *a = put(be[i], A, m * k);
			float *b = put(be[i], B, k * n);
			float *c = put(be[i], C, m * n);

			be[i]->gemm(tr[t][0], tr[t][1], m, n, k, 0.5f, a,
			    lda, b, ldb, 0.25f, c, n);
			be[i]->free(a);
			be[i]->free(b);
			out[i] = take(be[i], c, m * n);
		}
		CHECK(cmp("gemm", out[0], out[1], m, n, 1e-4, 1e-4) == 0);
		free(out[0]);
		free(out[1]);
	}
	free(A);
	free(B);
	free(C);
	check_no_error();
}

/* bias_add, relu, relu_backward, col_sums, axpy on (rows, cols). */
static void
test_elementwise(size_t rows, size_t cols)
{
	size_t n = rows * cols;
	float *Z = malloc(n * sizeof(float));
	float *D = malloc(n * sizeof(float));
	float *bias = malloc(cols * sizeof(float));
	float *o[2], *o2[2];
	const struct fl_backend *be[2] = { dev, ref };
	int i;

	fill(Z, n, -2.0, 2.0);
	fill(D, n, -1.0, 1.0);
	fill(bias, cols, -1.0, 1.0);
	Z[0] = -0.0f;

	for (i = 0; i < 2; i++) {
		float *z = put(be[i], Z, n), *b = put(be[i], bias, cols);

		be[i]->bias_add(z, rows, cols, b);
		be[i]->free(b);
		o[i] = take(be[i], z, n);
	}
	CHECK(cmp("bias_add", o[0], o[1], rows, cols, 0.0, 1.2e-7) == 0);
	free(o[0]);
	free(o[1]);

	for (i = 0; i < 2; i++) {
		float *z = put(be[i], Z, n);

		be[i]->relu(z, n);
		o[i] = take(be[i], z, n);
	}
	CHECK(cmp("relu", o[0], o[1], rows, cols, 0.0, 0.0) == 0);

	for (i = 0; i < 2; i++) {
		float *a = put(be[i], o[1], n), *d = put(be[i], D, n);

		be[i]->relu_backward(a, d, n);
		be[i]->free(a);
		o2[i] = take(be[i], d, n);
	}
	CHECK(cmp("relu_backward", o2[0], o2[1], rows, cols, 0.0, 0.0) == 0);
	free(o[0]);
	free(o[1]);
	free(o2[0]);
	free(o2[1]);

	for (i = 0; i < 2; i++) {
		float *d = put(be[i], D, n), *b = put(be[i], bias, cols);

		be[i]->col_sums(d, rows, cols, b);
		be[i]->free(d);
		o[i] = take(be[i], b, cols);
	}
	CHECK(cmp("col_sums", o[0], o[1], 1, cols, 1e-6, 1e-6) == 0);
	free(o[0]);
	free(o[1]);

	for (i = 0; i < 2; i++) {
		float *x = put(be[i], D, n), *y = put(be[i], Z, n);

		be[i]->axpy(n, -0.75f, x, y);
		be[i]->free(x);
		o[i] = take(be[i], y, n);
	}
	CHECK(cmp("axpy", o[0], o[1], rows, cols, 1e-7, 1e-6) == 0);
	free(o[0]);
	free(o[1]);
	free(Z);
	free(D);
	free(bias);
	check_no_error();
}

/* One loss op on logits (rows, k) with labels y (rows). */
static void
one_loss(enum fl_op op, size_t rows, size_t k, const float *y)
{
	float *Z = malloc(rows * k * sizeof(float)), *o[2];
	const struct fl_backend *be[2] = { dev, ref };
	double loss[2];
	int i;

	fill(Z, rows * k, -4.0, 4.0);
	for (i = 0; i < 2; i++) {
		float *z = put(be[i], Z, rows * k), *yy = put(be[i], y, rows);
		float *dz = be[i]->alloc(rows * k * sizeof(float));

		loss[i] = be[i]->loss(op, z, rows, k, yy, 0.5f, dz);
		be[i]->free(z);
		be[i]->free(yy);
		o[i] = take(be[i], dz, rows * k);
	}
	CHECK(cmp(fl_op_name(op), o[0], o[1], rows, k, 1e-7, 1e-6) == 0);
	CHECK_NEAR(loss[0], loss[1], 1e-9, 1e-9);
	CHECK(isfinite(loss[1]));
	free(o[0]);
	free(o[1]);
	free(Z);
	check_no_error();
}

static void
test_losses(size_t rows, size_t cols)
{
	float *y = malloc(rows * sizeof(float));
	size_t i;

	for (i = 0; i < rows; i++)
		y[i] = (float)(fl_rng_u64(&rng) % 2);
	one_loss(FL_OP_LOSS_BCE, rows, 1, y);
	for (i = 0; i < rows; i++)
		y[i] = (float)(fl_rng_u64(&rng) % cols);
	one_loss(FL_OP_LOSS_CE, rows, cols, y);
	fill(y, rows, -3.0, 3.0);
	one_loss(FL_OP_LOSS_MSE, rows, 1, y);
	free(y);
}

/* Three SGD steps and three Adam steps over n parameters; dot. */
static void
test_optim(size_t n)
{
	const struct fl_backend *be[2] = { dev, ref };
	float *P = malloc(n * sizeof(float)), *G = malloc(n * sizeof(float));
	float *M = calloc(n, sizeof(float)), *V = calloc(n, sizeof(float));
	float *o[2][3];
	double b1 = 0.9, b2 = 0.999, d[2];
	int i, t;

	fill(P, n, -1.0, 1.0);
	fill(G, n, -0.5, 0.5);
	fill(M, n, -0.1, 0.1);
	for (i = 0; i < 2; i++) {
		float *p = put(be[i], P, n), *v = put(be[i], M, n);
		float *g = put(be[i], G, n);

		for (t = 0; t < 3; t++)
			be[i]->sgd(n, 0.1f, 0.9f, p, v, g);
		be[i]->free(g);
		o[i][0] = take(be[i], p, n);
		o[i][1] = take(be[i], v, n);
	}
	CHECK(cmp("sgd p", o[0][0], o[1][0], 1, n, 1e-6, 1e-5) == 0);
	CHECK(cmp("sgd v", o[0][1], o[1][1], 1, n, 1e-6, 1e-5) == 0);
	for (i = 0; i < 2; i++) {
		free(o[i][0]);
		free(o[i][1]);
	}

	memset(M, 0, n * sizeof(float));
	for (i = 0; i < 2; i++) {
		float *p = put(be[i], P, n), *m = put(be[i], M, n);
		float *v = put(be[i], V, n), *g = put(be[i], G, n);

		for (t = 1; t <= 3; t++)
			be[i]->adam(n, 0.01f, (float)b1, (float)b2, 1e-8f,
			    (float)(1.0 / (1.0 - pow(b1, t))),
			    (float)(1.0 / (1.0 - pow(b2, t))), p, m, v, g);
		be[i]->free(g);
		o[i][0] = take(be[i], p, n);
		o[i][1] = take(be[i], m, n);
		o[i][2] = take(be[i], v, n);
	}
	CHECK(cmp("adam p", o[0][0], o[1][0], 1, n, 1e-6, 1e-4) == 0);
	CHECK(cmp("adam m", o[0][1], o[1][1], 1, n, 1e-6, 1e-4) == 0);
	CHECK(cmp("adam v", o[0][2], o[1][2], 1, n, 1e-6, 1e-4) == 0);
	for (i = 0; i < 2; i++)
		for (t = 0; t < 3; t++)
			free(o[i][t]);

	for (i = 0; i < 2; i++) {
		float *p = put(be[i], P, n), *g = put(be[i], G, n);

		d[i] = be[i]->dot(n, p, g);
		be[i]->free(p);
		be[i]->free(g);
	}
	CHECK_NEAR(d[0], d[1], 1e-7, 1e-9);
	free(P);
	free(G);
	free(M);
	free(V);
	check_no_error();
}

/* Copy host v (n floats) to a buffer of each backend: b[0] dev, b[1]
 * ref. */
static void
put2(const float *v, size_t n, float *b[2])
{
	b[0] = put(dev, v, n);
	b[1] = put(ref, v, n);
}

/* Bring b[0] (dev) and b[1] (ref) back, compare them, free them. */
static void
take2(const char *what, float *b[2], size_t n, double atol, double rtol)
{
	float *d = take(dev, b[0], n), *r = take(ref, b[1], n);

	CHECK(cmp(what, d, r, 1, n, atol, rtol) == 0);
	free(d);
	free(r);
}

static void
free2(float *b[2])
{
	dev->free(b[0]);
	ref->free(b[1]);
}

/* Fresh random host values (n). */
static float *
rnd(size_t n)
{
	float *v = malloc((n > 0 ? n : 1) * sizeof(float));

	fill(v, n, -1.0, 1.0);
	return v;
}

/* One convolution: the three ops on the device against the reference. */
static void
conv_case(size_t n, size_t c, size_t h, size_t w, size_t f, size_t k,
    size_t stride, int same)
{
	struct fl_conv cs = { n, c, h, w, f, k, stride, 0, 0, 0, 0 };
	struct fl_err err = FL_ERR_INIT;
	size_t nx, ny, nw, nwork;
	float *hX, *hW, *hb, *hR, *hw;
	float *X[2], *W[2], *b[2], *R[2], *Y[2], *dX[2], *dW[2], *db[2];
	float *work[2];
	int i;

	CHECK_OK(fl_conv_shape(&cs, same, &err), &err);
	nx = n * c * h * w;
	ny = n * f * cs.oh * cs.ow;
	nw = f * c * k * k;
	nwork = fl_conv_work(&cs);
	hX = rnd(nx);
	hW = rnd(nw);
	hb = rnd(f);
	hR = rnd(ny);
	put2(hX, nx, X);
	put2(hW, nw, W);
	put2(hb, f, b);
	put2(hR, ny, R);
	put2(hR, ny, Y);
	put2(hX, nx, dX);
	put2(hW, nw, dW);
	put2(hb, f, db);
	hw = rnd(nwork);
	put2(hw, nwork, work);	/* garbage in the work area */
	free(hw);
	for (i = 0; i < 2; i++) {
		const struct fl_backend *be = i == 0 ? dev : ref;

		be->conv_forward(&cs, X[i], W[i], b[i], Y[i], work[i]);
		be->conv_backward_data(&cs, R[i], W[i], dX[i], work[i]);
		be->conv_backward_weights(&cs, X[i], R[i], dW[i], db[i],
		    work[i]);
	}
	take2("conv Y", Y, ny, 1e-4, 1e-4);
	take2("conv dX", dX, nx, 1e-4, 1e-4);
	take2("conv dW", dW, nw, 1e-4, 1e-4);
	take2("conv db", db, f, 1e-4, 1e-4);
	free2(X);
	free2(W);
	free2(b);
	free2(R);
	free2(work);
	free(hX);
	free(hW);
	free(hb);
	free(hR);
	check_no_error();
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
	conv_case(32, 8, 14, 14, 16, 5, 1, 1);	/* the MNIST conv2, batch 32 */
}

/* One pooling shape, max and average, forward and backward. */
static void
pool_case(size_t n, size_t c, size_t h, size_t w, size_t k, size_t stride)
{
	struct fl_pool p = { n, c, h, w, k, stride, (h - k) / stride + 1,
	    (w - k) / stride + 1 };
	size_t nx = n * c * h * w, ny = n * c * p.oh * p.ow;
	float *hX = rnd(nx), *hR = rnd(ny), *hY;
	float *X[2], *R[2], *Y[2], *dX[2];
	int i;

	/* Ties: every fifth value repeats its neighbour, so that a window's
	 * first maximum matters. */
	for (i = 1; (size_t)i < nx; i += 5)
		hX[i] = hX[i - 1];
	put2(hX, nx, X);
	put2(hR, ny, R);
	put2(hR, ny, Y);
	put2(hX, nx, dX);
	for (i = 0; i < 2; i++) {
		const struct fl_backend *be = i == 0 ? dev : ref;

		be->maxpool_forward(&p, X[i], Y[i]);
	}
	/* Compare Y, then run both backwards from the reference's Y. */
	hY = take(ref, Y[1], ny);
	{
		float *d = take(dev, Y[0], ny);

		CHECK(cmp("maxpool Y", d, hY, 1, ny, 0.0, 0.0) == 0);
		free(d);
	}
	put2(hY, ny, Y);
	for (i = 0; i < 2; i++) {
		const struct fl_backend *be = i == 0 ? dev : ref;

		be->maxpool_backward(&p, X[i], Y[i], R[i], dX[i]);
	}
	take2("maxpool dX", dX, nx, 0.0, 0.0);
	put2(hX, nx, dX);
	for (i = 0; i < 2; i++) {
		const struct fl_backend *be = i == 0 ? dev : ref;

		be->avgpool_forward(&p, X[i], Y[i]);
		be->avgpool_backward(&p, R[i], dX[i]);
	}
	take2("avgpool Y", Y, ny, 1e-6, 1e-6);
	take2("avgpool dX", dX, nx, 1e-6, 1e-6);
	free2(X);
	free2(R);
	free(hX);
	free(hR);
	free(hY);
	check_no_error();
}

static void
test_pool(void)
{
	pool_case(1, 1, 1, 1, 1, 1);
	pool_case(2, 3, 6, 6, 2, 2);
	pool_case(2, 2, 7, 5, 2, 2);	/* a remainder row and column */
	pool_case(1, 2, 7, 7, 3, 2);	/* overlapping windows */
	pool_case(32, 16, 28, 28, 2, 2);
}

/* Global average pooling and dropout. */
static void
test_gap_dropout(void)
{
	size_t n = 3, c = 5, hw = 300, nd = 100003;
	float *hX = rnd(n * c * hw), *hR = rnd(n * c), *hD = rnd(nd);
	float *X[2], *R[2], *Y[2], *dX[2], *D[2], *M[2], *O[2];
	int i;

	put2(hX, n * c * hw, X);
	put2(hR, n * c, R);
	put2(hR, n * c, Y);
	put2(hX, n * c * hw, dX);
	for (i = 0; i < 2; i++) {
		const struct fl_backend *be = i == 0 ? dev : ref;

		be->gap_forward(n, c, hw, X[i], Y[i]);
		be->gap_backward(n, c, hw, R[i], dX[i]);
	}
	take2("gap Y", Y, n * c, 1e-6, 1e-6);
	take2("gap dX", dX, n * c * hw, 0.0, 0.0);
	free2(X);
	free2(R);

	put2(hD, nd, D);
	put2(hD, nd, M);
	put2(hD, nd, O);
	for (i = 0; i < 2; i++) {
		const struct fl_backend *be = i == 0 ? dev : ref;

		be->dropout_forward(nd, 0.3f, 12345, D[i], O[i], M[i]);
		be->dropout_backward(nd, M[i], D[i]);	/* D *= mask */
	}
	take2("dropout Y", O, nd, 0.0, 0.0);
	take2("dropout mask", M, nd, 0.0, 0.0);
	take2("dropout dX", D, nd, 0.0, 0.0);
	free(hX);
	free(hR);
	free(hD);
	check_no_error();
}

/* n rows of d features in [-1, 1); y: three classes, or 0/1 by sign. */
static void
make_data(struct fl_dataset *ds, size_t n, size_t d, int classes)
{
	size_t i, j;
	float *x;

	memset(ds, 0, sizeof(*ds));
	ds->n = n;
	ds->d = d;
	ds->X = malloc(n * d * sizeof(float));
	ds->y = malloc(n * sizeof(float));
	for (i = 0; i < n; i++) {
		x = ds->X + i * d;
		for (j = 0; j < d; j++)
			x[j] = (float)(2.0 * fl_rng_uniform(&rng) - 1.0);
		if (classes)
			ds->y[i] = x[0] < -0.3f ? 0.0f : x[0] < 0.3f ? 1.0f :
			    2.0f;
		else
			ds->y[i] = x[0] + 0.5f * x[1] > 0.0f;
	}
}

/*
 * Train the same model from the same start on the CPU and on the device;
 * compare parameters, updates and predictions (tolerances above).
 */
static void
test_train(const char *spec, size_t n, size_t d, enum fl_task task,
    size_t k, struct fl_hparams hp)
{
	struct fl_err err = FL_ERR_INIT;
	struct fl_model *m[2] = { NULL, NULL };
	struct fl_train_result res[2];
	struct fl_dataset ds;
	const struct fl_backend *be[2] = { cpu, dev };
	float *init = NULL, *pred[2] = { NULL, NULL };
	double num = 0.0, den = 0.0, u0, u1;
	size_t i, np, nout;
	int b;

	make_data(&ds, n, d, task == FL_TASK_MULTICLASS);
	for (b = 0; b < 2; b++) {
		CHECK_OK(fl_model_new(&m[b], spec, task, k, ds.d, NULL,
		    NULL, &err), &err);
		if (m[b] == NULL)
			goto out;
		fl_model_init_params(m[b], 7);
		hp.backend = be[b];
		if (b == 0) {
			np = fl_model_nparams(m[0]);
			init = malloc(np * sizeof(*init));
			memcpy(init, fl_model_params(m[0]), np * sizeof(*init));
		}
		CHECK_OK(fl_train(m[b], &ds, &hp, &res[b], &err), &err);
	}
	np = fl_model_nparams(m[0]);
	CHECK(cmp("trained", fl_model_params(m[1]), fl_model_params(m[0]), 1,
	    np, 1e-3, 1e-3) == 0);
	for (i = 0; i < np; i++) {
		u0 = (double)fl_model_params(m[0])[i] - init[i];
		u1 = (double)fl_model_params(m[1])[i] - init[i];
		num += (u1 - u0) * (u1 - u0);
		den += u0 * u0;
	}
	CHECK(den > 0.0 && sqrt(num / den) <= 1e-2);
	CHECK_NEAR(res[1].loss, res[0].loss, 1e-4, 1e-4);
	CHECK(res[0].steps == res[1].steps);
	nout = task == FL_TASK_MULTICLASS ? k : 1;
	for (b = 0; b < 2; b++) {
		pred[b] = malloc(ds.n * nout * sizeof(float));
		CHECK_OK(fl_predict(m[0], &ds, be[b], pred[b], &err), &err);
	}
	CHECK(cmp("predict", pred[1], pred[0], ds.n, nout, 1e-4, 1e-4) == 0);
out:
	free(pred[0]);
	free(pred[1]);
	free(init);
	fl_model_free(m[0]);
	fl_model_free(m[1]);
	free(ds.X);
	free(ds.y);
	check_no_error();
}

static void
test_trainings(void)
{
	struct fl_hparams hp = FL_HPARAMS_INIT;

	hp.epochs = 3;
	hp.batch = 32;
	hp.optimizer = FL_OPT_ADAM;
	hp.lr = 0.01;
	UNIT_CASE("train multiclass adam", test_train("mlp:32,16", 300, 10,
	    FL_TASK_MULTICLASS, 3, hp));
	UNIT_CASE("train cnn adam", test_train("cnn:1x12x12:conv4k3,pool2,"
	    "conv8k3s2,drop0.25,dense16", 120, 144, FL_TASK_MULTICLASS, 3,
	    hp));
	hp.optimizer = FL_OPT_SGD;
	hp.lr = 0.1;
	hp.momentum = 0.9;
	hp.l2 = 1e-3;
	hp.prox_mu = 0.01;
	UNIT_CASE("train binary sgd l2 prox", test_train("mlp:32,16", 300,
	    10, FL_TASK_BINARY, 2, hp));
}

int
main(int argc, char **argv)
{
	struct fl_err err = FL_ERR_INIT;
	int d = fl_device_parse(argc > 1 ? argv[1] : "cuda");
	size_t s;

	if (d < 0 || d == FL_DEVICE_AUTO) {
		fprintf(stderr, "usage: test_kernels [cuda|cpu|ref]\n");
		return 2;
	}
	if (fl_backend_get(&dev, (enum fl_device)d, &err) < 0) {
		printf("# test_kernels: skipped: %s\n", err.msg);
		return 77;
	}
	CHECK_OK(fl_backend_get(&ref, FL_DEVICE_REF, &err), &err);
	CHECK_OK(fl_backend_get(&cpu, FL_DEVICE_CPU, &err), &err);
	printf("# test_kernels: the %s backend against the reference\n",
	    dev->name);
	fl_rng_seed(&rng, 1, "kernels");
	unit_run("buffers", test_buffers);
	for (s = 0; s < NSHAPES; s++) {
		UNIT_CASE("gemm", test_gemm(shapes[s][0], shapes[s][1]));
		UNIT_CASE("elementwise", test_elementwise(shapes[s][0],
		    shapes[s][1]));
		UNIT_CASE("losses", test_losses(shapes[s][0], shapes[s][1]));
		UNIT_CASE("optim", test_optim(shapes[s][0] * shapes[s][1]));
	}
	unit_run("conv", test_conv);
	unit_run("pool", test_pool);
	unit_run("gap, dropout", test_gap_dropout);
	test_trainings();
	return unit_done("test_kernels");
}
