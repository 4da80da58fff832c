#include <fcntl.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <unistd.h>

#include "harness.h"
#include "../../../builder/copy.h"
#include "../../../base/cleanup.h"
#include "../../../base/fsutil.h"
#include "../../../base/xalloc.h"

static bool skip_secret(void *ud, const char *rel, size_t base, bool is_dir)
{
    (void)ud;
    (void)base;
    (void)is_dir;
    return strstr(rel, "secret") != NULL;
}

TEST(copy_select_literal_and_wildcards)
{
    cleanup_err struct cb_err *err = NULL;
    struct cb_strv m = CB_STRV_INIT;
    t_write("ctx/a.txt", "a");
    t_write("ctx/b.txt", "b");
    t_write("ctx/sub/c.txt", "c");
    t_write("ctx/secret.txt", "s");
    ASSERT_OK(bld_copy_select("ctx", "/a.txt", NULL, NULL, "ctx", 0, &m, &err), err);
    ASSERT_OK(bld_copy_select("ctx", "*.txt", skip_secret, NULL, "ctx", 0, &m, &err), err);
    ASSERT_OK(bld_copy_select("ctx", "s*/?.txt", NULL, NULL, "ctx", 0, &m, &err), err);
    ASSERT_OK(bld_copy_select("ctx", "nomatch*", NULL, NULL, "ctx", 0, &m, &err), err);
    ASSERT_INT_EQ(m.n, 4);
    ASSERT_STR_EQ(m.v[0], "a.txt");
    ASSERT_STR_EQ(m.v[1], "a.txt");
    ASSERT_STR_EQ(m.v[2], "b.txt");
    ASSERT_STR_EQ(m.v[3], "sub/c.txt");
    ASSERT_FAILS(bld_copy_select("ctx", "missing", NULL, NULL, "the build context", 0, &m, &err), err,
                 CB_ENOTFOUND, "\"/missing\": not found in the build context");
    ASSERT_FAILS(bld_copy_select("ctx", "secret.txt", skip_secret, NULL, "ctx", 0, &m, &err), err,
                 CB_ENOTFOUND, "not found");
    cb_strv_release(&m);
}

TEST(copy_select_symlink_outside_is_named)
{
    cleanup_err struct cb_err *err = NULL;
    struct cb_strv m = CB_STRV_INIT;
    t_write("elsewhere/cmd/main.go", "package main");
    t_write("ctx/go.mod", "module x");
    ASSERT_INT_EQ(mkdir("ctx/inner", 0755), 0);
    t_write("ctx/inner/f", "f");
    ASSERT_INT_EQ(symlink("../elsewhere/cmd", "ctx/cmd"), 0);
    ASSERT_INT_EQ(symlink("inner", "ctx/in"), 0);
    ASSERT_FAILS(bld_copy_select("ctx", "cmd/main.go", NULL, NULL, "the build context", 0, &m, &err),
                 err, CB_EINVAL, "'cmd' is a symlink to '../elsewhere/cmd', which is outside");
    ASSERT(strstr(err->msg, "--build-context") != NULL);
    ASSERT_OK(bld_copy_select("ctx", "in/f", NULL, NULL, "ctx", 0, &m, &err), err);
    ASSERT_STR_EQ(m.v[0], "inner/f");
    cb_strv_release(&m);
}

TEST(copy_select_in_a_rootfs_links_resolve_as_in_the_container)
{
    cleanup_err struct cb_err *err = NULL;
    struct cb_strv m = CB_STRV_INIT;
    t_write("root/out/sub/one", "one");
    ASSERT_INT_EQ(symlink("/out/sub/one", "root/out/abs"), 0);
    ASSERT_INT_EQ(symlink("../../../../out/sub", "root/out/up"), 0);
    ASSERT_OK(bld_copy_select("root", "out/abs", NULL, NULL, "the source stage", BLD_COPY_ROOTFS,
                              &m, &err),
              err);
    ASSERT_OK(bld_copy_select("root", "/out/up/one", NULL, NULL, "the source stage",
                              BLD_COPY_ROOTFS, &m, &err),
              err);
    ASSERT_INT_EQ(m.n, 2);
    ASSERT_STR_EQ(m.v[0], "out/sub/one");
    ASSERT_STR_EQ(m.v[1], "out/sub/one");
    /* the same links in a build context lead out of it */
    ASSERT_FAILS(bld_copy_select("root", "out/abs", NULL, NULL, "the build context", 0, &m, &err),
                 err, CB_EINVAL, "'out/abs' is a symlink to '/out/sub/one', which is outside");
    cb_strv_release(&m);
}

TEST(copy_chmod_octal_and_symbolic)
{
    cleanup_err struct cb_err *err = NULL;
    struct bld_chmod c;
    ASSERT_OK(bld_chmod_parse("755", &c, &err), err);
    ASSERT_INT_EQ(bld_chmod_apply(&c, 0600, false), 0755);
    bld_chmod_release(&c);
    ASSERT_OK(bld_chmod_parse("u=rwX,go=rX", &c, &err), err);
    ASSERT_INT_EQ(bld_chmod_apply(&c, 0600, false), 0644);
    ASSERT_INT_EQ(bld_chmod_apply(&c, 0700, true), 0755);
    ASSERT_INT_EQ(bld_chmod_apply(&c, 0700, false), 0755);
    bld_chmod_release(&c);
    ASSERT_OK(bld_chmod_parse("+x", &c, &err), err);
    ASSERT_INT_EQ(bld_chmod_apply(&c, 0644, false), 0755);
    bld_chmod_release(&c);
    ASSERT_FAILS(bld_chmod_parse("u=rwq", &c, &err), err, CB_EINVAL, "invalid chmod");
    ASSERT_FAILS(bld_chmod_parse("99999", &c, &err), err, CB_EINVAL, "invalid chmod");
}

TEST(copy_into_rootfs_stays_inside)
{
    cleanup_err struct cb_err *err = NULL;
    cleanup_close int root = -1;
    struct cb_strv srcs = CB_STRV_INIT;
    struct bld_copy_req r = {.src_root = "ctx", .srcs = &srcs, .dest = "/app/"};
    char *s;
    t_write("ctx/dir/x", "x");
    t_write("ctx/file", "file");
    t_write("outside/keep", "keep");
    ASSERT_INT_EQ(mkdir("root", 0755), 0);
    /* the image has /app as a symlink pointing at the host's ../outside */
    ASSERT_INT_EQ(symlink("../outside", "root/app"), 0);
    root = open("root", O_RDONLY | O_DIRECTORY);
    cb_strv_push(&srcs, "dir");
    cb_strv_push(&srcs, "file");
    r.dest_is_dir = true;
    ASSERT_OK(bld_copy_into(root, &r, &err), err);
    s = t_read("outside/keep");
    ASSERT_STR_EQ(s, "keep");
    free(s);
    ASSERT(!cb_path_exists("outside/file"));
    ASSERT(!cb_path_exists("outside/x"));
    s = t_read("root/outside/file");
    ASSERT_STR_EQ(s, "file");
    free(s);
    s = t_read("root/outside/x");
    ASSERT_STR_EQ(s, "x");
    free(s);
    cb_strv_release(&srcs);
}

TEST(copy_into_file_dest_and_owner)
{
    cleanup_err struct cb_err *err = NULL;
    cleanup_close int root = -1;
    struct cb_strv srcs = CB_STRV_INIT;
    struct bld_chmod ch;
    struct bld_copy_req r = {.src_root = "ctx", .srcs = &srcs, .dest = "/etc/app.conf"};
    struct stat st;
    t_write("ctx/conf", "c");
    t_write("root/etc/passwd", "root:x:0:0::/root:/bin/sh\napp:x:1000:1000::/home/app:/bin/sh\n");
    t_write("root/etc/group", "root:x:0:\napp:x:1000:\n");
    root = open("root", O_RDONLY | O_DIRECTORY);
    cb_strv_push(&srcs, "conf");
    ASSERT_OK(bld_chmod_parse("0640", &ch, &err), err);
    r.chmod = &ch;
    if (geteuid() == 0)
        r.chown = "app";
    ASSERT_OK(bld_copy_into(root, &r, &err), err);
    ASSERT_INT_EQ(lstat("root/etc/app.conf", &st), 0);
    ASSERT_INT_EQ(st.st_mode & 07777, 0640);
    if (geteuid() == 0) {
        ASSERT_INT_EQ(st.st_uid, 1000);
        ASSERT_INT_EQ(st.st_gid, 1000);
        r.chown = "nobody";
        ASSERT_FAILS(bld_copy_into(root, &r, &err), err, CB_ENOTFOUND, "nobody");
    }
    cb_strv_release(&srcs);
}

TEST(copy_into_keeps_hardlinks_one_inode)
{
    cleanup_err struct cb_err *err = NULL;
    cleanup_close int root = -1;
    struct cb_strv srcs = CB_STRV_INIT;
    struct bld_copy_req r = {.src_root = "ctx", .srcs = &srcs, .dest = "/app/"};
    struct stat a, b, c;
    t_write("ctx/d/f", "shared");
    t_write("ctx/lone", "lone");
    ASSERT_INT_EQ(link("ctx/d/f", "ctx/d/hard"), 0);
    ASSERT_INT_EQ(link("ctx/d/f", "ctx/other"), 0);
    ASSERT_INT_EQ(mkdir("root", 0755), 0);
    root = open("root", O_RDONLY | O_DIRECTORY);
    cb_strv_push(&srcs, "d");
    cb_strv_push(&srcs, "other");
    cb_strv_push(&srcs, "lone");
    r.dest_is_dir = true;
    ASSERT_OK(bld_copy_into(root, &r, &err), err);
    ASSERT_INT_EQ(lstat("root/app/f", &a), 0);
    ASSERT_INT_EQ(lstat("root/app/hard", &b), 0);
    ASSERT_INT_EQ(lstat("root/app/other", &c), 0);
    ASSERT_INT_EQ(a.st_ino, b.st_ino);
    ASSERT_INT_EQ(a.st_ino, c.st_ino);
    ASSERT_INT_EQ(a.st_nlink, 3);
    ASSERT_INT_EQ(lstat("root/app/lone", &c), 0);
    ASSERT_INT_EQ(c.st_nlink, 1);
    cb_strv_release(&srcs);
}

/* --chown as BuildKit reads it: a name takes its passwd group, a bare
 * number N is N:N, ":group" is root with the group. */
TEST(copy_into_chown_forms)
{
    cleanup_err struct cb_err *err = NULL;
    cleanup_close int root = -1;
    struct cb_strv srcs = CB_STRV_INIT;
    struct bld_copy_req r = {.src_root = "ctx", .srcs = &srcs};
    const struct {
        const char *spec, *dest;
        unsigned uid, gid;
    } v[] = {
        {"app", "/c1", 1000, 2000},   {"1000", "/c2", 1000, 1000}, {":other", "/c3", 0, 3000},
        {"5000", "/c4", 5000, 5000}, {"app:3000", "/c5", 1000, 3000},
    };
    struct stat st;
    if (geteuid() != 0)
        SKIP("chown needs root");
    t_write("ctx/f", "f");
    t_write("root/etc/passwd", "root:x:0:0::/root:/bin/sh\napp:x:1000:2000::/home/app:/bin/sh\n");
    t_write("root/etc/group", "root:x:0:\ngrp:x:2000:\nother:x:3000:\n");
    root = open("root", O_RDONLY | O_DIRECTORY);
    cb_strv_push(&srcs, "f");
    for (size_t i = 0; i < sizeof(v) / sizeof(v[0]); i++) {
        char *p = xasprintf("root%s", v[i].dest);
        r.chown = v[i].spec;
        r.dest = v[i].dest;
        ASSERT_OK(bld_copy_into(root, &r, &err), err);
        ASSERT_INT_EQ(lstat(p, &st), 0);
        free(p);
        ASSERT_INT_EQ(st.st_uid, v[i].uid);
        ASSERT_INT_EQ(st.st_gid, v[i].gid);
    }
    ASSERT_OK(bld_copy_mkdir(root, "/w", "1000", &err), err);
    ASSERT_INT_EQ(lstat("root/w", &st), 0);
    ASSERT_INT_EQ(st.st_gid, 1000);
    cb_strv_release(&srcs);
}
