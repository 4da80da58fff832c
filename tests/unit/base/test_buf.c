#include <stdint.h>
#include <stdlib.h>

#include "harness.h"
#include "../../../base/buf.h"

TEST(buf_add_and_format)
{
    cleanup_buf struct cb_buf b;
    cleanup_err struct cb_err *err = NULL;
    cb_buf_init(&b, 100);
    ASSERT_STR_EQ(cb_buf_str(&b), "");
    ASSERT_OK(cb_buf_adds(&b, "abc", &err), err);
    ASSERT_OK(cb_buf_addc(&b, '-', &err), err);
    ASSERT_OK(cb_buf_addf(&b, &err, "%d:%s", 42, "x"), err);
    ASSERT_STR_EQ(b.data, "abc-42:x");
    ASSERT_INT_EQ(b.len, 8);
}

TEST(buf_limit_is_enforced_and_buffer_unchanged)
{
    cleanup_buf struct cb_buf b;
    cleanup_err struct cb_err *err = NULL;
    cb_buf_init(&b, 8);
    ASSERT_OK(cb_buf_adds(&b, "12345678", &err), err);
    ASSERT_FAILS(cb_buf_adds(&b, "9", &err), err, CB_EINVAL, "limit of 8 bytes");
    ASSERT_STR_EQ(b.data, "12345678");
    ASSERT_INT_EQ(b.len, 8);
    cb_buf_reset(&b);
    ASSERT_FAILS(cb_buf_addf(&b, &err, "%s", "0123456789"), err, CB_EINVAL, "limit");
    ASSERT_INT_EQ(b.len, 0);
    ASSERT_STR_EQ(cb_buf_str(&b), "");
}

TEST(buf_limit_overflow_is_refused)
{
    struct cb_buf b;
    cb_buf_init(&b, 16);
    ASSERT_OK(cb_buf_adds(&b, "xy", NULL), (struct cb_err *)NULL);
    ASSERT_INT_EQ(cb_buf_add(&b, "z", (size_t)-1, NULL), -CB_EINVAL);
    cb_buf_release(&b);
}

TEST(buf_without_a_limit_grows)
{
    struct cb_buf b;
    char big[300];
    memset(big, 'x', sizeof(big));
    cb_buf_init(&b, SIZE_MAX);
    ASSERT_OK(cb_buf_add(&b, "abc", 3, NULL), (struct cb_err *)NULL);
    ASSERT_OK(cb_buf_add(&b, big, sizeof(big), NULL), (struct cb_err *)NULL);
    ASSERT_INT_EQ(b.len, 303);
    ASSERT(b.alloc > 303);
    ASSERT_MEM_EQ(b.data, "abcxxx", 6);
    cb_buf_release(&b);
}

TEST(buf_detach_and_truncate)
{
    struct cb_buf b;
    size_t len = 0;
    char *s;
    cb_buf_init(&b, 1000);
    cb_buf_adds(&b, "hello world", NULL);
    cb_buf_truncate(&b, 5);
    ASSERT_STR_EQ(b.data, "hello");
    s = cb_buf_detach(&b, &len);
    ASSERT_STR_EQ(s, "hello");
    ASSERT_INT_EQ(len, 5);
    ASSERT(b.data == NULL && b.len == 0 && b.limit == 1000);
    free(s);
    s = cb_buf_detach(&b, NULL);
    ASSERT_STR_EQ(s, "");
    free(s);
}
