/* executor.h - the pluggable executor: run one RUN step on a snapshot.
 *
 * An executor is a const table of function pointers (STYLE.md §4), looked up
 * by name: "oci" runs the step in crun or runc (executor_oci.c), "fake" runs
 * nothing and calls a test hook instead (executor_fake.c).  A rootless
 * (user-namespace) variant is one more table: the request carries no
 * assumption about who runs the runtime.
 *
 * The request is the executor's own struct with everything already parsed:
 * argv (shell form is expanded by the caller, see bld_exec_shell_argv()),
 * env (build args included: the executor persists nothing), user, cwd,
 * network, mounts.  The step's writes land in the snapshot (snapshot.h),
 * which the caller diffs afterwards.
 */
#ifndef CBUILD_BUILDER_EXEC_EXECUTOR_H
#define CBUILD_BUILDER_EXEC_EXECUTOR_H

#include <stdbool.h>
#include <stddef.h>
#include <sys/types.h>

#include "bundle.h"
#include "mounts.h"
#include "snapshot.h"
#include "../../base/error.h"

enum bld_network {
    BLD_NET_DEFAULT = 0, /* the host's network (as buildah with host networking) */
    BLD_NET_NONE,        /* a private network namespace with only loopback */
    BLD_NET_HOST,
};

/* Output of the step (stdout and stderr interleaved), as it arrives. */
typedef void (*bld_exec_output_fn)(void *userdata, const char *data, size_t len);

struct bld_exec_req {
    const char *label; /* "Dockerfile:12", prefixes error messages; may be NULL */
    char *const *argv; /* NULL-terminated, argv[0] non-NULL */
    char *const *env;  /* "KEY=VALUE", NULL-terminated or NULL */
    const char *user;  /* USER spec, NULL/"" = root */
    /* docker run's groups rather than a build step's: the primary group is
     * a supplementary group too (cbuild run). */
    bool primary_in_groups;
    const char *cwd;      /* absolute; created (owned by the user) when missing; NULL = "/" */
    const char *hostname; /* NULL = "buildkitsandbox" */
    enum bld_network network;
    const struct bld_mount *mounts;
    size_t n_mounts;
    bld_exec_output_fn output; /* may be NULL */
    void *output_data;
    size_t tail_lines;           /* lines kept for the result; 0 = 10 */
    char *const *extra_hosts;    /* "NAME:IP" lines added to /etc/hosts, NULL-terminated or NULL */
    unsigned long long shm_size; /* /dev/shm bytes; 0 = 64 MiB */
    const struct bld_rlimit *rlimits;
    size_t n_rlimits;
};

struct bld_exec_result {
    int exit_code;  /* the process's status; 128+N when killed by signal N */
    char *tail;     /* the last lines of output (owned), or NULL */
    double seconds; /* wall time of the step */
};

void bld_exec_result_release(struct bld_exec_result *r);

struct bld_executor;

struct bld_executor_ops {
    const char *name;
    int (*init)(struct bld_executor *ex, struct cb_err **err);
    /* Run req with snap as the rootfs.  A non-zero exit is CB_ESTEP with
     * res filled in; a runtime failure is CB_ERUNTIME; a cancelled step is
     * CB_EINTR.  No mount outlives the call. */
    int (*run)(struct bld_executor *ex, struct bld_snapshot *snap, const struct bld_exec_req *req,
               struct bld_exec_result *res, struct cb_err **err);
    void (*release)(struct bld_executor *ex);
};

/* Test hook for the fake executor: do what the step "does" in the
 * snapshot's writable tree (bld_snapshot_write_dir()). */
typedef int (*bld_exec_fake_fn)(void *userdata, struct bld_snapshot *snap,
                                const struct bld_exec_req *req, struct bld_exec_result *res,
                                struct cb_err **err);

struct bld_executor_opts {
    const char *name;      /* "oci" (NULL = "oci") or "fake" */
    const char *state_dir; /* per-step state, e.g. ROOT/run */
    const char *cache_dir; /* RUN --mount=type=cache storage, e.g. ROOT/cache-mounts */
    const char *runtime;   /* "crun", "runc", a path, or NULL to detect (crun, then runc) */
    int cancel_fd;         /* readable when the step must stop (Ctrl-C), or -1 */
    /* Put steps in a cgroup of their own.  Off by default for crun
     * (--cgroup-manager=disabled: ~15 ms faster per step; steps have no
     * resource limits, and the pid namespace still lets the whole step be
     * killed at once).  runc always creates one. */
    bool cgroups;
    bld_exec_fake_fn fake; /* "fake" only; may be NULL (every step exits 0) */
    void *fake_data;
};

struct bld_executor {
    const struct bld_executor_ops *ops;
    struct bld_executor_opts opts; /* strings copied, owned */
    char *runtime_path;            /* resolved by init ("oci") */
    char *runtime_root;            /* the runtime's --root, chosen by init ("oci") */
    bool runtime_is_crun;
    unsigned long n_runs; /* steps run so far */
    void *priv;
};

/* The executor tables, NULL-terminated (lookup by name). */
extern const struct bld_executor_ops *const bld_executors[];
extern const struct bld_executor_ops bld_executor_oci;
extern const struct bld_executor_ops bld_executor_fake;

struct bld_executor *bld_executor_new(const struct bld_executor_opts *o, struct cb_err **err);
int bld_executor_run(struct bld_executor *ex, struct bld_snapshot *snap,
                     const struct bld_exec_req *req, struct bld_exec_result *res,
                     struct cb_err **err);
void bld_executor_free(struct bld_executor *ex);
static inline void bld_executor_freep(struct bld_executor **p)
{
    bld_executor_free(*p);
    *p = NULL;
}
#define cleanup_executor __attribute__((cleanup(bld_executor_freep)))

/* "default" (or NULL), "none" or "host"; CB_EINVAL naming anything else. */
int bld_network_parse(const char *name, enum bld_network *out, struct cb_err **err);

/* Shell form: shell (NULL = {"/bin/sh", "-c"}) followed by cmd. */
char **bld_exec_shell_argv(char *const *shell, const char *cmd);

/* `process "/bin/sh -c exit 3" did not complete successfully: exit code: 3`,
 * prefixed by "LABEL: " when label is set (allocated). */
char *bld_exec_failure_msg(const char *label, char *const *argv, int exit_code);

#endif
