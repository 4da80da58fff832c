/* builder_internal.h - what the files of the build engine share: the solver
 * and the per-stage run state.  Not for use outside builder/. */
#ifndef CBUILD_BUILDER_BUILDER_INTERNAL_H
#define CBUILD_BUILDER_BUILDER_INTERNAL_H

#include <pthread.h>
#include <stdbool.h>

#include "build.h"
#include "state.h"
#include "../cache/records.h"
#include "../cache/statcache.h"

/* Kept opaque here so that files of the executor side (run.c) never see
 * the frontend's types. */
struct bld_dockerfile;
struct bld_graph;
struct bld_ignore;

/* A stage's base once resolved. */
struct bld_base {
    bool resolved;
    struct oci_descriptor mdesc; /* manifest (images only) */
    struct oci_manifest manifest;
    struct oci_image config;
    char *name; /* normalised reference (images only) */
};

struct bld_stage_run {
    struct bld_base base;
    struct bld_state state; /* final state once done */
    bool started, done, failed;
    struct cb_strv final_env; /* env after the stage (for FROM <stage> expansion) */
    double seconds;           /* wall time the stage took */
    size_t base_layers;       /* layers the stage started with */
};

struct bld_shared {
    pthread_mutex_t lock;
    pthread_cond_t cond;
    int next_step;
    struct oci_digest *inflight;
    size_t n_inflight, alloc_inflight;
};

/* Mark key in flight, waiting while another build has it. */
void bld_shared_acquire(struct bld_shared *sh, const struct oci_digest *key);
void bld_shared_release(struct bld_shared *sh, const struct oci_digest *key);
int bld_shared_next_step(struct bld_shared *sh);

struct bld_solver {
    struct oci_store *store;
    const struct bld_build_opts *o;
    struct bld_dockerfile *df;
    struct bld_graph *g;
    struct cache_records *records;
    struct bld_stage_run *runs;
    struct bld_ignore *ignore; /* the context's .dockerignore, or NULL */
    struct cache_statcache *statcache;
    struct oci_platform platform;
    char *platform_str;
    char *epoch_str; /* RFC 3339 of SOURCE_DATE_EPOCH, or NULL */
    pthread_mutex_t lock;
    pthread_mutex_t pull_lock; /* one base resolution at a time */
    pthread_cond_t cond;
    struct bld_shared *shared; /* the build's, or its own */
    bool own_shared;
    bool failed;
    struct cb_err *err; /* the first failure */
    int steps_run, steps_cached;
    struct cb_strv unused;        /* build args no stage consumed */
    struct cb_strv context_names; /* --build-context names (override stages) */
    struct oci_digest *mat_keys;  /* materialized rootfs dirs (RUN --mount from=) */
    struct cb_strv mat_dirs;
    size_t alloc_mat;
};

/* source.c: resolve stage i's base image (pull when the policy says so). */
int bld_base_resolve(struct bld_solver *s, size_t i, struct cb_err **err);
void bld_base_release(struct bld_base *b);
/* The state an image starts a stage with: its config, layers and key. */
int bld_state_from_base(struct bld_state *st, const struct bld_base *b, struct cb_err **err);
/* Resolve an image reference (store, or pull) into a fresh state (COPY
 * --from=IMAGE, RUN --mount from=IMAGE). */
int bld_image_state(struct bld_solver *s, const char *ref, struct bld_state *out,
                    struct cb_err **err);

/* The --build-context named name, or NULL. */
const struct bld_named_context *bld_solver_context(const struct bld_solver *s, const char *name);
/* The image reference (or "sha256:..." in the store) an image or layout
 * context stands for; layouts are imported into the store first.  Allocated. */
char *bld_context_image_ref(struct bld_solver *s, const struct bld_named_context *c,
                            struct cb_err **err);

/* fixups.c: --fixup on the final state (one layer, config, history). */
int bld_fixups_apply(struct bld_solver *s, struct bld_state *st, struct cb_err **err);

/* step.c: the RFC 3339 time now, or SOURCE_DATE_EPOCH's. */
char *bld_now_rfc3339(const struct bld_solver *s);

/* solve.c */
int bld_solve(struct bld_solver *s, struct cb_err **err);

#endif
