/* digest.c - sha256 over OpenSSL EVP; parse/format/compare digests. */
#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <stdlib.h>
#include <string.h>

#include "digest.h"
#include "../base/xalloc.h"
#include "../base/banned.h"

struct oci_hasher {
    EVP_MD_CTX *ctx;
};

struct oci_hasher *oci_hasher_new(void)
{
    struct oci_hasher *h = xmalloc(sizeof(*h));

    h->ctx = EVP_MD_CTX_new();
    CB_BUG_ON(!h->ctx);
    oci_hasher_reset(h);
    return h;
}

void oci_hasher_reset(struct oci_hasher *h)
{
    int ok = EVP_DigestInit_ex(h->ctx, EVP_sha256(), NULL);
    CB_BUG_ON(ok != 1);
}

void oci_hasher_update(struct oci_hasher *h, const void *data, size_t len)
{
    int ok = EVP_DigestUpdate(h->ctx, data, len);
    CB_BUG_ON(ok != 1);
}

void oci_hasher_final(struct oci_hasher *h, struct oci_digest *out)
{
    unsigned int n = 0;
    int ok = EVP_DigestFinal_ex(h->ctx, out->bytes, &n);

    CB_BUG_ON(ok != 1 || n != OCI_DIGEST_SHA256_LEN);
    out->algo = OCI_DIGEST_SHA256;
}

void oci_hasher_free(struct oci_hasher *h)
{
    if (!h)
        return;
    EVP_MD_CTX_free(h->ctx);
    free(h);
}

void oci_digest_of(const void *data, size_t len, struct oci_digest *out)
{
    unsigned int n = 0;
    int ok = EVP_Digest(data, len, out->bytes, &n, EVP_sha256(), NULL);

    CB_BUG_ON(ok != 1 || n != OCI_DIGEST_SHA256_LEN);
    out->algo = OCI_DIGEST_SHA256;
}

static int hexval(char c)
{
    if (c >= '0' && c <= '9')
        return c - '0';
    if (c >= 'a' && c <= 'f')
        return c - 'a' + 10;
    return -1;
}

int oci_digest_parse(const char *s, struct oci_digest *out, struct cb_err **err)
{
    static const char prefix[] = "sha256:";
    const char *hex;

    if (strncmp(s, prefix, sizeof(prefix) - 1) != 0) {
        if (strchr(s, ':'))
            return cb_fail(err, CB_EINVAL, 0, "unsupported digest algorithm in '%s'", s);
        return cb_fail(err, CB_EINVAL, 0, "invalid digest '%s'", s);
    }
    hex = s + sizeof(prefix) - 1;
    if (strlen(hex) != 2 * OCI_DIGEST_SHA256_LEN)
        return cb_fail(err, CB_EINVAL, 0, "invalid digest '%s': want 64 hex digits", s);
    for (size_t i = 0; i < OCI_DIGEST_SHA256_LEN; i++) {
        int hi = hexval(hex[2 * i]), lo = hexval(hex[2 * i + 1]);
        if (hi < 0 || lo < 0)
            return cb_fail(err, CB_EINVAL, 0, "invalid digest '%s': not lowercase hex", s);
        out->bytes[i] = (uint8_t)(hi << 4 | lo);
    }
    out->algo = OCI_DIGEST_SHA256;
    return 0;
}

char *oci_digest_hex(const struct oci_digest *d, char *buf)
{
    static const char digits[] = "0123456789abcdef";

    for (size_t i = 0; i < OCI_DIGEST_SHA256_LEN; i++) {
        buf[2 * i] = digits[d->bytes[i] >> 4];
        buf[2 * i + 1] = digits[d->bytes[i] & 15];
    }
    buf[2 * OCI_DIGEST_SHA256_LEN] = '\0';
    return buf;
}

char *oci_digest_fmt(const struct oci_digest *d, char *buf)
{
    memcpy(buf, "sha256:", 7);
    oci_digest_hex(d, buf + 7);
    return buf;
}

bool oci_digest_equal(const struct oci_digest *a, const struct oci_digest *b)
{
    return a->algo == b->algo && CRYPTO_memcmp(a->bytes, b->bytes, OCI_DIGEST_SHA256_LEN) == 0;
}

bool oci_digest_is_set(const struct oci_digest *d)
{
    return d->algo != OCI_DIGEST_NONE;
}
