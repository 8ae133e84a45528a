/*
 * simulate-table.c: fl-simulate's tables: each row a name, then the
 * values of one row of fl-eval --format tsv, under fl-eval's header.
 * Tab-separated, as scripts read them; on a terminal the columns are
 * padded with blanks to line up.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "fl.h"
#include "simulate.h"

/* The next tab-separated cell of *p (a line ends at '\n'), or NULL. */
static const char *
cell(const char **p, int *len)
{
	const char *s = *p, *e;

	if (s == NULL || *s == '\0' || *s == '\n')
		return NULL;
	e = s + strcspn(s, "\t\n");
	*len = (int)(e - s);
	*p = *e == '\t' ? e + 1 : e;
	return s;
}

/* Print first, then the cells of line; aligned, every column but the
 * last is padded to its width. */
static void
put_line(const struct sim_table *t, const char *first, const char *line)
{
	const char *c;
	int i, len;

	printf("%-*s", t->align ? t->w0 : 0, first);
	for (i = 0; (c = cell(&line, &len)) != NULL; i++) {
		putchar(t->align ? ' ' : '\t');
		if (t->align && i < 64 && *line != '\0' && *line != '\n')
			printf("%-*.*s", t->w[i], len, c);
		else
			printf("%.*s", len, c);
	}
	putchar('\n');
}

int
sim_table_row(struct sim_table *t, const char *first, const char *name,
    const char *ev, struct fl_err *err)
{
	const char *h, *v, *row = strchr(ev, '\n');
	int i, hl, vl;

	if (row == NULL || row[1] == '\0')
		return fl_err_set(err, FL_EFORMAT, "fl-eval printed no row");
	row++;
	if (t->head == NULL) {
		if ((t->head = strndup(ev, (size_t)(row - ev))) == NULL)
			return fl_err_set(err, FL_ENOMEM, "out of memory");
		t->align = isatty(STDOUT_FILENO);
		if (t->w0 < (int)strlen(first))
			t->w0 = (int)strlen(first);
		/* A column is as wide as its name and first value; a long
		 * value (a number of 10 digits) leaves room for a sign. */
		h = t->head;
		v = row;
		for (i = 0; i < 64 && cell(&h, &hl) != NULL; i++) {
			t->w[i] = hl;
			vl = 0;
			if (cell(&v, &vl) != NULL && vl > hl)
				t->w[i] = vl;
			if (vl >= 8 && t->w[i] < 13)
				t->w[i] = 13;
		}
		put_line(t, first, t->head);
	} else if (strncmp(ev, t->head, strlen(t->head)) != 0)
		return fl_err_set(err, FL_EFORMAT, "fl-eval printed other "
		    "columns for %s", name);
	put_line(t, name, row);
	return 0;
}

void
sim_table_end(struct sim_table *t)
{
	free(t->head);
	t->head = NULL;
}
