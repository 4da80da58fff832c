/* glob.h - the shell patterns of ${v#p} ${v%p} ${v/p/r}: `*`, `?` and `\`
 * escapes, matched the way BuildKit's regexp translation matches them
 * (neither `*` nor `?` crosses a newline). */
#ifndef CBUILD_BUILDER_DOCKERFILE_GLOB_H
#define CBUILD_BUILDER_DOCKERFILE_GLOB_H

#include <stdbool.h>

#include "../../base/error.h"

/* Remove the shortest (or, greedy, longest) prefix of value matching pat,
 * or the suffix when suffix is true.  *out is allocated. */
int bld_glob_trim(const char *value, const char *pat, bool suffix, bool greedy, char **out,
                  struct cb_err **err);
/* A ${v//p/r} result may not grow past this: an empty pattern inserts r at
 * every position, and nesting such substitutions grows exponentially.
 * (Linux caps one argument or environment string at 128 KiB anyway.) */
#define BLD_GLOB_MAX_RESULT (256 << 10)

/* Replace the first (or every) longest leftmost match of pat in value. */
int bld_glob_replace(const char *value, const char *pat, const char *repl, bool all, char **out,
                     struct cb_err **err);

/* BuildKit's intermediate forms, kept for its conformance vectors:
 * the Go regexp a pattern becomes (convertShellPatternToRegex) and a
 * pattern reversed with its escapes kept in front (reversePattern). */
char *bld_glob_to_regex(const char *pat, bool greedy, bool anchored, struct cb_err **err);
char *bld_glob_reverse(const char *pat);

#endif
