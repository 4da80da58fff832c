/* buf.c - the bounded growing buffer. */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "buf.h"
#include "xalloc.h"
#include "banned.h"

void cb_buf_init(struct cb_buf *b, size_t limit)
{
    b->data = NULL;
    b->len = 0;
    b->alloc = 0;
    b->limit = limit;
}

void cb_buf_release(struct cb_buf *b)
{
    free(b->data);
    cb_buf_init(b, b->limit);
}

void cb_buf_releasep(struct cb_buf *b)
{
    cb_buf_release(b);
}

void cb_buf_reset(struct cb_buf *b)
{
    b->len = 0;
    if (b->data)
        b->data[0] = '\0';
}

char *cb_buf_detach(struct cb_buf *b, size_t *len)
{
    char *d = b->data ? b->data : xstrdup("");
    if (len)
        *len = b->len;
    cb_buf_init(b, b->limit);
    return d;
}

static int grow(struct cb_buf *b, size_t extra, struct cb_err **err)
{
    size_t need;

    if (extra > b->limit || b->len > b->limit - extra)
        return cb_fail(err, CB_EINVAL, 0, "data exceeds the limit of %zu bytes", b->limit);
    need = b->len + extra + 1;
    if (need > b->alloc) {
        size_t n = b->alloc ? b->alloc : 64;
        while (n < need)
            n *= 2;
        if (b->limit < SIZE_MAX && n > b->limit + 1)
            n = b->limit + 1; /* SIZE_MAX means no limit: + 1 would wrap */
        b->data = xrealloc(b->data, n);
        b->alloc = n;
    }
    return 0;
}

int cb_buf_add(struct cb_buf *b, const void *data, size_t len, struct cb_err **err)
{
    if (grow(b, len, err) < 0)
        return -CB_EINVAL;
    if (len)
        memcpy(b->data + b->len, data, len);
    b->len += len;
    b->data[b->len] = '\0';
    return 0;
}

int cb_buf_adds(struct cb_buf *b, const char *s, struct cb_err **err)
{
    return cb_buf_add(b, s, strlen(s), err);
}

int cb_buf_addc(struct cb_buf *b, char c, struct cb_err **err)
{
    return cb_buf_add(b, &c, 1, err);
}

int cb_buf_vaddf(struct cb_buf *b, struct cb_err **err, const char *fmt, va_list ap)
{
    va_list cp;
    int n;

    va_copy(cp, ap);
    n = vsnprintf(NULL, 0, fmt, cp);
    va_end(cp);
    if (n < 0)
        return cb_fail(err, CB_EBUG, 0, "bad format '%s'", fmt);
    if (grow(b, (size_t)n, err) < 0)
        return -CB_EINVAL;
    vsnprintf(b->data + b->len, (size_t)n + 1, fmt, ap);
    b->len += (size_t)n;
    return 0;
}

int cb_buf_addf(struct cb_buf *b, struct cb_err **err, const char *fmt, ...)
{
    va_list ap;
    int rc;
    va_start(ap, fmt);
    rc = cb_buf_vaddf(b, err, fmt, ap);
    va_end(ap);
    return rc;
}

void cb_buf_truncate(struct cb_buf *b, size_t len)
{
    CB_BUG_ON(len > b->len);
    b->len = len;
    if (b->data)
        b->data[len] = '\0';
}
