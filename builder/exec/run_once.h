/* run_once.h - run one step on a fresh snapshot and keep its changes: what
 * `cbuild debug run` does, and a reference for the solver's use of the
 * executor (prepare a snapshot, run, save or diff the write dir, free). */
#ifndef CBUILD_BUILDER_EXEC_RUN_ONCE_H
#define CBUILD_BUILDER_EXEC_RUN_ONCE_H

#include "executor.h"
#include "snapshot.h"

struct bld_run_once {
    const char *store_root; /* state in ROOT/run, caches in ROOT/cache-mounts */
    const char *runtime;    /* NULL = detect */
    enum bld_snapshotter snapshotter;
    const char *image;         /* an image in the store: its layers go first (may be NULL) */
    const char *const *lowers; /* layer dirs (overlay form) or one rootfs, bottom first */
    size_t n_lowers;
    const char *changes_out; /* overlay: the upper dir is saved here (may be NULL) */
    const char *rootfs_out;  /* the resulting merged rootfs is saved here (may be NULL) */
    int cancel_fd;
    bool cgroups;    /* see bld_executor_opts.cgroups */
    unsigned repeat; /* run the step this many times, each on a fresh snapshot (bench) */
};

/* Run req once (or o->repeat times, in one process: what a build pays per
 * RUN); res->seconds is the mean wall time per run of snapshot, step and
 * teardown.  The outputs (of the
 * last run) are written even when the step fails (so a test can inspect a
 * failed step), never when it was cancelled. */
int bld_run_once(const struct bld_run_once *o, const struct bld_exec_req *req,
                 struct bld_exec_result *res, struct cb_err **err);

#endif
