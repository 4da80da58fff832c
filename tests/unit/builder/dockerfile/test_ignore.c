/* test_ignore.c - .dockerignore reading and matching (our own cases). */
#include <string.h>
#include <sys/stat.h>

#include "harness.h"
#include "../../../../base/cleanup.h"
#include "../../../../base/strv.h"
#include "../../../../builder/dockerfile/ignore.h"
#include "../../../../builder/dockerfile/ignore_re.h"

static struct bld_ignore *mk(const char *const *pats, size_t n)
{
    struct cb_err *err = NULL;
    struct bld_ignore *m = bld_ignore_new(pats, n, &err);
    if (!m)
        cb_err_free(err);
    return m;
}

/* 1 excluded, 0 not, -1 error */
static int excl(const struct bld_ignore *m, const char *path)
{
    cleanup_err struct cb_err *err = NULL;
    return bld_ignore_match(m, path, &err) < 0 ? -1 : bld_ignore_match(m, path, &err);
}

TEST(ignore_parse_file_rules)
{
    const char text[] = "\xEF\xBB\xBF"
                        "node_modules\r\n"
                        "# a comment\n"
                        "  # not a comment  \n"
                        "\n"
                        "   \t\n"
                        "/abs//dir/./x/../y/\n"
                        "!  /keep/me\n"
                        "!\n"
                        "/\n";
    struct cb_strv v = CB_STRV_INIT;
    struct cb_err *err = NULL;
    ASSERT_OK(bld_ignore_parse(text, sizeof(text) - 1, &v, &err), err);
    ASSERT_INT_EQ(v.n, 6);
    ASSERT_STR_EQ(v.v[0], "node_modules");
    ASSERT_STR_EQ(v.v[1], "# not a comment");
    ASSERT_STR_EQ(v.v[2], "abs/dir/y");
    ASSERT_STR_EQ(v.v[3], "!keep/me");
    ASSERT_STR_EQ(v.v[4], "!");
    ASSERT_STR_EQ(v.v[5], "/");
    cb_strv_release(&v);
}

TEST(ignore_parse_overlong_line)
{
    size_t n = 70 * 1024;
    cleanup_free char *text = malloc(n);
    memset(text, 'a', n);
    struct cb_strv v = CB_STRV_INIT;
    struct cb_err *err = NULL;
    ASSERT_FAILS(bld_ignore_parse(text, n, &v, &err), err, CB_EINVAL, "token too long");
    cb_strv_release(&v);
}

TEST(ignore_basic_and_exceptions)
{
    const char *p[] = {"*.o", "build", "!build/keep", "docs/**/*.md", "!docs/README.md"};
    cleanup_ignore struct bld_ignore *m = mk(p, 5);
    ASSERT(m != NULL);
    ASSERT(bld_ignore_has_exclusions(m));
    ASSERT_INT_EQ(excl(m, "main.o"), 1);
    ASSERT_INT_EQ(excl(m, "src/main.o"), 0); /* '*' stays in one directory */
    ASSERT_INT_EQ(excl(m, "build"), 1);
    ASSERT_INT_EQ(excl(m, "build/a/b/c"), 1); /* below an excluded dir */
    ASSERT_INT_EQ(excl(m, "build/keep"), 0);
    ASSERT_INT_EQ(excl(m, "build/keep/deeper"), 0);
    ASSERT_INT_EQ(excl(m, "docs/a.md"), 1); /* ** matches zero directories */
    ASSERT_INT_EQ(excl(m, "docs/x/y/a.md"), 1);
    ASSERT_INT_EQ(excl(m, "docs/README.md"), 0);
    ASSERT_INT_EQ(excl(m, "docs/a.txt"), 0);
}

TEST(ignore_last_match_wins)
{
    const char *p[] = {"!a", "a", "!a/b", "a/b/c"};
    cleanup_ignore struct bld_ignore *m = mk(p, 4);
    ASSERT_INT_EQ(excl(m, "a"), 1);
    ASSERT_INT_EQ(excl(m, "a/b"), 0);
    ASSERT_INT_EQ(excl(m, "a/b/c"), 1);
    ASSERT_INT_EQ(excl(m, "a/b/d"), 0);
}

TEST(ignore_new_errors)
{
    struct cb_err *err = NULL;
    const char *bang[] = {"ok", "  !  "};
    ASSERT(bld_ignore_new(bang, 2, &err) == NULL);
    ASSERT_STR_EQ(err->msg, "illegal exclusion pattern: \"!\"");
    cb_err_free(err);
    err = NULL;
    const char *bad[] = {"a[b-"};
    ASSERT(bld_ignore_new(bad, 1, &err) == NULL);
    ASSERT_STR_EQ(err->msg, "syntax error in pattern");
    cb_err_free(err);
}

TEST(ignore_error_only_when_used)
{
    /* Go's filepath.Match accepts the reversed range; the regexp does not */
    const char *p[] = {"x", "[z-a]"};
    cleanup_ignore struct bld_ignore *m = mk(p, 2);
    ASSERT(m != NULL);
    ASSERT_INT_EQ(excl(m, "y"), -1);
    /* once "x" matched, later non-exception patterns are not evaluated */
    ASSERT_INT_EQ(excl(m, "x"), 1);
}

TEST(ignore_go_regexp_corners)
{
    const char *digit[] = {"\\d"}, *posix[] = {"[[:digit:]]x"}, *caret[] = {"a^b*"},
               *star_class[] = {"[*]"}, *utf[] = {"?"};
    cleanup_ignore struct bld_ignore *m1 = mk(digit, 1), *m2 = mk(posix, 1), *m3 = mk(caret, 1),
                                     *m4 = mk(star_class, 1), *m5 = mk(utf, 1);
    ASSERT_INT_EQ(excl(m1, "7"), 1); /* \d is a Go regexp class */
    ASSERT_INT_EQ(excl(m1, "d"), 0);
    ASSERT_INT_EQ(excl(m2, "5x"), 1);
    ASSERT_INT_EQ(excl(m2, "ax"), 0);
    ASSERT_INT_EQ(excl(m3, "a^b"), 0); /* a mid-pattern ^ never matches */
    ASSERT_INT_EQ(excl(m4, "*"), 0);   /* "[*]" becomes "[[^/]*]" */
    ASSERT_INT_EQ(excl(m4, "[]"), 1);
    ASSERT_INT_EQ(excl(m5, "\xc3\xa9"), 1); /* one rune, two bytes */
    ASSERT_INT_EQ(excl(m5, "ab"), 0);
}

TEST(ignore_describe_kinds)
{
    const char *p[] = {"a/b", "a/**", "**/x", "a*"};
    cleanup_ignore struct bld_ignore *m = mk(p, 4);
    const char *kind, *re;
    struct cb_err *err = NULL;
    ASSERT_OK(bld_ignore_describe(m, 0, &kind, &re, &err), err);
    ASSERT_STR_EQ(kind, "exactMatch");
    ASSERT_OK(bld_ignore_describe(m, 1, &kind, &re, &err), err);
    ASSERT_STR_EQ(kind, "prefixMatch");
    ASSERT_OK(bld_ignore_describe(m, 2, &kind, &re, &err), err);
    ASSERT_STR_EQ(kind, "suffixMatch");
    ASSERT_OK(bld_ignore_describe(m, 3, &kind, &re, &err), err);
    ASSERT_STR_EQ(kind, "regexpMatch");
    ASSERT_STR_EQ(re, "^a[^/]*$");
}

TEST(ignore_walk_state_agrees)
{
    const char *p[] = {"**/tmp", "!keep/tmp", "keep/tmp/x*"};
    cleanup_ignore struct bld_ignore *m = mk(p, 3);
    const char *chain[] = {"keep", "keep/tmp", "keep/tmp/xa", "keep/tmp/xa/f"};
    struct bld_ignore_state *st = NULL, *nst = NULL;
    struct cb_err *err = NULL;
    for (size_t i = 0; i < 4; i++) {
        int walk = bld_ignore_match_walk(m, chain[i], st, &nst, &err);
        ASSERT_INT_EQ(walk, excl(m, chain[i]));
        bld_ignore_state_free(st);
        st = nst;
    }
    bld_ignore_state_free(st);
    ASSERT_INT_EQ(excl(m, "keep/tmp/y"), 0);
    ASSERT_INT_EQ(excl(m, "other/tmp/y"), 1);
}

TEST(ignore_can_skip_dir)
{
    struct cb_err *err = NULL;
    const char *p1[] = {"build"}, *p2[] = {"build", "!build/keep"}, *p3[] = {"*", "!src/x"},
               *p4[] = {"node_modules", "!**/keep"}, *p5[] = {"*", "!*/x"};
    cleanup_ignore struct bld_ignore *m1 = mk(p1, 1), *m2 = mk(p2, 2), *m3 = mk(p3, 2),
                                     *m4 = mk(p4, 2), *m5 = mk(p5, 2);
    ASSERT_INT_EQ(bld_ignore_can_skip_dir(m1, "build", &err), 1);
    ASSERT_INT_EQ(bld_ignore_can_skip_dir(m1, "src", &err), 0); /* not excluded */
    ASSERT_INT_EQ(bld_ignore_can_skip_dir(m2, "build", &err), 0);
    ASSERT_INT_EQ(bld_ignore_can_skip_dir(m3, "docs", &err), 1);
    ASSERT_INT_EQ(bld_ignore_can_skip_dir(m3, "src", &err), 0);
    ASSERT_INT_EQ(bld_ignore_can_skip_dir(m4, "node_modules", &err), 0);
    ASSERT_INT_EQ(bld_ignore_can_skip_dir(m5, "any", &err), 0);
}

TEST(ignore_load_dockerfile_specific)
{
    struct cb_err *err = NULL;
    mkdir("ctx", 0755);
    mkdir("ctx/sub", 0755);
    t_write("ctx/.dockerignore", "from-context\n");
    t_write("ctx/sub/app.Dockerfile.dockerignore", "from-dockerfile\n");
    struct cb_strv v = CB_STRV_INIT;
    cleanup_free char *used = NULL;
    ASSERT_OK(bld_ignore_load("ctx", "ctx/sub/app.Dockerfile", &v, &used, &err), err);
    ASSERT_INT_EQ(v.n, 1);
    ASSERT_STR_EQ(v.v[0], "from-dockerfile");
    ASSERT_STR_EQ(used, "ctx/sub/app.Dockerfile.dockerignore");
    cb_strv_release(&v);
    free(used);
    used = NULL;
    ASSERT_OK(bld_ignore_load("ctx", "ctx/Dockerfile", &v, &used, &err), err);
    ASSERT_STR_EQ(v.v[0], "from-context");
    cb_strv_release(&v);
    ASSERT_OK(bld_ignore_load("nowhere", NULL, &v, NULL, &err), err);
    ASSERT_INT_EQ(v.n, 0);
}

TEST(ignore_glob_and_clean)
{
    struct cb_err *err = NULL;
    ASSERT_INT_EQ(bld_ignore_glob_match("a*/b", "abc/b", &err), 1);
    ASSERT_INT_EQ(bld_ignore_glob_match("a*", "a/b", &err), 0);
    ASSERT_INT_EQ(bld_ignore_glob_match("[^a-c]x", "dx", &err), 1);
    ASSERT_FAILS(bld_ignore_glob_match("ab[", "x", &err), err, CB_EINVAL, "syntax error");
    char *c;
    ASSERT_STR_EQ((c = bld_ignore_clean_path("a//b/./../c/")), "a/c");
    free(c);
    ASSERT_STR_EQ((c = bld_ignore_clean_path("../../x/..")), "../..");
    free(c);
    ASSERT_STR_EQ((c = bld_ignore_clean_path("/../a")), "/a");
    free(c);
    ASSERT_STR_EQ((c = bld_ignore_clean_path("")), ".");
    free(c);
}

TEST(ignore_literal_prefilter_keeps_answers)
{
    /* "**" swallows the '/' after it: "a**\/x" matches "ax"; the literal
     * text the matcher looks for first must not include that '/' */
    const char *p1[] = {"a**/x"}, *p2[] = {"*/**/x"}, *p3[] = {"[x-z]*/lib/**/*.so"},
               *p4[] = {"**/target/**"};
    cleanup_ignore struct bld_ignore *m1 = mk(p1, 1), *m2 = mk(p2, 1), *m3 = mk(p3, 1),
                                     *m4 = mk(p4, 1);
    ASSERT_INT_EQ(excl(m1, "ax"), 1);
    ASSERT_INT_EQ(excl(m1, "ab/c/x"), 1);
    ASSERT_INT_EQ(excl(m2, "a/x"), 1);
    ASSERT_INT_EQ(excl(m3, "yy/lib/a.so"), 1);
    ASSERT_INT_EQ(excl(m3, "yy/lib/deep/er/a.so"), 1);
    ASSERT_INT_EQ(excl(m3, "ay/lib/a.so"), 0);
    ASSERT_INT_EQ(excl(m4, "a/target/b"), 1);
    ASSERT_INT_EQ(excl(m4, "target/b"), 1);
    ASSERT_INT_EQ(excl(m4, "a/targets/b"), 0);
}

/* Property: when can_skip_dir says a directory may be skipped, everything
 * below it is excluded (random patterns over a small random tree). */
TEST(ignore_can_skip_dir_is_sound)
{
    static const char *const atoms[] = {"a", "b", "ab", "*", "?", "**", "[ab]", "a*", "*b", "x"};
    static const char *const segs[] = {"a", "b", "ab", "x"};
    unsigned seed = 12345;
#define RND(n) ((seed = seed * 1103515245u + 12345u) >> 16) % (n)
    char paths[64][32];
    size_t np = 0, skips = 0, skips_with_exceptions = 0;
    for (size_t i = 0; i < 4; i++)
        for (size_t j = 0; j < 4; j++)
            for (size_t k = 0; k < 4; k++)
                snprintf(paths[np++], sizeof(paths[0]), "%s/%s/%s", segs[i], segs[j], segs[k]);
    for (int round = 0; round < 400; round++) {
        char pat[6][32];
        const char *pv[6];
        size_t n = 1 + RND(5);
        for (size_t i = 0; i < n; i++) {
            size_t depth = 1 + RND(3);
            snprintf(pat[i], sizeof(pat[i]), "%s", RND(3) == 0 ? "!" : "");
            for (size_t d = 0; d < depth; d++)
                snprintf(pat[i] + strlen(pat[i]), sizeof(pat[i]) - strlen(pat[i]), "%s%s",
                         d ? "/" : "", atoms[RND(10)]);
            pv[i] = pat[i];
        }
        struct cb_err *err = NULL;
        cleanup_ignore struct bld_ignore *m = bld_ignore_new(pv, n, &err);
        if (!m) {
            cb_err_free(err);
            continue;
        }
        for (size_t d = 0; d < np; d++) {
            char dir[32];
            for (size_t cut = 1; cut <= 2; cut++) { /* "s1" and "s1/s2" */
                const char *p = paths[d];
                size_t len = cut == 1 ? strcspn(p, "/") : (size_t)(strrchr(p, '/') - p);
                snprintf(dir, sizeof(dir), "%.*s", (int)len, p);
                if (bld_ignore_can_skip_dir(m, dir, &err) != 1)
                    continue;
                skips++;
                skips_with_exceptions += bld_ignore_has_exclusions(m);
                for (size_t q = 0; q < np; q++)
                    if (!strncmp(paths[q], dir, len) && paths[q][len] == '/' &&
                        excl(m, paths[q]) != 1)
                        T_FAIL("patterns %s%s%s...: skip '%s' but '%s' is included", pv[0],
                               n > 1 ? " " : "", n > 1 ? pv[1] : "", dir, paths[q]);
            }
        }
    }
#undef RND
    ASSERT(skips > 100);                /* the property was exercised, */
    ASSERT(skips_with_exceptions > 10); /* also with '!' patterns */
}

/* Property: the literal prefilter never changes an answer: matching a
 * single pattern equals running its regexp on the whole path. */
TEST(ignore_prefilter_is_sound)
{
    static const char *const atoms[] = {"a", "b", "/", "*", "**", "?", "[ab]", ".", "ab/", "**/"};
    static const char *const chars[] = {"a", "b", "/", ".", "ab"};
    unsigned seed = 777;
#define RND(n) ((seed = seed * 1103515245u + 12345u) >> 16) % (n)
    size_t checked = 0, matched = 0;
    for (int round = 0; round < 2000; round++) {
        char pat[64] = "", path[64] = "";
        for (size_t i = 0, n = 1 + RND(6); i < n; i++)
            snprintf(pat + strlen(pat), sizeof(pat) - strlen(pat), "%s", atoms[RND(10)]);
        for (size_t i = 0, n = 1 + RND(8); i < n; i++)
            snprintf(path + strlen(path), sizeof(path) - strlen(path), "%s", chars[RND(5)]);
        const char *pv[] = {pat}, *kind, *re;
        struct cb_err *err = NULL;
        cleanup_ignore struct bld_ignore *m = bld_ignore_new(pv, 1, &err);
        if (!m || bld_ignore_describe(m, 0, &kind, &re, &err) < 0 || strcmp(kind, "regexpMatch")) {
            cb_err_free(err);
            continue;
        }
        struct bld_re *r = bld_re_new(re, NULL);
        ASSERT(r != NULL);
        int want = bld_re_match(r, path, strlen(path));
        bld_re_free(r);
        ASSERT_INT_EQ(bld_ignore_match_exact(m, path, &err), want);
        checked++;
        matched += want;
    }
#undef RND
    ASSERT(checked > 500 && matched > 50);
}
