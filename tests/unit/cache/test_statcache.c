#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "harness.h"
#include "../../../base/cleanup.h"
#include "../../../cache/contenthash.h"
#include "../../../cache/statcache.h"

#define NFILES 50

static void make_files(void)
{
    char p[64], c[64];
    for (int i = 0; i < NFILES; i++) {
        snprintf(p, sizeof(p), "ctx/d%d/f%d.txt", i % 5, i);
        snprintf(c, sizeof(c), "content %d\n", i);
        t_write(p, c);
    }
}

/* Let the kernel's coarse clock move past the files' timestamps, so they
 * are not "racy" (see statcache.h). */
static void settle(void)
{
    struct timespec ts = {0, 30 * 1000 * 1000};
    nanosleep(&ts, NULL);
}

static int digest_ctx(struct cache_statcache *sc, struct oci_digest *out, struct cb_err **err)
{
    cleanup_close int fd = open("ctx", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    struct cache_contenthash_opts o = {
        .root_fd = fd, .paths = (const char *const[]){"."}, .n_paths = 1, .statcache = sc};
    return cache_contenthash(&o, out, err);
}

static struct cache_statcache_stats stats_of(struct cache_statcache *sc)
{
    struct cache_statcache_stats s;
    cache_statcache_get_stats(sc, &s);
    return s;
}

TEST(statcache_warm_run_reads_nothing)
{
    cleanup_err struct cb_err *err = NULL;
    struct oci_digest cold, warm, nocache;
    make_files();
    settle();
    {
        cleanup_statcache struct cache_statcache *sc = cache_statcache_open("sc/ctx", &err);
        ASSERT(sc);
        ASSERT_OK(digest_ctx(sc, &cold, &err), err);
        ASSERT_INT_EQ(stats_of(sc).files_hashed, NFILES);
        ASSERT_INT_EQ(stats_of(sc).hits, 0);
        ASSERT_OK(cache_statcache_save(sc, &err), err);
    }
    cleanup_statcache struct cache_statcache *sc = cache_statcache_open("sc/ctx", &err);
    ASSERT_INT_EQ(stats_of(sc).loaded, NFILES);
    /* Proof that nothing is read: when not root, make the files unreadable. */
    if (geteuid() != 0)
        ASSERT_INT_EQ(chmod("ctx/d0/f0.txt", 0), 0);
    ASSERT_OK(digest_ctx(sc, &warm, &err), err);
    ASSERT_INT_EQ(stats_of(sc).files_hashed, 0);
    ASSERT_INT_EQ(stats_of(sc).hits, NFILES);
    ASSERT(oci_digest_equal(&cold, &warm));
    if (geteuid() != 0)
        ASSERT_INT_EQ(chmod("ctx/d0/f0.txt", 0644), 0);
    ASSERT_OK(digest_ctx(NULL, &nocache, &err), err);
    ASSERT(oci_digest_equal(&cold, &nocache));
}

TEST(statcache_changed_file_is_rehashed)
{
    cleanup_err struct cb_err *err = NULL;
    cleanup_statcache struct cache_statcache *sc = cache_statcache_open("sc", &err);
    struct oci_digest a, b;
    make_files();
    settle();
    ASSERT_OK(digest_ctx(sc, &a, &err), err);
    t_write("ctx/d1/f1.txt", "CONTENT 1\n"); /* same size */
    settle();
    ASSERT_OK(digest_ctx(sc, &b, &err), err);
    ASSERT(!oci_digest_equal(&a, &b));
    ASSERT_INT_EQ(stats_of(sc).files_hashed, NFILES + 1);
    ASSERT_INT_EQ(stats_of(sc).hits, NFILES - 1);
}

TEST(statcache_racy_entries_are_rehashed)
{
    cleanup_err struct cb_err *err = NULL;
    struct oci_digest a;
    struct timespec future[2] = {{0, UTIME_OMIT}, {0, 0}};
    make_files();
    settle();
    /* An mtime not older than the moment of hashing: never trusted. */
    future[1].tv_sec = time(NULL) + 3600;
    ASSERT_INT_EQ(utimensat(AT_FDCWD, "ctx/d2/f2.txt", future, 0), 0);
    settle();
    {
        cleanup_statcache struct cache_statcache *sc = cache_statcache_open("sc", &err);
        ASSERT_OK(digest_ctx(sc, &a, &err), err);
        ASSERT_OK(digest_ctx(sc, &a, &err), err);
        ASSERT_INT_EQ(stats_of(sc).files_hashed, NFILES + 1);
        ASSERT_INT_EQ(stats_of(sc).racy, 1);
        ASSERT_OK(cache_statcache_save(sc, &err), err);
        ASSERT_INT_EQ(cache_statcache_count(sc), NFILES);
    }
    /* The racy entry was not saved. */
    cleanup_statcache struct cache_statcache *sc = cache_statcache_open("sc", &err);
    ASSERT_INT_EQ(stats_of(sc).loaded, NFILES - 1);
}

TEST(statcache_entries_newer_than_cache_file_are_not_trusted)
{
    cleanup_err struct cb_err *err = NULL;
    struct oci_digest a;
    struct timespec old[2] = {{1000, 0}, {1000, 0}};
    make_files();
    settle();
    {
        cleanup_statcache struct cache_statcache *sc = cache_statcache_open("sc", &err);
        ASSERT_OK(digest_ctx(sc, &a, &err), err);
        ASSERT_OK(cache_statcache_save(sc, &err), err);
    }
    /* As if the cache had been written before the files last changed. */
    ASSERT_INT_EQ(utimensat(AT_FDCWD, "sc", old, 0), 0);
    cleanup_statcache struct cache_statcache *sc = cache_statcache_open("sc", &err);
    ASSERT_INT_EQ(stats_of(sc).loaded, NFILES);
    ASSERT_OK(digest_ctx(sc, &a, &err), err);
    ASSERT_INT_EQ(stats_of(sc).files_hashed, NFILES);
    ASSERT_INT_EQ(stats_of(sc).racy, NFILES);
}

TEST(statcache_corrupt_file_is_ignored_and_rebuilt)
{
    cleanup_err struct cb_err *err = NULL;
    struct oci_digest a, b;
    struct stat st;
    make_files();
    settle();
    {
        cleanup_statcache struct cache_statcache *sc = cache_statcache_open("sc", &err);
        ASSERT_OK(digest_ctx(sc, &a, &err), err);
        ASSERT_OK(cache_statcache_save(sc, &err), err);
    }
    /* one flipped byte in the middle */
    {
        cleanup_close int fd = open("sc", O_RDWR);
        char c;
        ASSERT_INT_EQ(fstat(fd, &st), 0);
        ASSERT_INT_EQ(pread(fd, &c, 1, st.st_size / 2), 1);
        c ^= 0x40;
        ASSERT_INT_EQ(pwrite(fd, &c, 1, st.st_size / 2), 1);
    }
    {
        cleanup_statcache struct cache_statcache *sc = cache_statcache_open("sc", &err);
        ASSERT(sc);
        ASSERT(stats_of(sc).load_failed);
        ASSERT_INT_EQ(stats_of(sc).loaded, 0);
        ASSERT_OK(digest_ctx(sc, &b, &err), err);
        ASSERT(oci_digest_equal(&a, &b));
        ASSERT_OK(cache_statcache_save(sc, &err), err);
    }
    {
        cleanup_statcache struct cache_statcache *sc = cache_statcache_open("sc", &err);
        ASSERT(!stats_of(sc).load_failed);
        ASSERT_INT_EQ(stats_of(sc).loaded, NFILES);
    }
    /* truncated, empty and garbage files */
    ASSERT_INT_EQ(truncate("sc", st.st_size - 1), 0);
    static const char *const junk[] = {NULL, "", "CBSC garbage that is not a cache"};
    for (int i = 0; i < 3; i++) {
        if (junk[i])
            t_write("sc", junk[i]);
        cleanup_statcache struct cache_statcache *sc = cache_statcache_open("sc", &err);
        ASSERT(sc);
        ASSERT(stats_of(sc).load_failed);
        ASSERT_INT_EQ(cache_statcache_count(sc), 0);
    }
}

TEST(statcache_saves_only_when_changed)
{
    cleanup_err struct cb_err *err = NULL;
    struct oci_digest a;
    struct stat st1, st2;
    make_files();
    settle();
    {
        cleanup_statcache struct cache_statcache *sc = cache_statcache_open("dir/sc", &err);
        ASSERT_OK(digest_ctx(sc, &a, &err), err);
        ASSERT_OK(cache_statcache_save(sc, &err), err);
    }
    ASSERT_INT_EQ(stat("dir/sc", &st1), 0);
    {
        cleanup_statcache struct cache_statcache *sc = cache_statcache_open("dir/sc", &err);
        ASSERT_OK(digest_ctx(sc, &a, &err), err);
        ASSERT_OK(cache_statcache_save(sc, &err), err);
    }
    ASSERT_INT_EQ(stat("dir/sc", &st2), 0);
    ASSERT_INT_EQ(st1.st_ino, st2.st_ino); /* not replaced */
    ASSERT_INT_EQ(st1.st_mtim.tv_nsec, st2.st_mtim.tv_nsec);
}

TEST(statcache_path_is_per_context)
{
    cleanup_err struct cb_err *err = NULL;
    ASSERT_INT_EQ(mkdir("c1", 0755), 0);
    ASSERT_INT_EQ(mkdir("c2", 0755), 0);
    ASSERT_INT_EQ(symlink("c1", "c1link"), 0);
    char *p1 = cache_statcache_path("/root", "c1", &err);
    char *p2 = cache_statcache_path("/root", "c2", &err);
    char *p3 = cache_statcache_path("/root", "c1link", &err);
    ASSERT(p1 && p2 && p3);
    ASSERT(!strncmp(p1, "/root/cache/statcache/", 22));
    ASSERT_INT_EQ(strlen(p1), 22 + 64);
    ASSERT(strcmp(p1, p2) != 0);
    ASSERT_STR_EQ(p1, p3);
    free(p1);
    free(p2);
    free(p3);
    ASSERT_FAILS(cache_statcache_path("/root", "missing", &err) ? 0 : -1, err, CB_EIO,
                 "resolve context directory 'missing'");
}
