/* auth.h - registry authentication: WWW-Authenticate challenges, Bearer
 * tokens (cached per scope set, refreshed on expiry) and Basic credentials
 * (found through creds.h).  An oci_auth is shared by the threads of one
 * registry client; it is internally locked.
 */
#ifndef CBUILD_OCI_AUTH_H
#define CBUILD_OCI_AUTH_H

#include <stdbool.h>

#include "../base/buf.h"
#include "../base/error.h"
#include "creds.h"

enum oci_auth_scheme {
    OCI_AUTH_NONE = 0,
    OCI_AUTH_BASIC,
    OCI_AUTH_BEARER,
};

struct oci_challenge {
    enum oci_auth_scheme scheme;
    char *realm;
    char *service;
    char *scope; /* space-separated scopes, or NULL */
    char *error; /* "invalid_token", "insufficient_scope", or NULL */
};

/* Parse one WWW-Authenticate value (RFC 7235; several challenges allowed,
 * the first Bearer or Basic wins).  Returns 0, or -1 when there is none. */
int oci_challenge_parse(const char *header, struct oci_challenge *out);
void oci_challenge_release(struct oci_challenge *c);

/* The HTTP request an oci_auth makes to a token endpoint: GET url (or POST
 * post_form as application/x-www-form-urlencoded when not NULL) with the
 * given Authorization value (or none).  The reply body goes to body. */
typedef int (*oci_auth_http_fn)(void *userdata, const char *url, const char *authorization,
                                const char *post_form, struct cb_buf *body, long *status,
                                struct cb_err **err);

struct oci_auth;

struct oci_auth *oci_auth_new(const char *registry, const char *repository, oci_auth_http_fn http,
                              void *userdata);
void oci_auth_free(struct oci_auth *a);

/* Use these credentials instead of looking them up (login). */
void oci_auth_set_creds(struct oci_auth *a, const char *username, const char *password);
/* Whether credentials are known (looked up lazily on first use). */
bool oci_auth_has_creds(struct oci_auth *a);

/* The Authorization value for a request needing scope ("repository:a/b:pull
 * repository:c:pull"), or NULL before any challenge / for anonymous access.
 * May fetch a token (when the cached one expired). */
int oci_auth_header(struct oci_auth *a, const char *scope, char **out, struct cb_err **err);

/* A 401 arrived carrying www_authenticate (may be NULL).  had_auth says
 * whether the request carried an Authorization.  Returns 1 when a retry may
 * succeed (a new scheme, a new token), 0 when it cannot. */
int oci_auth_on_unauthorized(struct oci_auth *a, const char *www_authenticate, const char *scope,
                             bool had_auth, struct cb_err **err);

/* A 403 "token expired" (ECR): look the credentials up again once.  Returns
 * 1 when new credentials were obtained, 0 when already refreshed. */
int oci_auth_on_expired(struct oci_auth *a, struct cb_err **err);

/* Forget the credentials and go on anonymously (once): ECR Public answers
 * 403 to a stale stored credential even for public images.  Returns 1 when
 * there were credentials to drop, 0 otherwise. */
int oci_auth_go_anonymous(struct oci_auth *a);

/* Counters for tests: tokens fetched. */
unsigned oci_auth_token_fetches(struct oci_auth *a);

#endif
