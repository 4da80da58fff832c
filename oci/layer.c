/* layer.c - writing layers: a whole tree, an overlayfs upperdir, or a list
 * of changes, each walked in path order and handed entry by entry to the tar
 * writer (tarw.c).  Order: a directory, then its children sorted by name
 * (bytewise), depth first; an opaque directory's ".wh..wh..opq" comes right
 * after the directory so an in-order applier never removes this layer's own
 * files.  Whiteout names sort by their ".wh." name. */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <sys/xattr.h>
#include <unistd.h>

#include "layer.h"
#include "tarw.h"
#include "../base/cleanup.h"
#include "../base/fsutil.h"
#include "../base/xalloc.h"
#include "../base/banned.h"

enum walk_mode { WALK_TREE, WALK_OVERLAY };

/* One child of a directory being walked. */
struct child {
    char *name; /* on disk */
    char *emit; /* in the tar: name, or ".wh." + name for a whiteout */
    bool whiteout;
};

struct walk {
    enum walk_mode mode;
    struct oci_tarw *w;
};

static int cmp_child(const void *a, const void *b)
{
    return strcmp(((const struct child *)a)->emit, ((const struct child *)b)->emit);
}

static void children_free(struct child *c, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        free(c[i].name);
        free(c[i].emit);
    }
    free(c);
}

/* Overlay whiteout forms: a 0/0 char device, or (user-made "xwhiteouts") an
 * empty file carrying trusted.overlay.whiteout. */
static bool is_overlay_whiteout(int dirfd, const char *name, const struct stat *st)
{
    char path[64 + 256 + 8];

    if (S_ISCHR(st->st_mode) && st->st_rdev == makedev(0, 0))
        return true;
    if (!S_ISREG(st->st_mode) || st->st_size != 0)
        return false;
    snprintf(path, sizeof(path), "/proc/self/fd/%d/%s", dirfd, name);
    return lgetxattr(path, "trusted.overlay.whiteout", NULL, 0) >= 0;
}

/* Read and sort dirfd's children. */
static int list_children(const struct walk *wk, int dirfd, const char *where, struct child **out,
                         size_t *n_out, struct cb_err **err)
{
    int fd = dup(dirfd);
    DIR *d = fd >= 0 ? fdopendir(fd) : NULL;
    struct child *v = NULL;
    size_t n = 0, alloc = 0;
    struct dirent *de;

    if (!d) {
        if (fd >= 0)
            close(fd);
        return cb_fail(err, CB_EIO, errno, "open directory '%s'", where);
    }
    while ((errno = 0, de = readdir(d))) {
        if (strcmp(de->d_name, ".") == 0 || strcmp(de->d_name, "..") == 0)
            continue;
        XGROW(v, n + 1, alloc);
        v[n].name = xstrdup(de->d_name);
        v[n].emit = NULL;
        v[n].whiteout = false;
        n++;
    }
    int saved = errno;
    closedir(d);
    if (saved) {
        children_free(v, n);
        return cb_fail(err, CB_EIO, saved, "read directory '%s'", where);
    }
    for (size_t i = 0; i < n; i++) {
        struct stat st;
        if (wk->mode == WALK_OVERLAY && fstatat(dirfd, v[i].name, &st, AT_SYMLINK_NOFOLLOW) == 0 &&
            is_overlay_whiteout(dirfd, v[i].name, &st)) {
            v[i].whiteout = true;
            v[i].emit = xasprintf(".wh.%s", v[i].name);
        } else {
            v[i].emit = xstrdup(v[i].name);
        }
    }
    if (n)
        qsort(v, n, sizeof(*v), cmp_child);
    *out = v;
    *n_out = n;
    return 0;
}

/* Whether an upper directory is opaque; CB_EUNSUPPORTED for overlay
 * features whose upper layout is not a plain changeset. */
static int overlay_dir_opaque(int dirfd, const char *name, const char *apath, struct cb_err **err)
{
    char path[64 + 256 + 8], v[8];
    static const char *const opaque[] = {"trusted.overlay.opaque", "user.overlay.opaque"};
    static const char *const bad[] = {"trusted.overlay.redirect", "user.overlay.redirect",
                                      "trusted.overlay.metacopy", "user.overlay.metacopy"};

    snprintf(path, sizeof(path), "/proc/self/fd/%d/%s", dirfd, name);
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
        if (lgetxattr(path, bad[i], NULL, 0) >= 0)
            return cb_fail(err, CB_EUNSUPPORTED, 0,
                           "overlay upper '%s' uses %s: mount without redirect_dir/metacopy", apath,
                           bad[i]);
    for (size_t i = 0; i < 2; i++) {
        ssize_t n = lgetxattr(path, opaque[i], v, sizeof(v));
        /* "x" marks a directory holding xwhiteouts, not an opaque one */
        if (n == 1 && v[0] == 'y')
            return 1;
    }
    return 0;
}

static int walk_dir(const struct walk *wk, int dirfd, const char *prefix, struct cb_err **err);

static int walk_child(const struct walk *wk, int dirfd, const struct child *c, const char *prefix,
                      struct cb_err **err)
{
    cleanup_free char *apath = xasprintf("%s%s", prefix, c->emit);
    struct stat st;

    if (c->whiteout)
        return oci_tarw_add_whiteout(wk->w, apath, err);
    if (fstatat(dirfd, c->name, &st, AT_SYMLINK_NOFOLLOW) < 0)
        return cb_fail(err, CB_EIO, errno, "stat '%s'", apath);
    if (wk->mode == WALK_OVERLAY && !S_ISDIR(st.st_mode) &&
        overlay_dir_opaque(dirfd, c->name, apath, err) < 0)
        return cb_err_rc(err);
    if (oci_tarw_add(wk->w, dirfd, c->name, &st, apath, err) < 0)
        return cb_err_rc(err);
    if (!S_ISDIR(st.st_mode))
        return 0;
    if (wk->mode == WALK_OVERLAY) {
        int op = overlay_dir_opaque(dirfd, c->name, apath, err);
        if (op < 0)
            return op;
        if (op) {
            cleanup_free char *opq = xasprintf("%s/.wh..wh..opq", apath);
            if (oci_tarw_add_whiteout(wk->w, opq, err) < 0)
                return cb_err_rc(err);
        }
    }
    cleanup_close int fd = openat(dirfd, c->name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
    if (fd < 0)
        return cb_fail(err, CB_EIO, errno, "open directory '%s'", apath);
    cleanup_free char *sub = xasprintf("%s/", apath);
    return walk_dir(wk, fd, sub, err);
}

static int walk_dir(const struct walk *wk, int dirfd, const char *prefix, struct cb_err **err)
{
    struct child *v = NULL;
    size_t n = 0;
    int r = 0;

    if (list_children(wk, dirfd, *prefix ? prefix : ".", &v, &n, err) < 0)
        return cb_err_rc(err);
    for (size_t i = 0; i < n && r >= 0; i++)
        r = walk_child(wk, dirfd, &v[i], prefix, err);
    children_free(v, n);
    return r;
}

static int write_walk(enum walk_mode mode, const char *dir, const struct oci_layer_write_opts *o,
                      const struct oci_sink *out, struct oci_layer_desc *desc, struct cb_err **err)
{
    cleanup_close int fd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    cleanup_tarw struct oci_tarw *w = NULL;

    if (fd < 0)
        return cb_fail(err, CB_EIO, errno, "open '%s'", dir);
    w = oci_tarw_new(o, out, err);
    if (!w)
        return cb_err_rc(err);
    struct walk wk = {mode, w};
    if (walk_dir(&wk, fd, "", err) < 0 || oci_tarw_finish(w, desc, err) < 0)
        return cb_wrap(err, "write layer from '%s'", dir);
    return 0;
}

int oci_layer_write_tree(const char *dir, const struct oci_layer_write_opts *o,
                         const struct oci_sink *out, struct oci_layer_desc *desc,
                         struct cb_err **err)
{
    return write_walk(WALK_TREE, dir, o, out, desc, err);
}

int oci_layer_write_overlay(const char *upperdir, const struct oci_layer_write_opts *o,
                            const struct oci_sink *out, struct oci_layer_desc *desc,
                            struct cb_err **err)
{
    return write_walk(WALK_OVERLAY, upperdir, o, out, desc, err);
}
