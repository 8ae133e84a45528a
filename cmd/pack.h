/*
 * pack.h: what the files of fl-pack share: the running verb, its operand
 * and its usage errors (fl-pack.c), and the trust verbs and log
 * (pack-trust.c).
 * Each verb has its own option table, a struct fl_cmd.
 */
#ifndef FL_PACK_H
#define FL_PACK_H

#include "cli.h"

/* The running verb's command: its usage, description and options. */
extern const struct fl_cmd *pack_verb;

/* Usage error for the running verb; exits 2. */
#define verb_error(...) fl_usage_error(pack_verb->usage, __VA_ARGS__)

#define OPT_HELP { "help", 'h', NULL, "show this help", 0 }
#define OPT_END { NULL, 0, NULL, NULL, 0 }

/* The options of a verb that takes only --help, and their parser. */
extern const struct fl_opt pack_help_only[];
void		 pack_parse_help_only(int argc, char **argv);

/*
 * --key on the verbs that read archives and may be given sealed input
 * (manifest, verify, log): the secret key that opens it.  pack_key_only is
 * the table of a verb with only --key and --help; its parser sets *key
 * (NULL without --key) and returns the operand (NULL for stdin).
 */
enum { PACK_OPT_KEY = 512 };
#define OPT_KEY_IN { "key", 0, "KEY", "open sealed input with the secret " \
	"key KEY\n(NAME.key, mode 0600)", PACK_OPT_KEY }
extern const struct fl_opt pack_key_only[];
const char	*pack_parse_key_only(int argc, char **argv, const char **key);

/* The optional operand after the options: NULL means stdin; more than one
 * is a usage error. */
const char	*pack_operand(int argc, char **argv);

/* The trust verbs (lib/trust/key.c, sign.c, seal.c), log
 * (lib/trust/lineage.c) and
 * their commands. */
extern const struct fl_cmd pack_sign_cmd, pack_verify_cmd, pack_seal_cmd,
		pack_open_cmd, pack_log_cmd;
int	pack_log(int argc, char **argv);
int	pack_sign(int argc, char **argv);
int	pack_verify(int argc, char **argv);
int	pack_seal(int argc, char **argv);
int	pack_open(int argc, char **argv);

/*
 * The summary line of the verbs that write (pack-summary.c).  Their
 * option tables hold OPT_QUIET and OPT_VERBOSE, and they read options
 * with pack_getopt, which takes -q and -v and returns the others as
 * fl_getopt does.  A verb notes its line with pack_note once its output
 * is written; main prints it with pack_summary after a clean close of
 * stdout, when stderr is a terminal or -v was given, and never with -q.
 */
#define OPT_QUIET { "quiet", 'q', NULL, "print nothing but errors", 0 }
#define OPT_VERBOSE { "verbose", 'v', NULL, "print the summary line even " \
	"when stderr is\nnot a terminal", 0 }
int		 pack_getopt(int argc, char **argv);
void		 pack_note(const char *fmt, ...) FL_PRINTF(1, 2);
void		 pack_summary(void);
/* "<stdout>" for NULL or "-", else path. */
const char	*pack_out_name(const char *path);
/* names[0..n-1] joined by ", " into buf (size bytes, truncated). */
void		 pack_note_names(char *buf, size_t size,
		    const char *const *names, size_t n);

/* create and extract (pack-files.c). */
extern const struct fl_cmd pack_create_cmd, pack_extract_cmd;
int	pack_create(int argc, char **argv);
int	pack_extract(int argc, char **argv);

/* recover: a survivor's mask seeds for a dropout (pack-recover.c). */
extern const struct fl_cmd pack_recover_cmd;
int	pack_recover(int argc, char **argv);

#endif
