/* cmd_bake.c - `cbuild bake [-f FILE]... [TARGET|GROUP]... [--set t.k=v]...
 * [--push] [--pull] [--print]`: many images from a bake file or a compose
 * file, built in one run. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "build_flags.h"
#include "cli.h"
#include "commands.h"
#include "options.h"
#include "progress.h"
#include "regcli.h"
#include "../builder/bake.h"
#include "../builder/publish.h"
#include "../oci/pull.h"
#include "../base/cleanup.h"
#include "../base/banned.h"

static struct cb_strv files, sets;
static const char *progress_mode, *provenance, *sbom;
static bool print_only, push, pull, no_cache, tls_verify = true;
static long jobs;

static const struct cli_option opts[] = {
    {'f', "file", CLI_OPT_LIST, &files, "FILE", "a bake JSON or compose file (repeatable)"},
    {0, "set", CLI_OPT_LIST, &sets, "T.KEY=VAL", "override a target's key (T may be *)"},
    {0, "print", CLI_OPT_BOOL, &print_only, NULL, "print the resolved plan as JSON, build nothing"},
    {0, "push", CLI_OPT_BOOL, &push, NULL, "push every target's tags after the build"},
    {0, "pull", CLI_OPT_BOOL, &pull, NULL, "pull the image-only services into the store"},
    {0, "no-cache", CLI_OPT_BOOL, &no_cache, NULL, "run every step"},
    {0, "progress", CLI_OPT_STRING, &progress_mode, "MODE", "auto, tty, plain, quiet or rawjson"},
    {'j', "jobs", CLI_OPT_INT, &jobs, "N", "targets built at once (default: cores)"},
    {0, "tls-verify", CLI_OPT_BOOL, &tls_verify, NULL, "verify registry TLS"},
    /* accepted as false only, as for cbuild build */
    {0, "provenance", CLI_OPT_STRING, &provenance, NULL, NULL},
    {0, "sbom", CLI_OPT_STRING, &sbom, NULL, NULL},
    {0, NULL, CLI_OPT_END, NULL, NULL, NULL},
};

static const struct cli_usage usage = {
    "cbuild bake [-f FILE]... [--set T.KEY=VAL]... [--push] [--pull] [--print] [TARGET|GROUP]...",
    "Build the targets of a docker-bake.json or compose file in one run.",
    opts,
};

static int load(struct bld_bake *b, struct cb_err **err)
{
    if (files.n == 0)
        return bld_bake_load_default(b, ".", err);
    for (size_t i = 0; i < files.n; i++)
        if (bld_bake_load(b, files.v[i], err) < 0)
            return -CB_EINVAL;
    return 0;
}

/* Image-only compose services (postgres, redis...) with --pull. */
static int pull_images(struct oci_store *store, const struct bld_bake *b, const size_t *sel,
                       size_t n, struct cli_reg *reg, struct cb_err **err)
{
    for (size_t i = 0; i < n; i++) {
        const struct bld_bake_target *t = &b->targets[sel[i]];
        struct oci_pull_req req = {
            .ref = t->image_only, .policy = OCI_PULL_ALWAYS, .reg = reg->opts};
        struct oci_pull_result res;
        if (!t->image_only || !*t->image_only)
            continue;
        if (oci_pull(oci_store_layout_peek(store), &req, &res, err) < 0)
            return cb_wrap(err, "service '%s'", t->name);
        printf("%s: pulled %s\n", t->name, res.name);
        oci_pull_result_release(&res);
    }
    return 0;
}

static int push_all(struct oci_store *store, const struct bld_bake_result *r, size_t n,
                    const struct bld_bake *b, const size_t *sel, struct cli_reg *reg,
                    struct cb_err **err)
{
    for (size_t i = 0; i < n; i++) {
        const struct bld_bake_target *t = &b->targets[sel[i]];
        if (t->image_only || !t->tags.n)
            continue;
        if (bld_push_tags(store, &r[i].res.manifest, &t->tags, &reg->opts, err) < 0)
            return cb_wrap(err, "push target '%s'", t->name);
    }
    return 0;
}

static int run(struct bld_bake *b, const size_t *sel, size_t n, struct cli_env *env,
               struct cb_err **err)
{
    struct bld_bake_result *res = calloc(n ? n : 1, sizeof(*res));
    int mode = cli_progress_mode_parse(progress_mode ? progress_mode : "auto");
    struct cli_progress *prog = cli_progress_new((enum cli_progress_mode)mode, stderr);
    struct bld_build_opts common = {.compression = OCI_COMPRESSION_GZIP,
                                    .cancel_fd = -1,
                                    .no_cache = no_cache,
                                    .pull = BLD_PULL_MISSING,
                                    .jobs = (int)jobs,
                                    .tls_verify_off = !tls_verify,
                                    .progress = cli_progress_sink(prog)};
    struct oci_store *store = oci_store_open(env->root, OCI_STORE_SHARED, err);
    struct cli_reg reg;
    int rc = store ? 0 : -CB_EIO;

    cli_reg_init(&reg, tls_verify, mode == CLI_PROGRESS_QUIET, stderr);
    common.insecure_registries = reg.insecure;
    if (rc == 0 && pull)
        rc = pull_images(store, b, sel, n, &reg, err);
    if (rc == 0)
        rc = bld_bake_run(store, b, sel, n, &common, res, err);
    cli_progress_finish(prog, NULL);
    cli_progress_free(prog);
    if (rc == 0 && push)
        rc = push_all(store, res, n, b, sel, &reg, err);
    for (size_t i = 0; rc == 0 && i < n; i++) {
        char id[OCI_DIGEST_STR_MAX];
        if (!b->targets[sel[i]].image_only)
            printf("%s %s\n", res[i].target, oci_digest_fmt(&res[i].res.config, id));
    }
    for (size_t i = 0; i < n; i++)
        bld_bake_result_release(&res[i]);
    free(res);
    cli_reg_release(&reg);
    oci_store_free(store);
    return rc;
}

int cmd_bake(int argc, char **argv, struct cli_env *env)
{
    cleanup_strv_s struct cb_strv names = CB_STRV_INIT;
    cleanup_err struct cb_err *err = NULL;
    struct bld_bake b;
    size_t *sel = NULL, n = 0;
    int rc;

    rc = cli_parse(argc, argv, &usage, 0, &names);
    if (rc)
        return rc > 0 ? 0 : 2;
    if (progress_mode && cli_progress_mode_parse(progress_mode) < 0)
        return cli_usage_error(&usage, "invalid --progress '%s'", progress_mode);
    if (cli_check_attestation("provenance", provenance, &err) < 0 ||
        cli_check_attestation("sbom", sbom, &err) < 0)
        return cli_report(err);
    bld_bake_init(&b);
    rc = load(&b, &err);
    for (size_t i = 0; rc == 0 && i < sets.n; i++)
        rc = bld_bake_set(&b, sets.v[i], &err);
    if (rc == 0)
        rc = bld_bake_select(&b, &names, &sel, &n, &err);
    if (rc == 0 && print_only) {
        struct cb_buf out;
        cb_buf_init(&out, 16 << 20);
        rc = bld_bake_print(&b, sel, n, &out, &err);
        if (rc == 0)
            fputs(cb_buf_str(&out), stdout);
        cb_buf_release(&out);
    } else if (rc == 0) {
        rc = run(&b, sel, n, env, &err);
        if (rc < 0) {
            cli_report(err);
            rc = 1;
        }
    }
    free(sel);
    bld_bake_release(&b);
    if (rc == 1)
        return 1;
    return rc < 0 ? cli_report(err) : 0;
}
