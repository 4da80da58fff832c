/* store_json.c - the JSON the image commands print (`cbuild images
 * --format json`, `cbuild inspect`): a codec file, so jansson stays out of
 * cli/.  Output is indented for people and has sorted keys for scripts. */
#include <stdlib.h>
#include <string.h>

#include "oci_internal.h"
#include "store.h"
#include "../base/cleanup.h"
#include "../base/json.h"
#include "../base/xalloc.h"
#include "../base/banned.h"

static int dump_pretty(json_t *j, struct cb_buf *out, struct cb_err **err)
{
    char *s = json_dumps(j, JSON_INDENT(2) | JSON_SORT_KEYS);
    int r;

    json_decref(j);
    if (!s)
        return cb_fail(err, CB_EBUG, 0, "encode JSON");
    r = cb_buf_adds(out, s, err);
    free(s);
    return r < 0 ? r : cb_buf_addc(out, '\n', err);
}

static json_t *digest_json(const struct oci_digest *d)
{
    char s[OCI_DIGEST_STR_MAX];
    return oci_digest_is_set(d) ? json_string(oci_digest_fmt(d, s)) : json_null();
}

/* "host/repo:tag" → repository and tag ("<none>" when absent). */
static void split_name(const char *name, json_t *o)
{
    const char *at = name ? strchr(name, '@') : NULL, *slash, *colon;
    cleanup_free char *base = NULL;

    if (!name) {
        json_object_set_new(o, "Repository", json_string("<none>"));
        json_object_set_new(o, "Tag", json_string("<none>"));
        return;
    }
    base = at ? xstrndup(name, (size_t)(at - name)) : xstrdup(name);
    slash = strrchr(base, '/');
    colon = strrchr(slash ? slash : base, ':');
    json_object_set_new(o, "Repository",
                        json_stringn(base, colon ? (size_t)(colon - base) : strlen(base)));
    json_object_set_new(o, "Tag", json_string(colon ? colon + 1 : "<none>"));
}

int oci_store_images_json(const struct oci_store_image *v, size_t n, struct cb_buf *out,
                          struct cb_err **err)
{
    json_t *a = json_array();

    for (size_t i = 0; i < n; i++) {
        json_t *o = json_object();
        json_object_set_new(o, "Name", v[i].name ? json_string(v[i].name) : json_null());
        split_name(v[i].name, o);
        json_object_set_new(o, "Id", digest_json(&v[i].id));
        json_object_set_new(o, "Digest", digest_json(&v[i].desc.digest));
        json_object_set_new(o, "MediaType",
                            json_string(v[i].desc.media_type ? v[i].desc.media_type : ""));
        json_object_set_new(o, "Created", v[i].created ? json_string(v[i].created) : json_null());
        json_object_set_new(o, "Size", json_integer(v[i].size));
        json_array_append_new(a, o);
    }
    return dump_pretty(a, out, err);
}

/* A stored JSON blob, parsed. */
static json_t *blob_json(struct oci_layout *l, const struct oci_digest *d, const char *what,
                         struct cb_err **err)
{
    cleanup_buf struct cb_buf b = {0};

    cb_buf_init(&b, OCI_DOC_LIMIT);
    if (oci_layout_read_blob(l, d, &b, err) < 0)
        return NULL;
    return cb_json_parse(b.data, b.len, what, err);
}

/* Add a stored document under key. */
static int add_blob(json_t *o, const char *key, struct oci_layout *l, const struct oci_digest *d,
                    struct cb_err **err)
{
    json_t *doc = blob_json(l, d, key, err);

    if (!doc)
        return cb_err_rc(err);
    json_object_set_new(o, key, doc);
    return 0;
}

static int inspect_fill(struct oci_store *s, const struct oci_descriptor *top,
                        const struct oci_platform *platform, json_t *o, struct cb_err **err)
{
    struct oci_layout *l = oci_store_layout_peek(s);
    struct oci_descriptor md;
    struct oci_manifest m;
    int r;

    json_object_set_new(o, "Digest", digest_json(&top->digest));
    json_object_set_new(o, "MediaType", json_string(top->media_type ? top->media_type : ""));
    if (oci_doc_kind_of(top->media_type) == OCI_DOC_INDEX &&
        add_blob(o, "Index", l, &top->digest, err) < 0)
        return cb_err_rc(err);
    if (oci_pick_manifest(l, top, platform, &md, err) < 0)
        return cb_err_rc(err);
    json_object_set_new(o, "ManifestDigest", digest_json(&md.digest));
    r = oci_layout_get_manifest(l, &md.digest, &m, err);
    if (r >= 0)
        r = add_blob(o, "Manifest", l, &md.digest, err);
    oci_descriptor_release(&md);
    if (r < 0)
        return r;
    json_object_set_new(o, "Id", digest_json(&m.config.digest));
    r = add_blob(o, "Config", l, &m.config.digest, err);
    oci_manifest_release(&m);
    return r;
}

int oci_store_inspect_json(struct oci_store *s, char *const *names, size_t n,
                           const struct oci_platform *platform, struct cb_buf *out,
                           struct cb_err **err)
{
    json_t *a = json_array();

    for (size_t i = 0; i < n; i++) {
        cleanup_free char *found = NULL;
        struct oci_descriptor top;
        json_t *o;
        int r;
        if (oci_store_resolve(s, names[i], &top, &found, err) < 0) {
            json_decref(a);
            return cb_err_rc(err);
        }
        o = json_object();
        json_object_set_new(o, "Name", found ? json_string(found) : json_null());
        r = inspect_fill(s, &top, platform, o, err);
        oci_descriptor_release(&top);
        json_array_append_new(a, o);
        if (r < 0) {
            json_decref(a);
            return cb_wrap(err, "inspect '%s'", names[i]);
        }
    }
    return dump_pretty(a, out, err);
}
