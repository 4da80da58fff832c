/* registry.c - the registry client's transport: libcurl handles sharing a
 * connection cache, TLS (certs.d, insecure hosts), the /v2/ probe, the
 * auth challenge flow, redirects that never carry Authorization off the
 * registry's origin, and bounded retries with backoff.  The operations
 * (manifests, blobs) are in registry_ops.c. */
#include <ctype.h>
#include <curl/curl.h>
#include <dirent.h>
#include <errno.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "auth.h"
#include "reference.h"
#include "registry_internal.h"
#include "regjson.h"
#include "../base/cleanup.h"
#include "../base/fsutil.h"
#include "../base/log.h"
#include "../base/xalloc.h"
#include "../base/banned.h"

#ifndef CBUILD_VERSION
#define CBUILD_VERSION "dev"
#endif

#define ERR_BODY_LIMIT ((size_t)64 << 10)
#define MAX_REDIRECTS 10
#define MAX_BACKOFF_MS 10000L
#define SYSTEM_CA_BUNDLE "/etc/ssl/certs/ca-certificates.crt"
#define PROGRESS_STEP ((int64_t)4 << 20)

struct oci_registry {
    char *registry, *repository, *name;
    char *host; /* endpoint: docker.io -> registry-1.docker.io */
    char *base; /* "https://host" once decided */
    bool insecure, pinged;
    struct oci_registry_opts o;
    long retry_base_ms;
    int retries;
    struct oci_auth *auth;
    char *scope;
    pthread_mutex_t lock;
    CURLSH *share;
    pthread_mutex_t share_locks[CURL_LOCK_DATA_LAST];
    struct cb_buf ca; /* system CAs + certs.d/HOST/ *.crt (PEM), or empty */
    char *client_cert, *client_key;
};

static int token_http(void *ud, const char *url, const char *authorization, const char *form,
                      struct cb_buf *body, long *status, struct cb_err **err);

static pthread_once_t curl_once = PTHREAD_ONCE_INIT;
static void curl_init_once(void)
{
    curl_global_init(CURL_GLOBAL_DEFAULT);
}

static void share_lock(CURL *h, curl_lock_data data, curl_lock_access a, void *ud)
{
    struct oci_registry *r = ud;
    (void)h;
    (void)a;
    pthread_mutex_lock(&r->share_locks[data]);
}

static void share_unlock(CURL *h, curl_lock_data data, void *ud)
{
    struct oci_registry *r = ud;
    (void)h;
    pthread_mutex_unlock(&r->share_locks[data]);
}

/* ---------------------------------------------------------------- TLS */

static int add_pem(struct cb_buf *ca, const char *path, struct cb_err **err)
{
    cleanup_buf struct cb_buf b = {0};
    cb_buf_init(&b, (size_t)16 << 20);
    if (cb_read_file(path, &b, err) < 0)
        return cb_err_rc(err);
    if (cb_buf_add(ca, b.data, b.len, err) < 0 || cb_buf_adds(ca, "\n", err) < 0)
        return cb_err_rc(err);
    return 0;
}

/* Docker's certs.d layout: *.crt are CAs, X.cert + X.key a client pair. */
static int load_certs_d(struct oci_registry *r, struct cb_err **err)
{
    const char *root = r->o.certs_dir ? r->o.certs_dir : getenv("CBUILD_CERTS_D");
    cleanup_free char *dir = cb_path_join(root && *root ? root : "/etc/docker/certs.d", r->host);
    cleanup_dir DIR *d = opendir(dir);
    struct dirent *e;
    bool any_ca = false;

    if (!d)
        return 0;
    while ((e = readdir(d))) {
        size_t n = strlen(e->d_name);
        cleanup_free char *p = cb_path_join(dir, e->d_name);
        if (n > 4 && !strcmp(e->d_name + n - 4, ".crt")) {
            if (!any_ca && cb_path_exists(SYSTEM_CA_BUNDLE) &&
                add_pem(&r->ca, SYSTEM_CA_BUNDLE, err) < 0)
                return cb_err_rc(err);
            any_ca = true;
            if (add_pem(&r->ca, p, err) < 0)
                return cb_wrap(err, "certs.d for '%s'", r->host);
        } else if (n > 5 && !strcmp(e->d_name + n - 5, ".cert")) {
            cleanup_free char *key = xasprintf("%.*s.key", (int)(strlen(p) - 5), p);
            if (!cb_path_exists(key))
                return cb_fail(err, CB_EINVAL, 0, "client certificate '%s' has no key '%s'", p,
                               key);
            free(r->client_cert);
            free(r->client_key);
            r->client_cert = TAKE_PTR(p);
            r->client_key = TAKE_PTR(key);
        }
    }
    return 0;
}

static bool host_listed(const char *const *list, const char *host)
{
    for (; list && *list; list++)
        if (!strcmp(*list, host))
            return true;
    return false;
}

struct oci_registry *oci_registry_new(const char *registry, const char *repository,
                                      const struct oci_registry_opts *opts, struct cb_err **err)
{
    struct oci_registry *r = xcalloc(1, sizeof(*r));
    const char *env;

    pthread_once(&curl_once, curl_init_once);
    if (opts)
        r->o = *opts;
    r->registry = xstrdup(registry);
    r->repository = xstrdup(repository ? repository : "");
    r->name = xasprintf("%s/%s", registry, r->repository);
    r->host = xstrdup(oci_ref_endpoint(registry));
    r->insecure = r->o.tls_verify_off || host_listed(r->o.insecure, registry) ||
                  host_listed(r->o.insecure, r->host);
    r->retries = r->o.retries < 0 ? 4 : r->o.retries;
    env = getenv("CBUILD_RETRY_BASE_MS");
    r->retry_base_ms = r->o.retry_base_ms > 0 ? r->o.retry_base_ms
                       : env && *env          ? strtol(env, NULL, 10)
                                              : 200;
    if (r->retry_base_ms < 0)
        r->retry_base_ms = 0;
    if (repository && *repository)
        r->scope = xasprintf("repository:%s:pull", repository);
    pthread_mutex_init(&r->lock, NULL);
    for (int i = 0; i < CURL_LOCK_DATA_LAST; i++)
        pthread_mutex_init(&r->share_locks[i], NULL);
    cb_buf_init(&r->ca, (size_t)64 << 20);
    r->share = curl_share_init();
    curl_share_setopt(r->share, CURLSHOPT_LOCKFUNC, share_lock);
    curl_share_setopt(r->share, CURLSHOPT_UNLOCKFUNC, share_unlock);
    curl_share_setopt(r->share, CURLSHOPT_USERDATA, r);
    curl_share_setopt(r->share, CURLSHOPT_SHARE, CURL_LOCK_DATA_CONNECT);
    curl_share_setopt(r->share, CURLSHOPT_SHARE, CURL_LOCK_DATA_DNS);
    curl_share_setopt(r->share, CURLSHOPT_SHARE, CURL_LOCK_DATA_SSL_SESSION);
    r->auth = oci_auth_new(registry, repository, token_http, r);
    if (r->o.username)
        oci_auth_set_creds(r->auth, r->o.username, r->o.password ? r->o.password : "");
    if (load_certs_d(r, err) < 0) {
        oci_registry_free(r);
        return NULL;
    }
    return r;
}

void oci_registry_free(struct oci_registry *r)
{
    if (!r)
        return;
    oci_auth_free(r->auth);
    if (r->share)
        curl_share_cleanup(r->share);
    for (int i = 0; i < CURL_LOCK_DATA_LAST; i++)
        pthread_mutex_destroy(&r->share_locks[i]);
    pthread_mutex_destroy(&r->lock);
    cb_buf_release(&r->ca);
    free(r->client_cert);
    free(r->client_key);
    free(r->registry);
    free(r->repository);
    free(r->name);
    free(r->host);
    free(r->base);
    free(r->scope);
    free(r);
}

const char *oci_registry_name_peek(const struct oci_registry *r)
{
    return r->name;
}

const struct oci_registry_opts *reg_opts(const struct oci_registry *r)
{
    return &r->o;
}

const char *reg_repository(const struct oci_registry *r)
{
    return r->repository;
}

void oci_registry_want_push(struct oci_registry *r)
{
    pthread_mutex_lock(&r->lock);
    free(r->scope);
    r->scope = xasprintf("repository:%s:pull,push", r->repository);
    pthread_mutex_unlock(&r->lock);
}

void oci_registry_add_scope_repo(struct oci_registry *r, const char *repository)
{
    cleanup_free char *add = xasprintf("repository:%s:pull", repository);
    pthread_mutex_lock(&r->lock);
    if (!r->scope || !strstr(r->scope, add)) {
        char *s = xasprintf("%s%s%s", r->scope ? r->scope : "", r->scope ? " " : "", add);
        free(r->scope);
        r->scope = s;
    }
    pthread_mutex_unlock(&r->lock);
}

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

struct xfer {
    struct oci_registry *r;
    struct reg_req *q;
    struct reg_resp *p;
    int64_t up_off; /* request body read position */
    int64_t skip;   /* response bytes the sink already has */
    int64_t last_progress;
    struct cb_err *werr; /* the sink's error */
    bool canceled;
    bool started;                 /* the 2xx body began */
    char detail[CURL_ERROR_SIZE]; /* libcurl's own words on a failure */
};

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
static CURLcode perform_once(struct oci_registry *r, struct xfer *x, const char *url,
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

/* ---------------------------------------------------------------- requests */

static bool same_origin(const char *url, const char *base)
{
    size_t n = strlen(base);
    return base && !strncmp(url, base, n) && (url[n] == '/' || url[n] == '?' || url[n] == 0);
}

char *reg_resolve(const char *base_url, const char *location)
{
    CURLU *u = curl_url();
    char *s = NULL, *out;
    if (curl_url_set(u, CURLUPART_URL, base_url, 0) != CURLUE_OK ||
        curl_url_set(u, CURLUPART_URL, location, 0) != CURLUE_OK ||
        curl_url_get(u, CURLUPART_URL, &s, 0) != CURLUE_OK) {
        curl_url_cleanup(u);
        return xstrdup(location);
    }
    out = xstrdup(s);
    curl_free(s);
    curl_url_cleanup(u);
    return out;
}

static bool transient(CURLcode cc)
{
    switch (cc) {
    case CURLE_COULDNT_CONNECT:
    case CURLE_SEND_ERROR:
    case CURLE_RECV_ERROR:
    case CURLE_PARTIAL_FILE:
    case CURLE_GOT_NOTHING:
    case CURLE_OPERATION_TIMEDOUT:
    case CURLE_HTTP2:
    case CURLE_HTTP2_STREAM:
        return true;
    default:
        return false;
    }
}

static bool retry_status(long st)
{
    return st == 429 || st == 500 || st == 502 || st == 503 || st == 504;
}

/* Sleep ms, waking early when canceled; returns false when canceled. */
static bool backoff_sleep(struct oci_registry *r, long ms)
{
    while (ms > 0) {
        if (r->o.cancel && *r->o.cancel)
            return false;
        long step = ms < 50 ? ms : 50;
        struct timespec ts = {0, step * 1000000L};
        nanosleep(&ts, NULL);
        ms -= step;
    }
    return !(r->o.cancel && *r->o.cancel);
}

static long backoff_ms(struct oci_registry *r, int attempt, const char *retry_after)
{
    long ms = r->retry_base_ms << (attempt < 10 ? attempt : 10);
    if (retry_after && isdigit((unsigned char)*retry_after)) {
        long ra = strtol(retry_after, NULL, 10) * 1000;
        if (ra > ms)
            ms = ra;
    }
    return ms > MAX_BACKOFF_MS ? MAX_BACKOFF_MS : ms;
}

/* One try: the request and the redirects it leads to.  Authorization only
 * goes to the registry's own origin (redirects to S3/CDN get none). */
static CURLcode try_once(struct oci_registry *r, struct xfer *x, const char *authz)
{
    cleanup_free char *url = xstrdup(x->q->url);
    const char *method = x->q->method;
    CURLcode cc = CURLE_OK;

    for (int hop = 0;; hop++) {
        bool ours = r->base && same_origin(url, r->base);
        cc = perform_once(r, x, url, ours ? authz : NULL, !(r->insecure && ours));
        x->q->method = method;
        if (cc != CURLE_OK || !x->q->follow || hop >= MAX_REDIRECTS || !x->p->location)
            break;
        long st = x->p->status;
        if (st != 301 && st != 302 && st != 303 && st != 307 && st != 308)
            break;
        char *next = reg_resolve(url, x->p->location);
        cb_log_debug("registry: %ld redirect to %s", st,
                     ours && !same_origin(next, r->base) ? "another host (no auth)" : next);
        free(url);
        url = next;
        if (st == 303)
            x->q->method = "GET";
    }
    x->q->method = method;
    return cc;
}

static bool token_expired_body(const struct reg_resp *p)
{
    const char *b = cb_buf_str(&p->err);
    return p->status == 403 && (strcasestr(b, "expired") != NULL);
}

static int transport_error(const struct xfer *x, CURLcode cc, struct cb_err **err)
{
    const struct reg_req *q = x->q;
    bool tls = cc == CURLE_SSL_CONNECT_ERROR || cc == CURLE_PEER_FAILED_VERIFICATION ||
               cc == CURLE_SSL_CERTPROBLEM || cc == CURLE_SSL_CACERT_BADFILE;
    return cb_fail(err, CB_ENET, 0, "%s %s: %s%s", q->method, q->url,
                   x->detail[0] ? x->detail : curl_easy_strerror(cc),
                   tls && !x->r->insecure ? " (a plain-http or self-signed registry needs "
                                            "--tls-verify=false or its CA in certs.d)"
                                          : "");
}

/* Retry state of one logical request. */
struct attempts {
    int transport; /* retries used for resets and 429/5xx */
    int auth;      /* new credentials or tokens tried */
    bool refreshed;
};

/* After a 401/403: 1 when new credentials or a new token are worth a try. */
static int auth_retry(struct oci_registry *r, const struct reg_resp *p, const char *scope,
                      bool had_auth, struct attempts *a, struct cb_err **err)
{
    int rc = 0;
    if (p->status == 401 && a->auth < 3) {
        rc = oci_auth_on_unauthorized(r->auth, p->www_auth, scope, had_auth, err);
        a->auth += rc > 0;
        if (rc != 0)
            return rc;
    }
    /* ECR Public: a stale stored credential gets 403 even for public
     * images; docker gives up there, we retry anonymously once */
    if (p->status == 403 && !strcmp(r->registry, "public.ecr.aws") && !token_expired_body(p) &&
        oci_auth_go_anonymous(r->auth) > 0) {
        cb_log_info("%s: credentials refused; retrying anonymously", r->registry);
        return 1;
    }
    if (token_expired_body(p) && !a->refreshed) {
        a->refreshed = true;
        rc = oci_auth_on_expired(r->auth, err);
        if (rc > 0)
            cb_log_info("%s: authorization token expired; refreshed the credentials", r->registry);
    }
    return rc;
}

/* 1 when the failure is worth another try after the backoff, 0 when not,
 * < 0 when canceled while waiting. */
static int transient_retry(struct oci_registry *r, const struct xfer *x, CURLcode cc,
                           struct attempts *a, struct cb_err **err)
{
    bool again = cc != CURLE_OK ? transient(cc) : retry_status(x->p->status);
    if (!again || a->transport >= r->retries)
        return 0;
    cb_log_debug("registry: %s %s: %s; retrying", x->q->method, x->q->url,
                 cc != CURLE_OK ? curl_easy_strerror(cc) : "HTTP error");
    if (!backoff_sleep(r, backoff_ms(r, a->transport++, cc == CURLE_OK ? x->p->retry_after : NULL)))
        return cb_fail(err, CB_EINTR, 0, "%s %s: interrupted", x->q->method, x->q->url);
    return 1;
}

static char *current_scope(struct oci_registry *r)
{
    char *scope;
    pthread_mutex_lock(&r->lock);
    scope = r->scope ? xstrdup(r->scope) : NULL;
    pthread_mutex_unlock(&r->lock);
    return scope;
}

int reg_do(struct oci_registry *r, struct reg_req *q, struct reg_resp *p, struct cb_err **err)
{
    struct attempts a = {0};
    int rc;

    for (;;) {
        struct xfer x = {.r = r, .q = q, .p = p};
        cleanup_free char *authz = NULL, *scope = current_scope(r);
        CURLcode cc;

        if (q->with_auth && oci_auth_header(r->auth, scope, &authz, err) < 0)
            return cb_err_rc(err);
        if (q->body)
            cb_buf_reset(q->body);
        cc = try_once(r, &x, authz);
        if (x.werr) {
            cb_fail(err, x.werr->code, 0, "%s", x.werr->msg);
            cb_err_free(x.werr);
            return cb_err_rc(err);
        }
        if (x.canceled || (r->o.cancel && *r->o.cancel))
            return cb_fail(err, CB_EINTR, 0, "%s %s: interrupted", q->method, q->url);
        if ((rc = transient_retry(r, &x, cc, &a, err)) != 0) {
            if (rc < 0)
                return rc;
            continue;
        }
        if (cc != CURLE_OK)
            return transport_error(&x, cc, err);
        if (q->with_auth && (rc = auth_retry(r, p, scope, authz != NULL, &a, err)) != 0) {
            if (rc < 0)
                return rc;
            continue;
        }
        return 0;
    }
}

char *reg_url(struct oci_registry *r, const char *fmt, ...)
{
    cleanup_free char *tail = NULL;
    va_list ap;
    va_start(ap, fmt);
    tail = xvasprintf(fmt, ap);
    va_end(ap);
    return xasprintf("%s/v2/%s/%s", r->base, r->repository, tail);
}

void reg_progress(struct oci_registry *r, const char *what, int64_t cur, int64_t total)
{
    cb_progress_bytes(r->o.progress, r->o.progress_step, what, cur, total);
}

/* ---------------------------------------------------------------- errors */

static const char *status_text(long st)
{
    switch (st) {
    case 400:
        return "bad request";
    case 401:
        return "unauthorized";
    case 403:
        return "denied";
    case 404:
        return "not found";
    case 405:
        return "method not allowed";
    case 413:
        return "too large";
    case 416:
        return "range not satisfiable";
    case 429:
        return "too many requests";
    default:
        return st >= 500 ? "server error" : "unexpected status";
    }
}

int reg_status_error(struct oci_registry *r, const struct reg_resp *p, const char *what,
                     struct cb_err **err)
{
    cleanup_free char *code = NULL;
    cleanup_free char *msg = oci_regjson_errors(p->err.data, p->err.len, &code);
    enum cb_errc c = CB_EREGISTRY;
    const char *hint = "";

    if (!msg && p->err.len > 0 && p->err.len < 300 && !memchr(p->err.data, '<', p->err.len)) {
        msg = xstrndup(p->err.data, p->err.len);
        for (char *nl = msg; *nl; nl++)
            if (*nl == '\n' || *nl == '\r')
                *nl = ' ';
    }
    if (p->status == 401 || p->status == 403) {
        c = CB_EAUTH;
        if (!oci_auth_has_creds(r->auth))
            hint = xasprintf("; no credentials for '%s' (run 'cbuild login %s')", r->registry,
                             r->registry);
    } else if (p->status == 404) {
        c = CB_ENOTFOUND;
        if (code && !strcmp(code, "NAME_UNKNOWN"))
            hint = xasprintf("; repository '%s' does not exist on '%s' (on ECR, create it first: "
                             "aws ecr create-repository --repository-name %s)",
                             r->repository, r->registry, r->repository);
    } else if (code && !strcmp(code, "TAG_INVALID")) {
        hint = xstrdup("; the tag exists and cannot be overwritten (immutable tags)");
    }
    int rc = cb_fail(err, c, 0, "%s: HTTP %ld %s%s%s%s", what, p->status, status_text(p->status),
                     msg ? ": " : "", msg ? msg : "", hint);
    if (*hint)
        free((char *)hint);
    return rc;
}

/* ---------------------------------------------------------------- probe */

static int token_http_do(struct oci_registry *r, struct reg_req *q, const char *authz,
                         struct reg_resp *p, struct cb_err **err)
{
    for (int attempt = 0;; attempt++) {
        struct xfer x = {.r = r, .q = q, .p = p};
        cb_buf_reset(q->body);
        CURLcode cc = perform_once(r, &x, q->url, authz, !r->insecure);
        if (x.werr) {
            cb_fail(err, x.werr->code, 0, "%s", x.werr->msg);
            cb_err_free(x.werr);
            return cb_err_rc(err);
        }
        if (x.canceled)
            return cb_fail(err, CB_EINTR, 0, "%s %s: interrupted", q->method, q->url);
        if (cc == CURLE_OK && !(retry_status(p->status) && attempt < r->retries))
            return 0;
        if (cc != CURLE_OK && (!transient(cc) || attempt >= r->retries))
            return transport_error(&x, cc, err);
        if (!backoff_sleep(r, backoff_ms(r, attempt, p->retry_after)))
            return cb_fail(err, CB_EINTR, 0, "%s %s: interrupted", q->method, q->url);
    }
}

/* The token endpoint, through the same TLS settings and retries. */
static int token_http(void *ud, const char *url, const char *authorization, const char *form,
                      struct cb_buf *body, long *status, struct cb_err **err)
{
    struct oci_registry *r = ud;
    struct reg_resp p;
    struct reg_req q = {
        .method = form ? "POST" : "GET", .url = url, .follow = true, .fd = -1, .body = body};
    int rc;

    if (form) {
        q.has_body = true;
        q.data = form;
        q.len = strlen(form);
        q.content_type = "application/x-www-form-urlencoded";
    }
    reg_resp_init(&p);
    rc = token_http_do(r, &q, authorization, &p, err);
    if (rc == 0) {
        *status = p.status;
        if (p.status != 200) {
            cb_buf_reset(body);
            cb_buf_add(body, p.err.data, p.err.len, NULL);
        }
    }
    reg_resp_release(&p);
    return rc;
}

static bool tls_failure(CURLcode cc)
{
    return cc == CURLE_SSL_CONNECT_ERROR || cc == CURLE_RECV_ERROR || cc == CURLE_SEND_ERROR ||
           cc == CURLE_GOT_NOTHING || cc == CURLE_PEER_FAILED_VERIFICATION ||
           cc == CURLE_SSL_CERTPROBLEM || cc == CURLE_UNSUPPORTED_PROTOCOL;
}

/* Decide the scheme: https always; for an insecure host, https without
 * verification when it answers TLS, else plain http (docker's order). */
static int decide_base(struct oci_registry *r, struct cb_err **err)
{
    cleanup_free char *https = xasprintf("https://%s", r->host);
    cleanup_free char *url = xasprintf("%s/v2/", https);
    struct reg_req q = {.method = "GET", .url = url, .fd = -1};
    struct reg_resp p;
    struct xfer x = {.r = r, .q = &q, .p = &p};
    CURLcode cc;

    if (!r->insecure) {
        r->base = TAKE_PTR(https);
        return 0;
    }
    reg_resp_init(&p);
    cc = perform_once(r, &x, url, NULL, false);
    reg_resp_release(&p);
    if (cc == CURLE_OK) {
        r->base = TAKE_PTR(https);
    } else if (tls_failure(cc)) {
        cb_log_debug("registry: %s does not speak TLS (%s); using http", r->host,
                     curl_easy_strerror(cc));
        r->base = xasprintf("http://%s", r->host);
    } else {
        return cb_fail(err, CB_ENET, 0, "connect to '%s': %s", r->host, curl_easy_strerror(cc));
    }
    return 0;
}

static int ping_locked(struct oci_registry *r, struct cb_err **err)
{
    cleanup_free char *url = xasprintf("%s/v2/", r->base);
    struct reg_req q = {.method = "GET", .url = url, .with_auth = true, .fd = -1, .follow = true};
    struct reg_resp p;
    int rc;

    reg_resp_init(&p);
    rc = reg_do(r, &q, &p, err);
    if (rc == 0 && p.status != 200) {
        cleanup_free char *what = xasprintf("%s", r->registry);
        if (p.status == 404)
            rc = cb_fail(err, CB_EREGISTRY, 0,
                         "'%s' does not speak the registry API (GET /v2/: 404)", r->registry);
        else
            rc = reg_status_error(r, &p, what, err);
    }
    reg_resp_release(&p);
    return rc;
}

int reg_ready(struct oci_registry *r, struct cb_err **err)
{
    int rc = 0;
    /* The lock serialises the probe; reg_do inside takes it briefly too, so
     * the probe runs with it released. */
    pthread_mutex_lock(&r->lock);
    if (!r->base)
        rc = decide_base(r, err);
    bool need = rc == 0 && !r->pinged;
    pthread_mutex_unlock(&r->lock);
    if (!need)
        return rc;
    rc = ping_locked(r, err);
    if (rc == 0) {
        pthread_mutex_lock(&r->lock);
        r->pinged = true;
        pthread_mutex_unlock(&r->lock);
    }
    return rc;
}

int oci_registry_ping(struct oci_registry *r, struct cb_err **err)
{
    return reg_ready(r, err);
}
