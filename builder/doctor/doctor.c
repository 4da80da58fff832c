/* doctor.c - the doctor's entry points (bld_doctor_check,
 * bld_doctor_image), the findings list and its text form, and the facts
 * every check shares: runtime user, HOME, PATH, the start program and the
 * Python user-base trees in the image. */
#include <ctype.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "doctor_internal.h"
#include "../../base/cleanup.h"
#include "../../base/xalloc.h"
#include "../../oci/store.h"
#include "../../base/banned.h"

/* ---------------------------------------------------------------- findings */

void bld_findings_init(struct bld_findings *f)
{
    memset(f, 0, sizeof(*f));
}

void bld_findings_release(struct bld_findings *f)
{
    for (size_t i = 0; i < f->n; i++) {
        free(f->v[i].id);
        free(f->v[i].message);
        free(f->v[i].fix);
        oci_map_release(&f->v[i].evidence);
    }
    free(f->v);
    bld_findings_init(f);
}

struct bld_finding *bld_findings_add(struct bld_findings *f, const char *id, enum bld_severity sev,
                                     const char *fix, const char *fmt, ...)
{
    struct bld_finding *x;
    va_list ap;

    XGROW(f->v, f->n + 1, f->alloc);
    x = &f->v[f->n++];
    memset(x, 0, sizeof(*x));
    x->id = xstrdup(id);
    x->severity = sev;
    x->fix = xstrdup(fix);
    va_start(ap, fmt);
    x->message = xvasprintf(fmt, ap);
    va_end(ap);
    oci_map_init(&x->evidence);
    return x;
}

int bld_findings_status(const struct bld_findings *f, bool strict)
{
    for (size_t i = 0; i < f->n; i++)
        if (strict || f->v[i].severity == BLD_SEV_ERROR)
            return 1;
    return 0;
}

int bld_findings_text(const struct bld_findings *f, struct cb_buf *out, struct cb_err **err)
{
    for (size_t i = 0; i < f->n; i++) {
        const struct bld_finding *x = &f->v[i];
        if (cb_buf_addf(out, err, "%s[%s]: %s\n",
                        x->severity == BLD_SEV_ERROR ? "error" : "warning", x->id, x->message) < 0)
            return cb_err_rc(err);
        for (size_t j = 0; j < x->evidence.n; j++)
            if (cb_buf_addf(out, err, "  %s: %s\n", x->evidence.v[j].key, x->evidence.v[j].value) <
                0)
                return cb_err_rc(err);
        if (cb_buf_addf(out, err, "  fix: %s\n", x->fix) < 0)
            return cb_err_rc(err);
    }
    return 0;
}

/* ---------------------------------------------------------------- helpers */

const char *doc_env_peek(const struct oci_image *img, const char *key)
{
    size_t n = strlen(key);
    const char *found = NULL;
    for (size_t i = 0; i < img->config.env.n; i++)
        if (!strncmp(img->config.env.v[i], key, n) && img->config.env.v[i][n] == '=')
            found = img->config.env.v[i] + n + 1;
    return found;
}

const char *doc_basename(const char *p)
{
    const char *s = strrchr(p, '/');
    return s ? s + 1 : p;
}

bool doc_path_has(const char *path, const char *dir)
{
    size_t n = strlen(dir);
    while (n > 1 && dir[n - 1] == '/')
        n--;
    for (const char *p = path; *p;) {
        size_t len = strcspn(p, ":");
        size_t l = len;
        while (l > 1 && p[l - 1] == '/')
            l--;
        if (l == n && !strncmp(p, dir, n))
            return true;
        p += len;
        if (*p)
            p++;
    }
    return false;
}

char *doc_which(struct bld_rootfs *fs, const char *path, const char *name)
{
    for (const char *p = path; *p;) {
        size_t len = strcspn(p, ":");
        cleanup_free char *cand = xasprintf("%.*s/%s", (int)len, p, name);
        struct bld_rootfs_stat st;
        cleanup_err struct cb_err *e = NULL;
        if (len && cand[0] == '/' && bld_rootfs_stat(fs, cand, true, &st, NULL, &e) == 0 &&
            S_ISREG(st.mode))
            return TAKE_PTR(cand);
        p += len;
        if (*p)
            p++;
    }
    return NULL;
}

char *doc_join(const struct cb_strv *v, size_t max)
{
    cleanup_buf struct cb_buf b = {0};
    cb_buf_init(&b, CB_BUF_LIMIT_DEFAULT);
    for (size_t i = 0; i < v->n && i < max; i++)
        cb_buf_addf(&b, NULL, "%s%s", i ? ", " : "", v->v[i]);
    if (v->n > max)
        cb_buf_addf(&b, NULL, ", ... (%zu more)", v->n - max);
    return cb_buf_detach(&b, NULL);
}

/* ---------------------------------------------------------------- facts */

/* Shell builtins and keywords: not programs to look up. */
static bool is_builtin(const char *w, size_t n)
{
    static const char *const names[] = {
        ".",       "[",     "{",     "(",     "!",      "break", "case", "cd",
        "command", "echo",  "eval",  "exit",  "export", "false", "for",  "if",
        "printf",  "read",  "set",   "shift", "source", "test",  "trap", "true",
        "ulimit",  "umask", "unset", "wait",  "while",  "until", ":",    NULL};
    for (const char *const *p = names; *p; p++)
        if (strlen(*p) == n && !strncmp(*p, w, n))
            return true;
    return false;
}

/* The first word of a sh -c script when it is a plain word (after "exec"
 * and VAR=value prefixes); NULL when the script starts with anything the
 * doctor cannot follow without a shell. */
static char *script_program(const char *s)
{
    for (;;) {
        size_t n;
        while (isspace((unsigned char)*s))
            s++;
        n = strcspn(s, " \t\n;&|<>()");
        if (!n || memchr(s, '$', n) || memchr(s, '`', n) || memchr(s, '"', n) ||
            memchr(s, '\'', n) || memchr(s, '\\', n))
            return NULL;
        if (n == 4 && !strncmp(s, "exec", 4)) {
            s += 4;
            continue;
        }
        if (memchr(s, '=', n) && s[n] && isspace((unsigned char)s[n])) {
            s += n;
            continue;
        }
        if (s[n] && !isspace((unsigned char)s[n]) && !strchr(";&|", s[n]))
            return NULL;
        return is_builtin(s, n) ? NULL : xstrndup(s, n);
    }
}

static bool is_shell(const char *p)
{
    const char *b = doc_basename(p);
    return !strcmp(b, "sh") || !strcmp(b, "bash") || !strcmp(b, "ash") || !strcmp(b, "dash");
}

static void gather_program(struct doc_facts *f)
{
    const struct oci_run_config *c = &f->img->config;

    for (size_t i = 0; i < c->entrypoint.n; i++)
        cb_strv_push(&f->argv, c->entrypoint.v[i]);
    for (size_t i = 0; i < c->cmd.n; i++)
        cb_strv_push(&f->argv, c->cmd.v[i]);
    if (!f->argv.n)
        return;
    if (f->argv.n >= 3 && is_shell(f->argv.v[0]) && !strcmp(f->argv.v[1], "-c")) {
        f->script = xstrdup(f->argv.v[2]);
        f->program = script_program(f->script);
        f->via_shell = f->program != NULL;
    }
    if (!f->program)
        f->program = xstrdup(f->argv.v[0]);
    if (strchr(f->program, '/')) {
        cleanup_free char *abs =
            f->program[0] == '/' ? xstrdup(f->program) : xasprintf("%s/%s", f->workdir, f->program);
        if (bld_rootfs_exists(f->fs, abs))
            f->program_path = TAKE_PTR(abs);
    } else {
        f->program_path = doc_which(f->fs, f->path, f->program);
    }
}

int doc_facts_gather(const struct oci_image *img, struct bld_rootfs *fs, struct doc_facts *f,
                     struct cb_err **err)
{
    const char *home = doc_env_peek(img, "HOME"), *path = doc_env_peek(img, "PATH");

    memset(f, 0, sizeof(*f));
    f->img = img;
    f->fs = fs;
    if (doc_user_resolve(fs, img->config.user, &f->user, err) < 0)
        return cb_wrap(err, "resolve USER");
    f->home_from_env = home && *home;
    f->home = xstrdup(f->home_from_env                              ? home
                      : f->user.passwd_home && *f->user.passwd_home ? f->user.passwd_home
                                                                    : "/");
    f->path = xstrdup(path ? path : DOC_DEFAULT_PATH);
    f->workdir = xstrdup(
        img->config.working_dir && *img->config.working_dir ? img->config.working_dir : "/");
    gather_program(f);
    f->has_python = false;
    for (const char *const *p = (const char *const[]){"python3", "python", NULL}; *p; p++) {
        cleanup_free char *w = doc_which(fs, f->path, *p);
        f->has_python |= w != NULL;
    }
    return doc_gather_trees(f, err);
}

void doc_facts_release(struct doc_facts *f)
{
    doc_user_release(&f->user);
    free(f->home);
    free(f->path);
    free(f->workdir);
    cb_strv_release(&f->argv);
    free(f->program);
    free(f->script);
    free(f->program_path);
    for (size_t i = 0; i < f->n_trees; i++) {
        free(f->trees[i].base);
        free(f->trees[i].site);
        cb_strv_release(&f->trees[i].modules);
        cb_strv_release(&f->trees[i].dists);
        cb_strv_release(&f->trees[i].scripts);
    }
    free(f->trees);
    memset(f, 0, sizeof(*f));
}

/* ---------------------------------------------------------------- entry points */

int bld_doctor_check(const struct oci_image *img, struct bld_rootfs *fs,
                     const struct bld_doctor_opts *o, struct bld_findings *out, struct cb_err **err)
{
    static const struct bld_doctor_opts none = {0};
    size_t first = out->n;
    struct doc_facts f;
    int r;

    if (doc_facts_gather(img, fs, &f, err) < 0)
        return cb_err_rc(err);
    r = doc_check_user(&f, out, err);
    if (r >= 0)
        r = doc_check_program(&f, out, err);
    if (r >= 0)
        r = doc_check_python(&f, out, err);
    if (r >= 0)
        r = doc_check_node(&f, out, err);
    if (r >= 0)
        r = doc_check_ownership(&f, out, err);
    if (r >= 0)
        r = doc_check_secrets(&f, out, err);
    if (r >= 0)
        r = doc_check_args(&f, o ? o : &none, out, err);
    if (r >= 0 && o && o->exec)
        r = doc_exec_probes(&f, o, out, first, err);
    doc_facts_release(&f);
    return r < 0 ? cb_wrap(err, "doctor") : 0;
}

int bld_doctor_image(struct oci_store *s, const char *name, const struct bld_doctor_opts *o,
                     struct bld_findings *out, struct cb_err **err)
{
    cleanup_manifest struct oci_manifest m = {0};
    cleanup_image struct oci_image img = {0};
    cleanup_rootfs struct bld_rootfs *fs = NULL;

    if (oci_store_get_image(s, name, NULL, NULL, &m, &img, err) < 0)
        return cb_err_rc(err);
    fs = bld_rootfs_open_image(s, m.layers, m.n_layers, &img, 0, err);
    if (!fs)
        return cb_wrap(err, "open '%s'", name);
    return bld_doctor_check(&img, fs, o, out, err);
}
