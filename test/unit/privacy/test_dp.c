/*
 * test_dp.c: the RDP accountant (lib/privacy/dp.c) against published values.
 *
 * Sources:
 *  [DPA] google/differential-privacy, python/dp_accounting/dp_accounting/
 *        rdp/rdp_privacy_accountant_test.py (the successor of TensorFlow
 *        Privacy's rdp_accountant_test.py): test_compute_rdp_poisson_
 *        sampled_gaussian, test_compute_epsilon_delta_pure_dp,
 *        test_compute_epsilon_delta_gaussian.
 *  [TFP] tensorflow/privacy, tutorials/README.md, "Expected Output" and
 *        "Select Parameters": MNIST, N = 60000, batch 256, noise 1.12,
 *        delta 1e-5: epsilon 1.00 after 1 epoch, 1.04 after 2, 2.92 after
 *        60, with the orders 1.1, 1.2, ..., 10.9, 12, ..., 63 and the
 *        classic conversion rdp - log(delta) / (alpha - 1) of that era's
 *        get_privacy_spent (fl uses the tighter one of Balle et al. 2020,
 *        checked here to be no larger).
 *  [TFP-old] TensorFlow Privacy's rdp_accountant_test.py
 *        test_get_privacy_spent_check_target_delta: q 0.01, sigma 4,
 *        10000 steps, orders 2..32, delta 1e-5: epsilon 1.258575 at order
 *        20 (classic conversion), and its MNIST default of noise 1.1 for
 *        60 epochs, reported by compute_dp_sgd_privacy as epsilon 3.01.
 * Fractional orders: [DPA]'s current values at orders 1.5 and 2.5 take
 * |binomial coefficients| in the series, an upper bound 3% above the exact
 * value at 1.5; fl keeps their signs (Mironov et al. 2019, section 3.3)
 * and is checked against a direct quadrature of A_alpha instead.
 */
#include <math.h>
#include <stdio.h>
#include <string.h>

#include "fl.h"
#include "privacy/dp_int.h"
#include "unit.h"

/* The index of order a in fl_dp_orders(), or -1. */
static long
order_index(double a)
{
	const double *o;
	size_t n, k;

	o = fl_dp_orders(&n);
	for (k = 0; k < n; k++)
		if (o[k] == a)
			return (long)k;
	return -1;
}

/* A_alpha by the trapezoid rule over the definition. */
static double
rdp_quad(double q, double s, double a)
{
	double z, h = 1e-3, acc = 0, mu;

	for (z = -40 * s; z < 40 * s; z += h) {
		mu = exp(-z * z / (2 * s * s)) / (s * sqrt(2 * M_PI));
		acc += h * mu * pow((1 - q) + q * exp((2 * z - 1) /
		    (2 * s * s)), a);
	}
	return log(acc) / (a - 1);
}

/* The classic conversion, minimised over orders. */
static double
eps_classic(const double *ord, const double *rdp, size_t n, double delta,
    double *order)
{
	double best = INFINITY, e;
	size_t k;

	for (k = 0; k < n; k++) {
		e = rdp[k] - log(delta) / (ord[k] - 1);
		if (e < best) {
			best = e;
			*order = ord[k];
		}
	}
	return best;
}

static void
test_published_rdp(void)
{
	/* [DPA]: q 0.01, sigma 2.5, 50 steps, rtol 1e-4. */
	CHECK_NEAR(50 * fl_dp_rdp_one(0.01, 2.5, 5), 2.18075656e-03, 0, 1e-4);
	CHECK_NEAR(50 * fl_dp_rdp_one(0.01, 2.5, 50), 2.38460375e-02, 0,
	    1e-4);
	CHECK_NEAR(50 * fl_dp_rdp_one(0.01, 2.5, 100), 1.67416308e02, 0,
	    1e-4);
	CHECK_NEAR(50 * fl_dp_rdp_one(0.01, 2.5, 2.5), 1.08548710e-03, 0,
	    1e-4);
	/* Fractional orders: the exact integral. */
	CHECK_NEAR(fl_dp_rdp_one(0.01, 2.5, 1.5), rdp_quad(0.01, 2.5, 1.5), 0,
	    1e-5);
	CHECK_NEAR(fl_dp_rdp_one(0.01, 2.5, 1.25),
	    rdp_quad(0.01, 2.5, 1.25), 0, 1e-5);
	CHECK_NEAR(fl_dp_rdp_one(0.1, 1.1, 3.5), rdp_quad(0.1, 1.1, 3.5), 0,
	    1e-5);
	CHECK_NEAR(fl_dp_rdp_one(0.01, 2.5, 7), rdp_quad(0.01, 2.5, 7), 0,
	    1e-5);
	/* q = 1: the Gaussian mechanism, alpha / (2 sigma^2). */
	CHECK_NEAR(fl_dp_rdp_one(1, 10, 20), 0.1, 0, 1e-12);
	CHECK(fl_dp_rdp_one(0, 10, 20) == 0);
}

static void
test_published_epsilon(void)
{
	double ord[200], rdp[200], o, e, e2, steps, q = 256 / 60000.0;
	const double want[3] = { 1.00, 1.04, 2.92 };
	const int epochs[3] = { 1, 2, 60 };
	size_t n = 0, k;
	int x, i;

	/* [TFP-old]: 1.258575 at order 20. */
	for (x = 2; x <= 32; x++) {
		ord[n] = x;
		rdp[n++] = 10000 * fl_dp_rdp_one(0.01, 4, x);
	}
	e = eps_classic(ord, rdp, n, 1e-5, &o);
	CHECK_NEAR(e, 1.258575, 5e-7, 0);
	CHECK(o == 20);
	/* [DPA]: constant rdp 1.1 over orders 2..32 is pure DP. */
	for (k = 0; k < n; k++)
		rdp[k] = 1.1;
	CHECK_NEAR(fl_dp_epsilon_at(ord, rdp, n, 1e-5, &o), 1.32783806176,
	    5e-8, 0);
	CHECK(o == 32);
	/* [TFP]: the MNIST tutorial. */
	n = 0;
	for (x = 1; x < 100; x++)
		ord[n++] = 1 + x / 10.0;
	for (x = 12; x < 64; x++)
		ord[n++] = x;
	for (i = 0; i < 3; i++) {
		steps = epochs[i] * 60000 / 256;
		for (k = 0; k < n; k++)
			rdp[k] = steps * fl_dp_rdp_one(q, 1.12, ord[k]);
		e = eps_classic(ord, rdp, n, 1e-5, &o);
		CHECK_NEAR(e, want[i], 0.005, 0);
		e2 = fl_dp_epsilon_at(ord, rdp, n, 1e-5, &o);
		CHECK(e2 <= e);
	}
	/* [TFP-old]: noise 1.1, 60 epochs, ceil(60 N / 256) steps: 3.01. */
	for (k = 0; k < n; k++)
		rdp[k] = 14063 * fl_dp_rdp_one(q, 1.1, ord[k]);
	CHECK_NEAR(eps_classic(ord, rdp, n, 1e-5, &o), 3.01, 0.005, 0);
}

static void
test_gaussian_conversion(void)
{
	/* [DPA]: q 1, sigma 4.530877117 is (1, 1e-6)-DP over the orders
	 * 1.000, 1.001, ..., 99.999. */
	static double ord[99000], rdp[99000];
	size_t k;

	for (k = 0; k < 99000; k++) {
		ord[k] = 0.001 * (double)(k + 1000);
		rdp[k] = fl_dp_rdp_one(1, 4.530877117, ord[k]);
	}
	CHECK_NEAR(fl_dp_epsilon_at(ord, rdp, 99000, 1e-6, NULL), 1, 5e-7, 0);
}

static void
test_public_interface(void)
{
	double rdp[128], rdp2[128], e1, e2, e3, o;
	const double *ord;
	size_t n, k;

	ord = fl_dp_orders(&n);
	CHECK(n <= 128);
	CHECK(order_index(1.25) == 0 && order_index(512) == (long)n - 1);
	for (k = 1; k < n; k++)
		CHECK(ord[k] > ord[k - 1]);
	memset(rdp, 0, sizeof(rdp));
	memset(rdp2, 0, sizeof(rdp2));
	CHECK(fl_dp_rdp_add(rdp, 0, 1, 1) < 0);
	CHECK(fl_dp_rdp_add(rdp, 1.5, 1, 1) < 0);
	CHECK(fl_dp_rdp_add(rdp, 0.5, 0, 1) < 0);
	CHECK(fl_dp_rdp_add(rdp, 0.5, 1, -1) < 0);
	/* q 1: every order holds alpha / (2 sigma^2) per step. */
	CHECK(fl_dp_rdp_add(rdp, 1, 2, 3) == 0);
	for (k = 0; k < n; k++)
		CHECK_NEAR(rdp[k], 3 * ord[k] / 8, 0, 1e-12);
	/* Composition adds; epsilon grows with steps and falls with noise. */
	memset(rdp, 0, sizeof(rdp));
	fl_dp_rdp_add(rdp, 0.1, 1.0, 10);
	fl_dp_rdp_add(rdp2, 0.1, 1.0, 4);
	fl_dp_rdp_add(rdp2, 0.1, 1.0, 6);
	for (k = 0; k < n; k++)
		CHECK_NEAR(rdp2[k], rdp[k], 0, 1e-12);
	e1 = fl_dp_epsilon(rdp, 1e-5, &o);
	CHECK(o >= 1.25 && o <= 512);
	fl_dp_rdp_add(rdp, 0.1, 1.0, 10);
	e2 = fl_dp_epsilon(rdp, 1e-5, NULL);
	memset(rdp2, 0, sizeof(rdp2));
	fl_dp_rdp_add(rdp2, 0.1, 2.0, 10);
	e3 = fl_dp_epsilon(rdp2, 1e-5, NULL);
	CHECK(e1 > 0 && e2 > e1 && e3 < e1);
	/* The MNIST setting through the public orders: below the classic
	 * 2.92 (the tighter conversion), above 2.0. */
	memset(rdp, 0, sizeof(rdp));
	fl_dp_rdp_add(rdp, 256 / 60000.0, 1.12, 60 * 60000 / 256);
	e1 = fl_dp_epsilon(rdp, 1e-5, NULL);
	CHECK(e1 < 2.92 && e1 > 2.0);
	/* Nothing spent: epsilon 0. */
	memset(rdp, 0, sizeof(rdp));
	CHECK(fl_dp_epsilon(rdp, 1e-5, NULL) == 0);
}

int
main(void)
{
	unit_run("published_rdp", test_published_rdp);
	unit_run("published_epsilon", test_published_epsilon);
	unit_run("gaussian_conversion", test_gaussian_conversion);
	unit_run("public_interface", test_public_interface);
	return unit_done("test_dp");
}
