/* json.c - jansson helpers: bounded parse with a one-line error, canonical dump. */
#include <stdlib.h>
#include <string.h>

#include "json.h"
#include "banned.h"

json_t *cb_json_parse(const char *data, size_t len, const char *what, struct cb_err **err)
{
    json_error_t je;
    json_t *j = json_loadb(data, len, JSON_REJECT_DUPLICATES, &je);

    if (!j)
        cb_fail(err, CB_EINVAL, 0, "parse %s: %s at line %d column %d", what, je.text, je.line,
                je.column);
    return j;
}

static int dump_cb(const char *buffer, size_t size, void *data)
{
    return cb_buf_add(data, buffer, size, NULL) < 0 ? -1 : 0;
}

int cb_json_dump_canonical(const json_t *json, struct cb_buf *out, struct cb_err **err)
{
    if (json_dump_callback(json, dump_cb, out, JSON_SORT_KEYS | JSON_COMPACT | JSON_ENCODE_ANY) < 0)
        return cb_fail(err, CB_EINVAL, 0, "encode JSON: document too large or invalid");
    return 0;
}

const char *cb_json_peek_str(const json_t *obj, const char *key)
{
    json_t *v = json_object_get(obj, key);
    return json_is_string(v) ? json_string_value(v) : NULL;
}

int cb_json_dump_string_map(const char *const *keys, const char *const *values, size_t n,
                            struct cb_buf *out, struct cb_err **err)
{
    json_t *obj = json_object();
    int rc;

    for (size_t i = 0; i < n; i++)
        json_object_set_new(obj, keys[i], json_string(values[i]));
    rc = cb_json_dump_canonical(obj, out, err);
    json_decref(obj);
    return rc;
}
