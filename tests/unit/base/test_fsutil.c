#include <dirent.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <signal.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <unistd.h>

#include "harness.h"
#include "../../../base/cleanup.h"
#include "../../../base/fsutil.h"

static int count_entries(const char *dir)
{
    DIR *d = opendir(dir);
    struct dirent *de;
    int n = 0;
    if (!d)
        return -1;
    while ((de = readdir(d)))
        if (strcmp(de->d_name, ".") && strcmp(de->d_name, ".."))
            n++;
    closedir(d);
    return n;
}

TEST(fsutil_atomic_write_replaces_file)
{
    cleanup_err struct cb_err *err = NULL;
    struct stat st;
    char *s;
    t_write("d/f", "old");
    ASSERT_OK(cb_write_file_atomic("d/f", "new content", 11, 0640, &err), err);
    s = t_read("d/f");
    ASSERT_STR_EQ(s, "new content");
    free(s);
    ASSERT_INT_EQ(stat("d/f", &st), 0);
    ASSERT_INT_EQ(st.st_mode & 07777, 0640);
    ASSERT_INT_EQ(count_entries("d"), 1);
}

TEST(fsutil_atomic_write_failure_leaves_nothing_partial)
{
    cleanup_err struct cb_err *err = NULL;
    char *s;
    /* The target is a non-empty directory: the final rename fails after the
     * data was written, so the temp file must be cleaned up. */
    t_write("d/target/inner", "keep");
    t_write("d/other", "untouched");
    ASSERT_FAILS(cb_write_file_atomic("d/target", "data", 4, 0644, &err), err, CB_EIO,
                 "write 'd/target'");
    ASSERT_INT_EQ(count_entries("d"), 2);
    s = t_read("d/target/inner");
    ASSERT_STR_EQ(s, "keep");
    free(s);
}

TEST(fsutil_atomic_write_short_write_leaves_old_file)
{
    cleanup_err struct cb_err *err = NULL;
    struct rlimit lim = {4096, 4096};
    static char big[65536];
    char *s;
    /* A write that fails mid-way (EFBIG past RLIMIT_FSIZE, as a full disk
     * would) must leave the original intact and no temp file behind. */
    t_write("d/f", "original");
    signal(SIGXFSZ, SIG_IGN);
    ASSERT_INT_EQ(setrlimit(RLIMIT_FSIZE, &lim), 0);
    memset(big, 'x', sizeof(big));
    ASSERT_FAILS(cb_write_file_atomic("d/f", big, sizeof(big), 0644, &err), err, CB_EIO,
                 "write 'd/f'");
    s = t_read("d/f");
    ASSERT_STR_EQ(s, "original");
    free(s);
    ASSERT_INT_EQ(count_entries("d"), 1);
    ASSERT_FAILS(cb_write_file_atomic("missing/dir/f", "x", 1, 0644, &err), err, CB_EIO,
                 "create 'missing/dir/.tmp-f");
}

TEST(fsutil_read_file_limit)
{
    cleanup_err struct cb_err *err = NULL;
    cleanup_buf struct cb_buf b;
    cb_buf_init(&b, 4);
    t_write("big", "0123456789");
    ASSERT_FAILS(cb_read_file("big", &b, &err), err, CB_EINVAL, "read 'big'");
    cb_buf_release(&b);
    b.limit = 100;
    ASSERT_OK(cb_read_file("big", &b, &err), err);
    ASSERT_STR_EQ(b.data, "0123456789");
    cb_buf_reset(&b);
    ASSERT_FAILS(cb_read_file("nope", &b, &err), err, CB_ENOTFOUND, "open 'nope'");
}

TEST(fsutil_mkdir_p_and_rm_rf)
{
    cleanup_err struct cb_err *err = NULL;
    struct stat st;
    ASSERT_OK(cb_mkdir_p("a/b/c/", 0755, &err), err);
    ASSERT_OK(cb_mkdir_p("a/b/c", 0755, &err), err);
    ASSERT_INT_EQ(stat("a/b/c", &st), 0);
    ASSERT(S_ISDIR(st.st_mode));
    t_write("a/b/file", "x");
    ASSERT_FAILS(cb_mkdir_p("a/b/file/d", 0755, &err), err, CB_EIO, "a/b/file");
    ASSERT_INT_EQ(symlink("/etc", "a/link"), 0);
    ASSERT_OK(cb_rm_rf("a", &err), err);
    ASSERT(!cb_path_exists("a"));
    ASSERT(cb_path_exists("/etc/passwd"));
    ASSERT_OK(cb_rm_rf("a", &err), err);
}

TEST(fsutil_open_beneath_stays_inside)
{
    cleanup_err struct cb_err *err = NULL;
    cleanup_close int root = -1;
    int fd;
    char buf[16] = {0};
    t_write("root/etc/passwd", "inside");
    ASSERT_INT_EQ(symlink("/etc/passwd", "root/abs"), 0);
    ASSERT_INT_EQ(symlink("../../../../etc/passwd", "root/rel"), 0);
    root = open("root", O_RDONLY | O_DIRECTORY);
    ASSERT(root >= 0);
    for (int i = 0; i < 3; i++) {
        const char *p = i == 0 ? "abs" : i == 1 ? "rel" : "/../etc/passwd";
        fd = cb_open_beneath(root, p, O_RDONLY, 0, &err);
        ASSERT_OK(fd, err);
        memset(buf, 0, sizeof(buf));
        ASSERT_INT_EQ(read(fd, buf, sizeof(buf) - 1), 6);
        close(fd);
        ASSERT_STR_EQ(buf, "inside");
    }
}

TEST(fsutil_open_beneath_walk_matches_openat2)
{
    cleanup_err struct cb_err *err = NULL;
    cleanup_close int root = -1;
    const char *paths[] = {"abs",     "rel",         "/../etc/passwd", "dir/../etc/passwd",
                           "loop1/x", "etc/passwd/", "dlink/passwd",   "missing"};
    t_write("root/etc/passwd", "inside");
    ASSERT_INT_EQ(mkdir("root/dir", 0755), 0);
    ASSERT_INT_EQ(symlink("/etc/passwd", "root/abs"), 0);
    ASSERT_INT_EQ(symlink("../../../../etc/passwd", "root/rel"), 0);
    ASSERT_INT_EQ(symlink("loop2", "root/loop1"), 0);
    ASSERT_INT_EQ(symlink("loop1", "root/loop2"), 0);
    ASSERT_INT_EQ(symlink("../../etc", "root/dlink"), 0);
    root = open("root", O_RDONLY | O_DIRECTORY);
    ASSERT(root >= 0);
    for (size_t i = 0; i < sizeof(paths) / sizeof(paths[0]); i++) {
        int a = cb_open_beneath(root, paths[i], O_RDONLY, 0, NULL);
        int b = cb_open_beneath_walk(root, paths[i], O_RDONLY, 0, NULL);
        char ba[16] = {0}, bb[16] = {0};
        if ((a >= 0) != (b >= 0))
            T_FAIL("'%s': openat2 %d, walk %d", paths[i], a, b);
        if (a >= 0) {
            ASSERT(read(a, ba, sizeof(ba) - 1) >= 0);
            ASSERT(read(b, bb, sizeof(bb) - 1) >= 0);
            ASSERT_STR_EQ(bb, ba);
            close(a);
            close(b);
        }
    }
    /* creating through the walk stays inside too */
    {
        int fd = cb_open_beneath_walk(root, "dlink/new", O_WRONLY | O_CREAT | O_EXCL, 0644, &err);
        ASSERT_OK(fd, err);
        close(fd);
        ASSERT(cb_path_exists("root/etc/new"));
        ASSERT(!cb_path_exists("etc/new"));
    }
}

TEST(fsutil_path_join)
{
    char *p = cb_path_join("/a/", "/b/c");
    ASSERT_STR_EQ(p, "/a/b/c");
    free(p);
}
