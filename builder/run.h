/* run.h - a RUN step handed to the executor.  This is the seam between the
 * frontend's types and the executor's: mounts travel as BuildKit --mount
 * specs (with from= already resolved to a host path), so run.c needs only
 * builder/exec/ and the solver side needs only builder/dockerfile/. */
#ifndef CBUILD_BUILDER_RUN_H
#define CBUILD_BUILDER_RUN_H

#include <stddef.h>

#include "builder_internal.h"
#include "exec/snapshot.h"

struct bld_run_req {
    int step;          /* progress id */
    const char *label; /* "Dockerfile:12" */
    char *const *argv; /* NULL-terminated */
    char *const *env;  /* NULL-terminated */
    const char *user;
    const char *cwd;
    int network;                /* 0 default, 1 none, 2 host */
    char *const *mount_specs;   /* "type=cache,target=/x,...", without from= */
    char *const *mount_sources; /* per spec: resolved host path for from=/source, or NULL */
    size_t n_mounts;
};

/* Run req in snap with the solver's executor.  A non-zero exit is CB_ESTEP
 * whose message names the label, the command, the exit code and ends with
 * the last lines of output. */
int bld_run_step(struct bld_solver *s, struct bld_snapshot *snap, const struct bld_run_req *req,
                 struct cb_err **err);

#endif
