/* conf.h - small helpers shared by the C conformance runners (header-only:
 * each runner_*.c is its own program). */
#ifndef CBUILD_TESTS_CONFORMANCE_CONF_H
#define CBUILD_TESTS_CONFORMANCE_CONF_H

#include <jansson.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../../base/strv.h"
#include "../../base/xalloc.h"

struct tally {
    int pass, fail;
};

static inline void conf_result(struct tally *t, bool ok, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
static inline void conf_result(struct tally *t, bool ok, const char *fmt, ...)
{
    if (ok) {
        t->pass++;
        return;
    }
    t->fail++;
    va_list ap;
    va_start(ap, fmt);
    printf("FAIL ");
    vprintf(fmt, ap);
    printf("\n");
    va_end(ap);
}

/* Read a whole file (NUL-terminated; *len may be NULL), or NULL. */
static inline char *conf_read(const char *path, size_t *len)
{
    FILE *f = fopen(path, "rb");
    if (!f)
        return NULL;
    size_t cap = 4096, n = 0;
    char *buf = xmalloc(cap);
    size_t r;
    while ((r = fread(buf + n, 1, cap - n - 1, f)) > 0) {
        n += r;
        if (cap - n < 2)
            buf = xrealloc(buf, cap *= 2);
    }
    fclose(f);
    buf[n] = 0;
    if (len)
        *len = n;
    return buf;
}

/* Call fn for each JSON line of DIR/NAME; returns the number of lines. */
typedef void (*conf_line_fn)(json_t *row, int lineno, struct tally *t, void *ud);
static inline int conf_jsonl(const char *dir, const char *name, conf_line_fn fn, struct tally *t,
                             void *ud)
{
    char *path = xasprintf("%s/%s", dir, name);
    char *text = conf_read(path, NULL);
    if (!text) {
        conf_result(t, false, "%s: cannot read", path);
        free(path);
        return 0;
    }
    int n = 0;
    char *save = text;
    for (char *line = text; line && *line;) {
        char *nl = strchr(line, '\n');
        if (nl)
            *nl = 0;
        n++;
        if (*line) {
            json_error_t e;
            json_t *row = json_loads(line, JSON_ALLOW_NUL, &e);
            if (!row)
                conf_result(t, false, "%s:%d: bad JSON: %s", name, n, e.text);
            else
                fn(row, n, t, ud);
            json_decref(row);
        }
        line = nl ? nl + 1 : NULL;
    }
    free(save);
    free(path);
    return n;
}

/* A JSON array of strings -> strv; false when j is not such an array. */
static inline bool conf_strv(json_t *j, struct cb_strv *out)
{
    if (!json_is_array(j))
        return false;
    size_t i;
    json_t *v;
    json_array_foreach(j, i, v)
    {
        if (!json_is_string(v))
            return false;
        cb_strv_push(out, json_string_value(v));
    }
    return true;
}

static inline bool conf_strv_eq(const struct cb_strv *a, const struct cb_strv *b)
{
    if (a->n != b->n)
        return false;
    for (size_t i = 0; i < a->n; i++)
        if (strcmp(a->v[i], b->v[i]))
            return false;
    return true;
}

static inline const char *conf_str(json_t *row, const char *key)
{
    json_t *v = json_object_get(row, key);
    return json_is_string(v) ? json_string_value(v) : NULL;
}

#endif
