/* tarwrite.c - the deterministic tar writer behind OCI and docker archives
 * (PAX restricted, owner 0:0, mtime 0, fixed modes), the atomic finish of an
 * output file, and platform selection for exports. */
#include <archive.h>
#include <archive_entry.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "export_internal.h"
#include "../base/cleanup.h"
#include "../base/fsutil.h"
#include "../base/xalloc.h"
#include "../base/banned.h"

#define CHUNK ((size_t)1 << 20)

struct archive *tar_writer_open(int fd, struct cb_err **err)
{
    struct archive *a = archive_write_new();

    if (archive_write_set_format_pax_restricted(a) != ARCHIVE_OK ||
        archive_write_set_bytes_in_last_block(a, 1) != ARCHIVE_OK ||
        archive_write_open_fd(a, fd) != ARCHIVE_OK) {
        cb_fail(err, CB_EIO, 0, "start tar: %s", archive_error_string(a));
        archive_write_free(a);
        return NULL;
    }
    return a;
}

int tar_writer_close(struct archive *a, bool ok, struct cb_err **err)
{
    int r = 0;

    if (ok && archive_write_close(a) != ARCHIVE_OK)
        r = cb_fail(err, CB_EIO, 0, "finish tar: %s", archive_error_string(a));
    archive_write_free(a);
    return r;
}

static int add_header(struct archive *a, const char *name, unsigned type, int mode, int64_t size,
                      struct cb_err **err)
{
    struct archive_entry *e = archive_entry_new();
    int r = 0;

    archive_entry_set_pathname(e, name);
    archive_entry_set_filetype(e, type);
    archive_entry_set_perm(e, (mode_t)mode);
    archive_entry_set_size(e, size);
    archive_entry_set_uid(e, 0);
    archive_entry_set_gid(e, 0);
    archive_entry_set_mtime(e, 0, 0);
    if (archive_write_header(a, e) != ARCHIVE_OK)
        r = cb_fail(err, CB_EIO, 0, "write tar entry '%s': %s", name, archive_error_string(a));
    archive_entry_free(e);
    return r;
}

static int add_bytes(struct archive *a, const char *name, const void *data, size_t len,
                     struct cb_err **err)
{
    if (len && archive_write_data(a, data, len) != (la_ssize_t)len)
        return cb_fail(err, CB_EIO, 0, "write tar entry '%s': %s", name, archive_error_string(a));
    return 0;
}

int tar_add_dir(struct archive *a, const char *name, struct cb_err **err)
{
    return add_header(a, name, AE_IFDIR, 0755, 0, err);
}

int tar_add_data(struct archive *a, const char *name, const void *data, size_t len,
                 struct cb_err **err)
{
    if (add_header(a, name, AE_IFREG, 0644, (int64_t)len, err) < 0)
        return cb_err_rc(err);
    return add_bytes(a, name, data, len, err);
}

int tar_add_fd(struct archive *a, const char *name, int fd, int64_t size, struct cb_err **err)
{
    cleanup_free char *buf = xmalloc(CHUNK);
    int64_t left = size;

    if (add_header(a, name, AE_IFREG, 0644, size, err) < 0)
        return cb_err_rc(err);
    while (left > 0) {
        ssize_t n = read(fd, buf, left < (int64_t)CHUNK ? (size_t)left : CHUNK);
        if (n < 0 && errno == EINTR)
            continue;
        if (n <= 0)
            return cb_fail(err, CB_EIO, n < 0 ? errno : 0, "read content of '%s'%s", name,
                           n == 0 ? ": file shrank" : "");
        if (add_bytes(a, name, buf, (size_t)n, err) < 0)
            return cb_err_rc(err);
        left -= n;
    }
    return 0;
}

int tar_add_blob(struct archive *a, struct oci_layout *src, const char *name,
                 const struct oci_blob_ref *b, struct cb_err **err)
{
    cleanup_blob_reader struct oci_blob_reader *r = oci_blob_reader_open(src, &b->digest, err);
    cleanup_free char *buf = xmalloc(CHUNK);
    int64_t size, done = 0;
    ssize_t n;

    if (!r || oci_layout_blob_size(src, &b->digest, &size, err) < 0)
        return cb_err_rc(err);
    if (add_header(a, name, AE_IFREG, 0644, size, err) < 0)
        return cb_err_rc(err);
    while ((n = oci_blob_reader_read(r, buf, CHUNK, err)) > 0) {
        if (add_bytes(a, name, buf, (size_t)n, err) < 0)
            return cb_err_rc(err);
        done += n;
    }
    if (n == 0 && done != size)
        return cb_fail(err, CB_EIO, 0, "blob '%s' changed size while copied", name);
    return n < 0 ? (int)n : 0;
}

int finish_file(int fd, const char *tmp, const char *dest, int r, struct cb_err **err)
{
    if (r >= 0 && fsync(fd) < 0)
        r = cb_fail(err, CB_EIO, errno, "fsync '%s'", tmp);
    if (close(fd) < 0 && r >= 0)
        r = cb_fail(err, CB_EIO, errno, "close '%s'", tmp);
    if (r >= 0 && fchmodat(AT_FDCWD, tmp, 0644, 0) < 0)
        r = cb_fail(err, CB_EIO, errno, "chmod '%s'", tmp);
    if (r >= 0 && rename(tmp, dest) < 0)
        r = cb_fail(err, CB_EIO, errno, "rename '%s' to '%s'", tmp, dest);
    if (r < 0)
        unlink(tmp);
    return r;
}
