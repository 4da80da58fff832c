/* runimage.c - run an image's command once (cbuild run). */
#include <stdlib.h>
#include <string.h>

#include "runimage.h"
#include "exec/executor.h"
#include "exec/mounts.h"
#include "exec/run_once.h"
#include "../base/cleanup.h"
#include "../base/xalloc.h"
#include "../base/banned.h"

/* docker's composition of ENTRYPOINT, CMD, --entrypoint and arguments. */
static void compose_argv(const struct oci_run_config *c, const struct bld_run_image_opts *o,
                         struct cb_strv *argv)
{
    if (o->entrypoint) {
        if (*o->entrypoint)
            cb_strv_push(argv, o->entrypoint);
    } else {
        for (size_t i = 0; i < c->entrypoint.n; i++)
            cb_strv_push(argv, c->entrypoint.v[i]);
    }
    if (o->n_args) {
        for (size_t i = 0; i < o->n_args; i++)
            cb_strv_push(argv, o->args[i]);
    } else if (!o->entrypoint) {
        for (size_t i = 0; i < c->cmd.n; i++)
            cb_strv_push(argv, c->cmd.v[i]);
    }
}

static void set_env(struct cb_strv *env, const char *kv)
{
    const char *eq = strchr(kv, '=');
    size_t n = eq ? (size_t)(eq - kv) : strlen(kv);
    const char *host = eq ? NULL : getenv(kv);

    if (!eq && !host)
        return; /* docker: "-e K" with K unset on the host adds nothing */
    for (size_t i = 0; i < env->n; i++) {
        if (!strncmp(env->v[i], kv, n) && env->v[i][n] == '=') {
            free(env->v[i]);
            env->v[i] = eq ? xstrdup(kv) : xasprintf("%.*s=%s", (int)n, kv, host);
            return;
        }
    }
    if (eq)
        cb_strv_push(env, kv);
    else
        cb_strv_pushf(env, "%.*s=%s", (int)n, kv, host);
}

static int volumes(const struct cb_strv *v, struct bld_mount **out, size_t *n, struct cb_err **err)
{
    *out = xcalloc(v && v->n ? v->n : 1, sizeof(**out));
    *n = 0;
    for (size_t i = 0; v && i < v->n; i++) {
        cleanup_free char *copy = xstrdup(v->v[i]);
        char *dst = strchr(copy, ':'), *mode = dst ? strchr(dst + 1, ':') : NULL;
        cleanup_free char *spec = NULL;
        if (!dst || dst == copy || dst[1] != '/')
            return cb_fail(err, CB_EINVAL, 0, "-v '%s': want /HOST/PATH:/CONTAINER/PATH[:ro]",
                           v->v[i]);
        *dst++ = '\0';
        if (mode)
            *mode++ = '\0';
        if (mode && strcmp(mode, "ro") && strcmp(mode, "rw"))
            return cb_fail(err, CB_EINVAL, 0, "-v '%s': mode must be ro or rw", v->v[i]);
        spec = xasprintf("type=bind,source=%s,target=%s%s", copy, dst,
                         mode && !strcmp(mode, "ro") ? "" : ",rw");
        bld_mount_init(&(*out)[*n]);
        if (bld_mount_parse(spec, &(*out)[*n], err) < 0)
            return cb_wrap(err, "-v '%s'", v->v[i]);
        (*n)++;
    }
    return 0;
}

struct out_fwd {
    const struct bld_run_image_opts *o;
};

static void forward(void *userdata, const char *data, size_t len)
{
    struct out_fwd *f = userdata;
    if (f->o->output)
        f->o->output(f->o->output_data, data, len);
}

int bld_run_image(struct oci_store *store, const struct bld_run_image_opts *o, int *exit_code,
                  struct cb_err **err)
{
    struct oci_image cfg;
    struct cb_strv argv = CB_STRV_INIT, env = CB_STRV_INIT;
    struct bld_mount *mounts = NULL;
    size_t n_mounts = 0;
    struct bld_exec_result res = {0};
    struct out_fwd fwd = {o};
    struct bld_run_once ro = {
        .store_root = oci_store_root_peek(store),
        .runtime = o->runtime,
        .image = o->image,
        .cancel_fd = o->cancel_fd,
    };
    int rc;

    rc = oci_store_get_image(store, o->image, NULL, NULL, NULL, &cfg, err);
    if (rc < 0)
        return rc;
    compose_argv(&cfg.config, o, &argv);
    cb_strv_copy(&env, &cfg.config.env);
    for (size_t i = 0; o->env && i < o->env->n; i++)
        set_env(&env, o->env->v[i]);
    if (argv.n == 0)
        rc = cb_fail(err, CB_EINVAL, 0, "image '%s' has no command: give one after the image",
                     o->image);
    if (rc == 0 && o->snapshotter)
        rc = bld_snapshotter_parse(o->snapshotter, &ro.snapshotter, err);
    if (rc == 0)
        rc = volumes(o->volumes, &mounts, &n_mounts, err);
    if (rc == 0) {
        struct bld_exec_req req = {
            .argv = argv.v,
            .env = env.v,
            .user = o->user ? o->user : cfg.config.user,
            .primary_in_groups = true, /* as docker run */
            .cwd = o->workdir ? o->workdir : cfg.config.working_dir,
            .network = o->network == 1   ? BLD_NET_NONE
                       : o->network == 2 ? BLD_NET_HOST
                                         : BLD_NET_DEFAULT,
            .mounts = mounts,
            .n_mounts = n_mounts,
            .output = forward,
            .output_data = &fwd,
        };
        rc = bld_run_once(&ro, &req, &res, err);
        if (rc == 0 || (err && *err && (*err)->code == CB_ESTEP)) {
            *exit_code = res.exit_code;
            if (rc < 0) {
                cb_err_freep(err);
                rc = 0;
            }
        }
    }
    bld_exec_result_release(&res);
    for (size_t i = 0; i < n_mounts; i++)
        bld_mount_release(&mounts[i]);
    free(mounts);
    cb_strv_release(&argv);
    cb_strv_release(&env);
    oci_image_release(&cfg);
    return rc;
}
