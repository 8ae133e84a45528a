/*
 * test_levels.c: the levels fl-stats records per column (lib/stats/
 * levels.c through lib/stats/stats.c): order and counts worked by hand,
 * the cap on distinct levels (a million distinct values) and on a level's
 * length, suppression under min_count, the merge of sites, the archive
 * round trip and the archive checks.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "fl.h"
#include "unit.h"

static char tmpdir[] = "/tmp/fl-test-levels.XXXXXX";

static void
put(const char *name, const char *text)
{
	FILE *f = fopen(name, "wb");

	if (f == NULL || fputs(text, f) == EOF || fclose(f) != 0) {
		perror(name);
		exit(1);
	}
}

/* Levels of column j joined as "v:count v:count", or "over". */
static const char *
show(const struct fl_stats *s, size_t j)
{
	static char buf[4096];
	const char *const *v;
	const double *c;
	long n, i;
	size_t k = 0;

	if ((n = fl_stats_levels(s, j, &v, &c)) == FL_LEVELS_OVER)
		return "over";
	if (n < 0)
		return "none";
	buf[0] = '\0';
	for (i = 0; i < n && k < sizeof(buf) - 64; i++)
		k += (size_t)snprintf(buf + k, sizeof(buf) - k, "%s%.32s:%g",
		    i ? " " : "", v[i], c[i]);
	return buf;
}

#define SHOW(s, j, want) do {						\
	const char *got_ = show(s, j);					\
	if (strcmp(got_, want) == 0)					\
		unit_pass++;						\
	else {								\
		unit_fail++;						\
		fprintf(stderr, "%s:%d: levels '%s', want '%s'\n",	\
		    __FILE__, __LINE__, got_, want);			\
	}								\
} while (0)

/* The statistics of path with the levels of every column in its
 * header (cat NULL), or of the columns in cat, comma-separated. */
static struct fl_stats *
stats_cat(const char *path, size_t min_count, const char *cat)
{
	struct fl_err err = FL_ERR_INIT;
	struct fl_stats_opts o = { 0 };
	struct fl_stats *s = NULL;
	char line[256], *names[8], *p;
	size_t n = 0;
	FILE *f;

	if (cat == NULL) {
		if ((f = fopen(path, "r")) == NULL ||
		    fgets(line, sizeof(line), f) == NULL)
			exit(1);
		fclose(f);
		line[strcspn(line, "\n")] = '\0';
	} else
		snprintf(line, sizeof(line), "%s", cat);
	for (p = strtok(line, ","); p != NULL && n < 8; p = strtok(NULL, ","))
		names[n++] = p;
	o.categorical = names;
	o.ncategorical = n;
	o.min_count = min_count;
	CHECK_OK(fl_stats_from_csv_opts(&s, path, &o, &err), &err);
	if (s == NULL)
		exit(1);
	return s;
}

static struct fl_stats *
stats(const char *path, size_t min_count)
{
	return stats_cat(path, min_count, NULL);
}

static void
test_hand(void)
{
	struct fl_stats *s;

	/* Numbers first in numeric order, 3 and 3.0 apart, text after;
	 * quotes removed; NA and empty cells are no level. */
	put("hand.csv", "stage,x\n2,1\n10,2\n1,3\n2,4\n3.0,5\n3,6\n"
	    "NA,7\n,8\n\"2\",9\n");
	s = stats("hand.csv", 0);
	SHOW(s, 0, "1:1 2:3 3:1 3.0:1 10:1");
	SHOW(s, 1, "1:1 2:1 3:1 4:1 5:1 6:1 7:1 8:1 9:1");
	fl_stats_free(s);

	/* Only the columns named are recorded, and only they may hold
	 * text, which is a level but missing as a number. */
	put("text.csv", "sex,x\nfemale,1\nmale,2\n3,3\nNA,4\nfemale,5\n");
	s = stats_cat("text.csv", 0, "sex");
	SHOW(s, 0, "3:1 female:2 male:1");
	SHOW(s, 1, "none");
	{
		struct fl_colstats cs;

		fl_stats_col(s, 0, &cs);
		CHECK(cs.count == 1 && cs.missing == 4 && cs.sum == 3);
	}
	fl_stats_free(s);
	{
		struct fl_err err = FL_ERR_INIT;
		struct fl_stats_opts o = { 0 };
		char *names[] = { "x", "nope" };

		s = NULL;
		o.categorical = names;
		o.ncategorical = 1;
		CHECK(fl_stats_from_csv_opts(&s, "text.csv", &o, &err) ==
		    FL_EFORMAT && s == NULL);
		CHECK(strcmp(err.msg, "text.csv:2: column 'sex': not a "
		    "number: 'female'") == 0);
		o.ncategorical = 2;
		CHECK(fl_stats_from_csv_opts(&s, "text.csv", &o, &err) ==
		    FL_EFORMAT && s == NULL);
		CHECK(strcmp(err.msg, "text.csv: no column 'nope' "
		    "(--categorical)") == 0);
	}
}

static void
test_caps(void)
{
	struct fl_stats *s;
	FILE *f;
	char *big;
	long i;

	/* A million distinct values: the column keeps none. */
	if ((f = fopen("many.csv", "wb")) == NULL)
		exit(1);
	fputs("id,g\n", f);
	for (i = 0; i < 1000000; i++)
		fprintf(f, "%ld,%ld\n", i, i % 2);
	if (fclose(f) != 0)
		exit(1);
	s = stats("many.csv", 0);
	SHOW(s, 0, "over");
	SHOW(s, 1, "0:500000 1:500000");
	fl_stats_free(s);

	/* 64 levels are kept, 65 are too many. */
	if ((f = fopen("cap.csv", "wb")) == NULL)
		exit(1);
	fputs("a,b\n", f);
	for (i = 0; i < 65; i++)
		fprintf(f, "%ld,%ld\n", i < 64 ? i : 0, i);
	if (fclose(f) != 0)
		exit(1);
	s = stats("cap.csv", 0);
	CHECK(strcmp(show(s, 0), "over") != 0);
	SHOW(s, 1, "over");
	fl_stats_free(s);

	/* A 100 KiB cell (a number: a 1 after zeros) is too long a level. */
	if ((big = malloc(102402)) == NULL)
		exit(1);
	memset(big, '0', 102400);
	big[102400] = '1';
	big[102401] = '\0';
	if ((f = fopen("long.csv", "wb")) == NULL)
		exit(1);
	fprintf(f, "a,b\n1,%s\n2,1\n", big);
	if (fclose(f) != 0)
		exit(1);
	free(big);
	s = stats("long.csv", 0);
	SHOW(s, 0, "1:1 2:1");
	SHOW(s, 1, "over");
	fl_stats_free(s);
}

static void
test_suppress_merge(void)
{
	struct fl_err err = FL_ERR_INIT;
	struct fl_stats *a, *b;

	put("a.csv", "g,h\n1,5\n1,5\n1,5\n2,5\n3,6\n");
	put("b.csv", "g\n2\n2\n2\n4\n");
	a = stats("a.csv", 3);
	SHOW(a, 0, "1:3");	/* levels 2 and 3 seen once: dropped */
	SHOW(a, 1, "5:4");
	b = stats("b.csv", 0);
	CHECK_OK(fl_stats_merge(a, b, &err), &err);
	SHOW(a, 0, "1:3 2:3 4:1");
	SHOW(a, 1, "5:4");
	fl_stats_free(b);

	/* Too many levels at one site: too many in the merge. */
	b = stats("many.csv", 0);
	CHECK_OK(fl_stats_merge(a, b, &err), &err);
	SHOW(a, 0, "0:500000 1:500003 2:3 4:1");
	SHOW(a, 1, "5:4");
	SHOW(a, 2, "over");	/* id, appended */
	fl_stats_free(b);
	fl_stats_free(a);
}

/* Round-trip a through an archive whose "levels" key is set to lv (when
 * not NULL); the error message, or "" when read. */
static const char *
reread(struct fl_stats *s, json_t *lv, struct fl_stats **out)
{
	static struct fl_err err;
	struct fl_archive *a = NULL;

	memset(&err, 0, sizeof(err));
	*out = NULL;
	if (fl_stats_to_archive(s, &a, &err) < 0)
		return err.msg;
	if (lv != NULL)
		json_object_set_new(fl_archive_manifest(a), "levels", lv);
	if (fl_stats_from_archive(out, a, &err) < 0) {
		fl_archive_free(a);
		return err.msg;
	}
	fl_archive_free(a);
	return "";
}

#define BAD(lv, want) do {						\
	const char *msg_ = reread(s, lv, &t);				\
	CHECK(t == NULL && strcmp(msg_, want) == 0);			\
	if (strcmp(msg_, want) != 0)					\
		fprintf(stderr, "  got '%s'\n", msg_);			\
	fl_stats_free(t);						\
} while (0)

static void
test_archive(void)
{
	struct fl_err err = FL_ERR_INIT;
	struct fl_stats *s, *t, *u;
	char big[300];

	s = stats("a.csv", 0);
	CHECK(strcmp(reread(s, NULL, &t), "") == 0);
	if (t != NULL) {
		SHOW(t, 0, "1:3 2:1 3:1");
		SHOW(t, 1, "5:4 6:1");
		fl_stats_free(t);
	}
	/* An archive without levels has none, and a merge with one has
	 * none either. */
	{
		struct fl_archive *a = NULL;

		CHECK_OK(fl_stats_to_archive(s, &a, &err), &err);
		json_object_del(fl_archive_manifest(a), "levels");
		CHECK_OK(fl_stats_from_archive(&t, a, &err), &err);
		fl_archive_free(a);
		SHOW(t, 0, "none");
		u = stats("a.csv", 0);
		CHECK_OK(fl_stats_merge(u, t, &err), &err);
		SHOW(u, 0, "none");
		SHOW(u, 1, "none");
		fl_stats_free(u);
		fl_stats_free(t);
	}
	BAD(json_null(), "key 'levels' is not an object");
	BAD(json_pack("[n]"), "key 'levels' is not an object");
	BAD(json_pack("{s:n}", "zz"), "key 'levels': no column 'zz'");
	BAD(json_pack("{s:i}", "h", 1), "key 'levels': column 'h': not null "
	    "or values and counts of the same length (at most 64)");
	BAD(json_pack("{s:{s:[s],s:[]}}", "h", "values", "1", "counts"),
	    "key 'levels': column 'h': not null or values and counts of the "
	    "same length (at most 64)");
	BAD(json_pack("{s:{s:[s,s],s:[i,i]}}", "h", "values", "1", "1",
	    "counts", 1, 2), "key 'levels': column 'h': value 1 is a "
	    "duplicate");
	BAD(json_pack("{s:{s:[i],s:[i]}}", "h", "values", 1, "counts", 1),
	    "key 'levels': column 'h': value 0 is not a level");
	BAD(json_pack("{s:{s:[s],s:[i]}}", "h", "values", "", "counts", 1),
	    "key 'levels': column 'h': value 0 is not a level");
	BAD(json_pack("{s:{s:[s],s:[i]}}", "h", "values", "a", "counts", 0),
	    "key 'levels': column 'h': count 0 is not a positive count");
	BAD(json_pack("{s:{s:[s],s:[f]}}", "h", "values", "a", "counts",
	    1.5), "key 'levels': column 'h': count 0 is not a positive count");
	BAD(json_pack("{s:{s:[s],s:[s]}}", "h", "values", "a", "counts", "1"),
	    "key 'levels': column 'h': count 0 is not a positive count");
	memset(big, 'x', 257);
	big[257] = '\0';
	BAD(json_pack("{s:{s:[s],s:[i]}}", "h", "values", big, "counts", 1),
	    "key 'levels': column 'h': value 0 is not a level");
	/* Levels with commas, quotes and '=' survive the archive; null is
	 * too many; a column absent from "levels" has none. */
	CHECK(strcmp(reread(s, json_pack("{s:n,s:{s:[s,s],s:[i,i]}}", "g",
	    "h", "values", "a,\"b\"", "stage=3", "counts", 2, 3), &t),
	    "") == 0);
	if (t != NULL) {
		SHOW(t, 0, "over");
		SHOW(t, 1, "a,\"b\":2 stage=3:3");
		fl_stats_free(t);
	}
	CHECK(strcmp(reread(s, json_pack("{s:n}", "g"), &t), "") == 0);
	if (t != NULL) {
		SHOW(t, 0, "over");
		SHOW(t, 1, "none");
		fl_stats_free(t);
	}
	fl_stats_free(s);
}

int
main(void)
{
	char root[2048];

	if (getcwd(root, sizeof(root)) == NULL || mkdtemp(tmpdir) == NULL ||
	    chdir(tmpdir) < 0) {
		perror("test_levels");
		return 1;
	}
	unit_run("hand", test_hand);
	unit_run("caps", test_caps);
	unit_run("suppress_merge", test_suppress_merge);
	unit_run("archive", test_archive);
	unlink("hand.csv");
	unlink("text.csv");
	unlink("many.csv");
	unlink("cap.csv");
	unlink("long.csv");
	unlink("a.csv");
	unlink("b.csv");
	if (chdir(root) < 0 || rmdir(tmpdir) < 0)
		fprintf(stderr, "test_levels: could not remove %s\n", tmpdir);
	return unit_done("test_levels");
}
