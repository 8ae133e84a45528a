/*
 * test_backend.c: every op of the CPU backend (lib/compute/blas.c) against the
 * reference backend (lib/compute/ref.c), the oracle, through the backend tables
 * (struct fl_backend): inputs are uploaded into buffers each backend
 * allocates, the op runs, the results are downloaded and compared as
 * |x - ref| <= atol + rtol |ref|, printing the first mismatches with their
 * indices.  Shapes: 1x1, 7x13 (odd) and 257x129 (large).  Also supports(),
 * fl_op_name() and alloc/upload/download round trips.
 *
 * Tolerances, per op (the CPU computes in float where the reference
 * forms sums and products in double):
 *   gemm            1e-4 + 1e-4 |ref|  (as test_gemm)
 *   bias_add        0 + 1.2e-7 |ref|   (one rounding of a float sum)
 *   relu, relu_backward   exact
 *   col_sums        1e-6 + 1e-6 |ref|  (both sum in double, in order)
 *   loss_* dZ       1e-7 + 1e-6 |ref|; loss 1e-9 + 1e-9 |ref|
 *   sgd (p, v)      1e-6 + 1e-5 |ref|  (after 3 steps)
 *   adam (p, m, v)  1e-6 + 1e-4 |ref|  (after 3 steps)
 *   dot             1e-9 + 1e-9 |ref|
 *   axpy            1e-7 + 1e-6 |ref|  (float saxpy against double)
 */
#include <stdlib.h>
#include <string.h>

#include "fl.h"
#include "unit.h"

static const size_t shapes[][2] = { { 1, 1 }, { 7, 13 }, { 257, 129 } };
#define NSHAPES (sizeof(shapes) / sizeof(shapes[0]))

static const struct fl_backend *cpu, *ref;
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

/*
 * Compare got against want (rows, cols); print the first few mismatches
 * as op shape [i,j]; return their count.
 */
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

static void
test_supports(void)
{
	unsigned op;

	for (op = 0; op < FL_OP_COUNT; op++) {
		CHECK(cpu->supports((enum fl_op)op) == 1);
		CHECK(ref->supports((enum fl_op)op) == 1);
		CHECK(strcmp(fl_op_name((enum fl_op)op), "?") != 0);
	}
	CHECK(cpu->supports(FL_OP_COUNT) == 0);
	CHECK(ref->supports((enum fl_op)-1) == 0);
	CHECK(strcmp(fl_op_name(FL_OP_GEMM), "gemm") == 0);
	CHECK(strcmp(fl_op_name(FL_OP_DOT), "dot") == 0);
	CHECK(strcmp(fl_op_name(FL_OP_COUNT), "?") == 0);
	CHECK(strcmp(cpu->name, "cpu") == 0 && cpu->host_memory == 1);
	CHECK(strcmp(ref->name, "ref") == 0 && ref->host_memory == 1);
}

static void
test_buffers(const struct fl_backend *be)
{
	size_t s, n;
	float *h, *b, *back;
	void *z;

	for (s = 0; s < NSHAPES; s++) {
		n = shapes[s][0] * shapes[s][1];
		h = malloc(n * sizeof(float));
		fill(h, n, -1.0, 1.0);
		b = put(be, h, n);
		CHECK(b != NULL);
		back = take(be, b, n);
		CHECK(back != NULL &&
		    memcmp(h, back, n * sizeof(float)) == 0);
		free(h);
		free(back);
	}
	z = be->alloc(0);
	be->free(z);
	be->free(NULL);
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
	const struct fl_backend *be[2] = { cpu, ref };
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
	const struct fl_backend *be[2] = { cpu, ref };
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

	/* relu_backward masks D by the ReLU's output, o[1]. */
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
}

/* One loss op on logits (rows, k) with labels y (rows). */
static void
one_loss(enum fl_op op, size_t rows, size_t k, const float *y)
{
	float *Z = malloc(rows * k * sizeof(float)), *o[2];
	const struct fl_backend *be[2] = { cpu, ref };
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
	/* Not a loss op: NaN from both. */
	CHECK(isnan(cpu->loss(FL_OP_GEMM, NULL, 0, 1, NULL, 1.0f, NULL)));
	CHECK(isnan(ref->loss(FL_OP_DOT, NULL, 0, 1, NULL, 1.0f, NULL)));
}

/* Three SGD steps and three Adam steps over n parameters; dot. */
static void
test_optim(size_t n)
{
	const struct fl_backend *be[2] = { cpu, ref };
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
	CHECK_NEAR(d[0], d[1], 1e-9, 1e-9);
	free(P);
	free(G);
	free(M);
	free(V);
}

int
main(void)
{
	struct fl_err err = FL_ERR_INIT;
	size_t s;

	CHECK_OK(fl_backend_get(&cpu, FL_DEVICE_CPU, &err), &err);
	CHECK_OK(fl_backend_get(&ref, FL_DEVICE_REF, &err), &err);
	if (cpu == NULL || ref == NULL)
		return unit_done("test_backend");
	fl_rng_seed(&rng, 1, "backend");
	unit_run("supports", test_supports);
	UNIT_CASE("buffers cpu", test_buffers(cpu));
	UNIT_CASE("buffers ref", test_buffers(ref));
	for (s = 0; s < NSHAPES; s++) {
		UNIT_CASE("gemm", test_gemm(shapes[s][0], shapes[s][1]));
		UNIT_CASE("elementwise", test_elementwise(shapes[s][0],
		    shapes[s][1]));
		UNIT_CASE("losses", test_losses(shapes[s][0], shapes[s][1]));
		UNIT_CASE("optim", test_optim(shapes[s][0] * shapes[s][1]));
	}
	return unit_done("test_backend");
}
