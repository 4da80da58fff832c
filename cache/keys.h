/* keys.h - BuildKit-style cache keys: an op's key is the sha256 of a canonical
 * JSON description of the op (kind, normalized arguments and flags, the
 * env/user/workdir/shell/platform in effect, the build args it uses, its
 * parents' keys, the content digest of its sources and its mounts).
 *
 * The caller fills a typed request; cache/ never parses a Dockerfile and
 * treats keys as opaque digests.  The same request always gives the same
 * key; any change in any field gives a different one.  Normalization:
 *   - build args are a set: sorted by name (a duplicate name is an error);
 *   - flags are sorted by name, duplicates keeping their given order;
 *   - env, args, shell, parents and mounts are lists: their order matters.
 *
 * SECRETS ARE NEVER PART OF A KEY.  The caller must not pass secret values in
 * any field (args, env, flags, build args).  Mounts of type secret and ssh
 * contribute only their type, id and target, whatever else is filled in.
 * See vendor-docs/cache.md.
 */
#ifndef CBUILD_CACHE_KEYS_H
#define CBUILD_CACHE_KEYS_H

#include <stddef.h>

#include "../base/buf.h"
#include "../base/error.h"
#include "../oci/digest.h"

/* Bump when the key document changes shape: every old key then misses. */
#define CACHE_KEY_VERSION 1

enum cache_op_kind {
    CACHE_OP_EXEC = 1, /* RUN */
    CACHE_OP_COPY,     /* COPY */
    CACHE_OP_ADD,      /* ADD */
    CACHE_OP_META,     /* config-only steps: ENV, LABEL, USER, WORKDIR, CMD, ... */
};

struct cache_kv {
    const char *name;
    const char *value; /* NULL is the same as "" */
};

enum cache_mount_type {
    CACHE_MOUNT_BIND = 1,
    CACHE_MOUNT_CACHE,
    CACHE_MOUNT_TMPFS,
    CACHE_MOUNT_SECRET,
    CACHE_MOUNT_SSH,
};

/* One RUN --mount, normalized by the caller. */
struct cache_mount {
    enum cache_mount_type type;
    const char *target;
    const char *id; /* secret/ssh/cache id, or NULL */
    /* Other options (source, mode, uid, gid, sharing, rw, size, ...), sorted
     * by the key like flags.  Ignored for secret and ssh mounts. */
    const struct cache_kv *opts;
    size_t n_opts;
    /* Key of the stage/image the mount reads from (from=), or NULL for the
     * context.  Ignored for secret and ssh mounts. */
    const struct oci_digest *from;
    /* Content digest of what a bind mount exposes (cache_contenthash), or
     * NULL.  Ignored for secret and ssh mounts. */
    const struct oci_digest *content;
};

/* The key request: borrowed pointers, NULL arrays allowed when n is 0. */
struct cache_key_req {
    enum cache_op_kind kind;
    /* The instruction after expansion: RUN's command words, COPY/ADD's
     * sources then destination, a META step's normalized arguments. */
    const char *const *args;
    size_t n_args;
    const struct cache_kv *flags; /* e.g. {"chown","1:1"}, {"link","true"} */
    size_t n_flags;
    const char *const *env; /* "K=V" in effect, in image order */
    size_t n_env;
    const char *user;
    const char *workdir;
    const char *const *shell;
    size_t n_shell;
    const char *platform;              /* "linux/amd64" */
    const struct cache_kv *build_args; /* only the args this op uses */
    size_t n_build_args;
    const struct oci_digest *parents; /* ordered: the base first, then e.g. COPY --from */
    size_t n_parents;
    /* COPY/ADD: the content digest of the selected sources (required for
     * COPY, and for ADD of local files); NULL otherwise. */
    const struct oci_digest *content;
    const struct cache_mount *mounts;
    size_t n_mounts;
};

/* The key of req.  CB_EINVAL for a duplicate build arg, an unknown kind or
 * mount type, or COPY without a content digest. */
int cache_key_compute(const struct cache_key_req *req, struct oci_digest *out, struct cb_err **err);

/* Append the canonical JSON document whose sha256 is the key (for debugging
 * and `cbuild debug`; the text is what gets hashed, byte for byte). */
int cache_key_describe(const struct cache_key_req *req, struct cb_buf *out, struct cb_err **err);

/* A base image's key is its manifest digest. */
void cache_key_for_base(const struct oci_digest *manifest, struct oci_digest *out);

#endif
