/*
 * cli.c: what every tool in cmd/ shares: the program name, one-line error
 * reports, usage errors, checked option values, --version, the checked
 * close of stdout and the progress bar.  It prints and exits, so it is
 * linked into the tools only, never into libfl; cli.h declares it.
 */
#include <errno.h>
#include <getopt.h>
#include <math.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cli.h"

static const char *progname = "fl";

void
fl_setprogname(const char *argv0)
{
	const char *s;

	if (argv0 == NULL || *argv0 == '\0')
		return;
	s = strrchr(argv0, '/');
	progname = s == NULL ? argv0 : s + 1;
}

const char *
fl_progname(void)
{
	return progname;
}

/* Report err as one line and map its code to an exit status. */
int
fl_report(const struct fl_err *err)
{
	fprintf(stderr, "%s: %s\n", progname,
	    err->msg[0] != '\0' ? err->msg : "unknown error");
	switch (err->code) {
	case FL_EVERIFY:
		return FL_EXIT_TRUST;
	case FL_EUSAGE:
		return FL_EXIT_USAGE;
	default:
		return FL_EXIT_FAIL;
	}
}

void
fl_warnx(const char *fmt, ...)
{
	va_list ap;

	fprintf(stderr, "%s: ", progname);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
}

void
fl_usage_error(const char *usage, const char *fmt, ...)
{
	va_list ap;

	fprintf(stderr, "%s: ", progname);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fprintf(stderr, "\n%s\nTry '%s --help'.\n", usage, progname);
	exit(FL_EXIT_USAGE);
}

void
fl_print_version(void)
{
	printf("%s %s (libfl %s; %s; %s)\n", progname, FL_VERSION,
	    FL_VERSION, fl_blas_version(), fl_backend_cuda_version());
}

int
fl_close_stdout(void)
{
	int bad = 0, e = 0;

	if (fflush(stdout) != 0 || ferror(stdout)) {
		bad = 1;
		e = errno;
	}
	if (fclose(stdout) != 0 && !bad) {
		bad = 1;
		e = errno;
	}
	if (bad) {
		fprintf(stderr, "%s: <stdout>: %s\n", progname,
		    e != 0 ? strerror(e) : "write error");
		return FL_EXIT_FAIL;
	}
	return FL_EXIT_OK;
}

void
fl_refuse_tty(const char *path)
{
	if ((path == NULL || strcmp(path, "-") == 0) && isatty(1)) {
		fprintf(stderr, "%s: refusing to write a binary archive to a "
		    "terminal; use -o FILE or a pipe\n", progname);
		exit(FL_EXIT_USAGE);
	}
}

long
fl_opt_long(const char *usage, const char *opt, const char *arg, long min,
    long max)
{
	char *end;
	long v;

	errno = 0;
	v = strtol(arg, &end, 10);
	if (end == arg || *end != '\0')
		fl_usage_error(usage, "%s: '%s' is not a number", opt, arg);
	if (errno == ERANGE || v < min || v > max)
		fl_usage_error(usage, "%s: %s is out of range [%ld, %ld]",
		    opt, arg, min, max);
	return v;
}

const char *
fl_opt_strategy(const char *usage, const char *arg)
{
	char list[1024];
	size_t k;

	for (k = 0; fl_agg_strategy_name(k) != NULL; k++)
		if (strcmp(fl_agg_strategy_name(k), arg) == 0)
			return arg;
	fl_agg_strategy_list(list, sizeof(list));
	fl_usage_error(usage, "--strategy: unknown strategy '%s' (%s)", arg,
	    list);
}

double
fl_opt_double(const char *usage, const char *opt, const char *arg,
    double min, double max)
{
	char *end;
	double v;

	errno = 0;
	v = strtod(arg, &end);
	if (end == arg || *end != '\0' || isnan(v))
		fl_usage_error(usage, "%s: '%s' is not a number", opt, arg);
	if (errno == ERANGE || v < min || v > max)
		fl_usage_error(usage, "%s: %s is out of range [%g, %g]",
		    opt, arg, min, max);
	return v;
}

uint64_t
fl_opt_seed(const char *usage, const char *opt, const char *arg)
{
	unsigned long long v;
	char *end;

	errno = 0;
	if (arg[0] == '-')
		fl_usage_error(usage, "%s: '%s' is not a seed (0 to 2^63-1)",
		    opt, arg);
	v = strtoull(arg, &end, 10);
	if (end == arg || *end != '\0' || errno == ERANGE || v > INT64_MAX)
		fl_usage_error(usage, "%s: '%s' is not a seed (0 to 2^63-1)",
		    opt, arg);
	return (uint64_t)v;
}

void
fl_progress_init(struct fl_progress *p, const char *label, int want)
{
	p->enabled = want > 0 || (want < 0 && isatty(2));
	p->label = label;
	p->last = -1;
}

/* Redraw the bar when it moved by at least 0.1%. */
void
fl_progress_cb(void *ctx, size_t done, size_t total)
{
	struct fl_progress *p = ctx;
	int permille, i, fill;

	if (p == NULL || !p->enabled || total == 0)
		return;
	permille = (int)(done * 1000 / total);
	if (permille == p->last)
		return;
	p->last = permille;
	fill = permille * 30 / 1000;
	fprintf(stderr, "\r%s: %s [", progname, p->label);
	for (i = 0; i < 30; i++)
		fputc(i < fill ? '#' : ' ', stderr);
	fprintf(stderr, "] %3d%% %zu/%zu", permille / 10, done, total);
	fflush(stderr);
}

void
fl_progress_end(struct fl_progress *p)
{
	if (p->enabled && p->last >= 0)
		fputc('\n', stderr);
	p->last = -1;
}

char **
fl_opt_list(const char *usage, const char *opt, const char *arg, size_t *np)
{
	size_t n = 1, i, j, len = strlen(arg);
	char **v, *s, *p;

	for (p = (char *)arg; *p != '\0'; p++)
		if (*p == ',')
			n++;
	/* One block: the pointer array, then a copy of the string. */
	if ((v = malloc((n + 1) * sizeof(*v) + len + 1)) == NULL) {
		fprintf(stderr, "%s: out of memory\n", progname);
		exit(FL_EXIT_FAIL);
	}
	s = (char *)(v + n + 1);
	memcpy(s, arg, len + 1);
	for (i = 0; i < n; i++) {
		v[i] = s;
		if ((p = strchr(s, ',')) != NULL) {
			*p = '\0';
			s = p + 1;
		}
		if (*v[i] == '\0')
			fl_usage_error(usage, "%s: empty name in '%s'", opt,
			    arg);
		for (j = 0; j < i; j++)
			if (strcmp(v[j], v[i]) == 0)
				fl_usage_error(usage, "%s: '%s' given twice",
				    opt, v[i]);
	}
	v[n] = NULL;
	*np = n;
	return v;
}

void
fl_opt_error(const char *usage, int ch, char **argv)
{
	char shortopt[3] = { '-', (char)optopt, '\0' };
	const char *last = argv[optind - 1], *opt = shortopt;

	/* getopt_long leaves a long option's own word in argv. */
	if (strncmp(last, "--", 2) == 0 || optopt == 0 || optopt > 255)
		opt = last;

	if (ch == ':')
		fl_usage_error(usage, "option '%s' needs an argument", opt);
	fl_usage_error(usage, "unknown option '%s'", opt);
}
