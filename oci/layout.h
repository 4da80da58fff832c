/* layout.h - an OCI image layout directory (image-spec image-layout.md):
 * the verified content store under blobs/sha256/, the oci-layout marker and
 * index.json with its tags (org.opencontainers.image.ref.name annotations).
 *
 * Blobs are written to a temp file in blobs/sha256/ while hashed, fsynced
 * and renamed to their digest; concurrent writers of one blob are safe.  A
 * writer holds an flock on its temp file, so opening the layout removes only
 * the temp files of writers that died.  Reads are verified: a reader that
 * reaches EOF with the wrong digest fails with CB_EDIGEST.  index.json is
 * replaced atomically under an flock on the layout directory.
 */
#ifndef CBUILD_OCI_LAYOUT_H
#define CBUILD_OCI_LAYOUT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include "digest.h"
#include "image.h"
#include "sink.h"
#include "../base/buf.h"
#include "../base/error.h"

struct oci_layout;

enum oci_layout_flags {
    OCI_LAYOUT_CREATE = 1, /* create the directory, oci-layout, index.json if missing */
};

/* Open (or create) the layout at path.  Checks oci-layout's version and
 * removes stale temp files. */
struct oci_layout *oci_layout_open(const char *path, unsigned flags, struct cb_err **err);
void oci_layout_free(struct oci_layout *l);
static inline void oci_layout_freep(struct oci_layout **l)
{
    oci_layout_free(*l);
    *l = NULL;
}
#define cleanup_layout __attribute__((cleanup(oci_layout_freep)))
/* The layout's directory (valid while l lives). */
const char *oci_layout_path_peek(const struct oci_layout *l);
/* Whether path holds an oci-layout file. */
bool oci_layout_is_layout(const char *path);

/* ---------------------------------------------------------------- blobs */

bool oci_layout_has_blob(struct oci_layout *l, const struct oci_digest *d);
/* The size of a stored blob; CB_ENOTFOUND when missing. */
int oci_layout_blob_size(struct oci_layout *l, const struct oci_digest *d, int64_t *size,
                         struct cb_err **err);
/* "<layout>/blobs/sha256/<hex>", allocated; the blob need not exist. */
char *oci_layout_blob_path(const struct oci_layout *l, const struct oci_digest *d);
/* A read-only fd on the raw blob (not verified); CB_ENOTFOUND when missing. */
int oci_layout_blob_open(struct oci_layout *l, const struct oci_digest *d, struct cb_err **err);
/* Read a whole blob into out (under out->limit), verified. */
int oci_layout_read_blob(struct oci_layout *l, const struct oci_digest *d, struct cb_buf *out,
                         struct cb_err **err);
/* Store data as a blob; its digest goes to *out (may be NULL). */
int oci_layout_put_blob(struct oci_layout *l, const void *data, size_t len, struct oci_digest *out,
                        struct cb_err **err);
/* Copy a file's content in as a blob (streamed); digest and size out. */
int oci_layout_put_blob_fd(struct oci_layout *l, int fd, struct oci_digest *out, int64_t *size,
                           struct cb_err **err);
/* Remove a blob (missing is fine).  Used by gc; callers normally don't. */
int oci_layout_remove_blob(struct oci_layout *l, const struct oci_digest *d, struct cb_err **err);

/* A verified streaming reader. */
struct oci_blob_reader;
struct oci_blob_reader *oci_blob_reader_open(struct oci_layout *l, const struct oci_digest *d,
                                             struct cb_err **err);
/* Read up to len bytes: returns the count, 0 at EOF once the digest matched,
 * or a negative code (CB_EDIGEST at EOF on a mismatch). */
ssize_t oci_blob_reader_read(struct oci_blob_reader *r, void *buf, size_t len, struct cb_err **err);
void oci_blob_reader_free(struct oci_blob_reader *r);
static inline void oci_blob_reader_freep(struct oci_blob_reader **r)
{
    oci_blob_reader_free(*r);
    *r = NULL;
}
#define cleanup_blob_reader __attribute__((cleanup(oci_blob_reader_freep)))

/* A streaming writer: new → write... → commit, or free to abort. */
struct oci_blob_writer;
struct oci_blob_writer *oci_blob_writer_new(struct oci_layout *l, struct cb_err **err);
int oci_blob_writer_write(struct oci_blob_writer *w, const void *data, size_t len,
                          struct cb_err **err);
/* The writer as a sink (valid while w lives). */
struct oci_sink oci_blob_writer_sink(struct oci_blob_writer *w);
/* Bytes written so far. */
int64_t oci_blob_writer_size(const struct oci_blob_writer *w);
/* Finish: when expected is not NULL the content must have that digest (and
 * expected_size bytes when >= 0), else CB_EDIGEST and nothing is stored.
 * On success the blob is durable at its digest path and *out (may be NULL)
 * holds its digest.  Commit at most once; free the writer afterwards. */
int oci_blob_writer_commit(struct oci_blob_writer *w, const struct oci_digest *expected,
                           int64_t expected_size, struct oci_digest *out, struct cb_err **err);
/* Abort (removing the temp file) unless committed. */
void oci_blob_writer_free(struct oci_blob_writer *w);
static inline void oci_blob_writer_freep(struct oci_blob_writer **w)
{
    oci_blob_writer_free(*w);
    *w = NULL;
}
#define cleanup_blob_writer __attribute__((cleanup(oci_blob_writer_freep)))

/* ---------------------------------------------------------------- documents */

/* Store a manifest / index / image config blob and describe it in *out
 * (media type, digest, size; out is initialised by the callee). */
int oci_layout_put_manifest(struct oci_layout *l, const struct oci_manifest *m,
                            struct oci_descriptor *out, struct cb_err **err);
int oci_layout_put_index(struct oci_layout *l, const struct oci_index *x,
                         struct oci_descriptor *out, struct cb_err **err);
int oci_layout_put_image(struct oci_layout *l, const struct oci_image *img,
                         struct oci_descriptor *out, struct cb_err **err);
/* Read and parse verified blobs (out initialised by the callee). */
int oci_layout_get_manifest(struct oci_layout *l, const struct oci_digest *d,
                            struct oci_manifest *out, struct cb_err **err);
int oci_layout_get_index(struct oci_layout *l, const struct oci_digest *d, struct oci_index *out,
                         struct cb_err **err);
int oci_layout_get_image(struct oci_layout *l, const struct oci_digest *d, struct oci_image *out,
                         struct cb_err **err);

/* ---------------------------------------------------------------- index.json */

/* Read index.json (out initialised by the callee). */
int oci_layout_read_index(struct oci_layout *l, struct oci_index *out, struct cb_err **err);
/* Replace index.json atomically. */
int oci_layout_write_index(struct oci_layout *l, const struct oci_index *x, struct cb_err **err);

/* Point tag name at desc: an entry with the same name is moved (replaced),
 * other entries for the same digest keep their names.  name is stored as
 * the ref.name annotation verbatim.  With name NULL, desc is added untagged
 * (unless an entry for the digest already exists). */
int oci_layout_tag(struct oci_layout *l, const char *name, const struct oci_descriptor *desc,
                   struct cb_err **err);
/* Remove the entry named name; CB_ENOTFOUND when there is none. */
int oci_layout_untag(struct oci_layout *l, const char *name, struct cb_err **err);
/* Remove every entry (tagged or not) for digest d; the count removed. */
int oci_layout_remove_digest(struct oci_layout *l, const struct oci_digest *d, struct cb_err **err);
/* The descriptor tagged name (out initialised by the callee); CB_ENOTFOUND. */
int oci_layout_resolve(struct oci_layout *l, const char *name, struct oci_descriptor *out,
                       struct cb_err **err);

/* ---------------------------------------------------------------- gc */

/* Adds a digest to the marked (kept) set. */
typedef void (*oci_gc_mark_fn)(void *set, const struct oci_digest *d);
/* Extra roots, e.g. the build cache's records: call mark(set, digest) for
 * each blob to keep; a kept manifest or index keeps what it references. */
typedef int (*oci_gc_roots_fn)(void *userdata, oci_gc_mark_fn mark, void *set, struct cb_err **err);

struct oci_gc_opts {
    oci_gc_roots_fn extra_roots; /* may be NULL */
    void *userdata;
    bool dry_run;
};

struct oci_gc_stats {
    size_t blobs_kept;
    size_t blobs_removed;
    int64_t bytes_removed;
};

/* Mark from index.json (and extra roots) through indexes, manifests,
 * configs and layers, then remove every unmarked blob.  A referenced blob
 * that is missing is not an error (a layout may be partial).  The caller
 * must make sure no writer is active (see oci_store's exclusive lock). */
int oci_layout_gc(struct oci_layout *l, const struct oci_gc_opts *opts, struct oci_gc_stats *stats,
                  struct cb_err **err);

#endif
