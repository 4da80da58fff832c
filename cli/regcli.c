/* regcli.c - shared setup of the registry commands: options, Ctrl-C, and
 * line-based progress ("sha256:abcd1234ef56: 12.0 MiB / 48.0 MiB (35.2 MiB/s)"). */
#include <pthread.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "regcli.h"
#include "../base/cleanup.h"
#include "../base/strv.h"
#include "../base/xalloc.h"
#include "../base/banned.h"

volatile sig_atomic_t cli_reg_interrupted;

#define MAX_ITEMS 64

struct item {
    char what[80];
    double start, last;
    bool done;
};

struct lines {
    pthread_mutex_t lock;
    FILE *out;
    struct item items[MAX_ITEMS];
    size_t n;
};

static void on_sigint(int sig)
{
    (void)sig;
    if (cli_reg_interrupted) /* a second Ctrl-C: leave at once */
        _exit(130);
    cli_reg_interrupted = 1;
}

static double now_s(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

const char *cli_reg_bytes(long long n, char *buf, size_t len)
{
    if (n < 1024)
        snprintf(buf, len, "%lld B", n);
    else if (n < 1024 * 1024)
        snprintf(buf, len, "%.1f KiB", (double)n / 1024);
    else if (n < 1024LL * 1024 * 1024)
        snprintf(buf, len, "%.1f MiB", (double)n / (1024 * 1024));
    else
        snprintf(buf, len, "%.2f GiB", (double)n / (1024.0 * 1024 * 1024));
    return buf;
}

static struct item *find_item(struct lines *l, const char *what, double t)
{
    for (size_t i = 0; i < l->n; i++)
        if (!strcmp(l->items[i].what, what))
            return &l->items[i];
    struct item *it = &l->items[l->n < MAX_ITEMS ? l->n++ : MAX_ITEMS - 1];
    snprintf(it->what, sizeof(it->what), "%s", what);
    it->start = t;
    it->last = 0;
    it->done = false;
    return it;
}

static void on_event(void *ud, const struct cb_progress_event *ev)
{
    struct lines *l = ud;
    char a[32], b[32], c[32];
    double t = now_s();

    if (ev->kind != CB_PROGRESS_BYTES || !ev->text)
        return;
    pthread_mutex_lock(&l->lock);
    struct item *it = find_item(l, ev->text, t);
    bool done = ev->total >= 0 && ev->current >= ev->total;
    if (!it->done && (done || t - it->last >= 1.0)) {
        double dt = t - it->start > 0.001 ? t - it->start : 0.001;
        const char *name = strncmp(ev->text, "sha256:", 7) ? ev->text : ev->text + 7;
        fprintf(l->out, "%.12s: %s%s / %s (%s/s)\n", name, done ? "done " : "",
                cli_reg_bytes(ev->current, a, sizeof(a)),
                ev->total >= 0 ? cli_reg_bytes(ev->total, b, sizeof(b)) : "?",
                cli_reg_bytes((long long)((double)ev->current / dt), c, sizeof(c)));
        fflush(l->out);
        it->last = t;
        it->done = done;
    }
    pthread_mutex_unlock(&l->lock);
}

void cli_reg_init(struct cli_reg *r, bool tls_verify, bool quiet, FILE *out)
{
    const char *ins = getenv("CBUILD_INSECURE_REGISTRIES");
    struct cb_strv v = CB_STRV_INIT;
    struct sigaction sa;

    memset(r, 0, sizeof(*r));
    if (ins && *ins) {
        cleanup_free char *copy = xstrdup(ins);
        for (char *save = NULL, *h = strtok_r(copy, ", ", &save); h;
             h = strtok_r(NULL, ", ", &save))
            cb_strv_push(&v, h);
    }
    r->insecure = cb_strv_detach(&v);
    r->opts.tls_verify_off = !tls_verify;
    r->opts.insecure = (const char *const *)r->insecure;
    r->opts.retries = -1;
    r->opts.cancel = &cli_reg_interrupted;
    if (!quiet) {
        struct lines *l = xcalloc(1, sizeof(*l));
        pthread_mutex_init(&l->lock, NULL);
        l->out = out;
        r->lines = l;
        r->sink.fn = on_event;
        r->sink.userdata = l;
        r->opts.progress = &r->sink;
    }
    memset(&sa, 0, sizeof(sa));
    sa.sa_handler = on_sigint;
    sigemptyset(&sa.sa_mask);
    sigaction(SIGINT, &sa, NULL);
}

void cli_reg_release(struct cli_reg *r)
{
    struct lines *l = r->lines;
    if (l) {
        pthread_mutex_destroy(&l->lock);
        free(l);
    }
    for (char **p = r->insecure; p && *p; p++)
        free(*p);
    free(r->insecure);
    memset(r, 0, sizeof(*r));
}
