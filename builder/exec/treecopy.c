/* treecopy.c - recursive copy keeping metadata, optionally applying
 * overlay-form whiteouts (see treecopy.h). */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdbool.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <sys/xattr.h>
#include <unistd.h>

#include "treecopy.h"
#include "../../base/cleanup.h"
#include "../../base/fsutil.h"
#include "../../base/xalloc.h"
#include "../../base/banned.h"

#define OVL_PREFIX "trusted.overlay."

static int copy_dir(int sfd, int dfd, const char *path, unsigned flags, struct cb_err **err);

static bool is_whiteout(const struct stat *st)
{
    return S_ISCHR(st->st_mode) && st->st_rdev == makedev(0, 0);
}

/* Copy xattrs of the entry name in sfd to dfd's entry (not following links). */
static int copy_xattrs(const char *spath, const char *dpath, unsigned flags, struct cb_err **err)
{
    char names[8192], val[65536];
    ssize_t n = llistxattr(spath, names, sizeof(names));
    if (n < 0)
        return errno == ENOTSUP ? 0 : cb_fail(err, CB_EIO, errno, "list xattrs of '%s'", spath);
    for (char *k = names; k < names + n; k += strlen(k) + 1) {
        ssize_t vl;
        if (!(flags & BLD_COPY_OVERLAY_XATTRS) && !strncmp(k, OVL_PREFIX, strlen(OVL_PREFIX)))
            continue;
        vl = lgetxattr(spath, k, val, sizeof(val));
        if (vl < 0 || lsetxattr(dpath, k, val, (size_t)vl, 0) < 0)
            return cb_fail(err, CB_EIO, errno, "copy xattr '%s' of '%s'", k, spath);
    }
    return 0;
}

static int copy_meta(int dfd, const char *name, const struct stat *st, struct cb_err **err)
{
    struct timespec ts[2] = {st->st_atim, st->st_mtim};
    if (fchownat(dfd, name, st->st_uid, st->st_gid, AT_SYMLINK_NOFOLLOW) < 0)
        return cb_fail(err, CB_EIO, errno, "chown '%s'", name);
    if (!S_ISLNK(st->st_mode) && fchmodat(dfd, name, st->st_mode & 07777, 0) < 0)
        return cb_fail(err, CB_EIO, errno, "chmod '%s'", name);
    if (utimensat(dfd, name, ts, AT_SYMLINK_NOFOLLOW) < 0)
        return cb_fail(err, CB_EIO, errno, "set times of '%s'", name);
    return 0;
}

static int copy_reg(int sfd, int dfd, const char *name, const struct stat *st, struct cb_err **err)
{
    cleanup_close int in = openat(sfd, name, O_RDONLY | O_NOFOLLOW | O_CLOEXEC);
    cleanup_close int out = -1;
    off_t left = st->st_size;
    if (in < 0)
        return cb_fail(err, CB_EIO, errno, "open '%s'", name);
    out = openat(dfd, name, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0600);
    if (out < 0)
        return cb_fail(err, CB_EIO, errno, "create '%s'", name);
    while (left > 0) {
        ssize_t n = copy_file_range(in, NULL, out, NULL, (size_t)left, 0);
        if (n < 0 && errno == EINTR)
            continue;
        if (n < 0)
            return cb_fail(err, CB_EIO, errno, "copy '%s'", name);
        if (n == 0)
            break;
        left -= n;
    }
    return 0;
}

static int copy_leaf(int sfd, int dfd, const char *name, const struct stat *st, struct cb_err **err)
{
    if (S_ISREG(st->st_mode))
        return copy_reg(sfd, dfd, name, st, err);
    if (S_ISLNK(st->st_mode)) {
        char target[4096];
        ssize_t n = readlinkat(sfd, name, target, sizeof(target) - 1);
        if (n < 0)
            return cb_fail(err, CB_EIO, errno, "readlink '%s'", name);
        target[n] = '\0';
        if (symlinkat(target, dfd, name) < 0)
            return cb_fail(err, CB_EIO, errno, "symlink '%s'", name);
        return 0;
    }
    if (mknodat(dfd, name, st->st_mode, st->st_rdev) < 0)
        return cb_fail(err, CB_EIO, errno, "mknod '%s'", name);
    return 0;
}

static int is_opaque(int fd)
{
    char v[2] = {0};
    return fgetxattr(fd, OVL_PREFIX "opaque", v, 1) == 1 && v[0] == 'y';
}

/* Copy one directory entry; path is for messages and xattrs. */
static int copy_entry(int sfd, int dfd, const char *path, const char *name, unsigned flags,
                      struct cb_err **err)
{
    cleanup_free char *spath = xasprintf("%s/%s", path, name);
    cleanup_free char *dproc = NULL;
    struct stat st, dst;
    bool exists = fstatat(dfd, name, &dst, AT_SYMLINK_NOFOLLOW) == 0;

    if (fstatat(sfd, name, &st, AT_SYMLINK_NOFOLLOW) < 0)
        return cb_fail(err, CB_EIO, errno, "stat '%s'", spath);
    if ((flags & BLD_COPY_APPLY_WHITEOUTS) && is_whiteout(&st))
        return exists ? cb_rm_rf_at(dfd, name, err) : 0;
    if (exists && !(S_ISDIR(st.st_mode) && S_ISDIR(dst.st_mode)) && cb_rm_rf_at(dfd, name, err) < 0)
        return cb_err_rc(err);
    if (S_ISDIR(st.st_mode)) {
        cleanup_close int s2 = openat(sfd, name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
        cleanup_close int d2 = -1;
        if (s2 < 0)
            return cb_fail(err, CB_EIO, errno, "open '%s'", spath);
        if (exists && S_ISDIR(dst.st_mode) && (flags & BLD_COPY_APPLY_WHITEOUTS) && is_opaque(s2) &&
            cb_rm_rf_at(dfd, name, err) < 0)
            return cb_err_rc(err);
        if (mkdirat(dfd, name, 0700) < 0 && errno != EEXIST)
            return cb_fail(err, CB_EIO, errno, "mkdir '%s'", spath);
        d2 = openat(dfd, name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
        if (d2 < 0 || copy_dir(s2, d2, spath, flags, err) < 0)
            return d2 < 0 ? cb_fail(err, CB_EIO, errno, "open '%s'", name) : cb_err_rc(err);
    } else if (copy_leaf(sfd, dfd, name, &st, err) < 0) {
        return cb_err_rc(err);
    }
    dproc = xasprintf("/proc/self/fd/%d/%s", dfd, name);
    if (!S_ISLNK(st.st_mode) && copy_xattrs(spath, dproc, flags, err) < 0)
        return cb_err_rc(err);
    return copy_meta(dfd, name, &st, err);
}

static int copy_dir(int sfd, int dfd, const char *path, unsigned flags, struct cb_err **err)
{
    cleanup_dir DIR *d = NULL;
    int dup_fd = dup(sfd);
    struct dirent *de;
    if (dup_fd < 0 || !(d = fdopendir(dup_fd))) {
        if (dup_fd >= 0)
            close(dup_fd);
        return cb_fail(err, CB_EIO, errno, "read directory '%s'", path);
    }
    while ((de = readdir(d)))
        if (strcmp(de->d_name, ".") && strcmp(de->d_name, "..") &&
            copy_entry(sfd, dfd, path, de->d_name, flags, err) < 0)
            return cb_err_rc(err);
    return 0;
}

int bld_tree_copy(const char *src, const char *dst, unsigned flags, struct cb_err **err)
{
    cleanup_close int sfd = open(src, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    cleanup_close int dfd = -1;
    struct stat st;
    if (sfd < 0 || fstat(sfd, &st) < 0)
        return cb_fail(err, CB_EIO, errno, "open '%s'", src);
    if (cb_mkdir_p(dst, 0755, err) < 0)
        return cb_err_rc(err);
    dfd = open(dst, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (dfd < 0)
        return cb_fail(err, CB_EIO, errno, "open '%s'", dst);
    if (copy_dir(sfd, dfd, src, flags, err) < 0)
        return cb_wrap(err, "copy '%s' to '%s'", src, dst);
    if (fchown(dfd, st.st_uid, st.st_gid) < 0 || fchmod(dfd, st.st_mode & 07777) < 0)
        return cb_fail(err, CB_EIO, errno, "set owner of '%s'", dst);
    return 0;
}
