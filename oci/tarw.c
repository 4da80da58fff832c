/* tarw.c - one file on disk -> one PAX tar entry, deterministically, through
 * libarchive; the tar bytes hashed (diff_id), compressed, hashed again (blob
 * digest) and handed to the caller's sink in the same pass. */
#include <archive.h>
#include <archive_entry.h>
#include <errno.h>
#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/sysmacros.h>
#include <sys/xattr.h>
#include <unistd.h>

#include "tarw.h"
#include "../base/cleanup.h"
#include "../base/xalloc.h"
#include "../base/banned.h"

#define READ_CHUNK ((size_t)256 << 10)
#define XATTR_LIST_MAX_ ((size_t)64 << 10) /* Linux's XATTR_LIST_MAX */

struct link_slot {
    dev_t dev;
    ino_t ino;
    char *path; /* NULL: empty slot */
};

struct oci_tarw {
    struct oci_layer_write_opts o;
    const struct oci_sink *out;
    struct archive *a;
    struct archive_entry *e;
    struct oci_compressor *comp;
    struct oci_sink blob_sink; /* the compressor's output: blob_write(w) */
    struct oci_hasher *tar_h, *blob_h;
    uint64_t tar_size, blob_size, entries;
    struct cb_err *cb_err; /* an error raised inside a libarchive callback */
    unsigned char *buf;
    char *xnames;            /* XATTR_LIST_MAX_ bytes: llistxattr() output */
    struct link_slot *links; /* open addressing, power-of-two size */
    size_t n_links, cap_links;
};

/* ---------------------------------------------------------------- pipeline */

static int blob_write(void *ud, const void *data, size_t len, struct cb_err **err)
{
    struct oci_tarw *w = ud;

    oci_hasher_update(w->blob_h, data, len);
    w->blob_size += len;
    return oci_sink_write(w->out, data, len, err);
}

static la_ssize_t tar_write(struct archive *a, void *ud, const void *data, size_t len)
{
    struct oci_tarw *w = ud;

    oci_hasher_update(w->tar_h, data, len);
    w->tar_size += len;
    if (oci_compressor_write(w->comp, data, len, &w->cb_err) < 0) {
        archive_set_error(a, EIO, "layer output failed");
        return -1;
    }
    return (la_ssize_t)len;
}

/* The error of a failed libarchive call: ours from a callback, or its own. */
static int arch_fail(struct oci_tarw *w, struct cb_err **err, const char *what)
{
    if (w->cb_err) {
        cb_err_free(*err);
        *err = TAKE_PTR(w->cb_err);
        return cb_wrap(err, "%s", what);
    }
    return cb_fail(err, CB_EIO, 0, "%s: %s", what, archive_error_string(w->a));
}

static int pax_options(struct oci_tarw *w, struct cb_err **err)
{
    /* PAX only where needed (long names, big values, xattrs); xattrs as
     * SCHILY.xattr.* the way Go's archive/tar and GNU tar read them. */
    if (archive_write_set_format_pax_restricted(w->a) != ARCHIVE_OK ||
        archive_write_set_format_option(w->a, "pax", "xattrheader", "SCHILY") != ARCHIVE_OK ||
        archive_write_add_filter_none(w->a) != ARCHIVE_OK ||
        archive_write_set_bytes_per_block(w->a, 10240) != ARCHIVE_OK ||
        archive_write_open2(w->a, w, NULL, tar_write, NULL, NULL) != ARCHIVE_OK)
        return arch_fail(w, err, "start layer tar");
    return 0;
}

struct oci_tarw *oci_tarw_new(const struct oci_layer_write_opts *o, const struct oci_sink *out,
                              struct cb_err **err)
{
    struct oci_tarw *w = xcalloc(1, sizeof(*w));

    w->o = *o;
    w->out = out;
    w->blob_sink = (struct oci_sink){blob_write, w};
    w->tar_h = oci_hasher_new();
    w->blob_h = oci_hasher_new();
    w->buf = xmalloc(READ_CHUNK);
    w->xnames = xmalloc(XATTR_LIST_MAX_);
    w->cap_links = 64;
    w->links = xcalloc(w->cap_links, sizeof(*w->links));
    w->e = archive_entry_new();
    w->a = archive_write_new();
    CB_BUG_ON(!w->a || !w->e);
    w->comp = oci_compressor_new(&o->compress, &w->blob_sink, err);
    if (!w->comp || pax_options(w, err) < 0) {
        oci_tarw_free(w);
        return NULL;
    }
    return w;
}

int oci_tarw_finish(struct oci_tarw *w, struct oci_layer_desc *desc, struct cb_err **err)
{
    if (archive_write_close(w->a) != ARCHIVE_OK)
        return arch_fail(w, err, "finish layer tar");
    if (oci_compressor_finish(w->comp, err) < 0)
        return cb_wrap(err, "finish layer");
    if (desc) {
        *desc = (struct oci_layer_desc){.compression = w->o.compress.algo,
                                        .size = w->blob_size,
                                        .diff_size = w->tar_size,
                                        .entries = w->entries};
        oci_hasher_final(w->blob_h, &desc->digest);
        oci_hasher_final(w->tar_h, &desc->diff_id);
    }
    return 0;
}

void oci_tarw_free(struct oci_tarw *w)
{
    if (!w)
        return;
    if (w->a)
        archive_write_free(w->a);
    archive_entry_free(w->e);
    oci_compressor_free(w->comp);
    oci_hasher_free(w->tar_h);
    oci_hasher_free(w->blob_h);
    for (size_t i = 0; i < w->cap_links; i++)
        free(w->links[i].path);
    free(w->links);
    cb_err_free(w->cb_err);
    free(w->buf);
    free(w->xnames);
    free(w);
}

/* ---------------------------------------------------------------- hardlinks */

static size_t link_hash(dev_t dev, ino_t ino, size_t cap)
{
    uint64_t x = (uint64_t)ino * 0x9E3779B97F4A7C15ull ^ (uint64_t)dev * 0xC2B2AE3D27D4EB4Full;
    return (size_t)(x ^ (x >> 29)) & (cap - 1);
}

static struct link_slot *link_find(struct link_slot *t, size_t cap, dev_t dev, ino_t ino)
{
    size_t i = link_hash(dev, ino, cap);
    while (t[i].path && !(t[i].dev == dev && t[i].ino == ino))
        i = (i + 1) & (cap - 1);
    return &t[i];
}

/* The first archive path seen for st's inode, or NULL (and remember apath). */
static const char *link_first(struct oci_tarw *w, const struct stat *st, const char *apath)
{
    struct link_slot *s = link_find(w->links, w->cap_links, st->st_dev, st->st_ino);

    if (s->path)
        return s->path;
    if ((w->n_links + 1) * 2 > w->cap_links) {
        size_t cap = w->cap_links * 2;
        struct link_slot *t = xcalloc(cap, sizeof(*t));
        for (size_t i = 0; i < w->cap_links; i++)
            if (w->links[i].path)
                *link_find(t, cap, w->links[i].dev, w->links[i].ino) = w->links[i];
        free(w->links);
        w->links = t;
        w->cap_links = cap;
        s = link_find(w->links, w->cap_links, st->st_dev, st->st_ino);
    }
    *s = (struct link_slot){st->st_dev, st->st_ino, xstrdup(apath)};
    w->n_links++;
    return NULL;
}

/* ---------------------------------------------------------------- xattrs */

int oci_tarw_xattr_skipped(const char *name)
{
    return strncmp(name, "trusted.overlay.", 16) == 0 || strncmp(name, "user.overlay.", 13) == 0 ||
           strcmp(name, OCI_LAYER_OWNER_XATTR) == 0 || strcmp(name, "security.selinux") == 0;
}

int oci_owner_xattr_decode(const void *v, size_t len, uid_t *uid, gid_t *gid)
{
    const unsigned char *p = v, *end = p + len;

    while (p < end) {
        unsigned key = *p++;
        uint64_t val = 0;
        int shift = 0;
        do {
            if (p == end || shift > 63)
                return -1;
            val |= (uint64_t)(*p & 0x7f) << shift;
            shift += 7;
        } while (*p++ & 0x80);
        if (val > UINT32_MAX || (key != 0x08 && key != 0x10))
            return -1;
        if (val == UINT32_MAX)
            continue; /* umoci's NoopID: unchanged */
        if (key == 0x08)
            *uid = (uid_t)val;
        else
            *gid = (gid_t)val;
    }
    return 0;
}

static size_t put_varint(unsigned char *p, uint32_t v)
{
    size_t n = 0;
    do {
        p[n++] = (unsigned char)((v & 0x7f) | (v > 0x7f ? 0x80 : 0));
        v >>= 7;
    } while (v);
    return n;
}

size_t oci_owner_xattr_encode(uid_t uid, gid_t gid, unsigned char out[12])
{
    size_t n = 0;

    /* proto3 leaves zero fields out */
    if (uid) {
        out[n++] = 0x08;
        n += put_varint(out + n, (uint32_t)uid);
    }
    if (gid) {
        out[n++] = 0x10;
        n += put_varint(out + n, (uint32_t)gid);
    }
    return n;
}

static int cmp_str(const void *a, const void *b)
{
    return strcmp(*(char *const *)a, *(char *const *)b);
}

/* The names of path's xattrs, sorted (pointers into w->xnames); *n = 0 when
 * the file system has none. */
static char **list_xattrs(struct oci_tarw *w, const char *path, size_t *n, struct cb_err **err)
{
    ssize_t len = llistxattr(path, w->xnames, XATTR_LIST_MAX_);
    char **v;

    *n = 0;
    if (len < 0 && (errno == ENOTSUP || errno == ENODATA))
        return xcalloc(1, sizeof(char *));
    if (len < 0) {
        cb_fail(err, CB_EIO, errno, "list xattrs");
        return NULL;
    }
    v = xcalloc((size_t)len / 2 + 1, sizeof(*v));
    for (char *p = w->xnames; p < w->xnames + len; p += strlen(p) + 1)
        v[(*n)++] = p;
    if (*n)
        qsort(v, *n, sizeof(*v), cmp_str);
    return v;
}

/* Copy dirfd/name's xattrs onto the entry (sorted: libarchive keeps the
 * order), taking the rootless owner record as the owner. */
static int add_xattrs(struct oci_tarw *w, int dirfd, const char *name, struct cb_err **err)
{
    char path[64 + 256 + 8];
    uid_t uid = (uid_t)archive_entry_uid(w->e);
    gid_t gid = (gid_t)archive_entry_gid(w->e);
    size_t n;

    snprintf(path, sizeof(path), "/proc/self/fd/%d/%s", dirfd, name);
    cleanup_free char **sorted = list_xattrs(w, path, &n, err);
    if (!sorted)
        return cb_err_rc(err);
    for (size_t i = 0; i < n; i++) {
        ssize_t len = lgetxattr(path, sorted[i], w->buf, READ_CHUNK);
        if (len < 0) {
            if (errno == ENODATA)
                continue;
            return cb_fail(err, CB_EIO, errno, "read xattr '%s'", sorted[i]);
        }
        if (strcmp(sorted[i], OCI_LAYER_OWNER_XATTR) == 0) {
            if (oci_owner_xattr_decode(w->buf, (size_t)len, &uid, &gid) == 0) {
                archive_entry_set_uid(w->e, uid);
                archive_entry_set_gid(w->e, gid);
            }
            continue;
        }
        if (!oci_tarw_xattr_skipped(sorted[i]))
            archive_entry_xattr_add_entry(w->e, sorted[i], w->buf, (size_t)len);
    }
    return 0;
}

/* ---------------------------------------------------------------- entries */

static int64_t clamp(const struct oci_tarw *w, int64_t t)
{
    if (w->o.clamp_mtime && t > w->o.source_date_epoch)
        return w->o.source_date_epoch;
    return t;
}

static void fill_header(struct oci_tarw *w, const struct stat *st, const char *apath)
{
    archive_entry_clear(w->e);
    archive_entry_set_pathname(w->e, apath);
    archive_entry_set_mode(w->e, st->st_mode);
    archive_entry_set_uid(w->e, st->st_uid);
    archive_entry_set_gid(w->e, st->st_gid);
    /* whole seconds, as moby does: sub-second times would add a PAX header
     * to every entry and vary between file systems */
    archive_entry_set_mtime(w->e, clamp(w, st->st_mtim.tv_sec), 0);
    if (S_ISCHR(st->st_mode) || S_ISBLK(st->st_mode)) {
        archive_entry_set_rdevmajor(w->e, major(st->st_rdev));
        archive_entry_set_rdevminor(w->e, minor(st->st_rdev));
    }
}

static int write_header(struct oci_tarw *w, const char *apath, struct cb_err **err)
{
    if (archive_write_header(w->a, w->e) != ARCHIVE_OK) {
        arch_fail(w, err, "write tar header");
        return cb_wrap(err, "'%s'", apath);
    }
    w->entries++;
    return 0;
}

static int write_data(struct oci_tarw *w, int dirfd, const char *name, const struct stat *st,
                      const char *apath, struct cb_err **err)
{
    cleanup_close int fd = openat(dirfd, name, O_RDONLY | O_NOFOLLOW | O_CLOEXEC);
    off_t left = st->st_size;

    if (fd < 0)
        return cb_fail(err, CB_EIO, errno, "open '%s'", apath);
    while (left > 0) {
        size_t want = (size_t)left < READ_CHUNK ? (size_t)left : READ_CHUNK;
        ssize_t n = read(fd, w->buf, want);
        if (n < 0 && errno == EINTR)
            continue;
        if (n < 0)
            return cb_fail(err, CB_EIO, errno, "read '%s'", apath);
        if (n == 0)
            return cb_fail(err, CB_EIO, 0, "read '%s': file shrank while being archived", apath);
        if (archive_write_data(w->a, w->buf, (size_t)n) != n) {
            arch_fail(w, err, "write tar data");
            return cb_wrap(err, "'%s'", apath);
        }
        left -= n;
    }
    return 0;
}

int oci_tarw_add(struct oci_tarw *w, int dirfd, const char *name, const struct stat *st,
                 const char *apath, struct cb_err **err)
{
    char target[4096];

    if (S_ISSOCK(st->st_mode))
        return 0;
    fill_header(w, st, apath);
    if (!S_ISDIR(st->st_mode) && st->st_nlink > 1) {
        const char *first = link_first(w, st, apath);
        if (first) {
            archive_entry_set_hardlink(w->e, first);
            archive_entry_set_size(w->e, 0);
            return write_header(w, apath, err);
        }
    }
    if (S_ISLNK(st->st_mode)) {
        ssize_t n = readlinkat(dirfd, name, target, sizeof(target) - 1);
        if (n < 0)
            return cb_fail(err, CB_EIO, errno, "read link '%s'", apath);
        target[n] = 0;
        archive_entry_set_symlink(w->e, target);
    }
    if (add_xattrs(w, dirfd, name, err) < 0)
        return cb_wrap(err, "'%s'", apath);
    if (S_ISREG(st->st_mode))
        archive_entry_set_size(w->e, st->st_size);
    if (write_header(w, apath, err) < 0)
        return cb_err_rc(err);
    if (S_ISREG(st->st_mode) && st->st_size > 0)
        return write_data(w, dirfd, name, st, apath, err);
    return 0;
}

int oci_tarw_add_whiteout(struct oci_tarw *w, const char *apath, struct cb_err **err)
{
    struct stat st = {.st_mode = S_IFREG | 0644};

    fill_header(w, &st, apath);
    archive_entry_set_size(w->e, 0);
    return write_header(w, apath, err);
}
