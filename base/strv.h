/* strv.h - a growable, NULL-terminated vector of owned strings. */
#ifndef CBUILD_BASE_STRV_H
#define CBUILD_BASE_STRV_H

#include <stddef.h>

struct cb_strv {
    char **v; /* NULL-terminated once anything was pushed; may be NULL when empty */
    size_t n;
    size_t alloc;
};

#define CB_STRV_INIT                                                                               \
    {                                                                                              \
        NULL, 0, 0                                                                                 \
    }

void cb_strv_init(struct cb_strv *s);
void cb_strv_release(struct cb_strv *s);
/* Append a copy of str / take ownership of str. */
void cb_strv_push(struct cb_strv *s, const char *str);
void cb_strv_push_take(struct cb_strv *s, char *str);
void cb_strv_pushf(struct cb_strv *s, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
/* Index of the first element equal to str, or -1. */
long cb_strv_find(const struct cb_strv *s, const char *str);
/* Deep copy. */
void cb_strv_copy(struct cb_strv *dst, const struct cb_strv *src);
/* Detach the NULL-terminated array (never NULL); s is reinitialised. */
char **cb_strv_detach(struct cb_strv *s);

static inline void cb_strv_releasep(struct cb_strv *s)
{
    cb_strv_release(s);
}
#define cleanup_strv_s __attribute__((cleanup(cb_strv_releasep)))

#endif
