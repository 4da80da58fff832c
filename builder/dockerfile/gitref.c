/* gitref.c - git references as BuildKit's dfgitutil.ParseGitRef and
 * gitutil.ParseURL read them: scheme URLs (https, http, ssh, git; http(s)
 * only with a path ending in ".git"), scp-style user@host:path, and the
 * deprecated scheme-less "github.com/..." form; then the "#ref:subdir"
 * fragment and the query options. */
#include <ctype.h>
#include <string.h>
#include <strings.h>

#include "dockerfile_internal.h"
#include "gitref.h"
#include "../../base/cleanup.h"
#include "../../base/xalloc.h"
#include "../../base/banned.h"

void bld_gitref_release(struct bld_gitref *g)
{
    free(g->remote);
    free(g->short_name);
    free(g->ref);
    free(g->checksum);
    free(g->subdir);
    free(g->mtime);
    memset(g, 0, sizeof(*g));
}

/* Split "base?query#fragment" (query and fragment may be absent). */
static void split_url(const char *s, char **base, char **query, char **frag)
{
    const char *h = strchr(s, '#');
    size_t end = h ? (size_t)(h - s) : strlen(s);
    const char *q = memchr(s, '?', end);
    *frag = h ? xstrdup(h + 1) : NULL;
    *query = q ? xstrndup(q + 1, end - (size_t)(q - s) - 1) : NULL;
    *base = xstrndup(s, q ? (size_t)(q - s) : end);
}

static size_t scheme_len(const char *s)
{
    size_t i = 0;
    while (isalnum((unsigned char)s[i]))
        i++;
    return i > 0 && !strncmp(s + i, "://", 3) ? i : 0;
}

static char *url_decode(const char *s, size_t n)
{
    struct cb_buf b;
    cb_buf_init(&b, CB_BUF_LIMIT_DEFAULT);
    for (size_t i = 0; i < n; i++) {
        if (s[i] == '%' && i + 2 < n && isxdigit((unsigned char)s[i + 1]) &&
            isxdigit((unsigned char)s[i + 2])) {
            char hex[3] = {s[i + 1], s[i + 2], 0};
            (void)cb_buf_addc(&b, (char)strtol(hex, NULL, 16), NULL);
            i += 2;
        } else {
            (void)cb_buf_addc(&b, s[i] == '+' ? ' ' : s[i], NULL);
        }
    }
    return cb_buf_detach(&b, NULL);
}

static int parse_bool_opt(const char *k, const char *v, bool *out, struct cb_err **err)
{
    if (!v || !strcmp(v, "1") || !strcasecmp(v, "t") || !strcasecmp(v, "true"))
        return *out = true, 0;
    if (!strcmp(v, "0") || !strcasecmp(v, "f") || !strcasecmp(v, "false"))
        return *out = false, 0;
    return cb_fail(err, CB_EINVAL, 0, "invalid %s value: \"%s\"", k, v);
}

static int set_once(char **dst, const char *what, const char *v, struct cb_err **err)
{
    if (*dst && strcmp(*dst, v))
        return cb_fail(err, CB_EINVAL, 0, "%s conflicts: \"%s\" vs \"%s\"", what, *dst, v);
    free(*dst);
    *dst = xstrdup(v);
    return 0;
}

static int query_key(struct bld_gitref *g, const char *k, const char *v, char **tag, char **branch,
                     struct cb_err **err)
{
    bool b = false;
    if (!strcmp(k, "ref"))
        return set_once(&g->ref, "ref", v, err);
    if (!strcmp(k, "tag"))
        return free(*tag), *tag = xstrdup(v), 0;
    if (!strcmp(k, "branch"))
        return free(*branch), *branch = xstrdup(v), 0;
    if (!strcmp(k, "subdir"))
        return set_once(&g->subdir, "subdir", v, err);
    if (!strcmp(k, "checksum") || !strcmp(k, "commit"))
        return free(g->checksum), g->checksum = xstrdup(v), 0;
    if (!strcmp(k, "keep-git-dir") || !strcmp(k, "submodules") || !strcmp(k, "fetch-by-commit")) {
        if (parse_bool_opt(k, v, &b, err) < 0)
            return -CB_EINVAL;
        if (k[0] == 'k')
            g->keep_git_dir = b;
        else if (k[0] == 's')
            g->submodules = b;
        else
            g->fetch_by_commit = b;
        return 0;
    }
    if (!strcmp(k, "mtime")) {
        if (strcmp(v, "checkout") && strcmp(v, "commit"))
            return cb_fail(err, CB_EINVAL, 0,
                           "invalid mtime value: \"%s\" (must be \"checkout\" or \"commit\")", v);
        return free(g->mtime), g->mtime = xstrdup(v), 0;
    }
    return cb_fail(err, CB_EINVAL, 0, "unexpected query \"%s\"", k);
}

static bool valueless_ok(const char *k)
{
    return !strcmp(k, "keep-git-dir") || !strcmp(k, "submodules") || !strcmp(k, "fetch-by-commit");
}

static int qualify(struct bld_gitref *g, const char *v, const char *prefix, struct cb_err **err)
{
    cleanup_free char *full =
        strncmp(v, prefix, strlen(prefix)) ? xasprintf("%s%s", prefix, v) : xstrdup(v);
    return set_once(&g->ref, "ref", full, err);
}

static int load_query(struct bld_gitref *g, const char *query, struct cb_err **err)
{
    struct cb_strv seen = CB_STRV_INIT;
    cleanup_free char *tag = NULL, *branch = NULL;
    int rc = 0;
    for (const char *p = query; rc == 0 && p && *p;) {
        const char *amp = strchr(p, '&');
        size_t n = amp ? (size_t)(amp - p) : strlen(p);
        const char *eq = memchr(p, '=', n);
        cleanup_free char *k = url_decode(p, eq ? (size_t)(eq - p) : n);
        cleanup_free char *v = eq ? url_decode(eq + 1, n - (size_t)(eq - p) - 1) : NULL;
        p = amp ? amp + 1 : NULL;
        if (!*k && !v)
            continue;
        if (cb_strv_find(&seen, k) >= 0)
            rc = cb_fail(err, CB_EINVAL, 0, "query \"%s\" has multiple values", k);
        else if ((!v || !*v) && !valueless_ok(k))
            rc = cb_fail(err, CB_EINVAL, 0, "query \"%s\" has no value", k);
        else
            rc = query_key(g, k, v && *v ? v : NULL, &tag, &branch, err);
        cb_strv_push(&seen, k);
    }
    cb_strv_release(&seen);
    if (rc == 0 && tag)
        rc = qualify(g, tag, "refs/tags/", err);
    if (rc == 0 && branch) {
        if (tag)
            return cb_fail(err, CB_EINVAL, 0, "branch conflicts with tag");
        rc = qualify(g, branch, "refs/heads/", err);
    }
    return rc;
}

/* user@host:path, the scp form of ssh URLs. */
static bool scp_style(const char *base)
{
    const char *at = strchr(base, '@'), *colon;
    if (!at || at == base)
        return false;
    for (const char *p = base; p < at; p++)
        if (!isalnum((unsigned char)*p) && *p != '-' && *p != '_')
            return false;
    colon = strchr(at + 1, ':');
    if (!colon || colon == at + 1)
        return false;
    for (const char *p = at + 1; p < colon; p++)
        if (!isalnum((unsigned char)*p) && *p != '-' && *p != '.')
            return false;
    return true;
}

/* The remote part: 1 for a git URL, 0 for "not a git reference". */
static int parse_remote(struct bld_gitref *g, const char *base, struct cb_err **err)
{
    if (!strncmp(base, "github.com/", 11)) {
        g->indistinguishable_from_local = true;
        g->remote = xstrdup(base);
        return 1;
    }
    size_t sl = scheme_len(base);
    if (sl == 0) {
        if (!scp_style(base))
            return 0;
        g->remote = xstrdup(base);
        return 1;
    }
    cleanup_free char *scheme = xstrndup(base, sl);
    for (char *c = scheme; *c; c++)
        *c = (char)tolower((unsigned char)*c);
    if (strcmp(scheme, "https") && strcmp(scheme, "http") && strcmp(scheme, "ssh") &&
        strcmp(scheme, "git"))
        return cb_fail(err, CB_EINVAL, 0, "invalid protocol: %s", scheme);
    const char *path = strchr(base + sl + 3, '/');
    bool http = !strcmp(scheme, "https") || !strcmp(scheme, "http");
    g->unencrypted_tcp = !strcmp(scheme, "http") || !strcmp(scheme, "git");
    if (http) {
        size_t pl = path ? strlen(path) : 0;
        if (pl < 4 || strcmp(path + pl - 4, ".git"))
            return 0;
    }
    g->remote = xstrdup(base);
    return 1;
}

int bld_gitref_parse(const char *s, struct bld_gitref *out, struct cb_err **err)
{
    memset(out, 0, sizeof(*out));
    out->keep_git_dir = out->submodules = -1;
    if (!strncmp(s, "./", 2) || !strncmp(s, "../", 3))
        return 0;
    cleanup_free char *base = NULL, *query = NULL, *frag = NULL;
    split_url(s, &base, &query, &frag);
    int rc = parse_remote(out, base, err);
    if (rc <= 0) {
        bld_gitref_release(out);
        return rc;
    }
    if (frag && *frag) {
        const char *colon = strchr(frag, ':');
        size_t rl = colon ? (size_t)(colon - frag) : strlen(frag);
        if (rl)
            out->ref = xstrndup(frag, rl);
        if (colon && colon[1])
            out->subdir = xstrdup(colon + 1);
    }
    const char *slash = strrchr(out->remote, '/');
    const char *last = slash ? slash + 1 : out->remote;
    size_t ll = strlen(last);
    out->short_name =
        ll >= 4 && !strcmp(last + ll - 4, ".git") ? xstrndup(last, ll - 4) : xstrdup(last);
    if (query && load_query(out, query, err) < 0) {
        bld_gitref_release(out);
        return -CB_EINVAL;
    }
    return 1;
}

char *bld_gitref_fragment(const char *s, bool keep_subdir, bool *ok)
{
    struct bld_gitref g;
    struct cb_err *e = NULL;
    int rc = bld_gitref_parse(s, &g, &e);
    cb_err_free(e);
    *ok = rc > 0;
    if (rc <= 0)
        return xstrdup(s);
    struct cb_buf b;
    cb_buf_init(&b, CB_BUF_LIMIT_DEFAULT);
    (void)cb_buf_adds(&b, g.remote, NULL);
    const char *sub = g.subdir;
    while (sub && *sub == '/')
        sub++;
    if (keep_subdir && sub && *sub)
        (void)cb_buf_addf(&b, NULL, "#%s:%s", g.ref ? g.ref : "", sub);
    else if (g.ref)
        (void)cb_buf_addf(&b, NULL, "#%s", g.ref);
    bld_gitref_release(&g);
    return cb_buf_detach(&b, NULL);
}
