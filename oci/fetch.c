/* fetch.c - plain HTTP(S) GET for `ADD <url>` over libcurl: redirects
 * followed by hand (bounded, http/https only, never to a URL carrying
 * credentials), retries with backoff while nothing was delivered (or the
 * destination can start over), sha256 while streaming, Last-Modified and
 * Content-Disposition.  No Authorization header is ever sent.
 * Notes: vendor-docs/http-fetch.md. */
#include <curl/curl.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "fetch.h"
#include "../base/buf.h"
#include "../base/cleanup.h"
#include "../base/fsutil.h"
#include "../base/xalloc.h"
#include "../base/banned.h"

#ifndef CBUILD_VERSION
#define CBUILD_VERSION "dev"
#endif

#define MAX_REDIRECTS 10
#define MAX_BACKOFF_MS 10000L
#define DEFAULT_RETRIES 3
#define DEFAULT_BACKOFF_MS 500L
#define ERR_TEXT_MAX 200
#define PROGRESS_EVERY ((int64_t)1 << 20)
#define SYSTEM_CA_BUNDLE "/etc/ssl/certs/ca-certificates.crt"
#define UNNAMED "__unnamed__"

typedef int (*rewind_fn)(void *ud, struct cb_err **err);

/* One fetch: the request, where the bytes go, and the current attempt. */
struct xfer {
    const struct oci_fetch_req *req;
    const struct oci_sink *out;
    rewind_fn rewind;
    void *rewind_ud;
    struct oci_hasher *hasher;
    int64_t got, total, next_progress;
    bool delivered; /* out has seen bytes (of any attempt) */
    long status;    /* of the latest status line */
    char reason[64];
    char *disposition; /* Content-Disposition filename of the latest response */
    long retry_after;  /* seconds, or -1 */
    struct cb_buf errbody;
    struct cb_err *werr; /* why a write callback stopped the transfer */
    char detail[CURL_ERROR_SIZE];
};

static pthread_once_t curl_once = PTHREAD_ONCE_INIT;
static void curl_init_once(void)
{
    curl_global_init(CURL_GLOBAL_DEFAULT);
}

/* ------------------------------------------------------------ names */

/* The last component of a decoded path-ish name, or NULL when that is
 * empty, ".", "..", or holds control characters. */
static char *safe_basename(const char *s)
{
    const char *b = s;
    for (const char *p = s; *p; p++)
        if (*p == '/' || *p == '\\')
            b = p + 1;
    if (!*b || !strcmp(b, ".") || !strcmp(b, ".."))
        return NULL;
    for (const char *p = b; *p; p++)
        if ((unsigned char)*p < 0x20 || *p == 0x7f)
            return NULL;
    return xstrdup(b);
}

static int hexval(char c)
{
    if (c >= '0' && c <= '9')
        return c - '0';
    if (c >= 'a' && c <= 'f')
        return c - 'a' + 10;
    if (c >= 'A' && c <= 'F')
        return c - 'A' + 10;
    return -1;
}

/* RFC 3986 percent-decoding; NULL when it would produce a NUL byte. */
static char *pct_decode(const char *s, size_t n)
{
    char *o = xmalloc(n + 1), *q = o;
    for (size_t i = 0; i < n; i++) {
        int hi = i + 2 < n && s[i] == '%' ? hexval(s[i + 1]) : -1;
        int lo = hi >= 0 ? hexval(s[i + 2]) : -1;
        if (lo < 0) {
            *q++ = s[i];
            continue;
        }
        if (!hi && !lo) {
            free(o);
            return NULL;
        }
        *q++ = (char)(hi * 16 + lo);
        i += 2;
    }
    *q = 0;
    return o;
}

/* filename*=UTF-8''x%20y (RFC 6266/5987) wins over filename="x y". */
static char *disposition_filename(const char *v, size_t n)
{
    cleanup_free char *s = xstrndup(v, n), *plain = NULL, *ext = NULL;
    for (char *p = s; (p = strcasestr(p, "filename")); p++) {
        bool star = p[8] == '*';
        char *q = p + 8 + star;
        while (*q == ' ')
            q++;
        if (*q != '=' || (p > s && p[-1] != ';' && p[-1] != ' '))
            continue;
        for (q++; *q == ' '; q++)
            ;
        if (star) {
            char *t = strstr(q, "''");
            size_t len = t ? strcspn(t + 2, "; \t") : 0;
            if (t && !ext)
                ext = pct_decode(t + 2, len);
        } else if (*q == '"' && !plain) {
            size_t len = strcspn(q + 1, "\"");
            plain = xstrndup(q + 1, len);
        } else if (!plain) {
            plain = xstrndup(q, strcspn(q, "; \t"));
        }
    }
    if (ext)
        return safe_basename(ext);
    return plain ? safe_basename(plain) : NULL;
}

/* Parse url, requiring http(s) and no userinfo; optionally the decoded
 * path and "host[:port]" (the certs.d directory name). */
static int check_url(const char *url, char **path, char **hostport, struct cb_err **err)
{
    CURLU *u = curl_url();
    char *scheme = NULL, *user = NULL, *host = NULL, *port = NULL;
    int rc = 0;

    if (curl_url_set(u, CURLUPART_URL, url, 0) != CURLUE_OK ||
        curl_url_get(u, CURLUPART_SCHEME, &scheme, 0) != CURLUE_OK ||
        curl_url_get(u, CURLUPART_HOST, &host, 0) != CURLUE_OK)
        rc = cb_fail(err, CB_EINVAL, 0, "invalid URL '%s'", url);
    else if (strcasecmp(scheme, "http") && strcasecmp(scheme, "https"))
        rc = cb_fail(err, CB_EINVAL, 0, "URL '%s': only http and https are supported", url);
    else if (curl_url_get(u, CURLUPART_USER, &user, 0) == CURLUE_OK)
        rc = cb_fail(err, CB_EINVAL, 0,
                     "URL for host '%s' carries credentials; ADD never sends any", host);
    if (rc == 0 && path) {
        char *p = NULL;
        curl_url_get(u, CURLUPART_PATH, &p, 0);
        *path = p ? pct_decode(p, strlen(p)) : NULL;
        curl_free(p);
    }
    if (rc == 0 && hostport) {
        curl_url_get(u, CURLUPART_PORT, &port, 0);
        *hostport = port ? xasprintf("%s:%s", host, port) : xstrdup(host);
    }
    curl_free(scheme);
    curl_free(user);
    curl_free(host);
    curl_free(port);
    curl_url_cleanup(u);
    return rc;
}

char *oci_fetch_url_filename(const char *url, struct cb_err **err)
{
    cleanup_free char *path = NULL;
    if (check_url(url, &path, NULL, err) < 0)
        return NULL;
    char *name = path ? safe_basename(path) : NULL;
    return name ? name : xstrdup(UNNAMED);
}

/* ------------------------------------------------------------ TLS */

/* Docker's certs.d: CBUILD_CERTS_D/HOST[:PORT]/ *.crt are extra CAs, added
 * to the system bundle.  Empty ca: curl's default store. */
static int load_certs_d(const char *hostport, struct cb_buf *ca, struct cb_err **err)
{
    const char *root = getenv("CBUILD_CERTS_D");
    cleanup_free char *dir = cb_path_join(root && *root ? root : "/etc/docker/certs.d", hostport);
    cleanup_dir DIR *d = opendir(dir);
    struct dirent *e;

    while (d && (e = readdir(d))) {
        size_t n = strlen(e->d_name);
        cleanup_free char *p = cb_path_join(dir, e->d_name);
        if (n <= 4 || strcmp(e->d_name + n - 4, ".crt"))
            continue;
        if (!ca->len && cb_path_exists(SYSTEM_CA_BUNDLE) &&
            cb_read_file(SYSTEM_CA_BUNDLE, ca, err) < 0)
            return cb_err_rc(err);
        cleanup_buf struct cb_buf b;
        cb_buf_init(&b, (size_t)4 << 20);
        if (cb_read_file(p, &b, err) < 0 || cb_buf_add(ca, b.data, b.len, err) < 0 ||
            cb_buf_adds(ca, "\n", err) < 0)
            return cb_wrap(err, "certs.d for '%s'", hostport);
    }
    return 0;
}

/* ------------------------------------------------------------ callbacks */

static size_t on_header(char *line, size_t size, size_t n, void *ud)
{
    struct xfer *x = ud;
    size_t len = size * n, h;

    if (len > 5 && !strncmp(line, "HTTP/", 5)) {
        const char *sp = memchr(line, ' ', len);
        x->status = sp ? strtol(sp + 1, NULL, 10) : 0;
        x->reason[0] = 0;
        if (sp && (size_t)(sp - line) + 5 < len) {
            size_t rl = strcspn(sp + 5, "\r\n");
            snprintf(x->reason, sizeof(x->reason), "%.*s", (int)rl, sp + 5);
        }
        free(x->disposition);
        x->disposition = NULL;
        x->retry_after = -1;
        return len;
    }
    h = strcspn(line, "\r\n");
    if (h > 20 && !strncasecmp(line, "Content-Disposition:", 20)) {
        free(x->disposition);
        x->disposition = disposition_filename(line + 20, h - 20);
    } else if (h > 12 && !strncasecmp(line, "Retry-After:", 12)) {
        char *end;
        long v = strtol(line + 12, &end, 10);
        x->retry_after = end != line + 12 && v >= 0 ? v : -1;
    }
    return len;
}

static void emit_progress(struct xfer *x, bool last)
{
    if (!x->req->progress || (!last && x->got < x->next_progress))
        return;
    x->next_progress = x->got + PROGRESS_EVERY;
    cb_progress_bytes(x->req->progress, x->req->progress_step, x->req->url, x->got, x->total);
}

/* Keep the first bytes of an error body for the message. */
static size_t keep_error_body(struct xfer *x, const char *data, size_t len)
{
    size_t room = x->errbody.limit - x->errbody.len;
    if (room)
        cb_buf_add(&x->errbody, data, len < room ? len : room, NULL);
    return len;
}

static size_t on_write(char *data, size_t size, size_t n, void *ud)
{
    struct xfer *x = ud;
    size_t len = size * n;

    if (x->status >= 300 && x->status < 400)
        return len; /* a redirect's body */
    if (x->status < 200 || x->status >= 300)
        return keep_error_body(x, data, len);
    if (x->req->max_bytes > 0 && x->got + (int64_t)len > x->req->max_bytes) {
        cb_fail(&x->werr, CB_EIO, 0, "'%s' is larger than the limit of %lld bytes", x->req->url,
                (long long)x->req->max_bytes);
        return 0;
    }
    oci_hasher_update(x->hasher, data, len);
    if (oci_sink_write(x->out, data, len, &x->werr) < 0)
        return 0;
    x->delivered = true;
    x->got += (int64_t)len;
    emit_progress(x, false);
    return len;
}

static int on_xferinfo(void *ud, curl_off_t dltotal, curl_off_t dlnow, curl_off_t ultotal,
                       curl_off_t ulnow)
{
    struct xfer *x = ud;
    (void)dlnow;
    (void)ultotal;
    (void)ulnow;
    if (dltotal > 0 && x->status >= 200 && x->status < 300)
        x->total = dltotal;
    return x->req->cancel && *x->req->cancel ? 1 : 0;
}

/* ------------------------------------------------------------ one request */

static void setup_handle(CURL *h, struct xfer *x, const char *url, const struct cb_buf *ca)
{
    bool verify = !x->req->insecure;
    curl_easy_setopt(h, CURLOPT_URL, url);
    curl_easy_setopt(h, CURLOPT_PROTOCOLS_STR, "http,https");
    curl_easy_setopt(h, CURLOPT_FOLLOWLOCATION, 0L);
    curl_easy_setopt(h, CURLOPT_HTTPGET, 1L);
    curl_easy_setopt(h, CURLOPT_USERAGENT, "cbuild/" CBUILD_VERSION);
    curl_easy_setopt(h, CURLOPT_NETRC, (long)CURL_NETRC_IGNORED);
    curl_easy_setopt(h, CURLOPT_NOSIGNAL, 1L);
    curl_easy_setopt(h, CURLOPT_CONNECTTIMEOUT, 30L);
    curl_easy_setopt(h, CURLOPT_LOW_SPEED_LIMIT, 1L);
    curl_easy_setopt(h, CURLOPT_LOW_SPEED_TIME, 60L);
    curl_easy_setopt(h, CURLOPT_FILETIME, 1L);
    curl_easy_setopt(h, CURLOPT_SSL_VERIFYPEER, verify ? 1L : 0L);
    curl_easy_setopt(h, CURLOPT_SSL_VERIFYHOST, verify ? 2L : 0L);
    if (ca->len) {
        struct curl_blob blob = {ca->data, ca->len, CURL_BLOB_COPY};
        curl_easy_setopt(h, CURLOPT_CAINFO_BLOB, &blob);
    }
    curl_easy_setopt(h, CURLOPT_HEADERFUNCTION, on_header);
    curl_easy_setopt(h, CURLOPT_HEADERDATA, x);
    curl_easy_setopt(h, CURLOPT_WRITEFUNCTION, on_write);
    curl_easy_setopt(h, CURLOPT_WRITEDATA, x);
    curl_easy_setopt(h, CURLOPT_NOPROGRESS, 0L);
    curl_easy_setopt(h, CURLOPT_XFERINFOFUNCTION, on_xferinfo);
    curl_easy_setopt(h, CURLOPT_XFERINFODATA, x);
    curl_easy_setopt(h, CURLOPT_ERRORBUFFER, x->detail);
}

/* Start an attempt over: the destination, the hasher, the counters. */
static int reset_attempt(struct xfer *x, struct cb_err **err)
{
    if (x->delivered && x->rewind && x->rewind(x->rewind_ud, err) < 0)
        return cb_err_rc(err);
    if (x->delivered && !x->rewind)
        return cb_fail(err, CB_EBUG, 0, "fetch restarted after delivering bytes");
    x->delivered = false;
    oci_hasher_reset(x->hasher);
    x->got = 0;
    x->total = -1;
    x->next_progress = 0;
    x->status = 0;
    x->reason[0] = 0;
    x->detail[0] = 0;
    x->retry_after = -1;
    cb_buf_reset(&x->errbody);
    return 0;
}

/* One GET of url, no redirects followed: *cc is curl's verdict, *redirect
 * the Location of a 3xx.  Negative only when the attempt could not start. */
static int perform_once(struct xfer *x, const char *url, CURLcode *cc, char **redirect,
                        int64_t *mtime, struct cb_err **err)
{
    cleanup_free char *hostport = NULL;
    cleanup_buf struct cb_buf ca;
    CURL *h;
    char *loc = NULL;
    curl_off_t ft = -1;

    cb_buf_init(&ca, (size_t)16 << 20);
    if (check_url(url, NULL, &hostport, err) < 0 || load_certs_d(hostport, &ca, err) < 0 ||
        reset_attempt(x, err) < 0)
        return cb_err_rc(err);
    h = curl_easy_init();
    if (!h)
        return cb_fail(err, CB_EIO, 0, "curl_easy_init failed");
    setup_handle(h, x, url, &ca);
    *cc = curl_easy_perform(h);
    if (*cc == CURLE_OK && x->status >= 300 && x->status < 400 &&
        curl_easy_getinfo(h, CURLINFO_REDIRECT_URL, &loc) == CURLE_OK && loc)
        *redirect = xstrdup(loc);
    if (*cc == CURLE_OK && curl_easy_getinfo(h, CURLINFO_FILETIME_T, &ft) == CURLE_OK)
        *mtime = ft >= 0 ? (int64_t)ft : -1;
    curl_easy_cleanup(h);
    return 0;
}

/* ------------------------------------------------------------ the loop */

static bool transient_curl(CURLcode cc)
{
    switch (cc) {
    case CURLE_COULDNT_CONNECT:
    case CURLE_RECV_ERROR:
    case CURLE_SEND_ERROR:
    case CURLE_GOT_NOTHING:
    case CURLE_PARTIAL_FILE:
    case CURLE_OPERATION_TIMEDOUT:
    case CURLE_HTTP2_STREAM:
        return true;
    default:
        return false;
    }
}

/* Sleep before retry number attempt (0-based), waking for a cancel. */
static int backoff(struct xfer *x, int attempt, struct cb_err **err)
{
    long base = x->req->retry_base_ms > 0 ? x->req->retry_base_ms : DEFAULT_BACKOFF_MS;
    long ms = base;
    for (int i = 0; i < attempt && ms < MAX_BACKOFF_MS; i++)
        ms *= 2;
    if (x->retry_after > 0 && x->retry_after * 1000 > ms)
        ms = x->retry_after * 1000;
    if (ms > MAX_BACKOFF_MS)
        ms = MAX_BACKOFF_MS;
    for (long left = ms; left > 0; left -= 10) {
        if (x->req->cancel && *x->req->cancel)
            return cb_fail(err, CB_EINTR, 0, "fetch '%s': cancelled", x->req->url);
        struct timespec ts = {0, (left < 10 ? left : 10) * 1000000L};
        nanosleep(&ts, NULL);
    }
    return 0;
}

static bool can_retry(const struct xfer *x, int attempt)
{
    int max = x->req->retries == 0 ? DEFAULT_RETRIES : x->req->retries < 0 ? 0 : x->req->retries;
    return attempt < max && (!x->delivered || x->rewind);
}

/* "HTTP 404 Not Found: <first line of the body>" */
static int http_error(struct xfer *x, struct cb_err **err)
{
    const char *b = cb_buf_str(&x->errbody);
    size_t n;
    enum cb_errc code = x->status == 404 || x->status == 410   ? CB_ENOTFOUND
                        : x->status == 401 || x->status == 403 ? CB_EAUTH
                                                               : CB_EREGISTRY;
    b += strspn(b, " \t\r\n");
    n = strcspn(b, "\r\n");
    if (n > ERR_TEXT_MAX)
        n = ERR_TEXT_MAX;
    return cb_fail(err, code, 0, "fetch '%s': HTTP %ld%s%s%s%.*s", x->req->url, x->status,
                   x->reason[0] ? " " : "", x->reason, n ? ": " : "", (int)n, b);
}

static int curl_error(struct xfer *x, CURLcode cc, struct cb_err **err)
{
    if (x->werr) {
        int rc = -(int)x->werr->code;
        if (err) {
            cb_err_free(*err);
            *err = x->werr;
        } else {
            cb_err_free(x->werr);
        }
        x->werr = NULL;
        return rc;
    }
    if (cc == CURLE_ABORTED_BY_CALLBACK && x->req->cancel && *x->req->cancel)
        return cb_fail(err, CB_EINTR, 0, "fetch '%s': cancelled", x->req->url);
    return cb_fail(err, CB_ENET, 0, "fetch '%s': %s%s", x->req->url,
                   x->detail[0] ? x->detail : curl_easy_strerror(cc),
                   cc == CURLE_PEER_FAILED_VERIFICATION
                       ? " (a private CA goes in $CBUILD_CERTS_D/HOST:PORT/ca.crt)"
                       : "");
}

/* Follow redirects and retry until a 2xx body has been delivered whole. */
static int fetch_loop(struct xfer *x, char **final_url, int64_t *mtime, struct cb_err **err)
{
    char *url = xstrdup(x->req->url);
    int attempt = 0, hops = 0, rc = 0;

    for (;;) {
        cleanup_free char *redirect = NULL;
        CURLcode cc = CURLE_OK;
        if (x->req->cancel && *x->req->cancel) {
            rc = cb_fail(err, CB_EINTR, 0, "fetch '%s': cancelled", x->req->url);
            break;
        }
        if ((rc = perform_once(x, url, &cc, &redirect, mtime, err)) < 0)
            break;
        bool again =
            cc == CURLE_OK ? x->status >= 500 || x->status == 429 : !x->werr && transient_curl(cc);
        if (again && can_retry(x, attempt)) {
            if ((rc = backoff(x, attempt++, err)) < 0)
                break;
            continue;
        }
        if (cc != CURLE_OK) {
            rc = curl_error(x, cc, err);
            break;
        }
        if (!redirect)
            break;
        if (++hops > MAX_REDIRECTS) {
            rc = cb_fail(err, CB_ENET, 0, "fetch '%s': more than %d redirects", x->req->url,
                         MAX_REDIRECTS);
            break;
        }
        if ((rc = check_url(redirect, NULL, NULL, err)) < 0) {
            rc = cb_wrap(err, "fetch '%s': redirect", x->req->url);
            break;
        }
        free(url);
        url = TAKE_PTR(redirect);
    }
    if (rc == 0 && (x->status < 200 || x->status >= 300))
        rc = http_error(x, err);
    if (rc < 0)
        free(url);
    else
        *final_url = url;
    return rc;
}

static int check_sum(const struct xfer *x, const struct oci_digest *got, struct cb_err **err)
{
    char want_s[OCI_DIGEST_STR_MAX], got_s[OCI_DIGEST_STR_MAX];
    if (!x->req->checksum || oci_digest_equal(x->req->checksum, got))
        return 0;
    return cb_fail(err, CB_EDIGEST, 0, "checksum of '%s' does not match: expected %s, got %s",
                   x->req->url, oci_digest_fmt(x->req->checksum, want_s),
                   oci_digest_fmt(got, got_s));
}

static int fetch_with(const struct oci_fetch_req *req, const struct oci_sink *out, rewind_fn rw,
                      void *rw_ud, struct oci_fetch_result *res, struct cb_err **err)
{
    cleanup_hasher struct oci_hasher *hasher = oci_hasher_new();
    struct xfer x = {.req = req, .out = out, .rewind = rw, .rewind_ud = rw_ud, .hasher = hasher};
    struct oci_fetch_result r = {.last_modified = -1};
    int rc;

    pthread_once(&curl_once, curl_init_once);
    if (!req->url || check_url(req->url, NULL, NULL, err) < 0)
        return req->url ? cb_err_rc(err) : cb_fail(err, CB_EINVAL, 0, "fetch: no URL");
    cb_buf_init(&x.errbody, 4096);
    rc = fetch_loop(&x, &r.final_url, &r.last_modified, err);
    if (rc == 0) {
        oci_hasher_final(hasher, &r.digest);
        r.size = x.got;
        emit_progress(&x, true);
        rc = check_sum(&x, &r.digest, err);
    }
    if (rc == 0) {
        r.filename =
            x.disposition ? TAKE_PTR(x.disposition) : oci_fetch_url_filename(req->url, NULL);
        *res = r;
    } else {
        free(r.final_url);
    }
    free(x.disposition);
    cb_buf_release(&x.errbody);
    return rc;
}

int oci_fetch(const struct oci_fetch_req *req, const struct oci_sink *out,
              struct oci_fetch_result *res, struct cb_err **err)
{
    return fetch_with(req, out, NULL, NULL, res, err);
}

void oci_fetch_result_release(struct oci_fetch_result *res)
{
    if (!res)
        return;
    free(res->filename);
    free(res->final_url);
    res->filename = res->final_url = NULL;
}

/* ------------------------------------------------------------ to a file */

static int fd_write(void *ud, const void *data, size_t len, struct cb_err **err)
{
    return cb_write_all(*(int *)ud, data, len, err);
}

static int fd_rewind(void *ud, struct cb_err **err)
{
    int fd = *(int *)ud;
    if (ftruncate(fd, 0) < 0 || lseek(fd, 0, SEEK_SET) < 0)
        return cb_fail(err, CB_EIO, errno, "truncate download");
    return 0;
}

/* fsync, the Last-Modified mtime, then rename over path. */
static int finish_file(int fd, const char *tmp, const char *path, int64_t mtime,
                       struct cb_err **err)
{
    if (mtime >= 0) {
        struct timespec ts[2] = {{(time_t)mtime, 0}, {(time_t)mtime, 0}};
        if (futimens(fd, ts) < 0)
            return cb_fail(err, CB_EIO, errno, "set mtime of '%s'", tmp);
    }
    if (fsync(fd) < 0)
        return cb_fail(err, CB_EIO, errno, "fsync '%s'", tmp);
    if (rename(tmp, path) < 0)
        return cb_fail(err, CB_EIO, errno, "rename '%s' to '%s'", tmp, path);
    cleanup_free char *dir = xstrdup(path);
    char *slash = strrchr(dir, '/');
    if (slash)
        *(slash == dir ? slash + 1 : slash) = 0;
    return cb_fsync_dir(slash ? dir : ".", err);
}

int oci_fetch_to_file(const struct oci_fetch_req *req, const char *path, mode_t mode,
                      struct oci_fetch_result *res, struct cb_err **err)
{
    cleanup_free char *tmp = xasprintf("%s.cbuild-fetch-XXXXXX", path);
    cleanup_close int fd = mkostemp(tmp, O_CLOEXEC);
    struct oci_fetch_result r = {.last_modified = -1};
    struct oci_sink sink = {fd_write, &fd};
    int rc;

    if (fd < 0)
        return cb_fail(err, CB_EIO, errno, "create '%s'", tmp);
    if (fchmod(fd, mode) < 0)
        rc = cb_fail(err, CB_EIO, errno, "chmod '%s'", tmp);
    else
        rc = fetch_with(req, &sink, fd_rewind, &fd, &r, err);
    if (rc == 0)
        rc = finish_file(fd, tmp, path, r.last_modified, err);
    if (rc < 0) {
        unlink(tmp);
        oci_fetch_result_release(&r);
        return rc;
    }
    if (res)
        *res = r;
    else
        oci_fetch_result_release(&r);
    return 0;
}
