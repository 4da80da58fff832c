#include <stdlib.h>
#include <string.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "harness.h"
#include "../../../../base/cleanup.h"
#include "../../../../base/fsutil.h"
#include "../../../../builder/exec/rundir.h"

TEST(rundir_live_entries_stay_dead_ones_go)
{
    cleanup_err struct cb_err *err = NULL;
    cleanup_free char *mine = bld_rundir_create("run", "step", &err);
    ASSERT(mine != NULL);
    ASSERT(strncmp(mine, "run/step-", 9) == 0);
    t_write("run/step-dead/owner", "999999 12\n/bin/false\nrun/runtime\ncbuild-x\n");
    t_write("run/step-dead/bundle/config.json", "{}");
    t_write("run/snap-noowner/upper/f", "x");
    t_write("run/snap-young/upper/f", "x"); /* being set up: no owner yet */
    {
        struct timespec old[2] = {{time(NULL) - 600, 0}, {time(NULL) - 600, 0}};
        ASSERT_INT_EQ(utimensat(AT_FDCWD, "run/snap-noowner", old, 0), 0);
    }
    ASSERT_INT_EQ(bld_rundir_clean_stale("run", &err), 2);
    ASSERT(cb_path_exists("run/snap-young"));
    ASSERT(cb_path_exists(mine));
    ASSERT(!cb_path_exists("run/step-dead"));
    ASSERT(!cb_path_exists("run/snap-noowner"));
    ASSERT_OK(bld_rundir_remove(mine, &err), err);
    ASSERT(!cb_path_exists(mine));
}

TEST(rundir_reused_pid_with_other_start_time_is_dead)
{
    cleanup_err struct cb_err *err = NULL;
    cleanup_free char *owner = NULL;
    FILE *f;
    t_write("run/step-old/x", "");
    f = fopen("run/step-old/owner", "w");
    ASSERT(f != NULL);
    fprintf(f, "%d 1\n", (int)getpid()); /* our pid, but not our start time */
    fclose(f);
    ASSERT_INT_EQ(bld_rundir_clean_stale("run", &err), 1);
    ASSERT(!cb_path_exists("run/step-old"));
    ASSERT_INT_EQ(bld_rundir_clean_stale("missing", &err), 0);
}

TEST(rundir_dead_entry_deletes_recorded_containers)
{
    cleanup_err struct cb_err *err = NULL;
    struct timespec old[2] = {{time(NULL) - 600, 0}, {time(NULL) - 600, 0}};
    t_write("run/snap-abc/owner", "999999 1\n");
    /* a fake runtime that logs its arguments */
    t_write("rt.sh", "#!/bin/sh\necho \"$@\" >>rt.log\n");
    ASSERT_INT_EQ(chmod("rt.sh", 0755), 0);
    {
        char cwd[4096], *rt;
        ASSERT(getcwd(cwd, sizeof(cwd)) != NULL);
        rt = cb_path_join(cwd, "rt.sh");
        ASSERT_OK(bld_rundir_record_container("run/snap-abc/step-x.container", rt, "run/runtime",
                                              "cbuild-abc-x", &err),
                  err);
        free(rt);
    }
    ASSERT_INT_EQ(utimensat(AT_FDCWD, "run/snap-abc", old, 0), 0);
    ASSERT_INT_EQ(bld_rundir_clean_stale("run", &err), 1);
    ASSERT(!cb_path_exists("run/snap-abc"));
    {
        char *log = t_read("rt.log");
        ASSERT(log != NULL);
        ASSERT_STR_EQ(log, "--root run/runtime delete --force cbuild-abc-x\n");
        free(log);
    }
}
