/*
 * test_csv.c: the CSV reader (lib/format/csv.c): a good file with the accepted
 * variations (NA, empty cells, quotes, CRLF, BOM, no final newline, blank
 * trailing lines), numbers on both sides of the parser's fast path, line
 * numbers, and each error with its exact message.
 * Files are written in a temp directory that is the working directory, so
 * messages name them as a user would: "data.csv:17: ...".
 */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "fl.h"
#include "unit.h"

static char tmpdir[] = "/tmp/fl-test-csv.XXXXXX";

static void
put(const char *name, const char *text, size_t len)
{
	FILE *f = fopen(name, "wb");

	if (f == NULL || fwrite(text, 1, len, f) != len || fclose(f) != 0) {
		perror(name);
		exit(1);
	}
}

#define PUT(name, lit) put(name, lit, sizeof(lit) - 1)

/* Read a whole file expecting an error with exactly message want. */
static void
expect_error(const char *text, size_t len, const char *want, int line)
{
	struct fl_err err = FL_ERR_INIT;
	struct fl_csv *c = NULL;
	double row[64];
	int rc;

	put("data.csv", text, len);
	rc = fl_csv_open(&c, "data.csv", &err);
	if (rc == 0) {
		if (fl_csv_ncols(c) > 64) {
			fprintf(stderr, "test_csv.c:%d: too many columns\n",
			    line);
			unit_fail++;
			fl_csv_free(c);
			return;
		}
		while ((rc = fl_csv_next(c, row, &err)) == 1)
			continue;
	}
	fl_csv_free(c);
	if (rc == FL_EFORMAT && strcmp(err.msg, want) == 0)
		unit_pass++;
	else {
		unit_fail++;
		fprintf(stderr, "test_csv.c:%d: rc %d, message '%s', want "
		    "'%s'\n", line, rc, err.msg, want);
	}
}

#define EXPECT_ERROR(lit, want) expect_error(lit, sizeof(lit) - 1, want, \
	__LINE__)

static void
test_good(void)
{
	struct fl_err err = FL_ERR_INIT;
	struct fl_csv *c = NULL;
	double row[3];

	/* BOM, quoted names, CRLF, NA, empty and quoted cells, blanks
	 * around cells, no final newline. */
	PUT("good.csv", "\xef\xbb\xbf" "a,\"b c\",c\r\n"
	    "1,2.5,-3e2\r\n"
	    "NA,,\"4\"\r\n"
	    " 7 ,\"NA\", .5");
	CHECK_OK(fl_csv_open(&c, "good.csv", &err), &err);
	if (c == NULL)
		return;
	CHECK(fl_csv_ncols(c) == 3);
	CHECK(strcmp(fl_csv_colname(c, 0), "a") == 0);
	CHECK(strcmp(fl_csv_colname(c, 1), "b c") == 0);
	CHECK(strcmp(fl_csv_colname(c, 2), "c") == 0);
	CHECK(fl_csv_colname(c, 3) == NULL);
	CHECK(fl_csv_find(c, "c") == 2);
	CHECK(fl_csv_find(c, "b c") == 1);
	CHECK(fl_csv_find(c, "a") == 0);
	CHECK(fl_csv_find(c, "d") == -1);
	CHECK(strcmp(fl_csv_name(c), "good.csv") == 0);
	CHECK(fl_csv_line(c) == 1);
	CHECK(fl_csv_next(c, row, &err) == 1);
	CHECK(fl_csv_line(c) == 2);
	CHECK(row[0] == 1 && row[1] == 2.5 && row[2] == -300);
	CHECK(fl_csv_next(c, row, &err) == 1);
	CHECK(fl_csv_line(c) == 3);
	CHECK(isnan(row[0]) && isnan(row[1]) && row[2] == 4);
	CHECK(fl_csv_next(c, row, &err) == 1);
	CHECK(fl_csv_line(c) == 4);
	CHECK(row[0] == 7 && isnan(row[1]) && row[2] == 0.5);
	CHECK(fl_csv_next(c, row, &err) == 0);
	CHECK(fl_csv_next(c, row, &err) == 0);
	fl_csv_free(c);

	/* Blank trailing lines; a header with no rows. */
	PUT("blank.csv", "x,y\n1,2\n\n\r\n  \n");
	CHECK_OK(fl_csv_open(&c, "blank.csv", &err), &err);
	if (c != NULL) {
		CHECK(fl_csv_next(c, row, &err) == 1);
		CHECK(fl_csv_next(c, row, &err) == 0);
		fl_csv_free(c);
	}
	PUT("head.csv", "x,y\n");
	CHECK_OK(fl_csv_open(&c, "head.csv", &err), &err);
	if (c != NULL) {
		CHECK(fl_csv_next(c, row, &err) == 0);
		fl_csv_free(c);
	}

	/* One column: a blank line followed by data is a missing value. */
	PUT("one.csv", "x\n1\n\n3\n\n");
	CHECK_OK(fl_csv_open(&c, "one.csv", &err), &err);
	if (c != NULL) {
		CHECK(fl_csv_next(c, row, &err) == 1 && row[0] == 1);
		CHECK(fl_csv_next(c, row, &err) == 1 && isnan(row[0]));
		CHECK(fl_csv_line(c) == 3);
		CHECK(fl_csv_next(c, row, &err) == 1 && row[0] == 3);
		CHECK(fl_csv_line(c) == 4);
		CHECK(fl_csv_next(c, row, &err) == 0);
		fl_csv_free(c);
	}
}

/*
 * Cells on either side of the number parser's fast path (see
 * test_number.c) read through a file as strtod reads them, bit for bit.
 */
/* The text of each cell (fl_csv_field), for fl-stats' levels. */
static void
test_field(void)
{
	struct fl_err err = FL_ERR_INIT;
	struct fl_csv *c = NULL;
	const char *p;
	double row[2];
	size_t n;

	PUT("field.csv", "a,b\n3.0,\"2\"\nNA,\n 7 ,1\n");
	CHECK_OK(fl_csv_open(&c, "field.csv", &err), &err);
	if (c == NULL)
		return;
	CHECK(fl_csv_field(c, 0, &n) == NULL && n == 0);	/* no row yet */
	CHECK(fl_csv_next(c, row, &err) == 1);
	p = fl_csv_field(c, 0, &n);
	CHECK(p != NULL && n == 3 && memcmp(p, "3.0", 3) == 0);
	p = fl_csv_field(c, 1, &n);
	CHECK(p != NULL && n == 1 && p[0] == '2');	/* quotes removed */
	CHECK(fl_csv_field(c, 2, &n) == NULL);
	CHECK(fl_csv_next(c, row, &err) == 1);		/* NA and empty */
	CHECK(fl_csv_field(c, 0, &n) == NULL && fl_csv_field(c, 1, &n) ==
	    NULL);
	CHECK(fl_csv_next(c, row, &err) == 1);
	p = fl_csv_field(c, 0, &n);
	CHECK(p != NULL && n == 1 && p[0] == '7');	/* blanks trimmed */
	fl_csv_free(c);
}

/* A text column (fl_csv_text) reads text cells as NaN with their text;
 * the other columns still refuse them, naming file, line and column. */
static void
test_text(void)
{
	struct fl_err err = FL_ERR_INIT;
	struct fl_csv *c = NULL;
	const char *p;
	double row[2];
	size_t n;

	PUT("text.csv", "sex,age\nfemale,40\n\"stage=III\",NA\n2,x\n");
	CHECK_OK(fl_csv_open(&c, "text.csv", &err), &err);
	if (c == NULL)
		return;
	CHECK(fl_csv_text(c, "nope", &err) == FL_EFORMAT);
	CHECK(strcmp(err.msg, "text.csv: missing column 'nope'") == 0);
	CHECK_OK(fl_csv_text(c, "sex", &err), &err);
	CHECK(fl_csv_next(c, row, &err) == 1 && isnan(row[0]) &&
	    row[1] == 40);
	p = fl_csv_field(c, 0, &n);
	CHECK(p != NULL && n == 6 && memcmp(p, "female", 6) == 0);
	CHECK(fl_csv_next(c, row, &err) == 1 && isnan(row[0]));
	p = fl_csv_field(c, 0, &n);
	CHECK(p != NULL && n == 9 && memcmp(p, "stage=III", 9) == 0);
	CHECK(fl_csv_next(c, row, &err) == FL_EFORMAT && row[0] == 2);
	CHECK(strcmp(err.msg, "text.csv:4: column 'age': not a number: "
	    "'x'") == 0);
	fl_csv_free(c);
}

static void
test_numbers(void)
{
	static const char *cell[] = { "-0", "0.1", "-.5e-1", "1e22", "1e23",
	    "9007199254740992", "9007199254740993", "4.9e-324", "1e-400",
	    "1.50000000000000000000000", "123456789012345678901234",
	    "0.1234567890123456789" };
	struct fl_err err = FL_ERR_INIT;
	struct fl_csv *c = NULL;
	char text[1024];
	double row[12], want;
	size_t n = sizeof(cell) / sizeof(cell[0]), j, len = 0;
	int same = 1;

	for (j = 0; j < n; j++)
		len += (size_t)snprintf(text + len, sizeof(text) - len,
		    "%sc%zu", j ? "," : "", j);
	for (j = 0; j < n; j++)
		len += (size_t)snprintf(text + len, sizeof(text) - len,
		    "%s%s", j ? "," : "\n", cell[j]);
	put("num.csv", text, len);
	CHECK_OK(fl_csv_open(&c, "num.csv", &err), &err);
	if (c == NULL)
		return;
	CHECK(fl_csv_next(c, row, &err) == 1);
	for (j = 0; j < n; j++) {
		want = strtod(cell[j], NULL);
		if (memcmp(&row[j], &want, sizeof(want)) != 0) {
			fprintf(stderr, "test_csv: '%s' read as %a, strtod "
			    "gives %a\n", cell[j], row[j], want);
			same = 0;
		}
	}
	CHECK(same);
	CHECK(signbit(row[0]));
	CHECK(fl_csv_next(c, row, &err) == 0);
	fl_csv_free(c);
	EXPECT_ERROR("id,age\n1,1e\n",
	    "data.csv:2: column 'age': not a number: '1e'");
	EXPECT_ERROR("id,age\n1,-\n",
	    "data.csv:2: column 'age': not a number: '-'");
	EXPECT_ERROR("id,age\n1,1.2.3\n",
	    "data.csv:2: column 'age': not a number: '1.2.3'");
	EXPECT_ERROR("id,age\n1,0x1p3\n",
	    "data.csv:2: column 'age': not a number: '0x1p3'");
}

/* A line longer than the first buffer, to exercise its growth. */
static void
test_long_line(void)
{
	struct fl_err err = FL_ERR_INIT;
	struct fl_csv *c = NULL;
	size_t ncols = 40000, j, len = 0;
	char *text, *p;
	double *row;
	int ok = 1;

	text = malloc(ncols * 32 + 64);
	row = malloc(ncols * sizeof(*row));
	if (text == NULL || row == NULL)
		exit(1);
	p = text;
	for (j = 0; j < ncols; j++)
		p += snprintf(p, 32, "%scolumn_number_%zu", j ? "," : "", j);
	*p++ = '\n';
	for (j = 0; j < ncols; j++)
		p += snprintf(p, 32, "%s%zu.25", j ? "," : "", j);
	*p++ = '\n';
	len = (size_t)(p - text);
	put("long.csv", text, len);
	CHECK_OK(fl_csv_open(&c, "long.csv", &err), &err);
	if (c != NULL) {
		CHECK(fl_csv_ncols(c) == ncols);
		CHECK(fl_csv_find(c, "column_number_39999") == 39999);
		CHECK(fl_csv_next(c, row, &err) == 1);
		for (j = 0; j < ncols; j++)
			if (row[j] != (double)j + 0.25)
				ok = 0;
		CHECK(ok);
		CHECK(fl_csv_next(c, row, &err) == 0);
		fl_csv_free(c);
	}
	free(text);
	free(row);
}

static void
test_errors(void)
{
	struct fl_err err = FL_ERR_INIT;
	struct fl_csv *c = NULL;

	EXPECT_ERROR("", "data.csv: empty file, expected a header row");
	EXPECT_ERROR("\n\r\n", "data.csv: empty file, expected a header row");
	EXPECT_ERROR("\xef\xbb\xbf",
	    "data.csv: empty file, expected a header row");
	EXPECT_ERROR("id,age,x,age\n1,2,3,4\n",
	    "data.csv:1: duplicate column 'age'");
	EXPECT_ERROR("a,,b\n", "data.csv:1: column 2 has an empty name");
	EXPECT_ERROR("a,\"b\n", "data.csv:1: column 2: unbalanced quotes");
	EXPECT_ERROR("a,b,c\n1,2,3\n1,2\n",
	    "data.csv:3: 2 fields, header has 3");
	EXPECT_ERROR("a,b,c\n1,2,3\n1,2,3,4,5\n",
	    "data.csv:3: 5 fields, header has 3");
	EXPECT_ERROR("a,b\n1,2\n\n3,4\n",
	    "data.csv:3: 1 fields, header has 2");
	EXPECT_ERROR("id,age\n1,2\n2,abc\n",
	    "data.csv:3: column 'age': not a number: 'abc'");
	EXPECT_ERROR("id,age\r\n1,2\r\n2,1.5x\r\n",
	    "data.csv:3: column 'age': not a number: '1.5x'");
	EXPECT_ERROR("id,age\n1,inf\n",
	    "data.csv:2: column 'age': not a number: 'inf'");
	EXPECT_ERROR("id,age\n1,-Infinity\n",
	    "data.csv:2: column 'age': not a number: '-Infinity'");
	EXPECT_ERROR("id,age\n1,nan\n",
	    "data.csv:2: column 'age': not a number: 'nan'");
	EXPECT_ERROR("id,age\n1,1e999\n",
	    "data.csv:2: column 'age': not a number: '1e999'");
	EXPECT_ERROR("id,age\n1,0x10\n",
	    "data.csv:2: column 'age': not a number: '0x10'");
	EXPECT_ERROR("id,age\n1,1 2\n",
	    "data.csv:2: column 'age': not a number: '1 2'");
	EXPECT_ERROR("id,age\n1,.\n",
	    "data.csv:2: column 'age': not a number: '.'");
	EXPECT_ERROR("id,age\n1,na\n",
	    "data.csv:2: column 'age': not a number: 'na'");
	EXPECT_ERROR("id,age\n1,123456789012345678901234567890abc\n",
	    "data.csv:2: column 'age': not a number: "
	    "'123456789012345678901234...'");
	EXPECT_ERROR("id,age\n1,\"2\n",
	    "data.csv:2: column 'age': unbalanced quotes");
	EXPECT_ERROR("id,age\n1,2\x01\n",
	    "data.csv:2: column 'age': not a number: '2?'");
	EXPECT_ERROR("a\n1\0\n" "2\n", "data.csv:2: column 'a': not a "
	    "number: '1?'");

	CHECK(fl_csv_open(&c, "nonexistent.csv", &err) == FL_EIO);
	CHECK(c == NULL);
	CHECK(strcmp(err.msg,
	    "nonexistent.csv: No such file or directory") == 0);
}

/* Reading after an error keeps failing. */
static void
test_sticky(void)
{
	struct fl_err err = FL_ERR_INIT;
	struct fl_csv *c = NULL;
	double row[2];

	PUT("data.csv", "a,b\nx,1\n1,2\n");
	CHECK_OK(fl_csv_open(&c, "data.csv", &err), &err);
	if (c == NULL)
		return;
	CHECK(fl_csv_next(c, row, &err) == FL_EFORMAT);
	CHECK(fl_csv_next(c, row, &err) == FL_EFORMAT);
	fl_csv_free(c);
}

/* The bundled data: colon.csv has NA cells. */
static void
test_colon(const char *root)
{
	struct fl_err err = FL_ERR_INIT;
	struct fl_csv *c = NULL;
	char path[4096];
	double row[32];
	size_t n = 0, na = 0, j;
	int rc;

	snprintf(path, sizeof(path), "%s/examples/data/colon.csv", root);
	CHECK_OK(fl_csv_open(&c, path, &err), &err);
	if (c == NULL)
		return;
	CHECK(fl_csv_ncols(c) == 17);
	CHECK(fl_csv_find(c, "death_5y") == 16);
	while ((rc = fl_csv_next(c, row, &err)) == 1) {
		n++;
		for (j = 0; j < 17; j++)
			na += isnan(row[j]) != 0;
	}
	CHECK(rc == 0);
	CHECK(n == 744);
	CHECK(fl_csv_line(c) == 745);
	CHECK(na > 0);
	fl_csv_free(c);
}

int
main(void)
{
	char root[2048];

	if (getcwd(root, sizeof(root)) == NULL || mkdtemp(tmpdir) == NULL ||
	    chdir(tmpdir) < 0) {
		perror("test_csv");
		return 1;
	}
	unit_run("good", test_good);
	unit_run("field", test_field);
	unit_run("text", test_text);
	unit_run("numbers", test_numbers);
	unit_run("long_line", test_long_line);
	unit_run("errors", test_errors);
	unit_run("sticky", test_sticky);
	UNIT_CASE("colon", test_colon(root));
	if (chdir(root) == 0) {
		char cmd[256];

		snprintf(cmd, sizeof(cmd), "rm -rf '%s'", tmpdir);
		if (system(cmd) != 0)
			fprintf(stderr, "test_csv: could not remove %s\n",
			    tmpdir);
	}
	return unit_done("test_csv");
}
