/* test_instructions.c - instructions.c, instr_flags.c, instr_mount.c and
 * instr_expand.c: typed instructions, flags, value grammars, expansion. */
#include <stdlib.h>

#include "harness.h"
#include "../../../../builder/dockerfile/instructions.h"

/* Parse text and type its last instruction into *in (ast kept in *ast). */
static int typed(const char *text, struct bld_ast **ast, struct bld_instr *in, struct cb_err **err)
{
    *ast = bld_parse(text, strlen(text), err);
    if (!*ast)
        return -1;
    return bld_instr_parse(&(*ast)->nodes[(*ast)->n - 1], in, err);
}

TEST(instructions_copy_flags_and_heredocs)
{
    struct bld_ast *ast = NULL;
    struct bld_instr in;
    struct cb_err *err = NULL;
    ASSERT_OK(typed("COPY --from=0 --chmod=755 --link --exclude=a --exclude=b <<X s1 /d/\nhi\nX\n",
                    &ast, &in, &err),
              err);
    ASSERT_INT_EQ(in.kind, BLD_I_COPY);
    ASSERT_STR_EQ(in.u.copy.from, "0");
    ASSERT_STR_EQ(in.u.copy.chmod, "755");
    ASSERT(in.u.copy.link);
    ASSERT_INT_EQ(in.u.copy.excludes.n, 2);
    ASSERT_INT_EQ(in.u.copy.sources.n, 1);
    ASSERT_STR_EQ(in.u.copy.dest, "/d/");
    ASSERT_INT_EQ(in.u.copy.ncontents, 1);
    ASSERT_STR_EQ(in.u.copy.contents[0].data, "hi\n");
    ASSERT_INT_EQ(in.flags_used.n, 4);
    bld_instr_release(&in);
    bld_ast_free(ast);
}

TEST(instructions_flag_errors)
{
    const char *cases[][2] = {
        {"COPY --nope a b\n", "Dockerfile:1: unknown flag: --nope"},
        {"ADD --link --link a b\n", "Dockerfile:1: duplicate flag specified: --link"},
        {"COPY --from a b\n", "Dockerfile:1: missing a value on flag: --from"},
        {"ADD --unpack=yes a b\n",
         "Dockerfile:1: expecting boolean value for flag unpack, not: yes"},
        {"FROM --platform x\n", "Dockerfile:1: missing a value on flag: --platform"},
        {"EXPOSE --x 80\n", "Dockerfile:1: unknown flag: --x"},
    };
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        struct bld_ast *ast = NULL;
        struct bld_instr in;
        struct cb_err *err = NULL;
        ASSERT_FAILS(typed(cases[i][0], &ast, &in, &err), err, CB_ESYNTAX, cases[i][1]);
        bld_ast_free(ast);
    }
}

TEST(instructions_run_mounts_and_options)
{
    struct bld_ast *ast = NULL;
    struct bld_instr in;
    struct cb_err *err = NULL;
    ASSERT_OK(
        typed("RUN --mount=type=cache,target=/c,uid=5 --mount=type=secret,id=s --network=none "
              "--security=insecure [\"a\"]\n",
              &ast, &in, &err),
        err);
    ASSERT_INT_EQ(in.u.run.nmounts, 2);
    ASSERT_INT_EQ(in.u.run.mounts[0].type, BLD_RUN_MOUNT_CACHE);
    ASSERT(!in.u.run.mounts[0].read_only);
    ASSERT(in.u.run.mounts[0].has_uid && in.u.run.mounts[0].uid == 5);
    ASSERT_INT_EQ(in.u.run.mounts[1].type, BLD_RUN_MOUNT_SECRET);
    ASSERT(in.u.run.mounts[1].read_only);
    ASSERT_INT_EQ(in.u.run.network, BLD_NET_NONE);
    ASSERT_INT_EQ(in.u.run.security, BLD_SEC_INSECURE);
    ASSERT(!in.u.run.cmd.prepend_shell);
    ASSERT_STR_EQ(in.u.run.mount_specs.v[0], "type=cache,target=/c,uid=5");
    bld_instr_release(&in);
    bld_ast_free(ast);
}

TEST(instructions_mount_grammar)
{
    struct bld_run_mount m;
    struct cb_err *err = NULL;
    ASSERT_OK(bld_run_mount_parse("\"type=tmpfs\",dst=/t,size=1.5g", &m, &err), err);
    ASSERT_INT_EQ(m.type, BLD_RUN_MOUNT_TMPFS);
    ASSERT_STR_EQ(m.target, "/t");
    ASSERT_INT_EQ(m.size_limit, 1610612736LL);
    bld_run_mount_release(&m);
    ASSERT_FAILS(bld_run_mount_parse("type=secret", &m, &err), err, CB_ESYNTAX,
                 "one of source, target required");
    ASSERT_FAILS(bld_run_mount_parse("type=cache,target=/x,uid=-1", &m, &err), err, CB_ESYNTAX,
                 "invalid value -1 for uid");
    ASSERT_FAILS(bld_run_mount_parse("type=bind,required", &m, &err), err, CB_ESYNTAX,
                 "unexpected key 'required' for mount type 'bind'");
    ASSERT_FAILS(bld_run_mount_parse("type=bind,target", &m, &err), err, CB_ESYNTAX,
                 "invalid field 'target' must be a key=value pair");
}

TEST(instructions_durations_and_expose)
{
    int64_t ns;
    struct cb_err *err = NULL;
    ASSERT_OK(bld_parse_duration("1h2m3.5s", &ns, &err), err);
    ASSERT_INT_EQ(ns, 3723500000000LL);
    ASSERT_OK(bld_parse_duration("1.5µs", &ns, &err), err);
    ASSERT_INT_EQ(ns, 1500);
    ASSERT_FAILS(bld_parse_duration("5", &ns, &err), err, CB_ESYNTAX, "missing unit");
    char *s = bld_go_duration(90500000000LL);
    ASSERT_STR_EQ(s, "1m30.5s");
    free(s);
    s = bld_go_duration(3600000000000LL);
    ASSERT_STR_EQ(s, "1h0m0s");
    free(s);
    struct cb_strv ports = CB_STRV_INIT;
    ASSERT_OK(bld_expose_parse("7-8/UDP", &ports, &err), err);
    ASSERT_INT_EQ(ports.n, 2);
    ASSERT_STR_EQ(ports.v[1], "8/udp");
    ASSERT_FAILS(bld_expose_parse("80/xtp", &ports, &err), err, CB_ESYNTAX, "invalid proto");
    ASSERT_FAILS(bld_expose_parse("70000", &ports, &err), err, CB_ESYNTAX, "invalid containerPort");
    cb_strv_release(&ports);
}

TEST(instructions_healthcheck)
{
    struct bld_ast *ast = NULL;
    struct bld_instr in;
    struct cb_err *err = NULL;
    ASSERT_OK(typed("HEALTHCHECK --interval=2m --retries=2 CMD a  b\n", &ast, &in, &err), err);
    ASSERT_STR_EQ(in.u.health.test.v[0], "CMD-SHELL");
    ASSERT_STR_EQ(in.u.health.test.v[1], "a  b");
    ASSERT_INT_EQ(in.u.health.interval_ns, 120000000000LL);
    ASSERT_INT_EQ(in.u.health.retries, 2);
    char *h = bld_healthcheck_string(&in.u.health);
    ASSERT_STR_EQ(h, "HEALTHCHECK {Test:[CMD-SHELL a  b] Interval:2m0s Timeout:0s StartPeriod:0s "
                     "StartInterval:0s Retries:2}");
    free(h);
    bld_instr_release(&in);
    bld_ast_free(ast);
}

TEST(instructions_arg_env_onbuild)
{
    struct bld_ast *ast = NULL;
    struct bld_instr in;
    struct cb_err *err = NULL;
    ASSERT_OK(typed("# n doc text\nARG n m=1\n", &ast, &in, &err), err);
    ASSERT_INT_EQ(in.u.kvs.n, 2);
    ASSERT(in.u.kvs.v[0].value == NULL);
    ASSERT_STR_EQ(in.u.kvs.v[0].comment, "doc text");
    ASSERT_STR_EQ(in.u.kvs.v[1].value, "1");
    bld_instr_release(&in);
    bld_ast_free(ast);
    ASSERT_OK(typed("ENV k v w\n", &ast, &in, &err), err);
    ASSERT(in.u.kvs.v[0].legacy);
    ASSERT_STR_EQ(in.u.kvs.v[0].value, "v w");
    bld_instr_release(&in);
    bld_ast_free(ast);
    ASSERT_OK(typed("  onbuild   RUN x\n", &ast, &in, &err), err);
    ASSERT_STR_EQ(in.u.onbuild, "RUN x");
    bld_instr_release(&in);
    bld_ast_free(ast);
    ASSERT_FAILS(typed("RUNN x\n", &ast, &in, &err), err, CB_ESYNTAX,
                 "unknown instruction: RUNN (did you mean RUN?)");
    bld_ast_free(ast);
}

static const char *lookup(void *ud, const char *name)
{
    return !strcmp(name, "V") ? "val" : NULL;
}

TEST(instructions_expand_fields)
{
    struct bld_ast *ast = NULL;
    struct bld_instr in;
    struct cb_err *err = NULL;
    ASSERT_OK(
        typed("COPY --chown=$V --from=${V}x <<A \"$V\" /${V}/\n$V \"q\"\nA\n", &ast, &in, &err),
        err);
    struct bld_shell_usage u = {CB_STRV_INIT, CB_STRV_INIT};
    ASSERT_OK(bld_instr_expand(&in, '\\', lookup, NULL, &u, &err), err);
    ASSERT_STR_EQ(in.u.copy.chown, "val");
    ASSERT_STR_EQ(in.u.copy.from, "valx");
    ASSERT_STR_EQ(in.u.copy.sources.v[0], "val");
    ASSERT_STR_EQ(in.u.copy.dest, "/val/");
    ASSERT_STR_EQ(in.u.copy.contents[0].data, "val \"q\"\n");
    ASSERT_INT_EQ(u.matched.n, 1);
    bld_shell_usage_release(&u);
    bld_instr_release(&in);
    bld_ast_free(ast);
    ASSERT_OK(typed("RUN --mount=type=cache,id=$V,target=/c echo $V\n", &ast, &in, &err), err);
    ASSERT_OK(bld_instr_expand(&in, '\\', lookup, NULL, NULL, &err), err);
    ASSERT_STR_EQ(in.u.run.mounts[0].id, "val");
    ASSERT_STR_EQ(in.u.run.cmd.args.v[0], "echo $V");
    bld_instr_release(&in);
    bld_ast_free(ast);
}

TEST(instructions_device)
{
    struct bld_device d;
    struct cb_err *err = NULL;
    ASSERT_OK(bld_device_parse("name=x.com/gpu=0,required=false", &d, &err), err);
    ASSERT_STR_EQ(d.name, "x.com/gpu=0");
    ASSERT(!d.required);
    free(d.name);
    ASSERT_FAILS(bld_device_parse("required", &d, &err), err, CB_ESYNTAX,
                 "device name is required");
}
