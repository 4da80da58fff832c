/* pull.c - registry -> layout: resolve the reference, fetch the manifest
 * (selecting the platform from an index), fetch the missing blobs in
 * parallel through verified blob writers, then name the image. */
#include <pthread.h>
#include <stdlib.h>
#include <string.h>

#include "pull.h"
#include "reference.h"
#include "../base/cleanup.h"
#include "../base/log.h"
#include "../base/parallel.h"
#include "../base/xalloc.h"
#include "../base/banned.h"

#define DEFAULT_PARALLEL 4

int oci_pull_policy_parse(const char *s, enum oci_pull_policy *out, struct cb_err **err)
{
    if (!strcmp(s, "missing") || !strcmp(s, "false"))
        *out = OCI_PULL_MISSING;
    else if (!strcmp(s, "always") || !strcmp(s, "true") || !*s)
        *out = OCI_PULL_ALWAYS;
    else if (!strcmp(s, "never"))
        *out = OCI_PULL_NEVER;
    else
        return cb_fail(err, CB_EINVAL, 0,
                       "invalid pull policy '%s' (want missing, always or never)", s);
    return 0;
}

void oci_pull_result_release(struct oci_pull_result *r)
{
    free(r->name);
    oci_descriptor_release(&r->desc);
    oci_descriptor_release(&r->manifest);
    memset(r, 0, sizeof(*r));
}

static void host_or(const struct oci_platform *want, struct oci_platform *out)
{
    oci_platform_init(out);
    if (want)
        oci_platform_copy(out, want);
    else
        oci_platform_host(out);
}

/* For an index: the platform's entry, or CB_ENOTFOUND listing what there is. */
static int select_platform(const struct oci_index *x, const struct oci_platform *want,
                           const char *ref, struct oci_descriptor *out, struct cb_err **err)
{
    struct oci_platform p;
    cleanup_buf struct cb_buf avail = {0};
    cleanup_free char *wanted = NULL;
    long i;

    host_or(want, &p);
    i = oci_index_select(x, &p);
    wanted = oci_platform_fmt(&p);
    oci_platform_release(&p);
    if (i >= 0) {
        oci_descriptor_copy(out, &x->manifests[i]);
        return 0;
    }
    cb_buf_init(&avail, 4096);
    for (size_t k = 0; k < x->n_manifests; k++) {
        if (!x->manifests[k].platform)
            continue;
        cleanup_free char *s = oci_platform_fmt(x->manifests[k].platform);
        cb_buf_addf(&avail, NULL, "%s%s", avail.len ? ", " : "", s);
    }
    return cb_fail(err, CB_ENOTFOUND, 0, "no manifest for platform '%s' in '%s' (it has: %s)",
                   wanted, ref, avail.len ? avail.data : "none");
}

/* A manifest whose config and layers are all stored. */
static bool manifest_complete(struct oci_layout *l, const struct oci_digest *d)
{
    struct cb_err *e = NULL;
    struct oci_manifest m;
    bool ok;

    if (oci_layout_get_manifest(l, d, &m, &e) < 0) {
        cb_err_free(e);
        return false;
    }
    ok = oci_layout_has_blob(l, &m.config.digest);
    for (size_t i = 0; ok && i < m.n_layers; i++)
        ok = oci_layout_has_blob(l, &m.layers[i].digest);
    oci_manifest_release(&m);
    return ok;
}

/* Describe a stored document by its digest alone (a digest reference that
 * was pulled under another name). */
static bool describe_blob(struct oci_layout *l, const struct oci_digest *d,
                          struct oci_descriptor *out)
{
    cleanup_buf struct cb_buf b = {0};
    struct cb_err *e = NULL;
    enum oci_doc_kind kind;

    cb_buf_init(&b, OCI_DOC_LIMIT);
    if (oci_layout_read_blob(l, d, &b, &e) < 0) {
        cb_err_free(e);
        return false;
    }
    kind = oci_doc_sniff(b.data, b.len);
    if (kind == OCI_DOC_UNKNOWN)
        return false;
    oci_descriptor_set(out, kind == OCI_DOC_INDEX ? OCI_MT_INDEX : OCI_MT_MANIFEST, b.data, b.len);
    if (kind == OCI_DOC_INDEX) {
        struct oci_index x;
        if (oci_index_parse(b.data, b.len, &x, &e) == 0 && x.media_type) {
            free(out->media_type);
            out->media_type = xstrdup(x.media_type);
        }
        cb_err_free(e);
        oci_index_release(&x);
    } else {
        struct oci_manifest m;
        if (oci_manifest_parse(b.data, b.len, &m, &e) == 0 && m.media_type) {
            free(out->media_type);
            out->media_type = xstrdup(m.media_type);
        }
        cb_err_free(e);
        oci_manifest_release(&m);
    }
    return true;
}

/* The local image, when complete: 1 found under its name, 2 found by its
 * digest only (to be named), 0 not there (or incomplete). */
static int find_local(struct oci_layout *l, const struct oci_ref *ref, const char *name,
                      const struct oci_platform *want, struct oci_pull_result *out)
{
    struct cb_err *e = NULL;
    struct oci_index x;
    int found = 1;

    oci_descriptor_init(&out->desc);
    oci_descriptor_init(&out->manifest);
    if (oci_layout_resolve(l, name, &out->desc, &e) < 0 ||
        !oci_layout_has_blob(l, &out->desc.digest)) {
        cb_err_free(e);
        e = NULL;
        oci_descriptor_release(&out->desc);
        if (!oci_digest_is_set(&ref->digest) || !describe_blob(l, &ref->digest, &out->desc))
            return 0;
        found = 2;
    }
    if (oci_doc_kind_of(out->desc.media_type) != OCI_DOC_INDEX) {
        oci_descriptor_copy(&out->manifest, &out->desc);
        return manifest_complete(l, &out->manifest.digest) ? found : 0;
    }
    if (oci_layout_get_index(l, &out->desc.digest, &x, &e) < 0) {
        cb_err_free(e);
        return 0;
    }
    int rc = select_platform(&x, want, name, &out->manifest, &e);
    oci_index_release(&x);
    cb_err_free(e);
    return rc == 0 && manifest_complete(l, &out->manifest.digest) ? found : 0;
}

/* Fetch a manifest or index by ref and store its bytes unchanged. */
static int fetch_doc(struct oci_registry *reg, struct oci_layout *l, const char *ref,
                     struct oci_remote_doc *doc, struct oci_descriptor *desc, struct cb_err **err)
{
    enum oci_doc_kind kind;

    if (oci_registry_get_manifest(reg, ref, doc, err) < 0)
        return cb_err_rc(err);
    kind = oci_doc_kind_of(doc->media_type);
    if (kind == OCI_DOC_UNKNOWN)
        kind = oci_doc_sniff(doc->body.data, doc->body.len);
    if (kind == OCI_DOC_UNKNOWN)
        return cb_fail(err, CB_EUNSUPPORTED, 0,
                       "'%s:%s' is neither an image manifest nor an index (%s)",
                       oci_registry_name_peek(reg), ref, doc->media_type ? doc->media_type : "?");
    if (oci_layout_put_blob(l, doc->body.data, doc->body.len, NULL, err) < 0)
        return cb_err_rc(err);
    oci_descriptor_release(desc);
    desc->media_type = xstrdup(oci_doc_kind_of(doc->media_type) != OCI_DOC_UNKNOWN ? doc->media_type
                               : kind == OCI_DOC_INDEX                             ? OCI_MT_INDEX
                                                       : OCI_MT_MANIFEST);
    desc->digest = doc->digest;
    desc->size = (int64_t)doc->body.len;
    return 0;
}

struct blob_jobs {
    struct oci_layout *l;
    struct oci_registry *reg;
    const struct oci_descriptor *blobs;
    size_t n;
    pthread_mutex_t lock;
    int64_t bytes;
    size_t fetched, present;
};

static int fetch_blob(void *ud, size_t i, struct cb_err **err)
{
    struct blob_jobs *j = ud;
    const struct oci_descriptor *d = &j->blobs[i];
    cleanup_blob_writer struct oci_blob_writer *w = NULL;
    struct oci_sink sink;
    bool have = oci_layout_has_blob(j->l, &d->digest);

    if (!have) {
        w = oci_blob_writer_new(j->l, err);
        if (!w)
            return cb_err_rc(err);
        sink = oci_blob_writer_sink(w);
        /* On any failure the writer is freed uncommitted: nothing half-written stays. */
        if (oci_registry_get_blob(j->reg, &d->digest, d->size, &sink, err) < 0)
            return cb_err_rc(err);
        if (oci_blob_writer_commit(w, &d->digest, d->size, NULL, err) < 0)
            return cb_err_rc(err);
    }
    pthread_mutex_lock(&j->lock);
    if (have)
        j->present++;
    else {
        j->fetched++;
        j->bytes += d->size;
    }
    pthread_mutex_unlock(&j->lock);
    return 0;
}

static int fetch_blobs(struct oci_layout *l, struct oci_registry *reg, const struct oci_manifest *m,
                       int parallel, struct oci_pull_result *out, struct cb_err **err)
{
    size_t n = m->n_layers + 1;
    struct oci_descriptor *v = xcalloc(n, sizeof(*v));
    struct blob_jobs j = {.l = l, .reg = reg, .blobs = v, .n = n};
    int rc;

    v[0] = m->config; /* shallow copies: m outlives the jobs */
    for (size_t i = 0; i < m->n_layers; i++)
        v[i + 1] = m->layers[i];
    pthread_mutex_init(&j.lock, NULL);
    rc = cb_parallel(n, parallel > 0 ? parallel : DEFAULT_PARALLEL, fetch_blob, &j, err);
    pthread_mutex_destroy(&j.lock);
    free(v);
    out->bytes += j.bytes;
    out->blobs_fetched += j.fetched;
    out->blobs_present += j.present;
    return rc;
}

static int pull_remote(struct oci_layout *l, const struct oci_ref *ref,
                       const struct oci_pull_req *req, struct oci_pull_result *out,
                       struct cb_err **err)
{
    char obj[OCI_DIGEST_STR_MAX], ds[OCI_DIGEST_STR_MAX];
    cleanup_registry struct oci_registry *reg =
        oci_registry_new(ref->registry, ref->repository, &req->reg, err);
    struct oci_remote_doc doc = {0}, child = {0};
    cleanup_manifest struct oci_manifest m;
    int rc;

    oci_manifest_init(&m);
    if (!reg)
        return cb_err_rc(err);
    rc = fetch_doc(reg, l, oci_ref_object(ref, obj), &doc, &out->desc, err);
    if (rc == 0 && oci_doc_kind_of(out->desc.media_type) == OCI_DOC_INDEX) {
        cleanup_index struct oci_index x;
        rc = oci_index_parse(doc.body.data, doc.body.len, &x, err);
        if (rc == 0)
            rc = select_platform(&x, req->platform, out->name, &out->manifest, err);
        if (rc == 0)
            rc = fetch_doc(reg, l, oci_digest_fmt(&out->manifest.digest, ds), &child,
                           &out->manifest, err) < 0
                     ? cb_err_rc(err)
                     : oci_manifest_parse(child.body.data, child.body.len, &m, err);
    } else if (rc == 0) {
        oci_descriptor_copy(&out->manifest, &out->desc);
        rc = oci_manifest_parse(doc.body.data, doc.body.len, &m, err);
    }
    oci_remote_doc_release(&doc);
    oci_remote_doc_release(&child);
    if (rc == 0)
        rc = fetch_blobs(l, reg, &m, req->parallel, out, err);
    return rc;
}

int oci_pull(struct oci_layout *l, const struct oci_pull_req *req, struct oci_pull_result *out,
             struct cb_err **err)
{
    cleanup_ref struct oci_ref ref;

    memset(out, 0, sizeof(*out));
    if (oci_ref_parse(req->ref, &ref, err) < 0)
        return cb_err_rc(err);
    out->name = oci_ref_str(&ref);
    int local =
        req->policy != OCI_PULL_ALWAYS ? find_local(l, &ref, out->name, req->platform, out) : 0;
    if (local == 2 && oci_layout_tag(l, out->name, &out->desc, err) < 0) {
        oci_pull_result_release(out);
        return cb_wrap(err, "pull '%s'", req->ref);
    }
    if (local > 0) {
        cb_log_debug("pull: %s is in the store", out->name);
        return 0;
    }
    oci_descriptor_release(&out->desc);
    oci_descriptor_release(&out->manifest);
    if (req->policy == OCI_PULL_NEVER) {
        oci_pull_result_release(out);
        return cb_fail(err, CB_ENOTFOUND, 0, "image '%s' not found locally (--pull=never)",
                       req->ref);
    }
    out->from_registry = true;
    if (pull_remote(l, &ref, req, out, err) < 0 ||
        oci_layout_tag(l, out->name, &out->desc, err) < 0) {
        oci_pull_result_release(out);
        return cb_wrap(err, "pull '%s'", req->ref);
    }
    return 0;
}
