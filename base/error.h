/* error.h - the error contract shared by every module below cli/.
 *
 * A function that can fail takes `struct cb_err **err` as its last parameter,
 * returns >= 0 (or non-NULL) on success and a negative code (or NULL) on
 * failure.  The message reads outer to inner: "pull 'x': fetch manifest: HTTP 401".
 */
#ifndef CBUILD_BASE_ERROR_H
#define CBUILD_BASE_ERROR_H

#include <stddef.h>

/* New categories are appended; existing values are never renumbered. */
enum cb_errc {
    CB_OK = 0,
    CB_EINVAL = 1, /* bad option or argument */
    CB_ESYNTAX,    /* Dockerfile syntax */
    CB_ENOTFOUND,
    CB_EIO,
    CB_ENET,
    CB_EAUTH,
    CB_EREGISTRY, /* protocol or HTTP status */
    CB_EDIGEST,   /* content does not match its digest */
    CB_ESTEP,     /* a RUN step exited non-zero */
    CB_ERUNTIME,  /* the OCI runtime failed */
    CB_EBUG,
    CB_EINTR, /* interrupted by a signal */
    CB_EUNSUPPORTED,
};

struct cb_err {
    enum cb_errc code;
    int sys_errno; /* errno of the failing call, or 0 */
    char *msg;     /* outermost context first */
};

/* Set *err (when err is not NULL) and return -code.  When sys_errno is not 0,
 * ": strerror(sys_errno)" is appended.  An error already in *err is replaced. */
int cb_fail(struct cb_err **err, enum cb_errc code, int sys_errno, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));

/* Prefix "<context>: " to the message in *err and return -code.  When *err is
 * NULL (the caller passed no error), returns -CB_EBUG. */
int cb_wrap(struct cb_err **err, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

/* The negative return value of an error already in *err, or -CB_EBUG. */
int cb_err_rc(struct cb_err *const *err);

/* The category's short name, e.g. "io" for CB_EIO. */
const char *cb_errc_name(enum cb_errc code);

void cb_err_free(struct cb_err *e);
void cb_err_freep(struct cb_err **e);
#define cleanup_err __attribute__((cleanup(cb_err_freep)))

/* Broken invariants only: never for anything input can cause. */
void cb_bug(const char *file, int line, const char *cond) __attribute__((noreturn));
#define CB_BUG_ON(cond)                                                                            \
    do {                                                                                           \
        if (cond)                                                                                  \
            cb_bug(__FILE__, __LINE__, #cond);                                                     \
    } while (0)

#endif
