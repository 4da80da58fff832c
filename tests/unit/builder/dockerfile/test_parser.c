/* test_parser.c - parser.c, line_parsers.c, directives.c, heredoc.c and
 * dump.c: BuildKit's line handling, argument rules and dump format. */
#include <stdlib.h>

#include "harness.h"
#include "../../../../base/buf.h"
#include "../../../../builder/dockerfile/parser.h"
#include "../../../../builder/dockerfile/stages.h"

static char *dump(const char *text)
{
    struct cb_err *err = NULL;
    struct bld_ast *ast = bld_parse(text, strlen(text), &err);
    if (!ast) {
        char *m = strdup(err->msg);
        cb_err_free(err);
        return m;
    }
    struct cb_buf b;
    cb_buf_init(&b, CB_BUF_LIMIT_DEFAULT);
    bld_ast_dump(ast, &b, NULL);
    bld_ast_free(ast);
    return cb_buf_detach(&b, NULL);
}

#define ASSERT_DUMP(text, want)                                                                    \
    do {                                                                                           \
        char *d_ = dump(text);                                                                     \
        int eq_ = !strcmp(d_, want);                                                               \
        if (!eq_)                                                                                  \
            printf("#   got:  %s#   want: %s", d_, want);                                          \
        free(d_);                                                                                  \
        ASSERT(eq_);                                                                               \
    } while (0)

TEST(parser_keywords_flags_and_args)
{
    ASSERT_DUMP(
        "from Busybox AS b\nCOPY --from=b --chown='a b' x y\n",
        "(from \"Busybox\" \"AS\" \"b\")\n(copy [\"--from=b\" \"--chown=a b\"] \"x\" \"y\")\n");
    ASSERT_DUMP("FROM x\nCOPY -- --notaflag y\n", "(from \"x\")\n(copy \"--notaflag\" \"y\")\n");
    ASSERT_DUMP("FROM x\nWHATEVER --f a b\n", "(from \"x\")\n(whatever [\"--f\"] \"\")\n");
}

TEST(parser_json_and_shell_forms)
{
    ASSERT_DUMP("CMD [\"a\", \"b c\"]\n", "(cmd \"a\" \"b c\")\n");
    ASSERT_DUMP("CMD [\"a\", 'b']\n", "(cmd \"[\\\"a\\\", 'b']\")\n");
    ASSERT_DUMP("VOLUME [\"/a b\"]\nVOLUME /c   /d\n",
                "(volume \"/a b\")\n(volume \"/c\" \"/d\")\n");
    char *d = dump("CMD [\"a\", 1]\n");
    ASSERT(strstr(d, "comprised of strings only") != NULL);
    ASSERT(!strncmp(d, "Dockerfile:1: ", 14));
    free(d);
}

TEST(parser_env_label_arg_nodes)
{
    ASSERT_DUMP("ENV a=1 b=\"x y\"\n", "(env \"a\" \"1\" \"=\" \"b\" \"\\\"x y\\\"\" \"=\")\n");
    ASSERT_DUMP("ENV a  rest of  line\n", "(env \"a\" \"rest of  line\" \"\")\n");
    ASSERT_DUMP("ARG a b=2 'c d'\n", "(arg \"a\" \"b=2\" \"'c d'\")\n");
}

TEST(parser_continuations_comments_and_warnings)
{
    const char *t = "FROM x\nRUN a \\\n# comment\n\n  b\\\\\nRUN c\n";
    ASSERT_DUMP(t, "(from \"x\")\n(run \"a   b\\\\\\\\\")\n(run \"c\")\n");
    struct cb_err *err = NULL;
    struct bld_ast *ast = bld_parse(t, strlen(t), &err);
    ASSERT(ast);
    ASSERT_INT_EQ(ast->nwarnings, 1);
    ASSERT_INT_EQ(ast->warnings[0].line, 5);
    ASSERT_INT_EQ(ast->nodes[1].start_line, 2);
    ASSERT_INT_EQ(ast->nodes[1].end_line, 5);
    bld_ast_free(ast);
}

TEST(parser_bom_crlf_and_eof_continuation)
{
    ASSERT_DUMP("\xEF\xBB\xBF"
                "FROM x\r\nRUN a \\\r\n b\r\nRUN end \\",
                "(from \"x\")\n(run \"a  b\")\n(run \"end\")\n");
}

TEST(parser_directives)
{
    const char *t =
        "# syntax = docker/dockerfile:1\n#ESCAPE=`\n# check=skip=all\nFROM x\nRUN a `\n b\n";
    struct cb_err *err = NULL;
    struct bld_ast *ast = bld_parse(t, strlen(t), &err);
    ASSERT(ast);
    ASSERT_STR_EQ(ast->syntax.value, "docker/dockerfile:1");
    ASSERT_INT_EQ(ast->syntax.line, 1);
    ASSERT_INT_EQ(ast->escape, '`');
    ASSERT_STR_EQ(ast->check.value, "skip=all");
    ASSERT_INT_EQ(ast->check.line, 3);
    ASSERT_STR_EQ(ast->nodes[1].args.v[0], "a  b");
    bld_ast_free(ast);
    /* a directive after a comment is just a comment */
    ASSERT_DUMP("# hello\n# escape=`\nFROM x\nRUN a `\n", "(from \"x\")\n(run \"a `\")\n");
    char *d = dump("# escape=x\nFROM y\n");
    ASSERT_STR_EQ(d, "Dockerfile:1: invalid escape token 'x' does not match ` or \\");
    free(d);
}

TEST(parser_heredocs)
{
    const char *t = "FROM x\nRUN <<A cat - <<-'B'\none\nA\n\ttwo\n\tB\nCOPY <<C /d\nC\n";
    struct cb_err *err = NULL;
    struct bld_ast *ast = bld_parse(t, strlen(t), &err);
    ASSERT(ast);
    ASSERT_INT_EQ(ast->n, 3);
    const struct bld_node *run = &ast->nodes[1];
    ASSERT_INT_EQ(run->nheredocs, 2);
    ASSERT_STR_EQ(run->heredocs[0].name, "A");
    ASSERT_STR_EQ(run->heredocs[0].content, "one\n");
    ASSERT(run->heredocs[0].expand);
    ASSERT_STR_EQ(run->heredocs[1].name, "B");
    ASSERT(!run->heredocs[1].expand);
    ASSERT(run->heredocs[1].chomp);
    ASSERT_STR_EQ(run->heredocs[1].content, "\ttwo\n");
    ASSERT_INT_EQ(run->end_line, 6);
    ASSERT_STR_EQ(ast->nodes[2].heredocs[0].content, "");
    bld_ast_free(ast);
    char *d = dump("FROM x\nRUN <<EOF\nno end\n");
    ASSERT_STR_EQ(d, "Dockerfile:2: unterminated heredoc");
    free(d);
}

TEST(parser_heredoc_words)
{
    struct bld_heredoc h;
    struct cb_err *err = NULL;
    ASSERT_INT_EQ(bld_heredoc_parse_word("3<<-\"E\"OF", &h, &err), 1);
    ASSERT_STR_EQ(h.name, "EOF");
    ASSERT_INT_EQ(h.fd, 3);
    ASSERT(h.chomp && !h.expand);
    bld_heredoc_release(&h);
    ASSERT_INT_EQ(bld_heredoc_parse_word("<<<EOF", &h, &err), 0);
    ASSERT(bld_heredoc_parse_word("<<'EOF", &h, &err) < 0);
    cb_err_free(err);
    char *c = bld_heredoc_chomp("\t\ta\n\tb\tc\n");
    ASSERT_STR_EQ(c, "a\nb\tc\n");
    free(c);
}

TEST(parser_errors_name_lines)
{
    char *d = dump("");
    ASSERT_STR_EQ(d, "file with no instructions");
    free(d);
    d = dump("FROM x\n\nENV ONLYKEY\n");
    ASSERT_STR_EQ(d, "Dockerfile:3: ENV must have two arguments");
    free(d);
    struct cb_buf big;
    cb_buf_init(&big, CB_BUF_LIMIT_DEFAULT);
    cb_buf_adds(&big, "FROM x\nLABEL a=", NULL);
    for (int i = 0; i < 70000; i++)
        cb_buf_addc(&big, 'a', NULL);
    d = dump(cb_buf_str(&big));
    ASSERT_STR_EQ(d, "Dockerfile:2: dockerfile line greater than max allowed size of 65535");
    free(d);
    cb_buf_release(&big);
}

TEST(parser_go_quote)
{
    struct cb_buf b;
    cb_buf_init(&b, 4096);
    const char *s = "a\"\\\x01\x7f\n\xff\xC2\xA0\xE2\x99\xA5\xF0\x9F\x98\x80";
    bld_go_quote(&b, s, strlen(s));
    ASSERT_STR_EQ(cb_buf_str(&b), "\"a\\\"\\\\\\x01\\x7f\\n\\xff\\u00a0♥😀\"");
    cb_buf_release(&b);
}

TEST(parser_detect_syntax)
{
    char *ref = NULL, *cmdline = NULL;
    int line = 0;
    const char *t = "#!/bin/sh\n# syntax=docker/dockerfile:1 --opt\nFROM x\n";
    ASSERT_INT_EQ(bld_detect_syntax(t, strlen(t), &ref, &cmdline, &line), 1);
    ASSERT_STR_EQ(ref, "docker/dockerfile:1");
    ASSERT_STR_EQ(cmdline, "docker/dockerfile:1 --opt");
    ASSERT_INT_EQ(line, 2);
    free(ref);
    free(cmdline);
    ASSERT_INT_EQ(bld_detect_syntax("FROM x\n", 7, &ref, &cmdline, &line), 0);
}

TEST(parser_reads_file)
{
    t_write("Dockerfile", "FROM x\n");
    struct cb_err *err = NULL;
    struct bld_ast *ast = bld_parse_file("Dockerfile", &err);
    ASSERT(ast);
    ASSERT_STR_EQ(ast->nodes[0].cmd, "from");
    bld_ast_free(ast);
    ASSERT_FAILS(bld_parse_file("missing", &err) ? 0 : -CB_ENOTFOUND, err, CB_ENOTFOUND, "missing");
}

/* Inputs tests/fuzz/fuzz_dockerfile.c reported (tests/data/dockerfile/
 * fuzz/dockerfile-*): the whole frontend must get through them quickly. */
TEST(parser_fuzz_regressions)
{
    static const char *const cases[] = {"dockerfile/fuzz/dockerfile-stall-binary", NULL};
    for (const char *const *c = cases; *c; c++) {
        char *path = t_data(*c);
        FILE *f = fopen(path, "rb");
        free(path);
        ASSERT(f);
        char data[65536];
        size_t n = fread(data, 1, sizeof(data), f);
        fclose(f);
        struct cb_err *err = NULL;
        struct bld_ast *ast = bld_parse(data, n, &err);
        cb_err_free(err);
        err = NULL;
        if (!ast)
            continue;
        struct bld_dockerfile *df = bld_dockerfile_from_ast_take(ast, &err);
        if (df && bld_stages_expand(df, NULL, NULL, &err) == 0)
            ASSERT(df->nstages > 0);
        cb_err_free(err);
        bld_dockerfile_free(df);
    }
}
