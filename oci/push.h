/* push.h - send an image from a layout (normally the local store's) to a
 * registry under one or more references: blobs first (HEAD, skipping those
 * present; a cross-repository mount when another repository of the same
 * registry has them; else an upload), several at once; then each manifest
 * of an index by digest, then the top manifest or index once per tag.
 * This is what `cbuild push` and `build --push` call.
 */
#ifndef CBUILD_OCI_PUSH_H
#define CBUILD_OCI_PUSH_H

#include <stddef.h>
#include <stdint.h>

#include "image.h"
#include "layout.h"
#include "registry.h"
#include "../base/error.h"

struct oci_push_req {
    const char *const *dests; /* references ("host/repo:tag"), at least one */
    size_t n_dests;
    struct oci_registry_opts reg; /* TLS, retries, chunked uploads, cancel, progress */
    int parallel;                 /* blobs at once; 0 = 4 */
    const char *mount_from;       /* "host/repo" known to hold the blobs (e.g. where the
                                   * image was pulled from), or NULL; used for
                                   * destinations on the same registry */
};

struct oci_push_result {
    struct oci_digest digest; /* of the top-level manifest or index */
    int64_t bytes_sent;       /* blob body bytes uploaded */
    size_t blobs_uploaded, blobs_present, blobs_mounted;
    size_t tags_pushed, tags_unchanged;
};

/* Push src (a manifest or index whose blobs are in l) to every dest. */
int oci_push(struct oci_layout *l, const struct oci_descriptor *src, const struct oci_push_req *req,
             struct oci_push_result *out, struct cb_err **err);

#endif
