/*
 * fuzz_safetensors.c: libFuzzer target for the safetensors parser
 * (lib/format/safetensors.c): the input is a tensors.safetensors member, decoded
 * into a fresh archive; on success the canonical header is rebuilt and
 * every tensor visited.  Run by `make fuzz`.
 */
#include <stdlib.h>
#include <string.h>

#include "fl.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct fl_err err = FL_ERR_INIT;
	struct fl_archive *a;
	struct fl_tensor t;
	unsigned char *buf = NULL;
	size_t i, len, sum = 0;

	if ((a = fl_archive_new(FL_KIND_MODEL)) == NULL)
		return 0;
	if (fl_safetensors_decode(a, data, size, &err) == 0) {
		for (i = 0; i < fl_archive_ntensors(a); i++) {
			fl_archive_tensor(a, i, &t);
			if (t.nbytes > 0)
				sum += ((const unsigned char *)t.data)[0] +
				    ((const unsigned char *)t.data)[t.nbytes - 1];
			if (fl_archive_find(a, t.name, &t) < 0)
				abort();	/* a decoded name must be found */
		}
		/* What decoded must encode, and decode again the same. */
		if (fl_safetensors_encode(a, &buf, &len, &err) == 0) {
			struct fl_archive *b = fl_archive_new(FL_KIND_MODEL);

			if (b != NULL && (fl_safetensors_decode(b, buf, len,
			    &err) != 0 || fl_archive_ntensors(b) !=
			    fl_archive_ntensors(a)))
				abort();
			fl_archive_free(b);
			free(buf);
		}
	}
	(void)sum;
	fl_archive_free(a);
	return 0;
}
