#include "harness.h"
#include "../../../builder/argfile.h"

TEST(argfile_lines_quotes_comments)
{
    cleanup_err struct cb_err *err = NULL;
    struct cb_strv out = CB_STRV_INIT;
    const char *text = "# staging\n"
                       "API_URL=https://staging.example.com\n"
                       "\n"
                       "export VERSION=1.2.3\r\n"
                       "QUOTED=\"a b \\\"c\\\"\"\n"
                       "SINGLE='x # not a comment'\n"
                       "PLAIN=value # a comment\n"
                       "EMPTY=\n";
    ASSERT_OK(bld_argfile_parse("env", text, strlen(text), &out, &err), err);
    ASSERT_INT_EQ(out.n, 6);
    ASSERT_STR_EQ(out.v[0], "API_URL=https://staging.example.com");
    ASSERT_STR_EQ(out.v[1], "VERSION=1.2.3");
    ASSERT_STR_EQ(out.v[2], "QUOTED=a b \"c\"");
    ASSERT_STR_EQ(out.v[3], "SINGLE=x # not a comment");
    ASSERT_STR_EQ(out.v[4], "PLAIN=value");
    ASSERT_STR_EQ(out.v[5], "EMPTY=");
    cb_strv_release(&out);
}

TEST(argfile_errors_name_the_line)
{
    cleanup_err struct cb_err *err = NULL;
    struct cb_strv out = CB_STRV_INIT;
    ASSERT_FAILS(bld_argfile_parse("prod.env", "A=1\nnot a pair\n", 15, &out, &err), err, CB_EINVAL,
                 "prod.env:2: want KEY=VALUE");
    ASSERT_FAILS(bld_argfile_parse("f", "1X=2\n", 5, &out, &err), err, CB_EINVAL,
                 "f:1: '1X' is not a valid build arg name");
    ASSERT_FAILS(bld_argfile_parse("f", "A=\"open\n", 8, &out, &err), err, CB_EINVAL,
                 "f:1: unterminated quote");
    ASSERT_FAILS(bld_argfile_load("missing.env", &out, &err), err, CB_ENOTFOUND, "missing.env");
    cb_strv_release(&out);
}
