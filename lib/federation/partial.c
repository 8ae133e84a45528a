/*
 * partial.c: partial sums for aggregation trees.  fl-aggregate --partial
 * writes, instead of a model, the exact weighted sums of the updates it
 * read (lib/federation/exact.c), their weight total and their
 * contributor records; fl-aggregate reads such partials wherever it
 * reads updates.  Integer sums make any tree of partials give the flat
 * aggregate's model byte for byte.  The layout is in fl-archive(5)
 * ("partial"), the use in fl-aggregate(1) ("AGGREGATION TREES").
 */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "agg_int.h"

#define CHUNK	4096	/* int64s copied out of an archive at a time */

/* The mean strategies without a server step compose; others refuse. */
static int
composes(const struct fl_agg *g, const char *what, struct fl_err *err)
{
	const struct fl_strategy *s = g->strategy;

	if (s->robust)
		return fl_err_set(err, FL_EUSAGE, "%s: %s needs every update "
		    "itself, not partial sums (give the updates)", what,
		    s->name);
	return 0;
}

/* 1 when the round weighs every update the same (central DP). */
static int
equal_weights(const struct fl_agg *g)
{
	return g->o.dp_noise > 0;
}

/* Add the I64 tensor name (n values, and its optional "_hi" twin) of p
 * to x. */
static int
add_sum(struct fl_xacc *x, const struct fl_archive *p, const char *tname,
    size_t n, const char *name, struct fl_err *err)
{
	struct fl_tensor lo, hi;
	char hname[64];
	int64_t bl[CHUNK], bh[CHUNK];
	size_t i, k;
	int has_hi, rc;

	snprintf(hname, sizeof(hname), "%s_hi", tname);
	if (fl_archive_find(p, tname, &lo) < 0)
		return fl_err_set(err, FL_EFORMAT, "%s: partial has no tensor "
		    "'%s'", name, tname);
	has_hi = fl_archive_find(p, hname, &hi) == 0;
	if (lo.dtype != FL_DTYPE_I64 || lo.ndim != 1 || lo.shape[0] != n ||
	    (has_hi && (hi.dtype != FL_DTYPE_I64 || hi.ndim != 1 ||
	    hi.shape[0] != n)))
		return fl_err_set(err, FL_ESHAPE, "%s: partial's '%s' is not "
		    "I64 (%zu), one per parameter of the model", name,
		    has_hi && lo.dtype == FL_DTYPE_I64 && lo.ndim == 1 &&
		    lo.shape[0] == n ? hname : tname, n);
	for (i = 0; i < n; i += k) {
		k = n - i < CHUNK ? n - i : CHUNK;
		memcpy(bl, (const int64_t *)lo.data + i, k * sizeof(int64_t));
		if (has_hi)
			memcpy(bh, (const int64_t *)hi.data + i,
			    k * sizeof(int64_t));
		if ((rc = fl_xacc_add_raw(x, i, bl, has_hi ? bh : NULL, k,
		    err)) < 0)
			return fl_err_prefix(err, "%s: %s", name, tname);
	}
	return 0;
}

/* Check one contributor record of a partial and count its site. */
static int
add_contributor(struct fl_agg *g, const json_t *e, const char *name,
    int64_t *samples, struct fl_err *err)
{
	const json_t *id = json_object_get(e, "id");
	const json_t *site = json_object_get(e, "site");
	const json_t *n = json_object_get(e, "samples");
	const json_t *signer = json_object_get(e, "signer");

	if (!json_is_object(e) || json_object_size(e) != 4 ||
	    !json_is_string(id) || !json_is_string(site) ||
	    !fl_name_ok(json_string_value(site)) || !json_is_integer(n) ||
	    json_integer_value(n) <= 0 ||
	    json_integer_value(n) > FL_MAX_SAMPLES ||
	    (!json_is_string(signer) && !json_is_null(signer)))
		return fl_err_set(err, FL_EFORMAT, "%s: a contributor record "
		    "is not {id, site, samples, signer}", name);
	if (json_object_get(g->sites, json_string_value(site)) != NULL)
		return fl_err_set(err, FL_EFORMAT, "%s: a second update from "
		    "site '%s' in round %d", name, json_string_value(site),
		    g->base_round);
	if (json_integer_value(n) > INT64_MAX - *samples)
		return fl_err_set(err, FL_EFORMAT, "%s: samples overflow",
		    name);
	*samples += json_integer_value(n);
	if (json_object_set_new(g->sites, json_string_value(site),
	    json_true()) < 0 ||
	    json_array_append(g->contributors, (json_t *)e) < 0)
		return fl_err_set(err, FL_ENOMEM, "out of memory");
	return 0;
}

/* The partial's integer key, which must be present and in [lo, hi]. */
static int
get_count(const json_t *man, const char *key, int64_t lo, int64_t hi,
    int64_t *v, const char *name, struct fl_err *err)
{
	if (fl_json_get_int(man, key, v, err) < 0)
		return fl_err_prefix(err, "%s", name);
	if (*v < lo || *v > hi)
		return fl_err_set(err, FL_EFORMAT, "%s: '%s' is out of range "
		    "(%lld)", name, key, (long long)*v);
	return 0;
}

int
fl_agg_add_partial(struct fl_agg *g, const struct fl_archive *p,
    const char *name, const char *signer, struct fl_err *err)
{
	json_t *man = fl_archive_manifest((struct fl_archive *)p);
	const json_t *contrib = json_object_get(man, "contributors");
	const json_t *clip = json_object_get(man, "clip");
	const char *parent, *weights;
	json_t *e;
	size_t i, n = fl_model_nparams(g->base), k;
	int64_t round, samples, weight, updates, ndc, bits, sum = 0;
	int rc;

	if ((rc = composes(g, name, err)) < 0)
		return rc;
	if (fl_archive_streamed(p) && g->st.kind != FL_KIND_PARTIAL)
		return fl_err_set(err, FL_EUSAGE, "%s: not streamed into this "
		    "round", name);
	if (fl_json_get_str(man, "parent", &parent, err) < 0 ||
	    fl_json_get_int(man, "round", &round, err) < 0 ||
	    fl_json_get_str(man, "weights", &weights, err) < 0)
		return fl_err_prefix(err, "%s", name);
	if (strcmp(parent, g->base_id) != 0 || round != g->base_round)
		return fl_err_set(err, FL_EFORMAT, "%s: partial sums updates "
		    "of the round-%lld model %.19s..., not of this round-%d "
		    "model %.19s...", name, (long long)round, parent,
		    g->base_round, g->base_id);
	if ((rc = get_count(man, "fixed_point", FL_XACC_BITS, FL_XACC_BITS,
	    &bits, name, err)) < 0 ||
	    (rc = get_count(man, "samples", 1, INT64_MAX - g->samples,
	    &samples, name, err)) < 0 ||
	    (rc = get_count(man, "weight", 1, INT64_MAX - g->total, &weight,
	    name, err)) < 0 ||
	    (rc = get_count(man, "updates", 1, 1 << 30, &updates, name,
	    err)) < 0 ||
	    (rc = get_count(man, "scaffold_updates", 0, updates, &ndc, name,
	    err)) < 0)
		return rc;
	for (k = 0; k < fl_agg_ndescribe; k++)
		if (!json_equal(json_object_get(g->ref,
		    fl_agg_describe_keys[k]),
		    json_object_get(man, fl_agg_describe_keys[k])))
			return fl_err_set(err, FL_ESHAPE, "%s: '%s' differs "
			    "from the model's", name, fl_agg_describe_keys[k]);
	/* Clipping and the weights happen at the leaves: every partial
	 * must have done what this round does. */
	if (strcmp(weights, equal_weights(g) ? "equal" : "samples") != 0)
		return fl_err_set(err, FL_EUSAGE, "%s: partial weighs its "
		    "updates %s; this round weighs them %s", name,
		    strcmp(weights, "equal") == 0 ? "equally" : "by samples",
		    equal_weights(g) ? "equally (--dp-noise)" : "by samples "
		    "(give --dp-noise to every node of the tree, or to none)");
	if (g->o.clip > 0 ? !json_is_number(clip) ||
	    json_number_value(clip) != g->o.clip :
	    clip != NULL && !json_is_null(clip))
		return fl_err_set(err, FL_EUSAGE, "%s: partial was clipped "
		    "%s; this round %s", name, json_is_number(clip) ?
		    "to another bound" : "not at all", g->o.clip > 0 ?
		    "clips to --clip" : "does not clip (give the same --clip "
		    "to every node of the tree)");
	if (!json_is_array(contrib) || json_array_size(contrib) !=
	    (size_t)updates)
		return fl_err_set(err, FL_EFORMAT, "%s: 'contributors' does "
		    "not list its %lld updates", name, (long long)updates);
	if (weight != (equal_weights(g) ? updates : samples))
		return fl_err_set(err, FL_EFORMAT, "%s: 'weight' %lld does not "
		    "match its updates", name, (long long)weight);
	for (i = 0; i < (size_t)updates; i++)
		if ((rc = add_contributor(g, json_array_get(contrib, i), name,
		    &sum, err)) < 0)
			return rc;
	if (sum != samples)
		return fl_err_set(err, FL_EFORMAT, "%s: 'samples' is not the "
		    "sum of its contributors'", name);
	if (fl_archive_streamed(p)) {
		/* In the sums already (stream.c): their errors, in order. */
		g->st.kind = -1;
		if ((rc = fl_agg_stream_added(g, 0, name, "sum", err)) < 0 ||
		    (ndc > 0 && (rc = fl_agg_stream_added(g, 1, name,
		    "scaffold_dc_sum", err)) < 0))
			return rc;
	} else {
		if ((rc = add_sum(g->acc, p, "sum", n, name, err)) < 0)
			return rc;
		if (ndc > 0 && g->dc == NULL && (rc = fl_xacc_new(&g->dc, n,
		    err)) < 0)
			return rc;
		if (ndc > 0 && (rc = add_sum(g->dc, p, "scaffold_dc_sum", n,
		    name, err)) < 0)
			return rc;
	}
	g->ndc += (size_t)ndc;
	g->total += weight;
	g->samples += samples;
	g->count += (size_t)updates;
	g->partials++;
	e = json_pack("{s:s, s:s?}", "id", fl_archive_id(p), "signer", signer);
	if (e == NULL || json_array_append_new(g->partial_list, e) < 0)
		return fl_err_set(err, FL_ENOMEM, "out of memory");
	return 0;
}

/* Append sum x as I64 tensor tname, and tname_hi when it has high words.
 * The first sum of an archive (a holds no tensors) is not copied: a
 * takes its memory. */
static int
put_sum(struct fl_archive *a, struct fl_xacc *x, const char *tname,
    struct fl_err *err)
{
	size_t n = fl_xacc_len(x), shape[1];
	char hname[64];
	int64_t *hi;
	int rc;

	shape[0] = n;
	if (fl_archive_ntensors(a) == 0) {
		if ((rc = fl_archive_adopt(a, fl_xacc_take(x, n *
		    sizeof(int64_t)), n * sizeof(int64_t), err)) < 0)
			return rc;
		if (fl_archive_add_tensor_at(a, tname, FL_DTYPE_I64, 1, shape,
		    err) == NULL)
			return err->code;
	} else if ((rc = fl_archive_add_tensor(a, tname, FL_DTYPE_I64, 1,
	    shape, fl_xacc_lo(x), err)) < 0)
		return rc;
	if (!fl_xacc_has_hi(x))
		return 0;
	snprintf(hname, sizeof(hname), "%s_hi", tname);
	if ((hi = fl_archive_add_tensor_uninit(a, hname, FL_DTYPE_I64, 1,
	    shape, err)) == NULL)
		return err->code;
	fl_xacc_hi(x, hi);
	return 0;
}

int
fl_agg_finish_partial(struct fl_agg *g, struct fl_archive **out,
    struct fl_err *err)
{
	json_t *man;
	size_t k;
	int rc;

	*out = NULL;
	if ((rc = composes(g, "--partial", err)) < 0)
		return rc;
	if (g->strategy->step != NULL)
		return fl_err_set(err, FL_EUSAGE, "--partial: %s's server "
		    "step applies once, at the root; make partials with "
		    "--strategy fedavg", g->strategy->name);
	if (g->count == 0)
		return fl_err_set(err, FL_EUSAGE, "no updates to aggregate");
	if ((*out = fl_archive_new(FL_KIND_PARTIAL)) == NULL)
		return fl_err_set(err, FL_ENOMEM, "out of memory");
	man = fl_archive_manifest(*out);
	for (k = 0; k < fl_agg_ndescribe; k++)
		if (json_object_set(man, fl_agg_describe_keys[k],
		    json_object_get(g->ref, fl_agg_describe_keys[k])) < 0)
			goto nomem;
	if (json_object_set_new(man, "round",
	    json_integer(g->base_round)) < 0 ||
	    json_object_set_new(man, "parent", json_string(g->base_id)) < 0 ||
	    json_object_set_new(man, "site", json_null()) < 0 ||
	    json_object_set_new(man, "samples",
	    json_integer((json_int_t)g->samples)) < 0 ||
	    json_object_set_new(man, "weight",
	    json_integer((json_int_t)g->total)) < 0 ||
	    json_object_set_new(man, "weights", json_string(equal_weights(g) ?
	    "equal" : "samples")) < 0 ||
	    json_object_set_new(man, "clip", g->o.clip > 0 ?
	    json_real(g->o.clip) : json_null()) < 0 ||
	    json_object_set_new(man, "updates",
	    json_integer((json_int_t)g->count)) < 0 ||
	    json_object_set_new(man, "scaffold_updates",
	    json_integer((json_int_t)g->ndc)) < 0 ||
	    json_object_set_new(man, "fixed_point",
	    json_integer(FL_XACC_BITS)) < 0 ||
	    json_object_set(man, "contributors", g->contributors) < 0)
		goto nomem;
	if ((rc = put_sum(*out, g->acc, "sum", err)) < 0 ||
	    (g->dc != NULL && (rc = put_sum(*out, g->dc, "scaffold_dc_sum",
	    err)) < 0)) {
		fl_archive_free(*out);
		*out = NULL;
		return rc;
	}
	return 0;
nomem:
	fl_archive_free(*out);
	*out = NULL;
	return fl_err_set(err, FL_ENOMEM, "out of memory");
}
