/* statcache.c - the persistent stat cache (see statcache.h for the rules).
 *
 * File format (host byte order; the endianness word catches a foreign one):
 *   header  "CBSC" u32 version, u32 0x01020304, u32 record size, u64 count
 *   records count x struct disk_entry, sorted by (dev, ino)
 *   trailer sha256 of everything before it
 * In memory: an array of entries plus an open-addressing table on (dev, ino).
 */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "statcache.h"
#include "../base/cleanup.h"
#include "../base/fsutil.h"
#include "../base/log.h"
#include "../base/xalloc.h"
#include "../base/banned.h"

#define SC_MAGIC "CBSC"
#define SC_VERSION 1u
#define SC_ENDIAN 0x01020304u
/* Entries not used by this build are dropped on save once they outnumber the
 * used ones by more than this (deleted files would pile up otherwise). */
#define SC_SLACK 4096
#define SC_MAX_ENTRIES ((uint64_t)1 << 22)
#define SC_MAX_FILE                                                                                \
    (sizeof(struct disk_header) + SC_MAX_ENTRIES * sizeof(struct disk_entry) +                     \
     OCI_DIGEST_SHA256_LEN)

struct disk_header {
    char magic[4];
    uint32_t version;
    uint32_t endian;
    uint32_t record_size;
    uint64_t count;
};

struct disk_entry {
    uint64_t dev, ino, size;
    int64_t mtime_ns, ctime_ns;
    uint32_t mode, reserved;
    uint8_t sha256[OCI_DIGEST_SHA256_LEN];
};

struct entry {
    struct disk_entry d;
    int64_t trusted_before; /* trusted when max(mtime, ctime) < this */
    bool used;              /* looked up or hashed by this build */
};

struct cache_statcache {
    char *path; /* NULL for memory caches */
    struct entry *v;
    size_t n, alloc;
    uint32_t *slots; /* index + 1 into v, 0 = empty */
    size_t nslots;   /* power of two, > 2n */
    bool dirty;
    struct cache_statcache_stats stats;
    pthread_mutex_t lock; /* lookups and updates may come from several threads */
};

static int64_t ts_ns(const struct timespec *ts)
{
    return (int64_t)ts->tv_sec * 1000000000 + ts->tv_nsec;
}

static size_t slot_of(const struct cache_statcache *sc, uint64_t dev, uint64_t ino)
{
    uint64_t h = ino + dev * 0x9e3779b97f4a7c15ull; /* splitmix64's finalizer */

    h = (h ^ (h >> 30)) * 0xbf58476d1ce4e5b9ull;
    h = (h ^ (h >> 27)) * 0x94d049bb133111ebull;
    return (size_t)(h ^ (h >> 31)) & (sc->nslots - 1);
}

/* The entry for (dev, ino), or NULL. */
static struct entry *find(const struct cache_statcache *sc, uint64_t dev, uint64_t ino)
{
    if (!sc->nslots)
        return NULL;
    for (size_t s = slot_of(sc, dev, ino);; s = (s + 1) & (sc->nslots - 1)) {
        uint32_t i = sc->slots[s];
        if (!i)
            return NULL;
        if (sc->v[i - 1].d.dev == dev && sc->v[i - 1].d.ino == ino)
            return &sc->v[i - 1];
    }
}

static void slots_insert(struct cache_statcache *sc, size_t idx)
{
    size_t s = slot_of(sc, sc->v[idx].d.dev, sc->v[idx].d.ino);

    while (sc->slots[s])
        s = (s + 1) & (sc->nslots - 1);
    sc->slots[s] = (uint32_t)(idx + 1);
}

static void rehash(struct cache_statcache *sc, size_t want)
{
    size_t n = 64;

    while (n < 2 * want + 2)
        n *= 2;
    free(sc->slots);
    sc->slots = xcalloc(n, sizeof(*sc->slots));
    sc->nslots = n;
    for (size_t i = 0; i < sc->n; i++)
        slots_insert(sc, i);
}

/* Insert or replace the entry for d's (dev, ino). */
static void upsert(struct cache_statcache *sc, const struct disk_entry *d, int64_t trusted_before,
                   bool used)
{
    struct entry *e = find(sc, d->dev, d->ino);

    if (!e) {
        if (2 * (sc->n + 1) + 2 > sc->nslots)
            rehash(sc, 2 * (sc->n + 1));
        XGROW(sc->v, sc->n + 1, sc->alloc);
        e = &sc->v[sc->n++];
        e->d = *d;
        slots_insert(sc, sc->n - 1);
    }
    e->d = *d;
    e->trusted_before = trusted_before;
    e->used = used;
}

static void stat_to_disk(const struct stat *st, struct disk_entry *d)
{
    memset(d, 0, sizeof(*d));
    d->dev = (uint64_t)st->st_dev;
    d->ino = (uint64_t)st->st_ino;
    d->size = (uint64_t)st->st_size;
    d->mtime_ns = ts_ns(&st->st_mtim);
    d->ctime_ns = ts_ns(&st->st_ctim);
    d->mode = (uint32_t)st->st_mode;
}

static bool entry_matches(const struct entry *e, const struct disk_entry *d)
{
    return e->d.size == d->size && e->d.mtime_ns == d->mtime_ns && e->d.ctime_ns == d->ctime_ns &&
           e->d.mode == d->mode;
}

static bool entry_racy(const struct disk_entry *d, int64_t trusted_before)
{
    return d->mtime_ns >= trusted_before || d->ctime_ns >= trusted_before;
}

/* ---------------------------------------------------------------- load */

static int parse_file(struct cache_statcache *sc, const char *data, size_t len, int64_t file_mtime)
{
    struct disk_header h;
    struct oci_digest want, got;

    if (len < sizeof(h) + OCI_DIGEST_SHA256_LEN)
        return -1;
    memcpy(&h, data, sizeof(h));
    if (memcmp(h.magic, SC_MAGIC, 4) || h.version != SC_VERSION || h.endian != SC_ENDIAN ||
        h.record_size != sizeof(struct disk_entry) || h.count > SC_MAX_ENTRIES ||
        len != sizeof(h) + h.count * sizeof(struct disk_entry) + OCI_DIGEST_SHA256_LEN)
        return -1;
    oci_digest_of(data, len - OCI_DIGEST_SHA256_LEN, &got);
    want.algo = OCI_DIGEST_SHA256;
    memcpy(want.bytes, data + len - OCI_DIGEST_SHA256_LEN, OCI_DIGEST_SHA256_LEN);
    if (!oci_digest_equal(&want, &got))
        return -1;
    rehash(sc, (size_t)h.count);
    sc->v = xreallocarray(sc->v, h.count ? h.count : 1, sizeof(*sc->v));
    sc->alloc = h.count ? h.count : 1;
    for (uint64_t i = 0; i < h.count; i++) {
        struct disk_entry d;
        memcpy(&d, data + sizeof(h) + i * sizeof(d), sizeof(d));
        upsert(sc, &d, file_mtime, false);
    }
    sc->stats.loaded = sc->n;
    return 0;
}

static void load(struct cache_statcache *sc)
{
    cleanup_close int fd = open(sc->path, O_RDONLY | O_CLOEXEC);
    cleanup_err struct cb_err *e = NULL;
    cleanup_buf struct cb_buf b = {0};
    struct stat st;

    if (fd < 0 && errno == ENOENT)
        return;
    if (fd < 0 || fstat(fd, &st) < 0) {
        cb_log_warn("ignoring stat cache '%s': %s", sc->path, strerror(errno));
        sc->stats.load_failed = true;
        return;
    }
    cb_buf_init(&b, (size_t)st.st_size + 1);
    if ((uint64_t)st.st_size > SC_MAX_FILE || cb_read_all(fd, &b, &e) < 0 ||
        parse_file(sc, b.data, b.len, ts_ns(&st.st_mtim)) < 0) {
        cb_log_warn("ignoring corrupt stat cache '%s'", sc->path);
        sc->stats.load_failed = true;
        sc->n = 0;
        rehash(sc, 0);
        sc->dirty = true; /* replace it */
    }
}

struct cache_statcache *cache_statcache_new_memory(void)
{
    struct cache_statcache *sc = xcalloc(1, sizeof(*sc));
    pthread_mutex_init(&sc->lock, NULL);
    rehash(sc, 0);
    return sc;
}

struct cache_statcache *cache_statcache_open(const char *path, struct cb_err **err)
{
    struct cache_statcache *sc;

    if (!path || !*path) {
        cb_fail(err, CB_EINVAL, 0, "stat cache: empty path");
        return NULL;
    }
    sc = cache_statcache_new_memory();
    sc->path = xstrdup(path);
    load(sc);
    return sc;
}

void cache_statcache_free(struct cache_statcache *sc)
{
    if (!sc)
        return;
    pthread_mutex_destroy(&sc->lock);
    free(sc->path);
    free(sc->v);
    free(sc->slots);
    free(sc);
}

char *cache_statcache_path(const char *root, const char *context_dir, struct cb_err **err)
{
    cleanup_free char *abs = realpath(context_dir, NULL);
    struct oci_digest d;
    char hex[2 * OCI_DIGEST_SHA256_LEN + 1];

    if (!abs) {
        cb_fail(err, CB_EIO, errno, "resolve context directory '%s'", context_dir);
        return NULL;
    }
    oci_digest_of(abs, strlen(abs), &d);
    return xasprintf("%s/cache/statcache/%s", root, oci_digest_hex(&d, hex));
}

/* ---------------------------------------------------------------- lookup */

/* Called with sc->lock held. */
static bool lookup_locked(struct cache_statcache *sc, const struct disk_entry *d,
                          struct oci_digest *out, bool count_racy)
{
    struct entry *e = find(sc, d->dev, d->ino);

    if (!e || !entry_matches(e, d))
        return false;
    if (entry_racy(&e->d, e->trusted_before)) {
        sc->stats.racy += count_racy;
        return false;
    }
    e->used = true;
    sc->stats.hits++;
    out->algo = OCI_DIGEST_SHA256;
    memcpy(out->bytes, e->d.sha256, OCI_DIGEST_SHA256_LEN);
    return true;
}

static bool lookup(struct cache_statcache *sc, const struct stat *st, struct oci_digest *out,
                   bool count_racy)
{
    struct disk_entry d;
    bool hit;

    if (!sc || !S_ISREG(st->st_mode))
        return false;
    stat_to_disk(st, &d);
    pthread_mutex_lock(&sc->lock);
    hit = lookup_locked(sc, &d, out, count_racy);
    pthread_mutex_unlock(&sc->lock);
    return hit;
}

bool cache_statcache_lookup(struct cache_statcache *sc, const struct stat *st,
                            struct oci_digest *out)
{
    return lookup(sc, st, out, true);
}

static int hash_fd(int fd, struct oci_digest *out, uint64_t *nbytes, struct cb_err **err)
{
    cleanup_hasher struct oci_hasher *h = oci_hasher_new();
    char buf[64 * 1024];

    *nbytes = 0;
    for (;;) {
        ssize_t n = read(fd, buf, sizeof(buf));
        if (n < 0 && errno == EINTR)
            continue;
        if (n < 0)
            return cb_fail(err, CB_EIO, errno, "read");
        if (n == 0)
            break;
        oci_hasher_update(h, buf, (size_t)n);
        *nbytes += (uint64_t)n;
    }
    oci_hasher_final(h, out);
    return 0;
}

int cache_statcache_digest_fd(struct cache_statcache *sc, int fd, struct oci_digest *out,
                              struct cb_err **err)
{
    struct timespec now;
    struct stat st;
    struct disk_entry d;
    uint64_t n;
    int rc;

    if (fstat(fd, &st) < 0)
        return cb_fail(err, CB_EIO, errno, "stat");
    /* Racy entries were counted by the caller's lookup, if it made one. */
    if (lookup(sc, &st, out, false))
        return 0;
    /* Before reading: a change made after this instant gets a timestamp
     * >= now, so the entry will not be trusted unless its times are older. */
    clock_gettime(CLOCK_REALTIME_COARSE, &now);
    if ((rc = hash_fd(fd, out, &n, err)) < 0)
        return rc;
    if (!sc)
        return 0;
    stat_to_disk(&st, &d);
    memcpy(d.sha256, out->bytes, OCI_DIGEST_SHA256_LEN);
    pthread_mutex_lock(&sc->lock);
    sc->stats.files_hashed++;
    sc->stats.bytes_hashed += n;
    if (S_ISREG(st.st_mode)) {
        struct entry *old = find(sc, d.dev, d.ino);
        if (!old || !entry_matches(old, &d) || memcmp(old->d.sha256, d.sha256, sizeof(d.sha256)))
            sc->dirty = true;
        upsert(sc, &d, ts_ns(&now), true);
    }
    pthread_mutex_unlock(&sc->lock);
    return 0;
}

/* ---------------------------------------------------------------- save */

static int disk_cmp(const void *a, const void *b)
{
    const struct disk_entry *x = a, *y = b;
    if (x->dev != y->dev)
        return x->dev < y->dev ? -1 : 1;
    return x->ino < y->ino ? -1 : x->ino > y->ino;
}

/* The entries worth keeping, sorted; racy ones are never written. */
static struct disk_entry *collect(const struct cache_statcache *sc, size_t *count)
{
    struct disk_entry *out = xcalloc(sc->n ? sc->n : 1, sizeof(*out));
    size_t used = 0, n = 0;
    bool keep_unused;

    for (size_t i = 0; i < sc->n; i++)
        used += sc->v[i].used;
    keep_unused = sc->n - used <= used + SC_SLACK;
    /* used entries first, so the size cap drops unused ones */
    for (int pass = 0; pass < (keep_unused ? 2 : 1); pass++)
        for (size_t i = 0; i < sc->n && n < SC_MAX_ENTRIES; i++) {
            const struct entry *e = &sc->v[i];
            if (e->used == (pass == 0) && !entry_racy(&e->d, e->trusted_before))
                out[n++] = e->d;
        }
    qsort(out, n, sizeof(*out), disk_cmp);
    *count = n;
    return out;
}

/* Temp file + rename, without fsync: a cache file torn by a crash fails its
 * checksum and is ignored, so it is not worth the flush on every build. */
static int replace_file(const char *path, const void *data, size_t len, struct cb_err **err)
{
    cleanup_free char *dir = xstrdup(path);
    char *slash = strrchr(dir, '/');
    struct timespec ts;
    cleanup_free char *tmp = NULL;
    cleanup_close int fd = -1;
    int rc;

    clock_gettime(CLOCK_MONOTONIC, &ts);
    if (slash)
        slash[1] = '\0';
    tmp = xasprintf("%s.tmp-%s-%d-%ld", slash ? dir : "", slash ? path + (slash - dir) + 1 : path,
                    (int)getpid(), (long)ts.tv_nsec);
    if ((fd = open(tmp, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0644)) < 0)
        return cb_fail(err, CB_EIO, errno, "create '%s'", tmp);
    rc = cb_write_all(fd, data, len, err);
    if (rc == 0 && close(TAKE_FD(fd)) < 0)
        rc = cb_fail(err, CB_EIO, errno, "close '%s'", tmp);
    if (rc == 0 && rename(tmp, path) < 0)
        rc = cb_fail(err, CB_EIO, errno, "rename '%s' to '%s'", tmp, path);
    if (rc < 0)
        unlink(tmp);
    return rc;
}

int cache_statcache_save(struct cache_statcache *sc, struct cb_err **err)
{
    cleanup_free struct disk_entry *ents = NULL;
    cleanup_free char *dir = NULL;
    cleanup_free char *data = NULL;
    struct disk_header h = {0};
    struct oci_digest d;
    size_t n, len;
    char *slash;

    if (!sc || !sc->path || !sc->dirty)
        return 0;
    ents = collect(sc, &n);
    memcpy(h.magic, SC_MAGIC, 4);
    h.version = SC_VERSION;
    h.endian = SC_ENDIAN;
    h.record_size = sizeof(struct disk_entry);
    h.count = n;
    len = sizeof(h) + n * sizeof(*ents) + OCI_DIGEST_SHA256_LEN;
    data = xmalloc(len);
    memcpy(data, &h, sizeof(h));
    memcpy(data + sizeof(h), ents, n * sizeof(*ents));
    oci_digest_of(data, len - OCI_DIGEST_SHA256_LEN, &d);
    memcpy(data + len - OCI_DIGEST_SHA256_LEN, d.bytes, OCI_DIGEST_SHA256_LEN);
    dir = xstrdup(sc->path);
    if ((slash = strrchr(dir, '/')) && slash != dir) {
        *slash = '\0';
        if (cb_mkdir_p(dir, 0755, err) < 0)
            return cb_wrap(err, "save stat cache");
    }
    if (replace_file(sc->path, data, len, err) < 0)
        return cb_wrap(err, "save stat cache");
    sc->dirty = false;
    return 0;
}

void cache_statcache_get_stats(const struct cache_statcache *sc, struct cache_statcache_stats *out)
{
    if (sc)
        *out = sc->stats;
    else
        memset(out, 0, sizeof(*out));
}

size_t cache_statcache_count(const struct cache_statcache *sc)
{
    return sc ? sc->n : 0;
}
