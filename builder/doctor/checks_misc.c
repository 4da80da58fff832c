/* checks_misc.c - root-owned files under the user's home, secrets-looking
 * ENV/LABEL names (BuildKit's SecretsUsedInArgOrEnv word rule, applied to
 * the final config) and values (well-known token shapes), and build args
 * whose dev-looking defaults (localhost, 127.0.0.1) ended up in files the
 * final stage wrote. */
#include <ctype.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <unistd.h>

#include "../dockerfile/checks.h"
#include "doctor_internal.h"
#include "../../base/cleanup.h"
#include "../../base/fsutil.h"
#include "../../base/xalloc.h"
#include "../../base/banned.h"

#define OWNED_WALK_MAX 200000
#define SCAN_FILE_MAX ((size_t)32 << 20)

/* ---------------------------------------------------------------- ownership */

struct owned {
    const struct doc_user *user;
    bool blocking_only;
    struct cb_strv *paths;
    size_t max;
    size_t total;
};

/* Root-owned and in the user's way: a directory it cannot write into, or a
 * file it cannot read. */
static bool blocking(const struct doc_user *u, const struct bld_rootfs_stat *st)
{
    if (S_ISDIR(st->mode))
        return !doc_can_write(u, st);
    if (S_ISREG(st->mode))
        return !(st->mode & (u->gid == st->gid ? 0040 : 0004));
    return false;
}

static int owned_fn(void *userdata, const char *path, const struct bld_rootfs_stat *st,
                    struct cb_err **err)
{
    struct owned *o = userdata;
    if (st->uid != 0 || S_ISLNK(st->mode) || (o->blocking_only && !blocking(o->user, st)))
        return 0;
    if (o->total++ < o->max)
        cb_strv_push(o->paths, path);
    return 0;
}

int doc_root_owned(struct doc_facts *f, bool blocking_only, size_t max, struct cb_strv *paths,
                   size_t *total, struct cb_err **err)
{
    struct owned o = {&f->user, blocking_only, paths, max, 0};
    cleanup_err struct cb_err *e = NULL;
    struct bld_rootfs_stat st;

    *total = 0;
    if (!f->user.user_known || f->user.uid == 0 || !strcmp(f->home, "/") ||
        bld_rootfs_stat(f->fs, f->home, true, &st, NULL, &e) < 0 || !S_ISDIR(st.mode))
        return 0;
    if (st.uid == 0 && (!blocking_only || blocking(&f->user, &st))) {
        o.total++;
        cb_strv_push(paths, f->home);
    }
    if (bld_rootfs_walk(f->fs, f->home, OWNED_WALK_MAX, owned_fn, &o, err) < 0)
        return cb_err_rc(err);
    *total = o.total;
    return 0;
}

int doc_check_ownership(struct doc_facts *f, struct bld_findings *out, struct cb_err **err)
{
    cleanup_strv_s struct cb_strv paths = CB_STRV_INIT;
    cleanup_free char *list = NULL, *fix = NULL;
    struct bld_finding *x;
    size_t total;

    if (doc_root_owned(f, true, 10, &paths, &total, err) < 0)
        return cb_err_rc(err);
    if (!total)
        return 0;
    list = doc_join(&paths, 10);
    fix = xasprintf("COPY --chown=%u:%u into the home, or RUN chown -R %u:%u %s (or cbuild "
                    "build --fixup=ownership)",
                    (unsigned)f->user.uid, (unsigned)f->user.gid, (unsigned)f->user.uid,
                    (unsigned)f->user.gid, f->home);
    x = bld_findings_add(out, "home-owned-by-root", BLD_SEV_WARN, fix,
                         "%zu path%s under HOME '%s' %s owned by root and not %s by user '%s'",
                         total, total == 1 ? "" : "s", f->home, total == 1 ? "is" : "are",
                         "writable (dirs) or readable (files)", f->user.spec);
    oci_map_set(&x->evidence, "paths", list);
    oci_map_set(&x->evidence, "home", f->home);
    return 0;
}

/* ---------------------------------------------------------------- secrets */

/* BuildKit's SecretsUsedInArgOrEnv word rule, shared with `cbuild check`. */
static bool secret_name(const char *key)
{
    return bld_check_is_secret_name(key);
}

/* Token shapes that are secrets whatever their name. */
static const char *secret_value(const char *v)
{
    static const struct {
        const char *prefix;
        size_t min_tail;
        const char *what;
    } shapes[] = {
        {"AKIA", 16, "an AWS access key id"},  {"ghp_", 30, "a GitHub token"},
        {"github_pat_", 30, "a GitHub token"}, {"glpat-", 20, "a GitLab token"},
        {"xoxb-", 20, "a Slack token"},        {"xoxp-", 20, "a Slack token"},
        {"sk_live_", 20, "a Stripe key"},      {"npm_", 30, "an npm token"},
    };
    if (strstr(v, "-----BEGIN") && strstr(v, "PRIVATE KEY"))
        return "a private key";
    for (size_t i = 0; i < sizeof(shapes) / sizeof(shapes[0]); i++) {
        size_t n = strlen(shapes[i].prefix), tail = 0;
        if (strncmp(v, shapes[i].prefix, n))
            continue;
        while (isalnum((unsigned char)v[n + tail]) || v[n + tail] == '_')
            tail++;
        if (tail >= shapes[i].min_tail && !v[n + tail])
            return shapes[i].what;
    }
    return NULL;
}

static void check_pair(const char *kind, const char *key, const char *value,
                       struct bld_findings *out)
{
    const char *what = secret_value(value);
    cleanup_free char *id = xasprintf("secret-in-%s", kind);
    struct bld_finding *x;

    if (!secret_name(key) && !what)
        return;
    x = bld_findings_add(out, id, BLD_SEV_WARN,
                         "pass secrets at run time or with RUN --mount=type=secret; never bake "
                         "them into ENV/LABEL",
                         what ? "%s '%s' holds what looks like %s"
                              : "%s '%s' looks like a secret (SecretsUsedInArgOrEnv)%s",
                         !strcmp(kind, "env") ? "ENV" : "LABEL", key, what ? what : "");
    oci_map_set(&x->evidence, "name", key);
}

int doc_check_secrets(struct doc_facts *f, struct bld_findings *out, struct cb_err **err)
{
    const struct oci_run_config *c = &f->img->config;

    for (size_t i = 0; i < c->env.n; i++) {
        const char *eq = strchr(c->env.v[i], '=');
        cleanup_free char *key = xstrndup(c->env.v[i], eq ? (size_t)(eq - c->env.v[i]) : 0);
        if (eq)
            check_pair("env", key, eq + 1, out);
    }
    for (size_t i = 0; i < c->labels.n; i++)
        check_pair("label", c->labels.v[i].key, c->labels.v[i].value, out);
    return 0;
}

/* ---------------------------------------------------------------- build args */

struct scan {
    const struct bld_doctor_arg *args[32];
    struct cb_strv hits[32];
    size_t n;
};

static bool dev_value(const char *v)
{
    return v && (strstr(v, "localhost") || strstr(v, "127.0.0.1") || strstr(v, "0.0.0.0") ||
                 strstr(v, "[::1]"));
}

static int scan_file(void *userdata, const char *path, const void *data, size_t len,
                     struct cb_err **err)
{
    struct scan *s = userdata;

    (void)err;
    if (memchr(data, 0, len < 8000 ? len : 8000))
        return 0; /* binary */
    for (size_t i = 0; i < s->n; i++)
        if (memmem(data, len, s->args[i]->default_value, strlen(s->args[i]->default_value)) &&
            cb_strv_find(&s->hits[i], path) < 0)
            cb_strv_push(&s->hits[i], path);
    return 0;
}

int doc_check_args(struct doc_facts *f, const struct bld_doctor_opts *o, struct bld_findings *out,
                   struct cb_err **err)
{
    struct scan s = {.n = 0};
    int r = 0;

    for (size_t i = 0; i < o->n_args && s.n < 32; i++)
        if (!o->args[i].overridden && dev_value(o->args[i].default_value)) {
            cb_strv_init(&s.hits[s.n]);
            s.args[s.n++] = &o->args[i];
        }
    for (size_t i = 0; s.n && r >= 0 && i < o->n_stage_layers; i++)
        r = bld_rootfs_layer_files(f->fs, o->stage_layers[i], SCAN_FILE_MAX, scan_file, &s, err);
    for (size_t i = 0; i < s.n; i++) {
        cleanup_free char *files = doc_join(&s.hits[i], 10), *fix = NULL;
        struct bld_finding *x;
        if (r >= 0 && s.hits[i].n) {
            fix = xasprintf("pass the production value: --build-arg %s=..., or read it at run "
                            "time instead of baking it in",
                            s.args[i]->name);
            x = bld_findings_add(out, "build-arg-default-baked", BLD_SEV_WARN, fix,
                                 "build arg '%s' kept its default '%s', which is baked into %zu "
                                 "file%s of the final stage",
                                 s.args[i]->name, s.args[i]->default_value, s.hits[i].n,
                                 s.hits[i].n == 1 ? "" : "s");
            oci_map_set(&x->evidence, "arg", s.args[i]->name);
            oci_map_set(&x->evidence, "default", s.args[i]->default_value);
            oci_map_set(&x->evidence, "files", files);
        }
        cb_strv_release(&s.hits[i]);
    }
    return r < 0 ? cb_wrap(err, "scan the final stage's files") : 0;
}
