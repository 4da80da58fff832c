/* export_internal.h - helpers shared by export.c and import.c (oci/ only):
 * a deterministic tar writer over libarchive, the atomic finish of an output
 * file, and picking a platform's manifest. */
#ifndef CBUILD_OCI_EXPORT_INTERNAL_H
#define CBUILD_OCI_EXPORT_INTERNAL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "export.h"
#include "oci_internal.h"

struct archive;

/* A PAX tar writer on fd (not closed by the writer). */
struct archive *tar_writer_open(int fd, struct cb_err **err);
/* Finish (ok) or abandon the archive, and free it. */
int tar_writer_close(struct archive *a, bool ok, struct cb_err **err);
/* Entries: mode 0644 files / 0755 dirs, owner 0:0, mtime 0. */
int tar_add_dir(struct archive *a, const char *name, struct cb_err **err);
int tar_add_data(struct archive *a, const char *name, const void *data, size_t len,
                 struct cb_err **err);
/* size bytes read from fd. */
int tar_add_fd(struct archive *a, const char *name, int fd, int64_t size, struct cb_err **err);
/* A blob of src, verified while it is copied. */
int tar_add_blob(struct archive *a, struct oci_layout *src, const char *name,
                 const struct oci_blob_ref *b, struct cb_err **err);

/* After writing tmp through fd: when r >= 0 fsync, close and rename tmp to
 * dest; otherwise close and unlink tmp.  Returns r or the new error. */
int finish_file(int fd, const char *tmp, const char *dest, int r, struct cb_err **err);

/* Apply the one item's layers into the new directory req->dest
 * (export_rootfs.c). */
int export_rootfs(struct oci_layout *src, const struct oci_export_req *req, struct cb_err **err);

#endif
