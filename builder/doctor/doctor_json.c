/* doctor_json.c - the doctor's JSON codec (the only doctor file that
 * touches jansson): findings out as a stable array of
 * {id, severity, message, evidence, fix}, and package.json's start script
 * in. */
#include <string.h>

#include "doctor_internal.h"
#include "../../base/json.h"
#include "../../base/xalloc.h"
#include "../../base/banned.h"

static json_t *finding_json(const struct bld_finding *x)
{
    json_t *o = json_object(), *ev = json_object();

    for (size_t i = 0; i < x->evidence.n; i++)
        json_object_set_new(ev, x->evidence.v[i].key, json_string(x->evidence.v[i].value));
    json_object_set_new(o, "id", json_string(x->id));
    json_object_set_new(o, "severity",
                        json_string(x->severity == BLD_SEV_ERROR ? "error" : "warning"));
    json_object_set_new(o, "message", json_string(x->message));
    json_object_set_new(o, "evidence", ev);
    json_object_set_new(o, "fix", json_string(x->fix));
    return o;
}

int bld_findings_json(const struct bld_findings *f, struct cb_buf *out, struct cb_err **err)
{
    cleanup_json json_t *a = json_array();
    char *s;
    int r;

    for (size_t i = 0; i < f->n; i++)
        json_array_append_new(a, finding_json(&f->v[i]));
    s = json_dumps(a, JSON_INDENT(2) | JSON_SORT_KEYS);
    if (!s)
        return cb_fail(err, CB_EBUG, 0, "encode the findings as JSON");
    r = cb_buf_addf(out, err, "%s\n", s);
    free(s);
    return r;
}

char *doc_pkg_start_script(const char *data, size_t len)
{
    cleanup_json json_t *j = json_loadb(data, len, 0, NULL);
    json_t *scripts = j ? json_object_get(j, "scripts") : NULL;
    const char *start = scripts ? cb_json_peek_str(scripts, "start") : NULL;
    return start ? xstrdup(start) : NULL;
}
