/* snapshot.c - overlay and native snapshots (see snapshot.h). */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <unistd.h>

#include "rundir.h"
#include "snapshot.h"
#include "treecopy.h"
#include "../../base/buf.h"
#include "../../base/cleanup.h"
#include "../../base/fsutil.h"
#include "../../base/xalloc.h"
#include "../../base/banned.h"

/* Options fixed so the upper dir has the plain form the layer diff reads;
 * volatile skips the sync of the upper filesystem at unmount (a step's
 * upper is thrown away after a crash anyway), which costs 100s of ms on a
 * busy disk. */
#define OVL_FIXED_OPTS "redirect_dir=off,index=off,metacopy=off,volatile"

int bld_snapshotter_parse(const char *name, enum bld_snapshotter *out, struct cb_err **err)
{
    if (!name || !strcmp(name, "auto"))
        *out = BLD_SNAP_AUTO;
    else if (!strcmp(name, "overlay") || !strcmp(name, "overlayfs"))
        *out = BLD_SNAP_OVERLAY;
    else if (!strcmp(name, "native"))
        *out = BLD_SNAP_NATIVE;
    else
        return cb_fail(err, CB_EINVAL, 0, "unknown snapshotter '%s' (want overlay, native or auto)",
                       name);
    return 0;
}

bool bld_overlay_supported(void)
{
    cleanup_buf struct cb_buf b;
    cleanup_err struct cb_err *e = NULL;
    cb_buf_init(&b, 1 << 20);
    if (getuid() != 0 || cb_read_file("/proc/filesystems", &b, &e) < 0)
        return false;
    return strstr(cb_buf_str(&b), "\toverlay\n") != NULL;
}

/* The upper and work dirs, and the mount(2) options for the fallback:
 * lowers named links/<i> (the links are only made when that path is used). */
static int prepare_overlay(struct bld_snapshot *s, struct cb_err **err)
{
    cleanup_buf struct cb_buf opts;
    s->upper = cb_path_join(s->dir, "upper");
    s->work = cb_path_join(s->dir, "work");
    s->links = cb_path_join(s->dir, "l");
    if (s->lowers.n == 0) {
        cleanup_free char *empty = cb_path_join(s->dir, "empty");
        if (cb_mkdir_p(empty, 0755, err) < 0)
            return cb_err_rc(err);
        cb_strv_push(&s->lowers, empty);
    }
    if (cb_mkdir_p(s->upper, 0755, err) < 0 || cb_mkdir_p(s->work, 0700, err) < 0)
        return cb_err_rc(err);
    cb_buf_init(&opts, 64 << 10);
    if (cb_buf_adds(&opts, "lowerdir=", err) < 0)
        return cb_err_rc(err);
    for (size_t i = s->lowers.n; i-- > 0;)
        if (cb_buf_addf(&opts, err, "%zx%s", i, i ? ":" : "") < 0)
            return cb_err_rc(err);
    if (cb_buf_addf(&opts, err, ",upperdir=%s,workdir=%s," OVL_FIXED_OPTS, s->upper, s->work) < 0)
        return cb_err_rc(err);
    s->mount_opts = cb_buf_detach(&opts, NULL);
    return 0;
}

static int prepare_native(struct bld_snapshot *s, struct cb_err **err)
{
    s->rootfs = cb_path_join(s->dir, "rootfs");
    s->parent = cb_path_join(s->dir, "parent");
    if (cb_mkdir_p(s->parent, 0755, err) < 0)
        return cb_err_rc(err);
    for (size_t i = 0; i < s->lowers.n; i++)
        if (bld_tree_copy(s->lowers.v[i], s->parent, BLD_COPY_APPLY_WHITEOUTS, err) < 0)
            return cb_wrap(err, "native snapshot");
    return bld_tree_copy(s->parent, s->rootfs, 0, err) < 0 ? cb_wrap(err, "native snapshot") : 0;
}

int bld_snapshot_prepare(const struct bld_snapshot_opts *o, struct bld_snapshot **out,
                         struct cb_err **err)
{
    struct bld_snapshot *s = xcalloc(1, sizeof(*s));
    int r;
    s->kind = o->kind;
    if (s->kind == BLD_SNAP_AUTO)
        s->kind = bld_overlay_supported() ? BLD_SNAP_OVERLAY : BLD_SNAP_NATIVE;
    for (size_t i = 0; i < o->n_lowers; i++) {
        char *abs = realpath(o->lowers[i], NULL);
        if (!abs) {
            bld_snapshot_free(s);
            return cb_fail(err, CB_ENOTFOUND, errno, "layer dir '%s'", o->lowers[i]);
        }
        cb_strv_push_take(&s->lowers, abs);
    }
    s->dir = bld_rundir_create(o->state_dir, "snap", err);
    if (!s->dir) {
        bld_snapshot_free(s);
        return cb_wrap(err, "prepare snapshot");
    }
    if (s->dir[0] != '/') { /* overlay options and the helper's chdir need it absolute */
        char *abs = realpath(s->dir, NULL);
        if (!abs) {
            bld_snapshot_free(s);
            return cb_fail(err, CB_EIO, errno, "resolve '%s'", o->state_dir);
        }
        free(s->dir);
        s->dir = abs;
    }
    r = s->kind == BLD_SNAP_OVERLAY ? prepare_overlay(s, err) : prepare_native(s, err);
    if (r < 0) {
        bld_snapshot_free(s);
        return r;
    }
    *out = s;
    return 0;
}

void bld_snapshot_free(struct bld_snapshot *s)
{
    if (!s)
        return;
    if (s->dir)
        bld_rundir_remove(s->dir, NULL);
    cb_strv_release(&s->lowers);
    free(s->dir);
    free(s->upper);
    free(s->work);
    free(s->links);
    free(s->mount_opts);
    free(s->rootfs);
    free(s->parent);
    free(s);
}

const char *bld_snapshot_write_dir(const struct bld_snapshot *s)
{
    return s->kind == BLD_SNAP_OVERLAY ? s->upper : s->rootfs;
}

/* A volatile overlay leaves work/incompat/volatile behind and refuses to
 * mount over it again; the snapshot's owner knows the upper is intact. */
static void clear_volatile(const struct bld_snapshot *s)
{
    char vol[4096];
    snprintf(vol, sizeof(vol), "%s/work/incompat/volatile/dirty", s->work);
    unlink(vol);
    *strrchr(vol, '/') = '\0';
    rmdir(vol);
}

/* The new mount API: one fsconfig call per lower, top first, so there is no
 * page-sized limit on the option string (kernel >= 6.8 for "lowerdir+"). */
static int mount_fsconfig(const struct bld_snapshot *s, const char *target, const char **what)
{
    int fs, mnt, r = 0;
    clear_volatile(s);
    fs = fsopen("overlay", FSOPEN_CLOEXEC);
    if (fs < 0)
        return *what = "fsopen overlay", -errno;
    for (size_t i = s->lowers.n; i-- > 0 && r == 0;)
        r = fsconfig(fs, FSCONFIG_SET_STRING, "lowerdir+", s->lowers.v[i], 0);
    if (r == 0)
        r = fsconfig(fs, FSCONFIG_SET_STRING, "upperdir", s->upper, 0);
    if (r == 0)
        r = fsconfig(fs, FSCONFIG_SET_STRING, "workdir", s->work, 0);
    if (r == 0)
        fsconfig(fs, FSCONFIG_SET_STRING, "redirect_dir", "off", 0);
    if (r == 0)
        fsconfig(fs, FSCONFIG_SET_STRING, "index", "off", 0);
    if (r == 0)
        fsconfig(fs, FSCONFIG_SET_STRING, "metacopy", "off", 0);
    if (r == 0)
        fsconfig(fs, FSCONFIG_SET_FLAG, "volatile", NULL, 0);
    if (r == 0)
        r = fsconfig(fs, FSCONFIG_CMD_CREATE, NULL, NULL, 0);
    if (r < 0) {
        r = -errno;
        close(fs);
        return *what = "fsconfig overlay", r;
    }
    mnt = fsmount(fs, FSMOUNT_CLOEXEC, 0);
    r = mnt < 0 ? -errno : 0;
    close(fs);
    if (r < 0)
        return *what = "fsmount overlay", r;
    r = move_mount(mnt, "", AT_FDCWD, target, MOVE_MOUNT_F_EMPTY_PATH) < 0 ? -errno : 0;
    close(mnt);
    return r < 0 ? (*what = "move_mount overlay", r) : 0;
}

/* mount(2) with lowers named by short relative symlinks: chdir is fine
 * here, the caller is a single-purpose helper process. */
int bld_snapshot_mount_legacy(const struct bld_snapshot *s, const char *target, const char **what)
{
    clear_volatile(s);
    if (mkdir(s->links, 0700) < 0 && errno != EEXIST)
        return *what = "mkdir the layer links", -errno;
    if (chdir(s->links) < 0)
        return *what = "chdir to the layer links", -errno;
    for (size_t i = 0; i < s->lowers.n; i++) {
        char name[32];
        snprintf(name, sizeof(name), "%zx", i);
        if (symlink(s->lowers.v[i], name) < 0 && errno != EEXIST)
            return *what = "link a layer", -errno;
    }
    if (mount("overlay", target, "overlay", 0, s->mount_opts) < 0)
        return *what = "mount overlay", -errno;
    return 0;
}

int bld_snapshot_mount(const struct bld_snapshot *s, const char *target, const char **what)
{
    int r;
    if (s->kind == BLD_SNAP_NATIVE) {
        if (mount(s->rootfs, target, NULL, MS_BIND | MS_REC, NULL) < 0)
            return *what = "bind mount the rootfs", -errno;
        return 0;
    }
    r = mount_fsconfig(s, target, what);
    if (r == -EINVAL || r == -ENOSYS || r == -EOPNOTSUPP)
        r = bld_snapshot_mount_legacy(s, target, what);
    return r;
}
