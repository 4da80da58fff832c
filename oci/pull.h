/* pull.h - bring an image from a registry into a layout (normally the local
 * store's): the manifest (or index, then the platform's manifest), the
 * config and the layers, streamed and verified, several blobs at once; the
 * image is then named in index.json by its full reference.  This is what
 * `cbuild pull`, FROM and COPY --from call.
 */
#ifndef CBUILD_OCI_PULL_H
#define CBUILD_OCI_PULL_H

#include <stdbool.h>
#include <stdint.h>

#include "image.h"
#include "layout.h"
#include "registry.h"
#include "../base/error.h"

enum oci_pull_policy {
    OCI_PULL_MISSING = 0, /* use the local image when there is one (no network I/O) */
    OCI_PULL_ALWAYS,      /* always ask the registry (blobs present are not fetched again) */
    OCI_PULL_NEVER,       /* local only; a missing image is an error naming the reference */
};

/* "missing", "always", "never" (also docker's "true"/"false"). */
int oci_pull_policy_parse(const char *s, enum oci_pull_policy *out, struct cb_err **err);

struct oci_pull_req {
    const char *ref;                     /* as typed: "busybox", "host:5000/a/b:t@sha256:..." */
    const struct oci_platform *platform; /* NULL = the host's */
    enum oci_pull_policy policy;
    struct oci_registry_opts reg; /* TLS, retries, cancel flag, progress */
    int parallel;                 /* blobs at once; 0 = 4 */
};

struct oci_pull_result {
    char *name;                     /* full reference it is stored under */
    struct oci_descriptor desc;     /* the stored top-level manifest or index */
    struct oci_descriptor manifest; /* the platform's manifest (== desc for a manifest) */
    bool from_registry;             /* false: found locally, nothing fetched */
    int64_t bytes;                  /* blob bytes downloaded */
    size_t blobs_fetched, blobs_present;
};

void oci_pull_result_release(struct oci_pull_result *r);

/* Pull req->ref into l and tag it with its full name (see store.h); on
 * failure out holds nothing (no release needed).  With
 * OCI_PULL_NEVER and no local image: CB_ENOTFOUND "image 'REF' not found
 * locally (--pull=never)". */
int oci_pull(struct oci_layout *l, const struct oci_pull_req *req, struct oci_pull_result *out,
             struct cb_err **err);

#endif
