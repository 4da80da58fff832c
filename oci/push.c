/* push.c - layout -> registry: blobs (skip present, mount, upload) in
 * parallel, child manifests by digest, then the top document per tag. */
#include <pthread.h>
#include <stdlib.h>
#include <string.h>

#include "push.h"
#include "reference.h"
#include "../base/cleanup.h"
#include "../base/log.h"
#include "../base/parallel.h"
#include "../base/strv.h"
#include "../base/xalloc.h"
#include "../base/banned.h"

#define DEFAULT_PARALLEL 4

struct push_ctx {
    struct oci_layout *l;
    struct oci_registry *reg;
    const struct oci_push_req *req;
    const char *const *mounts; /* repositories of this registry that may hold the blobs */
    size_t n_mounts;
    struct oci_push_result *out;
    pthread_mutex_t lock;
    const struct oci_descriptor *blobs;
};

static int push_one_blob(struct push_ctx *c, const struct oci_descriptor *d, struct cb_err **err)
{
    cleanup_close int fd = -1;
    bool exists = false, mounted = false;
    int64_t sent = 0;

    if (oci_registry_blob_exists(c->reg, &d->digest, &exists, err) < 0)
        return cb_err_rc(err);
    for (size_t i = 0; !exists && !mounted && i < c->n_mounts; i++)
        if (oci_registry_mount_blob(c->reg, &d->digest, c->mounts[i], &mounted, err) < 0)
            return cb_err_rc(err);
    if (!exists && !mounted) {
        fd = oci_layout_blob_open(c->l, &d->digest, err);
        if (fd < 0)
            return cb_err_rc(err);
        if (oci_registry_push_blob(c->reg, &d->digest, d->size, fd, &sent, err) < 0)
            return cb_err_rc(err);
    }
    pthread_mutex_lock(&c->lock);
    if (exists)
        c->out->blobs_present++;
    else if (mounted)
        c->out->blobs_mounted++;
    else {
        c->out->blobs_uploaded++;
        c->out->bytes_sent += sent;
    }
    pthread_mutex_unlock(&c->lock);
    return 0;
}

static int blob_job(void *ud, size_t i, struct cb_err **err)
{
    struct push_ctx *c = ud;
    return push_one_blob(c, &c->blobs[i], err);
}

/* Read a stored document's bytes (verified). */
static int read_doc(struct oci_layout *l, const struct oci_descriptor *d, struct cb_buf *out,
                    struct cb_err **err)
{
    cb_buf_init(out, OCI_DOC_LIMIT);
    return oci_layout_read_blob(l, &d->digest, out, err);
}

static int push_manifest_blobs(struct push_ctx *c, const struct cb_buf *doc, struct cb_err **err)
{
    cleanup_manifest struct oci_manifest m;
    struct oci_descriptor *v;
    int rc;

    if (oci_manifest_parse(doc->data, doc->len, &m, err) < 0)
        return cb_err_rc(err);
    v = xcalloc(m.n_layers + 1, sizeof(*v));
    v[0] = m.config;
    for (size_t i = 0; i < m.n_layers; i++)
        v[i + 1] = m.layers[i];
    c->blobs = v;
    rc = cb_parallel(m.n_layers + 1, c->req->parallel > 0 ? c->req->parallel : DEFAULT_PARALLEL,
                     blob_job, c, err);
    free(v);
    return rc;
}

static const char *doc_media_type(const struct oci_descriptor *d, bool index)
{
    if (d->media_type && *d->media_type)
        return d->media_type;
    return index ? OCI_MT_INDEX : OCI_MT_MANIFEST;
}

/* An index's children (by digest), each with its blobs. */
static int push_children(struct push_ctx *c, const struct cb_buf *doc, struct cb_err **err)
{
    cleanup_index struct oci_index x;
    char ds[OCI_DIGEST_STR_MAX];

    if (oci_index_parse(doc->data, doc->len, &x, err) < 0)
        return cb_err_rc(err);
    for (size_t i = 0; i < x.n_manifests; i++) {
        const struct oci_descriptor *d = &x.manifests[i];
        cleanup_buf struct cb_buf child = {0};
        bool exists = false;
        struct oci_digest got;
        oci_digest_fmt(&d->digest, ds);
        if (!oci_layout_has_blob(c->l, &d->digest)) {
            if (oci_registry_head_manifest(c->reg, ds, &exists, &got, err) < 0)
                return cb_err_rc(err);
            if (!exists)
                return cb_fail(err, CB_ENOTFOUND, 0,
                               "the index lists manifest %s, which is neither in the store nor "
                               "in '%s' (only some platforms were pulled)",
                               ds, oci_registry_name_peek(c->reg));
            continue;
        }
        if (read_doc(c->l, d, &child, err) < 0)
            return cb_err_rc(err);
        bool nested = oci_doc_kind_of(d->media_type) == OCI_DOC_INDEX;
        if ((nested ? push_children(c, &child, err) : push_manifest_blobs(c, &child, err)) < 0)
            return cb_err_rc(err);
        if (oci_registry_put_manifest(c->reg, ds, doc_media_type(d, nested), child.data, child.len,
                                      err) < 0)
            return cb_err_rc(err);
    }
    return 0;
}

/* The top document once per tag; a tag already at this digest is left
 * alone (immutable-tag registries reject even an identical re-push). */
static int push_tags(struct push_ctx *c, const struct oci_descriptor *src, const struct cb_buf *doc,
                     const struct cb_strv *objs, bool index, struct cb_err **err)
{
    for (size_t i = 0; i < objs->n; i++) {
        bool exists = false;
        struct oci_digest cur;
        if (oci_registry_head_manifest(c->reg, objs->v[i], &exists, &cur, err) < 0)
            return cb_err_rc(err);
        if (exists && oci_digest_equal(&cur, &src->digest)) {
            c->out->tags_unchanged++;
            continue;
        }
        if (oci_registry_put_manifest(c->reg, objs->v[i], doc_media_type(src, index), doc->data,
                                      doc->len, err) < 0)
            return cb_err_rc(err);
        c->out->tags_pushed++;
    }
    return 0;
}

/* Repositories of registry that may lend blobs: those pushed earlier in
 * this call, and req->mount_from. */
static void mount_sources(const struct oci_ref *refs, size_t upto, const struct oci_ref *dst,
                          const char *mount_from, struct cb_strv *out)
{
    for (size_t k = 0; k < upto; k++)
        if (!strcmp(refs[k].registry, dst->registry) &&
            strcmp(refs[k].repository, dst->repository) &&
            cb_strv_find(out, refs[k].repository) < 0)
            cb_strv_push(out, refs[k].repository);
    if (mount_from) {
        struct oci_ref m;
        struct cb_err *e = NULL;
        if (oci_ref_parse(mount_from, &m, &e) < 0) {
            cb_err_free(e);
            return;
        }
        if (!strcmp(m.registry, dst->registry) && strcmp(m.repository, dst->repository) &&
            cb_strv_find(out, m.repository) < 0)
            cb_strv_push(out, m.repository);
        oci_ref_release(&m);
    }
}

static bool same_repo(const struct oci_ref *a, const struct oci_ref *b)
{
    return !strcmp(a->registry, b->registry) && !strcmp(a->repository, b->repository);
}

static int push_repo(struct oci_layout *l, const struct oci_descriptor *src,
                     const struct cb_buf *doc, bool index, const struct oci_ref *refs, size_t i,
                     const struct oci_push_req *req, struct oci_push_result *out,
                     struct cb_err **err)
{
    cleanup_strv_s struct cb_strv objs = CB_STRV_INIT, mounts = CB_STRV_INIT;
    cleanup_registry struct oci_registry *reg = NULL;
    char obj[OCI_DIGEST_STR_MAX];
    struct push_ctx c = {.l = l, .req = req, .out = out};
    int rc;

    for (size_t k = i; k < req->n_dests; k++)
        if (same_repo(&refs[k], &refs[i]) && cb_strv_find(&objs, oci_ref_object(&refs[k], obj)) < 0)
            cb_strv_push(&objs, oci_ref_object(&refs[k], obj));
    /* a destination given by digest must name this very image */
    for (size_t k = 0; k < objs.n; k++)
        if (!strncmp(objs.v[k], "sha256:", 7) &&
            strcmp(objs.v[k], oci_digest_fmt(&src->digest, obj)))
            return cb_fail(err, CB_EINVAL, 0, "destination digest %s is not the image's (%s)",
                           objs.v[k], obj);
    mount_sources(refs, i, &refs[i], req->mount_from, &mounts);
    reg = oci_registry_new(refs[i].registry, refs[i].repository, &req->reg, err);
    if (!reg)
        return cb_err_rc(err);
    oci_registry_want_push(reg);
    for (size_t k = 0; k < mounts.n; k++)
        oci_registry_add_scope_repo(reg, mounts.v[k]);
    c.reg = reg;
    c.mounts = (const char *const *)mounts.v;
    c.n_mounts = mounts.n;
    pthread_mutex_init(&c.lock, NULL);
    rc = index ? push_children(&c, doc, err) : push_manifest_blobs(&c, doc, err);
    if (rc == 0)
        rc = push_tags(&c, src, doc, &objs, index, err);
    pthread_mutex_destroy(&c.lock);
    return rc;
}

int oci_push(struct oci_layout *l, const struct oci_descriptor *src, const struct oci_push_req *req,
             struct oci_push_result *out, struct cb_err **err)
{
    struct oci_ref *refs;
    cleanup_buf struct cb_buf doc = {0};
    bool index;
    int rc = 0;

    memset(out, 0, sizeof(*out));
    out->digest = src->digest;
    if (req->n_dests == 0)
        return cb_fail(err, CB_EINVAL, 0, "push: no destination");
    if (read_doc(l, src, &doc, err) < 0)
        return cb_wrap(err, "push");
    index = oci_doc_kind_of(src->media_type) == OCI_DOC_INDEX ||
            (oci_doc_kind_of(src->media_type) == OCI_DOC_UNKNOWN &&
             oci_doc_sniff(doc.data, doc.len) == OCI_DOC_INDEX);
    refs = xcalloc(req->n_dests, sizeof(*refs));
    for (size_t i = 0; i < req->n_dests && rc == 0; i++)
        rc = oci_ref_parse(req->dests[i], &refs[i], err);
    for (size_t i = 0; i < req->n_dests && rc == 0; i++) {
        bool seen = false;
        for (size_t k = 0; k < i; k++)
            seen = seen || same_repo(&refs[k], &refs[i]);
        if (seen)
            continue;
        rc = push_repo(l, src, &doc, index, refs, i, req, out, err);
        if (rc < 0)
            rc = cb_wrap(err, "push '%s'", req->dests[i]);
    }
    for (size_t i = 0; i < req->n_dests; i++)
        oci_ref_release(&refs[i]);
    free(refs);
    return rc;
}
