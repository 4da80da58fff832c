/* test_layout.c - the OCI layout: blob writer/reader, temp-file cleanup,
 * concurrent writers, index.json tags, documents and gc. */
#include <dirent.h>
#include <fcntl.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "harness.h"
#include "../../../base/buf.h"
#include "../../../base/fsutil.h"
#include "../../../oci/layout.h"

static int count_temps(const char *layout)
{
    char path[512];
    DIR *d;
    struct dirent *de;
    int n = 0;
    snprintf(path, sizeof(path), "%s/blobs/sha256", layout);
    d = opendir(path);
    while (d && (de = readdir(d)))
        if (!strncmp(de->d_name, ".tmp-", 5))
            n++;
    if (d)
        closedir(d);
    return n;
}

TEST(layout_create_and_reopen)
{
    cleanup_err struct cb_err *err = NULL;
    struct oci_layout *l = oci_layout_open("lay", OCI_LAYOUT_CREATE, &err);
    ASSERT_OK(l ? 0 : -1, err);
    char *marker = t_read("lay/oci-layout");
    ASSERT_STR_EQ(marker, "{\"imageLayoutVersion\":\"1.0.0\"}");
    free(marker);
    ASSERT(oci_layout_is_layout("lay"));
    oci_layout_free(l);
    l = oci_layout_open("lay", 0, &err);
    ASSERT_OK(l ? 0 : -1, err);
    oci_layout_free(l);
    ASSERT(oci_layout_open("missing", 0, &err) == NULL);
    ASSERT_INT_EQ(err->code, CB_ENOTFOUND);
    cb_err_free(err);
    err = NULL;
    t_write("notlayout/x", "");
    ASSERT(oci_layout_open("notlayout", 0, &err) == NULL);
    ASSERT(strstr(err->msg, "not an OCI image layout"));
    cb_err_free(err);
    err = NULL;
    t_write("future/oci-layout", "{\"imageLayoutVersion\":\"2.0.0\"}");
    ASSERT(oci_layout_open("future", 0, &err) == NULL);
    ASSERT_INT_EQ(err->code, CB_EUNSUPPORTED);
}

TEST(layout_blob_write_read_verify)
{
    cleanup_err struct cb_err *err = NULL;
    cleanup_layout struct oci_layout *l = oci_layout_open("lay", OCI_LAYOUT_CREATE, &err);
    struct oci_blob_writer *w;
    struct oci_digest d, want;
    struct cb_buf b;
    int64_t size;

    ASSERT(l);
    w = oci_blob_writer_new(l, &err);
    ASSERT_OK(w ? 0 : -1, err);
    ASSERT_INT_EQ(count_temps("lay"), 1);
    struct oci_sink s = oci_blob_writer_sink(w);
    ASSERT_OK(oci_sink_write(&s, "hello ", 6, &err), err);
    ASSERT_OK(oci_blob_writer_write(w, "world", 5, &err), err);
    ASSERT_INT_EQ(oci_blob_writer_size(w), 11);
    oci_digest_of("hello world", 11, &want);
    ASSERT_OK(oci_blob_writer_commit(w, &want, 11, &d, &err), err);
    oci_blob_writer_free(w);
    ASSERT(oci_digest_equal(&d, &want));
    ASSERT_INT_EQ(count_temps("lay"), 0);
    ASSERT(oci_layout_has_blob(l, &d));
    ASSERT_OK(oci_layout_blob_size(l, &d, &size, &err), err);
    ASSERT_INT_EQ(size, 11);
    cb_buf_init(&b, 1024);
    ASSERT_OK(oci_layout_read_blob(l, &d, &b, &err), err);
    ASSERT_STR_EQ(b.data, "hello world");
    cb_buf_release(&b);

    /* corrupt the stored blob: the reader fails at EOF */
    char *path = oci_layout_blob_path(l, &d);
    chmod(path, 0644);
    t_write(path, "hello WORLD");
    free(path);
    cb_buf_init(&b, 1024);
    ASSERT_FAILS(oci_layout_read_blob(l, &d, &b, &err), err, CB_EDIGEST, "corrupt");
    cb_buf_release(&b);
    oci_digest_of("nope", 4, &d);
    ASSERT_FAILS(oci_layout_blob_size(l, &d, &size, &err), err, CB_ENOTFOUND, "blob");
}

TEST(layout_blob_commit_mismatch_stores_nothing)
{
    cleanup_err struct cb_err *err = NULL;
    cleanup_layout struct oci_layout *l = oci_layout_open("lay", OCI_LAYOUT_CREATE, &err);
    struct oci_blob_writer *w = oci_blob_writer_new(l, &err);
    struct oci_digest want, got;

    ASSERT(w);
    oci_digest_of("other", 5, &want);
    ASSERT_OK(oci_blob_writer_write(w, "content", 7, &err), err);
    ASSERT_FAILS(oci_blob_writer_commit(w, &want, -1, NULL, &err), err, CB_EDIGEST,
                 "digest mismatch");
    oci_blob_writer_free(w);
    ASSERT_INT_EQ(count_temps("lay"), 0);
    oci_digest_of("content", 7, &got);
    ASSERT(!oci_layout_has_blob(l, &got));

    w = oci_blob_writer_new(l, &err);
    ASSERT_OK(oci_blob_writer_write(w, "content", 7, &err), err);
    ASSERT_FAILS(oci_blob_writer_commit(w, &got, 8, NULL, &err), err, CB_EDIGEST, "size");
    oci_blob_writer_free(w);
    ASSERT(!oci_layout_has_blob(l, &got));
}

TEST(layout_crash_leaves_temp_removed_on_open)
{
    cleanup_err struct cb_err *err = NULL;
    struct oci_layout *l = oci_layout_open("lay", OCI_LAYOUT_CREATE, &err);
    pid_t pid;
    int status;

    ASSERT(l);
    pid = fork();
    if (pid == 0) {
        struct oci_blob_writer *w = oci_blob_writer_new(l, NULL);
        oci_blob_writer_write(w, "partial", 7, NULL);
        _exit(0); /* "crash": no commit, no cleanup */
    }
    waitpid(pid, &status, 0);
    ASSERT_INT_EQ(count_temps("lay"), 1);
    /* a live writer's temp file survives another open */
    struct oci_blob_writer *live = oci_blob_writer_new(l, &err);
    ASSERT(live);
    ASSERT_INT_EQ(count_temps("lay"), 2);
    struct oci_layout *l2 = oci_layout_open("lay", 0, &err);
    ASSERT(l2);
    ASSERT_INT_EQ(count_temps("lay"), 1);
    oci_blob_writer_free(live);
    ASSERT_INT_EQ(count_temps("lay"), 0);
    oci_layout_free(l2);
    oci_layout_free(l);
}

TEST(layout_concurrent_writers_same_blob)
{
    cleanup_err struct cb_err *err = NULL;
    cleanup_layout struct oci_layout *l = oci_layout_open("lay", OCI_LAYOUT_CREATE, &err);
    static char big[1 << 20];
    struct oci_digest want;
    pid_t pids[6];

    ASSERT(l);
    for (size_t i = 0; i < sizeof(big); i++)
        big[i] = (char)(i * 7);
    oci_digest_of(big, sizeof(big), &want);
    for (int i = 0; i < 6; i++) {
        pids[i] = fork();
        if (pids[i] == 0) {
            struct oci_layout *cl = oci_layout_open("lay", 0, NULL);
            struct oci_blob_writer *w = oci_blob_writer_new(cl, NULL);
            for (size_t off = 0; off < sizeof(big); off += 4096)
                if (oci_blob_writer_write(w, big + off, 4096, NULL) < 0)
                    _exit(1);
            _exit(oci_blob_writer_commit(w, &want, sizeof(big), NULL, NULL) < 0 ? 1 : 0);
        }
    }
    for (int i = 0; i < 6; i++) {
        int status;
        waitpid(pids[i], &status, 0);
        ASSERT(WIFEXITED(status) && WEXITSTATUS(status) == 0);
    }
    struct cb_buf b;
    cb_buf_init(&b, 2 << 20);
    ASSERT_OK(oci_layout_read_blob(l, &want, &b, &err), err);
    ASSERT_INT_EQ(b.len, sizeof(big));
    cb_buf_release(&b);
    ASSERT_INT_EQ(count_temps("lay"), 0);
}

static void make_image(struct oci_layout *l, const char *layer, struct oci_descriptor *out)
{
    struct oci_image img;
    struct oci_manifest m;
    struct oci_descriptor ld;
    struct oci_digest diff;

    oci_image_init(&img);
    img.os = strdup("linux");
    img.architecture = strdup("amd64");
    oci_digest_of(layer, strlen(layer), &diff);
    oci_image_add_diff_id(&img, &diff);
    oci_manifest_init(&m);
    m.media_type = strdup(OCI_MT_MANIFEST);
    if (oci_layout_put_image(l, &img, &m.config, NULL) < 0)
        abort();
    oci_descriptor_init(&ld);
    if (oci_layout_put_blob(l, layer, strlen(layer), NULL, NULL) < 0)
        abort();
    oci_descriptor_set(&ld, OCI_MT_LAYER, layer, strlen(layer));
    oci_manifest_add_layer(&m, &ld);
    if (oci_layout_put_manifest(l, &m, out, NULL) < 0)
        abort();
    oci_descriptor_release(&ld);
    oci_manifest_release(&m);
    oci_image_release(&img);
}

TEST(layout_tags_add_move_remove)
{
    cleanup_err struct cb_err *err = NULL;
    cleanup_layout struct oci_layout *l = oci_layout_open("lay", OCI_LAYOUT_CREATE, &err);
    struct oci_descriptor a, b, r;
    struct oci_index x;
    struct oci_manifest m;

    make_image(l, "layer-a", &a);
    make_image(l, "layer-b", &b);
    ASSERT_OK(oci_layout_tag(l, "one", &a, &err), err);
    ASSERT_OK(oci_layout_tag(l, "two", &a, &err), err);
    ASSERT_OK(oci_layout_tag(l, "three", &b, &err), err);
    ASSERT_OK(oci_layout_read_index(l, &x, &err), err);
    ASSERT_INT_EQ(x.n_manifests, 3);
    oci_index_release(&x);
    /* move "one" to b */
    ASSERT_OK(oci_layout_tag(l, "one", &b, &err), err);
    ASSERT_OK(oci_layout_resolve(l, "one", &r, &err), err);
    ASSERT(oci_digest_equal(&r.digest, &b.digest));
    oci_descriptor_release(&r);
    ASSERT_OK(oci_layout_resolve(l, "two", &r, &err), err);
    ASSERT(oci_digest_equal(&r.digest, &a.digest));
    ASSERT_OK(oci_layout_get_manifest(l, &r.digest, &m, &err), err);
    ASSERT_INT_EQ(m.n_layers, 1);
    oci_manifest_release(&m);
    oci_descriptor_release(&r);
    ASSERT_OK(oci_layout_untag(l, "two", &err), err);
    ASSERT_FAILS(oci_layout_untag(l, "two", &err), err, CB_ENOTFOUND, "'two'");
    ASSERT_FAILS(oci_layout_resolve(l, "two", &r, &err), err, CB_ENOTFOUND, "'two'");
    /* untagged add is idempotent per digest */
    ASSERT_OK(oci_layout_tag(l, NULL, &a, &err), err);
    ASSERT_OK(oci_layout_tag(l, NULL, &a, &err), err);
    ASSERT_OK(oci_layout_read_index(l, &x, &err), err);
    ASSERT_INT_EQ(x.n_manifests, 3);
    oci_index_release(&x);
    ASSERT_INT_EQ(oci_layout_remove_digest(l, &b.digest, &err), 2);
    ASSERT_OK(oci_layout_read_index(l, &x, &err), err);
    ASSERT_INT_EQ(x.n_manifests, 1);
    oci_index_release(&x);
    oci_descriptor_release(&a);
    oci_descriptor_release(&b);
}

static int extra_root(void *ud, oci_gc_mark_fn mark, void *set, struct cb_err **err)
{
    (void)err;
    mark(set, ud);
    return 0;
}

TEST(layout_gc_removes_only_unreferenced)
{
    cleanup_err struct cb_err *err = NULL;
    cleanup_layout struct oci_layout *l = oci_layout_open("lay", OCI_LAYOUT_CREATE, &err);
    struct oci_descriptor a, b, c;
    struct oci_gc_stats st;
    struct oci_digest junk;

    make_image(l, "layer-a", &a);
    make_image(l, "layer-b", &b);
    make_image(l, "layer-c", &c);
    ASSERT_OK(oci_layout_put_blob(l, "junk", 4, &junk, &err), err);
    ASSERT_OK(oci_layout_tag(l, "a", &a, &err), err);
    /* c is kept through an extra root: its manifest keeps config and layer */
    struct oci_gc_opts opts = {.extra_roots = extra_root, .userdata = &c.digest, .dry_run = true};
    ASSERT_OK(oci_layout_gc(l, &opts, &st, &err), err);
    ASSERT_INT_EQ(st.blobs_removed, 4); /* b's manifest, config, layer; junk */
    ASSERT(oci_layout_has_blob(l, &junk));
    opts.dry_run = false;
    ASSERT_OK(oci_layout_gc(l, &opts, &st, &err), err);
    ASSERT_INT_EQ(st.blobs_removed, 4);
    ASSERT_INT_EQ(st.blobs_kept, 6);
    ASSERT(!oci_layout_has_blob(l, &junk));
    ASSERT(!oci_layout_has_blob(l, &b.digest));
    ASSERT(oci_layout_has_blob(l, &a.digest));
    ASSERT(oci_layout_has_blob(l, &c.digest));
    ASSERT_OK(oci_layout_gc(l, NULL, &st, &err), err);
    ASSERT_INT_EQ(st.blobs_removed, 3);
    ASSERT_INT_EQ(st.blobs_kept, 3);
    oci_descriptor_release(&a);
    oci_descriptor_release(&b);
    oci_descriptor_release(&c);
}

TEST(layout_put_blob_fd)
{
    cleanup_err struct cb_err *err = NULL;
    cleanup_layout struct oci_layout *l = oci_layout_open("lay", OCI_LAYOUT_CREATE, &err);
    struct oci_digest d, want;
    int64_t size;
    t_write("f", "file content");
    int fd = open("f", O_RDONLY);
    ASSERT_OK(oci_layout_put_blob_fd(l, fd, &d, &size, &err), err);
    close(fd);
    oci_digest_of("file content", 12, &want);
    ASSERT(oci_digest_equal(&d, &want));
    ASSERT_INT_EQ(size, 12);
}
