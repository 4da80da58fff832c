/* decompress.c - the layer decompressor of compress.h: detects gzip, zstd or
 * plain from the first bytes, inflates concatenated gzip members (ISA-L's
 * igzip: about 3x zlib's inflate here) and zstd frames, and hashes the
 * compressed bytes as they are read. */
#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <isa-l/igzip_lib.h>
#include <zstd.h>

#include "compress.h"
#include "../base/xalloc.h"
#include "../base/banned.h"

#define IN_CHUNK ((size_t)128 << 10)

struct oci_decompressor {
    const struct oci_source *in;
    struct oci_hasher *h;
    uint64_t in_size;
    enum oci_compression fmt;
    bool detected;
    bool eof_in;
    unsigned char *ibuf;
    size_t ipos, ilen;
    struct inflate_state *gz;
    bool between_members; /* gzip: a member ended, the next may follow */
    ZSTD_DCtx *zd;
    size_t zlast; /* zstd: 0 once a frame is complete */
};

/* Read more compressed input after what is buffered. */
static int fill(struct oci_decompressor *d, struct cb_err **err)
{
    if (d->ipos == d->ilen)
        d->ipos = d->ilen = 0;
    if (d->ilen == IN_CHUNK) {
        memmove(d->ibuf, d->ibuf + d->ipos, d->ilen - d->ipos);
        d->ilen -= d->ipos;
        d->ipos = 0;
    }
    ssize_t n = d->in->read(d->in->userdata, d->ibuf + d->ilen, IN_CHUNK - d->ilen, err);
    if (n < 0)
        return (int)n;
    if (n == 0)
        d->eof_in = true;
    if (d->h)
        oci_hasher_update(d->h, d->ibuf + d->ilen, (size_t)n);
    d->ilen += (size_t)n;
    d->in_size += (uint64_t)n;
    return 0;
}

static int detect(struct oci_decompressor *d, struct cb_err **err)
{
    static const unsigned char gz[] = {0x1f, 0x8b}, zst[] = {0x28, 0xb5, 0x2f, 0xfd};

    while (d->ilen < 4 && !d->eof_in)
        if (fill(d, err) < 0)
            return cb_err_rc(err);
    d->detected = true;
    if (d->ilen >= 2 && memcmp(d->ibuf, gz, 2) == 0) {
        d->fmt = OCI_COMPRESSION_GZIP;
        d->gz = xmalloc(sizeof(*d->gz));
        isal_inflate_init(d->gz);
        d->gz->crc_flag = ISAL_GZIP;
    } else if (d->ilen >= 4 && memcmp(d->ibuf, zst, 4) == 0) {
        d->fmt = OCI_COMPRESSION_ZSTD;
        d->zd = ZSTD_createDCtx();
        CB_BUG_ON(!d->zd);
    } else {
        d->fmt = OCI_COMPRESSION_NONE;
    }
    return 0;
}

static const char *isal_msg(int r)
{
    switch (r) {
    case ISAL_INVALID_BLOCK:
        return "invalid deflate block";
    case ISAL_INVALID_SYMBOL:
        return "invalid deflate symbol";
    case ISAL_INVALID_LOOKBACK:
        return "invalid distance";
    case ISAL_INVALID_WRAPPER:
        return "not a gzip header";
    case ISAL_UNSUPPORTED_METHOD:
        return "unsupported compression method";
    case ISAL_INCORRECT_CHECKSUM:
        return "crc mismatch";
    }
    return "corrupt data";
}

static ssize_t gzip_read(struct oci_decompressor *d, void *buf, size_t len, struct cb_err **err)
{
    for (;;) {
        if (d->between_members) {
            if (d->ipos == d->ilen) {
                if (d->eof_in)
                    return 0;
                if (fill(d, err) < 0)
                    return cb_err_rc(err);
                continue;
            }
            isal_inflate_reset(d->gz);
            d->gz->crc_flag = ISAL_GZIP;
            d->between_members = false;
        }
        size_t before = d->ipos;
        d->gz->next_in = d->ibuf + d->ipos;
        d->gz->avail_in = (uint32_t)(d->ilen - d->ipos);
        d->gz->next_out = buf;
        d->gz->avail_out = (uint32_t)len;
        int r = isal_inflate(d->gz);
        d->ipos = d->ilen - d->gz->avail_in;
        size_t got = len - d->gz->avail_out;
        if (r < 0)
            return cb_fail(err, CB_EIO, 0, "gzip: %s", isal_msg(r));
        if (d->gz->block_state == ISAL_BLOCK_FINISH)
            d->between_members = true;
        if (got > 0)
            return (ssize_t)got;
        if (d->between_members || (d->ipos < d->ilen && d->ipos != before))
            continue;
        if (d->eof_in)
            return cb_fail(err, CB_EIO, 0, "gzip: unexpected end of stream");
        if (fill(d, err) < 0)
            return cb_err_rc(err);
    }
}

static ssize_t zstd_read(struct oci_decompressor *d, void *buf, size_t len, struct cb_err **err)
{
    for (;;) {
        ZSTD_inBuffer in = {d->ibuf, d->ilen, d->ipos};
        ZSTD_outBuffer out = {buf, len, 0};
        size_t r = ZSTD_decompressStream(d->zd, &out, &in);
        if (ZSTD_isError(r))
            return cb_fail(err, CB_EIO, 0, "zstd: %s", ZSTD_getErrorName(r));
        /* a call that neither consumed nor produced says nothing about
         * the frame (after a frame's end it already expects the next) */
        if (in.pos != d->ipos || out.pos > 0)
            d->zlast = r;
        d->ipos = in.pos;
        if (out.pos > 0)
            return (ssize_t)out.pos;
        if (d->ipos < d->ilen)
            continue;
        if (d->eof_in) {
            if (d->zlast != 0)
                return cb_fail(err, CB_EIO, 0, "zstd: unexpected end of stream");
            return 0;
        }
        if (fill(d, err) < 0)
            return cb_err_rc(err);
    }
}

static ssize_t plain_read(struct oci_decompressor *d, void *buf, size_t len, struct cb_err **err)
{
    for (;;) {
        if (d->ipos < d->ilen) {
            size_t n = d->ilen - d->ipos;
            if (n > len)
                n = len;
            memcpy(buf, d->ibuf + d->ipos, n);
            d->ipos += n;
            return (ssize_t)n;
        }
        if (d->eof_in)
            return 0;
        if (fill(d, err) < 0)
            return cb_err_rc(err);
    }
}

struct oci_decompressor *oci_decompressor_new(const struct oci_source *in, struct cb_err **err)
{
    struct oci_decompressor *d = xcalloc(1, sizeof(*d));

    d->in = in;
    d->h = oci_hasher_new();
    d->ibuf = xmalloc(IN_CHUNK);
    return d;
}

ssize_t oci_decompressor_read(struct oci_decompressor *d, void *buf, size_t len,
                              struct cb_err **err)
{
    if (len == 0)
        return 0;
    if (!d->detected && detect(d, err) < 0)
        return cb_err_rc(err);
    if (len > (1u << 30))
        len = 1u << 30; /* igzip counts in 32 bits */
    switch (d->fmt) {
    case OCI_COMPRESSION_GZIP:
        return gzip_read(d, buf, len, err);
    case OCI_COMPRESSION_ZSTD:
        return zstd_read(d, buf, len, err);
    case OCI_COMPRESSION_NONE:
        break;
    }
    return plain_read(d, buf, len, err);
}

static ssize_t decompressor_source_read(void *ud, void *buf, size_t len, struct cb_err **err)
{
    return oci_decompressor_read(ud, buf, len, err);
}

struct oci_source oci_decompressor_source(struct oci_decompressor *d)
{
    return (struct oci_source){.read = decompressor_source_read, .userdata = d};
}

enum oci_compression oci_decompressor_format(const struct oci_decompressor *d)
{
    return d->fmt;
}

void oci_decompressor_no_digest(struct oci_decompressor *d)
{
    CB_BUG_ON(d->in_size);
    oci_hasher_free(d->h);
    d->h = NULL;
}

void oci_decompressor_input_digest(struct oci_decompressor *d, struct oci_digest *out,
                                   uint64_t *size)
{
    CB_BUG_ON(!d->h);
    oci_hasher_final(d->h, out);
    if (size)
        *size = d->in_size;
}

void oci_decompressor_free(struct oci_decompressor *d)
{
    if (!d)
        return;
    free(d->gz);
    ZSTD_freeDCtx(d->zd);
    oci_hasher_free(d->h);
    free(d->ibuf);
    free(d);
}
