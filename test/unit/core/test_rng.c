/*
 * test_rng.c: the seeded generator (lib/core/rng.c): reproducible, streams
 * independent, ranges respected, shuffles are permutations.
 */
#include <stdlib.h>
#include <string.h>

#include "fl.h"
#include "unit.h"

int
main(void)
{
	struct fl_rng a, b;
	size_t i, v[100], seen[100], n = 100000;
	double u, sum = 0.0, sumsq = 0.0, x, umin = 1.0, umax = 0.0;
	int same = 1, differ = 0, inrange = 1, perm = 1;

	fl_rng_seed(&a, 42, "init");
	fl_rng_seed(&b, 42, "init");
	for (i = 0; i < 1000; i++)
		same &= fl_rng_u64(&a) == fl_rng_u64(&b);
	CHECK(same);

	fl_rng_seed(&a, 42, "init");
	fl_rng_seed(&b, 42, "shuffle");
	for (i = 0; i < 16; i++)
		differ += fl_rng_u64(&a) != fl_rng_u64(&b);
	CHECK(differ == 16);
	fl_rng_seed(&a, 42, "init");
	fl_rng_seed(&b, 43, "init");
	CHECK(fl_rng_u64(&a) != fl_rng_u64(&b));

	fl_rng_seed(&a, 1, "uniform");
	for (i = 0; i < n; i++) {
		u = fl_rng_uniform(&a);
		inrange &= u >= 0.0 && u < 1.0;
		umin = u < umin ? u : umin;
		umax = u > umax ? u : umax;
		sum += u;
	}
	CHECK(inrange);
	CHECK(umin < 0.001 && umax > 0.999);
	CHECK_NEAR(sum / (double)n, 0.5, 0.01, 0);

	inrange = 1;
	memset(seen, 0, sizeof(seen));
	for (i = 0; i < n; i++) {
		size_t k = fl_rng_below(&a, 7);

		inrange &= k < 7;
		if (k < 7)
			seen[k]++;
	}
	CHECK(inrange);
	for (i = 0; i < 7; i++)
		CHECK_NEAR((double)seen[i] / (double)n, 1.0 / 7, 0.01, 0);
	CHECK(fl_rng_below(&a, 1) == 0);
	CHECK(fl_rng_below(&a, 0) == 0);

	for (i = 0; i < 100; i++)
		v[i] = i;
	fl_rng_shuffle(&a, v, 100);
	memset(seen, 0, sizeof(seen));
	for (i = 0; i < 100; i++) {
		if (v[i] >= 100)
			perm = 0;
		else
			seen[v[i]]++;
	}
	for (i = 0; i < 100; i++)
		perm &= seen[i] == 1;
	CHECK(perm);
	differ = 0;
	for (i = 0; i < 100; i++)
		differ += v[i] != i;
	CHECK(differ > 50);

	sum = sumsq = 0.0;
	fl_rng_seed(&a, 7, "normal");
	for (i = 0; i < n; i++) {
		x = fl_rng_normal(&a);
		sum += x;
		sumsq += x * x;
	}
	CHECK_NEAR(sum / (double)n, 0.0, 0.02, 0);
	CHECK_NEAR(sumsq / (double)n - (sum / n) * (sum / n), 1.0, 0.03, 0);
	return unit_done("test_rng");
}
