/* rootfs.h - a read-only view of an image's filesystem as the union of its
 * layers, without copying or mounting anything.
 *
 * A layer is a directory as the store's unpacked-layer cache holds them
 * (oci/layer.h OCI_APPLY_OVERLAY: a deleted path is a 0/0 char device, an
 * opaque directory carries trusted.overlay.opaque=y or user.overlay.opaque=y),
 * or, for an image whose layer was never unpacked, its blob read into memory
 * (layerindex.h: the same entries, owners from the tar).  Layers are
 * listed bottom first.  A single merged rootfs (a FLAT apply, or a build's
 * snapshot) is the one-layer case.  Lookups follow overlayfs' rules: the
 * topmost layer holding a name wins, a whiteout hides the name below it, a
 * non-directory or an opaque directory hides lower layers' contents.
 * Symlinks are resolved inside the view ("/" is the image's root, ".." stops
 * there), so nothing outside the layer directories is ever read.
 *
 * Owners: a file unpacked without privileges records its owner in the
 * user.rootlesscontainers xattr (oci/layer.h); it wins over st_uid/st_gid.
 * When the view is opened by a non-root process, a file without the xattr
 * belongs to 0:0 (the unpacker records only non-root owners, as umoci does).
 */
#ifndef CBUILD_BUILDER_DOCTOR_ROOTFS_H
#define CBUILD_BUILDER_DOCTOR_ROOTFS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include "../../base/buf.h"
#include "../../base/error.h"
#include "../../base/strv.h"
#include "../../oci/image.h"
#include "layerindex.h"

struct oci_store;
struct bld_rootfs;

/* What a path is in the view. */
struct bld_rootfs_stat {
    mode_t mode; /* st_mode: type and permission bits */
    uid_t uid;
    gid_t gid;
    off_t size;
    int64_t mtime; /* seconds */
    size_t layer;  /* index of the layer the entry comes from */
};

/* A view over dirs[0..n) (bottom first); the directories are opened now
 * and must stay in place while the view lives. */
struct bld_rootfs *bld_rootfs_open_dirs(const char *const *dirs, size_t n, struct cb_err **err);
/* A view over layer blobs[0..n) (bottom first), each read into memory. */
struct bld_rootfs *bld_rootfs_open_blobs(const char *const *blobs, size_t n, struct cb_err **err);
/* Unpack every layer into the store's layer cache (oci_store_layer_ensure)
 * when it is not there yet: for callers that copy many files out. */
#define BLD_ROOTFS_UNPACK 1u
/* A view over an image of the store, its layers[0..n) with img's diff_ids
 * (a manifest's, or a build state's).  A layer already in the store's layer
 * cache is read there; any other is read from its blob into memory, one
 * blob per core (at most four at a time), and the store is not written. */
struct bld_rootfs *bld_rootfs_open_image(struct oci_store *s, const struct oci_descriptor *layers,
                                         size_t n, const struct oci_image *img, unsigned flags,
                                         struct cb_err **err);
void bld_rootfs_free(struct bld_rootfs *fs);
static inline void bld_rootfs_freep(struct bld_rootfs **fs)
{
    bld_rootfs_free(*fs);
    *fs = NULL;
}
#define cleanup_rootfs __attribute__((cleanup(bld_rootfs_freep)))

size_t bld_rootfs_n_layers(const struct bld_rootfs *fs);
/* Call fn with every regular file of at most max_size bytes that layer i
 * itself holds (not the union), with its content; path is absolute. */
int bld_rootfs_layer_files(struct bld_rootfs *fs, size_t i, size_t max_size, bld_layer_file_fn fn,
                           void *userdata, struct cb_err **err);

/* Resolve path (absolute; relative means from "/"), following symlinks in
 * every component and, when follow is set, in the last one.  CB_ENOTFOUND
 * when it does not exist; resolved (may be NULL) gets the symlink-free path
 * ("/usr/bin/python3"), allocated. */
int bld_rootfs_stat(struct bld_rootfs *fs, const char *path, bool follow,
                    struct bld_rootfs_stat *st, char **resolved, struct cb_err **err);
/* Whether path exists (following symlinks). */
bool bld_rootfs_exists(struct bld_rootfs *fs, const char *path);
/* Read the regular file at path (symlinks followed) into out, under
 * out->limit; at most max bytes when max > 0 (the head of the file). */
int bld_rootfs_read(struct bld_rootfs *fs, const char *path, size_t max, struct cb_buf *out,
                    struct cb_err **err);
/* The names in directory path (symlinks followed), sorted, whiteouts
 * applied. */
int bld_rootfs_list(struct bld_rootfs *fs, const char *path, struct cb_strv *names,
                    struct cb_err **err);

/* Called for every entry below the walked directory, parents before
 * children; path is absolute ("/home/app/x"), valid during the call.  A
 * positive return skips a directory's contents; a negative one stops the walk
 * and is returned. */
typedef int (*bld_rootfs_walk_fn)(void *userdata, const char *path,
                                  const struct bld_rootfs_stat *st, struct cb_err **err);
/* Walk the tree under dir (its symlink followed; symlinks below it are not),
 * at most max_entries entries (0 = no limit; the walk just stops there) and
 * at most 2,048 directory levels below dir. */
int bld_rootfs_walk(struct bld_rootfs *fs, const char *dir, size_t max_entries,
                    bld_rootfs_walk_fn fn, void *userdata, struct cb_err **err);

/* Open the regular file at path (symlinks followed) read-only. */
int bld_rootfs_open_file(struct bld_rootfs *fs, const char *path, struct cb_err **err);
/* The target of the symlink at path (its parents resolved), allocated. */
int bld_rootfs_readlink(struct bld_rootfs *fs, const char *path, char **out, struct cb_err **err);

#endif
