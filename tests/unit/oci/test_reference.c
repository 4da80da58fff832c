#include <stdlib.h>

#include "harness.h"
#include "../../../oci/reference.h"
#include "../../../base/cleanup.h"

static char *ref_norm(const char *s)
{
    struct oci_ref r;
    struct cb_err *err = NULL;
    if (oci_ref_parse(s, &r, &err) < 0) {
        char *m = err->msg;
        err->msg = NULL;
        cb_err_free(err);
        return m;
    }
    char *out = oci_ref_str(&r);
    oci_ref_release(&r);
    return out;
}

#define NORM(in, want)                                                                             \
    do {                                                                                           \
        cleanup_free char *got_ = ref_norm(in);                                                    \
        ASSERT_STR_EQ(got_, want);                                                                 \
    } while (0)

TEST(reference_docker_hub_defaults)
{
    NORM("busybox", "docker.io/library/busybox:latest");
    NORM("busybox:1.36", "docker.io/library/busybox:1.36");
    NORM("user/app", "docker.io/user/app:latest");
    NORM("docker.io/busybox", "docker.io/library/busybox:latest");
    NORM("index.docker.io/library/busybox:x", "docker.io/library/busybox:x");
}

TEST(reference_hosts_and_ports)
{
    NORM("localhost/app", "localhost/app:latest");
    NORM("localhost:5000/a/b:v1", "localhost:5000/a/b:v1");
    NORM("127.0.0.1:5000/busybox", "127.0.0.1:5000/busybox:latest");
    NORM("[::1]:5000/x", "[::1]:5000/x:latest");
    NORM("123456789012.dkr.ecr.us-east-1.amazonaws.com/team/app:1",
         "123456789012.dkr.ecr.us-east-1.amazonaws.com/team/app:1");
}

TEST(reference_digest)
{
    struct oci_ref r;
    cleanup_err struct cb_err *err = NULL;
    char buf[OCI_DIGEST_STR_MAX];
    NORM("x/y@sha256:ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad",
         "docker.io/x/y@sha256:ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
    NORM("h:1/y:t@sha256:ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad",
         "h:1/y:t@sha256:ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
    ASSERT_OK(oci_ref_parse(
                  "h:1/y@sha256:ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad",
                  &r, &err),
              err);
    ASSERT(r.tag == NULL);
    ASSERT_STR_EQ(oci_ref_object(&r, buf),
                  "sha256:ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
    oci_ref_release(&r);
}

TEST(reference_errors)
{
    NORM("Busybox", "invalid reference 'Busybox': repository name must be lowercase");
    NORM("host:5000/App", "invalid reference 'host:5000/App': repository name must be lowercase");
    NORM("a/-b", "invalid reference 'a/-b': invalid character in repository name");
    NORM("a/b-", "invalid reference 'a/b-': repository name components must start and end with a "
                 "letter or digit");
    NORM("a//b", "invalid reference 'a//b': empty path component");
    NORM("x:-bad", "invalid reference 'x:-bad': invalid tag");
    NORM("x@sha256:abc",
         "invalid reference 'x@sha256:abc': invalid digest (want sha256:<64 lowercase hex>)");
    NORM("", "invalid reference '': empty");
    NORM("a b", "invalid reference 'a b': contains whitespace");
    NORM("host:99999/x", "invalid reference 'host:99999/x': invalid registry host");
    NORM(":tag", "invalid reference ':tag': empty repository name");
}

TEST(reference_separators)
{
    NORM("x/a.b_c__d-e---f/g", "docker.io/x/a.b_c__d-e---f/g:latest");
    NORM("x:A_b.c-9", "docker.io/library/x:A_b.c-9");
    NORM("a/b___c", "invalid reference 'a/b___c': repository name components must start and end "
                    "with a letter or digit");
}

TEST(reference_repo_only)
{
    struct oci_ref r;
    cleanup_err struct cb_err *err = NULL;
    ASSERT_OK(oci_ref_parse_repo("localhost:5000/a/b", &r, &err), err);
    ASSERT_STR_EQ(r.registry, "localhost:5000");
    ASSERT_STR_EQ(r.repository, "a/b");
    ASSERT(r.tag == NULL);
    oci_ref_release(&r);
    ASSERT_FAILS(oci_ref_parse_repo("a/b:t", &r, &err), err, CB_EINVAL,
                 "a tag is not allowed here");
}

TEST(reference_hosts_normalize)
{
    cleanup_err struct cb_err *err = NULL;
    cleanup_free char *a = oci_ref_normalize_host("https://index.docker.io/v1/", &err);
    cleanup_free char *b = oci_ref_normalize_host("127.0.0.1:5000/", &err);
    ASSERT_STR_EQ(a, "docker.io");
    ASSERT_STR_EQ(b, "127.0.0.1:5000");
    ASSERT_STR_EQ(oci_ref_endpoint("docker.io"), "registry-1.docker.io");
    ASSERT_STR_EQ(oci_ref_config_key("docker.io"), "https://index.docker.io/v1/");
    ASSERT(oci_ref_normalize_host("bad host", &err) == NULL);
    ASSERT(err && strstr(err->msg, "invalid registry host"));
    ASSERT(!oci_ref_host_valid("a..b"));
    ASSERT(!oci_ref_host_valid("-a.b"));
    ASSERT(oci_ref_host_valid("a-b.c:1"));
}
