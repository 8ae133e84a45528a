/*
 * train-scaffold.c: fl-train --scaffold (Karimireddy et al. 2020): this
 * site's control variate, kept in the state file (lib/train/scaffold.c),
 * corrects each step, and the update carries its change for
 * fl-aggregate.  Manual: man/fl-train.1, SCAFFOLD.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "fl.h"
#include "cli.h"
#include "train.h"

/*
 * SCAFFOLD's start: this site's c_i from the state file, the server's c
 * from the model's state "scaffold_c" (zeros when absent), and the
 * correction c - c_i.  sc holds four vectors of n (one malloc'd block):
 * c_i, c, the correction and the new c_i.
 */
int
train_scaffold_begin(const struct opts *o, const struct fl_archive *in,
    const struct fl_model *recv, float **sc, struct fl_err *err)
{
	size_t n = fl_model_nparams(recv), i, sz;
	const float *c;
	float *ci;
	int rc;

	if (fl_size_mul(4 * sizeof(float), n, &sz) < 0 ||
	    (*sc = calloc(1, sz + 1)) == NULL)
		return fl_err_set(err, FL_ENOMEM, "out of memory");
	if ((rc = fl_scaffold_load(o->scaffold, recv, fl_archive_id(in), &ci,
	    err)) < 0)
		return rc;
	memcpy(*sc, ci, n * sizeof(float));
	free(ci);
	if ((rc = fl_archive_state(in, "scaffold_c", n, &c, err)) < 0)
		return fl_err_prefix(err, "%s", fl_in_name(o->model));
	if (rc == 1)
		memcpy(*sc + n, c, n * sizeof(float));
	for (i = 0; i < n; i++)
		(*sc)[2 * n + i] = (*sc)[n + i] - (*sc)[i];
	return 0;
}

/*
 * SCAFFOLD's end, before the delta is taken: the new c_i from the
 * received x and trained y into sc + 3n, and the update's "scaffold_dc",
 * new c_i - c_i, into sc + 2n (where the correction was).
 */
void
train_scaffold_end(const struct opts *o, const struct fl_train_result *res,
    float *sc, const float *x, const float *y, size_t n)
{
	size_t i;

	fl_scaffold_update(n, sc, sc + n, x, y, res->steps, o->hp.lr,
	    sc + 3 * n);
	for (i = 0; i < n; i++)
		sc[2 * n + i] = sc[3 * n + i] - sc[i];
}
