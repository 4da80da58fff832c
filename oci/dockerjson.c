/* dockerjson.c - codec for docker-archive's manifest.json and repositories
 * (moby image/tarexport; the layout skopeo's docker-archive transport reads
 * and writes). */
#include <stdlib.h>
#include <string.h>

#include "dockerjson.h"
#include "../base/json.h"
#include "../base/xalloc.h"
#include "../base/banned.h"

void oci_docker_manifest_init(struct oci_docker_manifest *m)
{
    memset(m, 0, sizeof(*m));
}

void oci_docker_manifest_release(struct oci_docker_manifest *m)
{
    for (size_t i = 0; i < m->n; i++) {
        free(m->v[i].config);
        cb_strv_release(&m->v[i].repo_tags);
        cb_strv_release(&m->v[i].layers);
    }
    free(m->v);
    oci_docker_manifest_init(m);
}

struct oci_docker_entry *oci_docker_manifest_add(struct oci_docker_manifest *m)
{
    XGROW(m->v, m->n + 1, m->alloc);
    memset(&m->v[m->n], 0, sizeof(m->v[0]));
    return &m->v[m->n++];
}

static int strings(const json_t *a, struct cb_strv *out, const char *key, struct cb_err **err)
{
    json_t *e;
    size_t i;

    if (!a || json_is_null(a))
        return 0;
    if (!json_is_array(a))
        return cb_fail(err, CB_EINVAL, 0, "parse manifest.json: '%s' must be an array", key);
    json_array_foreach(a, i, e)
    {
        if (!json_is_string(e))
            return cb_fail(err, CB_EINVAL, 0, "parse manifest.json: '%s' must hold strings", key);
        cb_strv_push(out, json_string_value(e));
    }
    return 0;
}

static int entry_decode(const json_t *o, struct oci_docker_entry *e, struct cb_err **err)
{
    const char *config = cb_json_peek_str(o, "Config");

    if (!json_is_object(o) || !config)
        return cb_fail(err, CB_EINVAL, 0, "parse manifest.json: an entry without 'Config'");
    e->config = xstrdup(config);
    if (strings(json_object_get(o, "RepoTags"), &e->repo_tags, "RepoTags", err) < 0 ||
        strings(json_object_get(o, "Layers"), &e->layers, "Layers", err) < 0)
        return cb_err_rc(err);
    return 0;
}

int oci_docker_manifest_parse(const char *data, size_t len, struct oci_docker_manifest *out,
                              struct cb_err **err)
{
    cleanup_json json_t *a = cb_json_parse(data, len, "manifest.json", err);
    json_t *o;
    size_t i;

    oci_docker_manifest_init(out);
    if (!a)
        return cb_err_rc(err);
    if (!json_is_array(a))
        return cb_fail(err, CB_EINVAL, 0, "parse manifest.json: not an array");
    json_array_foreach(a, i, o)
    {
        if (entry_decode(o, oci_docker_manifest_add(out), err) < 0) {
            oci_docker_manifest_release(out);
            return cb_err_rc(err);
        }
    }
    return 0;
}

static json_t *strv_json(const struct cb_strv *v)
{
    json_t *a = json_array();
    for (size_t i = 0; i < v->n; i++)
        json_array_append_new(a, json_string(v->v[i]));
    return a;
}

static int dump(json_t *j, struct cb_buf *out, struct cb_err **err)
{
    int r = cb_json_dump_canonical(j, out, err);
    json_decref(j);
    return r;
}

int oci_docker_manifest_dump(const struct oci_docker_manifest *m, struct cb_buf *out,
                             struct cb_err **err)
{
    json_t *a = json_array();

    for (size_t i = 0; i < m->n; i++) {
        json_t *o = json_object();
        json_object_set_new(o, "Config", json_string(m->v[i].config));
        json_object_set_new(o, "RepoTags",
                            m->v[i].repo_tags.n ? strv_json(&m->v[i].repo_tags) : json_null());
        json_object_set_new(o, "Layers", strv_json(&m->v[i].layers));
        json_array_append_new(a, o);
    }
    return dump(a, out, err);
}

int oci_docker_repositories_dump(const struct oci_docker_manifest *m, const char *const *top_ids,
                                 struct cb_buf *out, struct cb_err **err)
{
    json_t *o = json_object();

    for (size_t i = 0; i < m->n; i++) {
        for (size_t k = 0; k < m->v[i].repo_tags.n; k++) {
            const char *rt = m->v[i].repo_tags.v[k], *colon = strrchr(rt, ':');
            char *repo;
            json_t *tags;
            if (!colon || strchr(colon, '/'))
                continue;
            repo = xstrndup(rt, (size_t)(colon - rt));
            tags = json_object_get(o, repo);
            if (!tags) {
                tags = json_object();
                json_object_set_new(o, repo, tags);
            }
            json_object_set_new(tags, colon + 1, json_string(top_ids[i]));
            free(repo);
        }
    }
    return dump(o, out, err);
}
