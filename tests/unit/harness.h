/* harness.h - the unit-test harness.
 *
 * A test is `TEST(name) { ... }` in tests/unit/<module>/test_<file>.c; the
 * Makefile greps for TEST( and registers every one.  Each test runs in a
 * forked child inside a fresh temporary directory (its cwd), so tests cannot
 * see each other's files or crash the run.  Assertions print both values.
 * SKIP("why") marks a test skipped (e.g. it needs root).
 */
#ifndef CBUILD_TESTS_HARNESS_H
#define CBUILD_TESTS_HARNESS_H

#include <stdbool.h>
#include <stdio.h>
#include <string.h>

#include "../../base/error.h"

struct t_ctx {
    int failed;
    int skipped;
};

typedef void (*t_fn)(struct t_ctx *t_);

struct t_case {
    const char *name;
    t_fn fn;
};

#define TEST(name) void test_##name(struct t_ctx *t_)

/* A test registered twice: as name with t_variant 0, and as name_variant
 * with t_variant 1 (e.g. the same checks over two backends). */
extern int t_variant;
#define TEST2(name, variant)                                                                       \
    static void t2_##name(struct t_ctx *t_);                                                       \
    void test_##name(struct t_ctx *t_)                                                             \
    {                                                                                              \
        t_variant = 0;                                                                             \
        t2_##name(t_);                                                                             \
    }                                                                                              \
    void test_##name##_##variant(struct t_ctx *t_)                                                 \
    {                                                                                              \
        t_variant = 1;                                                                             \
        t2_##name(t_);                                                                             \
    }                                                                                              \
    static void t2_##name(struct t_ctx *t_)

void t_fail(struct t_ctx *t, const char *file, int line, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));
/* The source tree's root (for tests/data). */
const char *t_srcdir(void);
/* Path of a file under tests/data; returns a static buffer's copy (free it). */
char *t_data(const char *rel);
/* Write a small file (directories created), aborting the test run on failure. */
void t_write(const char *path, const char *content);
/* Read a whole small file, or NULL. Free it. */
char *t_read(const char *path);

#define T_FAIL(...)                                                                                \
    do {                                                                                           \
        t_fail(t_, __FILE__, __LINE__, __VA_ARGS__);                                               \
        return;                                                                                    \
    } while (0)

#define SKIP(why)                                                                                  \
    do {                                                                                           \
        t_->skipped = 1;                                                                           \
        printf("# skip: %s\n", why);                                                               \
        return;                                                                                    \
    } while (0)

#define ASSERT(cond)                                                                               \
    do {                                                                                           \
        if (!(cond))                                                                               \
            T_FAIL("assertion failed: %s", #cond);                                                 \
    } while (0)

#define ASSERT_INT_EQ(a, b)                                                                        \
    do {                                                                                           \
        long long ta_ = (long long)(a), tb_ = (long long)(b);                                      \
        if (ta_ != tb_)                                                                            \
            T_FAIL("%s == %s: got %lld, want %lld", #a, #b, ta_, tb_);                             \
    } while (0)

#define ASSERT_STR_EQ(a, b)                                                                        \
    do {                                                                                           \
        const char *ta_ = (a), *tb_ = (b);                                                         \
        if (!ta_ || !tb_ || strcmp(ta_, tb_) != 0)                                                 \
            T_FAIL("%s == %s:\n#   got:  \"%s\"\n#   want: \"%s\"", #a, #b, ta_ ? ta_ : "(null)",  \
                   tb_ ? tb_ : "(null)");                                                          \
    } while (0)

#define ASSERT_MEM_EQ(a, b, n)                                                                     \
    do {                                                                                           \
        if (memcmp((a), (b), (n)) != 0)                                                            \
            T_FAIL("%s and %s differ in their first %zu bytes", #a, #b, (size_t)(n));              \
    } while (0)

/* expr returns < 0 on failure and sets err (a struct cb_err *). */
#define ASSERT_OK(expr, err)                                                                       \
    do {                                                                                           \
        long long trc_ = (long long)(expr);                                                        \
        if (trc_ < 0)                                                                              \
            T_FAIL("%s failed (%lld): %s", #expr, trc_, (err) ? (err)->msg : "(no message)");      \
    } while (0)

/* expr must fail with category code; err's message must contain substr. */
#define ASSERT_FAILS(expr, err, want_code, substr)                                                 \
    do {                                                                                           \
        long long trc_ = (long long)(expr);                                                        \
        if (trc_ >= 0)                                                                             \
            T_FAIL("%s succeeded, want failure %d", #expr, (int)(want_code));                      \
        if (!(err) || (err)->code != (want_code))                                                  \
            T_FAIL("%s: got category %d, want %d (%s)", #expr, (err) ? (int)(err)->code : 0,       \
                   (int)(want_code), (err) ? (err)->msg : "no error set");                         \
        if ((substr) && !strstr((err)->msg, (substr)))                                             \
            T_FAIL("%s: message \"%s\" lacks \"%s\"", #expr, (err)->msg, (const char *)(substr));  \
    } while (0)

#endif
