/* stages.c - typed instructions grouped into stages, and BuildKit's ARG/ENV
 * scoping (instructions.Parse plus the expansion half of dockerfile2llb):
 * global ARGs feed only FROM lines; a stage sees an ARG from where it is
 * declared (its value: --build-arg, else its default, else the global
 * ARG's value), and ENV wins over ARG; predefined platform args live in the
 * global scope. */
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "dockerfile_internal.h"
#include "stages.h"
#include "../../base/cleanup.h"
#include "../../base/xalloc.h"
#include "../../base/banned.h"

static const char *const proxy_args[] = {
    "HTTP_PROXY", "http_proxy", "HTTPS_PROXY", "https_proxy", "FTP_PROXY", "ftp_proxy",
    "NO_PROXY",   "no_proxy",   "ALL_PROXY",   "all_proxy",   NULL,
};

static const char *const platform_args[] = {
    "TARGETPLATFORM", "TARGETOS",     "TARGETARCH", "TARGETVARIANT", "BUILDPLATFORM", "BUILDOS",
    "BUILDARCH",      "BUILDVARIANT", NULL,
};

static bool in_list(const char *const *l, const char *name)
{
    for (; *l; l++)
        if (!strcmp(*l, name))
            return true;
    return false;
}

bool bld_arg_is_proxy(const char *name)
{
    return in_list(proxy_args, name);
}

bool bld_arg_is_predefined(const char *name)
{
    return in_list(proxy_args, name) || in_list(platform_args, name) ||
           !strncmp(name, "BUILDKIT_", 9) || !strcmp(name, "SOURCE_DATE_EPOCH");
}

void bld_scope_init(struct bld_scope *s)
{
    memset(s, 0, sizeof(*s));
}

void bld_scope_release(struct bld_scope *s)
{
    bld_kvs_release(&s->args);
    bld_kvs_release(&s->env);
}

const char *bld_scope_lookup(void *userdata, const char *name)
{
    const struct bld_scope *s = userdata;
    const char *found = NULL;
    for (size_t i = 0; i < s->env.n; i++) /* the last duplicate ENV wins */
        if (!strcmp(s->env.v[i].key, name))
            found = s->env.v[i].value ? s->env.v[i].value : "";
    if (found)
        return found;
    const struct bld_kv *a = bld_kvs_find(&s->args, name);
    return a ? a->value : NULL;
}

/* ------------------------------------------------------------- building */

static void stage_release(struct bld_stage *st)
{
    free(st->name);
    free(st->base);
    free(st->base_expanded);
    free(st->platform);
    free(st->platform_expanded);
    bld_instr_release(&st->from);
    for (size_t i = 0; i < st->n; i++) {
        bld_instr_release(&st->instrs[i]);
        if (st->args_used)
            cb_strv_release(&st->args_used[i]);
    }
    free(st->instrs);
    free(st->args_used);
    free(st->doc_comment);
}

void bld_dockerfile_free(struct bld_dockerfile *df)
{
    if (!df)
        return;
    for (size_t i = 0; i < df->nglobal; i++)
        bld_instr_release(&df->global_args[i]);
    free(df->global_args);
    for (size_t i = 0; i < df->nstages; i++)
        stage_release(&df->stages[i]);
    free(df->stages);
    bld_ast_free(df->ast);
    free(df);
}

static char *from_comment(const struct bld_node *n, const char *name)
{
    if (!name)
        return NULL;
    size_t nl = strlen(name);
    for (size_t i = 0; i < n->comments.n; i++)
        if (!strncmp(n->comments.v[i], name, nl) && n->comments.v[i][nl] == ' ')
            return xstrdup(n->comments.v[i] + nl + 1);
    return NULL;
}

static void new_stage(struct bld_dockerfile *df, struct bld_instr *from, size_t *alloc)
{
    struct bld_stage st = {
        .name = from->u.from.name ? xstrdup(from->u.from.name) : NULL,
        .base = xstrdup(from->u.from.base),
        .platform = from->u.from.platform ? xstrdup(from->u.from.platform) : NULL,
        .from_node = from->node,
        .from = *from,
        .doc_comment = from_comment(from->node, from->u.from.name),
    };
    DF_PUSH(df->stages, df->nstages, *alloc, st);
}

static void stage_push(struct bld_stage *st, struct bld_instr *in)
{
    st->instrs = xreallocarray(st->instrs, st->n + 1, sizeof(*st->instrs));
    st->instrs[st->n++] = *in;
}

struct bld_dockerfile *bld_dockerfile_from_ast_take(struct bld_ast *ast, struct cb_err **err)
{
    struct bld_dockerfile *df = xcalloc(1, sizeof(*df));
    df->ast = ast;
    size_t galloc = 0, salloc = 0;
    for (size_t i = 0; i < ast->n; i++) {
        struct bld_instr in;
        if (bld_instr_parse(&ast->nodes[i], &in, err) < 0) {
            bld_dockerfile_free(df);
            return NULL;
        }
        if (in.kind == BLD_I_FROM) {
            new_stage(df, &in, &salloc);
        } else if (df->nstages == 0 && in.kind == BLD_I_ARG) {
            DF_PUSH(df->global_args, df->nglobal, galloc, in);
        } else if (df->nstages == 0) {
            cb_fail(err, CB_ESYNTAX, 0, "Dockerfile:%d: no build stage in current context",
                    ast->nodes[i].start_line);
            bld_instr_release(&in);
            bld_dockerfile_free(df);
            return NULL;
        } else {
            stage_push(&df->stages[df->nstages - 1], &in);
        }
    }
    return df;
}

struct bld_dockerfile *bld_dockerfile_parse(const char *text, size_t len, struct cb_err **err)
{
    struct bld_ast *ast = bld_parse(text, len, err);
    return ast ? bld_dockerfile_from_ast_take(ast, err) : NULL;
}

long bld_dockerfile_find_stage(const struct bld_dockerfile *df, const char *name_or_index)
{
    for (size_t i = 0; i < df->nstages; i++)
        if (df->stages[i].name && !strcasecmp(df->stages[i].name, name_or_index))
            return (long)i;
    char *end;
    long idx = strtol(name_or_index, &end, 10);
    if (*name_or_index && !*end && idx >= 0 && (size_t)idx < df->nstages)
        return idx;
    return -1;
}

long bld_dockerfile_target(const struct bld_dockerfile *df, const char *target, struct cb_err **err)
{
    if (!target || !*target)
        return df->nstages ? (long)df->nstages - 1 : -1;
    for (size_t i = 0; i < df->nstages; i++)
        if (df->stages[i].name && !strcasecmp(df->stages[i].name, target))
            return (long)i;
    return cb_fail(err, CB_EINVAL, 0, "target stage \"%s\" could not be found", target);
}

/* ------------------------------------------------------------- env helpers */

static size_t key_len(const char *e)
{
    const char *eq = strchr(e, '=');
    return eq ? (size_t)(eq - e) : strlen(e);
}

void bld_env_list_set(struct cb_strv *env, const char *key, const char *value)
{
    size_t kl = strlen(key);
    for (size_t i = 0; i < env->n; i++)
        if (key_len(env->v[i]) == kl && !memcmp(env->v[i], key, kl)) {
            free(env->v[i]);
            env->v[i] = xasprintf("%s=%s", key, value);
            return;
        }
    cb_strv_pushf(env, "%s=%s", key, value);
}

void bld_env_split(const char *kv, char **key, char **value)
{
    size_t kl = key_len(kv);
    *key = xstrndup(kv, kl);
    *value = xstrdup(kv[kl] ? kv + kl + 1 : "");
}

void bld_run_env(const struct bld_kvs *args, const struct cb_strv *env, struct bld_kvs *out)
{
    for (size_t i = 0; env && i < env->n; i++) {
        char *k, *v;
        bld_env_split(env->v[i], &k, &v);
        bld_kvs_set(out, k, v);
        free(k);
        free(v);
    }
    for (size_t i = 0; args && i < args->n; i++)
        if (args->v[i].value && !bld_kvs_find(out, args->v[i].key))
            bld_kvs_set(out, args->v[i].key, args->v[i].value);
}

static char *proxy_value(const struct bld_kvs *a, const char *upper, const char *lower)
{
    const struct bld_kv *kv = bld_kvs_find(a, lower);
    if (!kv || !kv->value)
        kv = bld_kvs_find(a, upper);
    return kv && kv->value ? xstrdup(kv->value) : NULL;
}

bool bld_proxy_env_from_args(const struct bld_kvs *a, struct bld_proxy_env *out)
{
    memset(out, 0, sizeof(*out));
    out->http = proxy_value(a, "HTTP_PROXY", "http_proxy");
    out->https = proxy_value(a, "HTTPS_PROXY", "https_proxy");
    out->ftp = proxy_value(a, "FTP_PROXY", "ftp_proxy");
    out->no = proxy_value(a, "NO_PROXY", "no_proxy");
    out->all = proxy_value(a, "ALL_PROXY", "all_proxy");
    return out->http || out->https || out->ftp || out->no || out->all;
}

void bld_proxy_env_release(struct bld_proxy_env *p)
{
    free(p->http);
    free(p->https);
    free(p->ftp);
    free(p->no);
    free(p->all);
    memset(p, 0, sizeof(*p));
}
