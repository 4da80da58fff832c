/* bake_run.c - build bake targets in parallel, sharing the store, the cache
 * and each other's identical steps (struct bld_shared). */
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "bake.h"
#include "gitsrc.h"
#include "../oci/store.h"
#include "../base/fsutil.h"
#include "../base/xalloc.h"
#include "../base/banned.h"

struct job {
    const struct bld_bake_target *t;
    struct bld_build_opts o;
    struct bld_output *outs;
    size_t n_outs;
    struct bld_named_context *contexts;
    size_t n_contexts;
    char *context;            /* a git context's checkout, or NULL */
    struct cb_strv checkouts; /* directories to remove after the build */
    char *dockerfile;
    struct bld_bake_result *out;
};

struct pool {
    struct oci_store *store;
    struct job *jobs;
    size_t n, next;
    pthread_mutex_t lock;
};

/* The target's context, and its named contexts; git URLs are checked out
 * under tmp now (the checkouts go in j->checkouts). */
static int job_contexts(struct job *j, const struct bld_bake_target *t, const char *tmp,
                        struct cb_err **err)
{
    char *dir = NULL;
    int r = t->context ? bld_git_context(t->context, tmp, &dir, &j->context, err) : 0;

    if (dir)
        cb_strv_push_take(&j->checkouts, dir);
    if (r < 0) {
        char *shown = bld_git_redact(t->context);
        cb_wrap(err, "target '%s': context '%s'", t->name, shown);
        free(shown);
        return r;
    }
    j->o.context = j->context ? j->context : t->context ? t->context : ".";
    j->contexts = xcalloc(t->contexts.n + 1, sizeof(*j->contexts));
    for (size_t i = 0; i < t->contexts.n; i++, j->n_contexts++) {
        r = bld_named_context_resolve(t->contexts.v[i], tmp, &j->contexts[i], &dir, err);
        if (dir)
            cb_strv_push_take(&j->checkouts, dir);
        if (r < 0)
            return cb_wrap(err, "target '%s'", t->name);
    }
    j->o.contexts = j->contexts;
    j->o.n_contexts = j->n_contexts;
    return 0;
}

static int job_init(struct job *j, const struct bld_bake_target *t,
                    const struct bld_build_opts *common, struct bld_shared *sh, const char *tmp,
                    struct bld_bake_result *out, struct cb_err **err)
{
    memset(j, 0, sizeof(*j));
    cb_strv_init(&j->checkouts);
    j->t = t;
    j->out = out;
    j->o = *common;
    if (job_contexts(j, t, tmp, err) < 0)
        return cb_err_rc(err);
    if (t->dockerfile)
        j->dockerfile = t->dockerfile[0] == '/' ? xstrdup(t->dockerfile)
                                                : cb_path_join(j->o.context, t->dockerfile);
    j->o.dockerfile = j->dockerfile;
    j->o.target = t->target;
    j->o.build_args = &t->args;
    j->o.tags = &t->tags;
    j->o.labels = &t->labels;
    if (t->has_no_cache)
        j->o.no_cache = t->no_cache;
    if (t->has_pull && t->pull)
        j->o.pull = BLD_PULL_ALWAYS;
    j->o.shared = sh;
    j->o.label = t->name;
    j->outs = xcalloc(t->outputs.n + 1, sizeof(*j->outs));
    for (size_t i = 0; i < t->outputs.n; i++, j->n_outs++)
        if (bld_output_parse(t->outputs.v[i], &j->outs[i], err) < 0)
            return cb_wrap(err, "target '%s'", t->name);
    j->o.outputs = j->outs;
    j->o.n_outputs = j->n_outs;
    return 0;
}

static void job_release(struct job *j)
{
    for (size_t i = 0; i < j->n_outs; i++)
        bld_output_release(&j->outs[i]);
    free(j->outs);
    for (size_t i = 0; i < j->n_contexts; i++)
        bld_named_context_release(&j->contexts[i]);
    free(j->contexts);
    for (size_t i = 0; i < j->checkouts.n; i++)
        cb_rm_rf(j->checkouts.v[i], NULL);
    cb_strv_release(&j->checkouts);
    free(j->context);
    free(j->dockerfile);
}

static void *worker(void *arg)
{
    struct pool *p = arg;
    for (;;) {
        struct job *j;
        pthread_mutex_lock(&p->lock);
        j = p->next < p->n ? &p->jobs[p->next++] : NULL;
        pthread_mutex_unlock(&p->lock);
        if (!j)
            return NULL;
        j->out->rc = bld_build(p->store, &j->o, &j->out->res, &j->out->err);
        if (j->out->rc < 0)
            cb_wrap(&j->out->err, "target '%s'", j->t->name);
    }
}

void bld_bake_result_release(struct bld_bake_result *r)
{
    bld_build_result_release(&r->res);
    cb_err_free(r->err);
    memset(r, 0, sizeof(*r));
}

int bld_bake_run(struct oci_store *store, const struct bld_bake *b, const size_t *sel, size_t n,
                 const struct bld_build_opts *common, struct bld_bake_result *out,
                 struct cb_err **err)
{
    struct bld_shared *sh = bld_shared_new();
    struct pool p = {.store = store, .jobs = xcalloc(n ? n : 1, sizeof(*p.jobs))};
    long cores = sysconf(_SC_NPROCESSORS_ONLN);
    size_t workers = common->jobs > 0 ? (size_t)common->jobs : cores > 0 ? (size_t)cores : 1;
    pthread_t *th = NULL;
    size_t nth = 0;
    int rc = 0;

    pthread_mutex_init(&p.lock, NULL);
    for (size_t i = 0; i < n && rc == 0; i++) {
        const struct bld_bake_target *t = &b->targets[sel[i]];
        out[i].target = t->name;
        if (t->image_only)
            continue;
        rc = job_init(&p.jobs[p.n], t, common, sh, oci_store_tmp_peek(store), &out[i], err);
        p.n++;
    }
    if (rc == 0) {
        if (workers > p.n)
            workers = p.n;
        th = xcalloc(workers ? workers : 1, sizeof(*th));
        for (; nth < workers; nth++)
            if (pthread_create(&th[nth], NULL, worker, &p) != 0)
                break;
        if (nth == 0)
            worker(&p);
        for (size_t i = 0; i < nth; i++)
            pthread_join(th[i], NULL);
        for (size_t i = 0; i < n && rc == 0; i++)
            if (out[i].rc < 0)
                rc = cb_fail(err, out[i].err ? out[i].err->code : CB_EBUG, 0, "%s",
                             out[i].err ? out[i].err->msg : "failed");
    }
    for (size_t i = 0; i < p.n; i++)
        job_release(&p.jobs[i]);
    free(p.jobs);
    free(th);
    pthread_mutex_destroy(&p.lock);
    bld_shared_free(sh);
    return rc;
}
