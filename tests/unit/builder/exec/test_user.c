#include <fcntl.h>
#include <stdlib.h>
#include <unistd.h>

#include "harness.h"
#include "../../../../base/cleanup.h"
#include "../../../../builder/exec/user.h"

static int make_root(void)
{
    t_write("r/etc/passwd", "root:x:0:0:root:/root:/bin/sh\n"
                            "# a comment\n"
                            "dev:x:1000:1000:Dev:/home/dev:/bin/sh\n"
                            "nohome:x:1001:1001::::\n");
    t_write("r/etc/group",
            "root:x:0:\nwheel:x:10:dev,other\ndev:x:1000:\nextra:x:2000:other,dev\n");
    return open("r", O_PATH | O_DIRECTORY | O_CLOEXEC);
}

TEST(user_by_name_gets_passwd_entry_and_groups)
{
    cleanup_err struct cb_err *err = NULL;
    cleanup_close int root = make_root();
    struct bld_user u;
    ASSERT_OK(bld_user_resolve(root, "dev", &u, &err), err);
    ASSERT_INT_EQ(u.uid, 1000);
    ASSERT_INT_EQ(u.gid, 1000);
    ASSERT_STR_EQ(u.home, "/home/dev");
    ASSERT_INT_EQ(u.n_groups, 2);
    ASSERT_INT_EQ(u.groups[0], 10);
    ASSERT_INT_EQ(u.groups[1], 2000);
    bld_user_release(&u);
}

TEST(user_by_uid_uses_entry_when_present)
{
    cleanup_err struct cb_err *err = NULL;
    cleanup_close int root = make_root();
    struct bld_user u;
    ASSERT_OK(bld_user_resolve(root, "1000", &u, &err), err);
    ASSERT_INT_EQ(u.gid, 1000);
    ASSERT_STR_EQ(u.home, "/home/dev");
    bld_user_release(&u);
    ASSERT_OK(bld_user_resolve(root, "4242", &u, &err), err);
    ASSERT_INT_EQ(u.uid, 4242);
    ASSERT_INT_EQ(u.gid, 0);
    ASSERT_STR_EQ(u.home, "/");
    ASSERT_INT_EQ(u.n_groups, 0);
    bld_user_release(&u);
}

TEST(user_explicit_group_replaces_supplementary)
{
    cleanup_err struct cb_err *err = NULL;
    cleanup_close int root = make_root();
    struct bld_user u;
    ASSERT_OK(bld_user_resolve(root, "dev:wheel", &u, &err), err);
    ASSERT_INT_EQ(u.gid, 10);
    ASSERT_INT_EQ(u.n_groups, 0);
    bld_user_release(&u);
    ASSERT_OK(bld_user_resolve(root, "dev:777", &u, &err), err);
    ASSERT_INT_EQ(u.gid, 777);
    bld_user_release(&u);
}

TEST(user_empty_home_is_root_and_default_is_root)
{
    cleanup_err struct cb_err *err = NULL;
    cleanup_close int root = make_root();
    struct bld_user u;
    ASSERT_OK(bld_user_resolve(root, "nohome", &u, &err), err);
    ASSERT_STR_EQ(u.home, "/");
    bld_user_release(&u);
    ASSERT_OK(bld_user_resolve(root, NULL, &u, &err), err);
    ASSERT_INT_EQ(u.uid, 0);
    ASSERT_STR_EQ(u.home, "/root");
    bld_user_release(&u);
}

TEST(user_unknown_name_or_group_is_an_error_naming_it)
{
    cleanup_err struct cb_err *err = NULL;
    cleanup_close int root = make_root();
    struct bld_user u;
    ASSERT_FAILS(bld_user_resolve(root, "ghost", &u, &err), err, CB_ENOTFOUND,
                 "unable to find user ghost");
    cb_err_free(err);
    err = NULL;
    ASSERT_FAILS(bld_user_resolve(root, "dev:ghosts", &u, &err), err, CB_ENOTFOUND,
                 "unable to find group ghosts");
}

TEST(user_unknown_user_in_a_spec_with_group_is_named_alone)
{
    cleanup_err struct cb_err *err = NULL;
    cleanup_close int root = make_root();
    struct bld_user u;
    ASSERT_FAILS(bld_user_resolve(root, "ghost:wheel", &u, &err), err, CB_ENOTFOUND,
                 "unable to find user ghost: no matching");
}

TEST(user_lookup_reports_unknowns_instead_of_failing)
{
    const char *pw = "root:x:0:0:root:/root:/bin/sh\napp:x:1000:1000::/home/app:/bin/sh\n";
    const char *gr = "root:x:0:\nstaff:x:50:app\n";
    struct bld_user_lookup l;

    bld_user_lookup(pw, gr, "app", &l);
    ASSERT(l.user_found && l.group_found);
    ASSERT_STR_EQ(l.name, "app");
    ASSERT_STR_EQ(l.ids.home, "/home/app");
    ASSERT_INT_EQ(l.ids.n_groups, 1);
    ASSERT_INT_EQ(l.ids.groups[0], 50);
    bld_user_lookup_release(&l);

    bld_user_lookup(pw, gr, "ghost", &l);
    ASSERT(!l.user_found && l.group_found);
    ASSERT(l.name == NULL);
    bld_user_lookup_release(&l);

    bld_user_lookup(pw, gr, "app:nogroup", &l);
    ASSERT(l.user_found && !l.group_found);
    ASSERT_INT_EQ(l.ids.gid, 1000);
    bld_user_lookup_release(&l);

    bld_user_lookup(NULL, NULL, "4242:77", &l);
    ASSERT(l.user_found && l.group_found);
    ASSERT(l.name == NULL);
    ASSERT_INT_EQ(l.ids.uid, 4242);
    ASSERT_INT_EQ(l.ids.gid, 77);
    ASSERT_STR_EQ(l.ids.home, "/");
    bld_user_lookup_release(&l);
}

TEST(user_missing_passwd_allows_numeric_ids_only)
{
    cleanup_err struct cb_err *err = NULL;
    cleanup_close int root = -1;
    struct bld_user u;
    t_write("empty/x", "");
    root = open("empty", O_PATH | O_DIRECTORY | O_CLOEXEC);
    ASSERT_OK(bld_user_resolve(root, "12:34", &u, &err), err);
    ASSERT_INT_EQ(u.uid, 12);
    ASSERT_INT_EQ(u.gid, 34);
    bld_user_release(&u);
    ASSERT_FAILS(bld_user_resolve(root, "root", &u, &err), err, CB_ENOTFOUND, "root");
}

TEST(user_passwd_symlink_cannot_escape_the_rootfs)
{
    cleanup_err struct cb_err *err = NULL;
    cleanup_close int root = -1;
    struct bld_user u;
    t_write("r2/etc/.keep", "");
    t_write("r2/inside/passwd", "me:x:5:6::/me:/bin/sh\n");
    /* absolute target: resolved inside r2, not on the host */
    ASSERT_INT_EQ(symlink("/inside/passwd", "r2/etc/passwd"), 0);
    root = open("r2", O_PATH | O_DIRECTORY | O_CLOEXEC);
    ASSERT_OK(bld_user_resolve(root, "me", &u, &err), err);
    ASSERT_INT_EQ(u.uid, 5);
    bld_user_release(&u);
    ASSERT_FAILS(bld_user_resolve(root, "daemon", &u, &err), err, CB_ENOTFOUND, "daemon");
}
