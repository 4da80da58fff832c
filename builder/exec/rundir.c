/* rundir.c - per-step state directories and cleaning up after crashed runs. */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <stdbool.h>
#include <string.h>
#include <time.h>
#include <sys/stat.h>
#include <sys/vfs.h>
#include <linux/magic.h>
#include <sys/wait.h>
#include <unistd.h>

#include "rundir.h"
#include "../../base/buf.h"
#include "../../base/cleanup.h"
#include "../../base/fsutil.h"
#include "../../base/log.h"
#include "../../base/strv.h"
#include "../../base/xalloc.h"
#include "../../oci/digest.h"
#include "../../base/banned.h"

/* Field 22 of /proc/PID/stat (start time in clock ticks), or 0. */
static unsigned long long proc_starttime(pid_t pid)
{
    cleanup_free char *path = xasprintf("/proc/%d/stat", (int)pid);
    cleanup_buf struct cb_buf b;
    cleanup_err struct cb_err *e = NULL;
    const char *p;
    cb_buf_init(&b, 4096);
    if (cb_read_file(path, &b, &e) < 0)
        return 0;
    p = strrchr(cb_buf_str(&b), ')');
    for (int field = 2; p && field < 22; field++)
        p = strchr(p + 1, ' ');
    return p ? strtoull(p + 1, NULL, 10) : 0;
}

/* Not fsynced: after a crash a torn or missing owner file only means the
 * entry counts as dead, which it is.  Written aside and renamed into place. */
static int write_owner(const char *dir, const char *extra, struct cb_err **err)
{
    cleanup_free char *path = cb_path_join(dir, "owner");
    cleanup_free char *text =
        xasprintf("%d %llu\n%s", (int)getpid(), proc_starttime(getpid()), extra ? extra : "");
    cleanup_free char *tmp = cb_path_join(dir, "owner.tmp");
    cleanup_close int fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
    if (fd < 0)
        return cb_fail(err, CB_EIO, errno, "create '%s'", tmp);
    if (cb_write_all(fd, text, strlen(text), err) < 0)
        return cb_err_rc(err);
    /* renamed, so a concurrent scan never reads a half-written owner */
    if (rename(tmp, path) < 0)
        return cb_fail(err, CB_EIO, errno, "rename '%s'", tmp);
    return 0;
}

char *bld_rundir_create(const char *state_dir, const char *prefix, struct cb_err **err)
{
    cleanup_free char *p = xasprintf("%s-", prefix);
    char *dir;
    if (cb_mkdir_p(state_dir, 0700, err) < 0)
        return NULL;
    dir = cb_mkdtemp(state_dir, p, err);
    if (!dir)
        return NULL;
    if (write_owner(dir, NULL, err) < 0) {
        cb_rm_rf(dir, NULL);
        free(dir);
        return NULL;
    }
    return dir;
}

int bld_rundir_record_container(const char *path, const char *runtime, const char *runtime_root,
                                const char *id, struct cb_err **err)
{
    cleanup_free char *text = xasprintf("%s\n%s\n%s\n", runtime, runtime_root, id);
    cleanup_close int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
    if (fd < 0)
        return cb_fail(err, CB_EIO, errno, "create '%s'", path);
    return cb_write_all(fd, text, strlen(text), err);
}

static bool is_tmpfs(const char *dir)
{
    struct statfs st;
    return statfs(dir, &st) == 0 && st.f_type == TMPFS_MAGIC && access(dir, W_OK) == 0;
}

/* Write the pointer file unless it already says path. */
static int note_runtime_root(const char *state_dir, const char *path, struct cb_err **err)
{
    cleanup_free char *note = cb_path_join(state_dir, "runtime-root");
    cleanup_buf struct cb_buf b;
    cb_buf_init(&b, 4096);
    if (cb_read_file(note, &b, NULL) == 0 && !strcmp(cb_buf_str(&b), path))
        return 0;
    return cb_write_file_atomic(note, path, strlen(path), 0644, err);
}

char *bld_runtime_state_dir(const char *state_dir, struct cb_err **err)
{
    static const char *const bases[] = {"/run", "/dev/shm"};
    cleanup_free char *abs = NULL;
    char *dir = NULL;
    if (cb_mkdir_p(state_dir, 0700, err) < 0)
        return NULL;
    abs = realpath(state_dir, NULL);
    for (size_t i = 0; abs && !dir && i < 2; i++)
        if (is_tmpfs(bases[i])) {
            struct oci_digest d;
            char hex[OCI_DIGEST_STR_MAX];
            oci_digest_of(abs, strlen(abs), &d);
            dir = xasprintf("%s/cbuild-runtime-%.16s", bases[i], oci_digest_hex(&d, hex));
        }
    if (!dir)
        dir = cb_path_join(state_dir, "runtime");
    if (cb_mkdir_p(dir, 0700, err) < 0 || note_runtime_root(state_dir, dir, err) < 0) {
        free(dir);
        return NULL;
    }
    return dir;
}

int bld_rundir_remove(const char *dir, struct cb_err **err)
{
    return cb_rm_rf(dir, err);
}

int bld_runtime_force_delete(const char *runtime, const char *runtime_root, const char *id)
{
    int status = 0;
    pid_t pid = fork();
    if (pid < 0)
        return -1;
    if (pid == 0) {
        int devnull = open("/dev/null", O_RDWR | O_CLOEXEC);
        if (devnull >= 0) {
            dup2(devnull, 0);
            dup2(devnull, 1);
            dup2(devnull, 2);
        }
        execl(runtime, runtime, "--root", runtime_root, "delete", "--force", id, (char *)NULL);
        _exit(127);
    }
    while (waitpid(pid, &status, 0) < 0 && errno == EINTR)
        ;
    return WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
}

/* Whether the owner recorded in text ("PID START\n...") is still running. */
static int owner_alive(const char *text)
{
    long pid = strtol(text, NULL, 10);
    const char *sp = strchr(text, ' ');
    unsigned long long start = sp ? strtoull(sp + 1, NULL, 10) : 0;
    if (pid <= 0)
        return 0;
    if (kill((pid_t)pid, 0) < 0 && errno == ESRCH)
        return 0;
    return !start || proc_starttime((pid_t)pid) == start;
}

/* Clean one entry: delete its container when one is recorded, remove it. */
/* Whether dir was made in the last minute (a step directory between its
 * mkdir and its owner file, in this or another cbuild process). */
static bool young(const char *dir)
{
    struct stat st;
    return stat(dir, &st) == 0 && time(NULL) - st.st_mtime < 60;
}

/* Delete the container described by "RUNTIME\nROOT\nID\n" in text. */
static void delete_recorded(char *text)
{
    char *lines[3] = {0};
    size_t n = 0;
    for (char *p = text; p && *p && n < 3; n++) {
        lines[n] = p;
        p = strchr(p, '\n');
        if (p)
            *p++ = '\0';
    }
    if (n == 3 && *lines[0] && *lines[2])
        bld_runtime_force_delete(lines[0], lines[1], lines[2]);
}

static void delete_recorded_file(const char *dir, const char *name)
{
    cleanup_free char *path = cb_path_join(dir, name);
    cleanup_buf struct cb_buf b;
    cb_buf_init(&b, 64 << 10);
    if (cb_read_file(path, &b, NULL) == 0)
        delete_recorded(b.data);
}

/* The containers recorded in dir's "*.container" files. */
static void delete_containers_in(const char *dir)
{
    cleanup_dir DIR *d = opendir(dir);
    struct dirent *de;
    while (d && (de = readdir(d))) {
        size_t len = strlen(de->d_name);
        if (len > 10 && !strcmp(de->d_name + len - 10, ".container"))
            delete_recorded_file(dir, de->d_name);
    }
}

static int clean_entry(const char *dir, struct cb_err **err)
{
    cleanup_free char *owner = cb_path_join(dir, "owner");
    cleanup_buf struct cb_buf b;
    cleanup_err struct cb_err *e = NULL;
    char *nl;

    cb_buf_init(&b, 64 << 10);
    if (cb_read_file(owner, &b, &e) == 0 && owner_alive(cb_buf_str(&b)))
        return 0;
    if ((e || strtol(cb_buf_str(&b), NULL, 10) <= 0) && young(dir))
        return 0; /* being set up by a live process: its owner file comes next */
    nl = b.data ? strchr(b.data, '\n') : NULL;
    if (nl && nl[1]) /* an owner line followed by a container record */
        delete_recorded(nl + 1);
    delete_containers_in(dir);
    if (cb_rm_rf(dir, err) < 0)
        return cb_err_rc(err);
    cb_log_debug("removed leftover '%s'", dir);
    return 1;
}

int bld_rundir_clean_stale(const char *state_dir, struct cb_err **err)
{
    cleanup_dir DIR *d = opendir(state_dir);
    cleanup_strv_s struct cb_strv names = CB_STRV_INIT;
    struct dirent *de;
    int removed = 0;
    if (!d)
        return errno == ENOENT ? 0 : cb_fail(err, CB_EIO, errno, "open '%s'", state_dir);
    /* names first: removing entries while readdir() walks may skip some */
    while ((de = readdir(d)))
        if (de->d_name[0] != '.' && strcmp(de->d_name, "runtime") &&
            strcmp(de->d_name, "runtime-root"))
            cb_strv_push(&names, de->d_name);
    for (size_t i = 0; i < names.n; i++) {
        cleanup_free char *path = cb_path_join(state_dir, names.v[i]);
        int r = clean_entry(path, err);
        if (r < 0)
            return r;
        removed += r;
    }
    return removed;
}
