/*
 * test_err.c: error records and the words put into them (lib/core/err.c):
 * fl_err_set, fl_err_prefix, and the article before a kind name.
 */
#include <string.h>

#include "fl.h"
#include "unit.h"

int
main(void)
{
	struct fl_err err = FL_ERR_INIT;

	CHECK(fl_err_set(&err, FL_EFORMAT, "x: %d", 1) == FL_EFORMAT);
	CHECK(strcmp(err.msg, "x: 1") == 0);
	CHECK(fl_err_prefix(&err, "%s", "a.fla") == FL_EFORMAT);
	CHECK(strcmp(err.msg, "a.fla: x: 1") == 0);
	CHECK(err.code == FL_EFORMAT);

	/* "an update", never "a update"; every kind name gets its article. */
	CHECK(strcmp(fl_article(fl_kind_name(FL_KIND_UPDATE)), "an") == 0);
	CHECK(strcmp(fl_article(fl_kind_name(FL_KIND_MODEL)), "a") == 0);
	CHECK(strcmp(fl_article(fl_kind_name(FL_KIND_STATS)), "a") == 0);
	CHECK(strcmp(fl_article(fl_kind_name(FL_KIND_METRICS)), "a") == 0);
	CHECK(strcmp(fl_article(fl_kind_name(FL_KIND_STATE)), "a") == 0);
	CHECK(strcmp(fl_article(fl_kind_name((enum fl_kind)99)), "an") == 0);
	CHECK(strcmp(fl_article("binary"), "a") == 0);
	CHECK(strcmp(fl_article(""), "a") == 0);
	CHECK(strcmp(fl_article(NULL), "a") == 0);
	return unit_done("test_err");
}
