/* cmd_rmi.c - `cbuild rmi [-f] IMAGE...`: remove names (or, by ID or
 * digest, whole images) from the local store; `cbuild prune` frees the
 * space. */
#include <stdio.h>

#include "commands.h"
#include "options.h"
#include "../base/cleanup.h"
#include "../oci/store.h"
#include "../base/banned.h"

int cmd_rmi(int argc, char **argv, struct cli_env *env)
{
    bool force = false;
    const struct cli_option opts[] = {
        {'f', "force", CLI_OPT_BOOL, &force, NULL,
         "remove an image given by ID even when it has several names"},
        {0},
    };
    const struct cli_usage u = {"cbuild rmi [OPTIONS] IMAGE...", "Remove images from the store.",
                                opts};
    cleanup_strv_s struct cb_strv args = CB_STRV_INIT;
    cleanup_store struct oci_store *store = NULL;
    cleanup_err struct cb_err *err = NULL;
    int rc = cli_parse(argc, argv, &u, 0, &args), status = 0;

    if (rc)
        return rc > 0 ? 0 : 2;
    if (!args.n)
        return cli_usage_error(&u, "expected at least one image");
    store = oci_store_open(env->root, OCI_STORE_SHARED, &err);
    if (!store)
        return cli_report(err);
    for (size_t i = 0; i < args.n; i++) {
        struct cb_strv removed = CB_STRV_INIT;
        if (oci_store_remove(store, args.v[i], force, &removed, &err) < 0) {
            status = cli_report(err);
            cb_err_free(err);
            err = NULL;
        }
        for (size_t k = 0; k < removed.n; k++)
            printf("Untagged: %s\n", removed.v[k]);
        cb_strv_release(&removed);
    }
    return status;
}
