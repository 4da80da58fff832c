/* runtime.c - the step's helper process and the OCI runtime it becomes
 * (see runtime.h). */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <sched.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <sys/vfs.h>
#include <sys/wait.h>
#include <unistd.h>
#include <linux/magic.h>

#include "runtime.h"
#include "../../oci/image.h"
#include "../../base/cleanup.h"
#include "../../base/fsutil.h"
#include "../../base/xalloc.h"
#include "../../base/banned.h"

#define TAIL_BYTES ((size_t)64 << 10)

enum bld_cgroup_mode bld_cgroup_mode_detect(void)
{
    struct statfs st;
    if (statfs("/sys/fs/cgroup", &st) == 0 && st.f_type == CGROUP2_SUPER_MAGIC)
        return BLD_CGROUP_UNIFIED;
    if (statfs("/sys/fs/cgroup/unified", &st) == 0 && st.f_type == CGROUP2_SUPER_MAGIC)
        return BLD_CGROUP_HYBRID;
    return BLD_CGROUP_LEGACY;
}

static char *search_path(const char *name)
{
    const char *path = getenv("PATH");
    cleanup_free char *copy = xstrdup(path && *path ? path : OCI_DEFAULT_PATH);
    for (char *dir = copy, *next; dir; dir = next) {
        char *cand;
        next = strchr(dir, ':');
        if (next)
            *next++ = '\0';
        cand = cb_path_join(*dir ? dir : ".", name);
        if (access(cand, X_OK) == 0) {
            char *abs = realpath(cand, NULL);
            free(cand);
            if (abs)
                return abs;
            continue;
        }
        free(cand);
    }
    return NULL;
}

int bld_runtime_find(const char *name, char **path, bool *is_crun, struct cb_err **err)
{
    const char *base;
    char *p = NULL;
    if (!name || !*name) {
        name = "crun";
        p = search_path(name);
        if (!p)
            p = search_path(name = "runc");
        if (!p)
            return cb_fail(err, CB_ENOTFOUND, 0, "no OCI runtime found: install crun or runc");
    } else if (strchr(name, '/')) {
        /* absolute: the helper may chdir before it execs the runtime */
        if (access(name, X_OK) < 0 || !(p = realpath(name, NULL)))
            return cb_fail(err, CB_ENOTFOUND, errno, "runtime '%s'", name);
    } else if (!(p = search_path(name))) {
        return cb_fail(err, CB_ENOTFOUND, 0, "runtime '%s' not found in PATH", name);
    }
    /* by the name asked for, not the symlink's target */
    base = strrchr(name, '/') ? strrchr(name, '/') + 1 : name;
    *is_crun = !strncmp(base, "crun", 4);
    *path = p;
    return 0;
}

/* In the helper: report "E<errno> <what>" and exit. */
static void __attribute__((noreturn)) helper_die(int fd, const char *what, int e)
{
    char msg[512];
    int n = snprintf(msg, sizeof(msg), "E%d %s", e, what);
    if (n > 0 && write(fd, msg, (size_t)n) < 0)
        _exit(2);
    _exit(1);
}

static void helper_mounts(const struct bld_helper_opts *o, int sync)
{
    const char *what = NULL;
    char rootfs[4096];
    int r;
    if (unshare(CLONE_NEWNS) < 0)
        helper_die(sync, "unshare the mount namespace", errno);
    if (mount(NULL, "/", NULL, MS_REC | MS_PRIVATE, NULL) < 0)
        helper_die(sync, "make mounts private", errno);
    if (mount("tmpfs", o->bundle, "tmpfs", MS_NOSUID | MS_NODEV, "mode=0700") < 0)
        helper_die(sync, "mount the bundle tmpfs", errno);
    snprintf(rootfs, sizeof(rootfs), "%s/rootfs", o->bundle);
    if (mkdir(rootfs, 0755) < 0)
        helper_die(sync, "mkdir rootfs", errno);
    r = bld_snapshot_mount(o->snap, rootfs, &what);
    if (r < 0)
        helper_die(sync, what, -r);
    for (size_t i = 0; o->plan && i < o->plan->n_helper; i++) {
        const struct bld_helper_mount *m = &o->plan->helper[i];
        if (mount(m->source, m->target, m->fstype, m->flags, m->data) < 0)
            helper_die(sync, "mount the rw bind overlay", errno);
    }
    if (o->hide_cgroup2 && umount2("/sys/fs/cgroup/unified", MNT_DETACH) < 0 && errno != EINVAL)
        helper_die(sync, "unmount /sys/fs/cgroup/unified", errno);
}
/* Close every fd but the three kept: with parallel steps the parent's
 * other pipes must not stay open in this helper until its exec. */
static void close_others(int a, int b, int c)
{
    int keep[3] = {a, b, c}, lo = 3;
    for (int i = 0; i < 3; i++)
        for (int j = i + 1; j < 3; j++)
            if (keep[j] < keep[i]) {
                int t = keep[i];
                keep[i] = keep[j];
                keep[j] = t;
            }
    for (int i = 0; i < 3; i++) {
        if (keep[i] > lo)
            close_range((unsigned)lo, (unsigned)keep[i] - 1, 0);
        if (keep[i] + 1 > lo)
            lo = keep[i] + 1;
    }
    close_range((unsigned)lo, ~0U, 0);
}

static void __attribute__((noreturn))
helper_main(const struct bld_helper_opts *o, int sync, int ctl, int out)
{
    char go = 0;
    int devnull;
    close_others(sync, ctl, out);
    setpgid(0, 0); /* the terminal's Ctrl-C goes to cbuild, which stops the step */
    prctl(PR_SET_PDEATHSIG, SIGKILL);
    helper_mounts(o, sync);
    if (write(sync, "ok", 2) != 2)
        _exit(1);
    if (read(ctl, &go, 1) != 1 || go != 'g')
        _exit(1);
    devnull = open("/dev/null", O_RDONLY);
    if (devnull < 0 || dup2(devnull, 0) < 0 || dup2(out, 1) < 0 || dup2(out, 2) < 0)
        helper_die(sync, "set up stdio", errno);
    execv(o->argv[0], o->argv);
    dprintf(2, "exec '%s': %s\n", o->argv[0], strerror(errno));
    _exit(127);
}

/* Read the helper's report; 0 when its mounts are ready. */
static int helper_sync(struct bld_helper *h, struct cb_err **err)
{
    char msg[512];
    ssize_t n;
    do
        n = read(h->sync_fd, msg, sizeof(msg) - 1);
    while (n < 0 && errno == EINTR);
    if (n == 2 && !memcmp(msg, "ok", 2))
        return 0;
    if (n > 1 && msg[0] == 'E') {
        char *sp;
        int e;
        msg[n] = '\0';
        e = (int)strtol(msg + 1, &sp, 10);
        return cb_fail(err, CB_ERUNTIME, e, "prepare the step: %s", *sp ? sp + 1 : "?");
    }
    return cb_fail(err, CB_ERUNTIME, n < 0 ? errno : 0, "prepare the step: helper exited");
}

int bld_helper_start(const struct bld_helper_opts *o, struct bld_helper *h, struct cb_err **err)
{
    int sync[2], ctl[2], out[2];
    *h = (struct bld_helper){.pid = -1, .ctl_fd = -1, .sync_fd = -1, .out_fd = -1};
    if (pipe2(sync, O_CLOEXEC) < 0)
        return cb_fail(err, CB_EIO, errno, "pipe");
    if (pipe2(ctl, O_CLOEXEC) < 0 || pipe2(out, O_CLOEXEC) < 0)
        return close(sync[0]), close(sync[1]), cb_fail(err, CB_EIO, errno, "pipe");
    h->pid = fork();
    if (h->pid == 0) {
        close(sync[0]);
        close(ctl[1]);
        close(out[0]);
        helper_main(o, sync[1], ctl[0], out[1]);
    }
    close(sync[1]);
    close(ctl[0]);
    close(out[1]);
    h->sync_fd = sync[0];
    h->ctl_fd = ctl[1];
    h->out_fd = out[0];
    if (h->pid < 0)
        return cb_fail(err, CB_EIO, errno, "fork");
    h->root_path = xasprintf("/proc/%d/root", (int)h->pid);
    return helper_sync(h, err);
}

static void tail_add(struct cb_buf *tail, const char *data, size_t len)
{
    if (!tail)
        return;
    if (len > TAIL_BYTES) {
        data += len - TAIL_BYTES;
        len = TAIL_BYTES;
    }
    if (tail->len + len > TAIL_BYTES) {
        size_t drop = tail->len + len - TAIL_BYTES;
        memmove(tail->data, tail->data + drop, tail->len - drop);
        cb_buf_truncate(tail, tail->len - drop);
    }
    cb_buf_add(tail, data, len, NULL);
}

static void run_quiet(char *const *argv)
{
    int status;
    pid_t pid = fork();
    if (pid == 0) {
        int devnull = open("/dev/null", O_RDWR);
        if (devnull >= 0) {
            dup2(devnull, 1);
            dup2(devnull, 2);
        }
        execv(argv[0], argv);
        _exit(127);
    }
    while (pid > 0 && waitpid(pid, &status, 0) < 0 && errno == EINTR)
        ;
}

/* Kill the container: through the runtime, then its init directly (the
 * pid namespace dies with it, and with it every process of the step),
 * then the runtime process itself. */
static void cancel_step(struct bld_helper *h, const struct bld_helper_wait *w)
{
    char *argv[] = {
        (char *)w->runtime, "--root", (char *)w->runtime_root, "kill", (char *)w->id, "KILL", NULL};
    struct cb_buf pid;
    cb_buf_init(&pid, 64);
    if (w->runtime_root && w->id)
        run_quiet(argv);
    if (w->pid_file && cb_read_file(w->pid_file, &pid, NULL) == 0) {
        long p = strtol(cb_buf_str(&pid), NULL, 10);
        if (p > 1)
            kill((pid_t)p, SIGKILL);
    }
    cb_buf_release(&pid);
    kill(h->pid, SIGKILL);
}
/* Read what is there; returns 0 at EOF, 1 when more may come. */
static int pump(struct bld_helper *h, const struct bld_helper_wait *w)
{
    char buf[8192];
    ssize_t n = read(h->out_fd, buf, sizeof(buf));
    if (n < 0)
        return errno == EINTR || errno == EAGAIN ? 1 : 0;
    if (n == 0)
        return 0;
    if (w->output)
        w->output(w->output_data, buf, (size_t)n);
    tail_add(w->tail, buf, (size_t)n);
    return 1;
}

int bld_helper_run(struct bld_helper *h, const struct bld_helper_wait *w, int *status,
                   bool *cancelled, struct cb_err **err)
{
    bool open_out = true;
    *cancelled = false;
    if (write(h->ctl_fd, "g", 1) != 1)
        return cb_fail(err, CB_ERUNTIME, errno, "start the runtime");
    while (open_out) {
        struct pollfd p[2] = {{.fd = h->out_fd, .events = POLLIN},
                              {.fd = *cancelled ? -1 : w->cancel_fd, .events = POLLIN}};
        if (poll(p, 2, -1) < 0) {
            if (errno == EINTR)
                continue;
            return cb_fail(err, CB_EIO, errno, "poll");
        }
        if (p[1].revents) {
            *cancelled = true;
            cancel_step(h, w);
        }
        if (p[0].revents)
            open_out = pump(h, w);
    }
    while (waitpid(h->pid, status, 0) < 0)
        if (errno != EINTR)
            return cb_fail(err, CB_EIO, errno, "wait for the runtime");
    h->pid = -1;
    return 0;
}

void bld_helper_release(struct bld_helper *h)
{
    if (h->pid > 0) {
        int st;
        kill(h->pid, SIGKILL);
        while (waitpid(h->pid, &st, 0) < 0 && errno == EINTR)
            ;
    }
    h->pid = -1;
    cb_closep(&h->ctl_fd);
    cb_closep(&h->sync_fd);
    cb_closep(&h->out_fd);
    free(h->root_path);
    h->root_path = NULL;
}
