/* layout_index.c - documents and index.json in an OCI image layout: put and
 * get manifests, indexes and image configs as verified blobs; read and
 * atomically replace index.json; add, move and remove tags (the
 * org.opencontainers.image.ref.name annotation, image-spec
 * image-layout.md "index.json").  Every read-modify-write of index.json runs
 * under an exclusive flock on the layout directory. */
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>

#include "oci_internal.h"
#include "../base/cleanup.h"
#include "../base/fsutil.h"
#include "../base/xalloc.h"
#include "../base/banned.h"

/* ---------------------------------------------------------------- documents */

static int put_doc(struct oci_layout *l, struct cb_buf *b, const char *media_type,
                   struct oci_descriptor *out, struct cb_err **err)
{
    oci_descriptor_init(out);
    if (oci_layout_put_blob(l, b->data, b->len, NULL, err) < 0)
        return cb_err_rc(err);
    oci_descriptor_set(out, media_type, b->data, b->len);
    return 0;
}

int oci_layout_put_manifest(struct oci_layout *l, const struct oci_manifest *m,
                            struct oci_descriptor *out, struct cb_err **err)
{
    cleanup_buf struct cb_buf b = {0};

    cb_buf_init(&b, OCI_DOC_LIMIT);
    if (oci_manifest_dump(m, &b, err) < 0)
        return cb_err_rc(err);
    return put_doc(l, &b, m->media_type ? m->media_type : OCI_MT_MANIFEST, out, err);
}

int oci_layout_put_index(struct oci_layout *l, const struct oci_index *x,
                         struct oci_descriptor *out, struct cb_err **err)
{
    cleanup_buf struct cb_buf b = {0};

    cb_buf_init(&b, OCI_DOC_LIMIT);
    if (oci_index_dump(x, &b, err) < 0)
        return cb_err_rc(err);
    return put_doc(l, &b, x->media_type ? x->media_type : OCI_MT_INDEX, out, err);
}

int oci_layout_put_image(struct oci_layout *l, const struct oci_image *img,
                         struct oci_descriptor *out, struct cb_err **err)
{
    cleanup_buf struct cb_buf b = {0};

    cb_buf_init(&b, OCI_DOC_LIMIT);
    if (oci_image_dump(img, &b, err) < 0)
        return cb_err_rc(err);
    return put_doc(l, &b, OCI_MT_CONFIG, out, err);
}

static int read_doc(struct oci_layout *l, const struct oci_digest *d, struct cb_buf *b,
                    struct cb_err **err)
{
    char s[OCI_DIGEST_STR_MAX];

    cb_buf_init(b, OCI_DOC_LIMIT);
    if (oci_layout_read_blob(l, d, b, err) < 0)
        return cb_wrap(err, "read '%s' in '%s'", oci_digest_fmt(d, s), l->path);
    return 0;
}

int oci_layout_get_manifest(struct oci_layout *l, const struct oci_digest *d,
                            struct oci_manifest *out, struct cb_err **err)
{
    cleanup_buf struct cb_buf b = {0};

    oci_manifest_init(out);
    if (read_doc(l, d, &b, err) < 0)
        return cb_err_rc(err);
    return oci_manifest_parse(b.data, b.len, out, err);
}

int oci_layout_get_index(struct oci_layout *l, const struct oci_digest *d, struct oci_index *out,
                         struct cb_err **err)
{
    cleanup_buf struct cb_buf b = {0};

    oci_index_init(out);
    if (read_doc(l, d, &b, err) < 0)
        return cb_err_rc(err);
    return oci_index_parse(b.data, b.len, out, err);
}

int oci_layout_get_image(struct oci_layout *l, const struct oci_digest *d, struct oci_image *out,
                         struct cb_err **err)
{
    cleanup_buf struct cb_buf b = {0};

    oci_image_init(out);
    if (read_doc(l, d, &b, err) < 0)
        return cb_err_rc(err);
    return oci_image_parse(b.data, b.len, out, err);
}

/* ---------------------------------------------------------------- index.json */

int oci_layout_read_index(struct oci_layout *l, struct oci_index *out, struct cb_err **err)
{
    cleanup_buf struct cb_buf b = {0};

    oci_index_init(out);
    cb_buf_init(&b, OCI_DOC_LIMIT);
    if (cb_read_file_at(l->dirfd, "index.json", &b, err) < 0)
        return cb_wrap(err, "read '%s/index.json'", l->path);
    if (oci_index_parse(b.data, b.len, out, err) < 0)
        return cb_wrap(err, "'%s/index.json'", l->path);
    return 0;
}

int oci_layout_write_index(struct oci_layout *l, const struct oci_index *x, struct cb_err **err)
{
    cleanup_buf struct cb_buf b = {0};

    cb_buf_init(&b, OCI_DOC_LIMIT);
    if (oci_index_dump(x, &b, err) < 0)
        return cb_err_rc(err);
    if (cb_write_file_atomic_at(l->dirfd, "index.json", b.data, b.len, 0644, err) < 0)
        return cb_wrap(err, "write '%s/index.json'", l->path);
    return 0;
}

/* An edit of index.json: returns < 0 on error, else whether x changed
 * (1) or not (0). */
typedef int (*index_edit_fn)(struct oci_index *x, void *ctx, struct cb_err **err);

static int edit_index(struct oci_layout *l, index_edit_fn fn, void *ctx, struct cb_err **err)
{
    struct oci_index x;
    /* a lock of its own: an flock on a shared fd would not keep two threads
     * of this process apart (parallel builds tag at the same time) */
    cleanup_close int lockfd = openat(l->dirfd, ".", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    int r;

    if (lockfd < 0 || flock(lockfd, LOCK_EX) < 0)
        return cb_fail(err, CB_EIO, errno, "lock layout '%s'", l->path);
    r = oci_layout_read_index(l, &x, err);
    if (r >= 0)
        r = fn(&x, ctx, err);
    if (r > 0 && oci_layout_write_index(l, &x, err) < 0)
        r = cb_err_rc(err);
    oci_index_release(&x);
    return r;
}

static const char *ref_name(const struct oci_descriptor *d)
{
    return oci_map_peek(&d->annotations, OCI_ANNOT_REF_NAME);
}

/* Remove the entries named name; the count removed. */
static int remove_named(struct oci_index *x, const char *name)
{
    int removed = 0;

    for (size_t i = x->n_manifests; i-- > 0;) {
        const char *n = ref_name(&x->manifests[i]);
        if (n && !strcmp(n, name)) {
            oci_index_remove(x, i);
            removed++;
        }
    }
    return removed;
}

struct tag_ctx {
    const char *name;
    const struct oci_descriptor *desc;
};

static int do_tag(struct oci_index *x, void *ctx, struct cb_err **err)
{
    struct tag_ctx *t = ctx;
    struct oci_descriptor d;

    (void)err;
    if (t->name) {
        remove_named(x, t->name);
        /* an untagged entry for the digest is redundant once it has a name */
        for (size_t i = x->n_manifests; i-- > 0;)
            if (!ref_name(&x->manifests[i]) &&
                oci_digest_equal(&x->manifests[i].digest, &t->desc->digest))
                oci_index_remove(x, i);
    } else
        for (size_t i = 0; i < x->n_manifests; i++)
            if (oci_digest_equal(&x->manifests[i].digest, &t->desc->digest))
                return 0;
    oci_descriptor_copy(&d, t->desc);
    if (t->name)
        oci_map_set(&d.annotations, OCI_ANNOT_REF_NAME, t->name);
    else
        oci_map_del(&d.annotations, OCI_ANNOT_REF_NAME);
    oci_index_add(x, &d);
    oci_descriptor_release(&d);
    return 1;
}

int oci_layout_tag(struct oci_layout *l, const char *name, const struct oci_descriptor *desc,
                   struct cb_err **err)
{
    struct tag_ctx t = {name, desc};

    if (name && !*name)
        return cb_fail(err, CB_EINVAL, 0, "empty tag name");
    return edit_index(l, do_tag, &t, err) < 0 ? cb_err_rc(err) : 0;
}

static int do_untag(struct oci_index *x, void *ctx, struct cb_err **err)
{
    if (!remove_named(x, ctx))
        return cb_fail(err, CB_ENOTFOUND, 0, "tag '%s' not found", (const char *)ctx);
    return 1;
}

int oci_layout_untag(struct oci_layout *l, const char *name, struct cb_err **err)
{
    if (edit_index(l, do_untag, (void *)name, err) < 0)
        return cb_wrap(err, "untag in '%s'", l->path);
    return 0;
}

struct remove_ctx {
    const struct oci_digest *d;
    int removed;
};

static int do_remove_digest(struct oci_index *x, void *ctx, struct cb_err **err)
{
    struct remove_ctx *r = ctx;

    (void)err;
    for (size_t i = x->n_manifests; i-- > 0;)
        if (oci_digest_equal(&x->manifests[i].digest, r->d)) {
            oci_index_remove(x, i);
            r->removed++;
        }
    return r->removed > 0;
}

int oci_layout_remove_digest(struct oci_layout *l, const struct oci_digest *d, struct cb_err **err)
{
    struct remove_ctx r = {d, 0};

    if (edit_index(l, do_remove_digest, &r, err) < 0)
        return cb_err_rc(err);
    return r.removed;
}

int oci_layout_resolve(struct oci_layout *l, const char *name, struct oci_descriptor *out,
                       struct cb_err **err)
{
    struct oci_index x;

    oci_descriptor_init(out);
    if (oci_layout_read_index(l, &x, err) < 0)
        return cb_err_rc(err);
    for (size_t i = x.n_manifests; i-- > 0;) {
        const char *n = ref_name(&x.manifests[i]);
        if (n && !strcmp(n, name)) {
            oci_descriptor_copy(out, &x.manifests[i]);
            oci_index_release(&x);
            return 0;
        }
    }
    oci_index_release(&x);
    return cb_fail(err, CB_ENOTFOUND, 0, "'%s' not found in '%s'", name, l->path);
}
