/* export.h - images out of and into a layout: an OCI layout directory, an
 * OCI archive tar, a docker-archive tar (`docker load` format) and a plain
 * rootfs directory; and the reverse for `cbuild load` (OCI layout dir, OCI
 * archive or docker archive, detected from the content).
 */
#ifndef CBUILD_OCI_EXPORT_H
#define CBUILD_OCI_EXPORT_H

#include <stdbool.h>
#include <stddef.h>

#include "image.h"
#include "layout.h"
#include "../base/error.h"

enum oci_export_format {
    OCI_EXPORT_LAYOUT = 1,     /* OCI image layout directory */
    OCI_EXPORT_OCI_ARCHIVE,    /* the same, as a tar */
    OCI_EXPORT_DOCKER_ARCHIVE, /* docker save / docker load format */
    OCI_EXPORT_ROOTFS,         /* the layers applied into a directory */
};

/* "oci-dir", "oci" (archive), "docker", "rootfs" → format; CB_EINVAL otherwise. */
int oci_export_format_parse(const char *s, enum oci_export_format *out, struct cb_err **err);

struct oci_export_item {
    struct oci_descriptor desc; /* a manifest or an index in the source */
    const char *ref_name;       /* ref.name to write (layout/archive), or NULL */
    const char *image_name;     /* full reference: docker RepoTags and
                                 * io.containerd.image.name; or NULL */
};

struct oci_export_req {
    enum oci_export_format format;
    const char *dest; /* directory or tar file; "-" is stdout for tars */
    const struct oci_export_item *items;
    size_t n_items;
    /* For docker archives and rootfs, which manifest of an index (NULL =
     * host). */
    const struct oci_platform *platform;
    /* For OCI layout directories: add to an existing layout instead of
     * requiring an empty or missing directory. */
    bool merge;
    /* For rootfs directories: files belong to the caller, as BuildKit's
     * local exporter writes them (build -o type=local); else owners are
     * kept (chown as root, the owner xattr otherwise). */
    bool drop_owners;
};

/* Write the items of src to req->dest.  Tars and rootfs directories are
 * written under a temp name and renamed when complete. */
int oci_export(struct oci_layout *src, const struct oci_export_req *req, struct cb_err **err);

struct oci_import_image {
    char *name;                 /* the name the source gave, or NULL */
    struct oci_descriptor desc; /* now in dst */
};

struct oci_import_result {
    struct oci_import_image *images;
    size_t n;
    size_t alloc;
};

void oci_import_result_release(struct oci_import_result *r);

/* Copy every image of path (an OCI layout directory, an OCI archive or a
 * docker archive) into dst, verifying every blob; tmpdir holds scratch
 * files.  Names: io.containerd.image.name when present, else ref.name (which
 * may be a bare tag), docker RepoTags.  Nothing is tagged in dst. */
int oci_import(struct oci_layout *dst, const char *path, const char *tmpdir,
               struct oci_import_result *out, struct cb_err **err);

/* oci_import() restricted to the images named ref_name (NULL = all): an
 * OCI entry whose ref.name or io.containerd.image.name is ref_name, a docker
 * entry with ref_name among its RepoTags.  CB_ENOTFOUND when none is. */
int oci_import_ref(struct oci_layout *dst, const char *path, const char *ref_name,
                   const char *tmpdir, struct oci_import_result *out, struct cb_err **err);

#endif
