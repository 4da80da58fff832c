/* statcache.h - the persistent stat cache: (dev, inode, size, mtime ns,
 * ctime ns, mode) -> sha256 of a regular file's content, so an unchanged
 * build context is not read again.
 *
 * One cache file per context directory (cache_statcache_path()), in a
 * compact binary format with a sha256 trailer: a file that is truncated,
 * corrupt or from another version is ignored with a warning and rebuilt.
 * It is saved atomically (temp file and rename), and only when something
 * changed.
 *
 * Racy timestamps (git's "racy clean" problem): a file changed within the
 * filesystem's timestamp granularity of being hashed would keep the same
 * stat data.  So an entry is trusted only when the file's mtime and ctime
 * are both older than the moment it was hashed (the kernel's coarse clock,
 * which filesystems stamp with); racy entries are used for nothing and not
 * saved, and on load an entry whose mtime or ctime is >= the cache file's
 * own mtime is re-hashed, as git does with its index.
 *
 * Lookups and digests may run on several threads at once; open, save and
 * free may not overlap with anything.
 */
#ifndef CBUILD_CACHE_STATCACHE_H
#define CBUILD_CACHE_STATCACHE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/stat.h>

#include "../base/error.h"
#include "../oci/digest.h"

struct cache_statcache;

struct cache_statcache_stats {
    size_t loaded;         /* entries read from the file */
    size_t hits;           /* lookups answered from the cache */
    size_t racy;           /* lookups that found an entry but did not trust it (racy) */
    size_t files_hashed;   /* files read and hashed */
    uint64_t bytes_hashed; /* bytes read for those */
    bool load_failed;      /* the file was corrupt or unreadable and ignored */
};

/* The cache file for context_dir: "<root>/cache/statcache/<sha256 hex of
 * context_dir's absolute, symlink-free path>".  CB_EIO when it cannot be
 * resolved. */
char *cache_statcache_path(const char *root, const char *context_dir, struct cb_err **err);

/* Load the cache stored at path.  A missing file gives an empty cache; a
 * corrupt or unreadable one gives an empty cache and a cb_log_warn().  Never
 * fails for a bad file, only (NULL) when path is empty. */
struct cache_statcache *cache_statcache_open(const char *path, struct cb_err **err);
/* An in-memory cache that is never saved (for tests and one-off digests). */
struct cache_statcache *cache_statcache_new_memory(void);
void cache_statcache_free(struct cache_statcache *sc);
static inline void cache_statcache_freep(struct cache_statcache **sc)
{
    cache_statcache_free(*sc);
    *sc = NULL;
}
#define cleanup_statcache __attribute__((cleanup(cache_statcache_freep)))

/* Whether st (an lstat of a regular file) has a trusted entry; its digest is
 * copied to out.  sc may be NULL (always false). */
bool cache_statcache_lookup(struct cache_statcache *sc, const struct stat *st,
                            struct oci_digest *out);

/* The sha256 of the content of the regular file open at fd: from the cache
 * when its fstat has a trusted entry, else read, hashed and remembered.  sc
 * may be NULL (always read). */
int cache_statcache_digest_fd(struct cache_statcache *sc, int fd, struct oci_digest *out,
                              struct cb_err **err);

/* Write the cache back (atomic: temp file, rename; no fsync, since a torn
 * file fails its checksum and is ignored) when anything changed since it
 * was loaded; a no-op otherwise and for memory caches. */
int cache_statcache_save(struct cache_statcache *sc, struct cb_err **err);

void cache_statcache_get_stats(const struct cache_statcache *sc, struct cache_statcache_stats *out);
/* Number of entries held (trusted or not). */
size_t cache_statcache_count(const struct cache_statcache *sc);

#endif
