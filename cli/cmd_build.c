/* cmd_build.c - `cbuild build [OPTIONS] CONTEXT`: docker build's flags, one
 * call to bld_build(), the image ID (and --iidfile/--metadata-file) out. */
#include <fcntl.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cli.h"
#include "commands.h"
#include "options.h"
#include "progress.h"
#include "../builder/build.h"
#include "../base/buf.h"
#include "../base/fsutil.h"
#include "../base/json.h"
#include "../base/xalloc.h"
#include "../base/banned.h"

struct build_flags {
    struct cb_strv tags, args, labels, outputs, secrets, ssh, filters, unsupported;
    const char *file, *target, *platform, *pull, *progress, *iidfile, *metadata, *network;
    const char *compression, *runtime, *snapshotter, *executor;
    bool no_cache, quiet, load, push;
    long jobs;
};

static struct build_flags f;

static const struct cli_option opts[] = {
    {'t', "tag", CLI_OPT_LIST, &f.tags, "NAME", "name the image (repeatable)"},
    {'f', "file", CLI_OPT_STRING, &f.file, "PATH", "the Dockerfile ('-' reads stdin)"},
    {0, "build-arg", CLI_OPT_LIST, &f.args, "K=V", "set a build arg; K alone takes $K"},
    {0, "target", CLI_OPT_STRING, &f.target, "STAGE", "build up to this stage"},
    {0, "platform", CLI_OPT_STRING, &f.platform, "OS/ARCH", "the platform (host only for now)"},
    {0, "no-cache", CLI_OPT_BOOL, &f.no_cache, NULL, "run every step"},
    {0, "no-cache-filter", CLI_OPT_LIST, &f.filters, "STAGE", "run these stages without cache"},
    {0, "pull", CLI_OPT_OPTSTR, &f.pull, "POLICY", "missing (default), always or never"},
    {'o', "output", CLI_OPT_LIST, &f.outputs, "SPEC", "type=oci|docker|local,dest=PATH"},
    {0, "label", CLI_OPT_LIST, &f.labels, "K=V", "add a label to the image"},
    {0, "secret", CLI_OPT_LIST, &f.secrets, "SPEC", "id=ID[,src=PATH|,env=VAR]"},
    {0, "ssh", CLI_OPT_LIST, &f.ssh, "SPEC", "default or ID=SOCKET"},
    {0, "network", CLI_OPT_STRING, &f.network, "MODE", "RUN network: default, none or host"},
    {0, "progress", CLI_OPT_STRING, &f.progress, "MODE", "auto, tty, plain, quiet or rawjson"},
    {'q', "quiet", CLI_OPT_BOOL, &f.quiet, NULL, "print only the image ID"},
    {0, "iidfile", CLI_OPT_STRING, &f.iidfile, "FILE", "write the image ID to FILE"},
    {0, "metadata-file", CLI_OPT_STRING, &f.metadata, "FILE", "write build metadata JSON"},
    {0, "load", CLI_OPT_BOOL, &f.load, NULL, "keep the image in the local store (default)"},
    {'j', "jobs", CLI_OPT_INT, &f.jobs, "N", "stages run in parallel (default: cores)"},
    {0, "compression", CLI_OPT_STRING, &f.compression, "ALGO", "gzip (default), zstd or none"},
    {0, "runtime", CLI_OPT_STRING, &f.runtime, "NAME", "crun, runc or a path"},
    {0, "snapshotter", CLI_OPT_STRING, &f.snapshotter, "NAME", "auto, overlay or native"},
    {0, "executor", CLI_OPT_STRING, &f.executor, "NAME", NULL},
    {0, "push", CLI_OPT_BOOL, &f.push, NULL, NULL},
    {0, "cache-from", CLI_OPT_LIST, &f.unsupported, "SPEC", NULL},
    {0, "cache-to", CLI_OPT_LIST, &f.unsupported, "SPEC", NULL},
    {0, "build-context", CLI_OPT_LIST, &f.unsupported, "SPEC", NULL},
    {0, "add-host", CLI_OPT_LIST, &f.unsupported, "SPEC", NULL},
    {0, "build-arg-file", CLI_OPT_LIST, &f.unsupported, "FILE", NULL},
    {0, NULL, CLI_OPT_END, NULL, NULL, NULL},
};

static const struct cli_usage usage = {
    "cbuild build [OPTIONS] CONTEXT",
    "Build an image from a Dockerfile in CONTEXT (a directory).",
    opts,
};

static int cancel_pipe[2] = {-1, -1};

static void on_signal(int sig)
{
    char c = (char)sig;
    if (write(cancel_pipe[1], &c, 1) < 0)
        _exit(130);
}

static int finish(const struct bld_build_result *res, struct cb_err **err)
{
    char id[OCI_DIGEST_STR_MAX], md[OCI_DIGEST_STR_MAX];

    oci_digest_fmt(&res->config, id);
    oci_digest_fmt(&res->manifest.digest, md);
    if (f.iidfile && cb_write_file_atomic(f.iidfile, id, strlen(id), 0644, err) < 0)
        return cb_wrap(err, "--iidfile");
    if (f.metadata) {
        static const char *const keys[] = {"containerimage.config.digest", "containerimage.digest"};
        const char *values[] = {id, md};
        struct cb_buf b;
        int rc;
        cb_buf_init(&b, 1 << 20);
        rc = cb_json_dump_string_map(keys, values, 2, &b, err);
        if (rc == 0)
            rc = cb_buf_addc(&b, '\n', err);
        if (rc == 0)
            rc = cb_write_file_atomic(f.metadata, b.data, b.len, 0644, err);
        cb_buf_release(&b);
        if (rc < 0)
            return cb_wrap(err, "--metadata-file");
    }
    printf("%s\n", id);
    return 0;
}

/* --build-arg K alone takes K's value from the environment (or is dropped). */
static void env_args(struct cb_strv *args)
{
    for (size_t i = 0; i < args->n; i++) {
        if (strchr(args->v[i], '='))
            continue;
        const char *v = getenv(args->v[i]);
        char *kv = v ? xasprintf("%s=%s", args->v[i], v) : NULL;
        free(args->v[i]);
        args->v[i] = kv ? kv : xstrdup("");
    }
}

static int check_flags(struct bld_build_opts *o, struct cb_strv *ctx, struct cb_err **err)
{
    if (f.unsupported.n)
        return cb_fail(err, CB_EUNSUPPORTED, 0,
                       "--cache-from, --cache-to, --build-context, "
                       "--add-host and --build-arg-file are not supported yet");
    if (f.push)
        return cb_fail(err, CB_EUNSUPPORTED, 0, "--push is not supported yet: use 'cbuild push'");
    if (ctx->n != 1)
        return cb_fail(err, CB_EINVAL, 0, "build needs exactly one CONTEXT argument");
    if (f.pull && bld_pull_policy_parse(f.pull, &o->pull, err) < 0)
        return -CB_EINVAL;
    if (f.compression && oci_compression_parse(f.compression, &o->compression, err) < 0)
        return cb_wrap(err, "--compression");
    if (f.network) {
        if (strcmp(f.network, "default") && strcmp(f.network, "none") && strcmp(f.network, "host"))
            return cb_fail(err, CB_EINVAL, 0, "--network '%s': want default, none or host",
                           f.network);
        o->network = !strcmp(f.network, "none") ? 1 : !strcmp(f.network, "host") ? 2 : 0;
    }
    return 0;
}

int cmd_build(int argc, char **argv, struct cli_env *env)
{
    struct cb_strv ctx = CB_STRV_INIT;
    struct bld_build_opts o = {.compression = OCI_COMPRESSION_GZIP, .cancel_fd = -1};
    struct bld_build_result res;
    struct bld_output *outs = NULL;
    struct cli_progress *prog = NULL;
    struct oci_store *store = NULL;
    struct cb_err *err = NULL;
    struct cb_buf stdin_df;
    const char *epoch = getenv("SOURCE_DATE_EPOCH");
    int rc, mode;

    cb_buf_init(&stdin_df, 16 << 20);
    rc = cli_parse(argc, argv, &usage, 0, &ctx);
    if (rc != 0)
        return rc < 0 ? 2 : 0;
    if (check_flags(&o, &ctx, &err) < 0)
        return cli_report(err);
    mode = cli_progress_mode_parse(f.quiet ? "quiet" : f.progress ? f.progress : "auto");
    if (mode < 0)
        return cli_usage_error(&usage, "invalid --progress '%s'", f.progress);
    env_args(&f.args);
    o.context = ctx.v[0];
    o.target = f.target;
    o.platform = f.platform;
    o.build_args = &f.args;
    o.tags = &f.tags;
    o.labels = &f.labels;
    o.no_cache = f.no_cache;
    o.no_cache_filter = &f.filters;
    o.jobs = (int)f.jobs;
    o.ssh = &f.ssh;
    o.runtime = f.runtime;
    o.snapshotter = f.snapshotter;
    o.executor = f.executor;
    if (epoch && *epoch) {
        o.has_epoch = true;
        o.epoch = strtoll(epoch, NULL, 10);
    }
    if (f.file && !strcmp(f.file, "-")) {
        if (cb_read_all(0, &stdin_df, &err) < 0)
            return cli_report(err);
        o.dockerfile_text = cb_buf_str(&stdin_df);
        o.dockerfile_len = stdin_df.len;
    } else {
        o.dockerfile = f.file;
    }
    outs = xcalloc(f.outputs.n + 1, sizeof(*outs));
    for (size_t i = 0; i < f.outputs.n; i++)
        if (bld_output_parse(f.outputs.v[i], &outs[i], &err) < 0)
            return cli_report(err);
    o.outputs = outs;
    o.n_outputs = f.outputs.n;
    if (pipe2(cancel_pipe, O_CLOEXEC) == 0) {
        o.cancel_fd = cancel_pipe[0];
        signal(SIGINT, on_signal);
        signal(SIGTERM, on_signal);
    }
    store = oci_store_open(env->root, OCI_STORE_SHARED, &err);
    if (!store)
        return cli_report(err);
    prog = cli_progress_new((enum cli_progress_mode)mode, stderr);
    o.progress = cli_progress_sink(prog);
    rc = bld_build(store, &o, &res, &err);
    cli_progress_finish(prog, NULL);
    cli_progress_free(prog);
    if (rc == 0)
        rc = finish(&res, &err);
    if (rc == 0)
        bld_build_result_release(&res);
    oci_store_free(store);
    for (size_t i = 0; i < f.outputs.n; i++)
        bld_output_release(&outs[i]);
    free(outs);
    cb_buf_release(&stdin_df);
    cb_strv_release(&ctx);
    return rc < 0 ? cli_report(err) : 0;
}
