/* registry_internal.h - what the files of the registry client share:
 * the client struct, one HTTP exchange (registry_xfer.c), the request
 * layer with auth, redirects and retries (registry.c) used by the
 * operations (registry_ops.c).  Not for use outside oci/. */
#ifndef CBUILD_OCI_REGISTRY_INTERNAL_H
#define CBUILD_OCI_REGISTRY_INTERNAL_H

#include <curl/curl.h>
#include <pthread.h>
#include <stdbool.h>
#include <stdint.h>

#include "auth.h"
#include "digest.h"
#include "registry.h"
#include "sink.h"
#include "../base/buf.h"
#include "../base/error.h"

/* The client (registry.h keeps it opaque). */
struct oci_registry {
    char *registry, *repository, *name;
    char *host; /* endpoint: docker.io -> registry-1.docker.io */
    char *base; /* "https://host" once decided */
    bool insecure, pinged;
    struct oci_registry_opts o;
    long retry_base_ms;
    int retries;
    struct oci_auth *auth;
    char *scope;
    pthread_mutex_t lock;
    CURLSH *share;
    pthread_mutex_t share_locks[CURL_LOCK_DATA_LAST];
    struct cb_buf ca; /* system CAs + certs.d/HOST/ *.crt (PEM), or empty */
    char *client_cert, *client_key;
};

struct reg_req {
    const char *method; /* "GET", "HEAD", "PUT", "POST", "PATCH", "DELETE" */
    const char *url;    /* absolute */
    bool with_auth;     /* send Authorization (only ever to the registry's origin) */
    bool follow;        /* follow 3xx redirects */
    const char *accept;
    const char *content_type;
    const char *content_range; /* PATCH chunks: "start-end" */
    /* request body: data/len, or fd_len bytes of fd from fd_off (fd >= 0) */
    bool has_body;
    const void *data;
    size_t len;
    int fd;
    int64_t fd_off;
    int64_t fd_len;
    /* 2xx response body: to sink (streamed, hashed by hasher, resumable) or
     * to body (bounded) */
    const struct oci_sink *sink;
    struct oci_hasher *hasher;
    struct cb_buf *body;
    const char *progress_what; /* item name for byte progress, or NULL */
    int64_t progress_total;
};

struct reg_resp {
    long status;
    char *location;
    char *content_type;
    char *digest; /* Docker-Content-Digest */
    char *www_auth;
    char *range;
    char *chunk_min; /* OCI-Chunk-Min-Length */
    char *retry_after;
    char *content_range;
    int64_t content_length; /* -1 when absent */
    struct cb_buf err;      /* a non-2xx body (truncated) */
    int64_t delivered;      /* bytes given to the sink so far */
    int64_t sent;           /* request body bytes sent by the last try */
};

/* One exchange in flight (registry_xfer.c). */
struct xfer {
    struct oci_registry *r;
    struct reg_req *q;
    struct reg_resp *p;
    int64_t up_off; /* request body read position */
    int64_t skip;   /* response bytes the sink already has */
    int64_t last_progress;
    struct cb_err *werr; /* the sink's error */
    bool canceled;
    bool started;                 /* the 2xx body began */
    char detail[CURL_ERROR_SIZE]; /* libcurl's own words on a failure */
};

/* One HTTP exchange of x->q to url, no redirects followed; verify TLS
 * unless told not to.  x->p gets the response. */
CURLcode reg_perform_once(struct oci_registry *r, struct xfer *x, const char *url,
                          const char *authz, bool verify);

void reg_resp_init(struct reg_resp *p);
void reg_resp_release(struct reg_resp *p);

/* Make sure the scheme is decided and /v2/ was probed (auth primed). */
int reg_ready(struct oci_registry *r, struct cb_err **err);
/* "<base>/v2/<repo>/<suffix>", allocated. */
char *reg_url(struct oci_registry *r, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
/* Resolve a Location (maybe relative) against base_url; allocated. */
char *reg_resolve(const char *base_url, const char *location);
/* Perform q with auth, redirects and retries; p gets the final response.
 * Only transport failures (and auth/ cancel) fail; the caller looks at
 * p->status. */
int reg_do(struct oci_registry *r, struct reg_req *q, struct reg_resp *p, struct cb_err **err);
/* Turn a non-success response into an error: "<what>: HTTP 404: CODE:
 * message", with ECR hints for NAME_UNKNOWN and TAG_INVALID. */
int reg_status_error(struct oci_registry *r, const struct reg_resp *p, const char *what,
                     struct cb_err **err);
/* Emit byte progress. */
void reg_progress(struct oci_registry *r, const char *what, int64_t cur, int64_t total);
const struct oci_registry_opts *reg_opts(const struct oci_registry *r);
const char *reg_repository(const struct oci_registry *r);

#endif
