/* layerindex.c - a layer blob's entries in memory (see layerindex.h): one
 * pass over the tar building a path table and the directory tree, keeping
 * small files whole and the heads of the others within a budget. */
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "layerindex.h"
#include "../../base/cleanup.h"
#include "../../base/xalloc.h"
#include "../../oci/layer.h"
#include "../../base/banned.h"

/* Kept per layer: files up to KEEP_FILE whole while the layer's kept bytes
 * stay under KEEP_BUDGET, else the first HEAD bytes under HEAD_BUDGET.  The
 * checks read /etc/passwd, package.json and the like whole, and programs'
 * first line (a shebang) of anything. */
#define KEEP_FILE ((size_t)64 << 10)
#define KEEP_BUDGET ((size_t)16 << 20)
#define HEAD 512
#define HEAD_BUDGET ((size_t)16 << 20)
/* Files the doctor's checks read whole, kept up to this size even past the
 * budget: a layer of many small files (node_modules sorts before
 * package.json) must not push them out to a second pass over the blob. */
#define NAMED_FILE ((size_t)1 << 20)
static const char *const always_kept[] = {"passwd", "group", "package.json", NULL};

static bool named_kept(const char *name)
{
    for (const char *const *n = always_kept; *n; n++)
        if (!strcmp(name, *n))
            return true;
    return false;
}
#define MAX_HARDLINK_HOPS 8

struct bld_layer_index {
    char *blob;
    struct bld_layer_ent **slots; /* open addressing by path */
    size_t cap, n;
    struct bld_layer_ent **all; /* in the order they were first seen */
    size_t alloc_all;
    size_t kept, heads;
    off_t dropped_min; /* the smallest regular file not kept whole */
};

/* ---------------------------------------------------------------- table */

static uint64_t hash_path(const char *p)
{
    uint64_t h = 0xcbf29ce484222325ull;
    for (; *p; p++)
        h = (h ^ (unsigned char)*p) * 0x100000001b3ull;
    return h;
}

static struct bld_layer_ent **slot_of(const struct bld_layer_index *ix, const char *path)
{
    size_t mask = ix->cap - 1;
    for (size_t i = hash_path(path) & mask;; i = (i + 1) & mask)
        if (!ix->slots[i] || !strcmp(ix->slots[i]->path, path))
            return &ix->slots[i];
}

static void grow(struct bld_layer_index *ix)
{
    struct bld_layer_ent **old = ix->slots;
    size_t old_cap = ix->cap;

    ix->cap = old_cap ? old_cap * 2 : 1024;
    ix->slots = xcalloc(ix->cap, sizeof(*ix->slots));
    for (size_t i = 0; i < old_cap; i++)
        if (old[i])
            *slot_of(ix, old[i]->path) = old[i];
    free(old);
}

const struct bld_layer_ent *bld_layer_index_get(const struct bld_layer_index *ix, const char *rel)
{
    const struct bld_layer_ent *e;

    if (!strcmp(rel, "."))
        rel = "";
    e = *slot_of(ix, rel);
    return e && !e->gone ? e : NULL;
}

static void add_kid(struct bld_layer_ent *dir, struct bld_layer_ent *e)
{
    XGROW(dir->kids, dir->n_kids + 1, dir->alloc_kids);
    dir->kids[dir->n_kids++] = e;
}

/* The entry for path, made (empty, under parent) when new. */
static struct bld_layer_ent *put(struct bld_layer_index *ix, struct bld_layer_ent *parent,
                                 const char *path)
{
    struct bld_layer_ent **slot, *e;
    const char *slash;

    if ((ix->n + 1) * 2 > ix->cap)
        grow(ix);
    slot = slot_of(ix, path);
    if (*slot && !(*slot)->gone)
        return *slot;
    if (*slot) { /* under a directory that was replaced, and made again */
        e = *slot;
        e->gone = false;
        e->mode = 0;
        add_kid(parent, e);
        return e;
    }
    e = xcalloc(1, sizeof(*e));
    e->path = xstrdup(path);
    slash = strrchr(e->path, '/');
    e->name = slash ? slash + 1 : e->path;
    *slot = e;
    ix->n++;
    XGROW(ix->all, ix->n, ix->alloc_all);
    e->seq = ix->n - 1;
    ix->all[e->seq] = e;
    if (parent)
        add_kid(parent, e);
    return e;
}

static void ent_free(struct bld_layer_ent *e)
{
    free(e->path);
    free(e->link);
    free(e->data);
    free(e->kids);
    free(e);
}

void bld_layer_index_free(struct bld_layer_index *ix)
{
    if (!ix)
        return;
    for (size_t i = 0; i < ix->n; i++)
        ent_free(ix->all[i]);
    free(ix->all);
    free(ix->slots);
    free(ix->blob);
    free(ix);
}

/* ---------------------------------------------------------------- load */

struct loader {
    struct bld_layer_index *ix;
    uint64_t ordinal;
};

/* Mark everything below e gone (a tar may nest deeply: no recursion). */
static void drop_kids(struct bld_layer_ent *e)
{
    struct bld_layer_ent **todo = NULL;
    size_t n = 0, alloc = 0;

    XGROW(todo, n + 1, alloc);
    todo[n++] = e;
    while (n) {
        struct bld_layer_ent *d = todo[--n];
        for (size_t i = 0; i < d->n_kids; i++) {
            d->kids[i]->gone = true;
            XGROW(todo, n + 1, alloc);
            todo[n++] = d->kids[i];
        }
        d->n_kids = 0;
    }
    free(todo);
}

/* Empty e for a new entry of the same path; a directory keeps its
 * children only when it stays one. */
static void reset(struct bld_layer_ent *e, bool dir)
{
    free(e->link);
    free(e->data);
    e->link = NULL;
    e->data = NULL;
    e->data_len = 0;
    e->hardlink = e->whiteout = false;
    if (!dir || !S_ISDIR(e->mode)) {
        drop_kids(e);
        e->opaque = false;
    }
}

/* The directory dir ("" is the root), made with its parents as the
 * unpacker makes them when the tar did not list them. */
static struct bld_layer_ent *ensure_dir(struct bld_layer_index *ix, const char *dir,
                                        const char *entry, struct cb_err **err)
{
    struct bld_layer_ent *cur = (struct bld_layer_ent *)bld_layer_index_get(ix, "");
    const char *c = dir;

    while (*c) {
        const char *end = strchr(c, '/');
        cleanup_free char *upto = xstrndup(dir, end ? (size_t)(end - dir) : strlen(dir));
        struct bld_layer_ent *e = (struct bld_layer_ent *)bld_layer_index_get(ix, upto);
        if (!e) {
            e = put(ix, cur, upto);
            e->mode = S_IFDIR | 0755;
        } else if (!S_ISDIR(e->mode)) {
            cb_fail(err, CB_EINVAL, 0,
                    S_ISLNK(e->mode) ? "layer entry '%s': refusing to write through symlink '%s'"
                                     : "layer entry '%s': cannot open '%s'",
                    entry, upto);
            return NULL;
        }
        cur = e;
        c = end ? end + 1 : c + strlen(c);
    }
    return cur;
}

static int read_head(const struct oci_layer_entry *te, struct bld_layer_ent *e, size_t want,
                     struct cb_err **err)
{
    e->data = xmalloc(want ? want : 1);
    while (e->data_len < want) {
        ssize_t n = oci_layer_entry_read(te, e->data + e->data_len, want - e->data_len, err);
        if (n < 0)
            return (int)n;
        if (n == 0)
            break;
        e->data_len += (size_t)n;
    }
    return 0;
}

static int keep_content(struct bld_layer_index *ix, const struct oci_layer_entry *te,
                        struct bld_layer_ent *e, struct cb_err **err)
{
    size_t size = (size_t)te->size, want = 0;

    if (size <= KEEP_FILE && ix->kept + size <= KEEP_BUDGET) {
        want = size;
        ix->kept += size;
    } else if (size <= NAMED_FILE && named_kept(e->name)) {
        want = size;
    } else if (ix->heads + HEAD <= HEAD_BUDGET) {
        want = size < HEAD ? size : HEAD;
        ix->heads += want;
    }
    if (want < size && e->size < ix->dropped_min)
        ix->dropped_min = e->size;
    return want ? read_head(te, e, want, err) : 0;
}

static int whiteout(struct bld_layer_index *ix, struct bld_layer_ent *parent, const char *dir,
                    const char *base, const char *entry, uint64_t ordinal, struct cb_err **err)
{
    const char *name = base + 4;

    if (!strcmp(base, ".wh..wh..opq")) {
        parent->opaque = true;
        return 0;
    }
    if (!strncmp(name, ".wh.", 4))
        return 0; /* aufs internals carry nothing */
    if (!*name || !strcmp(name, ".") || !strcmp(name, ".."))
        return cb_fail(err, CB_EINVAL, 0, "layer entry '%s': bad whiteout", entry);
    cleanup_free char *path = *dir ? xasprintf("%s/%s", dir, name) : xstrdup(name);
    struct bld_layer_ent *e = put(ix, parent, path);
    reset(e, false);
    e->mode = S_IFCHR;
    e->uid = e->gid = 0;
    e->size = 0;
    e->whiteout = true;
    e->ordinal = ordinal;
    return 0;
}

static int hardlink(struct bld_layer_index *ix, struct bld_layer_ent *e, const char *linkname,
                    const char *entry, struct cb_err **err)
{
    cleanup_free char *target = oci_layer_entry_clean(linkname, "hardlink target", err);
    struct bld_layer_ent *t;

    if (!target)
        return cb_err_rc(err);
    t = (struct bld_layer_ent *)bld_layer_index_get(ix, target);
    if (!t || !S_ISREG(t->mode) || t == e)
        return cb_fail(err, CB_EINVAL, 0,
                       "layer entry '%s': hardlink target '%s' is not a file "
                       "of the layer",
                       entry, target);
    e->hardlink = true;
    e->link = TAKE_PTR(target);
    e->mode = t->mode;
    e->uid = t->uid;
    e->gid = t->gid;
    e->size = t->size;
    e->mtime = t->mtime;
    t->link_target = true;
    return 0;
}

static mode_t type_bits(enum oci_layer_entry_type t)
{
    switch (t) {
    case OCI_ENTRY_DIR:
        return S_IFDIR;
    case OCI_ENTRY_SYMLINK:
        return S_IFLNK;
    case OCI_ENTRY_CHAR:
        return S_IFCHR;
    case OCI_ENTRY_BLOCK:
        return S_IFBLK;
    case OCI_ENTRY_FIFO:
        return S_IFIFO;
    case OCI_ENTRY_FILE:
    case OCI_ENTRY_HARDLINK:
        break;
    }
    return S_IFREG;
}

static int load_entry(void *userdata, const struct oci_layer_entry *te, struct cb_err **err)
{
    struct loader *ld = userdata;
    struct bld_layer_index *ix = ld->ix;
    uint64_t ordinal = ld->ordinal++;
    cleanup_free char *path = oci_layer_entry_clean(te->path, "path", err);
    struct bld_layer_ent *parent, *e;

    if (!path)
        return cb_err_rc(err);
    char *slash = strrchr(path, '/');
    cleanup_free char *dir = slash ? xstrndup(path, (size_t)(slash - path)) : xstrdup("");
    const char *base = slash ? slash + 1 : path;
    bool is_dir = te->type == OCI_ENTRY_DIR;

    if (!(parent = ensure_dir(ix, dir, path, err)))
        return cb_err_rc(err);
    if (*path && !strncmp(base, ".wh.", 4))
        return whiteout(ix, parent, dir, base, path, ordinal, err);
    e = *path ? put(ix, parent, path) : parent;
    if (!*path && !is_dir)
        return 0; /* the root stays a directory */
    reset(e, is_dir);
    e->mode = type_bits(te->type) | (te->mode & 07777);
    e->uid = te->uid;
    e->gid = te->gid;
    e->size = te->type == OCI_ENTRY_FILE ? (off_t)te->size : 0;
    e->mtime = te->mtime;
    e->ordinal = ordinal;
    if (te->type == OCI_ENTRY_HARDLINK)
        return hardlink(ix, e, te->linkname, path, err);
    if (te->type == OCI_ENTRY_SYMLINK)
        e->link = xstrdup(te->linkname ? te->linkname : "");
    if (te->type == OCI_ENTRY_FILE)
        return keep_content(ix, te, e, err);
    return 0;
}

struct bld_layer_index *bld_layer_index_load(const char *blob, struct cb_err **err)
{
    struct bld_layer_index *ix = xcalloc(1, sizeof(*ix));
    struct loader ld = {ix, 0};
    cleanup_close int fd = open(blob, O_RDONLY | O_CLOEXEC);
    struct bld_layer_ent *root;

    ix->blob = xstrdup(blob);
    ix->dropped_min = (off_t)INT64_MAX;
    root = put(ix, NULL, "");
    root->mode = S_IFDIR | 0755;
    if (fd < 0) {
        cb_fail(err, CB_EIO, errno, "open '%s'", blob);
    } else {
        struct oci_source src = oci_source_fd(fd);
        if (oci_layer_list(&src, load_entry, &ld, NULL, err) == 0)
            return ix;
    }
    bld_layer_index_free(ix);
    return NULL;
}

/* ---------------------------------------------------------------- reading back */

/* The regular file whose content e shows. */
static const struct bld_layer_ent *content_of(const struct bld_layer_index *ix,
                                              const struct bld_layer_ent *e)
{
    for (int hops = 0; e && e->hardlink && hops < MAX_HARDLINK_HOPS; hops++)
        e = bld_layer_index_get(ix, e->link);
    return e && S_ISREG(e->mode) && !e->hardlink ? e : NULL;
}

struct fetch {
    uint64_t ordinal;
    size_t max;
    struct cb_buf *out;
    bool found;
};

static int copy_entry(const struct oci_layer_entry *te, size_t max, struct cb_buf *out,
                      struct cb_err **err)
{
    char buf[65536];

    for (size_t done = 0; !max || done < max;) {
        size_t want = max && max - done < sizeof(buf) ? max - done : sizeof(buf);
        ssize_t n = oci_layer_entry_read(te, buf, want, err);
        if (n <= 0)
            return (int)n;
        if (cb_buf_add(out, buf, (size_t)n, err) < 0)
            return cb_err_rc(err);
        done += (size_t)n;
    }
    return 0;
}

static int fetch_entry(void *userdata, const struct oci_layer_entry *te, struct cb_err **err)
{
    struct fetch *f = userdata;

    if (f->ordinal--)
        return 0;
    f->found = true;
    return copy_entry(te, f->max, f->out, err) < 0 ? -1 : 1;
}

static int stream(const struct bld_layer_index *ix, oci_layer_entry_fn fn, void *userdata,
                  struct cb_err **err)
{
    cleanup_close int fd = open(ix->blob, O_RDONLY | O_CLOEXEC);

    if (fd < 0)
        return cb_fail(err, CB_EIO, errno, "open '%s'", ix->blob);
    struct oci_source src = oci_source_fd(fd);
    return oci_layer_list(&src, fn, userdata, NULL, err);
}

int bld_layer_index_read(const struct bld_layer_index *ix, const struct bld_layer_ent *e,
                         size_t max, struct cb_buf *out, struct cb_err **err)
{
    const struct bld_layer_ent *c = content_of(ix, e);
    size_t want;

    if (!c)
        return cb_fail(err, CB_EINVAL, 0, "'/%s' is not a regular file", e->path);
    want = max && max < (size_t)c->size ? max : (size_t)c->size;
    if (c->data_len >= want)
        return cb_buf_add(out, c->data, want, err);

    struct fetch f = {c->ordinal, max, out, false};
    if (stream(ix, fetch_entry, &f, err) < 0)
        return cb_wrap(err, "read '/%s' from layer '%s'", c->path, ix->blob);
    if (!f.found)
        return cb_fail(err, CB_EIO, 0, "layer '%s' changed: entry '/%s' is gone", ix->blob,
                       c->path);
    return 0;
}

/* ---------------------------------------------------------------- all files */

struct target {
    struct cb_buf b;
    bool have;
};

struct files {
    const struct bld_layer_index *ix;
    size_t max_size;
    bld_layer_file_fn fn;
    void *userdata;
    uint64_t ordinal;
    struct cb_buf buf;
    struct target *targets; /* hardlink targets' content, by seq */
};

static int call(struct files *fs, const struct bld_layer_ent *e, const void *data, size_t len,
                struct cb_err **err)
{
    cleanup_free char *abs = xasprintf("/%s", e->path);
    return fs->fn(fs->userdata, abs, data, len, err);
}

static int files_in_memory(struct files *fs, struct cb_err **err)
{
    for (size_t i = 0; i < fs->ix->n; i++) {
        const struct bld_layer_ent *e = fs->ix->all[i], *c = content_of(fs->ix, e);
        int r;
        if (!e->gone && c && (size_t)c->size <= fs->max_size &&
            (r = call(fs, e, c->data ? c->data : (const unsigned char *)"", c->data_len, err)) < 0)
            return r;
    }
    return 0;
}

static int files_entry(void *userdata, const struct oci_layer_entry *te, struct cb_err **err)
{
    struct files *fs = userdata;
    uint64_t ordinal = fs->ordinal++;
    cleanup_free char *path = oci_layer_entry_clean(te->path, "path", err);
    const struct bld_layer_ent *e, *c;

    if (!path)
        return cb_err_rc(err);
    e = bld_layer_index_get(fs->ix, path);
    if (!e || e->ordinal != ordinal || !(c = content_of(fs->ix, e)) ||
        (size_t)c->size > fs->max_size)
        return 0;
    if (e->hardlink) {
        const struct target *t = &fs->targets[c->seq];
        if (!t->have)
            return 0; /* its target was replaced after the link */
        return call(fs, e, t->b.len ? t->b.data : "", t->b.len, err);
    }
    cb_buf_reset(&fs->buf);
    if (copy_entry(te, 0, &fs->buf, err) < 0)
        return cb_err_rc(err);
    if (e->link_target) {
        struct target *t = &fs->targets[e->seq];
        cb_buf_init(&t->b, fs->max_size);
        if (fs->buf.len && cb_buf_add(&t->b, fs->buf.data, fs->buf.len, err) < 0)
            return cb_err_rc(err);
        t->have = true;
    }
    return call(fs, e, fs->buf.len ? fs->buf.data : "", fs->buf.len, err);
}

int bld_layer_index_files(const struct bld_layer_index *ix, size_t max_size, bld_layer_file_fn fn,
                          void *userdata, struct cb_err **err)
{
    struct files fs = {ix, max_size, fn, userdata, 0, {0}, NULL};
    int r;

    if ((off_t)max_size < ix->dropped_min)
        return files_in_memory(&fs, err);
    cb_buf_init(&fs.buf, max_size);
    fs.targets = xcalloc(ix->n, sizeof(*fs.targets));
    r = stream(ix, files_entry, &fs, err);
    for (size_t i = 0; i < ix->n; i++)
        cb_buf_release(&fs.targets[i].b);
    free(fs.targets);
    cb_buf_release(&fs.buf);
    return r < 0 ? cb_wrap(err, "read layer '%s'", ix->blob) : 0;
}
