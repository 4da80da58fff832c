/* strv.c - vector of owned strings. */
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>

#include "strv.h"
#include "xalloc.h"
#include "banned.h"

void cb_strv_init(struct cb_strv *s)
{
    s->v = NULL;
    s->n = 0;
    s->alloc = 0;
}

void cb_strv_release(struct cb_strv *s)
{
    for (size_t i = 0; i < s->n; i++)
        free(s->v[i]);
    free(s->v);
    cb_strv_init(s);
}

void cb_strv_push_take(struct cb_strv *s, char *str)
{
    XGROW(s->v, s->n + 2, s->alloc);
    s->v[s->n++] = str;
    s->v[s->n] = NULL;
}

void cb_strv_push(struct cb_strv *s, const char *str)
{
    cb_strv_push_take(s, xstrdup(str));
}

void cb_strv_pushf(struct cb_strv *s, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    cb_strv_push_take(s, xvasprintf(fmt, ap));
    va_end(ap);
}

long cb_strv_find(const struct cb_strv *s, const char *str)
{
    for (size_t i = 0; i < s->n; i++)
        if (!strcmp(s->v[i], str))
            return (long)i;
    return -1;
}

void cb_strv_copy(struct cb_strv *dst, const struct cb_strv *src)
{
    cb_strv_init(dst);
    for (size_t i = 0; i < src->n; i++)
        cb_strv_push(dst, src->v[i]);
}

char **cb_strv_detach(struct cb_strv *s)
{
    char **v = s->v;
    if (!v)
        v = xcalloc(1, sizeof(*v));
    cb_strv_init(s);
    return v;
}
