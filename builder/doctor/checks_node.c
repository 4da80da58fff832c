/* checks_node.c - Node start commands: npm's cache dir (npm_config_cache,
 * else HOME/.npm) must be creatable by the user, `npm start`'s program must
 * be installed, and a Next.js app with next.config.ts needs typescript at
 * runtime (a production-only install drops it: it is a devDependency). */
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "doctor_internal.h"
#include "../../base/cleanup.h"
#include "../../base/xalloc.h"
#include "../../base/banned.h"

static bool name_in(const char *name, const char *const *list)
{
    for (; *list; list++)
        if (!strcmp(name, *list))
            return true;
    return false;
}

static const char *prog_base(const struct doc_facts *f)
{
    return f->program ? doc_basename(f->program) : "";
}

bool doc_program_writes_cwd(const struct doc_facts *f)
{
    return name_in(prog_base(f), (const char *const[]){"npm", "npx", "yarn", "pnpm", "next", NULL});
}

bool doc_uses_npm(struct doc_facts *f)
{
    cleanup_free char *npm = NULL;
    if (name_in(prog_base(f), (const char *const[]){"npm", "npx", NULL}))
        return true;
    if (!name_in(prog_base(f), (const char *const[]){"node", "next", "yarn", "pnpm", NULL}))
        return false;
    npm = doc_which(f->fs, f->path, "npm");
    return npm != NULL;
}

char *doc_npm_cache(struct doc_facts *f)
{
    const char *c = doc_env_peek(f->img, "npm_config_cache");
    if (!c)
        c = doc_env_peek(f->img, "NPM_CONFIG_CACHE");
    if (c && *c)
        return xstrdup(c);
    return xasprintf("%s/.npm", strcmp(f->home, "/") ? f->home : "");
}

/* The nearest existing ancestor of path (path itself included). */
static char *nearest(struct bld_rootfs *fs, const char *path, struct bld_rootfs_stat *st)
{
    char *p = xstrdup(path);
    for (;;) {
        cleanup_err struct cb_err *e = NULL;
        char *slash;
        if (bld_rootfs_stat(fs, *p ? p : "/", true, st, NULL, &e) == 0)
            return p;
        slash = strrchr(p, '/');
        if (!slash) {
            free(p);
            return xstrdup("/");
        }
        *slash = 0;
    }
}

static void check_npm_cache(struct doc_facts *f, struct bld_findings *out)
{
    cleanup_free char *cache = doc_npm_cache(f), *at = NULL, *owner = NULL, *fix = NULL;
    struct bld_rootfs_stat st;
    struct bld_finding *x;

    at = nearest(f->fs, cache, &st);
    if (S_ISDIR(st.mode) && doc_can_write(&f->user, &st))
        return;
    fix = xasprintf("create HOME '%s' owned by the user (cbuild build --fixup=home), or set "
                    "ENV npm_config_cache=/tmp/.npm",
                    f->home);
    x = bld_findings_add(out, "npm-cache-not-writable", BLD_SEV_ERROR, fix,
                         "npm cannot create its cache '%s' as user '%s' ('%s' is not a "
                         "writable directory)",
                         cache, f->user.spec, *at ? at : "/");
    owner =
        xasprintf("%u:%u %04o", (unsigned)st.uid, (unsigned)st.gid, (unsigned)(st.mode & 07777));
    oci_map_set(&x->evidence, "cache", cache);
    oci_map_set(&x->evidence, "blocked_at", *at ? at : "/");
    oci_map_set(&x->evidence, "blocked_at_owner_mode", owner);
    oci_map_set(&x->evidence, "HOME", f->home);
}

/* Whether a word of the command line (or of its sh -c script) is w. */
static bool has_word(const struct doc_facts *f, const char *w)
{
    for (size_t i = 0; i < f->argv.n; i++)
        if (!strcmp(doc_basename(f->argv.v[i]), w))
            return true;
    if (f->script)
        for (const char *p = f->script; *p;) {
            size_t n = strcspn(p, " \t\n;&|");
            cleanup_free char *word = xstrndup(p, n);
            if (!strcmp(doc_basename(word), w))
                return true;
            p += n;
            p += strspn(p, " \t\n;&|");
        }
    return false;
}

/* package.json's start script's program, for `npm start` and friends. */
static char *start_script_program(struct doc_facts *f)
{
    cleanup_free char *pj = xasprintf("%s/package.json", f->workdir);
    cleanup_buf struct cb_buf b = {0};
    cleanup_err struct cb_err *e = NULL;
    cleanup_free char *script = NULL;
    const char *p;

    if (!name_in(prog_base(f), (const char *const[]){"npm", "yarn", "pnpm", NULL}) ||
        !has_word(f, "start"))
        return NULL;
    cb_buf_init(&b, (size_t)4 << 20);
    if (bld_rootfs_read(f->fs, pj, 0, &b, &e) < 0 ||
        !(script = doc_pkg_start_script(b.data, b.len)))
        return NULL;
    p = script + strspn(script, " \t");
    return xstrndup(p, strcspn(p, " \t;&|"));
}

static void check_start_script(struct doc_facts *f, const char *prog, struct bld_findings *out)
{
    cleanup_free char *bin = xasprintf("%s/node_modules/.bin/%s", f->workdir, prog);
    cleanup_free char *which = NULL, *fix = NULL;
    struct bld_finding *x;

    if (!*prog || strchr(prog, '/') || strchr(prog, '=') || bld_rootfs_exists(f->fs, bin) ||
        (which = doc_which(f->fs, f->path, prog)) ||
        name_in(prog, (const char *const[]){"node", "npm", "npx", "cd", "exec", NULL}))
        return;
    fix = xasprintf("install '%s' as a production dependency (move it from devDependencies to "
                    "dependencies) or do not prune it",
                    prog);
    x = bld_findings_add(out, "node-module-missing", BLD_SEV_ERROR, fix,
                         "the start script runs '%s' but '%s' is missing", prog, bin);
    oci_map_set(&x->evidence, "program", prog);
    oci_map_set(&x->evidence, "expected", bin);
}

static void check_next_ts(struct doc_facts *f, struct bld_findings *out)
{
    static const char *const configs[] = {"next.config.ts", "next.config.mts", NULL};
    cleanup_free char *mod = xasprintf("%s/node_modules/typescript", f->workdir);

    for (const char *const *c = configs; *c; c++) {
        cleanup_free char *cfg = xasprintf("%s/%s", f->workdir, *c);
        struct bld_finding *x;
        if (!bld_rootfs_exists(f->fs, cfg) || bld_rootfs_exists(f->fs, mod))
            continue;
        x = bld_findings_add(out, "node-module-missing", BLD_SEV_ERROR,
                             "install typescript as a production dependency (move it to "
                             "\"dependencies\"), or write the config as next.config.mjs",
                             "'next' loads '%s', which needs 'typescript', but '%s' is missing",
                             cfg, mod);
        oci_map_set(&x->evidence, "config", cfg);
        oci_map_set(&x->evidence, "module", "typescript");
        oci_map_set(&x->evidence, "expected", mod);
        return;
    }
}

int doc_check_node(struct doc_facts *f, struct bld_findings *out, struct cb_err **err)
{
    cleanup_free char *start = NULL;

    if (!f->user.user_known || !f->argv.n)
        return 0;
    if (doc_uses_npm(f))
        check_npm_cache(f, out);
    start = start_script_program(f);
    if (start)
        check_start_script(f, start, out);
    if (!strcmp(prog_base(f), "next") || (start && !strcmp(doc_basename(start), "next")) ||
        (name_in(prog_base(f), (const char *const[]){"node", "npx", NULL}) && has_word(f, "next")))
        check_next_ts(f, out);
    return 0;
}
