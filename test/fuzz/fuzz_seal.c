/*
 * fuzz_seal.c: libFuzzer target for the sealed-stream reader (lib/trust/seal.c):
 * each input is fed to fl_unseal with the fixed test key test/fuzz/seal.key
 * (the seeds are sealed to it, so that the fuzzer starts past the key-id
 * match), and the output goes to a memory stream that is dropped.  Built by `make fuzz` only when
 * lib/trust/seal.c exists.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "fl.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#ifndef FUZZ_SEAL_KEY
#define FUZZ_SEAL_KEY "build/fuzz/seal.key"
#endif

static struct fl_seckey *key;

static void
free_key(void)
{
	fl_seckey_free(key);
	key = NULL;
}

/* The fixed key, read once: FUZZ_SEAL_KEY names a copy of
 * test/fuzz/seal.key with mode 0600 (test/fuzz/run makes it), since the
 * library refuses a key file that others can read. */
static struct fl_seckey *
get_key(void)
{
	struct fl_err err = FL_ERR_INIT;
	const char *path = getenv("FUZZ_SEAL_KEY");

	if (key != NULL)
		return key;
	if (path == NULL)
		path = FUZZ_SEAL_KEY;
	if (fl_seckey_read(&key, path, &err) < 0) {
		fprintf(stderr, "fuzz_seal: %s\n", err.msg);
		abort();
	}
	atexit(free_key);
	return key;
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct fl_err err = FL_ERR_INIT;
	struct fl_seckey *sk = get_key();
	char *obuf = NULL;
	size_t olen = 0;
	FILE *in, *out;

	if (size == 0)
		return 0;
	if ((in = fmemopen((void *)data, size, "rb")) == NULL)
		return 0;
	if ((out = open_memstream(&obuf, &olen)) == NULL) {
		fclose(in);
		return 0;
	}
	(void)fl_unseal(in, out, sk, &err);
	fclose(out);
	fclose(in);
	free(obuf);
	return 0;
}
