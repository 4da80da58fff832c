#include "harness.h"
#include "../../../base/strv.h"
#include "../../../base/cleanup.h"

TEST(strv_push_find_detach)
{
    struct cb_strv s = CB_STRV_INIT;
    cb_strv_push(&s, "a");
    cb_strv_pushf(&s, "%s-%d", "b", 2);
    ASSERT_INT_EQ(s.n, 2);
    ASSERT_INT_EQ(cb_strv_find(&s, "b-2"), 1);
    ASSERT_INT_EQ(cb_strv_find(&s, "c"), -1);
    ASSERT(s.v[2] == NULL);
    cleanup_strv char **v = cb_strv_detach(&s);
    ASSERT_STR_EQ(v[0], "a");
    ASSERT(s.v == NULL && s.n == 0);
}
