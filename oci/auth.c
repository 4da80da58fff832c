/* auth.c - registry authentication state: parse WWW-Authenticate
 * challenges, fetch and cache Bearer tokens per scope set (GET with Basic
 * credentials, or the OAuth2 refresh_token POST for identity tokens), build
 * Basic headers, and refresh on expiry or an ECR "token expired". */
#include <ctype.h>
#include <curl/curl.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "auth.h"
#include "regjson.h"
#include "../base/cleanup.h"
#include "../base/log.h"
#include "../base/strv.h"
#include "../base/xalloc.h"
#include "../base/banned.h"

#define TOKEN_REPLY_LIMIT ((size_t)1 << 20)
#define TOKEN_DEFAULT_TTL 60

/* ---------------------------------------------------------------- challenges */

static const char *skip_ws(const char *p)
{
    while (*p == ' ' || *p == '\t' || *p == ',')
        p++;
    return p;
}

/* Parse `key=value` or `key="quoted"`; returns the position after it or
 * NULL when p does not start a parameter. */
static const char *parse_param(const char *p, char **key, char **val)
{
    const char *k = p;
    struct cb_buf v;

    while (*p && (isalnum((unsigned char)*p) || *p == '_' || *p == '-'))
        p++;
    if (p == k || *p != '=')
        return NULL;
    *key = xstrndup(k, (size_t)(p - k));
    p++;
    cb_buf_init(&v, 1 << 16);
    if (*p == '"') {
        for (p++; *p && *p != '"'; p++) {
            if (*p == '\\' && p[1])
                p++;
            cb_buf_addc(&v, *p, NULL);
        }
        if (*p == '"')
            p++;
    } else {
        while (*p && *p != ',' && *p != ' ')
            cb_buf_addc(&v, *p++, NULL);
    }
    *val = cb_buf_detach(&v, NULL);
    cb_buf_release(&v);
    return p;
}

static void set_param(struct oci_challenge *c, const char *k, char *v)
{
    char **slot = NULL;
    if (!strcasecmp(k, "realm"))
        slot = &c->realm;
    else if (!strcasecmp(k, "service"))
        slot = &c->service;
    else if (!strcasecmp(k, "scope"))
        slot = &c->scope;
    else if (!strcasecmp(k, "error"))
        slot = &c->error;
    if (slot && !*slot)
        *slot = v;
    else
        free(v);
}

int oci_challenge_parse(const char *header, struct oci_challenge *out)
{
    const char *p = header ? header : "";

    memset(out, 0, sizeof(*out));
    while (*(p = skip_ws(p))) {
        const char *s = p;
        while (*p && !isspace((unsigned char)*p) && *p != ',')
            p++;
        size_t n = (size_t)(p - s);
        enum oci_auth_scheme sch = OCI_AUTH_NONE;
        if (n == 6 && !strncasecmp(s, "bearer", 6))
            sch = OCI_AUTH_BEARER;
        else if (n == 5 && !strncasecmp(s, "basic", 5))
            sch = OCI_AUTH_BASIC;
        struct oci_challenge c = {.scheme = sch};
        for (;;) {
            cleanup_free char *k = NULL;
            char *v = NULL;
            const char *q = parse_param(skip_ws(p), &k, &v);
            if (!q)
                break;
            p = q;
            set_param(&c, k, v);
        }
        if (sch != OCI_AUTH_NONE && !out->scheme) {
            *out = c;
            return 0;
        }
        oci_challenge_release(&c);
    }
    return -1;
}

void oci_challenge_release(struct oci_challenge *c)
{
    free(c->realm);
    free(c->service);
    free(c->scope);
    free(c->error);
    memset(c, 0, sizeof(*c));
}

/* ---------------------------------------------------------------- session */

struct token {
    char *scope;
    char *value;
    time_t expires; /* CLOCK_MONOTONIC seconds */
};

struct oci_auth {
    pthread_mutex_t lock;
    char *registry;
    char *repository;
    oci_auth_http_fn http;
    void *userdata;
    struct oci_challenge ch; /* the last challenge seen */
    struct oci_creds creds;
    bool creds_loaded, creds_explicit, creds_refreshed, anonymous;
    char *extra_scope; /* scopes challenges asked for beyond the callers' */
    struct token *tokens;
    size_t ntokens, atokens;
    unsigned fetches;
};

static time_t now_mono(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return ts.tv_sec;
}

struct oci_auth *oci_auth_new(const char *registry, const char *repository, oci_auth_http_fn http,
                              void *userdata)
{
    struct oci_auth *a = xcalloc(1, sizeof(*a));
    pthread_mutex_init(&a->lock, NULL);
    a->registry = xstrdup(registry);
    a->repository = repository ? xstrdup(repository) : NULL;
    a->http = http;
    a->userdata = userdata;
    return a;
}

static void drop_tokens(struct oci_auth *a)
{
    for (size_t i = 0; i < a->ntokens; i++) {
        free(a->tokens[i].scope);
        free(a->tokens[i].value);
    }
    a->ntokens = 0;
}

void oci_auth_free(struct oci_auth *a)
{
    if (!a)
        return;
    drop_tokens(a);
    free(a->tokens);
    free(a->extra_scope);
    oci_challenge_release(&a->ch);
    oci_creds_release(&a->creds);
    free(a->registry);
    free(a->repository);
    pthread_mutex_destroy(&a->lock);
    free(a);
}

void oci_auth_set_creds(struct oci_auth *a, const char *username, const char *password)
{
    pthread_mutex_lock(&a->lock);
    oci_creds_release(&a->creds);
    a->creds.username = xstrdup(username);
    a->creds.password = xstrdup(password);
    a->creds.source = xstrdup("the command line");
    a->creds_loaded = a->creds_explicit = true;
    drop_tokens(a);
    pthread_mutex_unlock(&a->lock);
}

static int load_creds(struct oci_auth *a, struct cb_err **err)
{
    int rc;
    if (a->creds_loaded)
        return 0;
    rc = oci_creds_lookup(a->registry, a->repository, &a->creds, err);
    if (rc < 0)
        return rc;
    a->creds_loaded = true;
    if (rc > 0)
        cb_log_debug("auth: credentials for %s from %s", a->registry, a->creds.source);
    return 0;
}

static bool have_basic(const struct oci_auth *a)
{
    return a->creds.username && a->creds.password;
}

bool oci_auth_has_creds(struct oci_auth *a)
{
    struct cb_err *err = NULL;
    bool r;
    pthread_mutex_lock(&a->lock);
    if (load_creds(a, &err) < 0)
        cb_err_free(err);
    r = have_basic(a) || a->creds.identity_token || a->creds.registry_token;
    pthread_mutex_unlock(&a->lock);
    return r;
}

static char *basic_value(const struct oci_auth *a)
{
    cleanup_free char *plain = xasprintf("%s:%s", a->creds.username, a->creds.password);
    cleanup_free char *b64 = oci_base64_encode(plain, strlen(plain));
    return xasprintf("Basic %s", b64);
}

static struct token *find_token(struct oci_auth *a, const char *scope)
{
    for (size_t i = 0; i < a->ntokens; i++)
        if (!strcmp(a->tokens[i].scope, scope))
            return &a->tokens[i];
    return NULL;
}

static void add_scope_params(CURL *esc, struct cb_buf *q, const char *scope, bool form)
{
    cleanup_free char *s = xstrdup(scope ? scope : "");
    if (form) {
        char *e = curl_easy_escape(esc, s, 0);
        if (*s)
            cb_buf_addf(q, NULL, "&scope=%s", e);
        curl_free(e);
        return;
    }
    for (char *save = NULL, *tok = strtok_r(s, " ", &save); tok; tok = strtok_r(NULL, " ", &save)) {
        char *e = curl_easy_escape(esc, tok, 0);
        cb_buf_addf(q, NULL, "&scope=%s", e);
        curl_free(e);
    }
}

/* Build the token request: GET realm?service=&scope=... (Basic when we have
 * a password), or the OAuth2 refresh_token POST for identity tokens. */
static int token_request(struct oci_auth *a, const char *scope, char **url, char **form,
                         char **authz)
{
    CURL *esc = curl_easy_init();
    cleanup_buf struct cb_buf q = {0};
    char *svc;

    if (!esc)
        return -1;
    cb_buf_init(&q, 1 << 16);
    svc = curl_easy_escape(esc, a->ch.service ? a->ch.service : "", 0);
    *authz = NULL;
    *form = NULL;
    if (a->creds.identity_token) {
        char *rt = curl_easy_escape(esc, a->creds.identity_token, 0);
        cb_buf_addf(&q, NULL,
                    "grant_type=refresh_token&refresh_token=%s&client_id=cbuild&service=%s", rt,
                    svc);
        curl_free(rt);
        add_scope_params(esc, &q, scope, true);
        *form = cb_buf_detach(&q, NULL);
        *url = xstrdup(a->ch.realm);
    } else {
        cb_buf_addf(&q, NULL, "%s%sservice=%s", a->ch.realm, strchr(a->ch.realm, '?') ? "&" : "?",
                    svc);
        add_scope_params(esc, &q, scope, false);
        *url = cb_buf_detach(&q, NULL);
        if (have_basic(a))
            *authz = basic_value(a);
    }
    curl_free(svc);
    curl_easy_cleanup(esc);
    return 0;
}

static int fetch_token(struct oci_auth *a, const char *scope, struct token *out,
                       struct cb_err **err)
{
    cleanup_free char *url = NULL, *form = NULL, *authz = NULL, *value = NULL, *msg = NULL;
    cleanup_buf struct cb_buf body = {0};
    long status = 0, ttl = 0;

    cb_buf_init(&body, TOKEN_REPLY_LIMIT);
    if (token_request(a, scope, &url, &form, &authz) < 0)
        return cb_fail(err, CB_EBUG, 0, "curl_easy_init failed");
    a->fetches++;
    if (a->http(a->userdata, url, authz, form, &body, &status, err) < 0)
        return cb_wrap(err, "fetch token from '%s'", a->ch.realm);
    if (status != 200) {
        msg = oci_regjson_errors(body.data, body.len, NULL);
        if (!msg && body.len && body.len < 300)
            msg = xstrndup(body.data, body.len);
        return cb_fail(err, status == 401 || status == 403 ? CB_EAUTH : CB_EREGISTRY, 0,
                       "fetch token from '%s': HTTP %ld%s%s", a->ch.realm, status, msg ? ": " : "",
                       msg ? msg : "");
    }
    if (oci_regjson_token(body.data, body.len, &value, &ttl, NULL, err) < 0)
        return cb_wrap(err, "fetch token from '%s'", a->ch.realm);
    if (ttl <= 0)
        ttl = TOKEN_DEFAULT_TTL;
    out->value = TAKE_PTR(value);
    /* a little early, so a token does not expire in flight */
    out->expires = now_mono() + (ttl > 10 ? ttl - 2 : ttl);
    return 0;
}

/* Whether every scope in want is literally in have. */
static bool scopes_cover(const char *have, const char *want)
{
    cleanup_free char *w = xstrdup(want ? want : "");
    for (char *save = NULL, *tok = strtok_r(w, " ", &save); tok; tok = strtok_r(NULL, " ", &save)) {
        cleanup_free char *padded = xasprintf(" %s ", have ? have : "");
        cleanup_free char *needle = xasprintf(" %s ", tok);
        if (!strstr(padded, needle))
            return false;
    }
    return true;
}

/* scope plus what challenges asked for on top ("insufficient_scope"). */
static char *effective_scope(const struct oci_auth *a, const char *scope)
{
    if (!a->extra_scope || scopes_cover(scope, a->extra_scope))
        return xstrdup(scope ? scope : "");
    return xasprintf("%s%s%s", scope ? scope : "", scope && *scope ? " " : "", a->extra_scope);
}

/* Remember the scopes in want that have lacks. */
static void add_extra_scope(struct oci_auth *a, const char *have, const char *want)
{
    cleanup_free char *w = xstrdup(want);
    for (char *save = NULL, *tok = strtok_r(w, " ", &save); tok; tok = strtok_r(NULL, " ", &save)) {
        if (scopes_cover(have, tok) || (a->extra_scope && scopes_cover(a->extra_scope, tok)))
            continue;
        char *n = xasprintf("%s%s%s", a->extra_scope ? a->extra_scope : "",
                            a->extra_scope ? " " : "", tok);
        free(a->extra_scope);
        a->extra_scope = n;
    }
}

static int bearer_header(struct oci_auth *a, const char *want, char **out, struct cb_err **err)
{
    cleanup_free char *scope = effective_scope(a, want);
    struct token *t = find_token(a, scope);
    struct token fresh = {0};

    if (a->creds.registry_token) {
        *out = xasprintf("Bearer %s", a->creds.registry_token);
        return 0;
    }
    if (t && t->expires > now_mono()) {
        *out = xasprintf("Bearer %s", t->value);
        return 0;
    }
    if (fetch_token(a, scope, &fresh, err) < 0)
        return cb_err_rc(err);
    if (!t) {
        XGROW(a->tokens, a->ntokens + 1, a->atokens);
        t = &a->tokens[a->ntokens++];
        t->scope = xstrdup(scope);
    } else {
        free(t->value);
    }
    t->value = fresh.value;
    t->expires = fresh.expires;
    *out = xasprintf("Bearer %s", t->value);
    return 0;
}

int oci_auth_header(struct oci_auth *a, const char *scope, char **out, struct cb_err **err)
{
    int rc = 0;

    *out = NULL;
    pthread_mutex_lock(&a->lock);
    switch (a->ch.scheme) {
    case OCI_AUTH_NONE:
        break;
    case OCI_AUTH_BASIC:
        rc = load_creds(a, err);
        if (rc == 0 && have_basic(a))
            *out = basic_value(a);
        break;
    case OCI_AUTH_BEARER:
        rc = load_creds(a, err);
        if (rc == 0)
            rc = bearer_header(a, scope, out, err);
        break;
    }
    pthread_mutex_unlock(&a->lock);
    return rc;
}

int oci_auth_on_unauthorized(struct oci_auth *a, const char *www_authenticate, const char *scope,
                             bool had_auth, struct cb_err **err)
{
    struct oci_challenge c;
    int retry = 0;

    if (oci_challenge_parse(www_authenticate, &c) < 0)
        return 0;
    pthread_mutex_lock(&a->lock);
    if (load_creds(a, err) < 0) {
        pthread_mutex_unlock(&a->lock);
        oci_challenge_release(&c);
        return cb_err_rc(err);
    }
    if (c.scheme != a->ch.scheme || !had_auth) {
        /* first challenge, or the registry changed its mind */
        retry = c.scheme == OCI_AUTH_BEARER || have_basic(a);
    } else if (c.scheme == OCI_AUTH_BEARER) {
        /* an expired or revoked token, or a scope we did not ask for:
         * forget the token and try once more, with the wider scope */
        if (c.scope && !scopes_cover(scope, c.scope))
            add_extra_scope(a, scope, c.scope);
        cleanup_free char *eff = effective_scope(a, scope);
        struct token *t = find_token(a, eff);
        if (t)
            t->expires = 0;
        retry = 1;
    }
    oci_challenge_release(&a->ch);
    a->ch = c;
    pthread_mutex_unlock(&a->lock);
    return retry;
}

int oci_auth_on_expired(struct oci_auth *a, struct cb_err **err)
{
    int rc = 0;
    pthread_mutex_lock(&a->lock);
    if (!a->creds_refreshed && !a->creds_explicit) {
        a->creds_refreshed = true;
        oci_creds_release(&a->creds);
        a->creds_loaded = false;
        drop_tokens(a);
        rc = load_creds(a, err);
        rc = rc < 0 ? rc : 1;
    }
    pthread_mutex_unlock(&a->lock);
    return rc;
}

int oci_auth_go_anonymous(struct oci_auth *a)
{
    int rc = 0;
    pthread_mutex_lock(&a->lock);
    if (!a->anonymous && (have_basic(a) || a->creds.identity_token || a->creds.registry_token)) {
        oci_creds_release(&a->creds);
        drop_tokens(a);
        rc = 1;
    }
    a->anonymous = a->creds_loaded = true;
    pthread_mutex_unlock(&a->lock);
    return rc;
}

unsigned oci_auth_token_fetches(struct oci_auth *a)
{
    unsigned n;
    pthread_mutex_lock(&a->lock);
    n = a->fetches;
    pthread_mutex_unlock(&a->lock);
    return n;
}
