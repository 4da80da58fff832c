/* stages_expand.c - the scope walk over stages: expands FROM lines with the
 * global scope (predefined platform args and global ARGs) and every other
 * instruction with its stage's ARG/ENV scope as it stands just before the
 * instruction, records the build args each one used, and checks the stage
 * graph for cycles. */
#include <string.h>
#include <strings.h>
#include <stdlib.h>

#include "dockerfile_internal.h"
#include "stages.h"
#include "../../base/cleanup.h"
#include "../../base/xalloc.h"
#include "../../base/banned.h"

static const char *host_arch(void)
{
#if defined(__x86_64__)
    return "amd64";
#elif defined(__aarch64__)
    return "arm64";
#elif defined(__arm__)
    return "arm";
#elif defined(__s390x__)
    return "s390x";
#elif defined(__powerpc64__)
    return "ppc64le";
#elif defined(__riscv)
    return "riscv64";
#else
    return "amd64";
#endif
}

static void platform_args(struct bld_kvs *k, const char *prefix, const struct bld_platform *p)
{
    const char *os = p->os ? p->os : "linux", *arch = p->arch ? p->arch : host_arch();
    const char *variant = p->variant ? p->variant : "";
    cleanup_free char *plat =
        *variant ? xasprintf("%s/%s/%s", os, arch, variant) : xasprintf("%s/%s", os, arch);
    const char *vals[] = {plat, os, arch, variant};
    const char *names[] = {"PLATFORM", "OS", "ARCH", "VARIANT"};
    for (int i = 0; i < 4; i++) {
        cleanup_free char *n = xasprintf("%s%s", prefix, names[i]);
        bld_kvs_set(k, n, vals[i]);
    }
}

char *bld_platform_arg_value(const char *name, const struct bld_platform *target,
                             const struct bld_platform *build)
{
    struct bld_kvs k = {0};
    const struct bld_kv *kv;
    char *v;

    platform_args(&k, "TARGET", target);
    platform_args(&k, "BUILD", build);
    kv = bld_kvs_find(&k, name);
    v = kv && kv->value ? xstrdup(kv->value) : NULL;
    bld_kvs_release(&k);
    return v;
}

struct walk {
    struct bld_dockerfile *df;
    const struct bld_expand_opts *o;
    struct bld_scope global;
    struct bld_kvs predefined; /* TARGET* and BUILD* */
    struct cb_strv consumed;   /* build args some ARG declared */
    struct bld_kvs *final_env; /* per stage */
    struct cb_err **err;
};

static const char *build_arg(struct walk *w, const char *name)
{
    if (cb_strv_find(&w->consumed, name) < 0)
        cb_strv_push(&w->consumed, name);
    const struct bld_kv *kv = w->o->build_args ? bld_kvs_find(w->o->build_args, name) : NULL;
    return kv ? (kv->value ? kv->value : "") : NULL;
}

static int global_args(struct walk *w)
{
    for (size_t i = 0; i < w->df->nglobal; i++) {
        struct bld_instr *in = &w->df->global_args[i];
        if (bld_instr_expand(in, w->df->ast->escape, bld_scope_lookup, &w->global, NULL, w->err) <
            0)
            return -CB_ESYNTAX;
        for (size_t k = 0; k < in->u.kvs.n; k++) {
            const struct bld_kv *kv = &in->u.kvs.v[k];
            const char *ba = build_arg(w, kv->key);
            bld_kvs_set(&w->global.args, kv->key, ba ? ba : kv->value);
        }
    }
    return 0;
}

static void copy_kvs(struct bld_kvs *dst, const struct bld_kvs *src)
{
    for (size_t i = 0; i < src->n; i++)
        bld_kvs_set(dst, src->v[i].key, src->v[i].value);
}

static void env_from_list(struct bld_kvs *env, const struct cb_strv *l)
{
    for (size_t i = 0; l && i < l->n; i++) {
        const char *e = l->v[i], *eq = strchr(e, '=');
        cleanup_free char *k = eq ? xstrndup(e, (size_t)(eq - e)) : xstrdup(e);
        bld_kvs_set(env, k, eq ? eq + 1 : "");
    }
}

static int expand_from(struct walk *w, size_t i)
{
    struct bld_stage *st = &w->df->stages[i];
    struct bld_shell_usage u = {CB_STRV_INIT, CB_STRV_INIT};
    int rc =
        bld_instr_expand(&st->from, w->df->ast->escape, bld_scope_lookup, &w->global, &u, w->err);
    bld_shell_usage_release(&u);
    if (rc < 0)
        return rc;
    free(st->base_expanded);
    st->base_expanded = xstrdup(st->from.u.from.base);
    free(st->platform_expanded);
    st->platform_expanded = st->from.u.from.platform ? xstrdup(st->from.u.from.platform) : NULL;
    if (!*st->base_expanded)
        return cb_fail(w->err, CB_ESYNTAX, 0, "Dockerfile:%d: base name (%s) should not be blank",
                       st->from_node->start_line, st->base);
    return 0;
}

static void stage_base_env(struct walk *w, size_t i, struct bld_scope *sc)
{
    const struct bld_stage *st = &w->df->stages[i];
    for (size_t j = 0; j < i; j++)
        if (w->df->stages[j].name && !strcasecmp(w->df->stages[j].name, st->base_expanded)) {
            copy_kvs(&sc->env, &w->final_env[j]);
            return;
        }
    if (w->o->base_env)
        env_from_list(&sc->env, w->o->base_env(w->o->userdata, i));
}

/* The value an ARG without a default gets: a build arg, a global ARG, or a
 * predefined platform arg. */
static const char *arg_value(struct walk *w, const struct bld_kv *kv, const char *expanded)
{
    const char *ba = build_arg(w, kv->key);
    if (ba)
        return ba;
    if (expanded)
        return expanded;
    const struct bld_kv *g = bld_kvs_find(&w->global.args, kv->key);
    if (g)
        return g->value;
    g = bld_kvs_find(&w->predefined, kv->key);
    return g ? g->value : NULL;
}

static void apply(struct walk *w, struct bld_instr *in, struct bld_scope *sc)
{
    if (in->kind == BLD_I_ARG)
        for (size_t k = 0; k < in->u.kvs.n; k++) {
            const struct bld_kv *kv = &in->u.kvs.v[k];
            bld_kvs_set(&sc->args, kv->key, arg_value(w, kv, kv->value));
        }
    if (in->kind == BLD_I_ENV)
        for (size_t k = 0; k < in->u.kvs.n; k++)
            bld_kvs_set(&sc->env, in->u.kvs.v[k].key, in->u.kvs.v[k].value);
}

static void note_used(struct bld_scope *sc, const struct bld_instr *in,
                      const struct bld_shell_usage *u, struct cb_strv *used)
{
    for (size_t k = 0; k < sc->args.n; k++) {
        const struct bld_kv *a = &sc->args.v[k];
        bool by_run = in->kind == BLD_I_RUN && a->value;
        if ((by_run || cb_strv_find(&u->matched, a->key) >= 0) && cb_strv_find(used, a->key) < 0)
            cb_strv_push(used, a->key);
    }
}

static int check_url(const struct bld_instr *in, struct cb_err **err)
{
    if (in->kind != BLD_I_COPY)
        return 0;
    for (size_t i = 0; i < in->u.copy.sources.n; i++) {
        const char *s = in->u.copy.sources.v[i];
        if (!strncmp(s, "http://", 7) || !strncmp(s, "https://", 8))
            return cb_fail(err, CB_ESYNTAX, 0, "Dockerfile:%d: source can't be a URL for COPY",
                           in->node->start_line);
    }
    return 0;
}

static int walk_stage(struct walk *w, size_t i)
{
    struct bld_stage *st = &w->df->stages[i];
    if (expand_from(w, i) < 0)
        return -CB_ESYNTAX;
    struct bld_scope sc;
    bld_scope_init(&sc);
    stage_base_env(w, i, &sc);
    st->args_used = xcalloc(st->n + 1, sizeof(*st->args_used));
    int rc = 0;
    for (size_t k = 0; k < st->n && rc == 0; k++) {
        struct bld_instr *in = &st->instrs[k];
        struct bld_shell_usage u = {CB_STRV_INIT, CB_STRV_INIT};
        rc = bld_instr_expand(in, w->df->ast->escape, bld_scope_lookup, &sc, &u, w->err);
        if (rc == 0)
            rc = check_url(in, w->err);
        if (rc == 0) {
            note_used(&sc, in, &u, &st->args_used[k]);
            apply(w, in, &sc);
        }
        bld_shell_usage_release(&u);
    }
    w->final_env[i] = sc.env;
    sc.env = (struct bld_kvs){0};
    bld_scope_release(&sc);
    return rc;
}

int bld_stages_expand(struct bld_dockerfile *df, const struct bld_expand_opts *opts,
                      struct cb_strv *unused, struct cb_err **err)
{
    static const struct bld_expand_opts none = {0};
    struct walk w = {.df = df, .o = opts ? opts : &none, .err = err};
    bld_scope_init(&w.global);
    platform_args(&w.predefined, "TARGET", &w.o->target);
    platform_args(&w.predefined, "BUILD", &w.o->build);
    copy_kvs(&w.global.args, &w.predefined);
    w.final_env = xcalloc(df->nstages + 1, sizeof(*w.final_env));
    int rc = global_args(&w);
    for (size_t i = 0; rc == 0 && i < df->nstages; i++)
        rc = walk_stage(&w, i);
    if (rc == 0 && unused && w.o->build_args)
        for (size_t i = 0; i < w.o->build_args->n; i++) {
            const char *k = w.o->build_args->v[i].key;
            if (cb_strv_find(&w.consumed, k) < 0 && !bld_arg_is_predefined(k))
                cb_strv_push(unused, k);
        }
    for (size_t i = 0; i < df->nstages; i++)
        bld_kvs_release(&w.final_env[i]);
    free(w.final_env);
    bld_scope_release(&w.global);
    bld_kvs_release(&w.predefined);
    cb_strv_release(&w.consumed);
    return rc;
}

/* ------------------------------------------------------------- cycles */

static void deps_of(const struct bld_dockerfile *df, size_t i, struct cb_strv *out)
{
    const struct bld_stage *st = &df->stages[i];
    for (size_t j = 0; j < i; j++)
        if (df->stages[j].name && st->base_expanded &&
            !strcasecmp(df->stages[j].name, st->base_expanded))
            cb_strv_pushf(out, "%zu", j);
    for (size_t k = 0; k < st->n; k++) {
        const struct bld_instr *in = &st->instrs[k];
        const char *from =
            (in->kind == BLD_I_COPY || in->kind == BLD_I_ADD) ? in->u.copy.from : NULL;
        long d = from ? bld_dockerfile_find_stage(df, from) : -1;
        if (d >= 0)
            cb_strv_pushf(out, "%ld", d);
        for (size_t m = 0; in->kind == BLD_I_RUN && m < in->u.run.nmounts; m++) {
            const char *mf = in->u.run.mounts[m].from;
            long md = mf ? bld_dockerfile_find_stage(df, mf) : -1;
            if (md >= 0)
                cb_strv_pushf(out, "%ld", md);
        }
    }
}

static int visit(const struct bld_dockerfile *df, size_t i, char *state, struct cb_err **err)
{
    if (state[i] == 2)
        return 0;
    if (state[i] == 1)
        return cb_fail(err, CB_ESYNTAX, 0,
                       "Dockerfile:%d: circular dependency detected on stage: %s",
                       df->stages[i].from_node->start_line,
                       df->stages[i].name ? df->stages[i].name : df->stages[i].base);
    state[i] = 1;
    struct cb_strv deps = CB_STRV_INIT;
    deps_of(df, i, &deps);
    int rc = 0;
    for (size_t k = 0; k < deps.n && rc == 0; k++)
        rc = visit(df, (size_t)strtoul(deps.v[k], NULL, 10), state, err);
    cb_strv_release(&deps);
    state[i] = 2;
    return rc;
}

int bld_dockerfile_check_cycles(const struct bld_dockerfile *df, struct cb_err **err)
{
    cleanup_free char *state = xcalloc(df->nstages + 1, 1);
    for (size_t i = 0; i < df->nstages; i++)
        if (visit(df, i, state, err) < 0)
            return -CB_ESYNTAX;
    return 0;
}
