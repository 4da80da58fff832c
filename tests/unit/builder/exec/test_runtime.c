#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "harness.h"
#include "../../../../base/cleanup.h"
#include "../../../../base/fsutil.h"
#include "../../../../builder/exec/runtime.h"

static char *abs_path(const char *rel)
{
    char cwd[4096];
    return getcwd(cwd, sizeof(cwd)) ? cb_path_join(cwd, rel) : NULL;
}

TEST(runtime_find_by_name_path_and_detect_order)
{
    cleanup_err struct cb_err *err = NULL;
    cleanup_free char *dir = abs_path("bin");
    cleanup_free char *path = NULL;
    bool crun = false;
    t_write("bin/runc", "#!/bin/sh\n");
    t_write("bin/crun", "#!/bin/sh\n");
    ASSERT_INT_EQ(chmod("bin/runc", 0755), 0);
    ASSERT_INT_EQ(chmod("bin/crun", 0755), 0);
    setenv("PATH", dir, 1);
    ASSERT_OK(bld_runtime_find(NULL, &path, &crun, &err), err);
    ASSERT(crun);
    ASSERT(strstr(path, "/bin/crun") != NULL);
    free(path), path = NULL;
    ASSERT_OK(bld_runtime_find("runc", &path, &crun, &err), err);
    ASSERT(!crun);
    free(path), path = NULL;
    ASSERT_OK(unlink("bin/crun"), err);
    ASSERT_OK(bld_runtime_find(NULL, &path, &crun, &err), err);
    ASSERT(!crun && strstr(path, "/bin/runc"));
    free(path), path = NULL;
    ASSERT_OK(bld_runtime_find("bin/runc", &path, &crun, &err), err);
    ASSERT(path[0] == '/' && strstr(path, "/bin/runc"));
}

TEST(runtime_find_missing_is_not_found)
{
    cleanup_err struct cb_err *err = NULL;
    char *path = NULL;
    bool crun;
    setenv("PATH", "/nonexistent", 1);
    ASSERT_FAILS(bld_runtime_find(NULL, &path, &crun, &err), err, CB_ENOTFOUND,
                 "install crun or runc");
    cb_err_free(err), err = NULL;
    ASSERT_FAILS(bld_runtime_find("youki", &path, &crun, &err), err, CB_ENOTFOUND, "youki");
    cb_err_free(err), err = NULL;
    ASSERT_FAILS(bld_runtime_find("/no/such/crun", &path, &crun, &err), err, CB_ENOTFOUND,
                 "/no/such/crun");
}

TEST(runtime_cgroup_mode_matches_the_mounts)
{
    enum bld_cgroup_mode m = bld_cgroup_mode_detect();
    bool unified_dir = cb_path_exists("/sys/fs/cgroup/unified");
    bool v2_root = cb_path_exists("/sys/fs/cgroup/cgroup.controllers");
    if (v2_root)
        ASSERT_INT_EQ(m, BLD_CGROUP_UNIFIED);
    else if (unified_dir && cb_path_exists("/sys/fs/cgroup/unified/cgroup.controllers"))
        ASSERT_INT_EQ(m, BLD_CGROUP_HYBRID);
    else
        ASSERT_INT_EQ(m, BLD_CGROUP_LEGACY);
}
