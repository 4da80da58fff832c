/* unarchive.c - decompress any archive filter libarchive knows. */
#include <archive.h>
#include <string.h>

#include "unarchive.h"
#include "../base/fsutil.h"
#include "../base/banned.h"

static struct archive *open_raw(const char *path)
{
    struct archive *a = archive_read_new();
    struct archive_entry *e;

    if (!a)
        return NULL;
    archive_read_support_filter_all(a);
    archive_read_support_format_raw(a);
    if (archive_read_open_filename(a, path, 1 << 16) != ARCHIVE_OK ||
        archive_read_next_header(a, &e) != ARCHIVE_OK) {
        archive_read_free(a);
        return NULL;
    }
    return a;
}

bool oci_archive_is_tar(const char *path)
{
    struct archive *a = open_raw(path);
    char head[512];
    size_t got = 0;

    if (!a)
        return false;
    while (got < sizeof(head)) {
        la_ssize_t n = archive_read_data(a, head + got, sizeof(head) - got);
        if (n <= 0)
            break;
        got += (size_t)n;
    }
    archive_read_free(a);
    /* POSIX/GNU tar: "ustar" at 257 */
    return got >= 262 && !memcmp(head + 257, "ustar", 5);
}

int oci_archive_decompress(const char *path, int out_fd, struct cb_err **err)
{
    struct archive *a = open_raw(path);
    char buf[1 << 16];

    if (!a)
        return cb_fail(err, CB_EIO, 0, "read archive '%s'", path);
    for (;;) {
        la_ssize_t n = archive_read_data(a, buf, sizeof(buf));
        if (n == 0)
            break;
        if (n < 0) {
            int rc = cb_fail(err, CB_EIO, 0, "decompress '%s': %s", path,
                             archive_error_string(a) ? archive_error_string(a) : "error");
            archive_read_free(a);
            return rc;
        }
        if (cb_write_all(out_fd, buf, (size_t)n, err) < 0) {
            archive_read_free(a);
            return cb_wrap(err, "decompress '%s'", path);
        }
    }
    archive_read_free(a);
    return 0;
}
