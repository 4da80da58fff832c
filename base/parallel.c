/* parallel.c - a tiny bounded worker pool: jobs are handed out by index
 * under a mutex; the first error stops the hand-out and is returned. */
#include <pthread.h>
#include <stdbool.h>
#include <stdlib.h>

#include "parallel.h"
#include "xalloc.h"
#include "banned.h"

struct pool {
    pthread_mutex_t lock;
    size_t next, n;
    cb_job_fn fn;
    void *userdata;
    struct cb_err *first;
    int rc;
};

static void *worker(void *arg)
{
    struct pool *p = arg;
    for (;;) {
        struct cb_err *e = NULL;
        size_t i;
        pthread_mutex_lock(&p->lock);
        if (p->first || p->rc < 0 || p->next >= p->n) {
            pthread_mutex_unlock(&p->lock);
            return NULL;
        }
        i = p->next++;
        pthread_mutex_unlock(&p->lock);
        int rc = p->fn(p->userdata, i, &e);
        if (rc < 0) {
            pthread_mutex_lock(&p->lock);
            if (!p->first && p->rc == 0) {
                p->first = e;
                p->rc = rc;
                e = NULL;
            }
            pthread_mutex_unlock(&p->lock);
        }
        cb_err_free(e);
    }
}

int cb_parallel(size_t n, int threads, cb_job_fn fn, void *userdata, struct cb_err **err)
{
    struct pool p = {.n = n, .fn = fn, .userdata = userdata};
    pthread_t *tids;
    size_t extra;

    if (threads < 1)
        threads = 1;
    extra = (size_t)threads - 1 < n ? (size_t)threads - 1 : (n > 0 ? n - 1 : 0);
    pthread_mutex_init(&p.lock, NULL);
    tids = xcalloc(extra + 1, sizeof(*tids));
    for (size_t t = 0; t < extra; t++)
        if (pthread_create(&tids[t], NULL, worker, &p) != 0) {
            extra = t;
            break;
        }
    worker(&p);
    for (size_t t = 0; t < extra; t++)
        pthread_join(tids[t], NULL);
    free(tids);
    pthread_mutex_destroy(&p.lock);
    if (p.rc < 0) {
        if (err) {
            cb_err_free(*err);
            *err = p.first;
        } else {
            cb_err_free(p.first);
        }
        return p.rc;
    }
    return 0;
}
