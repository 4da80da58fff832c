#include <stdlib.h>

#include "harness.h"
#include "../../../oci/digest.h"

TEST(digest_known_values)
{
    struct oci_digest d;
    char s[OCI_DIGEST_STR_MAX];
    oci_digest_of("", 0, &d);
    ASSERT_STR_EQ(oci_digest_fmt(&d, s),
                  "sha256:e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");
    oci_digest_of("abc", 3, &d);
    ASSERT_STR_EQ(oci_digest_fmt(&d, s),
                  "sha256:ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
}

TEST(digest_streaming_matches_oneshot)
{
    struct oci_digest a, b;
    struct oci_hasher *h = oci_hasher_new();
    oci_hasher_update(h, "ab", 2);
    oci_hasher_update(h, "c", 1);
    oci_hasher_final(h, &a);
    oci_digest_of("abc", 3, &b);
    ASSERT(oci_digest_equal(&a, &b));
    oci_hasher_reset(h);
    oci_hasher_update(h, "x", 1);
    oci_hasher_final(h, &a);
    ASSERT(!oci_digest_equal(&a, &b));
    oci_hasher_free(h);
}

TEST(digest_parse_round_trip)
{
    cleanup_err struct cb_err *err = NULL;
    struct oci_digest d;
    char s[OCI_DIGEST_STR_MAX];
    const char *in = "sha256:ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad";
    ASSERT_OK(oci_digest_parse(in, &d, &err), err);
    ASSERT_STR_EQ(oci_digest_fmt(&d, s), in);
}

TEST(digest_parse_rejects_malformed)
{
    cleanup_err struct cb_err *err = NULL;
    struct oci_digest d;
    ASSERT_FAILS(oci_digest_parse("sha256:abc", &d, &err), err, CB_EINVAL, "64 hex");
    ASSERT_FAILS(oci_digest_parse("sha512:abc", &d, &err), err, CB_EINVAL, "unsupported");
    ASSERT_FAILS(oci_digest_parse("ba7816bf", &d, &err), err, CB_EINVAL, "invalid digest");
    ASSERT_FAILS(
        oci_digest_parse("sha256:BA7816BF8F01CFEA414140DE5DAE2223B00361A396177A9CB410FF61F20015AD",
                         &d, &err),
        err, CB_EINVAL, "lowercase");
}
