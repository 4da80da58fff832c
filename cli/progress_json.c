/* progress_json.c - the rawjson codec: one JSON object per event, per line,
 * shaped like BuildKit's SolveStatus (vertexes, logs, statuses, warnings). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "progress.h"
#include "../base/buf.h"
#include "../base/json.h"
#include "../base/xalloc.h"
#include "../base/banned.h"

static json_t *rfc3339(double t)
{
    char buf[64];
    time_t sec = (time_t)t;
    struct tm tm;
    gmtime_r(&sec, &tm);
    strftime(buf, sizeof(buf), "%Y-%m-%dT%H:%M:%S", &tm);
    snprintf(buf + strlen(buf), sizeof(buf) - strlen(buf), ".%09ldZ",
             (long)((t - (double)sec) * 1e9));
    return json_string(buf);
}

/* Step output as a JSON string; bytes that are not UTF-8 become '?'. */
static json_t *text_of(const char *data, size_t len)
{
    json_t *s = json_stringn(data, len);
    char *copy;

    if (s)
        return s;
    copy = xmemdup(data, len);
    for (size_t i = 0; i < len; i++)
        if ((unsigned char)copy[i] >= 0x80 || copy[i] == '\0')
            copy[i] = '?';
    s = json_stringn(copy, len);
    free(copy);
    return s;
}

static json_t *vertex(const struct cb_progress_event *ev, double now, double started)
{
    json_t *v = json_object();
    json_object_set_new(v, "vertex", json_integer(ev->step));
    if (ev->name)
        json_object_set_new(v, "name", json_string(ev->name));
    if (ev->kind == CB_PROGRESS_START)
        json_object_set_new(v, "started", rfc3339(now));
    if (ev->kind != CB_PROGRESS_START && started > 0)
        json_object_set_new(v, "started", rfc3339(started));
    if (ev->kind == CB_PROGRESS_DONE || ev->kind == CB_PROGRESS_ERROR ||
        ev->kind == CB_PROGRESS_CACHED)
        json_object_set_new(v, "completed", rfc3339(now));
    if (ev->kind == CB_PROGRESS_CACHED)
        json_object_set_new(v, "cached", json_true());
    if (ev->kind == CB_PROGRESS_ERROR && ev->text)
        json_object_set_new(v, "error", json_string(ev->text));
    return v;
}

void cli_progress_json_write(FILE *out, const struct cb_progress_event *ev, double now,
                             double started)
{
    json_t *root = json_object();
    json_t *item;
    struct cb_buf b;

    switch (ev->kind) {
    case CB_PROGRESS_LOG:
        item = json_object();
        json_object_set_new(item, "vertex", json_integer(ev->step));
        json_object_set_new(item, "stream", json_integer(ev->stream));
        json_object_set_new(item, "data", text_of(ev->data, ev->len));
        json_object_set_new(item, "timestamp", rfc3339(now));
        json_object_set_new(root, "logs", json_pack("[o]", item));
        break;
    case CB_PROGRESS_BYTES:
        item = json_object();
        json_object_set_new(item, "vertex", json_integer(ev->step));
        json_object_set_new(item, "id", json_string(ev->text ? ev->text : ""));
        json_object_set_new(item, "current", json_integer(ev->current));
        if (ev->total >= 0)
            json_object_set_new(item, "total", json_integer(ev->total));
        json_object_set_new(item, "timestamp", rfc3339(now));
        json_object_set_new(root, "statuses", json_pack("[o]", item));
        break;
    case CB_PROGRESS_WARNING:
        item = json_object();
        json_object_set_new(item, "vertex", json_integer(ev->step));
        json_object_set_new(item, "short", json_string(ev->text ? ev->text : ""));
        json_object_set_new(root, "warnings", json_pack("[o]", item));
        break;
    default:
        json_object_set_new(root, "vertexes", json_pack("[o]", vertex(ev, now, started)));
        break;
    }
    cb_buf_init(&b, 16 << 20);
    if (cb_json_dump_canonical(root, &b, NULL) == 0)
        fprintf(out, "%s\n", b.data);
    cb_buf_release(&b);
    json_decref(root);
}

void cli_progress_json_error(FILE *out, const struct cb_err *err, int exit_status)
{
    json_t *root =
        json_pack("{s{sssssi}}", "error", "message", err && err->msg ? err->msg : "", "category",
                  cb_errc_name(err ? err->code : CB_EBUG), "exit", exit_status);
    struct cb_buf b;

    cb_buf_init(&b, 16 << 20);
    if (root && cb_json_dump_canonical(root, &b, NULL) == 0)
        fprintf(out, "%s\n", b.data);
    cb_buf_release(&b);
    json_decref(root);
}
