/*
 * err.c: error records.  The library fills a struct fl_err and returns its
 * code; only cmd/ (through lib/cli.c) prints it.  See fl.h.
 */
#include <stdint.h>
#include <sys/mman.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "core/core.h"

/* Format the message into err (when not NULL) and return code. */
int
fl_err_set(struct fl_err *err, int code, const char *fmt, ...)
{
	va_list ap;

	if (err != NULL) {
		err->code = code;
		va_start(ap, fmt);
		vsnprintf(err->msg, sizeof(err->msg), fmt, ap);
		va_end(ap);
	}
	return code;
}

/* Prepend a formatted prefix and ": " to the message, keeping the code. */
int
fl_err_prefix(struct fl_err *err, const char *fmt, ...)
{
	char pre[FL_ERR_MAX], old[FL_ERR_MAX];
	va_list ap;

	if (err == NULL)
		return FL_EUSAGE;
	va_start(ap, fmt);
	vsnprintf(pre, sizeof(pre), fmt, ap);
	va_end(ap);
	memcpy(old, err->msg, sizeof(old));
	/* Truncating a long message is fine; testing the result says so
	 * to GCC's -Wformat-truncation. */
	if (snprintf(err->msg, sizeof(err->msg), "%s: %s", pre, old) < 0)
		err->msg[0] = '\0';
	return err->code;
}

/* The article for word; the names it is given (kinds, tasks) are lower
 * case words that sound as they are spelled. */
const char *
fl_article(const char *word)
{
	return word != NULL && *word != '\0' &&
	    strchr("aeiouAEIOU", *word) != NULL ? "an" : "a";
}

/* Overflow-checked multiplication of sizes. */
void
fl_mem_huge(void *p, size_t n)
{
#ifdef MADV_HUGEPAGE
	const uintptr_t h = (uintptr_t)2 << 20;
	uintptr_t a = ((uintptr_t)p + h - 1) & ~(h - 1);
	uintptr_t b = ((uintptr_t)p + n) & ~(h - 1);

	if (p != NULL && n >= 4 * h && b > a)
		(void)madvise((void *)a, b - a, MADV_HUGEPAGE);
#else
	(void)p;
	(void)n;
#endif
}

int
fl_size_mul(size_t a, size_t b, size_t *out)
{
	if (a != 0 && b > (size_t)-1 / a)
		return -1;
	*out = a * b;
	return 0;
}
