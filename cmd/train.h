/*
 * train.h: what the two files of fl-train share: its options, parsed by
 * train-opts.c from the option table there, and used by fl-train.c.
 */
#ifndef FL_TRAIN_H
#define FL_TRAIN_H

#include "fl.h"

struct opts {
	const char		*data, *model, *site, *out, *trust, *key, *sign;
	const char		*scaffold;
	const char		*image_col;	/* --image-column, or NULL */
	struct fl_hparams	 hp;
	double			 dp_delta;
	int			 lr_set, pass, progress, delta_set, quiet;
	enum fl_device		 device;	/* --device (default cpu) */
	char			 sitebuf[256];
};

extern const char train_usage[];

/* Parse and check fl-train's arguments into o; exits 2 on misuse. */
void	train_parse_args(int argc, char **argv, struct opts *o);

#endif
