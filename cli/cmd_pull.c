/* cmd_pull.c - `cbuild pull [--platform P] [--tls-verify=false] REF`: fetch
 * an image from its registry into the local store. */
#include <stdio.h>
#include <string.h>

#include "commands.h"
#include "options.h"
#include "regcli.h"
#include "../base/cleanup.h"
#include "../oci/pull.h"
#include "../oci/store.h"
#include "../base/banned.h"

int cmd_pull(int argc, char **argv, struct cli_env *env)
{
    const char *platform = NULL, *policy = NULL;
    bool tls_verify = true, quiet = false;
    const struct cli_option opts[] = {
        {0, "platform", CLI_OPT_STRING, &platform, "OS/ARCH[/VARIANT]",
         "the platform to pull from an index (default: the host's)"},
        {0, "tls-verify", CLI_OPT_BOOL, &tls_verify, NULL,
         "verify TLS; =false allows plain http and self-signed certificates"},
        {0, "pull", CLI_OPT_STRING, &policy, "always|missing|never",
         "when to ask the registry (default always)"},
        {'q', "quiet", CLI_OPT_BOOL, &quiet, NULL, "no progress lines"},
        {0},
    };
    static const struct cli_usage u_tmpl = {"cbuild pull [OPTIONS] REF",
                                            "Pull an image from a registry into the store.", NULL};
    struct cli_usage u = u_tmpl;
    cleanup_strv_s struct cb_strv args = CB_STRV_INIT;
    cleanup_store struct oci_store *store = NULL;
    struct oci_platform plat;
    struct oci_pull_result res = {0};
    struct cli_reg reg;
    cleanup_err struct cb_err *err = NULL;
    char ds[OCI_DIGEST_STR_MAX], sz[32];
    int rc;

    u.options = opts;
    rc = cli_parse(argc, argv, &u, 0, &args);
    if (rc)
        return rc > 0 ? 0 : 2;
    if (args.n != 1)
        return cli_usage_error(&u, "expected one image reference");
    struct oci_pull_req req = {.ref = args.v[0], .policy = OCI_PULL_ALWAYS};
    if (policy && oci_pull_policy_parse(policy, &req.policy, &err) < 0)
        return cli_report(err);
    oci_platform_init(&plat);
    if (platform && oci_platform_parse(platform, &plat, &err) < 0)
        return cli_report(err);
    req.platform = platform ? &plat : NULL;
    store = oci_store_open(env->root, OCI_STORE_SHARED, &err);
    if (!store)
        return cli_report(err);
    cli_reg_init(&reg, tls_verify, quiet, stderr);
    req.reg = reg.opts;
    rc = oci_pull(oci_store_layout_peek(store), &req, &res, &err);
    cli_reg_release(&reg);
    oci_platform_release(&plat);
    if (rc < 0)
        return cli_report(err);
    printf("Digest: %s\n", oci_digest_fmt(&res.desc.digest, ds));
    if (!res.from_registry)
        printf("Status: Image is in the store: %s\n", res.name);
    else if (res.blobs_fetched)
        printf("Status: Downloaded %zu blobs (%s) for %s\n", res.blobs_fetched,
               cli_reg_bytes(res.bytes, sz, sizeof(sz)), res.name);
    else
        printf("Status: Image is up to date for %s\n", res.name);
    printf("%s\n", res.name);
    oci_pull_result_release(&res);
    return 0;
}
