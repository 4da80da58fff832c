/* checks_python.c - Python user-base trees: every DIR/.local holding
 * lib/pythonX.Y/site-packages (under /root, /home/NAME, HOME, PYTHONUSERBASE)
 * is found, with its importable top-level names and console scripts.  A
 * tree that is not the runtime user's effective user base (PYTHONUSERBASE,
 * else HOME/.local: python's site.py rule) makes its modules unimportable;
 * console scripts in a tree's bin/ need that dir on PATH. */
#include <ctype.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "doctor_internal.h"
#include "../../base/cleanup.h"
#include "../../base/xalloc.h"
#include "../../base/banned.h"

static bool ends_with(const char *s, const char *suffix)
{
    size_t n = strlen(s), m = strlen(suffix);
    return n >= m && !strcmp(s + n - m, suffix);
}

/* A name python can import: letters, digits and '_', not starting with a
 * digit. */
static bool is_identifier(const char *n)
{
    if (!*n || isdigit((unsigned char)*n))
        return false;
    for (; *n; n++)
        if (!isalnum((unsigned char)*n) && *n != '_')
            return false;
    return true;
}

/* Top-level importable names of a site-packages dir, and its dists. */
static void scan_site(struct bld_rootfs *fs, struct doc_pytree *t)
{
    cleanup_strv_s struct cb_strv names = CB_STRV_INIT;
    cleanup_err struct cb_err *e = NULL;

    if (bld_rootfs_list(fs, t->site, &names, &e) < 0)
        return;
    for (size_t i = 0; i < names.n; i++) {
        const char *n = names.v[i];
        cleanup_free char *p = xasprintf("%s/%s", t->site, n);
        struct bld_rootfs_stat st;
        cleanup_err struct cb_err *e2 = NULL;
        if (ends_with(n, ".dist-info") || ends_with(n, ".egg-info"))
            cb_strv_push(&t->dists, n);
        else if (n[0] == '_' && n[1] == '_')
            continue; /* __pycache__ */
        else if (ends_with(n, ".py"))
            cb_strv_push_take(&t->modules, xstrndup(n, strlen(n) - 3));
        else if (ends_with(n, ".so"))
            cb_strv_push_take(&t->modules, xstrndup(n, strcspn(n, ".")));
        else if (is_identifier(n) && bld_rootfs_stat(fs, p, true, &st, NULL, &e2) == 0 &&
                 S_ISDIR(st.mode))
            cb_strv_push(&t->modules, n);
    }
}

static void add_tree(struct doc_facts *f, const char *base)
{
    cleanup_free char *resolved = NULL, *lib = NULL, *bin = NULL;
    cleanup_strv_s struct cb_strv libs = CB_STRV_INIT;
    cleanup_err struct cb_err *e = NULL;
    struct bld_rootfs_stat st;

    if (bld_rootfs_stat(f->fs, base, true, &st, &resolved, &e) < 0 || !S_ISDIR(st.mode))
        return;
    for (size_t i = 0; i < f->n_trees; i++)
        if (!strcmp(f->trees[i].base, resolved))
            return;
    lib = xasprintf("%s/lib", resolved);
    if (bld_rootfs_list(f->fs, lib, &libs, &e) < 0)
        return;
    for (size_t i = 0; i < libs.n; i++) {
        cleanup_free char *site = xasprintf("%s/%s/site-packages", lib, libs.v[i]);
        struct doc_pytree *t;
        if (strncmp(libs.v[i], "python", 6) || !bld_rootfs_exists(f->fs, site))
            continue;
        f->trees = xreallocarray(f->trees, f->n_trees + 1, sizeof(*f->trees));
        t = &f->trees[f->n_trees++];
        memset(t, 0, sizeof(*t));
        t->base = xstrdup(resolved);
        t->site = TAKE_PTR(site);
        t->uid = st.uid;
        scan_site(f->fs, t);
        bin = xasprintf("%s/bin", resolved);
        bld_rootfs_list(f->fs, bin, &t->scripts, &e);
        cb_err_free(e);
        e = NULL;
        return; /* one site-packages per tree: the first python version */
    }
}

int doc_gather_trees(struct doc_facts *f, struct cb_err **err)
{
    cleanup_strv_s struct cb_strv homes = CB_STRV_INIT;
    cleanup_err struct cb_err *e = NULL;
    const char *ub = doc_env_peek(f->img, "PYTHONUSERBASE");

    if (ub && *ub)
        add_tree(f, ub);
    cb_strv_pushf(&homes, "%s/.local", strcmp(f->home, "/") ? f->home : "");
    if (f->user.passwd_home)
        cb_strv_pushf(&homes, "%s/.local", f->user.passwd_home);
    cb_strv_push(&homes, "/root/.local");
    if (bld_rootfs_list(f->fs, "/home", &homes, &e) == 0)
        for (size_t i = 0; i < homes.n; i++)
            if (homes.v[i][0] != '/') {
                char *p = xasprintf("/home/%s/.local", homes.v[i]);
                free(homes.v[i]);
                homes.v[i] = p;
            }
    for (size_t i = 0; i < homes.n; i++)
        add_tree(f, homes.v[i]);
    return 0;
}

/* The user's effective user base, resolved in the view when it exists. */
static char *user_base(struct doc_facts *f)
{
    const char *ub = doc_env_peek(f->img, "PYTHONUSERBASE");
    cleanup_free char *want =
        ub && *ub ? xstrdup(ub) : xasprintf("%s/.local", strcmp(f->home, "/") ? f->home : "");
    cleanup_err struct cb_err *e = NULL;
    char *resolved = NULL;

    if (bld_rootfs_stat(f->fs, want, true, NULL, &resolved, &e) == 0)
        return resolved;
    return TAKE_PTR(want);
}

static bool on_pythonpath(struct doc_facts *f, const char *site)
{
    const char *pp = doc_env_peek(f->img, "PYTHONPATH");
    return pp && doc_path_has(pp, site);
}

static void check_tree(struct doc_facts *f, const struct doc_pytree *t, const char *ub,
                       struct bld_findings *out)
{
    cleanup_free char *bin = xasprintf("%s/bin", t->base);
    cleanup_free char *fix = NULL, *mods = NULL, *scripts = NULL;
    bool bin_on_path = doc_path_has(f->path, bin);
    struct bld_finding *x;

    if (strcmp(t->base, ub) && !on_pythonpath(f, t->site) && (t->modules.n || t->dists.n)) {
        fix = xasprintf("ENV PYTHONUSERBASE=%s%s%s%s (or cbuild build --fixup=userbase)", t->base,
                        bin_on_path ? "" : " PATH=", bin_on_path ? "" : bin,
                        bin_on_path ? "" : ":$PATH");
        mods = doc_join(&t->modules, 20);
        x = bld_findings_add(out, "python-user-site", BLD_SEV_ERROR, fix,
                             "python packages in '%s' are not importable by user '%s': its user "
                             "base is '%s'",
                             t->site, *f->user.spec ? f->user.spec : "root", ub);
        oci_map_set(&x->evidence, "modules", mods);
        free(mods);
        mods = doc_join(&t->dists, 20);
        oci_map_set(&x->evidence, "distributions", mods);
        oci_map_set(&x->evidence, "site_packages", t->site);
        oci_map_set(&x->evidence, "user_base", ub);
        oci_map_set(&x->evidence, "HOME", f->home);
    }
    if (t->scripts.n && !bin_on_path) {
        bool needed = cb_strv_find(&t->scripts, f->program ? f->program : "") >= 0;
        free(fix);
        fix = xasprintf("ENV PATH=%s:$PATH (or cbuild build --fixup=path)", bin);
        scripts = doc_join(&t->scripts, 20);
        x = bld_findings_add(out, "python-scripts-not-on-path",
                             needed ? BLD_SEV_ERROR : BLD_SEV_WARN, fix,
                             "console scripts in '%s' are not on PATH", bin);
        oci_map_set(&x->evidence, "scripts", scripts);
        oci_map_set(&x->evidence, "PATH", f->path);
    }
}

int doc_check_python(struct doc_facts *f, struct bld_findings *out, struct cb_err **err)
{
    cleanup_free char *ub = NULL;

    if (!f->has_python || !f->n_trees || !f->user.user_known)
        return 0;
    ub = user_base(f);
    for (size_t i = 0; i < f->n_trees; i++)
        check_tree(f, &f->trees[i], ub, out);
    return 0;
}
