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

/* recover: a survivor's mask seeds for a dropout (pack-recover.c). */
extern const struct fl_cmd pack_recover_cmd;
int	pack_recover(int argc, char **argv);

#endif
