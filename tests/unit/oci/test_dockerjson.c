/* test_dockerjson.c - docker-archive manifest.json and repositories. */
#include <stdlib.h>

#include "harness.h"
#include "../../../oci/dockerjson.h"

TEST(dockerjson_manifest_round_trip)
{
    cleanup_err struct cb_err *err = NULL;
    const char *in = "[{\"Config\":\"abc.json\",\"RepoTags\":[\"busybox:latest\"],"
                     "\"Layers\":[\"l1/layer.tar\",\"l2.tar\"],\"LayerSources\":{}},"
                     "{\"Config\":\"def.json\",\"RepoTags\":null,\"Layers\":[]}]";
    const char *want = "[{\"Config\":\"abc.json\",\"Layers\":[\"l1/layer.tar\",\"l2.tar\"],"
                       "\"RepoTags\":[\"busybox:latest\"]},{\"Config\":\"def.json\","
                       "\"Layers\":[],\"RepoTags\":null}]";
    struct oci_docker_manifest m;
    struct cb_buf b;

    ASSERT_OK(oci_docker_manifest_parse(in, strlen(in), &m, &err), err);
    ASSERT_INT_EQ(m.n, 2);
    ASSERT_STR_EQ(m.v[0].layers.v[1], "l2.tar");
    cb_buf_init(&b, 1 << 20);
    ASSERT_OK(oci_docker_manifest_dump(&m, &b, &err), err);
    ASSERT_STR_EQ(b.data, want);
    cb_buf_reset(&b);
    const char *ids[] = {"top1", "top2"};
    ASSERT_OK(oci_docker_repositories_dump(&m, ids, &b, &err), err);
    ASSERT_STR_EQ(b.data, "{\"busybox\":{\"latest\":\"top1\"}}");
    cb_buf_release(&b);
    oci_docker_manifest_release(&m);
}

TEST(dockerjson_manifest_errors)
{
    cleanup_err struct cb_err *err = NULL;
    struct oci_docker_manifest m;
    ASSERT_FAILS(oci_docker_manifest_parse("{}", 2, &m, &err), err, CB_EINVAL, "not an array");
    ASSERT_FAILS(oci_docker_manifest_parse("[{}]", 4, &m, &err), err, CB_EINVAL, "'Config'");
    ASSERT_FAILS(oci_docker_manifest_parse("[{\"Config\":\"a\",\"Layers\":[1]}]", 29, &m, &err),
                 err, CB_EINVAL, "'Layers'");
}
