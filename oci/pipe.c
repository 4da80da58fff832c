/* pipe.c - a bounded hand-off of bytes to a background thread (see pipe.h).
 * A ring of `depth` chunks: the writer fills ring[tail % depth] and advances
 * tail; the thread drains ring[head % depth] and advances head. */
#include <errno.h>
#include <pthread.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "pipe.h"
#include "../base/xalloc.h"
#include "../base/banned.h"

struct chunk {
    unsigned char *data;
    size_t len;
};

struct oci_pipe {
    const struct oci_sink *down;
    size_t chunk_size, depth;
    struct chunk *ring;
    uint64_t head, tail; /* [head, tail) are full chunks waiting */
    struct chunk cur;    /* being filled by the writer */
    bool closing, stop, thread_started;
    bool failed;        /* sticky: the downstream is not called again */
    struct cb_err *err; /* the downstream's failure */
    pthread_t thread;
    pthread_mutex_t lock;
    pthread_cond_t cond;
};

static void *drain(void *arg)
{
    struct oci_pipe *p = arg;

    pthread_mutex_lock(&p->lock);
    for (;;) {
        while (!p->stop && p->head == p->tail && !p->closing)
            pthread_cond_wait(&p->cond, &p->lock);
        if (p->stop || (p->head == p->tail && p->closing))
            break;
        struct chunk c = p->ring[p->head % p->depth];
        pthread_mutex_unlock(&p->lock);
        struct cb_err *e = NULL;
        int r = p->failed ? 0 : oci_sink_write(p->down, c.data, c.len, &e);
        pthread_mutex_lock(&p->lock);
        if (r < 0) {
            p->err = e;
            p->failed = true;
        }
        p->head++;
        pthread_cond_broadcast(&p->cond);
    }
    pthread_mutex_unlock(&p->lock);
    return NULL;
}

struct oci_pipe *oci_pipe_new(const struct oci_sink *down, size_t chunk, size_t depth,
                              struct cb_err **err)
{
    struct oci_pipe *p = xcalloc(1, sizeof(*p));

    p->down = down;
    p->chunk_size = chunk;
    p->depth = depth;
    p->ring = xcalloc(depth, sizeof(*p->ring));
    p->cur.data = xmalloc(chunk);
    pthread_mutex_init(&p->lock, NULL);
    pthread_cond_init(&p->cond, NULL);
    int r = pthread_create(&p->thread, NULL, drain, p);
    if (r != 0) {
        oci_pipe_free(p);
        cb_fail(err, CB_EIO, r, "start a pipe thread");
        return NULL;
    }
    p->thread_started = true;
    return p;
}

/* The downstream's error (reported once; later calls say the pipe failed). */
static int pending_error(struct oci_pipe *p, struct cb_err **err)
{
    if (!p->err)
        return cb_fail(err, CB_EIO, 0, "output failed earlier");
    cb_err_free(*err);
    *err = p->err;
    p->err = NULL;
    return cb_err_rc(err);
}

/* Queue the current chunk, waiting for room; swap in a free buffer. */
static int push(struct oci_pipe *p, struct cb_err **err)
{
    pthread_mutex_lock(&p->lock);
    while (p->tail - p->head == p->depth && !p->failed)
        pthread_cond_wait(&p->cond, &p->lock);
    if (p->failed) {
        pthread_mutex_unlock(&p->lock);
        return pending_error(p, err);
    }
    struct chunk *slot = &p->ring[p->tail % p->depth];
    unsigned char *spare = slot->data;
    *slot = p->cur;
    p->tail++;
    pthread_cond_broadcast(&p->cond);
    pthread_mutex_unlock(&p->lock);
    p->cur.data = spare ? spare : xmalloc(p->chunk_size);
    p->cur.len = 0;
    return 0;
}

int oci_pipe_write(struct oci_pipe *p, const void *data, size_t len, struct cb_err **err)
{
    const unsigned char *d = data;

    while (len > 0) {
        size_t n = p->chunk_size - p->cur.len;
        if (n > len)
            n = len;
        memcpy(p->cur.data + p->cur.len, d, n);
        p->cur.len += n;
        d += n;
        len -= n;
        if (p->cur.len == p->chunk_size && push(p, err) < 0)
            return cb_err_rc(err);
    }
    return 0;
}

static int pipe_sink_write(void *ud, const void *data, size_t len, struct cb_err **err)
{
    return oci_pipe_write(ud, data, len, err);
}

struct oci_sink oci_pipe_sink(struct oci_pipe *p)
{
    return (struct oci_sink){.write = pipe_sink_write, .userdata = p};
}

int oci_pipe_finish(struct oci_pipe *p, struct cb_err **err)
{
    if (p->cur.len > 0 && push(p, err) < 0)
        return cb_err_rc(err);
    pthread_mutex_lock(&p->lock);
    p->closing = true;
    pthread_cond_broadcast(&p->cond);
    pthread_mutex_unlock(&p->lock);
    pthread_join(p->thread, NULL);
    p->thread_started = false;
    if (p->failed)
        return pending_error(p, err);
    return 0;
}

void oci_pipe_free(struct oci_pipe *p)
{
    if (!p)
        return;
    if (p->thread_started) {
        pthread_mutex_lock(&p->lock);
        p->stop = true;
        pthread_cond_broadcast(&p->cond);
        pthread_mutex_unlock(&p->lock);
        pthread_join(p->thread, NULL);
    }
    for (size_t i = 0; i < p->depth; i++)
        free(p->ring[i].data);
    free(p->ring);
    free(p->cur.data);
    cb_err_free(p->err);
    pthread_mutex_destroy(&p->lock);
    pthread_cond_destroy(&p->cond);
    free(p);
}
