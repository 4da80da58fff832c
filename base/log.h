/* log.h - warnings and progress notes, written to a sink the CLI installs.
 *
 * Modules below cli/ never print: they call cb_log_*() and the sink decides.
 * The sink is the one piece of process-wide state below cli/; it is set once
 * at start-up, before any thread starts.
 */
#ifndef CBUILD_BASE_LOG_H
#define CBUILD_BASE_LOG_H

enum cb_log_level {
    CB_LOG_DEBUG = 0,
    CB_LOG_INFO,
    CB_LOG_WARN,
};

typedef void (*cb_log_sink_fn)(void *userdata, enum cb_log_level level, const char *msg);

/* Install sink (NULL discards everything) for messages at min_level or above. */
void cb_log_set_sink(cb_log_sink_fn sink, void *userdata, enum cb_log_level min_level);

void cb_log(enum cb_log_level level, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
#define cb_log_debug(...) cb_log(CB_LOG_DEBUG, __VA_ARGS__)
#define cb_log_info(...) cb_log(CB_LOG_INFO, __VA_ARGS__)
#define cb_log_warn(...) cb_log(CB_LOG_WARN, __VA_ARGS__)

#endif
