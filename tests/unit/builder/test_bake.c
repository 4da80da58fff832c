#include <stdlib.h>

#include "harness.h"
#include "../../../builder/bake.h"
#include "../../../builder/bake_internal.h"

TEST(bake_interpolation)
{
    struct bld_bake b;
    char *s;
    bld_bake_init(&b);
    setenv("CB_TEST_ENV", "fromenv", 1);
    unsetenv("CB_TEST_UNSET");
    bld_bake_set_var(&b, "TAG", "1.0");
    s = bld_bake_interpolate(
        &b, "app:${TAG}-$CB_TEST_ENV ${CB_TEST_UNSET:-def} ${CB_TEST_UNSET-d2} $$HOME");
    ASSERT_STR_EQ(s, "app:1.0-fromenv def d2 $HOME");
    free(s);
    setenv("TAG", "envwins", 1);
    bld_bake_set_var(&b, "TAG", "1.0");
    s = bld_bake_interpolate(&b, "${TAG}");
    ASSERT_STR_EQ(s, "envwins");
    free(s);
    unsetenv("TAG");
    bld_bake_release(&b);
}

TEST(bake_json_inherit_set_select)
{
    cleanup_err struct cb_err *err = NULL;
    struct bld_bake b;
    struct cb_strv names = CB_STRV_INIT;
    size_t *sel = NULL, n = 0;
    t_write("p/docker-bake.json",
            "{\"group\":{\"all\":{\"targets\":[\"a\",\"b\"]}},"
            "\"target\":{\"base\":{\"context\":\"ctx\",\"args\":{\"X\":\"1\",\"Y\":\"base\"}},"
            "\"a\":{\"inherits\":[\"base\"],\"args\":{\"Y\":\"a\"},\"tags\":[\"a:1\"]},"
            "\"b\":{\"inherits\":[\"base\"],\"context\":\"other\"}}}");
    bld_bake_init(&b);
    ASSERT_OK(bld_bake_load(&b, "p/docker-bake.json", &err), err);
    ASSERT_OK(bld_bake_set(&b, "*.labels.team=x", &err), err);
    ASSERT_OK(bld_bake_set(&b, "b.tags=b:2", &err), err);
    cb_strv_push(&names, "all");
    ASSERT_OK(bld_bake_select(&b, &names, &sel, &n, &err), err);
    ASSERT_INT_EQ(n, 2);
    ASSERT_STR_EQ(b.targets[sel[0]].name, "a");
    ASSERT_STR_EQ(b.targets[sel[0]].context, "p/ctx");
    /* parent args first, the child's later (the later value wins) */
    ASSERT_STR_EQ(b.targets[sel[0]].args.v[b.targets[sel[0]].args.n - 1], "Y=a");
    ASSERT_STR_EQ(b.targets[sel[1]].context, "p/other");
    ASSERT_STR_EQ(b.targets[sel[1]].tags.v[0], "b:2");
    ASSERT_FAILS(bld_bake_set(&b, "zzz.tags=x", &err), err, CB_ENOTFOUND, "no target matches");
    ASSERT_FAILS(bld_bake_set(&b, "a.bogus=x", &err), err, CB_EINVAL, "unknown key 'bogus'");
    free(sel);
    cb_strv_release(&names);
    bld_bake_release(&b);
}

TEST(bake_compose_services)
{
    cleanup_err struct cb_err *err = NULL;
    struct bld_bake b;
    size_t *sel = NULL, n = 0;
    t_write("c/compose.yaml", "services:\n"
                              "  api:\n"
                              "    build:\n"
                              "      context: ./api\n"
                              "      dockerfile: Dockerfile.prod\n"
                              "      target: prod\n"
                              "      args:\n"
                              "        - MODE=prod\n"
                              "    image: shop/api:1\n"
                              "  db:\n"
                              "    image: postgres:16\n");
    bld_bake_init(&b);
    ASSERT_OK(bld_bake_load(&b, "c/compose.yaml", &err), err);
    ASSERT_OK(bld_bake_select(&b, NULL, &sel, &n, &err), err);
    ASSERT_INT_EQ(n, 2);
    ASSERT_STR_EQ(b.targets[sel[0]].context, "c/api");
    ASSERT_STR_EQ(b.targets[sel[0]].dockerfile, "Dockerfile.prod");
    ASSERT_STR_EQ(b.targets[sel[0]].target, "prod");
    ASSERT_STR_EQ(b.targets[sel[0]].args.v[0], "MODE=prod");
    ASSERT_STR_EQ(b.targets[sel[0]].tags.v[0], "shop/api:1");
    ASSERT_STR_EQ(b.targets[sel[1]].image_only, "postgres:16");
    free(sel);
    bld_bake_release(&b);
    t_write("bad.yaml", "services: [unclosed\n");
    bld_bake_init(&b);
    ASSERT_FAILS(bld_bake_load(&b, "bad.yaml", &err), err, CB_EINVAL, "bad.yaml:");
    bld_bake_release(&b);
}
