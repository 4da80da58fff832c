/* test_fixup.c - fixup plans and the changes tree: each fixup does what
 * the matching finding asks, writes owners and parents right, and plans
 * nothing once applied (or on an image that is right). */
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/xattr.h>

#include "harness.h"
#include "t_doctor.h"
#include "../../../../base/cleanup.h"
#include "../../../../builder/doctor/doctor.h"
#include "../../../../builder/doctor/fixup.h"

/* The owner as the layer writer will read it back. */
static void owner_of(const char *path, uid_t *uid, gid_t *gid)
{
    unsigned char v[16];
    struct stat st;
    ssize_t n = lgetxattr(path, OCI_LAYER_OWNER_XATTR, v, sizeof(v));
    lstat(path, &st);
    *uid = st.st_uid;
    *gid = st.st_gid;
    if (n >= 0)
        oci_owner_xattr_decode(v, (size_t)n, uid, gid);
}

/* Plan over the layers (bottom first); the plan's notes joined by "; ". */
static char *plan_over(const char *const *dirs, size_t n, const struct oci_image *img,
                       unsigned which, struct bld_fixup_plan *p, struct cb_err **err)
{
    cleanup_rootfs struct bld_rootfs *fs = td_open(dirs, n, err);
    struct cb_buf b;
    bld_fixup_plan_init(p);
    if (!fs || bld_fixup_plan(img, fs, which, p, err) < 0)
        return NULL;
    cb_buf_init(&b, 1 << 20);
    for (size_t i = 0; i < p->notes.n; i++)
        cb_buf_addf(&b, NULL, "%s%s", i ? "; " : "", p->notes.v[i]);
    return cb_buf_detach(&b, NULL);
}

TEST(fixup_parse_names)
{
    cleanup_err struct cb_err *err = NULL;
    unsigned w;
    ASSERT_OK(bld_fixup_parse("home,path", &w, &err), err);
    ASSERT_INT_EQ(w, BLD_FIXUP_HOME | BLD_FIXUP_PATH);
    ASSERT_OK(bld_fixup_parse("all", &w, &err), err);
    ASSERT_INT_EQ(w, BLD_FIXUP_ALL);
    ASSERT_FAILS(bld_fixup_parse("home,bogus", &w, &err), err, CB_EINVAL,
                 "unknown fixup 'bogus' (expected home, userbase, path, ownership or all)");
}

TEST2(fixup_home_creates_the_home_once, blobs)
{
    cleanup_err struct cb_err *err = NULL;
    cleanup_image struct oci_image img;
    cleanup_fixup_plan struct bld_fixup_plan p;
    const char *one[] = {"r"}, *two[] = {"r", "out"};
    uid_t uid;
    gid_t gid;
    td_base("r");
    td_dir("r/home", 0751);
    td_config(&img, "app", (const char *const[]){"sh", NULL}, NULL);
    cleanup_free char *notes = plan_over(one, 1, &img, BLD_FIXUP_ALL, &p, &err);
    ASSERT_STR_EQ(notes, "home: created /home/app owned by 1000:1000; home: HOME=/home/app");
    ASSERT_STR_EQ(p.history, "cbuild fixup: home (home: created /home/app owned by 1000:1000, "
                             "home: HOME=/home/app)");
    td_dir("out", 0755);
    cleanup_rootfs struct bld_rootfs *fs = td_open(one, 1, &err);
    ASSERT_OK(bld_fixup_apply_to_dir(&p, fs, "out", &err), err);
    struct stat st;
    ASSERT(stat("out/home", &st) == 0 && (st.st_mode & 07777) == 0751); /* copied from the image */
    owner_of("out/home/app", &uid, &gid);
    ASSERT_INT_EQ(uid, 1000);
    ASSERT_INT_EQ(gid, 1000);
    bld_fixup_apply_config(&p, &img);
    ASSERT_INT_EQ(img.n_history, 1);
    ASSERT(!img.history[0].empty_layer);
    bld_fixup_plan_release(&p);
    free(notes);
    notes = plan_over(two, 2, &img, BLD_FIXUP_ALL, &p, &err);
    ASSERT_STR_EQ(notes, ""); /* idempotent */
    ASSERT(!p.changed && !p.history);
}

TEST2(fixup_noop_on_a_right_image, blobs)
{
    cleanup_err struct cb_err *err = NULL;
    cleanup_image struct oci_image img;
    cleanup_fixup_plan struct bld_fixup_plan p;
    const char *one[] = {"r"};
    td_base("r");
    td_dir("r/home/app", 0755);
    td_own("r/home/app", 1000, 1000);
    td_config(&img, "app", (const char *const[]){"sh", NULL}, NULL);
    cleanup_free char *notes = plan_over(one, 1, &img, BLD_FIXUP_ALL, &p, &err);
    ASSERT_STR_EQ(notes, "");
    ASSERT_INT_EQ(p.n, 0);
    ASSERT_INT_EQ(p.env.n, 0);
    bld_fixup_apply_config(&p, &img);
    ASSERT_INT_EQ(img.n_history, 0);
}

TEST2(fixup_userbase_and_path_for_python, blobs)
{
    cleanup_err struct cb_err *err = NULL;
    cleanup_image struct oci_image img;
    cleanup_fixup_plan struct bld_fixup_plan p;
    const char *one[] = {"r"};
    td_base("r");
    td_file("r/etc/passwd", "root:x:0:0:root:/root:/bin/sh\napp:x:1000:1000::/app:/bin/sh\n", 0644);
    td_file("r/usr/bin/python3", "#!/bin/sh\n", 0755);
    td_dir("r/app", 0755);
    td_own("r/app", 1000, 1000);
    td_file("r/home/app/.local/lib/python3.11/site-packages/uvicorn/__init__.py", "", 0644);
    td_file("r/home/app/.local/bin/uvicorn", "#!/usr/bin/python3\n", 0755);
    td_own("r/home/app/.local", 1000, 1000);
    td_config(&img, "app", (const char *const[]){"uvicorn", NULL}, NULL);
    cleanup_free char *notes = plan_over(one, 1, &img, BLD_FIXUP_ALL, &p, &err);
    ASSERT_STR_EQ(notes, "userbase: PYTHONUSERBASE=/home/app/.local; userbase: "
                         "PATH=/home/app/.local/bin:...");
    ASSERT_INT_EQ(p.n, 0); /* config only */
    bld_fixup_apply_config(&p, &img);
    ASSERT_INT_EQ(img.config.env.n, 2);
    ASSERT_STR_EQ(img.config.env.v[0], "PATH=/home/app/.local/bin:/usr/local/bin:/usr/bin:/bin");
    ASSERT_STR_EQ(img.config.env.v[1], "PYTHONUSERBASE=/home/app/.local");
    ASSERT(img.history[0].empty_layer);
    /* now the doctor is happy */
    cleanup_rootfs struct bld_rootfs *fs = td_open(one, 1, &err);
    cleanup_findings struct bld_findings f;
    bld_findings_init(&f);
    ASSERT_OK(bld_doctor_check(&img, fs, NULL, &f, &err), err);
    ASSERT_INT_EQ(f.n, 0);
}

TEST2(fixup_path_only_adds_the_programs_dir, blobs)
{
    cleanup_err struct cb_err *err = NULL;
    cleanup_image struct oci_image img;
    cleanup_fixup_plan struct bld_fixup_plan p;
    const char *one[] = {"r"};
    td_base("r");
    td_file("r/srv/node_modules/.bin/serve", "#!/bin/sh\n", 0755);
    td_config(&img, NULL, (const char *const[]){"serve", NULL}, NULL);
    img.config.working_dir = xstrdup("/srv");
    cleanup_free char *notes = plan_over(one, 1, &img, BLD_FIXUP_PATH, &p, &err);
    ASSERT_STR_EQ(notes, "path: PATH=/srv/node_modules/.bin:...");
    ASSERT_STR_EQ(p.env.v[0], "PATH=/srv/node_modules/.bin:/usr/local/bin:/usr/bin:/bin");
}

TEST2(fixup_ownership_rewrites_root_owned_entries, blobs)
{
    cleanup_err struct cb_err *err = NULL;
    cleanup_image struct oci_image img;
    cleanup_fixup_plan struct bld_fixup_plan p;
    const char *one[] = {"r"};
    uid_t uid;
    gid_t gid;
    td_base("r");
    td_dir("r/home/app", 0755);
    td_own("r/home/app", 1000, 1000);
    td_dir("r/home/app/.cache", 0755); /* root's: app cannot write it */
    td_file("r/home/app/.cache/data", "cached bytes", 0600);
    td_link("r/home/app/link", ".cache/data");
    td_config(&img, "app", (const char *const[]){"sh", NULL}, NULL);
    cleanup_free char *notes = plan_over(one, 1, &img, BLD_FIXUP_OWNERSHIP, &p, &err);
    ASSERT_STR_EQ(notes, "ownership: chown 1000:1000 2 paths under /home/app");
    td_dir("out", 0755);
    cleanup_rootfs struct bld_rootfs *fs = td_open(one, 1, &err);
    ASSERT_OK(bld_fixup_apply_to_dir(&p, fs, "out", &err), err);
    cleanup_free char *data = t_read("out/home/app/.cache/data");
    ASSERT_STR_EQ(data, "cached bytes");
    owner_of("out/home/app/.cache/data", &uid, &gid);
    ASSERT_INT_EQ(uid, 1000);
    owner_of("out/home/app/.cache", &uid, &gid);
    ASSERT_INT_EQ(uid, 1000);
    struct stat st;
    ASSERT(lstat("out/home/app/.cache/data", &st) == 0 && (st.st_mode & 0777) == 0600);
    ASSERT(lstat("out/home/app/link", &st) < 0); /* symlinks' owners do not matter */
}
