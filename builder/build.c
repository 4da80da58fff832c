/* build.c - bld_build(): read and parse the Dockerfile, expand it, build the
 * stage graph, solve it, then write the final image to the store and to the
 * outputs asked for. */
#include <errno.h>
#include <unistd.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "argcheck.h"
#include "builder_internal.h"
#include "gitsrc.h"
#include "graph.h"
#include "solve.h"
#include "dockerfile/ignore.h"
#include "dockerfile/stages.h"
#include "../oci/export.h"
#include "../oci/layer.h"
#include "../oci/layout.h"
#include "../base/cleanup.h"
#include "../base/fsutil.h"
#include "../base/log.h"
#include "../base/xalloc.h"
#include "../base/banned.h"

#define DOCKERFILE_LIMIT ((size_t)16 << 20)

void bld_build_result_release(struct bld_build_result *r)
{
    oci_descriptor_release(&r->manifest);
    cb_strv_release(&r->unused_args);
    cb_strv_release(&r->stage_times);
    cb_strv_release(&r->final_args);
    cb_strv_release(&r->overridden_args);
    free(r->stage_layers);
}

void bld_output_release(struct bld_output *o)
{
    free(o->dest);
    o->dest = NULL;
}

int bld_output_parse(const char *s, struct bld_output *out, struct cb_err **err)
{
    cleanup_free char *copy = xstrdup(s);
    char *save = NULL;
    const char *type = NULL;

    memset(out, 0, sizeof(*out));
    if (!strchr(s, '=')) {
        out->type = BLD_OUT_LOCAL;
        out->dest = xstrdup(s);
        return 0;
    }
    for (char *t = strtok_r(copy, ",", &save); t; t = strtok_r(NULL, ",", &save)) {
        if (!strncmp(t, "type=", 5))
            type = s + (t - copy) + 5;
        else if (!strncmp(t, "dest=", 5)) {
            free(out->dest);
            out->dest = xstrdup(t + 5);
        } else
            return cb_fail(err, CB_EUNSUPPORTED, 0, "--output: option '%s' is not supported", t);
    }
    if (!type)
        return cb_fail(err, CB_EINVAL, 0, "--output '%s': missing type=", s);
#define IS(name) (!strncmp(type, name, strlen(name)) && strchr(",", type[strlen(name)]))
    if (IS("oci"))
        out->type = BLD_OUT_OCI;
    else if (IS("docker"))
        out->type = BLD_OUT_DOCKER;
    else if (IS("local"))
        out->type = BLD_OUT_LOCAL;
    else if (IS("tar"))
        out->type = BLD_OUT_TAR;
    else
        return cb_fail(err, CB_EUNSUPPORTED, 0,
                       "--output type '%.*s' is not supported (oci, docker, local, tar)",
                       (int)strcspn(type, ","), type);
#undef IS
    if (!out->dest)
        return cb_fail(err, CB_EINVAL, 0, "--output '%s': missing dest=", s);
    return 0;
}

void bld_named_context_release(struct bld_named_context *c)
{
    free(c->name);
    free(c->value);
    free(c->tag);
    memset(c, 0, sizeof(*c));
}

bool bld_context_is_remote(const char *s)
{
    struct bld_gitref g;
    cleanup_err struct cb_err *e = NULL;
    int r = bld_gitref_parse(s, &g, &e);

    if (r > 0)
        bld_gitref_release(&g);
    return r != 0 || strstr(s, "://");
}

int bld_named_context_resolve(const char *s, const char *tmp, struct bld_named_context *out,
                              char **checkout, struct cb_err **err)
{
    const char *eq = strchr(s, '=');
    char *context = NULL;
    struct bld_gitref probe;
    cleanup_err struct cb_err *not_git = NULL;
    int r = eq ? bld_gitref_parse(eq + 1, &probe, &not_git) : 0;

    *checkout = NULL;
    if (r <= 0) /* not git, or an unknown scheme: the parser says what is supported */
        return bld_named_context_parse(s, out, err);
    bld_gitref_release(&probe);
    r = bld_git_context(eq + 1, tmp, checkout, &context, err);
    if (r < 0) {
        cleanup_free char *shown = bld_git_redact(s);
        return cb_wrap(err, "--build-context '%s'", shown);
    }
    cleanup_free char *as_dir = xasprintf("%.*s=%s", (int)(eq - s), s, context);
    free(context);
    return bld_named_context_parse(as_dir, out, err);
}

int bld_named_context_parse(const char *s, struct bld_named_context *out, struct cb_err **err)
{
    const char *eq = strchr(s, '=');
    const char *v;

    memset(out, 0, sizeof(*out));
    if (!eq || eq == s || !eq[1])
        return cb_fail(err, CB_EINVAL, 0, "--build-context '%s': want NAME=VALUE", s);
    v = eq + 1;
    out->name = xstrndup(s, (size_t)(eq - s));
    if (!strncmp(v, "docker-image://", 15)) {
        out->kind = BLD_CONTEXT_IMAGE;
        out->value = xstrdup(v + 15);
    } else if (!strncmp(v, "oci-layout://", 13)) {
        const char *colon = strrchr(v + 13, ':');
        const char *slash = strrchr(v + 13, '/');
        out->kind = BLD_CONTEXT_LAYOUT;
        if (colon && (!slash || colon > slash)) {
            out->value = xstrndup(v + 13, (size_t)(colon - (v + 13)));
            out->tag = xstrdup(colon + 1);
        } else {
            out->value = xstrdup(v + 13);
        }
    } else if (strstr(v, "://")) {
        cb_fail(err, CB_EUNSUPPORTED, 0,
                "--build-context '%s': only a directory, a git URL, docker-image:// and "
                "oci-layout:// are supported",
                s);
        bld_named_context_release(out);
        return -CB_EUNSUPPORTED;
    } else {
        out->kind = BLD_CONTEXT_DIR;
        out->value = xstrdup(v);
        if (!cb_path_exists(v)) {
            cb_fail(err, CB_ENOTFOUND, 0, "--build-context '%s': no directory '%s'", s, v);
            bld_named_context_release(out);
            return -CB_ENOTFOUND;
        }
    }
    return 0;
}

static struct bld_dockerfile *read_dockerfile(const struct bld_build_opts *o, struct cb_err **err)
{
    struct cb_buf b;
    struct bld_dockerfile *df;
    cleanup_free char *path = NULL;

    if (o->dockerfile_text)
        return bld_dockerfile_parse(o->dockerfile_text, o->dockerfile_len, err);
    path = o->dockerfile ? xstrdup(o->dockerfile) : cb_path_join(o->context, "Dockerfile");
    cb_buf_init(&b, DOCKERFILE_LIMIT);
    if (cb_read_file(path, &b, err) < 0) {
        cb_buf_release(&b);
        return NULL;
    }
    df = bld_dockerfile_parse(cb_buf_str(&b), b.len, err);
    cb_buf_release(&b);
    return df;
}

static void build_args_kvs(const struct bld_build_opts *o, struct bld_kvs *kvs)
{
    for (size_t i = 0; o->build_args && i < o->build_args->n; i++) {
        const char *a = o->build_args->v[i];
        const char *eq = strchr(a, '=');
        char *k = eq ? xstrndup(a, (size_t)(eq - a)) : xstrdup(a);
        bld_kvs_set(kvs, k, eq ? eq + 1 : "");
        free(k);
    }
}

/* ---------------------------------------------------------------- expansion */

struct expand_ctx {
    struct bld_solver *s;
    const bool *needed; /* from the first pass's graph */
    struct cb_strv env; /* what base_env returned last */
    struct cb_err *err; /* the first resolve failure */
};

/* The env a stage starts from: its base image's, or (FROM stage) the env that
 * stage ends with, or nothing for scratch. */
static const struct cb_strv *base_env(void *userdata, size_t i)
{
    struct expand_ctx *x = userdata;
    struct bld_solver *s = x->s;
    const struct bld_stage *st = &s->df->stages[i];
    long ref = bld_solver_context(s, st->base_expanded)
                   ? -1
                   : bld_graph_stage_ref(s->df, i, st->base_expanded);

    cb_strv_release(&x->env);
    if (ref >= 0) {
        cb_strv_copy(&x->env, &s->runs[ref].final_env);
    } else {
        if (strcasecmp(st->base_expanded, "scratch") && x->needed[i] &&
            bld_base_resolve(s, i, x->err ? NULL : &x->err) == 0)
            cb_strv_copy(&x->env, &s->runs[i].base.config.config.env);
        /* as start_stage gives the stage (scratch too) */
        oci_env_default_path(&x->env, s->platform.os);
    }
    /* the env this stage ends with, for stages built on it */
    cb_strv_copy(&s->runs[i].final_env, &x->env);
    for (size_t k = 0; k < st->n; k++) {
        const struct bld_instr *in = &st->instrs[k];
        for (size_t j = 0; in->kind == BLD_I_ENV && j < in->u.kvs.n; j++)
            cb_strv_pushf(&s->runs[i].final_env, "%s=%s", in->u.kvs.v[j].key,
                          in->u.kvs.v[j].value ? in->u.kvs.v[j].value : "");
    }
    return &x->env;
}

static int expand(struct bld_solver *s, const struct bld_kvs *args, const bool *needed,
                  struct cb_strv *unused, struct cb_err **err)
{
    struct expand_ctx x = {.s = s, .needed = needed};
    struct bld_expand_opts eo = {
        .build_args = args,
        .target = {s->platform.os, s->platform.architecture, s->platform.variant},
        .build = {s->platform.os, s->platform.architecture, s->platform.variant},
        .base_env = needed ? base_env : NULL,
        .userdata = &x,
    };
    int rc = bld_stages_expand(s->df, &eo, unused, err);

    cb_strv_release(&x.env);
    if (rc == 0 && x.err) {
        *err = x.err;
        return -(int)x.err->code;
    }
    cb_err_free(x.err);
    return rc;
}

/* First pass: which stages the target needs (the FROM lines only depend on
 * global args, so a throw-away expansion is enough). */
static int needed_stages(struct bld_solver *s, const struct bld_kvs *args, bool **needed,
                         struct cb_err **err)
{
    struct bld_dockerfile *real = s->df;
    cleanup_dockerfile struct bld_dockerfile *copy = read_dockerfile(s->o, err);
    struct bld_graph g;
    struct cb_strv unused = CB_STRV_INIT;
    int rc;

    if (!copy)
        return cb_err_rc(err);
    s->df = copy;
    rc = expand(s, args, NULL, &unused, err);
    cb_strv_release(&unused);
    if (rc == 0)
        rc = bld_graph_build(copy, s->o->target, &s->context_names, &g, err);
    s->df = real;
    if (rc < 0)
        return rc;
    *needed = xcalloc(g.n ? g.n : 1, sizeof(**needed));
    for (size_t i = 0; i < g.n; i++)
        (*needed)[i] = g.stages[i].needed;
    bld_graph_release(&g);
    return 0;
}

/* ---------------------------------------------------------------- arg checks */

static bool arg_given(const struct bld_build_opts *o, const char *name)
{
    size_t n = strlen(name);
    for (size_t i = 0; o->build_args && i < o->build_args->n; i++)
        if (!strncmp(o->build_args->v[i], name, n) && o->build_args->v[i][n] == '=')
            return true;
    return false;
}

static void warn_dev_defaults_in(const struct bld_solver *s, const struct bld_instr *in)
{
    for (size_t i = 0; in->kind == BLD_I_ARG && i < in->u.kvs.n; i++) {
        const struct bld_kv *kv = &in->u.kvs.v[i];
        const char *marker = bld_argcheck_dev_value(kv->value);
        if (!marker || arg_given(s->o, kv->key) || !bld_argcheck_baked(kv->key, kv->value))
            continue;
        cb_log_warn("Dockerfile:%d: build arg %s keeps its development default '%s' (%s), "
                    "which gets baked into the image; set it with --build-arg %s=... or a "
                    "--build-arg-file",
                    in->node ? in->node->start_line : 0, kv->key, kv->value, marker, kv->key);
    }
}

/* The ARGs the build uses (global ones and those of needed stages) that keep
 * a development default. */
static void warn_dev_defaults(const struct bld_solver *s)
{
    for (size_t i = 0; i < s->df->nglobal; i++)
        warn_dev_defaults_in(s, &s->df->global_args[i]);
    for (size_t o = 0; o < s->g->n_order; o++) {
        const struct bld_stage *st = &s->df->stages[s->g->order[o]];
        for (size_t k = 0; k < st->n; k++)
            warn_dev_defaults_in(s, &st->instrs[k]);
    }
}

/* ---------------------------------------------------------------- result */

static int final_image(struct bld_solver *s, struct oci_descriptor *mdesc, struct oci_digest *id,
                       struct cb_err **err)
{
    struct bld_state *st = &s->runs[s->g->target].state;
    struct oci_layout *l = oci_store_layout_peek(s->store);
    struct oci_manifest m;
    struct oci_descriptor cdesc;
    int rc;

    for (size_t i = 0; s->o->labels && i < s->o->labels->n; i++) {
        const char *eq = strchr(s->o->labels->v[i], '=');
        char *k = eq ? xstrndup(s->o->labels->v[i], (size_t)(eq - s->o->labels->v[i]))
                     : xstrdup(s->o->labels->v[i]);
        oci_map_set(&st->img.config.labels, k, eq ? eq + 1 : "");
        free(k);
    }
    /* the image is as old as its newest history entry: a rebuild with
     * nothing changed gives the same bytes */
    free(st->img.created);
    st->img.created = NULL;
    if (s->epoch_str)
        st->img.created = xstrdup(s->epoch_str);
    else if (st->img.n_history && st->img.history[st->img.n_history - 1].created)
        st->img.created = xstrdup(st->img.history[st->img.n_history - 1].created);
    if (s->o->fixups && bld_fixups_apply(s, st, err) < 0)
        return cb_err_rc(err);
    rc = oci_layout_put_image(l, &st->img, &cdesc, err);
    if (rc < 0)
        return rc;
    oci_manifest_init(&m);
    m.schema_version = 2;
    m.media_type = xstrdup(OCI_MT_MANIFEST);
    oci_descriptor_copy(&m.config, &cdesc);
    for (size_t i = 0; i < st->n_layers; i++)
        oci_manifest_add_layer(&m, &st->layers[i]);
    rc = oci_layout_put_manifest(l, &m, mdesc, err);
    *id = cdesc.digest;
    oci_descriptor_release(&cdesc);
    oci_manifest_release(&m);
    return rc;
}

static int fd_sink_write(void *userdata, const void *data, size_t len, struct cb_err **err)
{
    return cb_write_all(*(int *)userdata, data, len, err);
}

/* --output type=tar: the final rootfs as one plain tar (what docker's tar
 * exporter writes): the image applied into a scratch directory, then
 * written with the layer writer, to a temp file renamed into place ("-" is
 * stdout). */
static int rootfs_tar(struct bld_solver *s, const struct oci_descriptor *mdesc, const char *dest,
                      struct cb_err **err)
{
    cleanup_free char *tmp = cb_mkdtemp(oci_store_tmp_peek(s->store), "tar-output-", err);
    cleanup_free char *root = tmp ? cb_path_join(tmp, "rootfs") : NULL;
    cleanup_free char *part = NULL;
    struct oci_export_item item = {.ref_name = "latest"};
    struct oci_export_req req = {
        .format = OCI_EXPORT_ROOTFS, .dest = root, .items = &item, .n_items = 1};
    struct oci_layer_write_opts wo = {.compress = {.algo = OCI_COMPRESSION_NONE},
                                      .clamp_mtime = s->o->has_epoch,
                                      .source_date_epoch = s->o->epoch};
    struct oci_layer_desc d;
    struct oci_sink sink = {fd_sink_write, NULL};
    int fd = 1, rc;

    if (!tmp)
        return cb_err_rc(err);
    item.desc = *mdesc;
    rc = oci_export(oci_store_layout_peek(s->store), &req, err);
    if (rc == 0 && strcmp(dest, "-")) {
        part = xasprintf("%s.part-%d", dest, (int)getpid());
        fd = open(part, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
        if (fd < 0)
            rc = cb_fail(err, CB_EIO, errno, "create '%s'", part);
    }
    sink.userdata = &fd;
    if (rc == 0)
        rc = oci_layer_write_tree(root, &wo, &sink, &d, err);
    if (part && fd >= 0) {
        if (rc == 0 && fsync(fd) < 0)
            rc = cb_fail(err, CB_EIO, errno, "fsync '%s'", part);
        close(fd);
        if (rc == 0 && rename(part, dest) < 0)
            rc = cb_fail(err, CB_EIO, errno, "rename '%s'", part);
        if (rc < 0)
            unlink(part);
    }
    cb_rm_rf(tmp, NULL);
    return rc;
}

static int write_outputs(struct bld_solver *s, const struct oci_descriptor *mdesc,
                         struct cb_err **err)
{
    for (size_t i = 0; i < s->o->n_outputs; i++) {
        const struct bld_output *out = &s->o->outputs[i];
        const char *tag = s->o->tags && s->o->tags->n ? s->o->tags->v[0] : NULL;
        cleanup_free char *name = tag ? oci_store_normalize_name(tag, NULL) : NULL;
        const char *slash = name ? strrchr(name, '/') : NULL;
        const char *colon = slash ? strrchr(slash, ':') : NULL;
        size_t dl = strlen(out->dest);
        /* as BuildKit's oci exporter: ref.name is the tag, the full name goes
         * to io.containerd.image.name */
        struct oci_export_item item = {.ref_name = colon ? colon + 1 : "latest",
                                       .image_name = name};
        struct oci_export_req req = {.dest = out->dest, .items = &item, .n_items = 1};
        int rc;

        item.desc = *mdesc;
        switch (out->type) {
        case BLD_OUT_OCI:
            req.format = dl > 4 && !strcmp(out->dest + dl - 4, ".tar") ? OCI_EXPORT_OCI_ARCHIVE
                                                                       : OCI_EXPORT_LAYOUT;
            req.merge = true;
            break;
        case BLD_OUT_DOCKER:
            req.format = OCI_EXPORT_DOCKER_ARCHIVE;
            break;
        case BLD_OUT_LOCAL:
            req.format = OCI_EXPORT_ROOTFS;
            req.drop_owners = true; /* BuildKit's local exporter */
            break;
        case BLD_OUT_TAR:
            if (rootfs_tar(s, mdesc, out->dest, err) < 0)
                return cb_wrap(err, "--output %s", out->dest);
            continue;
        }
        rc = oci_export(oci_store_layout_peek(s->store), &req, err);
        if (rc < 0)
            return cb_wrap(err, "--output %s", out->dest);
    }
    return 0;
}

static int tag_image(struct bld_solver *s, const struct oci_descriptor *mdesc, struct cb_err **err)
{
    if (!s->o->tags || s->o->tags->n == 0)
        return oci_layout_tag(oci_store_layout_peek(s->store), NULL, mdesc, err);
    for (size_t i = 0; i < s->o->tags->n; i++)
        if (oci_store_add(s->store, s->o->tags->v[i], mdesc, err) < 0)
            return cb_wrap(err, "tag '%s'", s->o->tags->v[i]);
    return 0;
}

/* ---------------------------------------------------------------- entry */

/* What --doctor needs from the build: the final stage's ARGs with their
 * defaults (and which were overridden), and the layers that stage made. */
static void doctor_info(const struct bld_solver *s, struct bld_build_result *res)
{
    const struct bld_stage *st = &s->df->stages[s->g->target];
    const struct bld_stage_run *run = &s->runs[s->g->target];

    for (size_t k = 0; k < st->n; k++) {
        const struct bld_instr *in = &st->instrs[k];
        for (size_t j = 0; in->kind == BLD_I_ARG && j < in->u.kvs.n; j++) {
            const struct bld_kv *kv = &in->u.kvs.v[j];
            if (kv->value)
                cb_strv_pushf(&res->final_args, "%s=%s", kv->key, kv->value);
            else
                cb_strv_push(&res->final_args, kv->key);
            if (arg_given(s->o, kv->key))
                cb_strv_push(&res->overridden_args, kv->key);
        }
    }
    for (size_t i = run->base_layers; i < run->state.n_layers; i++) {
        res->stage_layers =
            xreallocarray(res->stage_layers, res->n_stage_layers + 1, sizeof(*res->stage_layers));
        res->stage_layers[res->n_stage_layers++] = i;
    }
}

static int solver_init(struct bld_solver *s, struct oci_store *store,
                       const struct bld_build_opts *o, struct cb_err **err)
{
    const char *root = oci_store_root_peek(store);
    cleanup_free char *scpath = NULL;
    struct cb_strv pats = CB_STRV_INIT;
    cleanup_free char *df_path = o->dockerfile ? xstrdup(o->dockerfile) : NULL;
    int rc;

    memset(s, 0, sizeof(*s));
    s->store = store;
    s->o = o;
    pthread_mutex_init(&s->lock, NULL);
    pthread_mutex_init(&s->pull_lock, NULL);
    s->shared = o->shared;
    if (!s->shared) {
        s->shared = bld_shared_new();
        s->own_shared = true;
    }
    pthread_cond_init(&s->cond, NULL);
    oci_platform_init(&s->platform);
    if (o->platform)
        rc = oci_platform_parse(o->platform, &s->platform, err);
    else
        oci_platform_host(&s->platform), rc = 0;
    if (rc < 0)
        return cb_wrap(err, "--platform");
    s->platform_str = oci_platform_fmt(&s->platform);
    for (size_t i = 0; i < o->n_contexts; i++)
        cb_strv_push(&s->context_names, o->contexts[i].name);
    if (o->has_epoch)
        s->epoch_str = bld_now_rfc3339(s);
    s->records = cache_records_open(root, err);
    if (!s->records)
        return cb_err_rc(err);
    scpath = cache_statcache_path(root, o->context, err);
    if (!scpath)
        return cb_wrap(err, "context '%s'", o->context);
    s->statcache = cache_statcache_open(scpath, err);
    if (!s->statcache)
        return cb_err_rc(err);
    rc = bld_ignore_load(o->context, df_path, &pats, NULL, err);
    if (rc == 0 && pats.n)
        s->ignore = bld_ignore_new((const char *const *)pats.v, pats.n, err);
    cb_strv_release(&pats);
    if (rc < 0 || (pats.n && !s->ignore))
        return cb_wrap(err, ".dockerignore");
    return 0;
}

static void solver_release(struct bld_solver *s)
{
    for (size_t i = 0; s->runs && s->df && i < s->df->nstages; i++) {
        bld_base_release(&s->runs[i].base);
        bld_state_release(&s->runs[i].state);
        cb_strv_release(&s->runs[i].final_env);
    }
    free(s->runs);
    if (s->g) {
        bld_graph_release(s->g);
        free(s->g);
    }
    bld_dockerfile_free(s->df);
    bld_ignore_free(s->ignore);
    cache_statcache_free(s->statcache);
    cache_records_free(s->records);
    oci_platform_release(&s->platform);
    free(s->platform_str);
    free(s->epoch_str);
    cb_strv_release(&s->unused);
    cb_strv_release(&s->context_names);
    for (size_t i = 0; i < s->mat_dirs.n; i++)
        cb_rm_rf(s->mat_dirs.v[i], NULL);
    cb_strv_release(&s->mat_dirs);
    free(s->mat_keys);
    cb_err_free(s->err);
    pthread_mutex_destroy(&s->lock);
    pthread_mutex_destroy(&s->pull_lock);
    if (s->own_shared)
        bld_shared_free(s->shared);
    pthread_cond_destroy(&s->cond);
}

static int build(struct bld_solver *s, struct bld_build_result *res, struct cb_err **err)
{
    struct bld_kvs args = {0};
    cleanup_free bool *needed = NULL;
    int rc;

    build_args_kvs(s->o, &args);
    s->df = read_dockerfile(s->o, err);
    rc = s->df ? 0 : cb_err_rc(err);
    if (rc == 0) {
        s->runs = xcalloc(s->df->nstages ? s->df->nstages : 1, sizeof(*s->runs));
        rc = needed_stages(s, &args, &needed, err);
    }
    if (rc == 0)
        rc = expand(s, &args, needed, &s->unused, err);
    bld_kvs_release(&args);
    if (rc < 0)
        return rc;
    s->g = xcalloc(1, sizeof(*s->g));
    rc = bld_graph_build(s->df, s->o->target, &s->context_names, s->g, err);
    if (rc == 0) {
        warn_dev_defaults(s);
        rc = bld_solve(s, err);
    }
    cache_statcache_save(s->statcache, NULL);
    if (rc == 0)
        rc = final_image(s, &res->manifest, &res->config, err);
    if (rc == 0)
        rc = tag_image(s, &res->manifest, err);
    if (rc == 0)
        rc = write_outputs(s, &res->manifest, err);
    return rc;
}

int bld_build(struct oci_store *store, const struct bld_build_opts *o, struct bld_build_result *res,
              struct cb_err **err)
{
    struct bld_solver s;
    int rc;

    struct bld_build_opts abs = *o;
    cleanup_free char *ctx = realpath(o->context, NULL);

    memset(res, 0, sizeof(*res));
    oci_descriptor_init(&res->manifest);
    if (!ctx)
        return cb_fail(err, CB_ENOTFOUND, errno, "build context '%s'", o->context);
    abs.context = ctx; /* mounts and messages need it absolute */
    o = &abs;
    rc = solver_init(&s, store, o, err);
    if (rc == 0)
        rc = build(&s, res, err);
    if (rc == 0) {
        res->steps_run = s.steps_run;
        res->steps_cached = s.steps_cached;
        doctor_info(&s, res);
        for (size_t i = 0; i < s.g->n_order; i++) {
            size_t k = s.g->order[i];
            if (s.df->stages[k].name)
                cb_strv_pushf(&res->stage_times, "%s %.2fs", s.df->stages[k].name,
                              s.runs[k].seconds);
            else
                cb_strv_pushf(&res->stage_times, "stage-%zu %.2fs", k, s.runs[k].seconds);
        }
        for (size_t i = 0; i < s.unused.n; i++)
            cb_strv_push(&res->unused_args, s.unused.v[i]);
        if (s.unused.n) {
            struct cb_buf b;
            cb_buf_init(&b, CB_BUF_LIMIT_DEFAULT);
            for (size_t i = 0; i < s.unused.n; i++)
                cb_buf_addf(&b, NULL, "%s%s", i ? " " : "", s.unused.v[i]);
            cb_log_warn("one or more build-args [%s] were not consumed", cb_buf_str(&b));
            cb_buf_release(&b);
        }
    }
    solver_release(&s);
    return rc;
}
