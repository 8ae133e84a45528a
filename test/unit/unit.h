/*
 * unit.h: the few macros the C unit tests use.  Each CHECK counts one
 * result and reports file:line on failure; unit_done() prints
 * "# <prog>: N passed, N failed" for test/run to add up.
 */
#ifndef UNIT_H
#define UNIT_H

#include <math.h>
#include <stdio.h>
#include <stdlib.h>

static int unit_pass, unit_fail;

#define CHECK(cond) do {						\
	if (cond)							\
		unit_pass++;						\
	else {								\
		unit_fail++;						\
		fprintf(stderr, "%s:%d: CHECK(%s) failed\n",		\
		    __FILE__, __LINE__, #cond);				\
	}								\
} while (0)

/* |got - want| <= atol + rtol * |want| */
#define CHECK_NEAR(got, want, atol, rtol) do {				\
	double g_ = (got), w_ = (want);					\
	if (fabs(g_ - w_) <= (atol) + (rtol) * fabs(w_))		\
		unit_pass++;						\
	else {								\
		unit_fail++;						\
		fprintf(stderr, "%s:%d: %s = %.9g, want %.9g\n",	\
		    __FILE__, __LINE__, #got, g_, w_);			\
	}								\
} while (0)

/* Check that a call returned 0, printing the error otherwise. */
#define CHECK_OK(call, errp) do {					\
	int rc_ = (call);						\
	if (rc_ == 0)							\
		unit_pass++;						\
	else {								\
		unit_fail++;						\
		fprintf(stderr, "%s:%d: %s returned %d: %s\n",		\
		    __FILE__, __LINE__, #call, rc_, (errp)->msg);	\
	}								\
} while (0)

static int
unit_done(const char *name)
{
	printf("# %s: %d passed, %d failed\n", name, unit_pass, unit_fail);
	return unit_fail == 0 ? 0 : 1;
}

#endif
