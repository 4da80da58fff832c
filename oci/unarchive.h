/* unarchive.h - ADD's local archives: is a file a tar (plain or compressed
 * with gzip, bzip2, xz, zstd, lzma...), and the tar stream uncompressed.
 * libarchive's raw reader with every filter does the decompressing. */
#ifndef CBUILD_OCI_UNARCHIVE_H
#define CBUILD_OCI_UNARCHIVE_H

#include <stdbool.h>

#include "../base/error.h"

/* Whether path holds a tar archive once decompressed (as docker decides what
 * ADD extracts: a compressed file that is not a tar is copied as is). */
bool oci_archive_is_tar(const char *path);

/* Write path's decompressed bytes to out_fd. */
int oci_archive_decompress(const char *path, int out_fd, struct cb_err **err);

#endif
