/* cmd_run.c - `cbuild run [OPTIONS] IMAGE [CMD...]`: run an image's command
 * once with the build executor; the exit status is the command's. */
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "cli.h"
#include "commands.h"
#include "options.h"
#include "../builder/runimage.h"
#include "../base/cleanup.h"
#include "../base/banned.h"

static struct cb_strv env_opt, vol_opt;
static const char *entrypoint, *user, *workdir, *network, *runtime, *snapshotter;
static bool rm;

static const struct cli_option opts[] = {
    {0, "rm", CLI_OPT_BOOL, &rm, NULL, "remove the container afterwards (always done)"},
    {'e', "env", CLI_OPT_LIST, &env_opt, "K[=V]", "set an environment variable"},
    {0, "entrypoint", CLI_OPT_STRING, &entrypoint, "CMD", "replace the image's ENTRYPOINT"},
    {'u', "user", CLI_OPT_STRING, &user, "USER", "name[:group] or uid[:gid]"},
    {'w', "workdir", CLI_OPT_STRING, &workdir, "DIR", "working directory"},
    {'v', "volume", CLI_OPT_LIST, &vol_opt, "SRC:DST[:ro]", "bind a host directory"},
    {0, "network", CLI_OPT_STRING, &network, "MODE", "host (default) or none"},
    {0, "runtime", CLI_OPT_STRING, &runtime, "NAME", "crun, runc or a path"},
    {0, "snapshotter", CLI_OPT_STRING, &snapshotter, "NAME", "auto, overlay or native"},
    {0, NULL, CLI_OPT_END, NULL, NULL, NULL},
};

static const struct cli_usage usage = {
    "cbuild run [OPTIONS] IMAGE [CMD...]",
    "Run IMAGE's command (or CMD) once, as docker run --rm does, in the build's runtime.",
    opts,
};

static int cancel_pipe[2] = {-1, -1};

static void on_signal(int sig)
{
    char c = (char)sig;
    if (write(cancel_pipe[1], &c, 1) < 0)
        _exit(130);
}

static void out(void *userdata, const char *data, size_t len)
{
    (void)userdata;
    fwrite(data, 1, len, stdout);
    fflush(stdout);
}

int cmd_run(int argc, char **argv, struct cli_env *env)
{
    cleanup_strv_s struct cb_strv args = CB_STRV_INIT;
    cleanup_err struct cb_err *err = NULL;
    struct oci_store *store;
    struct bld_run_image_opts o = {.cancel_fd = -1, .output = out};
    int rc, status = 0;

    rc = cli_parse(argc, argv, &usage, CLI_OPTS_STOP_AT_ARG, &args);
    if (rc)
        return rc > 0 ? 0 : 2;
    if (args.n < 1)
        return cli_usage_error(&usage, "expected an image");
    if (network && strcmp(network, "host") && strcmp(network, "none") && strcmp(network, "default"))
        return cli_usage_error(&usage, "--network '%s': want host or none", network);
    o.image = args.v[0];
    o.args = args.v + 1;
    o.n_args = args.n - 1;
    o.entrypoint = entrypoint;
    o.env = &env_opt;
    o.user = user;
    o.workdir = workdir;
    o.volumes = &vol_opt;
    o.network = network && !strcmp(network, "none")   ? 1
                : network && !strcmp(network, "host") ? 2
                                                      : 0;
    o.runtime = runtime;
    o.snapshotter = snapshotter;
    if (pipe2(cancel_pipe, O_CLOEXEC) == 0) {
        o.cancel_fd = cancel_pipe[0];
        signal(SIGINT, on_signal);
        signal(SIGTERM, on_signal);
    }
    store = oci_store_open(env->root, OCI_STORE_SHARED, &err);
    if (!store)
        return cli_report(err);
    rc = bld_run_image(store, &o, &status, &err);
    oci_store_free(store);
    if (rc < 0)
        return cli_report(err) == 2 ? 2 : 125; /* docker: 125 when the run itself fails */
    return status;
}
