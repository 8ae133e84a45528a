/*
 * libarchive-static.c: linked into the tools only when they take
 * libarchive from its static archive (STATIC_DEPS=1 in the Makefile).
 *
 * In libarchive 3.x the tar writers (ustar, pax) call one internal
 * helper, __archive_write_entry_filetype_unsupported(), which lives in
 * archive_write_set_format.o beside the table of every writer libarchive
 * has (by-name lookup).  Linking that object statically copies every
 * writer, among them xar, and with it libxml2, ICU and libstdc++: the
 * start-up cost static linking is meant to remove.  This file defines the
 * helper, so that the linker never needs that object.  It does what
 * libarchive's does (an error naming the format, ARCHIVE_FAILED), through
 * the public API; fl writes regular files only, so the tar writers never
 * reach it.  Not part of libfl.a: the Makefile names it on the tools'
 * link line, before libarchive.a, only when it links statically.
 */
#include <archive.h>

/* -1: libarchive's own ARCHIVE_ERRNO_MISC, which archive.h leaves out. */

struct archive_entry;

int __archive_write_entry_filetype_unsupported(struct archive *,
    struct archive_entry *, const char *);

int
__archive_write_entry_filetype_unsupported(struct archive *a,
    struct archive_entry *entry, const char *format)
{
	(void)entry;
	archive_set_error(a, -1,
	    "%s format cannot archive this file type", format);
	return ARCHIVE_FAILED;
}
