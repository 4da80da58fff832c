/* registry_xfer.c - one HTTP exchange of the registry client over
 * libcurl: request headers and body (memory or a file read with pread),
 * response headers, a 2xx body streamed to a sink (resuming after a
 * Range request) or to a bounded buffer, byte progress and the cancel
 * flag.  No redirects, auth or retries here: registry.c drives those. */
#include <ctype.h>
#include <curl/curl.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "registry_internal.h"
#include "../base/cleanup.h"
#include "../base/log.h"
#include "../base/xalloc.h"
#include "../base/banned.h"

#ifndef CBUILD_VERSION
#define CBUILD_VERSION "dev"
#endif

#define ERR_BODY_LIMIT ((size_t)64 << 10)
#define PROGRESS_STEP ((int64_t)4 << 20)

void reg_resp_init(struct reg_resp *p)
{
    memset(p, 0, sizeof(*p));
    p->content_length = -1;
    cb_buf_init(&p->err, ERR_BODY_LIMIT);
}

static void resp_clear_headers(struct reg_resp *p)
{
    char **fields[] = {&p->location, &p->content_type, &p->digest,      &p->www_auth,
                       &p->range,    &p->chunk_min,    &p->retry_after, &p->content_range};
    for (size_t i = 0; i < sizeof(fields) / sizeof(fields[0]); i++) {
        free(*fields[i]);
        *fields[i] = NULL;
    }
    p->content_length = -1;
    cb_buf_reset(&p->err);
}

void reg_resp_release(struct reg_resp *p)
{
    resp_clear_headers(p);
    cb_buf_release(&p->err);
}

/* ---------------------------------------------------------------- one transfer */

static char *header_value(const char *line, size_t n, const char *name)
{
    size_t k = strlen(name);
    if (n <= k || strncasecmp(line, name, k) || line[k] != ':')
        return NULL;
    const char *v = line + k + 1, *end = line + n;
    while (v < end && (*v == ' ' || *v == '\t'))
        v++;
    while (end > v && (end[-1] == '\r' || end[-1] == '\n' || end[-1] == ' '))
        end--;
    return xstrndup(v, (size_t)(end - v));
}

static void keep(char **slot, char *v)
{
    if (!v)
        return;
    if (*slot) /* several WWW-Authenticate lines: keep them all */
    {
        char *j = xasprintf("%s, %s", *slot, v);
        free(*slot);
        free(v);
        *slot = j;
        return;
    }
    *slot = v;
}

static size_t on_header(char *buf, size_t size, size_t n, void *ud)
{
    struct xfer *x = ud;
    struct reg_resp *p = x->p;
    size_t len = size * n;
    char *v;

    if (len > 5 && !strncmp(buf, "HTTP/", 5)) {
        const char *sp = memchr(buf, ' ', len);
        resp_clear_headers(p);
        p->status = sp ? strtol(sp + 1, NULL, 10) : 0;
        return len;
    }
    if ((v = header_value(buf, len, "Location")))
        free(p->location), p->location = v;
    else if ((v = header_value(buf, len, "Content-Type")))
        free(p->content_type), p->content_type = v;
    else if ((v = header_value(buf, len, "Docker-Content-Digest")))
        free(p->digest), p->digest = v;
    else if ((v = header_value(buf, len, "WWW-Authenticate")))
        keep(&p->www_auth, v);
    else if ((v = header_value(buf, len, "Range")))
        free(p->range), p->range = v;
    else if ((v = header_value(buf, len, "OCI-Chunk-Min-Length")))
        free(p->chunk_min), p->chunk_min = v;
    else if ((v = header_value(buf, len, "Retry-After")))
        free(p->retry_after), p->retry_after = v;
    else if ((v = header_value(buf, len, "Warning"))) {
        /* distribution-spec: show registry warnings, never act on them */
        cb_log_warn("%s: %s", x->r->registry, v);
        free(v);
    } else if ((v = header_value(buf, len, "Content-Range")))
        free(p->content_range), p->content_range = v;
    else if ((v = header_value(buf, len, "Content-Length"))) {
        p->content_length = strtoll(v, NULL, 10);
        free(v);
    }
    return len;
}

static void xfer_progress(struct xfer *x, int64_t cur, bool force)
{
    if (!x->q->progress_what)
        return;
    if (!force && cur - x->last_progress < PROGRESS_STEP)
        return;
    x->last_progress = cur;
    reg_progress(x->r, x->q->progress_what, cur, x->q->progress_total);
}

/* A resumed download: a 200 sends everything again (skip what the sink
 * has), a 206 starts where Content-Range says. */
static int start_body(struct xfer *x)
{
    int64_t have = x->p->delivered;
    x->started = true;
    x->skip = 0;
    if (have == 0)
        return 0;
    if (x->p->status == 200) {
        x->skip = have;
        return 0;
    }
    const char *cr = x->p->content_range ? x->p->content_range : "";
    while (*cr && !isdigit((unsigned char)*cr))
        cr++;
    int64_t start = *cr ? strtoll(cr, NULL, 10) : -1;
    if (start < 0 || start > have)
        return cb_fail(&x->werr, CB_EREGISTRY, 0, "resumed download starts at %lld, want %lld",
                       (long long)start, (long long)have);
    x->skip = have - start;
    return 0;
}

/* The first 2xx response's bytes go to the sink (after skipping what it
 * already has); anything else is kept as the error body. */
static size_t on_write(char *buf, size_t size, size_t n, void *ud)
{
    struct xfer *x = ud;
    struct reg_req *q = x->q;
    size_t len = size * n;
    const char *data = buf;

    if (x->p->status < 200 || x->p->status > 299 || (!q->sink && !q->body)) {
        size_t room = x->p->err.limit - x->p->err.len - 1;
        cb_buf_add(&x->p->err, buf, len < room ? len : room, NULL);
        return len;
    }
    if (q->body)
        return cb_buf_add(q->body, buf, len, &x->werr) < 0 ? 0 : len;
    if (!x->started && start_body(x) < 0)
        return 0;
    if (x->skip > 0) {
        size_t s = (int64_t)len < x->skip ? len : (size_t)x->skip;
        x->skip -= (int64_t)s;
        data += s;
        len -= s;
    }
    if (len == 0)
        return size * n;
    if (q->hasher)
        oci_hasher_update(q->hasher, data, len);
    if (oci_sink_write(q->sink, data, len, &x->werr) < 0)
        return 0;
    x->p->delivered += (int64_t)len;
    xfer_progress(x, x->p->delivered, false);
    return size * n;
}

static size_t on_read(char *buf, size_t size, size_t n, void *ud)
{
    struct xfer *x = ud;
    struct reg_req *q = x->q;
    int64_t total = q->fd >= 0 ? q->fd_len : (int64_t)q->len;
    int64_t want = (int64_t)(size * n);
    ssize_t got;

    if (want > total - x->up_off)
        want = total - x->up_off;
    if (want <= 0)
        return 0;
    if (q->fd >= 0) {
        got = pread(q->fd, buf, (size_t)want, q->fd_off + x->up_off);
        if (got < 0) {
            cb_fail(&x->werr, CB_EIO, errno, "read blob for upload");
            return CURL_READFUNC_ABORT;
        }
        if (got == 0) {
            cb_fail(&x->werr, CB_EIO, 0, "blob file shorter than its size");
            return CURL_READFUNC_ABORT;
        }
    } else {
        memcpy(buf, (const char *)q->data + x->up_off, (size_t)want);
        got = (ssize_t)want;
    }
    x->up_off += got;
    x->p->sent = x->up_off;
    xfer_progress(x, x->up_off, false);
    return (size_t)got;
}

static int on_seek(void *ud, curl_off_t off, int origin)
{
    struct xfer *x = ud;
    if (origin != SEEK_SET)
        return CURL_SEEKFUNC_CANTSEEK;
    x->up_off = off;
    return CURL_SEEKFUNC_OK;
}

static int on_xferinfo(void *ud, curl_off_t dlt, curl_off_t dln, curl_off_t ult, curl_off_t uln)
{
    struct xfer *x = ud;
    (void)dlt, (void)dln, (void)ult, (void)uln;
    if (x->r->o.cancel && *x->r->o.cancel) {
        x->canceled = true;
        return 1;
    }
    return 0;
}

static void set_tls(struct oci_registry *r, CURL *h, bool verify)
{
    curl_easy_setopt(h, CURLOPT_SSL_VERIFYPEER, verify ? 1L : 0L);
    curl_easy_setopt(h, CURLOPT_SSL_VERIFYHOST, verify ? 2L : 0L);
    if (r->ca.len) {
        struct curl_blob blob = {.data = r->ca.data, .len = r->ca.len, .flags = CURL_BLOB_COPY};
        curl_easy_setopt(h, CURLOPT_CAINFO_BLOB, &blob);
    }
    if (r->client_cert) {
        curl_easy_setopt(h, CURLOPT_SSLCERT, r->client_cert);
        curl_easy_setopt(h, CURLOPT_SSLKEY, r->client_key);
    }
}

static void set_method(CURL *h, struct reg_req *q)
{
    int64_t blen = q->fd >= 0 ? q->fd_len : (int64_t)q->len;
    if (!strcmp(q->method, "GET")) {
        curl_easy_setopt(h, CURLOPT_HTTPGET, 1L);
    } else if (!strcmp(q->method, "HEAD")) {
        curl_easy_setopt(h, CURLOPT_NOBODY, 1L);
    } else if (q->has_body) {
        curl_easy_setopt(h, CURLOPT_UPLOAD, 1L);
        curl_easy_setopt(h, CURLOPT_INFILESIZE_LARGE, (curl_off_t)blen);
        if (strcmp(q->method, "PUT"))
            curl_easy_setopt(h, CURLOPT_CUSTOMREQUEST, q->method);
    } else if (!strcmp(q->method, "POST")) {
        curl_easy_setopt(h, CURLOPT_POSTFIELDS, "");
        curl_easy_setopt(h, CURLOPT_POSTFIELDSIZE, 0L);
    } else {
        curl_easy_setopt(h, CURLOPT_CUSTOMREQUEST, q->method);
    }
}

static struct curl_slist *build_headers(struct reg_req *q, const char *authz, int64_t resume)
{
    struct curl_slist *l = NULL;
    char line[256];

    l = curl_slist_append(l, "Expect:");
    l = curl_slist_append(l, "User-Agent: cbuild/" CBUILD_VERSION);
    if (authz) {
        cleanup_free char *a = xasprintf("Authorization: %s", authz);
        l = curl_slist_append(l, a);
    }
    if (q->accept) {
        cleanup_free char *a = xasprintf("Accept: %s", q->accept);
        l = curl_slist_append(l, a);
    }
    if (q->content_type) {
        snprintf(line, sizeof(line), "Content-Type: %s", q->content_type);
        l = curl_slist_append(l, line);
    } else if (q->has_body) {
        l = curl_slist_append(l, "Content-Type: application/octet-stream");
    }
    if (q->content_range) {
        snprintf(line, sizeof(line), "Content-Range: %s", q->content_range);
        l = curl_slist_append(l, line);
    }
    if (resume > 0) {
        snprintf(line, sizeof(line), "Range: bytes=%lld-", (long long)resume);
        l = curl_slist_append(l, line);
    }
    return l;
}

/* One HTTP exchange, no redirects followed. */
CURLcode reg_perform_once(struct oci_registry *r, struct xfer *x, const char *url,
                          const char *authz, bool verify)
{
    CURL *h = curl_easy_init();
    struct curl_slist *hdrs;
    CURLcode cc;

    if (!h)
        return CURLE_OUT_OF_MEMORY;
    hdrs = build_headers(x->q, authz, x->q->sink ? x->p->delivered : 0);
    x->up_off = 0;
    x->skip = 0;
    x->started = false;
    curl_easy_setopt(h, CURLOPT_URL, url);
    /* URLs come from the registry (upload and redirect Locations, token
     * realms): never let one be a local file or another protocol */
    curl_easy_setopt(h, CURLOPT_PROTOCOLS_STR, "http,https");
    curl_easy_setopt(h, CURLOPT_SHARE, r->share);
    curl_easy_setopt(h, CURLOPT_HTTPHEADER, hdrs);
    curl_easy_setopt(h, CURLOPT_HTTP_VERSION, (long)CURL_HTTP_VERSION_1_1);
    curl_easy_setopt(h, CURLOPT_NOSIGNAL, 1L);
    curl_easy_setopt(h, CURLOPT_CONNECTTIMEOUT, 30L);
    curl_easy_setopt(h, CURLOPT_LOW_SPEED_LIMIT, 1L);
    curl_easy_setopt(h, CURLOPT_LOW_SPEED_TIME, 60L);
    curl_easy_setopt(h, CURLOPT_HEADERFUNCTION, on_header);
    curl_easy_setopt(h, CURLOPT_HEADERDATA, x);
    curl_easy_setopt(h, CURLOPT_WRITEFUNCTION, on_write);
    curl_easy_setopt(h, CURLOPT_WRITEDATA, x);
    curl_easy_setopt(h, CURLOPT_READFUNCTION, on_read);
    curl_easy_setopt(h, CURLOPT_READDATA, x);
    curl_easy_setopt(h, CURLOPT_SEEKFUNCTION, on_seek);
    curl_easy_setopt(h, CURLOPT_SEEKDATA, x);
    curl_easy_setopt(h, CURLOPT_NOPROGRESS, 0L);
    curl_easy_setopt(h, CURLOPT_XFERINFOFUNCTION, on_xferinfo);
    curl_easy_setopt(h, CURLOPT_XFERINFODATA, x);
    curl_easy_setopt(h, CURLOPT_BUFFERSIZE, 512L * 1024);
    curl_easy_setopt(h, CURLOPT_UPLOAD_BUFFERSIZE, 2L * 1024 * 1024);
    curl_easy_setopt(h, CURLOPT_FOLLOWLOCATION, 0L);
    curl_easy_setopt(h, CURLOPT_ERRORBUFFER, x->detail);
    x->detail[0] = 0;
    set_tls(r, h, verify);
    set_method(h, x->q);
    cc = curl_easy_perform(h);
    if (cc == CURLE_OK)
        curl_easy_getinfo(h, CURLINFO_RESPONSE_CODE, &x->p->status);
    curl_easy_cleanup(h);
    curl_slist_free_all(hdrs);
    return cc;
}
