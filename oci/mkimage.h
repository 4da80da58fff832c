/* mkimage.h - assemble a one-layer image from a directory: the layer (from
 * oci/layer.h's deterministic tree writer), the config, the manifest, all
 * stored as blobs in a layout.  Used by `cbuild debug mkimage` to make the
 * test suite's busybox base without umoci. */
#ifndef CBUILD_OCI_MKIMAGE_H
#define CBUILD_OCI_MKIMAGE_H

#include "image.h"
#include "layer.h"
#include "layout.h"
#include "../base/error.h"

struct oci_mkimage_req {
    const char *rootfs;                /* the directory that becomes the layer */
    struct oci_layer_write_opts layer; /* compression, mtime clamping */
    /* The config to start from (os, architecture, config.*, created);
     * the layer's diff_id and a history entry are appended. */
    const struct oci_image *config;
    const char *created_by; /* the history entry's created_by, or NULL */
};

/* Write layer, config and manifest into l; *out (initialised by the callee)
 * describes the manifest.  Nothing is tagged. */
int oci_mkimage(struct oci_layout *l, const struct oci_mkimage_req *req, struct oci_descriptor *out,
                struct cb_err **err);

#endif
