/* xalloc.h - allocation that aborts on out-of-memory instead of failing. */
#ifndef CBUILD_BASE_XALLOC_H
#define CBUILD_BASE_XALLOC_H

#include <stdarg.h>
#include <stddef.h>

void *xmalloc(size_t n);
void *xcalloc(size_t nmemb, size_t size);
void *xrealloc(void *p, size_t n);
void *xreallocarray(void *p, size_t nmemb, size_t size);
char *xstrdup(const char *s);
char *xstrndup(const char *s, size_t n);
void *xmemdup(const void *p, size_t n);
char *xasprintf(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
char *xvasprintf(const char *fmt, va_list ap) __attribute__((format(printf, 1, 0)));

/* Grow *arr (of *alloc elements of size elem) so that it holds at least need. */
#define XGROW(arr, need, alloc)                                                                    \
    do {                                                                                           \
        if ((need) > (alloc)) {                                                                    \
            size_t xg_n_ = (alloc) ? (alloc)*2 : 8;                                                \
            while (xg_n_ < (need))                                                                 \
                xg_n_ *= 2;                                                                        \
            (arr) = xreallocarray((arr), xg_n_, sizeof(*(arr)));                                   \
            (alloc) = xg_n_;                                                                       \
        }                                                                                          \
    } while (0)

#endif
