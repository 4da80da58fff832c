#include <fcntl.h>
#include <sched.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <sys/wait.h>
#include <sys/xattr.h>
#include <unistd.h>

#include "harness.h"
#include "../../../../base/cleanup.h"
#include "../../../../base/fsutil.h"
#include "../../../../builder/exec/snapshot.h"

static char *abs_path(const char *rel)
{
    char cwd[4096];
    if (!getcwd(cwd, sizeof(cwd)))
        return NULL;
    return cb_path_join(cwd, rel);
}

TEST(snapshot_parse_names)
{
    cleanup_err struct cb_err *err = NULL;
    enum bld_snapshotter k;
    ASSERT_OK(bld_snapshotter_parse("overlay", &k, &err), err);
    ASSERT_INT_EQ(k, BLD_SNAP_OVERLAY);
    ASSERT_OK(bld_snapshotter_parse("native", &k, &err), err);
    ASSERT_INT_EQ(k, BLD_SNAP_NATIVE);
    ASSERT_OK(bld_snapshotter_parse(NULL, &k, &err), err);
    ASSERT_INT_EQ(k, BLD_SNAP_AUTO);
    ASSERT_FAILS(bld_snapshotter_parse("zfs", &k, &err), err, CB_EINVAL,
                 "unknown snapshotter 'zfs'");
}

TEST(snapshot_layer_dirs_are_made_absolute_and_must_exist)
{
    cleanup_err struct cb_err *err = NULL;
    cleanup_snapshot struct bld_snapshot *s = NULL;
    const char *lowers[] = {"rel/dir"};
    struct bld_snapshot_opts o = {"state", BLD_SNAP_NATIVE, lowers, 1};
    ASSERT_FAILS(bld_snapshot_prepare(&o, &s, &err), err, CB_ENOTFOUND, "layer dir 'rel/dir'");
    t_write("rel/dir/f", "x");
    ASSERT_OK(bld_snapshot_prepare(&o, &s, &err), err);
    ASSERT(s->lowers.v[0][0] == '/');
}

TEST(snapshot_native_applies_layers_and_whiteouts)
{
    cleanup_err struct cb_err *err = NULL;
    cleanup_snapshot struct bld_snapshot *s = NULL;
    cleanup_free char *l0 = abs_path("l0"), *l1 = abs_path("l1");
    const char *lowers[] = {l0, l1};
    struct bld_snapshot_opts o = {"state", BLD_SNAP_NATIVE, lowers, 2};
    cleanup_free char *f = NULL;
    if (getuid() != 0)
        SKIP("whiteout char devices need root");
    t_write("l0/keep", "k");
    t_write("l0/gone", "g");
    t_write("l0/dir/old", "o");
    t_write("l1/new", "n");
    t_write("l1/dir/fresh", "f");
    ASSERT_INT_EQ(mknod("l1/gone", S_IFCHR | 0, makedev(0, 0)), 0);
    ASSERT_INT_EQ(setxattr("l1/dir", "trusted.overlay.opaque", "y", 1, 0), 0);
    ASSERT_OK(bld_snapshot_prepare(&o, &s, &err), err);
    ASSERT_INT_EQ(s->kind, BLD_SNAP_NATIVE);
    f = cb_path_join(s->rootfs, "keep");
    ASSERT(cb_path_exists(f));
    free(f), f = cb_path_join(s->rootfs, "gone");
    ASSERT(!cb_path_exists(f));
    free(f), f = cb_path_join(s->rootfs, "dir/old");
    ASSERT(!cb_path_exists(f));
    free(f), f = cb_path_join(s->parent, "dir/fresh");
    ASSERT(cb_path_exists(f));
    ASSERT_STR_EQ(bld_snapshot_write_dir(s), s->rootfs);
}

/* Mount in a private namespace (a child), list the merged file. */
static int mount_and_read(struct bld_snapshot *s, const char *target, const char *file, bool legacy)
{
    pid_t pid = fork();
    int st = 0;
    if (pid == 0) {
        const char *what = NULL;
        char path[8192];
        if (unshare(CLONE_NEWNS) < 0 || mount(NULL, "/", NULL, MS_REC | MS_PRIVATE, NULL) < 0)
            _exit(3);
        if ((legacy ? bld_snapshot_mount_legacy(s, target, &what)
                    : bld_snapshot_mount(s, target, &what)) < 0)
            _exit(4);
        snprintf(path, sizeof(path), "%s/%s", target, file);
        _exit(access(path, F_OK) == 0 ? 0 : 5);
    }
    waitpid(pid, &st, 0);
    return WIFEXITED(st) ? WEXITSTATUS(st) : -1;
}

static void make_layers(char **lowers, size_t n, const char *prefix)
{
    for (size_t i = 0; i < n; i++) {
        char rel[512], file[600];
        snprintf(rel, sizeof(rel), "%s/%03zu", prefix, i);
        snprintf(file, sizeof(file), "%s/f%03zu", rel, i);
        t_write(file, "x");
        lowers[i] = abs_path(rel);
    }
}

static void overlay_chain(struct t_ctx *t_, bool legacy)
{
    enum { N = 80 };
    cleanup_err struct cb_err *err = NULL;
    cleanup_snapshot struct bld_snapshot *s = NULL;
    char *lowers[N];
    char prefix[300];
    cleanup_free char *target = abs_path("mnt");
    if (!bld_overlay_supported())
        SKIP("overlayfs needs root and the overlay module");
    memset(prefix, 'p', 200);
    prefix[200] = '\0'; /* 80 lowers x ~210 bytes: far over a page */
    make_layers(lowers, N, prefix);
    struct bld_snapshot_opts o = {"state", BLD_SNAP_OVERLAY, (const char *const *)lowers, N};
    ASSERT_OK(bld_snapshot_prepare(&o, &s, &err), err);
    ASSERT_OK(cb_mkdir_p(target, 0755, &err), err);
    ASSERT_INT_EQ(mount_and_read(s, target, "f000", legacy), 0);
    ASSERT_INT_EQ(mount_and_read(s, target, "f079", legacy), 0);
    for (size_t i = 0; i < N; i++)
        free(lowers[i]);
}

TEST(snapshot_overlay_long_chain_fsconfig)
{
    overlay_chain(t_, false);
}

TEST(snapshot_overlay_long_chain_legacy_links)
{
    overlay_chain(t_, true);
}
