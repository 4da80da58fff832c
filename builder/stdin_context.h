/* stdin_context.h - `cbuild build -`: the context comes from a stream, as
 * docker build reads it.  A tar (plain, gzip or zstd) is the whole context,
 * unpacked safely into a temporary directory; anything else is taken as the
 * Dockerfile itself, with an empty context. */
#ifndef CBUILD_BUILDER_STDIN_CONTEXT_H
#define CBUILD_BUILDER_STDIN_CONTEXT_H

#include <stddef.h>

#include "../base/buf.h"
#include "../base/error.h"

/* Read fd to the end.  *dir gets a new directory under tmp (the caller
 * removes it); when the stream was not a tar, dockerfile receives its text
 * and the directory is empty. */
int bld_stdin_context(int fd, const char *tmp, char **dir, struct cb_buf *dockerfile,
                      struct cb_err **err);

#endif
