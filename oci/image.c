/* image.c - JSON codecs for image documents: descriptors, OCI manifests and
 * indexes, Docker schema2 manifests and manifest lists, image configs.  The
 * only file where jansson meets image documents.  Decoding is strict about
 * types (a field of the wrong type is an error naming the field), tolerant
 * of unknown fields; encoding is canonical and omits empty optional fields
 * (Go's omitempty), so a struct always gives the same bytes. */
#include <stdlib.h>
#include <string.h>

#include "image.h"
#include "../base/cleanup.h"
#include "../base/json.h"
#include "../base/xalloc.h"
#include "../base/banned.h"

/* ---------------------------------------------------------------- decoding helpers */

static int type_error(const char *what, const char *key, const char *want, struct cb_err **err)
{
    return cb_fail(err, CB_EINVAL, 0, "parse %s: '%s' must be %s", what, key, want);
}

/* Optional string member into *out (NULL when absent or null). */
static int get_str(const json_t *o, const char *key, char **out, const char *what,
                   struct cb_err **err)
{
    json_t *v = json_object_get(o, key);

    *out = NULL;
    if (!v || json_is_null(v))
        return 0;
    if (!json_is_string(v))
        return type_error(what, key, "a string", err);
    *out = xstrdup(json_string_value(v));
    return 0;
}

/* Optional array of strings; *present tells [] from absent/null. */
static int get_strv(const json_t *o, const char *key, struct cb_strv *out, bool *present,
                    const char *what, struct cb_err **err)
{
    json_t *v = json_object_get(o, key), *e;
    size_t i;

    if (present)
        *present = false;
    if (!v || json_is_null(v))
        return 0;
    if (!json_is_array(v))
        return type_error(what, key, "an array of strings", err);
    json_array_foreach(v, i, e)
    {
        if (!json_is_string(e))
            return type_error(what, key, "an array of strings", err);
        cb_strv_push(out, json_string_value(e));
    }
    if (present)
        *present = true;
    return 0;
}

/* Optional object of strings. */
static int get_map(const json_t *o, const char *key, struct oci_map *out, const char *what,
                   struct cb_err **err)
{
    json_t *v = json_object_get(o, key), *e;
    const char *k;

    if (!v || json_is_null(v))
        return 0;
    if (!json_is_object(v))
        return type_error(what, key, "an object of strings", err);
    json_object_foreach(v, k, e)
    {
        if (!json_is_string(e))
            return type_error(what, key, "an object of strings", err);
        oci_map_set(out, k, json_string_value(e));
    }
    return 0;
}

/* Optional object used as a set ({"80/tcp": {}}): its keys, sorted. */
static int get_set(const json_t *o, const char *key, struct cb_strv *out, const char *what,
                   struct cb_err **err)
{
    struct oci_map tmp;
    json_t *v = json_object_get(o, key), *e;
    const char *k;

    if (!v || json_is_null(v))
        return 0;
    if (!json_is_object(v))
        return type_error(what, key, "an object", err);
    oci_map_init(&tmp);
    json_object_foreach(v, k, e) oci_map_set(&tmp, k, "");
    for (size_t i = 0; i < tmp.n; i++)
        cb_strv_push(out, tmp.v[i].key);
    oci_map_release(&tmp);
    return 0;
}

static int get_int(const json_t *o, const char *key, int64_t *out, const char *what,
                   struct cb_err **err)
{
    json_t *v = json_object_get(o, key);

    *out = 0;
    if (!v || json_is_null(v))
        return 0;
    if (!json_is_integer(v))
        return type_error(what, key, "an integer", err);
    *out = json_integer_value(v);
    return 0;
}

static int get_bool(const json_t *o, const char *key, bool *out, const char *what,
                    struct cb_err **err)
{
    json_t *v = json_object_get(o, key);

    *out = false;
    if (!v || json_is_null(v))
        return 0;
    if (!json_is_boolean(v))
        return type_error(what, key, "a boolean", err);
    *out = json_is_true(v);
    return 0;
}

static int get_digest(const json_t *o, const char *key, struct oci_digest *out, const char *what,
                      struct cb_err **err)
{
    const char *s = cb_json_peek_str(o, key);

    if (!s)
        return cb_fail(err, CB_EINVAL, 0, "parse %s: missing '%s'", what, key);
    if (oci_digest_parse(s, out, err) < 0)
        return cb_wrap(err, "parse %s", what);
    return 0;
}

/* ---------------------------------------------------------------- encoding helpers */

static void put_str(json_t *o, const char *key, const char *s)
{
    if (s && *s)
        json_object_set_new(o, key, json_string(s));
}

static json_t *strv_json(const struct cb_strv *v)
{
    json_t *a = json_array();
    for (size_t i = 0; i < v->n; i++)
        json_array_append_new(a, json_string(v->v[i]));
    return a;
}

static void put_strv(json_t *o, const char *key, const struct cb_strv *v, bool always)
{
    if (v->n || always)
        json_object_set_new(o, key, strv_json(v));
}

static void put_map(json_t *o, const char *key, const struct oci_map *m)
{
    json_t *j;

    if (!m->n)
        return;
    j = json_object();
    for (size_t i = 0; i < m->n; i++)
        json_object_set_new(j, m->v[i].key, json_string(m->v[i].value));
    json_object_set_new(o, key, j);
}

static void put_set(json_t *o, const char *key, const struct cb_strv *v)
{
    json_t *j;

    if (!v->n)
        return;
    j = json_object();
    for (size_t i = 0; i < v->n; i++)
        json_object_set_new(j, v->v[i], json_object());
    json_object_set_new(o, key, j);
}

static void put_digest(json_t *o, const char *key, const struct oci_digest *d)
{
    char s[OCI_DIGEST_STR_MAX];
    json_object_set_new(o, key, json_string(oci_digest_fmt(d, s)));
}

static int dump(json_t *j, struct cb_buf *out, struct cb_err **err)
{
    int r = cb_json_dump_canonical(j, out, err);
    json_decref(j);
    return r;
}

static json_t *parse_object(const char *data, size_t len, const char *what, struct cb_err **err)
{
    json_t *j = cb_json_parse(data, len, what, err);

    if (j && !json_is_object(j)) {
        json_decref(j);
        cb_fail(err, CB_EINVAL, 0, "parse %s: not a JSON object", what);
        return NULL;
    }
    return j;
}

/* ---------------------------------------------------------------- platform, descriptor */

static int platform_decode(const json_t *o, struct oci_platform *p, struct cb_err **err)
{
    const char *w = "platform";

    if (!json_is_object(o))
        return cb_fail(err, CB_EINVAL, 0, "parse platform: not an object");
    if (get_str(o, "os", &p->os, w, err) < 0 ||
        get_str(o, "architecture", &p->architecture, w, err) < 0 ||
        get_str(o, "variant", &p->variant, w, err) < 0 ||
        get_str(o, "os.version", &p->os_version, w, err) < 0 ||
        get_strv(o, "os.features", &p->os_features, NULL, w, err) < 0 ||
        get_strv(o, "features", &p->features, NULL, w, err) < 0)
        return cb_err_rc(err);
    if (!p->os || !p->architecture)
        return cb_fail(err, CB_EINVAL, 0, "parse platform: missing 'os' or 'architecture'");
    return 0;
}

static json_t *platform_encode(const struct oci_platform *p)
{
    json_t *o = json_object();
    put_str(o, "architecture", p->architecture);
    put_str(o, "os", p->os);
    put_str(o, "os.version", p->os_version);
    put_strv(o, "os.features", &p->os_features, false);
    put_str(o, "variant", p->variant);
    put_strv(o, "features", &p->features, false);
    return o;
}

static int descriptor_decode(const json_t *o, struct oci_descriptor *d, const char *what,
                             struct cb_err **err)
{
    json_t *plat;

    oci_descriptor_init(d);
    if (!json_is_object(o))
        return cb_fail(err, CB_EINVAL, 0, "parse %s: descriptor is not an object", what);
    if (get_str(o, "mediaType", &d->media_type, what, err) < 0 ||
        get_digest(o, "digest", &d->digest, what, err) < 0 ||
        get_int(o, "size", &d->size, what, err) < 0 ||
        get_strv(o, "urls", &d->urls, NULL, what, err) < 0 ||
        get_map(o, "annotations", &d->annotations, what, err) < 0 ||
        get_str(o, "artifactType", &d->artifact_type, what, err) < 0)
        return cb_err_rc(err);
    if (!d->media_type)
        return cb_fail(err, CB_EINVAL, 0, "parse %s: descriptor without 'mediaType'", what);
    if (!json_is_integer(json_object_get(o, "size")) || d->size < 0)
        return cb_fail(err, CB_EINVAL, 0, "parse %s: descriptor without a valid 'size'", what);
    plat = json_object_get(o, "platform");
    if (plat && !json_is_null(plat)) {
        d->platform = xmalloc(sizeof(*d->platform));
        oci_platform_init(d->platform);
        if (platform_decode(plat, d->platform, err) < 0)
            return cb_wrap(err, "parse %s", what);
    }
    return 0;
}

static json_t *descriptor_encode(const struct oci_descriptor *d)
{
    json_t *o = json_object();
    put_str(o, "mediaType", d->media_type);
    put_digest(o, "digest", &d->digest);
    json_object_set_new(o, "size", json_integer(d->size));
    put_strv(o, "urls", &d->urls, false);
    put_map(o, "annotations", &d->annotations);
    if (d->platform)
        json_object_set_new(o, "platform", platform_encode(d->platform));
    put_str(o, "artifactType", d->artifact_type);
    return o;
}

/* An array of descriptors, appended through add. */
static int descriptors_decode(const json_t *a, const char *key, void *doc,
                              void (*add)(void *, const struct oci_descriptor *), const char *what,
                              struct cb_err **err)
{
    json_t *e;
    size_t i;

    if (!json_is_array(a))
        return cb_fail(err, CB_EINVAL, 0, "parse %s: '%s' must be an array", what, key);
    json_array_foreach(a, i, e)
    {
        struct oci_descriptor d;
        int r = descriptor_decode(e, &d, what, err);
        if (r == 0)
            add(doc, &d);
        oci_descriptor_release(&d);
        if (r < 0)
            return r;
    }
    return 0;
}

static json_t *descriptors_encode(const struct oci_descriptor *v, size_t n)
{
    json_t *a = json_array();
    for (size_t i = 0; i < n; i++)
        json_array_append_new(a, descriptor_encode(&v[i]));
    return a;
}

static int subject_decode(const json_t *o, struct oci_descriptor **out, const char *what,
                          struct cb_err **err)
{
    json_t *s = json_object_get(o, "subject");

    if (!s || json_is_null(s))
        return 0;
    *out = xmalloc(sizeof(**out));
    return descriptor_decode(s, *out, what, err);
}

static int schema_version(const json_t *o, const char *what, struct cb_err **err)
{
    json_t *v = json_object_get(o, "schemaVersion");

    if (!json_is_integer(v) || json_integer_value(v) != 2)
        return cb_fail(err, CB_EUNSUPPORTED, 0, "parse %s: schemaVersion must be 2", what);
    return 2;
}

/* ---------------------------------------------------------------- manifest */

static void manifest_add(void *m, const struct oci_descriptor *d)
{
    oci_manifest_add_layer(m, d);
}

static int manifest_decode(const json_t *o, struct oci_manifest *m, struct cb_err **err)
{
    const char *w = "manifest";
    json_t *layers = json_object_get(o, "layers");

    if (schema_version(o, w, err) < 0 || get_str(o, "mediaType", &m->media_type, w, err) < 0 ||
        get_str(o, "artifactType", &m->artifact_type, w, err) < 0 ||
        get_map(o, "annotations", &m->annotations, w, err) < 0)
        return cb_err_rc(err);
    if (m->media_type && oci_doc_kind_of(m->media_type) != OCI_DOC_MANIFEST)
        return cb_fail(err, CB_EINVAL, 0, "parse manifest: unexpected mediaType '%s'",
                       m->media_type);
    if (!json_object_get(o, "config"))
        return cb_fail(err, CB_EINVAL, 0, "parse manifest: missing 'config'");
    if (descriptor_decode(json_object_get(o, "config"), &m->config, w, err) < 0)
        return cb_err_rc(err);
    if (layers && !json_is_null(layers) &&
        descriptors_decode(layers, "layers", m, manifest_add, w, err) < 0)
        return cb_err_rc(err);
    return subject_decode(o, &m->subject, w, err);
}

int oci_manifest_parse(const char *data, size_t len, struct oci_manifest *m, struct cb_err **err)
{
    cleanup_json json_t *o = parse_object(data, len, "manifest", err);

    oci_manifest_init(m);
    if (!o)
        return cb_err_rc(err);
    if (manifest_decode(o, m, err) < 0) {
        oci_manifest_release(m);
        return cb_err_rc(err);
    }
    return 0;
}

int oci_manifest_dump(const struct oci_manifest *m, struct cb_buf *out, struct cb_err **err)
{
    json_t *o = json_object();

    json_object_set_new(o, "schemaVersion", json_integer(2));
    put_str(o, "mediaType", m->media_type);
    put_str(o, "artifactType", m->artifact_type);
    json_object_set_new(o, "config", descriptor_encode(&m->config));
    json_object_set_new(o, "layers", descriptors_encode(m->layers, m->n_layers));
    if (m->subject)
        json_object_set_new(o, "subject", descriptor_encode(m->subject));
    put_map(o, "annotations", &m->annotations);
    return dump(o, out, err);
}

/* ---------------------------------------------------------------- index */

static void index_add(void *x, const struct oci_descriptor *d)
{
    oci_index_add(x, d);
}

static int index_decode(const json_t *o, struct oci_index *x, struct cb_err **err)
{
    const char *w = "index";
    json_t *mans = json_object_get(o, "manifests");

    if (schema_version(o, w, err) < 0 || get_str(o, "mediaType", &x->media_type, w, err) < 0 ||
        get_str(o, "artifactType", &x->artifact_type, w, err) < 0 ||
        get_map(o, "annotations", &x->annotations, w, err) < 0)
        return cb_err_rc(err);
    if (x->media_type && oci_doc_kind_of(x->media_type) != OCI_DOC_INDEX)
        return cb_fail(err, CB_EINVAL, 0, "parse index: unexpected mediaType '%s'", x->media_type);
    if (!mans)
        return cb_fail(err, CB_EINVAL, 0, "parse index: missing 'manifests'");
    if (!json_is_null(mans) && descriptors_decode(mans, "manifests", x, index_add, w, err) < 0)
        return cb_err_rc(err);
    return subject_decode(o, &x->subject, w, err);
}

int oci_index_parse(const char *data, size_t len, struct oci_index *x, struct cb_err **err)
{
    cleanup_json json_t *o = parse_object(data, len, "index", err);

    oci_index_init(x);
    if (!o)
        return cb_err_rc(err);
    if (index_decode(o, x, err) < 0) {
        oci_index_release(x);
        return cb_err_rc(err);
    }
    return 0;
}

int oci_index_dump(const struct oci_index *x, struct cb_buf *out, struct cb_err **err)
{
    json_t *o = json_object();

    json_object_set_new(o, "schemaVersion", json_integer(2));
    put_str(o, "mediaType", x->media_type);
    put_str(o, "artifactType", x->artifact_type);
    json_object_set_new(o, "manifests", descriptors_encode(x->manifests, x->n_manifests));
    if (x->subject)
        json_object_set_new(o, "subject", descriptor_encode(x->subject));
    put_map(o, "annotations", &x->annotations);
    return dump(o, out, err);
}

/* ---------------------------------------------------------------- image config */

static int healthcheck_decode(const json_t *o, struct oci_run_config *c, struct cb_err **err)
{
    const char *w = "image config Healthcheck";
    struct oci_healthcheck *h;
    int64_t retries;

    if (!o || json_is_null(o))
        return 0;
    if (!json_is_object(o))
        return type_error("image config", "Healthcheck", "an object", err);
    h = c->healthcheck = xcalloc(1, sizeof(*h));
    if (get_strv(o, "Test", &h->test, NULL, w, err) < 0 ||
        get_int(o, "Interval", &h->interval, w, err) < 0 ||
        get_int(o, "Timeout", &h->timeout, w, err) < 0 ||
        get_int(o, "StartPeriod", &h->start_period, w, err) < 0 ||
        get_int(o, "StartInterval", &h->start_interval, w, err) < 0 ||
        get_int(o, "Retries", &retries, w, err) < 0)
        return cb_err_rc(err);
    h->retries = (int)retries;
    return 0;
}

static json_t *healthcheck_encode(const struct oci_healthcheck *h)
{
    json_t *o = json_object();
    put_strv(o, "Test", &h->test, false);
    if (h->interval)
        json_object_set_new(o, "Interval", json_integer(h->interval));
    if (h->timeout)
        json_object_set_new(o, "Timeout", json_integer(h->timeout));
    if (h->start_period)
        json_object_set_new(o, "StartPeriod", json_integer(h->start_period));
    if (h->start_interval)
        json_object_set_new(o, "StartInterval", json_integer(h->start_interval));
    if (h->retries)
        json_object_set_new(o, "Retries", json_integer(h->retries));
    return o;
}

static int run_config_decode(const json_t *o, struct oci_run_config *c, struct cb_err **err)
{
    const char *w = "image config";

    if (!o || json_is_null(o))
        return 0;
    if (!json_is_object(o))
        return type_error(w, "config", "an object", err);
    if (get_str(o, "User", &c->user, w, err) < 0 || get_strv(o, "Env", &c->env, NULL, w, err) < 0 ||
        get_strv(o, "Entrypoint", &c->entrypoint, &c->has_entrypoint, w, err) < 0 ||
        get_strv(o, "Cmd", &c->cmd, &c->has_cmd, w, err) < 0 ||
        get_str(o, "WorkingDir", &c->working_dir, w, err) < 0 ||
        get_map(o, "Labels", &c->labels, w, err) < 0 ||
        get_set(o, "ExposedPorts", &c->exposed_ports, w, err) < 0 ||
        get_set(o, "Volumes", &c->volumes, w, err) < 0 ||
        get_str(o, "StopSignal", &c->stop_signal, w, err) < 0 ||
        healthcheck_decode(json_object_get(o, "Healthcheck"), c, err) < 0 ||
        get_strv(o, "OnBuild", &c->onbuild, NULL, w, err) < 0 ||
        get_strv(o, "Shell", &c->shell, NULL, w, err) < 0 ||
        get_bool(o, "ArgsEscaped", &c->args_escaped, w, err) < 0)
        return cb_err_rc(err);
    return 0;
}

static json_t *run_config_encode(const struct oci_run_config *c)
{
    json_t *o = json_object();
    put_str(o, "User", c->user);
    put_set(o, "ExposedPorts", &c->exposed_ports);
    put_strv(o, "Env", &c->env, false);
    put_strv(o, "Entrypoint", &c->entrypoint, c->has_entrypoint);
    put_strv(o, "Cmd", &c->cmd, c->has_cmd);
    put_set(o, "Volumes", &c->volumes);
    put_str(o, "WorkingDir", c->working_dir);
    put_map(o, "Labels", &c->labels);
    put_str(o, "StopSignal", c->stop_signal);
    if (c->args_escaped)
        json_object_set_new(o, "ArgsEscaped", json_true());
    if (c->healthcheck)
        json_object_set_new(o, "Healthcheck", healthcheck_encode(c->healthcheck));
    put_strv(o, "OnBuild", &c->onbuild, false);
    put_strv(o, "Shell", &c->shell, false);
    return o;
}

static int rootfs_decode(const json_t *o, struct oci_image *img, struct cb_err **err)
{
    const char *w = "image config";
    json_t *ids, *e;
    size_t i;

    if (!json_is_object(o))
        return cb_fail(err, CB_EINVAL, 0, "parse image config: missing 'rootfs'");
    if (!cb_json_peek_str(o, "type") || strcmp(cb_json_peek_str(o, "type"), "layers"))
        return cb_fail(err, CB_EINVAL, 0, "parse image config: rootfs.type must be \"layers\"");
    ids = json_object_get(o, "diff_ids");
    if (ids && !json_is_null(ids) && !json_is_array(ids))
        return type_error(w, "rootfs.diff_ids", "an array", err);
    json_array_foreach(ids, i, e)
    {
        struct oci_digest d;
        if (!json_is_string(e))
            return type_error(w, "rootfs.diff_ids", "an array of digests", err);
        if (oci_digest_parse(json_string_value(e), &d, err) < 0)
            return cb_wrap(err, "parse image config: rootfs.diff_ids[%zu]", i);
        oci_image_add_diff_id(img, &d);
    }
    return 0;
}

static int history_decode(const json_t *a, struct oci_image *img, struct cb_err **err)
{
    const char *w = "image config history";
    json_t *e;
    size_t i;

    if (!a || json_is_null(a))
        return 0;
    if (!json_is_array(a))
        return type_error("image config", "history", "an array", err);
    json_array_foreach(a, i, e)
    {
        struct oci_history h = {0};
        int r = -1;
        if (json_is_object(e) && get_str(e, "created", &h.created, w, err) == 0 &&
            get_str(e, "created_by", &h.created_by, w, err) == 0 &&
            get_str(e, "author", &h.author, w, err) == 0 &&
            get_str(e, "comment", &h.comment, w, err) == 0 &&
            get_bool(e, "empty_layer", &h.empty_layer, w, err) == 0) {
            oci_image_add_history(img, &h);
            r = 0;
        } else if (!json_is_object(e)) {
            type_error("image config", "history", "an array of objects", err);
        }
        free(h.created);
        free(h.created_by);
        free(h.author);
        free(h.comment);
        if (r < 0)
            return cb_err_rc(err);
    }
    return 0;
}

int oci_image_parse(const char *data, size_t len, struct oci_image *img, struct cb_err **err)
{
    const char *w = "image config";
    cleanup_json json_t *o = parse_object(data, len, w, err);

    oci_image_init(img);
    if (!o)
        return cb_err_rc(err);
    if (get_str(o, "created", &img->created, w, err) < 0 ||
        get_str(o, "author", &img->author, w, err) < 0 ||
        get_str(o, "architecture", &img->architecture, w, err) < 0 ||
        get_str(o, "os", &img->os, w, err) < 0 ||
        get_str(o, "os.version", &img->os_version, w, err) < 0 ||
        get_strv(o, "os.features", &img->os_features, NULL, w, err) < 0 ||
        get_str(o, "variant", &img->variant, w, err) < 0 ||
        run_config_decode(json_object_get(o, "config"), &img->config, err) < 0 ||
        rootfs_decode(json_object_get(o, "rootfs"), img, err) < 0 ||
        history_decode(json_object_get(o, "history"), img, err) < 0) {
        oci_image_release(img);
        return cb_err_rc(err);
    }
    return 0;
}

static json_t *history_encode(const struct oci_history *h)
{
    json_t *o = json_object();
    put_str(o, "created", h->created);
    put_str(o, "created_by", h->created_by);
    put_str(o, "author", h->author);
    put_str(o, "comment", h->comment);
    if (h->empty_layer)
        json_object_set_new(o, "empty_layer", json_true());
    return o;
}

int oci_image_dump(const struct oci_image *img, struct cb_buf *out, struct cb_err **err)
{
    json_t *o = json_object(), *rootfs = json_object(), *ids = json_array();

    put_str(o, "created", img->created);
    put_str(o, "author", img->author);
    put_str(o, "architecture", img->architecture);
    put_str(o, "os", img->os);
    put_str(o, "os.version", img->os_version);
    put_strv(o, "os.features", &img->os_features, false);
    put_str(o, "variant", img->variant);
    json_object_set_new(o, "config", run_config_encode(&img->config));
    for (size_t i = 0; i < img->n_diff_ids; i++) {
        char s[OCI_DIGEST_STR_MAX];
        json_array_append_new(ids, json_string(oci_digest_fmt(&img->diff_ids[i], s)));
    }
    json_object_set_new(rootfs, "type", json_string("layers"));
    json_object_set_new(rootfs, "diff_ids", ids);
    json_object_set_new(o, "rootfs", rootfs);
    if (img->n_history) {
        json_t *h = json_array();
        for (size_t i = 0; i < img->n_history; i++)
            json_array_append_new(h, history_encode(&img->history[i]));
        json_object_set_new(o, "history", h);
    }
    return dump(o, out, err);
}

/* ---------------------------------------------------------------- layout marker */

int oci_layout_marker_parse(const char *data, size_t len, char **version, struct cb_err **err)
{
    cleanup_json json_t *o = parse_object(data, len, "oci-layout", err);

    if (!o)
        return cb_err_rc(err);
    if (!cb_json_peek_str(o, "imageLayoutVersion"))
        return cb_fail(err, CB_EINVAL, 0, "parse oci-layout: missing 'imageLayoutVersion'");
    *version = xstrdup(cb_json_peek_str(o, "imageLayoutVersion"));
    return 0;
}

int oci_layout_marker_dump(struct cb_buf *out, struct cb_err **err)
{
    json_t *o = json_object();
    json_object_set_new(o, "imageLayoutVersion", json_string(OCI_LAYOUT_VERSION));
    return dump(o, out, err);
}

/* ---------------------------------------------------------------- sniffing */

enum oci_doc_kind oci_doc_sniff(const char *data, size_t len)
{
    cleanup_json json_t *o = json_loadb(data, len, 0, NULL);
    enum oci_doc_kind k;

    if (!json_is_object(o))
        return OCI_DOC_UNKNOWN;
    k = oci_doc_kind_of(cb_json_peek_str(o, "mediaType"));
    if (k != OCI_DOC_UNKNOWN)
        return k;
    if (json_is_array(json_object_get(o, "manifests")))
        return OCI_DOC_INDEX;
    if (json_is_object(json_object_get(o, "config")) && json_object_get(o, "layers"))
        return OCI_DOC_MANIFEST;
    return OCI_DOC_UNKNOWN;
}
