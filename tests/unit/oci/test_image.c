/* test_image.c - round trips and errors for every image document codec. */
#include <stdlib.h>

#include "harness.h"
#include "../../../base/buf.h"
#include "../../../oci/image.h"

#define D1 "sha256:ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"
#define D2 "sha256:e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"

/* Parse with parse_fn, dump, and compare with want (the canonical form). */
#define ROUND_TRIP(type, parse_fn, dump_fn, release_fn, in, want)                                  \
    do {                                                                                           \
        cleanup_err struct cb_err *err_ = NULL;                                                    \
        struct type doc_;                                                                          \
        struct cb_buf out_;                                                                        \
        cb_buf_init(&out_, 1 << 20);                                                               \
        ASSERT_OK(parse_fn(in, strlen(in), &doc_, &err_), err_);                                   \
        ASSERT_OK(dump_fn(&doc_, &out_, &err_), err_);                                             \
        ASSERT_STR_EQ(out_.data, want);                                                            \
        release_fn(&doc_);                                                                         \
        struct type again_;                                                                        \
        ASSERT_OK(parse_fn(out_.data, out_.len, &again_, &err_), err_);                            \
        cb_buf_reset(&out_);                                                                       \
        ASSERT_OK(dump_fn(&again_, &out_, &err_), err_);                                           \
        ASSERT_STR_EQ(out_.data, want);                                                            \
        release_fn(&again_);                                                                       \
        cb_buf_release(&out_);                                                                     \
    } while (0)

TEST(image_manifest_oci_round_trip)
{
    const char *in = "{\n  \"schemaVersion\": 2,\n  \"mediaType\": \"" OCI_MT_MANIFEST "\",\n"
                     "  \"config\": {\"mediaType\": \"" OCI_MT_CONFIG "\", \"digest\": \"" D1
                     "\", \"size\": 7},\n"
                     "  \"layers\": [{\"mediaType\": \"" OCI_MT_LAYER_GZIP "\", \"digest\": \"" D2
                     "\", \"size\": 32, \"annotations\": {\"b\": \"2\", \"a\": \"1\"}}],\n"
                     "  \"annotations\": {\"org.opencontainers.image.created\": \"x\"},"
                     "  \"unknown\": 1}";
    const char *want =
        "{\"annotations\":{\"org.opencontainers.image.created\":\"x\"},\"config\":{\"digest\":\"" D1
        "\",\"mediaType\":\"" OCI_MT_CONFIG "\",\"size\":7},\"layers\":[{\"annotations\":{\"a\":"
        "\"1\",\"b\":\"2\"},\"digest\":\"" D2 "\",\"mediaType\":\"" OCI_MT_LAYER_GZIP
        "\",\"size\":32}],\"mediaType\":\"" OCI_MT_MANIFEST "\",\"schemaVersion\":2}";
    ROUND_TRIP(oci_manifest, oci_manifest_parse, oci_manifest_dump, oci_manifest_release, in, want);
}

TEST(image_manifest_docker_round_trip_and_convert)
{
    cleanup_err struct cb_err *err = NULL;
    const char *in = "{\"schemaVersion\":2,\"mediaType\":\"" OCI_MT_DOCKER_MANIFEST "\","
                     "\"config\":{\"mediaType\":\"" OCI_MT_DOCKER_CONFIG "\",\"size\":7,"
                     "\"digest\":\"" D1 "\"},\"layers\":[{\"mediaType\":\"" OCI_MT_DOCKER_LAYER_GZIP
                     "\",\"size\":32,\"digest\":\"" D2 "\"}]}";
    const char *want =
        "{\"config\":{\"digest\":\"" D1 "\",\"mediaType\":\"" OCI_MT_DOCKER_CONFIG
        "\",\"size\":7},\"layers\":[{\"digest\":\"" D2
        "\",\"mediaType\":\"" OCI_MT_DOCKER_LAYER_GZIP
        "\",\"size\":32}],\"mediaType\":\"" OCI_MT_DOCKER_MANIFEST "\",\"schemaVersion\":2}";
    ROUND_TRIP(oci_manifest, oci_manifest_parse, oci_manifest_dump, oci_manifest_release, in, want);

    struct oci_manifest m;
    ASSERT_OK(oci_manifest_parse(in, strlen(in), &m, &err), err);
    oci_manifest_to_oci(&m);
    ASSERT_STR_EQ(m.media_type, OCI_MT_MANIFEST);
    ASSERT_STR_EQ(m.config.media_type, OCI_MT_CONFIG);
    ASSERT_STR_EQ(m.layers[0].media_type, OCI_MT_LAYER_GZIP);
    ASSERT_OK(oci_manifest_to_docker(&m, &err), err);
    ASSERT_STR_EQ(m.layers[0].media_type, OCI_MT_DOCKER_LAYER_GZIP);
    free(m.layers[0].media_type);
    m.layers[0].media_type = strdup(OCI_MT_LAYER_ZSTD);
    ASSERT_FAILS(oci_manifest_to_docker(&m, &err), err, CB_EUNSUPPORTED, "Docker manifests");
    oci_manifest_release(&m);
}

TEST(image_index_and_manifest_list_round_trip)
{
    const char *in = "{\"schemaVersion\":2,\"mediaType\":\"" OCI_MT_DOCKER_LIST "\","
                     "\"manifests\":[{\"mediaType\":\"" OCI_MT_DOCKER_MANIFEST "\",\"size\":9,"
                     "\"digest\":\"" D1 "\",\"platform\":{\"architecture\":\"arm64\",\"os\":"
                     "\"linux\",\"variant\":\"v8\",\"features\":[\"sse4\"],\"os.version\":\"1\","
                     "\"os.features\":[\"f\"]}}]}";
    const char *want =
        "{\"manifests\":[{\"digest\":\"" D1 "\",\"mediaType\":\"" OCI_MT_DOCKER_MANIFEST
        "\",\"platform\":{\"architecture\":\"arm64\","
        "\"features\":[\"sse4\"],\"os\":\"linux\",\"os.features\":[\"f\"],"
        "\"os.version\":\"1\",\"variant\":\"v8\"},\"size\":9}],\"mediaType\":\"" OCI_MT_DOCKER_LIST
        "\",\"schemaVersion\":2}";
    ROUND_TRIP(oci_index, oci_index_parse, oci_index_dump, oci_index_release, in, want);

    const char *layout_index =
        "{\"schemaVersion\":2,\"manifests\":[{\"mediaType\":\"" OCI_MT_MANIFEST
        "\",\"digest\":\"" D2 "\",\"size\":3,"
        "\"annotations\":{\"" OCI_ANNOT_REF_NAME "\":\"latest\"}}]}";
    const char *layout_want =
        "{\"manifests\":[{\"annotations\":{\"" OCI_ANNOT_REF_NAME "\":\"latest\"},\"digest\":\"" D2
        "\",\"mediaType\":\"" OCI_MT_MANIFEST "\",\"size\":3}],\"schemaVersion\":2}";
    ROUND_TRIP(oci_index, oci_index_parse, oci_index_dump, oci_index_release, layout_index,
               layout_want);
}

TEST(image_config_round_trip_all_fields)
{
    const char *in =
        "{\"created\":\"2026-01-01T00:00:00Z\",\"author\":\"me\",\"architecture\":\"amd64\","
        "\"os\":\"linux\",\"variant\":\"v1\",\"os.version\":\"5\",\"os.features\":[\"a\"],"
        "\"config\":{\"User\":\"1000:1000\",\"Env\":[\"PATH=/bin\",\"A=b c\"],"
        "\"Entrypoint\":[\"/bin/sh\",\"-c\"],\"Cmd\":[],\"WorkingDir\":\"/w\","
        "\"Labels\":{\"z\":\"1\",\"a\":\"2\"},\"ExposedPorts\":{\"80/tcp\":{},\"53/udp\":{}},"
        "\"Volumes\":{\"/data\":{}},\"StopSignal\":\"SIGTERM\",\"ArgsEscaped\":true,"
        "\"Healthcheck\":{\"Test\":[\"CMD-SHELL\",\"true\"],\"Interval\":30000000000,"
        "\"Timeout\":5,\"StartPeriod\":6,\"StartInterval\":7,\"Retries\":3},"
        "\"OnBuild\":[\"RUN echo hi\"],\"Shell\":[\"/bin/bash\",\"-c\"]},"
        "\"rootfs\":{\"type\":\"layers\",\"diff_ids\":[\"" D1 "\",\"" D2 "\"]},"
        "\"history\":[{\"created\":\"2026-01-01T00:00:00Z\",\"created_by\":\"ADD x\","
        "\"author\":\"a\",\"comment\":\"c\"},{\"created_by\":\"ENV A=b\",\"empty_layer\":true}]}";
    const char *want =
        "{\"architecture\":\"amd64\",\"author\":\"me\",\"config\":{\"ArgsEscaped\":true,"
        "\"Cmd\":[],\"Entrypoint\":[\"/bin/sh\",\"-c\"],\"Env\":[\"PATH=/bin\",\"A=b c\"],"
        "\"ExposedPorts\":{\"53/udp\":{},\"80/tcp\":{}},\"Healthcheck\":{\"Interval\":30000000000,"
        "\"Retries\":3,\"StartInterval\":7,\"StartPeriod\":6,\"Test\":[\"CMD-SHELL\",\"true\"],"
        "\"Timeout\":5},\"Labels\":{\"a\":\"2\",\"z\":\"1\"},\"OnBuild\":[\"RUN echo hi\"],"
        "\"Shell\":[\"/bin/bash\",\"-c\"],\"StopSignal\":\"SIGTERM\",\"User\":\"1000:1000\","
        "\"Volumes\":{\"/data\":{}},\"WorkingDir\":\"/w\"},\"created\":\"2026-01-01T00:00:00Z\","
        "\"history\":[{\"author\":\"a\",\"comment\":\"c\",\"created\":\"2026-01-01T00:00:00Z\","
        "\"created_by\":\"ADD x\"},{\"created_by\":\"ENV A=b\",\"empty_layer\":true}],"
        "\"os\":\"linux\",\"os.features\":[\"a\"],\"os.version\":\"5\",\"rootfs\":{\"diff_ids\":"
        "[\"" D1 "\",\"" D2 "\"],\"type\":\"layers\"},\"variant\":\"v1\"}";
    ROUND_TRIP(oci_image, oci_image_parse, oci_image_dump, oci_image_release, in, want);
}

TEST(image_config_null_vs_empty_cmd_and_copy)
{
    cleanup_err struct cb_err *err = NULL;
    const char *in = "{\"config\":{\"Cmd\":null,\"Entrypoint\":[]},\"rootfs\":{\"type\":"
                     "\"layers\",\"diff_ids\":[]}}";
    struct oci_image img, copy;
    struct cb_buf a, b;

    ASSERT_OK(oci_image_parse(in, strlen(in), &img, &err), err);
    ASSERT(!img.config.has_cmd);
    ASSERT(img.config.has_entrypoint);
    ASSERT_INT_EQ(img.config.entrypoint.n, 0);
    oci_image_copy(&copy, &img);
    cb_buf_init(&a, 1 << 20);
    cb_buf_init(&b, 1 << 20);
    ASSERT_OK(oci_image_dump(&img, &a, &err), err);
    ASSERT_OK(oci_image_dump(&copy, &b, &err), err);
    ASSERT_STR_EQ(a.data, b.data);
    ASSERT_STR_EQ(a.data, "{\"config\":{\"Entrypoint\":[]},\"rootfs\":{\"diff_ids\":[],\"type\":"
                          "\"layers\"}}");
    oci_image_release(&img);
    oci_image_release(&copy);
    cb_buf_release(&a);
    cb_buf_release(&b);
}

TEST(image_parse_errors_name_the_field)
{
    cleanup_err struct cb_err *err = NULL;
    struct oci_manifest m;
    struct oci_index x;
    struct oci_image img;
    const char *bad_cfg = "{\"config\":{\"Env\":\"x\"},\"rootfs\":{\"type\":\"layers\"}}";
    const char *bad_rootfs = "{\"rootfs\":{\"type\":\"tar\"}}";
    const char *bad_digest = "{\"schemaVersion\":2,\"config\":{\"mediaType\":\"a\",\"size\":1,"
                             "\"digest\":\"sha256:xyz\"},\"layers\":[]}";
    const char *bad_size = "{\"schemaVersion\":2,\"config\":{\"mediaType\":\"a\",\"size\":-1,"
                           "\"digest\":\"" D1 "\"},\"layers\":[]}";

    ASSERT_FAILS(oci_image_parse(bad_cfg, strlen(bad_cfg), &img, &err), err, CB_EINVAL, "'Env'");
    ASSERT_FAILS(oci_image_parse(bad_rootfs, strlen(bad_rootfs), &img, &err), err, CB_EINVAL,
                 "rootfs.type");
    ASSERT_FAILS(oci_manifest_parse(bad_digest, strlen(bad_digest), &m, &err), err, CB_EINVAL,
                 "manifest");
    ASSERT_FAILS(oci_manifest_parse(bad_size, strlen(bad_size), &m, &err), err, CB_EINVAL, "size");
    ASSERT_FAILS(oci_manifest_parse("{\"schemaVersion\":1}", 19, &m, &err), err, CB_EUNSUPPORTED,
                 "schemaVersion");
    ASSERT_FAILS(oci_index_parse("[]", 2, &x, &err), err, CB_EINVAL, "not a JSON object");
    ASSERT_FAILS(oci_index_parse("{\"schemaVersion\":2}", 19, &x, &err), err, CB_EINVAL,
                 "manifests");
}

TEST(image_platform_parse_match_select)
{
    cleanup_err struct cb_err *err = NULL;
    struct oci_platform want, host;
    struct oci_index x;
    struct oci_descriptor d;
    const char *arches[][3] = {{"amd64", NULL, D1}, {"arm64", NULL, D2}, {"arm64", "v8", D1}};

    ASSERT_OK(oci_platform_parse("linux/aarch64", &want, &err), err);
    ASSERT_STR_EQ(want.architecture, "arm64");
    ASSERT_STR_EQ(want.variant, "v8");
    oci_index_init(&x);
    for (size_t i = 0; i < 3; i++) {
        oci_descriptor_init(&d);
        d.media_type = strdup(OCI_MT_MANIFEST);
        ASSERT_OK(oci_digest_parse(arches[i][2], &d.digest, &err), err);
        d.platform = calloc(1, sizeof(*d.platform));
        d.platform->os = strdup("linux");
        d.platform->architecture = strdup(arches[i][0]);
        d.platform->variant = arches[i][1] ? strdup(arches[i][1]) : NULL;
        oci_index_add(&x, &d);
        oci_descriptor_release(&d);
    }
    /* the exact variant wins over the defaulted one */
    ASSERT_INT_EQ(oci_index_select(&x, &want), 2);
    ASSERT(oci_platform_match(&want, x.manifests[1].platform));
    ASSERT(!oci_platform_match(&want, x.manifests[0].platform));
    oci_platform_release(&want);
    ASSERT_OK(oci_platform_parse("linux/amd64", &want, &err), err);
    ASSERT_INT_EQ(oci_index_select(&x, &want), 0);
    char *s = oci_platform_fmt(&want);
    ASSERT_STR_EQ(s, "linux/amd64");
    free(s);
    oci_platform_release(&want);
    ASSERT_OK(oci_platform_parse("windows/arm/v7", &want, &err), err);
    ASSERT_INT_EQ(oci_index_select(&x, &want), -1);
    oci_platform_release(&want);
    ASSERT_FAILS(oci_platform_parse("linux", &want, &err), err, CB_EINVAL, "os/arch");
    ASSERT_FAILS(oci_platform_parse("linux/AMD64", &want, &err), err, CB_EINVAL, "platform");
    oci_platform_host(&host);
    ASSERT_STR_EQ(host.os, "linux");
    ASSERT(host.architecture && *host.architecture);
    oci_platform_release(&host);
    oci_index_release(&x);
}

TEST(image_chain_ids_and_sniff)
{
    cleanup_err struct cb_err *err = NULL;
    struct oci_image img;
    struct oci_digest a, b, ids[2], want;
    char s[OCI_DIGEST_STR_MAX];
    const char *cat = D1 " " D2;

    oci_image_init(&img);
    ASSERT_OK(oci_digest_parse(D1, &a, &err), err);
    ASSERT_OK(oci_digest_parse(D2, &b, &err), err);
    oci_image_add_diff_id(&img, &a);
    oci_image_add_diff_id(&img, &b);
    oci_image_chain_ids(&img, ids);
    ASSERT(oci_digest_equal(&ids[0], &a));
    oci_digest_of(cat, strlen(cat), &want);
    ASSERT_STR_EQ(oci_digest_fmt(&ids[1], s), oci_digest_fmt(&want, (char[72]){0}));
    oci_image_release(&img);

    ASSERT_INT_EQ(oci_doc_sniff("{\"manifests\":[]}", 16), OCI_DOC_INDEX);
    ASSERT_INT_EQ(oci_doc_sniff("{\"config\":{},\"layers\":[]}", 25), OCI_DOC_MANIFEST);
    ASSERT_INT_EQ(oci_doc_sniff("{\"mediaType\":\"" OCI_MT_DOCKER_LIST "\"}",
                                strlen("{\"mediaType\":\"" OCI_MT_DOCKER_LIST "\"}")),
                  OCI_DOC_INDEX);
    ASSERT_INT_EQ(oci_doc_sniff("nope", 4), OCI_DOC_UNKNOWN);
    ASSERT(oci_media_type_is_layer(OCI_MT_DOCKER_LAYER_GZIP));
    ASSERT(!oci_media_type_is_layer(OCI_MT_CONFIG));
}

TEST(image_map_sorted_set_del)
{
    struct oci_map m;
    oci_map_init(&m);
    oci_map_set(&m, "b", "2");
    oci_map_set(&m, "a", "1");
    oci_map_set(&m, "c", "3");
    oci_map_set(&m, "b", "two");
    ASSERT_INT_EQ(m.n, 3);
    ASSERT_STR_EQ(m.v[0].key, "a");
    ASSERT_STR_EQ(oci_map_peek(&m, "b"), "two");
    ASSERT(oci_map_del(&m, "a"));
    ASSERT(!oci_map_del(&m, "a"));
    ASSERT(oci_map_peek(&m, "a") == NULL);
    ASSERT_INT_EQ(m.n, 2);
    oci_map_release(&m);
}

TEST(image_layout_marker)
{
    cleanup_err struct cb_err *err = NULL;
    struct cb_buf b;
    char *v = NULL;
    cb_buf_init(&b, 4096);
    ASSERT_OK(oci_layout_marker_dump(&b, &err), err);
    ASSERT_STR_EQ(b.data, "{\"imageLayoutVersion\":\"1.0.0\"}");
    ASSERT_OK(oci_layout_marker_parse(b.data, b.len, &v, &err), err);
    ASSERT_STR_EQ(v, "1.0.0");
    free(v);
    cb_buf_release(&b);
    ASSERT_FAILS(oci_layout_marker_parse("{}", 2, &v, &err), err, CB_EINVAL, "imageLayoutVersion");
}

/* Mutated documents never crash a parser (run under ASan/UBSan): each
 * parse either fails cleanly or yields a struct that dumps. */
TEST(image_parsers_survive_mutations)
{
    const char *seeds[] = {
        "{\"schemaVersion\":2,\"mediaType\":\"" OCI_MT_MANIFEST
        "\",\"config\":{\"mediaType\":\"a\","
        "\"digest\":\"" D1 "\",\"size\":1},\"layers\":[{\"mediaType\":\"b\",\"digest\":\"" D2
        "\",\"size\":2,\"platform\":{\"os\":\"linux\",\"architecture\":\"amd64\"}}]}",
        "{\"schemaVersion\":2,\"manifests\":[{\"mediaType\":\"" OCI_MT_MANIFEST
        "\",\"digest\":\"" D1 "\",\"size\":3,\"annotations\":{\"k\":\"v\"}}]}",
        "{\"config\":{\"Env\":[\"A=1\"],\"Healthcheck\":{\"Test\":[\"NONE\"]},\"Labels\":{\"a\":"
        "\"b\"},\"ExposedPorts\":{\"1/"
        "tcp\":{}}},\"rootfs\":{\"type\":\"layers\",\"diff_ids\":[\"" D1
        "\"]},\"history\":[{\"empty_layer\":true}]}",
    };
    unsigned seed = 12345;
    char buf[1024];

    for (int round = 0; round < 3000; round++) {
        const char *s = seeds[round % 3];
        size_t len = strlen(s);
        struct cb_err *err = NULL;
        struct cb_buf out;
        memcpy(buf, s, len);
        for (int k = 0; k < 1 + round % 4; k++) {
            seed = seed * 1103515245u + 12345u;
            buf[(seed >> 8) % len] = "{}[]\":,0a-\\ "[(seed >> 20) % 12];
        }
        cb_buf_init(&out, 1 << 20);
        if (round % 3 == 0) {
            struct oci_manifest m;
            if (oci_manifest_parse(buf, len, &m, &err) == 0) {
                ASSERT(oci_manifest_dump(&m, &out, &err) == 0);
                oci_manifest_release(&m);
            }
        } else if (round % 3 == 1) {
            struct oci_index x;
            if (oci_index_parse(buf, len, &x, &err) == 0) {
                ASSERT(oci_index_dump(&x, &out, &err) == 0);
                oci_index_release(&x);
            }
        } else {
            struct oci_image img;
            if (oci_image_parse(buf, len, &img, &err) == 0) {
                ASSERT(oci_image_dump(&img, &out, &err) == 0);
                oci_image_release(&img);
            }
        }
        oci_doc_sniff(buf, len);
        cb_err_free(err);
        cb_buf_release(&out);
    }
}
