/* gc.c - LRU pruning of cache records under a storage limit, and the set of
 * blobs the cache keeps alive (see gc.h). */
#include <dirent.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>

#include "gc.h"
#include "../base/cleanup.h"
#include "../base/fsutil.h"
#include "../base/xalloc.h"
#include "../base/banned.h"

/* Unique blobs with the number of kept records referencing each. */
struct blob_ref {
    struct oci_digest digest;
    int64_t size;
    size_t refs;
};

struct blob_set {
    struct blob_ref *v;
    size_t n;
};

static int digest_cmp(const struct oci_digest *a, const struct oci_digest *b)
{
    return memcmp(a->bytes, b->bytes, sizeof(a->bytes));
}

static int ref_cmp(const void *a, const void *b)
{
    return digest_cmp(&((const struct blob_ref *)a)->digest, &((const struct blob_ref *)b)->digest);
}

static int lru_cmp(const void *a, const void *b)
{
    const struct cache_record *x = *(struct cache_record *const *)a;
    const struct cache_record *y = *(struct cache_record *const *)b;

    if (x->last_used_ns != y->last_used_ns)
        return x->last_used_ns < y->last_used_ns ? -1 : 1;
    return digest_cmp(&x->key, &y->key);
}

/* Call fn for each blob rec references (the config when it has one). */
static void each_blob(const struct cache_record *rec, void (*fn)(void *, const struct cache_blob *),
                      void *u)
{
    for (size_t i = 0; i < rec->n_layers; i++)
        fn(u, &rec->layers[i].blob);
    if (oci_digest_is_set(&rec->config.digest))
        fn(u, &rec->config);
}

static void collect_blob(void *u, const struct cache_blob *b)
{
    struct blob_set *s = u;
    s->v[s->n++] = (struct blob_ref){.digest = b->digest, .size = b->size};
}

static struct blob_ref *find_blob(struct blob_set *s, const struct oci_digest *d)
{
    struct blob_ref key = {.digest = *d};
    return bsearch(&key, s->v, s->n, sizeof(*s->v), ref_cmp);
}

static void ref_blob(void *u, const struct cache_blob *b)
{
    find_blob(u, &b->digest)->refs++;
}

/* The unique blobs of recs, each with its reference count. */
static void blob_set_build(struct blob_set *s, struct cache_record **recs, size_t n)
{
    size_t total = 0, out = 0;

    for (size_t i = 0; i < n; i++)
        total += recs[i]->n_layers + 1;
    s->v = xcalloc(total + 1, sizeof(*s->v));
    s->n = 0;
    for (size_t i = 0; i < n; i++)
        each_blob(recs[i], collect_blob, s);
    qsort(s->v, s->n, sizeof(*s->v), ref_cmp);
    for (size_t i = 0; i < s->n; i++)
        if (!out || digest_cmp(&s->v[out - 1].digest, &s->v[i].digest))
            s->v[out++] = s->v[i];
    s->n = out;
    for (size_t i = 0; i < n; i++)
        each_blob(recs[i], ref_blob, s);
}

struct unref_ctx {
    struct blob_set *set;
    int64_t released;
};

static void unref_blob(void *u, const struct cache_blob *b)
{
    struct unref_ctx *c = u;
    struct blob_ref *r = find_blob(c->set, &b->digest);

    if (--r->refs == 0)
        c->released += r->size;
}

static void roots_from(const struct blob_set *s, struct cache_gc_roots *roots)
{
    roots->v = xcalloc(s->n + 1, sizeof(*roots->v));
    roots->n = 0;
    for (size_t i = 0; i < s->n; i++)
        if (s->v[i].refs)
            roots->v[roots->n++] = s->v[i].digest;
}

/* Stat cache files (one per context, cache/statcache.h) not saved for
 * max_age_s seconds, or all of them when max_age_s < 0. */
static void prune_statcaches(struct cache_records *r, int64_t max_age_s)
{
    cleanup_free char *dir = xasprintf("%s/cache/statcache", cache_records_root_peek(r));
    cleanup_dir DIR *d = opendir(dir);
    time_t now = time(NULL);
    struct dirent *de;
    struct stat st;

    if (!d)
        return;
    while ((de = readdir(d)))
        if (de->d_name[0] != '.' || !strncmp(de->d_name, ".tmp-", 5))
            if (fstatat(dirfd(d), de->d_name, &st, AT_SYMLINK_NOFOLLOW) == 0 &&
                S_ISREG(st.st_mode) && (max_age_s < 0 || now - st.st_mtim.tv_sec > max_age_s))
                unlinkat(dirfd(d), de->d_name, 0);
}

int cache_gc_prune(struct cache_records *r, const struct cache_gc_opts *opts,
                   struct cache_gc_stats *stats, struct cache_gc_roots *roots, struct cb_err **err)
{
    struct cache_record **recs = NULL;
    struct blob_set set = {0};
    struct unref_ctx uc = {.set = &set};
    struct cache_gc_stats st = {0};
    size_t n = 0, i;
    int rc = 0;

    if ((rc = cache_records_list(r, &recs, &n, err)) < 0)
        return rc;
    if (n)
        qsort(recs, n, sizeof(*recs), lru_cmp);
    blob_set_build(&set, recs, n);
    for (size_t j = 0; j < set.n; j++)
        st.bytes_kept += set.v[j].size;
    for (i = 0; i < n; i++) {
        if (opts->keep_storage > 0 && st.bytes_kept - uc.released <= opts->keep_storage)
            break;
        if (!opts->dry_run && (rc = cache_records_remove(r, &recs[i]->key, err)) < 0)
            break;
        each_blob(recs[i], unref_blob, &uc);
        st.records_removed++;
    }
    st.records_kept = n - st.records_removed;
    st.bytes_released = uc.released;
    st.bytes_kept -= uc.released;
    if (!opts->dry_run) {
        cache_records_clean_temp(r, 3600);
        prune_statcaches(r, opts->keep_storage > 0 ? CACHE_GC_STATCACHE_MAX_AGE : -1);
    }
    if (rc == 0 && roots)
        roots_from(&set, roots);
    if (stats)
        *stats = st;
    free(set.v);
    cache_records_list_free(recs, n);
    return rc;
}

int cache_gc_roots(struct cache_records *r, struct cache_gc_roots *out, struct cb_err **err)
{
    struct cache_record **recs = NULL;
    struct blob_set set = {0};
    size_t n = 0;
    int rc;

    if ((rc = cache_records_list(r, &recs, &n, err)) < 0)
        return rc;
    blob_set_build(&set, recs, n);
    roots_from(&set, out);
    free(set.v);
    cache_records_list_free(recs, n);
    return 0;
}

void cache_gc_roots_release(struct cache_gc_roots *roots)
{
    free(roots->v);
    roots->v = NULL;
    roots->n = 0;
}

int cache_gc_mark_roots(void *records, void (*mark)(void *set, const struct oci_digest *d),
                        void *set, struct cb_err **err)
{
    struct cache_gc_roots roots = {0};
    int rc = cache_gc_roots(records, &roots, err);

    if (rc < 0)
        return rc;
    for (size_t i = 0; i < roots.n; i++)
        mark(set, &roots.v[i]);
    cache_gc_roots_release(&roots);
    return 0;
}
