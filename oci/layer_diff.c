/* layer_diff.c - change lists: the tree-to-tree diff (the fallback when
 * overlayfs is unavailable) and writing a change list as a layer.
 *
 * The diff follows containerd's continuity: compare metadata (type, mode,
 * owner, size, mtime to the nanosecond, device numbers, link target,
 * xattrs); regular files with equal metadata are the same unless either
 * mtime lacks nanoseconds (a copy through a coarse file system), in which
 * case their bytes decide.  The same inode is always the same file. */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/xattr.h>
#include <unistd.h>

#include "layer.h"
#include "tarw.h"
#include "../base/cleanup.h"
#include "../base/fsutil.h"
#include "../base/strv.h"
#include "../base/xalloc.h"
#include "../base/banned.h"

void oci_changes_init(struct oci_changes *c)
{
    *c = (struct oci_changes){0};
}

void oci_changes_release(struct oci_changes *c)
{
    for (size_t i = 0; i < c->n; i++)
        free(c->v[i].path);
    free(c->v);
    oci_changes_init(c);
}

void oci_changes_add(struct oci_changes *c, enum oci_change_kind kind, const char *path)
{
    XGROW(c->v, c->n + 1, c->alloc);
    c->v[c->n++] = (struct oci_change){kind, xstrdup(path)};
}

/* ---------------------------------------------------------------- diff */

static int cmp_name(const void *a, const void *b)
{
    return strcmp(*(char *const *)a, *(char *const *)b);
}

/* Sorted names in dirfd (-1: none). */
static int read_names(int dirfd, const char *where, struct cb_strv *out, struct cb_err **err)
{
    if (dirfd < 0)
        return 0;
    int fd = dup(dirfd);
    DIR *d = fd >= 0 ? fdopendir(fd) : NULL;
    struct dirent *de;
    if (!d) {
        if (fd >= 0)
            close(fd);
        return cb_fail(err, CB_EIO, errno, "open directory '%s'", where);
    }
    while ((errno = 0, de = readdir(d)))
        if (strcmp(de->d_name, ".") != 0 && strcmp(de->d_name, "..") != 0)
            cb_strv_push(out, de->d_name);
    int saved = errno;
    closedir(d);
    if (saved)
        return cb_fail(err, CB_EIO, saved, "read directory '%s'", where);
    if (out->n)
        qsort(out->v, out->n, sizeof(char *), cmp_name);
    return 0;
}

/* name=value pairs of path's carried xattrs, sorted, into out; false when
 * they cannot be read (the caller then calls the entry changed). */
static bool xattr_blob(const char *path, struct cb_buf *out)
{
    cleanup_free char *names = xmalloc(65536), *val = xmalloc(65536);
    cleanup_free char **v = NULL;
    size_t n = 0;
    ssize_t len = llistxattr(path, names, 65536);

    if (len < 0)
        return errno == ENOTSUP;
    v = xcalloc((size_t)len / 2 + 1, sizeof(*v));
    for (char *p = names; p < names + len; p += strlen(p) + 1)
        if (!oci_tarw_xattr_skipped(p))
            v[n++] = p;
    if (n)
        qsort(v, n, sizeof(*v), cmp_name);
    for (size_t i = 0; i < n; i++) {
        ssize_t vl = lgetxattr(path, v[i], val, 65536);
        if (vl < 0)
            return false;
        if (cb_buf_adds(out, v[i], NULL) < 0 || cb_buf_addc(out, '=', NULL) < 0 ||
            cb_buf_add(out, val, (size_t)vl, NULL) < 0 || cb_buf_addc(out, 0, NULL) < 0)
            return false;
    }
    return true;
}

static bool no_xattrs(const char *path)
{
    ssize_t n = llistxattr(path, NULL, 0);
    return n == 0 || (n < 0 && errno == ENOTSUP);
}

static bool same_xattrs(int lfd, int ufd, const char *name)
{
    char lp[400], up[400];
    cleanup_buf struct cb_buf a, b;

    cb_buf_init(&a, 8u << 20);
    cb_buf_init(&b, 8u << 20);
    snprintf(lp, sizeof(lp), "/proc/self/fd/%d/%s", lfd, name);
    snprintf(up, sizeof(up), "/proc/self/fd/%d/%s", ufd, name);
    /* the common case: neither has any xattr */
    if (no_xattrs(lp) && no_xattrs(up))
        return true;
    if (!xattr_blob(lp, &a) || !xattr_blob(up, &b))
        return false;
    return a.len == b.len && (a.len == 0 || memcmp(a.data, b.data, a.len) == 0);
}

static bool same_bytes(int lfd, int ufd, const char *name)
{
    cleanup_close int a = openat(lfd, name, O_RDONLY | O_NOFOLLOW | O_CLOEXEC);
    cleanup_close int b = openat(ufd, name, O_RDONLY | O_NOFOLLOW | O_CLOEXEC);
    cleanup_free char *ba = xmalloc(65536), *bb = xmalloc(65536);

    if (a < 0 || b < 0)
        return false;
    for (;;) {
        ssize_t na = read(a, ba, 65536), nb = read(b, bb, 65536);
        if (na < 0 || nb < 0 || na != nb || memcmp(ba, bb, (size_t)na) != 0)
            return false;
        if (na == 0)
            return true;
    }
}

static bool same_link(int lfd, int ufd, const char *name)
{
    char a[4096], b[4096];
    ssize_t na = readlinkat(lfd, name, a, sizeof(a)), nb = readlinkat(ufd, name, b, sizeof(b));
    return na >= 0 && na == nb && memcmp(a, b, (size_t)na) == 0;
}

static bool same_entry(int lfd, int ufd, const char *name, const struct stat *l,
                       const struct stat *u)
{
    if (l->st_mode != u->st_mode || l->st_uid != u->st_uid || l->st_gid != u->st_gid)
        return false;
    if (l->st_dev == u->st_dev && l->st_ino == u->st_ino)
        return true;
    if (l->st_mtim.tv_sec != u->st_mtim.tv_sec || l->st_mtim.tv_nsec != u->st_mtim.tv_nsec)
        return false;
    if (!S_ISDIR(u->st_mode) && l->st_size != u->st_size)
        return false;
    if ((S_ISCHR(u->st_mode) || S_ISBLK(u->st_mode)) && l->st_rdev != u->st_rdev)
        return false;
    if (S_ISLNK(u->st_mode) && !same_link(lfd, ufd, name))
        return false;
    if (!same_xattrs(lfd, ufd, name))
        return false;
    if (S_ISREG(u->st_mode) && (l->st_mtim.tv_nsec == 0 || u->st_mtim.tv_nsec == 0))
        return same_bytes(lfd, ufd, name);
    return true;
}

static int diff_dir(int lfd, int ufd, const char *prefix, struct oci_changes *out,
                    struct cb_err **err);

/* name exists in upper (and maybe lower). */
static int diff_upper(int lfd, int ufd, const char *name, const char *prefix,
                      struct oci_changes *out, struct cb_err **err)
{
    cleanup_free char *path = xasprintf("%s%s", prefix, name);
    struct stat u, l;
    bool in_lower = lfd >= 0 && fstatat(lfd, name, &l, AT_SYMLINK_NOFOLLOW) == 0;

    if (fstatat(ufd, name, &u, AT_SYMLINK_NOFOLLOW) < 0)
        return cb_fail(err, CB_EIO, errno, "stat '%s'", path);
    if (!in_lower || !same_entry(lfd, ufd, name, &l, &u))
        oci_changes_add(out, OCI_CHANGE_ADD, path);
    if (!S_ISDIR(u.st_mode))
        return 0;
    cleanup_close int usub = openat(ufd, name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
    cleanup_close int lsub = -1;
    if (usub < 0)
        return cb_fail(err, CB_EIO, errno, "open '%s'", path);
    if (in_lower && S_ISDIR(l.st_mode)) {
        lsub = openat(lfd, name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
        if (lsub < 0)
            return cb_fail(err, CB_EIO, errno, "open lower '%s'", path);
    }
    cleanup_free char *sub = xasprintf("%s/", path);
    return diff_dir(lsub, usub, sub, out, err);
}

static int diff_dir(int lfd, int ufd, const char *prefix, struct oci_changes *out,
                    struct cb_err **err)
{
    cleanup_strv_s struct cb_strv ln = CB_STRV_INIT, un = CB_STRV_INIT;
    size_t i = 0, j = 0;
    const char *where = *prefix ? prefix : ".";

    if (read_names(lfd, where, &ln, err) < 0 || read_names(ufd, where, &un, err) < 0)
        return cb_err_rc(err);
    while (i < ln.n || j < un.n) {
        int c = i == ln.n ? 1 : j == un.n ? -1 : strcmp(ln.v[i], un.v[j]);
        if (c < 0) {
            cleanup_free char *path = xasprintf("%s%s", prefix, ln.v[i++]);
            oci_changes_add(out, OCI_CHANGE_DELETE, path);
            continue;
        }
        if (diff_upper(c == 0 ? lfd : -1, ufd, un.v[j], prefix, out, err) < 0)
            return cb_err_rc(err);
        if (c == 0)
            i++;
        j++;
    }
    return 0;
}

int oci_layer_diff_trees(const char *lower, const char *upper, struct oci_changes *out,
                         struct cb_err **err)
{
    cleanup_close int lfd = open(lower, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    cleanup_close int ufd = open(upper, O_RDONLY | O_DIRECTORY | O_CLOEXEC);

    if (lfd < 0)
        return cb_fail(err, CB_EIO, errno, "open '%s'", lower);
    if (ufd < 0)
        return cb_fail(err, CB_EIO, errno, "open '%s'", upper);
    if (diff_dir(lfd, ufd, "", out, err) < 0)
        return cb_wrap(err, "diff '%s' against '%s'", upper, lower);
    return 0;
}

/* ---------------------------------------------------------------- writing */

/* A change as it appears in the tar. */
struct emit {
    char *path;
    const struct oci_change *c;
};

/* Path order with '/' below every other byte: a directory's whole subtree
 * sorts before a sibling that merely shares its prefix ("a/z" < "a-b"). */
static int cmp_path(const char *a, const char *b)
{
    for (;; a++, b++) {
        unsigned ca = *a == '/' ? 1 : (unsigned char)*a, cb = *b == '/' ? 1 : (unsigned char)*b;
        if (ca != cb || !ca)
            return (int)ca - (int)cb;
    }
}

static int cmp_emit(const void *a, const void *b)
{
    return cmp_path(((const struct emit *)a)->path, ((const struct emit *)b)->path);
}

static char *emit_path(const struct oci_change *c)
{
    if (c->kind != OCI_CHANGE_DELETE)
        return xstrdup(c->path);
    const char *slash = strrchr(c->path, '/');
    if (!slash)
        return xasprintf(".wh.%s", c->path);
    return xasprintf("%.*s/.wh.%s", (int)(slash - c->path), c->path, slash + 1);
}

struct cwriter {
    int rootfd;
    struct oci_tarw *w;
    struct cb_strv dirs; /* the directories written, ancestors of where we are */
};

/* Write root/path (must exist) as itself. */
static int add_from_root(struct cwriter *cw, const char *path, struct stat *st, struct cb_err **err)
{
    const char *slash = strrchr(path, '/');
    cleanup_free char *parent = slash ? xstrndup(path, (size_t)(slash - path)) : xstrdup(".");
    const char *base = slash ? slash + 1 : path;
    cleanup_close int pfd = cb_open_beneath(cw->rootfd, parent, O_RDONLY | O_DIRECTORY, 0, err);

    if (pfd < 0)
        return cb_wrap(err, "change '%s'", path);
    if (fstatat(pfd, base, st, AT_SYMLINK_NOFOLLOW) < 0)
        return cb_fail(err, errno == ENOENT ? CB_ENOTFOUND : CB_EIO, errno, "change '%s'", path);
    if (oci_tarw_add(cw->w, pfd, base, st, path, err) < 0)
        return cb_err_rc(err);
    if (S_ISDIR(st->st_mode))
        cb_strv_push(&cw->dirs, path);
    return 0;
}

static bool is_under(const char *dir, const char *path)
{
    size_t n = strlen(dir);
    return strncmp(dir, path, n) == 0 && (path[n] == '/' || path[n] == 0);
}

/* Write the directories above path that are not written yet. */
static int add_parents(struct cwriter *cw, const char *path, struct cb_err **err)
{
    while (cw->dirs.n && !is_under(cw->dirs.v[cw->dirs.n - 1], path)) {
        free(cw->dirs.v[--cw->dirs.n]);
        cw->dirs.v[cw->dirs.n] = NULL;
    }
    for (const char *s = strchr(path, '/'); s; s = strchr(s + 1, '/')) {
        cleanup_free char *anc = xstrndup(path, (size_t)(s - path));
        struct stat st;
        if (cb_strv_find(&cw->dirs, anc) >= 0)
            continue;
        if (add_from_root(cw, anc, &st, err) < 0) {
            if ((*err)->code != CB_ENOTFOUND)
                return cb_err_rc(err);
            cb_err_free(TAKE_PTR(*err)); /* a deleted parent: nothing to carry */
            return 0;
        }
    }
    return 0;
}

static int write_change(struct cwriter *cw, const struct emit *e, struct cb_err **err)
{
    struct stat st;

    if (add_parents(cw, e->path, err) < 0)
        return cb_err_rc(err);
    if (e->c->kind == OCI_CHANGE_DELETE)
        return oci_tarw_add_whiteout(cw->w, e->path, err);
    if (add_from_root(cw, e->path, &st, err) < 0)
        return cb_err_rc(err);
    if (e->c->kind == OCI_CHANGE_OPAQUE) {
        if (!S_ISDIR(st.st_mode))
            return cb_fail(err, CB_EINVAL, 0, "opaque change '%s' is not a directory", e->path);
        cleanup_free char *opq = xasprintf("%s/.wh..wh..opq", e->path);
        return oci_tarw_add_whiteout(cw->w, opq, err);
    }
    return 0;
}

static int valid_change_path(const char *p, struct cb_err **err)
{
    for (const char *s = p;;) {
        const char *e = strchr(s, '/');
        size_t n = e ? (size_t)(e - s) : strlen(s);
        if (n == 0 || (n == 1 && s[0] == '.') || (n == 2 && s[0] == '.' && s[1] == '.'))
            return cb_fail(err, CB_EINVAL, 0, "bad change path '%s'", p);
        if (!e)
            return 0;
        s = e + 1;
    }
}

static int write_sorted(struct cwriter *cw, struct emit *v, size_t n, struct cb_err **err)
{
    for (size_t i = 0; i < n; i++) {
        if (valid_change_path(v[i].c->path, err) < 0)
            return cb_err_rc(err);
        /* the same path twice: an OPAQUE beats an ADD, otherwise one is enough */
        if (i + 1 < n && strcmp(v[i].path, v[i + 1].path) == 0) {
            if (v[i].c->kind == OCI_CHANGE_OPAQUE) {
                struct emit t = v[i];
                v[i] = v[i + 1];
                v[i + 1] = t;
            }
            continue;
        }
        if (write_change(cw, &v[i], err) < 0)
            return cb_err_rc(err);
    }
    return 0;
}

int oci_layer_write_changes(const char *root, const struct oci_changes *changes,
                            const struct oci_layer_write_opts *o, const struct oci_sink *out,
                            struct oci_layer_desc *desc, struct cb_err **err)
{
    cleanup_close int rootfd = open(root, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    cleanup_tarw struct oci_tarw *w = NULL;
    struct emit *v = xcalloc(changes->n + 1, sizeof(*v));
    int r;

    if (rootfd < 0) {
        free(v);
        return cb_fail(err, CB_EIO, errno, "open '%s'", root);
    }
    for (size_t i = 0; i < changes->n; i++)
        v[i] = (struct emit){emit_path(&changes->v[i]), &changes->v[i]};
    qsort(v, changes->n, sizeof(*v), cmp_emit);
    w = oci_tarw_new(o, out, err);
    struct cwriter cw = {rootfd, w, CB_STRV_INIT};
    r = w ? write_sorted(&cw, v, changes->n, err) : cb_err_rc(err);
    if (r >= 0)
        r = oci_tarw_finish(w, desc, err);
    cb_strv_release(&cw.dirs);
    for (size_t i = 0; i < changes->n; i++)
        free(v[i].path);
    free(v);
    return r < 0 ? cb_wrap(err, "write layer from changes in '%s'", root) : 0;
}

int oci_layer_write_diff(const char *lower, const char *upper, const struct oci_layer_write_opts *o,
                         const struct oci_sink *out, struct oci_layer_desc *desc,
                         struct cb_err **err)
{
    cleanup_changes struct oci_changes ch;

    oci_changes_init(&ch);
    if (oci_layer_diff_trees(lower, upper, &ch, err) < 0)
        return cb_err_rc(err);
    return oci_layer_write_changes(upper, &ch, o, out, desc, err);
}
