/* cmd_debug_run.c - `cbuild debug run`: run one RUN step on layer dirs or a
 * rootfs in the real executor and save its changes, for tests and bug
 * reports.  Ctrl-C or SIGTERM stops the step's container. */
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <fcntl.h>
#include <unistd.h>

#include "commands.h"
#include "options.h"
#include "../base/cleanup.h"
#include "../base/xalloc.h"
#include "../builder/exec/run_once.h"
#include "../oci/store.h"
#include "../base/banned.h"

static int cancel_pipe[2] = {-1, -1};

static void on_signal(int sig)
{
    (void)sig;
    if (write(cancel_pipe[1], "x", 1) < 0)
        return;
}

/* Ctrl-C and SIGTERM make the returned fd readable (the executor then
 * stops the step); -1 when no pipe could be made. */
static int install_cancel(void)
{
    if (pipe2(cancel_pipe, O_CLOEXEC) < 0)
        return -1;
    signal(SIGINT, on_signal);
    signal(SIGTERM, on_signal);
    return cancel_pipe[0];
}

static void print_output(void *userdata, const char *data, size_t len)
{
    (void)userdata;
    fwrite(data, 1, len, stdout);
    fflush(stdout);
}

struct run_args {
    struct cb_strv lowers, envs, mounts, secrets, ssh;
    const char *user, *workdir, *network, *runtime, *snapshotter, *label, *hostname;
    const char *changes, *rootfs_out, *image;
    bool cgroups;
    long repeat;
};

static void run_args_release(struct run_args *a)
{
    cb_strv_release(&a->lowers);
    cb_strv_release(&a->envs);
    cb_strv_release(&a->mounts);
    cb_strv_release(&a->secrets);
    cb_strv_release(&a->ssh);
}

int cmd_debug_run(int argc, char **argv, struct cli_env *env)
{
    __attribute__((cleanup(run_args_release))) struct run_args a = {0};
    const struct cli_option opts[] = {
        {0, "image", CLI_OPT_STRING, &a.image, "NAME", "an image in the store as the base"},
        {0, "rootfs", CLI_OPT_LIST, &a.lowers, "DIR",
         "a layer dir or rootfs, bottom first (repeatable)"},
        {'u', "user", CLI_OPT_STRING, &a.user, "USER", "name[:group] or uid[:gid]"},
        {'w', "workdir", CLI_OPT_STRING, &a.workdir, "DIR", "working directory (created)"},
        {'e', "env", CLI_OPT_LIST, &a.envs, "K=V", "environment variable (repeatable)"},
        {0, "network", CLI_OPT_STRING, &a.network, "MODE", "default, none or host"},
        {0, "mount", CLI_OPT_LIST, &a.mounts, "SPEC", "RUN --mount spec (repeatable)"},
        {0, "secret", CLI_OPT_LIST, &a.secrets, "id=ID[,src=PATH|,env=VAR]",
         "a secret (repeatable)"},
        {0, "ssh", CLI_OPT_LIST, &a.ssh, "default|ID=SOCKET", "an ssh agent socket (repeatable)"},
        {0, "runtime", CLI_OPT_STRING, &a.runtime, "NAME|PATH", "crun or runc (default: detect)"},
        {0, "cgroups", CLI_OPT_BOOL, &a.cgroups, NULL, "crun: put the step in a cgroup"},
        {0, "snapshotter", CLI_OPT_STRING, &a.snapshotter, "NAME", "overlay, native or auto"},
        {0, "label", CLI_OPT_STRING, &a.label, "TEXT", "prefix for error messages"},
        {0, "hostname", CLI_OPT_STRING, &a.hostname, "NAME", "hostname (default buildkitsandbox)"},
        {0, "changes", CLI_OPT_STRING, &a.changes, "DIR", "save the overlay upper dir here"},
        {0, "repeat", CLI_OPT_INT, &a.repeat, "N",
         "run the step N times, print the mean time per step (bench)"},
        {0, "rootfs-out", CLI_OPT_STRING, &a.rootfs_out, "DIR", "save the resulting rootfs here"},
        {0},
    };
    static const struct cli_usage u_tmpl = {
        "cbuild debug run [OPTIONS] [--image NAME] [--rootfs DIR]... -- CMD [ARG...]",
        "Run one step in the OCI runtime and save what it changed.", NULL};
    struct cli_usage u = u_tmpl;
    cleanup_strv_s struct cb_strv args = CB_STRV_INIT;
    cleanup_free char *root = NULL;
    struct bld_mount *mounts = NULL;
    struct bld_exec_result res = {0};
    cleanup_err struct cb_err *err = NULL;
    int rc;

    u.options = opts;
    rc = cli_parse(argc, argv, &u, CLI_OPTS_STOP_AT_ARG, &args);
    if (rc)
        return rc > 0 ? 0 : 2;
    if (args.n == 0)
        return cli_usage_error(&u, "expected a command");
    struct bld_run_once o = {
        .runtime = a.runtime,
        .image = a.image,
        .cgroups = a.cgroups,
        .repeat = a.repeat > 0 ? (unsigned)a.repeat : 1,
        .lowers = (const char *const *)a.lowers.v,
        .n_lowers = a.lowers.n,
        .changes_out = a.changes,
        .rootfs_out = a.rootfs_out,
    };
    struct bld_exec_req req = {.label = a.label,
                               .argv = args.v,
                               .env = a.envs.v,
                               .user = a.user,
                               .cwd = a.workdir,
                               .hostname = a.hostname,
                               .output = print_output};
    if (bld_snapshotter_parse(a.snapshotter, &o.snapshotter, &err) < 0)
        return cli_report(err);
    if (bld_network_parse(a.network, &req.network, &err) < 0 ||
        bld_mounts_from_args(a.mounts.v, a.secrets.v, a.ssh.v, &mounts, &req.n_mounts, &err) < 0)
        return cli_report(err);
    req.mounts = mounts;
    root = env->root ? xstrdup(env->root) : oci_store_default_root();
    o.store_root = root;
    o.cancel_fd = install_cancel();
    if (a.repeat < 0 || a.repeat > 100000)
        return cli_usage_error(&u, "--repeat: want 1..100000");
    rc = bld_run_once(&o, &req, &res, &err);
    if (rc == 0 && a.repeat > 1)
        fprintf(stderr, "%ld steps: %.1f ms per step\n", a.repeat, res.seconds * 1000);
    bld_mounts_free(mounts, req.n_mounts);
    bld_exec_result_release(&res);
    return rc < 0 ? cli_report(err) : 0;
}
