/* mkimage.c - a one-layer image from a directory: the tree streamed through
 * the layer writer into a blob writer (digest, diff_id and size in one
 * pass), then the config and the manifest.  Same tree, same options → same
 * manifest digest. */
#include <stdlib.h>
#include <string.h>

#include "mkimage.h"
#include "../base/cleanup.h"
#include "../base/xalloc.h"
#include "../base/banned.h"

static int write_layer(struct oci_layout *l, const struct oci_mkimage_req *req,
                       struct oci_descriptor *ld, struct oci_digest *diff_id, struct cb_err **err)
{
    cleanup_blob_writer struct oci_blob_writer *w = oci_blob_writer_new(l, err);
    struct oci_layer_desc desc;
    struct oci_sink sink;

    if (!w)
        return cb_err_rc(err);
    sink = oci_blob_writer_sink(w);
    if (oci_layer_write_tree(req->rootfs, &req->layer, &sink, &desc, err) < 0 ||
        oci_blob_writer_commit(w, &desc.digest, (int64_t)desc.size, NULL, err) < 0)
        return cb_err_rc(err);
    oci_descriptor_init(ld);
    ld->media_type = xstrdup(oci_compression_layer_media_type(desc.compression));
    ld->digest = desc.digest;
    ld->size = (int64_t)desc.size;
    *diff_id = desc.diff_id;
    return 0;
}

int oci_mkimage(struct oci_layout *l, const struct oci_mkimage_req *req, struct oci_descriptor *out,
                struct cb_err **err)
{
    cleanup_manifest struct oci_manifest m = {0};
    cleanup_image struct oci_image img = {0};
    struct oci_descriptor ld;
    struct oci_digest diff_id;
    struct oci_history h = {0};

    oci_descriptor_init(out);
    oci_manifest_init(&m);
    oci_image_copy(&img, req->config);
    if (write_layer(l, req, &ld, &diff_id, err) < 0)
        return cb_wrap(err, "make image from '%s'", req->rootfs);
    oci_image_add_diff_id(&img, &diff_id);
    h.created = img.created;
    h.created_by = (char *)req->created_by;
    oci_image_add_history(&img, &h);
    m.media_type = xstrdup(OCI_MT_MANIFEST);
    oci_manifest_add_layer(&m, &ld);
    oci_descriptor_release(&ld);
    if (oci_layout_put_image(l, &img, &m.config, err) < 0 ||
        oci_layout_put_manifest(l, &m, out, err) < 0)
        return cb_wrap(err, "make image from '%s'", req->rootfs);
    return 0;
}
