/* digest.h - sha256 content digests: streaming compute, parse, format, compare.
 *
 * The digest is a struct everywhere inside cbuild; the "sha256:<hex>" string
 * exists only at I/O boundaries (JSON, paths, HTTP).
 */
#ifndef CBUILD_OCI_DIGEST_H
#define CBUILD_OCI_DIGEST_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "../base/error.h"

enum oci_digest_algo {
    OCI_DIGEST_NONE = 0,
    OCI_DIGEST_SHA256 = 1,
};

#define OCI_DIGEST_SHA256_LEN 32
/* "sha256:" + 64 hex + NUL */
#define OCI_DIGEST_STR_MAX 72

struct oci_digest {
    enum oci_digest_algo algo;
    uint8_t bytes[OCI_DIGEST_SHA256_LEN];
};

/* Streaming hasher; opaque, OpenSSL EVP underneath. */
struct oci_hasher;

struct oci_hasher *oci_hasher_new(void);
void oci_hasher_update(struct oci_hasher *h, const void *data, size_t len);
/* Finish into out; the hasher may be reset and reused afterwards. */
void oci_hasher_final(struct oci_hasher *h, struct oci_digest *out);
void oci_hasher_reset(struct oci_hasher *h);
void oci_hasher_free(struct oci_hasher *h);
static inline void oci_hasher_freep(struct oci_hasher **h)
{
    oci_hasher_free(*h);
    *h = NULL;
}
#define cleanup_hasher __attribute__((cleanup(oci_hasher_freep)))

/* One-shot sha256 of a buffer. */
void oci_digest_of(const void *data, size_t len, struct oci_digest *out);

/* Parse "sha256:<64 lowercase hex>"; anything else is CB_EINVAL. */
int oci_digest_parse(const char *s, struct oci_digest *out, struct cb_err **err);
/* Format into buf (at least OCI_DIGEST_STR_MAX bytes); returns buf. */
char *oci_digest_fmt(const struct oci_digest *d, char *buf);
/* Only the 64 hex characters, into buf of at least 65 bytes. */
char *oci_digest_hex(const struct oci_digest *d, char *buf);
/* Constant-time equality. */
bool oci_digest_equal(const struct oci_digest *a, const struct oci_digest *b);
bool oci_digest_is_set(const struct oci_digest *d);

#endif
