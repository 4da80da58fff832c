/* test_checks.c - the build checks through their C API (our own cases; the
 * per-rule golden files are in tests/data/check, run by t2100-check.sh). */
#include <string.h>

#include "harness.h"
#include "../../../../base/buf.h"
#include "../../../../base/cleanup.h"
#include "../../../../builder/dockerfile/checks.h"
#include "../../../../builder/dockerfile/checks_format.h"

static bool ref_ok(void *ud, const char *ref)
{
    (void)ud;
    size_t n = strlen(ref);
    return n && ref[n - 1] != ':';
}

static void run(const char *df, const struct bld_kvs *args, const struct bld_ignore *ig,
                struct bld_check_result *res)
{
    struct bld_check_opts o = {.build_args = args, .ignore = ig, .ref_valid = ref_ok};
    o.target = o.build = (struct bld_platform){"linux", "amd64", ""};
    struct cb_err *err = NULL;
    int rc = bld_check_run(df, strlen(df), &o, res, &err);
    if (rc < 0)
        cb_err_free(err);
    CB_BUG_ON(rc < 0);
}

/* "Rule@line" for every warning, space-separated. */
static char *summary(const struct bld_check_result *r)
{
    struct cb_buf b;
    cb_buf_init(&b, 1 << 16);
    for (size_t i = 0; i < r->n; i++)
        cb_buf_addf(&b, NULL, "%s%s@%d", i ? " " : "", r->w[i].rule, r->w[i].line);
    return cb_buf_detach(&b, NULL);
}

TEST(checks_suggest_distance_and_exact)
{
    const char *opts[] = {"BUILDPLATFORM", "TARGETARCH", "MY_ARCH"};
    ASSERT_STR_EQ(bld_check_suggest("BULIDPLATFORM", opts, 3), "BUILDPLATFORM");
    ASSERT_STR_EQ(bld_check_suggest("MYARCH", opts, 3), "MY_ARCH");
    ASSERT(bld_check_suggest("TARGETARCH", opts, 3) == NULL); /* exact: no advice */
    ASSERT(bld_check_suggest("SOMETHING", opts, 3) == NULL);
    ASSERT(bld_check_suggest("my_arch", opts, 3) == NULL); /* case matters */
    ASSERT_STR_EQ(bld_check_suggest("MY_ARC", opts, 3), "MY_ARCH");
}

TEST(checks_secret_names)
{
    ASSERT(bld_check_is_secret_name("AWS_SECRET_ACCESS_KEY"));
    ASSERT(bld_check_is_secret_name("token"));
    ASSERT(bld_check_is_secret_name("Db_Password"));
    ASSERT(!bld_check_is_secret_name("MONKEY"));           /* not a whole word */
    ASSERT(!bld_check_is_secret_name("PUBLIC_KEY"));       /* allowed word */
    ASSERT(!bld_check_is_secret_name("SSH_KEY_FILE"));     /* a path, not the key */
    ASSERT(!bld_check_is_secret_name("AUTH_LIB_VERSION")); /* a version */
}

TEST(checks_rule_table_complete)
{
    size_t n = 0, experimental = 0;
    for (const struct bld_check_rule *r; (r = bld_check_rule_at(n)); n++) {
        ASSERT(*r->name && *r->description);
        experimental += r->experimental;
    }
    ASSERT_INT_EQ(n, 22);
    ASSERT_INT_EQ(experimental, 1);
}

TEST(checks_sorted_by_line_then_detail)
{
    struct bld_check_result r;
    run("FROM alpine\nEXPOSE 9/UDP 8/TCP\nMAINTAINER x\n", NULL, NULL, &r);
    cleanup_free char *s = summary(&r);
    ASSERT_STR_EQ(s, "ExposeProtoCasing@2 ExposeProtoCasing@2 MaintainerDeprecated@3");
    ASSERT(strstr(r.w[0].detail, "'8/TCP'") != NULL);
    bld_check_result_release(&r);
}

TEST(checks_build_args_feed_arg_values)
{
    struct bld_kvs args = {NULL, 0, 0};
    bld_kvs_set(&args, "BASE", "alpine");
    struct bld_check_result r;
    /* with the build arg, FROM ${BASE} is fine; the default alone is not */
    run("ARG BASE\nFROM ${BASE}\nARG X\nRUN true\n", &args, NULL, &r);
    cleanup_free char *s = summary(&r);
    ASSERT_STR_EQ(s, "InvalidDefaultArgInFrom@2");
    ASSERT(r.error == NULL);
    bld_check_result_release(&r);
    bld_kvs_release(&args);
}

TEST(checks_error_true_fails_with_rules)
{
    struct bld_check_result r;
    run("# check=error=true\nFROM alpine AS Build\nMAINTAINER me\n", NULL, NULL, &r);
    ASSERT(r.lint_error);
    ASSERT_STR_EQ(r.error, "lint violation found for rules: StageNameCasing, MaintainerDeprecated");
    bld_check_result_release(&r);
    run("# check=error=true\nFROM alpine\n", NULL, NULL, &r);
    ASSERT(r.error == NULL && r.n == 0);
    bld_check_result_release(&r);
}

TEST(checks_copy_ignored_uses_matcher)
{
    const char *pats[] = {"dist", "*.md"};
    struct cb_err *err = NULL;
    cleanup_ignore struct bld_ignore *ig = bld_ignore_new(pats, 2, &err);
    struct bld_check_result r;
    run("FROM alpine AS a\nCOPY README.md dist/x ./src /d/\nFROM alpine\nCOPY --from=a dist /d\n",
        NULL, ig, &r);
    cleanup_free char *s = summary(&r);
    ASSERT_STR_EQ(s, "CopyIgnoredFile@2 CopyIgnoredFile@2");
    ASSERT_STR_EQ(r.w[0].detail, "Attempting to Copy file \"README.md\" that is excluded by "
                                 ".dockerignore");
    bld_check_result_release(&r);
}

TEST(checks_parse_error_and_bad_option_fail)
{
    struct bld_check_opts o = {0};
    o.target = o.build = (struct bld_platform){"linux", "amd64", ""};
    struct bld_check_result r;
    struct cb_err *err = NULL;
    const char *empty = "# only a comment\n";
    ASSERT_FAILS(bld_check_run(empty, strlen(empty), &o, &r, &err), err, CB_ESYNTAX,
                 "file with no instructions");
    const char *opt = "# check=skip=all;bogus=1\nFROM alpine\n";
    ASSERT_FAILS(bld_check_run(opt, strlen(opt), &o, &r, &err), err, CB_ESYNTAX,
                 "invalid check option \"bogus\"");
}

TEST(checks_warnings_before_an_instruction_error)
{
    struct bld_check_result r;
    run("FROM alpine AS Bad\nMAINTAINER me\nNOPE x\nCMD echo never checked\n", NULL, NULL, &r);
    ASSERT(r.parse_error);
    ASSERT_STR_EQ(r.error, "Dockerfile:3: unknown instruction: NOPE (did you mean COPY?)");
    cleanup_free char *s = summary(&r);
    ASSERT_STR_EQ(s, "StageNameCasing@1 MaintainerDeprecated@2");
    bld_check_result_release(&r);
}

TEST(checks_json_and_text_output)
{
    struct bld_check_result r;
    const char *df = "FROM alpine\nWORKDIR app\n";
    run(df, NULL, NULL, &r);
    struct cb_buf b;
    cb_buf_init(&b, 1 << 20);
    struct cb_err *err = NULL;
    ASSERT_OK(bld_check_result_json(&r, &b, &err), err);
    ASSERT(strstr(cb_buf_str(&b), "\"rule\": \"WorkdirRelativePath\"") != NULL);
    ASSERT(strstr(cb_buf_str(&b), "\"line\": 2") != NULL);
    cb_buf_reset(&b);
    bld_check_result_text(&r, df, strlen(df), "Dockerfile", &b);
    ASSERT(strstr(cb_buf_str(&b), "Dockerfile:2\n") != NULL);
    ASSERT(strstr(cb_buf_str(&b), "   2 | >>> WORKDIR app\n") != NULL);
    cb_buf_release(&b);
    bld_check_result_release(&r);
}
