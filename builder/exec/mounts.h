/* mounts.h - RUN --mount: the parsed mount specs the executor takes, and the
 * plan that turns them into runtime mounts for one step.
 *
 * The caller (the solver, or `cbuild debug run`) resolves everything that
 * needs the build graph: a bind's or cache's from=/source= become a host
 * path in .source, a secret's content comes from --secret (.data or a file
 * in .source), an ssh mount's agent socket from --ssh.
 *
 * Where things live during a step:
 *   cache   ROOT/cache-mounts/<sha256 of id>/ on disk, kept between builds;
 *           sharing=locked holds an exclusive flock for the step, shared a
 *           shared one, private takes the cache when nobody holds it and a
 *           throw-away directory otherwise;
 *   bind    read-only bind; rw gets an overlay on top (a copy for a file),
 *           discarded after the step;
 *   tmpfs   a fresh tmpfs (size= bytes);
 *   secret  a file on the step bundle's tmpfs (never on disk, never in the
 *           rootfs), bind-mounted read-only; or an env var with env=;
 *   ssh     the agent socket bind-mounted, SSH_AUTH_SOCK pointing at it.
 */
#ifndef CBUILD_BUILDER_EXEC_MOUNTS_H
#define CBUILD_BUILDER_EXEC_MOUNTS_H

#include <stdbool.h>
#include <stddef.h>
#include <sys/types.h>

#include "../../base/error.h"
#include "../../base/strv.h"

enum bld_mount_type {
    BLD_MOUNT_BIND = 0,
    BLD_MOUNT_CACHE,
    BLD_MOUNT_TMPFS,
    BLD_MOUNT_SECRET,
    BLD_MOUNT_SSH,
};

enum bld_cache_sharing {
    BLD_SHARING_SHARED = 0,
    BLD_SHARING_PRIVATE,
    BLD_SHARING_LOCKED,
};

struct bld_mount {
    enum bld_mount_type type;
    char *target;  /* absolute path in the container */
    char *source;  /* host path: bind source, cache seed, secret file, ssh socket */
    char *id;      /* cache, secret and ssh id */
    bool rw;       /* bind: writable (changes discarded) */
    bool required; /* secret, ssh: fail when not provided */
    enum bld_cache_sharing sharing;
    long uid, gid, mode;     /* -1 = the type's default */
    unsigned long long size; /* tmpfs bytes, 0 = no limit */
    char *env;               /* secret: also (or only) expose as this env var */
    char *data;              /* secret: the value when not read from .source */
    size_t data_len;
};

void bld_mount_init(struct bld_mount *m);
void bld_mount_release(struct bld_mount *m);

/* Parse a --mount value: "type=cache,target=/root/.cache,id=x,sharing=locked",
 * with BuildKit's keys (target|dst|destination, source|src, id, ro|readonly,
 * rw|readwrite, sharing, mode, uid, gid, size, required, env).  from= is
 * CB_EINVAL: the caller resolves it to .source.  Defaults are filled in
 * (secret target /run/secrets/ID, cache id = target, ssh id "default"). */
int bld_mount_parse(const char *spec, struct bld_mount *out, struct cb_err **err);
/* Parse a --secret value "id=ID[,src=PATH|,env=VAR]" into id and source
 * (src) or data (the variable's value, read now). */
int bld_secret_parse(const char *spec, char **id, char **source, char **data, struct cb_err **err);

/* Parse --mount specs and attach the values of --secret (see
 * bld_secret_parse()) and --ssh ("default" = $SSH_AUTH_SOCK, or ID=SOCKET)
 * to the secret and ssh mounts by id.  All lists NULL-terminated or NULL. */
int bld_mounts_from_args(char *const *specs, char *const *secrets, char *const *ssh,
                         struct bld_mount **out, size_t *n, struct cb_err **err);
void bld_mounts_free(struct bld_mount *m, size_t n);

/* Remove half-made cache dirs ("*.new-XXXXXX" older than a minute) that a
 * crash during cache creation left in cache_dir; returns how many. */
int bld_cache_mounts_clean_stale(const char *cache_dir, struct cb_err **err);

/* A mount the runtime performs (config.json "mounts"). */
struct bld_spec_mount {
    char *dest;
    char *type;
    char *source;
    struct cb_strv options;
};

/* A mount the step's helper process makes before the runtime starts
 * (overlays for rw binds); strings prepared before fork(). */
struct bld_helper_mount {
    char *source, *target, *fstype, *data;
    unsigned long flags;
};

struct bld_secret_file {
    char *id;
    char *path;       /* relative to the bundle dir */
    const char *data; /* borrowed from the request */
    size_t len;
    char *source; /* or read from this host file */
    uid_t uid;
    gid_t gid;
    mode_t mode;
};

struct bld_mount_plan {
    struct bld_spec_mount *spec;
    size_t n_spec, alloc_spec;
    struct bld_helper_mount *helper;
    size_t n_helper, alloc_helper;
    struct bld_secret_file *secrets;
    size_t n_secrets, alloc_secrets;
    struct cb_strv env; /* extra "KEY=VALUE" for the process */
    int *locks;         /* flock fds held for the step */
    size_t n_locks, alloc_locks;
};

struct bld_mount_ctx {
    const char *step_dir;  /* scratch on disk, made when needed, removed after the step */
    const char *bundle;    /* the bundle dir (a tmpfs during the step) */
    const char *cache_dir; /* ROOT/cache-mounts */
    int cancel_fd;         /* -1, or readable to give up waiting for a locked cache */
};

void bld_mount_plan_init(struct bld_mount_plan *p);
/* Plan mounts m[0..n): creates cache dirs (seeding new ones from .source),
 * takes cache locks, prepares rw-bind overlays.  Secrets with no value are
 * skipped unless required (then CB_ENOTFOUND naming the id). */
int bld_mount_plan_build(struct bld_mount_plan *p, const struct bld_mount *m, size_t n,
                         const struct bld_mount_ctx *ctx, struct cb_err **err);
/* Add a runtime mount. */
void bld_mount_plan_add(struct bld_mount_plan *p, const char *dest, const char *type,
                        const char *source, const char *options);
/* Write the secret files below bundle_path (the bundle as this process sees
 * it, e.g. through /proc/PID/root). */
int bld_mount_plan_write_secrets(const struct bld_mount_plan *p, const char *bundle_path,
                                 struct cb_err **err);
/* Release memory and the cache locks. */
void bld_mount_plan_release(struct bld_mount_plan *p);

#endif
