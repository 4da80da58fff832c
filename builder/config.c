/* config.c - what each instruction does to the image config and history,
 * the way BuildKit's dispatch does it (dockerfile2llb), plus the stage state
 * that travels with it. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "state.h"
#include "dockerfile/instructions.h"
#include "dockerfile/parser.h"
#include "../base/xalloc.h"
#include "../base/banned.h"

void bld_state_init(struct bld_state *st)
{
    memset(st, 0, sizeof(*st));
    oci_image_init(&st->img);
}

void bld_state_release(struct bld_state *st)
{
    oci_image_release(&st->img);
    for (size_t i = 0; i < st->n_layers; i++)
        oci_descriptor_release(&st->layers[i]);
    free(st->layers);
    memset(st, 0, sizeof(*st));
}

void bld_state_copy(struct bld_state *dst, const struct bld_state *src)
{
    bld_state_init(dst);
    oci_image_release(&dst->img);
    oci_image_copy(&dst->img, &src->img);
    for (size_t i = 0; i < src->n_layers; i++) {
        XGROW(dst->layers, dst->n_layers + 1, dst->alloc_layers);
        oci_descriptor_copy(&dst->layers[dst->n_layers++], &src->layers[i]);
    }
    dst->key = src->key;
    dst->has_key = src->has_key;
    dst->cmd_set = src->cmd_set;
}

void bld_state_add_layer(struct bld_state *st, const struct oci_descriptor *layer,
                         const struct oci_digest *diff_id)
{
    XGROW(st->layers, st->n_layers + 1, st->alloc_layers);
    oci_descriptor_copy(&st->layers[st->n_layers++], layer);
    oci_image_add_diff_id(&st->img, diff_id);
}

void bld_state_add_history(struct bld_state *st, const char *created, const char *created_by,
                           bool empty_layer)
{
    struct oci_history h = {
        .created = (char *)created,
        .created_by = (char *)created_by,
        .comment = (char *)"buildkit.dockerfile.v0",
        .empty_layer = empty_layer,
    };
    oci_image_add_history(&st->img, &h);
}

void bld_state_shell(const struct bld_state *st, struct cb_strv *out)
{
    const struct cb_strv *sh = &st->img.config.shell;
    if (sh->n == 0) {
        cb_strv_push(out, "/bin/sh");
        cb_strv_push(out, "-c");
        return;
    }
    for (size_t i = 0; i < sh->n; i++)
        cb_strv_push(out, sh->v[i]);
}

const char *bld_state_workdir(const struct bld_state *st)
{
    const char *wd = st->img.config.working_dir;
    return wd && *wd ? wd : "/";
}

const char *bld_state_getenv(const struct bld_state *st, const char *name)
{
    size_t n = strlen(name);
    const struct cb_strv *env = &st->img.config.env;

    for (size_t i = env->n; i-- > 0;)
        if (!strncmp(env->v[i], name, n) && env->v[i][n] == '=')
            return env->v[i] + n + 1;
    return NULL;
}

/* Clean an absolute path: collapse "//", "." and ".." (Go's path.Clean). */
static char *clean_abs(const char *p)
{
    struct cb_strv parts = CB_STRV_INIT;
    char *copy = xstrdup(p), *save = NULL, *out;
    struct cb_buf b;

    for (char *tok = strtok_r(copy, "/", &save); tok; tok = strtok_r(NULL, "/", &save)) {
        if (!strcmp(tok, "."))
            continue;
        if (!strcmp(tok, "..")) {
            if (parts.n)
                free(parts.v[--parts.n]), parts.v[parts.n] = NULL;
            continue;
        }
        cb_strv_push(&parts, tok);
    }
    cb_buf_init(&b, CB_BUF_LIMIT_DEFAULT);
    for (size_t i = 0; i < parts.n; i++)
        cb_buf_addf(&b, NULL, "/%s", parts.v[i]);
    if (b.len == 0)
        cb_buf_addc(&b, '/', NULL);
    out = cb_buf_detach(&b, NULL);
    cb_strv_release(&parts);
    free(copy);
    return out;
}

char *bld_workdir_resolve(const struct bld_state *st, const char *path)
{
    char *joined, *r;

    if (path[0] == '/')
        return clean_abs(path);
    joined = xasprintf("%s/%s", bld_state_workdir(st), path);
    r = clean_abs(joined);
    free(joined);
    return r;
}

char *bld_go_quote_list(char *const *v, size_t n)
{
    struct cb_buf b;
    cb_buf_init(&b, CB_BUF_LIMIT_DEFAULT);
    cb_buf_addc(&b, '[', NULL);
    for (size_t i = 0; i < n; i++) {
        if (i)
            cb_buf_addc(&b, ' ', NULL);
        bld_go_quote(&b, v[i], strlen(v[i]));
    }
    cb_buf_addc(&b, ']', NULL);
    return cb_buf_detach(&b, NULL);
}

void bld_cmdline_argv(const struct bld_state *st, const struct bld_cmdline *cmd,
                      struct cb_strv *out)
{
    if (cmd->prepend_shell)
        bld_state_shell(st, out);
    for (size_t i = 0; i < cmd->args.n; i++)
        cb_strv_push(out, cmd->args.v[i]);
}

static void env_set(struct cb_strv *env, const char *key, const char *value)
{
    size_t n = strlen(key);
    for (size_t i = 0; i < env->n; i++) {
        if (!strncmp(env->v[i], key, n) && env->v[i][n] == '=') {
            free(env->v[i]);
            env->v[i] = xasprintf("%s=%s", key, value);
            return;
        }
    }
    cb_strv_pushf(env, "%s=%s", key, value);
}

/* Insert s into a sorted, unique list. */
static void sorted_add(struct cb_strv *l, const char *s)
{
    size_t i = 0;
    if (cb_strv_find(l, s) >= 0)
        return;
    cb_strv_push(l, s);
    for (i = l->n - 1; i > 0 && strcmp(l->v[i - 1], s) > 0; i--) {
        char *t = l->v[i];
        l->v[i] = l->v[i - 1];
        l->v[i - 1] = t;
    }
}

static char *kvs_history(const char *word, const struct bld_kvs *kvs, bool values_only_if_set)
{
    struct cb_buf b;
    cb_buf_init(&b, CB_BUF_LIMIT_DEFAULT);
    cb_buf_adds(&b, word, NULL);
    for (size_t i = 0; i < kvs->n; i++) {
        if (values_only_if_set && !kvs->v[i].value)
            cb_buf_addf(&b, NULL, " %s", kvs->v[i].key);
        else
            cb_buf_addf(&b, NULL, " %s=%s", kvs->v[i].key, kvs->v[i].value ? kvs->v[i].value : "");
    }
    return cb_buf_detach(&b, NULL);
}

static void set_list(struct cb_strv *dst, const struct cb_strv *src)
{
    cb_strv_release(dst);
    cb_strv_copy(dst, src);
}

static char *apply_cmd(struct bld_state *st, const struct bld_instr *in)
{
    struct oci_run_config *c = &st->img.config;
    struct cb_strv argv = CB_STRV_INIT;
    char *q;

    bld_cmdline_argv(st, &in->u.cmd, &argv);
    q = bld_go_quote_list(argv.v, argv.n);
    if (in->kind == BLD_I_CMD) {
        set_list(&c->cmd, &argv);
        c->has_cmd = true;
        st->cmd_set = true;
    } else {
        set_list(&c->entrypoint, &argv);
        c->has_entrypoint = true;
        if (!st->cmd_set) {
            cb_strv_release(&c->cmd);
            c->has_cmd = false;
        }
    }
    cb_strv_release(&argv);
    {
        char *h = xasprintf("%s %s", in->kind == BLD_I_CMD ? "CMD" : "ENTRYPOINT", q);
        free(q);
        return h;
    }
}

/* Go's time.Duration.String(): "0s", "300ms", "1.5s", "1m30s", "1h0m0s". */
static void go_duration(struct cb_buf *b, int64_t d)
{
    uint64_t u = d < 0 ? (uint64_t)0 - (uint64_t)d : (uint64_t)d;
    const uint64_t sec = 1000000000ull;

    if (d < 0)
        cb_buf_addc(b, '-', NULL);
    if (u == 0) {
        cb_buf_adds(b, "0s", NULL);
        return;
    }
    if (u < 1000) {
        cb_buf_addf(b, NULL, "%lluns", (unsigned long long)u);
        return;
    }
    /* the value in its unit: whole part, then the fraction without
     * trailing zeros */
    uint64_t scale = u < 1000000 ? 1000 : u < sec ? 1000000 : sec;
    uint64_t whole = u / scale, frac = u % scale;
    if (scale == sec) {
        uint64_t h = whole / 3600, m = whole / 60 % 60;
        whole %= 60;
        if (h)
            cb_buf_addf(b, NULL, "%lluh", (unsigned long long)h);
        if (h || m)
            cb_buf_addf(b, NULL, "%llum", (unsigned long long)m);
    }
    cb_buf_addf(b, NULL, "%llu", (unsigned long long)whole);
    if (frac) {
        char digits[16];
        int w = scale == 1000 ? 3 : scale == 1000000 ? 6 : 9;
        snprintf(digits, sizeof(digits), "%0*llu", w, (unsigned long long)frac);
        for (int i = w - 1; i > 0 && digits[i] == '0'; i--)
            digits[i] = 0;
        cb_buf_addf(b, NULL, ".%s", digits);
    }
    cb_buf_adds(b, scale == 1000 ? "\u00b5s" : scale == 1000000 ? "ms" : "s", NULL);
}

/* BuildKit's history text for HEALTHCHECK: Go's %+v of the config. */
static char *healthcheck_history(const struct oci_healthcheck *h)
{
    struct cb_buf b;
    cb_buf_init(&b, CB_BUF_LIMIT_DEFAULT);
    cb_buf_adds(&b, "HEALTHCHECK {Test:[", NULL);
    for (size_t i = 0; i < h->test.n; i++)
        cb_buf_addf(&b, NULL, "%s%s", i ? " " : "", h->test.v[i]);
    cb_buf_adds(&b, "] Interval:", NULL);
    go_duration(&b, h->interval);
    cb_buf_adds(&b, " Timeout:", NULL);
    go_duration(&b, h->timeout);
    cb_buf_adds(&b, " StartPeriod:", NULL);
    go_duration(&b, h->start_period);
    cb_buf_adds(&b, " StartInterval:", NULL);
    go_duration(&b, h->start_interval);
    cb_buf_addf(&b, NULL, " Retries:%d}", (int)h->retries);
    return cb_buf_detach(&b, NULL);
}

static char *apply_healthcheck(struct bld_state *st, const struct bld_instr *in)
{
    struct oci_run_config *c = &st->img.config;
    const struct bld_healthcheck *h = &in->u.health;

    if (!c->healthcheck)
        c->healthcheck = xcalloc(1, sizeof(*c->healthcheck));
    set_list(&c->healthcheck->test, &h->test);
    c->healthcheck->interval = h->interval_ns;
    c->healthcheck->timeout = h->timeout_ns;
    c->healthcheck->start_period = h->start_period_ns;
    c->healthcheck->start_interval = h->start_interval_ns;
    c->healthcheck->retries = h->retries;
    return healthcheck_history(c->healthcheck);
}

static int apply_expose(struct bld_state *st, const struct bld_instr *in, char **hist,
                        struct cb_err **err)
{
    struct cb_strv ports = CB_STRV_INIT;
    struct cb_buf b;

    for (size_t i = 0; i < in->u.list.n; i++) {
        if (bld_expose_parse(in->u.list.v[i], &ports, err) < 0) {
            cb_strv_release(&ports);
            return cb_wrap(err, "Dockerfile:%d", in->node->start_line);
        }
    }
    for (size_t i = 0; i < ports.n; i++)
        sorted_add(&st->img.config.exposed_ports, ports.v[i]);
    /* BuildKit: "EXPOSE [80/tcp 443/udp]", the parsed ports in order */
    cb_buf_init(&b, CB_BUF_LIMIT_DEFAULT);
    cb_buf_adds(&b, "EXPOSE [", NULL);
    for (size_t i = 0; i < ports.n; i++)
        cb_buf_addf(&b, NULL, "%s%s", i ? " " : "", ports.v[i]);
    cb_buf_addc(&b, ']', NULL);
    cb_strv_release(&ports);
    *hist = cb_buf_detach(&b, NULL);
    return 0;
}

static char *list_history(const char *word, const struct cb_strv *l)
{
    struct cb_buf b;
    cb_buf_init(&b, CB_BUF_LIMIT_DEFAULT);
    cb_buf_addf(&b, NULL, "%s [", word);
    for (size_t i = 0; i < l->n; i++)
        cb_buf_addf(&b, NULL, "%s%s", i ? " " : "", l->v[i]);
    cb_buf_addc(&b, ']', NULL);
    return cb_buf_detach(&b, NULL);
}

/* The config change of one instruction; *hist gets its history text. */
static int apply_one(struct bld_state *st, const struct bld_instr *in, char **hist,
                     struct cb_err **err)
{
    struct oci_run_config *c = &st->img.config;

    switch (in->kind) {
    case BLD_I_ENV:
        for (size_t i = 0; i < in->u.kvs.n; i++)
            env_set(&c->env, in->u.kvs.v[i].key, in->u.kvs.v[i].value ? in->u.kvs.v[i].value : "");
        *hist = kvs_history("ENV", &in->u.kvs, false);
        return 0;
    case BLD_I_LABEL:
        for (size_t i = 0; i < in->u.kvs.n; i++)
            oci_map_set(&c->labels, in->u.kvs.v[i].key,
                        in->u.kvs.v[i].value ? in->u.kvs.v[i].value : "");
        *hist = kvs_history("LABEL", &in->u.kvs, false);
        return 0;
    case BLD_I_ARG:
        *hist = kvs_history("ARG", &in->u.kvs, true);
        return 0;
    case BLD_I_EXPOSE:
        return apply_expose(st, in, hist, err);
    case BLD_I_VOLUME:
        for (size_t i = 0; i < in->u.list.n; i++)
            sorted_add(&c->volumes, in->u.list.v[i]);
        *hist = list_history("VOLUME", &in->u.list);
        return 0;
    case BLD_I_USER:
        free(c->user);
        c->user = xstrdup(in->u.str);
        *hist = xasprintf("USER %s", in->u.str);
        return 0;
    case BLD_I_STOPSIGNAL:
        free(c->stop_signal);
        c->stop_signal = xstrdup(in->u.str);
        *hist = xasprintf("STOPSIGNAL %s", in->u.str);
        return 0;
    case BLD_I_MAINTAINER:
        free(st->img.author);
        st->img.author = xstrdup(in->u.str);
        *hist = xasprintf("MAINTAINER %s", in->u.str);
        return 0;
    case BLD_I_ONBUILD: /* BuildKit records no history for it */
        cb_strv_push(&c->onbuild, in->u.onbuild);
        return 0;
    case BLD_I_SHELL:
        set_list(&c->shell, &in->u.list);
        *hist = list_history("SHELL", &in->u.list);
        return 0;
    case BLD_I_CMD:
    case BLD_I_ENTRYPOINT:
        *hist = apply_cmd(st, in);
        return 0;
    case BLD_I_HEALTHCHECK:
        *hist = apply_healthcheck(st, in);
        return 0;
    case BLD_I_WORKDIR: {
        char *wd = bld_workdir_resolve(st, in->u.str);
        free(c->working_dir);
        c->working_dir = wd;
        *hist = NULL; /* the solver adds it, with or without a layer */
        return 0;
    }
    default:
        return cb_fail(err, CB_EBUG, 0, "Dockerfile:%d: %s is not a config instruction",
                       in->node ? in->node->start_line : 0, bld_instr_kind_name(in->kind));
    }
}

int bld_config_apply(struct bld_state *st, const struct bld_instr *in, const char *created,
                     struct cb_err **err)
{
    char *hist = NULL;

    if (apply_one(st, in, &hist, err) < 0)
        return -CB_ESYNTAX;
    if (hist)
        bld_state_add_history(st, created, hist, true);
    free(hist);
    return 0;
}
