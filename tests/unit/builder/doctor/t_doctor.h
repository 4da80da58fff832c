/* t_doctor.h - helpers for the doctor's unit tests: build layer directories
 * by hand (files, owners, whiteouts) and small image configs. */
#ifndef CBUILD_TESTS_DOCTOR_T_DOCTOR_H
#define CBUILD_TESTS_DOCTOR_T_DOCTOR_H

#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <sys/xattr.h>
#include <unistd.h>

#include "../../../../base/fsutil.h"
#include "../../../../base/strv.h"
#include "../../../../base/xalloc.h"
#include "../../../../builder/doctor/rootfs.h"
#include "../../../../oci/image.h"
#include "../../../../oci/layer.h"
#include "../../../../oci/tarw.h"

/* Make the parents of path. */
static inline void td_parents(const char *path)
{
    char *p = xstrdup(path), *s = strrchr(p, '/');
    if (s) {
        *s = 0;
        cb_mkdir_p(p, 0755, NULL);
    }
    free(p);
}

static inline void td_file(const char *path, const char *content, mode_t mode)
{
    td_parents(path);
    t_write(path, content);
    chmod(path, mode);
}

static inline void td_dir(const char *path, mode_t mode)
{
    cb_mkdir_p(path, 0755, NULL);
    chmod(path, mode);
}

static inline void td_link(const char *path, const char *target)
{
    td_parents(path);
    symlink(target, path);
}

/* Record an owner the way the view reads it (xattr wins over st_uid). */
static inline int td_own(const char *path, uid_t uid, gid_t gid)
{
    unsigned char v[12];
    size_t n = oci_owner_xattr_encode(uid, gid, v);
    if (geteuid() == 0 && lchown(path, uid, gid) == 0)
        return 0;
    return lsetxattr(path, OCI_LAYER_OWNER_XATTR, v, n, 0);
}

/* A whiteout (0/0 char device): needs root. */
static inline int td_whiteout(const char *path)
{
    td_parents(path);
    return mknod(path, S_IFCHR | 0000, makedev(0, 0));
}

/* A minimal rootfs in dir: /bin/sh (a script), /etc/passwd with root and
 * app (1000, home /home/app), /etc/group. */
static inline void td_base(const char *dir)
{
    char *p;
    p = xasprintf("%s/bin/sh", dir);
    td_file(p, "#!/bin/sh\n", 0755);
    free(p);
    p = xasprintf("%s/etc/passwd", dir);
    td_file(p, "root:x:0:0:root:/root:/bin/sh\napp:x:1000:1000::/home/app:/bin/sh\n", 0644);
    free(p);
    p = xasprintf("%s/etc/group", dir);
    td_file(p, "root:x:0:\napp:x:1000:\n", 0644);
    free(p);
    p = xasprintf("%s/root", dir);
    td_dir(p, 0700);
    free(p);
}

/* A config: USER user (may be NULL), CMD argv (NULL-terminated), env. */
static inline void td_config(struct oci_image *img, const char *user, const char *const *cmd,
                             const char *const *env)
{
    oci_image_init(img);
    img->config.user = user ? xstrdup(user) : NULL;
    cb_strv_push(&img->config.env, "PATH=/usr/local/bin:/usr/bin:/bin");
    for (; env && *env; env++)
        cb_strv_push(&img->config.env, *env);
    for (; cmd && *cmd; cmd++)
        cb_strv_push(&img->config.cmd, *cmd);
    img->config.has_cmd = true;
}

static inline int td_write_fd(void *ud, const void *data, size_t len, struct cb_err **err)
{
    return cb_write_all(*(int *)ud, data, len, err);
}

/* The view over layer directories dirs[0..n): as directories in a test's
 * first variant (TEST2), and in its second each written as a gzip layer blob
 * ("DIR.blob", whiteouts and opaque markers as tar entries) and read back
 * into memory, so every check runs over both backends. */
static inline struct bld_rootfs *td_open(const char *const *dirs, size_t n, struct cb_err **err)
{
    struct oci_layer_write_opts o = {.compress = {.algo = OCI_COMPRESSION_GZIP}};
    struct cb_strv blobs = CB_STRV_INIT;
    struct bld_rootfs *fs = NULL;
    size_t i;

    if (!t_variant)
        return bld_rootfs_open_dirs(dirs, n, err);
    for (i = 0; i < n; i++) {
        char *blob = xasprintf("%s.blob", dirs[i]);
        int fd = open(blob, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
        struct oci_sink sink = {td_write_fd, &fd};
        struct oci_layer_desc d;
        int r = fd < 0 ? cb_fail(err, CB_EIO, 0, "create %s", blob)
                       : oci_layer_write_overlay(dirs[i], &o, &sink, &d, err);
        if (fd >= 0)
            close(fd);
        cb_strv_push_take(&blobs, blob);
        if (r < 0)
            break;
    }
    if (i == n)
        fs = bld_rootfs_open_blobs((const char *const *)blobs.v, n, err);
    cb_strv_release(&blobs);
    return fs;
}

#endif
