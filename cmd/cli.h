/*
 * cli.h: what every tool in cmd/ shares and the library does not: the
 * program name, one-line error reports, usage errors, checked option
 * values, --version, the checked close of stdout and the progress bar.
 * These print and exit, which is why they live in cmd/, not in lib/.
 */
#ifndef FL_CLI_H
#define FL_CLI_H

#include <stddef.h>
#include <stdint.h>

#include "fl.h"

void		 fl_setprogname(const char *argv0);
const char	*fl_progname(void);

/* Print "prog: msg" on stderr; return FL_EXIT_TRUST for FL_EVERIFY and
 * FL_EXIT_USAGE for FL_EUSAGE, else FL_EXIT_FAIL. */
int		 fl_report(const struct fl_err *err);

/* Print "prog: msg" on stderr (a warning or a note). */
void		 fl_warnx(const char *fmt, ...) FL_PRINTF(1, 2);

/* Usage error: print "prog: reason", the usage line and
 * "Try 'prog --help'." on stderr, and exit FL_EXIT_USAGE. */
FL_NORETURN void fl_usage_error(const char *usage, const char *fmt, ...)
    FL_PRINTF(2, 3);

/* Print "prog 0.1.0 (libfl 0.1.0; OpenBLAS x.y.z; no CUDA)" on stdout;
 * a CUDA build (make cuda) says "CUDA 13.0" instead of "no CUDA". */
void		 fl_print_version(void);

/* Flush and close stdout and check both; on error print one line and
 * return FL_EXIT_FAIL, else FL_EXIT_OK. */
int		 fl_close_stdout(void);

/* Exit FL_EXIT_USAGE with a message if path names stdout ("-" or NULL)
 * and stdout is a terminal: binary archives never go to a terminal. */
void		 fl_refuse_tty(const char *path);

/* Checked option parsing: on a malformed or out-of-range value, print
 * "prog: --opt: 'abc' is not a number" (or "... must be in [min, max]"),
 * the usage, and exit FL_EXIT_USAGE. */
long		 fl_opt_long(const char *usage, const char *opt, const char *arg,
		    long min, long max);
double		 fl_opt_double(const char *usage, const char *opt,
		    const char *arg, double min, double max);
uint64_t	 fl_opt_seed(const char *usage, const char *opt, const char *arg);

/* The usage error for what getopt_long returned as ch (':' or '?', with
 * opterr = 0 and an optstring that starts with ':'): "option '--data'
 * needs an argument" or "unknown option '--bogus'".  Exits FL_EXIT_USAGE. */
FL_NORETURN void fl_opt_error(const char *usage, int ch, char **argv);

/* --strategy: arg when it names a row of the strategy table
 * (lib/federation/strategy.c), else exit FL_EXIT_USAGE listing them. */
const char	*fl_opt_strategy(const char *usage, const char *arg);

/* --device (cli-device.c): the device named arg (cpu, cuda, auto), else
 * exit FL_EXIT_USAGE; and its backend, or exit FL_EXIT_FAIL with one line
 * when it is absent (auto falls back to the CPU, saying so unless
 * quiet). */
enum fl_device	 fl_opt_device(const char *usage, const char *arg);
const struct fl_backend *fl_device_backend(enum fl_device dev, int quiet);

/* Split a comma-separated option value into a NULL-terminated array of
 * names (one malloc'd block the caller frees); an empty name, or a name
 * given twice, is a usage error that exits FL_EXIT_USAGE. */
char		**fl_opt_list(const char *usage, const char *opt,
		    const char *arg, size_t *n);

/*
 * A progress bar on stderr.  fl_progress_init enables it when want > 0, or
 * when want < 0 (automatic) and stderr is a terminal.  fl_progress_cb has
 * the signature of struct fl_hparams's progress callback.
 */
struct fl_progress {
	int		 enabled;
	const char	*label;
	int		 last;	/* last permille drawn, -1 before the first */
};
void	fl_progress_init(struct fl_progress *p, const char *label, int want);
void	fl_progress_cb(void *p, size_t done, size_t total);
void	fl_progress_end(struct fl_progress *p);

/*
 * A tool's options, written once: getopt_long's table, its short-option
 * string and the option part of --help are all made from it.  Each row is
 * one option: its long name; its short letter or 0; the name of its
 * argument, or NULL when it takes none; its help text, whose lines ('\n'
 * between them) are indented to one column; and the id fl_getopt returns
 * for it.  A row with a short letter returns that letter, and may leave id
 * 0.  The ids 'h' and 'V' are --help and --version, which fl_getopt
 * handles itself.  The table ends with a row whose name is NULL.
 */
struct fl_opt {
	const char	*name;
	int		 shortopt;
	const char	*arg;
	const char	*help;
	int		 id;
};

/*
 * A command: its usage line(s) (as in the man page's SYNOPSIS), a
 * paragraph describing it, and its options.  more_help, when set, prints
 * more between the description and the options (fl-pack's verbs); epilog,
 * when set, follows the options.  FL_CMD_INORDER stops at the first
 * operand, as a tool with verbs needs.
 */
struct fl_cmd {
	const char		*usage;
	const char		*about;
	const struct fl_opt	*opts;
	void			(*more_help)(void);
	const char		*epilog;
	int			 flags;
};
#define FL_CMD_INORDER	1

/*
 * getopt_long over cmd's table: returns the next option's id (optarg set
 * as getopt_long sets it), or -1 after the last.  --help prints the help
 * on stdout and exits 0; --version prints the version; an unknown option
 * or a missing argument is a usage error (exit FL_EXIT_USAGE).  Set
 * optind = 0 before parsing a second argument vector.
 */
int	 fl_getopt(const struct fl_cmd *cmd, int argc, char **argv);

/* Print cmd's help on stdout: usage, description, then the options. */
void	 fl_cmd_help(const struct fl_cmd *cmd);

#endif
