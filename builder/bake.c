/* bake.c - bake files: the JSON format, variables, inheritance, --set,
 * target selection and --print.  (Compose YAML is read in bake_compose.c.)
 * jansson is used here as the file's codec. */
#include <fnmatch.h>
#include <stdlib.h>
#include <string.h>

#include "bake.h"
#include "bake_internal.h"
#include "../base/cleanup.h"
#include "../base/fsutil.h"
#include "../base/json.h"
#include "../base/xalloc.h"
#include "../base/banned.h"

#define BAKE_FILE_LIMIT ((size_t)4 << 20)

void bld_bake_init(struct bld_bake *b)
{
    memset(b, 0, sizeof(*b));
}

static void target_release(struct bld_bake_target *t)
{
    struct cb_strv *lists[] = {&t->args,       &t->tags,     &t->labels,  &t->outputs,
                               &t->cache_from, &t->cache_to, &t->secrets, &t->ssh,
                               &t->platforms,  &t->contexts, &t->inherits};
    free(t->name);
    free(t->context);
    free(t->dockerfile);
    free(t->target);
    free(t->image_only);
    for (size_t i = 0; i < sizeof(lists) / sizeof(lists[0]); i++)
        cb_strv_release(lists[i]);
}

void bld_bake_release(struct bld_bake *b)
{
    for (size_t i = 0; i < b->n; i++)
        target_release(&b->targets[i]);
    free(b->targets);
    for (size_t i = 0; i < b->group_names.n; i++)
        cb_strv_release(&b->group_members[i]);
    free(b->group_members);
    cb_strv_release(&b->group_names);
    cb_strv_release(&b->var_names);
    cb_strv_release(&b->var_values);
    memset(b, 0, sizeof(*b));
}

struct bld_bake_target *bld_bake_target_get(struct bld_bake *b, const char *name)
{
    for (size_t i = 0; i < b->n; i++)
        if (!strcmp(b->targets[i].name, name))
            return &b->targets[i];
    XGROW(b->targets, b->n + 1, b->alloc);
    memset(&b->targets[b->n], 0, sizeof(b->targets[0]));
    b->targets[b->n].name = xstrdup(name);
    return &b->targets[b->n++];
}

struct cb_strv *bld_bake_group_get(struct bld_bake *b, const char *name)
{
    long i = cb_strv_find(&b->group_names, name);
    if (i >= 0)
        return &b->group_members[i];
    cb_strv_push(&b->group_names, name);
    b->group_members = xreallocarray(b->group_members, b->group_names.n, sizeof(struct cb_strv));
    cb_strv_init(&b->group_members[b->group_names.n - 1]);
    return &b->group_members[b->group_names.n - 1];
}

void bld_bake_set_var(struct bld_bake *b, const char *name, const char *def)
{
    const char *env = getenv(name);
    long i = cb_strv_find(&b->var_names, name);
    const char *v = env ? env : def ? def : "";
    if (i >= 0) {
        free(b->var_values.v[i]);
        b->var_values.v[i] = xstrdup(v);
        return;
    }
    cb_strv_push(&b->var_names, name);
    cb_strv_push(&b->var_values, v);
}

static const char *var_value(const struct bld_bake *b, const char *name)
{
    long i = cb_strv_find(&b->var_names, name);
    return i >= 0 ? b->var_values.v[i] : getenv(name);
}

static bool name_char(char c)
{
    return c == '_' || (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9');
}

/* ${NAME}, ${NAME:-default}, ${NAME-default} and $NAME from the file's
 * variables, then the environment ($$ is a literal $). */
char *bld_bake_interpolate(const struct bld_bake *b, const char *s)
{
    struct cb_buf out;
    cb_buf_init(&out, BAKE_FILE_LIMIT);
    for (const char *p = s; *p;) {
        const char *start, *end, *close;
        if (p[0] == '$' && p[1] == '$') {
            cb_buf_addc(&out, '$', NULL);
            p += 2;
            continue;
        }
        if (p[0] != '$' || !(p[1] == '{' || (name_char(p[1]) && !(p[1] >= '0' && p[1] <= '9')))) {
            cb_buf_addc(&out, *p++, NULL);
            continue;
        }
        start = p + (p[1] == '{' ? 2 : 1);
        for (end = start; name_char(*end); end++)
            ;
        close = p[1] == '{' ? strchr(end, '}') : end;
        if (!close || (p[1] == '{' && *end != '}' && *end != ':' && *end != '-')) {
            cb_buf_addc(&out, *p++, NULL);
            continue;
        }
        {
            char *name = xstrndup(start, (size_t)(end - start));
            const char *v = var_value(b, name);
            bool colon = *end == ':';
            if (p[1] == '{' && *end != '}' && ((!v) || (colon && !*v))) {
                const char *def = end + (colon ? 2 : 1);
                cb_buf_add(&out, def, (size_t)(close - def), NULL);
            } else {
                cb_buf_adds(&out, v ? v : "", NULL);
            }
            free(name);
        }
        p = p[1] == '{' ? close + 1 : end;
    }
    return cb_buf_detach(&out, NULL);
}

/* dir + "/" + rel, without "./" noise. */
char *bld_bake_join(const char *dir, const char *rel)
{
    while (rel[0] == '.' && rel[1] == '/')
        rel += 2;
    if (!strcmp(rel, "."))
        rel = "";
    if (!strcmp(dir, "."))
        return xstrdup(*rel ? rel : ".");
    return *rel ? cb_path_join(dir, rel) : xstrdup(dir);
}

void bld_bake_join_contexts(struct bld_bake_target *t, const char *dir)
{
    if (t->context && t->context[0] != '/' && !bld_context_is_remote(t->context)) {
        char *c = bld_bake_join(dir, t->context);
        free(t->context);
        t->context = c;
    }
    /* contexts: NAME=VALUE */
    for (size_t i = 0; i < t->contexts.n; i++) {
        char *eq = strchr(t->contexts.v[i], '=');
        if (!eq || eq[1] == '/' || bld_context_is_remote(eq + 1))
            continue;
        cleanup_free char *d = bld_bake_join(dir, eq + 1);
        char *kv = xasprintf("%.*s=%s", (int)(eq - t->contexts.v[i]), t->contexts.v[i], d);
        free(t->contexts.v[i]);
        t->contexts.v[i] = kv;
    }
}

/* ---------------------------------------------------------------- JSON */

static int str_field(const struct bld_bake *b, json_t *o, const char *key, char **dst,
                     const char *what, struct cb_err **err)
{
    json_t *v = json_object_get(o, key);
    if (!v)
        return 0;
    if (!json_is_string(v))
        return cb_fail(err, CB_EINVAL, 0, "%s: \"%s\" must be a string", what, key);
    free(*dst);
    *dst = bld_bake_interpolate(b, json_string_value(v));
    return 0;
}

static int list_field(const struct bld_bake *b, json_t *o, const char *key, struct cb_strv *dst,
                      const char *what, struct cb_err **err)
{
    json_t *v = json_object_get(o, key), *e;
    size_t i;
    if (!v)
        return 0;
    if (!json_is_array(v))
        return cb_fail(err, CB_EINVAL, 0, "%s: \"%s\" must be a list of strings", what, key);
    cb_strv_release(dst);
    json_array_foreach(v, i, e)
    {
        if (!json_is_string(e))
            return cb_fail(err, CB_EINVAL, 0, "%s: \"%s\" must be a list of strings", what, key);
        cb_strv_push_take(dst, bld_bake_interpolate(b, json_string_value(e)));
    }
    return 0;
}

static int map_field(const struct bld_bake *b, json_t *o, const char *key, struct cb_strv *dst,
                     const char *what, struct cb_err **err)
{
    json_t *v = json_object_get(o, key), *e;
    const char *k;
    if (!v)
        return 0;
    if (!json_is_object(v))
        return cb_fail(err, CB_EINVAL, 0, "%s: \"%s\" must be an object", what, key);
    json_object_foreach(v, k, e)
    {
        char *val;
        if (json_is_null(e))
            continue;
        if (!json_is_string(e))
            return cb_fail(err, CB_EINVAL, 0, "%s: \"%s.%s\" must be a string", what, key, k);
        val = bld_bake_interpolate(b, json_string_value(e));
        cb_strv_pushf(dst, "%s=%s", k, val);
        free(val);
    }
    return 0;
}

static int bool_field(json_t *o, const char *key, bool *dst, bool *has, const char *what,
                      struct cb_err **err)
{
    json_t *v = json_object_get(o, key);
    if (!v)
        return 0;
    if (!json_is_boolean(v))
        return cb_fail(err, CB_EINVAL, 0, "%s: \"%s\" must be true or false", what, key);
    *dst = json_is_true(v);
    *has = true;
    return 0;
}

static int json_target(struct bld_bake *b, const char *name, json_t *o, const char *dir,
                       struct cb_err **err)
{
    struct bld_bake_target *t = bld_bake_target_get(b, name);
    cleanup_free char *what = xasprintf("target \"%s\"", name);

    if (!json_is_object(o))
        return cb_fail(err, CB_EINVAL, 0, "%s must be an object", what);
    if (str_field(b, o, "context", &t->context, what, err) < 0 ||
        str_field(b, o, "dockerfile", &t->dockerfile, what, err) < 0 ||
        str_field(b, o, "target", &t->target, what, err) < 0 ||
        map_field(b, o, "args", &t->args, what, err) < 0 ||
        map_field(b, o, "labels", &t->labels, what, err) < 0 ||
        map_field(b, o, "contexts", &t->contexts, what, err) < 0 ||
        list_field(b, o, "tags", &t->tags, what, err) < 0 ||
        list_field(b, o, "output", &t->outputs, what, err) < 0 ||
        list_field(b, o, "cache-from", &t->cache_from, what, err) < 0 ||
        list_field(b, o, "cache-to", &t->cache_to, what, err) < 0 ||
        list_field(b, o, "secret", &t->secrets, what, err) < 0 ||
        list_field(b, o, "ssh", &t->ssh, what, err) < 0 ||
        list_field(b, o, "platforms", &t->platforms, what, err) < 0 ||
        list_field(b, o, "inherits", &t->inherits, what, err) < 0 ||
        bool_field(o, "no-cache", &t->no_cache, &t->has_no_cache, what, err) < 0 ||
        bool_field(o, "pull", &t->pull, &t->has_pull, what, err) < 0)
        return -CB_EINVAL;
    bld_bake_join_contexts(t, dir);
    return 0;
}

static int json_load(struct bld_bake *b, const char *path, const char *text, size_t len,
                     const char *dir, struct cb_err **err)
{
    cleanup_json json_t *root = cb_json_parse(text, len, path, err);
    json_t *sec, *v;
    const char *k;

    if (!root)
        return -CB_EINVAL;
    if (!json_is_object(root))
        return cb_fail(err, CB_EINVAL, 0, "%s: want an object with group, target, variable", path);
    json_object_foreach(json_object_get(root, "variable"), k, v)
        bld_bake_set_var(b, k, cb_json_peek_str(v, "default"));
    json_object_foreach(json_object_get(root, "target"), k,
                        v) if (json_target(b, k, v, dir, err) < 0) return cb_wrap(err, "%s", path);
    sec = json_object_get(root, "group");
    json_object_foreach(sec, k, v)
    {
        struct cb_strv *g = bld_bake_group_get(b, k);
        cleanup_free char *what = xasprintf("%s: group \"%s\"", path, k);
        if (list_field(b, v, "targets", g, what, err) < 0)
            return -CB_EINVAL;
    }
    for (const char *const *key = (const char *const[]){"group", "target", "variable", NULL}; *key;
         key++)
        (void)key;
    json_object_foreach(root, k, v) if (strcmp(k, "group") && strcmp(k, "target") &&
                                        strcmp(k, "variable")) return cb_fail(err, CB_EINVAL, 0,
                                                                              "%s: unknown "
                                                                              "section \"%s\"",
                                                                              path, k);
    return 0;
}

int bld_bake_load(struct bld_bake *b, const char *path, struct cb_err **err)
{
    struct cb_buf buf;
    cleanup_free char *dir = NULL;
    const char *slash = strrchr(path, '/');
    size_t n = strlen(path);
    int rc;

    dir = slash ? xstrndup(path, (size_t)(slash - path)) : xstrdup(".");
    cb_buf_init(&buf, BAKE_FILE_LIMIT);
    rc = cb_read_file(path, &buf, err);
    if (rc == 0) {
        const char *t = cb_buf_str(&buf);
        while (*t == ' ' || *t == '\n' || *t == '\t' || *t == '\r')
            t++;
        if (*t == '{' || (n > 5 && !strcmp(path + n - 5, ".json")))
            rc = json_load(b, path, cb_buf_str(&buf), buf.len, dir, err);
        else
            rc = bld_bake_compose_load(b, path, cb_buf_str(&buf), buf.len, dir, err);
    }
    cb_buf_release(&buf);
    return rc;
}

int bld_bake_load_default(struct bld_bake *b, const char *dir, struct cb_err **err)
{
    static const char *const names[] = {"docker-bake.json",   "docker-bake.override.json",
                                        "compose.yaml",       "compose.yml",
                                        "docker-compose.yml", "docker-compose.yaml"};
    bool any = false;

    for (size_t i = 0; i < sizeof(names) / sizeof(names[0]); i++) {
        cleanup_free char *p = cb_path_join(dir, names[i]);
        if (!cb_path_exists(p))
            continue;
        if (bld_bake_load(b, p, err) < 0)
            return -CB_EINVAL;
        any = true;
    }
    if (!any)
        return cb_fail(err, CB_ENOTFOUND, 0,
                       "no bake file: looked for docker-bake.json and compose.yaml in '%s' (give "
                       "one with -f)",
                       dir);
    return 0;
}

/* ---------------------------------------------------------------- --set */

static int set_list(struct cb_strv *l, const char *v, bool append)
{
    if (!append)
        cb_strv_release(l);
    cb_strv_push(l, v);
    return 0;
}

static int set_one(struct bld_bake_target *t, const char *key, const char *v, struct cb_err **err)
{
    char **str = !strcmp(key, "target")       ? &t->target
                 : !strcmp(key, "dockerfile") ? &t->dockerfile
                 : !strcmp(key, "context")    ? &t->context
                                              : NULL;
    if (str) {
        free(*str);
        *str = xstrdup(v);
        return 0;
    }
    if (!strncmp(key, "args.", 5))
        return cb_strv_pushf(&t->args, "%s=%s", key + 5, v), 0;
    if (!strncmp(key, "labels.", 7))
        return cb_strv_pushf(&t->labels, "%s=%s", key + 7, v), 0;
    if (!strncmp(key, "contexts.", 9) && key[9]) {
        /* one context per name: the --set value replaces the file's */
        size_t n = strlen(key + 9);
        for (size_t i = 0; i < t->contexts.n; i++)
            if (!strncmp(t->contexts.v[i], key + 9, n) && t->contexts.v[i][n] == '=') {
                free(t->contexts.v[i]);
                t->contexts.v[i] = xasprintf("%s=%s", key + 9, v);
                return 0;
            }
        return cb_strv_pushf(&t->contexts, "%s=%s", key + 9, v), 0;
    }
    if (!strcmp(key, "tags"))
        return set_list(&t->tags, v, false);
    if (!strcmp(key, "output"))
        return set_list(&t->outputs, v, false);
    if (!strcmp(key, "cache-from"))
        return set_list(&t->cache_from, v, true);
    if (!strcmp(key, "cache-to"))
        return set_list(&t->cache_to, v, true);
    if (!strcmp(key, "secrets") || !strcmp(key, "secret"))
        return set_list(&t->secrets, v, true);
    if (!strcmp(key, "ssh"))
        return set_list(&t->ssh, v, true);
    if (!strcmp(key, "platform") || !strcmp(key, "platforms"))
        return set_list(&t->platforms, v, false);
    if (!strcmp(key, "no-cache") || !strcmp(key, "pull")) {
        bool val = !strcmp(v, "true") || !strcmp(v, "1");
        if (!val && strcmp(v, "false") && strcmp(v, "0"))
            return cb_fail(err, CB_EINVAL, 0, "--set %s=%s: want true or false", key, v);
        if (key[0] == 'n')
            t->no_cache = val, t->has_no_cache = true;
        else
            t->pull = val, t->has_pull = true;
        return 0;
    }
    return cb_fail(err, CB_EINVAL, 0, "--set: unknown key '%s'", key);
}

int bld_bake_set(struct bld_bake *b, const char *a, struct cb_err **err)
{
    const char *dot = strchr(a, '.'), *eq = strchr(a, '=');
    cleanup_free char *name = NULL;
    cleanup_free char *key = NULL;
    bool any = false;

    if (!dot || !eq || eq < dot || dot == a)
        return cb_fail(err, CB_EINVAL, 0, "--set '%s': want TARGET.KEY=VALUE", a);
    name = xstrndup(a, (size_t)(dot - a));
    key = xstrndup(dot + 1, (size_t)(eq - dot - 1));
    for (size_t i = 0; i < b->n; i++) {
        if (fnmatch(name, b->targets[i].name, 0) != 0)
            continue;
        any = true;
        if (set_one(&b->targets[i], key, eq + 1, err) < 0)
            return -CB_EINVAL;
    }
    if (!any)
        return cb_fail(err, CB_ENOTFOUND, 0, "--set '%s': no target matches '%s'", a, name);
    return 0;
}

/* ---------------------------------------------------------------- select */

static void merge_list(struct cb_strv *dst, const struct cb_strv *parent, bool prepend)
{
    struct cb_strv out = CB_STRV_INIT;
    if (!parent->n)
        return;
    if (!prepend && dst->n)
        return; /* the child's own list wins */
    for (size_t i = 0; i < parent->n; i++)
        cb_strv_push(&out, parent->v[i]);
    for (size_t i = 0; i < dst->n; i++)
        cb_strv_push(&out, dst->v[i]);
    cb_strv_release(dst);
    *dst = out;
}

static int inherit(struct bld_bake *b, struct bld_bake_target *t, int depth, struct cb_err **err)
{
    if (depth > 16)
        return cb_fail(err, CB_EINVAL, 0, "target '%s': inherits too deeply (a cycle?)", t->name);
    for (size_t i = 0; i < t->inherits.n; i++) {
        struct bld_bake_target *p = NULL;
        for (size_t j = 0; j < b->n; j++)
            if (!strcmp(b->targets[j].name, t->inherits.v[i]))
                p = &b->targets[j];
        if (!p)
            return cb_fail(err, CB_ENOTFOUND, 0, "target '%s' inherits unknown target '%s'",
                           t->name, t->inherits.v[i]);
        if (inherit(b, p, depth + 1, err) < 0)
            return -CB_EINVAL;
        if (!t->context && p->context)
            t->context = xstrdup(p->context);
        if (!t->dockerfile && p->dockerfile)
            t->dockerfile = xstrdup(p->dockerfile);
        if (!t->target && p->target)
            t->target = xstrdup(p->target);
        merge_list(&t->args, &p->args, true); /* later (the child's) wins */
        merge_list(&t->labels, &p->labels, true);
        merge_list(&t->tags, &p->tags, false);
        merge_list(&t->outputs, &p->outputs, false);
        merge_list(&t->secrets, &p->secrets, true);
        merge_list(&t->contexts, &p->contexts, true);
        if (!t->has_no_cache && p->has_no_cache)
            t->no_cache = p->no_cache, t->has_no_cache = true;
        if (!t->has_pull && p->has_pull)
            t->pull = p->pull, t->has_pull = true;
    }
    cb_strv_release(&t->inherits);
    return 0;
}

static int add_name(struct bld_bake *b, const char *name, size_t **sel, size_t *n, int depth,
                    struct cb_err **err)
{
    long g = cb_strv_find(&b->group_names, name);
    if (depth > 16)
        return cb_fail(err, CB_EINVAL, 0, "group '%s' nests too deeply (a cycle?)", name);
    if (g >= 0) {
        struct cb_strv members;
        int rc = 0;
        cb_strv_copy(&members, &b->group_members[g]);
        for (size_t i = 0; rc == 0 && i < members.n; i++)
            if (strcmp(members.v[i], name))
                rc = add_name(b, members.v[i], sel, n, depth + 1, err);
        cb_strv_release(&members);
        return rc;
    }
    for (size_t i = 0; i < b->n; i++) {
        if (strcmp(b->targets[i].name, name))
            continue;
        for (size_t j = 0; j < *n; j++)
            if ((*sel)[j] == i)
                return 0;
        *sel = xreallocarray(*sel, *n + 1, sizeof(**sel));
        (*sel)[(*n)++] = i;
        return 0;
    }
    return cb_fail(err, CB_ENOTFOUND, 0, "no target or group named '%s'", name);
}

int bld_bake_select(struct bld_bake *b, const struct cb_strv *names, size_t **out, size_t *n,
                    struct cb_err **err)
{
    *out = NULL;
    *n = 0;
    for (size_t i = 0; i < b->n; i++)
        if (inherit(b, &b->targets[i], 0, err) < 0)
            return -CB_EINVAL;
    if (names && names->n) {
        for (size_t i = 0; i < names->n; i++)
            if (add_name(b, names->v[i], out, n, 0, err) < 0)
                return -CB_ENOTFOUND;
    } else if (cb_strv_find(&b->group_names, "default") >= 0) {
        if (add_name(b, "default", out, n, 0, err) < 0)
            return -CB_ENOTFOUND;
    } else {
        for (size_t i = 0; i < b->n; i++)
            if (add_name(b, b->targets[i].name, out, n, 0, err) < 0)
                return -CB_ENOTFOUND;
    }
    return 0;
}

/* ---------------------------------------------------------------- print */

static json_t *list_json(const struct cb_strv *l)
{
    json_t *a = json_array();
    for (size_t i = 0; i < l->n; i++)
        json_array_append_new(a, json_string(l->v[i]));
    return a;
}

static json_t *map_json(const struct cb_strv *l)
{
    json_t *o = json_object();
    for (size_t i = 0; i < l->n; i++) {
        const char *eq = strchr(l->v[i], '=');
        char *k = eq ? xstrndup(l->v[i], (size_t)(eq - l->v[i])) : xstrdup(l->v[i]);
        json_object_set_new(o, k, json_string(eq ? eq + 1 : ""));
        free(k);
    }
    return o;
}

static json_t *target_json(const struct bld_bake_target *t)
{
    json_t *o = json_object();
    if (t->image_only) {
        json_object_set_new(o, "image", json_string(t->image_only));
        json_object_set_new(o, "build", json_false());
        return o;
    }
    json_object_set_new(o, "context", json_string(t->context ? t->context : "."));
    json_object_set_new(o, "dockerfile", json_string(t->dockerfile ? t->dockerfile : "Dockerfile"));
    if (t->target)
        json_object_set_new(o, "target", json_string(t->target));
    if (t->contexts.n)
        json_object_set_new(o, "contexts", map_json(&t->contexts));
    if (t->args.n)
        json_object_set_new(o, "args", map_json(&t->args));
    if (t->labels.n)
        json_object_set_new(o, "labels", map_json(&t->labels));
    if (t->tags.n)
        json_object_set_new(o, "tags", list_json(&t->tags));
    if (t->outputs.n)
        json_object_set_new(o, "output", list_json(&t->outputs));
    if (t->cache_from.n)
        json_object_set_new(o, "cache-from", list_json(&t->cache_from));
    if (t->has_no_cache)
        json_object_set_new(o, "no-cache", json_boolean(t->no_cache));
    if (t->has_pull)
        json_object_set_new(o, "pull", json_boolean(t->pull));
    return o;
}

int bld_bake_print(const struct bld_bake *b, const size_t *sel, size_t n, struct cb_buf *out,
                   struct cb_err **err)
{
    cleanup_json json_t *root = json_object();
    json_t *targets = json_object(), *names = json_array();
    int rc;

    for (size_t i = 0; i < n; i++) {
        const struct bld_bake_target *t = &b->targets[sel[i]];
        json_object_set_new(targets, t->name, target_json(t));
        json_array_append_new(names, json_string(t->name));
    }
    json_object_set_new(root, "group", json_pack("{s{so}}", "default", "targets", names));
    json_object_set_new(root, "target", targets);
    rc = cb_json_dump_canonical(root, out, err);
    if (rc == 0)
        rc = cb_buf_addc(out, '\n', err);
    return rc;
}
