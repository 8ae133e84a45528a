/*
 * backend.c: chooses where dense math runs (--device).  The CPU backend is
 * OpenBLAS (blas.c); "ref" is the plain-loop reference (ref.c), for tests.
 * A CUDA backend (kernels/) will join the table when it lands.
 */
#include "fl.h"

static const struct fl_backend backend_cpu = { "cpu", fl_blas_gemm };
static const struct fl_backend backend_ref = { "ref", fl_ref_gemm };

/* The backend for dev; see fl.h.  Errors: FL_EGPU, FL_EUSAGE. */
int
fl_backend_get(const struct fl_backend **be, enum fl_device dev,
    struct fl_err *err)
{
	switch (dev) {
	case FL_DEVICE_CPU:
	case FL_DEVICE_AUTO:
		*be = &backend_cpu;
		return 0;
	case FL_DEVICE_REF:
		*be = &backend_ref;
		return 0;
	case FL_DEVICE_CUDA:
		*be = NULL;
		return fl_err_set(err, FL_EGPU,
		    "--device cuda: this build has no CUDA support");
	}
	*be = NULL;
	return fl_err_set(err, FL_EUSAGE, "unknown device %d", (int)dev);
}
