/* executor_oci.c - the "oci" executor: one RUN step in crun or runc over a
 * snapshot (see executor.h, runtime.h).
 *
 * Per step: a state dir ROOT/run/step-XXXXXX (owner file, runtime pid
 * file, rw-bind scratch), the helper process with its private mounts, the
 * user resolved and the workdir created inside the rootfs, /etc/hosts and
 * /etc/resolv.conf and secrets written to the bundle tmpfs, config.json,
 * the runtime, then stub cleanup and removal of the state dir.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "bundle.h"
#include "executor.h"
#include "rundir.h"
#include "runtime.h"
#include "stubs.h"
#include "user.h"
#include "../../oci/image.h"
#include "../../base/cleanup.h"
#include "../../base/fsutil.h"
#include "../../base/xalloc.h"
#include "../../base/banned.h"

#define DEFAULT_HOSTS                                                                              \
    "127.0.0.1\tlocalhost buildkitsandbox\n::1\tlocalhost ip6-localhost ip6-loopback\n"

struct step {
    struct bld_executor *ex;
    const struct bld_exec_req *req;
    struct bld_snapshot *snap;
    char *bundle;  /* SNAP/step-XXXXXX: a tmpfs during the step */
    char *scratch; /* BUNDLE.d: rw-bind overlays, busy private caches (made on demand) */
    char *record;  /* BUNDLE.container: runtime, root and id, for crash cleanup */
    char *id, *runtime_root, *pid_file;
    struct bld_mount_plan plan;
    struct bld_helper helper;
    struct bld_user user;
    struct bld_stubs stubs;
    struct cb_strv env;
};

static int oci_init(struct bld_executor *ex, struct cb_err **err)
{
    if (!ex->opts.state_dir || !ex->opts.cache_dir)
        return cb_fail(err, CB_EBUG, 0, "the oci executor needs a state and a cache dir");
    if (geteuid() != 0)
        return cb_fail(err, CB_EUNSUPPORTED, 0,
                       "running RUN steps needs root (rootless mode is not implemented yet)");
    if (bld_runtime_find(ex->opts.runtime, &ex->runtime_path, &ex->runtime_is_crun, err) < 0)
        return cb_err_rc(err);
    ex->runtime_root = bld_runtime_state_dir(ex->opts.state_dir, err);
    if (!ex->runtime_root)
        return cb_wrap(err, "the runtime's state dir");
    if (bld_rundir_clean_stale(ex->opts.state_dir, err) < 0 ||
        bld_cache_mounts_clean_stale(ex->opts.cache_dir, err) < 0)
        return cb_wrap(err, "clean up after an earlier run");
    return 0;
}

static void step_release(struct step *s)
{
    bld_helper_release(&s->helper);
    bld_mount_plan_release(&s->plan);
    bld_user_release(&s->user);
    bld_stubs_release(&s->stubs);
    cb_strv_release(&s->env);
    if (s->bundle) {
        rmdir(s->bundle);
        unlink(s->pid_file);
        cb_rm_rf(s->scratch, NULL);
        unlink(s->record);
    }
    free(s->bundle);
    free(s->scratch);
    free(s->record);
    free(s->id);
    free(s->runtime_root);
    free(s->pid_file);
}

static bool has_env(const struct cb_strv *env, const char *key)
{
    size_t kl = strlen(key);
    for (size_t i = 0; i < env->n; i++)
        if (!strncmp(env->v[i], key, kl) && env->v[i][kl] == '=')
            return true;
    return false;
}

static void build_env(struct step *s)
{
    for (char *const *e = s->req->env; e && *e; e++)
        cb_strv_push(&s->env, *e);
    for (size_t i = 0; i < s->plan.env.n; i++)
        cb_strv_push(&s->env, s->plan.env.v[i]);
    oci_env_default_path(&s->env, NULL);
    if (!has_env(&s->env, "HOME"))
        cb_strv_pushf(&s->env, "HOME=%s", s->user.home);
}

/* The host's resolv.conf, skipping systemd-resolved's loopback stub. */
static int write_resolv(const char *bundle, struct cb_err **err)
{
    cleanup_buf struct cb_buf b;
    cleanup_free char *dst = cb_path_join(bundle, "resolv.conf");
    cleanup_err struct cb_err *e = NULL;
    cb_buf_init(&b, 1 << 20);
    if (cb_read_file("/etc/resolv.conf", &b, &e) == 0 &&
        strstr(cb_buf_str(&b), "nameserver 127.0.0.53")) {
        cb_buf_reset(&b);
        cb_read_file("/run/systemd/resolve/resolv.conf", &b, NULL);
    }
    return cb_write_file_atomic(dst, b.data ? b.data : "", b.len, 0644, err);
}

/* The step's files live beside the snapshot (whose owner file covers them
 * for crash cleanup): fewer directories to make and remove per step. */
static int prepare_state(struct step *s, struct cb_err **err)
{
    char *bundle = cb_path_join(s->snap->dir, "step-XXXXXX");
    s->runtime_root = xstrdup(s->ex->runtime_root);
    if (!mkdtemp(bundle)) {
        int e = errno;
        free(bundle);
        return cb_fail(err, CB_EIO, e, "create the step's bundle in '%s'", s->snap->dir);
    }
    s->bundle = bundle;
    /* "cbuild-<snapshot suffix>-<step suffix>" */
    s->id = xasprintf("cbuild-%s-%s", strrchr(s->snap->dir, '-') + 1, strrchr(bundle, '-') + 1);
    s->pid_file = xasprintf("%s.pid", bundle);
    s->scratch = xasprintf("%s.d", bundle);
    s->record = xasprintf("%s.container", bundle);
    return bld_rundir_record_container(s->record, s->ex->runtime_path, s->runtime_root, s->id, err);
}

static int plan_mounts(struct step *s, struct cb_err **err)
{
    struct bld_mount_ctx ctx = {s->scratch, s->bundle, s->ex->opts.cache_dir,
                                s->ex->opts.cancel_fd};
    cleanup_free char *hosts = cb_path_join(s->bundle, "hosts");
    cleanup_free char *resolv = cb_path_join(s->bundle, "resolv.conf");
    bld_mount_plan_add(&s->plan, "/etc/resolv.conf", "bind", resolv, "rbind,ro");
    bld_mount_plan_add(&s->plan, "/etc/hosts", "bind", hosts, "rbind,ro");
    return bld_mount_plan_build(&s->plan, s->req->mounts, s->req->n_mounts, &ctx, err);
}

static int start_helper(struct step *s, struct cb_err **err)
{
    bool crun = s->ex->runtime_is_crun;
    char *argv[12] = {s->ex->runtime_path, "--root", s->runtime_root};
    size_t n = 3;
    if (crun && !s->ex->opts.cgroups)
        argv[n++] = "--cgroup-manager=disabled";
    argv[n++] = "run";
    argv[n++] = "--bundle";
    argv[n++] = s->bundle;
    argv[n++] = "--pid-file";
    argv[n++] = s->pid_file;
    argv[n++] = s->id;
    argv[n] = NULL;
    struct bld_helper_opts ho = {
        .snap = s->snap,
        .bundle = s->bundle,
        .plan = &s->plan,
        .hide_cgroup2 = crun && bld_cgroup_mode_detect() == BLD_CGROUP_HYBRID,
        .argv = argv,
    };
    return bld_helper_start(&ho, &s->helper, err);
}

/* /etc/hosts: localhost, then --add-host entries ("NAME:IP" as docker takes
 * them; "host-gateway" is not supported). */
static int write_hosts(const char *path, char *const *extra, struct cb_err **err)
{
    struct cb_buf b;
    int rc = 0;

    cb_buf_init(&b, 1 << 20);
    cb_buf_adds(&b, DEFAULT_HOSTS, NULL);
    for (; extra && *extra && rc == 0; extra++) {
        const char *colon = strchr(*extra, ':');
        if (!colon || colon == *extra || !colon[1])
            rc = cb_fail(err, CB_EINVAL, 0, "--add-host '%s': want NAME:IP", *extra);
        else
            rc = cb_buf_addf(&b, err, "%s\t%.*s\n", colon + 1, (int)(colon - *extra), *extra);
    }
    if (rc == 0)
        rc = cb_write_file_atomic(path, b.data, b.len, 0644, err);
    cb_buf_release(&b);
    return rc;
}

/* Inside the helper's namespace: user, workdir, stubs, files, config.json. */
static int prepare_rootfs(struct step *s, struct cb_err **err)
{
    cleanup_free char *bundle = xasprintf("%s%s", s->helper.root_path, s->bundle);
    cleanup_free char *rootfs = cb_path_join(bundle, "rootfs");
    cleanup_close int rootfd = open(rootfs, O_PATH | O_DIRECTORY | O_CLOEXEC);
    const char *cwd = s->req->cwd && *s->req->cwd ? s->req->cwd : "/";
    cleanup_free char *hosts = cb_path_join(bundle, "hosts");
    struct bld_bundle_spec spec;

    if (rootfd < 0)
        return cb_fail(err, CB_ERUNTIME, errno, "open the step's rootfs");
    if (bld_user_resolve(rootfd, s->req->user, &s->user, err) < 0)
        return cb_err_rc(err);
    if (s->req->primary_in_groups)
        bld_user_add_primary_group(&s->user);
    for (const char *const *t = bld_bundle_std_targets; *t; t++)
        bld_stubs_record(&s->stubs, rootfd, *t);
    for (size_t i = 0; i < s->plan.n_spec; i++)
        bld_stubs_record(&s->stubs, rootfd, s->plan.spec[i].dest);
    if (bld_mkdir_beneath(rootfd, cwd, s->user.uid, s->user.gid, err) < 0)
        return cb_wrap(err, "create the working directory");
    if (write_hosts(hosts, s->req->extra_hosts, err) < 0 || write_resolv(bundle, err) < 0 ||
        bld_mount_plan_write_secrets(&s->plan, bundle, err) < 0)
        return cb_err_rc(err);
    build_env(s);
    spec = (struct bld_bundle_spec){
        .argv = s->req->argv,
        .env = s->env.v,
        .cwd = cwd,
        .user = &s->user,
        .hostname = s->req->hostname ? s->req->hostname : "buildkitsandbox",
        .new_netns = s->req->network == BLD_NET_NONE,
        .plan = &s->plan,
        .shm_size = s->req->shm_size,
        .rlimits = s->req->rlimits,
        .n_rlimits = s->req->n_rlimits,
    };
    return bld_bundle_write(bundle, &spec, err);
}

static char *tail_lines(const struct cb_buf *tail, size_t want)
{
    const char *start = cb_buf_str(tail), *p = start + tail->len;
    size_t lines = 0;
    if (p > start && p[-1] == '\n')
        p--;
    while (p > start) {
        if (p[-1] == '\n' && ++lines == want)
            break;
        p--;
    }
    return xstrdup(p);
}

static int finish(struct step *s, int status, bool cancelled, struct bld_exec_result *res,
                  struct cb_err **err)
{
    bool started = cb_path_exists(s->pid_file);
    res->exit_code = WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
    if (cancelled || !started)
        bld_runtime_force_delete(s->ex->runtime_path, s->runtime_root, s->id);
    bld_stubs_clean(&s->stubs, bld_snapshot_write_dir(s->snap), s->snap->kind == BLD_SNAP_OVERLAY);
    if (cancelled)
        return cb_fail(err, CB_EINTR, 0, "%s%sstep cancelled", s->req->label ? s->req->label : "",
                       s->req->label ? ": " : "");
    if (!started && res->exit_code != 0) {
        cleanup_free char *last = xstrdup(res->tail ? res->tail : "");
        size_t n = strlen(last);
        char *nl;
        while (n && (last[n - 1] == '\n' || last[n - 1] == ' '))
            last[--n] = '\0';
        nl = strrchr(last, '\n');
        return cb_fail(err, CB_ERUNTIME, 0, "runtime '%s' failed (status %d): %s",
                       s->ex->runtime_path, res->exit_code, nl ? nl + 1 : last);
    }
    if (res->exit_code != 0) {
        cleanup_free char *msg = bld_exec_failure_msg(s->req->label, s->req->argv, res->exit_code);
        return cb_fail(err, CB_ESTEP, 0, "%s", msg);
    }
    return 0;
}

static double now_seconds(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static int run_step(struct step *s, struct bld_exec_result *res, struct cb_err **err)
{
    cleanup_buf struct cb_buf tail;
    struct bld_helper_wait w = {
        .cancel_fd = s->ex->opts.cancel_fd,
        .output = s->req->output,
        .output_data = s->req->output_data,
        .tail = &tail,
        .runtime = s->ex->runtime_path,
    };
    int status = 0;
    bool cancelled = false;
    cb_buf_init(&tail, 128 << 10);
    if (prepare_state(s, err) < 0 || plan_mounts(s, err) < 0 || start_helper(s, err) < 0 ||
        prepare_rootfs(s, err) < 0)
        return cb_err_rc(err);
    w.runtime_root = s->runtime_root; /* known only now */
    w.id = s->id;
    w.pid_file = s->pid_file;
    if (bld_helper_run(&s->helper, &w, &status, &cancelled, err) < 0)
        return cb_err_rc(err);
    res->tail = tail_lines(&tail, s->req->tail_lines ? s->req->tail_lines : 10);
    return finish(s, status, cancelled, res, err);
}

static int oci_run(struct bld_executor *ex, struct bld_snapshot *snap,
                   const struct bld_exec_req *req, struct bld_exec_result *res, struct cb_err **err)
{
    struct step s = {.ex = ex,
                     .req = req,
                     .snap = snap,
                     .helper = {.pid = -1, .ctl_fd = -1, .sync_fd = -1, .out_fd = -1}};
    double t0 = now_seconds();
    int r;
    *res = (struct bld_exec_result){0};
    bld_mount_plan_init(&s.plan);
    bld_stubs_init(&s.stubs);
    cb_strv_init(&s.env);
    r = run_step(&s, res, err);
    step_release(&s);
    res->seconds = now_seconds() - t0;
    return r;
}

/* The runtime's state dir goes when empty (both runtimes make it again on
 * demand), so stores that come and go leave nothing on the tmpfs. */
static void oci_release(struct bld_executor *ex)
{
    if (ex->runtime_root)
        rmdir(ex->runtime_root);
}

const struct bld_executor_ops bld_executor_oci = {
    .name = "oci",
    .init = oci_init,
    .run = oci_run,
    .release = oci_release,
};
