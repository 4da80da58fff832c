/* test_stages.c - stages.c and stages_expand.c: stage building, ARG/ENV
 * scoping, predefined args, used/unused build args, targets, cycles. */
#include <stdlib.h>

#include "harness.h"
#include "../../../../builder/dockerfile/stages.h"

static const struct cb_strv *base_env(void *ud, size_t i)
{
    return ud;
}

TEST(stages_scoping)
{
    const char *t =
        "ARG G=g\nARG V=1\nFROM img:$G AS One\nENV E=$G\nARG G\nARG V\nENV F=$G-$V-$PATH\n"
        "RUN true\nFROM one\nRUN echo\nENV H=$F\n";
    struct cb_err *err = NULL;
    struct bld_dockerfile *df = bld_dockerfile_parse(t, strlen(t), &err);
    ASSERT(df);
    ASSERT_INT_EQ(df->nglobal, 2);
    ASSERT_INT_EQ(df->nstages, 2);
    struct bld_kvs args = {0};
    bld_kvs_set(&args, "V", "2");
    bld_kvs_set(&args, "EXTRA", "x");
    bld_kvs_set(&args, "HTTP_PROXY", "p");
    struct cb_strv env = CB_STRV_INIT, unused = CB_STRV_INIT;
    cb_strv_push(&env, "PATH=/bin");
    struct bld_expand_opts o = {.build_args = &args, .base_env = base_env, .userdata = &env};
    ASSERT_OK(bld_stages_expand(df, &o, &unused, &err), err);
    const struct bld_stage *s0 = &df->stages[0], *s1 = &df->stages[1];
    ASSERT_STR_EQ(s0->name, "one");
    ASSERT_STR_EQ(s0->base_expanded, "img:g");
    ASSERT_STR_EQ(s0->instrs[0].u.kvs.v[0].value, ""); /* global ARG not visible */
    ASSERT_STR_EQ(s0->instrs[3].u.kvs.v[0].value, "g-2-/bin");
    ASSERT_INT_EQ(s0->args_used[4].n, 2);                      /* RUN sees every ARG with a value */
    ASSERT_STR_EQ(s1->instrs[1].u.kvs.v[0].value, "g-2-/bin"); /* env inherited from stage one */
    ASSERT_INT_EQ(unused.n, 1);
    ASSERT_STR_EQ(unused.v[0], "EXTRA");
    ASSERT_INT_EQ(bld_dockerfile_target(df, "ONE", &err), 0);
    ASSERT_INT_EQ(bld_dockerfile_target(df, NULL, &err), 1);
    ASSERT_FAILS(bld_dockerfile_target(df, "two", &err), err, CB_EINVAL, "could not be found");
    ASSERT_INT_EQ(bld_dockerfile_find_stage(df, "1"), 1);
    ASSERT_OK(bld_dockerfile_check_cycles(df, &err), err);
    cb_strv_release(&env);
    cb_strv_release(&unused);
    bld_kvs_release(&args);
    bld_dockerfile_free(df);
}

TEST(stages_predefined_platform_args)
{
    const char *t = "FROM --platform=$BUILDPLATFORM b:$TARGETARCH\nARG TARGETOS TARGETVARIANT\n"
                    "WORKDIR /$TARGETOS/$TARGETVARIANT/$BUILDOS\n";
    struct cb_err *err = NULL;
    struct bld_dockerfile *df = bld_dockerfile_parse(t, strlen(t), &err);
    ASSERT(df);
    struct bld_expand_opts o = {.target = {"linux", "arm", "v7"}, .build = {"linux", "amd64", ""}};
    ASSERT_OK(bld_stages_expand(df, &o, NULL, &err), err);
    ASSERT_STR_EQ(df->stages[0].platform_expanded, "linux/amd64");
    ASSERT_STR_EQ(df->stages[0].base_expanded, "b:arm");
    ASSERT_STR_EQ(df->stages[0].instrs[1].u.str, "/linux/v7/");
    bld_dockerfile_free(df);
    ASSERT(bld_arg_is_predefined("SOURCE_DATE_EPOCH"));
    ASSERT(bld_arg_is_predefined("BUILDKIT_INLINE_CACHE"));
    ASSERT(bld_arg_is_proxy("no_proxy"));
    ASSERT(!bld_arg_is_predefined("FOO"));
}

TEST(stages_errors)
{
    const char *cases[][2] = {
        {"RUN x\n", "Dockerfile:1: no build stage in current context"},
        {"FROM a AS x\nCOPY --from=x / /\n", "circular dependency detected on stage: x"},
        {"FROM $NOPE\n", "base name ($NOPE) should not be blank"},
        {"FROM a\nCOPY http://x/y /\n", "source can't be a URL for COPY"},
    };
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        struct cb_err *err = NULL;
        struct bld_dockerfile *df = bld_dockerfile_parse(cases[i][0], strlen(cases[i][0]), &err);
        int rc = df ? bld_stages_expand(df, NULL, NULL, &err) : -1;
        if (rc == 0)
            rc = bld_dockerfile_check_cycles(df, &err);
        ASSERT_FAILS(rc, err, CB_ESYNTAX, cases[i][1]);
        bld_dockerfile_free(df);
    }
}

TEST(stages_env_helpers)
{
    struct cb_strv env = CB_STRV_INIT;
    cb_strv_push(&env, "A=1");
    cb_strv_push(&env, "A=2");
    bld_env_list_set(&env, "A", "3");
    ASSERT_STR_EQ(env.v[0], "A=3");
    ASSERT_STR_EQ(env.v[1], "A=2");
    struct bld_kvs args = {0}, out = {0};
    bld_kvs_set(&args, "A", "arg");
    bld_kvs_set(&args, "B", "b");
    bld_kvs_set(&args, "C", NULL);
    bld_run_env(&args, &env, &out);
    ASSERT_STR_EQ(bld_kvs_find(&out, "A")->value, "2");
    ASSERT_STR_EQ(bld_kvs_find(&out, "B")->value, "b");
    ASSERT(!bld_kvs_find(&out, "C"));
    struct bld_proxy_env p;
    bld_kvs_set(&args, "HTTPS_PROXY", "upper");
    bld_kvs_set(&args, "https_proxy", "lower");
    ASSERT(bld_proxy_env_from_args(&args, &p));
    ASSERT_STR_EQ(p.https, "lower");
    ASSERT(!p.http);
    bld_proxy_env_release(&p);
    bld_kvs_release(&args);
    bld_kvs_release(&out);
    cb_strv_release(&env);
}
