/* cmd_inspect.c - `cbuild inspect [--platform P] IMAGE...`: print the
 * manifest and config of images in the local store as JSON. */
#include <stdio.h>

#include "commands.h"
#include "options.h"
#include "../base/cleanup.h"
#include "../oci/store.h"
#include "../base/banned.h"

int cmd_inspect(int argc, char **argv, struct cli_env *env)
{
    const char *platform = NULL;
    const struct cli_option opts[] = {
        {0, "platform", CLI_OPT_STRING, &platform, "OS/ARCH[/VARIANT]",
         "which manifest of a multi-platform image (default: the host's)"},
        {0},
    };
    const struct cli_usage u = {"cbuild inspect [OPTIONS] IMAGE...",
                                "Show the manifest and config of images in the store.", opts};
    cleanup_strv_s struct cb_strv args = CB_STRV_INIT;
    cleanup_store struct oci_store *store = NULL;
    cleanup_buf struct cb_buf out = {0};
    struct oci_platform plat;
    cleanup_err struct cb_err *err = NULL;
    int rc = cli_parse(argc, argv, &u, 0, &args);

    if (rc)
        return rc > 0 ? 0 : 2;
    if (!args.n)
        return cli_usage_error(&u, "expected at least one image");
    oci_platform_init(&plat);
    if (platform && oci_platform_parse(platform, &plat, &err) < 0)
        return cli_report(err);
    store = oci_store_open(env->root, OCI_STORE_SHARED, &err);
    cb_buf_init(&out, CB_BUF_LIMIT_DEFAULT);
    rc = store ? oci_store_inspect_json(store, args.v, args.n, platform ? &plat : NULL, &out, &err)
               : -1;
    oci_platform_release(&plat);
    if (rc < 0)
        return cli_report(err);
    fputs(cb_buf_str(&out), stdout);
    return 0;
}
