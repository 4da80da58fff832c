/* copy.c - COPY/ADD: selecting sources under a root, copying them into a
 * rootfs without ever leaving it, --chown and --chmod. */
#include <dirent.h>
#include <limits.h>
#include <errno.h>
#include <fcntl.h>
#include <fnmatch.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "copy.h"
#include "../base/cleanup.h"
#include "../base/fsutil.h"
#include "../base/xalloc.h"
#include "../base/banned.h"

bool bld_copy_has_wildcard(const char *s)
{
    return strpbrk(s, "*?[\\") != NULL;
}

/* ---------------------------------------------------------------- select */

/* Lexically clean a relative path: no leading "/", no "." or empty parts,
 * ".." removed against what precedes it (never above the root). */
static char *clean_rel(const char *p)
{
    struct cb_strv parts = CB_STRV_INIT;
    cleanup_free char *copy = xstrdup(p);
    char *save = NULL;
    struct cb_buf b;

    for (char *t = strtok_r(copy, "/", &save); t; t = strtok_r(NULL, "/", &save)) {
        if (!strcmp(t, "."))
            continue;
        if (!strcmp(t, "..")) {
            if (parts.n) {
                free(parts.v[--parts.n]);
                parts.v[parts.n] = NULL;
            }
            continue;
        }
        cb_strv_push(&parts, t);
    }
    cb_buf_init(&b, CB_BUF_LIMIT_DEFAULT);
    for (size_t i = 0; i < parts.n; i++)
        cb_buf_addf(&b, NULL, "%s%s", i ? "/" : "", parts.v[i]);
    cb_strv_release(&parts);
    return cb_buf_detach(&b, NULL);
}

/* Follow rel component by component under root; symlinks are resolved
 * inside root.  In a rootfs (BLD_COPY_ROOTFS) that is what they mean: an
 * absolute target starts at root and ".." stops there; elsewhere a target
 * outside root is an error.  *out gets the resolved relative path ("" for
 * the root itself). */
static int resolve_in_root(const char *root, const char *rel, const char *what, unsigned flags,
                           char **out, struct cb_err **err)
{
    cleanup_free char *cur = xstrdup("");
    cleanup_free char *rest = clean_rel(rel);
    int hops = 0;

    while (*rest) {
        char *slash = strchr(rest, '/');
        cleanup_free char *comp = slash ? xstrndup(rest, (size_t)(slash - rest)) : xstrdup(rest);
        cleanup_free char *next = *cur ? xasprintf("%s/%s", cur, comp) : xstrdup(comp);
        cleanup_free char *host = cb_path_join(root, next);
        char *tail = xstrdup(slash ? slash + 1 : "");
        struct stat st;
        char target[PATH_MAX];
        ssize_t n;

        free(rest);
        rest = tail;
        if (lstat(host, &st) < 0 || !S_ISLNK(st.st_mode)) {
            free(cur);
            cur = TAKE_PTR(next);
            continue;
        }
        if (++hops > 40)
            return cb_fail(err, CB_EINVAL, ELOOP, "resolve '%s' in %s", rel, what);
        n = readlink(host, target, sizeof(target) - 1);
        if (n < 0)
            return cb_fail(err, CB_EIO, errno, "readlink '%s'", host);
        target[n] = '\0';
        {
            /* where the link points, relative to root, before cleaning */
            cleanup_free char *joined = target[0] == '/' ? NULL
                                        : *cur           ? xasprintf("%s/%s", cur, target)
                                                         : xstrdup(target);
            if (flags & BLD_COPY_ROOTFS) {
                /* as in the container: from root, and ".." stops there */
                free(cur);
                cur = clean_rel(joined ? joined : target);
            } else {
                int depth = 0;
                bool escapes = target[0] == '/';
                for (const char *p = joined ? joined : ""; !escapes && *p;) {
                    const char *e = strchr(p, '/');
                    size_t len = e ? (size_t)(e - p) : strlen(p);
                    if (len == 2 && !strncmp(p, "..", 2))
                        escapes = --depth < 0;
                    else if (len && !(len == 1 && *p == '.'))
                        depth++;
                    p += len + (e ? 1 : 0);
                }
                if (escapes)
                    return cb_fail(err, CB_EINVAL, 0,
                                   "'%s' is a symlink to '%s', which is outside %s; symlinks that "
                                   "leave the context are not followed: pass the directory with "
                                   "--build-context NAME=DIR and COPY --from=NAME, or copy the "
                                   "files into the context",
                                   next, target, what);
                free(cur);
                cur = clean_rel(joined);
            }
        }
        {
            char *r = *rest ? xasprintf("%s/%s", cur, rest) : xstrdup(cur);
            free(rest);
            rest = r;
            free(cur);
            cur = xstrdup("");
        }
    }
    *out = TAKE_PTR(cur);
    return 0;
}

static int glob_dir(const char *root, const char *dir, char **pats, size_t np,
                    bld_copy_skip_fn skip, void *ud, struct cb_strv *out, struct cb_err **err)
{
    cleanup_free char *host = *dir ? cb_path_join(root, dir) : xstrdup(root);
    cleanup_dir DIR *d = NULL;
    struct dirent *de;
    struct cb_strv names = CB_STRV_INIT;

    if (np == 0) {
        cb_strv_push(out, dir);
        return 0;
    }
    if (!bld_copy_has_wildcard(pats[0])) {
        cleanup_free char *next = *dir ? xasprintf("%s/%s", dir, pats[0]) : xstrdup(pats[0]);
        cleanup_free char *h = cb_path_join(root, next);
        struct stat st;
        if (lstat(h, &st) < 0 || (skip && skip(ud, next, 0, S_ISDIR(st.st_mode))))
            return 0;
        return glob_dir(root, next, pats + 1, np - 1, skip, ud, out, err);
    }
    d = opendir(host);
    if (!d)
        return errno == ENOENT || errno == ENOTDIR ? 0
                                                   : cb_fail(err, CB_EIO, errno, "open '%s'", host);
    while ((de = readdir(d)))
        if (strcmp(de->d_name, ".") && strcmp(de->d_name, "..") &&
            fnmatch(pats[0], de->d_name, FNM_PATHNAME) == 0)
            cb_strv_push(&names, de->d_name);
    for (size_t i = 0; i < names.n; i++) {
        cleanup_free char *next = *dir ? xasprintf("%s/%s", dir, names.v[i]) : xstrdup(names.v[i]);
        struct stat st;
        cleanup_free char *h = cb_path_join(root, next);
        if (lstat(h, &st) < 0 || (skip && skip(ud, next, 0, S_ISDIR(st.st_mode))))
            continue;
        if (glob_dir(root, next, pats + 1, np - 1, skip, ud, out, err) < 0) {
            cb_strv_release(&names);
            return -CB_EIO;
        }
    }
    cb_strv_release(&names);
    return 0;
}

static int cmp_str(const void *a, const void *b)
{
    return strcmp(*(char *const *)a, *(char *const *)b);
}

int bld_copy_select(const char *root, const char *pattern, bld_copy_skip_fn skip, void *userdata,
                    const char *what, unsigned flags, struct cb_strv *matches, struct cb_err **err)
{
    cleanup_free char *clean = clean_rel(pattern);
    size_t before = matches->n;

    if (!bld_copy_has_wildcard(clean)) {
        cleanup_free char *resolved = NULL;
        cleanup_free char *host = NULL;
        struct stat st;
        if (resolve_in_root(root, clean, what, flags, &resolved, err) < 0)
            return cb_err_rc(err);
        host = *resolved ? cb_path_join(root, resolved) : xstrdup(root);
        if (lstat(host, &st) < 0 ||
            (*clean && skip && skip(userdata, clean, 0, S_ISDIR(st.st_mode))))
            return cb_fail(err, CB_ENOTFOUND, 0, "\"/%s\": not found in %s", clean, what);
        cb_strv_push(matches, resolved);
        return 0;
    }
    {
        struct cb_strv pats = CB_STRV_INIT;
        cleanup_free char *copy = xstrdup(clean);
        char *save = NULL;
        int rc;
        for (char *t = strtok_r(copy, "/", &save); t; t = strtok_r(NULL, "/", &save))
            cb_strv_push(&pats, t);
        rc = glob_dir(root, "", pats.v, pats.n, skip, userdata, matches, err);
        cb_strv_release(&pats);
        if (rc < 0)
            return rc;
    }
    qsort(matches->v + before, matches->n - before, sizeof(char *), cmp_str);
    return 0;
}

/* ---------------------------------------------------------------- chmod */

int bld_chmod_parse(const char *s, struct bld_chmod *out, struct cb_err **err)
{
    char *end;
    unsigned long v;

    memset(out, 0, sizeof(*out));
    if (!s || !*s)
        return 0;
    out->set = true;
    v = strtoul(s, &end, 8);
    if (*end == '\0' && s[0] >= '0' && s[0] <= '7') {
        if (v > 07777)
            return cb_fail(err, CB_EINVAL, 0, "invalid chmod parameter '%s'", s);
        out->octal = true;
        out->mode = (mode_t)v;
        return 0;
    }
    for (const char *p = s; *p;) {
        while (*p && strchr("ugoa", *p))
            p++;
        if (!*p || !strchr("+-=", *p))
            return cb_fail(err, CB_EINVAL, 0, "invalid chmod parameter '%s'", s);
        p++;
        while (*p && strchr("rwxXst", *p))
            p++;
        if (*p == ',')
            p++;
        else if (*p)
            return cb_fail(err, CB_EINVAL, 0, "invalid chmod parameter '%s'", s);
    }
    out->symbolic = xstrdup(s);
    return 0;
}

void bld_chmod_release(struct bld_chmod *c)
{
    free(c->symbolic);
    memset(c, 0, sizeof(*c));
}

static mode_t who_mask(const char *who, size_t n)
{
    mode_t m = 0;
    if (n == 0)
        return 07777;
    for (size_t i = 0; i < n; i++)
        m |= who[i] == 'u' ? 04700 : who[i] == 'g' ? 02070 : who[i] == 'o' ? 01007 : 07777;
    return m;
}

mode_t bld_chmod_apply(const struct bld_chmod *c, mode_t old, bool is_dir)
{
    mode_t mode = old & 07777;

    if (!c || !c->set)
        return mode;
    if (c->octal)
        return c->mode;
    for (const char *p = c->symbolic; *p;) {
        const char *who = p;
        size_t nwho = strspn(p, "ugoa");
        char op;
        mode_t bits = 0, mask;
        p += nwho;
        op = *p++;
        for (; *p && *p != ','; p++) {
            bits |= *p == 'r' ? 0444 : *p == 'w' ? 0222 : *p == 'x' ? 0111 : 0;
            if (*p == 'X' && (is_dir || (old & 0111)))
                bits |= 0111;
            bits |= *p == 's' ? 06000 : *p == 't' ? 01000 : 0;
        }
        if (*p == ',')
            p++;
        mask = who_mask(who, nwho);
        bits &= mask;
        if (op == '+')
            mode |= bits;
        else if (op == '-')
            mode &= ~bits;
        else
            mode = (mode & ~(mask & 07777)) | bits;
    }
    return mode;
}
