/*
 * test_noise.c: the privacy noise source (lib/privacy/noise.c): a seeded source
 * repeats and equals fl_rng_normal on its stream, streams and seeds are
 * distinct, unseeded sources differ, and the Gaussian and Laplace draws
 * have the right mean and variance.
 */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "fl.h"
#include "unit.h"

#define N	200000

/* Mean and variance of n draws from ns into *mean and *var; Laplace of
 * scale b when b > 0, else standard normal.  Returns 0 or the error. */
static int
moments(struct fl_noise *ns, double b, size_t n, double *mean, double *var,
    struct fl_err *err)
{
	double x, sum = 0, sumsq = 0;
	size_t i;
	int rc;

	for (i = 0; i < n; i++) {
		rc = b > 0 ? fl_noise_laplace(ns, b, &x, err) :
		    fl_noise_normal(ns, &x, err);
		if (rc < 0)
			return rc;
		sum += x;
		sumsq += x * x;
	}
	*mean = sum / (double)n;
	*var = sumsq / (double)n - *mean * *mean;
	return 0;
}

int
main(void)
{
	struct fl_err err = FL_ERR_INIT;
	struct fl_noise *a = NULL, *b = NULL;
	struct fl_rng r;
	double x, y, mean, var;
	size_t i;
	int same, differ;

	/* A seeded source repeats, and is fl_rng_normal on its stream: the
	 * numbers central DP drew before lib/privacy/noise.c existed. */
	CHECK_OK(fl_noise_new(&a, 1, 42, "dp-noise", &err), &err);
	CHECK_OK(fl_noise_new(&b, 1, 42, "dp-noise", &err), &err);
	fl_rng_seed(&r, 42, "dp-noise");
	same = 1;
	for (i = 0; a != NULL && b != NULL && i < 1001; i++) {
		if (fl_noise_normal(a, &x, &err) < 0 ||
		    fl_noise_normal(b, &y, &err) < 0)
			same = 0;
		same &= memcmp(&x, &y, sizeof(x)) == 0;
		y = fl_rng_normal(&r);
		same &= memcmp(&x, &y, sizeof(x)) == 0;
	}
	CHECK(same);
	fl_noise_free(a);
	fl_noise_free(b);

	/* Another stream or another seed gives other numbers. */
	CHECK_OK(fl_noise_new(&a, 1, 42, "dp-noise", &err), &err);
	CHECK_OK(fl_noise_new(&b, 1, 42, "other", &err), &err);
	differ = 0;
	for (i = 0; a != NULL && b != NULL && i < 16; i++)
		if (fl_noise_laplace(a, 1, &x, &err) == 0 &&
		    fl_noise_laplace(b, 1, &y, &err) == 0)
			differ += x != y;
	CHECK(differ == 16);
	fl_noise_free(b);
	CHECK_OK(fl_noise_new(&b, 1, 43, "dp-noise", &err), &err);
	differ = 0;
	for (i = 0; a != NULL && b != NULL && i < 16; i++)
		if (fl_noise_normal(a, &x, &err) == 0 &&
		    fl_noise_normal(b, &y, &err) == 0)
			differ += x != y;
	CHECK(differ == 16);
	fl_noise_free(a);
	fl_noise_free(b);

	/* Two unseeded sources differ, whatever seed they are given. */
	CHECK_OK(fl_noise_new(&a, 0, 42, "dp-noise", &err), &err);
	CHECK_OK(fl_noise_new(&b, 0, 42, "dp-noise", &err), &err);
	differ = 0;
	for (i = 0; a != NULL && b != NULL && i < 16; i++)
		if (fl_noise_normal(a, &x, &err) == 0 &&
		    fl_noise_normal(b, &y, &err) == 0)
			differ += x != y;
	CHECK(differ == 16);
	fl_noise_free(b);

	/* Moments over N draws; the sd of the mean is sd / sqrt(N), about
	 * 0.0022 for N(0, 1), and of the variance sd^2 sqrt(2 / N) (normal)
	 * or sqrt(5 / N) * 2 b^2 (Laplace: kurtosis 6), under 1%. */
	CHECK_OK(moments(a, 0, N, &mean, &var, &err), &err);
	CHECK_NEAR(mean, 0, 0.012, 0);
	CHECK_NEAR(var, 1, 0.02, 0);
	CHECK_OK(moments(a, 3, N, &mean, &var, &err), &err);
	CHECK_NEAR(mean, 0, 0.05, 0);
	CHECK_NEAR(var, 2 * 3 * 3, 0, 0.05);
	fl_noise_free(a);
	CHECK_OK(fl_noise_new(&a, 1, 7, "test", &err), &err);
	CHECK_OK(moments(a, 0, N, &mean, &var, &err), &err);
	CHECK_NEAR(mean, 0, 0.012, 0);
	CHECK_NEAR(var, 1, 0.02, 0);
	CHECK_OK(moments(a, 0.5, N, &mean, &var, &err), &err);
	CHECK_NEAR(mean, 0, 0.01, 0);
	CHECK_NEAR(var, 2 * 0.5 * 0.5, 0, 0.05);
	fl_noise_free(a);
	fl_noise_free(NULL);
	return unit_done("test_noise");
}
