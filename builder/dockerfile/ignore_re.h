/* ignore_re.h - the subset of Go's regexp (RE2 syntax, Perl flags) that
 * moby/patternmatcher generates from .dockerignore patterns, compiled to a
 * Thompson NFA and run in linear time over UTF-8 text.
 *
 * Supported: literals, `.`, `^`, `$`, classes `[...]` (ranges, negation,
 * POSIX `[:name:]`, Perl `\d\s\w`), escapes (punctuation, `\a\f\n\r\t\v`,
 * octal, `\x..`, `\Q..\E`, `\A\z\b\B`), groups `( )`, alternation `|` and
 * the quantifiers `* + ?`.  Unicode classes (`\pL`) and counted repetition
 * `{n,m}` are rejected as syntax errors; patternmatcher never emits them
 * (it escapes `{` and `}`), so a pattern can only reach them through a
 * backslash escape, which Go would accept and we refuse.
 */
#ifndef CBUILD_DOCKERFILE_IGNORE_RE_H
#define CBUILD_DOCKERFILE_IGNORE_RE_H

#include <stdbool.h>
#include <stddef.h>

struct bld_re;

/* Compile a regex; NULL on a syntax error (with a short reason in *why,
 * a static string, when why is not NULL). */
struct bld_re *bld_re_new(const char *expr, const char **why);
void bld_re_free(struct bld_re *re);

/* Whether the whole-text search finds a match (Go's MatchString: the regex
 * is unanchored unless it says ^ / $). */
bool bld_re_match(const struct bld_re *re, const char *text, size_t len);

/* Whether some text starting with prefix could match (after consuming the
 * prefix, a state that can still reach a match is alive).  Conservative:
 * may answer true when no real continuation matches. */
bool bld_re_may_match_prefix(const struct bld_re *re, const char *prefix, size_t len);

/* Decode one UTF-8 rune at s[0..len) (len > 0); an invalid byte decodes as
 * U+FFFD of width 1, as Go does. */
unsigned bld_re_utf8_decode(const char *s, size_t len, int *rune);

#endif
