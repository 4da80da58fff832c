/* checks_basic.c - the checks every image gets: the USER exists, its HOME
 * is a writable directory, the WORKDIR is writable when the start program
 * writes there, and the ENTRYPOINT/CMD program resolves on the image's
 * PATH, is executable by the user and has its #! interpreter. */
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "doctor_internal.h"
#include "../../base/cleanup.h"
#include "../../base/xalloc.h"
#include "../../base/banned.h"

static void add_owner(struct bld_finding *x, const struct bld_rootfs_stat *st)
{
    cleanup_free char *owner = xasprintf("%u:%u", (unsigned)st->uid, (unsigned)st->gid);
    cleanup_free char *mode = xasprintf("%04o", (unsigned)(st->mode & 07777));
    oci_map_set(&x->evidence, "owner", owner);
    oci_map_set(&x->evidence, "mode", mode);
}

static void add_user(struct bld_finding *x, const struct doc_user *u)
{
    cleanup_free char *ids = xasprintf("%u:%u", (unsigned)u->uid, (unsigned)u->gid);
    oci_map_set(&x->evidence, "user", *u->spec ? u->spec : "root");
    oci_map_set(&x->evidence, "uid:gid", ids);
}

static int check_home(struct doc_facts *f, struct bld_findings *out)
{
    const char *src = f->home_from_env ? "ENV HOME" : f->user.passwd_home ? "/etc/passwd" : "none";
    cleanup_free char *fix = xasprintf(
        "create the home owned by the user and set it: RUN mkdir -p %s && chown %u:%u %s, "
        "ENV HOME=%s (or cbuild build --fixup=home)",
        strcmp(f->home, "/") ? f->home : "/home/USER", (unsigned)f->user.uid, (unsigned)f->user.gid,
        strcmp(f->home, "/") ? f->home : "/home/USER",
        strcmp(f->home, "/") ? f->home : "/home/USER");
    cleanup_err struct cb_err *e = NULL;
    struct bld_rootfs_stat st;
    struct bld_finding *x;

    /* root bypasses permissions; a numeric USER without a passwd entry or
     * ENV HOME has no home to check (the npm check still looks at "/") */
    if (f->user.uid == 0 || (!f->home_from_env && !f->user.passwd_home))
        return 0;
    if (bld_rootfs_stat(f->fs, f->home, true, &st, NULL, &e) < 0)
        /* Debian's marker for a user that deliberately has no home */
        x = bld_findings_add(out, "home-missing",
                             strcmp(f->home, "/nonexistent") ? BLD_SEV_ERROR : BLD_SEV_WARN, fix,
                             "HOME '%s' of user '%s' does not exist", f->home, f->user.spec);
    else if (!S_ISDIR(st.mode))
        x = bld_findings_add(out, "home-not-directory", BLD_SEV_ERROR, fix,
                             "HOME '%s' of user '%s' is not a directory", f->home, f->user.spec);
    else if (!doc_can_write(&f->user, &st))
        x = bld_findings_add(out, "home-not-writable", BLD_SEV_ERROR, fix,
                             "HOME '%s' is not writable by user '%s'", f->home, f->user.spec);
    else
        return 0;
    oci_map_set(&x->evidence, "home", f->home);
    oci_map_set(&x->evidence, "home_source", src);
    add_user(x, &f->user);
    if (!e)
        add_owner(x, &st);
    return 0;
}

static void check_workdir(struct doc_facts *f, struct bld_findings *out)
{
    cleanup_err struct cb_err *e = NULL;
    struct bld_rootfs_stat st;
    struct bld_finding *x;

    if (!doc_program_writes_cwd(f))
        return;
    if (bld_rootfs_stat(f->fs, f->workdir, true, &st, NULL, &e) < 0)
        x = bld_findings_add(out, "workdir-missing", BLD_SEV_WARN,
                             "create it in the Dockerfile (WORKDIR creates it) owned by the user",
                             "WORKDIR '%s' does not exist and '%s' writes into it", f->workdir,
                             f->program);
    else if (!doc_can_write(&f->user, &st))
        x = bld_findings_add(out, "workdir-not-writable", BLD_SEV_WARN,
                             "chown the working directory to the user (COPY --chown, or RUN "
                             "chown) or point the program's cache/output elsewhere",
                             "WORKDIR '%s' is not writable by user '%s' and '%s' writes into it",
                             f->workdir, f->user.spec, f->program);
    else
        return;
    oci_map_set(&x->evidence, "workdir", f->workdir);
    add_user(x, &f->user);
    if (!e)
        add_owner(x, &st);
}

int doc_check_user(struct doc_facts *f, struct bld_findings *out, struct cb_err **err)
{
    struct bld_finding *x;

    if (!f->user.user_known) {
        x = bld_findings_add(
            out, "user-unknown", BLD_SEV_ERROR,
            "create the user before USER (RUN adduser -D NAME, or useradd -m NAME) or use a "
            "numeric USER uid:gid",
            "USER '%s' is not in the image's /etc/passwd", f->user.spec);
        oci_map_set(&x->evidence, "user", f->user.spec);
        return 0;
    }
    if (!f->user.group_known) {
        x = bld_findings_add(out, "group-unknown", BLD_SEV_ERROR,
                             "create the group (RUN addgroup NAME) or use a numeric gid",
                             "group '%s' of USER '%s' is not in the image's /etc/group",
                             f->user.group, f->user.spec);
        oci_map_set(&x->evidence, "group", f->user.group);
        return 0;
    }
    check_home(f, out);
    check_workdir(f, out);
    return 0;
}

/* ---------------------------------------------------------------- program */

/* Where a program missing from PATH does exist: a .local/bin tree or the
 * working directory's node_modules/.bin; allocated, or NULL. */
static char *found_elsewhere(struct doc_facts *f, const char *name)
{
    for (size_t i = 0; i < f->n_trees; i++)
        if (cb_strv_find(&f->trees[i].scripts, name) >= 0)
            return xasprintf("%s/bin", f->trees[i].base);
    for (const char *const *d = (const char *const[]){"node_modules/.bin", NULL}; *d; d++) {
        cleanup_free char *dir = xasprintf("%s/%s", strcmp(f->workdir, "/") ? f->workdir : "", *d);
        cleanup_free char *p = xasprintf("%s/%s", dir, name);
        if (bld_rootfs_exists(f->fs, p))
            return TAKE_PTR(dir);
    }
    return NULL;
}

static void not_found(struct doc_facts *f, const char *name, struct bld_findings *out)
{
    cleanup_free char *where = strchr(name, '/') ? NULL : found_elsewhere(f, name);
    cleanup_free char *fix =
        where ? xasprintf("ENV PATH=%s:$PATH (or cbuild build --fixup=path)", where)
              : xstrdup("install the program in the final stage or fix the ENTRYPOINT/CMD path");
    struct bld_finding *x;

    if (strchr(name, '/'))
        x = bld_findings_add(out, "cmd-not-found", BLD_SEV_ERROR, fix,
                             "the start program '%s' does not exist in the image", name);
    else
        x = bld_findings_add(out, "cmd-not-found", BLD_SEV_ERROR, fix,
                             "the start program '%s' is not on the image's PATH", name);
    oci_map_set(&x->evidence, "program", name);
    oci_map_set(&x->evidence, "PATH", f->path);
    if (where)
        oci_map_set(&x->evidence, "found_in", where);
}

/* The #! line's interpreter must exist (and, for "env NAME", NAME on PATH). */
static void check_shebang(struct doc_facts *f, const char *path, struct bld_findings *out)
{
    cleanup_buf struct cb_buf head = {0};
    cleanup_err struct cb_err *e = NULL;
    cleanup_free char *interp = NULL, *arg = NULL, *which = NULL;
    const char *p, *missing = NULL;
    struct bld_finding *x;
    size_t n;

    cb_buf_init(&head, 4096);
    if (bld_rootfs_read(f->fs, path, 256, &head, &e) < 0 || head.len < 3 ||
        strncmp(head.data, "#!", 2))
        return;
    p = head.data + 2 + strspn(head.data + 2, " \t");
    n = strcspn(p, " \t\r\n");
    interp = xstrndup(p, n);
    p += n;
    p += strspn(p, " \t");
    arg = xstrndup(p, strcspn(p, " \t\r\n"));
    if (!*interp)
        return;
    if (!bld_rootfs_exists(f->fs, interp))
        missing = interp;
    else if (!strcmp(doc_basename(interp), "env") && *arg && arg[0] != '-' &&
             !(which = doc_which(f->fs, f->path, arg)))
        missing = arg;
    if (!missing)
        return;
    x = bld_findings_add(out, "cmd-interpreter-missing", BLD_SEV_ERROR,
                         "install the interpreter in the final stage, or fix the script's #! "
                         "line (pip/npm write the build stage's interpreter path there)",
                         "'%s' starts with '#!%s%s%s' but '%s' is not in the image", path, interp,
                         *arg ? " " : "", arg, missing);
    oci_map_set(&x->evidence, "program", path);
    oci_map_set(&x->evidence, "interpreter", missing);
}

static void check_one(struct doc_facts *f, const char *name, const char *resolved,
                      struct bld_findings *out)
{
    cleanup_err struct cb_err *e = NULL;
    struct bld_rootfs_stat st;
    struct bld_finding *x;

    if (!resolved || bld_rootfs_stat(f->fs, resolved, true, &st, NULL, &e) < 0) {
        not_found(f, name, out);
        return;
    }
    if (!S_ISREG(st.mode) || !doc_can_exec(&f->user, &st)) {
        x = bld_findings_add(out, "cmd-not-executable", BLD_SEV_ERROR,
                             "make it executable for the user: RUN chmod 0755 FILE",
                             "the start program '%s' is not executable by user '%s'", resolved,
                             *f->user.spec ? f->user.spec : "root");
        oci_map_set(&x->evidence, "program", resolved);
        add_owner(x, &st);
        return;
    }
    check_shebang(f, resolved, out);
}

int doc_check_program(struct doc_facts *f, struct bld_findings *out, struct cb_err **err)
{
    if (!f->argv.n || !f->user.user_known)
        return 0;
    if (f->via_shell) {
        cleanup_free char *sh =
            strchr(f->argv.v[0], '/')
                ? (bld_rootfs_exists(f->fs, f->argv.v[0]) ? xstrdup(f->argv.v[0]) : NULL)
                : doc_which(f->fs, f->path, f->argv.v[0]);
        check_one(f, f->argv.v[0], sh, out);
        if (!sh)
            return 0;
    }
    check_one(f, f->program, f->program_path, out);
    return 0;
}
