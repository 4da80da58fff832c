/* import.c - reading images into a layout for `cbuild load`: an OCI layout
 * directory, an OCI archive or a docker archive (`docker save`, skopeo's
 * docker-archive), told apart by their content (oci-layout vs
 * manifest.json).  A tar is first unpacked into a private temp directory
 * with libarchive's secure flags (no "..", no writing through symlinks) and
 * every file inside is then opened beneath that directory; every blob is
 * verified as it is copied, and docker layers are checked against the
 * config's diff_ids. */
#include <archive.h>
#include <archive_entry.h>
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "dockerjson.h"
#include "export.h"
#include "export_internal.h"
#include "../base/cleanup.h"
#include "../base/fsutil.h"
#include "../base/xalloc.h"
#include "../base/banned.h"

#define ANNOT_CONTAINERD_NAME "io.containerd.image.name"

void oci_import_result_release(struct oci_import_result *r)
{
    for (size_t i = 0; i < r->n; i++) {
        free(r->images[i].name);
        oci_descriptor_release(&r->images[i].desc);
    }
    free(r->images);
    memset(r, 0, sizeof(*r));
}

static void result_add(struct oci_import_result *r, const char *name,
                       const struct oci_descriptor *d)
{
    XGROW(r->images, r->n + 1, r->alloc);
    r->images[r->n].name = name ? xstrdup(name) : NULL;
    oci_descriptor_copy(&r->images[r->n].desc, d);
    oci_map_del(&r->images[r->n].desc.annotations, OCI_ANNOT_REF_NAME);
    oci_map_del(&r->images[r->n].desc.annotations, ANNOT_CONTAINERD_NAME);
    r->n++;
}

/* ---------------------------------------------------------------- OCI layout */

/* Whether an index entry is selected by ref (NULL selects all). */
static bool entry_wanted(const struct oci_descriptor *d, const char *ref)
{
    const char *a = oci_map_peek(&d->annotations, OCI_ANNOT_REF_NAME);
    const char *b = oci_map_peek(&d->annotations, ANNOT_CONTAINERD_NAME);
    return !ref || (a && !strcmp(a, ref)) || (b && !strcmp(b, ref));
}

static int import_layout(struct oci_layout *dst, const char *dir, const char *ref,
                         struct oci_import_result *out, struct cb_err **err)
{
    cleanup_layout struct oci_layout *src = oci_layout_open(dir, 0, err);
    cleanup_index struct oci_index x = {0};
    struct oci_blob_list blobs = {0};
    int r = 0;

    oci_index_init(&x);
    if (!src || oci_layout_read_index(src, &x, err) < 0)
        return cb_err_rc(err);
    for (size_t i = x.n_manifests; i-- > 0;)
        if (!entry_wanted(&x.manifests[i], ref))
            oci_index_remove(&x, i);
    for (size_t i = 0; r >= 0 && i < x.n_manifests; i++)
        r = oci_closure_collect(src, &x.manifests[i], &blobs, err);
    for (size_t i = blobs.n; r >= 0 && i-- > 0;)
        r = oci_blob_copy(src, dst, &blobs.v[i], err);
    oci_blob_list_release(&blobs);
    for (size_t i = 0; r >= 0 && i < x.n_manifests; i++) {
        const struct oci_descriptor *d = &x.manifests[i];
        const char *name = oci_map_peek(&d->annotations, ANNOT_CONTAINERD_NAME);
        result_add(out, name ? name : oci_map_peek(&d->annotations, OCI_ANNOT_REF_NAME), d);
    }
    return r < 0 ? r : 0;
}

/* ---------------------------------------------------------------- docker archive */

static int open_in(int rootfd, const char *dir, const char *rel, struct cb_err **err)
{
    int fd = cb_open_beneath(rootfd, rel, O_RDONLY | O_CLOEXEC, 0, err);

    if (fd < 0)
        return cb_wrap(err, "docker archive '%s'", dir);
    return fd;
}

/* Store the file rel as a blob; its digest and size into d. */
static int put_file(struct oci_layout *dst, int rootfd, const char *dir, const char *rel,
                    struct oci_descriptor *d, struct cb_err **err)
{
    cleanup_close int fd = open_in(rootfd, dir, rel, err);

    if (fd < 0)
        return cb_err_rc(err);
    if (oci_layout_put_blob_fd(dst, fd, &d->digest, &d->size, err) < 0)
        return cb_wrap(err, "import '%s'", rel);
    return 0;
}

static const char *layer_media_type(const unsigned char *magic, ssize_t n)
{
    if (n >= 2 && magic[0] == 0x1f && magic[1] == 0x8b)
        return OCI_MT_LAYER_GZIP;
    if (n >= 4 && magic[0] == 0x28 && magic[1] == 0xb5 && magic[2] == 0x2f && magic[3] == 0xfd)
        return OCI_MT_LAYER_ZSTD;
    return OCI_MT_LAYER;
}

/* Import layer rel and check that it unpacks to diff_id. */
static int docker_layer(struct oci_layout *dst, int rootfd, const char *dir, const char *rel,
                        const struct oci_digest *diff_id, struct oci_descriptor *d,
                        struct cb_err **err)
{
    char a[OCI_DIGEST_STR_MAX], b[OCI_DIGEST_STR_MAX];
    cleanup_close int fd = -1;
    unsigned char magic[4];
    struct oci_digest got;
    int64_t size;
    ssize_t n;

    if (put_file(dst, rootfd, dir, rel, d, err) < 0)
        return cb_err_rc(err);
    fd = oci_layout_blob_open(dst, &d->digest, err);
    if (fd < 0)
        return cb_err_rc(err);
    n = pread(fd, magic, sizeof(magic), 0);
    d->media_type = xstrdup(layer_media_type(magic, n));
    if (!strcmp(d->media_type, OCI_MT_LAYER))
        got = d->digest;
    else if (oci_uncompressed_digest(fd, -1, &got, &size, err) < 0)
        return cb_wrap(err, "layer '%s'", rel);
    if (!oci_digest_equal(&got, diff_id))
        return cb_fail(err, CB_EDIGEST, 0, "layer '%s' has diff_id '%s', the config says '%s'", rel,
                       oci_digest_fmt(&got, a), oci_digest_fmt(diff_id, b));
    return 0;
}

static int docker_entry(struct oci_layout *dst, int rootfd, const char *dir,
                        const struct oci_docker_entry *e, struct oci_import_result *out,
                        struct cb_err **err)
{
    cleanup_manifest struct oci_manifest m = {0};
    cleanup_image struct oci_image img = {0};
    struct oci_descriptor md;
    int r = 0;

    oci_manifest_init(&m);
    oci_image_init(&img);
    m.media_type = xstrdup(OCI_MT_MANIFEST);
    m.config.media_type = xstrdup(OCI_MT_CONFIG);
    if (put_file(dst, rootfd, dir, e->config, &m.config, err) < 0 ||
        oci_layout_get_image(dst, &m.config.digest, &img, err) < 0)
        return cb_wrap(err, "config '%s'", e->config);
    if (img.n_diff_ids != e->layers.n)
        return cb_fail(err, CB_EINVAL, 0, "'%s' lists %zu layers, its config %zu diff_ids",
                       e->config, e->layers.n, img.n_diff_ids);
    for (size_t i = 0; r >= 0 && i < e->layers.n; i++) {
        struct oci_descriptor ld;
        oci_descriptor_init(&ld);
        r = docker_layer(dst, rootfd, dir, e->layers.v[i], &img.diff_ids[i], &ld, err);
        if (r >= 0)
            oci_manifest_add_layer(&m, &ld);
        oci_descriptor_release(&ld);
    }
    if (r < 0 || oci_layout_put_manifest(dst, &m, &md, err) < 0)
        return cb_err_rc(err);
    for (size_t i = 0; i < e->repo_tags.n; i++)
        result_add(out, e->repo_tags.v[i], &md);
    if (!e->repo_tags.n)
        result_add(out, NULL, &md);
    oci_descriptor_release(&md);
    return 0;
}

static int import_docker(struct oci_layout *dst, const char *dir, const char *ref,
                         struct oci_import_result *out, struct cb_err **err)
{
    cleanup_close int rootfd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC), fd = -1;
    cleanup_buf struct cb_buf b = {0};
    struct oci_docker_manifest dm;
    int r = 0;

    if (rootfd < 0)
        return cb_fail(err, CB_EIO, errno, "open '%s'", dir);
    fd = open_in(rootfd, dir, "manifest.json", err);
    cb_buf_init(&b, OCI_DOC_LIMIT);
    if (fd < 0 || cb_read_all(fd, &b, err) < 0 ||
        oci_docker_manifest_parse(b.data, b.len, &dm, err) < 0)
        return cb_err_rc(err);
    for (size_t i = 0; r >= 0 && i < dm.n; i++)
        if (!ref || cb_strv_find(&dm.v[i].repo_tags, ref) >= 0)
            r = docker_entry(dst, rootfd, dir, &dm.v[i], out, err);
    oci_docker_manifest_release(&dm);
    return r < 0 ? r : 0;
}

/* ---------------------------------------------------------------- tar unpacking */

static bool safe_name(const char *p)
{
    if (*p == '/')
        return false;
    for (const char *c = p; *c;) {
        size_t n = strcspn(c, "/");
        if (n == 2 && c[0] == '.' && c[1] == '.')
            return false;
        c += n;
        c += *c == '/';
    }
    return true;
}

static int extract_entry(struct archive *disk, struct archive_entry *e, const char *dir,
                         struct cb_err **err)
{
    const char *name = archive_entry_pathname(e);
    unsigned type = archive_entry_filetype(e);
    cleanup_free char *full = NULL;

    if (!name || !safe_name(name))
        return cb_fail(err, CB_EINVAL, 0, "archive entry '%s' has an unsafe path",
                       name ? name : "");
    if (type != AE_IFREG && type != AE_IFDIR && type != AE_IFLNK)
        return 0;
    full = cb_path_join(dir, name);
    archive_entry_set_pathname(e, full);
    archive_entry_set_perm(e, type == AE_IFDIR ? 0700 : 0600);
    if (archive_write_header(disk, e) != ARCHIVE_OK)
        return cb_fail(err, CB_EIO, 0, "unpack '%s': %s", name, archive_error_string(disk));
    return 0;
}

static int copy_data(struct archive *a, struct archive *disk, const char *name, struct cb_err **err)
{
    const void *buf;
    size_t size;
    la_int64_t off;
    int r;

    while ((r = archive_read_data_block(a, &buf, &size, &off)) == ARCHIVE_OK)
        if (archive_write_data_block(disk, buf, size, off) != ARCHIVE_OK)
            return cb_fail(err, CB_EIO, 0, "unpack '%s': %s", name, archive_error_string(disk));
    if (r != ARCHIVE_EOF)
        return cb_fail(err, CB_EIO, 0, "read '%s': %s", name, archive_error_string(a));
    return archive_write_finish_entry(disk) == ARCHIVE_OK
               ? 0
               : cb_fail(err, CB_EIO, 0, "unpack '%s': %s", name, archive_error_string(disk));
}

static int unpack_tar(const char *path, const char *dir, struct cb_err **err)
{
    struct archive *a = archive_read_new(), *disk = archive_write_disk_new();
    struct archive_entry *e;
    int r = 0, st;

    archive_read_support_filter_all(a);
    archive_read_support_format_tar(a);
    archive_write_disk_set_options(disk, ARCHIVE_EXTRACT_SECURE_SYMLINKS |
                                             ARCHIVE_EXTRACT_SECURE_NODOTDOT |
                                             ARCHIVE_EXTRACT_PERM);
    if (archive_read_open_filename(a, path, 1 << 16) != ARCHIVE_OK)
        r = cb_fail(err, CB_EINVAL, 0, "not a tar archive: %s", archive_error_string(a));
    while (r >= 0 && (st = archive_read_next_header(a, &e)) == ARCHIVE_OK) {
        unsigned type = archive_entry_filetype(e);
        cleanup_free char *name =
            xstrdup(archive_entry_pathname(e) ? archive_entry_pathname(e) : "");
        r = extract_entry(disk, e, dir, err);
        if (r >= 0 && type == AE_IFREG)
            r = copy_data(a, disk, name, err);
    }
    if (r >= 0 && st != ARCHIVE_EOF)
        r = cb_fail(err, CB_EINVAL, 0, "read '%s': %s", path, archive_error_string(a));
    archive_read_free(a);
    archive_write_free(disk);
    return r;
}

/* ---------------------------------------------------------------- entry point */

static int import_dir(struct oci_layout *dst, const char *dir, const char *shown, const char *ref,
                      struct oci_import_result *out, struct cb_err **err)
{
    cleanup_free char *mj = cb_path_join(dir, "manifest.json");

    if (oci_layout_is_layout(dir))
        return import_layout(dst, dir, ref, out, err);
    if (cb_path_exists(mj))
        return import_docker(dst, dir, ref, out, err);
    return cb_fail(err, CB_EINVAL, 0, "'%s' is neither an OCI layout nor a docker archive", shown);
}

int oci_import(struct oci_layout *dst, const char *path, const char *tmpdir,
               struct oci_import_result *out, struct cb_err **err)
{
    return oci_import_ref(dst, path, NULL, tmpdir, out, err);
}

int oci_import_ref(struct oci_layout *dst, const char *path, const char *ref, const char *tmpdir,
                   struct oci_import_result *out, struct cb_err **err)
{
    cleanup_free char *work = NULL;
    struct stat st;
    int r;

    memset(out, 0, sizeof(*out));
    if (stat(path, &st) < 0)
        return cb_fail(err, errno == ENOENT ? CB_ENOTFOUND : CB_EIO, errno, "load '%s'", path);
    if (S_ISDIR(st.st_mode))
        r = import_dir(dst, path, path, ref, out, err);
    else if (!(work = cb_mkdtemp(tmpdir, "load-", err)))
        r = cb_err_rc(err);
    else if ((r = unpack_tar(path, work, err)) >= 0)
        r = import_dir(dst, work, path, ref, out, err);
    if (r >= 0 && ref && !out->n)
        r = cb_fail(err, CB_ENOTFOUND, 0, "no image named '%s'", ref);
    if (work)
        cb_rm_rf(work, NULL);
    if (r < 0) {
        oci_import_result_release(out);
        return cb_wrap(err, "load '%s'", path);
    }
    return 0;
}
