/* compress.h - layer compression streams: gzip, zstd or none, in and out.
 *
 * The compressor is a push stream: write uncompressed bytes into it, it
 * writes compressed bytes to a downstream struct oci_sink.  Its output is a
 * function of the input, the algorithm and the level only, never of the
 * thread count, so the same tree always gives the same blob digest:
 *
 *   gzip  libdeflate over fixed 1 MiB blocks compressed in parallel, each
 *         block one gzip member (RFC 1952 allows concatenated members; gunzip,
 *         Go's compress/gzip, libarchive and our reader all accept them).
 *         Member headers are fixed: mtime 0, no name, OS 255 (unknown).
 *         zlib single-stream is the portable fallback (OCI_GZIP_ENGINE_ZLIB).
 *   zstd  libzstd with a fixed worker count (ZSTD_c_nbWorkers), checked to
 *         give byte-identical frames whatever the machine's core count.
 *   none  the bytes pass through.
 *
 * Memory is bounded: a fixed number of blocks is in flight at any time
 * (gzip: threads + 2 blocks of 1 MiB in and out; zstd: 2 MiB jobs, at most
 * 4 workers).
 *
 * Threads: with gzip or zstd and threads > 1, oci_compressor_write() copies
 * into a bounded pipe (oci/pipe.h) and a compression thread runs the codec
 * and calls the downstream sink, one call at a time; after
 * oci_compressor_finish() returns, the sink is idle and its state is the
 * caller's again.  Implemented in compress.c, pgzip.c, pipe.c and
 * decompress.c.
 *
 * The decompressor is a pull stream over a struct oci_source that detects
 * the format from the magic bytes (gzip 1f 8b, zstd 28 b5 2f fd, anything
 * else is taken as an uncompressed tar) and hashes the compressed bytes as
 * it reads them, so the caller gets the blob digest for free.
 */
#ifndef CBUILD_OCI_COMPRESS_H
#define CBUILD_OCI_COMPRESS_H

#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include "../base/error.h"
#include "digest.h"
#include "sink.h"

enum oci_compression {
    OCI_COMPRESSION_NONE = 0,
    OCI_COMPRESSION_GZIP,
    OCI_COMPRESSION_ZSTD,
};

/* "none", "gzip", "zstd". */
const char *oci_compression_name(enum oci_compression c);
/* Parse one of the names above (also "uncompressed"); CB_EINVAL otherwise. */
int oci_compression_parse(const char *name, enum oci_compression *out, struct cb_err **err);
/* The OCI layer media type for c: application/vnd.oci.image.layer.v1.tar[+gzip|+zstd]. */
const char *oci_compression_layer_media_type(enum oci_compression c);

enum oci_gzip_engine {
    OCI_GZIP_ENGINE_DEFAULT = 0, /* libdeflate, parallel blocks */
    OCI_GZIP_ENGINE_ZLIB,        /* one zlib stream, single-threaded: the portable fallback */
};

struct oci_compress_opts {
    enum oci_compression algo;
    /* 0 picks the default: gzip 2 (libdeflate's scale, ~ zlib -6 size),
     * zstd 3.  gzip takes 1..12 (libdeflate) or 1..9 (zlib); zstd 1..19. */
    int level;
    /* Compression threads; 0 = the number of online CPUs.  The output does
     * not depend on it. */
    int threads;
    enum oci_gzip_engine gzip_engine;
};

/* ---------------------------------------------------------------- compress */

struct oci_compressor;

/* out is borrowed and must outlive the compressor. */
struct oci_compressor *oci_compressor_new(const struct oci_compress_opts *o,
                                          const struct oci_sink *out, struct cb_err **err);
int oci_compressor_write(struct oci_compressor *c, const void *data, size_t len,
                         struct cb_err **err);
/* A sink that feeds oci_compressor_write(); valid while c lives. */
struct oci_sink oci_compressor_sink(struct oci_compressor *c);
/* Flush everything and end the stream.  No writes afterwards. */
int oci_compressor_finish(struct oci_compressor *c, struct cb_err **err);
/* Stops the worker threads; safe at any point (an unfinished stream is dropped). */
void oci_compressor_free(struct oci_compressor *c);
static inline void oci_compressor_freep(struct oci_compressor **c)
{
    oci_compressor_free(*c);
    *c = NULL;
}
#define cleanup_compressor __attribute__((cleanup(oci_compressor_freep)))

/* ---------------------------------------------------------------- sources */

/* Pull bytes: return the count read (> 0), 0 at end of stream, or a negative
 * error code with *err set. */
typedef ssize_t (*oci_source_read_fn)(void *userdata, void *buf, size_t len, struct cb_err **err);

struct oci_source {
    oci_source_read_fn read;
    void *userdata;
};

/* A source reading a file descriptor (borrowed, not closed). */
struct oci_source oci_source_fd(int fd);

/* ---------------------------------------------------------------- decompress */

struct oci_decompressor;

/* in is borrowed and must outlive the decompressor. */
struct oci_decompressor *oci_decompressor_new(const struct oci_source *in, struct cb_err **err);
/* Read up to len uncompressed bytes; 0 at the end of the stream.  Corrupt or
 * truncated input is CB_EIO naming the format ("gzip: ..."). */
ssize_t oci_decompressor_read(struct oci_decompressor *d, void *buf, size_t len,
                              struct cb_err **err);
/* A source over oci_decompressor_read(); valid while d lives. */
struct oci_source oci_decompressor_source(struct oci_decompressor *d);
/* The detected format (known after the first read). */
enum oci_compression oci_decompressor_format(const struct oci_decompressor *d);
/* Do not hash the input (before the first read): for readers of blobs
 * whose digest is already known good; input_digest may not be called then. */
void oci_decompressor_no_digest(struct oci_decompressor *d);
/* Digest and size of the compressed bytes consumed so far; call after the
 * last read returned 0 for the whole blob's digest. */
void oci_decompressor_input_digest(struct oci_decompressor *d, struct oci_digest *out,
                                   uint64_t *size);
void oci_decompressor_free(struct oci_decompressor *d);
static inline void oci_decompressor_freep(struct oci_decompressor **d)
{
    oci_decompressor_free(*d);
    *d = NULL;
}
#define cleanup_decompressor __attribute__((cleanup(oci_decompressor_freep)))

#endif
