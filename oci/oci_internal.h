/* oci_internal.h - declarations shared by several oci/ files but not
 * outside oci/: the layout handle's fields (layout.c, layout_index.c,
 * layout_gc.c). */
#ifndef CBUILD_OCI_OCI_INTERNAL_H
#define CBUILD_OCI_OCI_INTERNAL_H

#include <stdint.h>

#include "layout.h"

struct oci_layout {
    char *path;
    int dirfd;   /* the layout directory; flock'ed while index.json changes */
    int blobsfd; /* blobs/sha256 */
};

/* Prefix of in-progress blob temp files in blobs/sha256. */
#define OCI_BLOB_TMP_PREFIX ".tmp-"

/* The blobs an image needs: the document desc names and everything below
 * it (manifests of an index, config, layers), each once, parents first. */
struct oci_blob_ref {
    struct oci_digest digest;
    int64_t size;
};

struct oci_blob_list {
    struct oci_blob_ref *v;
    size_t n;
    size_t alloc;
};

void oci_blob_list_release(struct oci_blob_list *b);
/* Append the closure of desc in src to out (blobs already in out are
 * skipped).  A missing blob is CB_ENOTFOUND, except the manifests of an
 * index, which may be partly absent (not all of them: CB_ENOTFOUND). */
int oci_closure_collect(struct oci_layout *src, const struct oci_descriptor *desc,
                        struct oci_blob_list *out, struct cb_err **err);
/* Copy one blob from src to dst, verified; nothing when dst has it. */
int oci_blob_copy(struct oci_layout *src, struct oci_layout *dst, const struct oci_blob_ref *b,
                  struct cb_err **err);
/* The digest and size of the uncompressed stream of the file fd (gzip,
 * zstd, xz, bzip2 or plain, detected); when out_fd >= 0 the uncompressed
 * bytes are also written there. */
int oci_uncompressed_digest(int fd, int out_fd, struct oci_digest *d, int64_t *size,
                            struct cb_err **err);

/* The manifest for platform (NULL = host) of desc, a manifest or an index
 * (out initialised by the callee); CB_ENOTFOUND names the platform. */
int oci_pick_manifest(struct oci_layout *l, const struct oci_descriptor *desc,
                      const struct oci_platform *platform, struct oci_descriptor *out,
                      struct cb_err **err);

#endif
