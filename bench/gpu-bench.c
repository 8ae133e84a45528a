/*
 * gpu-bench.c: in-process GPU throughput for bench/gpu.sh, built against
 * the CUDA build's libfl (make cuda): cuBLAS SGEMM's GFLOP/s on n x n x n
 * products through the backend's gemm op (fl_cuda_gemm), and a
 * large-batch MLP's training GFLOP/s (fl_train on the "cuda" backend,
 * data resident in host memory, uploaded per batch as fl-train does),
 * counted as 6 x weights x rows x epochs (2 forward, 4 backward), with
 * the same run on the CPU backend beside it.  Prints one line per
 * measurement.  Never part of the tests.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "fl.h"

static double
now(void)
{
	struct timespec t;

	clock_gettime(CLOCK_MONOTONIC, &t);
	return (double)t.tv_sec + 1e-9 * (double)t.tv_nsec;
}

/* SGEMM n x n x n, reps times after one warm-up; GFLOP/s. */
static double
sgemm(const struct fl_backend *be, size_t n, int reps)
{
	struct fl_err err = FL_ERR_INIT;
	float *h = malloc(n * n * sizeof(float)), *A, *B, *C;
	double t0, t;
	size_t i;
	int r;

	for (i = 0; i < n * n; i++)
		h[i] = (float)((i * 2654435761u) % 1000) / 1000.0f - 0.5f;
	A = be->alloc(n * n * sizeof(float));
	B = be->alloc(n * n * sizeof(float));
	C = be->alloc(n * n * sizeof(float));
	be->upload(A, h, n * n * sizeof(float));
	be->upload(B, h, n * n * sizeof(float));
	be->gemm(0, 0, n, n, n, 1.0f, A, n, B, n, 0.0f, C, n);
	if (be->error != NULL && be->error(&err) < 0)
		fprintf(stderr, "gpu-bench: %s\n", err.msg);
	t0 = now();
	for (r = 0; r < reps; r++)
		be->gemm(0, 0, n, n, n, 1.0f, A, n, B, n, 0.0f, C, n);
	if (be->error != NULL && be->error(&err) < 0)
		fprintf(stderr, "gpu-bench: %s\n", err.msg);
	t = now() - t0;
	be->free(A);
	be->free(B);
	be->free(C);
	free(h);
	return 2.0 * (double)n * n * n * reps / t / 1e9;
}

/* Train spec on rows x d random rows, batch, epochs; seconds. */
static double
train(const struct fl_backend *be, const char *spec, size_t rows, size_t d,
    size_t batch, unsigned epochs, size_t *nweights)
{
	struct fl_err err = FL_ERR_INIT;
	struct fl_hparams hp = FL_HPARAMS_INIT;
	struct fl_train_result res;
	struct fl_dataset ds;
	struct fl_model *m;
	struct fl_rng r;
	double t0, t;
	size_t i;

	memset(&ds, 0, sizeof(ds));
	ds.n = rows;
	ds.d = d;
	ds.X = malloc(rows * d * sizeof(float));
	ds.y = malloc(rows * sizeof(float));
	fl_rng_seed(&r, 1, "bench");
	for (i = 0; i < rows * d; i++)
		ds.X[i] = (float)fl_rng_uniform(&r);
	for (i = 0; i < rows; i++)
		ds.y[i] = (float)(i % 10);
	if (fl_model_new(&m, spec, FL_TASK_MULTICLASS, 10, d, NULL, NULL,
	    &err) < 0) {
		fprintf(stderr, "gpu-bench: %s\n", err.msg);
		exit(1);
	}
	fl_model_init_params(m, 1);
	*nweights = fl_model_nparams(m);
	hp.epochs = epochs;
	hp.batch = batch;
	hp.optimizer = FL_OPT_ADAM;
	hp.lr = 1e-3;
	hp.backend = be;
	t0 = now();
	if (fl_train(m, &ds, &hp, &res, &err) < 0) {
		fprintf(stderr, "gpu-bench: %s: %s\n", be->name, err.msg);
		exit(1);
	}
	t = now() - t0;
	fl_model_free(m);
	free(ds.X);
	free(ds.y);
	return t;
}

int
main(void)
{
	struct fl_err err = FL_ERR_INIT;
	const struct fl_backend *gpu, *cpu;
	static const size_t sizes[] = { 1024, 4096, 8192 };
	size_t i, w, rows = 65536, d = 784;
	double tg, tc, flops;

	if (fl_backend_get(&gpu, FL_DEVICE_CUDA, &err) < 0) {
		fprintf(stderr, "gpu-bench: %s\n", err.msg);
		return 77;
	}
	fl_backend_get(&cpu, FL_DEVICE_CPU, &err);
	for (i = 0; i < sizeof(sizes) / sizeof(sizes[0]); i++)
		printf("sgemm %zu^3: %.0f GFLOP/s\n", sizes[i],
		    sgemm(gpu, sizes[i], 20));
	tg = train(gpu, "mlp:4096,4096", rows, d, 4096, 2, &w);
	flops = 6.0 * (double)w * (double)rows * 2.0;
	printf("mlp:4096,4096 on %zu x %zu, batch 4096, 2 epochs, adam: "
	    "gpu %.3f s, %.0f GFLOP/s\n", rows, d, tg, flops / tg / 1e9);
	tc = train(cpu, "mlp:4096,4096", 4096, d, 4096, 1, &w);
	printf("the same on the cpu (one epoch of 4096 rows): %.3f s, "
	    "%.1f GFLOP/s\n", tc, 6.0 * (double)w * 4096.0 / tc / 1e9);
	return 0;
}
