/* commands.h - every subcommand's entry point.
 *
 * Adding a subcommand (git's checklist):
 * 1. Create cli/cmd_foo.c with a usage string, an option table for
 *    cli/options.c and `int cmd_foo(int argc, char **argv, struct cli_env *env)`.
 *    Parse the options, fill a request struct, make one call into builder/,
 *    cache/ or oci/, print the result.  No build logic here.
 * 2. Declare cmd_foo below.
 * 3. Add { "foo", cmd_foo, flags, "summary" } to the table in cli/main.c.
 * 4. The Makefile picks up cli/cmd_foo.c by itself.
 * 5. Add tests/e2e/tNNNN-foo.sh with the normal case and bad arguments, and a
 *    golden test for `cbuild foo --help` (tests/data/help/foo).
 * 6. Document it in the README's command reference and in doc/cbuild.1.
 */
#ifndef CBUILD_CLI_COMMANDS_H
#define CBUILD_CLI_COMMANDS_H

#include "cli.h"

typedef int (*cli_cmd_fn)(int argc, char **argv, struct cli_env *env);

struct cli_command {
    const char *name;
    cli_cmd_fn fn;
    unsigned flags;
    const char *summary;
};

#define CLI_HIDDEN 1u /* not listed in --help (debug helpers) */

/* The table, defined in main.c; NULL-name terminated. */
extern const struct cli_command cli_commands[];

int cmd_bake(int argc, char **argv, struct cli_env *env);
int cmd_build(int argc, char **argv, struct cli_env *env);
int cmd_check(int argc, char **argv, struct cli_env *env);
int cmd_debug(int argc, char **argv, struct cli_env *env);
int cmd_doctor(int argc, char **argv, struct cli_env *env);
int cmd_debug_dump_ast(int argc, char **argv, struct cli_env *env);
int cmd_debug_expand(int argc, char **argv, struct cli_env *env);
int cmd_debug_words(int argc, char **argv, struct cli_env *env);
int cmd_debug_run(int argc, char **argv, struct cli_env *env);
int cmd_debug_mkimage(int argc, char **argv, struct cli_env *env);
int cmd_debug_contenthash(int argc, char **argv, struct cli_env *env);
int cmd_debug_layer(int argc, char **argv, struct cli_env *env);
int cmd_debug_ignore(int argc, char **argv, struct cli_env *env);
int cmd_pull(int argc, char **argv, struct cli_env *env);
int cmd_push(int argc, char **argv, struct cli_env *env);
int cmd_login(int argc, char **argv, struct cli_env *env);
int cmd_logout(int argc, char **argv, struct cli_env *env);
int cmd_images(int argc, char **argv, struct cli_env *env);
int cmd_inspect(int argc, char **argv, struct cli_env *env);
int cmd_tag(int argc, char **argv, struct cli_env *env);
int cmd_rmi(int argc, char **argv, struct cli_env *env);
int cmd_prune(int argc, char **argv, struct cli_env *env);
int cmd_save(int argc, char **argv, struct cli_env *env);
int cmd_load(int argc, char **argv, struct cli_env *env);
int cmd_run(int argc, char **argv, struct cli_env *env);
int cmd_version(int argc, char **argv, struct cli_env *env);
int cmd_help(int argc, char **argv, struct cli_env *env);

#endif
