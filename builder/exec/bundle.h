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

struct bld_bundle_spec {
    char *const *argv;
    char *const *env; /* the final environment, NULL-terminated */
    const char *cwd;
    const struct bld_user *user;
    const char *hostname;
    bool new_netns;
    const struct bld_mount_plan *plan; /* the step's own mounts, after the standard ones */
};

/* Write <bundle_dir>/config.json. */
int bld_bundle_write(const char *bundle_dir, const struct bld_bundle_spec *s, struct cb_err **err);

/* The standard mount targets (for stub cleanup), NULL-terminated. */
extern const char *const bld_bundle_std_targets[];

#endif
