/* doctor_exec.c - `cbuild doctor --exec`: confirm findings by running a
 * small probe in the image (through the caller's exec callback, as the
 * image's USER with its ENV and WORKDIR): import the modules python will
 * not find, look the start program up with the shell, test HOME and npm's
 * cache.  The probe's command, status and last line of output become the
 * finding's "exec" evidence; a finding the probe does not reproduce is
 * downgraded to a warning. */
#include <stdlib.h>
#include <string.h>

#include "doctor_internal.h"
#include "../../base/cleanup.h"
#include "../../base/xalloc.h"
#include "../../base/banned.h"

#define PROBE_OUTPUT_MAX ((size_t)64 << 10)
#define IDENT_CHARS "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789_"

/* The probe for a finding, or false when it has none. */
static bool probe_for(struct doc_facts *f, const struct bld_finding *x, struct cb_strv *argv)
{
    const char *v;

    if (!strcmp(x->id, "python-user-site") && (v = oci_map_peek(&x->evidence, "modules")) && *v &&
        strspn(v, IDENT_CHARS ", ") == strlen(v)) {
        cleanup_free char *py = doc_which(f->fs, f->path, "python3");
        cb_strv_push(argv, py ? "python3" : "python");
        cb_strv_push(argv, "-c");
        cb_strv_pushf(argv, "import %s", v);
        return true;
    }
    cb_strv_push(argv, "sh");
    cb_strv_push(argv, "-c");
    if (!strcmp(x->id, "cmd-not-found") && (v = oci_map_peek(&x->evidence, "program"))) {
        cb_strv_push(argv, "command -v \"$0\"");
        cb_strv_push(argv, v);
    } else if (!strncmp(x->id, "home-", 5) && strcmp(x->id, "home-owned-by-root")) {
        cb_strv_push(argv, "test -d \"$HOME\" && test -w \"$HOME\" || "
                           "{ echo \"HOME=$HOME is not a writable directory\"; exit 1; }");
    } else if (!strcmp(x->id, "npm-cache-not-writable") &&
               (v = oci_map_peek(&x->evidence, "cache"))) {
        cb_strv_push(argv, "mkdir -p \"$0\" && test -w \"$0\"");
        cb_strv_push(argv, v);
    } else {
        return false;
    }
    return true;
}

/* The last non-empty line of the output (where errors end up), or
 * "(no output)". */
static char *last_line(const struct cb_buf *b)
{
    size_t end = b->len, start;

    while (end > 0 && (b->data[end - 1] == '\n' || b->data[end - 1] == '\r'))
        end--;
    if (!end)
        return xstrdup("(no output)");
    for (start = end; start > 0 && b->data[start - 1] != '\n';)
        start--;
    return xstrndup(b->data + start, end - start);
}

static int probe(struct doc_facts *f, const struct bld_doctor_opts *o, struct bld_finding *x,
                 struct cb_err **err)
{
    cleanup_strv_s struct cb_strv argv = CB_STRV_INIT;
    cleanup_buf struct cb_buf out = {0};
    cleanup_free char *cmd = NULL, *line = NULL, *ev = NULL;
    int status = 0;

    if (!probe_for(f, x, &argv))
        return 0;
    cb_buf_init(&out, PROBE_OUTPUT_MAX);
    if (o->exec(o->exec_data, argv.v, argv.n, &status, &out, err) < 0)
        return cb_wrap(err, "run '%s' in the image", argv.v[0]);
    cmd = doc_join(&argv, argv.n);
    line = last_line(&out);
    ev = status ? xasprintf("[%s] exited %d: %s", cmd, status, line)
                : xasprintf("[%s] exited 0: not reproduced", cmd);
    oci_map_set(&x->evidence, "exec", ev);
    if (!status)
        x->severity = BLD_SEV_WARN;
    return 0;
}

int doc_exec_probes(struct doc_facts *f, const struct bld_doctor_opts *o, struct bld_findings *out,
                    size_t first, struct cb_err **err)
{
    for (size_t i = first; i < out->n; i++)
        if (probe(f, o, &out->v[i], err) < 0)
            return cb_err_rc(err);
    return 0;
}
