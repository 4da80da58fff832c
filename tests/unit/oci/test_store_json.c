/* test_store_json.c - the JSON `cbuild images` and `cbuild inspect` print. */
#include <stdlib.h>

#include "harness.h"
#include "../../../oci/store.h"

TEST(store_json_images_fields)
{
    cleanup_err struct cb_err *err = NULL;
    struct oci_store_image v[2];
    struct cb_buf b;

    memset(v, 0, sizeof(v));
    v[0].name = "localhost:5000/a/b:v1";
    v[0].desc.media_type = OCI_MT_MANIFEST;
    oci_digest_of("m", 1, &v[0].desc.digest);
    oci_digest_of("c", 1, &v[0].id);
    v[0].size = 42;
    v[0].created = "2026-01-01T00:00:00Z";
    v[1].desc.media_type = OCI_MT_INDEX;
    cb_buf_init(&b, 1 << 20);
    ASSERT_OK(oci_store_images_json(v, 2, &b, &err), err);
    ASSERT(strstr(b.data, "\"Repository\": \"localhost:5000/a/b\""));
    ASSERT(strstr(b.data, "\"Tag\": \"v1\""));
    ASSERT(strstr(b.data, "\"Size\": 42"));
    ASSERT(strstr(b.data, "\"Name\": null"));
    ASSERT(strstr(b.data, "\"Tag\": \"<none>\""));
    ASSERT(strstr(b.data, "\"Id\": null"));
    ASSERT(b.data[b.len - 1] == '\n');
    cb_buf_release(&b);
}

TEST(store_json_inspect_documents)
{
    cleanup_err struct cb_err *err = NULL;
    cleanup_store struct oci_store *s = oci_store_open("root", OCI_STORE_SHARED, &err);
    struct oci_layout *l;
    struct oci_image img;
    struct oci_manifest m;
    struct oci_descriptor d;
    struct cb_buf b;
    char *names[] = {"localhost/x:1", "nope"};

    ASSERT(s);
    l = oci_store_layout_peek(s);
    oci_image_init(&img);
    img.os = strdup("linux");
    img.architecture = strdup("amd64");
    cb_strv_push(&img.config.env, "A=1");
    oci_manifest_init(&m);
    m.media_type = strdup(OCI_MT_MANIFEST);
    ASSERT_OK(oci_layout_put_image(l, &img, &m.config, &err), err);
    ASSERT_OK(oci_layout_put_manifest(l, &m, &d, &err), err);
    ASSERT_OK(oci_store_add(s, names[0], &d, &err), err);
    cb_buf_init(&b, 1 << 20);
    ASSERT_OK(oci_store_inspect_json(s, names, 1, NULL, &b, &err), err);
    ASSERT(strstr(b.data, "\"Name\": \"localhost/x:1\""));
    ASSERT(strstr(b.data, "\"A=1\""));
    ASSERT(strstr(b.data, "\"Manifest\": {"));
    cb_buf_reset(&b);
    ASSERT_FAILS(oci_store_inspect_json(s, names, 2, NULL, &b, &err), err, CB_ENOTFOUND,
                 "image 'nope' not found");
    cb_buf_release(&b);
    oci_descriptor_release(&d);
    oci_manifest_release(&m);
    oci_image_release(&img);
}
