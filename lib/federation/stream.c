/*
 * stream.c: updates and partials added to the exact sums
 * (lib/federation/exact.c) as their tensors are read (fl_reader_set_sink,
 * lib/format/archive.c), so that fl-aggregate holds one sum, never a
 * whole update: memory of twice the model, however many updates.  Only
 * the archive's verdict waits for its end: the reader checks the id
 * after the data, fl_agg_add and fl_agg_add_partial check the rest, and
 * what streaming found (a value not finite, a term too large) is
 * reported there, in the order of the unstreamed path.
 */
#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "agg_int.h"

#define IBUF	512	/* int64s of a partial copied out at a time */

int
fl_agg_streams(const struct fl_agg *g)
{
	return !IS_ROBUST(g->strategy) && !(g->o.clip > 0) && g->acc != NULL;
}

/* Whether the round's model can be written over its sum (the mean
 * strategies, --clip too), so that the base may wait in a file. */
int
fl_agg_inplace(const struct fl_agg *g)
{
	return !IS_ROBUST(g->strategy) && g->acc != NULL;
}

/* The model tensor named name, or -1. */
static long
param_index(const struct fl_model *m, const char *name)
{
	size_t i;

	for (i = 0; i < fl_model_ntensors(m); i++)
		if (strcmp(fl_model_tensor(m, i)->name, name) == 0)
			return (long)i;
	return -1;
}

/* A state vector's name, as fl_archive_params takes it: 1 to 64 of
 * [a-z0-9_]. */
static int
state_name_ok(const char *name)
{
	size_t i;

	for (i = 0; name[i] != '\0'; i++)
		if (i >= 64 || !((name[i] >= 'a' && name[i] <= 'z') ||
		    (name[i] >= '0' && name[i] <= '9') || name[i] == '_'))
			return 0;
	return i > 0;
}

static int
is_vec(const struct fl_tensor *t, enum fl_dtype dt, size_t n)
{
	return t->dtype == dt && t->ndim == 1 && t->shape[0] == n;
}

/* Routes for an update: its parameter tensors to the sum, scaffold_dc
 * to dc.  0 when it is not exactly what fl_archive_params binds. */
static int
route_update(struct fl_agg *g, const struct fl_archive *a)
{
	const struct fl_param_tensor *p;
	struct fl_tensor t;
	size_t i, k, n = fl_model_nparams(g->base), found = 0;
	unsigned char seen[2 * (FL_MAX_STAGES + FL_MAX_LAYERS)];
	long j;

	if (fl_model_ntensors(g->base) > sizeof(seen))
		return 0;
	memset(seen, 0, sizeof(seen));
	for (i = 0; i < fl_archive_ntensors(a); i++) {
		fl_archive_tensor(a, i, &t);
		g->st.route[i].to = FL_TO_SKIP;
		if ((j = param_index(g->base, t.name)) >= 0) {
			p = fl_model_tensor(g->base, (size_t)j);
			if (seen[j] || t.dtype != FL_DTYPE_F32 ||
			    t.ndim != p->ndim)
				return 0;
			for (k = 0; k < p->ndim; k++)
				if (t.shape[k] != p->shape[k])
					return 0;
			seen[j] = 1;
			found++;
			g->st.route[i].to = FL_TO_ACC;
			g->st.route[i].off = p->off;
		} else if (strncmp(t.name, "state/", 6) == 0 &&
		    state_name_ok(t.name + 6) && is_vec(&t, FL_DTYPE_F32, n)) {
			if (strcmp(t.name, "state/scaffold_dc") == 0) {
				g->st.route[i].to = FL_TO_DC;
				g->st.route[i].off = 0;
				g->st.has_dc = 1;
			}
		} else
			return 0;
	}
	return found == fl_model_ntensors(g->base);
}

/* Routes for a partial: "sum" (and "sum_hi") to the sum, the SCAFFOLD
 * sums to dc when it counts any.  0 when fl_agg_add_partial would refuse
 * their shapes. */
static int
route_partial(struct fl_agg *g, const struct fl_archive *a)
{
	static const char *const names[] = { "sum", "sum_hi",
	    "scaffold_dc_sum", "scaffold_dc_sum_hi" };
	json_t *man = fl_archive_manifest((struct fl_archive *)a);
	const json_t *nd = json_object_get(man, "scaffold_updates");
	struct fl_tensor t;
	size_t i, k, n = fl_model_nparams(g->base);
	int dc = json_is_integer(nd) && json_integer_value(nd) > 0, have = 0;

	for (i = 0; i < fl_archive_ntensors(a); i++) {
		fl_archive_tensor(a, i, &t);
		g->st.route[i].to = FL_TO_SKIP;
		g->st.route[i].off = 0;
		for (k = 0; k < 4; k++)
			if (strcmp(t.name, names[k]) == 0)
				break;
		if (k == 4 || (k >= 2 && !dc))
			continue;
		if (!is_vec(&t, FL_DTYPE_I64, n))
			return 0;
		have |= 1 << k;
		g->st.route[i].to = k == 0 ? FL_TO_ACC_LO : k == 1 ?
		    FL_TO_ACC_HI : k == 2 ? FL_TO_DC_LO : FL_TO_DC_HI;
	}
	g->st.has_dc = dc;
	return (have & 1) && (!dc || (have & 4));
}

int
fl_agg_stream_begin(struct fl_agg *g, const struct fl_archive *a,
    struct fl_err *err)
{
	json_t *man = fl_archive_manifest((struct fl_archive *)a);
	const json_t *smp = json_object_get(man, "samples");
	size_t nt = fl_archive_ntensors(a);
	struct fl_route *r;
	int ok, rc;

	g->st.kind = -1;
	if (!fl_agg_streams(g) || nt == 0)
		return 0;
	if (fl_archive_kind(a) == FL_KIND_UPDATE) {
		if (!json_is_integer(smp) || json_integer_value(smp) <= 0 ||
		    json_integer_value(smp) > FL_MAX_SAMPLES)
			return 0;
		g->st.w = g->o.dp_noise > 0 ? 1.0 :
		    (double)json_integer_value(smp);
	} else if (fl_archive_kind(a) != FL_KIND_PARTIAL)
		return 0;
	if (nt > g->st.nroute) {
		if ((r = realloc(g->st.route, nt * sizeof(*r))) == NULL)
			return fl_err_set(err, FL_ENOMEM, "out of memory");
		g->st.route = r;
		g->st.nroute = nt;
	}
	g->st.has_dc = 0;
	ok = fl_archive_kind(a) == FL_KIND_UPDATE ? route_update(g, a) :
	    route_partial(g, a);
	if (!ok)
		return 0;
	if (g->st.has_dc && g->dc == NULL &&
	    (rc = fl_xacc_new(&g->dc, fl_model_nparams(g->base), err)) < 0)
		return rc;
	g->st.kind = (int)fl_archive_kind(a);
	g->st.nf = g->st.nf_dc = (size_t)-1;
	g->st.add_err.code = g->st.dc_err.code = 0;
	return 1;
}

/* Note the first value not finite of p[0..n), tensor offset off. */
static void
note_nonfinite(const unsigned char *p, size_t n, size_t off, size_t *nf,
    float *nfv)
{
	size_t i = fl_f32_first_nonfinite(p, n);

	if (i < n && (*nf == (size_t)-1 || off + i < *nf)) {
		*nf = off + i;
		memcpy(nfv, p + 4 * i, 4);
	}
}

/* n F32 values into x (w each), or only looked at once x failed. */
static void
add_f32(struct fl_xacc *x, const unsigned char *p, size_t n, size_t off,
    double w, size_t *nf, float *nfv, struct fl_err *ferr)
{
	struct fl_err e = FL_ERR_INIT;
	size_t i = (size_t)-1, bad;

	if (ferr->code == 0) {
		if (fl_xacc_add_f32le(x, off, p, n, w, &i, &bad, &e) == 0) {
			if (i != (size_t)-1 && (*nf == (size_t)-1 ||
			    off + i < *nf)) {
				*nf = off + i;
				memcpy(nfv, p + 4 * i, 4);
			}
			return;
		}
		*ferr = e;
	}
	note_nonfinite(p, n, off, nf, nfv);
}

/* n I64 values, low or high words, into x. */
static void
add_i64(struct fl_xacc *x, const unsigned char *p, size_t n, size_t off,
    int hi, struct fl_err *ferr)
{
	int64_t b[IBUF];
	size_t i, k;

	for (i = 0; i < n && ferr->code == 0; i += k) {
		k = n - i < IBUF ? n - i : IBUF;
		memcpy(b, p + 8 * i, k * 8);
		if (hi)
			(void)fl_xacc_add_hi(x, off + i, b, k, ferr);
		else
			(void)fl_xacc_add_raw(x, off + i, b, NULL, k, ferr);
	}
}

static int
sink_begin(void *ctx, const struct fl_archive *a, struct fl_err *err)
{
	return fl_agg_stream_begin(ctx, a, err);
}

static int
sink_data(void *ctx, size_t t, size_t at, const void *p, size_t n,
    struct fl_err *err)
{
	struct fl_agg *g = ctx;
	struct fl_agg_stream *st = &g->st;
	const struct fl_route *r = &st->route[t];

	(void)err;
	switch (r->to) {
	case FL_TO_ACC:
		add_f32(g->acc, p, n, r->off + at, st->w, &st->nf, &st->nfv,
		    &st->add_err);
		break;
	case FL_TO_DC:
		add_f32(g->dc, p, n, at, 1.0, &st->nf_dc, &st->nfv_dc,
		    &st->dc_err);
		break;
	case FL_TO_ACC_LO:
	case FL_TO_ACC_HI:
		add_i64(g->acc, p, n, at, r->to == FL_TO_ACC_HI,
		    &st->add_err);
		break;
	case FL_TO_DC_LO:
	case FL_TO_DC_HI:
		add_i64(g->dc, p, n, at, r->to == FL_TO_DC_HI, &st->dc_err);
		break;
	}
	return 0;
}

void
fl_agg_sink(struct fl_agg *g, struct fl_sink *s)
{
	s->begin = sink_begin;
	s->data = sink_data;
	s->ctx = g;
}

int
fl_agg_stream_nonfinite(struct fl_agg *g, const char *name,
    struct fl_err *err)
{
	if (g->st.nf == (size_t)-1)
		return 0;
	return fl_err_set(err, FL_ENUM, "%s: update holds %s at parameter "
	    "%zu", name, isnan(g->st.nfv) ? "NaN" : "Inf", g->st.nf);
}

int
fl_agg_stream_dc_nonfinite(struct fl_agg *g, const char *name,
    struct fl_err *err)
{
	if (g->st.nf_dc == (size_t)-1)
		return 0;
	return fl_err_set(err, FL_ENUM, "%s: scaffold_dc holds %s at %zu",
	    name, isnan(g->st.nfv_dc) ? "NaN" : "Inf", g->st.nf_dc);
}

int
fl_agg_stream_added(struct fl_agg *g, int dc, const char *name,
    const char *what, struct fl_err *err)
{
	const struct fl_err *e = dc ? &g->st.dc_err : &g->st.add_err;

	if (e->code == 0)
		return 0;
	*err = *e;
	return what != NULL ? fl_err_prefix(err, "%s: %s", name, what) :
	    fl_err_prefix(err, "%s", name);
}

int
fl_agg_spool_base(struct fl_agg *g, struct fl_err *err)
{
	const char *dir = getenv("TMPDIR");
	const float *p = fl_model_params_const(g->base);
	size_t want = fl_model_nparams(g->base) * sizeof(float), got;
	char path[4096];
	ssize_t r;

	if (!fl_agg_inplace(g) || g->bspool >= 0)
		return 0;
	snprintf(path, sizeof(path), "%s/fl-aggregate.XXXXXX",
	    dir != NULL && *dir != '\0' ? dir : "/tmp");
	if ((g->bspool = mkstemp(path)) < 0)
		return fl_err_set(err, FL_EIO, "%s: %s", path,
		    strerror(errno));
	unlink(path);
	for (got = 0; got < want; got += (size_t)r) {
		r = write(g->bspool, (const char *)p + got, want - got);
		if (r < 0 && errno == EINTR) {
			r = 0;
			continue;
		}
		if (r <= 0)
			return fl_err_set(err, FL_EIO, "spool: write: %s",
			    r < 0 ? strerror(errno) : "no space");
	}
	return 1;
}
