/* step.h - the mechanics of one layer step: a snapshot over the stage's
 * layers, work done inside it (a RUN in the runtime, or COPY/WORKDIR in a
 * helper process that sees the snapshot mounted), and the commit of its
 * changes as a compressed layer blob in the store. */
#ifndef CBUILD_BUILDER_STEP_H
#define CBUILD_BUILDER_STEP_H

#include <stdbool.h>

#include "builder_internal.h"
#include "exec/snapshot.h"

/* A snapshot whose lowers are st's layers, unpacked in the store. */
int bld_step_snapshot(struct bld_solver *s, const struct bld_state *st, struct bld_snapshot **out,
                      struct cb_err **err);

/* Run fn in a child process, in a private mount namespace where snap is
 * mounted (and, when extra is not NULL, extra mounted too: its rootfs path
 * is passed as extra_root).  fn gets the snapshot's root as a directory fd.
 * Its error message travels back over a pipe. */
typedef int (*bld_in_snapshot_fn)(void *arg, int rootfd, const char *extra_root,
                                  struct cb_err **err);
int bld_step_in_snapshot(struct bld_snapshot *snap, struct bld_snapshot *extra,
                         bld_in_snapshot_fn fn, void *arg, struct cb_err **err);

/* A plain directory holding st's rootfs (its layers applied in order), for
 * RUN --mount from=STAGE|IMAGE.  Made once per build and key, under the
 * store's tmp; removed when the build ends.  *dir is borrowed. */
int bld_step_materialize(struct bld_solver *s, const struct bld_state *st, const char **dir,
                         struct cb_err **err);

/* The committed result of a step. */
struct bld_layer_result {
    bool empty; /* no changes: no layer */
    struct oci_descriptor layer;
    struct oci_digest diff_id;
};
void bld_layer_result_release(struct bld_layer_result *r);

/* Diff the snapshot, compress, and store the layer blob. */
int bld_step_commit(struct bld_solver *s, struct bld_snapshot *snap, struct bld_layer_result *out,
                    struct cb_err **err);
/* Store the whole tree at dir as a layer, the same way (--fixup's layer). */
int bld_step_commit_tree(struct bld_solver *s, const char *dir, struct bld_layer_result *out,
                         struct cb_err **err);

#endif
