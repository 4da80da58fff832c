/* keys.c - cache keys: a typed request -> canonical JSON document -> sha256.
 *
 * This is one of cache/'s two codec files (with records.c): jansson is used
 * here only to build the document and dump it canonically (sorted keys,
 * compact).  Strings that are not valid UTF-8 (file names can be anything)
 * become {"hex":"..."} so that no input is lost or refused.
 */
#include <stdlib.h>
#include <string.h>

#include "keys.h"
#include "../base/cleanup.h"
#include "../base/json.h"
#include "../base/xalloc.h"
#include "../base/banned.h"

static const char *const kind_names[] = {
    [CACHE_OP_EXEC] = "exec",
    [CACHE_OP_COPY] = "copy",
    [CACHE_OP_ADD] = "add",
    [CACHE_OP_META] = "meta",
};

static const char *const mount_names[] = {
    [CACHE_MOUNT_BIND] = "bind",     [CACHE_MOUNT_CACHE] = "cache", [CACHE_MOUNT_TMPFS] = "tmpfs",
    [CACHE_MOUNT_SECRET] = "secret", [CACHE_MOUNT_SSH] = "ssh",
};

static json_t *jstr(const char *s)
{
    static const char hexd[] = "0123456789abcdef";
    json_t *j;

    if (!s)
        s = "";
    j = json_string(s);
    if (j)
        return j;
    /* Not UTF-8: keep every byte, in a form no valid string can take. */
    size_t n = strlen(s);
    cleanup_free char *hex = xmalloc(2 * n + 1);
    for (size_t i = 0; i < n; i++) {
        hex[2 * i] = hexd[(unsigned char)s[i] >> 4];
        hex[2 * i + 1] = hexd[(unsigned char)s[i] & 15];
    }
    hex[2 * n] = '\0';
    return json_pack("{s:s}", "hex", hex);
}

static json_t *jdigest(const struct oci_digest *d)
{
    char s[OCI_DIGEST_STR_MAX];
    return json_string(oci_digest_fmt(d, s));
}

static json_t *jstrv(const char *const *v, size_t n)
{
    json_t *a = json_array();
    for (size_t i = 0; i < n; i++)
        json_array_append_new(a, jstr(v[i]));
    return a;
}

static int kv_cmp(const void *a, const void *b)
{
    const struct cache_kv *x = *(const struct cache_kv *const *)a;
    const struct cache_kv *y = *(const struct cache_kv *const *)b;
    int c = strcmp(x->name ? x->name : "", y->name ? y->name : "");
    /* qsort is not stable: fall back to the original position. */
    return c ? c : (x < y ? -1 : x > y);
}

/* [[name,value],...] sorted by name, duplicates in their given order. */
static json_t *jflags(const struct cache_kv *kv, size_t n)
{
    cleanup_free const struct cache_kv **sorted = xcalloc(n ? n : 1, sizeof(*sorted));
    json_t *a = json_array();

    for (size_t i = 0; i < n; i++)
        sorted[i] = &kv[i];
    qsort(sorted, n, sizeof(*sorted), kv_cmp);
    for (size_t i = 0; i < n; i++) {
        json_t *pair = json_array();
        json_array_append_new(pair, jstr(sorted[i]->name));
        json_array_append_new(pair, jstr(sorted[i]->value));
        json_array_append_new(a, pair);
    }
    return a;
}

/* {"NAME":"value"}: the canonical dump sorts it; a duplicate is an error. */
static int jbuild_args(const struct cache_kv *kv, size_t n, json_t **out, struct cb_err **err)
{
    cleanup_json json_t *o = json_object();

    for (size_t i = 0; i < n; i++) {
        const char *name = kv[i].name ? kv[i].name : "";
        if (json_object_get(o, name))
            return cb_fail(err, CB_EINVAL, 0, "cache key: build arg '%s' given twice", name);
        /* set_new consumes the value even when it fails (name not UTF-8). */
        if (json_object_set_new(o, name, jstr(kv[i].value)) < 0)
            return cb_fail(err, CB_EINVAL, 0, "cache key: build arg name is not UTF-8");
    }
    *out = TAKE_PTR(o);
    return 0;
}

static int jmount(const struct cache_mount *m, json_t **out, struct cb_err **err)
{
    json_t *o;

    if ((unsigned)m->type >= sizeof(mount_names) / sizeof(mount_names[0]) || !mount_names[m->type])
        return cb_fail(err, CB_EINVAL, 0, "cache key: unknown mount type %d", (int)m->type);
    *out = o = json_object();
    json_object_set_new(o, "type", json_string(mount_names[m->type]));
    json_object_set_new(o, "target", jstr(m->target));
    if (m->id)
        json_object_set_new(o, "id", jstr(m->id));
    /* Secrets and ssh agents: only what names them, never what they hold. */
    if (m->type == CACHE_MOUNT_SECRET || m->type == CACHE_MOUNT_SSH)
        return 0;
    json_object_set_new(o, "opts", jflags(m->opts, m->n_opts));
    if (m->from)
        json_object_set_new(o, "from", jdigest(m->from));
    if (m->content)
        json_object_set_new(o, "content", jdigest(m->content));
    return 0;
}

static int jmounts(const struct cache_key_req *req, json_t **out, struct cb_err **err)
{
    cleanup_json json_t *a = json_array();

    for (size_t i = 0; i < req->n_mounts; i++) {
        json_t *m = NULL;
        int rc = jmount(&req->mounts[i], &m, err);
        if (rc < 0)
            return rc;
        json_array_append_new(a, m);
    }
    *out = TAKE_PTR(a);
    return 0;
}

static int check_req(const struct cache_key_req *req, struct cb_err **err)
{
    if ((unsigned)req->kind >= sizeof(kind_names) / sizeof(kind_names[0]) || !kind_names[req->kind])
        return cb_fail(err, CB_EINVAL, 0, "cache key: unknown op kind %d", (int)req->kind);
    if (req->kind == CACHE_OP_COPY && !req->content)
        return cb_fail(err, CB_EINVAL, 0,
                       "cache key: COPY needs the content digest of its sources");
    return 0;
}

static int key_doc(const struct cache_key_req *req, json_t **out, struct cb_err **err)
{
    cleanup_json json_t *ba = NULL;
    cleanup_json json_t *mounts = NULL;
    json_t *doc, *parents;
    int rc;

    if ((rc = check_req(req, err)) < 0)
        return rc;
    if ((rc = jbuild_args(req->build_args, req->n_build_args, &ba, err)) < 0)
        return rc;
    if ((rc = jmounts(req, &mounts, err)) < 0)
        return rc;
    *out = doc = json_object();
    json_object_set_new(doc, "v", json_integer(CACHE_KEY_VERSION));
    json_object_set_new(doc, "kind", json_string(kind_names[req->kind]));
    json_object_set_new(doc, "args", jstrv(req->args, req->n_args));
    json_object_set_new(doc, "flags", jflags(req->flags, req->n_flags));
    json_object_set_new(doc, "env", jstrv(req->env, req->n_env));
    json_object_set_new(doc, "user", jstr(req->user));
    json_object_set_new(doc, "workdir", jstr(req->workdir));
    json_object_set_new(doc, "shell", jstrv(req->shell, req->n_shell));
    json_object_set_new(doc, "platform", jstr(req->platform));
    json_object_set_new(doc, "build_args", TAKE_PTR(ba));
    parents = json_array();
    for (size_t i = 0; i < req->n_parents; i++)
        json_array_append_new(parents, jdigest(&req->parents[i]));
    json_object_set_new(doc, "parents", parents);
    if (req->content)
        json_object_set_new(doc, "content", jdigest(req->content));
    json_object_set_new(doc, "mounts", TAKE_PTR(mounts));
    return 0;
}

int cache_key_describe(const struct cache_key_req *req, struct cb_buf *out, struct cb_err **err)
{
    cleanup_json json_t *doc = NULL;
    int rc = key_doc(req, &doc, err);

    if (rc < 0)
        return rc;
    return cb_json_dump_canonical(doc, out, err);
}

int cache_key_compute(const struct cache_key_req *req, struct oci_digest *out, struct cb_err **err)
{
    cleanup_buf struct cb_buf b = {0};
    int rc;

    cb_buf_init(&b, CB_BUF_LIMIT_DEFAULT);
    if ((rc = cache_key_describe(req, &b, err)) < 0)
        return rc;
    oci_digest_of(b.data, b.len, out);
    return 0;
}

void cache_key_for_base(const struct oci_digest *manifest, struct oci_digest *out)
{
    *out = *manifest;
}
