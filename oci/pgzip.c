/* pgzip.c - parallel gzip over libdeflate: a ring of fixed-size blocks, a
 * pool of compressing threads, and in-order output on the caller's thread.
 *
 * Block seq lives in slot seq % n_slots.  The caller fills slot `tail`,
 * hands it to the pool (`queued` advances) and, when the ring is full,
 * waits for the oldest block (`head`) to be done and writes it out.  Workers
 * take blocks in sequence order (`next`), compress outside the lock and mark
 * them done.  Nothing here depends on which thread compresses what.
 */
#include <libdeflate.h>
#include <pthread.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "pgzip.h"
#include "../base/xalloc.h"
#include "../base/banned.h"

struct slot {
    unsigned char *in;
    size_t in_len;
    unsigned char *out;
    size_t out_len;
    bool done;
};

struct oci_pgzip {
    int level;
    const struct oci_sink *out;
    size_t out_cap;
    struct slot *slots;
    size_t n_slots;
    uint64_t head;   /* oldest block not yet written */
    uint64_t tail;   /* block being filled */
    uint64_t queued; /* blocks handed to the pool: [head, queued) */
    uint64_t next;   /* next block a worker takes */
    bool stop;
    pthread_mutex_t lock;
    pthread_cond_t work; /* a block was queued, or stop */
    pthread_cond_t done; /* a block was compressed */
    pthread_t *threads;
    int n_threads;
    struct libdeflate_compressor *inline_c; /* threads <= 1 */
};

static void compress_slot(struct libdeflate_compressor *c, struct slot *s, size_t cap)
{
    s->out_len = libdeflate_gzip_compress(c, s->in, s->in_len, s->out, cap);
    /* The bound makes this impossible. */
    CB_BUG_ON(s->out_len == 0);
}

static void *worker(void *arg)
{
    struct oci_pgzip *p = arg;
    struct libdeflate_compressor *c = libdeflate_alloc_compressor(p->level);

    CB_BUG_ON(!c);
    pthread_mutex_lock(&p->lock);
    for (;;) {
        while (!p->stop && p->next == p->queued)
            pthread_cond_wait(&p->work, &p->lock);
        if (p->stop)
            break;
        struct slot *s = &p->slots[p->next % p->n_slots];
        p->next++;
        pthread_mutex_unlock(&p->lock);
        compress_slot(c, s, p->out_cap);
        pthread_mutex_lock(&p->lock);
        s->done = true;
        pthread_cond_broadcast(&p->done);
    }
    pthread_mutex_unlock(&p->lock);
    libdeflate_free_compressor(c);
    return NULL;
}

struct oci_pgzip *oci_pgzip_new(int level, int threads, const struct oci_sink *out,
                                struct cb_err **err)
{
    struct oci_pgzip *p;

    if (level < 1 || level > 12) {
        cb_fail(err, CB_EINVAL, 0, "gzip level %d out of range 1..12", level);
        return NULL;
    }
    p = xcalloc(1, sizeof(*p));
    p->level = level;
    p->out = out;
    p->n_threads = threads > 1 ? threads : 0;
    p->n_slots = p->n_threads ? (size_t)p->n_threads + 2 : 1;
    p->slots = xcalloc(p->n_slots, sizeof(*p->slots));
    pthread_mutex_init(&p->lock, NULL);
    pthread_cond_init(&p->work, NULL);
    pthread_cond_init(&p->done, NULL);
    if (!p->n_threads) {
        p->inline_c = libdeflate_alloc_compressor(level);
        CB_BUG_ON(!p->inline_c);
    }
    p->out_cap = libdeflate_gzip_compress_bound(p->inline_c, OCI_PGZIP_BLOCK);
    p->threads = xcalloc((size_t)p->n_threads + 1, sizeof(*p->threads));
    for (int i = 0; i < p->n_threads; i++) {
        int r = pthread_create(&p->threads[i], NULL, worker, p);
        if (r != 0) {
            p->n_threads = i;
            oci_pgzip_free(p);
            cb_fail(err, CB_EIO, r, "start gzip thread");
            return NULL;
        }
    }
    return p;
}

/* Write the oldest block out, waiting for it; the caller holds no lock. */
static int flush_head(struct oci_pgzip *p, struct cb_err **err)
{
    struct slot *s = &p->slots[p->head % p->n_slots];

    if (p->n_threads) {
        pthread_mutex_lock(&p->lock);
        while (!s->done)
            pthread_cond_wait(&p->done, &p->lock);
        pthread_mutex_unlock(&p->lock);
    }
    int r = oci_sink_write(p->out, s->out, s->out_len, err);
    s->done = false;
    s->in_len = 0;
    p->head++;
    return r < 0 ? r : 0;
}

/* Hand the block being filled to the pool (or compress it here). */
static void submit_tail(struct oci_pgzip *p)
{
    struct slot *s = &p->slots[p->tail % p->n_slots];

    p->tail++;
    if (!p->n_threads) {
        compress_slot(p->inline_c, s, p->out_cap);
        s->done = true;
        p->queued = p->tail;
        return;
    }
    pthread_mutex_lock(&p->lock);
    p->queued = p->tail;
    pthread_cond_signal(&p->work);
    pthread_mutex_unlock(&p->lock);
}

/* The slot to fill: allocated on first use, the ring drained when full. */
static struct slot *fill_slot(struct oci_pgzip *p, struct cb_err **err)
{
    if (p->tail - p->head == p->n_slots && flush_head(p, err) < 0)
        return NULL;
    struct slot *s = &p->slots[p->tail % p->n_slots];
    if (!s->in) {
        s->in = xmalloc(OCI_PGZIP_BLOCK);
        s->out = xmalloc(p->out_cap);
    }
    return s;
}

int oci_pgzip_write(struct oci_pgzip *p, const void *data, size_t len, struct cb_err **err)
{
    const unsigned char *d = data;

    while (len > 0) {
        struct slot *s = fill_slot(p, err);
        if (!s)
            return cb_err_rc(err);
        size_t n = OCI_PGZIP_BLOCK - s->in_len;
        if (n > len)
            n = len;
        memcpy(s->in + s->in_len, d, n);
        s->in_len += n;
        d += n;
        len -= n;
        if (s->in_len == OCI_PGZIP_BLOCK)
            submit_tail(p);
    }
    return 0;
}

int oci_pgzip_finish(struct oci_pgzip *p, struct cb_err **err)
{
    struct slot *s = fill_slot(p, err);

    if (!s)
        return cb_err_rc(err);
    /* A partial last block, or an empty stream's single member. */
    if (s->in_len > 0 || p->tail == 0)
        submit_tail(p);
    while (p->head < p->tail)
        if (flush_head(p, err) < 0)
            return cb_err_rc(err);
    return 0;
}

void oci_pgzip_free(struct oci_pgzip *p)
{
    if (!p)
        return;
    pthread_mutex_lock(&p->lock);
    p->stop = true;
    pthread_cond_broadcast(&p->work);
    pthread_mutex_unlock(&p->lock);
    for (int i = 0; i < p->n_threads; i++)
        pthread_join(p->threads[i], NULL);
    for (size_t i = 0; i < p->n_slots; i++) {
        free(p->slots[i].in);
        free(p->slots[i].out);
    }
    if (p->inline_c)
        libdeflate_free_compressor(p->inline_c);
    pthread_mutex_destroy(&p->lock);
    pthread_cond_destroy(&p->work);
    pthread_cond_destroy(&p->done);
    free(p->threads);
    free(p->slots);
    free(p);
}
