#include <fcntl.h>
#include <stdlib.h>
#include <time.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "harness.h"
#include "../../../../base/cleanup.h"
#include "../../../../base/fsutil.h"
#include "../../../../builder/exec/mounts.h"

TEST(mounts_parse_cache_with_options)
{
    cleanup_err struct cb_err *err = NULL;
    struct bld_mount m;
    ASSERT_OK(bld_mount_parse("type=cache,target=/root/.cache,sharing=locked,uid=1,gid=2,mode=0700",
                              &m, &err),
              err);
    ASSERT_INT_EQ(m.type, BLD_MOUNT_CACHE);
    ASSERT_STR_EQ(m.target, "/root/.cache");
    ASSERT_STR_EQ(m.id, "/root/.cache");
    ASSERT_INT_EQ(m.sharing, BLD_SHARING_LOCKED);
    ASSERT_INT_EQ(m.uid, 1);
    ASSERT_INT_EQ(m.gid, 2);
    ASSERT_INT_EQ(m.mode, 0700);
    bld_mount_release(&m);
}

TEST(mounts_parse_defaults_per_type)
{
    cleanup_err struct cb_err *err = NULL;
    struct bld_mount m;
    ASSERT_OK(bld_mount_parse("type=secret,id=tok", &m, &err), err);
    ASSERT_STR_EQ(m.target, "/run/secrets/tok");
    ASSERT(!m.required);
    bld_mount_release(&m);
    ASSERT_OK(bld_mount_parse("type=secret,target=/etc/key,required", &m, &err), err);
    ASSERT_STR_EQ(m.id, "key");
    ASSERT(m.required);
    bld_mount_release(&m);
    ASSERT_OK(bld_mount_parse("type=ssh", &m, &err), err);
    ASSERT_STR_EQ(m.id, "default");
    ASSERT(m.target == NULL);
    bld_mount_release(&m);
    ASSERT_OK(bld_mount_parse("target=/src,source=/tmp,readwrite", &m, &err), err);
    ASSERT_INT_EQ(m.type, BLD_MOUNT_BIND);
    ASSERT(m.rw);
    bld_mount_release(&m);
    ASSERT_OK(bld_mount_parse("type=tmpfs,dst=/t,size=2m", &m, &err), err);
    ASSERT_INT_EQ(m.size, 2 << 20);
    bld_mount_release(&m);
}

TEST(mounts_parse_errors)
{
    cleanup_err struct cb_err *err = NULL;
    struct bld_mount m;
    ASSERT_FAILS(bld_mount_parse("type=weird,target=/x", &m, &err), err, CB_EINVAL,
                 "unsupported mount type 'weird'");
    cb_err_free(err), err = NULL;
    ASSERT_FAILS(bld_mount_parse("type=cache", &m, &err), err, CB_EINVAL, "missing a target");
    cb_err_free(err), err = NULL;
    ASSERT_FAILS(bld_mount_parse("type=cache,target=rel", &m, &err), err, CB_EINVAL,
                 "not absolute");
    cb_err_free(err), err = NULL;
    ASSERT_FAILS(bld_mount_parse("type=cache,target=/x,sharing=maybe", &m, &err), err, CB_EINVAL,
                 "sharing");
    cb_err_free(err), err = NULL;
    ASSERT_FAILS(bld_mount_parse("type=cache,target=/x,bogus=1", &m, &err), err, CB_EINVAL,
                 "unknown mount option 'bogus'");
    cb_err_free(err), err = NULL;
    ASSERT_FAILS(bld_mount_parse("type=bind,target=/x,from=stage", &m, &err), err, CB_EINVAL,
                 "from");
    cb_err_free(err), err = NULL;
    ASSERT_FAILS(bld_mount_parse("type=tmpfs,target=/x,size=lots", &m, &err), err, CB_EINVAL,
                 "size");
}

TEST(mounts_secret_args_attach_by_id)
{
    cleanup_err struct cb_err *err = NULL;
    char *specs[] = {"type=secret,id=a", "type=secret,id=b,env=B", NULL};
    char *secrets[] = {"id=a,src=/tmp/a.txt", "id=b,env=T_SECRET_B", NULL};
    struct bld_mount *m = NULL;
    size_t n = 0;
    setenv("T_SECRET_B", "bee", 1);
    ASSERT_OK(bld_mounts_from_args(specs, secrets, NULL, &m, &n, &err), err);
    ASSERT_INT_EQ(n, 2);
    ASSERT_STR_EQ(m[0].source, "/tmp/a.txt");
    ASSERT_STR_EQ(m[1].data, "bee");
    ASSERT_INT_EQ(m[1].data_len, 3);
    bld_mounts_free(m, n);
}

TEST(mounts_plan_cache_persists_and_is_owned)
{
    cleanup_err struct cb_err *err = NULL;
    struct bld_mount m;
    struct bld_mount_plan p;
    struct bld_mount_ctx ctx = {"step", "bundle", "caches", -1};
    struct stat st;
    if (getuid() != 0)
        SKIP("needs root to chown");
    ASSERT_OK(cb_mkdir_p("step", 0700, &err), err);
    ASSERT_OK(bld_mount_parse("type=cache,target=/c,id=x,uid=7,gid=8,mode=0750", &m, &err), err);
    bld_mount_plan_init(&p);
    ASSERT_OK(bld_mount_plan_build(&p, &m, 1, &ctx, &err), err);
    ASSERT_INT_EQ(p.n_spec, 1);
    ASSERT_STR_EQ(p.spec[0].dest, "/c");
    ASSERT_INT_EQ(stat(p.spec[0].source, &st), 0);
    ASSERT_INT_EQ(st.st_uid, 7);
    ASSERT_INT_EQ(st.st_mode & 0777, 0750);
    ASSERT(strncmp(p.spec[0].source, "caches/", 7) == 0);
    ASSERT_INT_EQ(p.n_locks, 1);
    bld_mount_plan_release(&p);
    bld_mount_release(&m);
}

TEST(mounts_plan_private_cache_in_use_gets_its_own_dir)
{
    cleanup_err struct cb_err *err = NULL;
    struct bld_mount m;
    struct bld_mount_plan p1, p2;
    struct bld_mount_ctx ctx = {"step", "bundle", "caches", -1};
    ASSERT_OK(cb_mkdir_p("step", 0700, &err), err);
    ASSERT_OK(bld_mount_parse("type=cache,target=/c,sharing=private", &m, &err), err);
    m.uid = getuid();
    m.gid = getgid();
    bld_mount_plan_init(&p1);
    bld_mount_plan_init(&p2);
    ASSERT_OK(bld_mount_plan_build(&p1, &m, 1, &ctx, &err), err);
    ASSERT_OK(bld_mount_plan_build(&p2, &m, 1, &ctx, &err), err);
    ASSERT(strcmp(p1.spec[0].source, p2.spec[0].source) != 0);
    ASSERT(strncmp(p2.spec[0].source, "step/", 5) == 0);
    bld_mount_plan_release(&p1);
    bld_mount_plan_release(&p2);
    bld_mount_release(&m);
}

TEST(mounts_plan_secret_file_on_bundle_and_env)
{
    cleanup_err struct cb_err *err = NULL;
    struct bld_mount m[2];
    struct bld_mount_plan p;
    struct bld_mount_ctx ctx = {"step", "bundle", "caches", -1};
    char *s;
    ASSERT_OK(bld_mount_parse("type=secret,id=tok,mode=0440", &m[0], &err), err);
    ASSERT_OK(bld_mount_parse("type=secret,id=e,env=TOKEN", &m[1], &err), err);
    m[0].data = strdup("hunter2");
    m[0].data_len = 7;
    m[0].uid = getuid();
    m[0].gid = getgid();
    t_write("e.txt", "from-file");
    m[1].source = strdup("e.txt");
    bld_mount_plan_init(&p);
    ASSERT_OK(bld_mount_plan_build(&p, m, 2, &ctx, &err), err);
    ASSERT_INT_EQ(p.n_spec, 1);
    ASSERT_STR_EQ(p.spec[0].dest, "/run/secrets/tok");
    ASSERT_STR_EQ(p.spec[0].source, "bundle/secrets/0");
    ASSERT_INT_EQ(p.env.n, 1);
    ASSERT_STR_EQ(p.env.v[0], "TOKEN=from-file");
    ASSERT_OK(cb_mkdir_p("bundle", 0700, &err), err);
    ASSERT_OK(bld_mount_plan_write_secrets(&p, "bundle", &err), err);
    s = t_read("bundle/secrets/0");
    ASSERT_STR_EQ(s, "hunter2");
    free(s);
    bld_mount_plan_release(&p);
    bld_mount_release(&m[0]);
    bld_mount_release(&m[1]);
}

TEST(mounts_plan_required_secret_missing)
{
    cleanup_err struct cb_err *err = NULL;
    struct bld_mount m;
    struct bld_mount_plan p;
    struct bld_mount_ctx ctx = {"step", "bundle", "caches", -1};
    ASSERT_OK(bld_mount_parse("type=secret,id=need,required=true", &m, &err), err);
    bld_mount_plan_init(&p);
    ASSERT_FAILS(bld_mount_plan_build(&p, &m, 1, &ctx, &err), err, CB_ENOTFOUND,
                 "secret need: not provided");
    bld_mount_plan_release(&p);
    bld_mount_release(&m);
}

TEST(mounts_plan_locked_cache_wait_can_be_cancelled)
{
    cleanup_err struct cb_err *err = NULL;
    struct bld_mount m;
    struct bld_mount_plan p1, p2;
    int cancel[2];
    ASSERT_INT_EQ(pipe(cancel), 0);
    struct bld_mount_ctx ctx = {"step", "bundle", "caches", cancel[0]};
    ASSERT_OK(cb_mkdir_p("step", 0700, &err), err);
    ASSERT_OK(bld_mount_parse("type=cache,target=/c,sharing=locked", &m, &err), err);
    m.uid = getuid();
    m.gid = getgid();
    bld_mount_plan_init(&p1);
    bld_mount_plan_init(&p2);
    ASSERT_OK(bld_mount_plan_build(&p1, &m, 1, &ctx, &err), err);
    ASSERT_INT_EQ(write(cancel[1], "x", 1), 1); /* Ctrl-C while the second one waits */
    ASSERT_FAILS(bld_mount_plan_build(&p2, &m, 1, &ctx, &err), err, CB_EINTR, "cancelled");
    bld_mount_plan_release(&p1);
    bld_mount_plan_release(&p2);
    bld_mount_release(&m);
    close(cancel[0]);
    close(cancel[1]);
}

TEST(mounts_stale_cache_temp_dirs_are_removed)
{
    cleanup_err struct cb_err *err = NULL;
    struct timespec old[2] = {{time(NULL) - 600, 0}, {time(NULL) - 600, 0}};
    t_write("caches/abc.new-XYZ123/partial", "x");
    t_write("caches/abc.new-fresh1/partial", "x");
    t_write("caches/abc/kept", "x");
    ASSERT_INT_EQ(utimensat(AT_FDCWD, "caches/abc.new-XYZ123", old, 0), 0);
    ASSERT_INT_EQ(bld_cache_mounts_clean_stale("caches", &err), 1);
    ASSERT(!cb_path_exists("caches/abc.new-XYZ123"));
    ASSERT(cb_path_exists("caches/abc.new-fresh1"));
    ASSERT(cb_path_exists("caches/abc/kept"));
    ASSERT_INT_EQ(bld_cache_mounts_clean_stale("nothing-here", &err), 0);
}
