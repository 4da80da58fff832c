/* cmd_check.c - `cbuild check [-f Dockerfile] [--build-arg K=V]...
 * [--format text|json] [CONTEXT]`: run BuildKit's build checks without
 * building.  Exit 0 without errors, 1 when check=error=true (or another
 * build error) fails the check, 2 on a parse error or bad usage. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "commands.h"
#include "options.h"
#include "../base/cleanup.h"
#include "../base/fsutil.h"
#include "../base/xalloc.h"
#include "../builder/dockerfile/checks_format.h"
#include "check_store.h"
#include "../oci/reference.h"
#include "../base/banned.h"

static bool ref_valid(void *userdata, const char *ref)
{
    struct oci_ref r = {0};
    struct cb_err *err = NULL;
    int rc = oci_ref_parse(ref, &r, &err);
    cb_err_free(err);
    oci_ref_release(&r);
    return rc == 0;
}

/* K=V, or K alone to take the value from the environment (skipped when
 * unset), as docker does. */
static int parse_build_args(const struct cb_strv *in, struct bld_kvs *out)
{
    for (size_t i = 0; i < in->n; i++) {
        const char *eq = strchr(in->v[i], '=');
        cleanup_free char *k = xstrndup(in->v[i], eq ? (size_t)(eq - in->v[i]) : strlen(in->v[i]));
        const char *v = eq ? eq + 1 : getenv(k);
        if (!*k)
            return -1;
        if (v)
            bld_kvs_set(out, k, v);
    }
    return 0;
}

static void host_platform(struct bld_platform *p)
{
#if defined(__aarch64__)
    *p = (struct bld_platform){"linux", "arm64", ""};
#else
    *p = (struct bld_platform){"linux", "amd64", ""};
#endif
}

static int report(const struct bld_check_result *res, const struct cb_buf *df, bool json,
                  const char *name)
{
    struct cb_err *err = NULL;
    cleanup_buf struct cb_buf out;
    cb_buf_init(&out, CB_BUF_LIMIT_DEFAULT);
    if (json) {
        if (bld_check_result_json(res, &out, &err) < 0)
            return cli_report(err);
    } else {
        bld_check_result_text(res, cb_buf_str(df), df->len, name, &out);
    }
    fputs(cb_buf_str(&out), stdout);
    if (!res->error)
        return 0;
    if (res->parse_error) {
        fprintf(stderr, "error: %s\n", res->error);
        return 2;
    }
    if (res->error_line)
        fprintf(stderr, "error: %s:%d: %s\n", name, res->error_line, res->error);
    else
        fprintf(stderr, "error: %s\n", res->error);
    return 1;
}

int cmd_check(int argc, char **argv, struct cli_env *env)
{
    const char *file = NULL, *format = "text";
    struct cb_strv bargs = CB_STRV_INIT;
    const struct cli_option opts[] = {
        {'f', "file", CLI_OPT_STRING, &file, "PATH",
         "the Dockerfile (default CONTEXT/Dockerfile; - reads stdin)"},
        {0, "build-arg", CLI_OPT_LIST, &bargs, "K=V", "a build argument (repeatable)"},
        {0, "format", CLI_OPT_STRING, &format, "FORMAT", "text (default) or json"},
        {0}};
    const struct cli_usage u = {"cbuild check [OPTIONS] [CONTEXT]",
                                "Run the build checks on a Dockerfile without building.", opts};
    cleanup_strv_s struct cb_strv args = CB_STRV_INIT;
    int rc = cli_parse(argc, argv, &u, 0, &args);
    struct bld_kvs kvs = {NULL, 0, 0};
    if (rc || args.n > 1 || (strcmp(format, "text") && strcmp(format, "json")) ||
        parse_build_args(&bargs, &kvs) < 0) {
        cb_strv_release(&bargs);
        bld_kvs_release(&kvs);
        if (rc)
            return rc > 0 ? 0 : 2;
        return cli_usage_error(&u, args.n > 1 ? "expected at most one CONTEXT"
                                   : strcmp(format, "text") && strcmp(format, "json")
                                       ? "--format must be text or json"
                                       : "--build-arg must be KEY=VALUE or KEY");
    }
    cb_strv_release(&bargs);
    const char *ctx = args.n ? args.v[0] : ".";
    cleanup_free char *path = file ? xstrdup(file) : cb_path_join(ctx, "Dockerfile");
    const char *name = !strcmp(path, "-")   ? "Dockerfile"
                       : strrchr(path, '/') ? strrchr(path, '/') + 1
                                            : path;
    struct cb_err *err = NULL;
    cleanup_buf struct cb_buf df;
    cb_buf_init(&df, 16 << 20);
    struct cb_strv pats = CB_STRV_INIT;
    struct bld_ignore *ig = NULL;
    struct cli_check_store cs = {env->root, NULL, false};
    struct bld_check_opts o = {.build_args = &kvs,
                               .ref_valid = ref_valid,
                               .base_platform = cli_check_base_platform,
                               .userdata = &cs};
    struct bld_check_result res = {0};
    host_platform(&o.target);
    host_platform(&o.build);
    bool from_stdin = !strcmp(path, "-");
    rc = (from_stdin ? cb_read_all(0, &df, &err) : cb_read_file(path, &df, &err)) < 0
             ? cli_report(err)
             : -1;
    if (rc < 0 && bld_ignore_load(ctx, from_stdin ? NULL : path, &pats, NULL, &err) < 0)
        rc = cli_report(err);
    if (rc < 0 && pats.n && !(ig = bld_ignore_new((const char *const *)pats.v, pats.n, &err)))
        rc = cli_report(err);
    o.ignore = ig;
    if (rc < 0 && bld_check_run(cb_buf_str(&df), df.len, &o, &res, &err) < 0)
        rc = err && err->code == CB_ESYNTAX ? (fprintf(stderr, "error: %s\n", err->msg), 2)
                                            : cli_report(err);
    if (rc < 0)
        rc = report(&res, &df, !strcmp(format, "json"), name);
    cb_err_free(err);
    bld_check_result_release(&res);
    bld_ignore_free(ig);
    cli_check_store_release(&cs);
    cb_strv_release(&pats);
    bld_kvs_release(&kvs);
    return rc;
}
