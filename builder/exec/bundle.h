/* bundle.h - the OCI runtime bundle's config.json for one RUN step
 * (runtime-spec config.md), written with jansson.
 *
 * What the step gets, as Docker/BuildKit give it: namespaces mount, pid,
 * ipc, uts (network only for --network=none); /proc, a tmpfs /dev with the
 * runtime's default devices, /dev/pts, /dev/shm, /dev/mqueue, /sys
 * read-only; Docker's default capability set; noNewPrivileges false; the
 * usual masked and read-only /proc paths; root "rootfs" writable.
 */
#ifndef CBUILD_BUILDER_EXEC_BUNDLE_H
#define CBUILD_BUILDER_EXEC_BUNDLE_H

#include <stdbool.h>

#include "mounts.h"
#include "user.h"
#include "../../base/error.h"

/* A process rlimit (runtime-spec "process.rlimits"). */
struct bld_rlimit {
    const char *type; /* "RLIMIT_NOFILE" */
    unsigned long long soft, hard;
};

/* "nofile=1024[:2048]" (docker's --ulimit) into type, soft, hard; the type
 * string is static.  CB_EINVAL naming the value. */
int bld_rlimit_parse(const char *s, struct bld_rlimit *out, struct cb_err **err);
/* "64m", "1g", "512k" or bytes (docker's --shm-size). */
int bld_size_parse(const char *s, unsigned long long *out, struct cb_err **err);

struct bld_bundle_spec {
    char *const *argv;
    char *const *env; /* the final environment, NULL-terminated */
    const char *cwd;
    const struct bld_user *user;
    const char *hostname;
    bool new_netns;
    const struct bld_mount_plan *plan; /* the step's own mounts, after the standard ones */
    unsigned long long shm_size;       /* /dev/shm bytes; 0 = 64 MiB */
    const struct bld_rlimit *rlimits;
    size_t n_rlimits;
};

/* Write <bundle_dir>/config.json. */
int bld_bundle_write(const char *bundle_dir, const struct bld_bundle_spec *s, struct cb_err **err);

/* The standard mount targets (for stub cleanup), NULL-terminated. */
extern const char *const bld_bundle_std_targets[];

#endif
