/* fetch.h - GET one http(s) URL for `ADD <url> <dest>`: redirects, retries,
 * checksum, Last-Modified and the file name, streamed into a sink or
 * written atomically to a file.  Never sends Authorization. */
#ifndef CBUILD_OCI_FETCH_H
#define CBUILD_OCI_FETCH_H

#include <signal.h>
#include <stdbool.h>
#include <stdint.h>
#include <sys/types.h>

#include "digest.h"
#include "sink.h"
#include "../base/error.h"
#include "../base/progress.h"

struct oci_fetch_req {
    const char *url; /* http:// or https:// only; no user:password@ */
    /* ADD --checksum: verified after the last byte; a mismatch is CB_EDIGEST
     * naming the URL, the expected and the actual digest. */
    const struct oci_digest *checksum;
    int64_t max_bytes;  /* 0: no limit; more is CB_EIO */
    int retries;        /* 0: the default (3); -1: none */
    long retry_base_ms; /* first backoff; 0: the default (500), doubling, capped at 10 s */
    bool insecure;      /* https without certificate verification */
    const volatile sig_atomic_t *cancel; /* non-zero: stop with CB_EINTR */
    const struct cb_progress *progress;  /* CB_PROGRESS_BYTES events, may be NULL */
    int progress_step;                   /* the step those events belong to */
};

struct oci_fetch_result {
    struct oci_digest digest; /* sha256 of the body */
    int64_t size;
    int64_t last_modified; /* unix seconds from Last-Modified, or -1 */
    /* Content-Disposition's filename, else the URL path's last component
     * (decoded), else "__unnamed__"; never contains '/' and is never "." or "..". */
    char *filename;
    char *final_url; /* after redirects */
};

/* Stream the body into out.  Retries (5xx, 429, resets, timeouts) happen only
 * while out has received nothing.  On a checksum mismatch out has already
 * seen the bytes: the caller discards them.  res is filled on success; release
 * it with oci_fetch_result_release(). */
int oci_fetch(const struct oci_fetch_req *req, const struct oci_sink *out,
              struct oci_fetch_result *res, struct cb_err **err);

/* Download into path (mode, e.g. 0600) through a temp file in the same
 * directory: fsynced, and renamed over path only when the body is complete
 * and the checksum matches; on failure path is untouched.  Retries start the
 * temp file over.  res may be NULL. */
int oci_fetch_to_file(const struct oci_fetch_req *req, const char *path, mode_t mode,
                      struct oci_fetch_result *res, struct cb_err **err);

void oci_fetch_result_release(struct oci_fetch_result *res);

/* The name Docker gives `ADD <url> dir/`: the URL path's last component,
 * percent-decoded, or "__unnamed__".  CB_EINVAL for a URL that is not
 * http(s) or that carries credentials. */
char *oci_fetch_url_filename(const char *url, struct cb_err **err);

#endif
