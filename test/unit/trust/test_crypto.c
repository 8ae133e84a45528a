/*
 * test_crypto.c: the trust layer (lib/trust/key.c, sign.c, seal.c and the
 * archive reader's sealed input): key files and their modes, strict
 * parsing, signatures that catch any change, and sealed streams that
 * round-trip at chunk boundaries and fail when cut or altered anywhere.
 */
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "fl.h"
#include "unit.h"


struct buf {
	char	*p;
	size_t	 n;
};

static void
put_file(const char *path, const char *text, mode_t mode)
{
	FILE *f = fopen(path, "w");

	CHECK(f != NULL);
	if (f == NULL)
		return;
	fputs(text, f);
	fclose(f);
	chmod(path, mode);
}

static struct fl_seckey *
new_key(const char *name)
{
	struct fl_err err = FL_ERR_INIT;
	struct fl_seckey *sk = NULL;

	CHECK_OK(fl_seckey_generate(&sk, name, &err), &err);
	return sk;
}

static void
test_keyfiles(void)
{
	struct fl_err err = FL_ERR_INIT;
	struct fl_seckey *sk = new_key("alice"), *back = NULL, *sk2;
	struct fl_pubkey pk;
	struct stat st;
	char *text;
	size_t len;

	CHECK(strlen(fl_seckey_pub(sk)->keyid) == FL_KEYID_LEN);
	CHECK(strcmp(fl_seckey_pub(sk)->name, "alice") == 0);
	CHECK_OK(fl_seckey_write(sk, unit_at("alice"), 0, &err), &err);
	CHECK(stat(unit_at("alice.key"), &st) == 0 && (st.st_mode & 0777) == 0600);
	CHECK_OK(fl_seckey_read(&back, unit_at("alice.key"), &err), &err);
	CHECK(back != NULL && memcmp(fl_seckey_pub(back), fl_seckey_pub(sk),
	    sizeof(struct fl_pubkey)) == 0);
	fl_seckey_free(back);
	CHECK_OK(fl_pubkey_read(&pk, unit_at("alice.pub"), &err), &err);
	CHECK(memcmp(&pk, fl_seckey_pub(sk), sizeof(pk)) == 0);
	/* The .pub line: "fl-pub-1 KEYID BASE64 NAME\n". */
	CHECK_OK(fl_file_read(unit_at("alice.pub"), 4096, &text, &len, &err), &err);
	CHECK(len == 8 + 1 + 16 + 1 + 88 + 1 + 5 + 1);
	CHECK(strncmp(text, "fl-pub-1 ", 9) == 0);
	CHECK(strncmp(text + 9, pk.keyid, 16) == 0);
	CHECK(strcmp(text + len - 7, " alice\n") == 0);
	free(text);

	/* Never replaced without force; replaced with it, still 0600. */
	sk2 = new_key("alice");
	CHECK(fl_seckey_write(sk2, unit_at("alice"), 0, &err) == FL_EIO);
	CHECK(strstr(err.msg, "alice.pub: exists") != NULL);
	unlink(unit_at("alice.pub"));
	CHECK(fl_seckey_write(sk2, unit_at("alice"), 0, &err) == FL_EIO);
	CHECK(strstr(err.msg, "alice.key: exists") != NULL);
	CHECK(access(unit_at("alice.pub"), F_OK) != 0);
	CHECK_OK(fl_seckey_read(&back, unit_at("alice.key"), &err), &err);
	CHECK(back != NULL && strcmp(fl_seckey_pub(back)->keyid,
	    fl_seckey_pub(sk)->keyid) == 0);
	fl_seckey_free(back);
	CHECK_OK(fl_seckey_write(sk2, unit_at("alice"), 1, &err), &err);
	CHECK(stat(unit_at("alice.key"), &st) == 0 && (st.st_mode & 0777) == 0600);
	CHECK_OK(fl_seckey_read(&back, unit_at("alice.key"), &err), &err);
	CHECK(back != NULL && strcmp(fl_seckey_pub(back)->keyid,
	    fl_seckey_pub(sk2)->keyid) == 0);
	fl_seckey_free(back);
	CHECK_OK(fl_pubkey_read(&pk, unit_at("alice.pub"), &err), &err);
	CHECK(strcmp(pk.keyid, fl_seckey_pub(sk2)->keyid) == 0);

	/* A key readable by the group is refused. */
	chmod(unit_at("alice.key"), 0640);
	back = NULL;
	CHECK(fl_seckey_read(&back, unit_at("alice.key"), &err) == FL_EVERIFY);
	CHECK(back == NULL);
	CHECK(strstr(err.msg, "alice.key: readable by others; chmod 600") !=
	    NULL);
	chmod(unit_at("alice.key"), 0600);

	/* A public key is not a secret key, and a bad name is refused. */
	chmod(unit_at("alice.pub"), 0600);
	CHECK(fl_seckey_read(&back, unit_at("alice.pub"), &err) == FL_EFORMAT);
	CHECK(fl_seckey_generate(&back, "bad/name", &err) == FL_EUSAGE);
	CHECK(fl_seckey_generate(&back, "", &err) == FL_EUSAGE);
	fl_seckey_free(sk);
	fl_seckey_free(sk2);
}

static void
test_pub_errors(void)
{
	struct fl_err err = FL_ERR_INIT;
	struct fl_seckey *sk = new_key("bob");
	struct fl_pubkey pk;
	char *good, *bad;
	size_t len;
	static const char *const edits[] = {
		"",				/* empty */
		"fl-pub-2",			/* wrong magic */
		"keyid",			/* key id of another key */
		"b64",				/* non-canonical base64 */
		"space",			/* trailing space */
		"line",				/* a second line */
		"name",				/* bad character in the name */
		"short",			/* base64 too short */
	};
	size_t i;

	CHECK_OK(fl_seckey_write(sk, unit_at("bob"), 0, &err), &err);
	CHECK_OK(fl_file_read(unit_at("bob.pub"), 4096, &good, &len, &err), &err);
	for (i = 0; i < sizeof(edits) / sizeof(edits[0]); i++) {
		bad = malloc(len + 64);
		memcpy(bad, good, len + 1);
		if (strcmp(edits[i], "") == 0)
			bad[0] = '\0';
		else if (strcmp(edits[i], "fl-pub-2") == 0)
			bad[7] = '2';
		else if (strcmp(edits[i], "keyid") == 0)
			bad[9] = bad[9] == '0' ? '1' : '0';
		else if (strcmp(edits[i], "b64") == 0)
			/* "...=" ends 64 bytes: the last data character
			 * carries 2 unused bits; set one. */
			bad[26 + 85] ^= 1;
		else if (strcmp(edits[i], "space") == 0)
			memcpy(bad + len - 1, " \n", 3);
		else if (strcmp(edits[i], "line") == 0)
			strcat(bad, "x\n");
		else if (strcmp(edits[i], "name") == 0)
			bad[len - 2] = '/';
		else if (strcmp(edits[i], "short") == 0)
			memmove(bad + 30, bad + 34, len - 33);
		put_file(unit_at("bad.pub"), bad, 0644);
		CHECK(fl_pubkey_read(&pk, unit_at("bad.pub"), &err) == FL_EFORMAT);
		if (strstr(err.msg, "bad.pub") == NULL)
			fprintf(stderr, "edit %s: %s\n", edits[i], err.msg);
		CHECK(strstr(err.msg, "bad.pub") != NULL);
		free(bad);
	}
	unlink(unit_at("bad.pub"));
	CHECK(fl_pubkey_read(&pk, unit_at("nonexistent.pub"), &err) == FL_EIO);
	free(good);
	fl_seckey_free(sk);
}

/* The first occurrence of s in p[0..n), or NULL. */
static char *
find(char *p, size_t n, const char *s)
{
	size_t i, k = strlen(s);

	for (i = 0; i + k <= n; i++)
		if (memcmp(p + i, s, k) == 0)
			return p + i;
	return NULL;
}

/* A small update archive with an id (written once and read back). */
static struct fl_archive *
make_archive(int round)
{
	static const size_t shape[1] = { 3 };
	float w[3] = { 1.0f, -2.0f, 0.5f };
	struct fl_err err = FL_ERR_INIT;
	struct fl_archive *a = fl_archive_new(FL_KIND_UPDATE);

	json_object_set_new(fl_archive_manifest(a), "round",
	    json_integer(round));
	CHECK_OK(fl_archive_add_tensor(a, "w", FL_DTYPE_F32, 1, shape, w,
	    &err), &err);
	return a;
}

static struct buf
write_mem(struct fl_archive *a)
{
	struct buf b = { NULL, 0 };
	struct fl_err err = FL_ERR_INIT;
	FILE *f = open_memstream(&b.p, &b.n);

	CHECK_OK(fl_archive_write(a, f, "mem", FL_COMPRESS_NONE, &err), &err);
	fclose(f);
	return b;
}

/* Read exactly one archive from b. */
static int
read_mem(const struct buf *b, const struct fl_seckey *key,
    struct fl_archive **a, struct fl_err *err)
{
	struct fl_reader *r = NULL;
	FILE *f = fmemopen(b->p, b->n, "rb");
	int rc;

	*a = NULL;
	if ((rc = fl_reader_open_key(&r, f, "mem", key, err)) == 0 &&
	    (rc = fl_reader_next(r, a, err)) == 1)
		rc = 0;
	else if (rc == 0)
		rc = fl_err_set(err, FL_EFORMAT, "no archive");
	fl_reader_free(r);
	fclose(f);
	return rc;
}

static void
test_sign_verify(void)
{
	struct fl_err err = FL_ERR_INIT;
	struct fl_seckey *alice, *bob, *carol;
	struct fl_archive *a = make_archive(1), *b = NULL, *c = NULL;
	struct fl_trust *t = NULL;
	const struct fl_pubkey *who;
	const char *name;
	const void *data;
	struct buf w, w2;
	size_t len, i, fails = 0;
	char *p;

	mkdir(unit_at("trust"), 0700);
	alice = new_key("alice");
	bob = new_key("bob");
	carol = new_key("carol");
	CHECK_OK(fl_seckey_write(alice, unit_at("trust/alice"), 0, &err), &err);
	CHECK_OK(fl_seckey_write(bob, unit_at("trust/bob"), 0, &err), &err);
	unlink(unit_at("trust/alice.key"));
	unlink(unit_at("trust/bob.key"));
	CHECK_OK(fl_trust_load(&t, unit_at("trust"), &err), &err);
	CHECK(fl_trust_find(t, fl_seckey_pub(bob)->keyid) != NULL);
	CHECK(fl_trust_find(t, fl_seckey_pub(carol)->keyid) == NULL);

	/* No id yet: nothing to sign. */
	CHECK(fl_archive_sign(a, alice, &err) == FL_EUSAGE);
	w = write_mem(a);
	CHECK_OK(read_mem(&w, NULL, &b, &err), &err);
	CHECK(fl_archive_verify(b, t, &who, &err) == FL_EVERIFY);
	CHECK(strcmp(err.msg, "not signed") == 0);
	CHECK_OK(fl_archive_sign(b, alice, &err), &err);
	CHECK(fl_archive_nmembers(b) == 1);
	fl_archive_member(b, 0, &name, &data, &len);
	CHECK(strncmp(name, "sig/", 4) == 0 &&
	    strcmp(name + 4, fl_seckey_pub(alice)->keyid) == 0);
	CHECK(len > 0 && memcmp(data, "{\"alg\":\"ed25519\",", 17) == 0);
	CHECK_OK(fl_archive_verify(b, t, &who, &err), &err);
	CHECK(who != NULL && strcmp(who->name, "alice") == 0);
	/* Signing again with the same key replaces the signature. */
	CHECK_OK(fl_archive_sign(b, alice, &err), &err);
	CHECK(fl_archive_nmembers(b) == 1);

	/* Written and read back: the id is unchanged, the sig kept. */
	w2 = write_mem(b);
	CHECK_OK(read_mem(&w2, NULL, &c, &err), &err);
	CHECK(strcmp(fl_archive_id(c), fl_archive_id(b)) == 0);
	CHECK(fl_archive_nmembers(c) == 1);
	CHECK_OK(fl_archive_verify(c, t, &who, &err), &err);
	fl_archive_free(c);
	c = NULL;

	/* Any flipped byte of the signed archive: never verifies, unless
	 * it lies where the reader looks at nothing (tar padding), which
	 * shows as an archive that reads back exactly as before. */
	for (i = 0; i < w2.n; i++) {
		struct buf again = { NULL, 0 };
		int rc;

		w2.p[i] ^= 0x20;
		rc = read_mem(&w2, NULL, &c, &err);
		if (rc == 0)
			rc = fl_archive_verify(c, t, &who, &err);
		w2.p[i] ^= 0x20;
		if (rc == 0) {
			again = write_mem(c);
			if (again.n != w2.n ||
			    memcmp(again.p, w2.p, w2.n) != 0) {
				fails++;
				fprintf(stderr, "flip at %zu verifies\n", i);
			}
		} else if (rc != FL_EVERIFY && rc != FL_EFORMAT) {
			fails++;
			fprintf(stderr, "flip at %zu: %d %s\n", i, rc, err.msg);
		}
		free(again.p);
		fl_archive_free(c);
		c = NULL;
	}
	CHECK(fails == 0);

	/* A flipped byte in the signature itself. */
	p = find(w2.p, w2.n, "\"sig\":\"");
	CHECK(p != NULL);
	if (p != NULL) {
		p[12] = p[12] == 'A' ? 'B' : 'A';
		CHECK_OK(read_mem(&w2, NULL, &c, &err), &err);
		CHECK(fl_archive_verify(c, t, &who, &err) == FL_EVERIFY);
		CHECK(strstr(err.msg, "signature by alice (") != NULL &&
		    strstr(err.msg, ") does not verify") != NULL);
		fl_archive_free(c);
		c = NULL;
		p[12] = p[12] == 'A' ? 'B' : 'A';
	}

	/* A tampered manifest with a recomputed id: the signature is over
	 * the old id. */
	CHECK_OK(read_mem(&w2, NULL, &c, &err), &err);
	json_object_set_new(fl_archive_manifest(c), "round", json_integer(9));
	free(w.p);
	w = write_mem(c);
	fl_archive_free(c);
	CHECK_OK(read_mem(&w, NULL, &c, &err), &err);
	CHECK(fl_archive_nmembers(c) == 1);
	CHECK(fl_archive_verify(c, t, &who, &err) == FL_EVERIFY);
	CHECK(strstr(err.msg, "does not verify") != NULL);
	fl_archive_free(c);
	c = NULL;

	/* An unknown signer; and a known one beside it is enough. */
	fl_archive_free(b);
	b = make_archive(2);
	free(w.p);
	w = write_mem(b);
	fl_archive_free(b);
	CHECK_OK(read_mem(&w, NULL, &b, &err), &err);
	CHECK_OK(fl_archive_sign(b, carol, &err), &err);
	CHECK(fl_archive_verify(b, t, &who, &err) == FL_EVERIFY);
	CHECK(strncmp(err.msg, "signed by unknown key ", 22) == 0);
	CHECK(strstr(err.msg, "(carol)") != NULL);
	CHECK_OK(fl_archive_sign(b, bob, &err), &err);
	CHECK_OK(fl_archive_verify(b, t, &who, &err), &err);
	CHECK(who != NULL && strcmp(who->name, "bob") == 0);

	/* A malformed sig member is a failure, not something to skip. */
	CHECK_OK(fl_archive_set_member(b, "sig/zzzz", "{}", 2, &err), &err);
	CHECK(fl_archive_verify(b, t, &who, &err) == FL_EVERIFY);
	CHECK(strcmp(err.msg, "sig/zzzz: malformed signature") == 0);
	CHECK(fl_archive_set_member(b, "sig/../x", "", 0, &err) == FL_EUSAGE);
	CHECK(fl_archive_set_member(b, "other", "", 0, &err) == FL_EUSAGE);

	/* Trust directories: none, or a duplicate key. */
	mkdir(unit_at("empty"), 0700);
	fl_trust_free(t);
	CHECK(fl_trust_load(&t, unit_at("empty"), &err) == FL_EFORMAT);
	CHECK(t == NULL);
	CHECK_OK(fl_seckey_write(alice, unit_at("trust/again"), 0, &err), &err);
	CHECK(fl_trust_load(&t, unit_at("trust"), &err) == FL_EFORMAT);
	CHECK(strstr(err.msg, "key id") != NULL);
	unlink(unit_at("trust/again.key"));
	unlink(unit_at("trust/again.pub"));

	free(w.p);
	free(w2.p);
	fl_archive_free(a);
	fl_archive_free(b);
	fl_archive_free(c);
	fl_trust_free(t);
	fl_seckey_free(alice);
	fl_seckey_free(bob);
	fl_seckey_free(carol);
}

/* Seal n bytes of a pattern for keys[0..nto); return the sealed bytes. */
static struct buf
seal_mem(const unsigned char *plain, size_t n, struct fl_seckey **keys,
    size_t nto)
{
	const struct fl_pubkey *to[4];
	struct fl_err err = FL_ERR_INIT;
	struct buf b = { NULL, 0 };
	FILE *in, *out;
	size_t i;

	for (i = 0; i < nto; i++)
		to[i] = fl_seckey_pub(keys[i]);
	in = fmemopen(n == 0 ? (void *)"" : (void *)plain, n, "rb");
	if (n == 0) {
		fclose(in);
		in = tmpfile();
	}
	out = open_memstream(&b.p, &b.n);
	CHECK_OK(fl_seal(in, out, to, nto, &err), &err);
	fclose(in);
	fclose(out);
	return b;
}

static int
unseal_mem(const struct buf *s, const struct fl_seckey *sk, struct buf *out,
    struct fl_err *err)
{
	FILE *in, *o;
	int rc;

	out->p = NULL;
	out->n = 0;
	if (s->n == 0)
		in = tmpfile();
	else
		in = fmemopen(s->p, s->n, "rb");
	o = open_memstream(&out->p, &out->n);
	rc = fl_unseal(in, o, sk, err);
	fclose(in);
	fclose(o);
	return rc;
}

static void
test_seal(void)
{
	static const size_t sizes[] = { 0, 1, 65535, 65536, 65537, 300000 };
	struct fl_err err = FL_ERR_INIT;
	struct fl_seckey *k[4];
	unsigned char *plain;
	struct buf s, o;
	size_t i, j, r, cut, fails;
	int rc;

	for (i = 0; i < 4; i++)
		k[i] = new_key("k");
	plain = malloc(300000);
	for (i = 0; i < 300000; i++)
		plain[i] = (unsigned char)(i * 2654435761u >> 13);
	for (i = 0; i < sizeof(sizes) / sizeof(sizes[0]); i++)
		for (r = 1; r <= 3; r += 2) {
			s = seal_mem(plain, sizes[i], k, r);
			CHECK(s.n > 8 && memcmp(s.p, FL_SEAL_MAGIC, 8) == 0);
			/* Chunks of 64 KiB + 16, the last one always. */
			for (j = 0; j < r; j++) {
				CHECK_OK(unseal_mem(&s, k[j], &o, &err), &err);
				CHECK(o.n == sizes[i] && (sizes[i] == 0 ||
				    memcmp(o.p, plain, sizes[i]) == 0));
				free(o.p);
			}
			CHECK(unseal_mem(&s, k[3], &o, &err) == FL_EVERIFY);
			CHECK(strncmp(err.msg, "not sealed for key ", 19) == 0);
			free(o.p);
			free(s.p);
		}

	/* Every truncation of a small sealed file fails. */
	s = seal_mem(plain, 100, k, 1);
	fails = 0;
	for (cut = 0; cut < s.n; cut++) {
		struct buf t = { s.p, cut };

		rc = unseal_mem(&t, k[0], &o, &err);
		if (rc == 0 || (cut > 0 && rc != FL_EVERIFY))
			fails++;
		free(o.p);
	}
	CHECK(fails == 0);
	/* Every flipped byte fails too. */
	fails = 0;
	for (i = 0; i < s.n; i++) {
		s.p[i] ^= 0x01;
		if (unseal_mem(&s, k[0], &o, &err) == 0)
			fails++;
		free(o.p);
		s.p[i] ^= 0x01;
	}
	CHECK(fails == 0);
	/* Bytes after the final chunk. */
	s.p = realloc(s.p, s.n + 1);
	s.p[s.n++] = 'x';
	CHECK(unseal_mem(&s, k[0], &o, &err) == FL_EVERIFY);
	free(o.p);
	free(s.p);

	/* A two-chunk file cut at the chunk boundary: "truncated"; one
	 * altered in its second chunk names the chunk. */
	s = seal_mem(plain, 70000, k, 1);
	{
		struct buf t = { s.p, s.n - (70000 - 65536) - 16 };

		CHECK(unseal_mem(&t, k[0], &o, &err) == FL_EVERIFY);
		CHECK(strcmp(err.msg, "sealed archive truncated") == 0);
		free(o.p);
	}
	s.p[s.n - 100] ^= 0x80;
	CHECK(unseal_mem(&s, k[0], &o, &err) == FL_EVERIFY);
	CHECK(strcmp(err.msg, "sealed archive altered or corrupt at chunk 1") ==
	    0);
	free(o.p);
	free(s.p);
	CHECK(unseal_mem(&(struct buf){ "hello", 5 }, k[0], &o, &err) ==
	    FL_EFORMAT);
	free(o.p);
	free(plain);
	for (i = 0; i < 4; i++)
		fl_seckey_free(k[i]);
}

static void
test_read_sealed(void)
{
	struct fl_err err = FL_ERR_INIT;
	struct fl_seckey *k[2] = { new_key("site1"), new_key("other") };
	struct fl_archive *a = make_archive(3), *b = NULL;
	struct buf w = write_mem(a), s;
	FILE *f;

	s = seal_mem((unsigned char *)w.p, w.n, k, 1);
	f = fopen(unit_at("sealed.fla"), "wb");
	CHECK(f != NULL && fwrite(s.p, 1, s.n, f) == s.n);
	fclose(f);
	CHECK_OK(fl_archive_read_file_key(unit_at("sealed.fla"), k[0], &b, &err),
	    &err);
	CHECK(b != NULL && strcmp(fl_archive_id(b), fl_archive_id(a)) == 0);
	fl_archive_free(b);
	CHECK(fl_archive_read_file(unit_at("sealed.fla"), &b, &err) == FL_EFORMAT);
	CHECK(strstr(err.msg, "sealed.fla: sealed; give --key") != NULL);
	CHECK(fl_archive_read_file_key(unit_at("sealed.fla"), k[1], &b, &err) ==
	    FL_EVERIFY);
	CHECK(strstr(err.msg, "sealed.fla: not sealed for key ") != NULL);
	/* An unsealed archive reads with or without a key. */
	CHECK_OK(read_mem(&w, k[0], &b, &err), &err);
	fl_archive_free(b);
	/* A sealed stream cut short never yields an archive. */
	s.n -= 1;
	CHECK(read_mem(&s, k[0], &b, &err) == FL_EVERIFY);
	CHECK(b == NULL);
	unlink(unit_at("sealed.fla"));
	free(w.p);
	free(s.p);
	fl_archive_free(a);
	fl_seckey_free(k[0]);
	fl_seckey_free(k[1]);
}

int
main(void)
{
	if (unit_tmpdir("crypto") == NULL)
		return 1;
	unit_run("keyfiles", test_keyfiles);
	unit_run("pub_errors", test_pub_errors);
	unit_run("sign_verify", test_sign_verify);
	unit_run("seal", test_seal);
	unit_run("read_sealed", test_read_sealed);
	unit_rmtmpdir();
	return unit_done("test_crypto");
}
