/* build_flags.c - `cbuild build`'s flags: docker build's (and buildx's)
 * option table, the checks that make a bad value a usage error, the ones we
 * do not have (named, never ignored), and the struct bld_build_opts they
 * become. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "build_flags.h"
#include "options.h"
#include "progress.h"
#include "../builder/argfile.h"
#include "../builder/doctor/fixup.h"
#include "../builder/exec/bundle.h"
#include "../builder/exec/mounts.h"
#include "../builder/gitsrc.h"
#include "../builder/stdin_context.h"
#include "../base/fsutil.h"
#include "../base/xalloc.h"
#include "../base/banned.h"

struct build_flags {
    struct cb_strv tags, args, labels, outputs, secrets, ssh, filters, unsupported;
    const char *file, *target, *platform, *pull, *progress, *iidfile, *metadata, *network;
    const char *compression, *runtime, *snapshotter, *executor;
    struct cb_strv arg_files, contexts, cache_from, cache_to;
    const char *doctor, *fixup, *shm_size, *provenance, *sbom;
    struct cb_strv add_hosts, ulimits;
    bool no_cache, quiet, load, push, tls_verify, noop;
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
    {0, "push", CLI_OPT_BOOL, &f.push, NULL, "push every -t tag to its registry after the build"},
    /* docker's --rm/--force-rm/--compress concern a daemon's intermediate
     * containers and context upload: cbuild has neither, so they change
     * nothing (accepted for scripts that pass them). */
    {0, "rm", CLI_OPT_BOOL, &f.noop, NULL, NULL},
    {0, "force-rm", CLI_OPT_BOOL, &f.noop, NULL, NULL},
    {0, "compress", CLI_OPT_BOOL, &f.noop, NULL, NULL},
    /* buildx's attestations: cbuild writes none, so turning them off (as
     * many CI scripts do) is accepted, asking for them is refused. */
    {0, "provenance", CLI_OPT_STRING, &f.provenance, NULL, NULL},
    {0, "sbom", CLI_OPT_STRING, &f.sbom, NULL, NULL},
    {0, "doctor", CLI_OPT_OPTSTR, &f.doctor, "strict",
     "check the image for runtime traps (=strict: findings fail the build)"},
    {0, "fixup", CLI_OPT_STRING, &f.fixup, "LIST",
     "home,userbase,path,ownership or all: fix those traps in one extra layer"},
    {0, "tls-verify", CLI_OPT_BOOL, &f.tls_verify, NULL,
     "verify registry TLS (=false also allows plain HTTP)"},
    {0, "cache-from", CLI_OPT_LIST, &f.cache_from, "SPEC",
     "accepted: the cache is the local store (other types are refused)"},
    {0, "cache-to", CLI_OPT_LIST, &f.cache_to, "SPEC", "accepted likewise"},
    {0, "build-context", CLI_OPT_LIST, &f.contexts, "NAME=VALUE",
     "a named context: DIR, docker-image://REF or oci-layout://DIR[:TAG]"},
    {0, "add-host", CLI_OPT_LIST, &f.add_hosts, "NAME:IP", "an /etc/hosts entry for RUN steps"},
    {0, "shm-size", CLI_OPT_STRING, &f.shm_size, "SIZE", "/dev/shm size for RUN steps (e.g. 128m)"},
    {0, "ulimit", CLI_OPT_LIST, &f.ulimits, "NAME=SOFT[:HARD]", "a resource limit for RUN steps"},
    {0, "build-arg-file", CLI_OPT_LIST, &f.arg_files, "FILE",
     "read build args from FILE (KEY=VALUE lines; repeatable)"},
    {0, NULL, CLI_OPT_END, NULL, NULL, NULL},
};

static const struct cli_usage usage = {
    "cbuild build [OPTIONS] CONTEXT",
    "Build an image from a Dockerfile in CONTEXT (a directory, a git URL, or - for stdin).",
    opts,
};

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

/* --build-arg-file FILE...: their args come first, so later files and then
 * the command line win (the last value of a name is the one used). */
static int load_arg_files(const struct cb_strv *files, struct cb_strv *args, struct cb_err **err)
{
    struct cb_strv all = CB_STRV_INIT;

    for (size_t i = 0; i < files->n; i++)
        if (bld_argfile_load(files->v[i], &all, err) < 0) {
            cb_strv_release(&all);
            return cb_wrap(err, "--build-arg-file");
        }
    for (size_t i = 0; i < args->n; i++)
        cb_strv_push(&all, args->v[i]);
    cb_strv_release(args);
    *args = all;
    return 0;
}

/* --cache-from/--cache-to: cbuild's cache is its local store, always used.
 * An image reference (or type=registry/inline) is accepted with a note that
 * it adds nothing; any other cache type is refused by name. */
static int check_cache_flags(const char *flag, const struct cb_strv *v, struct cb_err **err)
{
    for (size_t i = 0; i < v->n; i++) {
        const char *s = v->v[i], *type = strstr(s, "type=");
        size_t n = type ? strcspn(type + 5, ",") : 0;
        if (type && !(n == 8 && !strncmp(type + 5, "registry", 8)) &&
            !(n == 6 && !strncmp(type + 5, "inline", 6)) &&
            !(n == 5 && !strncmp(type + 5, "local", 5)))
            return cb_fail(err, CB_EUNSUPPORTED, 0,
                           "%s '%s': cache type '%.*s' is not supported (cbuild caches every step "
                           "in its local store)",
                           flag, s, (int)n, type + 5);
        if (type && n == 5 && strstr(s, "src=") && !strcmp(flag, "--cache-from"))
            return cb_fail(err, CB_EUNSUPPORTED, 0,
                           "%s '%s': importing a local cache directory is not supported (cbuild "
                           "caches every step in its local store)",
                           flag, s);
        fprintf(stderr,
                "note: %s %s: the build cache is cbuild's local store, which every build "
                "uses\n",
                flag, s);
    }
    return 0;
}

int cli_check_attestation(const char *flag, const char *v, struct cb_err **err)
{
    if (!v || !strcasecmp(v, "false") || !strcmp(v, "0"))
        return 0;
    return cb_fail(err, CB_EUNSUPPORTED, 0,
                   "--%s=%s: cbuild writes no attestations; only --%s=false is accepted", flag, v,
                   flag);
}

static int check_flags(struct bld_build_opts *o, struct cb_strv *ctx, struct cb_err **err)
{
    if (cli_check_attestation("provenance", f.provenance, err) < 0 ||
        cli_check_attestation("sbom", f.sbom, err) < 0)
        return cb_err_rc(err);
    for (size_t i = 0; i < f.add_hosts.n; i++) {
        const char *c = strchr(f.add_hosts.v[i], ':');
        if (!c || c == f.add_hosts.v[i] || !c[1])
            return cb_fail(err, CB_EINVAL, 0, "--add-host '%s': want NAME:IP", f.add_hosts.v[i]);
        if (!strcmp(c + 1, "host-gateway"))
            return cb_fail(err, CB_EUNSUPPORTED, 0,
                           "--add-host '%s': host-gateway is not supported (RUN uses the host's "
                           "network by default: use 127.0.0.1)",
                           f.add_hosts.v[i]);
    }
    for (size_t i = 0; i < f.ulimits.n; i++) {
        struct bld_rlimit rl;
        if (bld_rlimit_parse(f.ulimits.v[i], &rl, err) < 0)
            return cb_wrap(err, "--ulimit");
    }
    if (f.shm_size && bld_size_parse(f.shm_size, &o->shm_size, err) < 0)
        return cb_wrap(err, "--shm-size");
    if (check_cache_flags("--cache-from", &f.cache_from, err) < 0 ||
        check_cache_flags("--cache-to", &f.cache_to, err) < 0)
        return -CB_EUNSUPPORTED;
    if (f.push && f.tags.n == 0)
        return cb_fail(err, CB_EINVAL, 0, "--push needs at least one -t NAME to push to");
    if (ctx->n != 1)
        return cb_fail(err, CB_EINVAL, 0, "build needs exactly one CONTEXT argument");
    if (f.platform) {
        struct oci_platform p;
        oci_platform_init(&p);
        int rc = oci_platform_parse(f.platform, &p, err);
        oci_platform_release(&p);
        if (rc < 0)
            return cb_wrap(err, "--platform");
    }
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

static const char *tmp_dir(void)
{
    const char *tmp = getenv("TMPDIR");
    return tmp && *tmp ? tmp : "/tmp";
}

/* --build-context NAME=VALUE; a git URL is checked out now and becomes a
 * directory context. */
static int named_context(struct build_run *b, const char *spec, struct bld_named_context *out,
                         struct cb_err **err)
{
    char *dir = NULL;
    int r = bld_named_context_resolve(spec, tmp_dir(), out, &dir, err);

    if (dir)
        cb_strv_push_take(&b->git_dirs, dir);
    return r;
}

static int prepare(struct build_run *b, struct cb_err **err)
{
    struct bld_build_opts *o = &b->o;
    const char *epoch = getenv("SOURCE_DATE_EPOCH");

    if (check_flags(o, &b->ctx, err) < 0)
        return -CB_EINVAL;
    if (!strcmp(b->ctx.v[0], "-")) {
        if (f.file && !strcmp(f.file, "-"))
            return cb_fail(err, CB_EINVAL, 0, "the context and -f cannot both be '-' (stdin)");
        if (bld_stdin_context(0, tmp_dir(), &b->tmp_ctx_dir, &b->stdin_df, err) < 0)
            return cb_wrap(err, "context '-'");
        if (b->stdin_df.len) {
            o->dockerfile_text = cb_buf_str(&b->stdin_df);
            o->dockerfile_len = b->stdin_df.len;
        }
        free(b->ctx.v[0]);
        b->ctx.v[0] = xstrdup(b->tmp_ctx_dir);
    } else {
        char *context = NULL;
        int r = bld_git_context(b->ctx.v[0], tmp_dir(), &b->tmp_ctx_dir, &context, err);
        if (r < 0) {
            char *shown = bld_git_redact(b->ctx.v[0]);
            cb_wrap(err, "context '%s'", shown);
            free(shown);
            return r;
        }
        if (r > 0) {
            free(b->ctx.v[0]);
            b->ctx.v[0] = context;
        }
    }
    if (load_arg_files(&f.arg_files, &f.args, err) < 0)
        return -CB_EINVAL;
    env_args(&f.args);
    o->context = b->ctx.v[0];
    o->target = f.target;
    o->platform = f.platform;
    o->build_args = &f.args;
    o->tags = &f.tags;
    o->labels = &f.labels;
    o->no_cache = f.no_cache;
    o->no_cache_filter = &f.filters;
    o->jobs = (int)f.jobs;
    o->ssh = &f.ssh;
    o->runtime = f.runtime;
    o->snapshotter = f.snapshotter;
    o->executor = f.executor;
    o->add_hosts = &f.add_hosts;
    o->ulimits = &f.ulimits;
    o->tls_verify_off = !f.tls_verify;
    if (f.doctor && *f.doctor && strcmp(f.doctor, "strict"))
        return cb_fail(err, CB_EINVAL, 0, "--doctor='%s': want --doctor or --doctor=strict",
                       f.doctor);
    if (f.fixup && bld_fixup_parse(f.fixup, &o->fixups, err) < 0)
        return cb_wrap(err, "--fixup");
    cli_reg_init(&b->reg, f.tls_verify, true, stderr);
    b->reg_init = true;
    o->insecure_registries = b->reg.insecure;
    if (epoch && *epoch) {
        char *end;
        o->has_epoch = true;
        o->epoch = strtoll(epoch, &end, 10);
        if (*end || o->epoch < 0)
            return cb_fail(err, CB_EINVAL, 0, "SOURCE_DATE_EPOCH '%s' is not a number of seconds",
                           epoch);
    }
    if (o->dockerfile_text) {
        /* context '-' gave the Dockerfile */
    } else if (f.file && !strcmp(f.file, "-")) {
        if (cb_read_all(0, &b->stdin_df, err) < 0)
            return cb_wrap(err, "-f -");
        o->dockerfile_text = cb_buf_str(&b->stdin_df);
        o->dockerfile_len = b->stdin_df.len;
    } else {
        o->dockerfile = f.file;
    }
    b->outs = xcalloc(f.outputs.n + 1, sizeof(*b->outs));
    for (size_t i = 0; i < f.outputs.n; i++)
        if (bld_output_parse(f.outputs.v[i], &b->outs[i], err) < 0)
            return -CB_EINVAL;
    o->outputs = b->outs;
    o->n_outputs = f.outputs.n;
    b->contexts = xcalloc(f.contexts.n + 1, sizeof(*b->contexts));
    for (size_t i = 0; i < f.contexts.n; i++)
        if (named_context(b, f.contexts.v[i], &b->contexts[i], err) < 0)
            return cb_err_rc(err);
    o->contexts = b->contexts;
    o->n_contexts = f.contexts.n;
    b->secrets = xcalloc(f.secrets.n + 1, sizeof(*b->secrets));
    for (size_t i = 0; i < f.secrets.n; i++)
        if (bld_secret_parse(f.secrets.v[i], &b->secrets[i].id, &b->secrets[i].path,
                             &b->secrets[i].value, err) < 0)
            return cb_wrap(err, "--secret");
    o->secrets = b->secrets;
    o->n_secrets = f.secrets.n;
    return 0;
}

/* docker build / buildx flags cbuild does not have: named, never ignored. */
static const char *const unsupported[] = {
    "--squash",
    "--isolation",
    "--memory",
    "-m",
    "--memory-swap",
    "--cpu-shares",
    "-c",
    "--cpu-period",
    "--cpu-quota",
    "--cpuset-cpus",
    "--cpuset-mems",
    "--cgroup-parent",
    "--security-opt",
    "--allow",
    "--attest",
    "--annotation",
    "--call",
    "--builder",
    "--disable-content-trust",
    "--stream",
    "--check",
    NULL,
};

static int unsupported_flag(int argc, char **argv)
{
    for (int i = 1; i < argc && strcmp(argv[i], "--"); i++)
        for (const char *const *u = unsupported; *u; u++) {
            size_t n = strlen(*u);
            if (!strncmp(argv[i], *u, n) && (argv[i][n] == '\0' || argv[i][n] == '=')) {
                fprintf(stderr, "error: %s is not supported by cbuild build\n", *u);
                return 2;
            }
        }
    return 0;
}

int cli_build_parse(int argc, char **argv, struct build_run *b, struct cb_err **err)
{
    int rc;

    memset(b, 0, sizeof(*b));
    cb_strv_init(&b->ctx);
    cb_strv_init(&b->git_dirs);
    b->o.compression = OCI_COMPRESSION_GZIP;
    b->o.cancel_fd = -1;
    cb_buf_init(&b->stdin_df, 16 << 20);
    if (unsupported_flag(argc, argv))
        return -CB_EUNSUPPORTED;
    f.tls_verify = true;
    rc = cli_parse(argc, argv, &usage, 0, &b->ctx);
    if (rc != 0)
        return rc > 0 ? 1 : -CB_EINVAL;
    b->mode = cli_progress_mode_parse(f.quiet ? "quiet" : f.progress ? f.progress : "auto");
    if (b->mode < 0)
        return -cli_usage_error(&usage, "invalid --progress '%s'", f.progress);
    b->doctor = f.doctor;
    b->iidfile = f.iidfile;
    b->metadata = f.metadata;
    b->push = f.push;
    b->tls_verify = f.tls_verify;
    b->tags = &f.tags;
    return prepare(b, err);
}

void cli_build_release(struct build_run *b)
{
    for (size_t i = 0; b->outs && i < f.outputs.n; i++)
        bld_output_release(&b->outs[i]);
    free(b->outs);
    for (size_t i = 0; b->contexts && i < f.contexts.n; i++)
        bld_named_context_release(&b->contexts[i]);
    free(b->contexts);
    for (size_t i = 0; b->secrets && i < f.secrets.n; i++) {
        free(b->secrets[i].id);
        free(b->secrets[i].path);
        free(b->secrets[i].value);
    }
    free(b->secrets);
    cb_buf_release(&b->stdin_df);
    cb_strv_release(&b->ctx);
    if (b->tmp_ctx_dir) {
        cb_rm_rf(b->tmp_ctx_dir, NULL);
        free(b->tmp_ctx_dir);
    }
    for (size_t i = 0; i < b->git_dirs.n; i++)
        cb_rm_rf(b->git_dirs.v[i], NULL);
    cb_strv_release(&b->git_dirs);
    if (b->reg_init)
        cli_reg_release(&b->reg);
    struct cb_strv *lists[] = {&f.tags,      &f.args,     &f.labels,     &f.outputs,
                               &f.secrets,   &f.ssh,      &f.filters,    &f.unsupported,
                               &f.arg_files, &f.contexts, &f.cache_from, &f.cache_to,
                               &f.add_hosts, &f.ulimits};
    for (size_t i = 0; i < sizeof(lists) / sizeof(lists[0]); i++)
        cb_strv_release(lists[i]);
}
