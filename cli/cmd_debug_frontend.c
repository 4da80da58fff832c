/* cmd_debug_frontend.c - `cbuild debug dump-ast|expand|words`: the
 * Dockerfile frontend's parser and shell lexer, exposed for conformance
 * tests and bug reports.
 *
 *   dump-ast FILE   BuildKit's parser-testfile dump of FILE
 *   expand [--env NAME=VALUE]... [--escape C] -- WORD   ProcessWord
 *   words  [--env NAME=VALUE]... [--escape C] -- TEXT   ProcessWords
 */
#include <stdio.h>
#include <string.h>

#include "commands.h"
#include "options.h"
#include "../base/buf.h"
#include "../base/cleanup.h"
#include "../builder/dockerfile/parser.h"
#include "../builder/dockerfile/shell.h"
#include "../base/banned.h"

int cmd_debug_dump_ast(int argc, char **argv, struct cli_env *env)
{
    static const struct cli_option opts[] = {{0}};
    static const struct cli_usage u = {
        "cbuild debug dump-ast FILE",
        "Print the Dockerfile's AST in BuildKit's parser-testfile format.", opts};
    cleanup_strv_s struct cb_strv args = CB_STRV_INIT;
    int rc = cli_parse(argc, argv, &u, 0, &args);
    if (rc)
        return rc > 0 ? 0 : 2;
    if (args.n != 1)
        return cli_usage_error(&u, "expected one FILE");
    cleanup_err struct cb_err *err = NULL;
    cleanup_ast struct bld_ast *ast = bld_parse_file(args.v[0], &err);
    if (!ast)
        return cli_report(err);
    cleanup_buf struct cb_buf out;
    cb_buf_init(&out, CB_BUF_LIMIT_DEFAULT);
    if (bld_ast_dump(ast, &out, &err) < 0)
        return cli_report(err);
    fwrite(cb_buf_str(&out), 1, out.len, stdout);
    return 0;
}

static int shell_cmd(int argc, char **argv, bool words)
{
    cleanup_strv_s struct cb_strv envs = CB_STRV_INIT;
    const char *escape = NULL;
    const struct cli_option opts[] = {
        {0, "env", CLI_OPT_LIST, &envs, "NAME=VALUE", "set a variable (repeatable)"},
        {0, "escape", CLI_OPT_STRING, &escape, "C", "escape character (\\ or `)"},
        {0},
    };
    const struct cli_usage u = {
        words ? "cbuild debug words [--env NAME=VALUE]... [--escape C] -- TEXT"
              : "cbuild debug expand [--env NAME=VALUE]... [--escape C] -- WORD",
        words ? "Expand TEXT and split it into words the way BuildKit's ProcessWords does."
              : "Expand WORD the way BuildKit's ProcessWord does.",
        opts};
    cleanup_strv_s struct cb_strv args = CB_STRV_INIT;
    int rc = cli_parse(argc, argv, &u, 0, &args);
    if (rc)
        return rc > 0 ? 0 : 2;
    if (args.n != 1)
        return cli_usage_error(&u, "expected one %s", words ? "TEXT" : "WORD");
    if (escape && strcmp(escape, "\\") && strcmp(escape, "`"))
        return cli_usage_error(&u, "--escape must be \\ or `");
    struct bld_shell_opts o = {
        .escape = escape ? escape[0] : '\\', .lookup = bld_env_list_lookup, .userdata = &envs};
    cleanup_err struct cb_err *err = NULL;
    if (!words) {
        cleanup_free char *res = bld_shell_word(args.v[0], &o, NULL, &err);
        if (!res)
            return cli_report(err);
        printf("%s\n", res);
        return 0;
    }
    cleanup_strv_s struct cb_strv out = CB_STRV_INIT;
    if (bld_shell_words(args.v[0], &o, &out, NULL, &err) < 0)
        return cli_report(err);
    for (size_t i = 0; i < out.n; i++)
        printf("%s\n", out.v[i]);
    return 0;
}

int cmd_debug_expand(int argc, char **argv, struct cli_env *env)
{
    return shell_cmd(argc, argv, false);
}

int cmd_debug_words(int argc, char **argv, struct cli_env *env)
{
    return shell_cmd(argc, argv, true);
}
