/* gc.h - build cache garbage collection (`cbuild prune --cache
 * [--keep-storage SIZE]`) and the cache's gc roots for the blob store.
 *
 * Records are dropped least recently used first (ties: lower key first)
 * until the blobs the remaining records reference add up to at most
 * keep_storage bytes, each blob counted once however many records share it.
 * keep_storage <= 0 drops every record.  The cache removes only records:
 * the store's blob gc (oci_layout_gc) then deletes the blobs nothing else
 * roots, using the digests the cache still references as extra roots.
 * Pruning also deletes the per-context stat cache files (cache/statcache.h):
 * all of them when every record goes, else those not rewritten for
 * CACHE_GC_STATCACHE_MAX_AGE (a context unchanged that long is hashed once
 * more on its next build).
 */
#ifndef CBUILD_CACHE_GC_H
#define CBUILD_CACHE_GC_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "records.h"
#include "../base/error.h"
#include "../oci/digest.h"

#define CACHE_GC_STATCACHE_MAX_AGE ((int64_t)30 * 24 * 3600)

struct cache_gc_opts {
    int64_t keep_storage; /* bytes; <= 0 drops every record */
    bool dry_run;         /* count, remove nothing */
};

struct cache_gc_stats {
    size_t records_removed;
    size_t records_kept;
    int64_t bytes_released; /* blobs no remaining record references */
    int64_t bytes_kept;     /* blobs the remaining records reference */
};

/* A set of blob digests (layers and configs), sorted, without duplicates. */
struct cache_gc_roots {
    struct oci_digest *v;
    size_t n;
};

void cache_gc_roots_release(struct cache_gc_roots *roots);

/* Drop records as described above.  stats and roots may be NULL; roots gets
 * the blobs still referenced afterwards (release it). */
int cache_gc_prune(struct cache_records *r, const struct cache_gc_opts *opts,
                   struct cache_gc_stats *stats, struct cache_gc_roots *roots, struct cb_err **err);

/* The blobs every current record references (without pruning). */
int cache_gc_roots(struct cache_records *r, struct cache_gc_roots *out, struct cb_err **err);

/* Shaped like oci_gc_roots_fn (oci/layout.h): records is a struct
 * cache_records *; calls mark(set, d) for every blob a record references.
 * Pass it as oci_gc_opts.extra_roots so the layout gc keeps cached layers. */
int cache_gc_mark_roots(void *records, void (*mark)(void *set, const struct oci_digest *d),
                        void *set, struct cb_err **err);

#endif
