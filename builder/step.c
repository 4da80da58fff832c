/* step.c - snapshot, do, commit: the life of one layer step. */
#include <errno.h>
#include <fcntl.h>
#include <sched.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "step.h"
#include "exec/treecopy.h"
#include "../oci/layer.h"
#include "../oci/layout.h"
#include "../base/cleanup.h"
#include "../base/fsutil.h"
#include "../base/xalloc.h"
#include "../base/banned.h"

char *bld_now_rfc3339(const struct bld_solver *s)
{
    char buf[64];
    time_t t = s->o->has_epoch ? (time_t)s->o->epoch : time(NULL);
    struct tm tm;

    gmtime_r(&t, &tm);
    strftime(buf, sizeof(buf), "%Y-%m-%dT%H:%M:%SZ", &tm);
    return xstrdup(buf);
}

int bld_step_snapshot(struct bld_solver *s, const struct bld_state *st, struct bld_snapshot **out,
                      struct cb_err **err)
{
    struct cb_strv dirs = CB_STRV_INIT;
    cleanup_free char *run = cb_path_join(oci_store_root_peek(s->store), "run");
    enum bld_snapshotter kind = BLD_SNAP_AUTO;
    int rc = 0;

    if (s->o->snapshotter && bld_snapshotter_parse(s->o->snapshotter, &kind, err) < 0)
        return -CB_EINVAL;
    if (cb_mkdir_p(run, 0700, err) < 0)
        return -CB_EIO;
    for (size_t i = 0; i < st->n_layers && rc == 0; i++) {
        char *dir = NULL;
        rc = oci_store_layer_ensure(s->store, &st->layers[i], &st->img.diff_ids[i], &dir, err);
        if (rc == 0)
            cb_strv_push_take(&dirs, dir);
    }
    if (rc == 0) {
        struct bld_snapshot_opts o = {
            .state_dir = run,
            .kind = kind,
            .lowers = (const char *const *)dirs.v,
            .n_lowers = dirs.n,
        };
        rc = bld_snapshot_prepare(&o, out, err);
    }
    cb_strv_release(&dirs);
    return rc;
}

int bld_step_materialize(struct bld_solver *s, const struct bld_state *st, const char **dir,
                         struct cb_err **err)
{
    char *tmp;
    int rc = 0;

    pthread_mutex_lock(&s->pull_lock);
    for (size_t i = 0; i < s->mat_dirs.n; i++) {
        if (oci_digest_equal(&s->mat_keys[i], &st->key)) {
            *dir = s->mat_dirs.v[i];
            pthread_mutex_unlock(&s->pull_lock);
            return 0;
        }
    }
    tmp = cb_mkdtemp(oci_store_tmp_peek(s->store), "mount-from-", err);
    for (size_t i = 0; tmp && rc == 0 && i < st->n_layers; i++) {
        char *layer = NULL;
        rc = oci_store_layer_ensure(s->store, &st->layers[i], &st->img.diff_ids[i], &layer, err);
        if (rc == 0)
            rc = bld_tree_copy(layer, tmp, BLD_COPY_APPLY_WHITEOUTS, err);
        free(layer);
    }
    if (!tmp || rc < 0) {
        if (tmp)
            cb_rm_rf(tmp, NULL);
        free(tmp);
        pthread_mutex_unlock(&s->pull_lock);
        return tmp ? rc : cb_err_rc(err);
    }
    XGROW(s->mat_keys, s->mat_dirs.n + 1, s->alloc_mat);
    s->mat_keys[s->mat_dirs.n] = st->key;
    cb_strv_push_take(&s->mat_dirs, tmp);
    *dir = s->mat_dirs.v[s->mat_dirs.n - 1];
    pthread_mutex_unlock(&s->pull_lock);
    return 0;
}

/* ---------------------------------------------------------------- helper */

static void child_fail(int fd, struct cb_err *e)
{
    const char *msg = e ? e->msg : "failed";
    int code = e ? (int)e->code : CB_EIO;
    char head[16];

    snprintf(head, sizeof(head), "%d:", code);
    if (write(fd, head, strlen(head)) < 0 || write(fd, msg, strlen(msg)) < 0)
        _exit(3);
    _exit(1);
}

static void child_run(int wfd, struct bld_snapshot *snap, struct bld_snapshot *extra,
                      bld_in_snapshot_fn fn, void *arg)
{
    struct cb_err *e = NULL;
    const char *what = NULL;
    char *mnt = cb_path_join(snap->dir, "mnt");
    char *emnt = extra ? cb_path_join(extra->dir, "mnt") : NULL;
    int r, rootfd;

    if (unshare(CLONE_NEWNS) < 0 || mount(NULL, "/", NULL, MS_REC | MS_PRIVATE, NULL) < 0) {
        cb_fail(&e, CB_ERUNTIME, errno, "enter a private mount namespace");
        child_fail(wfd, e);
    }
    r = bld_snapshot_mount(snap, mnt, &what);
    if (r == 0 && extra)
        r = bld_snapshot_mount(extra, emnt, &what);
    if (r < 0) {
        cb_fail(&e, CB_ERUNTIME, -r, "%s", what ? what : "mount the snapshot");
        child_fail(wfd, e);
    }
    rootfd = open(mnt, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (rootfd < 0) {
        cb_fail(&e, CB_EIO, errno, "open '%s'", mnt);
        child_fail(wfd, e);
    }
    if (fn(arg, rootfd, extra ? emnt : NULL, &e) < 0)
        child_fail(wfd, e);
    close(rootfd);
    /* leaving the namespace unmounts everything; the empty mount points
     * are removed by the parent */
    _exit(0);
}

int bld_step_in_snapshot(struct bld_snapshot *snap, struct bld_snapshot *extra,
                         bld_in_snapshot_fn fn, void *arg, struct cb_err **err)
{
    int p[2];
    pid_t pid;
    int status = 0;
    struct cb_buf msg;

    {
        cleanup_free char *m1 = cb_path_join(snap->dir, "mnt");
        cleanup_free char *m2 = extra ? cb_path_join(extra->dir, "mnt") : NULL;
        if ((mkdir(m1, 0700) < 0 && errno != EEXIST) ||
            (m2 && mkdir(m2, 0700) < 0 && errno != EEXIST))
            return cb_fail(err, CB_EIO, errno, "create a mount point in '%s'", snap->dir);
    }
    if (pipe2(p, O_CLOEXEC) < 0)
        return cb_fail(err, CB_EIO, errno, "pipe");
    pid = fork();
    if (pid < 0) {
        close(p[0]);
        close(p[1]);
        return cb_fail(err, CB_EIO, errno, "fork");
    }
    if (pid == 0) {
        close(p[0]);
        child_run(p[1], snap, extra, fn, arg);
    }
    close(p[1]);
    cb_buf_init(&msg, 64 << 10);
    cb_read_all(p[0], &msg, NULL);
    close(p[0]);
    while (waitpid(pid, &status, 0) < 0 && errno == EINTR)
        ;
    if (WIFEXITED(status) && WEXITSTATUS(status) == 0) {
        cb_buf_release(&msg);
        return 0;
    }
    {
        char *colon = msg.data ? strchr(msg.data, ':') : NULL;
        int code = colon ? (int)strtol(msg.data, NULL, 10) : CB_ERUNTIME;
        int rc = cb_fail(err, code > 0 ? (enum cb_errc)code : CB_ERUNTIME, 0, "%s",
                         colon ? colon + 1 : "step helper died");
        cb_buf_release(&msg);
        return rc;
    }
}

/* ---------------------------------------------------------------- commit */

void bld_layer_result_release(struct bld_layer_result *r)
{
    if (!r->empty)
        oci_descriptor_release(&r->layer);
    memset(r, 0, sizeof(*r));
}

/* Write a layer with the build's compression and SOURCE_DATE_EPOCH: a whole
 * tree (dir), an overlay upper dir (dir), or the diff of parent to dir. */
enum layer_src { LAYER_TREE, LAYER_OVERLAY, LAYER_DIFF };

static int store_layer(struct bld_solver *s, enum layer_src src, const char *parent,
                       const char *dir, struct bld_layer_result *out, struct cb_err **err)
{
    struct oci_layout *l = oci_store_layout_peek(s->store);
    cleanup_blob_writer struct oci_blob_writer *w = oci_blob_writer_new(l, err);
    struct oci_layer_write_opts o = {
        .compress = {.algo = s->o->compression},
        .clamp_mtime = s->o->has_epoch,
        .source_date_epoch = s->o->epoch,
    };
    struct oci_layer_desc d;
    struct oci_sink sink;
    int rc;

    memset(out, 0, sizeof(*out));
    if (!w)
        return cb_err_rc(err);
    sink = oci_blob_writer_sink(w);
    if (src == LAYER_TREE)
        rc = oci_layer_write_tree(dir, &o, &sink, &d, err);
    else if (src == LAYER_OVERLAY)
        rc = oci_layer_write_overlay(dir, &o, &sink, &d, err);
    else
        rc = oci_layer_write_diff(parent, dir, &o, &sink, &d, err);
    if (rc < 0)
        return cb_wrap(err, "commit the layer");
    if (d.entries == 0) {
        out->empty = true;
        return 0;
    }
    if (oci_blob_writer_commit(w, &d.digest, (int64_t)d.size, NULL, err) < 0)
        return cb_wrap(err, "store the layer");
    oci_descriptor_init(&out->layer);
    out->layer.media_type = xstrdup(oci_compression_layer_media_type(s->o->compression));
    out->layer.digest = d.digest;
    out->layer.size = (int64_t)d.size;
    out->diff_id = d.diff_id;
    return 0;
}

int bld_step_commit(struct bld_solver *s, struct bld_snapshot *snap, struct bld_layer_result *out,
                    struct cb_err **err)
{
    if (snap->kind == BLD_SNAP_OVERLAY)
        return store_layer(s, LAYER_OVERLAY, NULL, snap->upper, out, err);
    return store_layer(s, LAYER_DIFF, snap->parent, snap->rootfs, out, err);
}

int bld_step_commit_tree(struct bld_solver *s, const char *dir, struct bld_layer_result *out,
                         struct cb_err **err)
{
    return store_layer(s, LAYER_TREE, NULL, dir, out, err);
}
