/* cmd_push.c - `cbuild push [OPTIONS] IMAGE [DEST...]`: send an image from
 * the local store to its registry (or to each DEST), blobs once, then one
 * manifest PUT per tag. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "commands.h"
#include "options.h"
#include "regcli.h"
#include "../base/cleanup.h"
#include "../oci/push.h"
#include "../oci/store.h"
#include "../base/banned.h"

int cmd_push(int argc, char **argv, struct cli_env *env)
{
    bool tls_verify = true, quiet = false;
    long chunk = 0, jobs = 0;
    const char *mount_from = NULL;
    const struct cli_option opts[] = {
        {0, "tls-verify", CLI_OPT_BOOL, &tls_verify, NULL,
         "verify TLS; =false allows plain http and self-signed certificates"},
        {0, "chunk-size", CLI_OPT_INT, &chunk, "BYTES",
         "upload blobs in PATCH chunks of this size (default: whole blobs)"},
        {'j', "jobs", CLI_OPT_INT, &jobs, "N", "blobs uploaded at once (default 4)"},
        {0, "mount-from", CLI_OPT_STRING, &mount_from, "HOST/REPO",
         "a repository holding the blobs (cross-repo mount; default: the image's own)"},
        {'q', "quiet", CLI_OPT_BOOL, &quiet, NULL, "no progress lines"},
        {0},
    };
    static const struct cli_usage u_tmpl = {
        "cbuild push [OPTIONS] IMAGE [DEST...]",
        "Push an image from the store to a registry, under its name or each DEST.", NULL};
    struct cli_usage u = u_tmpl;
    cleanup_strv_s struct cb_strv args = CB_STRV_INIT;
    cleanup_store struct oci_store *store = NULL;
    cleanup_free char *name = NULL;
    struct oci_descriptor desc;
    struct oci_push_result res;
    struct cli_reg reg;
    cleanup_err struct cb_err *err = NULL;
    char ds[OCI_DIGEST_STR_MAX], sz[32];
    int rc;

    u.options = opts;
    rc = cli_parse(argc, argv, &u, 0, &args);
    if (rc)
        return rc > 0 ? 0 : 2;
    if (args.n < 1)
        return cli_usage_error(&u, "expected an image");
    if (chunk < 0 || jobs < 0 || jobs > 64)
        return cli_usage_error(&u, "--chunk-size and --jobs must be positive (jobs at most 64)");
    store = oci_store_open(env->root, OCI_STORE_SHARED, &err);
    if (!store)
        return cli_report(err);
    if (oci_store_resolve(store, args.v[0], &desc, &name, &err) < 0)
        return cli_report(err);
    if (args.n == 1 && !name) {
        oci_descriptor_release(&desc);
        return cli_usage_error(&u, "'%s' names no repository: give a DEST", args.v[0]);
    }
    const char *const *dests =
        args.n > 1 ? (const char *const *)args.v + 1 : (const char *const *)&name;
    if (!mount_from && name)
        mount_from = name; /* its repository, when the registry is the same */
    cli_reg_init(&reg, tls_verify, quiet, stderr);
    reg.opts.chunk_size = (size_t)chunk;
    struct oci_push_req req = {.dests = dests,
                               .n_dests = args.n > 1 ? args.n - 1 : 1,
                               .reg = reg.opts,
                               .parallel = (int)jobs,
                               .mount_from = mount_from};
    rc = oci_push(oci_store_layout_peek(store), &desc, &req, &res, &err);
    cli_reg_release(&reg);
    oci_descriptor_release(&desc);
    if (rc < 0)
        return cli_report(err);
    printf("Digest: %s\n", oci_digest_fmt(&res.digest, ds));
    printf("Blobs: %zu uploaded (%s), %zu already present, %zu mounted; tags: %zu pushed, %zu "
           "unchanged\n",
           res.blobs_uploaded, cli_reg_bytes(res.bytes_sent, sz, sizeof(sz)), res.blobs_present,
           res.blobs_mounted, res.tags_pushed, res.tags_unchanged);
    return 0;
}
