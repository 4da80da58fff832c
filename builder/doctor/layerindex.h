/* layerindex.h - one layer blob read into memory, for looking at an image
 * without unpacking it: every entry's metadata and, within a budget, file
 * contents (small files whole, the head of larger ones; passwd, group and
 * package.json whole up to 1 MiB whatever the budget, since the doctor reads
 * them).  What is not kept is read back from the blob on demand.
 *
 * The entries follow OCI_APPLY_OVERLAY (oci/layer.h): ".wh.NAME" is an
 * entry NAME marked whiteout, ".wh..wh..opq" marks its directory opaque, a
 * later entry for the same path replaces the earlier one, and parents the
 * tar does not list are directories 0755 owned by 0:0.  Names the unpacker
 * refuses (absolute, "..", writing through a symlink) fail the load the
 * same way.  Owners are the tar's, whoever reads.
 *
 * The blob is trusted to be the one its digest names (the store verified it
 * when it was written), so nothing is hashed: a load is one decompression.
 */
#ifndef CBUILD_BUILDER_DOCTOR_LAYERINDEX_H
#define CBUILD_BUILDER_DOCTOR_LAYERINDEX_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include "../../base/buf.h"
#include "../../base/error.h"

struct bld_layer_index;

struct bld_layer_ent {
    char *path;       /* "a/b"; "" is the root */
    const char *name; /* last component, in path */
    mode_t mode;      /* S_IFMT and permission bits */
    uid_t uid;
    gid_t gid;
    off_t size;
    int64_t mtime;
    char *link;          /* symlink target, or a hardlink's (cleaned) target path */
    bool hardlink;       /* link names the entry whose content this shares */
    bool whiteout;       /* hides the name in lower layers */
    bool opaque;         /* a directory hiding lower layers' contents */
    bool link_target;    /* some hardlink in the layer names it */
    bool gone;           /* under a directory the tar replaced later */
    uint64_t ordinal;    /* the tar entry that made it (the last, when repeated) */
    size_t seq;          /* the order it was first seen in */
    unsigned char *data; /* kept content: all of it when data_len == size */
    size_t data_len;
    struct bld_layer_ent **kids; /* a directory's entries, tar order */
    size_t n_kids, alloc_kids;
};

/* Read the layer blob at path (gzip, zstd or plain tar).  The path is kept
 * for reading back what was not kept. */
struct bld_layer_index *bld_layer_index_load(const char *blob, struct cb_err **err);
void bld_layer_index_free(struct bld_layer_index *ix);

/* The entry at rel ("a/b"; "" or "." is the root), or NULL. */
const struct bld_layer_ent *bld_layer_index_get(const struct bld_layer_index *ix, const char *rel);

/* Append the content of the regular file e (a hardlink's target's) to out,
 * at most max bytes when max > 0; read back from the blob when the index did
 * not keep enough of it. */
int bld_layer_index_read(const struct bld_layer_index *ix, const struct bld_layer_ent *e,
                         size_t max, struct cb_buf *out, struct cb_err **err);

/* Called with each regular file of the layer (the path absolute,
 * "/etc/x") and its whole content; a negative return stops and is returned. */
typedef int (*bld_layer_file_fn)(void *userdata, const char *path, const void *data, size_t len,
                                 struct cb_err **err);
/* Call fn for every regular file of at most max_size bytes the layer holds
 * at its end (a file replaced later in the tar is seen once, as it ends up),
 * hardlinks included, in tar order. */
int bld_layer_index_files(const struct bld_layer_index *ix, size_t max_size, bld_layer_file_fn fn,
                          void *userdata, struct cb_err **err);

#endif
