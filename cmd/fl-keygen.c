/*
 * fl-keygen: make an identity, DIR/NAME.key (secret, mode 0600) and
 * DIR/NAME.pub (to hand to the others).  A thin front end over
 * lib/trust/key.c; the manual is man/fl-keygen.1.
 */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "fl.h"
#include "cli.h"

static const char usage[] = "usage: fl-keygen [-fq] [-o dir] name";

struct opts {
	const char	*dir;
	const char	*name;
	int		 force;
};

static const struct fl_opt options[] = {
	{ "force", 'f', NULL, "replace existing NAME.key and NAME.pub", 0 },
	{ "output", 'o', "dir", "write into dir, made with mode 0700 if absent\n"
	    "(default: .)", 0 },
	{ "quiet", 'q', NULL, "print nothing but errors (the default prints "
	    "nothing either)", 0 },
	{ "help", 'h', NULL, "print this help and exit", 0 },
	{ "version", 'V', NULL, "print the version and exit", 0 },
	{ NULL, 0, NULL, NULL, 0 }
};

static const struct fl_cmd cmd = {
	usage,
	"Make an identity NAME: an Ed25519 signing key and an X25519 sealing "
	"key,\nwritten to DIR/NAME.key (secret, mode 0600) and DIR/NAME.pub "
	"(one line to\nshare).  NAME is 1 to 128 of A-Z a-z 0-9 . _ -.\n",
	options, NULL, NULL, 0
};

static void
parse_args(int argc, char **argv, struct opts *o)
{
	int ch;

	while ((ch = fl_getopt(&cmd, argc, argv)) != -1)
		switch (ch) {
		case 'f':
			o->force = 1;
			break;
		case 'o':
			o->dir = optarg;
			break;
		case 'q':
			break;	/* success is silent anyway */
		}
	if (optind == argc)
		fl_usage_error(usage, "missing name");
	o->name = argv[optind++];
	if (optind < argc)
		fl_usage_error(usage, "unexpected operand '%s'", argv[optind]);
}

int
main(int argc, char **argv)
{
	struct fl_err err = FL_ERR_INIT;
	struct fl_seckey *sk = NULL;
	struct opts o = { NULL, NULL, 0 };
	char *base;
	size_t n;
	int rc;

	fl_setprogname(argv[0]);
	parse_args(argc, argv, &o);
	/* DIR/NAME, or NAME itself in the current directory. */
	n = (o.dir != NULL ? strlen(o.dir) + 1 : 0) + strlen(o.name) + 1;
	if ((base = malloc(n)) == NULL) {
		fl_err_set(&err, FL_ENOMEM, "out of memory");
		return fl_report(&err);
	}
	snprintf(base, n, "%s%s%s", o.dir != NULL ? o.dir : "",
	    o.dir != NULL ? "/" : "", o.name);
	if (fl_seckey_generate(&sk, o.name, &err) < 0) {
		/* A bad name is a usage error: say how to ask for help. */
		if (err.code == FL_EUSAGE)
			fl_usage_error(usage, "%s", err.msg);
		rc = fl_report(&err);
	} else if ((o.dir != NULL && fl_keydir_create(o.dir, &err) < 0) ||
	    fl_seckey_write(sk, base, o.force, &err) < 0)
		rc = fl_report(&err);
	else
		rc = fl_close_stdout();
	fl_seckey_free(sk);
	free(base);
	return rc;
}
