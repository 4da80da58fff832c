/* export_rootfs.c - export an image as a plain root filesystem directory:
 * its layers applied in order (oci/layer.h OCI_APPLY_FLAT: whiteouts remove,
 * opaque directories empty) into a temp directory beside the destination,
 * which is renamed into place only when every layer applied and matched its
 * diff_id.  The destination must not exist. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "export_internal.h"
#include "layer.h"
#include "../base/cleanup.h"
#include "../base/fsutil.h"
#include "../base/xalloc.h"
#include "../base/banned.h"

static int apply_layers(struct oci_layout *src, const struct oci_manifest *m,
                        const struct oci_image *img, const char *dir, bool drop_owners,
                        struct cb_err **err)
{
    struct oci_layer_apply_opts o = {.mode = OCI_APPLY_FLAT, .drop_owners = drop_owners};
    char a[OCI_DIGEST_STR_MAX], b[OCI_DIGEST_STR_MAX];

    if (img->n_diff_ids != m->n_layers)
        return cb_fail(err, CB_EINVAL, 0, "image has %zu layers but %zu diff_ids", m->n_layers,
                       img->n_diff_ids);
    for (size_t i = 0; i < m->n_layers; i++) {
        cleanup_free char *blob = oci_layout_blob_path(src, &m->layers[i].digest);
        struct oci_layer_desc got;
        if (!oci_media_type_is_layer(m->layers[i].media_type))
            return cb_fail(err, CB_EUNSUPPORTED, 0, "layer %zu has media type '%s'", i,
                           m->layers[i].media_type);
        if (oci_layer_apply_file(blob, dir, &o, &got, err) < 0)
            return cb_wrap(err, "layer %zu", i);
        if (!oci_digest_equal(&got.digest, &m->layers[i].digest) ||
            !oci_digest_equal(&got.diff_id, &img->diff_ids[i]))
            return cb_fail(err, CB_EDIGEST, 0, "layer %zu ('%s') unpacked to '%s', want '%s'", i,
                           oci_digest_fmt(&m->layers[i].digest, a), oci_digest_fmt(&got.diff_id, b),
                           oci_digest_fmt(&img->diff_ids[i], (char[OCI_DIGEST_STR_MAX]){0}));
    }
    return 0;
}

static int rootfs_into(struct oci_layout *src, const struct oci_export_req *req, const char *dir,
                       struct cb_err **err)
{
    cleanup_manifest struct oci_manifest m = {0};
    cleanup_image struct oci_image img = {0};
    struct oci_descriptor md;
    int r;

    oci_manifest_init(&m);
    oci_image_init(&img);
    r = oci_pick_manifest(src, &req->items[0].desc, req->platform, &md, err);
    if (r >= 0 && oci_layout_get_manifest(src, &md.digest, &m, err) < 0)
        r = cb_err_rc(err);
    if (r >= 0 && oci_layout_get_image(src, &m.config.digest, &img, err) < 0)
        r = cb_err_rc(err);
    oci_descriptor_release(&md);
    return r < 0 ? r : apply_layers(src, &m, &img, dir, req->drop_owners, err);
}

int export_rootfs(struct oci_layout *src, const struct oci_export_req *req, struct cb_err **err)
{
    const char *slash = strrchr(req->dest, '/');
    cleanup_free char *parent =
        slash ? xstrndup(req->dest, (size_t)(slash - req->dest) + 1) : xstrdup(".");
    cleanup_free char *prefix = xasprintf("%s.tmp-", slash ? slash + 1 : req->dest);
    cleanup_free char *tmp = NULL;
    int r;

    if (req->n_items != 1)
        return cb_fail(err, CB_EINVAL, 0, "a rootfs export takes exactly one image");
    if (cb_path_exists(req->dest))
        return cb_fail(err, CB_EINVAL, 0, "'%s' already exists", req->dest);
    tmp = cb_mkdtemp(parent, prefix, err);
    if (!tmp)
        return cb_err_rc(err);
    r = rootfs_into(src, req, tmp, err);
    if (r >= 0 && rename(tmp, req->dest) < 0)
        r = cb_fail(err, CB_EIO, errno, "rename '%s' to '%s'", tmp, req->dest);
    if (r < 0)
        cb_rm_rf(tmp, NULL);
    return r;
}
