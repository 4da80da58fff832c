/* oci_internal.h - declarations shared by several oci/ files but not
 * outside oci/: the layout handle's fields (layout.c, layout_index.c,
 * layout_gc.c). */
#ifndef CBUILD_OCI_OCI_INTERNAL_H
#define CBUILD_OCI_OCI_INTERNAL_H

#include "layout.h"

struct oci_layout {
    char *path;
    int dirfd;   /* the layout directory; flock'ed while index.json changes */
    int blobsfd; /* blobs/sha256 */
};

/* Prefix of in-progress blob temp files in blobs/sha256. */
#define OCI_BLOB_TMP_PREFIX ".tmp-"

#endif
