/* layer.h - OCI layers: deterministic tar writing from a tree, an overlayfs
 * upperdir or a list of changes; tree diffs; safe apply; listing.
 *
 * Implemented in oci/layer.c (tree and upperdir walks), oci/tarw.c (one
 * file -> one tar entry, libarchive), oci/layer_diff.c (change lists, the
 * tree-to-tree diff) and oci/layer_apply.c (the reader: apply and list).
 *
 * Threads: with compression and more than one CPU, the caller's sink is
 * called from a compression thread (one call at a time, never concurrently),
 * while the walk goes on in the caller's thread; the sink's state is the
 * caller's again once the write function returns.
 *
 * Writing (image-spec layer.md):
 *   - PAX tar; entries in path order: a directory's entry, then its children
 *     sorted by name (byte order), depth first;
 *   - uid, gid, mode, mtime (whole seconds) preserved; no user/group names,
 *     no atime/ctime; mtimes after SOURCE_DATE_EPOCH clamped to it on request;
 *   - hardlinks (same device and inode, nlink > 1) written once, the later
 *     names as tar hardlinks to the first;
 *   - xattrs written as SCHILY.xattr (security.capability included), except
 *     trusted.overlay.* and user.overlay.* (overlayfs' own) and
 *     user.rootlesscontainers (read back as the owner instead);
 *   - symlinks, char/block devices and fifos; sockets are skipped;
 *   - the bytes go through the compressor to the caller's sink, and the blob
 *     digest, the diff_id and both sizes are computed in the same pass.
 *
 * Applying has two modes:
 *   OCI_APPLY_FLAT     layers applied one after the other onto one rootfs
 *                      (exports, the native snapshotter): ".wh.NAME" removes
 *                      NAME, ".wh..wh..opq" empties the directory of what
 *                      lower layers put there.
 *   OCI_APPLY_OVERLAY  one layer unpacked on its own into an empty directory
 *                      for use as an overlayfs lowerdir in a stack (what
 *                      containerd's overlay snapshotter does): ".wh.NAME"
 *                      becomes a 0/0 char device NAME, ".wh..wh..opq" becomes
 *                      the xattr trusted.overlay.opaque=y on the directory
 *                      (user.overlay.opaque=y with .userxattr).  Needs root
 *                      (or a user namespace that may mknod whiteouts).
 * Either way nothing is ever written outside the target: absolute names,
 * ".." components, writing through any symlink (a parent that is a symlink
 * in the tree or in the layer), hardlinks whose target is outside or behind a
 * symlink are rejected with CB_EINVAL naming the entry, and the target is
 * walked one component at a time with O_NOFOLLOW.  An entry whose path holds
 * a symlink or file is replaced (unlink first, never opened through).
 * Ownership: applied as root; otherwise (or with .no_chown) recorded in the
 * user.rootlesscontainers xattr (umoci's format) when not 0:0, or dropped with
 * one warning when xattrs are unsupported.  Device nodes only as root
 * (otherwise skipped with a warning).
 */
#ifndef CBUILD_OCI_LAYER_H
#define CBUILD_OCI_LAYER_H

#include <stdbool.h>
#include <stdint.h>
#include <sys/types.h>

#include "../base/error.h"
#include "compress.h"
#include "digest.h"
#include "sink.h"

/* The xattr holding the owner of a file unpacked without privileges:
 * protobuf {uint32 uid = 1; uint32 gid = 2} as umoci writes it. */
#define OCI_LAYER_OWNER_XATTR "user.rootlesscontainers"

/* What a written (or read) layer turned out to be. */
struct oci_layer_desc {
    enum oci_compression compression;
    struct oci_digest digest;  /* of the blob (compressed bytes) */
    uint64_t size;             /* blob size */
    struct oci_digest diff_id; /* of the uncompressed tar */
    uint64_t diff_size;        /* uncompressed tar size */
    uint64_t entries;          /* tar entries, whiteouts included */
};

struct oci_layer_write_opts {
    struct oci_compress_opts compress;
    /* Clamp every mtime later than source_date_epoch to it. */
    bool clamp_mtime;
    int64_t source_date_epoch;
};

/* ---------------------------------------------------------------- writing */

/* Every entry under dir (dir itself is not an entry) as one layer. */
int oci_layer_write_tree(const char *dir, const struct oci_layer_write_opts *o,
                         const struct oci_sink *out, struct oci_layer_desc *desc,
                         struct cb_err **err);

/* An overlayfs upperdir as an OCI changeset: a 0/0 char device becomes
 * ".wh.NAME", a directory with trusted.overlay.opaque=y (or
 * user.overlay.opaque=y) is written followed by ".wh..wh..opq", every other
 * entry (directories copied up only as parents included) as itself.  A
 * metacopy or redirect_dir upper (trusted.overlay.metacopy/redirect) is
 * CB_EUNSUPPORTED: mount the overlay without those features. */
int oci_layer_write_overlay(const char *upperdir, const struct oci_layer_write_opts *o,
                            const struct oci_sink *out, struct oci_layer_desc *desc,
                            struct cb_err **err);

enum oci_change_kind {
    OCI_CHANGE_ADD = 0, /* new or changed: written from the tree as is */
    OCI_CHANGE_DELETE,  /* written as the whiteout ".wh.NAME" */
    OCI_CHANGE_OPAQUE,  /* directory replaced: the entry, then ".wh..wh..opq" */
};

struct oci_change {
    enum oci_change_kind kind;
    char *path; /* relative to the tree, no leading "/" or "./", no ".." */
};

struct oci_changes {
    struct oci_change *v;
    size_t n;
    size_t alloc;
};

void oci_changes_init(struct oci_changes *c);
void oci_changes_release(struct oci_changes *c);
/* Append a copy of path. */
void oci_changes_add(struct oci_changes *c, enum oci_change_kind kind, const char *path);
static inline void oci_changes_releasep(struct oci_changes *c)
{
    oci_changes_release(c);
}
#define cleanup_changes __attribute__((cleanup(oci_changes_releasep)))

/* Write changes (in any order; sorted here) against the tree at root.  An ADD
 * writes that one path (a directory's children are not implied); a parent
 * directory not in the list is written from root before its children, so
 * ownership and modes of parents survive. */
int oci_layer_write_changes(const char *root, const struct oci_changes *changes,
                            const struct oci_layer_write_opts *o, const struct oci_sink *out,
                            struct oci_layer_desc *desc, struct cb_err **err);

/* ---------------------------------------------------------------- diffing */

/* The fallback when overlayfs is unavailable: the changes that turn lower
 * into upper.  A path is changed when its type, mode, uid, gid, size, mtime
 * (to the nanosecond), xattrs or link target differ, or for regular files of
 * equal size and mtime whose inode differs, when their content differs (as
 * containerd's continuity does: metadata first, bytes only to be sure).
 * Directories are compared by their own metadata (mtime included, as an
 * overlay upperdir would carry them).  A path whose type changed is one ADD
 * (an applier replaces whatever is there; a new directory's whole subtree is
 * added).  Deleting a directory is one DELETE: its contents go with it. */
int oci_layer_diff_trees(const char *lower, const char *upper, struct oci_changes *out,
                         struct cb_err **err);

/* oci_layer_diff_trees() then oci_layer_write_changes() against upper. */
int oci_layer_write_diff(const char *lower, const char *upper, const struct oci_layer_write_opts *o,
                         const struct oci_sink *out, struct oci_layer_desc *desc,
                         struct cb_err **err);

/* ---------------------------------------------------------------- applying */

enum oci_apply_mode {
    OCI_APPLY_FLAT = 0,
    OCI_APPLY_OVERLAY,
};

struct oci_layer_apply_opts {
    enum oci_apply_mode mode;
    /* Do not chown even as root: owners go into OCI_LAYER_OWNER_XATTR. */
    bool no_chown;
    /* Files belong to whoever applies: no chown and no owner xattr (what
     * BuildKit's local exporter gives the client). */
    bool drop_owners;
    /* OVERLAY mode: mark opaque directories with user.overlay.opaque
     * instead of trusted.overlay.opaque (overlay mounted with userxattr). */
    bool userxattr;
};

/* Apply the layer read from in (gzip, zstd or plain tar, detected) onto the
 * existing directory target.  desc (may be NULL) receives the blob digest
 * and size, the diff_id and the tar size, so the caller can verify them.  On
 * a rejected entry the error names it ("layer entry '../x': ...") and the
 * target is left partly applied: unpack into a temp directory and rename. */
int oci_layer_apply(const struct oci_source *in, const char *target,
                    const struct oci_layer_apply_opts *o, struct oci_layer_desc *desc,
                    struct cb_err **err);
/* Same, reading the blob from a file. */
int oci_layer_apply_file(const char *blob, const char *target, const struct oci_layer_apply_opts *o,
                         struct oci_layer_desc *desc, struct cb_err **err);

/* ---------------------------------------------------------------- listing */

enum oci_layer_entry_type {
    OCI_ENTRY_FILE = 'f',
    OCI_ENTRY_DIR = 'd',
    OCI_ENTRY_SYMLINK = 'l',
    OCI_ENTRY_HARDLINK = 'h',
    OCI_ENTRY_CHAR = 'c',
    OCI_ENTRY_BLOCK = 'b',
    OCI_ENTRY_FIFO = 'p',
};

struct oci_layer_reader;

/* One tar entry; the strings are valid during the callback only. */
struct oci_layer_entry {
    const char *path; /* as stored, e.g. "etc/.wh.passwd" */
    enum oci_layer_entry_type type;
    mode_t mode; /* permission bits, setuid/setgid/sticky included */
    uid_t uid;
    gid_t gid;
    uint64_t size;        /* regular files */
    int64_t mtime;        /* seconds */
    const char *linkname; /* symlink target or hardlink target path, or NULL */
    unsigned int rdev_major, rdev_minor;
    size_t n_xattrs;
    struct oci_layer_reader *reader; /* for oci_layer_entry_read() */
};

typedef int (*oci_layer_entry_fn)(void *userdata, const struct oci_layer_entry *e,
                                  struct cb_err **err);

/* Call fn for each entry in order; a negative return stops the walk and is
 * returned, a positive one stops it with success.  desc (may be NULL) is
 * filled as for oci_layer_apply() once every entry was seen; without desc
 * nothing is hashed (a blob already verified by the store reads faster). */
int oci_layer_list(const struct oci_source *in, oci_layer_entry_fn fn, void *userdata,
                   struct oci_layer_desc *desc, struct cb_err **err);
/* During fn: read the next bytes of a regular file entry's content, up to
 * len; 0 at its end.  What fn does not read is skipped. */
ssize_t oci_layer_entry_read(const struct oci_layer_entry *e, void *buf, size_t len,
                             struct cb_err **err);
/* An entry's path as apply and list treat it: "./a/b/" -> "a/b", "" for the
 * root; absolute paths and "." or ".." components are CB_EINVAL naming raw
 * and what ("path", "hardlink target"), as apply refuses them.  Allocated. */
char *oci_layer_entry_clean(const char *raw, const char *what, struct cb_err **err);

#endif
