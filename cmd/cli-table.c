/*
 * cli-table.c: a command's options written once (struct fl_opt, cli.h)
 * become getopt_long's tables and the --help text, so that the two, and
 * the completions test that reads --help, cannot drift apart.
 */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "fl.h"
#include "cli.h"

/* The most options one command has, --help and --version included. */
#define OPTS_MAX 40

/* What fl_getopt returns for row o. */
static int
opt_id(const struct fl_opt *o)
{
	return o->shortopt != 0 ? o->shortopt : o->id;
}

/*
 * getopt_long's tables for cmd, made on the first call for it: the long
 * options and the short-option string, which starts with ':' so that a
 * missing argument is told from an unknown option (and with '+' before
 * it for FL_CMD_INORDER).
 */
static const struct option *
getopt_tables(const struct fl_cmd *cmd, const char **shortopts)
{
	static struct option lo[OPTS_MAX + 1];
	static char so[3 * OPTS_MAX + 3];
	static const struct fl_cmd *made;
	const struct fl_opt *o;
	size_t n = 0, k = 0;

	*shortopts = so;
	if (made == cmd)
		return lo;
	if (cmd->flags & FL_CMD_INORDER)
		so[k++] = '+';
	so[k++] = ':';
	for (o = cmd->opts; o->name != NULL; o++) {
		if (n == OPTS_MAX) {
			fprintf(stderr, "%s: too many options\n", fl_progname());
			abort();	/* a programmer's error */
		}
		lo[n].name = o->name;
		lo[n].has_arg = o->arg != NULL ? required_argument :
		    no_argument;
		lo[n].flag = NULL;
		lo[n].val = opt_id(o);
		n++;
		if (o->shortopt != 0) {
			so[k++] = (char)o->shortopt;
			if (o->arg != NULL)
				so[k++] = ':';
		}
	}
	memset(&lo[n], 0, sizeof(lo[n]));
	so[k] = '\0';
	made = cmd;
	return lo;
}

int
fl_getopt(const struct fl_cmd *cmd, int argc, char **argv)
{
	const struct option *lo;
	const char *so;
	int c;

	lo = getopt_tables(cmd, &so);
	opterr = 0;		/* the errors are worded here */
	switch ((c = getopt_long(argc, argv, so, lo, NULL))) {
	case 'h':
		fl_cmd_help(cmd);
		exit(fl_close_stdout());
	case 'V':
		fl_print_version();
		exit(fl_close_stdout());
	case ':':
	case '?':
		fl_opt_error(cmd->usage, c, argv);
	default:
		return c;
	}
}

/* The width of an option's left column: "  -d, --data FILE". */
static size_t
opt_width(const struct fl_opt *o)
{
	return 6 + 2 + strlen(o->name) +
	    (o->arg != NULL ? 1 + strlen(o->arg) : 0);
}

/*
 * The help: usage, description, then each option with its help text in
 * one column, placed two spaces after the longest left part, but no
 * further than column 24; a longer left part has its text two spaces
 * after it.  Continuation lines of a help text start in that column.
 */
void
fl_cmd_help(const struct fl_cmd *cmd)
{
	const struct fl_opt *o;
	const char *s, *nl;
	size_t col = 0, w;
	int pad;

	for (o = cmd->opts; o->name != NULL; o++)
		if ((w = opt_width(o) + 2) > col)
			col = w;
	if (col > 24)
		col = 24;
	printf("%s\n\n", cmd->usage);
	if (cmd->about != NULL)
		printf("%s\n", cmd->about);
	if (cmd->more_help != NULL)
		cmd->more_help();
	printf("Options:\n");
	for (o = cmd->opts; o->name != NULL; o++) {
		if (o->shortopt != 0)
			printf("  -%c, ", o->shortopt);
		else
			printf("      ");
		printf("--%s%s%s", o->name, o->arg != NULL ? " " : "",
		    o->arg != NULL ? o->arg : "");
		w = opt_width(o);
		pad = w + 2 <= col ? (int)(col - w) : 2;
		for (s = o->help; (nl = strchr(s, '\n')) != NULL; s = nl + 1) {
			printf("%*s%.*s\n", pad, "", (int)(nl - s), s);
			pad = (int)col;
		}
		printf("%*s%s\n", pad, "", s);
	}
	if (cmd->epilog != NULL)
		printf("\n%s", cmd->epilog);
}
