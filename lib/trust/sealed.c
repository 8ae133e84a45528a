/*
 * sealed.c: readers of sealed input.  A stream that starts with
 * FL_SEAL_MAGIC is decrypted (lib/trust/seal.c) into an unlinked temp file, all
 * of it authenticated before the archive reader (lib/format/archive.c, which
 * knows nothing of keys) sees a byte of it; other input goes to the
 * reader as it is.  The format is in man/fl-archive.5.
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "trust_int.h"

int
fl_reader_open_key(struct fl_reader **rp, FILE *f, const char *name,
    const struct fl_seckey *key, struct fl_err *err)
{
	const size_t mlen = sizeof(FL_SEAL_MAGIC) - 1;
	unsigned char pre[sizeof(FL_SEAL_MAGIC) - 1];
	const char *nm = name != NULL ? name : "<stdin>";
	size_t n;
	FILE *tmp;
	int rc;

	*rp = NULL;
	if (key == NULL)
		return fl_reader_open(rp, f, name, err);
	n = fread(pre, 1, mlen, f);
	if (n < mlen && ferror(f))
		return fl_err_set(err, FL_EIO, "%s: %s", nm,
		    strerror(errno != 0 ? errno : EIO));
	if (n < mlen || memcmp(pre, FL_SEAL_MAGIC, mlen) != 0)
		return fl_reader_open_with(rp, f, name, pre, n, 0, err);
	if ((tmp = tmpfile()) == NULL)
		return fl_err_set(err, FL_EIO, "%s: temp file: %s", nm,
		    strerror(errno));
	if ((rc = fl_unseal_after_magic(f, tmp, key, err)) < 0) {
		fclose(tmp);
		return fl_err_prefix(err, "%s", nm);
	}
	if (fflush(tmp) != 0 || fseek(tmp, 0, SEEK_SET) != 0) {
		rc = fl_err_set(err, FL_EIO, "%s: temp file: %s", nm,
		    strerror(errno));
		fclose(tmp);
		return rc;
	}
	/* The reader owns the temp file from here, on every path. */
	return fl_reader_open_with(rp, tmp, name, NULL, 0, 1, err);
}

int
fl_archive_read_file_key(const char *path, const struct fl_seckey *key,
    struct fl_archive **ap, struct fl_err *err)
{
	struct fl_reader *r = NULL;
	FILE *f;
	int rc;

	*ap = NULL;
	if ((f = fl_in_open(path, err)) == NULL)
		return FL_EIO;
	if ((rc = fl_reader_open_key(&r, f, fl_in_name(path), key, err)) == 0)
		rc = fl_reader_read_one(r, ap, err);
	fl_reader_free(r);
	fl_in_close(f);
	return rc;
}
