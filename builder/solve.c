/* solve.c - run the needed stages: a small pool of workers takes stages
 * whose dependencies are done (independent stages run in parallel, bounded
 * by --jobs); each stage walks its instructions, applying config changes
 * itself and handing layer steps to solve_ops.c. */
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>
#include <unistd.h>

#include "solve.h"
#include "../cache/keys.h"
#include "../base/cleanup.h"
#include "../base/xalloc.h"
#include "../base/banned.h"

char *bld_stage_created(const struct bld_stage_ctx *c, int64_t ns)
{
    char buf[64];
    time_t t = c->s->o->has_epoch ? (time_t)c->s->o->epoch : (time_t)(ns / 1000000000);
    struct tm tm;

    if (!c->s->o->has_epoch && ns == 0)
        return c->st->img.created ? xstrdup(c->st->img.created) : NULL;
    gmtime_r(&t, &tm);
    strftime(buf, sizeof(buf), "%Y-%m-%dT%H:%M:%SZ", &tm);
    return xstrdup(buf);
}

static const char *build_arg(const struct bld_solver *s, const char *name)
{
    const char *v = NULL;
    size_t n = strlen(name);
    for (size_t i = 0; s->o->build_args && i < s->o->build_args->n; i++) {
        const char *a = s->o->build_args->v[i];
        if (!strncmp(a, name, n) && a[n] == '=')
            v = a + n + 1;
    }
    return v;
}

/* The value a global ARG has (build arg, else its default), or NULL. */
static const char *global_arg(const struct bld_solver *s, const char *name)
{
    const char *v = build_arg(s, name);
    if (v)
        return v;
    for (size_t i = s->df->nglobal; i-- > 0;) {
        const struct bld_kv *kv = bld_kvs_find(&s->df->global_args[i].u.kvs, name);
        if (kv)
            return kv->value;
    }
    return NULL;
}

/* An ARG in a stage: a build arg, its default, a global ARG's value, or a
 * predefined platform arg's (as the frontend's expansion gives it). */
static void apply_arg(struct bld_stage_ctx *c, const struct bld_instr *in)
{
    const struct bld_platform p = {c->s->platform.os, c->s->platform.architecture,
                                   c->s->platform.variant};

    for (size_t i = 0; i < in->u.kvs.n; i++) {
        const struct bld_kv *kv = &in->u.kvs.v[i];
        const char *v = build_arg(c->s, kv->key);
        cleanup_free char *plat = NULL;
        if (!v)
            v = kv->value ? kv->value : global_arg(c->s, kv->key);
        if (!v)
            v = plat = bld_platform_arg_value(kv->key, &p, &p);
        if (v)
            bld_kvs_set(&c->args, kv->key, v);
    }
}

static int count_steps(const struct bld_stage *st)
{
    int n = 1;
    for (size_t k = 0; k < st->n; k++) {
        enum bld_instr_kind kind = st->instrs[k].kind;
        n += kind == BLD_I_RUN || kind == BLD_I_COPY || kind == BLD_I_ADD || kind == BLD_I_WORKDIR;
    }
    return n;
}

static int next_step_id(struct bld_solver *s)
{
    return bld_shared_next_step(s->shared);
}

struct bld_shared *bld_shared_new(void)
{
    struct bld_shared *sh = xcalloc(1, sizeof(*sh));
    pthread_mutex_init(&sh->lock, NULL);
    pthread_cond_init(&sh->cond, NULL);
    return sh;
}

void bld_shared_free(struct bld_shared *sh)
{
    if (!sh)
        return;
    pthread_mutex_destroy(&sh->lock);
    pthread_cond_destroy(&sh->cond);
    free(sh->inflight);
    free(sh);
}

int bld_shared_next_step(struct bld_shared *sh)
{
    int id;
    pthread_mutex_lock(&sh->lock);
    id = ++sh->next_step;
    pthread_mutex_unlock(&sh->lock);
    return id;
}

static long inflight_index(const struct bld_shared *sh, const struct oci_digest *key)
{
    for (size_t i = 0; i < sh->n_inflight; i++)
        if (oci_digest_equal(&sh->inflight[i], key))
            return (long)i;
    return -1;
}

void bld_shared_acquire(struct bld_shared *sh, const struct oci_digest *key)
{
    pthread_mutex_lock(&sh->lock);
    while (inflight_index(sh, key) >= 0)
        pthread_cond_wait(&sh->cond, &sh->lock);
    XGROW(sh->inflight, sh->n_inflight + 1, sh->alloc_inflight);
    sh->inflight[sh->n_inflight++] = *key;
    pthread_mutex_unlock(&sh->lock);
}

void bld_shared_release(struct bld_shared *sh, const struct oci_digest *key)
{
    long i;
    pthread_mutex_lock(&sh->lock);
    i = inflight_index(sh, key);
    if (i >= 0)
        sh->inflight[i] = sh->inflight[--sh->n_inflight];
    pthread_cond_broadcast(&sh->cond);
    pthread_mutex_unlock(&sh->lock);
}

/* The base of stage i becomes the stage's starting state. */
static int start_stage(struct bld_stage_ctx *c, struct cb_err **err)
{
    struct bld_solver *s = c->s;
    const struct bld_graph_stage *gs = &s->g->stages[c->idx];
    struct bld_state *st = c->st;

    if (gs->base_kind == BLD_BASE_STAGE) {
        bld_state_copy(st, &s->runs[gs->base_stage].state);
        return 0;
    }
    bld_state_init(st);
    if (gs->base_kind == BLD_BASE_SCRATCH) {
        oci_digest_of("scratch", 7, &st->key);
        st->has_key = true;
        free(st->img.os);
        free(st->img.architecture);
        st->img.os = xstrdup(s->platform.os);
        st->img.architecture = xstrdup(s->platform.architecture);
        if (s->platform.variant)
            st->img.variant = xstrdup(s->platform.variant);
        oci_env_default_path(&st->img.config.env, st->img.os);
        return 0;
    }
    if (bld_base_resolve(s, c->idx, err) < 0)
        return cb_err_rc(err);
    if (bld_state_from_base(st, &s->runs[c->idx].base, err) < 0)
        return cb_err_rc(err);
    oci_env_default_path(&st->img.config.env, st->img.os);
    return 0;
}

static int from_step(struct bld_stage_ctx *c, int total, struct cb_err **err)
{
    int step = next_step_id(c->s);
    char *name = xasprintf("[%s%s%s 1/%d] FROM %s", c->s->o->label ? c->s->o->label : "",
                           c->s->o->label ? " " : "", c->label, total,
                           c->stage->base_expanded ? c->stage->base_expanded : c->stage->base);
    int rc;

    cb_progress_step(&c->s->o->progress, CB_PROGRESS_START, step, name, NULL);
    rc = start_stage(c, err);
    cb_progress_step(&c->s->o->progress, rc < 0 ? CB_PROGRESS_ERROR : CB_PROGRESS_DONE, step, NULL,
                     rc < 0 ? (*err)->msg : NULL);
    free(name);
    return rc;
}

/* Run one instruction; k is its index in the stage (for the build args it
 * used), or past the end for an ONBUILD trigger. */
static int dispatch(struct bld_stage_ctx *c, const struct bld_instr *in, size_t k, int *n,
                    int total, struct cb_err **err)
{
    char *name, *created;
    int step, rc;

    switch (in->kind) {
    case BLD_I_RUN:
    case BLD_I_COPY:
    case BLD_I_ADD:
    case BLD_I_WORKDIR:
        break;
    case BLD_I_ARG:
        apply_arg(c, in);
        /* fall through */
    default:
        created = bld_stage_created(c, c->last_created_ns);
        rc = bld_config_apply(c->st, in, created, err);
        free(created);
        return rc;
    }
    step = next_step_id(c->s);
    name = xasprintf("[%s%s%s %d/%d] %s", c->s->o->label ? c->s->o->label : "",
                     c->s->o->label ? " " : "", c->label, ++*n, total, in->node->original);
    cb_progress_step(&c->s->o->progress, CB_PROGRESS_START, step, name, NULL);
    free(name);
    if (in->kind == BLD_I_RUN)
        rc = bld_op_run(c, in, k, step, err);
    else if (in->kind == BLD_I_WORKDIR)
        rc = bld_op_workdir(c, in, step, err);
    else
        rc = bld_op_copy(c, in, k, step, err);
    if (rc < 0)
        cb_progress_step(&c->s->o->progress, CB_PROGRESS_ERROR, step, NULL, (*err)->msg);
    return rc;
}

/* ENV wins over ARG, as in the Dockerfile itself. */
static const char *stage_lookup(void *userdata, const char *name)
{
    struct bld_stage_ctx *c = userdata;
    const char *v = bld_state_getenv(c->st, name);
    const struct bld_kv *kv = v ? NULL : bld_kvs_find(&c->args, name);
    return v ? v : kv ? kv->value : NULL;
}

static int run_trigger(struct bld_stage_ctx *c, const char *text, int *n, int total,
                       struct cb_err **err)
{
    struct bld_ast *ast = bld_parse(text, strlen(text), err);
    int rc = ast ? 0 : cb_err_rc(err);

    for (size_t i = 0; rc == 0 && i < ast->n; i++) {
        struct bld_instr in;
        rc = bld_instr_parse(&ast->nodes[i], &in, err);
        if (rc < 0)
            break;
        rc = bld_instr_expand(&in, ast->escape, stage_lookup, c, NULL, err);
        if (rc == 0)
            rc = dispatch(c, &in, (size_t)-1, n, total, err);
        bld_instr_release(&in);
    }
    bld_ast_free(ast);
    if (rc < 0)
        return cb_wrap(err, "ONBUILD trigger '%s' of the base image", text);
    return 0;
}

/* A base image's ONBUILD triggers run first, then are dropped. */
static int run_triggers(struct bld_stage_ctx *c, int *n, int total, struct cb_err **err)
{
    struct cb_strv triggers = CB_STRV_INIT;
    int rc = 0;

    if (c->s->g->stages[c->idx].base_kind != BLD_BASE_IMAGE)
        return 0;
    cb_strv_copy(&triggers, &c->s->runs[c->idx].base.config.config.onbuild);
    for (size_t i = 0; rc == 0 && i < triggers.n; i++)
        rc = run_trigger(c, triggers.v[i], n, total, err);
    cb_strv_release(&triggers);
    cb_strv_release(&c->st->img.config.onbuild);
    return rc;
}

static int run_stage(struct bld_solver *s, size_t i, struct cb_err **err)
{
    struct bld_stage_ctx c = {.s = s, .idx = i, .stage = &s->df->stages[i]};
    int total = count_steps(c.stage), n = 1, rc;

    c.st = &s->runs[i].state;
    c.label = c.stage->name ? xstrdup(c.stage->name) : xasprintf("stage-%zu", i);
    c.no_cache = s->o->no_cache;
    for (size_t f = 0; s->o->no_cache_filter && f < s->o->no_cache_filter->n; f++)
        if ((c.stage->name && !strcasecmp(c.stage->name, s->o->no_cache_filter->v[f])) ||
            !strcmp(c.label, s->o->no_cache_filter->v[f]))
            c.no_cache = true;
    rc = from_step(&c, total, err);
    s->runs[i].base_layers = c.st->n_layers;
    if (rc == 0)
        rc = run_triggers(&c, &n, total, err);
    for (size_t k = 0; rc == 0 && k < c.stage->n; k++) {
        rc = dispatch(&c, &c.stage->instrs[k], k, &n, total, err);
        if (rc < 0 && c.stage->instrs[k].node)
            cb_wrap(err, "%s", c.label);
    }
    bld_kvs_release(&c.args);
    free(c.label);
    return rc;
}

/* ---------------------------------------------------------------- workers */

static bool ready(struct bld_solver *s, size_t i)
{
    const struct bld_graph_stage *gs = &s->g->stages[i];
    for (size_t d = 0; d < gs->n_deps; d++)
        if (!s->runs[gs->deps[d]].done)
            return false;
    return true;
}

static void *worker(void *arg)
{
    struct bld_solver *s = arg;
    static const size_t none = (size_t)-1;

    for (;;) {
        size_t pick = none;
        bool left = false;
        struct cb_err *e = NULL;
        int rc;

        pthread_mutex_lock(&s->lock);
        for (;;) {
            left = false;
            for (size_t o = 0; o < s->g->n_order && pick == none; o++) {
                size_t i = s->g->order[o];
                if (s->runs[i].started)
                    continue;
                left = true;
                if (ready(s, i))
                    pick = i;
            }
            if (pick != none || !left || s->failed)
                break;
            pthread_cond_wait(&s->cond, &s->lock);
        }
        if (pick == none || s->failed) {
            pthread_mutex_unlock(&s->lock);
            return NULL;
        }
        s->runs[pick].started = true;
        pthread_mutex_unlock(&s->lock);

        {
            struct timespec t0, t1;
            clock_gettime(CLOCK_MONOTONIC, &t0);
            rc = run_stage(s, pick, &e);
            clock_gettime(CLOCK_MONOTONIC, &t1);
            s->runs[pick].seconds =
                (double)(t1.tv_sec - t0.tv_sec) + (double)(t1.tv_nsec - t0.tv_nsec) / 1e9;
        }

        pthread_mutex_lock(&s->lock);
        s->runs[pick].done = rc == 0;
        if (rc < 0) {
            s->runs[pick].failed = true;
            if (!s->failed) {
                s->failed = true;
                s->err = e;
                e = NULL;
            }
        }
        pthread_cond_broadcast(&s->cond);
        pthread_mutex_unlock(&s->lock);
        cb_err_free(e);
    }
}

int bld_solve(struct bld_solver *s, struct cb_err **err)
{
    long cores = sysconf(_SC_NPROCESSORS_ONLN);
    size_t jobs = s->o->jobs > 0 ? (size_t)s->o->jobs : cores > 0 ? (size_t)cores : 1;
    pthread_t *threads;
    size_t n = 0;

    if (jobs > s->g->n_order)
        jobs = s->g->n_order;
    if (jobs <= 1) {
        worker(s);
    } else {
        threads = xcalloc(jobs, sizeof(*threads));
        for (; n < jobs; n++)
            if (pthread_create(&threads[n], NULL, worker, s) != 0)
                break;
        if (n == 0)
            worker(s);
        for (size_t t = 0; t < n; t++)
            pthread_join(threads[t], NULL);
        free(threads);
    }
    if (s->failed) {
        *err = s->err;
        s->err = NULL;
        return err && *err ? -(int)(*err)->code : -CB_EBUG;
    }
    return 0;
}
