/* creds.h - where registry credentials come from and go to: docker's
 * config.json (auths with base64 "auth", identitytoken, registrytoken,
 * credsStore, credHelpers), containers' auth.json ($REGISTRY_AUTH_FILE,
 * $XDG_RUNTIME_DIR/containers/auth.json, $XDG_CONFIG_HOME/containers/auth.json)
 * and docker-credential-<name> helpers (get/store/erase protocol).
 */
#ifndef CBUILD_OCI_CREDS_H
#define CBUILD_OCI_CREDS_H

#include <stdbool.h>
#include <stddef.h>

#include "../base/error.h"

struct oci_creds {
    char *username;
    char *password;
    char *identity_token; /* OAuth2 refresh token (username "<token>") */
    char *registry_token; /* used directly as Bearer */
    char *helper;         /* the credential helper that gave them, or NULL */
    char *source;         /* where they came from, for messages */
};
void oci_creds_release(struct oci_creds *c);

/* Find credentials for registry (and repository, for auth.json's namespace
 * keys).  Returns 1 when found, 0 when there are none, < 0 on error (a
 * malformed file, a failing helper). */
int oci_creds_lookup(const char *registry, const char *repository, struct oci_creds *out,
                     struct cb_err **err);

/* Store credentials: in the credsStore helper when config.json names one,
 * else in config.json (mode 0600, atomic).  *where (optional) says which. */
int oci_creds_store(const char *registry, const char *username, const char *password, char **where,
                    struct cb_err **err);
/* Remove stored credentials; *found says whether there were any. */
int oci_creds_erase(const char *registry, bool *found, struct cb_err **err);

/* docker's config.json path ($DOCKER_CONFIG/config.json or ~/.docker/...). */
char *oci_docker_config_path(void);

/* Base64 helpers (OpenSSL underneath). */
char *oci_base64_encode(const void *data, size_t len);
/* Decoded text, NUL-terminated, or NULL when s is not base64. */
char *oci_base64_decode(const char *s, size_t *len);

#endif
