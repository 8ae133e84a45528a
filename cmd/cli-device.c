/*
 * cli-device.c: --device for the tools that run a model (fl-train,
 * fl-eval): the name checked, and the backend chosen (lib/compute/
 * backend.c), exiting 1 with one line when the device asked for is absent.
 * man/fl-train.1 and man/fl-eval.1 document it.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "fl.h"
#include "cli.h"

/* The device named arg (cpu, cuda, auto); exits 2 on another. */
enum fl_device
fl_opt_device(const char *usage, const char *arg)
{
	int d = fl_device_parse(arg);

	if (d < 0 || d == FL_DEVICE_REF)
		fl_usage_error(usage, "--device: unknown device '%s' (cpu, "
		    "cuda, auto)", arg);
	return (enum fl_device)d;
}

/*
 * The backend for dev.  cuda in a build without CUDA, or with no GPU,
 * exits FL_EXIT_FAIL with one line saying why; auto without CUDA says on
 * stderr that it uses the CPU, unless quiet.
 */
const struct fl_backend *
fl_device_backend(enum fl_device dev, int quiet)
{
	struct fl_err err = FL_ERR_INIT;
	const struct fl_backend *be;

	if (fl_backend_get(&be, dev, &err) < 0)
		exit(fl_report(&err));
	if (dev == FL_DEVICE_AUTO && !quiet && strcmp(be->name, "cuda") != 0)
		fl_warnx("--device auto: no CUDA GPU in this build or on "
		    "this machine (%s); using the CPU",
		    fl_backend_cuda_version());
	return be;
}
