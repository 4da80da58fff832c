/* log.c - forwards messages to the sink installed by cli/. */
#include <stdarg.h>
#include <stdlib.h>

#include "log.h"
#include "xalloc.h"
#include "banned.h"

static struct {
    cb_log_sink_fn sink;
    void *userdata;
    enum cb_log_level min;
} log_state = {NULL, NULL, CB_LOG_WARN};

void cb_log_set_sink(cb_log_sink_fn sink, void *userdata, enum cb_log_level min_level)
{
    log_state.sink = sink;
    log_state.userdata = userdata;
    log_state.min = min_level;
}

void cb_log(enum cb_log_level level, const char *fmt, ...)
{
    va_list ap;
    char *msg;

    if (!log_state.sink || level < log_state.min)
        return;
    va_start(ap, fmt);
    msg = xvasprintf(fmt, ap);
    va_end(ap);
    log_state.sink(log_state.userdata, level, msg);
    free(msg);
}
