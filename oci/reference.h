/* reference.h - image references: [host[:port]/]path[:tag][@sha256:hex].
 *
 * Follows docker's grammar (distribution/reference): the first path element
 * is a registry host when it holds a '.' or ':' or is "localhost"; otherwise
 * the image lives on Docker Hub ("docker.io", single names get "library/").
 * Path components are lowercase [a-z0-9] runs joined by '.', '_', '__' or
 * '-'+; a tag is [A-Za-z0-9_][A-Za-z0-9_.-]{0,127}; a digest is sha256.
 */
#ifndef CBUILD_OCI_REFERENCE_H
#define CBUILD_OCI_REFERENCE_H

#include <stdbool.h>

#include "digest.h"
#include "../base/error.h"

#define OCI_REF_DOCKER_HUB "docker.io"
#define OCI_REF_DOCKER_HUB_ENDPOINT "registry-1.docker.io"
#define OCI_REF_NAME_MAX 255

struct oci_ref {
    char *registry;           /* "docker.io", "127.0.0.1:5000", "localhost" */
    char *repository;         /* "library/busybox" */
    char *tag;                /* NULL when only a digest was given */
    struct oci_digest digest; /* algo OCI_DIGEST_NONE when absent */
};

/* Parse s; with neither tag nor digest the tag is "latest".  Errors are
 * CB_EINVAL and quote s: "invalid reference 'X': repository name must be
 * lowercase". */
int oci_ref_parse(const char *s, struct oci_ref *out, struct cb_err **err);

/* Parse "host[:port]/path" with no tag or digest allowed (push targets'
 * repository, login hosts are handled by oci_ref_host_valid). */
int oci_ref_parse_repo(const char *s, struct oci_ref *out, struct cb_err **err);

/* Whether host looks like a registry host ("name[.name][:port]", IPv4,
 * "[v6]:port", "localhost"). */
bool oci_ref_host_valid(const char *host);

void oci_ref_release(struct oci_ref *r);
void oci_ref_copy(struct oci_ref *dst, const struct oci_ref *src);
static inline void oci_ref_releasep(struct oci_ref *r)
{
    oci_ref_release(r);
}
#define cleanup_ref __attribute__((cleanup(oci_ref_releasep)))

/* Full normalised form: "docker.io/library/busybox:latest",
 * "host/repo@sha256:...", "host/repo:tag@sha256:...". */
char *oci_ref_str(const struct oci_ref *r);
/* "registry/repository" only. */
char *oci_ref_name(const struct oci_ref *r);
/* The tag, or the digest string when there is no tag; into buf
 * (OCI_DIGEST_STR_MAX bytes or more); returns the text. */
const char *oci_ref_object(const struct oci_ref *r, char *buf);

/* The host to connect to: docker.io -> registry-1.docker.io. */
const char *oci_ref_endpoint(const char *registry);
/* The key docker's config.json uses for this registry
 * (docker.io -> "https://index.docker.io/v1/"). */
const char *oci_ref_config_key(const char *registry);
/* Normalise a host a user typed for login/logout: strips "https://",
 * a trailing "/v1/" or "/", maps index.docker.io and registry-1.docker.io
 * to docker.io.  Returns a new string or NULL (CB_EINVAL) if invalid. */
char *oci_ref_normalize_host(const char *s, struct cb_err **err);

#endif
