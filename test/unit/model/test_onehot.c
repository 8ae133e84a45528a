/*
 * test_onehot.c: categorical columns of a model (lib/model/onehot.c) and
 * their encoding when a CSV is read (lib/model/dataset.c): indicators
 * worked by hand for reference and full coding, text and number levels,
 * an unknown level as all zeros, a missing cell imputed or dropped, the
 * checks of fl_prep_link, and the manifest round trip.
 */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "fl.h"
#include "unit.h"

static char tmpdir[] = "/tmp/fl-test-onehot.XXXXXX";

static void
put(const char *name, const char *text)
{
	FILE *f = fopen(name, "wb");

	if (f == NULL || fputs(text, f) == EOF || fclose(f) != 0) {
		perror(name);
		exit(1);
	}
}

static const char *const sexes[] = { "female", "male" };
static const char *const stages[] = { "1", "2", "III" };

/* A logreg model on age, sex=male (reference female) and stage=1..III
 * (full one-hot when full, else stage=2, stage=III). */
static struct fl_model *
make_model(int full, int drop)
{
	static const char *const ref[] = { "age", "sex=male", "stage=2",
	    "stage=III" };
	static const char *const all[] = { "age", "sex=male", "stage=1",
	    "stage=2", "stage=III" };
	struct fl_err err = FL_ERR_INIT;
	struct fl_model *m = NULL;
	struct fl_prep *p;
	size_t j;

	if (fl_model_new(&m, "logreg", FL_TASK_BINARY, 0, full ? 5 : 4,
	    full ? all : ref, "y", &err) < 0)
		exit(1);
	p = fl_model_prep(m);
	p->drop_missing = drop;
	p->mean[0] = 50;
	p->scale[0] = 10;
	p->impute[0] = 50;
	for (j = 1; j < p->d; j++)
		p->impute[j] = 0.25;
	CHECK_OK(fl_prep_add_categorical(p, "sex", 2, sexes, 0, &err), &err);
	CHECK_OK(fl_prep_add_categorical(p, "stage", 3, stages, full ? -1 : 0,
	    &err), &err);
	CHECK_OK(fl_prep_link(p, &err), &err);
	return m;
}

/* The CSV every case reads: text levels, a number level, an unknown
 * level (IV), a missing cell. */
#define CSV	"y,stage,sex,age\n"					\
		"1,III,male,60\n"					\
		"0,1,female,40\n"					\
		"1,2,\"male\",50\n"					\
		"0,IV,female,50\n"					\
		"1,NA,male,70\n"

static void
check_rows(const struct fl_dataset *ds, size_t d, const float *want,
    size_t n)
{
	size_t i;

	CHECK(ds != NULL && ds->n == n && ds->d == d);
	if (ds == NULL || ds->n != n || ds->d != d)
		return;
	for (i = 0; i < n * d; i++)
		CHECK_NEAR(ds->X[i], want[i], 1e-6, 0);
}

static void
test_reference(void)
{
	static const float want[] = {
		1, 1, 0, 1,		/* III, male */
		-1, 0, 0, 0,		/* 1 (reference), female (ref.) */
		0, 1, 1, 0,		/* 2, male */
		0, 0, 0, 0,		/* IV: unknown, all zeros */
		2, 1, 0.25f, 0.25f	/* NA: imputed */
	};
	struct fl_err err = FL_ERR_INIT;
	struct fl_dataset *ds = NULL;
	struct fl_model *m = make_model(0, 0);

	put("s.csv", CSV);
	CHECK_OK(fl_dataset_load(&ds, "s.csv", m, 1, &err), &err);
	check_rows(ds, 4, want, 5);
	fl_dataset_free(ds);
	fl_model_free(m);
}

static void
test_full_drop(void)
{
	static const float want[] = {
		1, 1, 0, 0, 1,
		-1, 0, 1, 0, 0,
		0, 1, 0, 1, 0,
		0, 0, 0, 0, 0,		/* IV: all zeros, even in full */
	};
	struct fl_err err = FL_ERR_INIT;
	struct fl_dataset *ds = NULL;
	struct fl_model *m = make_model(1, 1);

	put("s.csv", CSV);
	CHECK_OK(fl_dataset_load(&ds, "s.csv", m, 1, &err), &err);
	check_rows(ds, 5, want, 4);
	CHECK(ds != NULL && ds->dropped == 1);
	fl_dataset_free(ds);
	/* Text in a column that is not categorical is still an error. */
	put("t.csv", "y,stage,sex,age\n1,1,male,old\n");
	CHECK(fl_dataset_load(&ds, "t.csv", m, 1, &err) == FL_EFORMAT);
	CHECK(strcmp(err.msg, "t.csv:2: column 'age': not a number: "
	    "'old'") == 0);
	put("t.csv", "y,sex,age\n1,male,3\n");
	CHECK(fl_dataset_load(&ds, "t.csv", m, 1, &err) == FL_EFORMAT);
	CHECK(strcmp(err.msg, "t.csv: missing column 'stage'") == 0);
	fl_model_free(m);
}

/* The model through an archive: same prep, same encoding. */
static void
test_archive(void)
{
	struct fl_err err = FL_ERR_INIT;
	struct fl_model *m = make_model(0, 0), *b = NULL, *c;
	struct fl_archive *a = NULL;
	const struct fl_prep *p;
	json_t *cat, *want;

	CHECK_OK(fl_model_to_archive(m, FL_KIND_MODEL, &a, &err), &err);
	cat = json_object_get(json_object_get(fl_archive_manifest(a),
	    "preprocess"), "categorical");
	want = json_pack("{s:{s:[s,s],s:s},s:{s:[s,s,s],s:s}}", "sex",
	    "levels", "female", "male", "reference", "female", "stage",
	    "levels", "1", "2", "III", "reference", "1");
	CHECK(json_equal(cat, want));
	json_decref(want);
	CHECK_OK(fl_model_from_archive(&b, a, &err), &err);
	if (b != NULL) {
		p = fl_model_prep_const(b);
		CHECK(p->ncat == 2 && p->fcat[0] == -1 && p->fcat[1] == 0 &&
		    p->flevel[1] == 1 && p->fcat[3] == 1 && p->flevel[3] == 2);
		c = fl_model_dup(b);
		CHECK(c != NULL && fl_model_prep_const(c)->fcat[2] == 1);
		fl_model_free(c);
	}
	fl_model_free(b);
	/* A reference that is no level; levels given twice. */
	json_object_set_new(json_object_get(cat, "sex"), "reference",
	    json_string("other"));
	CHECK(fl_model_from_archive(&b, a, &err) == FL_EFORMAT && b == NULL);
	CHECK(strcmp(err.msg, "preprocess.categorical.sex: the reference is "
	    "none of its levels") == 0);
	json_object_set_new(json_object_get(cat, "sex"), "levels",
	    json_pack("[s,s]", "male", "male"));
	json_object_set_new(json_object_get(cat, "sex"), "reference",
	    json_string("male"));
	CHECK(fl_model_from_archive(&b, a, &err) == FL_EFORMAT);
	CHECK(strcmp(err.msg, "preprocess: categorical column 'sex': level "
	    "'male' twice") == 0);
	fl_archive_free(a);
	fl_model_free(m);
}

static void
test_link(void)
{
	static const char *const f1[] = { "sex", "sex=male" };
	static const char *const f2[] = { "sex=male", "sex=male" };
	static const char *const f3[] = { "age" };
	static const char *const f4[] = { "sex=male", "sex=female" };
	static const char *const f5[] = { "a=b=c", "x" };
	static const char *const ab[] = { "a", "c" };
	static const char *const ab2[] = { "a", "b=c" };
	struct fl_err err = FL_ERR_INIT;
	struct fl_model *m = NULL;
	struct fl_prep *p;

	/* A feature named like the categorical column. */
	fl_model_new(&m, "logreg", FL_TASK_BINARY, 0, 2, f1, "y", &err);
	p = fl_model_prep(m);
	CHECK(fl_prep_add_categorical(p, "sex", 2, sexes, 0, &err) == 0);
	CHECK(fl_prep_link(p, &err) == FL_EFORMAT);
	CHECK(strcmp(err.msg, "feature 'sex' is also a categorical column") ==
	    0);
	fl_model_free(m);
	/* A level named twice; a level named by none. */
	fl_model_new(&m, "logreg", FL_TASK_BINARY, 0, 2, f2, "y", &err);
	p = fl_model_prep(m);
	CHECK(fl_prep_add_categorical(p, "sex", 2, sexes, 0, &err) == 0);
	CHECK(fl_prep_link(p, &err) == FL_EFORMAT);
	CHECK(strcmp(err.msg, "features name level 'male' of categorical "
	    "column 'sex' 2 times") == 0);
	fl_model_free(m);
	/* A feature naming the reference level. */
	fl_model_new(&m, "logreg", FL_TASK_BINARY, 0, 2, f4, "y", &err);
	p = fl_model_prep(m);
	CHECK(fl_prep_add_categorical(p, "sex", 2, sexes, 0, &err) == 0);
	CHECK(fl_prep_link(p, &err) == FL_EFORMAT);
	CHECK(strcmp(err.msg, "features name level 'female' of categorical "
	    "column 'sex' 1 times") == 0);
	fl_model_free(m);
	/* A column whose name holds '=': "a=b" level "c" is "a=b=c". */
	fl_model_new(&m, "logreg", FL_TASK_BINARY, 0, 2, f5, "y", &err);
	p = fl_model_prep(m);
	CHECK(fl_prep_add_categorical(p, "a=b", 2, ab, 0, &err) == 0);
	CHECK_OK(fl_prep_link(p, &err), &err);
	CHECK(p->fcat[0] == 0 && p->flevel[0] == 1 && p->fcat[1] == -1);
	/* ... which a column "a" with level "b=c" would make ambiguous. */
	CHECK(fl_prep_add_categorical(p, "a", 2, ab2, 0, &err) == 0);
	CHECK(fl_prep_link(p, &err) == FL_EFORMAT);
	CHECK(strcmp(err.msg, "feature 'a=b=c' names levels of two "
	    "categorical columns") == 0);
	fl_model_free(m);
	fl_model_new(&m, "logreg", FL_TASK_BINARY, 0, 1, f3, "y", &err);
	p = fl_model_prep(m);
	CHECK(fl_prep_add_categorical(p, "sex", 2, sexes, -1, &err) == 0);
	CHECK(fl_prep_link(p, &err) == FL_EFORMAT);
	CHECK(strcmp(err.msg, "features name level 'female' of categorical "
	    "column 'sex' 0 times") == 0);
	CHECK(fl_prep_add_categorical(p, "g", 1, sexes, -1, &err) ==
	    FL_EFORMAT);
	CHECK(strcmp(err.msg, "categorical column 'g': 1 levels, not 2 to "
	    "64") == 0);
	fl_model_free(m);
}

int
main(void)
{
	char root[2048];

	if (getcwd(root, sizeof(root)) == NULL || mkdtemp(tmpdir) == NULL ||
	    chdir(tmpdir) < 0) {
		perror("test_onehot");
		return 1;
	}
	unit_run("reference", test_reference);
	unit_run("full_drop", test_full_drop);
	unit_run("archive", test_archive);
	unit_run("link", test_link);
	unlink("s.csv");
	unlink("t.csv");
	if (chdir(root) < 0 || rmdir(tmpdir) < 0)
		fprintf(stderr, "test_onehot: could not remove %s\n", tmpdir);
	return unit_done("test_onehot");
}
