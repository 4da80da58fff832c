/* error.c - creating, wrapping and freeing struct cb_err. */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "error.h"
#include "xalloc.h"
#include "banned.h"

static const char *const errc_names[] = {
    [CB_OK] = "ok",
    [CB_EINVAL] = "invalid",
    [CB_ESYNTAX] = "syntax",
    [CB_ENOTFOUND] = "not-found",
    [CB_EIO] = "io",
    [CB_ENET] = "network",
    [CB_EAUTH] = "auth",
    [CB_EREGISTRY] = "registry",
    [CB_EDIGEST] = "digest",
    [CB_ESTEP] = "step",
    [CB_ERUNTIME] = "runtime",
    [CB_EBUG] = "bug",
    [CB_EINTR] = "interrupted",
    [CB_EUNSUPPORTED] = "unsupported",
};

const char *cb_errc_name(enum cb_errc code)
{
    if ((size_t)code >= sizeof(errc_names) / sizeof(errc_names[0]) || !errc_names[code])
        return "unknown";
    return errc_names[code];
}

int cb_fail(struct cb_err **err, enum cb_errc code, int sys_errno, const char *fmt, ...)
{
    va_list ap;
    char *msg;

    CB_BUG_ON(code == CB_OK);
    if (!err)
        return -(int)code;
    va_start(ap, fmt);
    msg = xvasprintf(fmt, ap);
    va_end(ap);
    if (sys_errno) {
        char *full = xasprintf("%s: %s", msg, strerror(sys_errno));
        free(msg);
        msg = full;
    }
    cb_err_free(*err);
    *err = xmalloc(sizeof(**err));
    (*err)->code = code;
    (*err)->sys_errno = sys_errno;
    (*err)->msg = msg;
    return -(int)code;
}

int cb_wrap(struct cb_err **err, const char *fmt, ...)
{
    va_list ap;
    char *ctx, *full;

    if (!err || !*err)
        return -CB_EBUG;
    va_start(ap, fmt);
    ctx = xvasprintf(fmt, ap);
    va_end(ap);
    full = xasprintf("%s: %s", ctx, (*err)->msg);
    free(ctx);
    free((*err)->msg);
    (*err)->msg = full;
    return -(int)(*err)->code;
}

int cb_err_rc(struct cb_err *const *err)
{
    if (!err || !*err)
        return -CB_EBUG;
    return -(int)(*err)->code;
}

void cb_err_free(struct cb_err *e)
{
    if (!e)
        return;
    free(e->msg);
    free(e);
}

void cb_err_freep(struct cb_err **e)
{
    cb_err_free(*e);
    *e = NULL;
}

void cb_bug(const char *file, int line, const char *cond)
{
    fprintf(stderr, "BUG: %s:%d: %s\n", file, line, cond);
    abort();
}
