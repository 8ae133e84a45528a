/*
 * trust/trust.h: the trust layer of libfl: keys, signatures, trust folders
 * and their roles, sealing, sealed readers, lineage.
 * Layers include downwards only (README.md, "Source tour"); fl.h
 * includes them all.
 */
#ifndef FL_LIB_TRUST_H
#define FL_LIB_TRUST_H

#include "format/format.h"

/* ------------------------------------------------------------------------ */
/* Lineage (lib/trust/lineage.c).                                             */

/*
 * A model's "history" is an array with one entry per round, oldest first:
 * {"round", "parent": the id of the model the round's updates were
 * trained from, "strategy", "updates": [{id, site, samples, signer}],
 * "prev": "sha256:..." of the previous entry's canonical JSON (sorted
 * keys, compact), or null for the first}.  Each entry is chained to the
 * one before it, and the model's id and signature cover all of them.
 */
/* Append an entry for round (from parent, with updates) to history.
 * Returns 0 or -1 when out of memory. */
int		 fl_history_append(json_t *history, int round,
		    const char *parent, const char *strategy,
		    const json_t *updates);
/* Check manifest's history: every "prev" link, consecutive rounds, and
 * that the last entry is this model's parent and round - 1.  A model with
 * no history passes only at round 0.  Errors: FL_EVERIFY, one line naming
 * the entry. */
int		 fl_history_check(const json_t *manifest, struct fl_err *err);
/* Print the history as TSV with the header
 * "round\tparent\tsite\tsamples\tupdate\tsigner", one line per update.
 * Errors: FL_EFORMAT, FL_EIO. */
int		 fl_history_print(const json_t *manifest, FILE *out,
		    struct fl_err *err);

/* ------------------------------------------------------------------------ */
/* Trust: keys, signatures, sealing (lib/trust: key.c, sign.c, seal.c).     */

/*
 * An identity holds an Ed25519 signing key and an X25519 sealing key.  Its
 * key id is the first 16 hex digits of SHA-256(sign_pub || seal_pub).
 * NAME.pub is one line: "fl-pub-1 KEYID BASE64(sign_pub || seal_pub) NAME".
 * NAME.key is one line: "fl-key-1 KEYID BASE64(sign_seed || seal_priv)
 * NAME", mode 0600.  Names are 1 to 128 characters of [A-Za-z0-9._-].
 */
#define FL_KEYID_LEN	16
#define FL_NAME_MAX	128

/* Whether s is a name as keys and sites use them: 1 to FL_NAME_MAX
 * characters of [A-Za-z0-9._-], so that it prints safely in a TSV row
 * or a file name (no control character, no blank, no '/'). */
int		 fl_name_ok(const char *s);

/*
 * What a trusted key may sign (fl-pack(1) SECURITY, fl(7) "Trust"):
 * the .pub files at a trust folder's top level are sites' keys, and an
 * archive that names a site must carry the signature of the site key of
 * that name; the .pub files in its coordinator/ subfolder are
 * coordinators' keys, and an archive that names no site (a model, merged
 * statistics or metrics) must carry a coordinator's signature.  The
 * .pub files in its aggregator/ subfolder are the keys of the inner
 * nodes of an aggregation tree: a partial (fl-aggregate --partial) must
 * carry an aggregator's or a coordinator's signature, and nothing else
 * is accepted on an aggregator's signature alone.
 */
enum fl_role {
	FL_ROLE_SITE,
	FL_ROLE_COORDINATOR,
	FL_ROLE_AGGREGATOR
};

struct fl_pubkey {
	char		keyid[FL_KEYID_LEN + 1];
	char		name[FL_NAME_MAX + 1];
	unsigned char	sign_pub[32];		/* Ed25519 */
	unsigned char	seal_pub[32];		/* X25519 */
	enum fl_role	role;			/* in a trust folder */
};

/* A secret identity; its bytes are wiped (OPENSSL_cleanse) when freed. */
struct fl_seckey;

/* A new identity from OpenSSL's randomness.  Errors: FL_EUSAGE (bad
 * name), FL_ENOMEM. */
int		 fl_seckey_generate(struct fl_seckey **sk, const char *name,
		    struct fl_err *err);
/* Create the directory dir, mode 0700, for key files; a dir that exists
 * (or anything else by that name, which the write then reports) is left
 * as it is, and missing parents are not made.  Errors: FL_EIO. */
int		 fl_keydir_create(const char *dir, struct fl_err *err);
/* Write base.key (O_EXCL, mode 0600; replaced only when force, and then
 * atomically) and base.pub.  Errors: FL_EIO (also: exists without force). */
int		 fl_seckey_write(const struct fl_seckey *sk, const char *base,
		    int force, struct fl_err *err);
/* Read a secret key file; a file readable by group or others is refused
 * (FL_EVERIFY).  Errors: FL_EIO, FL_EFORMAT, FL_EVERIFY. */
int		 fl_seckey_read(struct fl_seckey **sk, const char *path,
		    struct fl_err *err);
const struct fl_pubkey *fl_seckey_pub(const struct fl_seckey *sk);
void		 fl_seckey_free(struct fl_seckey *sk);

/* Read one .pub file.  Errors: FL_EIO, FL_EFORMAT. */
int		 fl_pubkey_read(struct fl_pubkey *pk, const char *path,
		    struct fl_err *err);
/* Read n .pub files into keys[0..n-1] (the caller's storage), in order.
 * Errors: those of fl_pubkey_read, and FL_EUSAGE when two files hold
 * one key ("key KEYID given twice (PATH1, PATH2)"). */
int		 fl_pubkey_read_list(struct fl_pubkey *keys,
		    const char *const *paths, size_t n, struct fl_err *err);

/* The trusted keys: every *.pub file in a directory (role
 * FL_ROLE_SITE), in its coordinator/ subfolder, when there is one
 * (FL_ROLE_COORDINATOR), and in its aggregator/ subfolder, when there
 * is one (FL_ROLE_AGGREGATOR); at least one in all.  Two files with one key id
 * or one name, anywhere in the folder, are FL_EFORMAT. */
struct fl_trust;
int		 fl_trust_load(struct fl_trust **t, const char *dir,
		    struct fl_err *err);
/* The key with this id, or NULL. */
const struct fl_pubkey *fl_trust_find(const struct fl_trust *t,
		    const char *keyid);
/* The number of keys, and key i of them (site keys first, each role in
 * file name order), or NULL past the last. */
size_t		 fl_trust_count(const struct fl_trust *t);
const struct fl_pubkey *fl_trust_at(const struct fl_trust *t, size_t i);
void		 fl_trust_free(struct fl_trust *t);

/*
 * Sign an archive: an Ed25519 signature over "fl-sig-1\n" followed by the
 * archive's id (which covers the manifest and every tensor byte), stored
 * as the member "sig/KEYID", a JSON object {"alg": "ed25519", "keyid",
 * "signer": name, "sig": base64}.  The archive must have an id (read, or
 * written once).  The new signature is checked against the public key
 * before it is kept.  Errors: FL_EUSAGE (no id), FL_EVERIFY, FL_ENOMEM.
 */
int		 fl_archive_sign(struct fl_archive *a, const struct fl_seckey *sk,
		    struct fl_err *err);
/*
 * Check an archive's signatures against the trusted keys: succeed when at
 * least one signature by a trusted key verifies and none present fails to
 * verify; *signer (may be NULL) gets the first trusted signer.  Failures
 * are FL_EVERIFY, one line: "not signed", "signed by unknown key KEYID
 * (NAME)", "signature by NAME (KEYID) does not verify".
 */
int		 fl_archive_verify(const struct fl_archive *a,
		    const struct fl_trust *t, const struct fl_pubkey **signer,
		    struct fl_err *err);
/*
 * The same checks, and who[0..*n) gets every trusted key whose signature
 * verified (at most max, in member order, i.e. key id order), so that a
 * policy can look for the one it needs among several signers.  The
 * errors of fl_archive_verify.
 */
#define FL_MAX_SIGNERS	64
int		 fl_archive_signers(const struct fl_archive *a,
		    const struct fl_trust *t, const struct fl_pubkey **who,
		    size_t max, size_t *n, struct fl_err *err);

/*
 * Sealing (lib/trust/seal.c), specified in fl-archive(5): the magic
 * "flseal1\n",
 * a header naming each recipient's key id with the file key wrapped by
 * X25519 (one ephemeral key per file) and HKDF-SHA256, then the payload in
 * ChaCha20-Poly1305 chunks of 64 KiB whose nonces count chunks and mark
 * the last one, with the header's hash as associated data: memory is
 * constant, and a truncated, reordered or altered file fails.
 */
int		 fl_seal(FILE *in, FILE *out, const struct fl_pubkey *const *to,
		    size_t nto, struct fl_err *err);
/* Decrypt in to out.  out may hold unverified bytes until this returns
 * 0: write it to a temp file (fl_out_*) and publish only then.  Errors:
 * FL_EVERIFY (not for this key, altered, truncated), FL_EFORMAT, FL_EIO. */
int		 fl_unseal(FILE *in, FILE *out, const struct fl_seckey *sk,
		    struct fl_err *err);
/*
 * fl_seal and fl_unseal from the file inpath to the file outpath (each
 * NULL or "-" for stdin or stdout), the output written atomically
 * (fl_out_*); errors name the file at fault.  fl_seal_file seals for
 * keys[0..nto-1].  fl_unseal_file releases no byte before all of the
 * input has verified: a regular outpath gets a temp file beside it,
 * stdout or a device gets the plaintext only after it was decrypted in
 * full into an unlinked temp file.  Errors: those of fl_seal and
 * fl_unseal, FL_EIO, FL_ENOMEM.
 */
int		 fl_seal_file(const char *inpath, const struct fl_pubkey *keys,
		    size_t nto, const char *outpath, struct fl_err *err);
int		 fl_unseal_file(const char *inpath, const struct fl_seckey *sk,
		    const char *outpath, struct fl_err *err);

/*
 * Readers that open sealed input: when the stream starts with
 * FL_SEAL_MAGIC it is decrypted with key (into an unlinked temp file, all
 * of it authenticated before the first archive is parsed) and the archives
 * inside are read; sealed input without a key is FL_EFORMAT ("sealed;
 * give --key").  fl_reader_open and fl_archive_read_file are these with
 * key NULL.
 */
int		 fl_reader_open_key(struct fl_reader **r, FILE *f,
		    const char *name, const struct fl_seckey *key,
		    struct fl_err *err);
int		 fl_archive_read_file_key(const char *path,
		    const struct fl_seckey *key, struct fl_archive **a,
		    struct fl_err *err);

/*
 * The site an archive names (lib/trust/trust.c): *site gets the manifest's
 * "site", a name as fl_name_ok has it, or NULL for an archive that names
 * none.  An update, a site's statistics and a site's metrics must name
 * one; a model never does, nor does a merge of statistics (which lists
 * its "contributors") or of metrics (its "sites").  Errors: FL_EFORMAT
 * (a site that is not a name, of another type, missing or null where one
 * is needed; the caller prefixes the file name).
 */
int		 fl_archive_site(const struct fl_archive *a, const char **site,
		    struct fl_err *err);
/*
 * The site name a writer records (fl-train, fl-eval --emit, fl-stats):
 * given (--site) when not NULL, which must then be a name and, when sk is
 * not NULL, sk's name; else the name of the signing key sk; else the
 * base name of the data file without its extension (buf, len bytes,
 * holds it).  Data from stdin ("-" or NULL) with neither is FL_EUSAGE,
 * and so is a name that breaks the rule of fl_name_ok.
 */
int		 fl_site_choose(const char *given, const struct fl_seckey *sk,
		    const char *data, char *buf, size_t len, const char **site,
		    struct fl_err *err);
/*
 * The tools' trust policy (lib/trust/trust.c): the archive's site is checked
 * (fl_archive_site), every signature by a key in t must verify, and
 * among them must be one by the site key named as the archive's site, or,
 * for an archive that names no site (a model, merged statistics or
 * metrics), one by a coordinator key.  name is used in messages; *signer
 * (may be NULL) gets that signer.  Errors: FL_EVERIFY, FL_EFORMAT.
 */
int		 fl_archive_trusted(const struct fl_archive *a,
		    const struct fl_trust *t, const char *name,
		    const struct fl_pubkey **signer, struct fl_err *err);
/* Fix the id of an archive built in memory and sign it with sk.  Errors:
 * those of fl_archive_write and fl_archive_sign. */
int		 fl_archive_sign_new(struct fl_archive *a,
		    const struct fl_seckey *sk, struct fl_err *err);
/* Read the one archive at inpath (NULL or "-": stdin), sign it with sk
 * and write it to outpath (NULL or "-": stdout) atomically, as fl-pack
 * sign does.  Errors: those of fl_archive_read_file, fl_archive_sign
 * (the message prefixed with inpath's name) and fl_archive_save. */
int		 fl_archive_sign_file(const char *inpath,
		    const struct fl_seckey *sk, const char *outpath,
		    struct fl_err *err);
/*
 * Check every archive left in r (named name in messages), as fl-pack
 * verify does (lib/trust/trust.c): its signatures with fl_archive_verify and,
 * when chain is set and it is a model, its history with
 * fl_history_check.  fn is called once per archive, in order: with the
 * archive (borrowed for the call) and its signer and a NULL err when it
 * passes, or with a NULL signer and the error, prefixed "name: " for the
 * first archive and "name (archive N): " after, when it fails; the walk
 * goes on.  A read error ends the walk, and fn is called once more with
 * a NULL archive and that error, or "name: no archive" when the stream
 * held none.  Returns 0 when every archive passed, FL_EVERIFY when any
 * failure was FL_EVERIFY, else the (negative) code of a failure.
 */
int		 fl_reader_verify(struct fl_reader *r, const char *name,
		    const struct fl_trust *t, int chain,
		    void (*fn)(void *ctx, const struct fl_archive *a,
		    const struct fl_pubkey *signer, const struct fl_err *err),
		    void *ctx);

/*
 * Pairwise masks for secure aggregation (lib/trust/pairmask.c; the
 * protocol is in lib/federation/secagg.c and fl(7)).  Sites i and j share
 * s = X25519(i's secret, j's public); their mask seed for one round is
 * HKDF-SHA256(ikm = s, salt = the two X25519 public keys in byte order,
 * info = "fl-mask-1\n" MODEL_ID "\n" ROUND), 32 bytes, and the mask is
 * the first 4n bytes of ChaCha20 keyed with the seed (zero nonce and
 * counter) as n little-endian 32-bit words.  The site whose X25519
 * public key sorts first adds the mask, the other subtracts it.
 */
#define FL_MASK_SEED_LEN	32
/* The seed that sk shares with peer for the model model_id at round.
 * Errors: FL_EVERIFY (peer is sk itself, or a low-order key), FL_ENOMEM. */
int		 fl_mask_seed(const struct fl_seckey *sk,
		    const struct fl_pubkey *peer, const char *model_id,
		    int64_t round, unsigned char *seed, struct fl_err *err);
/* +1 when the X25519 key own sorts before peer (own adds the mask),
 * -1 after, 0 when they are the same key. */
int		 fl_mask_sign(const unsigned char *own, const unsigned char *peer);
/* v[i] += sign * mask[i] mod 2^32 for the mask of seed, i < n, computed
 * in blocks.  Errors: FL_ENOMEM (OpenSSL failed). */
int		 fl_mask_apply(const unsigned char *seed, int sign,
		    uint32_t *v, size_t n, struct fl_err *err);
/* A commitment to a seed, "sha256:" and 64 hex digits of
 * SHA-256("fl-mask-commit-1\n" || seed), into out (72 bytes). */
#define FL_MASK_COMMIT_LEN	72
void		 fl_mask_commit(const unsigned char *seed, char *out);
/* The key id of a public key pair, as fl-keygen computes it, into out
 * (FL_KEYID_LEN + 1 bytes). */
void		 fl_pubkey_keyid(const unsigned char *sign_pub,
		    const unsigned char *seal_pub, char *out);
/* The public key pair as base64 of sign_pub || seal_pub (NAME.pub's
 * middle field), into out (FL_PUB_B64_LEN + 1 bytes); and back, 0 or
 * -1 for anything but a canonical encoding. */
#define FL_PUB_B64_LEN	88
void		 fl_pubkey_b64(const struct fl_pubkey *pk, char *out);
int		 fl_pubkey_from_b64(struct fl_pubkey *pk, const char *s);

#endif /* FL_LIB_TRUST_H */
