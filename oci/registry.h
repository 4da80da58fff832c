/* registry.h - a client for one repository on a registry, speaking the OCI
 * distribution API (vendor-docs/distribution.md) over libcurl.
 *
 * The client probes GET /v2/ once, lets the WWW-Authenticate challenge pick
 * Basic or Bearer (auth.h), retries 429/5xx and broken connections with a
 * bounded exponential backoff, follows redirects itself (Authorization is
 * only ever sent to the registry's own origin, so S3 presigned URLs get
 * none) and resumes broken blob downloads with Range.  Every operation is
 * safe to call from several threads at once (one curl handle per call, a
 * shared connection cache).
 *
 * TLS: system CAs plus $CBUILD_CERTS_D/HOST/ *.crt (default
 * /etc/docker/certs.d), client.cert/client.key pairs from the same
 * directory.  A host in opts.insecure, or tls_verify false, is tried over
 * https without verification, then over plain http.
 */
#ifndef CBUILD_OCI_REGISTRY_H
#define CBUILD_OCI_REGISTRY_H

#include <signal.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "digest.h"
#include "sink.h"
#include "../base/buf.h"
#include "../base/error.h"
#include "../base/progress.h"

/* The Accept header of every manifest GET/HEAD: OCI and Docker, manifests
 * and indexes (distribution-spec; ECR converts on a narrower Accept). */
#define OCI_REGISTRY_ACCEPT                                                                        \
    "application/vnd.oci.image.manifest.v1+json, application/vnd.oci.image.index.v1+json, "        \
    "application/vnd.docker.distribution.manifest.v2+json, "                                       \
    "application/vnd.docker.distribution.manifest.list.v2+json"

struct oci_registry_opts {
    bool tls_verify_off;         /* --tls-verify=false for this registry */
    const char *const *insecure; /* NULL-terminated insecure hosts, or NULL */
    const char *certs_dir;       /* NULL: $CBUILD_CERTS_D or /etc/docker/certs.d */
    int retries;                 /* retries after the first try; < 0 = default 4 */
    long retry_base_ms;          /* first backoff; 0 = $CBUILD_RETRY_BASE_MS or 200 */
    size_t chunk_size;           /* > 0: chunked uploads (PATCH) of this size */
    const char *username;        /* explicit credentials (login), or NULL */
    const char *password;
    const volatile sig_atomic_t *cancel; /* set by the CLI's SIGINT handler */
    const struct cb_progress *progress;  /* CB_PROGRESS_BYTES per blob, or NULL */
    int progress_step;
};

struct oci_registry;

/* A client for registry (as in a reference: "docker.io", "host:port") and
 * repository ("library/busybox").  No network I/O happens here. */
struct oci_registry *oci_registry_new(const char *registry, const char *repository,
                                      const struct oci_registry_opts *opts, struct cb_err **err);
void oci_registry_free(struct oci_registry *r);
static inline void oci_registry_freep(struct oci_registry **r)
{
    oci_registry_free(*r);
    *r = NULL;
}
#define cleanup_registry __attribute__((cleanup(oci_registry_freep)))

/* Ask for push access (scope "repository:R:pull,push") from now on. */
void oci_registry_want_push(struct oci_registry *r);
/* Also ask for pull access on another repository of the same registry
 * (cross-repository mounts). */
void oci_registry_add_scope_repo(struct oci_registry *r, const char *repository);

/* GET /v2/ through the challenge flow; with credentials in opts this
 * verifies them (login).  CB_EAUTH quotes the registry's message. */
int oci_registry_ping(struct oci_registry *r, struct cb_err **err);

/* ---------------------------------------------------------------- manifests */

struct oci_remote_doc {
    char *media_type;         /* Content-Type (parameters stripped) */
    struct oci_digest digest; /* of the bytes received */
    struct cb_buf body;       /* the bytes, exactly */
};
void oci_remote_doc_release(struct oci_remote_doc *d);

/* GET /v2/<repo>/manifests/<ref> (a tag or "sha256:..."): the bytes are
 * checked against a digest ref and against Docker-Content-Digest.
 * CB_ENOTFOUND when the registry has no such manifest or repository. */
int oci_registry_get_manifest(struct oci_registry *r, const char *ref, struct oci_remote_doc *out,
                              struct cb_err **err);
/* HEAD: *exists and (when it exists) *digest from Docker-Content-Digest
 * (unset when the registry sent none). */
int oci_registry_head_manifest(struct oci_registry *r, const char *ref, bool *exists,
                               struct oci_digest *digest, struct cb_err **err);
/* PUT /v2/<repo>/manifests/<ref> with Content-Type media_type. */
int oci_registry_put_manifest(struct oci_registry *r, const char *ref, const char *media_type,
                              const void *data, size_t len, struct cb_err **err);

/* ---------------------------------------------------------------- blobs */

/* HEAD /v2/<repo>/blobs/<digest>. */
int oci_registry_blob_exists(struct oci_registry *r, const struct oci_digest *d, bool *exists,
                             struct cb_err **err);
/* GET the blob into sink, streaming, verifying the digest (and size when
 * size >= 0) at the end: CB_EDIGEST on a mismatch (the sink then holds
 * bad bytes: the caller must not commit it).  A broken transfer is resumed
 * with Range (or restarted, skipping what the sink already has). */
int oci_registry_get_blob(struct oci_registry *r, const struct oci_digest *d, int64_t size,
                          const struct oci_sink *sink, struct cb_err **err);
/* Cross-repository mount from repository from: *mounted says whether the
 * registry did it (201); 202/401/403 are not errors (push it instead). */
int oci_registry_mount_blob(struct oci_registry *r, const struct oci_digest *d, const char *from,
                            bool *mounted, struct cb_err **err);
/* Upload size bytes read from fd (from offset 0) as blob d: POST then PUT
 * ?digest= (monolithic), or PATCH chunks when opts.chunk_size is set.
 * *sent (may be NULL) gets the body bytes sent. */
int oci_registry_push_blob(struct oci_registry *r, const struct oci_digest *d, int64_t size, int fd,
                           int64_t *sent, struct cb_err **err);

/* "registry/repository" as given (valid while r lives). */
const char *oci_registry_name_peek(const struct oci_registry *r);

#endif
