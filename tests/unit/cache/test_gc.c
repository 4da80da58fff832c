#include <fcntl.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <string.h>

#include "harness.h"
#include "../../../base/cleanup.h"
#include "../../../cache/gc.h"

static struct oci_digest dg(const char *s)
{
    struct oci_digest d;
    oci_digest_of(s, strlen(s), &d);
    return d;
}

/* Record key with one layer (layer, size) used at time t (seconds). */
static void put(struct cache_records *r, const char *key, const char *layer, int64_t size,
                int64_t t)
{
    struct cache_record *rec = cache_record_new();
    struct oci_digest l = dg(layer), diff = dg("diff");
    struct cb_err *err = NULL;
    rec->key = dg(key);
    cache_record_add_layer(rec, "application/vnd.oci.image.layer.v1.tar+gzip", &l, size, &diff);
    if (cache_records_put(r, rec, &err) < 0 ||
        cache_records_touch(r, &rec->key, t * 1000000000LL, &err) < 0)
        abort();
    cache_record_free(rec);
}

static bool has(struct cache_records *r, const char *key)
{
    struct cache_record *rec = NULL;
    struct oci_digest k = dg(key);
    int rc = cache_records_lookup(r, &k, &rec, NULL);
    cache_record_free(rec);
    return rc == 1;
}

static bool root_has(const struct cache_gc_roots *roots, const char *blob)
{
    struct oci_digest d = dg(blob);
    for (size_t i = 0; i < roots->n; i++)
        if (oci_digest_equal(&roots->v[i], &d))
            return true;
    return false;
}

TEST(gc_drops_least_recently_used_first)
{
    cleanup_err struct cb_err *err = NULL;
    cleanup_cache_records struct cache_records *r = cache_records_open("store", &err);
    struct cache_gc_opts o = {.keep_storage = 250};
    struct cache_gc_stats st;
    struct cache_gc_roots roots = {0};
    put(r, "old", "L-old", 100, 1000);
    put(r, "mid", "L-mid", 100, 2000);
    put(r, "new", "L-new", 100, 3000);
    ASSERT_OK(cache_gc_prune(r, &o, &st, &roots, &err), err);
    ASSERT_INT_EQ(st.records_removed, 1);
    ASSERT_INT_EQ(st.records_kept, 2);
    ASSERT_INT_EQ(st.bytes_released, 100);
    ASSERT_INT_EQ(st.bytes_kept, 200);
    ASSERT(!has(r, "old"));
    ASSERT(has(r, "mid") && has(r, "new"));
    ASSERT_INT_EQ(roots.n, 2);
    ASSERT(root_has(&roots, "L-mid") && root_has(&roots, "L-new"));
    cache_gc_roots_release(&roots);
    /* touching "mid" makes "new" the least recently used */
    struct oci_digest mid = dg("mid");
    ASSERT_OK(cache_records_touch(r, &mid, 4000LL * 1000000000LL, &err), err);
    o.keep_storage = 150;
    ASSERT_OK(cache_gc_prune(r, &o, &st, NULL, &err), err);
    ASSERT(has(r, "mid") && !has(r, "new"));
}

TEST(gc_shared_blobs_count_once)
{
    cleanup_err struct cb_err *err = NULL;
    cleanup_cache_records struct cache_records *r = cache_records_open("store", &err);
    struct cache_gc_opts o = {.keep_storage = 100};
    struct cache_gc_stats st;
    struct cache_gc_roots roots = {0};
    /* two records share one 100-byte layer: 100 bytes in all, under the limit */
    put(r, "a", "shared", 100, 1000);
    put(r, "b", "shared", 100, 2000);
    ASSERT_OK(cache_gc_prune(r, &o, &st, &roots, &err), err);
    ASSERT_INT_EQ(st.records_removed, 0);
    ASSERT_INT_EQ(st.bytes_kept, 100);
    ASSERT_INT_EQ(roots.n, 1);
    cache_gc_roots_release(&roots);
    /* with a third, dropping "a" alone releases nothing: "b" still needs it */
    put(r, "c", "own", 50, 3000);
    ASSERT_OK(cache_gc_prune(r, &o, &st, &roots, &err), err);
    ASSERT_INT_EQ(st.records_removed, 2);
    ASSERT_INT_EQ(st.bytes_released, 100);
    ASSERT_INT_EQ(st.bytes_kept, 50);
    ASSERT(has(r, "c") && !has(r, "a") && !has(r, "b"));
    ASSERT_INT_EQ(roots.n, 1);
    ASSERT(root_has(&roots, "own"));
    cache_gc_roots_release(&roots);
}

TEST(gc_zero_keep_drops_all_and_dry_run_keeps_all)
{
    cleanup_err struct cb_err *err = NULL;
    cleanup_cache_records struct cache_records *r = cache_records_open("store", &err);
    struct cache_gc_opts o = {.keep_storage = 0, .dry_run = true};
    struct cache_gc_stats st;
    struct cache_gc_roots roots = {0};
    put(r, "a", "la", 10, 1000);
    put(r, "b", "lb", 20, 2000);
    ASSERT_OK(cache_gc_prune(r, &o, &st, NULL, &err), err);
    ASSERT_INT_EQ(st.records_removed, 2);
    ASSERT_INT_EQ(st.bytes_released, 30);
    ASSERT(has(r, "a") && has(r, "b"));
    o.dry_run = false;
    ASSERT_OK(cache_gc_prune(r, &o, &st, &roots, &err), err);
    ASSERT_INT_EQ(st.records_removed, 2);
    ASSERT_INT_EQ(st.records_kept, 0);
    ASSERT_INT_EQ(roots.n, 0);
    ASSERT(!has(r, "a") && !has(r, "b"));
    cache_gc_roots_release(&roots);
}

static void mark_count(void *set, const struct oci_digest *d)
{
    (void)d;
    (*(int *)set)++;
}

TEST(gc_roots_include_configs)
{
    cleanup_err struct cb_err *err = NULL;
    cleanup_cache_records struct cache_records *r = cache_records_open("store", &err);
    struct cache_gc_roots roots = {0};
    struct cache_record *rec = cache_record_new();
    struct oci_digest cfg = dg("cfg");
    int marked = 0;
    rec->key = dg("meta");
    cache_record_set_config(rec, "application/vnd.oci.image.config.v1+json", &cfg, 10);
    ASSERT_OK(cache_records_put(r, rec, &err), err);
    cache_record_free(rec);
    put(r, "run", "layer", 5, 1000);
    ASSERT_OK(cache_gc_roots(r, &roots, &err), err);
    ASSERT_INT_EQ(roots.n, 2);
    ASSERT(root_has(&roots, "cfg") && root_has(&roots, "layer"));
    cache_gc_roots_release(&roots);
    ASSERT_OK(cache_gc_mark_roots(r, mark_count, &marked, &err), err);
    ASSERT_INT_EQ(marked, 2);
}

TEST(gc_prunes_stat_caches)
{
    cleanup_err struct cb_err *err = NULL;
    cleanup_cache_records struct cache_records *r = cache_records_open("store", &err);
    struct cache_gc_opts o = {.keep_storage = 1000};
    struct timespec old[2] = {{1000, 0}, {1000, 0}};
    struct stat st;
    t_write("store/cache/statcache/aaaa", "recent");
    t_write("store/cache/statcache/bbbb", "old");
    ASSERT_INT_EQ(utimensat(AT_FDCWD, "store/cache/statcache/bbbb", old, 0), 0);
    ASSERT_OK(cache_gc_prune(r, &o, NULL, NULL, &err), err);
    ASSERT_INT_EQ(stat("store/cache/statcache/aaaa", &st), 0);
    ASSERT(stat("store/cache/statcache/bbbb", &st) < 0);
    o.keep_storage = 0;
    ASSERT_OK(cache_gc_prune(r, &o, NULL, NULL, &err), err);
    ASSERT(stat("store/cache/statcache/aaaa", &st) < 0);
}
