/* mounts.c - RUN --mount specs: parsing and the per-step mount plan. */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "mounts.h"
#include "treecopy.h"
#include "../../base/cleanup.h"
#include "../../base/fsutil.h"
#include "../../base/xalloc.h"
#include "../../oci/digest.h"
#include "../../base/banned.h"

void bld_mount_init(struct bld_mount *m)
{
    memset(m, 0, sizeof(*m));
    m->uid = m->gid = m->mode = -1;
}

void bld_mount_release(struct bld_mount *m)
{
    free(m->target);
    free(m->source);
    free(m->id);
    free(m->env);
    if (m->data)
        explicit_bzero(m->data, m->data_len);
    free(m->data);
    bld_mount_init(m);
}

static int parse_bool(const char *key, const char *v, bool *out, struct cb_err **err)
{
    if (!v || !strcmp(v, "true") || !strcmp(v, "1"))
        *out = true;
    else if (!strcmp(v, "false") || !strcmp(v, "0"))
        *out = false;
    else
        return cb_fail(err, CB_EINVAL, 0, "invalid value '%s' for mount option '%s'", v, key);
    return 0;
}

static int parse_num(const char *key, const char *v, int base, long *out, struct cb_err **err)
{
    char *end = NULL;
    errno = 0;
    *out = v ? strtol(v, &end, base) : -1;
    if (!v || !*v || errno || *end || *out < 0)
        return cb_fail(err, CB_EINVAL, 0, "invalid value '%s' for mount option '%s'", v ? v : "",
                       key);
    return 0;
}

static int parse_size(const char *v, unsigned long long *out, struct cb_err **err)
{
    char *end = NULL;
    unsigned long long mult = 1;
    errno = 0;
    *out = v ? strtoull(v, &end, 10) : 0;
    if (!v || end == v || errno)
        return cb_fail(err, CB_EINVAL, 0, "invalid tmpfs size '%s'", v ? v : "");
    switch (*end) {
    case 'k':
    case 'K':
        mult = 1ULL << 10;
        end++;
        break;
    case 'm':
    case 'M':
        mult = 1ULL << 20;
        end++;
        break;
    case 'g':
    case 'G':
        mult = 1ULL << 30;
        end++;
        break;
    default:
        break;
    }
    if (*end == 'b' || *end == 'B')
        end++;
    if (*end)
        return cb_fail(err, CB_EINVAL, 0, "invalid tmpfs size '%s'", v);
    *out *= mult;
    return 0;
}

static int parse_type(const char *v, enum bld_mount_type *t, struct cb_err **err)
{
    static const char *const names[] = {"bind", "cache", "tmpfs", "secret", "ssh"};
    for (size_t i = 0; i < sizeof(names) / sizeof(names[0]); i++)
        if (v && !strcmp(v, names[i]))
            return *t = (enum bld_mount_type)i, 0;
    return cb_fail(err, CB_EINVAL, 0, "unsupported mount type '%s'", v ? v : "");
}

static int parse_sharing(const char *v, enum bld_cache_sharing *s, struct cb_err **err)
{
    if (v && !strcmp(v, "shared"))
        *s = BLD_SHARING_SHARED;
    else if (v && !strcmp(v, "private"))
        *s = BLD_SHARING_PRIVATE;
    else if (v && !strcmp(v, "locked"))
        *s = BLD_SHARING_LOCKED;
    else
        return cb_fail(err, CB_EINVAL, 0, "unsupported sharing value '%s'", v ? v : "");
    return 0;
}

static void set_str(char **dst, const char *v)
{
    free(*dst);
    *dst = xstrdup(v ? v : "");
}

/* One key[=value] of a --mount spec. */
static int parse_kv(struct bld_mount *m, const char *k, const char *v, struct cb_err **err)
{
    bool ro = false;
    if (!strcmp(k, "type"))
        return parse_type(v, &m->type, err);
    if (!strcmp(k, "target") || !strcmp(k, "dst") || !strcmp(k, "destination"))
        return set_str(&m->target, v), 0;
    if (!strcmp(k, "source") || !strcmp(k, "src"))
        return set_str(&m->source, v), 0;
    if (!strcmp(k, "id"))
        return set_str(&m->id, v), 0;
    if (!strcmp(k, "env"))
        return set_str(&m->env, v), 0;
    if (!strcmp(k, "ro") || !strcmp(k, "readonly")) {
        if (parse_bool(k, v, &ro, err) < 0)
            return cb_err_rc(err);
        return m->rw = !ro, 0;
    }
    if (!strcmp(k, "rw") || !strcmp(k, "readwrite"))
        return parse_bool(k, v, &m->rw, err);
    if (!strcmp(k, "required"))
        return parse_bool(k, v, &m->required, err);
    if (!strcmp(k, "sharing"))
        return parse_sharing(v, &m->sharing, err);
    if (!strcmp(k, "mode"))
        return parse_num(k, v, 8, &m->mode, err);
    if (!strcmp(k, "uid") || !strcmp(k, "gid"))
        return parse_num(k, v, 10, k[0] == 'u' ? &m->uid : &m->gid, err);
    if (!strcmp(k, "size"))
        return parse_size(v, &m->size, err);
    if (!strcmp(k, "from"))
        return cb_fail(err, CB_EINVAL, 0, "mount option 'from' must be resolved to a source path");
    return cb_fail(err, CB_EINVAL, 0, "unknown mount option '%s'", k);
}

static int fill_defaults(struct bld_mount *m, struct cb_err **err)
{
    if (m->type == BLD_MOUNT_SECRET) {
        if (!m->id && m->target)
            m->id = xstrdup(strrchr(m->target, '/') ? strrchr(m->target, '/') + 1 : m->target);
        if (!m->id || !*m->id)
            return cb_fail(err, CB_EINVAL, 0, "secret mount needs an id or a target");
        if (!m->target && !m->env)
            m->target = xasprintf("/run/secrets/%s", m->id);
    } else if (m->type == BLD_MOUNT_SSH) {
        if (!m->id)
            m->id = xstrdup("default");
    } else if (!m->target) {
        return cb_fail(err, CB_EINVAL, 0, "mount is missing a target");
    }
    if (m->target && m->target[0] != '/')
        return cb_fail(err, CB_EINVAL, 0, "mount target '%s' is not absolute", m->target);
    if (m->type == BLD_MOUNT_CACHE && !m->id)
        m->id = xstrdup(m->target);
    if (m->type == BLD_MOUNT_BIND && !m->source)
        return cb_fail(err, CB_EINVAL, 0, "bind mount of '%s' needs a source", m->target);
    return 0;
}

int bld_mount_parse(const char *spec, struct bld_mount *out, struct cb_err **err)
{
    cleanup_free char *copy = xstrdup(spec);
    struct bld_mount m;
    bld_mount_init(&m);
    for (char *field = copy, *next; field; field = next) {
        char *eq;
        next = strchr(field, ',');
        if (next)
            *next++ = '\0';
        if (!*field)
            continue;
        eq = strchr(field, '=');
        if (eq)
            *eq++ = '\0';
        if (parse_kv(&m, field, eq, err) < 0 || (m.type == BLD_MOUNT_TMPFS && m.source)) {
            bld_mount_release(&m);
            return *err ? cb_wrap(err, "--mount '%s'", spec)
                        : cb_fail(err, CB_EINVAL, 0, "--mount '%s': tmpfs has no source", spec);
        }
    }
    if (fill_defaults(&m, err) < 0) {
        bld_mount_release(&m);
        return cb_wrap(err, "--mount '%s'", spec);
    }
    *out = m;
    return 0;
}

static int secret_parse(const char *spec, char **id, char **source, char **data,
                        struct cb_err **err)
{
    cleanup_free char *copy = xstrdup(spec);
    char *env = NULL;
    *id = *source = *data = NULL;
    for (char *f = copy, *next; f; f = next) {
        char *eq;
        next = strchr(f, ',');
        if (next)
            *next++ = '\0';
        eq = strchr(f, '=');
        if (!eq)
            return cb_fail(err, CB_EINVAL, 0, "--secret '%s': expected KEY=VALUE", spec);
        *eq++ = '\0';
        if (!strcmp(f, "id"))
            set_str(id, eq);
        else if (!strcmp(f, "src") || !strcmp(f, "source"))
            set_str(source, eq);
        else if (!strcmp(f, "env"))
            env = eq;
        else if (strcmp(f, "type"))
            return cb_fail(err, CB_EINVAL, 0, "--secret '%s': unknown key '%s'", spec, f);
    }
    if (!*id)
        return cb_fail(err, CB_EINVAL, 0, "--secret '%s': missing id", spec);
    if (!*source) {
        const char *v = getenv(env ? env : *id);
        if (v)
            *data = xstrdup(v);
        else if (!env)
            *source = xstrdup(*id);
        else
            return cb_fail(err, CB_EINVAL, 0, "--secret '%s': variable '%s' is not set", spec, env);
    }
    return 0;
}

int bld_secret_parse(const char *spec, char **id, char **source, char **data, struct cb_err **err)
{
    if (secret_parse(spec, id, source, data, err) == 0)
        return 0;
    free(*id);
    free(*source);
    *id = *source = *data = NULL;
    return cb_err_rc(err);
}

void bld_mount_plan_init(struct bld_mount_plan *p)
{
    memset(p, 0, sizeof(*p));
}

void bld_mount_plan_add(struct bld_mount_plan *p, const char *dest, const char *type,
                        const char *source, const char *options)
{
    struct bld_spec_mount *sm;
    XGROW(p->spec, p->n_spec + 1, p->alloc_spec);
    sm = &p->spec[p->n_spec++];
    sm->dest = xstrdup(dest);
    sm->type = xstrdup(type);
    sm->source = xstrdup(source);
    cb_strv_init(&sm->options);
    for (const char *o = options; o && *o;) {
        const char *c = strchr(o, ',');
        size_t len = c ? (size_t)(c - o) : strlen(o);
        cb_strv_push_take(&sm->options, xstrndup(o, len));
        o = c ? c + 1 : NULL;
    }
}

static void add_helper(struct bld_mount_plan *p, char *source, char *target, const char *fstype,
                       char *data)
{
    struct bld_helper_mount *h;
    XGROW(p->helper, p->n_helper + 1, p->alloc_helper);
    h = &p->helper[p->n_helper++];
    *h = (struct bld_helper_mount){
        .source = source, .target = target, .fstype = xstrdup(fstype), .data = data};
}

/* A new cache dir: made aside, seeded, owned, then renamed into place. */
static int cache_fill(const char *tmp, const struct bld_mount *m, struct cb_err **err)
{
    if (m->source && bld_tree_copy(m->source, tmp, 0, err) < 0)
        return cb_wrap(err, "seed cache '%s'", m->id);
    if (chown(tmp, m->uid < 0 ? 0 : (uid_t)m->uid, m->gid < 0 ? 0 : (gid_t)m->gid) < 0 ||
        chmod(tmp, m->mode < 0 ? 0755 : (mode_t)m->mode) < 0)
        return cb_fail(err, CB_EIO, errno, "set owner of cache '%s'", m->id);
    return 0;
}

/* A new cache dir: made aside (a unique name: parallel steps may race to
 * create the same cache), seeded, owned, then renamed into place; when
 * another step won the race, its directory is used. */
static int cache_create(const char *dir, const struct bld_mount *m, struct cb_err **err)
{
    cleanup_free char *tmp = xasprintf("%s.new-XXXXXX", dir);
    int r;
    if (!mkdtemp(tmp))
        return cb_fail(err, CB_EIO, errno, "create cache '%s'", m->id);
    r = cache_fill(tmp, m, err);
    if (r == 0 && rename(tmp, dir) < 0 && errno != EEXIST && errno != ENOTEMPTY)
        r = cb_fail(err, CB_EIO, errno, "create cache '%s'", m->id);
    cb_rm_rf(tmp, NULL);
    return r;
}

/* Lock the cache as its sharing mode says; *busy when private found it held. */
static int cache_lock(struct bld_mount_plan *p, const char *dir, const struct bld_mount *m,
                      int cancel_fd, bool *busy, struct cb_err **err)
{
    cleanup_free char *lock = xasprintf("%s.lock", dir);
    cleanup_close int fd = open(lock, O_RDWR | O_CREAT | O_CLOEXEC, 0600);
    int op = m->sharing == BLD_SHARING_SHARED   ? LOCK_SH
             : m->sharing == BLD_SHARING_LOCKED ? LOCK_EX
                                                : LOCK_EX | LOCK_NB;
    *busy = false;
    if (fd < 0)
        return cb_fail(err, CB_EIO, errno, "open '%s'", lock);
    /* never block in flock: poll, so that Ctrl-C can stop the wait */
    while (flock(fd, op | LOCK_NB) < 0) {
        struct pollfd pfd = {.fd = cancel_fd, .events = POLLIN};
        if (errno == EWOULDBLOCK && (op & LOCK_NB))
            return *busy = true, 0;
        if (errno != EWOULDBLOCK && errno != EINTR)
            return cb_fail(err, CB_EIO, errno, "lock cache '%s'", m->id);
        if (poll(&pfd, 1, 50) > 0)
            return cb_fail(err, CB_EINTR, 0, "waiting for cache '%s': cancelled", m->id);
    }
    XGROW(p->locks, p->n_locks + 1, p->alloc_locks);
    p->locks[p->n_locks++] = TAKE_FD(fd);
    return 0;
}

static int plan_cache(struct bld_mount_plan *p, const struct bld_mount *m, size_t idx,
                      const struct bld_mount_ctx *ctx, struct cb_err **err)
{
    struct oci_digest d;
    char hex[OCI_DIGEST_STR_MAX];
    cleanup_free char *dir = NULL;
    bool busy = false;
    oci_digest_of(m->id, strlen(m->id), &d);
    dir = cb_path_join(ctx->cache_dir, oci_digest_hex(&d, hex));
    if (cb_mkdir_p(ctx->cache_dir, 0700, err) < 0 ||
        cache_lock(p, dir, m, ctx->cancel_fd, &busy, err) < 0)
        return cb_err_rc(err);
    if (busy) { /* private and in use: a throw-away instance for this step */
        free(dir);
        dir = xasprintf("%s/cache%zu", ctx->step_dir, idx);
        if (cb_mkdir_p(ctx->step_dir, 0700, err) < 0)
            return cb_err_rc(err);
    }
    if (!cb_path_exists(dir) && cache_create(dir, m, err) < 0)
        return cb_err_rc(err);
    bld_mount_plan_add(p, m->target, "bind", dir, "rbind,rw");
    return 0;
}

static int copy_file(const char *src, const char *dst, const struct stat *st, struct cb_err **err)
{
    cleanup_close int in = open(src, O_RDONLY | O_CLOEXEC);
    cleanup_close int out = -1;
    off_t left = st->st_size;
    if (in < 0)
        return cb_fail(err, CB_EIO, errno, "open '%s'", src);
    out = open(dst, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, st->st_mode & 07777);
    if (out < 0)
        return cb_fail(err, CB_EIO, errno, "create '%s'", dst);
    while (left > 0) {
        ssize_t n = copy_file_range(in, NULL, out, NULL, (size_t)left, 0);
        if (n <= 0)
            return n == 0 ? 0 : cb_fail(err, CB_EIO, errno, "copy '%s'", src);
        left -= n;
    }
    return 0;
}

/* rw bind of a directory: an overlay with a throw-away upper, made by the
 * helper process; a file (or a path overlay options cannot name): a copy. */
static int plan_bind_rw(struct bld_mount_plan *p, const struct bld_mount *m, const char *base,
                        const struct stat *st, struct cb_err **err)
{
    cleanup_free char *copy = xasprintf("%s.copy", base);
    cleanup_free char *up = xasprintf("%s/u", base);
    cleanup_free char *wk = xasprintf("%s/w", base);
    char *mnt;
    if (!S_ISDIR(st->st_mode) || strpbrk(m->source, ",:")) {
        int r = S_ISDIR(st->st_mode) ? bld_tree_copy(m->source, copy, 0, err)
                                     : copy_file(m->source, copy, st, err);
        if (r < 0)
            return r;
        bld_mount_plan_add(p, m->target, "bind", copy, "rbind,rw");
        return 0;
    }
    mnt = xasprintf("%s/m", base);
    if (cb_mkdir_p(up, 0755, err) < 0 || cb_mkdir_p(wk, 0700, err) < 0 ||
        cb_mkdir_p(mnt, 0755, err) < 0) {
        free(mnt);
        return cb_err_rc(err);
    }
    bld_mount_plan_add(p, m->target, "bind", mnt, "rbind,rw");
    add_helper(p, xstrdup("overlay"), mnt, "overlay",
               xasprintf("lowerdir=%s,upperdir=%s,workdir=%s", m->source, up, wk));
    return 0;
}

static int plan_bind(struct bld_mount_plan *p, const struct bld_mount *m, size_t idx,
                     const struct bld_mount_ctx *ctx, struct cb_err **err)
{
    cleanup_free char *base = NULL;
    struct stat st;
    if (stat(m->source, &st) < 0)
        return cb_fail(err, CB_ENOTFOUND, errno, "bind mount source '%s'", m->source);
    if (!m->rw) {
        bld_mount_plan_add(p, m->target, "bind", m->source, "rbind,ro");
        return 0;
    }
    if (cb_mkdir_p(ctx->step_dir, 0700, err) < 0)
        return cb_err_rc(err);
    base = xasprintf("%s/bind%zu", ctx->step_dir, idx);
    return plan_bind_rw(p, m, base, &st, err);
}

static int read_secret_source(const char *path, char **data, size_t *len, struct cb_err **err)
{
    struct cb_buf b;
    cb_buf_init(&b, 500 << 10); /* BuildKit's limit for one secret */
    if (cb_read_file(path, &b, err) < 0) {
        cb_buf_release(&b);
        return cb_err_rc(err);
    }
    *data = cb_buf_detach(&b, len);
    return 0;
}

static int plan_secret(struct bld_mount_plan *p, const struct bld_mount *m, size_t idx,
                       const struct bld_mount_ctx *ctx, struct cb_err **err)
{
    struct bld_secret_file *f;
    if (!m->data && !m->source)
        return m->required ? cb_fail(err, CB_ENOTFOUND, 0, "secret %s: not provided", m->id) : 0;
    if (m->env) {
        cleanup_free char *val = NULL;
        size_t len = m->data_len;
        if (!m->data && read_secret_source(m->source, &val, &len, err) < 0)
            return cb_wrap(err, "secret %s", m->id);
        cb_strv_pushf(&p->env, "%s=%.*s", m->env, (int)len, m->data ? m->data : val);
        if (val)
            explicit_bzero(val, len);
        if (!m->target)
            return 0;
    }
    XGROW(p->secrets, p->n_secrets + 1, p->alloc_secrets);
    f = &p->secrets[p->n_secrets++];
    *f = (struct bld_secret_file){
        .id = xstrdup(m->id),
        .path = xasprintf("secrets/%zu", idx),
        .data = m->data,
        .len = m->data_len,
        .source = m->data ? NULL : xstrdup(m->source),
        .uid = m->uid < 0 ? 0 : (uid_t)m->uid,
        .gid = m->gid < 0 ? 0 : (gid_t)m->gid,
        .mode = m->mode < 0 ? 0400 : (mode_t)m->mode,
    };
    {
        cleanup_free char *src = cb_path_join(ctx->bundle, f->path);
        bld_mount_plan_add(p, m->target, "bind", src, "rbind,ro,nosuid,nodev,noexec");
    }
    return 0;
}

static int plan_one(struct bld_mount_plan *p, const struct bld_mount *m, size_t idx, size_t *n_ssh,
                    const struct bld_mount_ctx *ctx, struct cb_err **err)
{
    switch (m->type) {
    case BLD_MOUNT_BIND:
        return plan_bind(p, m, idx, ctx, err);
    case BLD_MOUNT_CACHE:
        return plan_cache(p, m, idx, ctx, err);
    case BLD_MOUNT_SECRET:
        return plan_secret(p, m, idx, ctx, err);
    case BLD_MOUNT_TMPFS: {
        cleanup_free char *opts =
            m->size ? xasprintf("nosuid,nodev,size=%llu", m->size) : xstrdup("nosuid,nodev");
        bld_mount_plan_add(p, m->target, "tmpfs", "tmpfs", opts);
        return 0;
    }
    case BLD_MOUNT_SSH: {
        cleanup_free char *target =
            m->target ? xstrdup(m->target) : xasprintf("/run/buildkit/ssh_agent.%zu", *n_ssh);
        if (!m->source)
            return m->required ? cb_fail(err, CB_ENOTFOUND, 0, "ssh %s: not provided", m->id) : 0;
        bld_mount_plan_add(p, target, "bind", m->source, "rbind");
        if (!(*n_ssh)++)
            cb_strv_pushf(&p->env, "SSH_AUTH_SOCK=%s", target);
        return 0;
    }
    }
    return cb_fail(err, CB_EBUG, 0, "mount type %d", (int)m->type);
}

int bld_mount_plan_build(struct bld_mount_plan *p, const struct bld_mount *m, size_t n,
                         const struct bld_mount_ctx *ctx, struct cb_err **err)
{
    size_t n_ssh = 0;
    for (size_t i = 0; i < n; i++)
        if (plan_one(p, &m[i], i, &n_ssh, ctx, err) < 0)
            return cb_wrap(err, "mount '%s'", m[i].target ? m[i].target : m[i].id);
    return 0;
}

static int write_secret(const struct bld_secret_file *f, const char *path, struct cb_err **err)
{
    cleanup_close int fd = open(path, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0600);
    cleanup_free char *val = NULL;
    size_t len = f->len;
    int r;
    if (fd < 0)
        return cb_fail(err, CB_EIO, errno, "create '%s'", path);
    if (f->source && read_secret_source(f->source, &val, &len, err) < 0)
        return cb_err_rc(err);
    r = cb_write_all(fd, val ? val : f->data, len, err);
    if (val)
        explicit_bzero(val, len);
    if (r < 0)
        return r;
    if (fchown(fd, f->uid, f->gid) < 0 || fchmod(fd, f->mode) < 0)
        return cb_fail(err, CB_EIO, errno, "set owner of '%s'", path);
    return 0;
}

int bld_mount_plan_write_secrets(const struct bld_mount_plan *p, const char *bundle_path,
                                 struct cb_err **err)
{
    cleanup_free char *dir = cb_path_join(bundle_path, "secrets");
    if (p->n_secrets && mkdir(dir, 0700) < 0 && errno != EEXIST)
        return cb_fail(err, CB_EIO, errno, "mkdir '%s'", dir);
    for (size_t i = 0; i < p->n_secrets; i++) {
        cleanup_free char *path = cb_path_join(bundle_path, p->secrets[i].path);
        if (write_secret(&p->secrets[i], path, err) < 0)
            return cb_wrap(err, "secret %s", p->secrets[i].id);
    }
    return 0;
}

void bld_mount_plan_release(struct bld_mount_plan *p)
{
    for (size_t i = 0; i < p->n_spec; i++) {
        free(p->spec[i].dest);
        free(p->spec[i].type);
        free(p->spec[i].source);
        cb_strv_release(&p->spec[i].options);
    }
    for (size_t i = 0; i < p->n_helper; i++) {
        free(p->helper[i].source);
        free(p->helper[i].target);
        free(p->helper[i].fstype);
        free(p->helper[i].data);
    }
    for (size_t i = 0; i < p->n_secrets; i++) {
        free(p->secrets[i].id);
        free(p->secrets[i].path);
        free(p->secrets[i].source);
    }
    for (size_t i = 0; i < p->n_locks; i++)
        close(p->locks[i]);
    for (size_t i = 0; i < p->env.n; i++)
        explicit_bzero(p->env.v[i], strlen(p->env.v[i]));
    cb_strv_release(&p->env);
    free(p->spec);
    free(p->helper);
    free(p->secrets);
    free(p->locks);
    bld_mount_plan_init(p);
}

void bld_mounts_free(struct bld_mount *m, size_t n)
{
    for (size_t i = 0; i < n; i++)
        bld_mount_release(&m[i]);
    free(m);
}

static int attach_secret(struct bld_mount *m, char *const *secrets, struct cb_err **err)
{
    for (char *const *s = secrets; s && *s; s++) {
        char *id = NULL, *source = NULL, *data = NULL;
        if (bld_secret_parse(*s, &id, &source, &data, err) < 0)
            return cb_err_rc(err);
        if (!strcmp(id, m->id)) {
            free(m->source);
            m->source = source;
            m->data = data;
            m->data_len = data ? strlen(data) : 0;
            free(id);
            return 0;
        }
        free(id);
        free(source);
        free(data);
    }
    return 0;
}

static int attach_ssh(struct bld_mount *m, char *const *ssh, struct cb_err **err)
{
    for (char *const *s = ssh; s && *s; s++) {
        const char *eq = strchr(*s, '=');
        size_t idlen = eq ? (size_t)(eq - *s) : strlen(*s);
        const char *sock = eq ? eq + 1 : getenv("SSH_AUTH_SOCK");
        if (strlen(m->id) != idlen || strncmp(*s, m->id, idlen))
            continue;
        if (!sock || !*sock)
            return cb_fail(err, CB_EINVAL, 0, "--ssh %s: SSH_AUTH_SOCK is not set", *s);
        free(m->source);
        m->source = xstrdup(sock);
        return 0;
    }
    return 0;
}

int bld_mounts_from_args(char *const *specs, char *const *secrets, char *const *ssh,
                         struct bld_mount **out, size_t *n, struct cb_err **err)
{
    struct bld_mount *v = NULL;
    size_t count = 0, alloc = 0;
    for (char *const *s = specs; s && *s; s++) {
        XGROW(v, count + 1, alloc);
        if (bld_mount_parse(*s, &v[count], err) < 0)
            return bld_mounts_free(v, count), cb_err_rc(err);
        count++;
        if ((v[count - 1].type == BLD_MOUNT_SECRET &&
             attach_secret(&v[count - 1], secrets, err) < 0) ||
            (v[count - 1].type == BLD_MOUNT_SSH && attach_ssh(&v[count - 1], ssh, err) < 0))
            return bld_mounts_free(v, count), cb_err_rc(err);
    }
    *out = v;
    *n = count;
    return 0;
}

int bld_cache_mounts_clean_stale(const char *cache_dir, struct cb_err **err)
{
    cleanup_dir DIR *d = opendir(cache_dir);
    cleanup_strv_s struct cb_strv names = CB_STRV_INIT;
    struct dirent *de;
    int removed = 0;
    if (!d)
        return errno == ENOENT ? 0 : cb_fail(err, CB_EIO, errno, "open '%s'", cache_dir);
    while ((de = readdir(d)))
        if (strstr(de->d_name, ".new-"))
            cb_strv_push(&names, de->d_name);
    for (size_t i = 0; i < names.n; i++) {
        cleanup_free char *path = cb_path_join(cache_dir, names.v[i]);
        struct stat st;
        if (lstat(path, &st) < 0 || time(NULL) - st.st_mtime < 60)
            continue;
        if (cb_rm_rf(path, err) < 0)
            return cb_err_rc(err);
        removed++;
    }
    return removed;
}
