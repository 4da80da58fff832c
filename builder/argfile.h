/* argfile.h - build-arg files (--build-arg-file): one KEY=VALUE a line.
 *
 * Blank lines and lines starting with '#' are skipped; an "export " prefix is
 * allowed (so a shell env file works); a value wholly in single or double
 * quotes loses them (double quotes also take \" \\ \n \t escapes); anything
 * after an unquoted value's " #" is a comment.  A line without '=' or with an
 * invalid name is an error naming FILE:LINE.
 */
#ifndef CBUILD_BUILDER_ARGFILE_H
#define CBUILD_BUILDER_ARGFILE_H

#include <stddef.h>

#include "../base/error.h"
#include "../base/strv.h"

/* Append "KEY=VALUE" entries of text to out; name is used in messages. */
int bld_argfile_parse(const char *name, const char *text, size_t len, struct cb_strv *out,
                      struct cb_err **err);
/* Read path and parse it. */
int bld_argfile_load(const char *path, struct cb_strv *out, struct cb_err **err);

#endif
