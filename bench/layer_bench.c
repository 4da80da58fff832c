/* layer_bench.c - drive the layer writer and applier for bench/layer.sh.
 *
 *   layer-bench write DIR OUT [gzip|zstd|none] [THREADS] [zlib]
 *   layer-bench apply BLOB DIR
 *
 * Prints one line: "<seconds> <blob bytes> <tar bytes> <digest> <diff_id>".
 * Not part of cbuild: a bench harness, so it prints and exits itself. */
#include <errno.h>
#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "../base/fsutil.h"
#include "../oci/layer.h"
#include "../base/banned.h"

static double now(void)
{
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return (double)t.tv_sec + (double)t.tv_nsec / 1e9;
}

static int fd_write(void *ud, const void *data, size_t len, struct cb_err **err)
{
    return cb_write_all((int)(intptr_t)ud, data, len, err);
}

static void report(double secs, const struct oci_layer_desc *d)
{
    char a[OCI_DIGEST_STR_MAX], b[OCI_DIGEST_STR_MAX];
    printf("%.3f %llu %llu %s %s\n", secs, (unsigned long long)d->size,
           (unsigned long long)d->diff_size, oci_digest_fmt(&d->digest, a),
           oci_digest_fmt(&d->diff_id, b));
}

static int do_write(int argc, char **argv, struct cb_err **err)
{
    struct oci_layer_write_opts o = {0};
    struct oci_layer_desc d;

    if (argc > 4 && oci_compression_parse(argv[4], &o.compress.algo, err) < 0)
        return -1;
    if (argc > 5) {
        char *end;
        o.compress.threads = (int)strtol(argv[5], &end, 10);
    }
    if (argc > 6 && strcmp(argv[6], "zlib") == 0)
        o.compress.gzip_engine = OCI_GZIP_ENGINE_ZLIB;
    int fd = open(argv[3], O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
    if (fd < 0)
        return cb_fail(err, CB_EIO, errno, "open '%s'", argv[3]);
    struct oci_sink sink = {fd_write, (void *)(intptr_t)fd};
    double t0 = now();
    int r = oci_layer_write_tree(argv[2], &o, &sink, &d, err);
    close(fd);
    if (r >= 0)
        report(now() - t0, &d);
    return r;
}

static int do_apply(char **argv, struct cb_err **err)
{
    struct oci_layer_desc d;
    double t0 = now();
    int r = oci_layer_apply_file(argv[2], argv[3], NULL, &d, err);
    if (r >= 0)
        report(now() - t0, &d);
    return r;
}

int main(int argc, char **argv)
{
    struct cb_err *err = NULL;
    int r;

    if (argc >= 4 && strcmp(argv[1], "write") == 0)
        r = do_write(argc, argv, &err);
    else if (argc == 4 && strcmp(argv[1], "apply") == 0)
        r = do_apply(argv, &err);
    else {
        fprintf(stderr, "usage: layer-bench write DIR OUT [gzip|zstd|none] [THREADS] [zlib]\n"
                        "       layer-bench apply BLOB DIR\n");
        return 2;
    }
    if (r < 0) {
        fprintf(stderr, "error: %s\n", err ? err->msg : "failed");
        cb_err_free(err);
        return 1;
    }
    return 0;
}
