/* progress.c - renders build progress: a live tty view, BuildKit-style plain
 * lines, rawjson, or nothing.  One mutex serialises events from parallel
 * stages; the tty view also redraws from a ticker thread so timers move. */
#include <pthread.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "progress.h"
#include "../base/xalloc.h"
#include "../base/banned.h"

#define TAIL_LINES 6
#define LINE_MAX_SHOWN 200

enum step_state { STEP_RUNNING, STEP_DONE, STEP_CACHED, STEP_ERROR };

struct step {
    int id;
    char *name;
    enum step_state state;
    double started, ended;
    char *tail[TAIL_LINES]; /* last complete output lines (tty) */
    int ntail;
    char *partial; /* an unterminated output line (plain) */
    bool header_shown;
};

struct cli_progress {
    enum cli_progress_mode mode;
    FILE *out;
    pthread_mutex_t lock;
    double t0;
    struct step *steps;
    size_t nsteps, alloc;
    int drawn_lines; /* tty: lines of the last frame */
    int last_plain_step;
    pthread_t ticker;
    bool ticking, stop;
};

static double now_s(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

int cli_progress_mode_parse(const char *s)
{
    static const char *const names[] = {"auto", "tty", "plain", "quiet", "rawjson"};
    for (size_t i = 0; i < sizeof(names) / sizeof(names[0]); i++)
        if (!strcmp(s, names[i]))
            return (int)i;
    return -1;
}

static struct step *find_step(struct cli_progress *p, int id, bool create)
{
    for (size_t i = 0; i < p->nsteps; i++)
        if (p->steps[i].id == id)
            return &p->steps[i];
    if (!create)
        return NULL;
    XGROW(p->steps, p->nsteps + 1, p->alloc);
    memset(&p->steps[p->nsteps], 0, sizeof(p->steps[0]));
    p->steps[p->nsteps].id = id;
    return &p->steps[p->nsteps++];
}

static void push_tail(struct step *s, const char *line, size_t len)
{
    if (len > LINE_MAX_SHOWN)
        len = LINE_MAX_SHOWN;
    if (s->ntail == TAIL_LINES) {
        free(s->tail[0]);
        memmove(s->tail, s->tail + 1, sizeof(s->tail[0]) * (TAIL_LINES - 1));
        s->ntail--;
    }
    s->tail[s->ntail++] = xstrndup(line, len);
}

/* ---- plain ---------------------------------------------------------- */

static void plain_header(struct cli_progress *p, struct step *s)
{
    if (p->last_plain_step != s->id) {
        if (p->last_plain_step)
            fputc('\n', p->out);
        if (!s->header_shown || p->last_plain_step)
            fprintf(p->out, "#%d %s\n", s->id, s->name ? s->name : "");
        p->last_plain_step = s->id;
    }
    s->header_shown = true;
}

static void plain_log(struct cli_progress *p, struct step *s, const char *data, size_t len,
                      double t)
{
    while (len > 0) {
        const char *nl = memchr(data, '\n', len);
        size_t n = nl ? (size_t)(nl - data) : len;
        char *joined = xasprintf("%s%.*s", s->partial ? s->partial : "", (int)n, data);
        free(s->partial);
        s->partial = NULL;
        if (!nl) {
            s->partial = joined;
            return;
        }
        plain_header(p, s);
        fprintf(p->out, "#%d %.3f %s\n", s->id, t - s->started, joined);
        free(joined);
        data += n + 1;
        len -= n + 1;
    }
}

static void plain_event(struct cli_progress *p, const struct cb_progress_event *ev, struct step *s,
                        double t)
{
    switch (ev->kind) {
    case CB_PROGRESS_START:
        plain_header(p, s);
        break;
    case CB_PROGRESS_LOG:
        plain_log(p, s, ev->data, ev->len, t);
        break;
    case CB_PROGRESS_CACHED:
        plain_header(p, s);
        fprintf(p->out, "#%d CACHED\n", s->id);
        break;
    case CB_PROGRESS_DONE:
    case CB_PROGRESS_ERROR:
        if (s->partial)
            plain_log(p, s, "\n", 1, t);
        plain_header(p, s);
        if (ev->kind == CB_PROGRESS_DONE)
            fprintf(p->out, "#%d DONE %.1fs\n", s->id, t - s->started);
        else
            fprintf(p->out, "#%d ERROR: %s\n", s->id, ev->text ? ev->text : "failed");
        break;
    case CB_PROGRESS_BYTES: {
        double el = s->started > 0 ? t - s->started : 0;
        double rate = el > 0.01 ? (double)ev->current / 1e6 / el : 0;
        plain_header(p, s);
        if (ev->total >= 0)
            fprintf(p->out, "#%d %s %.2fMB / %.2fMB %.1fMB/s %.1fs\n", s->id,
                    ev->text ? ev->text : "", (double)ev->current / 1e6, (double)ev->total / 1e6,
                    rate, el);
        else
            fprintf(p->out, "#%d %s %.2fMB %.1fMB/s %.1fs\n", s->id, ev->text ? ev->text : "",
                    (double)ev->current / 1e6, rate, el);
        break;
    }
    case CB_PROGRESS_WARNING:
        fprintf(p->out, "WARNING: %s\n", ev->text ? ev->text : "");
        break;
    }
    fflush(p->out);
}

/* ---- tty ------------------------------------------------------------ */

static void tty_draw(struct cli_progress *p, bool final)
{
    double t = now_s();
    size_t done = 0;
    int lines = 0;

    for (size_t i = 0; i < p->nsteps; i++)
        done += p->steps[i].state != STEP_RUNNING;
    if (p->drawn_lines)
        fprintf(p->out, "\033[%dA", p->drawn_lines);
    fprintf(p->out, "\033[2K[%s] Building %.1fs (%zu/%zu)%s\n", final ? "+" : "+", t - p->t0, done,
            p->nsteps, final ? " FINISHED" : "");
    lines++;
    for (size_t i = 0; i < p->nsteps; i++) {
        struct step *s = &p->steps[i];
        double el = (s->state == STEP_RUNNING ? t : s->ended) - s->started;
        const char *mark = s->state == STEP_CACHED  ? " CACHED"
                           : s->state == STEP_ERROR ? " ERROR"
                                                    : "";
        fprintf(p->out, "\033[2K => %s%s %.1fs\n", s->name ? s->name : "", mark, el);
        lines++;
        if (s->state != STEP_RUNNING && (final || s->state != STEP_ERROR))
            continue;
        for (int j = 0; j < s->ntail; j++, lines++)
            fprintf(p->out, "\033[2K => => # %s\n", s->tail[j]);
    }
    /* clear what a longer previous frame left below */
    for (int j = lines; j < p->drawn_lines; j++)
        fprintf(p->out, "\033[2K\n");
    if (p->drawn_lines > lines)
        fprintf(p->out, "\033[%dA", p->drawn_lines - lines);
    p->drawn_lines = lines;
    fflush(p->out);
}

static void *ticker(void *arg)
{
    struct cli_progress *p = arg;
    struct timespec d = {0, 100 * 1000 * 1000};

    for (;;) {
        nanosleep(&d, NULL);
        pthread_mutex_lock(&p->lock);
        if (p->stop) {
            pthread_mutex_unlock(&p->lock);
            return NULL;
        }
        tty_draw(p, false);
        pthread_mutex_unlock(&p->lock);
    }
}

static void tty_log(struct step *s, const char *data, size_t len)
{
    while (len > 0) {
        const char *nl = memchr(data, '\n', len);
        size_t n = nl ? (size_t)(nl - data) : len;
        if (n)
            push_tail(s, data, n);
        if (!nl)
            return;
        data += n + 1;
        len -= n + 1;
    }
}

/* ---- dispatch ------------------------------------------------------- */

static void on_event(void *userdata, const struct cb_progress_event *ev)
{
    struct cli_progress *p = userdata;
    double t = now_s();
    struct step *s;

    if (p->mode == CLI_PROGRESS_QUIET)
        return;
    pthread_mutex_lock(&p->lock);
    s = find_step(p, ev->step, true);
    if (ev->kind == CB_PROGRESS_START || (!s->started && ev->kind == CB_PROGRESS_CACHED)) {
        free(s->name);
        s->name = xstrdup(ev->name ? ev->name : "");
        s->started = t;
        s->state = STEP_RUNNING;
    } else if (ev->name && !s->name) {
        s->name = xstrdup(ev->name);
    }
    if (ev->kind == CB_PROGRESS_DONE || ev->kind == CB_PROGRESS_CACHED ||
        ev->kind == CB_PROGRESS_ERROR) {
        s->ended = t;
        s->state = ev->kind == CB_PROGRESS_DONE     ? STEP_DONE
                   : ev->kind == CB_PROGRESS_CACHED ? STEP_CACHED
                                                    : STEP_ERROR;
    }
    if (p->mode == CLI_PROGRESS_RAWJSON) {
        struct cb_progress_event named = *ev;
        if (!named.name && ev->kind != CB_PROGRESS_LOG && ev->kind != CB_PROGRESS_BYTES)
            named.name = s->name;
        cli_progress_json_write(p->out, &named, t, s->started);
        fflush(p->out);
    } else if (p->mode == CLI_PROGRESS_PLAIN) {
        plain_event(p, ev, s, t);
    } else if (ev->kind == CB_PROGRESS_LOG) {
        tty_log(s, ev->data, ev->len);
    } else if (ev->kind == CB_PROGRESS_WARNING && ev->text) {
        push_tail(s, ev->text, strlen(ev->text));
    }
    pthread_mutex_unlock(&p->lock);
}

struct cli_progress *cli_progress_new(enum cli_progress_mode mode, FILE *out)
{
    struct cli_progress *p = xcalloc(1, sizeof(*p));
    const char *ci = getenv("CI");

    if (mode == CLI_PROGRESS_AUTO)
        mode = isatty(fileno(out)) && !(ci && *ci) ? CLI_PROGRESS_TTY : CLI_PROGRESS_PLAIN;
    p->mode = mode;
    p->out = out;
    p->t0 = now_s();
    pthread_mutex_init(&p->lock, NULL);
    if (mode == CLI_PROGRESS_TTY && pthread_create(&p->ticker, NULL, ticker, p) == 0)
        p->ticking = true;
    return p;
}

struct cb_progress cli_progress_sink(struct cli_progress *p)
{
    struct cb_progress s = {on_event, p};
    return s;
}

enum cli_progress_mode cli_progress_mode(const struct cli_progress *p)
{
    return p->mode;
}

void cli_progress_finish(struct cli_progress *p, const char *summary)
{
    pthread_mutex_lock(&p->lock);
    p->stop = true;
    pthread_mutex_unlock(&p->lock);
    if (p->ticking) {
        pthread_join(p->ticker, NULL);
        p->ticking = false;
    }
    if (p->mode == CLI_PROGRESS_TTY)
        tty_draw(p, true);
    if (summary && p->mode != CLI_PROGRESS_QUIET && p->mode != CLI_PROGRESS_RAWJSON)
        fprintf(p->out, "%s%s", p->mode == CLI_PROGRESS_PLAIN ? "\n" : "", summary);
    fflush(p->out);
}

void cli_progress_free(struct cli_progress *p)
{
    if (!p)
        return;
    if (p->ticking)
        cli_progress_finish(p, NULL);
    for (size_t i = 0; i < p->nsteps; i++) {
        free(p->steps[i].name);
        free(p->steps[i].partial);
        for (int j = 0; j < p->steps[i].ntail; j++)
            free(p->steps[i].tail[j]);
    }
    free(p->steps);
    pthread_mutex_destroy(&p->lock);
    free(p);
}
