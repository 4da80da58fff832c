/* fixup.c - planning the fixups (see fixup.h): each one acts only when the
 * matching doctor check would fire, so a right image gets an empty plan. */
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "doctor_internal.h"
#include "fixup.h"
#include "../../base/cleanup.h"
#include "../../base/xalloc.h"
#include "../../base/banned.h"

#define OWNERSHIP_MAX 200000

static const struct {
    const char *name;
    unsigned bit;
} kinds[] = {
    {"home", BLD_FIXUP_HOME},
    {"userbase", BLD_FIXUP_USERBASE},
    {"path", BLD_FIXUP_PATH},
    {"ownership", BLD_FIXUP_OWNERSHIP},
};

int bld_fixup_parse(const char *list, unsigned *out, struct cb_err **err)
{
    *out = 0;
    for (const char *p = list; *p;) {
        size_t n = strcspn(p, ",");
        bool ok = n == 3 && !strncmp(p, "all", 3);
        if (ok)
            *out |= BLD_FIXUP_ALL;
        for (size_t i = 0; !ok && i < sizeof(kinds) / sizeof(kinds[0]); i++)
            if (strlen(kinds[i].name) == n && !strncmp(p, kinds[i].name, n)) {
                *out |= kinds[i].bit;
                ok = true;
            }
        if (!ok)
            return cb_fail(err, CB_EINVAL, 0,
                           "unknown fixup '%.*s' (expected home, userbase, path, ownership or all)",
                           (int)n, p);
        p += n;
        if (*p)
            p++;
    }
    if (!*out)
        return cb_fail(err, CB_EINVAL, 0, "no fixup named in '%s'", list);
    return 0;
}

void bld_fixup_plan_init(struct bld_fixup_plan *p)
{
    memset(p, 0, sizeof(*p));
    cb_strv_init(&p->env);
    cb_strv_init(&p->notes);
}

void bld_fixup_plan_release(struct bld_fixup_plan *p)
{
    for (size_t i = 0; i < p->n; i++)
        free(p->v[i].path);
    free(p->v);
    cb_strv_release(&p->env);
    cb_strv_release(&p->notes);
    free(p->history);
    bld_fixup_plan_init(p);
}

static void add_entry(struct bld_fixup_plan *p, const char *path, enum bld_fixup_op op, mode_t mode,
                      uid_t uid, gid_t gid)
{
    XGROW(p->v, p->n + 1, p->alloc);
    p->v[p->n++] = (struct bld_fixup_entry){xstrdup(path), op, mode, uid, gid};
}

static void set_env(struct bld_fixup_plan *p, const char *key, const char *value)
{
    size_t n = strlen(key);
    for (size_t i = 0; i < p->env.n; i++)
        if (!strncmp(p->env.v[i], key, n) && p->env.v[i][n] == '=') {
            free(p->env.v[i]);
            p->env.v[i] = xasprintf("%s=%s", key, value);
            return;
        }
    cb_strv_pushf(&p->env, "%s=%s", key, value);
}

/* ---------------------------------------------------------------- home */

static bool home_ok(struct doc_facts *f, struct bld_rootfs_stat *st, bool *exists)
{
    cleanup_err struct cb_err *e = NULL;
    *exists = bld_rootfs_stat(f->fs, f->home, true, st, NULL, &e) == 0;
    return *exists && S_ISDIR(st->mode) && doc_can_write(&f->user, st);
}

static void plan_home(struct doc_facts *f, struct bld_fixup_plan *p)
{
    struct doc_user *u = &f->user;
    cleanup_free char *cache = NULL;
    struct bld_rootfs_stat st;
    bool exists, ok = home_ok(f, &st, &exists), npm = doc_uses_npm(f);
    size_t before = p->n;

    if (!u->user_known || u->uid == 0 || !strcmp(f->home, "/") || !strcmp(f->home, "/nonexistent"))
        return; /* no home, or deliberately none: nothing to create */
    cache = xasprintf("%s/.npm", f->home);
    if (ok)
        return; /* npm creates its cache itself in a writable home */
    if (exists && !S_ISDIR(st.mode))
        return; /* a file where the home should be: not ours to remove */
    if (!exists) {
        add_entry(p, f->home, BLD_FIXUP_MKDIR, 0755, u->uid, u->gid);
        cb_strv_pushf(&p->notes, "home: created %s owned by %u:%u", f->home, (unsigned)u->uid,
                      (unsigned)u->gid);
    } else if (!ok) {
        add_entry(p, f->home, BLD_FIXUP_CHOWN, (st.mode & 07777) | 0700, u->uid, u->gid);
        cb_strv_pushf(&p->notes, "home: chown %u:%u %s", (unsigned)u->uid, (unsigned)u->gid,
                      f->home);
    }
    if (npm && !doc_env_peek(f->img, "npm_config_cache") && !bld_rootfs_exists(f->fs, cache)) {
        add_entry(p, cache, BLD_FIXUP_MKDIR, 0755, u->uid, u->gid);
        cb_strv_pushf(&p->notes, "home: created %s owned by %u:%u", cache, (unsigned)u->uid,
                      (unsigned)u->gid);
    }
    if (!f->home_from_env) {
        set_env(p, "HOME", f->home);
        cb_strv_pushf(&p->notes, "home: HOME=%s", f->home);
    }
    if (p->n > before || !f->home_from_env)
        p->changed |= BLD_FIXUP_HOME;
}

/* ---------------------------------------------------------------- userbase, path */

static bool under(const char *path, const char *dir)
{
    size_t n = strlen(dir);
    return strcmp(dir, "/") && !strncmp(path, dir, n) && path[n] == '/';
}

static void prepend_path(struct doc_facts *f, struct bld_fixup_plan *p, const char *dir,
                         const char *why)
{
    char *np;
    if (doc_path_has(f->path, dir))
        return;
    np = xasprintf("%s:%s", dir, f->path);
    free(f->path);
    f->path = np;
    set_env(p, "PATH", np);
    cb_strv_pushf(&p->notes, "%s: PATH=%s:...", why, dir);
}

static void plan_userbase(struct doc_facts *f, struct bld_fixup_plan *p)
{
    const char *ub = doc_env_peek(f->img, "PYTHONUSERBASE");
    cleanup_free char *want = ub && *ub ? xstrdup(ub) : xasprintf("%s/.local", f->home);

    if (!f->has_python || !f->user.user_known)
        return;
    for (size_t i = 0; i < f->n_trees; i++)
        if (!strcmp(f->trees[i].base, want))
            return; /* the user's packages are already where python looks */
    for (size_t i = 0; i < f->n_trees; i++) {
        const struct doc_pytree *t = &f->trees[i];
        cleanup_free char *bin = xasprintf("%s/bin", t->base);
        if (!under(t->base, f->home) &&
            !(f->user.passwd_home && under(t->base, f->user.passwd_home)) &&
            !(f->user.uid != 0 && t->uid == f->user.uid))
            continue;
        set_env(p, "PYTHONUSERBASE", t->base);
        cb_strv_pushf(&p->notes, "userbase: PYTHONUSERBASE=%s", t->base);
        if (t->scripts.n)
            prepend_path(f, p, bin, "userbase");
        p->changed |= BLD_FIXUP_USERBASE;
        return;
    }
}

static void plan_path(struct doc_facts *f, struct bld_fixup_plan *p)
{
    cleanup_free char *found = NULL, *nm = NULL, *prog = NULL;

    if (!f->program || strchr(f->program, '/') || (found = doc_which(f->fs, f->path, f->program)))
        return;
    for (size_t i = 0; i < f->n_trees; i++)
        if (cb_strv_find(&f->trees[i].scripts, f->program) >= 0) {
            cleanup_free char *bin = xasprintf("%s/bin", f->trees[i].base);
            prepend_path(f, p, bin, "path");
            p->changed |= BLD_FIXUP_PATH;
            return;
        }
    nm = xasprintf("%s/node_modules/.bin", strcmp(f->workdir, "/") ? f->workdir : "");
    prog = xasprintf("%s/%s", nm, f->program);
    if (bld_rootfs_exists(f->fs, prog)) {
        prepend_path(f, p, nm, "path");
        p->changed |= BLD_FIXUP_PATH;
    }
}

/* ---------------------------------------------------------------- ownership */

static int plan_ownership(struct doc_facts *f, struct bld_fixup_plan *p, struct cb_err **err)
{
    cleanup_strv_s struct cb_strv paths = CB_STRV_INIT;
    size_t total;

    if (doc_root_owned(f, true, 1, &paths, &total, err) < 0)
        return cb_err_rc(err);
    if (!total)
        return 0; /* nothing in the user's way: leave the owners alone */
    cb_strv_release(&paths);
    if (doc_root_owned(f, false, OWNERSHIP_MAX, &paths, &total, err) < 0)
        return cb_err_rc(err);
    for (size_t i = 0; i < paths.n; i++) {
        struct bld_rootfs_stat st;
        if (bld_rootfs_stat(f->fs, paths.v[i], false, &st, NULL, err) < 0)
            return cb_err_rc(err);
        add_entry(p, paths.v[i], BLD_FIXUP_CHOWN, st.mode & 07777, f->user.uid, f->user.gid);
    }
    if (paths.n) {
        cb_strv_pushf(&p->notes, "ownership: chown %u:%u %zu path%s under %s",
                      (unsigned)f->user.uid, (unsigned)f->user.gid, paths.n,
                      paths.n == 1 ? "" : "s", f->home);
        p->changed |= BLD_FIXUP_OWNERSHIP;
    }
    return 0;
}

static char *history_text(const struct bld_fixup_plan *p)
{
    cleanup_free char *names = NULL, *notes = doc_join(&p->notes, p->notes.n);
    cleanup_strv_s struct cb_strv v = CB_STRV_INIT;
    for (size_t i = 0; i < sizeof(kinds) / sizeof(kinds[0]); i++)
        if (p->changed & kinds[i].bit)
            cb_strv_push(&v, kinds[i].name);
    names = doc_join(&v, v.n);
    return xasprintf("cbuild fixup: %s (%s)", names, notes);
}

int bld_fixup_plan(const struct oci_image *img, struct bld_rootfs *fs, unsigned which,
                   struct bld_fixup_plan *out, struct cb_err **err)
{
    struct doc_facts f;
    int r = 0;

    if (doc_facts_gather(img, fs, &f, err) < 0)
        return cb_wrap(err, "plan fixups");
    if (which & BLD_FIXUP_HOME)
        plan_home(&f, out);
    if (which & BLD_FIXUP_USERBASE)
        plan_userbase(&f, out);
    if (which & BLD_FIXUP_PATH)
        plan_path(&f, out);
    if (which & BLD_FIXUP_OWNERSHIP)
        r = plan_ownership(&f, out, err);
    doc_facts_release(&f);
    if (r < 0)
        return cb_wrap(err, "plan fixups");
    if (out->changed)
        out->history = history_text(out);
    return 0;
}
