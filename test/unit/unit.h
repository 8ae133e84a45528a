/*
 * unit.h: the few macros the C unit tests use.  Each CHECK counts one
 * result and reports file:line on failure, with the case it is in;
 * unit_run() runs one named case and prints "ok name: N checks" or "FAIL
 * name: N of M checks failed"; unit_done() prints "# <prog>: N passed, N
 * failed" for test/run to add up.
 */
#ifndef UNIT_H
#define UNIT_H

#include <math.h>
#include <stdio.h>
#include <stdlib.h>

static int unit_pass, unit_fail;
static const char *unit_case;	/* the case running, or NULL */

/* "case: " before a failure message, inside a named case. */
#define UNIT_WHERE()	(unit_case != NULL ? unit_case : ""),		\
			(unit_case != NULL ? ": " : "")

#define CHECK(cond) do {						\
	if (cond)							\
		unit_pass++;						\
	else {								\
		unit_fail++;						\
		fprintf(stderr, "%s:%d: %s%sCHECK(%s) failed\n",	\
		    __FILE__, __LINE__, UNIT_WHERE(), #cond);		\
	}								\
} while (0)

/* |got - want| <= atol + rtol * |want| */
#define CHECK_NEAR(got, want, atol, rtol) do {				\
	double g_ = (got), w_ = (want);					\
	if (fabs(g_ - w_) <= (atol) + (rtol) * fabs(w_))		\
		unit_pass++;						\
	else {								\
		unit_fail++;						\
		fprintf(stderr, "%s:%d: %s%s%s = %.9g, want %.9g\n",	\
		    __FILE__, __LINE__, UNIT_WHERE(), #got, g_, w_);	\
	}								\
} while (0)

/* Check that a call returned 0, printing the error otherwise. */
#define CHECK_OK(call, errp) do {					\
	int rc_ = (call);						\
	if (rc_ == 0)							\
		unit_pass++;						\
	else {								\
		unit_fail++;						\
		fprintf(stderr, "%s:%d: %s%s%s returned %d: %s\n",	\
		    __FILE__, __LINE__, UNIT_WHERE(), #call, rc_,	\
		    (errp)->msg);					\
	}								\
} while (0)

/*
 * A scratch directory for tests that write files: unit_tmpdir("pack")
 * makes /tmp/fl-test-pack.XXXXXX (NULL, after perror, on failure),
 * unit_at(name) is dir/name in one of four static buffers, and
 * unit_rmtmpdir() removes the directory and all in it.  Static inline, so
 * that tests without files do not warn of them.
 */
static inline char *
unit_dirbuf(void)
{
	static char d[64];

	return d;
}

static inline const char *
unit_tmpdir(const char *name)
{
	char *d = unit_dirbuf();

	snprintf(d, 64, "/tmp/fl-test-%s.XXXXXX", name);
	if (mkdtemp(d) == NULL) {
		perror("mkdtemp");
		return NULL;
	}
	return d;
}

static inline const char *
unit_at(const char *name)
{
	static char path[4][256];
	static int k;

	k = (k + 1) % 4;
	snprintf(path[k], sizeof(path[k]), "%s/%s", unit_dirbuf(), name);
	return path[k];
}

static inline void
unit_rmtmpdir(void)
{
	char cmd[300];

	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", unit_dirbuf());
	if (system(cmd) != 0)
		fprintf(stderr, "could not remove %s\n", unit_dirbuf());
}

/*
 * Named cases.  unit_begin(name) and unit_end() bracket one case: its
 * checks still add to the binary's totals, and unit_end() prints one line
 * for the case, flushed, so that after a crash the last line printed
 * names the last case that finished.  unit_run("x", test_x) runs a case
 * that takes no arguments; UNIT_CASE("x, weighted", test_x(1)) one that
 * does.
 */
static int unit_case_pass, unit_case_fail;

static inline void
unit_begin(const char *name)
{
	unit_case = name;
	unit_case_pass = unit_pass;
	unit_case_fail = unit_fail;
}

static inline void
unit_end(void)
{
	int p = unit_pass - unit_case_pass, f = unit_fail - unit_case_fail;

	if (f == 0)
		printf("ok %s: %d checks\n", unit_case, p);
	else
		printf("FAIL %s: %d of %d checks failed\n", unit_case, f,
		    p + f);
	fflush(stdout);
	unit_case = NULL;
}

static inline void
unit_run(const char *name, void (*fn)(void))
{
	unit_begin(name);
	fn();
	unit_end();
}

#define UNIT_CASE(name, call) do {					\
	unit_begin(name);						\
	call;								\
	unit_end();							\
} while (0)

static int
unit_done(const char *name)
{
	printf("# %s: %d passed, %d failed\n", name, unit_pass, unit_fail);
	return unit_fail == 0 ? 0 : 1;
}

#endif
