/* ignore.h - .dockerignore reading and matching, with moby/patternmatcher's
 * semantics (what BuildKit and the docker CLI use for the build context, for
 * COPY/ADD --exclude and for the CopyIgnoredFile check).
 *
 * Paths are relative to the context root and use '/'.  Patterns are applied
 * in order; the last one that matches decides, and a pattern starting with
 * '!' re-includes.  A pattern matching a directory matches everything below
 * it.  A matcher does not change after bld_ignore_new: threads may share
 * one.  See vendor-docs/dockerignore.md.
 */
#ifndef CBUILD_DOCKERFILE_IGNORE_H
#define CBUILD_DOCKERFILE_IGNORE_H

#include <stdbool.h>
#include <stddef.h>

#include "../../base/error.h"
#include "../../base/strv.h"

/* ---- reading (moby/patternmatcher/ignorefile.ReadAll) */

/* Split .dockerignore text into patterns: a UTF-8 BOM on line 1 is dropped,
 * lines starting with '#' are comments, lines are trimmed, empty ones
 * dropped, each pattern is cleaned (filepath.Clean) and a leading '/' removed
 * (also after '!').  Appends to out.  Fails (CB_EINVAL) on a line longer than
 * 64 KiB, as Go's line scanner does. */
int bld_ignore_parse(const char *text, size_t len, struct cb_strv *out, struct cb_err **err);

/* The ignore file for a build: "<dockerfile>.dockerignore" beside the
 * Dockerfile when it exists (the file name as given with -f, e.g.
 * "build/app.Dockerfile.dockerignore"), else "<context>/.dockerignore".
 * dockerfile may be NULL (then only the context's file is looked at).
 * A missing file gives no patterns.  *used (may be NULL) gets the path read,
 * or NULL; the caller frees it. */
int bld_ignore_load(const char *context_dir, const char *dockerfile, struct cb_strv *out,
                    char **used, struct cb_err **err);

/* ---- matching (moby/patternmatcher.PatternMatcher) */

struct bld_ignore;

/* Compile patterns (as New does: trimmed, empty ones skipped, cleaned, '!'
 * marks an exception).  Fails with CB_EINVAL for a bare "!" or a pattern Go's
 * filepath.Match calls malformed ("syntax error in pattern"). */
struct bld_ignore *bld_ignore_new(const char *const *patterns, size_t n, struct cb_err **err);
void bld_ignore_free(struct bld_ignore *m);
static inline void bld_ignore_freep(struct bld_ignore **m)
{
    bld_ignore_free(*m);
}
#define cleanup_ignore __attribute__((cleanup(bld_ignore_freep)))

/* The number of (non-empty) patterns, and whether any is an exception. */
size_t bld_ignore_count(const struct bld_ignore *m);
bool bld_ignore_has_exclusions(const struct bld_ignore *m);
/* Pattern i as cleaned (without its '!'), and whether it is an exception. */
const char *bld_ignore_pattern(const struct bld_ignore *m, size_t i, bool *exclusion);

/* "Is this path excluded?" (MatchesOrParentMatches): 1 excluded, 0 not,
 * negative with CB_EINVAL "syntax error in pattern" for a pattern that only
 * fails when used (e.g. "[z-a]"). */
int bld_ignore_match(const struct bld_ignore *m, const char *path, struct cb_err **err);

/* Same answer, computed while walking a tree top-down: pass the parent
 * directory's state (NULL for a path at the top, or when unknown, which then
 * checks all parents); *state (may be NULL) receives this path's state for
 * its children.  Free states with bld_ignore_state_free. */
struct bld_ignore_state;
int bld_ignore_match_walk(const struct bld_ignore *m, const char *path,
                          const struct bld_ignore_state *parent, struct bld_ignore_state **state,
                          struct cb_err **err);
void bld_ignore_state_free(struct bld_ignore_state *s);

/* "Can this directory be skipped entirely?": 1 when dir is excluded and no
 * exception pattern can match anything below it, so a walker need not
 * descend; 0 otherwise. */
int bld_ignore_can_skip_dir(const struct bld_ignore *m, const char *dir, struct cb_err **err);

/* The deprecated forms, kept for conformance with upstream's tests:
 * Matches (checks one parent prefix only; "." never matches), MatchesExact
 * (no parents) and MatchesUsingParentResult (one bool for the parent). */
int bld_ignore_match_legacy(const struct bld_ignore *m, const char *path, struct cb_err **err);
int bld_ignore_match_exact(const struct bld_ignore *m, const char *path, struct cb_err **err);
int bld_ignore_match_parent_bool(const struct bld_ignore *m, const char *path, bool parent_matched,
                                 struct cb_err **err);

/* Go's filepath.Match on '/'-separated names: 1 match, 0 no match, negative
 * (CB_EINVAL "syntax error in pattern") for a malformed pattern. */
int bld_ignore_glob_match(const char *pattern, const char *name, struct cb_err **err);

/* Go's filepath.Clean (Unix).  Returns a new string. */
char *bld_ignore_clean_path(const char *path);

/* How pattern i is matched (for tests): "exactMatch", "prefixMatch",
 * "suffixMatch" or "regexpMatch", and the regexp text (NULL unless regexp).
 * Fails like bld_ignore_match for a pattern that does not compile. */
int bld_ignore_describe(const struct bld_ignore *m, size_t i, const char **kind,
                        const char **regexp, struct cb_err **err);

#endif
