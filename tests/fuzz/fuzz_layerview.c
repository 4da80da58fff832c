/* fuzz_layerview.c - libFuzzer target for a layer read from its blob into
 * memory (builder/doctor/layerindex.c) and the union view over it: the
 * input is a layer (a tar, or gzip/zstd of one); every path the walk finds
 * is stat'ed, listed, read whole and by its head, and read as a link, and
 * the layer's files are scanned.  It must never crash, leak or hang. */
#include <fcntl.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include "../../base/strv.h"
#include "../../base/xalloc.h"
#include "../../builder/doctor/rootfs.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void drop(struct cb_err **err)
{
    cb_err_free(*err);
    *err = NULL;
}

static int visit(void *ud, const char *path, const struct bld_rootfs_stat *st, struct cb_err **err)
{
    struct bld_rootfs *fs = ud;
    struct cb_strv names = CB_STRV_INIT;
    struct cb_buf b;
    char *resolved = NULL, *target = NULL;

    (void)st;
    (void)err;
    cb_buf_init(&b, 1 << 20);
    struct cb_err *e = NULL;
    bld_rootfs_stat(fs, path, true, NULL, &resolved, &e);
    drop(&e);
    bld_rootfs_exists(fs, path);
    bld_rootfs_list(fs, path, &names, &e);
    drop(&e);
    bld_rootfs_read(fs, path, 7, &b, &e);
    drop(&e);
    cb_buf_reset(&b);
    bld_rootfs_read(fs, path, 0, &b, &e);
    drop(&e);
    bld_rootfs_readlink(fs, path, &target, &e);
    drop(&e);
    int fd = bld_rootfs_open_file(fs, path, &e);
    if (fd >= 0)
        close(fd);
    drop(&e);
    free(resolved);
    free(target);
    cb_buf_release(&b);
    cb_strv_release(&names);
    return 0;
}

static int scan(void *ud, const char *path, const void *d, size_t len, struct cb_err **err)
{
    (void)ud;
    (void)path;
    (void)err;
    volatile unsigned char sum = 0;
    for (size_t i = 0; i < len; i++)
        sum ^= ((const unsigned char *)d)[i];
    return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    struct cb_err *err = NULL;
    char path[64];
    int fd = memfd_create("layer", MFD_CLOEXEC);

    if (fd < 0 || write(fd, data, size) != (ssize_t)size) {
        if (fd >= 0)
            close(fd);
        return 0;
    }
    snprintf(path, sizeof(path), "/proc/self/fd/%d", fd);
    const char *blobs[] = {path};
    struct bld_rootfs *fs = bld_rootfs_open_blobs(blobs, 1, &err);
    if (fs) {
        bld_rootfs_walk(fs, "/", 10000, visit, fs, &err);
        drop(&err);
        bld_rootfs_layer_files(fs, 0, 1 << 20, scan, NULL, &err);
        drop(&err);
        bld_rootfs_layer_files(fs, 0, 16, scan, NULL, &err);
    }
    drop(&err);
    bld_rootfs_free(fs);
    close(fd);
    return 0;
}
