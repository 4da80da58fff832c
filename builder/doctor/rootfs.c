/* rootfs.c - the union view of layers (see rootfs.h): name lookup with
 * whiteouts and opaque directories, symlink resolution inside the view,
 * merged directory listings and a tree walk.  A layer is a directory or a
 * blob read into memory (layerindex.h); the few primitives below are the
 * only code that knows which. */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <sys/xattr.h>
#include <unistd.h>

#include "rootfs.h"
#include "layerindex.h"
#include "../../base/cleanup.h"
#include "../../base/fsutil.h"
#include "../../base/parallel.h"
#include "../../base/xalloc.h"
#include "../../oci/layer.h"
#include "../../oci/layout.h"
#include "../../oci/store.h"
#include "../../oci/tarw.h"
#include "../../base/banned.h"

#define MAX_LINKS 40

struct bld_rootfs {
    char **dirs;                    /* a layer directory, or NULL */
    int *fds;                       /* its fd, or -1 */
    struct bld_layer_index **index; /* or the layer in memory */
    size_t n;
    bool rootless; /* opened by non-root: no owner xattr means 0:0 */
};

/* What a layer holds at a path: st for a directory layer, ent for a layer
 * in memory. */
struct probe {
    struct stat st;
    const struct bld_layer_ent *ent;
};

/* An entry found in the view: the layer it comes from (top) and the lowest
 * layer whose contents still show through it when it is a directory. */
struct node {
    int top;
    int floor;
    mode_t mode;
    struct probe p;
};

static struct bld_rootfs *rootfs_new(size_t n)
{
    struct bld_rootfs *fs = xcalloc(1, sizeof(*fs));

    fs->dirs = xcalloc(n + 1, sizeof(*fs->dirs));
    fs->fds = xcalloc(n + 1, sizeof(*fs->fds));
    fs->index = xcalloc(n + 1, sizeof(*fs->index));
    fs->rootless = geteuid() != 0;
    for (size_t i = 0; i <= n; i++)
        fs->fds[i] = -1;
    fs->n = n;
    return fs;
}

static int open_dir(struct bld_rootfs *fs, size_t i, const char *dir, struct cb_err **err)
{
    fs->fds[i] = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (fs->fds[i] < 0)
        return cb_fail(err, CB_EIO, errno, "open layer directory '%s'", dir);
    fs->dirs[i] = xstrdup(dir);
    return 0;
}

struct bld_rootfs *bld_rootfs_open_dirs(const char *const *dirs, size_t n, struct cb_err **err)
{
    struct bld_rootfs *fs = rootfs_new(n);

    for (size_t i = 0; i < n; i++)
        if (open_dir(fs, i, dirs[i], err) < 0) {
            bld_rootfs_free(fs);
            return NULL;
        }
    return fs;
}

struct bld_rootfs *bld_rootfs_open_blobs(const char *const *blobs, size_t n, struct cb_err **err)
{
    struct bld_rootfs *fs = rootfs_new(n);

    for (size_t i = 0; i < n; i++)
        if (!(fs->index[i] = bld_layer_index_load(blobs[i], err))) {
            bld_rootfs_free(fs);
            return NULL;
        }
    return fs;
}

struct opener {
    struct bld_rootfs *fs;
    struct oci_store *s;
    const struct oci_descriptor *layers;
    const struct oci_image *img;
    unsigned flags;
};

/* Layer i from the layer cache when it is unpacked there (or must be),
 * else read from its blob. */
static int open_layer(void *userdata, size_t i, struct cb_err **err)
{
    struct opener *op = userdata;
    cleanup_free char *dir = oci_store_layer_dir(op->s, &op->img->diff_ids[i]), *blob = NULL;

    if (op->flags & BLD_ROOTFS_UNPACK) {
        free(TAKE_PTR(dir));
        if (oci_store_layer_ensure(op->s, &op->layers[i], &op->img->diff_ids[i], &dir, err) < 0)
            return cb_wrap(err, "unpack layer %zu", i + 1);
    }
    if (cb_path_exists(dir))
        return open_dir(op->fs, i, dir, err);
    blob = oci_layout_blob_path(oci_store_layout_peek(op->s), &op->layers[i].digest);
    if (!cb_path_exists(blob))
        return cb_fail(err, CB_ENOTFOUND, 0, "layer %zu: blob '%s' is not in the store", i + 1,
                       oci_digest_fmt(&op->layers[i].digest, (char[OCI_DIGEST_STR_MAX]){0}));
    op->fs->index[i] = bld_layer_index_load(blob, err);
    return op->fs->index[i] ? 0 : cb_wrap(err, "layer %zu", i + 1);
}

struct bld_rootfs *bld_rootfs_open_image(struct oci_store *s, const struct oci_descriptor *layers,
                                         size_t n, const struct oci_image *img, unsigned flags,
                                         struct cb_err **err)
{
    struct opener op = {NULL, s, layers, img, flags};

    if (n != img->n_diff_ids)
        return cb_fail(err, CB_EINVAL, 0, "the manifest has %zu layers, the config %zu", n,
                       img->n_diff_ids),
               NULL;
    op.fs = rootfs_new(n);
    /* each blob is one decompression on one thread: one per core, at most
     * four (each index may keep 32 MiB) */
    long cores = sysconf(_SC_NPROCESSORS_ONLN);
    if (cb_parallel(n, cores < 1 ? 1 : cores > 4 ? 4 : (int)cores, open_layer, &op, err) < 0) {
        bld_rootfs_free(op.fs);
        return NULL;
    }
    return op.fs;
}

void bld_rootfs_free(struct bld_rootfs *fs)
{
    if (!fs)
        return;
    for (size_t i = 0; i < fs->n; i++) {
        if (fs->fds[i] >= 0)
            close(fs->fds[i]);
        free(fs->dirs[i]);
        bld_layer_index_free(fs->index[i]);
    }
    free(fs->dirs);
    free(fs->fds);
    free(fs->index);
    free(fs);
}

size_t bld_rootfs_n_layers(const struct bld_rootfs *fs)
{
    return fs->n;
}

/* ---------------------------------------------------------------- one layer */

/* Whether layer l holds rel ("a/b", "." for its root). */
static bool probe(struct bld_rootfs *fs, int l, const char *rel, struct probe *p)
{
    if (fs->index[l]) {
        p->ent = bld_layer_index_get(fs->index[l], rel);
        return p->ent != NULL;
    }
    p->ent = NULL;
    return fstatat(fs->fds[l], rel, &p->st, AT_SYMLINK_NOFOLLOW) == 0;
}

static mode_t probe_mode(const struct probe *p)
{
    return p->ent ? p->ent->mode : p->st.st_mode;
}

static bool is_whiteout(const struct probe *p)
{
    if (p->ent)
        return p->ent->whiteout;
    return S_ISCHR(p->st.st_mode) && p->st.st_rdev == makedev(0, 0);
}

static bool is_opaque(struct bld_rootfs *fs, int layer, const char *rel, const struct probe *p)
{
    if (p->ent)
        return p->ent->opaque;
    cleanup_free char *full = cb_path_join(fs->dirs[layer], rel);
    char v[4];
    ssize_t n = lgetxattr(full, "trusted.overlay.opaque", v, sizeof(v));
    if (n < 0)
        n = lgetxattr(full, "user.overlay.opaque", v, sizeof(v));
    return n == 1 && v[0] == 'y';
}

static void fill_stat(struct bld_rootfs *fs, const struct node *nd, const char *rel,
                      struct bld_rootfs_stat *out)
{
    const struct bld_layer_ent *e = nd->p.ent;

    out->mode = nd->mode;
    out->layer = (size_t)nd->top;
    if (e) {
        out->uid = e->uid;
        out->gid = e->gid;
        out->size = e->size;
        out->mtime = e->mtime;
        return;
    }
    cleanup_free char *full = cb_path_join(fs->dirs[nd->top], rel);
    unsigned char v[64];
    ssize_t len = lgetxattr(full, OCI_LAYER_OWNER_XATTR, v, sizeof(v));

    out->uid = nd->p.st.st_uid;
    out->gid = nd->p.st.st_gid;
    out->size = nd->p.st.st_size;
    out->mtime = nd->p.st.st_mtim.tv_sec;
    if (len < 0 || oci_owner_xattr_decode(v, (size_t)len, &out->uid, &out->gid) < 0) {
        if (fs->rootless && out->uid == geteuid())
            out->uid = out->gid = 0;
    }
}

static char *read_link(struct bld_rootfs *fs, const struct node *nd, const char *rel)
{
    char buf[PATH_MAX];
    ssize_t n;

    if (nd->p.ent)
        return S_ISLNK(nd->p.ent->mode) ? xstrdup(nd->p.ent->link) : NULL;
    n = readlinkat(fs->fds[nd->top], rel, buf, sizeof(buf) - 1);
    if (n < 0)
        return NULL;
    buf[n] = 0;
    return xstrdup(buf);
}

/* ---------------------------------------------------------------- lookup */

/* Find rel (a child of a directory visible in layers [floor, top]). */
static bool lookup(struct bld_rootfs *fs, const char *rel, int top, int floor, struct node *out)
{
    struct probe p;
    int l = top;

    for (; l >= floor; l--)
        if (probe(fs, l, rel, &out->p))
            break;
    if (l < floor || is_whiteout(&out->p))
        return false;
    out->top = out->floor = l;
    out->mode = probe_mode(&out->p);
    if (!S_ISDIR(out->mode) || is_opaque(fs, l, rel, &out->p))
        return true;
    for (l--; l >= floor; l--) {
        if (!probe(fs, l, rel, &p))
            continue;
        if (!S_ISDIR(probe_mode(&p)))
            break;
        out->floor = l;
        if (is_opaque(fs, l, rel, &p))
            break;
    }
    return true;
}

static void root_node(struct bld_rootfs *fs, struct node *out)
{
    memset(out, 0, sizeof(*out));
    out->top = (int)fs->n - 1;
    out->floor = 0;
    out->mode = S_IFDIR | 0755;
    if (fs->n && probe(fs, out->top, ".", &out->p))
        out->mode = probe_mode(&out->p);
}

struct walker {
    char cur[PATH_MAX]; /* "" or "a/b": the resolved directory */
    size_t depth;
    struct node stack[256]; /* stack[i]: node of the i-th component */
};

static void walker_pop(struct walker *w)
{
    char *slash = strrchr(w->cur, '/');
    if (!w->depth)
        return;
    w->depth--;
    if (slash)
        *slash = 0;
    else
        w->cur[0] = 0;
}

/* Resolve path; *out is the final node, w->cur its path.  -1: not found. */
static int resolve(struct bld_rootfs *fs, const char *path, bool follow, struct walker *w,
                   struct node *out)
{
    cleanup_free char *rest = xstrdup(path);
    char *p = rest;
    int links = 0;

    w->cur[0] = 0;
    w->depth = 0;
    root_node(fs, out);
    while (*p) {
        size_t len = strcspn(p, "/");
        char *next = p[len] ? p + len + 1 : p + len;
        const struct node *parent = w->depth ? &w->stack[w->depth - 1] : NULL;
        struct node root, nd;
        char rel[PATH_MAX];

        if (len == 0 || (len == 1 && p[0] == '.')) {
            p = next;
            continue;
        }
        if (len == 2 && p[0] == '.' && p[1] == '.') {
            walker_pop(w);
            p = next;
            continue;
        }
        if (!parent) {
            root_node(fs, &root);
            parent = &root;
        }
        if (!S_ISDIR(parent->mode) || w->depth + 1 >= sizeof(w->stack) / sizeof(w->stack[0]))
            return -1;
        if ((size_t)snprintf(rel, sizeof(rel), "%s%s%.*s", w->cur, *w->cur ? "/" : "", (int)len,
                             p) >= sizeof(rel))
            return -1;
        if (!lookup(fs, rel, parent->top, parent->floor, &nd))
            return -1;
        if (S_ISLNK(nd.mode) && (*next || follow)) {
            cleanup_free char *target = read_link(fs, &nd, rel);
            char *joined;
            if (!target || ++links > MAX_LINKS)
                return -1;
            if (target[0] == '/') {
                w->cur[0] = 0;
                w->depth = 0;
            }
            joined = xasprintf("%s/%s", target, next);
            free(rest);
            rest = p = joined;
            continue;
        }
        memcpy(w->cur, rel, strlen(rel) + 1);
        w->stack[w->depth++] = nd;
        p = next;
    }
    if (w->depth)
        *out = w->stack[w->depth - 1];
    return 0;
}

static struct walker *walker_new(void)
{
    return xmalloc(sizeof(struct walker));
}

int bld_rootfs_stat(struct bld_rootfs *fs, const char *path, bool follow,
                    struct bld_rootfs_stat *st, char **resolved, struct cb_err **err)
{
    cleanup_free struct walker *w = walker_new();
    struct node nd;

    if (resolve(fs, path, follow, w, &nd) < 0)
        return cb_fail(err, CB_ENOTFOUND, 0, "'%s' not found in the image", path);
    if (st)
        fill_stat(fs, &nd, w->cur[0] ? w->cur : ".", st);
    if (resolved)
        *resolved = xasprintf("/%s", w->cur);
    return 0;
}

bool bld_rootfs_exists(struct bld_rootfs *fs, const char *path)
{
    cleanup_free struct walker *w = walker_new();
    struct node nd;
    return resolve(fs, path, true, w, &nd) == 0;
}

/* The content of the file nd (at rel) in a layer held in memory: a memfd. */
static int memfd_of(struct bld_rootfs *fs, const struct node *nd, const char *path,
                    struct cb_err **err)
{
    cleanup_buf struct cb_buf b = {0};
    int fd;

    cb_buf_init(&b, (size_t)nd->p.ent->size);
    if (bld_layer_index_read(fs->index[nd->top], nd->p.ent, 0, &b, err) < 0)
        return cb_wrap(err, "read '%s'", path);
    fd = memfd_create("cbuild-layer-file", MFD_CLOEXEC);
    if (fd < 0)
        return cb_fail(err, CB_EIO, errno, "memfd_create");
    if (cb_write_all(fd, b.data, b.len, err) < 0) {
        close(fd);
        return cb_wrap(err, "copy '%s' out of the layer", path);
    }
    if (lseek(fd, 0, SEEK_SET) < 0) {
        close(fd);
        return cb_fail(err, CB_EIO, errno, "copy '%s' out of the layer", path);
    }
    return fd;
}

int bld_rootfs_open_file(struct bld_rootfs *fs, const char *path, struct cb_err **err)
{
    cleanup_free struct walker *w = walker_new();
    struct node nd;
    int fd;

    if (resolve(fs, path, true, w, &nd) < 0)
        return cb_fail(err, CB_ENOTFOUND, 0, "'%s' not found in the image", path);
    if (!S_ISREG(nd.mode))
        return cb_fail(err, CB_EINVAL, 0, "'%s' is not a regular file", path);
    if (nd.p.ent)
        return memfd_of(fs, &nd, path, err);
    fd = openat(fs->fds[nd.top], w->cur, O_RDONLY | O_NOFOLLOW | O_CLOEXEC);
    if (fd < 0)
        return cb_fail(err, CB_EIO, errno, "open '%s' in the image", path);
    return fd;
}

int bld_rootfs_readlink(struct bld_rootfs *fs, const char *path, char **out, struct cb_err **err)
{
    cleanup_free struct walker *w = walker_new();
    struct node nd;

    if (resolve(fs, path, false, w, &nd) < 0)
        return cb_fail(err, CB_ENOTFOUND, 0, "'%s' not found in the image", path);
    if (!S_ISLNK(nd.mode) || !(*out = read_link(fs, &nd, w->cur)))
        return cb_fail(err, CB_EINVAL, 0, "'%s' is not a symlink", path);
    return 0;
}

int bld_rootfs_read(struct bld_rootfs *fs, const char *path, size_t max, struct cb_buf *out,
                    struct cb_err **err)
{
    cleanup_free struct walker *w = walker_new();
    cleanup_close int fd = -1;
    struct node nd;
    char buf[8192];

    if (resolve(fs, path, true, w, &nd) < 0)
        return cb_fail(err, CB_ENOTFOUND, 0, "'%s' not found in the image", path);
    if (!S_ISREG(nd.mode))
        return cb_fail(err, CB_EINVAL, 0, "'%s' is not a regular file", path);
    if (nd.p.ent)
        return bld_layer_index_read(fs->index[nd.top], nd.p.ent, max, out, err) < 0
                   ? cb_wrap(err, "read '%s'", path)
                   : 0;
    fd = openat(fs->fds[nd.top], w->cur, O_RDONLY | O_NOFOLLOW | O_CLOEXEC);
    if (fd < 0)
        return cb_fail(err, CB_EIO, errno, "open '%s' in the image", path);
    if (!max)
        return cb_read_all(fd, out, err) < 0 ? cb_wrap(err, "read '%s'", path) : 0;
    while (max > 0) {
        ssize_t n = read(fd, buf, max < sizeof(buf) ? max : sizeof(buf));
        if (n < 0 && errno == EINTR)
            continue;
        if (n < 0)
            return cb_fail(err, CB_EIO, errno, "read '%s'", path);
        if (n == 0)
            break;
        if (cb_buf_add(out, buf, (size_t)n, err) < 0)
            return cb_wrap(err, "read '%s'", path);
        max -= (size_t)n;
    }
    return 0;
}

/* ---------------------------------------------------------------- listing */

struct dent {
    char *name;
    int layer;
    bool hidden;
};

static int dent_cmp(const void *a, const void *b)
{
    const struct dent *x = a, *y = b;
    int c = strcmp(x->name, y->name);
    return c ? c : y->layer - x->layer; /* upper layer first */
}

static void list_index(struct bld_rootfs *fs, int l, const char *rel, struct dent **v, size_t *n,
                       size_t *alloc)
{
    const struct bld_layer_ent *dir = bld_layer_index_get(fs->index[l], rel);

    for (size_t i = 0; dir && S_ISDIR(dir->mode) && i < dir->n_kids; i++) {
        XGROW(*v, *n + 1, *alloc);
        (*v)[*n].name = xstrdup(dir->kids[i]->name);
        (*v)[*n].layer = l;
        (*v)[*n].hidden = dir->kids[i]->whiteout;
        (*n)++;
    }
}

static void list_layer(struct bld_rootfs *fs, int l, const char *rel, struct dent **v, size_t *n,
                       size_t *alloc)
{
    if (fs->index[l]) {
        list_index(fs, l, rel, v, n, alloc);
        return;
    }
    int fd = openat(fs->fds[l], rel, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
    cleanup_dir DIR *d = fd >= 0 ? fdopendir(fd) : NULL;
    struct dirent *de;

    if (!d) {
        if (fd >= 0)
            close(fd);
        return;
    }
    while ((de = readdir(d))) {
        struct probe p = {.ent = NULL};
        if (!strcmp(de->d_name, ".") || !strcmp(de->d_name, ".."))
            continue;
        XGROW(*v, *n + 1, *alloc);
        (*v)[*n].name = xstrdup(de->d_name);
        (*v)[*n].layer = l;
        (*v)[*n].hidden = (de->d_type == DT_CHR || de->d_type == DT_UNKNOWN) &&
                          fstatat(dirfd(d), de->d_name, &p.st, AT_SYMLINK_NOFOLLOW) == 0 &&
                          is_whiteout(&p);
        (*n)++;
    }
}

static void list_node(struct bld_rootfs *fs, const struct node *nd, const char *rel,
                      struct cb_strv *names)
{
    struct dent *v = NULL;
    size_t n = 0, alloc = 0;

    for (int l = nd->top; l >= nd->floor; l--)
        list_layer(fs, l, rel, &v, &n, &alloc);
    if (n)
        qsort(v, n, sizeof(*v), dent_cmp);
    for (size_t i = 0; i < n; i++)
        if ((i == 0 || strcmp(v[i].name, v[i - 1].name)) && !v[i].hidden)
            cb_strv_push(names, v[i].name);
    for (size_t i = 0; i < n; i++)
        free(v[i].name);
    free(v);
}

int bld_rootfs_list(struct bld_rootfs *fs, const char *path, struct cb_strv *names,
                    struct cb_err **err)
{
    cleanup_free struct walker *w = walker_new();
    struct node nd;

    if (resolve(fs, path, true, w, &nd) < 0)
        return cb_fail(err, CB_ENOTFOUND, 0, "'%s' not found in the image", path);
    if (!S_ISDIR(nd.mode))
        return cb_fail(err, CB_EINVAL, 0, "'%s' is not a directory", path);
    list_node(fs, &nd, w->cur[0] ? w->cur : ".", names);
    return 0;
}

/* ---------------------------------------------------------------- walking */

struct walk {
    struct bld_rootfs *fs;
    bld_rootfs_walk_fn fn;
    void *userdata;
    size_t left; /* SIZE_MAX = no limit */
};

/* Deeper directories are not walked: a crafted layer may nest far deeper
 * than any real tree (PATH_MAX allows ~2,000 levels), and the walk recurses. */
#define WALK_DEPTH_MAX 2048

static int walk_dir(struct walk *wk, const struct node *dir, const char *rel, int depth,
                    struct cb_err **err)
{
    cleanup_strv_s struct cb_strv names = CB_STRV_INIT;

    list_node(wk->fs, dir, *rel ? rel : ".", &names);
    for (size_t i = 0; i < names.n && wk->left > 0; i++) {
        cleanup_free char *child = *rel ? xasprintf("%s/%s", rel, names.v[i]) : xstrdup(names.v[i]);
        cleanup_free char *abs = xasprintf("/%s", child);
        struct bld_rootfs_stat st;
        struct node nd;
        int r;

        if (!lookup(wk->fs, child, dir->top, dir->floor, &nd))
            continue;
        wk->left--;
        fill_stat(wk->fs, &nd, child, &st);
        r = wk->fn(wk->userdata, abs, &st, err);
        if (r < 0)
            return r;
        if (r == 0 && S_ISDIR(nd.mode) && depth < WALK_DEPTH_MAX &&
            (r = walk_dir(wk, &nd, child, depth + 1, err)) < 0)
            return r;
    }
    return 0;
}

int bld_rootfs_walk(struct bld_rootfs *fs, const char *dir, size_t max_entries,
                    bld_rootfs_walk_fn fn, void *userdata, struct cb_err **err)
{
    cleanup_free struct walker *w = walker_new();
    struct walk wk = {fs, fn, userdata, max_entries ? max_entries : SIZE_MAX};
    struct node nd;

    if (resolve(fs, dir, true, w, &nd) < 0)
        return cb_fail(err, CB_ENOTFOUND, 0, "'%s' not found in the image", dir);
    if (!S_ISDIR(nd.mode))
        return 0;
    return walk_dir(&wk, &nd, w->cur, 0, err);
}

/* ---------------------------------------------------------------- one layer's files */

static int dir_files(int dfd, const char *prefix, int depth, size_t max_size, bld_layer_file_fn fn,
                     void *userdata, struct cb_err **err)
{
    int fd;
    cleanup_dir DIR *d = NULL;
    struct dirent *de;

    if (depth > WALK_DEPTH_MAX)
        return 0; /* as the walk: deeper is not looked at */
    fd = openat(dfd, ".", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (fd < 0 || !(d = fdopendir(fd))) {
        if (fd >= 0)
            close(fd);
        return cb_fail(err, CB_EIO, errno, "read directory '%s'", *prefix ? prefix : "/");
    }
    while ((de = readdir(d))) {
        cleanup_free char *path = xasprintf("%s/%s", prefix, de->d_name);
        struct stat st;
        int r = 0;
        if (!strcmp(de->d_name, ".") || !strcmp(de->d_name, ".."))
            continue;
        if (fstatat(dirfd(d), de->d_name, &st, AT_SYMLINK_NOFOLLOW) < 0)
            return cb_fail(err, CB_EIO, errno, "stat '%s'", path);
        if (S_ISREG(st.st_mode) && (size_t)st.st_size <= max_size) {
            cleanup_close int f = openat(dirfd(d), de->d_name, O_RDONLY | O_NOFOLLOW | O_CLOEXEC);
            cleanup_buf struct cb_buf b = {0};
            cb_buf_init(&b, max_size);
            if (f < 0)
                return cb_fail(err, CB_EIO, errno, "open '%s'", path);
            if (cb_read_all(f, &b, err) < 0)
                return cb_wrap(err, "read '%s'", path);
            r = fn(userdata, path, b.len ? b.data : "", b.len, err);
        } else if (S_ISDIR(st.st_mode)) {
            cleanup_close int sub =
                openat(dirfd(d), de->d_name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
            if (sub < 0)
                return cb_fail(err, CB_EIO, errno, "open '%s'", path);
            r = dir_files(sub, path, depth + 1, max_size, fn, userdata, err);
        }
        if (r < 0)
            return r;
    }
    return 0;
}

int bld_rootfs_layer_files(struct bld_rootfs *fs, size_t layer, size_t max_size,
                           bld_layer_file_fn fn, void *userdata, struct cb_err **err)
{
    if (layer >= fs->n)
        return cb_fail(err, CB_EINVAL, 0, "no layer %zu in the image", layer + 1);
    if (fs->index[layer])
        return bld_layer_index_files(fs->index[layer], max_size, fn, userdata, err);
    return dir_files(fs->fds[layer], "", 0, max_size, fn, userdata, err);
}
