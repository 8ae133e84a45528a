/*
 * io.c: inputs and atomic outputs.  An output file is written to a temp
 * file in the same directory and renamed over its target only when
 * complete and synced, so a reader never sees a partial file.  The temp
 * file registry is the one mutable global in lib/: it lets an exit or a
 * signal remove what an interrupted tool was writing.
 */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "core/core.h"

#define FL_MAX_TEMPS 16

struct fl_out {
	FILE	*f;
	char	*path;		/* target; NULL for stdout */
	char	*tmp;		/* temp file beside it */
	char	*device;	/* a non-regular file written in place */
	int	 slot;		/* index in the temp registry, or -1 */
};

/* Temp files to remove at exit or on a fatal signal.  Written before a
 * signal handler can look, and read there with async-signal-safe calls. */
static char *volatile temps[FL_MAX_TEMPS];
static int temps_hooked;

static void
temps_remove_all(void)
{
	int i;

	for (i = 0; i < FL_MAX_TEMPS; i++)
		if (temps[i] != NULL)
			unlink(temps[i]);
}

static void
temps_on_signal(int sig)
{
	temps_remove_all();
	signal(sig, SIG_DFL);
	raise(sig);
}

/* Register path for cleanup; return its slot or -1 when full. */
static int
temps_add(char *path)
{
	static const int sigs[] = { SIGINT, SIGTERM, SIGHUP, SIGPIPE };
	struct sigaction sa;
	size_t k;
	int i;

	if (!temps_hooked) {
		atexit(temps_remove_all);
		memset(&sa, 0, sizeof(sa));
		sa.sa_handler = temps_on_signal;
		sigemptyset(&sa.sa_mask);
		for (k = 0; k < sizeof(sigs) / sizeof(sigs[0]); k++) {
			struct sigaction old;

			/* Leave a signal alone that the caller ignores. */
			if (sigaction(sigs[k], NULL, &old) == 0 &&
			    old.sa_handler == SIG_IGN)
				continue;
			sigaction(sigs[k], &sa, NULL);
		}
		temps_hooked = 1;
	}
	for (i = 0; i < FL_MAX_TEMPS; i++)
		if (temps[i] == NULL) {
			temps[i] = path;
			return i;
		}
	return -1;
}

static void
temps_forget(int slot)
{
	if (slot >= 0 && slot < FL_MAX_TEMPS)
		temps[slot] = NULL;
}

static int
is_stdio(const char *path)
{
	return path == NULL || strcmp(path, "-") == 0;
}

/* Open an atomic output on path, or on stdout for NULL or "-". */
int
fl_out_open(struct fl_out **outp, const char *path, struct fl_err *err)
{
	struct fl_out *o;
	struct stat st;
	const char *slash;
	size_t dirlen;
	int fd;

	*outp = NULL;
	if ((o = calloc(1, sizeof(*o))) == NULL)
		return fl_err_set(err, FL_ENOMEM, "out of memory");
	o->slot = -1;
	if (is_stdio(path)) {
		o->f = stdout;
		*outp = o;
		return 0;
	}
	/* A device or a pipe (/dev/full, /dev/stdout, a FIFO) is written
	 * in place: there is nothing to rename over, and a temp file beside
	 * it would land in /dev. */
	if (stat(path, &st) == 0 && !S_ISREG(st.st_mode)) {
		if (S_ISDIR(st.st_mode)) {
			free(o);
			return fl_err_set(err, FL_EIO, "%s: is a directory",
			    path);
		}
		if ((o->f = fopen(path, "wb")) == NULL) {
			int e = errno;

			free(o);
			return fl_err_set(err, FL_EIO, "%s: %s", path,
			    strerror(e));
		}
		o->device = strdup(path);
		if (o->device == NULL) {
			fclose(o->f);
			free(o);
			return fl_err_set(err, FL_ENOMEM, "out of memory");
		}
		*outp = o;
		return 0;
	}
	slash = strrchr(path, '/');
	dirlen = slash == NULL ? 0 : (size_t)(slash - path) + 1;
	o->path = strdup(path);
	o->tmp = malloc(dirlen + sizeof(".fl-tmp.XXXXXX"));
	if (o->path == NULL || o->tmp == NULL) {
		fl_out_abort(o);
		return fl_err_set(err, FL_ENOMEM, "out of memory");
	}
	memcpy(o->tmp, path, dirlen);
	memcpy(o->tmp + dirlen, ".fl-tmp.XXXXXX", sizeof(".fl-tmp.XXXXXX"));
	if ((fd = mkstemp(o->tmp)) < 0) {
		int e = errno;

		free(o->tmp);
		o->tmp = NULL;
		fl_out_abort(o);
		return fl_err_set(err, FL_EIO, "%s: %s", path, strerror(e));
	}
	o->slot = temps_add(o->tmp);
	/* mkstemp makes 0600; outputs are ordinary files (umask applies). */
	{
		mode_t um = umask(0);

		umask(um);
		fchmod(fd, 0666 & ~um);
	}
	if ((o->f = fdopen(fd, "wb")) == NULL) {
		int e = errno;

		close(fd);
		fl_out_abort(o);
		return fl_err_set(err, FL_EIO, "%s: %s", path, strerror(e));
	}
	*outp = o;
	return 0;
}

FILE *
fl_out_stream(struct fl_out *o)
{
	return o->f;
}

const char *
fl_out_name(const struct fl_out *o)
{
	if (o->device != NULL)
		return o->device;
	return o->path == NULL ? "<stdout>" : o->path;
}

/* fsync the directory holding path, so that the rename is durable. */
static int
sync_dir(const char *path)
{
	char *dir, *slash;
	int fd, rc = 0;

	if ((dir = strdup(path)) == NULL)
		return -1;
	slash = strrchr(dir, '/');
	if (slash == NULL) {
		free(dir);
		if ((dir = strdup(".")) == NULL)
			return -1;
	} else if (slash == dir)
		dir[1] = '\0';
	else
		*slash = '\0';
	if ((fd = open(dir, O_RDONLY | O_DIRECTORY)) >= 0) {
		if (fsync(fd) < 0 && errno != EINVAL && errno != EROFS)
			rc = -1;
		close(fd);
	}
	free(dir);
	return rc;
}

/* Flush, sync and rename into place; o is freed in every case. */
int
fl_out_commit(struct fl_out *o, struct fl_err *err)
{
	int rc = 0, e;

	if (o->device != NULL) {
		if (fflush(o->f) != 0 || ferror(o->f)) {
			e = errno;
			rc = fl_err_set(err, FL_EIO, "%s: %s", o->device,
			    strerror(e));
		}
		if (fclose(o->f) != 0 && rc == 0)
			rc = fl_err_set(err, FL_EIO, "%s: %s", o->device,
			    strerror(errno));
		free(o->device);
		free(o);
		return rc;
	}
	if (o->path == NULL) {
		if (fflush(o->f) != 0 || ferror(o->f))
			rc = fl_err_set(err, FL_EIO, "<stdout>: %s",
			    strerror(errno));
		free(o);
		return rc;
	}
	if (fflush(o->f) != 0 || ferror(o->f) || fsync(fileno(o->f)) < 0) {
		e = errno;
		rc = fl_err_set(err, FL_EIO, "%s: %s", o->path, strerror(e));
		fl_out_abort(o);
		return rc;
	}
	if (fclose(o->f) != 0) {
		e = errno;
		o->f = NULL;
		rc = fl_err_set(err, FL_EIO, "%s: %s", o->path, strerror(e));
		fl_out_abort(o);
		return rc;
	}
	o->f = NULL;
	if (rename(o->tmp, o->path) < 0) {
		e = errno;
		rc = fl_err_set(err, FL_EIO, "%s: %s", o->path, strerror(e));
		fl_out_abort(o);
		return rc;
	}
	temps_forget(o->slot);
	if (sync_dir(o->path) < 0)
		rc = fl_err_set(err, FL_EIO, "%s: syncing directory: %s",
		    o->path, strerror(errno));
	free(o->tmp);
	free(o->path);
	free(o);
	return rc;
}

/* Abandon an output: close and remove its temp file. */
void
fl_out_abort(struct fl_out *o)
{
	if (o == NULL)
		return;
	if (o->device != NULL) {
		fclose(o->f);
		free(o->device);
		free(o);
		return;
	}
	if (o->path != NULL) {
		if (o->f != NULL)
			fclose(o->f);
		if (o->tmp != NULL)
			unlink(o->tmp);
		temps_forget(o->slot);
	}
	free(o->tmp);
	free(o->path);
	free(o);
}

FILE *
fl_in_open(const char *path, struct fl_err *err)
{
	FILE *f;

	if (is_stdio(path))
		return stdin;
	if ((f = fopen(path, "rb")) == NULL)
		fl_err_set(err, FL_EIO, "%s: %s", path, strerror(errno));
	return f;
}

void
fl_in_close(FILE *f)
{
	if (f != NULL && f != stdin)
		fclose(f);
}

const char *
fl_in_name(const char *path)
{
	return is_stdio(path) ? "<stdin>" : path;
}

/* Read a whole small file, refusing one larger than max bytes. */
int
fl_file_read(const char *path, size_t max, char **bufp, size_t *lenp,
    struct fl_err *err)
{
	FILE *f;
	char *buf = NULL, *nb;
	size_t len = 0, cap = 0, n;
	int rc = 0;

	*bufp = NULL;
	if ((f = fl_in_open(path, err)) == NULL)
		return FL_EIO;
	for (;;) {
		if (cap - len < 4096 + 1) {
			size_t ncap = cap == 0 ? 8192 : cap * 2;

			if (ncap > max + 4096 + 1)
				ncap = max + 4096 + 1;
			if (ncap <= cap) {
				rc = fl_err_set(err, FL_ENOMEM,
				    "%s: larger than %zu bytes",
				    fl_in_name(path), max);
				goto out;
			}
			if ((nb = realloc(buf, ncap)) == NULL) {
				rc = fl_err_set(err, FL_ENOMEM,
				    "out of memory");
				goto out;
			}
			buf = nb;
			cap = ncap;
		}
		n = fread(buf + len, 1, cap - len - 1, f);
		len += n;
		if (len > max) {
			rc = fl_err_set(err, FL_ENOMEM,
			    "%s: larger than %zu bytes", fl_in_name(path), max);
			goto out;
		}
		if (n == 0)
			break;
	}
	if (ferror(f)) {
		rc = fl_err_set(err, FL_EIO, "%s: %s", fl_in_name(path),
		    strerror(errno));
		goto out;
	}
	buf[len] = '\0';
	*bufp = buf;
	*lenp = len;
	buf = NULL;
out:
	free(buf);
	fl_in_close(f);
	return rc;
}
