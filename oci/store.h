/* store.h - the local image store: one OCI layout holding every image and
 * blob, an unpacked-layer cache for overlay lowerdirs and COPY --from, and a
 * lock file so several cbuild processes can share the store.
 *
 *   ROOT/lock             flock: shared for normal use, exclusive for prune
 *   ROOT/oci/             OCI image layout; images are index.json entries
 *                         whose ref.name is the full normalised reference
 *                         ("docker.io/library/busybox:latest")
 *   ROOT/layers/<hex>/    a layer unpacked, keyed by its diff_id
 *   ROOT/tmp/             scratch space on the same filesystem
 *
 * Names follow docker: "busybox" means "docker.io/library/busybox:latest",
 * "myimg:dev" means "docker.io/library/myimg:dev", "localhost/x" stays.
 * An image may also be named by its ID (the config digest, or a prefix of
 * at least 4 hex digits of it) or by its manifest digest "sha256:<hex>".
 */
#ifndef CBUILD_OCI_STORE_H
#define CBUILD_OCI_STORE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "image.h"
#include "layout.h"
#include "../base/buf.h"
#include "../base/error.h"

struct oci_store;

enum oci_store_lock {
    OCI_STORE_SHARED = 0, /* readers and writers of images and blobs */
    OCI_STORE_EXCLUSIVE,  /* gc/prune: no one else may be writing */
};

/* The default root: /var/lib/cbuild as root, else $XDG_DATA_HOME/cbuild or
 * ~/.local/share/cbuild.  Allocated.  (CBUILD_ROOT and --root are resolved by
 * the CLI, which passes the result to oci_store_open.) */
char *oci_store_default_root(void);

/* Open (creating as needed) the store at root (NULL = default) and take
 * the lock, waiting for it. */
struct oci_store *oci_store_open(const char *root, enum oci_store_lock lock, struct cb_err **err);
/* Release the lock and free. */
void oci_store_free(struct oci_store *s);
static inline void oci_store_freep(struct oci_store **s)
{
    oci_store_free(*s);
    *s = NULL;
}
#define cleanup_store __attribute__((cleanup(oci_store_freep)))

/* Borrowed, valid while s lives. */
struct oci_layout *oci_store_layout_peek(struct oci_store *s);
const char *oci_store_root_peek(const struct oci_store *s);
/* ROOT/tmp, created; for scratch files that are later renamed into the store. */
const char *oci_store_tmp_peek(const struct oci_store *s);

/* "busybox" → "docker.io/library/busybox:latest" (CB_EINVAL when not a
 * valid reference).  Allocated. */
char *oci_store_normalize_name(const char *name, struct cb_err **err);

/* ---------------------------------------------------------------- images */

struct oci_store_image {
    char *name;                 /* full reference, or NULL when untagged */
    struct oci_descriptor desc; /* the manifest or index */
    struct oci_digest id;       /* config digest (of the host platform's
                                 * manifest for an index); unset if unknown */
    int64_t size;               /* config + layers, compressed */
    char *created;              /* the config's created, or NULL */
};

void oci_store_images_free(struct oci_store_image *v, size_t n);

/* Every image, in index.json order (out allocated, free with
 * oci_store_images_free). */
int oci_store_list(struct oci_store *s, struct oci_store_image **out, size_t *n,
                   struct cb_err **err);

/* Find an image by name, ID or digest.  *out gets the index.json descriptor
 * (initialised by the callee); *name_out (may be NULL) the stored name or
 * NULL when it was found by ID/digest.  CB_ENOTFOUND: "image 'x' not found";
 * CB_EINVAL when an ID prefix is ambiguous. */
int oci_store_resolve(struct oci_store *s, const char *name, struct oci_descriptor *out,
                      char **name_out, struct cb_err **err);

/* Resolve name, then, for an index, pick the manifest for platform (NULL =
 * host); fill the manifest, its descriptor and the image config (each may be
 * NULL; each initialised by the callee). */
int oci_store_get_image(struct oci_store *s, const char *name, const struct oci_platform *platform,
                        struct oci_descriptor *mdesc, struct oci_manifest *m,
                        struct oci_image *config, struct cb_err **err);

/* Name (or re-point) an image: name is normalised; desc describes a
 * manifest or index whose blobs are already in the store. */
int oci_store_add(struct oci_store *s, const char *name, const struct oci_descriptor *desc,
                  struct cb_err **err);
/* `cbuild tag SRC DST`. */
int oci_store_tag(struct oci_store *s, const char *src, const char *dst, struct cb_err **err);
/* `cbuild rmi NAME`: remove the tag; by ID/digest, remove every entry for
 * it (with force, even when it carries several names; else CB_EINVAL).
 * Blobs stay until prune.  The untagged/removed names are appended to
 * removed (may be NULL). */
int oci_store_remove(struct oci_store *s, const char *name, bool force, struct cb_strv *removed,
                     struct cb_err **err);

/* `cbuild images --format json`: a JSON array, one object per image
 * (Name, Repository, Tag, Id, Digest, MediaType, Created, Size), indented;
 * appended to out.  (store_json.c) */
int oci_store_images_json(const struct oci_store_image *v, size_t n, struct cb_buf *out,
                          struct cb_err **err);
/* `cbuild inspect`: a JSON array with, per name, {Name, Id, Digest,
 * MediaType, Manifest, Config} (the manifest and config documents as
 * stored; for an index, Index too and the platform's manifest), indented. */
int oci_store_inspect_json(struct oci_store *s, char *const *names, size_t n,
                           const struct oci_platform *platform, struct cb_buf *out,
                           struct cb_err **err);

/* ---------------------------------------------------------------- unpacked layers */

/* ROOT/layers/<diff_id hex>, allocated; need not exist. */
char *oci_store_layer_dir(const struct oci_store *s, const struct oci_digest *diff_id);
/* Make sure the layer blob described by layer (its content must be in the
 * store) is unpacked at oci_store_layer_dir(diff_id); unpacks into a temp
 * directory and renames it into place, so a directory that exists is
 * complete.  The uncompressed stream must match diff_id (CB_EDIGEST).
 * *dir_out (may be NULL) gets the directory. */
int oci_store_layer_ensure(struct oci_store *s, const struct oci_descriptor *layer,
                           const struct oci_digest *diff_id, char **dir_out, struct cb_err **err);

/* ---------------------------------------------------------------- prune */

struct oci_prune_stats {
    struct oci_gc_stats blobs;
    size_t layers_removed; /* unpacked layer directories */
};

/* Remove blobs no image (and no extra root in opts) references, and
 * unpacked layers whose diff_id no kept image uses.  Needs the exclusive
 * lock (CB_EBUG otherwise).  opts may be NULL. */
int oci_store_prune(struct oci_store *s, const struct oci_gc_opts *opts,
                    struct oci_prune_stats *stats, struct cb_err **err);

#endif
