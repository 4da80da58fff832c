/* test_store.c - the local image store: root, lock, names, IDs, tag, rmi,
 * multi-platform indexes, prune of blobs and unpacked layers. */
#include <signal.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "harness.h"
#include "../../../base/fsutil.h"
#include "../../../oci/store.h"

/* An image with one layer whose content is text; its manifest descriptor. */
static void put_image(struct oci_store *s, const char *text, const char *arch,
                      struct oci_descriptor *out)
{
    struct oci_layout *l = oci_store_layout_peek(s);
    struct oci_image img;
    struct oci_manifest m;
    struct oci_descriptor ld;
    struct oci_digest diff;

    oci_image_init(&img);
    img.os = strdup("linux");
    img.architecture = strdup(arch);
    img.created = strdup("2026-11-22T00:00:00Z");
    oci_digest_of(text, strlen(text), &diff);
    oci_image_add_diff_id(&img, &diff);
    oci_manifest_init(&m);
    m.media_type = strdup(OCI_MT_MANIFEST);
    if (oci_layout_put_image(l, &img, &m.config, NULL) < 0 ||
        oci_layout_put_blob(l, text, strlen(text), NULL, NULL) < 0)
        abort();
    oci_descriptor_init(&ld);
    oci_descriptor_set(&ld, OCI_MT_LAYER, text, strlen(text));
    oci_manifest_add_layer(&m, &ld);
    if (oci_layout_put_manifest(l, &m, out, NULL) < 0)
        abort();
    oci_descriptor_release(&ld);
    oci_manifest_release(&m);
    oci_image_release(&img);
}

TEST(store_default_root)
{
    char *r;
    if (geteuid() == 0) {
        r = oci_store_default_root();
        ASSERT_STR_EQ(r, "/var/lib/cbuild");
        free(r);
        return;
    }
    setenv("XDG_DATA_HOME", "/x/data", 1);
    r = oci_store_default_root();
    ASSERT_STR_EQ(r, "/x/data/cbuild");
    free(r);
    unsetenv("XDG_DATA_HOME");
    setenv("HOME", "/home/u", 1);
    r = oci_store_default_root();
    ASSERT_STR_EQ(r, "/home/u/.local/share/cbuild");
    free(r);
}

TEST(store_names_resolve_by_name_id_digest)
{
    cleanup_err struct cb_err *err = NULL;
    cleanup_store struct oci_store *s = oci_store_open("root", OCI_STORE_SHARED, &err);
    struct oci_descriptor a, r;
    struct oci_store_image *v;
    size_t n;
    char *name = NULL, hex[65], ds[OCI_DIGEST_STR_MAX];

    ASSERT_OK(s ? 0 : -1, err);
    ASSERT(cb_path_exists("root/oci/oci-layout"));
    ASSERT(cb_path_exists("root/lock"));
    put_image(s, "aaa", "amd64", &a);
    ASSERT_OK(oci_store_add(s, "busybox", &a, &err), err);
    ASSERT_OK(
        oci_layout_resolve(oci_store_layout_peek(s), "docker.io/library/busybox:latest", &r, &err),
        err);
    oci_descriptor_release(&r);
    ASSERT_OK(oci_store_resolve(s, "busybox:latest", &r, &name, &err), err);
    ASSERT_STR_EQ(name, "docker.io/library/busybox:latest");
    ASSERT(oci_digest_equal(&r.digest, &a.digest));
    ASSERT(oci_map_peek(&r.annotations, OCI_ANNOT_REF_NAME) == NULL);
    free(name);
    oci_descriptor_release(&r);

    ASSERT_OK(oci_store_list(s, &v, &n, &err), err);
    ASSERT_INT_EQ(n, 1);
    ASSERT_STR_EQ(v[0].created, "2026-11-22T00:00:00Z");
    ASSERT(v[0].size > 0);
    oci_digest_hex(&v[0].id, hex);
    hex[12] = 0;
    ASSERT_OK(oci_store_resolve(s, hex, &r, &name, &err), err);
    ASSERT(name == NULL);
    ASSERT(oci_digest_equal(&r.digest, &a.digest));
    oci_descriptor_release(&r);
    oci_store_images_free(v, n);
    ASSERT_OK(oci_store_resolve(s, oci_digest_fmt(&a.digest, ds), &r, NULL, &err), err);
    oci_descriptor_release(&r);
    ASSERT_FAILS(oci_store_resolve(s, "nothere", &r, NULL, &err), err, CB_ENOTFOUND,
                 "image 'nothere' not found");
    ASSERT_FAILS(oci_store_add(s, "Bad Name", &a, &err), err, CB_EINVAL, "Bad Name");
    oci_descriptor_release(&a);
}

TEST(store_tag_and_remove)
{
    cleanup_err struct cb_err *err = NULL;
    cleanup_store struct oci_store *s = oci_store_open("root", OCI_STORE_SHARED, &err);
    struct oci_descriptor a, r;
    struct cb_strv removed = CB_STRV_INIT;
    char ds[OCI_DIGEST_STR_MAX];

    ASSERT(s);
    put_image(s, "aaa", "amd64", &a);
    ASSERT_OK(oci_store_add(s, "localhost/one:1", &a, &err), err);
    ASSERT_OK(oci_store_tag(s, "localhost/one:1", "two", &err), err);
    ASSERT_OK(oci_store_resolve(s, "docker.io/library/two:latest", &r, NULL, &err), err);
    oci_descriptor_release(&r);
    ASSERT_FAILS(oci_store_tag(s, "missing", "x", &err), err, CB_ENOTFOUND, "missing");
    /* by digest with two names: refused without force */
    oci_digest_fmt(&a.digest, ds);
    ASSERT_FAILS(oci_store_remove(s, ds, false, NULL, &err), err, CB_EINVAL, "2 names");
    ASSERT_OK(oci_store_remove(s, "two", false, &removed, &err), err);
    ASSERT_STR_EQ(removed.v[0], "docker.io/library/two:latest");
    ASSERT_OK(oci_store_remove(s, ds, false, &removed, &err), err);
    ASSERT_STR_EQ(removed.v[1], "localhost/one:1");
    ASSERT_FAILS(oci_store_resolve(s, ds, &r, NULL, &err), err, CB_ENOTFOUND, "not found");
    cb_strv_release(&removed);
    oci_descriptor_release(&a);
}

TEST(store_index_picks_platform)
{
    cleanup_err struct cb_err *err = NULL;
    cleanup_store struct oci_store *s = oci_store_open("root", OCI_STORE_SHARED, &err);
    struct oci_descriptor amd, arm, idx, md;
    struct oci_index x;
    struct oci_platform want;
    struct oci_manifest m;
    struct oci_image cfg;

    ASSERT(s);
    put_image(s, "amd", "amd64", &amd);
    put_image(s, "arm", "arm64", &arm);
    amd.platform = calloc(1, sizeof(*amd.platform));
    amd.platform->os = strdup("linux");
    amd.platform->architecture = strdup("amd64");
    arm.platform = calloc(1, sizeof(*arm.platform));
    arm.platform->os = strdup("linux");
    arm.platform->architecture = strdup("arm64");
    oci_index_init(&x);
    x.media_type = strdup(OCI_MT_INDEX);
    oci_index_add(&x, &amd);
    oci_index_add(&x, &arm);
    ASSERT_OK(oci_layout_put_index(oci_store_layout_peek(s), &x, &idx, &err), err);
    ASSERT_OK(oci_store_add(s, "multi", &idx, &err), err);
    ASSERT_OK(oci_platform_parse("linux/arm64", &want, &err), err);
    ASSERT_OK(oci_store_get_image(s, "multi", &want, &md, &m, &cfg, &err), err);
    ASSERT(oci_digest_equal(&md.digest, &arm.digest));
    ASSERT_STR_EQ(cfg.architecture, "arm64");
    oci_platform_release(&want);
    oci_manifest_release(&m);
    oci_image_release(&cfg);
    oci_descriptor_release(&md);
    ASSERT_OK(oci_platform_parse("linux/s390x", &want, &err), err);
    ASSERT_FAILS(oci_store_get_image(s, "multi", &want, NULL, NULL, NULL, &err), err, CB_ENOTFOUND,
                 "linux/s390x");
    oci_platform_release(&want);
    oci_index_release(&x);
    oci_descriptor_release(&amd);
    oci_descriptor_release(&arm);
    oci_descriptor_release(&idx);
}

TEST(store_prune_blobs_and_layers)
{
    cleanup_err struct cb_err *err = NULL;
    struct oci_store *s = oci_store_open("root", OCI_STORE_SHARED, &err);
    struct oci_descriptor a, b;
    struct oci_prune_stats st;
    struct oci_digest diff;
    char *dir;

    ASSERT(s);
    put_image(s, "keep", "amd64", &a);
    put_image(s, "drop", "amd64", &b);
    ASSERT_OK(oci_store_add(s, "keep", &a, &err), err);
    oci_digest_of("keep", 4, &diff);
    dir = oci_store_layer_dir(s, &diff);
    t_write(dir, "x");
    unlink(dir);
    ASSERT_OK(cb_mkdir_p(dir, 0755, &err), err);
    free(dir);
    oci_digest_of("drop", 4, &diff);
    dir = oci_store_layer_dir(s, &diff);
    ASSERT_OK(cb_mkdir_p(dir, 0755, &err), err);
    ASSERT_FAILS(oci_store_prune(s, NULL, &st, &err), err, CB_EBUG, "exclusive");
    oci_store_free(s);
    s = oci_store_open("root", OCI_STORE_EXCLUSIVE, &err);
    ASSERT(s);
    ASSERT_OK(oci_store_prune(s, NULL, &st, &err), err);
    ASSERT_INT_EQ(st.blobs.blobs_removed, 3);
    ASSERT_INT_EQ(st.layers_removed, 1);
    ASSERT(!cb_path_exists(dir));
    free(dir);
    oci_digest_of("keep", 4, &diff);
    dir = oci_store_layer_dir(s, &diff);
    ASSERT(cb_path_exists(dir));
    free(dir);
    oci_store_free(s);
    oci_descriptor_release(&a);
    oci_descriptor_release(&b);
}

TEST(store_exclusive_lock_waits_for_shared)
{
    cleanup_err struct cb_err *err = NULL;
    struct oci_store *s = oci_store_open("root", OCI_STORE_SHARED, &err);
    int status;
    pid_t pid;

    ASSERT(s);
    pid = fork();
    if (pid == 0) {
        alarm(1);
        struct oci_store *x = oci_store_open("root", OCI_STORE_EXCLUSIVE, NULL);
        _exit(x ? 0 : 3);
    }
    waitpid(pid, &status, 0);
    ASSERT(WIFSIGNALED(status) && WTERMSIG(status) == SIGALRM);
    pid = fork();
    if (pid == 0) {
        alarm(1);
        struct oci_store *x = oci_store_open("root", OCI_STORE_SHARED, NULL);
        _exit(x ? 0 : 3);
    }
    waitpid(pid, &status, 0);
    ASSERT(WIFEXITED(status) && WEXITSTATUS(status) == 0);
    oci_store_free(s);
}
