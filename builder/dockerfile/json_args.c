/* json_args.c - the exec-form JSON array of a Dockerfile instruction.
 *
 * The frontend's only jansson user.  It reproduces Go's json.Unmarshal into
 * []any the way BuildKit's parseJSON uses it: the text must start with `[`
 * (after leading white space) and be one JSON value; invalid UTF-8 inside
 * strings becomes U+FFFD as in Go; any valid array with a non-string element
 * is the "arrays must be comprised of strings only" error.
 */
#include <jansson.h>
#include <string.h>

#include "dockerfile_internal.h"
#include "parser.h"
#include "../../base/cleanup.h"
#include "../../base/xalloc.h"
#include "../../base/banned.h"

/* Go replaces invalid UTF-8 with U+FFFD; jansson refuses it.  Do Go's part. */
static char *sanitize_utf8(const char *s, size_t n, size_t *outlen)
{
    struct cb_buf b;
    cb_buf_init(&b, CB_BUF_LIMIT_DEFAULT);
    for (size_t i = 0; i < n;) {
        int w;
        uint32_t r = go_decode_rune(s + i, n - i, &w);
        if (r == GO_RUNE_ERROR && w == 1)
            go_buf_add_rune(&b, r);
        else
            (void)cb_buf_add(&b, s + i, (size_t)w, NULL);
        i += (size_t)w;
    }
    return cb_buf_detach(&b, outlen);
}

int bld_parse_json_array(const char *text, struct cb_strv *out, size_t **lens, struct cb_err **err)
{
    size_t n = strlen(text);
    size_t skip = go_skip_space(text, n);
    if (skip >= n || text[skip] != '[')
        return 0;
    size_t len;
    cleanup_free char *clean = sanitize_utf8(text + skip, n - skip, &len);
    json_error_t jerr;
    json_t *arr = json_loadb(clean, len, JSON_ALLOW_NUL | JSON_DECODE_INT_AS_REAL, &jerr);
    if (!arr)
        return 0;
    if (!json_is_array(arr)) {
        json_decref(arr);
        return 0;
    }
    size_t i;
    json_t *v;
    json_array_foreach(arr, i, v)
    {
        if (!json_is_string(v)) {
            json_decref(arr);
            return cb_fail(
                err, CB_ESYNTAX, 0,
                "when using JSON array syntax, arrays must be comprised of strings only");
        }
    }
    size_t base = out->n;
    json_array_foreach(arr, i, v)
    {
        cb_strv_push_take(out, xmemdup(json_string_value(v), json_string_length(v) + 1));
    }
    if (lens) {
        *lens = xreallocarray(*lens, out->n + 1, sizeof(**lens));
        json_array_foreach(arr, i, v)
        {
            (*lens)[base + i] = json_string_length(v);
        }
    }
    json_decref(arr);
    return 1;
}
