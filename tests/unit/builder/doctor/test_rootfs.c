/* test_rootfs.c - the union view: upper layers win, whiteouts and opaque
 * directories hide lower entries, symlinks resolve inside the view. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/xattr.h>

#include "harness.h"
#include "t_doctor.h"
#include "../../../../base/cleanup.h"
#include "../../../../builder/doctor/rootfs.h"

static struct bld_rootfs *open2(struct cb_err **err)
{
    const char *dirs[] = {"l0", "l1"};
    cb_mkdir_p("l0", 0755, NULL);
    cb_mkdir_p("l1", 0755, NULL);
    return td_open(dirs, 2, err);
}

static char *read_str(struct bld_rootfs *fs, const char *path, struct cb_err **err)
{
    struct cb_buf b;
    cb_buf_init(&b, 1 << 20);
    if (bld_rootfs_read(fs, path, 0, &b, err) < 0) {
        cb_buf_release(&b);
        return NULL;
    }
    return cb_buf_detach(&b, NULL);
}

TEST2(rootfs_upper_layer_wins, blobs)
{
    cleanup_err struct cb_err *err = NULL;
    td_file("l0/etc/a", "lower", 0644);
    td_file("l0/etc/b", "only lower", 0644);
    td_file("l1/etc/a", "upper", 0644);
    cleanup_rootfs struct bld_rootfs *fs = open2(&err);
    ASSERT(fs);
    cleanup_free char *a = read_str(fs, "/etc/a", &err);
    cleanup_free char *b = read_str(fs, "etc/b", &err);
    ASSERT_STR_EQ(a, "upper");
    ASSERT_STR_EQ(b, "only lower");
    struct bld_rootfs_stat st;
    ASSERT_OK(bld_rootfs_stat(fs, "/etc/a", true, &st, NULL, &err), err);
    ASSERT_INT_EQ(st.layer, 1);
}

TEST2(rootfs_whiteout_hides_lower, blobs)
{
    cleanup_err struct cb_err *err = NULL;
    cleanup_strv_s struct cb_strv names = CB_STRV_INIT;
    td_file("l0/etc/gone", "x", 0644);
    td_file("l0/etc/kept", "x", 0644);
    if (td_whiteout("l1/etc/gone") < 0)
        SKIP("mknod needs root");
    cleanup_rootfs struct bld_rootfs *fs = open2(&err);
    ASSERT(!bld_rootfs_exists(fs, "/etc/gone"));
    ASSERT(bld_rootfs_exists(fs, "/etc/kept"));
    ASSERT_OK(bld_rootfs_list(fs, "/etc", &names, &err), err);
    ASSERT_INT_EQ(names.n, 1);
    ASSERT_STR_EQ(names.v[0], "kept");
}

TEST2(rootfs_opaque_dir_hides_lower_contents, blobs)
{
    cleanup_err struct cb_err *err = NULL;
    td_file("l0/d/old", "x", 0644);
    td_file("l1/d/new", "x", 0644);
    if (lsetxattr("l1/d", "trusted.overlay.opaque", "y", 1, 0) < 0 &&
        lsetxattr("l1/d", "user.overlay.opaque", "y", 1, 0) < 0)
        SKIP("no overlay xattrs here");
    cleanup_rootfs struct bld_rootfs *fs = open2(&err);
    ASSERT(!bld_rootfs_exists(fs, "/d/old"));
    ASSERT(bld_rootfs_exists(fs, "/d/new"));
}

TEST2(rootfs_file_in_upper_hides_lower_dir, blobs)
{
    cleanup_err struct cb_err *err = NULL;
    td_file("l0/x/inner", "x", 0644);
    td_file("l1/x", "now a file", 0644);
    cleanup_rootfs struct bld_rootfs *fs = open2(&err);
    ASSERT(!bld_rootfs_exists(fs, "/x/inner"));
    cleanup_free char *s = read_str(fs, "/x", &err);
    ASSERT_STR_EQ(s, "now a file");
}

TEST2(rootfs_symlinks_resolve_inside_the_view, blobs)
{
    cleanup_err struct cb_err *err = NULL;
    cleanup_free char *resolved = NULL;
    td_link("l0/bin", "usr/bin");
    td_file("l1/usr/bin/tool", "#!/bin/sh\n", 0755);
    td_link("l0/abs", "/etc/hostname");       /* the host has one, the view not */
    td_link("l0/up", "../../../../etc/motd"); /* ".." stops at the view's root */
    td_file("l0/etc/motd", "view motd", 0644);
    cleanup_rootfs struct bld_rootfs *fs = open2(&err);
    ASSERT_OK(bld_rootfs_stat(fs, "/bin/tool", true, NULL, &resolved, &err), err);
    ASSERT_STR_EQ(resolved, "/usr/bin/tool");
    ASSERT(!bld_rootfs_exists(fs, "/abs"));
    cleanup_free char *m = read_str(fs, "/up", &err);
    ASSERT_STR_EQ(m, "view motd");
    ASSERT_FAILS(bld_rootfs_stat(fs, "/nope/x", true, NULL, NULL, &err), err, CB_ENOTFOUND,
                 "'/nope/x' not found");
}

TEST2(rootfs_symlink_loop_is_not_found, blobs)
{
    cleanup_err struct cb_err *err = NULL;
    td_link("l0/a", "b");
    td_link("l0/b", "a");
    cleanup_rootfs struct bld_rootfs *fs = open2(&err);
    ASSERT(!bld_rootfs_exists(fs, "/a"));
}

struct seen {
    struct cb_strv paths;
};

static int collect(void *ud, const char *path, const struct bld_rootfs_stat *st,
                   struct cb_err **err)
{
    struct seen *s = ud;
    cb_strv_pushf(&s->paths, "%s:%u", path, (unsigned)st->uid);
    return 0;
}

TEST2(rootfs_walk_merges_layers_and_reads_owner_xattr, blobs)
{
    cleanup_err struct cb_err *err = NULL;
    struct seen s = {CB_STRV_INIT};
    td_file("l0/home/app/a", "x", 0644);
    td_file("l1/home/app/b", "x", 0644);
    if (td_own("l1/home/app/b", 1000, 1000) < 0)
        SKIP("cannot record owners here");
    cleanup_rootfs struct bld_rootfs *fs = open2(&err);
    ASSERT_OK(bld_rootfs_walk(fs, "/home", 0, collect, &s, &err), err);
    ASSERT_INT_EQ(s.paths.n, 3);
    ASSERT_STR_EQ(s.paths.v[0], "/home/app:0");
    ASSERT_STR_EQ(s.paths.v[1], "/home/app/a:0");
    ASSERT_STR_EQ(s.paths.v[2], "/home/app/b:1000");
    cb_strv_release(&s.paths);
}

TEST2(rootfs_read_head_only, blobs)
{
    cleanup_err struct cb_err *err = NULL;
    struct cb_buf b;
    td_file("l0/f", "#!/usr/bin/python3\nrest of the file", 0755);
    cleanup_rootfs struct bld_rootfs *fs = open2(&err);
    cb_buf_init(&b, 1024);
    ASSERT_OK(bld_rootfs_read(fs, "/f", 5, &b, &err), err);
    ASSERT_INT_EQ(b.len, 5);
    ASSERT_MEM_EQ(b.data, "#!/us", 5);
    cb_buf_release(&b);
    ASSERT_FAILS(bld_rootfs_read(fs, "/", 0, &b, &err), err, CB_EINVAL, "not a regular file");
}
