/* bake_compose.c - docker compose YAML as bake targets: every service with a
 * build: section is a target named after the service (context, dockerfile,
 * args, target, labels, cache_from; image: gives the tag); a service with
 * only image: (postgres, redis...) is recorded as image-only and not built.
 * libyaml's document API is used; only what bake needs is read. */
#include <stdlib.h>
#include <string.h>
#include <yaml.h>

#include "bake_internal.h"
#include "../base/fsutil.h"
#include "../base/xalloc.h"
#include "../base/banned.h"

struct doc {
    yaml_document_t d;
    const struct bld_bake *b;
    const char *path;
};

static yaml_node_t *map_get(struct doc *x, yaml_node_t *map, const char *key)
{
    if (!map || map->type != YAML_MAPPING_NODE)
        return NULL;
    for (yaml_node_pair_t *p = map->data.mapping.pairs.start; p < map->data.mapping.pairs.top;
         p++) {
        yaml_node_t *k = yaml_document_get_node(&x->d, p->key);
        if (k && k->type == YAML_SCALAR_NODE && !strcmp((char *)k->data.scalar.value, key))
            return yaml_document_get_node(&x->d, p->value);
    }
    return NULL;
}

static char *scalar(struct doc *x, yaml_node_t *n)
{
    if (!n || n->type != YAML_SCALAR_NODE)
        return NULL;
    return bld_bake_interpolate(x->b, (char *)n->data.scalar.value);
}

static int want_scalar(struct doc *x, yaml_node_t *n, const char *what, char **out,
                       struct cb_err **err)
{
    if (!n)
        return 0;
    if (n->type != YAML_SCALAR_NODE)
        return cb_fail(err, CB_EINVAL, 0, "%s:%lu: %s must be a string", x->path,
                       (unsigned long)n->start_mark.line + 1, what);
    free(*out);
    *out = scalar(x, n);
    return 0;
}

/* args/labels: a mapping, or a list of "K=V" (compose allows both). */
static int kv_list(struct doc *x, yaml_node_t *n, const char *what, struct cb_strv *out,
                   struct cb_err **err)
{
    if (!n)
        return 0;
    if (n->type == YAML_MAPPING_NODE) {
        for (yaml_node_pair_t *p = n->data.mapping.pairs.start; p < n->data.mapping.pairs.top;
             p++) {
            char *k = scalar(x, yaml_document_get_node(&x->d, p->key));
            char *v = scalar(x, yaml_document_get_node(&x->d, p->value));
            if (k)
                cb_strv_pushf(out, "%s=%s", k, v ? v : "");
            free(k);
            free(v);
        }
        return 0;
    }
    if (n->type == YAML_SEQUENCE_NODE) {
        for (yaml_node_item_t *i = n->data.sequence.items.start; i < n->data.sequence.items.top;
             i++) {
            char *v = scalar(x, yaml_document_get_node(&x->d, *i));
            if (v)
                cb_strv_push_take(out, v);
        }
        return 0;
    }
    return cb_fail(err, CB_EINVAL, 0, "%s:%lu: %s must be a mapping or a list", x->path,
                   (unsigned long)n->start_mark.line + 1, what);
}

static int str_list(struct doc *x, yaml_node_t *n, const char *what, struct cb_strv *out,
                    struct cb_err **err)
{
    if (n && n->type == YAML_SCALAR_NODE) {
        cb_strv_push_take(out, scalar(x, n));
        return 0;
    }
    return kv_list(x, n, what, out, err);
}

static int service(struct doc *x, struct bld_bake *b, const char *name, yaml_node_t *svc,
                   const char *dir, struct cb_err **err)
{
    yaml_node_t *build = map_get(x, svc, "build");
    char *image = scalar(x, map_get(x, svc, "image"));
    struct bld_bake_target *t;
    int rc = 0;

    t = bld_bake_target_get(b, name);
    if (!build) {
        free(t->image_only);
        t->image_only = image ? image : xstrdup("");
        return 0;
    }
    if (image)
        cb_strv_push_take(&t->tags, image);
    if (build->type == YAML_SCALAR_NODE) {
        rc = want_scalar(x, build, "build", &t->context, err);
    } else {
        rc = want_scalar(x, map_get(x, build, "context"), "build.context", &t->context, err);
        if (rc == 0)
            rc = want_scalar(x, map_get(x, build, "dockerfile"), "build.dockerfile", &t->dockerfile,
                             err);
        if (rc == 0)
            rc = want_scalar(x, map_get(x, build, "target"), "build.target", &t->target, err);
        if (rc == 0)
            rc = kv_list(x, map_get(x, build, "args"), "build.args", &t->args, err);
        if (rc == 0)
            rc = kv_list(x, map_get(x, build, "labels"), "build.labels", &t->labels, err);
        if (rc == 0)
            rc = kv_list(x, map_get(x, build, "additional_contexts"), "build.additional_contexts",
                         &t->contexts, err);
        if (rc == 0)
            rc = str_list(x, map_get(x, build, "cache_from"), "build.cache_from", &t->cache_from,
                          err);
    }
    if (rc == 0 && !t->context)
        t->context = xstrdup(".");
    if (rc == 0)
        bld_bake_join_contexts(t, dir);
    return rc;
}

int bld_bake_compose_load(struct bld_bake *b, const char *path, const char *text, size_t len,
                          const char *dir, struct cb_err **err)
{
    yaml_parser_t p;
    struct doc x = {.b = b, .path = path};
    yaml_node_t *root, *services;
    int rc = 0;

    yaml_parser_initialize(&p);
    yaml_parser_set_input_string(&p, (const unsigned char *)text, len);
    if (!yaml_parser_load(&p, &x.d)) {
        rc = cb_fail(err, CB_EINVAL, 0, "%s:%lu: %s", path, (unsigned long)p.problem_mark.line + 1,
                     p.problem ? p.problem : "invalid YAML");
        yaml_parser_delete(&p);
        return rc;
    }
    yaml_parser_delete(&p);
    root = yaml_document_get_root_node(&x.d);
    services = map_get(&x, root, "services");
    if (!services || services->type != YAML_MAPPING_NODE) {
        yaml_document_delete(&x.d);
        return cb_fail(err, CB_EINVAL, 0, "%s: no services: mapping", path);
    }
    for (yaml_node_pair_t *pr = services->data.mapping.pairs.start;
         rc == 0 && pr < services->data.mapping.pairs.top; pr++) {
        yaml_node_t *k = yaml_document_get_node(&x.d, pr->key);
        yaml_node_t *v = yaml_document_get_node(&x.d, pr->value);
        if (k && k->type == YAML_SCALAR_NODE)
            rc = service(&x, b, (char *)k->data.scalar.value, v, dir, err);
        if (rc == 0 && k)
            cb_strv_push(bld_bake_group_get(b, "default"), (char *)k->data.scalar.value);
    }
    yaml_document_delete(&x.d);
    return rc;
}
