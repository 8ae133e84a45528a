/*
 * test_dataset.c: reading a CSV through a model's prep (lib/model/dataset.c):
 * features found by name in another column order, imputation,
 * standardisation, skipped rows without a label, and each error message.
 */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "fl.h"
#include "unit.h"

static char tmpdir[] = "/tmp/fl-test-dataset.XXXXXX";

static void
put(const char *name, const char *text)
{
	FILE *f = fopen(name, "wb");

	if (f == NULL || fputs(text, f) == EOF || fclose(f) != 0) {
		perror(name);
		exit(1);
	}
}

/* A model on features (b, a) with label y and a non-trivial prep. */
static struct fl_model *
make_model(const char *spec, enum fl_task task, size_t k)
{
	static const char *const feats[] = { "b", "a" };
	struct fl_err err = FL_ERR_INIT;
	struct fl_model *m = NULL;
	struct fl_prep *p;

	if (fl_model_new(&m, spec, task, k, 2, feats, "y", &err) < 0) {
		fprintf(stderr, "fl_model_new: %s\n", err.msg);
		exit(1);
	}
	p = fl_model_prep(m);
	p->mean[0] = 20;
	p->scale[0] = 10;
	p->impute[0] = 15;
	p->mean[1] = 2;
	p->scale[1] = 0.5;
	p->impute[1] = 2;
	return m;
}

static void
expect_error(const struct fl_model *m, int need_label, const char *text,
    const char *want, int line)
{
	struct fl_err err = FL_ERR_INIT;
	struct fl_dataset *ds = NULL;
	int rc;

	put("site.csv", text);
	rc = fl_dataset_load(&ds, "site.csv", m, need_label, &err);
	if (rc == FL_EFORMAT && ds == NULL && strcmp(err.msg, want) == 0)
		unit_pass++;
	else {
		unit_fail++;
		fprintf(stderr, "test_dataset.c:%d: rc %d, message '%s', want "
		    "'%s'\n", line, rc, err.msg, want);
	}
	fl_dataset_free(ds);
}

#define EXPECT_ERROR(m, nl, text, want) \
	expect_error(m, nl, text, want, __LINE__)

static void
test_load(void)
{
	struct fl_err err = FL_ERR_INIT;
	struct fl_dataset *ds = NULL;
	struct fl_model *m = make_model("logreg", FL_TASK_BINARY, 0);

	put("site.csv", "a,y,b,extra\n"
	    "1,0,10,5\n"	/* b -1, a -2 */
	    "NA,1,20,5\n"	/* a imputed to 2: 0 */
	    "3,NA,30,5\n"	/* no label: skipped */
	    "2,1,,5\n");	/* b imputed to 15: -0.5 */
	CHECK_OK(fl_dataset_load(&ds, "site.csv", m, 1, &err), &err);
	if (ds != NULL) {
		CHECK(ds->n == 3 && ds->d == 2 && ds->skipped == 1);
		CHECK(ds->X[0] == -1.0f && ds->X[1] == -2.0f);
		CHECK(ds->X[2] == 0.0f && ds->X[3] == 0.0f);
		CHECK(ds->X[4] == -0.5f && ds->X[5] == 0.0f);
		CHECK(ds->y[0] == 0 && ds->y[1] == 1 && ds->y[2] == 1);
		fl_dataset_free(ds);
		ds = NULL;
	}

	/* Prediction: every row kept, a missing label stays NaN. */
	CHECK_OK(fl_dataset_load(&ds, "site.csv", m, 0, &err), &err);
	if (ds != NULL) {
		CHECK(ds->n == 4 && ds->skipped == 0);
		CHECK(isnan(ds->y[2]) && ds->y[3] == 1);
		CHECK(ds->X[4] == 1.0f && ds->X[5] == 2.0f);
		fl_dataset_free(ds);
		ds = NULL;
	}
	put("nolabel.csv", "b,a\n20,2\n");
	CHECK_OK(fl_dataset_load(&ds, "nolabel.csv", m, 0, &err), &err);
	if (ds != NULL) {
		CHECK(ds->n == 1 && isnan(ds->y[0]));
		CHECK(ds->X[0] == 0.0f && ds->X[1] == 0.0f);
		fl_dataset_free(ds);
		ds = NULL;
	}

	EXPECT_ERROR(m, 1, "a,y\n1,0\n", "site.csv: missing column 'b'");
	EXPECT_ERROR(m, 1, "y,x\n1,0\n", "site.csv: missing column 'b'");
	EXPECT_ERROR(m, 1, "a,b\n1,0\n", "site.csv: missing column 'y'");
	EXPECT_ERROR(m, 1, "a,b,y\n1,0,1\n1,0,2\n",
	    "site.csv:3: column 'y': label 2 is not 0 or 1");
	EXPECT_ERROR(m, 0, "a,b,y\n1,0,0.5\n",
	    "site.csv:2: column 'y': label 0.5 is not 0 or 1");
	EXPECT_ERROR(m, 1, "a,b,y\n1,x,1\n",
	    "site.csv:2: column 'b': not a number: 'x'");
	EXPECT_ERROR(m, 1, "a,b,y\n1,1e300,1\n",
	    "site.csv:2: column 'b': value out of range after "
	    "standardisation");
	fl_model_free(m);
}

static void
test_tasks(void)
{
	struct fl_err err = FL_ERR_INIT;
	struct fl_dataset *ds = NULL;
	struct fl_model *m;

	m = make_model("softmax", FL_TASK_MULTICLASS, 3);
	put("site.csv", "a,b,y\n1,1,0\n1,1,2\n1,1,1\n");
	CHECK_OK(fl_dataset_load(&ds, "site.csv", m, 1, &err), &err);
	if (ds != NULL) {
		CHECK(ds->n == 3 && ds->y[1] == 2 && ds->y[2] == 1);
		fl_dataset_free(ds);
		ds = NULL;
	}
	EXPECT_ERROR(m, 1, "a,b,y\n1,1,3\n",
	    "site.csv:2: column 'y': label 3 is not a class 0 to 2");
	EXPECT_ERROR(m, 1, "a,b,y\n1,1,1.5\n",
	    "site.csv:2: column 'y': label 1.5 is not a class 0 to 2");
	EXPECT_ERROR(m, 1, "a,b,y\n1,1,-1\n",
	    "site.csv:2: column 'y': label -1 is not a class 0 to 2");
	fl_model_free(m);

	m = make_model("linear", FL_TASK_REGRESSION, 0);
	put("site.csv", "a,b,y\n1,1,-2.5\n1,1,1e6\n");
	CHECK_OK(fl_dataset_load(&ds, "site.csv", m, 1, &err), &err);
	if (ds != NULL) {
		CHECK(ds->n == 2 && ds->y[0] == -2.5f && ds->y[1] == 1e6f);
		fl_dataset_free(ds);
		ds = NULL;
	}
	EXPECT_ERROR(m, 1, "a,b,y\n1,1,1e300\n",
	    "site.csv:2: column 'y': label 1e+300 is out of range");
	fl_model_free(m);
}

/* More rows than the first allocation, from the bundled data. */
static void
test_colon(const char *root)
{
	static const char *const feats[] = { "age", "nodes", "sex" };
	struct fl_err err = FL_ERR_INIT;
	struct fl_dataset *ds = NULL;
	struct fl_model *m = NULL;
	char path[4096];

	snprintf(path, sizeof(path), "%s/examples/data/colon.csv", root);
	CHECK_OK(fl_model_new(&m, "logreg", FL_TASK_BINARY, 0, 3, feats,
	    "death_5y", &err), &err);
	if (m == NULL)
		return;
	CHECK_OK(fl_dataset_load(&ds, path, m, 1, &err), &err);
	if (ds != NULL) {
		CHECK(ds->n + ds->skipped == 744);
		CHECK(ds->skipped > 0);
		fl_dataset_free(ds);
	}
	fl_model_free(m);
}

int
main(void)
{
	char root[2048];

	if (getcwd(root, sizeof(root)) == NULL || mkdtemp(tmpdir) == NULL ||
	    chdir(tmpdir) < 0) {
		perror("test_dataset");
		return 1;
	}
	unit_run("load", test_load);
	unit_run("tasks", test_tasks);
	UNIT_CASE("colon", test_colon(root));
	unlink("site.csv");
	unlink("nolabel.csv");
	if (chdir(root) < 0 || rmdir(tmpdir) < 0)
		fprintf(stderr, "test_dataset: could not remove %s\n", tmpdir);
	return unit_done("test_dataset");
}
