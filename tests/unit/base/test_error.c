#include <errno.h>
#include <stdlib.h>

#include "harness.h"
#include "../../../base/error.h"

static int open_thing(const char *path, struct cb_err **err)
{
    return cb_fail(err, CB_EIO, ENOENT, "open '%s'", path);
}

static int load(const char *path, struct cb_err **err)
{
    if (open_thing(path, err) < 0)
        return cb_wrap(err, "load config");
    return 0;
}

TEST(error_fail_appends_strerror)
{
    cleanup_err struct cb_err *err = NULL;
    ASSERT_INT_EQ(open_thing("x", &err), -CB_EIO);
    ASSERT_STR_EQ(err->msg, "open 'x': No such file or directory");
    ASSERT_INT_EQ(err->sys_errno, ENOENT);
}

TEST(error_wrap_reads_outer_to_inner)
{
    cleanup_err struct cb_err *err = NULL;
    int rc = load("/etc/x", &err);
    ASSERT_INT_EQ(rc, -CB_EIO);
    ASSERT_INT_EQ(err->code, CB_EIO);
    rc = cb_wrap(&err, "pull '%s'", "alpine:3.20");
    ASSERT_INT_EQ(rc, -CB_EIO);
    ASSERT_STR_EQ(err->msg, "pull 'alpine:3.20': load config: open '/etc/x': No such file or directory");
}

TEST(error_null_err_only_returns_code)
{
    ASSERT_INT_EQ(cb_fail(NULL, CB_EAUTH, 0, "denied"), -CB_EAUTH);
    ASSERT_INT_EQ(cb_wrap(NULL, "ctx"), -CB_EBUG);
}

TEST(error_fail_replaces_previous)
{
    cleanup_err struct cb_err *err = NULL;
    cb_fail(&err, CB_EIO, 0, "first");
    cb_fail(&err, CB_ENET, 0, "second");
    ASSERT_INT_EQ(err->code, CB_ENET);
    ASSERT_STR_EQ(err->msg, "second");
    ASSERT_INT_EQ(err->sys_errno, 0);
}

TEST(error_category_names)
{
    ASSERT_STR_EQ(cb_errc_name(CB_EDIGEST), "digest");
    ASSERT_STR_EQ(cb_errc_name((enum cb_errc)999), "unknown");
}
