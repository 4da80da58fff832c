/* runtime.h - running crun or runc for one step.
 *
 * A step's helper process (forked here) enters a private mount namespace,
 * mounts a tmpfs on the bundle dir, the snapshot on bundle/rootfs and the
 * rw-bind overlays, then waits.  The parent sees that namespace through
 * /proc/PID/root (to resolve the user, create the workdir and write
 * config.json and secrets onto the tmpfs) and finally lets the helper exec
 * the runtime.  When the runtime exits the namespace dies with every mount
 * in it, so no mount can outlive a step, even when cbuild is killed.
 *
 * Hybrid cgroup hosts: crun refuses to run when cgroup2 is mounted at
 * /sys/fs/cgroup/unified next to the v1 controllers; the helper unmounts it
 * in its private namespace (crun then sees plain cgroup v1).  Unified and
 * legacy hosts are left alone; runc needs nothing.
 */
#ifndef CBUILD_BUILDER_EXEC_RUNTIME_H
#define CBUILD_BUILDER_EXEC_RUNTIME_H

#include <stdbool.h>
#include <stddef.h>
#include <sys/types.h>

#include "mounts.h"
#include "snapshot.h"
#include "../../base/buf.h"
#include "../../base/error.h"

enum bld_cgroup_mode {
    BLD_CGROUP_LEGACY = 0, /* v1 only */
    BLD_CGROUP_HYBRID,     /* v1 plus cgroup2 at /sys/fs/cgroup/unified */
    BLD_CGROUP_UNIFIED,    /* v2 at /sys/fs/cgroup */
};

enum bld_cgroup_mode bld_cgroup_mode_detect(void);

/* Resolve "crun", "runc", a path, or NULL (crun, then runc, on $PATH). */
int bld_runtime_find(const char *name, char **path, bool *is_crun, struct cb_err **err);

typedef void (*bld_output_fn)(void *userdata, const char *data, size_t len);

struct bld_helper {
    pid_t pid;
    int ctl_fd;      /* parent -> helper: 'g' to exec the runtime */
    int sync_fd;     /* helper -> parent: "ok" or the failed step */
    int out_fd;      /* the runtime's stdout and stderr */
    char *root_path; /* "/proc/PID/root" */
};

struct bld_helper_opts {
    const struct bld_snapshot *snap;
    const char *bundle; /* absolute; gets a tmpfs, rootfs/ under it */
    const struct bld_mount_plan *plan;
    bool hide_cgroup2; /* unmount /sys/fs/cgroup/unified (crun on hybrid hosts) */
    char *const *argv; /* the runtime command line */
};

/* Start the helper and wait until its mounts are in place. */
int bld_helper_start(const struct bld_helper_opts *o, struct bld_helper *h, struct cb_err **err);

struct bld_helper_wait {
    int cancel_fd; /* -1 or readable to stop the step */
    bld_output_fn output;
    void *output_data;
    struct cb_buf *tail; /* the last output bytes (bounded, oldest dropped) */
    const char *runtime; /* for kill on cancel */
    const char *runtime_root;
    const char *id;
    const char *pid_file; /* the container's pid (host view), to kill it if the runtime cannot */
};

/* Let the runtime run, stream its output, and wait.  *status is the
 * helper's wait status; *cancelled tells whether cancel_fd fired (the
 * container was killed). */
int bld_helper_run(struct bld_helper *h, const struct bld_helper_wait *w, int *status,
                   bool *cancelled, struct cb_err **err);
/* Kill (if still running) and reap the helper; close its fds. */
void bld_helper_release(struct bld_helper *h);

#endif
