/* publish.c - the summary, --doctor and --push of a finished build. */
#include <stdlib.h>
#include <string.h>

#include "publish.h"
#include "doctor/doctor.h"
#include "../oci/push.h"
#include "../base/cleanup.h"
#include "../base/xalloc.h"
#include "../base/banned.h"

char *bld_build_summary(const struct bld_build_result *r)
{
    char md[OCI_DIGEST_STR_MAX], id[OCI_DIGEST_STR_MAX];
    struct cb_buf b;

    cb_buf_init(&b, 1 << 20);
    cb_buf_addf(&b, NULL, "image %s (config %s)\nsteps: %d run, %d cached\nstages:",
                oci_digest_fmt(&r->manifest.digest, md), oci_digest_fmt(&r->config, id),
                r->steps_run, r->steps_cached);
    for (size_t i = 0; i < r->stage_times.n; i++)
        cb_buf_addf(&b, NULL, "%s %s", i ? "," : "", r->stage_times.v[i]);
    cb_buf_addc(&b, '\n', NULL);
    return cb_buf_detach(&b, NULL);
}

int bld_build_doctor(struct oci_store *s, const struct bld_build_result *r, bool strict,
                     struct cb_buf *report, struct cb_err **err)
{
    struct bld_doctor_arg *args = xcalloc(r->final_args.n + 1, sizeof(*args));
    cleanup_findings struct bld_findings found;
    struct cb_strv names = CB_STRV_INIT;
    char md[OCI_DIGEST_STR_MAX];
    int rc;

    bld_findings_init(&found);
    for (size_t i = 0; i < r->final_args.n; i++) {
        const char *a = r->final_args.v[i], *eq = strchr(a, '=');
        cb_strv_push_take(&names, eq ? xstrndup(a, (size_t)(eq - a)) : xstrdup(a));
        args[i].name = names.v[i];
        args[i].default_value = eq ? eq + 1 : NULL;
        args[i].overridden = cb_strv_find(&r->overridden_args, names.v[i]) >= 0;
    }
    {
        struct bld_doctor_opts o = {.args = args,
                                    .n_args = r->final_args.n,
                                    .stage_layers = r->stage_layers,
                                    .n_stage_layers = r->n_stage_layers};
        rc = bld_doctor_image(s, oci_digest_fmt(&r->manifest.digest, md), &o, &found, err);
    }
    if (rc == 0 && found.n)
        bld_findings_text(&found, report, NULL);
    /* plain --doctor reports; only --doctor=strict fails the build */
    if (rc == 0 && strict && bld_findings_status(&found, strict))
        rc = cb_fail(err, CB_ESTEP, 0, "the image doctor found %zu problem%s (--doctor=strict)",
                     found.n, found.n == 1 ? "" : "s");
    cb_strv_release(&names);
    free(args);
    return rc;
}

int bld_push_tags(struct oci_store *s, const struct oci_descriptor *desc,
                  const struct cb_strv *tags, const struct oci_registry_opts *reg,
                  struct cb_err **err)
{
    struct cb_strv dests = CB_STRV_INIT;
    struct oci_push_result res;
    int rc = 0;

    for (size_t i = 0; i < tags->n && rc == 0; i++) {
        char *n = oci_store_normalize_name(tags->v[i], err);
        if (!n)
            rc = cb_wrap(err, "tag '%s'", tags->v[i]);
        else
            cb_strv_push_take(&dests, n);
    }
    if (rc == 0) {
        struct oci_push_req req = {
            .dests = (const char *const *)dests.v, .n_dests = dests.n, .reg = *reg};
        rc = oci_push(oci_store_layout_peek(s), desc, &req, &res, err);
    }
    cb_strv_release(&dests);
    return rc;
}
