/* regjson.h - the registry client's JSON codec: distribution error bodies,
 * token replies, credential-helper messages and credential files (docker's
 * config.json, containers' auth.json).  jansson stays inside regjson.c;
 * registry.c and auth.c see only C strings and structs.
 */
#ifndef CBUILD_OCI_REGJSON_H
#define CBUILD_OCI_REGJSON_H

#include <stdbool.h>
#include <stddef.h>

#include "../base/error.h"

/* A distribution error body ({"errors":[{"code","message","detail"}]}) as
 * one line: "CODE: message; CODE2: message2".  Returns NULL when the body is
 * not such a document.  *first_code (when not NULL) gets the first code or
 * NULL. */
char *oci_regjson_errors(const char *body, size_t len, char **first_code);

/* A token endpoint reply: "token" or "access_token" (either), "expires_in"
 * (0 when absent), "refresh_token" (NULL when absent). */
int oci_regjson_token(const char *body, size_t len, char **token, long *expires_in,
                      char **refresh_token, struct cb_err **err);

/* Credential helper "get" output {"ServerURL","Username","Secret"}. */
int oci_regjson_helper_parse(const char *body, size_t len, char **username, char **secret,
                             struct cb_err **err);
/* Credential helper "store" input. */
char *oci_regjson_helper_input(const char *server, const char *username, const char *secret);

/* A credential file (config.json or auth.json), editable in place: fields
 * this codec does not know are kept when it is saved. */
struct oci_authfile;

struct oci_authfile_entry {
    const char *auth;          /* base64 "user:password", or NULL */
    const char *identitytoken; /* OAuth2 refresh token, or NULL */
    const char *registrytoken; /* bearer token to use directly, or NULL */
    const char *username;      /* some files hold these in the clear */
    const char *password;
};

/* Load path; a missing file gives an empty document.  Malformed JSON is
 * CB_EINVAL naming the file. */
struct oci_authfile *oci_authfile_load(const char *path, struct cb_err **err);
/* The same from text (e.g. $DOCKER_AUTH_CONFIG); what names it in errors. */
struct oci_authfile *oci_authfile_parse(const char *text, size_t len, const char *what,
                                        struct cb_err **err);
void oci_authfile_free(struct oci_authfile *f);
static inline void oci_authfile_freep(struct oci_authfile **f)
{
    oci_authfile_free(*f);
    *f = NULL;
}
#define cleanup_authfile __attribute__((cleanup(oci_authfile_freep)))

/* Whether the file existed when loaded. */
bool oci_authfile_exists(const struct oci_authfile *f);
/* credHelpers[key] / credsStore, or NULL (borrowed until the file is freed). */
const char *oci_authfile_helper(const struct oci_authfile *f, const char *key);
const char *oci_authfile_creds_store(const struct oci_authfile *f);
/* Fill e from auths[key]; false when absent.  Strings are borrowed. */
bool oci_authfile_get(const struct oci_authfile *f, const char *key, struct oci_authfile_entry *e);
/* The auths keys, NULL-terminated (free with the strv cleanup). */
char **oci_authfile_keys(const struct oci_authfile *f);
/* Set auths[key] = {"auth": auth_b64}, replacing what was there. */
void oci_authfile_set(struct oci_authfile *f, const char *key, const char *auth_b64);
/* Remove auths[key]; returns whether it was there. */
bool oci_authfile_remove(struct oci_authfile *f, const char *key);
/* Write atomically with mode 0600, creating the directory (0700). */
int oci_authfile_save(const struct oci_authfile *f, const char *path, struct cb_err **err);

#endif
