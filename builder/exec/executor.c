/* executor.c - the executor interface: lookup by name, the shared helpers
 * for argv and messages, and the fake executor used by tests. */
#include <stdlib.h>
#include <string.h>

#include "executor.h"
#include "../../base/buf.h"
#include "../../base/cleanup.h"
#include "../../base/xalloc.h"
#include "../../base/banned.h"

static int fake_run(struct bld_executor *ex, struct bld_snapshot *snap,
                    const struct bld_exec_req *req, struct bld_exec_result *res,
                    struct cb_err **err)
{
    int r = 0;
    *res = (struct bld_exec_result){0};
    if (ex->opts.fake)
        r = ex->opts.fake(ex->opts.fake_data, snap, req, res, err);
    if (r < 0)
        return r;
    if (res->exit_code != 0) {
        cleanup_free char *msg = bld_exec_failure_msg(req->label, req->argv, res->exit_code);
        return cb_fail(err, CB_ESTEP, 0, "%s", msg);
    }
    return 0;
}

const struct bld_executor_ops bld_executor_fake = {
    .name = "fake",
    .init = NULL,
    .run = fake_run,
    .release = NULL,
};

const struct bld_executor_ops *const bld_executors[] = {
    &bld_executor_oci,
    &bld_executor_fake,
    NULL,
};

static char *dup_opt(const char *s)
{
    return s ? xstrdup(s) : NULL;
}

static void free_opts(struct bld_executor_opts *o)
{
    free((char *)o->name);
    free((char *)o->state_dir);
    free((char *)o->cache_dir);
    free((char *)o->runtime);
}

struct bld_executor *bld_executor_new(const struct bld_executor_opts *o, struct cb_err **err)
{
    const char *name = o->name ? o->name : "oci";
    struct bld_executor *ex;
    const struct bld_executor_ops *const *ops = bld_executors;

    while (*ops && strcmp((*ops)->name, name))
        ops++;
    if (!*ops) {
        cb_fail(err, CB_EINVAL, 0, "unknown executor '%s'", name);
        return NULL;
    }
    ex = xcalloc(1, sizeof(*ex));
    ex->ops = *ops;
    ex->opts = *o;
    ex->opts.name = xstrdup(name);
    ex->opts.state_dir = dup_opt(o->state_dir);
    ex->opts.cache_dir = dup_opt(o->cache_dir);
    ex->opts.runtime = dup_opt(o->runtime);
    if (ex->ops->init && ex->ops->init(ex, err) < 0) {
        bld_executor_free(ex);
        return NULL;
    }
    return ex;
}

int bld_executor_run(struct bld_executor *ex, struct bld_snapshot *snap,
                     const struct bld_exec_req *req, struct bld_exec_result *res,
                     struct cb_err **err)
{
    CB_BUG_ON(!req->argv || !req->argv[0]);
    ex->n_runs++;
    return ex->ops->run(ex, snap, req, res, err);
}

void bld_executor_free(struct bld_executor *ex)
{
    if (!ex)
        return;
    if (ex->ops->release)
        ex->ops->release(ex);
    free_opts(&ex->opts);
    free(ex->runtime_path);
    free(ex->runtime_root);
    free(ex);
}

void bld_exec_result_release(struct bld_exec_result *r)
{
    free(r->tail);
    r->tail = NULL;
}

int bld_network_parse(const char *name, enum bld_network *out, struct cb_err **err)
{
    if (!name || !strcmp(name, "default"))
        *out = BLD_NET_DEFAULT;
    else if (!strcmp(name, "none"))
        *out = BLD_NET_NONE;
    else if (!strcmp(name, "host"))
        *out = BLD_NET_HOST;
    else
        return cb_fail(err, CB_EINVAL, 0, "unknown network mode '%s' (want default, none or host)",
                       name);
    return 0;
}

char **bld_exec_shell_argv(char *const *shell, const char *cmd)
{
    static char *const default_shell[] = {"/bin/sh", "-c", NULL};
    size_t n = 0;
    char **argv;
    if (!shell || !shell[0])
        shell = default_shell;
    while (shell[n])
        n++;
    argv = xcalloc(n + 2, sizeof(*argv));
    for (size_t i = 0; i < n; i++)
        argv[i] = xstrdup(shell[i]);
    argv[n] = xstrdup(cmd);
    return argv;
}

char *bld_exec_failure_msg(const char *label, char *const *argv, int exit_code)
{
    struct cb_buf b;
    cb_buf_init(&b, CB_BUF_LIMIT_DEFAULT);
    if (label && *label)
        cb_buf_addf(&b, NULL, "%s: ", label);
    cb_buf_adds(&b, "process \"", NULL);
    for (size_t i = 0; argv && argv[i]; i++)
        cb_buf_addf(&b, NULL, "%s%s", i ? " " : "", argv[i]);
    cb_buf_addf(&b, NULL, "\" did not complete successfully: exit code: %d", exit_code);
    return cb_buf_detach(&b, NULL);
}
