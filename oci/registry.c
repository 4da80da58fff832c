/* registry.c - the registry client's transport: libcurl handles sharing a
 * connection cache, TLS (certs.d, insecure hosts), the /v2/ probe, the
 * auth challenge flow, redirects that never carry Authorization off the
 * registry's origin, and bounded retries with backoff.  The operations
 * (manifests, blobs) are in registry_ops.c, one HTTP exchange in
 * registry_xfer.c. */
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

#define MAX_REDIRECTS 10
#define MAX_BACKOFF_MS 10000L
#define SYSTEM_CA_BUNDLE "/etc/ssl/certs/ca-certificates.crt"

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
        cc = reg_perform_once(r, x, url, ours ? authz : NULL, !(r->insecure && ours));
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
        CURLcode cc = reg_perform_once(r, &x, q->url, authz, !r->insecure);
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
    cc = reg_perform_once(r, &x, url, NULL, false);
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
