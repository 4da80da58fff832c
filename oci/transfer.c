/* transfer.c - moving images between layouts: the blob closure of an image
 * (index → manifests → config and layers; an index's absent manifests are
 * skipped, as pull stores only the platforms it fetched), verified blob
 * copies, and the uncompressed digest of a layer file (libarchive's raw
 * format with every decompression filter), used by export and import. */
#include <archive.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "oci_internal.h"
#include "../base/cleanup.h"
#include "../base/fsutil.h"
#include "../base/xalloc.h"
#include "../base/banned.h"

void oci_blob_list_release(struct oci_blob_list *b)
{
    free(b->v);
    memset(b, 0, sizeof(*b));
}

static bool list_add(struct oci_blob_list *out, const struct oci_descriptor *d)
{
    for (size_t i = 0; i < out->n; i++)
        if (oci_digest_equal(&out->v[i].digest, &d->digest))
            return false;
    XGROW(out->v, out->n + 1, out->alloc);
    out->v[out->n].digest = d->digest;
    out->v[out->n].size = d->size;
    out->n++;
    return true;
}

static int collect(struct oci_layout *src, const struct oci_descriptor *desc,
                   struct oci_blob_list *out, int depth, struct cb_err **err)
{
    char s[OCI_DIGEST_STR_MAX];
    enum oci_doc_kind kind = oci_doc_kind_of(desc->media_type);
    int r = 0;

    if (!oci_layout_has_blob(src, &desc->digest))
        return cb_fail(err, CB_ENOTFOUND, 0, "blob '%s' is missing from '%s'",
                       oci_digest_fmt(&desc->digest, s), oci_layout_path_peek(src));
    if (!list_add(out, desc) || depth > 8)
        return 0;
    if (kind == OCI_DOC_INDEX) {
        struct oci_index x;
        if (oci_layout_get_index(src, &desc->digest, &x, err) < 0)
            return cb_err_rc(err);
        /* a pulled index holds only the platforms that were fetched: its
         * other manifests are legitimately absent (image-layout.md allows a
         * layout to miss referenced blobs) */
        size_t present = 0;
        for (size_t i = 0; r >= 0 && i < x.n_manifests; i++) {
            if (!oci_layout_has_blob(src, &x.manifests[i].digest))
                continue;
            present++;
            r = collect(src, &x.manifests[i], out, depth + 1, err);
        }
        if (r >= 0 && x.n_manifests && !present)
            r = cb_fail(err, CB_ENOTFOUND, 0, "no manifest of index '%s' is in '%s'",
                        oci_digest_fmt(&desc->digest, s), oci_layout_path_peek(src));
        oci_index_release(&x);
    } else if (kind == OCI_DOC_MANIFEST) {
        struct oci_manifest m;
        if (oci_layout_get_manifest(src, &desc->digest, &m, err) < 0)
            return cb_err_rc(err);
        r = collect(src, &m.config, out, depth + 1, err);
        for (size_t i = 0; r >= 0 && i < m.n_layers; i++)
            r = collect(src, &m.layers[i], out, depth + 1, err);
        oci_manifest_release(&m);
    }
    return r;
}

int oci_closure_collect(struct oci_layout *src, const struct oci_descriptor *desc,
                        struct oci_blob_list *out, struct cb_err **err)
{
    return collect(src, desc, out, 0, err);
}

int oci_blob_copy(struct oci_layout *src, struct oci_layout *dst, const struct oci_blob_ref *b,
                  struct cb_err **err)
{
    cleanup_blob_reader struct oci_blob_reader *r = NULL;
    cleanup_blob_writer struct oci_blob_writer *w = NULL;
    cleanup_free char *buf = NULL;
    ssize_t n;

    if (oci_layout_has_blob(dst, &b->digest))
        return 0;
    r = oci_blob_reader_open(src, &b->digest, err);
    w = r ? oci_blob_writer_new(dst, err) : NULL;
    if (!w)
        return cb_err_rc(err);
    buf = xmalloc(1 << 20);
    while ((n = oci_blob_reader_read(r, buf, 1 << 20, err)) > 0)
        if (oci_blob_writer_write(w, buf, (size_t)n, err) < 0)
            return cb_err_rc(err);
    if (n < 0)
        return (int)n;
    return oci_blob_writer_commit(w, &b->digest, b->size, NULL, err);
}

static void archive_freep(struct archive **a)
{
    if (*a)
        archive_read_free(*a);
}

int oci_uncompressed_digest(int fd, int out_fd, struct oci_digest *d, int64_t *size,
                            struct cb_err **err)
{
    __attribute__((cleanup(archive_freep))) struct archive *a = archive_read_new();
    cleanup_hasher struct oci_hasher *h = oci_hasher_new();
    cleanup_free char *buf = xmalloc(1 << 20);
    struct archive_entry *e;
    la_ssize_t n;

    *size = 0;
    archive_read_support_filter_all(a);
    archive_read_support_format_raw(a);
    archive_read_support_format_empty(a);
    if (archive_read_open_fd(a, fd, 1 << 16) != ARCHIVE_OK)
        return cb_fail(err, CB_EIO, 0, "read layer: %s", archive_error_string(a));
    n = archive_read_next_header(a, &e);
    if (n == ARCHIVE_EOF) {
        oci_hasher_final(h, d);
        return 0;
    }
    if (n != ARCHIVE_OK)
        return cb_fail(err, CB_EIO, 0, "read layer: %s", archive_error_string(a));
    while ((n = archive_read_data(a, buf, 1 << 20)) > 0) {
        oci_hasher_update(h, buf, (size_t)n);
        *size += n;
        if (out_fd >= 0 && cb_write_all(out_fd, buf, (size_t)n, err) < 0)
            return cb_wrap(err, "write uncompressed layer");
    }
    if (n < 0)
        return cb_fail(err, CB_EIO, 0, "decompress layer: %s", archive_error_string(a));
    oci_hasher_final(h, d);
    return 0;
}

int oci_pick_manifest(struct oci_layout *l, const struct oci_descriptor *desc,
                      const struct oci_platform *platform, struct oci_descriptor *out,
                      struct cb_err **err)
{
    struct oci_platform host;
    struct oci_index x;
    long i;

    oci_descriptor_init(out);
    if (oci_doc_kind_of(desc->media_type) == OCI_DOC_MANIFEST) {
        oci_descriptor_copy(out, desc);
        return 0;
    }
    if (oci_doc_kind_of(desc->media_type) != OCI_DOC_INDEX)
        return cb_fail(err, CB_EUNSUPPORTED, 0, "unsupported media type '%s'",
                       desc->media_type ? desc->media_type : "");
    if (oci_layout_get_index(l, &desc->digest, &x, err) < 0)
        return cb_err_rc(err);
    oci_platform_host(&host);
    i = oci_index_select(&x, platform ? platform : &host);
    if (i < 0) {
        cleanup_free char *p = oci_platform_fmt(platform ? platform : &host);
        oci_index_release(&x);
        oci_platform_release(&host);
        return cb_fail(err, CB_ENOTFOUND, 0, "no image for platform '%s'", p);
    }
    if (!oci_layout_has_blob(l, &x.manifests[i].digest)) {
        cleanup_free char *p = oci_platform_fmt(platform ? platform : &host);
        char ds[OCI_DIGEST_STR_MAX];
        oci_digest_fmt(&x.manifests[i].digest, ds);
        oci_index_release(&x);
        oci_platform_release(&host);
        return cb_fail(err, CB_ENOTFOUND, 0,
                       "the manifest for platform '%s' ('%s') is missing from '%s'", p, ds,
                       oci_layout_path_peek(l));
    }
    oci_platform_release(&host);
    oci_descriptor_copy(out, &x.manifests[i]);
    oci_index_release(&x);
    return 0;
}
