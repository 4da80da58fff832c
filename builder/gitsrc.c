/* gitsrc.c - ADD <git repository> (see gitsrc.h): `git ls-remote` for the
 * commit, then init + fetch + checkout in a scratch directory. */
#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <spawn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "gitsrc.h"
#include "../base/buf.h"
#include "../base/cleanup.h"
#include "../base/fsutil.h"
#include "../base/strv.h"
#include "../base/xalloc.h"
#include "../base/banned.h"

#define GIT_OUTPUT_LIMIT ((size_t)4 << 20)

/* What of the caller's environment git and its helpers (ssh, the http
 * transport) may see. */
static const char *const passed_env[] = {
    "PATH",      "HOME",          "SSH_AUTH_SOCK", "http_proxy",     "https_proxy",
    "no_proxy",  "HTTP_PROXY",    "HTTPS_PROXY",   "NO_PROXY",       "ALL_PROXY",
    "all_proxy", "SSL_CERT_FILE", "SSL_CERT_DIR",  "GIT_SSL_CAINFO", "GIT_SSH_COMMAND",
};

static void build_env(struct cb_strv *env)
{
    for (size_t i = 0; i < sizeof(passed_env) / sizeof(passed_env[0]); i++) {
        const char *v = getenv(passed_env[i]);
        if (v)
            cb_strv_pushf(env, "%s=%s", passed_env[i], v);
    }
    if (!getenv("PATH"))
        cb_strv_push(env, "PATH=/usr/local/bin:/usr/bin:/bin");
    if (!getenv("GIT_SSH_COMMAND"))
        cb_strv_push(env, "GIT_SSH_COMMAND=ssh -o BatchMode=yes");
    cb_strv_push(env, "GIT_TERMINAL_PROMPT=0");
    cb_strv_push(env, "GIT_CONFIG_NOSYSTEM=1");
    cb_strv_push(env, "GIT_CONFIG_GLOBAL=/dev/null");
    cb_strv_push(env, "LC_ALL=C");
}

/* Where url's password is: between *pw and *at ("u:PW@host"); false when
 * its authority has none. */
static bool find_password(const char *url, const char **pw, const char **at)
{
    const char *scheme = strstr(url, "://");
    const char *start = scheme ? scheme + 3 : url;
    const char *end = start + strcspn(start, "/");
    const char *colon;

    *at = memchr(start, '@', (size_t)(end - start));
    colon = *at ? memchr(start, ':', (size_t)(*at - start)) : NULL;
    *pw = colon ? colon + 1 : NULL;
    return colon != NULL;
}

char *bld_git_redact(const char *url)
{
    const char *pw, *at;

    if (!find_password(url, &pw, &at))
        return xstrdup(url);
    return xasprintf("%.*sxxxxx%s", (int)(pw - url), url, at);
}

/* The password of url's user info, or NULL; allocated. */
static char *password_of(const char *url)
{
    const char *pw, *at;

    return find_password(url, &pw, &at) && at > pw ? xstrndup(pw, (size_t)(at - pw)) : NULL;
}

/* Replace url's password in an error message (git may quote the URL). */
static int scrubbed(struct cb_err **err, const char *url, int rc)
{
    cleanup_free char *pw = password_of(url);
    char *p;

    if (!pw || !err || !*err || !(*err)->msg)
        return rc;
    while ((p = strstr((*err)->msg, pw))) {
        char *m = xasprintf("%.*sxxxxx%s", (int)(p - (*err)->msg), (*err)->msg, p + strlen(pw));
        free((*err)->msg);
        (*err)->msg = m;
    }
    return rc;
}

/* Why git failed, on one line: from its first "fatal:" or "error:" line
 * on (else its last line), lines joined by spaces. */
static char *why_failed(const struct cb_buf *out)
{
    const char *s = cb_buf_str(out), *from = NULL, *last = NULL;
    struct cb_buf b;

    for (const char *l = s; *l;) {
        const char *nl = strchr(l, '\n');
        if (!from && (!strncmp(l, "fatal:", 6) || !strncmp(l, "error:", 6)))
            from = l;
        if (strspn(l, " \r\t") != (size_t)(nl ? nl - l : (ptrdiff_t)strlen(l)))
            last = l;
        l = nl ? nl + 1 : l + strlen(l);
    }
    if (!from)
        from = last;
    cb_buf_init(&b, 512);
    for (const char *l = from; l && *l && b.len < 300;) {
        size_t n = strcspn(l, "\n");
        while (n > 0 && (l[n - 1] == '\r' || l[n - 1] == ' '))
            n--;
        if (n)
            (void)cb_buf_addf(&b, NULL, "%s%.*s", b.len ? " " : "", (int)(n > 300 ? 300 : n), l);
        l += strcspn(l, "\n");
        if (*l)
            l++;
    }
    return b.len ? cb_buf_detach(&b, NULL) : (cb_buf_release(&b), xstrdup("failed"));
}

/* Run git -C dir ARGS (dir NULL: no -C) with stdin from /dev/null; stdout
 * and stderr together into out.  0 when it exited 0; 1 when it failed (out
 * holds why); < 0 when it could not be run. */
static int run_git(const char *dir, const char *const *args, struct cb_buf *out,
                   struct cb_err **err)
{
    cleanup_strv_s struct cb_strv argv = CB_STRV_INIT, env = CB_STRV_INIT;
    posix_spawn_file_actions_t fa;
    int p[2], rc, status = 0;
    pid_t pid;

    cb_strv_push(&argv, "git");
    if (dir) {
        cb_strv_push(&argv, "-C");
        cb_strv_push(&argv, dir);
    }
    /* a repository's submodules may not read the builder's files or run
     * commands through the file:: and ext:: transports */
    cb_strv_push(&argv, "-c");
    cb_strv_push(&argv, "protocol.file.allow=user");
    cb_strv_push(&argv, "-c");
    cb_strv_push(&argv, "protocol.ext.allow=never");
    for (; *args; args++)
        cb_strv_push(&argv, *args);
    build_env(&env);
    cb_buf_reset(out);
    if (pipe2(p, O_CLOEXEC) < 0)
        return cb_fail(err, CB_EIO, errno, "pipe");
    posix_spawn_file_actions_init(&fa);
    posix_spawn_file_actions_addopen(&fa, 0, "/dev/null", O_RDONLY, 0);
    posix_spawn_file_actions_adddup2(&fa, p[1], 1);
    posix_spawn_file_actions_adddup2(&fa, p[1], 2);
    rc = posix_spawnp(&pid, "git", &fa, NULL, argv.v, env.v);
    posix_spawn_file_actions_destroy(&fa);
    close(p[1]);
    if (rc != 0) {
        close(p[0]);
        return cb_fail(err, CB_EUNSUPPORTED, rc, "git sources need the git command%s",
                       rc == ENOENT ? ", not found" : "");
    }
    rc = cb_read_all(p[0], out, err);
    close(p[0]);
    while (waitpid(pid, &status, 0) < 0 && errno == EINTR)
        ;
    if (rc < 0)
        return cb_wrap(err, "read git's output");
    return WIFEXITED(status) && WEXITSTATUS(status) == 0 ? 0 : 1;
}

/* run_git, a failure being an error naming what ran. */
static int git_ok(const char *dir, const char *what, const char *const *args, struct cb_buf *out,
                  struct cb_err **err)
{
    int r = run_git(dir, args, out, err);
    if (r <= 0)
        return r;
    cleanup_free char *why = why_failed(out);
    return cb_fail(err, CB_EIO, 0, "git %s: %s", what, why);
}

static bool is_commit_id(const char *s)
{
    size_t n = strlen(s);
    if (n != 40 && n != 64)
        return false;
    for (; *s; s++)
        if (!isxdigit((unsigned char)*s))
            return false;
    return true;
}

void bld_git_src_release(struct bld_git_src *g)
{
    bld_gitref_release(&g->ref);
    free(g->commit);
    g->commit = NULL;
}

/* ls-remote's answer for ref: an exact name first, then a tag (peeled to
 * its commit), then a branch, then what git matched first. */
static char *pick_ref(const char *listing, const char *ref)
{
    const char *const prefix[] = {"", "refs/tags/", "refs/tags/", "refs/heads/"};
    const char *const suffix[] = {"", "^{}", "", ""};
    char *best = NULL;
    int best_rank = 99;

    for (const char *line = listing; line && *line;) {
        const char *nl = strchr(line, '\n');
        size_t len = nl ? (size_t)(nl - line) : strlen(line);
        const char *tab = memchr(line, '\t', len);
        if (tab && (tab - line == 40 || tab - line == 64)) {
            cleanup_free char *sha = xstrndup(line, (size_t)(tab - line));
            cleanup_free char *name = xstrndup(tab + 1, len - (size_t)(tab - line) - 1);
            int rank = 4;
            for (int i = 0; i < 4; i++) {
                cleanup_free char *want = xasprintf("%s%s%s", prefix[i], ref, suffix[i]);
                if (!strcmp(name, want)) {
                    rank = i;
                    break;
                }
            }
            if (is_commit_id(sha) && rank < best_rank) {
                free(best);
                best = TAKE_PTR(sha);
                best_rank = rank;
            }
        }
        line = nl ? nl + 1 : NULL;
    }
    for (char *c = best; c && *c; c++)
        *c = (char)tolower((unsigned char)*c);
    return best;
}

static int resolve(const char *src, bool keep_git_dir, const char *checksum,
                   struct bld_git_src *out, struct cb_err **err)
{
    cleanup_buf struct cb_buf b = {0};
    const char *ref;
    int r;

    memset(out, 0, sizeof(*out));
    r = bld_gitref_parse(src, &out->ref, err);
    if (r < 0)
        return r;
    if (r == 0)
        return cb_fail(err, CB_EINVAL, 0, "not a git repository URL");
    out->keep_git_dir = keep_git_dir || out->ref.keep_git_dir == 1;
    out->submodules = out->ref.submodules != 0;
    if (checksum && out->ref.checksum && strcmp(checksum, out->ref.checksum)) {
        r = cb_fail(err, CB_EINVAL, 0, "--checksum '%s' and ?checksum='%s' differ", checksum,
                    out->ref.checksum);
        goto fail;
    }
    if (!checksum)
        checksum = out->ref.checksum;
    ref = out->ref.ref;
    if (ref && is_commit_id(ref)) {
        out->commit = xstrdup(ref);
        for (char *c = out->commit; *c; c++)
            *c = (char)tolower((unsigned char)*c);
    } else {
        cb_buf_init(&b, GIT_OUTPUT_LIMIT);
        const char *args[] = {"ls-remote", out->ref.remote, ref ? ref : "HEAD", NULL};
        if ((r = git_ok(NULL, "ls-remote", args, &b, err)) < 0)
            goto fail;
        out->commit = pick_ref(cb_buf_str(&b), ref ? ref : "HEAD");
        if (!out->commit) {
            r = cb_fail(err, CB_ENOTFOUND, 0, "repository does not contain ref '%s'",
                        ref ? ref : "HEAD");
            goto fail;
        }
    }
    if (checksum &&
        (strlen(checksum) < 7 || strncasecmp(out->commit, checksum, strlen(checksum)))) {
        r = cb_fail(err, CB_EDIGEST, 0, "the ref resolved to commit %s, the checksum wants %s",
                    out->commit, checksum);
        goto fail;
    }
    return 0;
fail:
    bld_git_src_release(out);
    return r;
}

int bld_git_resolve(const char *src, bool keep_git_dir, const char *checksum,
                    struct bld_git_src *out, struct cb_err **err)
{
    return scrubbed(err, src, resolve(src, keep_git_dir, checksum, out, err));
}

char *bld_git_identity(const struct bld_git_src *g)
{
    return xasprintf("git\nremote=%s\ncommit=%s\nsubdir=%s\nkeep-git-dir=%d\nsubmodules=%d\n"
                     "mtime=%s\n",
                     g->ref.remote, g->commit, g->ref.subdir ? g->ref.subdir : "", g->keep_git_dir,
                     g->submodules, g->ref.mtime ? g->ref.mtime : "checkout");
}

/* ---------------------------------------------------------------- checkout */

/* A shallow fetch of the commit; servers that cannot give out one commit
 * (dumb http, uploadpack.allowReachableSHA1InWant off) get a full fetch. */
static int fetch(const char *repo, const char *commit, struct cb_buf *b, struct cb_err **err)
{
    const char *shallow[] = {"fetch", "-q", "--depth=1", "--no-tags", "origin", commit, NULL};
    const char *full[] = {"fetch",
                          "-q",
                          "--no-tags",
                          "origin",
                          "+refs/heads/*:refs/remotes/origin/*",
                          "+refs/tags/*:refs/tags/*",
                          NULL};
    cleanup_free char *want = xasprintf("%s^{commit}", commit);
    const char *has[] = {"cat-file", "-e", want, NULL};
    int r = run_git(repo, shallow, b, err);

    if (r <= 0)
        return r;
    if ((r = git_ok(repo, "fetch", full, b, err)) < 0)
        return r;
    if ((r = run_git(repo, has, b, err)) != 0)
        return r < 0
                   ? r
                   : cb_fail(err, CB_ENOTFOUND, 0, "repository does not contain commit %s", commit);
    return 0;
}

static int64_t commit_time(const char *repo, const char *commit, struct cb_buf *b,
                           struct cb_err **err)
{
    const char *args[] = {"log", "-1", "--format=%ct", commit, NULL};
    if (git_ok(repo, "log", args, b, err) < 0)
        return -1;
    return strtoll(cb_buf_str(b), NULL, 10);
}

/* nftw passes no user data; stages check out in parallel threads */
static _Thread_local int64_t set_mtime_to;

static int touch_one(const char *path, const struct stat *st, int flag, struct FTW *ftw)
{
    struct timespec ts[2] = {{set_mtime_to, 0}, {set_mtime_to, 0}};
    (void)st;
    (void)flag;
    (void)ftw;
    return utimensat(AT_FDCWD, path, ts, AT_SYMLINK_NOFOLLOW) < 0 ? -1 : 0;
}

/* Remove the .git of the checkout and of its submodules (files there). */
static int drop_git(const char *path, const struct stat *st, int flag, struct FTW *ftw)
{
    (void)st;
    (void)flag;
    if (strcmp(path + ftw->base, ".git"))
        return 0;
    return cb_rm_rf(path, NULL) < 0 ? -1 : 0;
}

/* subdir inside the checkout: relative, no "..", and no symlink on the way
 * (it would lead out of the repository). */
static int check_subdir(const char *repo, const char *subdir, char **rel, struct cb_err **err)
{
    cleanup_free char *clean = NULL;
    struct cb_buf b;
    const char *p = subdir;

    cb_buf_init(&b, 4096);
    while (*p) {
        while (*p == '/')
            p++;
        size_t n = strcspn(p, "/");
        if (!n)
            break;
        if ((n == 2 && !strncmp(p, "..", 2)) || (n == 1 && *p == '.')) {
            if (n == 1) {
                p += n;
                continue;
            }
            cb_buf_release(&b);
            return cb_fail(err, CB_EINVAL, 0, "subdir '%s' leaves the repository", subdir);
        }
        cb_buf_addf(&b, NULL, "%s%.*s", b.len ? "/" : "", (int)n, p);
        cleanup_free char *full = cb_path_join(repo, cb_buf_str(&b));
        struct stat st;
        if (lstat(full, &st) < 0 || !S_ISDIR(st.st_mode)) {
            cb_fail(err, CB_ENOTFOUND, 0, "subdir '%s' is not a directory of the repository",
                    subdir);
            cb_buf_release(&b);
            return -CB_ENOTFOUND;
        }
        p += n;
    }
    clean = cb_buf_detach(&b, NULL);
    *rel = *clean ? xasprintf("checkout/%s", clean) : xstrdup("checkout");
    return 0;
}

static int checkout(const struct bld_git_src *g, const char *workdir, char **dir_rel,
                    struct cb_err **err);

int bld_git_checkout(const struct bld_git_src *g, const char *workdir, char **dir_rel,
                     struct cb_err **err)
{
    return scrubbed(err, g->ref.remote, checkout(g, workdir, dir_rel, err));
}

static int checkout(const struct bld_git_src *g, const char *workdir, char **dir_rel,
                    struct cb_err **err)
{
    cleanup_free char *repo = cb_path_join(workdir, "checkout");
    cleanup_free char *modules = cb_path_join(repo, ".gitmodules");
    cleanup_buf struct cb_buf b = {0};
    const char *init[] = {"-c", "init.defaultBranch=main", "init", "-q", repo, NULL};
    const char *remote[] = {"remote", "add", "origin", g->ref.remote, NULL};
    const char *checkout[] = {"-c", "advice.detachedHead=false", "checkout", "-q", g->commit, NULL};
    const char *subs[] = {"submodule", "update", "-q", "--init", "--recursive", "--depth=1", NULL};
    const char *subs_full[] = {"submodule", "update", "-q", "--init", "--recursive", NULL};
    cleanup_free char *rel = NULL;
    int r;

    cb_buf_init(&b, GIT_OUTPUT_LIMIT);
    if ((r = git_ok(NULL, "init", init, &b, err)) < 0 ||
        (r = git_ok(repo, "remote add", remote, &b, err)) < 0 ||
        (r = fetch(repo, g->commit, &b, err)) < 0 ||
        (r = git_ok(repo, "checkout", checkout, &b, err)) < 0)
        return r;
    if (g->submodules && cb_path_exists(modules) && (r = run_git(repo, subs, &b, err)) != 0 &&
        (r < 0 || (r = git_ok(repo, "submodule update", subs_full, &b, err)) < 0))
        return r;
    if (g->ref.mtime && !strcmp(g->ref.mtime, "commit")) {
        int64_t t = commit_time(repo, g->commit, &b, err);
        if (t < 0)
            return cb_err_rc(err);
        set_mtime_to = t;
        if (nftw(repo, touch_one, 32, FTW_PHYS) != 0)
            return cb_fail(err, CB_EIO, errno, "set the checkout's mtimes");
    }
    if ((r = check_subdir(repo, g->ref.subdir ? g->ref.subdir : "", &rel, err)) < 0)
        return r;
    /* the .git of a subdirectory's checkout would point outside it */
    if ((!g->keep_git_dir || strcmp(rel, "checkout")) &&
        nftw(repo, drop_git, 32, FTW_PHYS | FTW_DEPTH) != 0)
        return cb_fail(err, CB_EIO, errno, "remove .git from the checkout");
    if (g->keep_git_dir && !strcmp(rel, "checkout")) {
        /* as BuildKit leaves it: no trace of the fetch, an empty reflog */
        cleanup_free char *fh = cb_path_join(repo, ".git/FETCH_HEAD");
        const char *expire[] = {"reflog", "expire", "--all", "--expire=now", NULL};
        if (unlink(fh) < 0 && errno != ENOENT)
            return cb_fail(err, CB_EIO, errno, "remove '%s'", fh);
        if ((r = git_ok(repo, "reflog expire", expire, &b, err)) < 0)
            return r;
    }
    *dir_rel = TAKE_PTR(rel);
    return 0;
}

int bld_git_context(const char *url, const char *tmp, char **dir, char **context,
                    struct cb_err **err)
{
    struct bld_git_src g;
    struct bld_gitref probe;
    cleanup_free char *rel = NULL;
    int r = bld_gitref_parse(url, &probe, err);

    if (r <= 0)
        return r;
    bld_gitref_release(&probe);
    if ((r = bld_git_resolve(url, true, NULL, &g, err)) < 0)
        return r;
    *dir = cb_mkdtemp(tmp, "git-context-", err);
    r = *dir ? bld_git_checkout(&g, *dir, &rel, err) : cb_err_rc(err);
    bld_git_src_release(&g);
    if (r < 0)
        return r;
    *context = cb_path_join(*dir, rel);
    return 1;
}
