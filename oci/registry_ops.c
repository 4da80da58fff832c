/* registry_ops.c - the distribution API operations on top of registry.c's
 * request layer: manifests (GET/HEAD/PUT) and blobs (HEAD, streamed and
 * verified GET, cross-repository mount, monolithic or chunked upload). */
#include <stdlib.h>
#include <string.h>

#include "registry_internal.h"
#include "../base/cleanup.h"
#include "../base/log.h"
#include "../base/xalloc.h"
#include "../base/banned.h"

#define MANIFEST_LIMIT ((size_t)8 << 20)

void oci_remote_doc_release(struct oci_remote_doc *d)
{
    free(d->media_type);
    d->media_type = NULL;
    cb_buf_release(&d->body);
}

static char *strip_params(const char *ct)
{
    const char *semi = ct ? strchr(ct, ';') : NULL;
    if (!ct)
        return NULL;
    size_t n = semi ? (size_t)(semi - ct) : strlen(ct);
    while (n > 0 && ct[n - 1] == ' ')
        n--;
    return xstrndup(ct, n);
}

static bool is_digest_ref(const char *ref)
{
    return !strncmp(ref, "sha256:", 7);
}

/* Compare the bytes with a digest reference and with the registry's
 * Docker-Content-Digest header. */
static int check_manifest_digest(struct oci_registry *r, const char *ref, const struct reg_resp *p,
                                 const struct oci_digest *got, struct cb_err **err)
{
    char a[OCI_DIGEST_STR_MAX];
    struct oci_digest want;
    struct cb_err *e = NULL;

    if (is_digest_ref(ref)) {
        if (oci_digest_parse(ref, &want, err) < 0)
            return cb_err_rc(err);
        if (!oci_digest_equal(&want, got))
            return cb_fail(err, CB_EDIGEST, 0, "manifest '%s' from '%s' has digest %s", ref,
                           oci_registry_name_peek(r), oci_digest_fmt(got, a));
    }
    if (p->digest && oci_digest_parse(p->digest, &want, &e) == 0 && !oci_digest_equal(&want, got))
        return cb_fail(err, CB_EDIGEST, 0,
                       "manifest '%s' from '%s': content has digest %s, registry said %s", ref,
                       oci_registry_name_peek(r), oci_digest_fmt(got, a), p->digest);
    cb_err_free(e);
    return 0;
}

int oci_registry_get_manifest(struct oci_registry *r, const char *ref, struct oci_remote_doc *out,
                              struct cb_err **err)
{
    cleanup_free char *url = NULL, *what = NULL;
    struct reg_resp p;
    int rc;

    memset(out, 0, sizeof(*out));
    cb_buf_init(&out->body, MANIFEST_LIMIT);
    if (reg_ready(r, err) < 0)
        return cb_err_rc(err);
    url = reg_url(r, "manifests/%s", ref);
    struct reg_req q = {.method = "GET",
                        .url = url,
                        .with_auth = true,
                        .follow = true,
                        .fd = -1,
                        .accept = OCI_REGISTRY_ACCEPT,
                        .body = &out->body};
    reg_resp_init(&p);
    rc = reg_do(r, &q, &p, err);
    what = xasprintf("get manifest '%s:%s'", oci_registry_name_peek(r), ref);
    if (rc == 0 && p.status != 200)
        rc = reg_status_error(r, &p, what, err);
    if (rc == 0) {
        oci_digest_of(out->body.data ? out->body.data : "", out->body.len, &out->digest);
        rc = check_manifest_digest(r, ref, &p, &out->digest, err);
        out->media_type = strip_params(p.content_type);
    }
    reg_resp_release(&p);
    if (rc < 0)
        oci_remote_doc_release(out);
    return rc;
}

int oci_registry_head_manifest(struct oci_registry *r, const char *ref, bool *exists,
                               struct oci_digest *digest, struct cb_err **err)
{
    cleanup_free char *url = NULL, *what = NULL;
    struct reg_resp p;
    int rc;

    memset(digest, 0, sizeof(*digest));
    *exists = false;
    if (reg_ready(r, err) < 0)
        return cb_err_rc(err);
    url = reg_url(r, "manifests/%s", ref);
    struct reg_req q = {.method = "HEAD",
                        .url = url,
                        .with_auth = true,
                        .follow = true,
                        .fd = -1,
                        .accept = OCI_REGISTRY_ACCEPT};
    reg_resp_init(&p);
    rc = reg_do(r, &q, &p, err);
    if (rc == 0 && p.status == 200) {
        struct cb_err *e = NULL;
        *exists = true;
        if (p.digest && oci_digest_parse(p.digest, digest, &e) < 0)
            cb_err_free(e);
    } else if (rc == 0 && p.status != 404) {
        what = xasprintf("check manifest '%s:%s'", oci_registry_name_peek(r), ref);
        rc = reg_status_error(r, &p, what, err);
    }
    reg_resp_release(&p);
    return rc;
}

int oci_registry_put_manifest(struct oci_registry *r, const char *ref, const char *media_type,
                              const void *data, size_t len, struct cb_err **err)
{
    cleanup_free char *url = NULL, *what = NULL;
    struct reg_resp p;
    int rc;

    if (reg_ready(r, err) < 0)
        return cb_err_rc(err);
    url = reg_url(r, "manifests/%s", ref);
    struct reg_req q = {.method = "PUT",
                        .url = url,
                        .with_auth = true,
                        .fd = -1,
                        .content_type = media_type,
                        .has_body = true,
                        .data = data,
                        .len = len};
    reg_resp_init(&p);
    rc = reg_do(r, &q, &p, err);
    if (rc == 0 && p.status != 201 && p.status != 200 && p.status != 202) {
        what = xasprintf("push manifest '%s:%s'", oci_registry_name_peek(r), ref);
        rc = reg_status_error(r, &p, what, err);
    }
    reg_resp_release(&p);
    return rc;
}

/* ---------------------------------------------------------------- blobs */

int oci_registry_blob_exists(struct oci_registry *r, const struct oci_digest *d, bool *exists,
                             struct cb_err **err)
{
    char ds[OCI_DIGEST_STR_MAX];
    cleanup_free char *url = NULL, *what = NULL;
    struct reg_resp p;
    int rc;

    *exists = false;
    if (reg_ready(r, err) < 0)
        return cb_err_rc(err);
    url = reg_url(r, "blobs/%s", oci_digest_fmt(d, ds));
    struct reg_req q = {.method = "HEAD", .url = url, .with_auth = true, .follow = true, .fd = -1};
    reg_resp_init(&p);
    rc = reg_do(r, &q, &p, err);
    if (rc == 0 && p.status == 200)
        *exists = true;
    else if (rc == 0 && p.status != 404) {
        what = xasprintf("check blob %s in '%s'", ds, oci_registry_name_peek(r));
        rc = reg_status_error(r, &p, what, err);
    }
    reg_resp_release(&p);
    return rc;
}

int oci_registry_get_blob(struct oci_registry *r, const struct oci_digest *d, int64_t size,
                          const struct oci_sink *sink, struct cb_err **err)
{
    char ds[OCI_DIGEST_STR_MAX], gs[OCI_DIGEST_STR_MAX];
    cleanup_free char *url = NULL, *what = NULL;
    cleanup_hasher struct oci_hasher *h = oci_hasher_new();
    struct oci_digest got;
    struct reg_resp p;
    int rc;

    if (reg_ready(r, err) < 0)
        return cb_err_rc(err);
    oci_digest_fmt(d, ds);
    url = reg_url(r, "blobs/%s", ds);
    struct reg_req q = {.method = "GET",
                        .url = url,
                        .with_auth = true,
                        .follow = true,
                        .fd = -1,
                        .sink = sink,
                        .hasher = h,
                        .progress_what = ds,
                        .progress_total = size};
    reg_resp_init(&p);
    rc = reg_do(r, &q, &p, err);
    what = xasprintf("get blob %s from '%s'", ds, oci_registry_name_peek(r));
    if (rc == 0 && p.status != 200 && p.status != 206)
        rc = reg_status_error(r, &p, what, err);
    if (rc == 0) {
        oci_hasher_final(h, &got);
        if (!oci_digest_equal(&got, d))
            rc = cb_fail(err, CB_EDIGEST, 0, "%s: content has digest %s (%lld bytes); rejected",
                         what, oci_digest_fmt(&got, gs), (long long)p.delivered);
        else if (size >= 0 && p.delivered != size)
            rc = cb_fail(err, CB_EDIGEST, 0, "%s: got %lld bytes, want %lld", what,
                         (long long)p.delivered, (long long)size);
        else
            reg_progress(r, ds, p.delivered, size >= 0 ? size : p.delivered);
    }
    reg_resp_release(&p);
    return rc < 0 ? cb_err_rc(err) : 0;
}

int oci_registry_mount_blob(struct oci_registry *r, const struct oci_digest *d, const char *from,
                            bool *mounted, struct cb_err **err)
{
    char ds[OCI_DIGEST_STR_MAX];
    cleanup_free char *url = NULL;
    struct reg_resp p;
    int rc;

    *mounted = false;
    if (reg_ready(r, err) < 0)
        return cb_err_rc(err);
    url = reg_url(r, "blobs/uploads/?mount=%s&from=%s", oci_digest_fmt(d, ds), from);
    struct reg_req q = {.method = "POST", .url = url, .with_auth = true, .fd = -1};
    reg_resp_init(&p);
    rc = reg_do(r, &q, &p, err);
    if (rc == 0 && p.status == 201)
        *mounted = true;
    else if (rc == 0)
        cb_log_debug("registry: mount of %s from '%s' refused (HTTP %ld); uploading", ds, from,
                     p.status);
    reg_resp_release(&p);
    return rc;
}

/* POST /blobs/uploads/: the session's Location (absolute) and the
 * registry's minimum chunk length (OCI-Chunk-Min-Length, 0 when none). */
static int start_upload(struct oci_registry *r, char **location, int64_t *chunk_min,
                        struct cb_err **err)
{
    cleanup_free char *url = reg_url(r, "blobs/uploads/");
    struct reg_req q = {.method = "POST", .url = url, .with_auth = true, .fd = -1};
    struct reg_resp p;
    int rc;

    reg_resp_init(&p);
    rc = reg_do(r, &q, &p, err);
    if (rc == 0 && (p.status != 202 || !p.location)) {
        cleanup_free char *what = xasprintf("start upload to '%s'", oci_registry_name_peek(r));
        rc = p.status == 202 ? cb_fail(err, CB_EREGISTRY, 0, "%s: no Location in the reply", what)
                             : reg_status_error(r, &p, what, err);
    }
    if (rc == 0) {
        *location = reg_resolve(url, p.location);
        *chunk_min = p.chunk_min ? strtoll(p.chunk_min, NULL, 10) : 0;
    }
    reg_resp_release(&p);
    return rc;
}

static char *with_digest(const char *loc, const char *ds)
{
    return xasprintf("%s%sdigest=%s", loc, strchr(loc, '?') ? "&" : "?", ds);
}

/* PATCH the chunks [0, size) in order, following each new Location. */
static int upload_chunks(struct oci_registry *r, char **loc, int fd, int64_t size, int64_t chunk,
                         const char *ds, int64_t *sent, struct cb_err **err)
{
    for (int64_t off = 0; off < size; off += chunk) {
        int64_t n = size - off < chunk ? size - off : chunk;
        char range[64];
        struct reg_resp p;
        int rc;

        snprintf(range, sizeof(range), "%lld-%lld", (long long)off, (long long)(off + n - 1));
        struct reg_req q = {.method = "PATCH",
                            .url = *loc,
                            .with_auth = true,
                            .fd = fd,
                            .fd_off = off,
                            .fd_len = n,
                            .has_body = true,
                            .content_range = range,
                            .progress_what = ds,
                            .progress_total = size};
        reg_resp_init(&p);
        rc = reg_do(r, &q, &p, err);
        /* ECR answers 201 where the spec says 202 */
        if (rc == 0 && p.status != 202 && p.status != 201 && p.status != 204) {
            cleanup_free char *what = xasprintf("upload chunk %s of %s", range, ds);
            rc = reg_status_error(r, &p, what, err);
        }
        if (rc == 0 && p.location) {
            char *next = reg_resolve(*loc, p.location);
            free(*loc);
            *loc = next;
        }
        *sent += p.sent;
        reg_resp_release(&p);
        if (rc < 0)
            return rc;
        reg_progress(r, ds, off + n, size);
    }
    return 0;
}

static int push_once(struct oci_registry *r, const struct oci_digest *d, int64_t size, int fd,
                     int64_t *sent, struct cb_err **err)
{
    char ds[OCI_DIGEST_STR_MAX];
    cleanup_free char *loc = NULL, *put = NULL;
    int64_t chunk = (int64_t)reg_opts(r)->chunk_size, chunk_min = 0;
    bool chunked = chunk > 0;
    struct reg_resp p;
    int rc;

    oci_digest_fmt(d, ds);
    if (start_upload(r, &loc, &chunk_min, err) < 0)
        return cb_err_rc(err);
    if (chunked && chunk < chunk_min)
        chunk = chunk_min;
    if (chunked && upload_chunks(r, &loc, fd, size, chunk, ds, sent, err) < 0)
        return cb_err_rc(err);
    put = with_digest(loc, ds);
    struct reg_req q = {.method = "PUT",
                        .url = put,
                        .with_auth = true,
                        .fd = chunked ? -1 : fd,
                        .fd_len = chunked ? 0 : size,
                        .has_body = true,
                        .progress_what = ds,
                        .progress_total = size};
    reg_resp_init(&p);
    rc = reg_do(r, &q, &p, err);
    if (rc == 0 && p.status != 201 && p.status != 204) {
        cleanup_free char *what =
            xasprintf("upload blob %s to '%s'", ds, oci_registry_name_peek(r));
        rc = reg_status_error(r, &p, what, err);
    }
    if (!chunked)
        *sent += p.sent;
    reg_resp_release(&p);
    if (rc == 0)
        reg_progress(r, ds, size, size);
    return rc;
}

int oci_registry_push_blob(struct oci_registry *r, const struct oci_digest *d, int64_t size, int fd,
                           int64_t *sent, struct cb_err **err)
{
    int64_t total = 0;
    int rc;

    if (reg_ready(r, err) < 0)
        return cb_err_rc(err);
    /* A session the registry lost (a failure mid-PUT) is started again once. */
    for (int attempt = 0;; attempt++) {
        rc = push_once(r, d, size, fd, &total, err);
        if (rc == 0 || attempt >= 1 || !err || !*err ||
            ((*err)->code != CB_ENET && (*err)->code != CB_EREGISTRY))
            break;
        cb_log_debug("registry: %s; starting the upload again", (*err)->msg);
        cb_err_free(*err);
        *err = NULL;
    }
    if (sent)
        *sent = total;
    return rc;
}
