/* rundir.h - per-step state directories under the store's run dir
 * (ROOT/run/<name>), each holding an "owner" file: the pid and start time of
 * the cbuild process using it and, once a container exists, the runtime and
 * container id.  A crashed cbuild leaves such directories behind; the next
 * start deletes the container and removes every entry whose owner is dead.
 * Mounts never need cleaning: they only exist inside the step's private
 * mount namespace (see runtime.h).
 */
#ifndef CBUILD_BUILDER_EXEC_RUNDIR_H
#define CBUILD_BUILDER_EXEC_RUNDIR_H

#include "../../base/error.h"

/* Create "<state_dir>/<prefix>-XXXXXX" owned by this process; returns its path. */
char *bld_rundir_create(const char *state_dir, const char *prefix, struct cb_err **err);
/* Record a container living inside a run dir entry: the file path (named
 * "*.container") gets the runtime, its state root and the container id, so
 * that cleaning the entry after a crash deletes the container too. */
int bld_rundir_record_container(const char *path, const char *runtime, const char *runtime_root,
                                const char *id, struct cb_err **err);
/* The OCI runtime's state directory (its --root) for the run dir
 * state_dir: on a tmpfs when /run or /dev/shm is one (the runtime writes
 * and removes several files per step there; the containers die with a
 * reboot anyway), as "<tmpfs>/cbuild-runtime-<hash of state_dir>", else
 * "<state_dir>/runtime".  Created; its path is also written to
 * "<state_dir>/runtime-root" for tests and humans.  Allocated. */
char *bld_runtime_state_dir(const char *state_dir, struct cb_err **err);

/* Remove dir (after bld_rundir_create); a missing dir is fine. */
int bld_rundir_remove(const char *dir, struct cb_err **err);
/* Delete leftovers of dead processes in state_dir; returns how many entries
 * were removed. */
int bld_rundir_clean_stale(const char *state_dir, struct cb_err **err);
/* Run "RUNTIME --root ROOT delete --force ID", ignoring its output; returns
 * the runtime's exit status. */
int bld_runtime_force_delete(const char *runtime, const char *runtime_root, const char *id);

#endif
