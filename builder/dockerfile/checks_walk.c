/* checks_walk.c - the part of the build checks that follows BuildKit's
 * dispatch (frontend/dockerfile/dockerfile2llb): global ARGs and the FROM
 * lines first, then each stage's instructions in order with the ARG/ENV
 * values in effect, inheriting from a stage it is based on.  Nothing is
 * built and no image is resolved: a base image contributes only PATH.
 */
#include <ctype.h>
#include <stdlib.h>
#include <string.h>

#include "checks_internal.h"
#include "../../base/cleanup.h"
#include "../../base/xalloc.h"
#include "../../base/banned.h"

#define DEFAULT_PATH "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"

struct sstate {
    struct cb_strv env;  /* "K=V", the stage's environment (ARG values and ENV) */
    struct cb_strv args; /* ARG names declared so far */
    struct cb_strv onbuild;
    bool workdir_set, shell_set;
    int cmd_line, ep_line, hc_line; /* where CMD/ENTRYPOINT/HEALTHCHECK last was */
    long base;                      /* index of the stage this one is FROM, or -1 */
    char *base_name;                /* FROM after expansion */
    char *plat_os, *plat_arch;      /* FROM --platform, parsed, or NULL */
};

struct walk {
    struct lint *l;
    const struct bld_dockerfile *df;
    char escape;
    struct cb_strv global;   /* "K=V": predefined args and global ARGs */
    struct cb_strv all_args; /* every global ARG name */
    struct sstate *st;
};

/* ------------------------------------------------------------ environment */

static void env_set(struct cb_strv *env, const char *k, const char *v)
{
    size_t kl = strlen(k), o = 0;
    for (size_t i = 0; i < env->n; i++) {
        if (!strncmp(env->v[i], k, kl) && env->v[i][kl] == '=')
            free(env->v[i]);
        else
            env->v[o++] = env->v[i];
    }
    env->n = o;
    if (env->v)
        env->v[o] = NULL;
    cb_strv_pushf(env, "%s=%s", k, v);
}

static const char *env_get(const struct cb_strv *env, const char *k)
{
    return bld_env_list_lookup((void *)env, k);
}

/* The keys of a "K=V" list (borrowing nothing: a new vector). */
static void env_keys(const struct cb_strv *env, struct cb_strv *out)
{
    for (size_t i = 0; i < env->n; i++)
        cb_strv_push_take(out, xstrndup(env->v[i], strcspn(env->v[i], "=")));
}

static const char *build_arg(const struct walk *w, const char *k)
{
    const struct bld_kv *kv =
        w->l->opts->build_args ? bld_kvs_find(w->l->opts->build_args, k) : NULL;
    return kv ? kv->value : NULL;
}

/* ProcessWord; NULL after recording a build error. */
static char *expand(struct walk *w, const struct cb_strv *env, const char *word, bool raw,
                    struct bld_shell_usage *u, int line)
{
    struct bld_shell_opts o = {.escape = raw ? '\\' : w->escape,
                               .lookup = bld_env_list_lookup,
                               .userdata = (void *)env,
                               .skip_quotes = raw};
    struct cb_err *err = NULL;
    char *r = bld_shell_word(word, &o, u, &err);
    if (!r)
        lint_abort(w->l, line, "%s", err ? err->msg : "cannot expand");
    cb_err_free(err);
    return r;
}

/* reportUnmatchedVariables: names not set and not declared with ARG. */
static void report_unmatched(struct walk *w, struct sstate *st, const struct bld_shell_usage *u,
                             int line)
{
    if (!u->unmatched.n)
        return;
    cleanup_strv_s struct cb_strv keys = CB_STRV_INIT;
    env_keys(&st->env, &keys);
    for (size_t i = 0; i < u->unmatched.n; i++) {
        const char *v = u->unmatched.v[i];
        if (cb_strv_find(&st->args, v) >= 0 || !strcmp(v, "BUILDKIT_SBOM_SCAN_CONTEXT") ||
            !strcmp(v, "BUILDKIT_SBOM_SCAN_STAGE"))
            continue;
        const char *s = bld_check_suggest(v, (const char *const *)keys.v, keys.n);
        if (s)
            lint_report(w->l, R_UNDEFINED_VAR, line,
                        "Usage of undefined variable '$%s' (did you mean $%s?)", v, s);
        else
            lint_report(w->l, R_UNDEFINED_VAR, line, "Usage of undefined variable '$%s'", v);
    }
}

/* Expand one word of an instruction, reporting undefined variables. */
static char *expand_word(struct walk *w, struct sstate *st, const char *word, bool raw, int line)
{
    struct bld_shell_usage u = {CB_STRV_INIT, CB_STRV_INIT};
    char *r = expand(w, &st->env, word ? word : "", raw, &u, line);
    if (r)
        report_unmatched(w, st, &u, line);
    bld_shell_usage_release(&u);
    return r;
}

/* ------------------------------------------------------------ global args, FROM */

static char *format_platform(const struct bld_platform *p)
{
    if (p->variant && *p->variant)
        return xasprintf("%s/%s/%s", p->os, p->arch, p->variant);
    return xasprintf("%s/%s", p->os, p->arch);
}

static void default_args(struct walk *w)
{
    const struct bld_check_opts *o = w->l->opts;
    cleanup_free char *bp = format_platform(&o->build), *tp = format_platform(&o->target);
    const struct bld_stage *last = w->df->nstages ? &w->df->stages[w->df->nstages - 1] : NULL;
    const char *kv[][2] = {
        {"BUILDPLATFORM", bp},
        {"BUILDOS", o->build.os},
        {"BUILDOSVERSION", ""},
        {"BUILDARCH", o->build.arch},
        {"BUILDVARIANT", o->build.variant ? o->build.variant : ""},
        {"TARGETPLATFORM", tp},
        {"TARGETOS", o->target.os},
        {"TARGETOSVERSION", ""},
        {"TARGETARCH", o->target.arch},
        {"TARGETVARIANT", o->target.variant ? o->target.variant : ""},
        {"TARGETSTAGE", last && last->name ? last->name : ""},
    };
    for (size_t i = 0; i < sizeof(kv) / sizeof(kv[0]); i++) {
        const char *ov = build_arg(w, kv[i][0]);
        env_set(&w->global, kv[i][0], ov ? ov : kv[i][1]);
    }
}

/* buildMetaArgs: the global ARGs' values into env; false on an error. */
static bool meta_args(struct walk *w, struct cb_strv *env, bool with_build_args, bool record)
{
    for (size_t i = 0; i < w->df->nglobal; i++) {
        const struct bld_instr *in = &w->df->global_args[i];
        for (size_t k = 0; k < in->u.kvs.n; k++) {
            const struct bld_kv *kv = &in->u.kvs.v[k];
            const char *given = with_build_args ? build_arg(w, kv->key) : NULL;
            cleanup_free char *val = given ? xstrdup(given) : NULL;
            if (!given && kv->value) {
                struct bld_shell_usage u = {CB_STRV_INIT, CB_STRV_INIT};
                val = expand(w, env, kv->value, false, &u, in->node->start_line);
                bld_shell_usage_release(&u);
                if (!val)
                    return false;
            }
            if (val)
                env_set(env, kv->key, val);
            if (record && cb_strv_find(&w->all_args, kv->key) < 0)
                cb_strv_push(&w->all_args, kv->key);
        }
    }
    return true;
}

/* validateBaseImagesWithDefaultArgs: FROM with only the ARG defaults. */
static void check_default_bases(struct walk *w)
{
    cleanup_strv_s struct cb_strv env = CB_STRV_INIT;
    cb_strv_copy(&env, &w->global);
    struct lint quiet = *w->l; /* an error here abandons this rule only */
    struct bld_check_result sink = {0};
    quiet.out = &sink;
    struct walk q = *w;
    q.l = &quiet;
    bool ok = meta_args(&q, &env, false, false);
    for (size_t s = 0; ok && s < w->df->nstages; s++) {
        const struct bld_stage *st = &w->df->stages[s];
        struct bld_shell_usage u = {CB_STRV_INIT, CB_STRV_INIT};
        cleanup_free char *name = expand(&q, &env, st->base, false, &u, 0);
        bld_shell_usage_release(&u);
        if (!name)
            break;
        const struct bld_check_opts *o = w->l->opts;
        bool valid = *name && (!o->ref_valid || o->ref_valid(o->userdata, name));
        if (!valid)
            lint_report(w->l, R_INVALID_DEFAULT_ARG_IN_FROM, st->from_node->start_line,
                        "Default value for ARG %s results in empty or invalid base image name",
                        st->base);
    }
    bld_check_result_release(&sink);
}

/* reportUnusedFromArgs: names neither declared globally nor predefined. */
static void report_from_args(struct walk *w, const struct bld_shell_usage *u, int line)
{
    cleanup_strv_s struct cb_strv keys = CB_STRV_INIT;
    cb_strv_copy(&keys, &w->all_args);
    env_keys(&w->global, &keys);
    for (size_t i = 0; i < u->unmatched.n; i++) {
        const char *v = u->unmatched.v[i];
        if (cb_strv_find(&keys, v) >= 0)
            continue;
        const char *s = bld_check_suggest(v, (const char *const *)keys.v, keys.n);
        if (s)
            lint_report(w->l, R_UNDEFINED_ARG_IN_FROM, line,
                        "FROM argument '%s' is not declared (did you mean %s?)", v, s);
        else
            lint_report(w->l, R_UNDEFINED_ARG_IN_FROM, line, "FROM argument '%s' is not declared",
                        v);
    }
}

/* wrapSuggestAny: " (did you mean X?)" for the first unmatched name close
 * to a global arg, or "". */
static char *suggest_any(struct walk *w, const struct bld_shell_usage *u)
{
    cleanup_strv_s struct cb_strv keys = CB_STRV_INIT;
    env_keys(&w->global, &keys);
    for (size_t i = 0; i < u->unmatched.n; i++) {
        const char *s = bld_check_suggest(u->unmatched.v[i], (const char *const *)keys.v, keys.n);
        if (s)
            return xasprintf(" (did you mean %s?)", s);
    }
    return xstrdup("");
}

static void check_platform(struct walk *w, const struct bld_stage *st, struct sstate *ss, int line)
{
    struct bld_shell_usage u = {CB_STRV_INIT, CB_STRV_INIT};
    cleanup_free char *p = expand(w, &w->global, st->platform, false, &u, line);
    report_from_args(w, &u, line);
    if (p && u.matched.n == 1 && !u.unmatched.n && !strcmp(u.matched.v[0], "TARGETPLATFORM") &&
        !strcmp(p, env_get(&w->global, "TARGETPLATFORM")))
        lint_report(w->l, R_REDUNDANT_TARGET_PLATFORM, line,
                    "Setting platform to predefined %s in FROM is redundant as this is the "
                    "default behavior",
                    st->platform);
    cleanup_free char *os = NULL, *arch = NULL, *why = NULL;
    int bad = p ? lint_platform_parse(p, &os, &arch, &why) : -1;
    if (p && !u.matched.n && !u.unmatched.n && bad == 0 &&
        !(st->name && (strstr(st->name, os) || strstr(st->name, arch)))) {
        cleanup_free char *q = lint_quote(p);
        lint_report(w->l, R_FROM_PLATFORM_FLAG_CONST_DISALLOWED, line,
                    "FROM --platform flag should not use constant value %s", q);
    }
    if (p && !bad) {
        ss->plat_os = TAKE_PTR(os);
        ss->plat_arch = TAKE_PTR(arch);
    }
    if (p && !*p) {
        cleanup_free char *sg = suggest_any(w, &u);
        lint_abort(w->l, line, "empty platform value from expression %s%s", st->platform, sg);
    } else if (p && bad) {
        cleanup_free char *sg = suggest_any(w, &u);
        lint_abort(w->l, line, "failed to parse platform %s: %s%s", st->platform, why, sg);
    }
    bld_shell_usage_release(&u);
}

/* The FROM lines: base names and platforms with the global scope. */
static void from_pass(struct walk *w)
{
    for (size_t s = 0; s < w->df->nstages && !w->l->aborted; s++) {
        const struct bld_stage *st = &w->df->stages[s];
        int line = st->from_node->start_line;
        struct bld_shell_usage u = {CB_STRV_INIT, CB_STRV_INIT};
        cleanup_free char *name = expand(w, &w->global, st->base, false, &u, line);
        report_from_args(w, &u, line);
        bld_shell_usage_release(&u);
        if (name && !*name)
            lint_abort(w->l, line, "base name (%s) should not be blank", st->base);
        w->st[s].base = -1;
        for (size_t b = 0; name && b < s; b++)
            if (w->df->stages[b].name && !strcmp(w->df->stages[b].name, name))
                w->st[s].base = (long)b;
        if (st->platform && *st->platform && !w->l->aborted)
            check_platform(w, st, &w->st[s], line);
        w->st[s].base_name = TAKE_PTR(name);
    }
}

/* validateBaseImagePlatform, for the base images the caller knows. */
static void check_base_platforms(struct walk *w)
{
    const struct bld_check_opts *o = w->l->opts;
    for (size_t s = 0; o->base_platform && s < w->df->nstages && !w->l->aborted; s++) {
        const struct sstate *ss = &w->st[s];
        if (ss->base >= 0 || !ss->base_name || !strcmp(ss->base_name, "scratch"))
            continue;
        struct bld_platform want = o->target;
        if (ss->plat_os)
            want = (struct bld_platform){ss->plat_os, ss->plat_arch, ""};
        cleanup_free char *os = NULL, *arch = NULL;
        if (!o->base_platform(o->userdata, ss->base_name, &want, &os, &arch) ||
            (!strcmp(os, want.os) && !strcmp(arch, want.arch)))
            continue;
        lint_report(w->l, R_INVALID_BASE_IMAGE_PLATFORM, w->df->stages[s].from_node->start_line,
                    "Base image %s was pulled with platform \"%s/%s\", expected \"%s/%s\" for "
                    "current build",
                    ss->base_name, os, arch, want.os, want.arch);
    }
}

/* ------------------------------------------------------------ instructions */

static void check_secret(struct walk *w, const char *what, const char *key, int line)
{
    if (bld_check_is_secret_name(key)) {
        cleanup_free char *q = lint_quote(key);
        lint_report(w->l, R_SECRETS_USED_IN_ARG_OR_ENV, line,
                    "Do not use ARG or ENV instructions for sensitive data (%s %s)", what, q);
    }
}

/* ENV and LABEL: every key and value is expanded before any is set. */
static void do_kvs(struct walk *w, struct sstate *st, const struct bld_instr *in, int line)
{
    const struct bld_kvs *kvs = &in->u.kvs;
    cleanup_strv_s struct cb_strv exp = CB_STRV_INIT;
    for (size_t i = 0; i < kvs->n; i++) {
        char *k = expand_word(w, st, kvs->v[i].key, false, line);
        char *v = k ? expand_word(w, st, kvs->v[i].value, false, line) : NULL;
        if (!v) {
            free(k);
            return;
        }
        cb_strv_push_take(&exp, k);
        cb_strv_push_take(&exp, v);
    }
    if (kvs->n && kvs->v[0].legacy)
        lint_report(w->l, R_LEGACY_KEY_VALUE_FORMAT, line,
                    "\"%s key=value\" should be used instead of legacy \"%s key value\" format",
                    in->node->keyword, in->node->keyword);
    if (in->kind != BLD_I_ENV)
        return;
    for (size_t i = 0; i + 1 < exp.n; i += 2) {
        check_secret(w, "ENV", exp.v[i], line);
        env_set(&st->env, exp.v[i], exp.v[i + 1]);
    }
}

static void do_arg(struct walk *w, struct sstate *st, const struct bld_instr *in, int line)
{
    for (size_t i = 0; i < in->u.kvs.n && !w->l->aborted; i++) {
        const struct bld_kv *kv = &in->u.kvs.v[i];
        check_secret(w, "ARG", kv->key, line);
        const char *given = build_arg(w, kv->key);
        cleanup_free char *val = NULL;
        if (given)
            val = xstrdup(given);
        else if (kv->value)
            val = expand_word(w, st, kv->value, false, line);
        else if (env_get(&w->global, kv->key))
            val = xstrdup(env_get(&w->global, kv->key));
        if (kv->value && !given && !val)
            return;
        if (val && strcmp(kv->key, "BUILDKIT_SBOM_SCAN_CONTEXT") &&
            strcmp(kv->key, "BUILDKIT_SBOM_SCAN_STAGE"))
            env_set(&st->env, kv->key, val);
        cb_strv_push(&st->args, kv->key);
    }
}

static bool remote_source(const char *src)
{
    static const char *const schemes[] = {"http://", "https://", "git://", "git@", "ssh://"};
    for (size_t i = 0; i < sizeof(schemes) / sizeof(schemes[0]); i++)
        if (!strncmp(src, schemes[i], strlen(schemes[i])))
            return true;
    return false;
}

/* validateCopySourcePath: only without exception patterns, which make the
 * answer depend on what is inside a directory. */
static void check_ignored(struct walk *w, const struct bld_instr *in, const char *src, int line)
{
    const struct bld_ignore *ig = w->l->opts->ignore;
    if (!ig || bld_ignore_has_exclusions(ig) || remote_source(src))
        return;
    if (in->kind == BLD_I_COPY && in->u.copy.from && *in->u.copy.from)
        return;
    cleanup_free char *clean = bld_ignore_clean_path(src);
    struct cb_err *err = NULL;
    int r = bld_ignore_match(ig, clean, &err);
    if (r < 0)
        lint_abort(w->l, line, "%s", err->msg);
    else if (r > 0)
        lint_report(w->l, R_COPY_IGNORED_FILE, line,
                    "Attempting to %s file \"%s\" that is excluded by .dockerignore",
                    in->kind == BLD_I_ADD ? "Add" : "Copy", clean);
    cb_err_free(err);
}

static void do_copy(struct walk *w, struct sstate *st, const struct bld_instr *in, int line)
{
    const struct bld_instr_copy *c = &in->u.copy;
    const char *flags[] = {c->chown, c->chmod, in->kind == BLD_I_ADD ? c->checksum : NULL};
    for (size_t i = 0; i < 3; i++) {
        cleanup_free char *v = flags[i] ? expand_word(w, st, flags[i], false, line) : NULL;
        if (flags[i] && !v)
            return;
    }
    cleanup_strv_s struct cb_strv srcs = CB_STRV_INIT;
    for (size_t i = 0; i < c->sources.n; i++) {
        char *v = expand_word(w, st, c->sources.v[i], false, line);
        if (!v)
            return;
        cb_strv_push_take(&srcs, v);
    }
    cleanup_free char *dest = expand_word(w, st, c->dest, false, line);
    for (size_t i = 0; dest && i < c->ncontents; i++) {
        if (!c->contents[i].expand)
            continue;
        cleanup_free char *v = expand_word(w, st, c->contents[i].data, true, line);
        if (!v)
            return;
    }
    for (size_t i = 0; dest && i < srcs.n && !w->l->aborted; i++)
        check_ignored(w, in, srcs.v[i], line);
}

/* parsePort's lint part: "[ip:][hostPort:]port[/proto]". */
static void check_port(struct walk *w, const char *raw, int line)
{
    size_t colons = 0;
    for (const char *p = raw; *p; p++)
        colons += *p == ':';
    const char *cport = colons ? strrchr(raw, ':') + 1 : raw;
    const char *slash = strchr(cport, '/');
    const char *proto = slash ? slash + 1 : "";
    if (cport == slash || !*cport)
        return; /* "no port specified": the build reports it */
    cleanup_free char *lp = xstrdup(proto);
    bool upper = false;
    for (char *q = lp; *q; q++)
        upper |= isupper((unsigned char)*q), *q = (char)tolower((unsigned char)*q);
    if (*lp && strcmp(lp, "tcp") && strcmp(lp, "udp") && strcmp(lp, "sctp"))
        return; /* "invalid proto": the build reports it */
    if (upper)
        lint_report(w->l, R_EXPOSE_PROTO_CASING, line,
                    "Defined protocol '%s' in EXPOSE instruction should be lowercase", raw);
    if (colons)
        lint_report(w->l, R_EXPOSE_INVALID_FORMAT, line,
                    "EXPOSE instruction should not define an IP address or host-port mapping, "
                    "found '%s'",
                    raw);
}

static void do_expose(struct walk *w, struct sstate *st, const struct bld_instr *in, int line)
{
    struct bld_shell_opts o = {
        .escape = w->escape, .lookup = bld_env_list_lookup, .userdata = &st->env};
    for (size_t i = 0; i < in->u.list.n; i++) {
        cleanup_strv_s struct cb_strv ports = CB_STRV_INIT;
        struct cb_err *err = NULL;
        if (bld_shell_words(in->u.list.v[i], &o, &ports, NULL, &err) < 0) {
            lint_abort(w->l, line, "%s", err->msg);
            cb_err_free(err);
            return;
        }
        for (size_t k = 0; k < ports.n; k++)
            check_port(w, ports.v[k], line);
    }
}

/* RUN --mount: BuildKit expands each key=value field's value (the list is
 * CSV: fields split at commas outside double quotes). */
static void do_mounts(struct walk *w, struct sstate *st, const struct bld_instr *in, int line)
{
    const struct cb_strv *specs = &in->u.run.mount_specs;
    for (size_t i = 0; i < specs->n && !w->l->aborted; i++) {
        const char *p = specs->v[i];
        while (*p && !w->l->aborted) {
            bool q = false;
            const char *f = p;
            while (*p && (q || *p != ','))
                q ^= *p++ == '"';
            cleanup_free char *field = xstrndup(f, (size_t)(p - f));
            if (*p)
                p++;
            char *eq = strchr(field, '=');
            if (!eq)
                continue;
            char *v = eq + 1;
            size_t vl = strlen(v);
            if (vl >= 2 && v[0] == '"' && v[vl - 1] == '"')
                v[vl - 1] = '\0', v++;
            free(expand_word(w, st, v, false, line));
        }
    }
}

/* validateUsedOnce: the earlier instruction is the one that is ignored. */
static void used_once(struct walk *w, int *prev, const struct bld_instr *in, int line)
{
    if (*prev)
        lint_report(w->l, R_MULTIPLE_INSTRUCTIONS_DISALLOWED, *prev,
                    "Multiple %s instructions should not be used in the same stage because only "
                    "the last one will be used",
                    in->node->keyword);
    *prev = line;
}

static void do_simple(struct walk *w, struct sstate *st, const struct bld_instr *in, int line)
{
    switch (in->kind) {
    case BLD_I_WORKDIR: {
        cleanup_free char *p = expand_word(w, st, in->u.str, false, line);
        if (p && !st->workdir_set && p[0] != '/') {
            cleanup_free char *q = lint_quote(p);
            lint_report(w->l, R_WORKDIR_RELATIVE_PATH, line,
                        "Relative workdir %s can have unexpected results if the base image "
                        "changes",
                        q);
        }
        st->workdir_set = true;
        break;
    }
    case BLD_I_USER:
    case BLD_I_STOPSIGNAL:
        free(expand_word(w, st, in->u.str, false, line));
        break;
    case BLD_I_VOLUME:
        for (size_t i = 0; i < in->u.list.n && !w->l->aborted; i++)
            free(expand_word(w, st, in->u.list.v[i], false, line));
        break;
    case BLD_I_CMD:
    case BLD_I_ENTRYPOINT:
        used_once(w, in->kind == BLD_I_CMD ? &st->cmd_line : &st->ep_line, in, line);
        if (in->u.cmd.prepend_shell && !st->shell_set)
            lint_report(w->l, R_JSON_ARGS_RECOMMENDED, line,
                        "JSON arguments recommended for %s to prevent unintended behavior "
                        "related to OS signals",
                        in->node->keyword);
        break;
    case BLD_I_HEALTHCHECK:
        used_once(w, &st->hc_line, in, line);
        break;
    case BLD_I_SHELL:
        st->shell_set = true;
        break;
    case BLD_I_ONBUILD:
        cb_strv_push(&st->onbuild, in->u.onbuild);
        break;
    case BLD_I_RUN:
        do_mounts(w, st, in, line);
        break;
    default:
        break;
    }
}

static void dispatch(struct walk *w, struct sstate *st, const struct bld_instr *in, int line)
{
    switch (in->kind) {
    case BLD_I_ENV:
    case BLD_I_LABEL:
        do_kvs(w, st, in, line);
        break;
    case BLD_I_ARG:
        do_arg(w, st, in, line);
        break;
    case BLD_I_ADD:
    case BLD_I_COPY:
        do_copy(w, st, in, line);
        break;
    case BLD_I_EXPOSE:
        do_expose(w, st, in, line);
        break;
    default:
        do_simple(w, st, in, line);
    }
}

/* ONBUILD triggers of the stage this one is based on run first, located at
 * its FROM line. */
static void run_triggers(struct walk *w, struct sstate *st, const struct cb_strv *triggers,
                         int line)
{
    for (size_t i = 0; i < triggers->n && !w->l->aborted; i++) {
        struct cb_err *err = NULL;
        struct bld_ast *ast = bld_parse(triggers->v[i], strlen(triggers->v[i]), &err);
        struct bld_instr in;
        if (ast && ast->n == 1 && bld_instr_parse(&ast->nodes[0], &in, &err) == 0) {
            dispatch(w, st, &in, line);
            bld_instr_release(&in);
        } else {
            lint_abort(w->l, line, "%s",
                       err ? err->msg
                           : "onbuild trigger should be a single "
                             "expression");
        }
        cb_err_free(err);
        bld_ast_free(ast);
    }
}

static void sstate_release(struct sstate *s)
{
    free(s->base_name);
    free(s->plat_os);
    free(s->plat_arch);
    cb_strv_release(&s->env);
    cb_strv_release(&s->args);
    cb_strv_release(&s->onbuild);
}

static void dispatch_stage(struct walk *w, size_t s)
{
    const struct bld_stage *stage = &w->df->stages[s];
    struct sstate *st = &w->st[s];
    if (st->base >= 0) {
        const struct sstate *b = &w->st[st->base];
        cb_strv_copy(&st->env, &b->env);
        cb_strv_copy(&st->args, &b->args);
        st->workdir_set = b->workdir_set;
        st->shell_set = b->shell_set;
        run_triggers(w, st, &b->onbuild, stage->from_node->start_line);
    } else {
        env_set(&st->env, "PATH", DEFAULT_PATH);
    }
    for (size_t i = 0; i < stage->n && !w->l->aborted; i++)
        dispatch(w, st, &stage->instrs[i], stage->instrs[i].node->start_line);
}

void lint_walk(struct lint *l, const struct bld_dockerfile *df)
{
    struct walk w = {l, df, df->ast->escape, CB_STRV_INIT, CB_STRV_INIT, NULL};
    w.st = xcalloc(df->nstages ? df->nstages : 1, sizeof(*w.st));
    default_args(&w);
    check_default_bases(&w);
    if (meta_args(&w, &w.global, true, true))
        from_pass(&w);
    check_base_platforms(&w);
    for (size_t s = 0; s < df->nstages && !l->aborted; s++)
        dispatch_stage(&w, s);
    for (size_t s = 0; s < df->nstages; s++)
        sstate_release(&w.st[s]);
    free(w.st);
    cb_strv_release(&w.global);
    cb_strv_release(&w.all_args);
}

/* ------------------------------------------------------------ platforms */

static bool platform_component_ok(const char *s, size_t n)
{
    if (!n)
        return false;
    for (size_t i = 0; i < n; i++)
        if (!isalnum((unsigned char)s[i]) && !strchr("_.-", s[i]))
            return false;
    return true;
}

static char *normalize_arch(const char *a)
{
    static const char *const map[][2] = {
        {"i386", "386"},      {"x86_64", "amd64"}, {"x86-64", "amd64"},
        {"aarch64", "arm64"}, {"armhf", "arm"},    {"armel", "arm"},
    };
    char *l = xstrdup(a);
    for (char *p = l; *p; p++)
        *p = (char)tolower((unsigned char)*p);
    for (size_t i = 0; i < sizeof(map) / sizeof(map[0]); i++)
        if (!strcmp(l, map[i][0])) {
            free(l);
            return xstrdup(map[i][1]);
        }
    return l;
}

static bool known(const char *v, const char *const *list)
{
    for (; *list; list++)
        if (!strcmp(v, *list))
            return true;
    return false;
}

int lint_platform_parse(const char *spec, char **os, char **arch, char **why)
{
    static const char *const oses[] = {"aix",    "android", "darwin",  "dragonfly", "freebsd",
                                       "hurd",   "illumos", "ios",     "js",        "linux",
                                       "nacl",   "netbsd",  "openbsd", "plan9",     "solaris",
                                       "wasip1", "windows", "zos",     NULL};
    static const char *const arches[] = {"386",     "amd64",   "arm",      "arm64",  "loong64",
                                         "mips",    "mips64",  "mips64le", "mipsle", "ppc64",
                                         "ppc64le", "riscv64", "s390x",    "wasm",   NULL};
    cleanup_strv_s struct cb_strv parts = CB_STRV_INIT;
    cleanup_free char *qs = lint_quote(spec);
    if (strchr(spec, '*')) {
        *why = xasprintf("%s: wildcards not yet supported: invalid argument", qs);
        return -1;
    }
    for (const char *p = spec;;) {
        size_t n = parts.n == 3 ? strlen(p) : strcspn(p, "/");
        cb_strv_push_take(&parts, xstrndup(p, n));
        if (!p[n])
            break;
        p += n + 1;
    }
    for (size_t i = 0; i < parts.n; i++)
        if (!platform_component_ok(parts.v[i], strlen(parts.v[i]))) {
            cleanup_free char *qp = lint_quote(parts.v[i]);
            *why = xasprintf("%s is an invalid component of %s: platform specifier component "
                             "must match \"^[A-Za-z0-9_.-]+$\": invalid argument",
                             qp, qs);
            return -1;
        }
    if (parts.n > 3) {
        *why = xasprintf("%s: cannot parse platform specifier: invalid argument", qs);
        return -1;
    }
    cleanup_free char *first = normalize_arch(parts.v[0]);
    if (!strcmp(first, "macos"))
        free(first), first = xstrdup("darwin");
    if (parts.n > 1) {
        *os = TAKE_PTR(first);
        *arch = normalize_arch(parts.v[1]);
    } else if (known(first, oses)) {
        *os = TAKE_PTR(first);
        *arch = xstrdup("amd64");
    } else if (known(first, arches)) {
        *os = xstrdup("linux");
        *arch = TAKE_PTR(first);
    } else {
        *why = xasprintf("%s: unknown operating system or architecture: invalid argument", qs);
        return -1;
    }
    return 0;
}
