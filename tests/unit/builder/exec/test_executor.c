#include <stdlib.h>
#include <string.h>

#include "harness.h"
#include "../../../../base/cleanup.h"
#include "../../../../base/fsutil.h"
#include "../../../../builder/exec/executor.h"

TEST(executor_shell_argv_default_and_custom)
{
    char **a = bld_exec_shell_argv(NULL, "echo hi");
    char *const pwsh[] = {"pwsh", "-Command", NULL};
    ASSERT_STR_EQ(a[0], "/bin/sh");
    ASSERT_STR_EQ(a[1], "-c");
    ASSERT_STR_EQ(a[2], "echo hi");
    ASSERT(a[3] == NULL);
    cb_strv_freep(&a);
    a = bld_exec_shell_argv(pwsh, "dir");
    ASSERT_STR_EQ(a[0], "pwsh");
    ASSERT_STR_EQ(a[2], "dir");
    cb_strv_freep(&a);
}

TEST(executor_failure_message_like_buildkit)
{
    char *const argv[] = {"/bin/sh", "-c", "exit 3", NULL};
    cleanup_free char *m = bld_exec_failure_msg("Dockerfile:12", argv, 3);
    cleanup_free char *n = bld_exec_failure_msg(NULL, argv, 1);
    ASSERT_STR_EQ(m, "Dockerfile:12: process \"/bin/sh -c exit 3\" did not complete "
                     "successfully: exit code: 3");
    ASSERT_STR_EQ(n, "process \"/bin/sh -c exit 3\" did not complete successfully: exit code: 1");
}

TEST(executor_unknown_name)
{
    cleanup_err struct cb_err *err = NULL;
    struct bld_executor_opts o = {.name = "quantum", .cancel_fd = -1};
    struct bld_executor *ex = bld_executor_new(&o, &err);
    ASSERT(ex == NULL);
    ASSERT(err && err->code == CB_EINVAL && strstr(err->msg, "quantum"));
}

struct fake_log {
    int calls;
    char last_cmd[64];
};

static int fake_step(void *userdata, struct bld_snapshot *snap, const struct bld_exec_req *req,
                     struct bld_exec_result *res, struct cb_err **err)
{
    struct fake_log *log = userdata;
    cleanup_free char *p = cb_path_join(bld_snapshot_write_dir(snap), "ran");
    log->calls++;
    snprintf(log->last_cmd, sizeof(log->last_cmd), "%s", req->argv[req->argv[1] ? 2 : 0]);
    if (cb_write_file_atomic(p, "x", 1, 0644, err) < 0)
        return cb_err_rc(err);
    res->exit_code = strstr(log->last_cmd, "fail") ? 7 : 0;
    return 0;
}

TEST(executor_fake_table_runs_the_hook)
{
    cleanup_err struct cb_err *err = NULL;
    struct fake_log log = {0};
    struct bld_executor_opts o = {
        .name = "fake", .cancel_fd = -1, .fake = fake_step, .fake_data = &log};
    cleanup_executor struct bld_executor *ex = bld_executor_new(&o, &err);
    cleanup_snapshot struct bld_snapshot *snap = NULL;
    struct bld_snapshot_opts so = {.state_dir = "state", .kind = BLD_SNAP_NATIVE};
    char *const ok[] = {"/bin/sh", "-c", "make", NULL};
    char *const bad[] = {"/bin/sh", "-c", "fail now", NULL};
    struct bld_exec_req req = {.label = "Dockerfile:3", .argv = ok};
    struct bld_exec_result res;
    ASSERT(ex != NULL);
    ASSERT_STR_EQ(ex->ops->name, "fake");
    ASSERT_OK(bld_snapshot_prepare(&so, &snap, &err), err);
    ASSERT_OK(bld_executor_run(ex, snap, &req, &res, &err), err);
    ASSERT(cb_path_exists(snap->rootfs) && log.calls == 1);
    req.argv = bad;
    ASSERT_FAILS(bld_executor_run(ex, snap, &req, &res, &err), err, CB_ESTEP,
                 "Dockerfile:3: process \"/bin/sh -c fail now\" did not complete successfully: "
                 "exit code: 7");
    ASSERT_INT_EQ(res.exit_code, 7);
    ASSERT_INT_EQ(ex->n_runs, 2);
}

TEST(executor_network_modes)
{
    cleanup_err struct cb_err *err = NULL;
    enum bld_network n;
    ASSERT_OK(bld_network_parse(NULL, &n, &err), err);
    ASSERT_INT_EQ(n, BLD_NET_DEFAULT);
    ASSERT_OK(bld_network_parse("none", &n, &err), err);
    ASSERT_INT_EQ(n, BLD_NET_NONE);
    ASSERT_OK(bld_network_parse("host", &n, &err), err);
    ASSERT_INT_EQ(n, BLD_NET_HOST);
    ASSERT_FAILS(bld_network_parse("bridge", &n, &err), err, CB_EINVAL,
                 "unknown network mode 'bridge'");
}
