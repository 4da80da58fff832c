/* export.c - writing images out of a layout: an OCI layout directory, an OCI
 * archive (that directory as a tar), a docker-archive tar (`docker load`
 * format: <config>.json, uncompressed <diff_id>.tar layers, manifest.json,
 * repositories, as skopeo's docker-archive writes it) and a rootfs
 * directory.  Tars are deterministic (PAX, sorted writing order, mtime 0,
 * owner 0:0) and written to a temp name beside the destination, then
 * renamed.  Import is in import.c. */
#include <archive.h>
#include <archive_entry.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "dockerjson.h"
#include "export.h"
#include "export_internal.h"
#include "oci_internal.h"
#include "reference.h"
#include "../base/cleanup.h"
#include "../base/fsutil.h"
#include "../base/xalloc.h"
#include "../base/banned.h"

#define ANNOT_CONTAINERD_NAME "io.containerd.image.name"

int oci_export_format_parse(const char *s, enum oci_export_format *out, struct cb_err **err)
{
    static const struct {
        const char *name;
        enum oci_export_format f;
    } names[] = {
        {"oci", OCI_EXPORT_OCI_ARCHIVE},       {"oci-archive", OCI_EXPORT_OCI_ARCHIVE},
        {"oci-dir", OCI_EXPORT_LAYOUT},        {"oci-layout", OCI_EXPORT_LAYOUT},
        {"docker", OCI_EXPORT_DOCKER_ARCHIVE}, {"docker-archive", OCI_EXPORT_DOCKER_ARCHIVE},
        {"rootfs", OCI_EXPORT_ROOTFS},
    };
    for (size_t i = 0; i < sizeof(names) / sizeof(names[0]); i++)
        if (!strcmp(s, names[i].name)) {
            *out = names[i].f;
            return 0;
        }
    return cb_fail(err, CB_EINVAL, 0, "unknown format '%s' (want oci, oci-dir, docker or rootfs)",
                   s);
}

/* ---------------------------------------------------------------- layout dir */

/* The descriptor as it goes into the destination's index.json. */
static void entry_desc(const struct oci_export_item *it, struct oci_descriptor *d)
{
    oci_descriptor_copy(d, &it->desc);
    oci_map_del(&d->annotations, OCI_ANNOT_REF_NAME);
    if (it->image_name)
        oci_map_set(&d->annotations, ANNOT_CONTAINERD_NAME, it->image_name);
    if (it->ref_name)
        oci_map_set(&d->annotations, OCI_ANNOT_REF_NAME, it->ref_name);
}

static int export_layout(struct oci_layout *src, const struct oci_export_req *req,
                         struct cb_err **err)
{
    cleanup_layout struct oci_layout *dst = NULL;
    struct oci_blob_list blobs = {0};
    int r = 0;

    if (cb_path_exists(req->dest) && !req->merge)
        return cb_fail(err, CB_EINVAL, 0, "'%s' already exists", req->dest);
    if (cb_path_exists(req->dest) && !oci_layout_is_layout(req->dest))
        return cb_fail(err, CB_EINVAL, 0, "'%s' exists and is not an OCI layout", req->dest);
    dst = oci_layout_open(req->dest, OCI_LAYOUT_CREATE, err);
    if (!dst)
        return cb_err_rc(err);
    for (size_t i = 0; r >= 0 && i < req->n_items; i++)
        r = oci_closure_collect(src, &req->items[i].desc, &blobs, err);
    /* children before parents, so a present manifest implies its blobs */
    for (size_t i = blobs.n; r >= 0 && i-- > 0;)
        r = oci_blob_copy(src, dst, &blobs.v[i], err);
    oci_blob_list_release(&blobs);
    for (size_t i = 0; r >= 0 && i < req->n_items; i++) {
        struct oci_descriptor d;
        entry_desc(&req->items[i], &d);
        r = oci_layout_tag(dst, req->items[i].ref_name, &d, err);
        oci_descriptor_release(&d);
    }
    return r < 0 ? r : 0;
}

/* ---------------------------------------------------------------- OCI archive */

static int oci_archive_write(struct oci_layout *src, const struct oci_export_req *req,
                             struct archive *a, struct cb_err **err)
{
    cleanup_buf struct cb_buf marker = {0}, index = {0};
    struct oci_blob_list blobs = {0};
    struct oci_index x;
    int r = 0;

    cb_buf_init(&marker, 4096);
    cb_buf_init(&index, OCI_DOC_LIMIT);
    oci_index_init(&x);
    for (size_t i = 0; r >= 0 && i < req->n_items; i++) {
        struct oci_descriptor d;
        r = oci_closure_collect(src, &req->items[i].desc, &blobs, err);
        entry_desc(&req->items[i], &d);
        oci_index_add(&x, &d);
        oci_descriptor_release(&d);
    }
    if (r >= 0 && (oci_layout_marker_dump(&marker, err) < 0 || oci_index_dump(&x, &index, err) < 0))
        r = cb_err_rc(err);
    oci_index_release(&x);
    if (r >= 0 && (tar_add_data(a, "oci-layout", marker.data, marker.len, err) < 0 ||
                   tar_add_dir(a, "blobs", err) < 0 || tar_add_dir(a, "blobs/sha256", err) < 0))
        r = cb_err_rc(err);
    for (size_t i = 0; r >= 0 && i < blobs.n; i++) {
        char hex[65], name[80];
        snprintf(name, sizeof(name), "blobs/sha256/%s", oci_digest_hex(&blobs.v[i].digest, hex));
        r = tar_add_blob(a, src, name, &blobs.v[i], err);
    }
    oci_blob_list_release(&blobs);
    if (r >= 0 && tar_add_data(a, "index.json", index.data, index.len, err) < 0)
        r = cb_err_rc(err);
    return r < 0 ? r : 0;
}

/* ---------------------------------------------------------------- docker archive */

/* "docker.io/library/busybox:latest" → "busybox:latest" (docker's familiar
 * form), or NULL when the name has no tag. */
static char *familiar_tag(const char *image_name)
{
    cleanup_ref struct oci_ref ref = {0};

    if (!image_name || oci_ref_parse(image_name, &ref, NULL) < 0 || !ref.tag)
        return NULL;
    if (!strcmp(ref.registry, OCI_REF_DOCKER_HUB)) {
        const char *repo = ref.repository;
        if (!strncmp(repo, "library/", 8) && !strchr(repo + 8, '/'))
            repo += 8;
        return xasprintf("%s:%s", repo, ref.tag);
    }
    return xasprintf("%s/%s:%s", ref.registry, ref.repository, ref.tag);
}

struct docker_ctx {
    struct oci_layout *src;
    struct archive *a;
    const char *tmpdir;
    struct oci_docker_manifest dm;
    struct cb_strv written; /* archive paths already added */
    struct cb_strv top_ids;
};

/* An anonymous read-write file in dir (O_TMPFILE, or created and unlinked
 * where the filesystem lacks it). */
static int scratch_file(const char *dir, struct cb_err **err)
{
    cleanup_free char *tmpl = NULL;
    int fd = open(dir, O_TMPFILE | O_RDWR | O_CLOEXEC, 0600);

    if (fd >= 0)
        return fd;
    tmpl = xasprintf("%s/.cbuild-layer-XXXXXX", dir);
    fd = mkostemp(tmpl, O_CLOEXEC);
    if (fd < 0)
        return cb_fail(err, CB_EIO, errno, "create temp file in '%s'", dir);
    unlink(tmpl);
    return fd;
}

/* The uncompressed layer as "<diff_id hex>.tar". */
static int docker_layer(struct docker_ctx *c, const struct oci_descriptor *layer,
                        const struct oci_digest *diff_id, struct oci_docker_entry *e,
                        struct cb_err **err)
{
    char hex[65], name[80], a[OCI_DIGEST_STR_MAX], b[OCI_DIGEST_STR_MAX];
    cleanup_close int in = -1, tmp = -1;
    struct oci_digest got;
    int64_t size;

    snprintf(name, sizeof(name), "%s.tar", oci_digest_hex(diff_id, hex));
    cb_strv_push(&e->layers, name);
    if (cb_strv_find(&c->written, name) >= 0)
        return 0;
    cb_strv_push(&c->written, name);
    in = oci_layout_blob_open(c->src, &layer->digest, err);
    if (in < 0)
        return cb_err_rc(err);
    tmp = scratch_file(c->tmpdir, err);
    if (tmp < 0)
        return cb_err_rc(err);
    if (oci_uncompressed_digest(in, tmp, &got, &size, err) < 0)
        return cb_wrap(err, "layer '%s'", oci_digest_fmt(&layer->digest, a));
    if (!oci_digest_equal(&got, diff_id))
        return cb_fail(err, CB_EDIGEST, 0, "layer '%s' uncompresses to '%s', not its diff_id '%s'",
                       oci_digest_fmt(&layer->digest, a), oci_digest_fmt(&got, b),
                       oci_digest_fmt(diff_id, (char[OCI_DIGEST_STR_MAX]){0}));
    if (lseek(tmp, 0, SEEK_SET) < 0)
        return cb_fail(err, CB_EIO, errno, "rewind temp layer");
    return tar_add_fd(c->a, name, tmp, size, err);
}

static int docker_image(struct docker_ctx *c, const struct oci_export_item *it,
                        const struct oci_platform *platform, struct cb_err **err)
{
    struct oci_descriptor md;
    cleanup_manifest struct oci_manifest m = {0};
    cleanup_image struct oci_image img = {0};
    struct oci_docker_entry *e;
    char hex[65], name[80];
    char *tag = familiar_tag(it->image_name);
    int r;

    oci_manifest_init(&m);
    oci_image_init(&img);
    r = oci_pick_manifest(c->src, &it->desc, platform, &md, err);
    if (r >= 0 && oci_layout_get_manifest(c->src, &md.digest, &m, err) < 0)
        r = cb_err_rc(err);
    oci_descriptor_release(&md);
    if (r >= 0 && oci_layout_get_image(c->src, &m.config.digest, &img, err) < 0)
        r = cb_err_rc(err);
    if (r >= 0 && img.n_diff_ids != m.n_layers)
        r = cb_fail(err, CB_EINVAL, 0, "image has %zu layers but %zu diff_ids", m.n_layers,
                    img.n_diff_ids);
    if (r < 0) {
        free(tag);
        return r;
    }
    e = oci_docker_manifest_add(&c->dm);
    snprintf(name, sizeof(name), "%s.json", oci_digest_hex(&m.config.digest, hex));
    e->config = xstrdup(name);
    if (tag)
        cb_strv_push_take(&e->repo_tags, tag);
    if (cb_strv_find(&c->written, name) < 0) {
        struct oci_blob_ref b = {m.config.digest, m.config.size};
        cb_strv_push(&c->written, name);
        r = tar_add_blob(c->a, c->src, name, &b, err);
    }
    for (size_t i = 0; r >= 0 && i < m.n_layers; i++)
        r = docker_layer(c, &m.layers[i], &img.diff_ids[i], e, err);
    cb_strv_push(&c->top_ids,
                 img.n_diff_ids ? oci_digest_hex(&img.diff_ids[img.n_diff_ids - 1], hex) : "");
    return r;
}

static int docker_archive_write(struct oci_layout *src, const struct oci_export_req *req,
                                struct archive *a, const char *tmpdir, struct cb_err **err)
{
    struct docker_ctx c = {.src = src, .a = a, .tmpdir = tmpdir};
    cleanup_buf struct cb_buf mj = {0}, repos = {0};
    int r = 0;

    oci_docker_manifest_init(&c.dm);
    cb_buf_init(&mj, OCI_DOC_LIMIT);
    cb_buf_init(&repos, OCI_DOC_LIMIT);
    for (size_t i = 0; r >= 0 && i < req->n_items; i++)
        r = docker_image(&c, &req->items[i], req->platform, err);
    if (r >= 0 &&
        (oci_docker_manifest_dump(&c.dm, &mj, err) < 0 ||
         oci_docker_repositories_dump(&c.dm, (const char *const *)c.top_ids.v, &repos, err) < 0 ||
         tar_add_data(a, "manifest.json", mj.data, mj.len, err) < 0 ||
         tar_add_data(a, "repositories", repos.data, repos.len, err) < 0))
        r = cb_err_rc(err);
    oci_docker_manifest_release(&c.dm);
    cb_strv_release(&c.written);
    cb_strv_release(&c.top_ids);
    return r < 0 ? r : 0;
}

/* ---------------------------------------------------------------- entry point */

static int export_tar(struct oci_layout *src, const struct oci_export_req *req, struct cb_err **err)
{
    cleanup_free char *dir = NULL, *tmp = NULL;
    struct archive *a;
    int fd, r;

    if (!strcmp(req->dest, "-")) {
        fd = STDOUT_FILENO;
        dir = xstrdup(getenv("TMPDIR") ? getenv("TMPDIR") : "/tmp");
    } else {
        const char *slash = strrchr(req->dest, '/');
        dir = slash ? xstrndup(req->dest, (size_t)(slash - req->dest) + 1) : xstrdup(".");
        tmp = xasprintf("%s.tmp-XXXXXX", req->dest);
        fd = mkostemp(tmp, O_CLOEXEC);
        if (fd < 0)
            return cb_fail(err, CB_EIO, errno, "create '%s'", tmp);
    }
    a = tar_writer_open(fd, err);
    r = a ? 0 : cb_err_rc(err);
    if (r >= 0 && req->format == OCI_EXPORT_OCI_ARCHIVE)
        r = oci_archive_write(src, req, a, err);
    else if (r >= 0)
        r = docker_archive_write(src, req, a, dir, err);
    if (a && tar_writer_close(a, r >= 0, err) < 0 && r >= 0)
        r = cb_err_rc(err);
    if (tmp)
        r = finish_file(fd, tmp, req->dest, r, err);
    return r;
}

int oci_export(struct oci_layout *src, const struct oci_export_req *req, struct cb_err **err)
{
    int r;

    if (!req->n_items)
        return cb_fail(err, CB_EINVAL, 0, "nothing to export");
    switch (req->format) {
    case OCI_EXPORT_LAYOUT:
        r = export_layout(src, req, err);
        break;
    case OCI_EXPORT_OCI_ARCHIVE:
    case OCI_EXPORT_DOCKER_ARCHIVE:
        r = export_tar(src, req, err);
        break;
    case OCI_EXPORT_ROOTFS:
        r = export_rootfs(src, req, err);
        break;
    default:
        r = cb_fail(err, CB_EBUG, 0, "unknown export format %d", (int)req->format);
    }
    if (r < 0)
        return cb_wrap(err, "export to '%s'", req->dest);
    return 0;
}
