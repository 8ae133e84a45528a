/*
 * simulate-run.c: how fl-simulate runs the other tools (fork and exec of
 * the fl-* programs installed beside it, else those in PATH) and prints
 * what fl-eval says as the rows of a table.
 */
#include <errno.h>
#include <limits.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/types.h>
#include <sys/wait.h>
#include <unistd.h>

#include "fl.h"
#include "cli.h"
#include "simulate.h"

#define RUN_MAX_CAPTURE	((size_t)1 << 20)	/* fl-eval's table: small */

static char tooldir[PATH_MAX];	/* "" when the tools come from PATH */
volatile sig_atomic_t sim_stop;

void
sim_argv_add(struct sim_argv *a, const char *s)
{
	char **v;

	if (a->failed)
		return;
	if (a->n + 2 > a->cap) {
		a->cap = a->cap ? 2 * a->cap : 32;
		if ((v = realloc(a->v, a->cap * sizeof(*v))) == NULL) {
			a->failed = 1;
			return;
		}
		a->v = v;
	}
	if ((a->v[a->n] = strdup(s)) == NULL) {
		a->failed = 1;
		return;
	}
	a->v[++a->n] = NULL;
}

void
sim_argv_addf(struct sim_argv *a, const char *fmt, ...)
{
	char buf[PATH_MAX + 256];
	va_list ap;
	int n;

	va_start(ap, fmt);
	n = vsnprintf(buf, sizeof(buf), fmt, ap);
	va_end(ap);
	if (n < 0 || (size_t)n >= sizeof(buf))
		a->failed = 1;
	else
		sim_argv_add(a, buf);
}

void
sim_argv_addv(struct sim_argv *a, char **v)
{
	for (; v != NULL && *v != NULL; v++)
		sim_argv_add(a, *v);
}

void
sim_argv_free(struct sim_argv *a)
{
	size_t i;

	for (i = 0; i < a->n; i++)
		free(a->v[i]);
	free(a->v);
	memset(a, 0, sizeof(*a));
}

/* Use the folder of path if it holds an executable fl-train. */
static int
try_dir(const char *path)
{
	char buf[PATH_MAX + 16];
	size_t n;

	if (strrchr(path, '/') == NULL)
		return 0;
	n = (size_t)(strrchr(path, '/') - path);
	if (n >= sizeof(tooldir))
		return 0;
	memcpy(buf, path, n);
	memcpy(buf + n, "/fl-train", sizeof("/fl-train"));
	if (access(buf, X_OK) != 0)
		return 0;
	buf[n] = '\0';
	memcpy(tooldir, buf, n + 1);
	return 1;
}

void
sim_tools_find(const char *argv0)
{
	char self[PATH_MAX];

	if (realpath("/proc/self/exe", self) != NULL && try_dir(self))
		return;
	if (strchr(argv0, '/') != NULL &&
	    realpath(argv0, self) != NULL && try_dir(self))
		return;
	tooldir[0] = '\0';
}

/* Read fd to its end into a NUL-terminated buffer; -1 with err set. */
static int
slurp(int fd, char **out, struct fl_err *err)
{
	size_t len = 0, cap = 4096;
	char *buf, *p;
	ssize_t r;

	if ((buf = malloc(cap)) == NULL)
		return fl_err_set(err, FL_ENOMEM, "out of memory");
	for (;;) {
		if (len + 1 == cap) {
			if (cap >= RUN_MAX_CAPTURE || (p = realloc(buf,
			    2 * cap)) == NULL) {
				free(buf);
				return fl_err_set(err, FL_ENOMEM, "a tool's "
				    "output is over 1 MiB");
			}
			buf = p;
			cap *= 2;
		}
		if ((r = read(fd, buf + len, cap - 1 - len)) < 0) {
			if (errno == EINTR)
				continue;
			free(buf);
			return fl_err_set(err, FL_EIO, "reading a tool's "
			    "output: %s", strerror(errno));
		}
		if (r == 0)
			break;
		len += (size_t)r;
	}
	buf[len] = '\0';
	*out = buf;
	return 0;
}

int
sim_run(struct sim_argv *a, char **capture, struct fl_err *err)
{
	char path[PATH_MAX + 64], *out = NULL;
	int fd[2] = { -1, -1 }, st, rc = 0;
	pid_t pid;

	if (a->failed || a->n == 0) {
		fl_err_set(err, FL_ENOMEM, "out of memory");
		return FL_EXIT_FAIL;
	}
	snprintf(path, sizeof(path), "%s%s%s", tooldir, *tooldir ? "/" : "",
	    a->v[0]);
	if (capture != NULL && pipe(fd) < 0) {
		fl_err_set(err, FL_EIO, "pipe: %s", strerror(errno));
		return FL_EXIT_FAIL;
	}
	fflush(NULL);
	if ((pid = fork()) < 0) {
		fl_err_set(err, FL_EIO, "fork: %s", strerror(errno));
		if (capture != NULL)
			close(fd[0]), close(fd[1]);
		return FL_EXIT_FAIL;
	}
	if (pid == 0) {
		if (capture != NULL) {
			dup2(fd[1], STDOUT_FILENO);
			close(fd[0]);
			close(fd[1]);
		}
		if (*tooldir)
			execv(path, a->v);
		else
			execvp(path, a->v);
		fprintf(stderr, "%s: %s: %s\n", fl_progname(), path,
		    strerror(errno));
		_exit(127);
	}
	if (capture != NULL) {
		close(fd[1]);
		rc = slurp(fd[0], &out, err);
		close(fd[0]);
	}
	while (waitpid(pid, &st, 0) < 0)
		if (errno != EINTR) {
			fl_err_set(err, FL_EIO, "waitpid: %s", strerror(errno));
			free(out);
			return FL_EXIT_FAIL;
		}
	if (WIFSIGNALED(st)) {
		fl_err_set(err, FL_EIO, "%s: killed by signal %d", a->v[0],
		    WTERMSIG(st));
		rc = FL_EXIT_FAIL;
	} else if (WEXITSTATUS(st) == 127) {
		/* The child said why it could not run. */
		err->code = FL_EIO;
		err->msg[0] = '\0';
		rc = FL_EXIT_FAIL;
	} else if (WEXITSTATUS(st) != 0) {
		err->code = FL_EFORMAT;
		err->msg[0] = '\0';	/* the tool said why */
		rc = WEXITSTATUS(st);
	} else if (rc < 0)
		rc = FL_EXIT_FAIL;
	else if (sim_stop) {
		fl_err_set(err, FL_EIO, "stopped by signal %d", (int)sim_stop);
		rc = FL_EXIT_FAIL;
	}
	if (rc != 0 || capture == NULL)
		free(out);
	else
		*capture = out;
	return rc;
}
