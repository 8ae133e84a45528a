/*
 * test_stats.c: per-column statistics (lib/stats/stats.c): a small CSV worked by
 * hand, colon.csv split into three sites whose merged statistics equal
 * those of the whole file, a merge with a column only on one side, the
 * archive round trip and the archive checks.
 */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "fl.h"
#include "unit.h"

static char tmpdir[] = "/tmp/fl-test-stats.XXXXXX";

static void
put(const char *name, const char *text)
{
	FILE *f = fopen(name, "wb");

	if (f == NULL || fputs(text, f) == EOF || fclose(f) != 0) {
		perror(name);
		exit(1);
	}
}

static void
test_hand(void)
{
	struct fl_err err = FL_ERR_INIT;
	struct fl_stats *s = NULL;
	struct fl_colstats c;

	put("hand.csv", "x,y,z\n1,NA,5\n2,,5\n4,7,NA\n");
	CHECK_OK(fl_stats_from_csv(&s, "hand.csv", &err), &err);
	if (s == NULL)
		return;
	CHECK(fl_stats_ncols(s) == 3 && fl_stats_rows(s) == 3);
	CHECK(fl_stats_find(s, "y") == 1 && fl_stats_find(s, "w") == -1);
	fl_stats_col(s, 0, &c);
	CHECK(strcmp(c.name, "x") == 0);
	CHECK(c.count == 3 && c.missing == 0 && c.sum == 7 && c.sumsq == 21);
	CHECK(c.min == 1 && c.max == 4);
	CHECK_NEAR(fl_stats_mean(s, 0), 7.0 / 3, 0, 1e-15);
	/* sd of 1, 2, 4: var = (21 - 49/3) / 2 = 7/3 */
	CHECK_NEAR(fl_stats_sd(s, 0), sqrt(7.0 / 3), 0, 1e-14);
	fl_stats_col(s, 1, &c);
	CHECK(c.count == 1 && c.missing == 2 && c.sum == 7 && c.sumsq == 49);
	CHECK(fl_stats_mean(s, 1) == 7 && isnan(fl_stats_sd(s, 1)));
	fl_stats_col(s, 2, &c);
	CHECK(c.count == 2 && c.missing == 1 && c.min == 5 && c.max == 5);
	CHECK(fl_stats_sd(s, 2) == 0);
	fl_stats_free(s);

	/* A column with no values at all. */
	put("empty.csv", "x,y\n1,NA\n");
	CHECK_OK(fl_stats_from_csv(&s, "empty.csv", &err), &err);
	if (s != NULL) {
		fl_stats_col(s, 1, &c);
		CHECK(c.count == 0 && c.missing == 1);
		CHECK(c.min == INFINITY && c.max == -INFINITY);
		CHECK(isnan(fl_stats_mean(s, 1)) && isnan(fl_stats_sd(s, 1)));
		fl_stats_free(s);
	}

	CHECK(fl_stats_from_csv(&s, "bad.csv", &err) == FL_EIO && s == NULL);
	put("bad.csv", "x\n1\nz\n");
	CHECK(fl_stats_from_csv(&s, "bad.csv", &err) == FL_EFORMAT);
	CHECK(strcmp(err.msg, "bad.csv:3: column 'x': not a number: 'z'")
	    == 0);
}

/* Split colon.csv rows round-robin into three files. */
static void
split_colon(const char *path)
{
	FILE *in, *out[3];
	char line[4096];
	size_t i;

	if ((in = fopen(path, "r")) == NULL ||
	    (out[0] = fopen("s0.csv", "w")) == NULL ||
	    (out[1] = fopen("s1.csv", "w")) == NULL ||
	    (out[2] = fopen("s2.csv", "w")) == NULL ||
	    fgets(line, sizeof(line), in) == NULL) {
		perror("split");
		exit(1);
	}
	for (i = 0; i < 3; i++)
		fputs(line, out[i]);
	for (i = 0; fgets(line, sizeof(line), in) != NULL; i++)
		fputs(line, out[i % 3]);
	fclose(in);
	for (i = 0; i < 3; i++)
		if (fclose(out[i]) != 0)
			exit(1);
}

static void
test_merge_colon(const char *root)
{
	static const char *const parts[] = { "s0.csv", "s1.csv", "s2.csv" };
	struct fl_err err = FL_ERR_INIT;
	struct fl_stats *whole = NULL, *pooled = NULL, *s;
	struct fl_colstats a, b;
	char path[4096];
	size_t i, j;
	int same = 1;

	snprintf(path, sizeof(path), "%s/examples/data/colon.csv", root);
	split_colon(path);
	CHECK_OK(fl_stats_from_csv(&whole, path, &err), &err);
	for (i = 0; i < 3; i++) {
		s = NULL;
		CHECK_OK(fl_stats_from_csv(&s, parts[i], &err), &err);
		if (s == NULL)
			continue;
		if (pooled == NULL)
			pooled = s;
		else {
			CHECK_OK(fl_stats_merge(pooled, s, &err), &err);
			fl_stats_free(s);
		}
	}
	if (whole == NULL || pooled == NULL)
		goto out;
	CHECK(fl_stats_rows(whole) == 744 && fl_stats_rows(pooled) == 744);
	CHECK(fl_stats_ncols(pooled) == fl_stats_ncols(whole));
	for (j = 0; j < fl_stats_ncols(whole); j++) {
		fl_stats_col(whole, j, &a);
		fl_stats_col(pooled, j, &b);
		if (strcmp(a.name, b.name) != 0 || a.count != b.count ||
		    a.missing != b.missing || a.min != b.min ||
		    a.max != b.max ||
		    fabs(a.sum - b.sum) > 1e-9 * fabs(a.sum) ||
		    fabs(a.sumsq - b.sumsq) > 1e-9 * fabs(a.sumsq)) {
			fprintf(stderr, "column %s differs\n", a.name);
			same = 0;
		}
	}
	CHECK(same);
	/* colon.csv has missing values (nodes, differ, death_5y...). */
	fl_stats_col(whole, (size_t)fl_stats_find(whole, "death_5y"), &a);
	CHECK(a.missing > 0 && a.count + a.missing == 744);
out:
	fl_stats_free(whole);
	fl_stats_free(pooled);
	for (i = 0; i < 3; i++)
		unlink(parts[i]);
}

static void
test_merge_columns(void)
{
	struct fl_err err = FL_ERR_INIT;
	struct fl_stats *a = NULL, *b = NULL;
	struct fl_colstats c;

	put("a.csv", "x,y\n1,2\n3,4\n");
	put("b.csv", "z,x\n10,5\n");
	CHECK_OK(fl_stats_from_csv(&a, "a.csv", &err), &err);
	CHECK_OK(fl_stats_from_csv(&b, "b.csv", &err), &err);
	if (a == NULL || b == NULL)
		goto out;
	CHECK_OK(fl_stats_merge(a, b, &err), &err);
	CHECK(fl_stats_ncols(a) == 3 && fl_stats_rows(a) == 3);
	fl_stats_col(a, 0, &c);
	CHECK(strcmp(c.name, "x") == 0 && c.count == 3 && c.sum == 9);
	CHECK(c.min == 1 && c.max == 5);
	fl_stats_col(a, 1, &c);
	CHECK(strcmp(c.name, "y") == 0 && c.count == 2 && c.sum == 6);
	fl_stats_col(a, 2, &c);
	CHECK(strcmp(c.name, "z") == 0 && c.count == 1 && c.sum == 10);
	CHECK(c.min == 10 && c.max == 10 && c.missing == 0);
out:
	fl_stats_free(a);
	fl_stats_free(b);
}

/* Write s as an archive file and read it back. */
static void
test_archive(void)
{
	struct fl_err err = FL_ERR_INIT;
	struct fl_stats *s = NULL, *r = NULL;
	struct fl_archive *a = NULL, *b = NULL;
	struct fl_colstats x, y;
	FILE *f;
	json_t *man;
	size_t j;
	int same = 1;

	put("hand.csv", "x,y,z\n1,NA,5\n2,,5\n4,NA,NA\n");
	CHECK_OK(fl_stats_from_csv(&s, "hand.csv", &err), &err);
	if (s == NULL)
		return;
	CHECK_OK(fl_stats_to_archive(s, &a, &err), &err);
	if (a == NULL)
		goto out;
	man = fl_archive_manifest(a);
	CHECK(json_integer_value(json_object_get(man, "rows")) == 3);
	CHECK(json_array_size(json_object_get(man, "columns")) == 3);
	CHECK(fl_archive_kind(a) == FL_KIND_STATS);
	if ((f = fopen("s.fls", "wb")) == NULL)
		exit(1);
	CHECK_OK(fl_archive_write(a, f, "s.fls", FL_COMPRESS_NONE, &err),
	    &err);
	fclose(f);
	CHECK_OK(fl_archive_read_file("s.fls", &b, &err), &err);
	if (b == NULL)
		goto out;
	CHECK_OK(fl_stats_from_archive(&r, b, &err), &err);
	if (r == NULL)
		goto out;
	CHECK(fl_stats_rows(r) == 3 && fl_stats_ncols(r) == 3);
	for (j = 0; j < 3; j++) {
		fl_stats_col(s, j, &x);
		fl_stats_col(r, j, &y);
		if (strcmp(x.name, y.name) != 0 || x.count != y.count ||
		    x.missing != y.missing || x.sum != y.sum ||
		    x.sumsq != y.sumsq || x.min != y.min || x.max != y.max)
			same = 0;
	}
	CHECK(same);	/* including y's +Inf/-Inf min and max */
out:
	unlink("s.fls");
	fl_archive_free(a);
	fl_archive_free(b);
	fl_stats_free(s);
	fl_stats_free(r);
}

/* Build an archive from parts and expect fl_stats_from_archive to refuse
 * it with message want. */
static void
expect_bad(enum fl_kind kind, json_t *cols, json_int_t rows,
    const double *v, size_t n, size_t skip, const char *want, int line)
{
	static const char *const names[] = {
		"count", "missing", "sum", "sumsq", "min", "max"
	};
	struct fl_err err = FL_ERR_INIT;
	struct fl_archive *a = fl_archive_new(kind);
	struct fl_stats *s = NULL;
	size_t k, shape[1] = { n };
	int rc;

	if (a == NULL)
		exit(1);
	if (cols != NULL)
		json_object_set_new(fl_archive_manifest(a), "columns", cols);
	json_object_set_new(fl_archive_manifest(a), "rows",
	    json_integer(rows));
	for (k = 0; k < 6; k++)
		if (k != skip && fl_archive_add_tensor(a, names[k],
		    FL_DTYPE_F64, 1, shape, v + k * n, &err) < 0)
			exit(1);
	rc = fl_stats_from_archive(&s, a, &err);
	if (rc == FL_EFORMAT && s == NULL && strcmp(err.msg, want) == 0)
		unit_pass++;
	else {
		unit_fail++;
		fprintf(stderr, "test_stats.c:%d: rc %d, message '%s', want "
		    "'%s'\n", line, rc, err.msg, want);
	}
	fl_stats_free(s);
	fl_archive_free(a);
}

#define COLS2 json_pack("[ss]", "a", "b")
#define BAD(kind, cols, rows, v, n, skip, want) \
	expect_bad(kind, cols, rows, v, n, skip, want, __LINE__)

static void
test_archive_checks(void)
{
	/* count, missing, sum, sumsq, min, max for columns a and b */
	double good[12] = { 2, 0, 0, 2, 3, 0, 5, 0, 1, INFINITY, 2,
	    -INFINITY };
	double v[12];

	memcpy(v, good, sizeof(v));
	BAD(FL_KIND_MODEL, COLS2, 2, v, 2, 9,
	    "not a stats archive (kind 'model')");
	BAD(FL_KIND_STATS, NULL, 2, v, 2, 9, "missing key 'columns'");
	BAD(FL_KIND_STATS, json_pack("[]"), 2, v, 2, 9,
	    "key 'columns' is not a non-empty array of names");
	BAD(FL_KIND_STATS, json_pack("[si]", "a", 1), 2, v, 2, 9,
	    "key 'columns': item 1 is not a name");
	BAD(FL_KIND_STATS, json_pack("[ss]", "a", "a"), 2, v, 2, 9,
	    "key 'columns': duplicate column 'a'");
	BAD(FL_KIND_STATS, COLS2, -1, v, 2, 9, "key 'rows' is negative");
	BAD(FL_KIND_STATS, json_pack("[s]", "a"), 2, v, 2, 9,
	    "tensor 'count' is not F64 of shape [1]");
	BAD(FL_KIND_STATS, COLS2, 2, v, 2, 3,
	    "5 tensors, a stats archive has 6");
	v[0] = -1;
	BAD(FL_KIND_STATS, COLS2, 2, v, 2, 9,
	    "column 'a': count is not a non-negative whole number");
	v[0] = 2.5;
	BAD(FL_KIND_STATS, COLS2, 2, v, 2, 9,
	    "column 'a': count is not a non-negative whole number");
	v[0] = INFINITY;
	BAD(FL_KIND_STATS, COLS2, 2, v, 2, 9,
	    "column 'a': count is not a non-negative whole number");
	memcpy(v, good, sizeof(v));
	BAD(FL_KIND_STATS, COLS2, 1, v, 2, 9,
	    "column 'a': count plus missing exceeds rows");
	v[4] = NAN;
	BAD(FL_KIND_STATS, COLS2, 2, v, 2, 9, "column 'a': a value is NaN");
	memcpy(v, good, sizeof(v));
	v[8] = 9;	/* min > max */
	BAD(FL_KIND_STATS, COLS2, 2, v, 2, 9,
	    "column 'a': min and max are not finite with min <= max");
	memcpy(v, good, sizeof(v));
	v[5] = 1;	/* sum of b with count 0 */
	BAD(FL_KIND_STATS, COLS2, 2, v, 2, 9,
	    "column 'b': values given for a column with count 0");
}

int
main(void)
{
	char root[2048];

	if (getcwd(root, sizeof(root)) == NULL || mkdtemp(tmpdir) == NULL ||
	    chdir(tmpdir) < 0) {
		perror("test_stats");
		return 1;
	}
	unit_run("hand", test_hand);
	UNIT_CASE("merge_colon", test_merge_colon(root));
	unit_run("merge_columns", test_merge_columns);
	unit_run("archive", test_archive);
	unit_run("archive_checks", test_archive_checks);
	unlink("hand.csv");
	unlink("empty.csv");
	unlink("bad.csv");
	unlink("a.csv");
	unlink("b.csv");
	if (chdir(root) < 0 || rmdir(tmpdir) < 0)
		fprintf(stderr, "test_stats: could not remove %s\n", tmpdir);
	return unit_done("test_stats");
}
