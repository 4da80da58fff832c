/* run.c - RUN through the executor: mounts from specs, secrets and ssh from
 * the build's options, output to the progress sink. */
#include <stdlib.h>
#include <string.h>

#include "run.h"
#include "exec/executor.h"
#include "exec/mounts.h"
#include "../base/cleanup.h"
#include "../base/fsutil.h"
#include "../base/xalloc.h"
#include "../base/banned.h"

struct out_ctx {
    const struct cb_progress *progress;
    int step;
};

static void on_output(void *userdata, const char *data, size_t len)
{
    struct out_ctx *o = userdata;
    cb_progress_log(o->progress, o->step, 1, data, len);
}

static const struct bld_secret_src *find_secret(const struct bld_build_opts *o, const char *id)
{
    for (size_t i = 0; i < o->n_secrets; i++)
        if (!strcmp(o->secrets[i].id, id))
            return &o->secrets[i];
    return NULL;
}

static const char *find_ssh(const struct bld_build_opts *o, const char *id)
{
    const char *def = getenv("SSH_AUTH_SOCK");
    for (size_t i = 0; o->ssh && i < o->ssh->n; i++) {
        const char *v = o->ssh->v[i];
        size_t n = strlen(id);
        if (!strncmp(v, id, n) && v[n] == '=')
            return v + n + 1;
        if (!strcmp(v, id))
            return def;
    }
    return NULL;
}

static int fill_mount(struct bld_solver *s, struct bld_mount *m, const char *source,
                      struct cb_err **err)
{
    if (source && *source) {
        free(m->source);
        m->source = xstrdup(source);
    }
    if (m->type == BLD_MOUNT_SECRET) {
        const struct bld_secret_src *sec = find_secret(s->o, m->id);
        if (sec && sec->path) {
            free(m->source);
            m->source = xstrdup(sec->path);
        } else if (sec && sec->value) {
            m->data = xstrdup(sec->value);
            m->data_len = strlen(sec->value);
        }
    } else if (m->type == BLD_MOUNT_SSH) {
        const char *sock = find_ssh(s->o, m->id ? m->id : "default");
        if (sock) {
            free(m->source);
            m->source = xstrdup(sock);
        } else if (m->required)
            return cb_fail(err, CB_ENOTFOUND, 0, "no ssh agent '%s' given with --ssh",
                           m->id ? m->id : "default");
    }
    return 0;
}

static struct bld_executor *executor_for(struct bld_solver *s, struct cb_err **err)
{
    const char *root = oci_store_root_peek(s->store);
    cleanup_free char *state = cb_path_join(root, "run");
    cleanup_free char *caches = cb_path_join(root, "cache-mounts");
    struct bld_executor_opts o = {
        .name = s->o->executor,
        .state_dir = state,
        .cache_dir = caches,
        .runtime = s->o->runtime,
        .cancel_fd = s->o->cancel_fd,
    };
    if (cb_mkdir_p(caches, 0700, err) < 0)
        return NULL;
    return bld_executor_new(&o, err);
}

int bld_run_step(struct bld_solver *s, struct bld_snapshot *snap, const struct bld_run_req *req,
                 struct cb_err **err)
{
    cleanup_executor struct bld_executor *ex = executor_for(s, err);
    struct bld_mount *mounts = NULL;
    struct bld_rlimit *rl = NULL;
    struct out_ctx oc = {&s->o->progress, req->step};
    struct bld_exec_result res = {0};
    struct bld_exec_req er = {
        .label = req->label,
        .argv = req->argv,
        .env = req->env,
        .user = req->user,
        .cwd = req->cwd,
        .network = req->network == 1   ? BLD_NET_NONE
                   : req->network == 2 ? BLD_NET_HOST
                                       : BLD_NET_DEFAULT,
        .output = on_output,
        .output_data = &oc,
        .tail_lines = 10,
    };
    int rc = 0;

    if (!ex)
        return cb_err_rc(err);
    if (s->o->ulimits && s->o->ulimits->n) {
        rl = xcalloc(s->o->ulimits->n, sizeof(*rl));
        for (size_t i = 0; i < s->o->ulimits->n && rc == 0; i++)
            rc = bld_rlimit_parse(s->o->ulimits->v[i], &rl[i], err);
        er.rlimits = rl;
        er.n_rlimits = s->o->ulimits->n;
    }
    er.extra_hosts = s->o->add_hosts ? s->o->add_hosts->v : NULL;
    er.shm_size = s->o->shm_size;
    mounts = xcalloc(req->n_mounts ? req->n_mounts : 1, sizeof(*mounts));
    for (size_t i = 0; i < req->n_mounts && rc == 0; i++) {
        bld_mount_init(&mounts[i]);
        rc = bld_mount_parse(req->mount_specs[i], &mounts[i], err);
        if (rc == 0)
            rc = fill_mount(s, &mounts[i], req->mount_sources[i], err);
    }
    er.mounts = mounts;
    er.n_mounts = req->n_mounts;
    if (rc == 0)
        rc = bld_executor_run(ex, snap, &er, &res, err);
    if (rc < 0 && err && *err && (*err)->code == CB_ESTEP && res.tail && *res.tail)
        cb_fail(err, CB_ESTEP, 0, "%s\n%s", (*err)->msg, res.tail);
    bld_exec_result_release(&res);
    for (size_t i = 0; i < req->n_mounts; i++)
        bld_mount_release(&mounts[i]);
    free(mounts);
    free(rl);
    return rc;
}
