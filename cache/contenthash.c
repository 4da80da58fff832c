/* contenthash.c - the content digest of COPY/ADD sources (see contenthash.h).
 *
 * An entry's record is: type byte ('f','d','l','c','b','p','s'), u32
 * permission bits, [u32 uid, u32 gid], then a file's content sha256 | a
 * symlink's target and NUL | a device's u32 major, u32 minor | a directory's
 * digest.  A directory's digest is sha256 over its kept children in byte
 * order, each as name, NUL, record (records are self-delimiting, so a file
 * costs no hash of its own beyond its content's).  A selected path's digest
 * is sha256 of its record.  The result is sha256 of a version tag, the owner
 * flag, then per selected path: its cleaned name, NUL, its digest.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <unistd.h>

#include "contenthash.h"
#include "../base/cleanup.h"
#include "../base/fsutil.h"
#include "../base/parallel.h"
#include "../base/xalloc.h"
#include "../base/banned.h"

#define CH_VERSION "cbuild-contenthash-v1"
#define CH_MAX_DEPTH 1024

#define CH_PATH_LIMIT ((size_t)1 << 20)

struct walk {
    const struct cache_contenthash_opts *o;
    struct cb_buf rel; /* the current path relative to the root */
    int depth;
    bool parallel; /* a parallel pass may still be made */
};

static void walk_release(struct walk *w)
{
    cb_buf_release(&w->rel);
}

static void put_u32(struct oci_hasher *h, uint32_t v)
{
    uint8_t b[4] = {(uint8_t)v, (uint8_t)(v >> 8), (uint8_t)(v >> 16), (uint8_t)(v >> 24)};
    oci_hasher_update(h, b, 4);
}

static char type_char(mode_t m)
{
    switch (m & S_IFMT) {
    case S_IFREG:
        return 'f';
    case S_IFDIR:
        return 'd';
    case S_IFLNK:
        return 'l';
    case S_IFCHR:
        return 'c';
    case S_IFBLK:
        return 'b';
    case S_IFIFO:
        return 'p';
    default:
        return 's';
    }
}

static void put_header(const struct walk *w, struct oci_hasher *h, const struct stat *st)
{
    char t = type_char(st->st_mode);

    oci_hasher_update(h, &t, 1);
    put_u32(h, (uint32_t)(st->st_mode & 07777));
    if (w->o->with_owner) {
        put_u32(h, (uint32_t)st->st_uid);
        put_u32(h, (uint32_t)st->st_gid);
    }
}

static const char *rel_of(const struct walk *w)
{
    return w->rel.len ? w->rel.data : ".";
}

static enum cache_filter_result filter(const struct walk *w, bool is_dir)
{
    if (!w->o->filter || !w->rel.len)
        return CACHE_FILTER_INCLUDE;
    return w->o->filter(w->o->filter_data, w->rel.data, is_dir);
}

/* A directory entry; the parallel pass fills in done..sub for directories. */
struct dent {
    char *name;
    unsigned char type; /* readdir's d_type */
    bool done;
    int kept;
    struct stat st;
    struct oci_digest sub;
};

struct dents {
    struct dent *v;
    size_t n, alloc;
};

static void dents_release(struct dents *d)
{
    for (size_t i = 0; i < d->n; i++)
        free(d->v[i].name);
    free(d->v);
}

static int dent_cmp(const void *a, const void *b)
{
    return strcmp(((const struct dent *)a)->name, ((const struct dent *)b)->name);
}

/* The entries of the directory open at fd (fd stays open), sorted. */
static int list_dir(const struct walk *w, int fd, struct dents *out, struct cb_err **err)
{
    int dfd = fcntl(fd, F_DUPFD_CLOEXEC, 0);
    cleanup_dir DIR *d = NULL;
    struct dirent *de;

    if (dfd < 0 || !(d = fdopendir(dfd))) {
        if (dfd >= 0)
            close(dfd);
        return cb_fail(err, CB_EIO, errno, "open directory '%s'", rel_of(w));
    }
    rewinddir(d);
    errno = 0;
    while ((de = readdir(d))) {
        if (strcmp(de->d_name, ".") && strcmp(de->d_name, "..")) {
            XGROW(out->v, out->n + 1, out->alloc);
            out->v[out->n++] = (struct dent){.name = xstrdup(de->d_name), .type = de->d_type};
        }
        errno = 0;
    }
    if (errno)
        return cb_fail(err, CB_EIO, errno, "read directory '%s'", rel_of(w));
    if (out->n)
        qsort(out->v, out->n, sizeof(*out->v), dent_cmp);
    return 0;
}

static int put_node(struct walk *w, struct oci_hasher *h, int fd, const char *name,
                    const struct stat *st, struct cb_err **err);
static int subdir_digest(struct walk *w, int fd, const char *name, struct oci_digest *out,
                         struct cb_err **err);
static void put_dir_record(const struct walk *w, struct oci_hasher *h, const char *name,
                           const struct stat *st, const struct oci_digest *sub);

/* Append "/name" (or "name" at the root) to w->rel. */
static int rel_push(struct walk *w, const char *name, struct cb_err **err)
{
    if ((w->rel.len && cb_buf_addc(&w->rel, '/', err) < 0) || cb_buf_adds(&w->rel, name, err) < 0)
        return cb_wrap(err, "path too long under '%s'", rel_of(w));
    return 0;
}

struct par {
    const struct walk *w;
    int fd;
    struct dents *ents;
    size_t *dirs; /* indexes of the directories in ents */
};

/* One subdirectory of a parallel pass, with a walk of its own. */
static int par_job(void *userdata, size_t i, struct cb_err **err)
{
    struct par *p = userdata;
    struct dent *d = &p->ents->v[p->dirs[i]];
    __attribute__((cleanup(walk_release))) struct walk w = {.o = p->w->o, .depth = p->w->depth};
    int rc;

    cb_buf_init(&w.rel, CH_PATH_LIMIT);
    if ((p->w->rel.len && (rc = cb_buf_add(&w.rel, p->w->rel.data, p->w->rel.len, err)) < 0) ||
        (rc = rel_push(&w, d->name, err)) < 0)
        return rc;
    if (fstatat(p->fd, d->name, &d->st, AT_SYMLINK_NOFOLLOW) < 0) {
        if (errno != ENOENT)
            return cb_fail(err, CB_EIO, errno, "stat '%s'", rel_of(&w));
        d->done = true; /* removed while we walk: as if never there */
        return 0;
    }
    if (!S_ISDIR(d->st.st_mode))
        return 0; /* replaced by a non-directory: the sequential pass takes it */
    if ((rc = subdir_digest(&w, p->fd, d->name, &d->sub, err)) < 0)
        return rc;
    d->kept = rc;
    d->done = true;
    return 0;
}

/* Walk the subdirectories of the directory open at fd on several threads,
 * once per walk: the first directory with two or more subdirectories. */
static int parallel_pass(struct walk *w, int fd, struct dents *ents, struct cb_err **err)
{
    cleanup_free size_t *dirs = xcalloc(ents->n + 1, sizeof(*dirs));
    struct par p = {.w = w, .fd = fd, .ents = ents, .dirs = dirs};
    size_t nd = 0;

    for (size_t i = 0; i < ents->n; i++)
        if (ents->v[i].type == DT_DIR)
            dirs[nd++] = i;
    if (nd < 2)
        return 0;
    w->parallel = false;
    return cb_parallel(nd, w->o->threads, par_job, &p, err);
}

/* The digest of the children of the directory open at fd: 1 when kept, 0
 * when left out (excluded itself and no child kept). */
static int dir_digest(struct walk *w, int fd, bool keep_self, struct oci_digest *out,
                      struct cb_err **err)
{
    __attribute__((cleanup(dents_release))) struct dents ents = {0};
    cleanup_hasher struct oci_hasher *h = oci_hasher_new();
    size_t base = w->rel.len, kept = 0;
    int rc;

    if (w->depth >= CH_MAX_DEPTH)
        return cb_fail(err, CB_EINVAL, 0, "'%s': directories nested too deeply", rel_of(w));
    if ((rc = list_dir(w, fd, &ents, err)) < 0)
        return rc;
    w->depth++;
    if (w->parallel && (rc = parallel_pass(w, fd, &ents, err)) < 0)
        return rc;
    for (size_t i = 0; i < ents.n; i++) {
        struct dent *d = &ents.v[i];
        if ((rc = rel_push(w, d->name, err)) < 0)
            return rc;
        if (d->done) {
            if (d->kept)
                put_dir_record(w, h, d->name, &d->st, &d->sub);
            kept += (size_t)d->kept;
        } else if (fstatat(fd, d->name, &d->st, AT_SYMLINK_NOFOLLOW) < 0) {
            if (errno != ENOENT) /* removed while we walk: as if never there */
                return cb_fail(err, CB_EIO, errno, "stat '%s'", rel_of(w));
        } else if ((rc = put_node(w, h, fd, d->name, &d->st, err)) < 0) {
            return rc;
        } else {
            kept += (size_t)rc;
        }
        cb_buf_truncate(&w->rel, base);
    }
    w->depth--;
    if (!keep_self && kept == 0)
        return 0;
    oci_hasher_final(h, out);
    return 1;
}

/* A regular file's content digest; fd is the file itself when name is NULL,
 * else its directory. */
static int file_content(struct walk *w, int fd, const char *name, const struct stat *st,
                        struct oci_digest *out, struct cb_err **err)
{
    cleanup_close int ffd = -1;
    int rc;

    if (cache_statcache_lookup(w->o->statcache, st, out))
        return 0;
    if (name) {
        ffd = openat(fd, name, O_RDONLY | O_NOFOLLOW | O_NONBLOCK | O_CLOEXEC);
        if (ffd < 0)
            return cb_fail(err, errno == ENOENT ? CB_ENOTFOUND : CB_EIO, errno, "open '%s'",
                           rel_of(w));
        fd = ffd;
    }
    if ((rc = cache_statcache_digest_fd(w->o->statcache, fd, out, err)) < 0)
        return cb_wrap(err, "'%s'", rel_of(w));
    return 0;
}

/* What follows a non-directory's header in its record. */
static int put_leaf(struct walk *w, struct oci_hasher *h, int fd, const char *name,
                    const struct stat *st, struct cb_err **err)
{
    struct oci_digest cd;
    int rc;

    if (S_ISREG(st->st_mode)) {
        if ((rc = file_content(w, fd, name, st, &cd, err)) < 0)
            return rc;
        oci_hasher_update(h, cd.bytes, sizeof(cd.bytes));
    } else if (S_ISLNK(st->st_mode)) {
        char target[4097];
        ssize_t n = readlinkat(fd, name ? name : "", target, sizeof(target));
        if (n < 0 || (size_t)n >= sizeof(target))
            return cb_fail(err, CB_EIO, n < 0 ? errno : ENAMETOOLONG, "readlink '%s'", rel_of(w));
        oci_hasher_update(h, target, (size_t)n);
        oci_hasher_update(h, "", 1);
    } else if (S_ISCHR(st->st_mode) || S_ISBLK(st->st_mode)) {
        put_u32(h, major(st->st_rdev));
        put_u32(h, minor(st->st_rdev));
    }
    return 0;
}

/* The children's digest of directory name in fd (fd itself when name is
 * NULL), filtered: 1 kept, 0 excluded. */
static int subdir_digest(struct walk *w, int fd, const char *name, struct oci_digest *out,
                         struct cb_err **err)
{
    enum cache_filter_result f = filter(w, true);
    cleanup_close int dfd = -1;

    if (f == CACHE_FILTER_EXCLUDE)
        return 0;
    if (name) {
        dfd = openat(fd, name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
        if (dfd < 0)
            return cb_fail(err, CB_EIO, errno, "open directory '%s'", rel_of(w));
    }
    return dir_digest(w, name ? dfd : fd, f == CACHE_FILTER_INCLUDE, out, err);
}

static void put_dir_record(const struct walk *w, struct oci_hasher *h, const char *name,
                           const struct stat *st, const struct oci_digest *sub)
{
    if (name)
        oci_hasher_update(h, name, strlen(name) + 1);
    put_header(w, h, st);
    oci_hasher_update(h, sub->bytes, sizeof(sub->bytes));
}

/* Add the record of entry name in directory fd (or of fd itself when name
 * is NULL) to h, preceded by "name\0" when name is set: 1 kept, 0 excluded. */
static int put_node(struct walk *w, struct oci_hasher *h, int fd, const char *name,
                    const struct stat *st, struct cb_err **err)
{
    struct oci_digest sub;
    int rc;

    if (S_ISDIR(st->st_mode)) {
        if ((rc = subdir_digest(w, fd, name, &sub, err)) <= 0)
            return rc;
        put_dir_record(w, h, name, st, &sub);
        return 1;
    }
    if (filter(w, false) != CACHE_FILTER_INCLUDE)
        return 0;
    if (name)
        oci_hasher_update(h, name, strlen(name) + 1);
    put_header(w, h, st);
    if ((rc = put_leaf(w, h, fd, name, st, err)) < 0)
        return rc;
    return 1;
}

/* Open the selected path w->rel, following symlinks inside the root: *pfd
 * an O_PATH fd, *fd a readable one for directories and regular files. */
static int open_top(struct walk *w, int *pfd, int *fd, struct stat *st, struct cb_err **err)
{
    const char *rel = rel_of(w);
    struct stat st2;

    if ((*pfd = cb_open_beneath(w->o->root_fd, rel, O_PATH, 0, err)) < 0) {
        if (*pfd == -CB_ENOTFOUND)
            return cb_fail(err, CB_ENOTFOUND, 0, "source '%s' not found", rel);
        return cb_wrap(err, "source '%s'", rel);
    }
    if (fstat(*pfd, st) < 0)
        return cb_fail(err, CB_EIO, errno, "stat '%s'", rel);
    if (!S_ISDIR(st->st_mode) && !S_ISREG(st->st_mode))
        return 0;
    if (S_ISDIR(st->st_mode)) {
        if ((*fd = openat(*pfd, ".", O_RDONLY | O_DIRECTORY | O_CLOEXEC)) < 0)
            return cb_fail(err, CB_EIO, errno, "open source '%s'", rel);
    } else if ((*fd = cb_open_beneath(w->o->root_fd, rel, O_RDONLY | O_NONBLOCK, 0, err)) < 0) {
        /* an O_PATH file cannot be reopened by fd: again by path, in the root */
        return cb_wrap(err, "source '%s'", rel);
    }
    if (fstat(*fd, &st2) < 0 || st2.st_dev != st->st_dev || st2.st_ino != st->st_ino)
        return cb_fail(err, CB_EIO, 0, "source '%s' changed while being read", rel);
    return 0;
}

/* One selected path (already in w->rel): the digest of its record. */
static int hash_top(struct walk *w, struct oci_digest *out, struct cb_err **err)
{
    cleanup_close int pfd = -1;
    cleanup_close int fd = -1;
    cleanup_hasher struct oci_hasher *h = oci_hasher_new();
    struct stat st;
    int rc;

    if ((rc = open_top(w, &pfd, &fd, &st, err)) < 0)
        return rc;
    rc = put_node(w, h, fd >= 0 ? fd : pfd, NULL, &st, err);
    if (rc == 0)
        return cb_fail(err, CB_ENOTFOUND, 0, "source '%s' is excluded", rel_of(w));
    if (rc < 0)
        return rc;
    oci_hasher_final(h, out);
    return 0;
}

int cache_contenthash(const struct cache_contenthash_opts *o, struct oci_digest *out,
                      struct cb_err **err)
{
    cleanup_hasher struct oci_hasher *h = oci_hasher_new();
    __attribute__((cleanup(walk_release))) struct walk w = {.o = o, .parallel = o->threads > 1};
    int rc;

    cb_buf_init(&w.rel, CH_PATH_LIMIT);
    oci_hasher_update(h, CH_VERSION, sizeof(CH_VERSION));
    oci_hasher_update(h, o->with_owner ? "o" : "-", 1);
    for (size_t i = 0; i < o->n_paths; i++) {
        cleanup_free char *rel = cache_path_clean(o->paths[i], err);
        struct oci_digest d;
        if (!rel)
            return cb_err_rc(err);
        cb_buf_reset(&w.rel);
        if ((rc = cb_buf_adds(&w.rel, rel, err)) < 0 || (rc = hash_top(&w, &d, err)) < 0)
            return rc;
        oci_hasher_update(h, rel, strlen(rel) + 1);
        oci_hasher_update(h, d.bytes, sizeof(d.bytes));
    }
    oci_hasher_final(h, out);
    return 0;
}

char *cache_path_clean(const char *path, struct cb_err **err)
{
    cleanup_free char *out = xmalloc(strlen(path) + 1);
    size_t len = 0;
    const char *p = path;

    while (*p) {
        const char *end = strchrnul(p, '/');
        size_t n = (size_t)(end - p);
        if (n == 2 && p[0] == '.' && p[1] == '.') {
            if (!len) {
                cb_fail(err, CB_EINVAL, 0, "'%s' is outside the root", path);
                return NULL;
            }
            while (len && out[len - 1] != '/')
                len--;
            if (len)
                len--; /* the slash */
        } else if (n && !(n == 1 && p[0] == '.')) {
            if (len)
                out[len++] = '/';
            memcpy(out + len, p, n);
            len += n;
        }
        p = *end ? end + 1 : end;
    }
    out[len] = '\0';
    return TAKE_PTR(out);
}
