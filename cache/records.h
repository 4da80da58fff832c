/* records.h - cache records: what an op's cache key resolved to, so a hit
 * reuses the stored layer(s) and config without running anything.
 *
 * One JSON file per key, ROOT/cache/records/<key hex>.json, written
 * atomically (temp file, fsync, rename): two cbuild processes may record at
 * once, the last complete write wins, a reader never sees half a record.
 * The record's last-used time is the file's mtime, so a cache hit costs one
 * utimensat() rather than a rewrite and an fsync.
 *
 * A record that cannot be parsed (or names another key) is treated as a miss,
 * with a warning, and removed.
 */
#ifndef CBUILD_CACHE_RECORDS_H
#define CBUILD_CACHE_RECORDS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "../base/error.h"
#include "../oci/digest.h"

/* Bump when the record document changes incompatibly. */
#define CACHE_RECORD_VERSION 1
/* Records are read under this limit. */
#define CACHE_RECORD_LIMIT ((size_t)1 << 20)

struct cache_blob {
    char *media_type;
    struct oci_digest digest;
    int64_t size;
};

struct cache_layer {
    struct cache_blob blob;    /* the compressed layer as stored */
    struct oci_digest diff_id; /* sha256 of the uncompressed tar */
};

struct cache_record {
    struct oci_digest key;
    struct cache_layer *layers; /* none: a metadata-only step (history empty_layer) */
    size_t n_layers;
    struct cache_blob config; /* the image config after the op; digest unset when none */
    char *created_by;         /* history text, or NULL */
    int64_t created_ns;       /* when recorded (unix ns); put fills it in when 0 */
    int64_t last_used_ns;     /* filled in by lookup and list (the file's mtime) */
};

struct cache_record *cache_record_new(void);
void cache_record_free(struct cache_record *rec);
static inline void cache_record_freep(struct cache_record **rec)
{
    cache_record_free(*rec);
    *rec = NULL;
}
#define cleanup_cache_record __attribute__((cleanup(cache_record_freep)))

/* Append a layer (media_type copied). */
void cache_record_add_layer(struct cache_record *rec, const char *media_type,
                            const struct oci_digest *digest, int64_t size,
                            const struct oci_digest *diff_id);
/* Set the config blob (media_type copied). */
void cache_record_set_config(struct cache_record *rec, const char *media_type,
                             const struct oci_digest *digest, int64_t size);
/* Bytes of the blobs the record keeps alive (layers and config). */
int64_t cache_record_size(const struct cache_record *rec);

/* The records of the store at root (ROOT/cache/records, created). */
struct cache_records;

struct cache_records *cache_records_open(const char *root, struct cb_err **err);
void cache_records_free(struct cache_records *r);
static inline void cache_records_freep(struct cache_records **r)
{
    cache_records_free(*r);
    *r = NULL;
}
#define cleanup_cache_records __attribute__((cleanup(cache_records_freep)))

/* 1 and *out set when key has a record, 0 and *out NULL when not. */
int cache_records_lookup(struct cache_records *r, const struct oci_digest *key,
                         struct cache_record **out, struct cb_err **err);
/* Store rec under rec->key, replacing any record there. */
int cache_records_put(struct cache_records *r, const struct cache_record *rec, struct cb_err **err);
/* Mark key used at when_ns (0: now).  CB_ENOTFOUND when it has no record. */
int cache_records_touch(struct cache_records *r, const struct oci_digest *key, int64_t when_ns,
                        struct cb_err **err);
/* Remove key's record; a missing one is fine. */
int cache_records_remove(struct cache_records *r, const struct oci_digest *key,
                         struct cb_err **err);
/* Every readable record, in no particular order; unreadable ones are skipped
 * with a warning.  Free with cache_records_list_free(). */
int cache_records_list(struct cache_records *r, struct cache_record ***out, size_t *n,
                       struct cb_err **err);
void cache_records_list_free(struct cache_record **v, size_t n);

/* The store root given to cache_records_open() (valid while r lives). */
const char *cache_records_root_peek(const struct cache_records *r);

/* Remove temp files left by writers that died (older than max_age_s). */
void cache_records_clean_temp(struct cache_records *r, int64_t max_age_s);

#endif
