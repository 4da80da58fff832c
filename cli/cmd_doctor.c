/* cmd_doctor.c - `cbuild doctor [--format text|json] [--strict] [--exec] IMAGE` and
 * `cbuild doctor --fixup=LIST IMAGE -t NEWNAME`: check an image of the store
 * for runtime traps (builder/doctor/doctor.h), or apply fixups to it as one
 * extra layer (builder/doctor/fixup.h) and check the result. */
#include <stdio.h>
#include <string.h>

#include "commands.h"
#include "options.h"
#include "../base/cleanup.h"
#include "../builder/doctor/doctor.h"
#include "../builder/doctor/fixup.h"
#include "../builder/runimage.h"
#include "../oci/store.h"
#include "../base/banned.h"

struct doctor_args {
    const char *format;
    const char *fixup;
    const char *tag;
    bool strict;
    bool exec;
    struct oci_store *store;
    const char *image;
};

static void collect(void *userdata, const char *data, size_t len)
{
    cb_buf_add(userdata, data, len, NULL); /* bounded: the rest is dropped */
}

/* --exec: run argv in the image as it starts (USER, ENV, WORKDIR). */
static int run_probe(void *userdata, char *const *argv, size_t argc, int *status,
                     struct cb_buf *out, struct cb_err **err)
{
    const struct doctor_args *a = userdata;
    struct bld_run_image_opts o = {.image = a->image,
                                   .entrypoint = "",
                                   .args = argv,
                                   .n_args = argc,
                                   .network = 1,
                                   .cancel_fd = -1,
                                   .output = collect,
                                   .output_data = out};
    return bld_run_image(a->store, &o, status, err);
}

static int fixup(struct oci_store *store, const char *image, const struct doctor_args *a,
                 struct cb_err **err)
{
    cleanup_fixup_plan struct bld_fixup_plan plan = {0};
    unsigned which;

    bld_fixup_plan_init(&plan);
    if (bld_fixup_parse(a->fixup, &which, err) < 0)
        return cb_wrap(err, "--fixup");
    if (bld_fixup_image(store, image, which, a->tag, &plan, err) < 0)
        return cb_err_rc(err);
    for (size_t i = 0; i < plan.notes.n; i++)
        fprintf(stderr, "fixup: %s\n", plan.notes.v[i]);
    if (!plan.changed)
        fprintf(stderr, "fixup: nothing to change\n");
    return 0;
}

static int report(const struct bld_findings *f, bool json, struct cb_err **err)
{
    cleanup_buf struct cb_buf out = {0};

    cb_buf_init(&out, CB_BUF_LIMIT_DEFAULT);
    if ((json ? bld_findings_json(f, &out, err) : bld_findings_text(f, &out, err)) < 0)
        return cb_err_rc(err);
    if (out.len)
        fwrite(out.data, 1, out.len, stdout);
    return 0;
}

int cmd_doctor(int argc, char **argv, struct cli_env *env)
{
    struct doctor_args a = {.format = "text"};
    const struct cli_option opts[] = {
        {0, "format", CLI_OPT_STRING, &a.format, "text|json", "output format (default text)"},
        {0, "strict", CLI_OPT_BOOL, &a.strict, NULL, "exit 1 on warnings too"},
        {0, "fixup", CLI_OPT_STRING, &a.fixup, "LIST",
         "apply fixups (home,userbase,path,ownership or all) as a new image; needs -t"},
        {'t', "tag", CLI_OPT_STRING, &a.tag, "NAME", "name of the fixed-up image"},
        {0, "exec", CLI_OPT_BOOL, &a.exec, NULL, "confirm findings by running probes in the image"},
        {0},
    };
    const struct cli_usage u = {"cbuild doctor [OPTIONS] IMAGE",
                                "Check an image for runtime traps (user, HOME, PATH, Python and "
                                "Node setup, ownership, secrets); optionally fix them up.",
                                opts};
    cleanup_strv_s struct cb_strv args = CB_STRV_INIT;
    cleanup_store struct oci_store *store = NULL;
    cleanup_findings struct bld_findings f = {0};
    struct bld_doctor_opts o = {0};
    cleanup_err struct cb_err *err = NULL;
    int rc = cli_parse(argc, argv, &u, 0, &args);

    if (rc)
        return rc > 0 ? 0 : 2;
    if (args.n != 1)
        return cli_usage_error(&u, "expected one IMAGE");
    if (strcmp(a.format, "text") && strcmp(a.format, "json"))
        return cli_usage_error(&u, "--format: expected text or json, got '%s'", a.format);
    if (!a.fixup != !a.tag)
        return cli_usage_error(&u, a.fixup ? "--fixup needs -t NEWNAME" : "-t needs --fixup");
    store = oci_store_open(env->root, OCI_STORE_SHARED, &err);
    if (!store)
        return cli_report(err);
    if (a.fixup && fixup(store, args.v[0], &a, &err) < 0)
        return cli_report(err);
    bld_findings_init(&f);
    a.store = store;
    a.image = a.fixup ? a.tag : args.v[0];
    o.exec = a.exec ? run_probe : NULL;
    o.exec_data = &a;
    if (bld_doctor_image(store, a.image, &o, &f, &err) < 0 ||
        report(&f, !strcmp(a.format, "json"), &err) < 0)
        return cli_report(err);
    return bld_findings_status(&f, a.strict);
}
