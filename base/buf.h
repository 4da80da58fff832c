/* buf.h - a bounded, growing byte buffer (curl's dynbuf, git's strbuf).
 *
 * Invariants: data is NULL or NUL-terminated at data[len]; len < alloc when
 * data is set; len never exceeds limit.  The limit is required at init, so a
 * registry reply or a context file cannot grow memory without bound.
 * cb_buf_detach() is the only way to take the memory out.
 */
#ifndef CBUILD_BASE_BUF_H
#define CBUILD_BASE_BUF_H

#include <stdarg.h>
#include <stddef.h>

#include "error.h"

struct cb_buf {
    char *data;
    size_t len;
    size_t alloc;
    size_t limit;
};

#define CB_BUF_LIMIT_DEFAULT ((size_t)64 << 20)

void cb_buf_init(struct cb_buf *b, size_t limit);
void cb_buf_release(struct cb_buf *b);
/* Empty the buffer, keeping its memory and limit. */
void cb_buf_reset(struct cb_buf *b);
/* Return the contents ("" when empty) and reinitialise with the same limit. */
char *cb_buf_detach(struct cb_buf *b, size_t *len);

/* Each add fails with CB_EINVAL, leaving the buffer unchanged, when the
 * result would pass the limit. */
int cb_buf_add(struct cb_buf *b, const void *data, size_t len, struct cb_err **err);
int cb_buf_adds(struct cb_buf *b, const char *s, struct cb_err **err);
int cb_buf_addc(struct cb_buf *b, char c, struct cb_err **err);
int cb_buf_addf(struct cb_buf *b, struct cb_err **err, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
int cb_buf_vaddf(struct cb_buf *b, struct cb_err **err, const char *fmt, va_list ap)
    __attribute__((format(printf, 3, 0)));

/* Shorten to len bytes (len <= b->len). */
void cb_buf_truncate(struct cb_buf *b, size_t len);
/* The contents, never NULL. */
static inline const char *cb_buf_str(const struct cb_buf *b)
{
    return b->data ? b->data : "";
}

void cb_buf_releasep(struct cb_buf *b);
#define cleanup_buf __attribute__((cleanup(cb_buf_releasep)))

#endif
