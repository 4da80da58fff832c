/* cmd_save.c - `cbuild save -o FILE [--format oci|docker|oci-dir|rootfs]
 * IMAGE...`: write images from the local store to an OCI archive (default),
 * a docker-archive tar for `docker load`, an OCI layout directory, or one
 * image's root filesystem as a directory. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "commands.h"
#include "options.h"
#include "../base/cleanup.h"
#include "../base/xalloc.h"
#include "../oci/export.h"
#include "../oci/store.h"
#include "../base/banned.h"

/* The tag of "host/repo:tag" (what docker puts in ref.name), or NULL. */
static const char *tag_of(const char *name)
{
    const char *slash = name ? strrchr(name, '/') : NULL;
    const char *colon = name ? strrchr(slash ? slash : name, ':') : NULL;
    return colon && !strchr(name, '@') ? colon + 1 : NULL;
}

static void items_free(struct oci_export_item *items, char **names, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        oci_descriptor_release(&items[i].desc);
        free(names[i]);
    }
    free(items);
    free(names);
}

int cmd_save(int argc, char **argv, struct cli_env *env)
{
    const char *output = NULL, *format = "oci", *platform = NULL;
    const struct cli_option opts[] = {
        {'o', "output", CLI_OPT_STRING, &output, "FILE", "where to write ('-' for stdout)"},
        {0, "format", CLI_OPT_STRING, &format, "oci|docker|oci-dir|rootfs",
         "OCI archive (default), docker-archive, OCI layout directory, or the image's root "
         "filesystem as a directory"},
        {0, "platform", CLI_OPT_STRING, &platform, "OS/ARCH[/VARIANT]",
         "for docker archives: which manifest of a multi-platform image"},
        {0},
    };
    const struct cli_usage u = {"cbuild save -o FILE [OPTIONS] IMAGE...",
                                "Write images from the store to an archive or layout.", opts};
    cleanup_strv_s struct cb_strv args = CB_STRV_INIT;
    cleanup_store struct oci_store *store = NULL;
    struct oci_export_req req = {0};
    struct oci_export_item *items;
    struct oci_platform plat;
    cleanup_err struct cb_err *err = NULL;
    char **names;
    int rc = cli_parse(argc, argv, &u, 0, &args);

    if (rc)
        return rc > 0 ? 0 : 2;
    if (!args.n)
        return cli_usage_error(&u, "expected at least one image");
    if (!output || !*output)
        return cli_usage_error(&u, "-o FILE is required");
    if (oci_export_format_parse(format, &req.format, &err) < 0)
        return cli_report(err);
    bool is_dir = req.format == OCI_EXPORT_LAYOUT || req.format == OCI_EXPORT_ROOTFS;
    if (!strcmp(output, "-") && (is_dir || isatty(STDOUT_FILENO)))
        return cli_usage_error(&u, "refusing to write %s to %s", format,
                               is_dir ? "stdout" : "a terminal");
    oci_platform_init(&plat);
    if (platform && oci_platform_parse(platform, &plat, &err) < 0)
        return cli_report(err);
    store = oci_store_open(env->root, OCI_STORE_SHARED, &err);
    if (!store)
        return cli_report(err);
    items = xcalloc(args.n, sizeof(*items));
    names = xcalloc(args.n, sizeof(*names));
    for (size_t i = 0; rc >= 0 && i < args.n; i++) {
        rc = oci_store_resolve(store, args.v[i], &items[i].desc, &names[i], &err);
        items[i].image_name = names[i];
        items[i].ref_name = tag_of(names[i]);
    }
    req.dest = output;
    req.items = items;
    req.n_items = args.n;
    req.platform = platform ? &plat : NULL;
    req.merge = req.format == OCI_EXPORT_LAYOUT;
    if (rc >= 0)
        rc = oci_export(oci_store_layout_peek(store), &req, &err);
    items_free(items, names, args.n);
    oci_platform_release(&plat);
    return rc < 0 ? cli_report(err) : 0;
}
