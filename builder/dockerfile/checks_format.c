/* checks_format.c - build-check results as text (like `docker build
 * --check`) or JSON (one array, BuildKit's field values); the JSON codec of
 * the frontend, so jansson stays in this one file. */
#include <string.h>

#include "checks_format.h"
#include "../../base/cleanup.h"
#include "../../base/json.h"
#include "../../base/xalloc.h"
#include "../../base/banned.h"

int bld_check_result_json(const struct bld_check_result *r, struct cb_buf *out, struct cb_err **err)
{
    cleanup_json json_t *arr = json_array();
    for (size_t i = 0; i < r->n; i++) {
        const struct bld_check_warning *w = &r->w[i];
        json_t *o = json_object();
        json_object_set_new(o, "rule", json_string(w->rule));
        json_object_set_new(o, "description", json_string(w->description));
        json_object_set_new(o, "detail", json_string(w->detail));
        json_object_set_new(o, "url", json_string(w->url));
        json_object_set_new(o, "line", json_integer(w->line));
        json_object_set_new(o, "level", json_integer(w->level));
        json_array_append_new(arr, o);
    }
    cleanup_free char *s = json_dumps(arr, JSON_INDENT(2) | JSON_PRESERVE_ORDER);
    if (!s)
        return cb_fail(err, CB_EBUG, 0, "encode check results");
    if (cb_buf_adds(out, s, err) < 0 || cb_buf_addc(out, '\n', err) < 0)
        return cb_err_rc(err);
    return 0;
}

/* Start offsets of the lines of text (1-based index), lines[n] = len. */
static size_t line_starts(const char *text, size_t len, size_t **starts)
{
    size_t n = 0, alloc = 0;
    *starts = NULL;
    for (size_t i = 0; i <= len; i++) {
        if (i == 0 || text[i - 1] == '\n') {
            XGROW(*starts, n + 2, alloc);
            (*starts)[n++] = i;
        }
    }
    if (n && (*starts)[n - 1] == len && len)
        n--; /* no empty line after a final newline */
    (*starts)[n] = len;
    return n;
}

/* The instruction at line, with two lines of context, buildx style. */
static void add_snippet(struct cb_buf *out, const char *text, size_t len, int line)
{
    cleanup_free size_t *st = NULL;
    size_t n = line_starts(text, len, &st);
    size_t from = line > 3 ? (size_t)line - 3 : 0, to = (size_t)line + 2 < n ? (size_t)line + 2 : n;
    cb_buf_adds(out, "--------------------\n", NULL);
    for (size_t i = from; i < to; i++) {
        size_t e = st[i + 1];
        while (e > st[i] && (text[e - 1] == '\n' || text[e - 1] == '\r'))
            e--;
        cb_buf_addf(out, NULL, " %3zu | %s %.*s\n", i + 1, (int)i + 1 == line ? ">>>" : "   ",
                    (int)(e - st[i]), text + st[i]);
    }
    cb_buf_adds(out, "--------------------\n", NULL);
}

void bld_check_result_text(const struct bld_check_result *r, const char *text, size_t len,
                           const char *name, struct cb_buf *out)
{
    if (!r->n)
        cb_buf_adds(out, "Check complete, no warnings found.\n", NULL);
    else
        cb_buf_addf(out, NULL, "Check complete, %zu warning%s been found!\n", r->n,
                    r->n == 1 ? " has" : "s have");
    for (size_t i = 0; i < r->n; i++) {
        const struct bld_check_warning *w = &r->w[i];
        cb_buf_addf(out, NULL, "\nWARNING: %s", w->rule);
        if (*w->url)
            cb_buf_addf(out, NULL, " - %s", w->url);
        cb_buf_addf(out, NULL, "\n%s\n%s:%d\n", w->detail, name, w->line);
        add_snippet(out, text, len, w->line);
    }
}
