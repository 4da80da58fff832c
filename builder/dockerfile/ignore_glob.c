/* ignore_glob.c - Go's path/filepath Match and Clean, Unix flavour.
 *
 * patternmatcher validates every pattern with filepath.Match(p, ".") and
 * cleans patterns with filepath.Clean, so their exact rules decide which
 * .dockerignore lines are errors and what a pattern means.  Match is also
 * what COPY --exclude's legacy callers use.
 */
#include <stdbool.h>
#include <string.h>

#include "ignore.h"
#include "ignore_re.h"
#include "../../base/xalloc.h"
#include "../../base/banned.h"

char *bld_ignore_clean_path(const char *path)
{
    size_t n = strlen(path);
    if (n == 0)
        return xstrdup(".");
    bool rooted = path[0] == '/';
    char *out = xmalloc(n + 2);
    size_t w = 0, r = 0, dotdot = 0;
    if (rooted)
        out[w++] = '/', r = 1, dotdot = 1;
    while (r < n) {
        if (path[r] == '/') {
            r++;
        } else if (path[r] == '.' && (r + 1 == n || path[r + 1] == '/')) {
            r++;
        } else if (path[r] == '.' && path[r + 1] == '.' && (r + 2 == n || path[r + 2] == '/')) {
            r += 2;
            if (w > dotdot) {
                w--;
                while (w > dotdot && out[w] != '/')
                    w--;
            } else if (!rooted) {
                if (w > 0)
                    out[w++] = '/';
                out[w++] = '.';
                out[w++] = '.';
                dotdot = w;
            }
        } else {
            if ((rooted && w != 1) || (!rooted && w != 0))
                out[w++] = '/';
            for (; r < n && path[r] != '/'; r++)
                out[w++] = path[r];
        }
    }
    if (w == 0)
        out[w++] = '.';
    out[w] = '\0';
    return out;
}

/* getEsc: one (possibly escaped) range end; -1 on a malformed class. */
static int get_esc(const char **chunk, const char *end, int *rune)
{
    const char *c = *chunk;
    if (c >= end || *c == '-' || *c == ']')
        return -1;
    if (*c == '\\' && ++c >= end)
        return -1;
    unsigned w = bld_re_utf8_decode(c, (size_t)(end - c), rune);
    if (*rune == 0xFFFD && w == 1 && (unsigned char)*c >= 0x80)
        return -1;
    c += w;
    *chunk = c;
    return c >= end ? -1 : 0;
}

/* matchChunk: 1 = matched a prefix of s (rest in *rest), 0 = no, -1 = bad. */
static int match_chunk(const char *chunk, const char *cend, const char *s, const char *send,
                       const char **rest)
{
    bool failed = false;
    while (chunk < cend) {
        if (!failed && s >= send)
            failed = true;
        if (*chunk == '[') {
            int r = 0, lo, hi;
            if (!failed)
                s += bld_re_utf8_decode(s, (size_t)(send - s), &r);
            chunk++;
            bool negated = chunk < cend && *chunk == '^', match = false;
            chunk += negated;
            for (int nrange = 0;; nrange++) {
                if (chunk < cend && *chunk == ']' && nrange > 0) {
                    chunk++;
                    break;
                }
                if (get_esc(&chunk, cend, &lo) < 0)
                    return -1;
                hi = lo;
                if (*chunk == '-' && get_esc((chunk++, &chunk), cend, &hi) < 0)
                    return -1;
                if (lo <= r && r <= hi)
                    match = true;
            }
            if (match == negated)
                failed = true;
        } else if (*chunk == '?') {
            if (!failed) {
                int r;
                if (*s == '/')
                    failed = true;
                s += bld_re_utf8_decode(s, (size_t)(send - s), &r);
            }
            chunk++;
        } else {
            if (*chunk == '\\' && ++chunk >= cend)
                return -1;
            if (!failed) {
                if (*chunk != *s)
                    failed = true;
                s++;
            }
            chunk++;
        }
    }
    if (failed)
        return 0;
    *rest = s;
    return 1;
}

/* scanChunk: leading stars, then up to the next '*' outside a class. */
static const char *scan_chunk(const char *p, const char *end, bool *star, const char **chunk)
{
    *star = false;
    while (p < end && *p == '*')
        p++, *star = true;
    *chunk = p;
    bool inrange = false;
    for (; p < end; p++) {
        if (*p == '\\') {
            if (p + 1 < end)
                p++;
        } else if (*p == '[') {
            inrange = true;
        } else if (*p == ']') {
            inrange = false;
        } else if (*p == '*' && !inrange) {
            break;
        }
    }
    return p;
}

static int glob(const char *pat, const char *pend, const char *name, const char *nend)
{
    while (pat < pend) {
        bool star;
        const char *chunk, *cend = scan_chunk(pat, pend, &star, &chunk), *t;
        pat = cend;
        if (star && chunk == cend)
            return memchr(name, '/', (size_t)(nend - name)) == NULL;
        int ok = match_chunk(chunk, cend, name, nend, &t);
        if (ok == 1 && (t == nend || pat < pend)) {
            name = t;
            continue;
        }
        if (ok < 0)
            return -1;
        if (star) {
            bool found = false;
            for (const char *i = name; i < nend && *i != '/'; i++) {
                ok = match_chunk(chunk, cend, i + 1, nend, &t);
                if (ok == 1) {
                    if (pat >= pend && t < nend)
                        continue;
                    name = t;
                    found = true;
                    break;
                }
                if (ok < 0)
                    return -1;
            }
            if (found)
                continue;
        }
        /* no match: still report a malformed rest of the pattern */
        while (pat < pend) {
            pat = scan_chunk(pat, pend, &star, &chunk);
            if (match_chunk(chunk, pat, "", "", &t) < 0)
                return -1;
        }
        return 0;
    }
    return name == nend;
}

int bld_ignore_glob_match(const char *pattern, const char *name, struct cb_err **err)
{
    int rc = glob(pattern, pattern + strlen(pattern), name, name + strlen(name));
    if (rc < 0)
        return cb_fail(err, CB_EINVAL, 0, "syntax error in pattern");
    return rc;
}
