/* fixup_apply.c - carrying out a fixup plan: the changes tree written to a
 * directory (parents copied from the image, new and re-owned entries with
 * their owners), the config changes, and `cbuild doctor --fixup` on an
 * image of the store (one extra layer, a new config and manifest, a tag). */
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/xattr.h>
#include <unistd.h>

#include "fixup.h"
#include "../../base/cleanup.h"
#include "../../base/fsutil.h"
#include "../../base/xalloc.h"
#include "../../oci/layer.h"
#include "../../oci/store.h"
#include "../../oci/tarw.h"
#include "../../base/banned.h"

/* ---------------------------------------------------------------- the tree */

static int set_owner(int dfd, const char *rel, bool symlink, uid_t uid, gid_t gid,
                     struct cb_err **err)
{
    unsigned char v[12];
    size_t n;
    char path[64 + 4096];

    if (geteuid() == 0) {
        if (fchownat(dfd, rel, uid, gid, AT_SYMLINK_NOFOLLOW) < 0)
            return cb_fail(err, CB_EIO, errno, "chown '%s'", rel);
        return 0;
    }
    if (symlink)
        return 0; /* user xattrs are not allowed on symlinks */
    n = oci_owner_xattr_encode(uid, gid, v);
    snprintf(path, sizeof(path), "/proc/self/fd/%d/%s", dfd, rel);
    if (lsetxattr(path, OCI_LAYER_OWNER_XATTR, v, n, 0) < 0)
        return cb_fail(err, CB_EIO, errno, "record the owner of '%s'", rel);
    return 0;
}

static int set_mtime(int dfd, const char *rel, int64_t mtime, struct cb_err **err)
{
    struct timespec ts[2] = {{(time_t)mtime, 0}, {(time_t)mtime, 0}};
    if (utimensat(dfd, rel, ts, AT_SYMLINK_NOFOLLOW) < 0)
        return cb_fail(err, CB_EIO, errno, "set the mtime of '%s'", rel);
    return 0;
}

/* mkdir rel in dfd with the given metadata (an existing dir is re-stamped). */
static int make_dir(int dfd, const char *rel, mode_t mode, uid_t uid, gid_t gid,
                    struct cb_err **err)
{
    if (mkdirat(dfd, rel, 0700) < 0 && errno != EEXIST)
        return cb_fail(err, CB_EIO, errno, "mkdir '%s'", rel);
    if (set_owner(dfd, rel, false, uid, gid, err) < 0)
        return cb_err_rc(err);
    if (fchmodat(dfd, rel, mode & 07777, 0) < 0)
        return cb_fail(err, CB_EIO, errno, "chmod '%s'", rel);
    return 0;
}

/* Make every parent of rel in dfd, as the image has it (or 0755 root);
 * the ones made are appended to made. */
static int make_parents(struct bld_rootfs *fs, int dfd, const char *rel, struct cb_strv *made,
                        struct cb_err **err)
{
    cleanup_free char *p = xstrdup(rel);

    for (char *s = strchr(p, '/'); s; s = strchr(s + 1, '/')) {
        cleanup_free char *abs = NULL;
        struct bld_rootfs_stat st = {.mode = S_IFDIR | 0755};
        cleanup_err struct cb_err *e = NULL;
        struct stat have;
        *s = 0;
        if (fstatat(dfd, p, &have, AT_SYMLINK_NOFOLLOW) == 0) {
            *s = '/';
            continue;
        }
        abs = xasprintf("/%s", p);
        bld_rootfs_stat(fs, abs, false, &st, NULL, &e);
        if (!S_ISDIR(st.mode))
            return cb_fail(err, CB_EINVAL, 0, "'%s' is not a directory in the image", abs);
        if (make_dir(dfd, p, st.mode, st.uid, st.gid, err) < 0)
            return cb_err_rc(err);
        cb_strv_pushf(made, "/%s", p);
        *s = '/';
    }
    return 0;
}

static int copy_file(struct bld_rootfs *fs, const char *abs, int dfd, const char *rel,
                     struct cb_err **err)
{
    cleanup_close int in = bld_rootfs_open_file(fs, abs, err);
    cleanup_close int out = -1;
    char buf[65536];
    ssize_t n;

    if (in < 0)
        return in;
    out = openat(dfd, rel, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0600);
    if (out < 0)
        return cb_fail(err, CB_EIO, errno, "create '%s'", rel);
    while ((n = read(in, buf, sizeof(buf))) != 0) {
        if (n < 0 && errno == EINTR)
            continue;
        if (n < 0)
            return cb_fail(err, CB_EIO, errno, "read '%s' in the image", abs);
        if (cb_write_all(out, buf, (size_t)n, err) < 0)
            return cb_wrap(err, "write '%s'", rel);
    }
    return 0;
}

/* Rewrite an existing entry with the new owner. */
static int chown_entry(struct bld_rootfs *fs, const struct bld_fixup_entry *x, int dfd,
                       const char *rel, struct cb_err **err)
{
    struct bld_rootfs_stat st;
    cleanup_free char *target = NULL;

    if (bld_rootfs_stat(fs, x->path, false, &st, NULL, err) < 0)
        return cb_err_rc(err);
    if (S_ISDIR(st.mode))
        return make_dir(dfd, rel, x->mode, x->uid, x->gid, err);
    if (S_ISLNK(st.mode)) {
        if (bld_rootfs_readlink(fs, x->path, &target, err) < 0)
            return cb_err_rc(err);
        if (symlinkat(target, dfd, rel) < 0)
            return cb_fail(err, CB_EIO, errno, "symlink '%s'", rel);
        return set_owner(dfd, rel, true, x->uid, x->gid, err);
    }
    if (!S_ISREG(st.mode))
        return 0; /* devices, fifos, sockets: left as they are */
    if (copy_file(fs, x->path, dfd, rel, err) < 0 ||
        set_owner(dfd, rel, false, x->uid, x->gid, err) < 0)
        return cb_err_rc(err);
    if (fchmodat(dfd, rel, x->mode & 07777, 0) < 0)
        return cb_fail(err, CB_EIO, errno, "chmod '%s'", rel);
    return 0;
}

static int entry_cmp(const void *a, const void *b)
{
    return strcmp(((const struct bld_fixup_entry *)a)->path,
                  ((const struct bld_fixup_entry *)b)->path);
}

/* mtimes last, once nothing more is created: the image's for entries it
 * has, the parent's for new directories. */
static int stamp(struct bld_rootfs *fs, int dfd, const struct cb_strv *made, struct cb_err **err)
{
    for (size_t i = made->n; i-- > 0;) {
        const char *abs = made->v[i];
        cleanup_free char *parent = xstrdup(abs);
        struct bld_rootfs_stat st = {0};
        cleanup_err struct cb_err *e = NULL;
        *strrchr(parent, '/') = 0;
        if (bld_rootfs_stat(fs, abs, false, &st, NULL, &e) < 0)
            bld_rootfs_stat(fs, *parent ? parent : "/", true, &st, NULL, &e);
        if (set_mtime(dfd, abs + 1, st.mtime, err) < 0)
            return cb_err_rc(err);
    }
    return 0;
}

int bld_fixup_apply_to_dir(const struct bld_fixup_plan *p, struct bld_rootfs *fs, const char *dir,
                           struct cb_err **err)
{
    cleanup_close int dfd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    struct bld_fixup_entry *v = xmemdup(p->v, p->n * sizeof(*p->v) + 1);
    cleanup_strv_s struct cb_strv made = CB_STRV_INIT;
    int r = 0;

    if (dfd < 0) {
        free(v);
        return cb_fail(err, CB_EIO, errno, "open '%s'", dir);
    }
    if (p->n)
        qsort(v, p->n, sizeof(*v), entry_cmp);
    for (size_t i = 0; r >= 0 && i < p->n; i++) {
        const char *rel = v[i].path + strspn(v[i].path, "/");
        if (!*rel || (i && !strcmp(v[i].path, v[i - 1].path)))
            continue;
        r = make_parents(fs, dfd, rel, &made, err);
        if (r >= 0)
            r = v[i].op == BLD_FIXUP_MKDIR ? make_dir(dfd, rel, v[i].mode, v[i].uid, v[i].gid, err)
                                           : chown_entry(fs, &v[i], dfd, rel, err);
        cb_strv_pushf(&made, "/%s", rel);
    }
    if (r >= 0)
        r = stamp(fs, dfd, &made, err);
    free(v);
    return r < 0 ? cb_wrap(err, "write the fixups into '%s'", dir) : 0;
}

/* ---------------------------------------------------------------- config */

void bld_fixup_apply_config(const struct bld_fixup_plan *p, struct oci_image *img)
{
    struct oci_history h = {0};

    if (!p->changed)
        return;
    for (size_t i = 0; i < p->env.n; i++) {
        size_t n = strcspn(p->env.v[i], "=") + 1;
        long at = -1;
        for (size_t j = 0; j < img->config.env.n; j++)
            if (!strncmp(img->config.env.v[j], p->env.v[i], n))
                at = (long)j;
        if (at >= 0) {
            free(img->config.env.v[at]);
            img->config.env.v[at] = xstrdup(p->env.v[i]);
        } else {
            cb_strv_push(&img->config.env, p->env.v[i]);
        }
    }
    h.created = img->created;
    h.created_by = p->history;
    h.comment = (char *)"cbuild doctor fixup";
    h.empty_layer = p->n == 0;
    oci_image_add_history(img, &h);
}

/* ---------------------------------------------------------------- an image of the store */

static int write_layer(struct oci_store *s, const struct bld_fixup_plan *p, struct bld_rootfs *fs,
                       struct oci_descriptor *ld, struct oci_digest *diff_id, struct cb_err **err)
{
    struct oci_layout *l = oci_store_layout_peek(s);
    cleanup_free char *tmp = cb_mkdtemp(oci_store_tmp_peek(s), "fixup-", err);
    cleanup_blob_writer struct oci_blob_writer *w = NULL;
    struct oci_layer_write_opts o = {.compress = {.algo = OCI_COMPRESSION_GZIP}};
    struct oci_layer_desc d;
    struct oci_sink sink;
    int r;

    if (!tmp)
        return cb_err_rc(err);
    r = bld_fixup_apply_to_dir(p, fs, tmp, err);
    if (r >= 0 && !(w = oci_blob_writer_new(l, err)))
        r = cb_err_rc(err);
    if (r >= 0) {
        sink = oci_blob_writer_sink(w);
        r = oci_layer_write_tree(tmp, &o, &sink, &d, err);
    }
    if (r >= 0)
        r = oci_blob_writer_commit(w, &d.digest, (int64_t)d.size, NULL, err);
    if (cb_rm_rf(tmp, r < 0 ? NULL : err) < 0 && r >= 0)
        r = cb_err_rc(err);
    if (r < 0)
        return cb_wrap(err, "write the fixup layer");
    oci_descriptor_init(ld);
    ld->media_type = xstrdup(oci_compression_layer_media_type(d.compression));
    ld->digest = d.digest;
    ld->size = (int64_t)d.size;
    *diff_id = d.diff_id;
    return 0;
}

static int commit_image(struct oci_store *s, const struct bld_fixup_plan *p, struct bld_rootfs *fs,
                        struct oci_manifest *m, struct oci_image *img, const char *dst,
                        struct cb_err **err)
{
    struct oci_layout *l = oci_store_layout_peek(s);
    struct oci_descriptor ld, out;
    struct oci_digest diff_id;
    int r;

    if (p->n) {
        if (write_layer(s, p, fs, &ld, &diff_id, err) < 0)
            return cb_err_rc(err);
        oci_manifest_add_layer(m, &ld);
        oci_descriptor_release(&ld);
        oci_image_add_diff_id(img, &diff_id);
    }
    oci_manifest_to_oci(m); /* the config below is written as an OCI config */
    bld_fixup_apply_config(p, img);
    oci_descriptor_release(&m->config);
    if (oci_layout_put_image(l, img, &m->config, err) < 0 ||
        oci_layout_put_manifest(l, m, &out, err) < 0)
        return cb_err_rc(err);
    r = oci_store_add(s, dst, &out, err);
    oci_descriptor_release(&out);
    return r;
}

int bld_fixup_image(struct oci_store *s, const char *src, unsigned which, const char *dst,
                    struct bld_fixup_plan *plan, struct cb_err **err)
{
    cleanup_manifest struct oci_manifest m = {0};
    cleanup_image struct oci_image img = {0};
    cleanup_rootfs struct bld_rootfs *fs = NULL;
    cleanup_fixup_plan struct bld_fixup_plan p = {0};
    struct oci_descriptor mdesc;
    int r;

    bld_fixup_plan_init(&p);
    if (oci_store_get_image(s, src, NULL, &mdesc, &m, &img, err) < 0)
        return cb_err_rc(err);
    fs = bld_rootfs_open_image(s, m.layers, m.n_layers, &img, BLD_ROOTFS_UNPACK, err);
    r = fs ? bld_fixup_plan(&img, fs, which, &p, err) : cb_err_rc(err);
    if (r >= 0)
        r = p.changed ? commit_image(s, &p, fs, &m, &img, dst, err)
                      : oci_store_add(s, dst, &mdesc, err);
    oci_descriptor_release(&mdesc);
    if (r < 0)
        return cb_wrap(err, "fix up '%s'", src);
    if (plan) {
        bld_fixup_plan_release(plan);
        *plan = p;
        bld_fixup_plan_init(&p);
    }
    return 0;
}
