/*
 * robust_int.h: lib/federation/robust.c's interface, for
 * lib/federation/aggregate.c and tests.
 */
#ifndef FL_ROBUST_INT_H
#define FL_ROBUST_INT_H

#include <stddef.h>

#include "federation/federation.h"

enum fl_robust {
	FL_ROBUST_MEDIAN,
	FL_ROBUST_TRIMMED,
	FL_ROBUST_KRUM,
	FL_ROBUST_MULTIKRUM
};

/*
 * Combine m vectors of n floats spooled in fd (vector i at byte offset
 * i * n * 4) into out (n), reading chunk floats of each vector at a time
 * with pread, so that memory is O(m * chunk + m * m).  trim is the
 * trimmed mean's fraction per side; f and sel are Krum's F and
 * multi-Krum's M.  chosen (m, may be NULL) gets 1 for each vector Krum
 * selected.  Errors: FL_EUSAGE (too few vectors for f or trim), FL_EIO,
 * FL_ENOMEM.
 */
int	fl_robust_combine(int fd, size_t m, size_t n, size_t chunk,
	    enum fl_robust kind, double trim, long f, long sel, float *out,
	    int *chosen, struct fl_err *err);

#endif
