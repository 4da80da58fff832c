/* layout.c - the content store half of an OCI image layout: opening and
 * creating layouts, stale temp-file cleanup, the streaming blob writer and
 * the verified blob reader.  index.json and documents are in layout_index.c,
 * gc in layout_gc.c.
 *
 * A writer opens an O_TMPFILE in blobs/sha256, takes an flock on it and only
 * then links it in as ".tmp-<random>", so a temp file visible in the
 * directory without a lock belongs to a dead process (with O_TMPFILE
 * unsupported, the file is created and locked at once, leaving a window of
 * a few instructions).  Commit fsyncs the file, renames it to its digest and
 * fsyncs the directory (umoci's PutBlob, image-spec image-layout.md "Blobs"). */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/random.h>
#include <sys/stat.h>
#include <unistd.h>

#include "oci_internal.h"
#include "../base/cleanup.h"
#include "../base/fsutil.h"
#include "../base/log.h"
#include "../base/xalloc.h"
#include "../base/banned.h"

#define COPY_CHUNK ((size_t)1 << 20)

/* ---------------------------------------------------------------- open */

static int write_marker(int dirfd, struct cb_err **err)
{
    cleanup_buf struct cb_buf b = {0};

    cb_buf_init(&b, 4096);
    if (oci_layout_marker_dump(&b, err) < 0)
        return cb_err_rc(err);
    return cb_write_file_atomic_at(dirfd, "oci-layout", b.data, b.len, 0644, err);
}

static int check_marker(int dirfd, const char *path, struct cb_err **err)
{
    cleanup_buf struct cb_buf b = {0};
    cleanup_free char *version = NULL;

    cb_buf_init(&b, 64 << 10);
    if (cb_read_file_at(dirfd, "oci-layout", &b, err) < 0)
        return cb_wrap(err, "'%s' is not an OCI image layout", path);
    if (oci_layout_marker_parse(b.data, b.len, &version, err) < 0)
        return cb_wrap(err, "open layout '%s'", path);
    if (strncmp(version, "1.", 2) != 0)
        return cb_fail(err, CB_EUNSUPPORTED, 0, "open layout '%s': unsupported version '%s'", path,
                       version);
    return 0;
}

static int ensure_created(const char *path, int dirfd, struct cb_err **err)
{
    static const char empty_index[] = "{\"manifests\":[],\"schemaVersion\":2}";

    if (faccessat(dirfd, "oci-layout", F_OK, AT_SYMLINK_NOFOLLOW) < 0 &&
        write_marker(dirfd, err) < 0)
        return cb_wrap(err, "create layout '%s'", path);
    if (faccessat(dirfd, "index.json", F_OK, AT_SYMLINK_NOFOLLOW) < 0 &&
        cb_write_file_atomic_at(dirfd, "index.json", empty_index, sizeof(empty_index) - 1, 0644,
                                err) < 0)
        return cb_wrap(err, "create layout '%s'", path);
    return 0;
}

/* Remove temp files whose writer is gone (nobody holds their flock). */
static void remove_stale_temps(struct oci_layout *l)
{
    cleanup_dir DIR *d = NULL;
    struct dirent *de;
    int fd = openat(l->blobsfd, ".", O_RDONLY | O_DIRECTORY | O_CLOEXEC);

    if (fd < 0 || !(d = fdopendir(fd))) {
        if (fd >= 0)
            close(fd);
        return;
    }
    while ((de = readdir(d))) {
        cleanup_close int tfd = -1;
        if (strncmp(de->d_name, OCI_BLOB_TMP_PREFIX, strlen(OCI_BLOB_TMP_PREFIX)) != 0)
            continue;
        tfd = openat(l->blobsfd, de->d_name, O_RDONLY | O_NOFOLLOW | O_CLOEXEC);
        if (tfd < 0 || flock(tfd, LOCK_EX | LOCK_NB) < 0)
            continue;
        if (unlinkat(l->blobsfd, de->d_name, 0) == 0)
            cb_log_debug("removed stale temp blob '%s/blobs/sha256/%s'", l->path, de->d_name);
    }
}

struct oci_layout *oci_layout_open(const char *path, unsigned flags, struct cb_err **err)
{
    cleanup_free char *blobs = cb_path_join(path, "blobs/sha256");
    struct oci_layout *l;
    int dirfd;

    if ((flags & OCI_LAYOUT_CREATE) && cb_mkdir_p(blobs, 0755, err) < 0) {
        cb_wrap(err, "create layout '%s'", path);
        return NULL;
    }
    dirfd = open(path, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (dirfd < 0) {
        cb_fail(err, errno == ENOENT ? CB_ENOTFOUND : CB_EIO, errno, "open layout '%s'", path);
        return NULL;
    }
    l = xcalloc(1, sizeof(*l));
    l->path = xstrdup(path);
    l->dirfd = dirfd;
    l->blobsfd = -1;
    if (((flags & OCI_LAYOUT_CREATE) && ensure_created(path, dirfd, err) < 0) ||
        check_marker(dirfd, path, err) < 0) {
        oci_layout_free(l);
        return NULL;
    }
    l->blobsfd = openat(dirfd, "blobs/sha256", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (l->blobsfd < 0 && errno == ENOENT && cb_mkdir_p(blobs, 0755, NULL) == 0)
        l->blobsfd = openat(dirfd, "blobs/sha256", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (l->blobsfd < 0) {
        cb_fail(err, CB_EIO, errno, "open '%s'", blobs);
        oci_layout_free(l);
        return NULL;
    }
    remove_stale_temps(l);
    return l;
}

void oci_layout_free(struct oci_layout *l)
{
    if (!l)
        return;
    if (l->dirfd >= 0)
        close(l->dirfd);
    if (l->blobsfd >= 0)
        close(l->blobsfd);
    free(l->path);
    free(l);
}

const char *oci_layout_path_peek(const struct oci_layout *l)
{
    return l->path;
}

bool oci_layout_is_layout(const char *path)
{
    cleanup_free char *p = cb_path_join(path, "oci-layout");
    struct stat st;
    return stat(p, &st) == 0 && S_ISREG(st.st_mode);
}

/* ---------------------------------------------------------------- blobs */

char *oci_layout_blob_path(const struct oci_layout *l, const struct oci_digest *d)
{
    char hex[65];
    return xasprintf("%s/blobs/sha256/%s", l->path, oci_digest_hex(d, hex));
}

bool oci_layout_has_blob(struct oci_layout *l, const struct oci_digest *d)
{
    char hex[65];
    struct stat st;
    return fstatat(l->blobsfd, oci_digest_hex(d, hex), &st, AT_SYMLINK_NOFOLLOW) == 0 &&
           S_ISREG(st.st_mode);
}

int oci_layout_blob_size(struct oci_layout *l, const struct oci_digest *d, int64_t *size,
                         struct cb_err **err)
{
    char hex[65], s[OCI_DIGEST_STR_MAX];
    struct stat st;

    if (fstatat(l->blobsfd, oci_digest_hex(d, hex), &st, AT_SYMLINK_NOFOLLOW) < 0)
        return cb_fail(err, errno == ENOENT ? CB_ENOTFOUND : CB_EIO, errno, "blob '%s'",
                       oci_digest_fmt(d, s));
    *size = (int64_t)st.st_size;
    return 0;
}

int oci_layout_blob_open(struct oci_layout *l, const struct oci_digest *d, struct cb_err **err)
{
    char hex[65], s[OCI_DIGEST_STR_MAX];
    int fd = openat(l->blobsfd, oci_digest_hex(d, hex), O_RDONLY | O_NOFOLLOW | O_CLOEXEC);

    if (fd < 0)
        return cb_fail(err, errno == ENOENT ? CB_ENOTFOUND : CB_EIO, errno, "cannot read blob '%s'",
                       oci_digest_fmt(d, s));
    return fd;
}

int oci_layout_remove_blob(struct oci_layout *l, const struct oci_digest *d, struct cb_err **err)
{
    char hex[65];

    if (unlinkat(l->blobsfd, oci_digest_hex(d, hex), 0) < 0 && errno != ENOENT)
        return cb_fail(err, CB_EIO, errno, "remove blob 'sha256:%s'", hex);
    return 0;
}

/* ---------------------------------------------------------------- reader */

struct oci_blob_reader {
    int fd;
    struct oci_digest want;
    struct oci_hasher *h;
    bool done;
};

struct oci_blob_reader *oci_blob_reader_open(struct oci_layout *l, const struct oci_digest *d,
                                             struct cb_err **err)
{
    struct oci_blob_reader *r;
    int fd = oci_layout_blob_open(l, d, err);

    if (fd < 0)
        return NULL;
    r = xcalloc(1, sizeof(*r));
    r->fd = fd;
    r->want = *d;
    r->h = oci_hasher_new();
    return r;
}

ssize_t oci_blob_reader_read(struct oci_blob_reader *r, void *buf, size_t len, struct cb_err **err)
{
    char s[OCI_DIGEST_STR_MAX], g[OCI_DIGEST_STR_MAX];
    struct oci_digest got;
    ssize_t n;

    if (r->done)
        return 0;
    do
        n = read(r->fd, buf, len);
    while (n < 0 && errno == EINTR);
    if (n < 0)
        return cb_fail(err, CB_EIO, errno, "read blob '%s'", oci_digest_fmt(&r->want, s));
    if (n > 0) {
        oci_hasher_update(r->h, buf, (size_t)n);
        return n;
    }
    oci_hasher_final(r->h, &got);
    if (!oci_digest_equal(&got, &r->want))
        return cb_fail(err, CB_EDIGEST, 0, "blob '%s' is corrupt: its content hashes to '%s'",
                       oci_digest_fmt(&r->want, s), oci_digest_fmt(&got, g));
    r->done = true;
    return 0;
}

void oci_blob_reader_free(struct oci_blob_reader *r)
{
    if (!r)
        return;
    close(r->fd);
    oci_hasher_free(r->h);
    free(r);
}

int oci_layout_read_blob(struct oci_layout *l, const struct oci_digest *d, struct cb_buf *out,
                         struct cb_err **err)
{
    cleanup_blob_reader struct oci_blob_reader *r = oci_blob_reader_open(l, d, err);
    char buf[65536];
    ssize_t n;

    if (!r)
        return cb_err_rc(err);
    while ((n = oci_blob_reader_read(r, buf, sizeof(buf), err)) > 0)
        if (cb_buf_add(out, buf, (size_t)n, err) < 0)
            return cb_err_rc(err);
    return n < 0 ? (int)n : 0;
}

/* ---------------------------------------------------------------- writer */

struct oci_blob_writer {
    struct oci_layout *l;
    int fd;
    char name[48]; /* ".tmp-<hex>" */
    struct oci_hasher *h;
    int64_t size;
    bool committed;
};

static void random_name(char *out, size_t len)
{
    unsigned char r[12];
    size_t i;

    if (getrandom(r, sizeof(r), 0) != (ssize_t)sizeof(r))
        for (i = 0; i < sizeof(r); i++)
            r[i] = (unsigned char)(rand() ^ getpid());
    i = (size_t)snprintf(out, len, "%s", OCI_BLOB_TMP_PREFIX);
    for (size_t k = 0; k < sizeof(r) && i + 2 < len; k++, i += 2)
        snprintf(out + i, len - i, "%02x", r[k]);
}

/* An anonymous file, locked, then linked in under w->name. */
static int open_tmpfile(struct oci_blob_writer *w)
{
    cleanup_close int fd = openat(w->l->blobsfd, ".", O_TMPFILE | O_RDWR | O_CLOEXEC, 0644);
    char proc[64];

    if (fd < 0 || flock(fd, LOCK_EX) < 0)
        return -1;
    snprintf(proc, sizeof(proc), "/proc/self/fd/%d", fd);
    if (linkat(AT_FDCWD, proc, w->l->blobsfd, w->name, AT_SYMLINK_FOLLOW) < 0)
        return -1;
    return TAKE_FD(fd);
}

static int open_named(struct oci_blob_writer *w)
{
    int fd = openat(w->l->blobsfd, w->name, O_CREAT | O_EXCL | O_RDWR | O_CLOEXEC, 0644);

    if (fd >= 0 && flock(fd, LOCK_EX) < 0) {
        close(fd);
        unlinkat(w->l->blobsfd, w->name, 0);
        return -1;
    }
    return fd;
}

struct oci_blob_writer *oci_blob_writer_new(struct oci_layout *l, struct cb_err **err)
{
    struct oci_blob_writer *w = xcalloc(1, sizeof(*w));

    w->l = l;
    random_name(w->name, sizeof(w->name));
    w->fd = open_tmpfile(w);
    if (w->fd < 0)
        w->fd = open_named(w);
    if (w->fd < 0) {
        cb_fail(err, CB_EIO, errno, "create temp blob in '%s/blobs/sha256'", l->path);
        free(w);
        return NULL;
    }
    w->h = oci_hasher_new();
    return w;
}

int oci_blob_writer_write(struct oci_blob_writer *w, const void *data, size_t len,
                          struct cb_err **err)
{
    CB_BUG_ON(w->committed);
    if (cb_write_all(w->fd, data, len, err) < 0)
        return cb_wrap(err, "write blob in '%s'", w->l->path);
    oci_hasher_update(w->h, data, len);
    w->size += (int64_t)len;
    return 0;
}

static int sink_write(void *userdata, const void *data, size_t len, struct cb_err **err)
{
    return oci_blob_writer_write(userdata, data, len, err);
}

struct oci_sink oci_blob_writer_sink(struct oci_blob_writer *w)
{
    return (struct oci_sink){.write = sink_write, .userdata = w};
}

int64_t oci_blob_writer_size(const struct oci_blob_writer *w)
{
    return w->size;
}

int oci_blob_writer_commit(struct oci_blob_writer *w, const struct oci_digest *expected,
                           int64_t expected_size, struct oci_digest *out, struct cb_err **err)
{
    char a[OCI_DIGEST_STR_MAX], b[OCI_DIGEST_STR_MAX], hex[65];
    struct oci_digest got;

    CB_BUG_ON(w->committed);
    oci_hasher_final(w->h, &got);
    if (expected && !oci_digest_equal(&got, expected))
        return cb_fail(err, CB_EDIGEST, 0, "digest mismatch: expected '%s', got '%s'",
                       oci_digest_fmt(expected, a), oci_digest_fmt(&got, b));
    if (expected_size >= 0 && expected_size != w->size)
        return cb_fail(err, CB_EDIGEST, 0, "size mismatch for '%s': expected %lld bytes, got %lld",
                       oci_digest_fmt(&got, a), (long long)expected_size, (long long)w->size);
    if (fsync(w->fd) < 0)
        return cb_fail(err, CB_EIO, errno, "fsync blob in '%s'", w->l->path);
    if (renameat(w->l->blobsfd, w->name, w->l->blobsfd, oci_digest_hex(&got, hex)) < 0)
        return cb_fail(err, CB_EIO, errno, "store blob '%s'", oci_digest_fmt(&got, a));
    w->committed = true;
    if (fsync(w->l->blobsfd) < 0)
        return cb_fail(err, CB_EIO, errno, "fsync '%s/blobs/sha256'", w->l->path);
    if (out)
        *out = got;
    return 0;
}

void oci_blob_writer_free(struct oci_blob_writer *w)
{
    if (!w)
        return;
    if (!w->committed)
        unlinkat(w->l->blobsfd, w->name, 0);
    close(w->fd);
    oci_hasher_free(w->h);
    free(w);
}

int oci_layout_put_blob(struct oci_layout *l, const void *data, size_t len, struct oci_digest *out,
                        struct cb_err **err)
{
    cleanup_blob_writer struct oci_blob_writer *w = NULL;
    struct oci_digest d;

    oci_digest_of(data, len, &d);
    if (out)
        *out = d;
    if (oci_layout_has_blob(l, &d))
        return 0;
    w = oci_blob_writer_new(l, err);
    if (!w || oci_blob_writer_write(w, data, len, err) < 0 ||
        oci_blob_writer_commit(w, &d, (int64_t)len, NULL, err) < 0)
        return cb_err_rc(err);
    return 0;
}

int oci_layout_put_blob_fd(struct oci_layout *l, int fd, struct oci_digest *out, int64_t *size,
                           struct cb_err **err)
{
    cleanup_blob_writer struct oci_blob_writer *w = oci_blob_writer_new(l, err);
    cleanup_free char *buf = NULL;
    ssize_t n;

    if (!w)
        return cb_err_rc(err);
    buf = xmalloc(COPY_CHUNK);
    for (;;) {
        n = read(fd, buf, COPY_CHUNK);
        if (n < 0 && errno == EINTR)
            continue;
        if (n < 0)
            return cb_fail(err, CB_EIO, errno, "read blob content");
        if (n == 0)
            break;
        if (oci_blob_writer_write(w, buf, (size_t)n, err) < 0)
            return cb_err_rc(err);
    }
    if (size)
        *size = w->size;
    return oci_blob_writer_commit(w, NULL, -1, out, err);
}
