/*
 * save.c: write one or more archives to a path or stdout, atomically.
 * Every tool that emits an archive ends here; the format is in archive.c.
 */
#include "format/format.h"

/* Write as[0..n-1] one after another to path (NULL or "-": stdout). */
int
fl_archive_save(struct fl_archive *const *as, size_t n, const char *path,
    struct fl_err *err)
{
	struct fl_out *o;
	size_t i;
	int rc;

	if ((rc = fl_out_open(&o, path, err)) < 0)
		return rc;
	for (i = 0; i < n; i++)
		if ((rc = fl_archive_write(as[i], fl_out_stream(o),
		    fl_out_name(o), FL_COMPRESS_NONE, err)) < 0) {
			fl_out_abort(o);
			return rc;
		}
	return fl_out_commit(o, err);
}
