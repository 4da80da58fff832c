/* layer_apply.c - reading layers: apply one onto a directory (flat or as an
 * overlay lowerdir) without ever writing outside it, and list its entries.
 *
 * The target is walked one component at a time with O_NOFOLLOW from a
 * directory fd (openat2 RESOLVE_BENEATH|RESOLVE_NO_SYMLINKS as the fast
 * path), so no symlink, whether it came with the layer or was already there,
 * is ever followed; names are checked before anything is touched.  This is
 * libarchive's ARCHIVE_EXTRACT_SECURE_SYMLINKS | SECURE_NODOTDOT |
 * SECURE_NOABSOLUTEPATHS policy, done on descriptors instead of strings so a
 * later entry cannot race an earlier one. */
#include <archive.h>
#include <archive_entry.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <linux/openat2.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/sysmacros.h>
#include <sys/xattr.h>
#include <unistd.h>

#include "layer.h"
#include "tarw.h"
#include "../base/cleanup.h"
#include "../base/fsutil.h"
#include "../base/log.h"
#include "../base/strv.h"
#include "../base/xalloc.h"
#include "../base/banned.h"

#define TAR_CHUNK ((size_t)128 << 10)

/* Directory metadata set once its children are in place. */
struct dir_fixup {
    char *path;
    mode_t mode;
    int64_t mtime;
};

/* The reading side shared by apply and list. */
struct oci_layer_reader {
    struct oci_decompressor *dec;
    struct oci_source dec_src;
    struct oci_hasher *tar_h;
    uint64_t tar_size;
    unsigned char *buf;
    struct archive *a;
    struct cb_err *cb_err;
};

struct applier {
    const struct oci_layer_apply_opts *o;
    int rootfd;
    bool chown_ok;
    struct oci_layer_reader *r;
    char *cache_path; /* the parent directory last opened */
    int cache_fd;
    uint64_t *seen; /* hashes of paths this layer wrote (open addressing) */
    size_t n_seen, cap_seen;
    struct dir_fixup *dirs;
    size_t n_dirs, alloc_dirs;
    bool warned_owner, warned_dev, warned_xattr;
};

/* ---------------------------------------------------------------- reader */

static la_ssize_t reader_read(struct archive *a, void *ud, const void **out)
{
    struct oci_layer_reader *r = ud;
    ssize_t n = oci_decompressor_read(r->dec, r->buf, TAR_CHUNK, &r->cb_err);

    if (n < 0) {
        archive_set_error(a, EIO, "layer read failed");
        return -1;
    }
    if (r->tar_h)
        oci_hasher_update(r->tar_h, r->buf, (size_t)n);
    r->tar_size += (uint64_t)n;
    *out = r->buf;
    return n;
}

static int reader_fail(struct oci_layer_reader *r, struct cb_err **err, const char *what)
{
    if (r->cb_err) {
        cb_err_free(*err);
        *err = TAKE_PTR(r->cb_err);
        return cb_wrap(err, "%s", what);
    }
    return cb_fail(err, CB_EIO, 0, "%s: %s", what, archive_error_string(r->a));
}

static int reader_open(struct oci_layer_reader *r, const struct oci_source *in, bool digests,
                       struct cb_err **err)
{
    *r = (struct oci_layer_reader){0};
    r->dec = oci_decompressor_new(in, err);
    if (digests)
        r->tar_h = oci_hasher_new();
    else
        oci_decompressor_no_digest(r->dec);
    r->buf = xmalloc(TAR_CHUNK);
    r->a = archive_read_new();
    CB_BUG_ON(!r->a);
    if (archive_read_support_format_tar(r->a) != ARCHIVE_OK ||
        archive_read_support_format_empty(r->a) != ARCHIVE_OK ||
        archive_read_open(r->a, r, NULL, reader_read, NULL) != ARCHIVE_OK)
        return reader_fail(r, err, "read layer");
    return 0;
}

/* Drain what follows the tar's end marker so the digests cover the blob. */
static int reader_finish(struct oci_layer_reader *r, struct oci_layer_desc *desc, uint64_t entries,
                         struct cb_err **err)
{
    ssize_t n;

    while ((n = oci_decompressor_read(r->dec, r->buf, TAR_CHUNK, err)) > 0) {
        oci_hasher_update(r->tar_h, r->buf, (size_t)n);
        r->tar_size += (uint64_t)n;
    }
    if (n < 0)
        return cb_wrap(err, "read layer");
    if (desc) {
        desc->compression = oci_decompressor_format(r->dec);
        desc->diff_size = r->tar_size;
        desc->entries = entries;
        oci_hasher_final(r->tar_h, &desc->diff_id);
        oci_decompressor_input_digest(r->dec, &desc->digest, &desc->size);
    }
    return 0;
}

static void reader_close(struct oci_layer_reader *r)
{
    if (r->a)
        archive_read_free(r->a);
    oci_decompressor_free(r->dec);
    oci_hasher_free(r->tar_h);
    cb_err_free(r->cb_err);
    free(r->buf);
}

/* ---------------------------------------------------------------- names */

/* The entry's path made relative and checked: "./a/b/" -> "a/b".  Empty
 * means the root itself.  Absolute paths and ".." are refused. */
char *oci_layer_entry_clean(const char *raw, const char *what, struct cb_err **err)
{
    const char *p = raw;

    if (!p || *p == '/') {
        cb_fail(err, CB_EINVAL, 0, "layer entry '%s': %s is absolute", raw ? raw : "", what);
        return NULL;
    }
    while (p[0] == '.' && p[1] == '/')
        for (p += 2; *p == '/'; p++)
            ;
    char *s = xstrdup(strcmp(p, ".") == 0 ? "" : p);
    size_t n = strlen(s);
    while (n > 0 && s[n - 1] == '/')
        s[--n] = 0;
    for (const char *c = s; *c;) {
        const char *e = strchr(c, '/');
        size_t len = e ? (size_t)(e - c) : strlen(c);
        if (len == 0 || (len == 1 && c[0] == '.') || (len == 2 && c[0] == '.' && c[1] == '.')) {
            cb_fail(err, CB_EINVAL, 0, "layer entry '%s': %s has a '%.*s' component", raw, what,
                    (int)len, c);
            free(s);
            return NULL;
        }
        c = e ? e + 1 : c + len;
    }
    return s;
}

static uint64_t path_hash(const char *dir, const char *name)
{
    uint64_t h = 0xcbf29ce484222325ull;
    for (const char *p = dir; *p; p++)
        h = (h ^ (unsigned char)*p) * 0x100000001b3ull;
    if (*dir)
        h = (h ^ '/') * 0x100000001b3ull;
    for (const char *p = name; *p; p++)
        h = (h ^ (unsigned char)*p) * 0x100000001b3ull;
    return h | 1; /* 0 marks an empty slot */
}

static bool seen_has(const struct applier *ap, uint64_t h)
{
    for (size_t i = h & (ap->cap_seen - 1); ap->seen[i]; i = (i + 1) & (ap->cap_seen - 1))
        if (ap->seen[i] == h)
            return true;
    return false;
}

static void seen_add(struct applier *ap, uint64_t h)
{
    if (seen_has(ap, h))
        return;
    if ((ap->n_seen + 1) * 2 > ap->cap_seen) {
        uint64_t *old = ap->seen;
        size_t cap = ap->cap_seen;
        ap->cap_seen *= 2;
        ap->seen = xcalloc(ap->cap_seen, sizeof(*ap->seen));
        ap->n_seen = 0;
        for (size_t i = 0; i < cap; i++)
            if (old[i])
                seen_add(ap, old[i]);
        free(old);
    }
    size_t i = h & (ap->cap_seen - 1);
    while (ap->seen[i])
        i = (i + 1) & (ap->cap_seen - 1);
    ap->seen[i] = h;
    ap->n_seen++;
}

/* ---------------------------------------------------------------- walking */

/* Open dir (relative, clean) under the root, refusing symlinks anywhere on
 * the way; missing directories are created (0755) when create is set. */
static int walk_open(int rootfd, const char *dir, bool create, const char *entry,
                     struct cb_err **err)
{
    struct open_how how = {.flags = O_PATH | O_DIRECTORY | O_CLOEXEC,
                           .resolve = RESOLVE_BENEATH | RESOLVE_NO_SYMLINKS |
                                      RESOLVE_NO_MAGICLINKS | RESOLVE_NO_XDEV};
    int fd = (int)syscall(SYS_openat2, rootfd, *dir ? dir : ".", &how, sizeof(how));
    if (fd >= 0)
        return fd;
    fd = fcntl(rootfd, F_DUPFD_CLOEXEC, 0);
    for (const char *c = dir; fd >= 0 && *c;) {
        const char *e = strchr(c, '/');
        cleanup_free char *comp = e ? xstrndup(c, (size_t)(e - c)) : xstrdup(c);
        int next = openat(fd, comp, O_PATH | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
        /* a parent the layer did not list: 0755 whatever the umask */
        if (next < 0 && errno == ENOENT && create && mkdirat(fd, comp, 0700) == 0 &&
            fchmodat(fd, comp, 0755, 0) == 0)
            next = openat(fd, comp, O_PATH | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
        if (next < 0) {
            int saved = errno;
            struct stat st;
            bool link = fstatat(fd, comp, &st, AT_SYMLINK_NOFOLLOW) == 0 && S_ISLNK(st.st_mode);
            close(fd);
            cleanup_free char *upto = xstrndup(dir, (size_t)(c - dir) + strlen(comp));
            if (link)
                return cb_fail(err, CB_EINVAL, 0,
                               "layer entry '%s': refusing to write through symlink '%s'", entry,
                               upto);
            return cb_fail(err, CB_EINVAL, saved, "layer entry '%s': cannot open '%s'", entry,
                           upto);
        }
        close(fd);
        fd = next;
        c = e ? e + 1 : c + strlen(c);
    }
    if (fd < 0)
        return cb_fail(err, CB_EIO, errno, "dup");
    return fd;
}

/* The parent directory's fd (borrowed, cached for runs of siblings). */
static int parent_fd(struct applier *ap, const char *dir, const char *entry, struct cb_err **err)
{
    if (ap->cache_path && strcmp(ap->cache_path, dir) == 0)
        return ap->cache_fd;
    free(ap->cache_path);
    ap->cache_path = NULL;
    if (ap->cache_fd >= 0)
        close(ap->cache_fd);
    ap->cache_fd = walk_open(ap->rootfd, dir, true, entry, err);
    if (ap->cache_fd < 0)
        return ap->cache_fd;
    ap->cache_path = xstrdup(dir);
    return ap->cache_fd;
}

/* Forget the cached path (its fd stays open until the next walk: callers may
 * still hold it). */
static void cache_drop(struct applier *ap)
{
    free(ap->cache_path);
    ap->cache_path = NULL;
}

/* Remove whatever is at pfd/name (a tree too); a missing name is fine. */
static int remove_at(struct applier *ap, int pfd, const char *name, struct cb_err **err)
{
    cache_drop(ap); /* the cached directory might be the one going away */
    return cb_rm_rf_at(pfd, name, err);
}

/* ---------------------------------------------------------------- metadata */

#define WARN_ONCE(flag, ...)                                                                       \
    do {                                                                                           \
        if (!(flag))                                                                               \
            cb_log_warn(__VA_ARGS__);                                                              \
        (flag) = true;                                                                             \
    } while (0)

static int set_xattr(struct applier *ap, int pfd, const char *name, const char *key,
                     const void *val, size_t len, const char *entry, struct cb_err **err)
{
    char path[64 + 4096];

    snprintf(path, sizeof(path), "/proc/self/fd/%d/%s", pfd, name);
    if (lsetxattr(path, key, val, len, 0) == 0)
        return 0;
    if (errno == ENOTSUP || errno == EPERM || errno == EACCES) {
        WARN_ONCE(ap->warned_xattr, "layer: cannot set xattrs (first: '%s'); dropped", entry);
        return 0;
    }
    return cb_fail(err, CB_EIO, errno, "layer entry '%s': set xattr '%s'", entry, key);
}

static int set_owner(struct applier *ap, int pfd, const char *name, struct archive_entry *e,
                     const char *entry, struct cb_err **err)
{
    uid_t uid = (uid_t)archive_entry_uid(e);
    gid_t gid = (gid_t)archive_entry_gid(e);
    unsigned char v[12];

    if (ap->o->drop_owners)
        return 0;
    if (ap->chown_ok) {
        if (fchownat(pfd, name, uid, gid, AT_SYMLINK_NOFOLLOW) < 0)
            return cb_fail(err, CB_EIO, errno, "layer entry '%s': chown", entry);
        return 0;
    }
    if ((uid == 0 && gid == 0) || archive_entry_filetype(e) == AE_IFLNK)
        return 0;
    size_t n = oci_owner_xattr_encode(uid, gid, v);
    char path[64 + 4096];
    snprintf(path, sizeof(path), "/proc/self/fd/%d/%s", pfd, name);
    if (lsetxattr(path, OCI_LAYER_OWNER_XATTR, v, n, 0) < 0)
        WARN_ONCE(ap->warned_owner, "layer: not root, ownership dropped (first: '%s')", entry);
    return 0;
}

/* Owner, mode, xattrs, mtime: in that order, since chown clears setuid bits
 * and security.capability. */
static int set_meta(struct applier *ap, int pfd, const char *name, struct archive_entry *e,
                    const char *entry, struct cb_err **err)
{
    const char *key;
    const void *val;
    size_t len;
    bool dir = archive_entry_filetype(e) == AE_IFDIR;

    if (set_owner(ap, pfd, name, e, entry, err) < 0)
        return cb_err_rc(err);
    if (archive_entry_filetype(e) != AE_IFLNK && !dir &&
        fchmodat(pfd, name, archive_entry_perm(e), 0) < 0)
        return cb_fail(err, CB_EIO, errno, "layer entry '%s': chmod", entry);
    archive_entry_xattr_reset(e);
    while (archive_entry_xattr_next(e, &key, &val, &len) == ARCHIVE_OK) {
        if (oci_tarw_xattr_skipped(key))
            continue;
        if (set_xattr(ap, pfd, name, key, val, len, entry, err) < 0)
            return cb_err_rc(err);
    }
    if (dir)
        return 0;
    struct timespec ts[2] = {{archive_entry_mtime(e), 0}, {archive_entry_mtime(e), 0}};
    if (utimensat(pfd, name, ts, AT_SYMLINK_NOFOLLOW) < 0)
        return cb_fail(err, CB_EIO, errno, "layer entry '%s': set times", entry);
    return 0;
}

/* ---------------------------------------------------------------- entries */

static int write_file(struct applier *ap, int pfd, const char *name, struct archive_entry *e,
                      const char *entry, struct cb_err **err)
{
    cleanup_close int fd =
        openat(pfd, name, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0600);
    const void *buf;
    size_t size;
    la_int64_t off;
    int r;

    if (fd < 0)
        return cb_fail(err, CB_EIO, errno, "layer entry '%s': create", entry);
    while ((r = archive_read_data_block(ap->r->a, &buf, &size, &off)) == ARCHIVE_OK) {
        for (size_t done = 0; done < size;) {
            ssize_t n = pwrite(fd, (const char *)buf + done, size - done, (off_t)off + (off_t)done);
            if (n < 0 && errno != EINTR)
                return cb_fail(err, CB_EIO, errno, "layer entry '%s': write", entry);
            done += n > 0 ? (size_t)n : 0;
        }
    }
    if (r != ARCHIVE_EOF) {
        reader_fail(ap->r, err, "read layer");
        return cb_wrap(err, "layer entry '%s'", entry);
    }
    if (ftruncate(fd, (off_t)archive_entry_size(e)) < 0)
        return cb_fail(err, CB_EIO, errno, "layer entry '%s': truncate", entry);
    return 0;
}

static int make_hardlink(struct applier *ap, int pfd, const char *name, struct archive_entry *e,
                         const char *entry, struct cb_err **err)
{
    cleanup_free char *target =
        oci_layer_entry_clean(archive_entry_hardlink(e), "hardlink target", err);
    struct stat st;

    if (!target)
        return cb_err_rc(err);
    char *slash = strrchr(target, '/');
    const char *tbase = slash ? slash + 1 : target;
    if (slash)
        *slash = 0;
    cleanup_close int tfd = walk_open(ap->rootfd, slash ? target : "", false, entry, err);
    if (tfd < 0)
        return tfd;
    if (fstatat(tfd, tbase, &st, AT_SYMLINK_NOFOLLOW) < 0 || S_ISDIR(st.st_mode))
        return cb_fail(err, CB_EINVAL, 0, "layer entry '%s': hardlink target '%s' is missing",
                       entry, archive_entry_hardlink(e));
    if (remove_at(ap, pfd, name, err) < 0)
        return cb_err_rc(err);
    if (linkat(tfd, tbase, pfd, name, 0) < 0)
        return cb_fail(err, CB_EIO, errno, "layer entry '%s': link", entry);
    return 0;
}

static bool may_mknod(const struct applier *ap)
{
    return geteuid() == 0;
}

/* A non-directory, non-hardlink entry: replace what is there. */
static int make_node(struct applier *ap, int pfd, const char *name, struct archive_entry *e,
                     const char *entry, struct cb_err **err)
{
    mode_t type = archive_entry_filetype(e);

    if ((type == AE_IFCHR || type == AE_IFBLK) && !may_mknod(ap)) {
        WARN_ONCE(ap->warned_dev, "layer: not root, device nodes skipped (first: '%s')", entry);
        return 0;
    }
    if (type != AE_IFREG && type != AE_IFLNK && type != AE_IFCHR && type != AE_IFBLK &&
        type != AE_IFIFO)
        return cb_fail(err, CB_EINVAL, 0, "layer entry '%s': unsupported type 0%o", entry,
                       (unsigned)type);
    if (remove_at(ap, pfd, name, err) < 0)
        return cb_err_rc(err);
    int r = 0;
    if (type == AE_IFREG)
        r = write_file(ap, pfd, name, e, entry, err);
    else if (type == AE_IFLNK)
        r = symlinkat(archive_entry_symlink(e) ? archive_entry_symlink(e) : "", pfd, name) < 0
                ? cb_fail(err, CB_EIO, errno, "layer entry '%s': symlink", entry)
                : 0;
    else if (mknodat(pfd, name, type | 0600,
                     type == AE_IFIFO
                         ? 0
                         : makedev(archive_entry_rdevmajor(e), archive_entry_rdevminor(e))) < 0)
        r = cb_fail(err, CB_EIO, errno, "layer entry '%s': mknod", entry);
    return r < 0 ? r : set_meta(ap, pfd, name, e, entry, err);
}

static int make_dir(struct applier *ap, int pfd, const char *path, const char *name,
                    struct archive_entry *e, struct cb_err **err)
{
    struct stat st;

    if (fstatat(pfd, name, &st, AT_SYMLINK_NOFOLLOW) < 0 || !S_ISDIR(st.st_mode)) {
        if (remove_at(ap, pfd, name, err) < 0)
            return cb_err_rc(err);
        if (mkdirat(pfd, name, 0700) < 0)
            return cb_fail(err, CB_EIO, errno, "layer entry '%s': mkdir", path);
    }
    if (set_meta(ap, pfd, name, e, path, err) < 0)
        return cb_err_rc(err);
    XGROW(ap->dirs, ap->n_dirs + 1, ap->alloc_dirs);
    ap->dirs[ap->n_dirs++] =
        (struct dir_fixup){xstrdup(path), archive_entry_perm(e), archive_entry_mtime(e)};
    return 0;
}

/* ---------------------------------------------------------------- whiteouts */

/* Empty dir (open as pfd) of everything this layer did not put there. */
static int opaque_clear(struct applier *ap, int pfd, const char *dir, struct cb_err **err)
{
    cleanup_close int fd = openat(pfd, ".", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    DIR *d = fd >= 0 ? fdopendir(fd) : NULL;
    struct dirent *de;
    struct cb_strv doomed = CB_STRV_INIT;
    int r = 0;

    if (!d)
        return cb_fail(err, CB_EIO, errno, "open '%s'", dir);
    fd = -1;
    while ((de = readdir(d)))
        if (strcmp(de->d_name, ".") && strcmp(de->d_name, "..") &&
            !seen_has(ap, path_hash(dir, de->d_name)))
            cb_strv_push(&doomed, de->d_name);
    closedir(d);
    for (size_t i = 0; i < doomed.n && r >= 0; i++)
        r = remove_at(ap, pfd, doomed.v[i], err);
    cb_strv_release(&doomed);
    return r;
}

static int whiteout(struct applier *ap, int pfd, const char *dir, const char *base,
                    const char *entry, struct cb_err **err)
{
    const char *name = base + 4;
    bool overlay = ap->o->mode == OCI_APPLY_OVERLAY;

    if (strcmp(base, ".wh..wh..opq") == 0) {
        if (!overlay)
            return opaque_clear(ap, pfd, dir, err);
        char path[64];
        snprintf(path, sizeof(path), "/proc/self/fd/%d", pfd);
        const char *key = ap->o->userxattr ? "user.overlay.opaque" : "trusted.overlay.opaque";
        if (setxattr(path, key, "y", 1, 0) < 0)
            return cb_fail(err, CB_EIO, errno, "layer entry '%s': set %s", entry, key);
        return 0;
    }
    if (strncmp(name, ".wh.", 4) == 0)
        return 0; /* aufs internals (.wh..wh.plnk etc.) carry nothing */
    if (!*name || strcmp(name, ".") == 0 || strcmp(name, "..") == 0)
        return cb_fail(err, CB_EINVAL, 0, "layer entry '%s': bad whiteout", entry);
    if (remove_at(ap, pfd, name, err) < 0)
        return cb_err_rc(err);
    if (overlay && mknodat(pfd, name, S_IFCHR, makedev(0, 0)) < 0)
        return cb_fail(err, CB_EIO, errno, "layer entry '%s': make overlay whiteout", entry);
    seen_add(ap, path_hash(dir, name));
    return 0;
}

/* ---------------------------------------------------------------- apply */

static int apply_entry(struct applier *ap, struct archive_entry *e, struct cb_err **err)
{
    const char *raw = archive_entry_pathname(e);
    cleanup_free char *path = oci_layer_entry_clean(raw, "path", err);

    if (!path)
        return cb_err_rc(err);
    if (!*path)
        return 0; /* the root itself: the target's own metadata stays */
    char *slash = strrchr(path, '/');
    cleanup_free char *dir = slash ? xstrndup(path, (size_t)(slash - path)) : xstrdup("");
    const char *base = slash ? slash + 1 : path;
    int pfd = parent_fd(ap, dir, path, err);
    if (pfd < 0)
        return pfd;
    if (strncmp(base, ".wh.", 4) == 0)
        return whiteout(ap, pfd, dir, base, path, err);
    seen_add(ap, path_hash(dir, base));
    if (archive_entry_hardlink(e))
        return make_hardlink(ap, pfd, base, e, path, err);
    if (archive_entry_filetype(e) == AE_IFDIR)
        return make_dir(ap, pfd, path, base, e, err);
    return make_node(ap, pfd, base, e, path, err);
}

/* Directory modes and mtimes, deepest first, once nothing more goes in. */
static int fix_dirs(struct applier *ap, struct cb_err **err)
{
    for (size_t i = ap->n_dirs; i-- > 0;) {
        const struct dir_fixup *f = &ap->dirs[i];
        cleanup_close int fd = walk_open(ap->rootfd, f->path, false, f->path, err);
        if (fd < 0) {
            /* removed by a later whiteout, or replaced by a non-directory */
            if ((*err)->code != CB_EINVAL)
                return cb_err_rc(err);
            cb_err_free(TAKE_PTR(*err));
            continue;
        }
        cleanup_close int dfd = openat(fd, ".", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
        struct timespec ts[2] = {{f->mtime, 0}, {f->mtime, 0}};
        if (dfd < 0 || fchmod(dfd, f->mode) < 0 || futimens(dfd, ts) < 0)
            return cb_fail(err, CB_EIO, errno, "layer entry '%s': set directory metadata", f->path);
    }
    return 0;
}

static void applier_release(struct applier *ap)
{
    for (size_t i = 0; i < ap->n_dirs; i++)
        free(ap->dirs[i].path);
    free(ap->dirs);
    free(ap->seen);
    free(ap->cache_path);
    if (ap->cache_fd >= 0)
        close(ap->cache_fd);
    if (ap->rootfd >= 0)
        close(ap->rootfd);
}

static int apply_all(struct applier *ap, uint64_t *entries, struct cb_err **err)
{
    struct archive_entry *e;

    for (;;) {
        int r = archive_read_next_header(ap->r->a, &e);
        if (r == ARCHIVE_EOF)
            break;
        if (r < ARCHIVE_WARN)
            return reader_fail(ap->r, err, "read layer");
        if (apply_entry(ap, e, err) < 0)
            return cb_err_rc(err);
        (*entries)++;
    }
    return fix_dirs(ap, err);
}

int oci_layer_apply(const struct oci_source *in, const char *target,
                    const struct oci_layer_apply_opts *o, struct oci_layer_desc *desc,
                    struct cb_err **err)
{
    static const struct oci_layer_apply_opts defaults = {0};
    struct oci_layer_reader r;
    struct applier ap = {.o = o ? o : &defaults, .cache_fd = -1, .r = &r};
    uint64_t entries = 0;
    int rc;

    ap.chown_ok = geteuid() == 0 && !ap.o->no_chown;
    ap.cap_seen = 1024;
    ap.seen = xcalloc(ap.cap_seen, sizeof(*ap.seen));
    ap.rootfd = open(target, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (ap.rootfd < 0)
        rc = cb_fail(err, CB_EIO, errno, "open '%s'", target);
    else if ((rc = reader_open(&r, in, true, err)) >= 0 &&
             (rc = apply_all(&ap, &entries, err)) >= 0)
        rc = reader_finish(&r, desc, entries, err);
    if (ap.rootfd >= 0)
        reader_close(&r);
    applier_release(&ap);
    return rc < 0 ? cb_wrap(err, "apply layer to '%s'", target) : 0;
}

int oci_layer_apply_file(const char *blob, const char *target, const struct oci_layer_apply_opts *o,
                         struct oci_layer_desc *desc, struct cb_err **err)
{
    cleanup_close int fd = open(blob, O_RDONLY | O_CLOEXEC);

    if (fd < 0)
        return cb_fail(err, CB_EIO, errno, "open '%s'", blob);
    struct oci_source src = oci_source_fd(fd);
    return oci_layer_apply(&src, target, o, desc, err);
}

/* ---------------------------------------------------------------- list */

static void fill_entry(struct oci_layer_reader *r, struct archive_entry *e,
                       struct oci_layer_entry *out)
{
    mode_t t = archive_entry_filetype(e);

    *out = (struct oci_layer_entry){
        .reader = r,
        .path = archive_entry_pathname(e),
        .mode = archive_entry_perm(e),
        .uid = (uid_t)archive_entry_uid(e),
        .gid = (gid_t)archive_entry_gid(e),
        .size = (uint64_t)archive_entry_size(e),
        .mtime = archive_entry_mtime(e),
        .rdev_major = (unsigned)archive_entry_rdevmajor(e),
        .rdev_minor = (unsigned)archive_entry_rdevminor(e),
        .n_xattrs = (size_t)archive_entry_xattr_count(e),
    };
    out->type = t == AE_IFDIR   ? OCI_ENTRY_DIR
                : t == AE_IFLNK ? OCI_ENTRY_SYMLINK
                : t == AE_IFCHR ? OCI_ENTRY_CHAR
                : t == AE_IFBLK ? OCI_ENTRY_BLOCK
                : t == AE_IFIFO ? OCI_ENTRY_FIFO
                                : OCI_ENTRY_FILE;
    if (archive_entry_hardlink(e)) {
        out->type = OCI_ENTRY_HARDLINK;
        out->linkname = archive_entry_hardlink(e);
    } else if (t == AE_IFLNK) {
        out->linkname = archive_entry_symlink(e);
    }
}

static int list_all(struct oci_layer_reader *r, oci_layer_entry_fn fn, void *ud, uint64_t *entries,
                    struct cb_err **err)
{
    struct archive_entry *e;
    struct oci_layer_entry le;

    for (;;) {
        int rc = archive_read_next_header(r->a, &e);
        if (rc == ARCHIVE_EOF)
            return 0;
        if (rc < ARCHIVE_WARN)
            return reader_fail(r, err, "read layer");
        fill_entry(r, e, &le);
        if ((rc = fn(ud, &le, err)) != 0)
            return rc;
        (*entries)++;
    }
}

int oci_layer_list(const struct oci_source *in, oci_layer_entry_fn fn, void *userdata,
                   struct oci_layer_desc *desc, struct cb_err **err)
{
    struct oci_layer_reader r;
    uint64_t entries = 0;
    int rc = reader_open(&r, in, desc != NULL, err);

    if (rc >= 0 && (rc = list_all(&r, fn, userdata, &entries, err)) == 0 && desc)
        rc = reader_finish(&r, desc, entries, err);
    reader_close(&r);
    return rc < 0 ? rc : 0;
}

ssize_t oci_layer_entry_read(const struct oci_layer_entry *e, void *buf, size_t len,
                             struct cb_err **err)
{
    struct oci_layer_reader *r = e->reader;
    la_ssize_t n = archive_read_data(r->a, buf, len);

    if (n < 0)
        return reader_fail(r, err, "read layer");
    return n;
}
