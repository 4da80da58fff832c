/* compress.c - layer compression streams: a table of compressors (none,
 * gzip over pgzip.c or zlib, zstd over libzstd), and one decompressor that
 * detects gzip/zstd/plain from the magic bytes and hashes what it reads. */
#include <errno.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <zlib.h>
#include <zstd.h>

#include "compress.h"
#include "pgzip.h"
#include "pipe.h"
#include "../base/xalloc.h"
#include "../base/banned.h"

/* libzstd's multithreaded output does not depend on the worker count as
 * long as there is at least one worker (jobs are cut at fixed sizes; checked
 * on libzstd 1.5.4 for 1..4 workers and by test_compress.c); 0 workers (the
 * single-threaded mode) gives different bytes, so it is never used. */
#define IO_CHUNK ((size_t)128 << 10)
/* Bounds on memory (each worker holds a job or a block in flight). */
#define ZSTD_MAX_WORKERS 4
#define ZSTD_JOB_SIZE (2 << 20)
#define GZIP_MAX_THREADS 8
#define PIPE_CHUNK ((size_t)1 << 20)
#define PIPE_DEPTH 4

struct codec {
    const char *name;
    const char *media_type;
    int (*init)(struct oci_compressor *c, struct cb_err **err);
    int (*write)(struct oci_compressor *c, const void *data, size_t len, struct cb_err **err);
    int (*finish)(struct oci_compressor *c, struct cb_err **err);
    void (*release)(struct oci_compressor *c);
};

struct oci_compressor {
    const struct codec *codec;
    struct oci_compress_opts o;
    const struct oci_sink *out;
    bool finished;
    struct oci_pgzip *pgzip;
    z_stream *z;
    ZSTD_CCtx *zc;
    unsigned char zpend; /* zstd: the held-back last byte (see zstd_write) */
    bool zpend_set;
    unsigned char *buf; /* IO_CHUNK bytes of compressed output */
    /* With threads > 1, writes go through a pipe to a thread that runs the
     * codec, so the producer never waits for a compression job. */
    struct oci_pipe *pipe;
    struct oci_sink codec_sink;
};

/* ---------------------------------------------------------------- none */

static int none_init(struct oci_compressor *c, struct cb_err **err)
{
    return 0;
}

static int none_write(struct oci_compressor *c, const void *data, size_t len, struct cb_err **err)
{
    return oci_sink_write(c->out, data, len, err);
}

static int none_finish(struct oci_compressor *c, struct cb_err **err)
{
    return 0;
}

static void none_release(struct oci_compressor *c)
{
}

/* ---------------------------------------------------------------- gzip */

static int gzip_init(struct oci_compressor *c, struct cb_err **err)
{
    int level = c->o.level ? c->o.level : 2;

    if (c->o.gzip_engine != OCI_GZIP_ENGINE_ZLIB) {
        int t = c->o.threads < GZIP_MAX_THREADS ? c->o.threads : GZIP_MAX_THREADS;
        c->pgzip = oci_pgzip_new(level, t, c->out, err);
        return c->pgzip ? 0 : cb_err_rc(err);
    }
    if (!c->o.level)
        level = 6;
    if (level < 1 || level > 9)
        return cb_fail(err, CB_EINVAL, 0, "gzip level %d out of range 1..9", level);
    c->z = xcalloc(1, sizeof(*c->z));
    c->buf = xmalloc(IO_CHUNK);
    /* 16 + 15: a gzip wrapper with zlib's fixed header (mtime 0, no name). */
    if (deflateInit2(c->z, level, Z_DEFLATED, 16 + 15, 8, Z_DEFAULT_STRATEGY) != Z_OK) {
        free(c->z);
        c->z = NULL;
        return cb_fail(err, CB_EIO, 0, "gzip: cannot initialise zlib");
    }
    return 0;
}

static int zlib_pump(struct oci_compressor *c, const void *data, size_t len, int flush,
                     struct cb_err **err)
{
    int zr;

    c->z->next_in = (Bytef *)data;
    c->z->avail_in = (uInt)len;
    do {
        c->z->next_out = c->buf;
        c->z->avail_out = IO_CHUNK;
        zr = deflate(c->z, flush);
        if (zr == Z_STREAM_ERROR)
            return cb_fail(err, CB_EBUG, 0, "gzip: zlib stream error");
        size_t have = IO_CHUNK - c->z->avail_out;
        if (have && oci_sink_write(c->out, c->buf, have, err) < 0)
            return cb_err_rc(err);
    } while (c->z->avail_out == 0 || (flush == Z_FINISH && zr != Z_STREAM_END));
    return 0;
}

static int gzip_write(struct oci_compressor *c, const void *data, size_t len, struct cb_err **err)
{
    if (c->pgzip)
        return oci_pgzip_write(c->pgzip, data, len, err);
    while (len > 0) {
        size_t n = len > (1u << 30) ? (1u << 30) : len;
        if (zlib_pump(c, data, n, Z_NO_FLUSH, err) < 0)
            return cb_err_rc(err);
        data = (const char *)data + n;
        len -= n;
    }
    return 0;
}

static int gzip_finish(struct oci_compressor *c, struct cb_err **err)
{
    if (c->pgzip)
        return oci_pgzip_finish(c->pgzip, err);
    return zlib_pump(c, NULL, 0, Z_FINISH, err);
}

static void gzip_release(struct oci_compressor *c)
{
    oci_pgzip_free(c->pgzip);
    if (c->z) {
        deflateEnd(c->z);
        free(c->z);
    }
}

/* ---------------------------------------------------------------- zstd */

static int zstd_set(struct oci_compressor *c, ZSTD_cParameter p, int v, struct cb_err **err)
{
    size_t r = ZSTD_CCtx_setParameter(c->zc, p, v);
    if (ZSTD_isError(r))
        return cb_fail(err, CB_EINVAL, 0, "zstd: %s", ZSTD_getErrorName(r));
    return 0;
}

static int zstd_init(struct oci_compressor *c, struct cb_err **err)
{
    int level = c->o.level ? c->o.level : 3;

    if (level < 1 || level > 19)
        return cb_fail(err, CB_EINVAL, 0, "zstd level %d out of range 1..19", level);
    c->zc = ZSTD_createCCtx();
    CB_BUG_ON(!c->zc);
    c->buf = xmalloc(IO_CHUNK);
    if (zstd_set(c, ZSTD_c_compressionLevel, level, err) < 0 ||
        zstd_set(c, ZSTD_c_checksumFlag, 1, err) < 0)
        return cb_err_rc(err);
    /* Without MT support in libzstd this fails; single-threaded output
     * differs, so say so rather than silently changing digests. */
    if (zstd_set(c, ZSTD_c_nbWorkers,
                 c->o.threads < ZSTD_MAX_WORKERS ? c->o.threads : ZSTD_MAX_WORKERS, err) < 0)
        return cb_wrap(err, "zstd: libzstd lacks multithreading");
    /* Fixed 2 MiB jobs: ~18 MiB for 2 workers instead of ~56 MiB with the
     * level's default, for 0.3% more bytes. */
    return zstd_set(c, ZSTD_c_jobSize, ZSTD_JOB_SIZE, err);
}

static int zstd_pump(struct oci_compressor *c, const void *data, size_t len, ZSTD_EndDirective e,
                     struct cb_err **err)
{
    ZSTD_inBuffer in = {data, len, 0};
    size_t left;

    do {
        ZSTD_outBuffer out = {c->buf, IO_CHUNK, 0};
        left = ZSTD_compressStream2(c->zc, &out, &in, e);
        if (ZSTD_isError(left))
            return cb_fail(err, CB_EIO, 0, "zstd: %s", ZSTD_getErrorName(left));
        if (out.pos && oci_sink_write(c->out, c->buf, out.pos, err) < 0)
            return cb_err_rc(err);
    } while (in.pos < in.size || (e == ZSTD_e_end && left != 0));
    return 0;
}

/* The last input byte is always held back and given with ZSTD_e_end.
 * Otherwise, when the stream ends exactly on a job boundary, libzstd's
 * multithreaded mode ends the frame either on that last full job or with an
 * extra empty block, depending on whether the job had been posted yet: a
 * race, seen as 3-byte differences under ThreadSanitizer's timing (libzstd
 * 1.5.4).  With a byte held back the final job is never empty and never
 * already posted. */
static int zstd_write(struct oci_compressor *c, const void *data, size_t len, struct cb_err **err)
{
    const unsigned char *d = data;

    if (c->zpend_set && zstd_pump(c, &c->zpend, 1, ZSTD_e_continue, err) < 0)
        return cb_err_rc(err);
    if (zstd_pump(c, d, len - 1, ZSTD_e_continue, err) < 0)
        return cb_err_rc(err);
    c->zpend = d[len - 1];
    c->zpend_set = true;
    return 0;
}

static int zstd_finish(struct oci_compressor *c, struct cb_err **err)
{
    return zstd_pump(c, &c->zpend, c->zpend_set ? 1 : 0, ZSTD_e_end, err);
}

static void zstd_release(struct oci_compressor *c)
{
    ZSTD_freeCCtx(c->zc);
}

static const struct codec codecs[] = {
    [OCI_COMPRESSION_NONE] = {"none", "application/vnd.oci.image.layer.v1.tar", none_init,
                              none_write, none_finish, none_release},
    [OCI_COMPRESSION_GZIP] = {"gzip", "application/vnd.oci.image.layer.v1.tar+gzip", gzip_init,
                              gzip_write, gzip_finish, gzip_release},
    [OCI_COMPRESSION_ZSTD] = {"zstd", "application/vnd.oci.image.layer.v1.tar+zstd", zstd_init,
                              zstd_write, zstd_finish, zstd_release},
};

static const struct codec *codec_of(enum oci_compression c)
{
    CB_BUG_ON((size_t)c >= sizeof(codecs) / sizeof(codecs[0]));
    return &codecs[c];
}

const char *oci_compression_name(enum oci_compression c)
{
    return codec_of(c)->name;
}

const char *oci_compression_layer_media_type(enum oci_compression c)
{
    return codec_of(c)->media_type;
}

int oci_compression_parse(const char *name, enum oci_compression *out, struct cb_err **err)
{
    for (size_t i = 0; i < sizeof(codecs) / sizeof(codecs[0]); i++) {
        if (strcmp(name, codecs[i].name) == 0) {
            *out = (enum oci_compression)i;
            return 0;
        }
    }
    if (strcmp(name, "uncompressed") == 0) {
        *out = OCI_COMPRESSION_NONE;
        return 0;
    }
    return cb_fail(err, CB_EINVAL, 0, "unknown compression '%s' (want gzip, zstd or none)", name);
}

/* ---------------------------------------------------------------- compressor */

static int compressor_sink_write(void *ud, const void *data, size_t len, struct cb_err **err)
{
    return oci_compressor_write(ud, data, len, err);
}

/* The pipe's downstream: the codec, on the pipe's thread. */
static int codec_sink_write(void *ud, const void *data, size_t len, struct cb_err **err)
{
    struct oci_compressor *c = ud;
    return c->codec->write(c, data, len, err);
}

struct oci_compressor *oci_compressor_new(const struct oci_compress_opts *o,
                                          const struct oci_sink *out, struct cb_err **err)
{
    struct oci_compressor *c = xcalloc(1, sizeof(*c));

    c->o = *o;
    if (c->o.threads <= 0) {
        long n = sysconf(_SC_NPROCESSORS_ONLN);
        c->o.threads = n > 0 ? (int)(n > 16 ? 16 : n) : 1;
    }
    c->codec = codec_of(o->algo);
    c->out = out;
    if (c->codec->init(c, err) < 0) {
        oci_compressor_free(c);
        return NULL;
    }
    if (o->algo != OCI_COMPRESSION_NONE && c->o.threads > 1) {
        c->codec_sink = (struct oci_sink){codec_sink_write, c};
        c->pipe = oci_pipe_new(&c->codec_sink, PIPE_CHUNK, PIPE_DEPTH, err);
        if (!c->pipe) {
            oci_compressor_free(c);
            return NULL;
        }
    }
    return c;
}

int oci_compressor_write(struct oci_compressor *c, const void *data, size_t len,
                         struct cb_err **err)
{
    CB_BUG_ON(c->finished);
    if (len == 0)
        return 0;
    if (c->pipe)
        return oci_pipe_write(c->pipe, data, len, err);
    return c->codec->write(c, data, len, err);
}

struct oci_sink oci_compressor_sink(struct oci_compressor *c)
{
    return (struct oci_sink){.write = compressor_sink_write, .userdata = c};
}

int oci_compressor_finish(struct oci_compressor *c, struct cb_err **err)
{
    CB_BUG_ON(c->finished);
    c->finished = true;
    if (c->pipe && oci_pipe_finish(c->pipe, err) < 0)
        return cb_err_rc(err);
    return c->codec->finish(c, err);
}

void oci_compressor_free(struct oci_compressor *c)
{
    if (!c)
        return;
    oci_pipe_free(c->pipe); /* first: its thread may be inside the codec */
    c->codec->release(c);
    free(c->buf);
    free(c);
}

/* ---------------------------------------------------------------- sources */

static ssize_t fd_read(void *ud, void *buf, size_t len, struct cb_err **err)
{
    int fd = (int)(intptr_t)ud;

    for (;;) {
        ssize_t n = read(fd, buf, len);
        if (n >= 0)
            return n;
        if (errno != EINTR)
            return cb_fail(err, CB_EIO, errno, "read layer");
    }
}

struct oci_source oci_source_fd(int fd)
{
    return (struct oci_source){.read = fd_read, .userdata = (void *)(intptr_t)fd};
}
