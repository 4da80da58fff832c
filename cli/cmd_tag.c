/* cmd_tag.c - `cbuild tag SOURCE TARGET`: give an image in the local store
 * another name. */
#include <stdio.h>

#include "commands.h"
#include "options.h"
#include "../base/cleanup.h"
#include "../oci/store.h"
#include "../base/banned.h"

int cmd_tag(int argc, char **argv, struct cli_env *env)
{
    const struct cli_option opts[] = {{0}};
    const struct cli_usage u = {"cbuild tag SOURCE TARGET",
                                "Name an image in the store (SOURCE: name, ID or digest).", opts};
    cleanup_strv_s struct cb_strv args = CB_STRV_INIT;
    cleanup_store struct oci_store *store = NULL;
    cleanup_err struct cb_err *err = NULL;
    int rc = cli_parse(argc, argv, &u, 0, &args);

    if (rc)
        return rc > 0 ? 0 : 2;
    if (args.n != 2)
        return cli_usage_error(&u, "expected SOURCE and TARGET");
    store = oci_store_open(env->root, OCI_STORE_SHARED, &err);
    if (!store || oci_store_tag(store, args.v[0], args.v[1], &err) < 0)
        return cli_report(err);
    return 0;
}
