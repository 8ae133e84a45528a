/*
 * sealtool.c: a helper for test/fuzz/mkcorpus.sh, which needs a fixed key
 * and sealed seeds before any tool seals:
 *   sealtool keygen BASE        write BASE.key and BASE.pub
 *   sealtool seal PUB <in >out  seal stdin to the key in PUB
 *   sealtool open KEY <in >out  open it again (a check of the seeds)
 * Not installed; built by mkcorpus.sh against build/libfl.a.
 */
#include <stdio.h>
#include <string.h>

#include "fl.h"

int
main(int argc, char **argv)
{
	struct fl_err err = FL_ERR_INIT;
	struct fl_seckey *sk = NULL;
	struct fl_pubkey pk;
	const struct fl_pubkey *to[1] = { &pk };
	int rc = 0;

	if (argc == 3 && strcmp(argv[1], "keygen") == 0)
		rc = fl_seckey_generate(&sk, "fuzz", &err) < 0 ||
		    fl_seckey_write(sk, argv[2], 1, &err) < 0;
	else if (argc == 3 && strcmp(argv[1], "seal") == 0)
		rc = fl_pubkey_read(&pk, argv[2], &err) < 0 ||
		    fl_seal(stdin, stdout, to, 1, &err) < 0 ||
		    fflush(stdout) != 0;
	else if (argc == 3 && strcmp(argv[1], "open") == 0)
		rc = fl_seckey_read(&sk, argv[2], &err) < 0 ||
		    fl_unseal(stdin, stdout, sk, &err) < 0 ||
		    fflush(stdout) != 0;
	else {
		fprintf(stderr, "usage: sealtool keygen BASE | seal PUB | "
		    "open KEY\n");
		return 2;
	}
	fl_seckey_free(sk);
	if (rc != 0)
		fprintf(stderr, "sealtool: %s\n", err.msg);
	return rc;
}
