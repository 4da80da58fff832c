/* cache_bench.c - content digest of a build context, cold vs warm stat cache.
 *
 *   make bench-cache                 # 10000 files
 *   build/rel/bench/cache-bench [NFILES [DIR]]
 *
 * Makes NFILES files (100 per directory, 1-4 KiB each) under DIR (default a
 * fresh directory in $TMPDIR or /tmp; an existing DIR/ctx is reused), then times
 * cache_contenthash() over the whole tree: cold     no stat cache file yet: every file read and
 * hashed, cache saved warm     stat cache loaded from disk, nothing read, no save (median of 7, or
 * of $CACHE_BENCH_WARM_RUNS up to 64) nocache  no stat cache at all (files in the page cache) 1
 * edit   one file changed: one file read, cache saved Each timing includes loading and saving the
 * cache file.
 */
#include <dirent.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "../base/cleanup.h"
#include "../base/fsutil.h"
#include "../base/xalloc.h"
#include "../cache/contenthash.h"
#include "../cache/records.h"
#include "../cache/statcache.h"
#include "../base/banned.h"

/* user + system CPU time of the process so far */
static double cpu_ms(void)
{
    struct rusage ru;
    getrusage(RUSAGE_SELF, &ru);
    return (double)(ru.ru_utime.tv_sec + ru.ru_stime.tv_sec) * 1e3 +
           (double)(ru.ru_utime.tv_usec + ru.ru_stime.tv_usec) / 1e3;
}

static double now_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec * 1e3 + (double)ts.tv_nsec / 1e6;
}

static void die(struct cb_err *err)
{
    fprintf(stderr, "cache-bench: %s\n", err ? err->msg : "failed");
    exit(1);
}

static void make_tree(const char *dir, long n)
{
    char path[4096], data[4096];
    struct cb_err *err = NULL;

    for (long i = 0; i < n; i++) {
        size_t len = 1024 + (size_t)(i * 37 % 3072);
        if (i % 100 == 0) {
            snprintf(path, sizeof(path), "%s/d%03ld", dir, i / 100);
            if (cb_mkdir_p(path, 0755, &err) < 0)
                die(err);
        }
        for (size_t j = 0; j < len; j++)
            data[j] = (char)('a' + (i + j) % 26);
        snprintf(path, sizeof(path), "%s/d%03ld/f%05ld.txt", dir, i / 100, i);
        if (cb_write_file_atomic(path, data, len, 0644, &err) < 0)
            die(err);
    }
}

struct run {
    double ms, load_ms, cpu_ms;
    struct cache_statcache_stats st;
    struct oci_digest d;
};

/* One digest of the tree, loading and saving the cache at scpath (NULL: none). */
static struct run run_once(int rootfd, const char *scpath, int threads)
{
    struct cb_err *err = NULL;
    struct run r = {0};
    double t0 = now_ms(), c0 = cpu_ms();
    cleanup_statcache struct cache_statcache *sc = NULL;
    struct cache_contenthash_opts o = {
        .root_fd = rootfd, .paths = (const char *const[]){"."}, .n_paths = 1, .threads = threads};

    if (scpath && !(sc = cache_statcache_open(scpath, &err)))
        die(err);
    r.load_ms = now_ms() - t0;
    o.statcache = sc;
    if (cache_contenthash(&o, &r.d, &err) < 0 || cache_statcache_save(sc, &err) < 0)
        die(err);
    r.ms = now_ms() - t0;
    r.cpu_ms = cpu_ms() - c0;
    cache_statcache_get_stats(sc, &r.st);
    return r;
}

/* CACHE_BENCH_WARM_RUNS, clamped to 1..64 */
static int atoi_env(const char *name)
{
    long v = strtol(getenv(name), NULL, 10);
    return v < 1 ? 1 : v > 64 ? 64 : (int)v;
}

/* The floor: readdir + fstatat of every entry, nothing else. */
static long stat_walk(int dirfd)
{
    int fd = openat(dirfd, ".", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    cleanup_dir DIR *d = fd >= 0 ? fdopendir(fd) : NULL;
    struct dirent *de;
    struct stat st;
    long n = 0;

    while (d && (de = readdir(d))) {
        if (!strcmp(de->d_name, ".") || !strcmp(de->d_name, ".."))
            continue;
        if (fstatat(dirfd, de->d_name, &st, AT_SYMLINK_NOFOLLOW) < 0)
            continue;
        n++;
        if (S_ISDIR(st.st_mode)) {
            cleanup_close int sub = openat(dirfd, de->d_name, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
            n += sub >= 0 ? stat_walk(sub) : 0;
        }
    }
    return n;
}

static int dbl_cmp(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return x < y ? -1 : x > y;
}

static void report(const char *what, const struct run *r)
{
    printf("%-8s %8.2f ms  cpu %8.2f ms  (cache load %5.2f ms)  files hashed %6zu  hits %6zu\n",
           what, r->ms, r->cpu_ms, r->load_ms, r->st.files_hashed, r->st.hits);
}

/* A no-op rebuild's other cache cost: one lookup + touch per step. */
static void bench_records(const char *dir, int n)
{
    struct cb_err *err = NULL;
    cleanup_cache_records struct cache_records *r = cache_records_open(dir, &err);
    struct oci_digest key, l, diff;
    double t0;

    if (!r)
        die(err);
    for (int i = 0; i < n; i++) {
        cleanup_cache_record struct cache_record *rec = cache_record_new();
        oci_digest_of(&i, sizeof(i), &rec->key);
        oci_digest_of("layer", 5, &l);
        oci_digest_of("diff", 4, &diff);
        cache_record_add_layer(rec, "application/vnd.oci.image.layer.v1.tar+gzip", &l, 1000, &diff);
        if (cache_records_put(r, rec, &err) < 0)
            die(err);
    }
    t0 = now_ms();
    for (int i = 0; i < n; i++) {
        cleanup_cache_record struct cache_record *rec = NULL;
        oci_digest_of(&i, sizeof(i), &key);
        if (cache_records_lookup(r, &key, &rec, &err) != 1 ||
            cache_records_touch(r, &key, 0, &err) < 0)
            die(err);
    }
    printf("%-8s %8.3f ms per step (lookup + touch, mean of %d records)\n", "records",
           (now_ms() - t0) / n, n);
}

int main(int argc, char **argv)
{
    long n = argc > 1 ? strtol(argv[1], NULL, 10) : 10000;
    const char *tmp = getenv("TMPDIR") ? getenv("TMPDIR") : "/tmp";
    struct cb_err *err = NULL;
    char *dir = argc > 2 ? xstrdup(argv[2]) : cb_mkdtemp(tmp, "cache-bench-", &err);
    struct timespec settle = {0, 50 * 1000 * 1000};
    double warm[64];
    int nwarm = getenv("CACHE_BENCH_WARM_RUNS") ? atoi_env("CACHE_BENCH_WARM_RUNS") : 7;
    struct run r;
    long ncpu = sysconf(_SC_NPROCESSORS_ONLN);
    int threads = ncpu > 1 ? (ncpu > 8 ? 8 : (int)ncpu) : 1;

    if (!dir || n <= 0)
        die(err);
    cleanup_free char *ctx = cb_path_join(dir, "ctx");
    cleanup_free char *scpath = cb_path_join(dir, "statcache");
    if (!cb_path_exists(ctx)) { /* an existing DIR/ctx is reused as is */
        make_tree(ctx, n);
        nanosleep(&settle, NULL); /* past the racy window */
    }
    cleanup_close int rootfd = open(ctx, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    printf("context: %ld files under %s, %d threads\n", n, ctx, threads);
    report("cold", (r = run_once(rootfd, scpath, threads), &r));
    for (int t = 1; t <= threads; t += threads > 1 ? threads - 1 : 1) {
        char what[32];
        double cpu[64];
        for (int i = 0; i < nwarm; i++) {
            r = run_once(rootfd, scpath, t);
            warm[i] = r.ms;
            cpu[i] = r.cpu_ms;
        }
        qsort(warm, (size_t)nwarm, sizeof(warm[0]), dbl_cmp);
        qsort(cpu, (size_t)nwarm, sizeof(cpu[0]), dbl_cmp);
        r.ms = warm[nwarm / 2];
        r.cpu_ms = cpu[nwarm / 2];
        snprintf(what, sizeof(what), "warm/%dt", t);
        report(what, &r);
    }
    {
        double cpu[64];
        for (int i = 0; i < nwarm; i++) {
            double t0 = now_ms(), c0 = cpu_ms();
            stat_walk(rootfd);
            warm[i] = now_ms() - t0;
            cpu[i] = cpu_ms() - c0;
        }
        qsort(warm, (size_t)nwarm, sizeof(warm[0]), dbl_cmp);
        qsort(cpu, (size_t)nwarm, sizeof(cpu[0]), dbl_cmp);
        printf("%-8s %8.2f ms  cpu %8.2f ms  (readdir + fstatat of every entry: the floor)\n",
               "statonly", warm[nwarm / 2], cpu[nwarm / 2]);
    }
    report("nocache", (r = run_once(rootfd, NULL, threads), &r));
    {
        cleanup_free char *f = xasprintf("%s/d000/f00000.txt", ctx);
        if (cb_write_file_atomic(f, "edited\n", 7, 0644, &err) < 0)
            die(err);
        nanosleep(&settle, NULL);
    }
    report("1 edit", (r = run_once(rootfd, scpath, threads), &r));
    bench_records(dir, 200);
    if (argc <= 2 && cb_rm_rf(dir, &err) < 0)
        die(err);
    free(dir);
    return 0;
}
