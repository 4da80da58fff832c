/* test_shell.c - shell.c and glob.c: BuildKit's ProcessWord/ProcessWords. */
#include <stdio.h>
#include <stdlib.h>
#include <time.h>

#include "harness.h"
#include "../../../../base/strv.h"
#include "../../../../builder/dockerfile/glob.h"
#include "../../../../builder/dockerfile/shell.h"

static char *word(const char *w, const char *const *env, struct cb_err **err)
{
    struct cb_strv e = CB_STRV_INIT;
    for (; env && *env; env++)
        cb_strv_push(&e, *env);
    struct bld_shell_opts o = {.escape = '\\', .lookup = bld_env_list_lookup, .userdata = &e};
    char *r = bld_shell_word(w, &o, NULL, err);
    cb_strv_release(&e);
    return r;
}

#define ASSERT_WORD(in, env, want)                                                                 \
    do {                                                                                           \
        struct cb_err *e_ = NULL;                                                                  \
        char *r_ = word(in, env, &e_);                                                             \
        int ok_ = r_ && !strcmp(r_, want);                                                         \
        if (!ok_)                                                                                  \
            printf("#   %s -> %s (want %s)\n", in, r_ ? r_ : e_->msg, want);                       \
        free(r_);                                                                                  \
        cb_err_free(e_);                                                                           \
        ASSERT(ok_);                                                                               \
    } while (0)

static const char *const env[] = {"A=a b", "EMPTY=", "P=/usr/lib/x.tar.gz", NULL};

TEST(shell_quotes_and_escapes)
{
    ASSERT_WORD("'$A'\"$A\"\\$A", env, "$Aa b$A");
    ASSERT_WORD("\"\\t\\\"\\\\\"", env, "\\t\"\\");
    ASSERT_WORD("a\\", env, "a");
    ASSERT_WORD("$.$", env, "$.$");
}

TEST(shell_modifiers)
{
    ASSERT_WORD("${EMPTY:-d}${EMPTY-d}${UNSET-u}", env, "du");
    ASSERT_WORD("${A:+x}${EMPTY:+y}${EMPTY+z}", env, "xz");
    ASSERT_WORD("${P##*/}|${P#*/}|${P%%.*}|${P%.*}", env,
                "x.tar.gz|usr/lib/x.tar.gz|/usr/lib/x|/usr/lib/x.tar");
    ASSERT_WORD("${P/l/L}|${P//[.]/-}|${P//\\//_}", env,
                "/usr/Lib/x.tar.gz|/usr/lib/x.tar.gz|_usr_lib_x.tar.gz");
    ASSERT_WORD("${P/#?usr/X}", env, "/usr/lib/x.tar.gz");
    ASSERT_WORD("$1$@${10:-ten}$999x", env, "tenx");
}

TEST(shell_errors)
{
    const char *bad[] = {"${}",    "${A",        "${A:=x}",  "${A:#x}", "'open",
                         "\"open", "${UNSET:?}", "${P#\\x}", NULL};
    for (const char **b = bad; *b; b++) {
        struct cb_err *err = NULL;
        char *r = word(*b, env, &err);
        if (r)
            printf("#   %s unexpectedly gave %s\n", *b, r);
        ASSERT(!r);
        ASSERT(!strncmp(err->msg, "failed to process ", 18));
        cb_err_free(err);
    }
    struct cb_err *err = NULL;
    ASSERT(!word("${UNSET?need it}", env, &err));
    ASSERT(strstr(err->msg, "UNSET: need it") != NULL);
    cb_err_free(err);
}

TEST(shell_words_split)
{
    struct cb_strv e = CB_STRV_INIT, out = CB_STRV_INIT;
    cb_strv_push(&e, "S=x  y ");
    struct bld_shell_opts o = {.lookup = bld_env_list_lookup, .userdata = &e};
    struct cb_err *err = NULL;
    ASSERT_OK(bld_shell_words("a$S\"$S\"b c\\ d << EOF", &o, &out, NULL, &err), err);
    ASSERT_INT_EQ(out.n, 5);
    ASSERT_STR_EQ(out.v[0], "ax");
    ASSERT_STR_EQ(out.v[1], "y");
    ASSERT_STR_EQ(out.v[2], "x  y b");
    ASSERT_STR_EQ(out.v[3], "c d");
    ASSERT_STR_EQ(out.v[4], "<< EOF");
    cb_strv_release(&out);
    cb_strv_release(&e);
}

TEST(shell_usage_and_raw_modes)
{
    struct cb_strv e = CB_STRV_INIT;
    cb_strv_push(&e, "SET=1");
    struct bld_shell_usage u = {CB_STRV_INIT, CB_STRV_INIT};
    struct bld_shell_opts o = {
        .lookup = bld_env_list_lookup, .userdata = &e, .skip_unset = true, .raw_quotes = true};
    struct cb_err *err = NULL;
    char *r = bld_shell_word("$SET ${SET} $NOPE ${NOPE:-x} 'q'", &o, &u, &err);
    ASSERT_STR_EQ(r, "1 1 $NOPE ${NOPE:-x} 'q'");
    ASSERT_INT_EQ(u.matched.n, 1);
    ASSERT_INT_EQ(u.unmatched.n, 1);
    ASSERT_STR_EQ(u.unmatched.v[0], "NOPE");
    free(r);
    bld_shell_usage_release(&u);
    cb_strv_release(&e);
}

TEST(shell_backtick_escape)
{
    struct bld_shell_opts o = {.escape = '`'};
    struct cb_err *err = NULL;
    char *r = bld_shell_word("c:\\dir `$x", &o, NULL, &err);
    ASSERT_STR_EQ(r, "c:\\dir $x");
    free(r);
}

TEST(shell_glob_helpers)
{
    struct cb_err *err = NULL;
    char *re = bld_glob_to_regex("a*?.\\*", false, true, &err);
    ASSERT_STR_EQ(re, "^a.*?.\\.\\*");
    free(re);
    char *rev = bld_glob_reverse("ab\\*c");
    ASSERT_STR_EQ(rev, "c\\*ba");
    free(rev);
    char *out = NULL;
    ASSERT_OK(bld_glob_trim("line1\nline2", "*1", false, true, &out, &err), err);
    ASSERT_STR_EQ(out, "\nline2"); /* '*' does not cross a newline */
    free(out);
    ASSERT_OK(bld_glob_replace("aaa", "a", "<$0>", true, &out, &err), err);
    ASSERT_STR_EQ(out, "<a><a><a>");
    free(out);
}

TEST(shell_deep_nesting_fails_cleanly)
{
    char buf[8192];
    size_t n = 0;
    for (int i = 0; i < 1000; i++)
        n += (size_t)snprintf(buf + n, sizeof(buf) - n, "${a:-");
    buf[n] = 0;
    struct cb_err *err = NULL;
    ASSERT(!bld_shell_word(buf, NULL, NULL, &err));
    ASSERT(strstr(err->msg, "nested too deeply") != NULL);
    cb_err_free(err);
}

/* Regression inputs found by tests/fuzz/fuzz_shell.c (tests/data/dockerfile/
 * fuzz/shell-*: "NAME=VALUE" lines, NUL, the word): each must finish fast. */
TEST(shell_fuzz_regressions)
{
    static const char *const cases[] = {
        "dockerfile/fuzz/shell-timeout-locale", "dockerfile/fuzz/shell-stall-heredoc-chain",
        "dockerfile/fuzz/shell-slow-replace-1", "dockerfile/fuzz/shell-slow-replace-2",
        "dockerfile/fuzz/shell-slow-replace-3", NULL};
    for (const char *const *c = cases; *c; c++) {
        char *path = t_data(*c);
        FILE *f = fopen(path, "rb");
        ASSERT(f);
        char data[4096];
        size_t n = fread(data, 1, sizeof(data) - 1, f);
        fclose(f);
        free(path);
        data[n] = 0;
        struct cb_strv vars = CB_STRV_INIT;
        size_t envlen = strlen(data);
        for (char *p = data, *nl; p && *p; p = nl ? nl + 1 : NULL) {
            nl = strchr(p, '\n');
            if (nl)
                *nl = 0;
            cb_strv_push(&vars, p);
        }
        const char *word_ = envlen < n ? data + envlen + 1 : "";
        struct bld_shell_opts o = {.lookup = bld_env_list_lookup, .userdata = &vars};
        struct timespec t0, t1;
        clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &t0);
        for (int i = 0; i < 5; i++) {
            struct cb_err *err = NULL;
            struct cb_strv words = CB_STRV_INIT;
            free(bld_shell_word(word_, &o, NULL, &err));
            cb_err_free(err);
            err = NULL;
            bld_shell_words(word_, &o, &words, NULL, &err);
            cb_err_free(err);
            cb_strv_release(&words);
        }
        clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &t1);
        double ms = (double)(t1.tv_sec - t0.tv_sec) * 1e3 + (double)(t1.tv_nsec - t0.tv_nsec) / 1e6;
        cb_strv_release(&vars);
        if (ms > 5000) /* each took over 10 s before its fix */
            T_FAIL("%s took %.0f ms", *c, ms);
    }
}

TEST(shell_replace_result_is_bounded)
{
    /* ${A//} with an empty pattern inserts the replacement everywhere;
     * nested, that grows exponentially until the cap stops it. */
    struct cb_strv e = CB_STRV_INIT;
    cb_strv_push(&e, "A=0123456789012345678901234567890123456789");
    struct bld_shell_opts o = {.lookup = bld_env_list_lookup, .userdata = &e};
    struct cb_err *err = NULL;
    char *r = bld_shell_word("${A///${A///${A///${A///$A}}}}", &o, NULL, &err);
    ASSERT(!r);
    ASSERT(strstr(err->msg, "substitution result longer than") != NULL);
    cb_err_free(err);
    err = NULL;
    r = bld_shell_word("${A///-}", &o, NULL, &err);
    ASSERT(r && strlen(r) == 81);
    free(r);
    cb_strv_release(&e);
}
