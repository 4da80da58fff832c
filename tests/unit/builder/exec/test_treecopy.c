#include <stdlib.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <sys/xattr.h>
#include <unistd.h>

#include "harness.h"
#include "../../../../base/cleanup.h"
#include "../../../../base/fsutil.h"
#include "../../../../builder/exec/treecopy.h"

TEST(treecopy_keeps_modes_links_and_times)
{
    cleanup_err struct cb_err *err = NULL;
    struct stat a, b;
    char buf[64] = {0};
    t_write("src/d/f", "data");
    ASSERT_INT_EQ(chmod("src/d/f", 0640), 0);
    ASSERT_INT_EQ(symlink("d/f", "src/ln"), 0);
    ASSERT_INT_EQ(mkfifo("src/fifo", 0600), 0);
    ASSERT_OK(bld_tree_copy("src", "dst", 0, &err), err);
    ASSERT_INT_EQ(stat("src/d/f", &a), 0);
    ASSERT_INT_EQ(stat("dst/d/f", &b), 0);
    ASSERT_INT_EQ(b.st_mode & 07777, 0640);
    ASSERT_INT_EQ(b.st_mtim.tv_sec, a.st_mtim.tv_sec);
    ASSERT_INT_EQ(b.st_mtim.tv_nsec, a.st_mtim.tv_nsec);
    ASSERT_INT_EQ(readlink("dst/ln", buf, sizeof(buf) - 1), 3);
    ASSERT_STR_EQ(buf, "d/f");
    ASSERT_INT_EQ(lstat("dst/fifo", &b), 0);
    ASSERT(S_ISFIFO(b.st_mode));
}

TEST(treecopy_whiteouts_and_opaque_dirs)
{
    cleanup_err struct cb_err *err = NULL;
    if (getuid() != 0)
        SKIP("whiteouts and trusted xattrs need root");
    t_write("dst/gone", "x");
    t_write("dst/dir/old", "x");
    t_write("dst/merged/old", "x");
    t_write("layer/dir/new", "y");
    t_write("layer/merged/new", "y");
    ASSERT_INT_EQ(mknod("layer/gone", S_IFCHR, makedev(0, 0)), 0);
    ASSERT_INT_EQ(setxattr("layer/dir", "trusted.overlay.opaque", "y", 1, 0), 0);
    ASSERT_OK(bld_tree_copy("layer", "dst", BLD_COPY_APPLY_WHITEOUTS, &err), err);
    ASSERT(!cb_path_exists("dst/gone"));
    ASSERT(!cb_path_exists("dst/dir/old"));
    ASSERT(cb_path_exists("dst/dir/new"));
    ASSERT(cb_path_exists("dst/merged/old"));
    ASSERT(cb_path_exists("dst/merged/new"));
    ASSERT(getxattr("dst/dir", "trusted.overlay.opaque", NULL, 0) < 0);
    ASSERT_OK(bld_tree_copy("layer", "raw", BLD_COPY_OVERLAY_XATTRS, &err), err);
    ASSERT_INT_EQ(getxattr("raw/dir", "trusted.overlay.opaque", NULL, 0), 1);
}
