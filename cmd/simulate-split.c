/*
 * simulate-split.c: fl-simulate's split of the user's CSV into sites and
 * held-out rows.  Lines are copied as they are, never parsed as numbers:
 * the tools that read the parts check them.  A line goes to the held-out
 * rows with probability --holdout (a seeded draw per line), else to the
 * site named by its --site-column value or drawn at random among --sites.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/types.h>

#include "fl.h"
#include "simulate.h"

#define SPLIT_MAX_LINE	((size_t)16 << 20)	/* as fl-stats reads */

/* Open DIR/NAME for writing and write the header line. */
static FILE *
part_open(const char *dir, const char *name, const char *hdr,
    struct fl_err *err)
{
	char path[4096];
	FILE *f;

	if ((size_t)snprintf(path, sizeof(path), "%s/%s", dir, name) >=
	    sizeof(path)) {
		fl_err_set(err, FL_EUSAGE, "%s: path too long", dir);
		return NULL;
	}
	if ((f = fopen(path, "w")) == NULL) {
		fl_err_set(err, FL_EIO, "%s: %s", path, strerror(errno));
		return NULL;
	}
	fprintf(f, "%s\n", hdr);
	return f;
}

/* Close f, reporting a failed write or close. */
static int
part_close(FILE **f, const char *dir, const char *name, struct fl_err *err)
{
	int bad;

	if (*f == NULL)
		return 0;
	bad = ferror(*f) | (fclose(*f) != 0);
	*f = NULL;
	if (bad)
		return fl_err_set(err, FL_EIO, "%s/%s: %s", dir, name,
		    strerror(errno));
	return 0;
}

/* The index of column col in the header hdr, or -1. */
static long
column_index(const char *hdr, const char *col)
{
	size_t n = strlen(col);
	const char *p = hdr;
	long k = 0;

	for (;;) {
		if (strncmp(p, col, n) == 0 && (p[n] == ',' || p[n] == '\0'))
			return k;
		if ((p = strchr(p, ',')) == NULL)
			return -1;
		p++;
		k++;
	}
}

/* The text of field k of line (NUL-terminated), in *p and *len; -1 when
 * the line has fewer fields. */
static int
field(const char *line, long k, const char **p, size_t *len)
{
	const char *e;

	while (k-- > 0)
		if ((line = strchr(line, ',')) == NULL)
			return -1;
		else
			line++;
	e = strchr(line, ',');
	*p = line;
	*len = e != NULL ? (size_t)(e - line) : strlen(line);
	return 0;
}

/* Route one data line: to the held-out rows, or to its site. */
static int
route(const struct sim_opts *o, const char *dir, const char *hdr,
    long col, char *line, size_t lineno, struct fl_rng *hold,
    struct fl_rng *pick, FILE *test, FILE *pooled, struct sim_split *s,
    struct fl_err *err)
{
	const char *file = fl_in_name(o->data), *key;
	struct sim_site *t;
	char part[SIM_MAX_NAME + 8];
	size_t klen;

	if (o->test == NULL && fl_rng_uniform(hold) < o->holdout) {
		fprintf(test, "%s\n", line);
		s->test_rows++;
		return 0;
	}
	if (col >= 0) {
		if (field(line, col, &key, &klen) < 0)
			return fl_err_set(err, FL_EFORMAT, "%s:%zu: no value "
			    "in column '%s'", file, lineno, o->site_col);
		if ((t = sim_site_for_key(s, o->site_col, key, klen, file,
		    lineno, err)) == NULL)
			return err->code;
	} else
		t = &s->site[fl_rng_below(pick, s->nsite)];
	if (t->f == NULL) {
		snprintf(part, sizeof(part), "%s.csv", t->name);
		if ((t->f = part_open(dir, part, hdr, err)) == NULL)
			return err->code;
	}
	fprintf(t->f, "%s\n", line);
	fprintf(pooled, "%s\n", line);
	t->rows++;
	s->train_rows++;
	return 0;
}

int
sim_split(const struct sim_opts *o, const char *dir, struct sim_split *s,
    struct fl_err *err)
{
	const char *file = fl_in_name(o->data);
	struct fl_rng hold, pick;
	FILE *in, *test = NULL, *pooled = NULL;
	char *line = NULL, *hdr = NULL, part[SIM_MAX_NAME + 8];
	size_t cap = 0, lineno = 1, i;
	ssize_t len;
	long col = -1;
	int rc = 0;

	memset(s, 0, sizeof(*s));
	if ((in = fl_in_open(o->data, err)) == NULL)
		return err->code;
	fl_rng_seed(&hold, o->seed, "simulate-holdout");
	fl_rng_seed(&pick, o->seed, "simulate-sites");
	if ((len = getline(&line, &cap, in)) <= 0) {
		rc = fl_err_set(err, FL_EFORMAT, "%s: %s", file, ferror(in) ?
		    strerror(errno) : "empty: no header line");
		goto out;
	}
	line[strcspn(line, "\r\n")] = '\0';
	if ((hdr = strdup(line)) == NULL) {
		rc = fl_err_set(err, FL_ENOMEM, "out of memory");
		goto out;
	}
	if (o->site_col != NULL &&
	    (col = column_index(hdr, o->site_col)) < 0) {
		rc = fl_err_set(err, FL_EFORMAT, "%s: no column '%s'", file,
		    o->site_col);
		goto out;
	}
	for (i = 0; col < 0 && i < (size_t)o->nsites; i++) {
		snprintf(part, sizeof(part), "site%zu", i + 1);
		if ((s->site[i].name = strdup(part)) == NULL ||
		    (s->site[i].key = strdup(part + 4)) == NULL) {
			rc = fl_err_set(err, FL_ENOMEM, "out of memory");
			goto out;
		}
		s->nsite++;
	}
	if ((pooled = part_open(dir, "pooled.csv", hdr, err)) == NULL ||
	    (o->test == NULL &&
	    (test = part_open(dir, "test.csv", hdr, err)) == NULL)) {
		rc = err->code;
		goto out;
	}
	while ((len = getline(&line, &cap, in)) > 0) {
		lineno++;
		if ((size_t)len > SPLIT_MAX_LINE) {
			rc = fl_err_set(err, FL_EFORMAT, "%s:%zu: line over "
			    "16 MiB", file, lineno);
			goto out;
		}
		line[strcspn(line, "\r\n")] = '\0';
		if (line[0] != '\0' && (rc = route(o, dir, hdr, col, line,
		    lineno, &hold, &pick, test, pooled, s, err)) < 0)
			goto out;
	}
	if (ferror(in)) {
		rc = fl_err_set(err, FL_EIO, "%s: %s", file, strerror(errno));
		goto out;
	}
	for (i = 0; i < s->nsite; i++) {
		snprintf(part, sizeof(part), "%s.csv", s->site[i].name);
		if ((rc = part_close(&s->site[i].f, dir, part, err)) < 0)
			goto out;
		if (s->site[i].rows == 0) {
			rc = fl_err_set(err, FL_EFORMAT, "%s: too few rows: "
			    "%s got none of them", file, s->site[i].name);
			goto out;
		}
	}
	if (o->test == NULL && s->test_rows == 0)
		rc = fl_err_set(err, FL_EFORMAT, "%s: too few rows: none was "
		    "held out for testing", file);
	if (col >= 0)
		sim_sites_sort(s);
out:
	if (part_close(&pooled, dir, "pooled.csv", rc < 0 ? NULL : err) < 0 ||
	    part_close(&test, dir, "test.csv", rc < 0 ? NULL : err) < 0)
		rc = err->code;
	free(line);
	free(hdr);
	fl_in_close(in);
	return rc;
}

void
sim_split_release(struct sim_split *s)
{
	size_t i;

	for (i = 0; i < s->nsite; i++) {
		if (s->site[i].f != NULL)
			fclose(s->site[i].f);
		free(s->site[i].name);
		free(s->site[i].key);
	}
	s->nsite = 0;
}
