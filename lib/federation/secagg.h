/*
 * federation/secagg.h: secure aggregation over files (lib/federation/
 * secagg.c, recovery.c; the masks themselves are lib/trust/pairmask.c).
 * Included by federation/federation.h.  The protocol, its error bound and
 * its threat model are in fl(7) and fl-train(1).
 */
#ifndef FL_LIB_SECAGG_H
#define FL_LIB_SECAGG_H

/*
 * A masked update (fl-train --mask) holds, for each parameter tensor of
 * the model, a U32 tensor of the same name and shape: q + sum over the
 * other roster sites j of +-mask_ij, mod 2^32, where q is the
 * sample-weighted delta (samples x delta) clipped to [-range, range] and
 * stochastically rounded to the grid step = range / levels, levels =
 * floor((2^31 - 1) / N) for a roster of N sites, so that the sum of up to
 * N sites never wraps.  Its manifest's "mask" is {"scheme": "fl-mask-1",
 * "range", "levels", "roster": [{"site", "keyid", "pub"}] (sorted by
 * site), "commits": {SITE: commitment to the seed shared with SITE}}.
 */
#define FL_MASK_SCHEME		"fl-mask-1"
#define FL_MASK_MAX_ROSTER	1024
#define FL_MASK_RANGE_DEFAULT	65536.0

/*
 * Mask the plain update *upd of model m (from fl-train, unsigned) for the
 * roster in the folder roster (site keys at its top, as a trust folder;
 * sk's key among them under the update's site name), with clipping range
 * range and stochastic rounding seeded by seed.  *upd is replaced by the
 * masked update (the old one is freed); *clipped gets the number of
 * values clipped.  Errors: FL_EUSAGE (a roster of fewer than 2 sites, sk
 * or the site not in it, state vectors in the update), FL_ENUM (a value
 * that is not finite), FL_EIO and FL_EFORMAT (the roster), FL_ENOMEM.
 */
int		 fl_update_mask(struct fl_archive **upd,
		    const struct fl_model *m, const struct fl_seckey *sk,
		    const char *roster, double range, uint64_t seed,
		    size_t *clipped, struct fl_err *err);
/* Whether a is a masked update (an update whose manifest has "mask"). */
int		 fl_update_is_masked(const struct fl_archive *a);

/*
 * The coordinator's side: a sum mod 2^32 of the masked updates of one
 * round of base (borrowed; its archive id base_id), and the survivors'
 * recovery shares.  fl_secagg_add takes a masked update or a recovery
 * archive (signer: its trusted signer's key id, or NULL).
 */
struct fl_secagg;
struct fl_agg;
int		 fl_secagg_new(struct fl_secagg **s, const struct fl_model *base,
		    const char *base_id, int round, struct fl_err *err);
/* Errors: FL_EFORMAT, FL_ESHAPE, FL_EVERIFY, FL_ENOMEM; messages name
 * name. */
int		 fl_secagg_add(struct fl_secagg *s, const struct fl_archive *a,
		    const char *name, const char *signer, struct fl_err *err);
/*
 * When roster sites sent no masked update and no recovery shares were
 * given: a new recovery request archive in *req (kind recovery, no site,
 * unsigned) naming the survivors and the dropped sites, and 1; 0 (and
 * *req NULL) when every roster site is present.  Errors: FL_ENOMEM.
 */
int		 fl_secagg_request(struct fl_secagg *s, struct fl_archive **req,
		    struct fl_err *err);
/*
 * Unmask the sum (with the recovery shares, when sites dropped),
 * dequantise it and add it to g as one sum (fl_agg_add_sum); *record
 * gets the round's "masked" record for the manifest and history.
 * Errors: FL_EFORMAT (missing sites, shares that do not match them,
 * fewer than 2 updates), FL_EVERIFY (a seed that does not match its
 * commitment, sites whose commitments disagree), FL_EUSAGE (g's
 * strategy or options need each update), FL_ENOMEM.
 */
int		 fl_secagg_finish(struct fl_secagg *s, struct fl_agg *g,
		    json_t **record, struct fl_err *err);
void		 fl_secagg_free(struct fl_secagg *s);

/*
 * At a survivor (fl-pack recover): the shares for request req (a
 * recovery request, already trusted by the caller): the seeds sk shares
 * with each dropped site, in a new recovery archive naming sk's site,
 * unsigned.  Refused (FL_EVERIFY) when sk is not a survivor of the
 * request's roster, when it names sk's site dropped, or when the roster
 * is malformed; FL_EFORMAT for a request that is not one.
 */
int		 fl_recovery_shares(const struct fl_archive *req,
		    const struct fl_seckey *sk, struct fl_archive **out,
		    struct fl_err *err);

/*
 * Add the dequantised sum of masked updates to g (lib/federation/
 * aggregate.c): wsum (nparams) is the sum of samples_k x delta_k, total
 * the sum of the samples, contributors an array of {id, site, samples,
 * signer} (borrowed) counted as that many updates.  Errors: FL_EUSAGE (a
 * robust strategy, --clip or --dp-noise: they need each update),
 * FL_EFORMAT (a site seen before), FL_ENOMEM.
 */
int		 fl_agg_add_sum(struct fl_agg *g, const double *wsum,
		    int64_t total, const json_t *contributors,
		    struct fl_err *err);

#endif /* FL_LIB_SECAGG_H */
