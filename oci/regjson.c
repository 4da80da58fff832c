/* regjson.c - JSON codec of the registry client: distribution error
 * bodies, token replies, credential-helper messages, and docker/containers
 * credential files read and edited in place. */
#include <stdlib.h>
#include <string.h>

#include "regjson.h"
#include "../base/buf.h"
#include "../base/cleanup.h"
#include "../base/fsutil.h"
#include "../base/json.h"
#include "../base/strv.h"
#include "../base/xalloc.h"
#include "../base/banned.h"

#define AUTHFILE_LIMIT ((size_t)4 << 20)

static void add_detail(struct cb_buf *out, json_t *detail)
{
    cleanup_free char *d = NULL;
    if (!detail || json_is_null(detail))
        return;
    if (json_is_string(detail))
        d = xstrdup(json_string_value(detail));
    else
        d = json_dumps(detail, JSON_COMPACT | JSON_SORT_KEYS | JSON_ENCODE_ANY);
    if (d && *d && strlen(d) <= 200)
        cb_buf_addf(out, NULL, " (%s)", d);
}

char *oci_regjson_errors(const char *body, size_t len, char **first_code)
{
    cleanup_json json_t *j = NULL;
    cleanup_buf struct cb_buf out = {0};
    json_t *errs, *e;
    size_t i;

    cb_buf_init(&out, 4096);
    if (first_code)
        *first_code = NULL;
    if (!body || len == 0)
        return NULL;
    j = json_loadb(body, len, 0, NULL);
    errs = json_object_get(j, "errors");
    if (!json_is_array(errs) || json_array_size(errs) == 0)
        return NULL;
    json_array_foreach(errs, i, e)
    {
        const char *code = cb_json_peek_str(e, "code");
        const char *msg = cb_json_peek_str(e, "message");
        if (i > 0)
            cb_buf_adds(&out, "; ", NULL);
        cb_buf_addf(&out, NULL, "%s%s%s", code ? code : "UNKNOWN", msg ? ": " : "", msg ? msg : "");
        add_detail(&out, json_object_get(e, "detail"));
        if (first_code && !*first_code && code)
            *first_code = xstrdup(code);
    }
    return cb_buf_detach(&out, NULL);
}

int oci_regjson_token(const char *body, size_t len, char **token, long *expires_in,
                      char **refresh_token, struct cb_err **err)
{
    cleanup_json json_t *j = cb_json_parse(body, len, "token reply", err);
    const char *t, *r;
    json_t *exp;

    if (!j)
        return cb_err_rc(err);
    t = cb_json_peek_str(j, "token");
    if (!t || !*t)
        t = cb_json_peek_str(j, "access_token");
    if (!t || !*t)
        return cb_fail(err, CB_EAUTH, 0, "token reply holds neither 'token' nor 'access_token'");
    exp = json_object_get(j, "expires_in");
    r = cb_json_peek_str(j, "refresh_token");
    *token = xstrdup(t);
    *expires_in = json_is_integer(exp) ? (long)json_integer_value(exp) : 0;
    if (refresh_token)
        *refresh_token = r ? xstrdup(r) : NULL;
    return 0;
}

int oci_regjson_helper_parse(const char *body, size_t len, char **username, char **secret,
                             struct cb_err **err)
{
    cleanup_json json_t *j = cb_json_parse(body, len, "credential helper output", err);
    const char *u, *s;

    if (!j)
        return cb_err_rc(err);
    u = cb_json_peek_str(j, "Username");
    s = cb_json_peek_str(j, "Secret");
    if (!s)
        return cb_fail(err, CB_EAUTH, 0, "credential helper output has no 'Secret'");
    *username = xstrdup(u ? u : "");
    *secret = xstrdup(s);
    return 0;
}

char *oci_regjson_helper_input(const char *server, const char *username, const char *secret)
{
    cleanup_json json_t *j =
        json_pack("{s:s, s:s, s:s}", "ServerURL", server, "Username", username, "Secret", secret);
    char *s = j ? json_dumps(j, JSON_COMPACT) : NULL;
    CB_BUG_ON(!s);
    return s;
}

struct oci_authfile {
    json_t *doc;
    bool exists;
};

struct oci_authfile *oci_authfile_parse(const char *text, size_t len, const char *what,
                                        struct cb_err **err)
{
    struct oci_authfile *f = xcalloc(1, sizeof(*f));

    f->exists = true;
    f->doc = len ? cb_json_parse(text, len, what, err) : json_object();
    if (f->doc && !json_is_object(f->doc)) {
        json_decref(f->doc);
        f->doc = NULL;
        cb_fail(err, CB_EINVAL, 0, "parse %s: not a JSON object", what);
    }
    if (!f->doc) {
        free(f);
        return NULL;
    }
    return f;
}

struct oci_authfile *oci_authfile_load(const char *path, struct cb_err **err)
{
    cleanup_buf struct cb_buf b = {0};
    struct cb_err *rerr = NULL;

    cb_buf_init(&b, AUTHFILE_LIMIT);
    if (cb_read_file(path, &b, &rerr) < 0) {
        if (rerr->code != CB_ENOTFOUND) {
            cb_fail(err, rerr->code, 0, "%s", rerr->msg);
            cb_err_free(rerr);
            return NULL;
        }
        cb_err_free(rerr);
        struct oci_authfile *f = xcalloc(1, sizeof(*f));
        f->doc = json_object();
        return f;
    }
    return oci_authfile_parse(b.data, b.len, path, err);
}

void oci_authfile_free(struct oci_authfile *f)
{
    if (!f)
        return;
    json_decref(f->doc);
    free(f);
}

bool oci_authfile_exists(const struct oci_authfile *f)
{
    return f->exists;
}

const char *oci_authfile_helper(const struct oci_authfile *f, const char *key)
{
    return cb_json_peek_str(json_object_get(f->doc, "credHelpers"), key);
}

const char *oci_authfile_creds_store(const struct oci_authfile *f)
{
    const char *s = cb_json_peek_str(f->doc, "credsStore");
    return s && *s ? s : NULL;
}

bool oci_authfile_get(const struct oci_authfile *f, const char *key, struct oci_authfile_entry *e)
{
    json_t *ent = json_object_get(json_object_get(f->doc, "auths"), key);

    memset(e, 0, sizeof(*e));
    if (!json_is_object(ent))
        return false;
    e->auth = cb_json_peek_str(ent, "auth");
    e->identitytoken = cb_json_peek_str(ent, "identitytoken");
    e->registrytoken = cb_json_peek_str(ent, "registrytoken");
    e->username = cb_json_peek_str(ent, "username");
    e->password = cb_json_peek_str(ent, "password");
    if (e->auth && !*e->auth)
        e->auth = NULL;
    if (e->identitytoken && !*e->identitytoken)
        e->identitytoken = NULL;
    if (e->registrytoken && !*e->registrytoken)
        e->registrytoken = NULL;
    return e->auth || e->identitytoken || e->registrytoken || (e->username && e->password);
}

char **oci_authfile_keys(const struct oci_authfile *f)
{
    struct cb_strv v = CB_STRV_INIT;
    const char *k;
    json_t *val;
    json_object_foreach(json_object_get(f->doc, "auths"), k, val) cb_strv_push(&v, k);
    return cb_strv_detach(&v);
}

void oci_authfile_set(struct oci_authfile *f, const char *key, const char *auth_b64)
{
    json_t *auths = json_object_get(f->doc, "auths");
    if (!json_is_object(auths)) {
        auths = json_object();
        json_object_set_new(f->doc, "auths", auths);
    }
    json_object_set_new(auths, key, json_pack("{s:s}", "auth", auth_b64));
}

bool oci_authfile_remove(struct oci_authfile *f, const char *key)
{
    json_t *auths = json_object_get(f->doc, "auths");
    return json_is_object(auths) && json_object_del(auths, key) == 0;
}

int oci_authfile_save(const struct oci_authfile *f, const char *path, struct cb_err **err)
{
    cleanup_free char *text = json_dumps(f->doc, JSON_INDENT(4) | JSON_SORT_KEYS);
    cleanup_free char *dir = xstrdup(path);
    char *slash = strrchr(dir, '/');
    cleanup_free char *withnl = NULL;

    if (!text)
        return cb_fail(err, CB_EBUG, 0, "encode '%s'", path);
    if (slash && slash != dir) {
        *slash = 0;
        if (cb_mkdir_p(dir, 0700, err) < 0)
            return cb_err_rc(err);
    }
    withnl = xasprintf("%s\n", text);
    return cb_write_file_atomic(path, withnl, strlen(withnl), 0600, err);
}
