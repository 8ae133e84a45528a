/*
 * key.c: identities (an Ed25519 signing key and an X25519 sealing key),
 * their files NAME.key and NAME.pub, and directories of trusted public
 * keys.  The file formats are in fl.h and man/fl-keygen.1; signing and
 * sealing with these keys live in sign.c and seal.c.
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <openssl/crypto.h>
#include <openssl/evp.h>

#include "trust_int.h"

#define PUB_MAGIC	"fl-pub-1"
#define KEY_MAGIC	"fl-key-1"
#define MAGIC_LEN	8
#define RAW_LEN		64			/* two 32-byte keys */
#define B64_RAW		FL_B64_LEN(RAW_LEN)	/* 88 */
#define LINE_MAX_LEN	(MAGIC_LEN + 1 + FL_KEYID_LEN + 1 + B64_RAW + 1 + \
			    FL_NAME_MAX + 1)
#define MAX_TRUSTED	4096

struct fl_seckey {
	struct fl_pubkey pub;
	unsigned char	 sign_seed[32];		/* Ed25519 private seed */
	unsigned char	 seal_priv[32];		/* X25519 private key */
};

struct fl_trust {
	struct fl_pubkey *k;
	size_t		  n;
};

/* ------------------------------------------------------------------------ */
/* Base64, strictly.                                                        */

void
fl_b64_encode(char *out, const unsigned char *in, size_t n)
{
	EVP_EncodeBlock((unsigned char *)out, in, (int)n);
	out[FL_B64_LEN(n)] = '\0';
}

int
fl_b64_decode(unsigned char *out, size_t want, const char *s, size_t slen)
{
	unsigned char buf[FL_B64_LEN(1024) / 4 * 3];
	char again[FL_B64_LEN(1024) + 1];
	size_t pad = 0;
	int n;

	if (want == 0 || want > 1024 || slen != FL_B64_LEN(want))
		return -1;
	if (s[slen - 1] == '=')
		pad++;
	if (s[slen - 2] == '=')
		pad++;
	n = EVP_DecodeBlock(buf, (const unsigned char *)s, (int)slen);
	if (n < 0 || (size_t)n != slen / 4 * 3 || (size_t)n - pad != want)
		goto bad;
	/* Only the canonical text of these bytes is accepted: no stray
	 * bits in the last character, no white space. */
	fl_b64_encode(again, buf, want);
	if (memcmp(again, s, slen) != 0)
		goto bad;
	memcpy(out, buf, want);
	OPENSSL_cleanse(buf, sizeof(buf));
	OPENSSL_cleanse(again, sizeof(again));
	return 0;
bad:
	OPENSSL_cleanse(buf, sizeof(buf));
	OPENSSL_cleanse(again, sizeof(again));
	OPENSSL_cleanse(out, want);
	return -1;
}

/* ------------------------------------------------------------------------ */
/* Names, key ids and the one-line formats.                                 */

static int
name_ok(const char *s, size_t n)
{
	size_t i;

	if (n == 0 || n > FL_NAME_MAX)
		return 0;
	for (i = 0; i < n; i++)
		if (!((s[i] >= 'A' && s[i] <= 'Z') ||
		    (s[i] >= 'a' && s[i] <= 'z') ||
		    (s[i] >= '0' && s[i] <= '9') ||
		    s[i] == '.' || s[i] == '_' || s[i] == '-'))
			return 0;
	return 1;
}

int
fl_name_ok(const char *s)
{
	return s != NULL && name_ok(s, strnlen(s, FL_NAME_MAX + 1));
}

/* The key id of an identity: 16 hex digits of SHA-256(sign || seal). */
static int
keyid_of(const unsigned char *sign_pub, const unsigned char *seal_pub,
    char *out)
{
	static const char hex[] = "0123456789abcdef";
	unsigned char raw[RAW_LEN], md[EVP_MAX_MD_SIZE];
	unsigned int mdlen;
	int i;

	memcpy(raw, sign_pub, 32);
	memcpy(raw + 32, seal_pub, 32);
	if (EVP_Digest(raw, sizeof(raw), md, &mdlen, EVP_sha256(), NULL) !=
	    1)
		return -1;
	for (i = 0; i < FL_KEYID_LEN / 2; i++) {
		out[2 * i] = hex[md[i] >> 4];
		out[2 * i + 1] = hex[md[i] & 15];
	}
	out[FL_KEYID_LEN] = '\0';
	return 0;
}

/*
 * Parse "MAGIC KEYID BASE64 NAME" with an optional final newline and
 * nothing else.  Fills keyid, raw (64 bytes) and name; on failure returns
 * -1 with a reason in *why.
 */
static int
parse_line(const char *buf, size_t len, const char *magic, char *keyid,
    unsigned char *raw, char *name, const char **why)
{
	const char *p = buf, *end = buf + len, *sp;
	size_t i;

	if (len > 0 && buf[len - 1] == '\n')
		end--;
	if (memchr(buf, '\0', len) != NULL || memchr(buf, '\n',
	    (size_t)(end - buf)) != NULL) {
		*why = "not a single line";
		return -1;
	}
	if ((size_t)(end - p) < MAGIC_LEN + 1 || memcmp(p, magic,
	    MAGIC_LEN) != 0 || p[MAGIC_LEN] != ' ') {
		if (strcmp(magic, PUB_MAGIC) == 0)
			*why = "not an fl public key (want '" PUB_MAGIC "')";
		else
			*why = "not an fl secret key (want '" KEY_MAGIC "')";
		return -1;
	}
	p += MAGIC_LEN + 1;
	if (end - p < FL_KEYID_LEN + 1 || p[FL_KEYID_LEN] != ' ') {
		*why = "bad key id";
		return -1;
	}
	for (i = 0; i < FL_KEYID_LEN; i++)
		if (!((p[i] >= '0' && p[i] <= '9') ||
		    (p[i] >= 'a' && p[i] <= 'f'))) {
			*why = "bad key id";
			return -1;
		}
	memcpy(keyid, p, FL_KEYID_LEN);
	keyid[FL_KEYID_LEN] = '\0';
	p += FL_KEYID_LEN + 1;
	if ((sp = memchr(p, ' ', (size_t)(end - p))) == NULL ||
	    fl_b64_decode(raw, RAW_LEN, p, (size_t)(sp - p)) < 0) {
		*why = "bad base64 key";
		return -1;
	}
	p = sp + 1;
	if (!name_ok(p, (size_t)(end - p))) {
		*why = "bad name (1 to 128 of A-Z a-z 0-9 . _ -)";
		return -1;
	}
	memcpy(name, p, (size_t)(end - p));
	name[end - p] = '\0';
	return 0;
}

/* Format "MAGIC KEYID BASE64(a || b) NAME\n" into out (LINE_MAX_LEN + 1
 * bytes); returns its length. */
static size_t
format_line(char *out, const char *magic, const struct fl_pubkey *pk,
    const unsigned char *a, const unsigned char *b)
{
	unsigned char raw[RAW_LEN];
	char b64[B64_RAW + 1];
	int n;

	memcpy(raw, a, 32);
	memcpy(raw + 32, b, 32);
	fl_b64_encode(b64, raw, RAW_LEN);
	n = snprintf(out, LINE_MAX_LEN + 1, "%s %s %s %s\n", magic, pk->keyid,
	    b64, pk->name);
	OPENSSL_cleanse(raw, sizeof(raw));
	OPENSSL_cleanse(b64, sizeof(b64));
	return n < 0 ? 0 : (size_t)n;
}

/* ------------------------------------------------------------------------ */
/* Secret keys.                                                             */

/* The raw public key of a raw private key of type (ED25519 or X25519). */
static int
raw_public(int type, const unsigned char *priv, unsigned char *pub)
{
	EVP_PKEY *k;
	size_t n = 32;
	int rc = -1;

	if ((k = EVP_PKEY_new_raw_private_key(type, NULL, priv, 32)) == NULL)
		return -1;
	if (EVP_PKEY_get_raw_public_key(k, pub, &n) == 1 && n == 32)
		rc = 0;
	EVP_PKEY_free(k);
	return rc;
}

/* A fresh key pair of type: its raw private and public keys. */
static int
raw_generate(const char *type, unsigned char *priv, unsigned char *pub)
{
	EVP_PKEY *k;
	size_t n = 32, m = 32;
	int rc = -1;

	if ((k = EVP_PKEY_Q_keygen(NULL, NULL, type)) == NULL)
		return -1;
	if (EVP_PKEY_get_raw_private_key(k, priv, &n) == 1 && n == 32 &&
	    EVP_PKEY_get_raw_public_key(k, pub, &m) == 1 && m == 32)
		rc = 0;
	EVP_PKEY_free(k);
	return rc;
}

int
fl_seckey_generate(struct fl_seckey **skp, const char *name,
    struct fl_err *err)
{
	struct fl_seckey *sk;

	*skp = NULL;
	if (name == NULL || !name_ok(name, strlen(name)))
		return fl_err_set(err, FL_EUSAGE, "'%s': bad key name (1 to "
		    "128 of A-Z a-z 0-9 . _ -)", name != NULL ? name : "");
	if ((sk = OPENSSL_secure_zalloc(sizeof(*sk))) == NULL)
		return fl_err_set(err, FL_ENOMEM, "out of memory");
	if (raw_generate("ED25519", sk->sign_seed, sk->pub.sign_pub) < 0 ||
	    raw_generate("X25519", sk->seal_priv, sk->pub.seal_pub) < 0 ||
	    keyid_of(sk->pub.sign_pub, sk->pub.seal_pub, sk->pub.keyid) < 0) {
		fl_seckey_free(sk);
		return fl_err_set(err, FL_ENOMEM, "key generation failed");
	}
	snprintf(sk->pub.name, sizeof(sk->pub.name), "%s", name);
	*skp = sk;
	return 0;
}

const struct fl_pubkey *
fl_seckey_pub(const struct fl_seckey *sk)
{
	return &sk->pub;
}

const unsigned char *
fl_seckey_sign_seed(const struct fl_seckey *sk)
{
	return sk->sign_seed;
}

const unsigned char *
fl_seckey_seal_priv(const struct fl_seckey *sk)
{
	return sk->seal_priv;
}

void
fl_seckey_free(struct fl_seckey *sk)
{
	if (sk != NULL)
		OPENSSL_secure_clear_free(sk, sizeof(*sk));
}

/* Write all of buf to fd, then fsync it. */
static int
write_all_sync(int fd, const char *buf, size_t n)
{
	ssize_t w;

	while (n > 0) {
		if ((w = write(fd, buf, n)) < 0) {
			if (errno == EINTR)
				continue;
			return -1;
		}
		buf += w;
		n -= (size_t)w;
	}
	return fsync(fd);
}

/* fsync the directory holding path, so that a rename is durable. */
static void
sync_parent(const char *path)
{
	const char *slash = strrchr(path, '/');
	char *dir;
	int fd;

	if (slash == NULL)
		dir = strdup(".");
	else if (slash == path)
		dir = strdup("/");
	else
		dir = strndup(path, (size_t)(slash - path));
	if (dir == NULL)
		return;
	if ((fd = open(dir, O_RDONLY | O_DIRECTORY)) >= 0) {
		fsync(fd);
		close(fd);
	}
	free(dir);
}

/* base + suffix, malloc'd. */
static char *
path_with(const char *base, const char *suffix)
{
	size_t n = strlen(base) + strlen(suffix) + 1;
	char *s = malloc(n);

	if (s != NULL)
		snprintf(s, n, "%s%s", base, suffix);
	return s;
}

/* A temp file beside path, mode 0600, for a replacement key. */
static int
key_temp(const char *path, char **tmpp)
{
	const char *slash = strrchr(path, '/');
	size_t dirlen = slash == NULL ? 0 : (size_t)(slash - path) + 1;
	char *tmp;
	int fd;

	if ((tmp = malloc(dirlen + sizeof(".fl-key.XXXXXX"))) == NULL) {
		errno = ENOMEM;
		return -1;
	}
	memcpy(tmp, path, dirlen);
	memcpy(tmp + dirlen, ".fl-key.XXXXXX", sizeof(".fl-key.XXXXXX"));
	if ((fd = mkstemp(tmp)) < 0) {
		free(tmp);
		return -1;
	}
	*tmpp = tmp;
	return fd;
}

int
fl_keydir_create(const char *dir, struct fl_err *err)
{
	/* Only a directory made here gets mode 0700, whatever the umask
	 * says; one that exists is the user's and is left as it is. */
	if (mkdir(dir, 0700) < 0) {
		if (errno == EEXIST)
			return 0;
		return fl_err_set(err, FL_EIO, "%s: %s", dir, strerror(errno));
	}
	if (chmod(dir, 0700) < 0)
		return fl_err_set(err, FL_EIO, "%s: %s", dir, strerror(errno));
	return 0;
}

int
fl_seckey_write(const struct fl_seckey *sk, const char *base, int force,
    struct fl_err *err)
{
	struct fl_out *o = NULL;
	struct stat st;
	char *kpath = NULL, *ppath = NULL, *tmp = NULL;
	char line[LINE_MAX_LEN + 1], pline[LINE_MAX_LEN + 1];
	size_t len, plen;
	int fd = -1, rc = 0, created = 0;

	kpath = path_with(base, ".key");
	ppath = path_with(base, ".pub");
	if (kpath == NULL || ppath == NULL) {
		rc = fl_err_set(err, FL_ENOMEM, "out of memory");
		goto out;
	}
	len = format_line(line, KEY_MAGIC, &sk->pub, sk->sign_seed,
	    sk->seal_priv);
	plen = format_line(pline, PUB_MAGIC, &sk->pub, sk->pub.sign_pub,
	    sk->pub.seal_pub);
	if (!force && lstat(ppath, &st) == 0) {
		rc = fl_err_set(err, FL_EIO, "%s: exists (give -f to replace "
		    "it)", ppath);
		goto out;
	}
	if (!force) {
		/* O_EXCL claims the name: an existing key is never touched. */
		fd = open(kpath, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC |
		    O_NOFOLLOW, 0600);
		if (fd < 0) {
			rc = fl_err_set(err, FL_EIO, errno == EEXIST ?
			    "%s: exists (give -f to replace it)" : "%s: %s",
			    kpath, strerror(errno));
			goto out;
		}
		created = 1;
	} else if ((fd = key_temp(kpath, &tmp)) < 0) {
		rc = fl_err_set(err, FL_EIO, "%s: %s", kpath, strerror(errno));
		goto out;
	}
	if (fchmod(fd, 0600) < 0 || write_all_sync(fd, line, len) < 0) {
		rc = fl_err_set(err, FL_EIO, "%s: %s", kpath, strerror(errno));
		goto out;
	}
	if (close(fd) < 0) {
		fd = -1;
		rc = fl_err_set(err, FL_EIO, "%s: %s", kpath, strerror(errno));
		goto out;
	}
	fd = -1;
	if ((rc = fl_out_open(&o, ppath, err)) < 0)
		goto out;
	/* A public key is for anyone to read, for nobody else to change,
	 * whatever the umask says. */
	if (fstat(fileno(fl_out_stream(o)), &st) < 0 ||
	    (S_ISREG(st.st_mode) && fchmod(fileno(fl_out_stream(o)),
	    0644) < 0)) {
		rc = fl_err_set(err, FL_EIO, "%s: %s", ppath, strerror(errno));
		fl_out_abort(o);
		goto out;
	}
	if (fwrite(pline, 1, plen, fl_out_stream(o)) != plen) {
		rc = fl_err_set(err, FL_EIO, "%s: %s", ppath, strerror(errno));
		fl_out_abort(o);
		goto out;
	}
	if ((rc = fl_out_commit(o, err)) < 0)
		goto out;
	if (tmp != NULL) {
		if (rename(tmp, kpath) < 0) {
			rc = fl_err_set(err, FL_EIO, "%s: %s", kpath,
			    strerror(errno));
			goto out;
		}
		free(tmp);
		tmp = NULL;
	}
	sync_parent(kpath);
out:
	if (fd >= 0)
		close(fd);
	if (rc < 0 && created)
		unlink(kpath);
	if (tmp != NULL) {
		unlink(tmp);
		free(tmp);
	}
	OPENSSL_cleanse(line, sizeof(line));
	free(kpath);
	free(ppath);
	return rc;
}

int
fl_seckey_read(struct fl_seckey **skp, const char *path, struct fl_err *err)
{
	struct fl_seckey *sk = NULL;
	struct stat st;
	unsigned char raw[RAW_LEN];
	char buf[LINE_MAX_LEN + 2], id[FL_KEYID_LEN + 1];
	const char *why;
	size_t len = 0;
	ssize_t n;
	int fd, rc = 0;

	*skp = NULL;
	if ((fd = open(path, O_RDONLY | O_CLOEXEC)) < 0)
		return fl_err_set(err, FL_EIO, "%s: %s", path, strerror(errno));
	if (fstat(fd, &st) < 0) {
		rc = fl_err_set(err, FL_EIO, "%s: %s", path, strerror(errno));
		goto out;
	}
	if (!S_ISREG(st.st_mode)) {
		rc = fl_err_set(err, FL_EFORMAT, "%s: not a regular file",
		    path);
		goto out;
	}
	if ((st.st_mode & 077) != 0) {
		rc = fl_err_set(err, FL_EVERIFY, "%s: readable by others; "
		    "chmod 600", path);
		goto out;
	}
	while (len < sizeof(buf)) {
		if ((n = read(fd, buf + len, sizeof(buf) - len)) < 0) {
			if (errno == EINTR)
				continue;
			rc = fl_err_set(err, FL_EIO, "%s: %s", path,
			    strerror(errno));
			goto out;
		}
		if (n == 0)
			break;
		len += (size_t)n;
	}
	if (len == sizeof(buf)) {
		rc = fl_err_set(err, FL_EFORMAT, "%s: not an fl secret key "
		    "(too long)", path);
		goto out;
	}
	if ((sk = OPENSSL_secure_zalloc(sizeof(*sk))) == NULL) {
		rc = fl_err_set(err, FL_ENOMEM, "out of memory");
		goto out;
	}
	if (parse_line(buf, len, KEY_MAGIC, sk->pub.keyid, raw, sk->pub.name,
	    &why) < 0) {
		rc = fl_err_set(err, FL_EFORMAT, "%s: %s", path, why);
		goto out;
	}
	memcpy(sk->sign_seed, raw, 32);
	memcpy(sk->seal_priv, raw + 32, 32);
	if (raw_public(EVP_PKEY_ED25519, sk->sign_seed,
	    sk->pub.sign_pub) < 0 || raw_public(EVP_PKEY_X25519,
	    sk->seal_priv, sk->pub.seal_pub) < 0 ||
	    keyid_of(sk->pub.sign_pub, sk->pub.seal_pub, id) < 0) {
		rc = fl_err_set(err, FL_EFORMAT, "%s: bad key", path);
		goto out;
	}
	if (strcmp(id, sk->pub.keyid) != 0) {
		rc = fl_err_set(err, FL_EFORMAT, "%s: key id %s does not match "
		    "the key (%s)", path, sk->pub.keyid, id);
		goto out;
	}
	*skp = sk;
	sk = NULL;
out:
	close(fd);
	fl_seckey_free(sk);
	OPENSSL_cleanse(buf, sizeof(buf));
	OPENSSL_cleanse(raw, sizeof(raw));
	return rc;
}

/* ------------------------------------------------------------------------ */
/* Public keys and trust directories.                                       */

int
fl_pubkey_read(struct fl_pubkey *pk, const char *path, struct fl_err *err)
{
	unsigned char raw[RAW_LEN];
	char *buf = NULL, id[FL_KEYID_LEN + 1];
	const char *why;
	size_t len;
	int rc;

	memset(pk, 0, sizeof(*pk));
	if ((rc = fl_file_read(path, LINE_MAX_LEN + 1, &buf, &len, err)) < 0) {
		if (rc == FL_ENOMEM && err != NULL)
			err->code = rc = FL_EFORMAT;
		return rc;
	}
	if (parse_line(buf, len, PUB_MAGIC, pk->keyid, raw, pk->name,
	    &why) < 0) {
		rc = fl_err_set(err, FL_EFORMAT, "%s: %s", path, why);
		goto out;
	}
	memcpy(pk->sign_pub, raw, 32);
	memcpy(pk->seal_pub, raw + 32, 32);
	if (keyid_of(pk->sign_pub, pk->seal_pub, id) < 0) {
		rc = fl_err_set(err, FL_ENOMEM, "sha256 failed");
		goto out;
	}
	if (strcmp(id, pk->keyid) != 0)
		rc = fl_err_set(err, FL_EFORMAT, "%s: key id %s does not match "
		    "the key (%s)", path, pk->keyid, id);
out:
	free(buf);
	if (rc < 0)
		memset(pk, 0, sizeof(*pk));
	return rc;
}

/* Read each file in turn; a key id seen before is the caller's mistake
 * (FL_EUSAGE), reported as soon as the second file has been read. */
int
fl_pubkey_read_list(struct fl_pubkey *keys, const char *const *paths,
    size_t n, struct fl_err *err)
{
	size_t i, j;
	int rc;

	for (i = 0; i < n; i++) {
		if ((rc = fl_pubkey_read(&keys[i], paths[i], err)) < 0)
			return rc;
		for (j = 0; j < i; j++)
			if (strcmp(keys[j].keyid, keys[i].keyid) == 0)
				return fl_err_set(err, FL_EUSAGE, "key %s "
				    "given twice (%s, %s)", keys[i].keyid,
				    paths[j], paths[i]);
	}
	return 0;
}

static int
cmp_str(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

/*
 * The names of the *.pub files in dir, sorted, into *names (n of them);
 * a missing dir is no error when optional.
 */
static int
pub_names(const char *dir, int optional, char ***namesp, size_t *np,
    struct fl_err *err)
{
	struct dirent *de;
	DIR *d;
	char **names = NULL, **nn;
	size_t n = 0, cap = 0, i, len;
	int rc = 0;

	*namesp = NULL;
	*np = 0;
	if ((d = opendir(dir)) == NULL) {
		if (optional && errno == ENOENT)
			return 0;
		return fl_err_set(err, FL_EIO, "%s: %s", dir, strerror(errno));
	}
	while ((errno = 0, de = readdir(d)) != NULL) {
		len = strlen(de->d_name);
		if (len <= 4 || de->d_name[0] == '.' ||
		    strcmp(de->d_name + len - 4, ".pub") != 0)
			continue;
		if (n == MAX_TRUSTED) {
			rc = fl_err_set(err, FL_EFORMAT, "%s: more than %d "
			    ".pub files", dir, MAX_TRUSTED);
			goto out;
		}
		if (n == cap) {
			cap = cap == 0 ? 16 : cap * 2;
			if ((nn = realloc(names, cap * sizeof(*nn))) == NULL)
				goto nomem;
			names = nn;
		}
		if ((names[n] = strdup(de->d_name)) == NULL)
			goto nomem;
		n++;
	}
	if (errno != 0) {
		rc = fl_err_set(err, FL_EIO, "%s: %s", dir, strerror(errno));
		goto out;
	}
	if (n > 0)
		qsort(names, n, sizeof(*names), cmp_str);
	*namesp = names;
	*np = n;
	names = NULL;
	n = 0;
	goto out;
nomem:
	rc = fl_err_set(err, FL_ENOMEM, "out of memory");
out:
	closedir(d);
	for (i = 0; i < n; i++)
		free(names[i]);
	free(names);
	return rc;
}

/* Read the n keys dir/names[i] into t with role; one key id or name
 * already in t is FL_EFORMAT. */
static int
trust_add(struct fl_trust *t, const char *dir, char **names, size_t n,
    enum fl_role role, struct fl_err *err)
{
	struct fl_pubkey *k;
	char *path;
	size_t i, j, len;
	int rc = 0, same;

	for (i = 0; i < n && rc == 0; i++) {
		len = strlen(dir) + strlen(names[i]) + 2;
		if ((path = malloc(len)) == NULL)
			return fl_err_set(err, FL_ENOMEM, "out of memory");
		snprintf(path, len, "%s/%s", dir, names[i]);
		k = &t->k[t->n];
		if ((rc = fl_pubkey_read(k, path, err)) < 0) {
			free(path);
			return rc;
		}
		k->role = role;
		for (j = 0; j < t->n; j++) {
			same = strcmp(t->k[j].keyid, k->keyid) == 0;
			if (same || strcmp(t->k[j].name, k->name) == 0) {
				rc = fl_err_set(err, FL_EFORMAT, "%s: %s %s is "
				    "in the trust folder twice", path,
				    same ? "key id" : "name",
				    same ? k->keyid : k->name);
				break;
			}
		}
		free(path);
		if (rc == 0)
			t->n++;
	}
	return rc;
}

int
fl_trust_load(struct fl_trust **tp, const char *dir, struct fl_err *err)
{
	struct fl_trust *t = NULL;
	char **site = NULL, **coord = NULL, **aggr = NULL, *cdir = NULL;
	char *adir = NULL;
	size_t ns = 0, nc = 0, na = 0, i, len;
	int rc;

	*tp = NULL;
	len = strlen(dir) + sizeof("/coordinator");
	if ((cdir = malloc(len)) == NULL || (adir = malloc(len)) == NULL) {
		free(cdir);
		return fl_err_set(err, FL_ENOMEM, "out of memory");
	}
	snprintf(cdir, len, "%s/coordinator", dir);
	snprintf(adir, len, "%s/aggregator", dir);
	if ((rc = pub_names(dir, 0, &site, &ns, err)) < 0 ||
	    (rc = pub_names(cdir, 1, &coord, &nc, err)) < 0 ||
	    (rc = pub_names(adir, 1, &aggr, &na, err)) < 0)
		goto out;
	if (ns + nc == 0) {
		rc = fl_err_set(err, FL_EFORMAT, "%s: no .pub files (site "
		    "keys at the top, coordinator keys in coordinator/)", dir);
		goto out;
	}
	if ((t = calloc(1, sizeof(*t))) == NULL ||
	    (t->k = calloc(ns + nc + na, sizeof(*t->k))) == NULL) {
		rc = fl_err_set(err, FL_ENOMEM, "out of memory");
		goto out;
	}
	if ((rc = trust_add(t, dir, site, ns, FL_ROLE_SITE, err)) < 0 ||
	    (rc = trust_add(t, cdir, coord, nc, FL_ROLE_COORDINATOR,
	    err)) < 0 ||
	    (rc = trust_add(t, adir, aggr, na, FL_ROLE_AGGREGATOR, err)) < 0)
		goto out;
	*tp = t;
	t = NULL;
out:
	for (i = 0; i < ns; i++)
		free(site[i]);
	for (i = 0; i < nc; i++)
		free(coord[i]);
	for (i = 0; i < na; i++)
		free(aggr[i]);
	free(site);
	free(coord);
	free(aggr);
	free(cdir);
	free(adir);
	fl_trust_free(t);
	return rc;
}

const struct fl_pubkey *
fl_trust_find(const struct fl_trust *t, const char *keyid)
{
	size_t i;

	for (i = 0; t != NULL && keyid != NULL && i < t->n; i++)
		if (strcmp(t->k[i].keyid, keyid) == 0)
			return &t->k[i];
	return NULL;
}

size_t
fl_trust_count(const struct fl_trust *t)
{
	return t != NULL ? t->n : 0;
}

const struct fl_pubkey *
fl_trust_at(const struct fl_trust *t, size_t i)
{
	return t != NULL && i < t->n ? &t->k[i] : NULL;
}

void
fl_trust_free(struct fl_trust *t)
{
	if (t == NULL)
		return;
	free(t->k);
	free(t);
}
