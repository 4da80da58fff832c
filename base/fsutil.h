/* fsutil.h - file helpers: atomic writes, mkdir -p, bounded reads, rm -rf,
 * and opening paths beneath a root directory without escaping it. */
#ifndef CBUILD_BASE_FSUTIL_H
#define CBUILD_BASE_FSUTIL_H

#include <stddef.h>
#include <sys/types.h>

#include "buf.h"
#include "error.h"

/* Write all len bytes to fd, retrying on EINTR and short writes. */
int cb_write_all(int fd, const void *data, size_t len, struct cb_err **err);
/* Read fd to EOF into out, failing when more than out->limit bytes arrive. */
int cb_read_all(int fd, struct cb_buf *out, struct cb_err **err);

/* Replace path with data: written to a temp file in the same directory,
 * fsynced, renamed over path, then the directory fsynced.  On any failure the
 * temp file is removed and path is untouched. */
int cb_write_file_atomic(const char *path, const void *data, size_t len, mode_t mode,
                         struct cb_err **err);
/* Same, relative to the directory dirfd. */
int cb_write_file_atomic_at(int dirfd, const char *name, const void *data, size_t len, mode_t mode,
                            struct cb_err **err);

/* Read a whole file into out (initialised by the caller with its limit). */
int cb_read_file(const char *path, struct cb_buf *out, struct cb_err **err);
int cb_read_file_at(int dirfd, const char *path, struct cb_buf *out, struct cb_err **err);

/* mkdir -p; existing directories are fine, an existing non-directory is not. */
int cb_mkdir_p(const char *path, mode_t mode, struct cb_err **err);
/* rm -rf without following symlinks and without crossing into other mounts'
 * contents; a missing path is success. */
int cb_rm_rf(const char *path, struct cb_err **err);
int cb_rm_rf_at(int dirfd, const char *name, struct cb_err **err);

/* Create a fresh directory "<dir>/<prefix>XXXXXX" and return its path. */
char *cb_mkdtemp(const char *dir, const char *prefix, struct cb_err **err);

/* Open path relative to rootfd as if rootfd were "/": absolute paths, ".."
 * and symlinks are all resolved inside it (openat2 RESOLVE_IN_ROOT). */
int cb_open_beneath(int rootfd, const char *path, int flags, mode_t mode, struct cb_err **err);
/* The same resolution done by a userspace walk (what cb_open_beneath falls
 * back to where openat2 is missing); exposed for tests. */
int cb_open_beneath_walk(int rootfd, const char *path, int flags, mode_t mode, struct cb_err **err);

/* fsync the directory holding path (or the directory itself for a dir fd). */
int cb_fsync_dir(const char *dir, struct cb_err **err);

/* "a" + "/" + "b" with a single slash between them. */
char *cb_path_join(const char *a, const char *b);

/* Whether path exists (lstat). */
int cb_path_exists(const char *path);

#endif
