/* test_export.c - exports (OCI layout, OCI archive, docker archive) and
 * load's import, round trips and hostile archives. */
#include <archive.h>
#include <archive_entry.h>
#include <fcntl.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <unistd.h>

#include "harness.h"
#include "../../../base/buf.h"
#include "../../../base/fsutil.h"
#include "../../../oci/export.h"

/* A tar (gzip'ed when gz) holding the given name → content pairs. */
static void make_tar(const char *path, bool gz, const char *const *files, size_t n)
{
    struct archive *a = archive_write_new();
    archive_write_set_format_pax_restricted(a);
    if (gz)
        archive_write_add_filter_gzip(a);
    archive_write_open_filename(a, path);
    for (size_t i = 0; i < n; i += 2) {
        struct archive_entry *e = archive_entry_new();
        archive_entry_set_pathname(e, files[i]);
        archive_entry_set_filetype(e, AE_IFREG);
        archive_entry_set_perm(e, 0644);
        archive_entry_set_size(e, (la_int64_t)strlen(files[i + 1]));
        archive_write_header(a, e);
        archive_write_data(a, files[i + 1], strlen(files[i + 1]));
        archive_entry_free(e);
    }
    archive_write_close(a);
    archive_write_free(a);
}

static char *slurp(const char *path, size_t *len)
{
    struct cb_buf b;
    cb_buf_init(&b, 64 << 20);
    if (cb_read_file(path, &b, NULL) < 0)
        abort();
    return cb_buf_detach(&b, len);
}

/* An image with one gzip layer (from a real tar) in layout l. */
static void make_image(struct oci_layout *l, struct oci_descriptor *out)
{
    const char *files[] = {"hello.txt", "hello world\n", "etc/x", "x"};
    struct oci_image img;
    struct oci_manifest m;
    struct oci_descriptor ld;
    struct oci_digest diff;
    size_t len;
    char *data;

    make_tar("layer.tar", false, files, 4);
    make_tar("layer.tar.gz", true, files, 4);
    data = slurp("layer.tar", &len);
    oci_digest_of(data, len, &diff);
    free(data);
    oci_image_init(&img);
    img.os = strdup("linux");
    img.architecture = strdup("amd64");
    oci_image_add_diff_id(&img, &diff);
    img.config.has_cmd = true;
    cb_strv_push(&img.config.cmd, "sh");
    oci_manifest_init(&m);
    m.media_type = strdup(OCI_MT_MANIFEST);
    if (oci_layout_put_image(l, &img, &m.config, NULL) < 0)
        abort();
    data = slurp("layer.tar.gz", &len);
    if (oci_layout_put_blob(l, data, len, NULL, NULL) < 0)
        abort();
    oci_descriptor_init(&ld);
    oci_descriptor_set(&ld, OCI_MT_LAYER_GZIP, data, len);
    free(data);
    oci_manifest_add_layer(&m, &ld);
    if (oci_layout_put_manifest(l, &m, out, NULL) < 0)
        abort();
    oci_descriptor_release(&ld);
    oci_manifest_release(&m);
    oci_image_release(&img);
}

TEST(export_format_names)
{
    cleanup_err struct cb_err *err = NULL;
    enum oci_export_format f;
    ASSERT_OK(oci_export_format_parse("oci", &f, &err), err);
    ASSERT_INT_EQ(f, OCI_EXPORT_OCI_ARCHIVE);
    ASSERT_OK(oci_export_format_parse("docker", &f, &err), err);
    ASSERT_INT_EQ(f, OCI_EXPORT_DOCKER_ARCHIVE);
    ASSERT_OK(oci_export_format_parse("oci-dir", &f, &err), err);
    ASSERT_INT_EQ(f, OCI_EXPORT_LAYOUT);
    ASSERT_FAILS(oci_export_format_parse("zip", &f, &err), err, CB_EINVAL, "unknown format 'zip'");
}

TEST(export_oci_archive_round_trip)
{
    cleanup_err struct cb_err *err = NULL;
    cleanup_layout struct oci_layout *src = oci_layout_open("src", OCI_LAYOUT_CREATE, &err);
    cleanup_layout struct oci_layout *dst = oci_layout_open("dst", OCI_LAYOUT_CREATE, &err);
    struct oci_export_item it = {.ref_name = "latest", .image_name = "docker.io/library/t:latest"};
    struct oci_export_req req = {
        .format = OCI_EXPORT_OCI_ARCHIVE, .dest = "out.tar", .items = &it, .n_items = 1};
    struct oci_import_result res;

    ASSERT(src && dst);
    mkdir("tmp", 0700);
    make_image(src, &it.desc);
    ASSERT_OK(oci_export(src, &req, &err), err);
    ASSERT(cb_path_exists("out.tar"));
    /* deterministic: the same export twice gives the same bytes */
    req.dest = "again.tar";
    ASSERT_OK(oci_export(src, &req, &err), err);
    size_t la, lb;
    char *a = slurp("out.tar", &la), *b = slurp("again.tar", &lb);
    ASSERT_INT_EQ(la, lb);
    ASSERT_MEM_EQ(a, b, la);
    free(a);
    free(b);
    ASSERT_OK(oci_import(dst, "out.tar", "tmp", &res, &err), err);
    ASSERT_INT_EQ(res.n, 1);
    ASSERT_STR_EQ(res.images[0].name, "docker.io/library/t:latest");
    ASSERT(oci_digest_equal(&res.images[0].desc.digest, &it.desc.digest));
    struct oci_manifest m;
    ASSERT_OK(oci_layout_get_manifest(dst, &it.desc.digest, &m, &err), err);
    ASSERT(oci_layout_has_blob(dst, &m.layers[0].digest));
    oci_manifest_release(&m);
    oci_import_result_release(&res);
    oci_descriptor_release(&it.desc);
}

TEST(export_layout_dir_and_import_dir)
{
    cleanup_err struct cb_err *err = NULL;
    cleanup_layout struct oci_layout *src = oci_layout_open("src", OCI_LAYOUT_CREATE, &err);
    struct oci_export_item it = {.ref_name = "v1"};
    struct oci_export_req req = {
        .format = OCI_EXPORT_LAYOUT, .dest = "out", .items = &it, .n_items = 1};
    struct oci_descriptor d;

    ASSERT(src);
    make_image(src, &it.desc);
    ASSERT_OK(oci_export(src, &req, &err), err);
    ASSERT_FAILS(oci_export(src, &req, &err), err, CB_EINVAL, "already exists");
    req.merge = true;
    it.ref_name = "v2";
    ASSERT_OK(oci_export(src, &req, &err), err);
    struct oci_layout *out = oci_layout_open("out", 0, &err);
    ASSERT(out);
    ASSERT_OK(oci_layout_resolve(out, "v1", &d, &err), err);
    ASSERT(oci_digest_equal(&d.digest, &it.desc.digest));
    oci_descriptor_release(&d);
    ASSERT_OK(oci_layout_resolve(out, "v2", &d, &err), err);
    oci_descriptor_release(&d);
    oci_layout_free(out);
    oci_descriptor_release(&it.desc);
}

TEST(export_docker_archive_round_trip)
{
    cleanup_err struct cb_err *err = NULL;
    cleanup_layout struct oci_layout *src = oci_layout_open("src", OCI_LAYOUT_CREATE, &err);
    cleanup_layout struct oci_layout *dst = oci_layout_open("dst", OCI_LAYOUT_CREATE, &err);
    struct oci_export_item it = {.image_name = "docker.io/library/t:dev"};
    struct oci_export_req req = {
        .format = OCI_EXPORT_DOCKER_ARCHIVE, .dest = "d.tar", .items = &it, .n_items = 1};
    struct oci_import_result res;
    struct oci_manifest src_m, dst_m;

    ASSERT(src && dst);
    mkdir("tmp", 0700);
    make_image(src, &it.desc);
    ASSERT_OK(oci_export(src, &req, &err), err);
    ASSERT_OK(oci_import(dst, "d.tar", "tmp", &res, &err), err);
    ASSERT_INT_EQ(res.n, 1);
    ASSERT_STR_EQ(res.images[0].name, "t:dev");
    ASSERT_OK(oci_layout_get_manifest(src, &it.desc.digest, &src_m, &err), err);
    ASSERT_OK(oci_layout_get_manifest(dst, &res.images[0].desc.digest, &dst_m, &err), err);
    /* same config (image ID); the layer arrives uncompressed */
    ASSERT(oci_digest_equal(&src_m.config.digest, &dst_m.config.digest));
    ASSERT_STR_EQ(dst_m.layers[0].media_type, OCI_MT_LAYER);
    oci_manifest_release(&src_m);
    oci_manifest_release(&dst_m);
    oci_import_result_release(&res);
    oci_descriptor_release(&it.desc);
    /* the temp dir is cleaned */
    ASSERT(rmdir("tmp") == 0);
}

TEST(export_import_rejects_bad_archives)
{
    cleanup_err struct cb_err *err = NULL;
    cleanup_layout struct oci_layout *dst = oci_layout_open("dst", OCI_LAYOUT_CREATE, &err);
    struct oci_import_result res;
    const char *evil[] = {"../escaped", "x"};
    const char *neither[] = {"readme", "hi"};
    const char *config = "{\"rootfs\":{\"type\":\"layers\",\"diff_ids\":[\"sha256:"
                         "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855\"]}}";
    const char *bad_diff[] = {"manifest.json", "[{\"Config\":\"c.json\",\"Layers\":[\"l.tar\"]}]",
                              "c.json",        config,
                              "l.tar",         "not empty"};

    ASSERT(dst);
    mkdir("sub", 0700);
    mkdir("sub/tmp", 0700);
    make_tar("evil.tar", false, evil, 2);
    ASSERT_FAILS(oci_import(dst, "evil.tar", "sub/tmp", &res, &err), err, CB_EINVAL, "unsafe");
    ASSERT(!cb_path_exists("sub/escaped"));
    ASSERT(!cb_path_exists("escaped"));
    make_tar("neither.tar", false, neither, 2);
    ASSERT_FAILS(oci_import(dst, "neither.tar", "sub/tmp", &res, &err), err, CB_EINVAL,
                 "neither an OCI layout nor a docker archive");
    make_tar("bad.tar", false, bad_diff, 6);
    ASSERT_FAILS(oci_import(dst, "bad.tar", "sub/tmp", &res, &err), err, CB_EDIGEST, "diff_id");
    ASSERT_FAILS(oci_import(dst, "missing.tar", "sub/tmp", &res, &err), err, CB_ENOTFOUND,
                 "missing.tar");
    ASSERT(rmdir("sub/tmp") == 0);
}

TEST(export_partial_index_as_pulled)
{
    cleanup_err struct cb_err *err = NULL;
    cleanup_layout struct oci_layout *src = oci_layout_open("src", OCI_LAYOUT_CREATE, &err);
    cleanup_layout struct oci_layout *dst = oci_layout_open("dst", OCI_LAYOUT_CREATE, &err);
    struct oci_descriptor amd, other;
    struct oci_index x;
    struct oci_export_item it = {.ref_name = "latest", .image_name = "docker.io/library/m:latest"};
    struct oci_export_req req = {
        .format = OCI_EXPORT_OCI_ARCHIVE, .dest = "m.tar", .items = &it, .n_items = 1};
    struct oci_import_result res;

    ASSERT(src && dst);
    mkdir("tmp", 0700);
    make_image(src, &amd);
    oci_descriptor_init(&other);
    other.media_type = strdup(OCI_MT_MANIFEST);
    oci_digest_of("not fetched", 11, &other.digest);
    other.size = 11;
    other.platform = calloc(1, sizeof(*other.platform));
    other.platform->os = strdup("linux");
    other.platform->architecture = strdup("s390x");
    amd.platform = calloc(1, sizeof(*amd.platform));
    amd.platform->os = strdup("linux");
    amd.platform->architecture = strdup("amd64");
    oci_index_init(&x);
    x.media_type = strdup(OCI_MT_INDEX);
    oci_index_add(&x, &other);
    oci_index_add(&x, &amd);
    ASSERT_OK(oci_layout_put_index(src, &x, &it.desc, &err), err);
    ASSERT_OK(oci_export(src, &req, &err), err);
    ASSERT_OK(oci_import(dst, "m.tar", "tmp", &res, &err), err);
    ASSERT_INT_EQ(res.n, 1);
    ASSERT(oci_layout_has_blob(dst, &amd.digest));
    ASSERT(!oci_layout_has_blob(dst, &other.digest));
    oci_import_result_release(&res);
    /* docker archives take the platform's manifest */
    struct oci_platform want = {0};
    ASSERT_OK(oci_platform_parse("linux/amd64", &want, &err), err);
    req.format = OCI_EXPORT_DOCKER_ARCHIVE;
    req.dest = "md.tar";
    req.platform = &want;
    ASSERT_OK(oci_export(src, &req, &err), err);
    oci_platform_release(&want);
    ASSERT_OK(oci_platform_parse("linux/s390x", &want, &err), err);
    req.platform = &want;
    ASSERT_FAILS(oci_export(src, &req, &err), err, CB_ENOTFOUND, "linux/s390x");
    ASSERT(!cb_path_exists("md.tar.tmp"));
    oci_platform_release(&want);
    /* an index none of whose manifests is present is an error */
    oci_index_remove(&x, 1);
    oci_descriptor_release(&it.desc);
    ASSERT_OK(oci_layout_put_index(src, &x, &it.desc, &err), err);
    req.format = OCI_EXPORT_OCI_ARCHIVE;
    req.dest = "none.tar";
    ASSERT_FAILS(oci_export(src, &req, &err), err, CB_ENOTFOUND, "no manifest of index");
    ASSERT(!cb_path_exists("none.tar"));
    oci_index_release(&x);
    oci_descriptor_release(&it.desc);
    oci_descriptor_release(&amd);
    oci_descriptor_release(&other);
}
