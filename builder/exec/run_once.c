/* run_once.c - one step on a fresh snapshot (see run_once.h). */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "run_once.h"
#include "treecopy.h"
#include "../../base/cleanup.h"
#include "../../base/fsutil.h"
#include "../../base/xalloc.h"
#include "../../oci/store.h"
#include "../../base/banned.h"

static int save_dir(const char *src, const char *dst, unsigned flags, struct cb_err **err)
{
    if (cb_path_exists(dst))
        return cb_fail(err, CB_EINVAL, EEXIST, "output '%s'", dst);
    return bld_tree_copy(src, dst, flags, err);
}

/* The upper dir as is (overlay xattrs and whiteouts kept): moved when on
 * the same filesystem, else copied. */
static int save_changes(const struct bld_snapshot *snap, const char *dst, struct cb_err **err)
{
    if (cb_path_exists(dst))
        return cb_fail(err, CB_EINVAL, EEXIST, "output '%s'", dst);
    if (rename(snap->upper, dst) == 0)
        return 0;
    if (errno != EXDEV)
        return cb_fail(err, CB_EIO, errno, "move '%s' to '%s'", snap->upper, dst);
    return bld_tree_copy(snap->upper, dst, BLD_COPY_OVERLAY_XATTRS, err);
}

/* The merged rootfs: the lowers with the changes applied on top. */
static int save_rootfs(const struct bld_snapshot *snap, const char *dst, struct cb_err **err)
{
    if (snap->kind == BLD_SNAP_NATIVE)
        return save_dir(snap->rootfs, dst, 0, err);
    if (cb_path_exists(dst))
        return cb_fail(err, CB_EINVAL, EEXIST, "output '%s'", dst);
    for (size_t i = 0; i < snap->lowers.n; i++)
        if (bld_tree_copy(snap->lowers.v[i], dst, BLD_COPY_APPLY_WHITEOUTS, err) < 0)
            return cb_err_rc(err);
    return bld_tree_copy(snap->upper, dst, BLD_COPY_APPLY_WHITEOUTS, err);
}

static int save_outputs(const struct bld_run_once *o, const struct bld_snapshot *snap,
                        struct cb_err **err)
{
    if (o->changes_out && snap->kind != BLD_SNAP_OVERLAY)
        return cb_fail(err, CB_EINVAL, 0,
                       "changes are an upper dir only with the overlay snapshotter");
    if (o->changes_out && save_changes(snap, o->changes_out, err) < 0)
        return cb_wrap(err, "save the changes");
    if (o->rootfs_out && save_rootfs(snap, o->rootfs_out, err) < 0)
        return cb_wrap(err, "save the rootfs");
    return 0;
}

/* The image's unpacked layers (unpacked now when needed), bottom first. */
static int image_layers(struct oci_store *st, const char *name, struct cb_strv *out,
                        struct cb_err **err)
{
    struct oci_manifest m;
    struct oci_image config;
    int r = 0;
    if (oci_store_get_image(st, name, NULL, NULL, &m, &config, err) < 0)
        return cb_err_rc(err);
    if (m.n_layers != config.n_diff_ids)
        r = cb_fail(err, CB_EINVAL, 0, "image '%s': %zu layers but %zu diff_ids", name, m.n_layers,
                    config.n_diff_ids);
    for (size_t i = 0; r == 0 && i < m.n_layers; i++) {
        char *dir = NULL;
        r = oci_store_layer_ensure(st, &m.layers[i], &config.diff_ids[i], &dir, err);
        if (r == 0)
            cb_strv_push_take(out, dir);
    }
    oci_manifest_release(&m);
    oci_image_release(&config);
    return r;
}

static int run_on(const struct bld_run_once *o, const char *const *lowers, size_t n_lowers,
                  const struct bld_exec_req *req, struct bld_exec_result *res, struct cb_err **err);

static double now_seconds(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

int bld_run_once(const struct bld_run_once *o, const struct bld_exec_req *req,
                 struct bld_exec_result *res, struct cb_err **err)
{
    cleanup_store struct oci_store *st = NULL;
    cleanup_strv_s struct cb_strv lowers = CB_STRV_INIT;
    const char *outs[] = {o->changes_out, o->rootfs_out};
    for (size_t i = 0; i < 2; i++) /* before the step runs, not after */
        if (outs[i] && cb_path_exists(outs[i]))
            return cb_fail(err, CB_EINVAL, EEXIST, "output '%s'", outs[i]);
    if (!o->image)
        return run_on(o, o->lowers, o->n_lowers, req, res, err);
    /* the shared lock keeps prune from removing the layers under the step */
    st = oci_store_open(o->store_root, OCI_STORE_SHARED, err);
    if (!st || image_layers(st, o->image, &lowers, err) < 0)
        return cb_err_rc(err);
    for (size_t i = 0; i < o->n_lowers; i++)
        cb_strv_push(&lowers, o->lowers[i]);
    return run_on(o, (const char *const *)lowers.v, lowers.n, req, res, err);
}

static int run_on(const struct bld_run_once *o, const char *const *lowers, size_t n_lowers,
                  const struct bld_exec_req *req, struct bld_exec_result *res, struct cb_err **err)
{
    cleanup_free char *state = cb_path_join(o->store_root, "run");
    cleanup_free char *caches = cb_path_join(o->store_root, "cache-mounts");
    struct bld_executor_opts eo = {.state_dir = state,
                                   .cache_dir = caches,
                                   .runtime = o->runtime,
                                   .cancel_fd = o->cancel_fd,
                                   .cgroups = o->cgroups};
    cleanup_executor struct bld_executor *ex = bld_executor_new(&eo, err);
    struct bld_snapshot_opts so = {state, o->snapshotter, lowers, n_lowers};
    unsigned runs = o->repeat ? o->repeat : 1;
    double total = 0;

    if (!ex)
        return cb_err_rc(err);
    for (unsigned i = 0; i < runs; i++) {
        struct bld_snapshot *snap = NULL;
        double t0 = now_seconds();
        int r;
        bld_exec_result_release(res);
        if (bld_snapshot_prepare(&so, &snap, err) < 0)
            return cb_err_rc(err);
        r = bld_executor_run(ex, snap, req, res, err);
        if (r < 0 && (*err)->code != CB_ESTEP) {
            bld_snapshot_free(snap);
            return r;
        }
        if (i + 1 == runs || r < 0) {
            if (save_outputs(o, snap, r < 0 ? NULL : err) < 0 && r == 0)
                r = cb_err_rc(err);
        }
        bld_snapshot_free(snap);
        total += now_seconds() - t0; /* snapshot, step and teardown */
        res->seconds = total / (i + 1);
        if (r < 0)
            return r;
    }
    return 0;
}
