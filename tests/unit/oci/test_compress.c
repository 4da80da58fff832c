#include <fcntl.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "harness.h"
#include "../../../base/buf.h"
#include "../../../base/cleanup.h"
#include "../../../oci/compress.h"
#include "../../../oci/pgzip.h"

static int buf_sink_write(void *ud, const void *data, size_t len, struct cb_err **err)
{
    return cb_buf_add(ud, data, len, err);
}

/* Deterministic, partly compressible test data. */
static unsigned char *make_data(size_t n)
{
    unsigned char *p = malloc(n);
    uint32_t x = 12345;
    for (size_t i = 0; i < n; i++) {
        x = x * 1103515245u + 12345u;
        p[i] = (i / 4096) % 3 == 0 ? (unsigned char)(x >> 24)
                                   : (unsigned char)("abcdefgh"[(x >> 16) % 8]);
    }
    return p;
}

/* Compress data with opts, writing odd-sized chunks, into out. */
static int compress_to(const struct oci_compress_opts *o, const unsigned char *data, size_t n,
                       struct cb_buf *out, struct cb_err **err)
{
    struct oci_sink sink = {buf_sink_write, out};
    cleanup_compressor struct oci_compressor *c = oci_compressor_new(o, &sink, err);
    if (!c)
        return cb_err_rc(err);
    for (size_t off = 0; off < n;) {
        size_t k = n - off < 77777 ? n - off : 77777;
        if (oci_compressor_write(c, data + off, k, err) < 0)
            return cb_err_rc(err);
        off += k;
    }
    return oci_compressor_finish(c, err);
}

struct mem_src {
    const unsigned char *p;
    size_t n, off;
};

static ssize_t mem_read(void *ud, void *buf, size_t len, struct cb_err **err)
{
    struct mem_src *m = ud;
    size_t k = m->n - m->off;
    if (k > len)
        k = len;
    if (k > 1000)
        k = 1000 + (m->off % 3000); /* uneven reads */
    if (k > m->n - m->off)
        k = m->n - m->off;
    if (k)
        memcpy(buf, m->p + m->off, k);
    m->off += k;
    return (ssize_t)k;
}

/* Decompress src fully into out; returns the detected format or < 0. */
static int decompress_all(const void *src, size_t n, struct cb_buf *out, struct oci_digest *dg,
                          struct cb_err **err)
{
    struct mem_src m = {src, n, 0};
    struct oci_source s = {mem_read, &m};
    cleanup_decompressor struct oci_decompressor *d = oci_decompressor_new(&s, err);
    char buf[65536];
    ssize_t r;
    while ((r = oci_decompressor_read(d, buf, sizeof(buf), err)) > 0)
        if (cb_buf_add(out, buf, (size_t)r, err) < 0)
            return cb_err_rc(err);
    if (r < 0)
        return (int)r;
    oci_decompressor_input_digest(d, dg, NULL);
    return (int)oci_decompressor_format(d);
}

static void round_trip(struct t_ctx *t_, enum oci_compression algo, enum oci_gzip_engine eng,
                       size_t n)
{
    cleanup_err struct cb_err *err = NULL;
    cleanup_buf struct cb_buf z, back;
    struct oci_digest dg, want;
    unsigned char *data = make_data(n);
    struct oci_compress_opts o = {.algo = algo, .threads = 3, .gzip_engine = eng};
    cb_buf_init(&z, 256u << 20);
    cb_buf_init(&back, 256u << 20);
    ASSERT_OK(compress_to(&o, data, n, &z, &err), err);
    int fmt = decompress_all(z.data, z.len, &back, &dg, &err);
    ASSERT_OK(fmt, err);
    ASSERT_INT_EQ(fmt, algo);
    ASSERT_INT_EQ(back.len, n);
    ASSERT(n == 0 || memcmp(back.data, data, n) == 0);
    oci_digest_of(z.data, z.len, &want);
    ASSERT(oci_digest_equal(&dg, &want));
    free(data);
}

TEST(compress_round_trips)
{
    size_t sizes[] = {0, 1, 4096, OCI_PGZIP_BLOCK, 3 * OCI_PGZIP_BLOCK + 17};
    for (size_t i = 0; i < sizeof(sizes) / sizeof(sizes[0]); i++) {
        round_trip(t_, OCI_COMPRESSION_NONE, 0, sizes[i]);
        round_trip(t_, OCI_COMPRESSION_GZIP, OCI_GZIP_ENGINE_DEFAULT, sizes[i]);
        round_trip(t_, OCI_COMPRESSION_GZIP, OCI_GZIP_ENGINE_ZLIB, sizes[i]);
        round_trip(t_, OCI_COMPRESSION_ZSTD, 0, sizes[i]);
        if (t_->failed)
            return;
    }
}

/* The same input gives the same bytes whatever the thread count. */
static void same_for_threads(struct t_ctx *t_, enum oci_compression algo)
{
    cleanup_err struct cb_err *err = NULL;
    size_t n = 9 * OCI_PGZIP_BLOCK + 1234;
    unsigned char *data = make_data(n);
    struct oci_digest first = {0}, d;
    int threads[] = {1, 2, 3, 8};
    for (size_t i = 0; i < 4; i++) {
        cleanup_buf struct cb_buf z;
        struct oci_compress_opts o = {.algo = algo, .threads = threads[i]};
        cb_buf_init(&z, 256u << 20);
        ASSERT_OK(compress_to(&o, data, n, &z, &err), err);
        oci_digest_of(z.data, z.len, &d);
        if (i == 0)
            first = d;
        else if (!oci_digest_equal(&first, &d))
            T_FAIL("%s output with %d threads differs from 1 thread", oci_compression_name(algo),
                   threads[i]);
    }
    free(data);
}

TEST(compress_gzip_independent_of_threads)
{
    same_for_threads(t_, OCI_COMPRESSION_GZIP);
}

TEST(compress_zstd_independent_of_threads)
{
    same_for_threads(t_, OCI_COMPRESSION_ZSTD);
}

/* Run a shell command line; returns its exit status. */
static int sh(const char *cmd)
{
    char line[512];
    snprintf(line, sizeof(line), "(%s) >/dev/null 2>&1", cmd);
    pid_t pid = fork();
    if (pid == 0) {
        execl("/bin/sh", "sh", "-c", line, (char *)NULL);
        _exit(127);
    }
    int st = 0;
    waitpid(pid, &st, 0);
    return WIFEXITED(st) ? WEXITSTATUS(st) : 128;
}

TEST(compress_read_by_gunzip_and_zstd)
{
    cleanup_err struct cb_err *err = NULL;
    size_t n = 5 * OCI_PGZIP_BLOCK + 99;
    unsigned char *data = make_data(n);
    enum oci_compression algos[] = {OCI_COMPRESSION_GZIP, OCI_COMPRESSION_ZSTD};
    const char *tools[] = {"gzip -dc", "zstd -dc"};
    const char *testers[] = {"gzip -t", "zstd -q -t"};
    if (sh("command -v gzip && command -v zstd") != 0)
        SKIP("gzip or zstd missing");
    t_write("plain", "");
    int fd = open("plain", O_WRONLY | O_TRUNC);
    ASSERT(write(fd, data, n) == (ssize_t)n);
    close(fd);
    for (int i = 0; i < 2; i++) {
        cleanup_buf struct cb_buf z;
        struct oci_compress_opts o = {.algo = algos[i]};
        char cmd[128];
        cb_buf_init(&z, 256u << 20);
        ASSERT_OK(compress_to(&o, data, n, &z, &err), err);
        fd = open("z", O_WRONLY | O_CREAT | O_TRUNC, 0644);
        ASSERT(write(fd, z.data, z.len) == (ssize_t)z.len);
        close(fd);
        snprintf(cmd, sizeof(cmd), "%s z", testers[i]);
        ASSERT_INT_EQ(sh(cmd), 0);
        snprintf(cmd, sizeof(cmd), "%s z | cmp plain -", tools[i]);
        ASSERT_INT_EQ(sh(cmd), 0);
    }
    free(data);
}

TEST(compress_corrupt_and_truncated_fail)
{
    cleanup_err struct cb_err *err = NULL;
    size_t n = 2 * OCI_PGZIP_BLOCK;
    unsigned char *data = make_data(n);
    enum oci_compression algos[] = {OCI_COMPRESSION_GZIP, OCI_COMPRESSION_ZSTD};
    const char *names[] = {"gzip", "zstd"};
    for (int i = 0; i < 2; i++) {
        cleanup_buf struct cb_buf z, back, back2;
        struct oci_digest dg;
        struct oci_compress_opts o = {.algo = algos[i]};
        cb_buf_init(&z, 256u << 20);
        cb_buf_init(&back, 256u << 20);
        cb_buf_init(&back2, 256u << 20);
        ASSERT_OK(compress_to(&o, data, n, &z, &err), err);
        ASSERT_FAILS(decompress_all(z.data, z.len - 5, &back, &dg, &err), err, CB_EIO, names[i]);
        z.data[z.len / 2] ^= 0x55;
        z.data[z.len / 2 + 1] ^= 0x55;
        ASSERT_FAILS(decompress_all(z.data, z.len, &back2, &dg, &err), err, CB_EIO, names[i]);
    }
    free(data);
}

TEST(compress_parse_names)
{
    cleanup_err struct cb_err *err = NULL;
    enum oci_compression c;
    ASSERT_OK(oci_compression_parse("zstd", &c, &err), err);
    ASSERT_INT_EQ(c, OCI_COMPRESSION_ZSTD);
    ASSERT_OK(oci_compression_parse("uncompressed", &c, &err), err);
    ASSERT_INT_EQ(c, OCI_COMPRESSION_NONE);
    ASSERT_FAILS(oci_compression_parse("lz4", &c, &err), err, CB_EINVAL,
                 "unknown compression 'lz4'");
    ASSERT_STR_EQ(oci_compression_layer_media_type(OCI_COMPRESSION_GZIP),
                  "application/vnd.oci.image.layer.v1.tar+gzip");
}

TEST(compress_bad_level)
{
    cleanup_err struct cb_err *err = NULL;
    struct oci_sink sink = {buf_sink_write, NULL};
    struct oci_compress_opts o = {.algo = OCI_COMPRESSION_ZSTD, .level = 40};
    ASSERT(oci_compressor_new(&o, &sink, &err) == NULL);
    ASSERT_INT_EQ(err->code, CB_EINVAL);
}

/* Members written by gzip(1) carry a file name and mtime; two of them
 * concatenated are one stream. */
TEST(compress_reads_gzip_cli_members)
{
    cleanup_err struct cb_err *err = NULL;
    cleanup_buf struct cb_buf back;
    struct oci_digest dg;
    if (sh("command -v gzip") != 0)
        SKIP("gzip missing");
    t_write("named.txt", "hello, named member\n");
    ASSERT_INT_EQ(sh("gzip -k named.txt && cat named.txt.gz named.txt.gz > two.gz"), 0);
    char *z = t_read("two.gz");
    struct stat st;
    ASSERT_INT_EQ(stat("two.gz", &st), 0);
    cb_buf_init(&back, 1u << 20);
    int fmt = decompress_all(z, (size_t)st.st_size, &back, &dg, &err);
    free(z);
    ASSERT_OK(fmt, err);
    ASSERT_INT_EQ(fmt, OCI_COMPRESSION_GZIP);
    ASSERT_STR_EQ(back.data, "hello, named member\nhello, named member\n");
}

/* A stream ending exactly on a zstd job boundary (2 MiB jobs) is the case
 * where libzstd's multithreaded ending races; repeated runs must agree. */
TEST(compress_zstd_job_boundary_is_stable)
{
    cleanup_err struct cb_err *err = NULL;
    size_t n = 4u << 20;
    unsigned char *data = make_data(n);
    struct oci_digest first = {0}, d;
    for (int i = 0; i < 6; i++) {
        cleanup_buf struct cb_buf z;
        struct oci_compress_opts o = {.algo = OCI_COMPRESSION_ZSTD, .threads = 1 + i % 3};
        cb_buf_init(&z, 64u << 20);
        ASSERT_OK(compress_to(&o, data, n, &z, &err), err);
        oci_digest_of(z.data, z.len, &d);
        if (i == 0)
            first = d;
        else
            ASSERT(oci_digest_equal(&first, &d));
    }
    free(data);
}
