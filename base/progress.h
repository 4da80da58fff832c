/* progress.h - build progress events, from any layer to the CLI's renderer.
 *
 * The builder, the executor and the registry client report what they do as
 * events on a struct cb_progress; cli/progress.c renders them (tty, plain,
 * rawjson, quiet).  Emitting is thread-safe when the renderer is: stages run
 * in parallel and all report to one sink.  A NULL sink or callback drops
 * everything, so library code can always emit.
 */
#ifndef CBUILD_BASE_PROGRESS_H
#define CBUILD_BASE_PROGRESS_H

#include <stddef.h>
#include <stdint.h>

enum cb_progress_kind {
    CB_PROGRESS_START,   /* a step (vertex) begins; name set */
    CB_PROGRESS_CACHED,  /* a step was a cache hit; it will not run */
    CB_PROGRESS_DONE,    /* a step finished successfully */
    CB_PROGRESS_ERROR,   /* a step failed; text holds the one-line reason */
    CB_PROGRESS_LOG,     /* output of a running step: data/len, stream 1 or 2 */
    CB_PROGRESS_BYTES,   /* transfer progress: current/total bytes, text names it */
    CB_PROGRESS_WARNING, /* a warning tied to a step (or step 0 for the build) */
};

struct cb_progress_event {
    enum cb_progress_kind kind;
    int step;         /* 1-based id, unique within one build; 0 = the build */
    const char *name; /* START: "[builder 2/4] RUN make" */
    const char *text; /* ERROR/WARNING message, BYTES item (e.g. a digest) */
    const char *data; /* LOG bytes (not NUL-terminated) */
    size_t len;
    int stream;      /* LOG: 1 stdout, 2 stderr */
    int64_t current; /* BYTES */
    int64_t total;   /* BYTES; -1 when unknown */
};

typedef void (*cb_progress_fn)(void *userdata, const struct cb_progress_event *ev);

struct cb_progress {
    cb_progress_fn fn;
    void *userdata;
};

static inline void cb_progress_emit(const struct cb_progress *p, const struct cb_progress_event *ev)
{
    if (p && p->fn)
        p->fn(p->userdata, ev);
}

static inline void cb_progress_log(const struct cb_progress *p, int step, int stream,
                                   const char *data, size_t len)
{
    struct cb_progress_event ev = {
        .kind = CB_PROGRESS_LOG, .step = step, .stream = stream, .data = data, .len = len};
    cb_progress_emit(p, &ev);
}

static inline void cb_progress_step(const struct cb_progress *p, enum cb_progress_kind kind,
                                    int step, const char *name, const char *text)
{
    struct cb_progress_event ev = {.kind = kind, .step = step, .name = name, .text = text};
    cb_progress_emit(p, &ev);
}

static inline void cb_progress_bytes(const struct cb_progress *p, int step, const char *what,
                                     int64_t current, int64_t total)
{
    struct cb_progress_event ev = {
        .kind = CB_PROGRESS_BYTES, .step = step, .text = what, .current = current, .total = total};
    cb_progress_emit(p, &ev);
}

#endif
