#include <fcntl.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <unistd.h>

#include "harness.h"
#include "../../../../base/cleanup.h"
#include "../../../../base/fsutil.h"
#include "../../../../builder/exec/stubs.h"

TEST(stubs_records_only_missing_components)
{
    struct bld_stubs s;
    cleanup_close int root = -1;
    t_write("r/etc/passwd", "x");
    root = open("r", O_PATH | O_DIRECTORY | O_CLOEXEC);
    bld_stubs_init(&s);
    bld_stubs_record(&s, root, "/etc/hosts");
    bld_stubs_record(&s, root, "/run/secrets/a");
    bld_stubs_record(&s, root, "/run/secrets/b");
    bld_stubs_record(&s, root, "/etc/passwd");
    ASSERT_INT_EQ(s.n, 5);
    ASSERT_STR_EQ(s.v[0].path, "etc/hosts");
    ASSERT_STR_EQ(s.v[1].path, "run");
    ASSERT_STR_EQ(s.v[2].path, "run/secrets");
    ASSERT_STR_EQ(s.v[3].path, "run/secrets/a");
    ASSERT_STR_EQ(s.v[4].path, "run/secrets/b");
    bld_stubs_release(&s);
}

TEST(stubs_clean_removes_empty_stubs_and_keeps_real_files)
{
    struct bld_stubs s;
    cleanup_close int root = -1;
    t_write("r/etc/passwd", "x");
    root = open("r", O_PATH | O_DIRECTORY | O_CLOEXEC);
    bld_stubs_init(&s);
    bld_stubs_record(&s, root, "/etc/hosts");
    bld_stubs_record(&s, root, "/run/secrets/a");
    bld_stubs_record(&s, root, "/data");
    /* what a runtime leaves: empty targets; the step wrote into /data */
    t_write("r/etc/hosts", "");
    t_write("r/run/secrets/a", "");
    t_write("r/data/kept", "step output");
    bld_stubs_clean(&s, "r", false);
    ASSERT(!cb_path_exists("r/etc/hosts"));
    ASSERT(!cb_path_exists("r/run"));
    ASSERT(cb_path_exists("r/data/kept"));
    ASSERT(cb_path_exists("r/etc/passwd"));
    bld_stubs_release(&s);
}

TEST(stubs_clean_upper_drops_copied_up_parents)
{
    struct bld_stubs s;
    cleanup_close int lower = -1;
    struct stat st;
    t_write("lower/etc/passwd", "x");
    ASSERT_INT_EQ(stat("lower/etc", &st), 0);
    lower = open("lower", O_PATH | O_DIRECTORY | O_CLOEXEC);
    bld_stubs_init(&s);
    bld_stubs_record(&s, lower, "/etc/resolv.conf");
    /* the upper after the step: etc copied up only for the stub */
    t_write("upper/etc/resolv.conf", "");
    ASSERT_INT_EQ(chmod("upper/etc", st.st_mode & 07777), 0);
    bld_stubs_clean(&s, "upper", true);
    ASSERT(!cb_path_exists("upper/etc"));
    bld_stubs_release(&s);
}

TEST(stubs_mkdir_beneath_creates_missing_parents_only)
{
    cleanup_err struct cb_err *err = NULL;
    cleanup_close int root = -1;
    struct stat st;
    t_write("r/a/x", "");
    root = open("r", O_PATH | O_DIRECTORY | O_CLOEXEC);
    ASSERT_OK(bld_mkdir_beneath(root, "/a/b/c", getuid(), getgid(), &err), err);
    ASSERT_INT_EQ(stat("r/a/b/c", &st), 0);
    ASSERT(S_ISDIR(st.st_mode));
    ASSERT_INT_EQ(st.st_mode & 0777, 0755 & ~0);
    ASSERT_INT_EQ(mkdir("r/elsewhere", 0755), 0);
    ASSERT_INT_EQ(symlink("/elsewhere", "r/link"), 0);
    ASSERT_OK(bld_mkdir_beneath(root, "/link/deep", getuid(), getgid(), &err), err);
    ASSERT(cb_path_exists("r/elsewhere/deep")); /* the symlink resolved inside r */
}
