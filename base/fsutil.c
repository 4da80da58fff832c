/* fsutil.c - file helpers used by every layer. */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <linux/openat2.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "cleanup.h"
#include "fsutil.h"
#include "xalloc.h"
#include "banned.h"

int cb_write_all(int fd, const void *data, size_t len, struct cb_err **err)
{
    const char *p = data;

    while (len > 0) {
        ssize_t n = write(fd, p, len);
        if (n < 0) {
            if (errno == EINTR)
                continue;
            return cb_fail(err, CB_EIO, errno, "write");
        }
        p += n;
        len -= (size_t)n;
    }
    return 0;
}

int cb_read_all(int fd, struct cb_buf *out, struct cb_err **err)
{
    char chunk[65536];

    for (;;) {
        ssize_t n = read(fd, chunk, sizeof(chunk));
        if (n < 0) {
            if (errno == EINTR)
                continue;
            return cb_fail(err, CB_EIO, errno, "read");
        }
        if (n == 0)
            return 0;
        if (cb_buf_add(out, chunk, (size_t)n, err) < 0)
            return -CB_EINVAL;
    }
}

int cb_write_file_atomic_at(int dirfd, const char *name, const void *data, size_t len, mode_t mode,
                            struct cb_err **err)
{
    cleanup_free char *tmp = NULL;
    cleanup_close int fd = -1;
    const char *slash = strrchr(name, '/');
    cleanup_free char *dir = slash ? xstrndup(name, (size_t)(slash - name + 1)) : xstrdup("");
    int rc;

    for (int attempt = 0; fd < 0; attempt++) {
        free(tmp);
        tmp = xasprintf("%s.tmp-%s-%d-%x", dir, slash ? slash + 1 : name, (int)getpid(),
                        (unsigned)random() ^ (unsigned)attempt);
        fd = openat(dirfd, tmp, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, mode);
        if (fd < 0 && (errno != EEXIST || attempt > 16))
            return cb_fail(err, CB_EIO, errno, "create '%s'", tmp);
    }
    rc = cb_write_all(fd, data, len, err);
    if (rc == 0 && fchmod(fd, mode) < 0)
        rc = cb_fail(err, CB_EIO, errno, "chmod '%s'", tmp);
    if (rc == 0 && fsync(fd) < 0)
        rc = cb_fail(err, CB_EIO, errno, "fsync '%s'", tmp);
    if (rc == 0 && close(TAKE_FD(fd)) < 0)
        rc = cb_fail(err, CB_EIO, errno, "close '%s'", tmp);
    if (rc == 0 && renameat(dirfd, tmp, dirfd, name) < 0)
        rc = cb_fail(err, CB_EIO, errno, "rename '%s' to '%s'", tmp, name);
    if (rc < 0) {
        unlinkat(dirfd, tmp, 0);
        return cb_wrap(err, "write '%s'", name);
    }
    {
        cleanup_close int dfd = openat(dirfd, *dir ? dir : ".", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
        if (dfd >= 0)
            fsync(dfd);
    }
    return 0;
}

int cb_write_file_atomic(const char *path, const void *data, size_t len, mode_t mode,
                         struct cb_err **err)
{
    return cb_write_file_atomic_at(AT_FDCWD, path, data, len, mode, err);
}

int cb_read_file_at(int dirfd, const char *path, struct cb_buf *out, struct cb_err **err)
{
    cleanup_close int fd = openat(dirfd, path, O_RDONLY | O_CLOEXEC);

    if (fd < 0)
        return cb_fail(err, errno == ENOENT ? CB_ENOTFOUND : CB_EIO, errno, "open '%s'", path);
    if (cb_read_all(fd, out, err) < 0)
        return cb_wrap(err, "read '%s'", path);
    return 0;
}

int cb_read_file(const char *path, struct cb_buf *out, struct cb_err **err)
{
    return cb_read_file_at(AT_FDCWD, path, out, err);
}

int cb_mkdir_p(const char *path, mode_t mode, struct cb_err **err)
{
    cleanup_free char *p = xstrdup(path);
    size_t len = strlen(p);
    struct stat st;

    while (len > 1 && p[len - 1] == '/')
        p[--len] = '\0';
    for (char *s = p + 1;; s++) {
        if (*s != '/' && *s != '\0')
            continue;
        char saved = *s;
        *s = '\0';
        if (mkdir(p, mode) < 0 && errno != EEXIST)
            return cb_fail(err, CB_EIO, errno, "mkdir '%s'", p);
        *s = saved;
        if (saved == '\0')
            break;
    }
    if (stat(p, &st) < 0)
        return cb_fail(err, CB_EIO, errno, "stat '%s'", p);
    if (!S_ISDIR(st.st_mode))
        return cb_fail(err, CB_EIO, ENOTDIR, "mkdir '%s'", p);
    return 0;
}

static int rm_children(int dfd, const char *what, struct cb_err **err)
{
    cleanup_dir DIR *d = fdopendir(dfd);
    struct dirent *de;

    if (!d) {
        close(dfd);
        return cb_fail(err, CB_EIO, errno, "opendir '%s'", what);
    }
    while ((de = readdir(d))) {
        if (!strcmp(de->d_name, ".") || !strcmp(de->d_name, ".."))
            continue;
        if (cb_rm_rf_at(dirfd(d), de->d_name, err) < 0)
            return cb_wrap(err, "remove '%s'", what);
    }
    return 0;
}

int cb_rm_rf_at(int dirfd, const char *name, struct cb_err **err)
{
    struct stat st;
    int fd;

    if (fstatat(dirfd, name, &st, AT_SYMLINK_NOFOLLOW) < 0)
        return errno == ENOENT ? 0 : cb_fail(err, CB_EIO, errno, "stat '%s'", name);
    if (!S_ISDIR(st.st_mode)) {
        if (unlinkat(dirfd, name, 0) < 0 && errno != ENOENT)
            return cb_fail(err, CB_EIO, errno, "unlink '%s'", name);
        return 0;
    }
    fd = openat(dirfd, name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
    if (fd < 0)
        return cb_fail(err, CB_EIO, errno, "open '%s'", name);
    if (rm_children(fd, name, err) < 0)
        return -CB_EIO;
    if (unlinkat(dirfd, name, AT_REMOVEDIR) < 0 && errno != ENOENT)
        return cb_fail(err, CB_EIO, errno, "rmdir '%s'", name);
    return 0;
}

int cb_rm_rf(const char *path, struct cb_err **err)
{
    return cb_rm_rf_at(AT_FDCWD, path, err);
}

char *cb_mkdtemp(const char *dir, const char *prefix, struct cb_err **err)
{
    char *p = xasprintf("%s/%sXXXXXX", dir, prefix);

    if (!mkdtemp(p)) {
        cb_fail(err, CB_EIO, errno, "create a temp directory in '%s'", dir);
        free(p);
        return NULL;
    }
    return p;
}

/* The walk openat2(RESOLVE_IN_ROOT) does, for kernels (and tools such as
 * valgrind) without openat2: one component at a time with O_NOFOLLOW,
 * symlinks resolved by hand against the root, ".." never above it.  The
 * path being walked is kept as a stack of directory fds. */
#define BENEATH_MAX_DEPTH 256
#define BENEATH_MAX_LINKS 40

struct walk {
    int fds[BENEATH_MAX_DEPTH];
    size_t n; /* fds[0] is the root (borrowed) */
};

static void walk_pop_all(struct walk *w)
{
    while (w->n > 1)
        close(w->fds[--w->n]);
}

/* Replace *rest with target + "/" + the rest after the current component. */
static char *splice_link(const char *target, const char *after)
{
    return *after ? xasprintf("%s/%s", target, after) : xstrdup(target);
}

static int beneath_fallback(int rootfd, const char *path, int flags, mode_t mode)
{
    struct walk w = {.fds = {rootfd}, .n = 1};
    char *rest = xstrdup(path);
    int links = 0, fd = -1;

    for (;;) {
        char *p = rest, *slash, *comp, *after;
        while (*p == '/')
            p++;
        if (!*p) { /* the root itself, or a path ending in "/" */
            fd = openat(w.fds[w.n - 1], ".", (flags & ~(O_CREAT | O_EXCL)) | O_CLOEXEC);
            break;
        }
        slash = strchr(p, '/');
        comp = slash ? xstrndup(p, (size_t)(slash - p)) : xstrdup(p);
        after = slash ? slash + 1 : p + strlen(p);
        while (*after == '/')
            after++;
        if (!strcmp(comp, ".") || !strcmp(comp, "..")) {
            if (comp[1] == '.' && w.n > 1)
                close(w.fds[--w.n]);
            memmove(rest, after, strlen(after) + 1);
            free(comp);
            continue;
        }
        {
            struct stat st;
            char target[PATH_MAX];
            ssize_t n;
            bool last = !*after;
            int dirfd = w.fds[w.n - 1];
            if (fstatat(dirfd, comp, &st, AT_SYMLINK_NOFOLLOW) == 0 && S_ISLNK(st.st_mode) &&
                !(last && (flags & O_NOFOLLOW))) {
                n = readlinkat(dirfd, comp, target, sizeof(target) - 1);
                free(comp);
                if (n < 0 || ++links > BENEATH_MAX_LINKS) {
                    if (n >= 0)
                        errno = ELOOP;
                    break;
                }
                target[n] = '\0';
                if (target[0] == '/')
                    walk_pop_all(&w);
                {
                    char *r = splice_link(target, after);
                    free(rest);
                    rest = r;
                }
                continue;
            }
            if (last) {
                /* "name/" must be a directory */
                int dir = slash ? O_DIRECTORY : 0;
                fd = openat(dirfd, comp, flags | dir | O_NOFOLLOW | O_CLOEXEC, mode);
                free(comp);
                break;
            }
            if (w.n == BENEATH_MAX_DEPTH) {
                free(comp);
                errno = ENAMETOOLONG;
                break;
            }
            fd = openat(dirfd, comp, O_PATH | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
            free(comp);
            if (fd < 0)
                break;
            w.fds[w.n++] = fd;
            fd = -1;
            memmove(rest, after, strlen(after) + 1);
        }
    }
    {
        int saved = errno;
        walk_pop_all(&w);
        free(rest);
        errno = saved;
    }
    return fd;
}

int cb_open_beneath(int rootfd, const char *path, int flags, mode_t mode, struct cb_err **err)
{
    struct open_how how = {
        .flags = (unsigned long long)(flags | O_CLOEXEC),
        .mode = (flags & (O_CREAT | O_TMPFILE)) ? mode : 0,
        .resolve = RESOLVE_IN_ROOT | RESOLVE_NO_MAGICLINKS,
    };
    long fd;

    do
        fd = syscall(SYS_openat2, rootfd, path, &how, sizeof(how));
    while (fd < 0 && (errno == EAGAIN || errno == EINTR));
    if (fd < 0 && errno == ENOSYS)
        fd = beneath_fallback(rootfd, path, flags, mode);
    if (fd < 0)
        return cb_fail(err, errno == ENOENT ? CB_ENOTFOUND : CB_EIO, errno, "open '%s'", path);
    return (int)fd;
}

/* For tests: the walk used without openat2. */
int cb_open_beneath_walk(int rootfd, const char *path, int flags, mode_t mode, struct cb_err **err)
{
    int fd = beneath_fallback(rootfd, path, flags, mode);
    if (fd < 0)
        return cb_fail(err, errno == ENOENT ? CB_ENOTFOUND : CB_EIO, errno, "open '%s'", path);
    return fd;
}

int cb_fsync_dir(const char *dir, struct cb_err **err)
{
    cleanup_close int fd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);

    if (fd < 0)
        return cb_fail(err, CB_EIO, errno, "open '%s'", dir);
    if (fsync(fd) < 0)
        return cb_fail(err, CB_EIO, errno, "fsync '%s'", dir);
    return 0;
}

char *cb_path_join(const char *a, const char *b)
{
    size_t la = strlen(a);

    while (la > 0 && a[la - 1] == '/')
        la--;
    while (*b == '/')
        b++;
    return xasprintf("%.*s/%s", (int)la, a, b);
}

int cb_path_exists(const char *path)
{
    struct stat st;
    return lstat(path, &st) == 0;
}
