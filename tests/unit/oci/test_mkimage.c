/* test_mkimage.c - one-layer images from a directory: deterministic, and
 * what the store and exports do with them (unpacked-layer cache, rootfs). */
#include <stdlib.h>
#include <sys/stat.h>
#include <unistd.h>

#include "harness.h"
#include "../../../base/fsutil.h"
#include "../../../oci/export.h"
#include "../../../oci/mkimage.h"
#include "../../../oci/store.h"

static void make_tree(const char *dir)
{
    char p[256];
    snprintf(p, sizeof(p), "%s/etc/hello", dir);
    t_write(p, "hello\n");
    snprintf(p, sizeof(p), "%s/bin/tool", dir);
    t_write(p, "#!/bin/sh\n");
    chmod(p, 0755);
    snprintf(p, sizeof(p), "%s/bin/link", dir);
    if (symlink("tool", p) < 0)
        abort();
}

static int mk(struct oci_layout *l, const char *dir, struct oci_descriptor *out,
              struct cb_err **err)
{
    struct oci_image cfg;
    struct oci_mkimage_req req = {.rootfs = dir, .config = &cfg, .created_by = "test"};
    int r;

    oci_image_init(&cfg);
    cfg.os = strdup("linux");
    cfg.architecture = strdup("amd64");
    cfg.created = strdup("1970-01-01T00:00:00Z");
    req.layer.compress.algo = OCI_COMPRESSION_GZIP;
    req.layer.clamp_mtime = true;
    req.layer.source_date_epoch = 0;
    r = oci_mkimage(l, &req, out, err);
    oci_image_release(&cfg);
    return r;
}

TEST(mkimage_deterministic_across_paths)
{
    cleanup_err struct cb_err *err = NULL;
    cleanup_layout struct oci_layout *l = oci_layout_open("lay", OCI_LAYOUT_CREATE, &err);
    struct oci_descriptor a, b;
    struct oci_manifest m;
    struct oci_image img;

    ASSERT(l);
    make_tree("one");
    make_tree("elsewhere/two");
    ASSERT_OK(mk(l, "one", &a, &err), err);
    ASSERT_OK(mk(l, "elsewhere/two", &b, &err), err);
    ASSERT(oci_digest_equal(&a.digest, &b.digest));
    ASSERT_STR_EQ(a.media_type, OCI_MT_MANIFEST);
    ASSERT_OK(oci_layout_get_manifest(l, &a.digest, &m, &err), err);
    ASSERT_INT_EQ(m.n_layers, 1);
    ASSERT_STR_EQ(m.layers[0].media_type, OCI_MT_LAYER_GZIP);
    ASSERT_OK(oci_layout_get_image(l, &m.config.digest, &img, &err), err);
    ASSERT_INT_EQ(img.n_diff_ids, 1);
    ASSERT_INT_EQ(img.n_history, 1);
    ASSERT_STR_EQ(img.history[0].created_by, "test");
    oci_image_release(&img);
    oci_manifest_release(&m);
    oci_descriptor_release(&a);
    oci_descriptor_release(&b);
    ASSERT_FAILS(mk(l, "missing", &a, &err), err, CB_EIO, "missing");
}

TEST(mkimage_store_layer_ensure)
{
    cleanup_err struct cb_err *err = NULL;
    cleanup_store struct oci_store *s = oci_store_open("root", OCI_STORE_SHARED, &err);
    struct oci_descriptor d;
    struct oci_manifest m;
    struct oci_image img;
    char *dir = NULL, *again = NULL, path[512];

    ASSERT(s);
    make_tree("tree");
    ASSERT_OK(mk(oci_store_layout_peek(s), "tree", &d, &err), err);
    ASSERT_OK(oci_layout_get_manifest(oci_store_layout_peek(s), &d.digest, &m, &err), err);
    ASSERT_OK(oci_layout_get_image(oci_store_layout_peek(s), &m.config.digest, &img, &err), err);
    /* a wrong diff_id: CB_EDIGEST and no directory left behind */
    struct oci_digest wrong;
    oci_digest_of("x", 1, &wrong);
    ASSERT_FAILS(oci_store_layer_ensure(s, &m.layers[0], &wrong, NULL, &err), err, CB_EDIGEST,
                 "diff_id");
    char *wd = oci_store_layer_dir(s, &wrong);
    ASSERT(!cb_path_exists(wd));
    free(wd);
    ASSERT_OK(oci_store_layer_ensure(s, &m.layers[0], &img.diff_ids[0], &dir, &err), err);
    snprintf(path, sizeof(path), "%s/etc/hello", dir);
    char *c = t_read(path);
    ASSERT_STR_EQ(c, "hello\n");
    free(c);
    ASSERT_OK(oci_store_layer_ensure(s, &m.layers[0], &img.diff_ids[0], &again, &err), err);
    ASSERT_STR_EQ(dir, again);
    /* nothing but the layer directory in ROOT/layers */
    struct oci_prune_stats st;
    oci_store_free(s);
    s = oci_store_open("root", OCI_STORE_EXCLUSIVE, &err);
    ASSERT_OK(oci_store_prune(s, NULL, &st, &err), err);
    ASSERT_INT_EQ(st.layers_removed, 1); /* the image is untagged: its layer goes */
    ASSERT(!cb_path_exists(dir));
    free(dir);
    free(again);
    oci_image_release(&img);
    oci_manifest_release(&m);
    oci_descriptor_release(&d);
}

TEST(mkimage_export_rootfs)
{
    cleanup_err struct cb_err *err = NULL;
    cleanup_layout struct oci_layout *l = oci_layout_open("lay", OCI_LAYOUT_CREATE, &err);
    struct oci_export_item it = {0};
    struct oci_export_req req = {
        .format = OCI_EXPORT_ROOTFS, .dest = "out/rootfs", .items = &it, .n_items = 1};
    char buf[64];
    ssize_t n;

    ASSERT(l);
    make_tree("tree");
    ASSERT_OK(mk(l, "tree", &it.desc, &err), err);
    mkdir("out", 0755);
    ASSERT_OK(oci_export(l, &req, &err), err);
    char *c = t_read("out/rootfs/etc/hello");
    ASSERT_STR_EQ(c, "hello\n");
    free(c);
    n = readlink("out/rootfs/bin/link", buf, sizeof(buf) - 1);
    ASSERT_INT_EQ(n, 4);
    ASSERT_FAILS(oci_export(l, &req, &err), err, CB_EINVAL, "already exists");
    oci_descriptor_release(&it.desc);
}
