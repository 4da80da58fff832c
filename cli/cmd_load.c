/* cmd_load.c - `cbuild load -i PATH [-t NAME]`: copy the images of an OCI
 * archive, a docker archive or an OCI layout directory into the local store
 * (the kind is told from the content). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "commands.h"
#include "options.h"
#include "../base/cleanup.h"
#include "../base/xalloc.h"
#include "../oci/export.h"
#include "../oci/store.h"
#include "../base/banned.h"

/* A ref.name that is only a tag ("latest", "v1.0") names no repository. */
static bool bare_tag(const char *name)
{
    return !strchr(name, '/') && !strchr(name, ':') && !strchr(name, '@');
}

/* skopeo's "oci:PATH[:REF]", "oci-archive:PATH[:REF]" and
 * "docker-archive:PATH[:REF]" → the path (allocated) and *ref (into in, or
 * NULL); anything else is a plain path. */
static char *split_transport(const char *in, const char **ref)
{
    static const char *const prefixes[] = {"oci:", "oci-archive:", "docker-archive:"};
    const char *colon;

    *ref = NULL;
    for (size_t i = 0; i < sizeof(prefixes) / sizeof(prefixes[0]); i++) {
        size_t n = strlen(prefixes[i]);
        if (strncmp(in, prefixes[i], n))
            continue;
        colon = strchr(in + n, ':');
        if (colon && colon[1])
            *ref = colon + 1;
        return colon ? xstrndup(in + n, (size_t)(colon - in - n)) : xstrdup(in + n);
    }
    return xstrdup(in);
}

static int name_images(struct oci_store *store, const struct oci_import_result *res,
                       const char *tag, struct cb_err **err)
{
    char ds[OCI_DIGEST_STR_MAX];

    for (size_t i = 0; i < res->n; i++) {
        const char *name = tag ? tag : res->images[i].name;
        if (name && !tag && bare_tag(name))
            name = NULL;
        if (oci_store_add(store, name, &res->images[i].desc, err) < 0)
            return cb_err_rc(err);
        if (name) {
            char *norm = oci_store_normalize_name(name, NULL);
            printf("Loaded image: %s\n", norm ? norm : name);
            free(norm);
        } else {
            printf("Loaded image ID: %s\n", oci_digest_fmt(&res->images[i].desc.digest, ds));
            if (res->images[i].name)
                fprintf(stderr, "note: '%s' is only a tag; use --tag NAME to name the image\n",
                        res->images[i].name);
        }
    }
    return 0;
}

int cmd_load(int argc, char **argv, struct cli_env *env)
{
    const char *input = NULL, *tag = NULL;
    const struct cli_option opts[] = {
        {'i', "input", CLI_OPT_STRING, &input, "PATH",
         "an OCI archive, a docker archive, or an OCI layout directory; "
         "oci:PATH:REF, oci-archive:PATH:REF or docker-archive:PATH:REF picks one image"},
        {'t', "tag", CLI_OPT_STRING, &tag, "NAME", "name the loaded image (one image only)"},
        {0},
    };
    const struct cli_usage u = {"cbuild load -i PATH [OPTIONS]",
                                "Load images from an archive or layout into the store.", opts};
    cleanup_strv_s struct cb_strv args = CB_STRV_INIT;
    cleanup_store struct oci_store *store = NULL;
    struct oci_import_result res = {0};
    cleanup_free char *path = NULL;
    const char *ref;
    cleanup_err struct cb_err *err = NULL;
    int rc = cli_parse(argc, argv, &u, 0, &args);

    if (rc)
        return rc > 0 ? 0 : 2;
    if (args.n)
        return cli_usage_error(&u, "unexpected argument '%s'", args.v[0]);
    if (!input || !*input)
        return cli_usage_error(&u, "-i PATH is required");
    path = split_transport(input, &ref);
    store = oci_store_open(env->root, OCI_STORE_SHARED, &err);
    if (!store || oci_import_ref(oci_store_layout_peek(store), path, ref, oci_store_tmp_peek(store),
                                 &res, &err) < 0)
        return cli_report(err);
    if (tag && res.n != 1) {
        oci_import_result_release(&res);
        return cli_usage_error(&u, "--tag needs exactly one image; '%s' holds %zu", input, res.n);
    }
    rc = name_images(store, &res, tag, &err);
    oci_import_result_release(&res);
    return rc < 0 ? cli_report(err) : 0;
}
