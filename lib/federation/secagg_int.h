/*
 * secagg_int.h: what secagg.c (masking, summing) and recovery.c (dropout
 * requests and shares) share.  Private to lib/federation.
 */
#ifndef FL_SECAGG_INT_H
#define FL_SECAGG_INT_H

#include "federation/federation.h"

/*
 * Check a manifest's roster, an array of 2 to FL_MASK_MAX_ROSTER
 * {"site", "keyid", "pub"} sorted by site, each key id that of its pub,
 * no site or key twice, into keys[0..*n) (a new array the caller frees;
 * role FL_ROLE_SITE, name the site).  Errors: FL_EFORMAT, FL_ENOMEM.
 */
int	fl_roster_parse(const json_t *roster, struct fl_pubkey **keys,
	    size_t *n, struct fl_err *err);
/* The index of site in keys[0..n), or -1. */
long	fl_roster_find(const struct fl_pubkey *keys, size_t n,
	    const char *site);

#endif
