/*
 * test_secagg.c: secure aggregation (lib/trust/pairmask.c,
 * lib/federation/secagg.c, recovery.c): pairwise masks cancel exactly in
 * integer arithmetic, one masked vector looks uniform whatever it hides,
 * the masked FedAvg equals the plain one within the stated bound, and a
 * dropout is recovered from the survivors' seeds, which must match their
 * commitments.
 */
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include "fl.h"
#include "unit.h"

#define NSITES	4
#define NP	1000

static const char *const feats[] = { "a", "b", "c" };
static const char *const names[NSITES] = { "s1", "s2", "s3", "s4" };
static struct fl_seckey *keys[NSITES];

/* Masks cancel: the sum of every site's masked vector is the sum of the
 * plain ones, exactly, mod 2^32; the seed is the same at both ends of a
 * pair and changes with the model and the round. */
static void
test_cancel(void)
{
	struct fl_err err = FL_ERR_INIT;
	static uint32_t x[NSITES][NP], sum[NP], plain[NP];
	unsigned char s[FL_MASK_SEED_LEN], t[FL_MASK_SEED_LEN];
	const struct fl_pubkey *pi, *pj;
	size_t i, j, k;
	int same = 1;

	for (i = 0; i < NSITES; i++)
		for (k = 0; k < NP; k++) {
			x[i][k] = (uint32_t)(k * 2654435761u + i * 40503u);
			plain[k] += x[i][k];
		}
	for (i = 0; i < NSITES; i++) {
		pi = fl_seckey_pub(keys[i]);
		for (j = 0; j < NSITES; j++) {
			if (j == i)
				continue;
			pj = fl_seckey_pub(keys[j]);
			CHECK_OK(fl_mask_seed(keys[i], pj, "sha256:m", 3, s,
			    &err), &err);
			CHECK_OK(fl_mask_apply(s, fl_mask_sign(pi->seal_pub,
			    pj->seal_pub), x[i], NP, &err), &err);
		}
		for (k = 0; k < NP; k++)
			sum[k] += x[i][k];
	}
	for (k = 0; k < NP; k++)
		same &= sum[k] == plain[k];
	CHECK(same);
	CHECK_OK(fl_mask_seed(keys[0], fl_seckey_pub(keys[1]), "sha256:m", 3,
	    s, &err), &err);
	CHECK_OK(fl_mask_seed(keys[1], fl_seckey_pub(keys[0]), "sha256:m", 3,
	    t, &err), &err);
	CHECK(memcmp(s, t, sizeof(s)) == 0);
	CHECK_OK(fl_mask_seed(keys[0], fl_seckey_pub(keys[1]), "sha256:m", 4,
	    t, &err), &err);
	CHECK(memcmp(s, t, sizeof(s)) != 0);
	CHECK_OK(fl_mask_seed(keys[0], fl_seckey_pub(keys[1]), "sha256:n", 3,
	    t, &err), &err);
	CHECK(memcmp(s, t, sizeof(s)) != 0);
	CHECK(fl_mask_seed(keys[0], fl_seckey_pub(keys[0]), "sha256:m", 3, s,
	    &err) == FL_EVERIFY);
}

/* Pearson's chi-square of v's byte frequencies against uniform (255
 * degrees of freedom: mean 255, sd 22.6). */
static double
chi2_bytes(const uint32_t *v, size_t n)
{
	double count[256] = { 0 }, e = 4.0 * n / 256, c = 0;
	size_t i, b;

	for (i = 0; i < n; i++)
		for (b = 0; b < 4; b++)
			count[(v[i] >> (8 * b)) & 255]++;
	for (b = 0; b < 256; b++)
		c += (count[b] - e) * (count[b] - e) / e;
	return c;
}

/* One site's masked vector looks uniform, whether it hides zeros or a
 * strongly structured delta; unmasked, the structure shows. */
static void
test_uniform(void)
{
	struct fl_err err = FL_ERR_INIT;
	static uint32_t v[65536];
	unsigned char s[FL_MASK_SEED_LEN];
	size_t j, k, pass;

	for (pass = 0; pass < 2; pass++) {
		for (k = 0; k < 65536; k++)
			v[k] = pass == 0 ? 0 : (uint32_t)(k % 7) * 1000u;
		if (pass == 1)
			CHECK(chi2_bytes(v, 65536) > 10000);
		for (j = 1; j < NSITES; j++) {
			CHECK_OK(fl_mask_seed(keys[0], fl_seckey_pub(keys[j]),
			    "sha256:m", 0, s, &err), &err);
			CHECK_OK(fl_mask_apply(s, 1, v, 65536, &err), &err);
		}
		/* p < 1e-6 for a uniform source above 390. */
		CHECK(chi2_bytes(v, 65536) < 390);
	}
}

/* Write each site's key; roster/ gets their .pub files. */
static int
write_keys(void)
{
	struct fl_err err = FL_ERR_INIT;
	char base[256];
	size_t i;

	for (i = 0; i < NSITES; i++) {
		snprintf(base, sizeof(base), "%s/roster/%s", unit_dirbuf(),
		    names[i]);
		if (fl_seckey_write(keys[i], base, 0, &err) < 0) {
			fprintf(stderr, "%s\n", err.msg);
			return -1;
		}
	}
	return 0;
}

/* Site i's plain update of base (id) with a delta in [-0.5, 0.5). */
static struct fl_archive *
plain_update(const struct fl_model *base, const char *id, size_t i)
{
	struct fl_err err = FL_ERR_INIT;
	struct fl_model *d = fl_model_dup(base);
	struct fl_archive *a = NULL;
	struct fl_rng r;
	float *p;
	size_t k;

	fl_rng_seed(&r, 7 + i, "delta");
	p = fl_model_params(d);
	for (k = 0; k < fl_model_nparams(d); k++)
		p[k] = (float)(fl_rng_uniform(&r) - 0.5);
	if (fl_model_to_archive(d, FL_KIND_UPDATE, &a, &err) == 0) {
		json_object_set_new(fl_archive_manifest(a), "parent",
		    json_string(id));
		json_object_set_new(fl_archive_manifest(a), "round",
		    json_integer(0));
		json_object_set_new(fl_archive_manifest(a), "site",
		    json_string(names[i]));
		json_object_set_new(fl_archive_manifest(a), "samples",
		    json_integer((json_int_t)(100 + 37 * i)));
		fl_archive_update_id(a, &err);
	}
	fl_model_free(d);
	return a;
}

/* The aggregated model's parameters into p (3 + 1 of them). */
static int
result(struct fl_archive *out, struct fl_model **m)
{
	struct fl_err err = FL_ERR_INIT;

	return fl_model_from_archive(m, out, &err);
}

/*
 * Masked FedAvg against plain FedAvg, with every site, then with site
 * s4 dropped and recovered; a tampered seed is refused.
 */
static void
test_round(int drop)
{
	struct fl_err err = FL_ERR_INIT;
	struct fl_model *base = NULL, *mp = NULL, *mm = NULL;
	struct fl_archive *ba = NULL, *u[NSITES], *mu[NSITES], *out = NULL;
	struct fl_archive *req = NULL, *sh[NSITES] = { NULL }, *bad = NULL;
	struct fl_agg *gp = NULL, *gm = NULL, *gt = NULL;
	struct fl_secagg *s = NULL, *st = NULL;
	json_t *rec = NULL, *shares;
	size_t i, k, clipped, n = drop ? NSITES - 1 : NSITES;
	double bound, w = 0, step;
	char roster[256];
	const char *id;
	int within = 1;

	snprintf(roster, sizeof(roster), "%s/roster", unit_dirbuf());
	if (fl_model_new(&base, "logreg", FL_TASK_BINARY, 0, 3, feats, "y",
	    &err) < 0 || fl_model_to_archive(base, FL_KIND_MODEL, &ba,
	    &err) < 0 || fl_archive_update_id(ba, &err) < 0) {
		CHECK(0);
		return;
	}
	id = fl_archive_id(ba);
	CHECK_OK(fl_agg_new(&gp, base, id, 0, "fedavg", &err), &err);
	CHECK_OK(fl_agg_new(&gm, base, id, 0, "fedavg", &err), &err);
	CHECK_OK(fl_secagg_new(&s, base, id, 0, &err), &err);
	for (i = 0; i < NSITES; i++) {
		u[i] = plain_update(base, id, i);
		mu[i] = plain_update(base, id, i);
		CHECK_OK(fl_update_mask(&mu[i], base, keys[i], roster, 256.0, 1,
		    &clipped, &err), &err);
		CHECK(clipped == 0);
		CHECK_OK(fl_archive_update_id(mu[i], &err), &err);
		if (i < n) {
			CHECK_OK(fl_agg_add(gp, u[i], names[i], NULL, &err),
			    &err);
			CHECK_OK(fl_secagg_add(s, mu[i], names[i], NULL, &err),
			    &err);
			w += 100 + 37 * i;
		}
	}
	if (drop) {
		CHECK(fl_secagg_request(s, &req, &err) == 1);
		CHECK_OK(fl_archive_update_id(req, &err), &err);
		/* The dropped site does not answer; the survivors do. */
		CHECK(fl_recovery_shares(req, keys[NSITES - 1], &sh[0],
		    &err) == FL_EVERIFY);
		for (i = 0; i < n; i++) {
			CHECK_OK(fl_recovery_shares(req, keys[i], &sh[i], &err),
			    &err);
			CHECK_OK(fl_archive_update_id(sh[i], &err), &err);
			CHECK_OK(fl_secagg_add(s, sh[i], "shares", NULL, &err),
			    &err);
		}
		/* A seed changed in s1's shares fails its commitment. */
		CHECK_OK(fl_agg_new(&gt, base, id, 0, "fedavg", &err), &err);
		CHECK_OK(fl_secagg_new(&st, base, id, 0, &err), &err);
		for (i = 0; i < n; i++)
			CHECK_OK(fl_secagg_add(st, mu[i], names[i], NULL, &err),
			    &err);
		shares = json_object_get(fl_archive_manifest(sh[0]), "shares");
		json_object_set_new(shares, "s4", json_string(
		    "AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA="));
		for (i = 0; i < n; i++)
			CHECK_OK(fl_secagg_add(st, sh[i], "shares", NULL, &err),
			    &err);
		CHECK(fl_secagg_finish(st, gt, &rec, &err) == FL_EVERIFY);
		CHECK(strstr(err.msg, "commitment") != NULL);
	} else
		CHECK(fl_secagg_request(s, &req, &err) == 0);
	json_decref(rec);
	rec = NULL;
	CHECK_OK(fl_secagg_finish(s, gm, &rec, &err), &err);
	CHECK(json_array_size(json_object_get(rec, "dropped")) ==
	    (size_t)drop);
	CHECK_OK(fl_agg_finish(gp, &out, &err), &err);
	CHECK_OK(result(out, &mp), &err);
	fl_archive_free(out);
	out = NULL;
	CHECK_OK(fl_agg_finish(gm, &out, &err), &err);
	CHECK_OK(result(out, &mm), &err);
	/* The bound of fl(7): n x step / W, and float32 rounding. */
	step = 256.0 / (INT32_MAX / NSITES);
	bound = (double)n * step / w;
	for (k = 0; mp != NULL && mm != NULL && k < fl_model_nparams(base);
	    k++)
		within &= fabs((double)fl_model_params(mp)[k] -
		    fl_model_params(mm)[k]) <= bound + 6e-8;
	CHECK(within);
	fl_archive_free(out);
	fl_archive_free(ba);
	fl_archive_free(req);
	fl_archive_free(bad);
	for (i = 0; i < NSITES; i++) {
		fl_archive_free(u[i]);
		fl_archive_free(mu[i]);
		fl_archive_free(sh[i]);
	}
	json_decref(rec);
	fl_agg_free(gp);
	fl_agg_free(gm);
	fl_agg_free(gt);
	fl_secagg_free(s);
	fl_secagg_free(st);
	fl_model_free(base);
	fl_model_free(mp);
	fl_model_free(mm);
}

static void
test_full(void)
{
	test_round(0);
}

static void
test_dropout(void)
{
	test_round(1);
}

int
main(void)
{
	struct fl_err err = FL_ERR_INIT;
	char dir[256];
	size_t i;

	for (i = 0; i < NSITES; i++)
		if (fl_seckey_generate(&keys[i], names[i], &err) < 0)
			return 1;
	if (unit_tmpdir("secagg") == NULL)
		return 1;
	snprintf(dir, sizeof(dir), "%s/roster", unit_dirbuf());
	if (fl_keydir_create(dir, &err) < 0 || write_keys() < 0)
		return 1;
	unit_run("cancel", test_cancel);
	unit_run("uniform", test_uniform);
	unit_run("full", test_full);
	unit_run("dropout", test_dropout);
	unit_rmtmpdir();
	for (i = 0; i < NSITES; i++)
		fl_seckey_free(keys[i]);
	return unit_done("test_secagg");
}
