/* stdin_context.c - a build context read from a stream. */
#include <errno.h>
#include <fcntl.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "stdin_context.h"
#include "../oci/layer.h"
#include "../base/cleanup.h"
#include "../base/fsutil.h"
#include "../base/xalloc.h"
#include "../base/banned.h"

#define CONTEXT_LIMIT ((size_t)8 << 30)

static bool looks_like_tar(const unsigned char *p, size_t n)
{
    if (n >= 2 && p[0] == 0x1f && p[1] == 0x8b)
        return true;
    if (n >= 4 && p[0] == 0x28 && p[1] == 0xb5 && p[2] == 0x2f && p[3] == 0xfd)
        return true;
    return n >= 262 && !memcmp(p + 257, "ustar", 5);
}

/* Copy fd into the file at path, remembering the first bytes. */
static int spool(int fd, const char *path, unsigned char *head, size_t *nhead, size_t *total,
                 struct cb_err **err)
{
    cleanup_close int out = open(path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
    char buf[1 << 16];

    *nhead = *total = 0;
    if (out < 0)
        return cb_fail(err, CB_EIO, errno, "create '%s'", path);
    for (;;) {
        ssize_t n = read(fd, buf, sizeof(buf));
        if (n < 0 && errno == EINTR)
            continue;
        if (n < 0)
            return cb_fail(err, CB_EIO, errno, "read the context from stdin");
        if (n == 0)
            return 0;
        if (*nhead < 512) {
            size_t take = (size_t)n < 512 - *nhead ? (size_t)n : 512 - *nhead;
            memcpy(head + *nhead, buf, take);
            *nhead += take;
        }
        *total += (size_t)n;
        if (*total > CONTEXT_LIMIT)
            return cb_fail(err, CB_EINVAL, 0, "the context on stdin is larger than 8 GiB");
        if (cb_write_all(out, buf, (size_t)n, err) < 0)
            return -CB_EIO;
    }
}

int bld_stdin_context(int fd, const char *tmp, char **dir, struct cb_buf *dockerfile,
                      struct cb_err **err)
{
    unsigned char head[512];
    size_t nhead, total;
    cleanup_free char *spooled = NULL;
    char *d = cb_mkdtemp(tmp, "stdin-context-", err);
    int rc;

    if (!d)
        return cb_err_rc(err);
    spooled = xasprintf("%s.stream", d);
    rc = spool(fd, spooled, head, &nhead, &total, err);
    if (rc == 0 && looks_like_tar(head, nhead)) {
        struct oci_layer_apply_opts o = {.mode = OCI_APPLY_FLAT, .no_chown = true};
        rc = oci_layer_apply_file(spooled, d, &o, NULL, err);
        if (rc < 0)
            cb_wrap(err, "unpack the context tar from stdin");
    } else if (rc == 0) {
        rc = cb_read_file(spooled, dockerfile, err);
    }
    unlink(spooled);
    if (rc < 0) {
        cb_rm_rf(d, NULL);
        free(d);
        return rc;
    }
    *dir = d;
    return 0;
}
