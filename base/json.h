/* json.h - the few jansson helpers shared by the codec files.
 *
 * Only codec files (oci/image.c, cache/keys.c, builder/exec/bundle.c, ...)
 * include jansson; everything else passes C structs.
 */
#ifndef CBUILD_BASE_JSON_H
#define CBUILD_BASE_JSON_H

#include <jansson.h>

#include "buf.h"
#include "error.h"

/* Parse data (len bytes, need not be NUL-terminated); what names the
 * document in the error message. */
json_t *cb_json_parse(const char *data, size_t len, const char *what, struct cb_err **err);

/* Canonical output: sorted keys, compact, no trailing newline, the same
 * bytes for the same document.  Appends to out. */
int cb_json_dump_canonical(const json_t *json, struct cb_buf *out, struct cb_err **err);

/* Append {"k0":"v0",...} (canonical: sorted keys, compact) to out. */
int cb_json_dump_string_map(const char *const *keys, const char *const *values, size_t n,
                            struct cb_buf *out, struct cb_err **err);

/* A string member, or NULL when absent or not a string (borrowed). */
const char *cb_json_peek_str(const json_t *obj, const char *key);

static inline void cb_json_decrefp(json_t **j)
{
    if (*j)
        json_decref(*j);
    *j = NULL;
}
#define cleanup_json __attribute__((cleanup(cb_json_decrefp)))

#endif
