/*
 * simulate-sites.c: the sites of fl-simulate's --site-column: one per
 * value of the column, named by the column and the value ("site" and 2
 * make "site2"), in the order of the values.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "fl.h"
#include "simulate.h"

/* The site name for a --site-column value: the column's name, then the
 * value with every byte a site name may not hold made '_'. */
static char *
site_name(const char *col, const char *key, size_t klen, struct fl_err *err)
{
	size_t n = strlen(col), i;
	char *s;

	if (n + klen > SIM_MAX_NAME) {
		fl_err_set(err, FL_EUSAGE, "--site-column %s: value '%.*s' "
		    "makes a site name over %d bytes", col, (int)klen, key,
		    SIM_MAX_NAME);
		return NULL;
	}
	if ((s = malloc(n + klen + 1)) == NULL) {
		fl_err_set(err, FL_ENOMEM, "out of memory");
		return NULL;
	}
	memcpy(s, col, n);
	for (i = 0; i < klen; i++)
		s[n + i] = strchr("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnop"
		    "qrstuvwxyz0123456789._-", key[i]) != NULL ? key[i] : '_';
	s[n + klen] = '\0';
	for (i = 0; i < n; i++)
		if (strchr("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwx"
		    "yz0123456789._-", s[i]) == NULL)
			s[i] = '_';
	return s;
}

/* The site for a --site-column value, added when new. */
struct sim_site *
sim_site_for_key(struct sim_split *s, const char *col, const char *key,
    size_t klen, const char *file, size_t line, struct fl_err *err)
{
	struct sim_site *t;
	size_t i;

	for (i = 0; i < s->nsite; i++)
		if (strlen(s->site[i].key) == klen &&
		    memcmp(s->site[i].key, key, klen) == 0)
			return &s->site[i];
	if (klen == 0) {
		fl_err_set(err, FL_EFORMAT, "%s:%zu: column '%s' is empty",
		    file, line, col);
		return NULL;
	}
	if (s->nsite == SIM_MAX_SITES) {
		fl_err_set(err, FL_EFORMAT, "%s: column '%s' has over %d "
		    "values: not a column of sites", file, col, SIM_MAX_SITES);
		return NULL;
	}
	t = &s->site[s->nsite];
	if ((t->name = site_name(col, key, klen, err)) == NULL)
		return NULL;
	if ((t->key = strndup(key, klen)) == NULL) {
		fl_err_set(err, FL_ENOMEM, "out of memory");
		return NULL;
	}
	for (i = 0; i < s->nsite; i++)
		if (strcmp(s->site[i].name, t->name) == 0) {
			fl_err_set(err, FL_EFORMAT, "%s: values '%s' and '%s' "
			    "of column '%s' both make site '%s'", file,
			    s->site[i].key, t->key, col, t->name);
			return NULL;
		}
	if (strcmp(t->name, "pooled") == 0 || strcmp(t->name, "test") == 0 ||
	    strcmp(t->name, "stats") == 0) {
		fl_err_set(err, FL_EFORMAT, "%s: column '%s' makes a site "
		    "named '%s', a name fl-simulate keeps for itself", file,
		    col, t->name);
		return NULL;
	}
	s->nsite++;
	return t;
}

/* Sites in the order of their values: as numbers when all are. */
static int sort_numeric;
static int
site_cmp(const void *a, const void *b)
{
	const struct sim_site *x = a, *y = b;
	double u, v;

	if (sort_numeric) {
		u = strtod(x->key, NULL);
		v = strtod(y->key, NULL);
		if (u != v)
			return u < v ? -1 : 1;
	}
	return strcmp(x->key, y->key);
}

void
sim_sites_sort(struct sim_split *s)
{
	char *end;
	size_t i;

	sort_numeric = 1;
	for (i = 0; i < s->nsite; i++) {
		errno = 0;
		(void)strtod(s->site[i].key, &end);
		if (*end != '\0' || errno != 0)
			sort_numeric = 0;
	}
	qsort(s->site, s->nsite, sizeof(s->site[0]), site_cmp);
}

