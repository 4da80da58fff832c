/* copy_into.c - the destination half of COPY/ADD: creating files, links and
 * directories inside a rootfs opened as a directory fd.  Destination paths
 * are always resolved in-root (openat2 RESOLVE_IN_ROOT), so a symlink in the
 * image can never send a write outside it. */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/sendfile.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <unistd.h>

#include "copy.h"
#include "exec/user.h"
#include "../oci/layer.h"
#include "../oci/unarchive.h"
#include "../base/cleanup.h"
#include "../base/fsutil.h"
#include "../base/xalloc.h"
#include "../base/banned.h"

struct owner {
    bool set; /* chown to uid/gid; otherwise keep (--from) or 0:0 */
    uid_t uid;
    gid_t gid;
};

/* A source file with more than one link, and where its first name went. */
struct hardlink {
    dev_t dev;
    ino_t ino;
    char *dst;
};

struct copy_ctx {
    size_t base; /* length of the current source's own path in rel */
    int rootfd;
    const struct bld_copy_req *r;
    struct owner own;
    /* names of one inode stay one inode, as BuildKit keeps them: an open
     * addressing table by (dev, ino); a pnpm node_modules has one entry per
     * file, so a linear search would be quadratic */
    struct hardlink *links; /* dst NULL: an empty slot */
    size_t n_links, cap_links;
};

static int mkdir_in_root_depth(int rootfd, const char *path, const struct owner *own, mode_t mode,
                               int depth, struct cb_err **err);

/* name in parent is a symlink that leads nowhere yet: create its target
 * (resolved inside the root) so that the walk can go through it. */
static int mkdir_link_target(int rootfd, int parent, const char *dir, const char *name,
                             const struct owner *own, mode_t mode, int depth, struct cb_err **err)
{
    char target[PATH_MAX];
    ssize_t n = readlinkat(parent, name, target, sizeof(target) - 1);
    cleanup_free char *abs = NULL;
    int fd;

    if (n < 0)
        return cb_fail(err, CB_EIO, errno, "readlink '%s/%s'", dir, name);
    target[n] = '\0';
    abs = target[0] == '/' ? xstrdup(target) : xasprintf("%s/%s", *dir ? dir : "", target);
    fd = mkdir_in_root_depth(rootfd, abs, own, mode, depth + 1, err);
    if (fd < 0)
        return fd;
    close(fd);
    return 0;
}

/* Open (creating as needed, owned by own) the directory path inside root. */
static int mkdir_in_root_depth(int rootfd, const char *path, const struct owner *own, mode_t mode,
                               int depth, struct cb_err **err)
{
    cleanup_free char *p = xstrdup(path);
    size_t len = strlen(p);

    if (depth > 40)
        return cb_fail(err, CB_EIO, ELOOP, "create directory '%s'", path);
    for (size_t i = 1; i <= len; i++) {
        if (p[i] != '/' && p[i] != '\0')
            continue;
        char saved = p[i];
        p[i] = '\0';
        int fd = cb_open_beneath(rootfd, p, O_RDONLY | O_DIRECTORY, 0, NULL);
        if (fd >= 0) {
            close(fd);
        } else {
            char *slash = strrchr(p, '/');
            cleanup_close int parent = -1;
            struct stat st;
            *slash = '\0';
            parent = cb_open_beneath(rootfd, *p ? p : "/", O_RDONLY | O_DIRECTORY, 0, err);
            if (parent < 0) {
                *slash = '/';
                return cb_wrap(err, "create directory '%s'", path);
            }
            if (fstatat(parent, slash + 1, &st, AT_SYMLINK_NOFOLLOW) == 0 && S_ISLNK(st.st_mode)) {
                int rc = mkdir_link_target(rootfd, parent, p, slash + 1, own, mode, depth, err);
                *slash = '/';
                if (rc < 0)
                    return rc;
            } else {
                *slash = '/';
                if (mkdirat(parent, slash + 1, mode) < 0 && errno != EEXIST)
                    return cb_fail(err, CB_EIO, errno, "mkdir '%s'", p);
                if (own && own->set && fchownat(parent, slash + 1, own->uid, own->gid, 0) < 0)
                    return cb_fail(err, CB_EIO, errno, "chown '%s'", p);
            }
        }
        p[i] = saved;
    }
    return cb_open_beneath(rootfd, path, O_RDONLY | O_DIRECTORY, 0, err);
}

static int mkdir_in_root(int rootfd, const char *path, const struct owner *own, mode_t mode,
                         struct cb_err **err)
{
    return mkdir_in_root_depth(rootfd, path, own, mode, 0, err);
}

/* Split dst into its parent (opened in root, created) and last name. */
static int open_parent(struct copy_ctx *c, const char *dst, const char **name, struct cb_err **err)
{
    const char *slash = strrchr(dst, '/');
    cleanup_free char *dir =
        slash && slash != dst ? xstrndup(dst, (size_t)(slash - dst)) : xstrdup("/");
    *name = slash ? slash + 1 : dst;
    return mkdir_in_root(c->rootfd, dir, &c->own, 0755, err);
}

static void owner_of(const struct copy_ctx *c, const struct stat *st, uid_t *uid, gid_t *gid)
{
    if (c->own.set) {
        *uid = c->own.uid;
        *gid = c->own.gid;
    } else if (c->r->keep_owner) {
        *uid = st->st_uid;
        *gid = st->st_gid;
    } else {
        *uid = 0;
        *gid = 0;
    }
}

/* Remove name in parent unless it is a directory and we want one. */
static int clear_slot(int parent, const char *name, bool want_dir, const char *dst,
                      struct cb_err **err)
{
    struct stat st;
    if (fstatat(parent, name, &st, AT_SYMLINK_NOFOLLOW) < 0)
        return 0;
    if (S_ISDIR(st.st_mode)) {
        if (want_dir)
            return 0;
        return cb_fail(err, CB_EIO, EISDIR, "cannot replace directory '%s' with a file", dst);
    }
    if (unlinkat(parent, name, 0) < 0)
        return cb_fail(err, CB_EIO, errno, "remove '%s'", dst);
    return 0;
}

static int copy_file_data(int in, int out, const char *src, struct cb_err **err)
{
    for (;;) {
        ssize_t n = copy_file_range(in, NULL, out, NULL, 1 << 30, 0);
        if (n == 0)
            return 0;
        if (n > 0)
            continue;
        if (errno == EINTR)
            continue;
        if (errno != EXDEV && errno != EINVAL && errno != ENOSYS && errno != EOPNOTSUPP)
            return cb_fail(err, CB_EIO, errno, "copy '%s'", src);
        break;
    }
    for (;;) {
        char buf[1 << 16];
        ssize_t n = read(in, buf, sizeof(buf));
        if (n == 0)
            return 0;
        if (n < 0 && errno == EINTR)
            continue;
        if (n < 0)
            return cb_fail(err, CB_EIO, errno, "read '%s'", src);
        if (cb_write_all(out, buf, (size_t)n, err) < 0)
            return cb_wrap(err, "copy '%s'", src);
    }
}

static int set_meta(struct copy_ctx *c, int parent, const char *name, const struct stat *st,
                    const char *dst, struct cb_err **err)
{
    uid_t uid;
    gid_t gid;
    struct timespec ts[2] = {st->st_mtim, st->st_mtim};

    owner_of(c, st, &uid, &gid);
    if (fchownat(parent, name, uid, gid, AT_SYMLINK_NOFOLLOW) < 0)
        return cb_fail(err, CB_EIO, errno, "chown '%s'", dst);
    if (!S_ISLNK(st->st_mode)) {
        mode_t m = bld_chmod_apply(c->r->chmod, st->st_mode, S_ISDIR(st->st_mode));
        if (fchmodat(parent, name, m, 0) < 0)
            return cb_fail(err, CB_EIO, errno, "chmod '%s'", dst);
    }
    if (utimensat(parent, name, ts, AT_SYMLINK_NOFOLLOW) < 0)
        return cb_fail(err, CB_EIO, errno, "set times of '%s'", dst);
    return 0;
}

static int copy_entry(struct copy_ctx *c, const char *src, const char *rel, const char *dst,
                      struct cb_err **err);

static size_t link_slot(const struct copy_ctx *c, dev_t dev, ino_t ino)
{
    uint64_t h = ((uint64_t)dev * 0x9e3779b97f4a7c15ull) ^ ((uint64_t)ino * 0xff51afd7ed558ccdull);
    size_t mask = c->cap_links - 1, i = (size_t)(h ^ (h >> 29)) & mask;

    while (c->links[i].dst && (c->links[i].dev != dev || c->links[i].ino != ino))
        i = (i + 1) & mask;
    return i;
}

static void links_grow(struct copy_ctx *c)
{
    struct hardlink *old = c->links;
    size_t old_cap = c->cap_links;

    c->cap_links = old_cap ? old_cap * 2 : 256;
    c->links = xcalloc(c->cap_links, sizeof(*c->links));
    for (size_t i = 0; i < old_cap; i++)
        if (old[i].dst)
            c->links[link_slot(c, old[i].dev, old[i].ino)] = old[i];
    free(old);
}

/* 1 when st is an inode this copy wrote already: dst (parent/name) is made a
 * hardlink to it; 0 when it is new (and remembered as dst). */
static int link_again(struct copy_ctx *c, const struct stat *st, int parent, const char *name,
                      const char *dst, struct cb_err **err)
{
    size_t i;

    if ((c->n_links + 1) * 2 > c->cap_links)
        links_grow(c);
    i = link_slot(c, st->st_dev, st->st_ino);
    if (!c->links[i].dst) {
        c->links[i] = (struct hardlink){st->st_dev, st->st_ino, xstrdup(dst)};
        c->n_links++;
        return 0;
    }
    const char *first_name;
    cleanup_close int first = open_parent(c, c->links[i].dst, &first_name, err);
    if (first < 0)
        return cb_err_rc(err);
    if (linkat(first, first_name, parent, name, 0) < 0)
        return cb_fail(err, CB_EIO, errno, "link '%s' to '%s'", dst, c->links[i].dst);
    return 1;
}

static int copy_dir_contents(struct copy_ctx *c, const char *src, const char *rel, const char *dst,
                             struct cb_err **err)
{
    cleanup_dir DIR *d = opendir(src);
    struct dirent *de;
    struct cb_strv names = CB_STRV_INIT;
    int rc = 0;

    if (!d)
        return cb_fail(err, CB_EIO, errno, "open directory '%s'", src);
    while ((de = readdir(d)))
        if (strcmp(de->d_name, ".") && strcmp(de->d_name, ".."))
            cb_strv_push(&names, de->d_name);
    for (size_t i = 0; i < names.n && rc == 0; i++) {
        cleanup_free char *s = cb_path_join(src, names.v[i]);
        cleanup_free char *r = *rel ? xasprintf("%s/%s", rel, names.v[i]) : xstrdup(names.v[i]);
        cleanup_free char *t =
            strcmp(dst, "/") ? xasprintf("%s/%s", dst, names.v[i]) : xasprintf("/%s", names.v[i]);
        struct stat st;
        if (lstat(s, &st) < 0)
            continue;
        if (c->r->skip && c->r->skip(c->r->skip_data, r, c->base, S_ISDIR(st.st_mode)))
            continue;
        rc = copy_entry(c, s, r, t, err);
    }
    cb_strv_release(&names);
    return rc;
}

static int copy_entry(struct copy_ctx *c, const char *src, const char *rel, const char *dst,
                      struct cb_err **err)
{
    cleanup_close int parent = -1;
    const char *name;
    struct stat st;

    if (lstat(src, &st) < 0)
        return cb_fail(err, CB_EIO, errno, "stat '%s'", src);
    parent = open_parent(c, dst, &name, err);
    if (parent < 0)
        return cb_err_rc(err);
    if (clear_slot(parent, name, S_ISDIR(st.st_mode), dst, err) < 0)
        return cb_err_rc(err);
    if (S_ISDIR(st.st_mode)) {
        if (mkdirat(parent, name, 0755) < 0 && errno != EEXIST)
            return cb_fail(err, CB_EIO, errno, "mkdir '%s'", dst);
        if (copy_dir_contents(c, src, rel, dst, err) < 0)
            return cb_err_rc(err);
    } else if (S_ISREG(st.st_mode)) {
        cleanup_close int in = -1, out = -1;
        int linked = st.st_nlink > 1 ? link_again(c, &st, parent, name, dst, err) : 0;
        if (linked)
            return linked < 0 ? linked : 0;
        in = open(src, O_RDONLY | O_NOFOLLOW | O_CLOEXEC);
        if (in < 0)
            return cb_fail(err, CB_EIO, errno, "open '%s'", src);
        out = openat(parent, name, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0600);
        if (out < 0)
            return cb_fail(err, CB_EIO, errno, "create '%s'", dst);
        if (copy_file_data(in, out, src, err) < 0)
            return cb_err_rc(err);
    } else if (S_ISLNK(st.st_mode)) {
        char target[PATH_MAX];
        ssize_t n = readlink(src, target, sizeof(target) - 1);
        if (n < 0)
            return cb_fail(err, CB_EIO, errno, "readlink '%s'", src);
        target[n] = '\0';
        if (symlinkat(target, parent, name) < 0)
            return cb_fail(err, CB_EIO, errno, "symlink '%s'", dst);
    } else if (S_ISFIFO(st.st_mode) || S_ISCHR(st.st_mode) || S_ISBLK(st.st_mode)) {
        if (mknodat(parent, name, st.st_mode, st.st_rdev) < 0)
            return cb_fail(err, CB_EIO, errno, "mknod '%s'", dst);
    } else {
        return 0; /* sockets are not copied */
    }
    return set_meta(c, parent, name, &st, dst, err);
}

/* Whether the layer reader takes this compression as it is (plain, gzip,
 * zstd); bzip2, xz and the rest are decompressed first. */
static bool reader_knows(const char *path)
{
    unsigned char m[4];
    cleanup_close int fd = open(path, O_RDONLY | O_CLOEXEC);
    ssize_t n = fd >= 0 ? read(fd, m, sizeof(m)) : -1;

    if (n >= 2 && m[0] == 0x1f && m[1] == 0x8b)
        return true;
    if (n >= 4 && m[0] == 0x28 && m[1] == 0xb5 && m[2] == 0x2f && m[3] == 0xfd)
        return true;
    return oci_archive_is_tar(path) && !(n >= 3 && m[0] == 'B' && m[1] == 'Z' && m[2] == 'h') &&
           !(n >= 4 && m[0] == 0xfd && m[1] == '7' && m[2] == 'z' && m[3] == 'X');
}

/* ADD of a local tar archive (plain or compressed): extract into dst (a
 * directory), with the layer reader's guarantees (nothing outside dst). */
static int extract_archive(struct copy_ctx *c, const char *src, const char *dst,
                           struct cb_err **err)
{
    cleanup_close int dfd = mkdir_in_root(c->rootfd, dst, &c->own, 0755, err);
    char target[64];
    struct oci_layer_apply_opts o = {.mode = OCI_APPLY_FLAT};
    cleanup_free char *plain = NULL;
    int rc;

    if (dfd < 0)
        return cb_err_rc(err);
    snprintf(target, sizeof(target), "/proc/self/fd/%d", dfd);
    if (!reader_knows(src)) {
        cleanup_close int fd = -1;
        char tmpl[] = "/tmp/cbuild-add-XXXXXX";
        fd = mkstemp(tmpl);
        if (fd < 0)
            return cb_fail(err, CB_EIO, errno, "create a temp file");
        plain = xstrdup(tmpl);
        unlink(tmpl);
        if (oci_archive_decompress(src, fd, err) < 0)
            return cb_wrap(err, "extract '%s'", src);
        free(plain);
        plain = xasprintf("/proc/self/fd/%d", fd);
        rc = oci_layer_apply_file(plain, target, &o, NULL, err);
        return rc < 0 ? cb_wrap(err, "extract '%s'", src) : 0;
    }
    if (oci_layer_apply_file(src, target, &o, NULL, err) < 0)
        return cb_wrap(err, "extract '%s'", src);
    return 0;
}

static bool is_dir_in_root(int rootfd, const char *path)
{
    int fd = cb_open_beneath(rootfd, path, O_RDONLY | O_DIRECTORY, 0, NULL);
    if (fd < 0)
        return false;
    close(fd);
    return true;
}

static char *dest_for(int rootfd, const struct bld_copy_req *r, const char *rel, bool src_is_dir)
{
    const char *base = strrchr(rel, '/');
    size_t dl = strlen(r->dest);
    bool slash = dl > 0 && r->dest[dl - 1] == '/';
    cleanup_free char *d = slash && dl > 1 ? xstrndup(r->dest, dl - 1) : xstrdup(r->dest);

    base = base ? base + 1 : rel;
    if (r->parents)
        return strcmp(d, "/") ? xasprintf("%s/%s", d, rel) : xasprintf("/%s", rel);
    if (src_is_dir || !(r->dest_is_dir || slash || is_dir_in_root(rootfd, d)))
        return xstrdup(d);
    return strcmp(d, "/") ? xasprintf("%s/%s", d, base) : xasprintf("/%s", base);
}

/* The owner --chown=SPEC (or WORKDIR under USER SPEC) gives, as BuildKit
 * reads it: "name" is the passwd entry's uid and primary gid, a bare number
 * N is N:N, ":group" is root with that group, "user:group" is both. */
static int owner_for(int rootfd, const char *spec, struct owner *own, struct cb_err **err)
{
    cleanup_free char *full = spec[0] == ':' ? xasprintf("0%s", spec) : xstrdup(spec);
    const char *colon = strchr(full, ':');
    size_t ulen = colon ? (size_t)(colon - full) : strlen(full);
    bool numeric = ulen > 0 && strspn(full, "0123456789") == ulen;
    struct bld_user u;

    if (bld_user_resolve(rootfd, full, &u, err) < 0)
        return cb_err_rc(err);
    own->set = true;
    own->uid = u.uid;
    own->gid = !colon && numeric ? (gid_t)u.uid : u.gid;
    bld_user_release(&u);
    return 0;
}

static int copy_sources(struct copy_ctx *c, const struct bld_copy_req *r, struct cb_err **err)
{
    if (r->chown && *r->chown && owner_for(c->rootfd, r->chown, &c->own, err) < 0)
        return cb_wrap(err, "--chown=%s", r->chown);
    for (size_t i = 0; i < r->srcs->n; i++) {
        const char *rel = r->srcs->v[i];
        c->base = strlen(rel);
        cleanup_free char *src = *rel ? cb_path_join(r->src_root, rel) : xstrdup(r->src_root);
        cleanup_free char *dst = NULL;
        struct stat st;
        if (stat(src, &st) < 0 && lstat(src, &st) < 0)
            return cb_fail(err, CB_ENOTFOUND, errno, "stat '%s'", rel);
        dst = dest_for(c->rootfd, r, rel, S_ISDIR(st.st_mode));
        if (S_ISDIR(st.st_mode)) {
            cleanup_close int dfd = mkdir_in_root(c->rootfd, dst, &c->own, 0755, err);
            if (dfd < 0 || copy_dir_contents(c, src, rel, dst, err) < 0)
                return cb_err_rc(err);
        } else if (r->unpack_archives && S_ISREG(st.st_mode) && oci_archive_is_tar(src)) {
            /* an archive unpacks into the destination directory itself */
            cleanup_free char *dir = dest_for(c->rootfd, r, rel, true);
            if (extract_archive(c, src, dir, err) < 0)
                return cb_err_rc(err);
        } else if (copy_entry(c, src, rel, dst, err) < 0) {
            return cb_err_rc(err);
        }
    }
    return 0;
}

int bld_copy_into(int rootfd, const struct bld_copy_req *r, struct cb_err **err)
{
    struct copy_ctx c = {.rootfd = rootfd, .r = r};
    int rc = copy_sources(&c, r, err);

    for (size_t i = 0; i < c.cap_links; i++)
        free(c.links[i].dst);
    free(c.links);
    return rc;
}

int bld_copy_mkdir(int rootfd, const char *path, const char *user, struct cb_err **err)
{
    struct owner own = {0};
    int fd;

    if (user && *user && owner_for(rootfd, user, &own, err) < 0)
        return cb_err_rc(err);
    fd = mkdir_in_root(rootfd, path, &own, 0755, err);
    if (fd < 0)
        return fd;
    close(fd);
    return 0;
}
