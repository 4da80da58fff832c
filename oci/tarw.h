/* tarw.h - the deterministic layer tar writer behind oci/layer.h (libarchive
 * lives in tarw.c and layer_apply.c only).
 *
 * Bytes flow: libarchive PAX writer -> sha256 of the tar (diff_id) ->
 * compressor -> sha256 of the blob -> the caller's sink, in one pass.  The
 * entries' order is the caller's business (layer.c sorts); this file turns
 * one file on disk into one entry the same way every time.
 */
#ifndef CBUILD_OCI_TARW_H
#define CBUILD_OCI_TARW_H

#include <sys/stat.h>

#include "../base/error.h"
#include "layer.h"
#include "sink.h"

struct oci_tarw;

/* out is borrowed and must outlive the writer. */
struct oci_tarw *oci_tarw_new(const struct oci_layer_write_opts *o, const struct oci_sink *out,
                              struct cb_err **err);
/* Add dirfd/name (never followed), whose lstat is st, as the archive path
 * apath (no leading "/", no trailing "/").  Sockets are skipped. */
int oci_tarw_add(struct oci_tarw *w, int dirfd, const char *name, const struct stat *st,
                 const char *apath, struct cb_err **err);
/* Add an empty regular file named apath (a whiteout): 0:0, 0644, mtime 0. */
int oci_tarw_add_whiteout(struct oci_tarw *w, const char *apath, struct cb_err **err);
/* End the archive, flush the compressor, fill desc. */
int oci_tarw_finish(struct oci_tarw *w, struct oci_layer_desc *desc, struct cb_err **err);
void oci_tarw_free(struct oci_tarw *w);
static inline void oci_tarw_freep(struct oci_tarw **w)
{
    oci_tarw_free(*w);
    *w = NULL;
}
#define cleanup_tarw __attribute__((cleanup(oci_tarw_freep)))

/* Whether an xattr is never carried in a layer (overlayfs' own, the
 * rootless owner record, SELinux labels of the build host). */
int oci_tarw_xattr_skipped(const char *name);

/* Decode/encode the OCI_LAYER_OWNER_XATTR value (umoci's protobuf: field 1
 * uid, field 2 gid, varints; 2^32-1 or absent = unchanged).  decode returns
 * -1 on a malformed value; encode returns the length (<= 12). */
int oci_owner_xattr_decode(const void *v, size_t len, uid_t *uid, gid_t *gid);
size_t oci_owner_xattr_encode(uid_t uid, gid_t gid, unsigned char out[12]);

#endif
