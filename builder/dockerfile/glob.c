/* glob.c - shell pattern matching for the lexer's # ## % %% / // modifiers.
 *
 * BuildKit turns the pattern into a Go regexp (`*` -> `.*` or `.*?`, `?` ->
 * `.`).  We compile it into a token list and run it as an NFA over the
 * value's runes, which gives the same shortest/longest matches without a
 * regexp engine.  As in Go's regexp, `.` does not match a newline.  A `\`
 * before `}` or `/` is dropped; before `*`, `?` or `\` it makes that char
 * literal; before anything else it is an error ("invalid escape"). */
#include <string.h>

#include "dockerfile_internal.h"
#include "glob.h"
#include "../../base/buf.h"
#include "../../base/cleanup.h"
#include "../../base/xalloc.h"
#include "../../base/banned.h"

enum { TOK_LIT, TOK_ANY, TOK_STAR };

struct tok {
    int kind;
    uint32_t r;
};

struct runes {
    uint32_t *r;
    size_t *off; /* byte offset of each rune, plus the end */
    size_t n;
};

static void runes_of(const char *s, struct runes *out)
{
    size_t n = strlen(s);
    out->r = xcalloc(n + 1, sizeof(*out->r));
    out->off = xcalloc(n + 1, sizeof(*out->off));
    out->n = 0;
    for (size_t i = 0; i < n;) {
        int w;
        out->off[out->n] = i;
        out->r[out->n++] = go_decode_rune(s + i, n - i, &w);
        i += (size_t)w;
    }
    out->off[out->n] = n;
}

static void runes_release(struct runes *r)
{
    free(r->r);
    free(r->off);
}

static int compile(const char *pat, struct tok **out, size_t *nout, struct cb_err **err)
{
    struct runes p;
    runes_of(pat, &p);
    struct tok *t = xcalloc(p.n + 1, sizeof(*t));
    size_t n = 0;
    for (size_t i = 0; i < p.n; i++) {
        uint32_t c = p.r[i];
        if (c == '*') {
            t[n++] = (struct tok){TOK_STAR, 0};
        } else if (c == '?') {
            t[n++] = (struct tok){TOK_ANY, 0};
        } else if (c == '\\') {
            if (i + 1 < p.n && (p.r[i + 1] == '}' || p.r[i + 1] == '/'))
                continue;
            if (i + 1 >= p.n || (p.r[i + 1] != '*' && p.r[i + 1] != '?' && p.r[i + 1] != '\\')) {
                free(t);
                runes_release(&p);
                return cb_fail(err, CB_ESYNTAX, 0,
                               "invalid pattern (%s) in substitution: invalid escape", pat);
            }
            t[n++] = (struct tok){TOK_LIT, p.r[++i]};
        } else {
            t[n++] = (struct tok){TOK_LIT, c};
        }
    }
    runes_release(&p);
    *out = t;
    *nout = n;
    return 0;
}

/* Epsilon closure: a STAR may match nothing. */
static void closure(const struct tok *t, size_t nt, bool *set)
{
    for (size_t i = 0; i < nt; i++)
        if (set[i] && t[i].kind == TOK_STAR)
            set[i + 1] = true;
}

/* Run the NFA over r[start..] and report every end where the pattern
 * matched: the shortest (first) or longest (last) end, or SIZE_MAX. */
static size_t match_from(const struct tok *t, size_t nt, const uint32_t *r, size_t n, size_t start,
                         bool longest)
{
    bool *cur = xcalloc(nt + 1, 1), *nxt = xcalloc(nt + 1, 1);
    size_t best = SIZE_MAX;
    cur[0] = true;
    closure(t, nt, cur);
    for (size_t pos = start;; pos++) {
        if (cur[nt]) {
            best = pos;
            if (!longest)
                break;
        }
        if (pos == n)
            break;
        bool any = false;
        memset(nxt, 0, nt + 1);
        for (size_t i = 0; i < nt; i++) {
            if (!cur[i])
                continue;
            bool ok = t[i].kind == TOK_LIT ? t[i].r == r[pos] : r[pos] != '\n';
            if (!ok)
                continue;
            nxt[t[i].kind == TOK_STAR ? i : i + 1] = true;
            any = true;
        }
        if (!any)
            break;
        closure(t, nt, nxt);
        bool *tmp = cur;
        cur = nxt;
        nxt = tmp;
    }
    free(cur);
    free(nxt);
    return best;
}

static void reverse_runes(uint32_t *r, size_t n)
{
    for (size_t i = 0; i < n / 2; i++) {
        uint32_t x = r[i];
        r[i] = r[n - 1 - i];
        r[n - 1 - i] = x;
    }
}

static char *encode(const uint32_t *r, size_t n)
{
    struct cb_buf b;
    cb_buf_init(&b, CB_BUF_LIMIT_DEFAULT);
    for (size_t i = 0; i < n; i++)
        go_buf_add_rune(&b, r[i]);
    return cb_buf_detach(&b, NULL);
}

int bld_glob_trim(const char *value, const char *pat, bool suffix, bool greedy, char **out,
                  struct cb_err **err)
{
    struct tok *t = NULL;
    size_t nt;
    if (compile(pat, &t, &nt, err) < 0)
        return -CB_ESYNTAX;
    struct runes v;
    runes_of(value, &v);
    if (suffix) {
        reverse_runes(v.r, v.n);
        for (size_t i = 0; i < nt / 2; i++) {
            struct tok x = t[i];
            t[i] = t[nt - 1 - i];
            t[nt - 1 - i] = x;
        }
    }
    size_t end = match_from(t, nt, v.r, v.n, 0, greedy);
    if (end == SIZE_MAX)
        end = 0;
    if (suffix) {
        reverse_runes(v.r, v.n);
        *out = encode(v.r, v.n - end);
    } else {
        *out = encode(v.r + end, v.n - end);
    }
    free(t);
    runes_release(&v);
    return 0;
}

/* Go's Regexp.Expand for a regexp without groups: $0 / ${0} is the match,
 * other names are empty, $$ is a dollar, a malformed $ stays literal. */
static void expand_template(struct cb_buf *b, const char *tpl, const char *m, size_t mlen)
{
    while (*tpl) {
        const char *d = strchr(tpl, '$');
        if (!d) {
            (void)cb_buf_adds(b, tpl, NULL);
            return;
        }
        (void)cb_buf_add(b, tpl, (size_t)(d - tpl), NULL);
        tpl = d + 1;
        if (*tpl == '$') {
            (void)cb_buf_addc(b, '$', NULL);
            tpl++;
            continue;
        }
        bool brace = *tpl == '{';
        const char *p = tpl + brace;
        const char *name = p;
        size_t left = strlen(p);
        while (*p) {
            int w;
            uint32_t r = go_decode_rune(p, left, &w);
            if (!go_isletter(r) && !go_isdigit(r) && r != '_')
                break;
            p += w;
            left -= (size_t)w;
        }
        if (p == name || (brace && *p != '}')) {
            (void)cb_buf_addc(b, '$', NULL);
            continue;
        }
        size_t nl = (size_t)(p - name);
        if (nl == 1 && name[0] == '0')
            (void)cb_buf_add(b, m, mlen, NULL);
        tpl = p + brace;
    }
}

/* The leftmost match at or after search, longest for that start: one NFA
 * pass whose threads carry their start (the smallest start wins a state),
 * so the whole search is O(len(value) * len(pattern)). */
static bool find_leftmost_longest(const struct tok *t, size_t nt, const uint32_t *r, size_t n,
                                  size_t search, size_t *ms, size_t *me)
{
    size_t *cur = xcalloc(nt + 1, sizeof(*cur)), *nxt = xcalloc(nt + 1, sizeof(*nxt));
    const size_t none = SIZE_MAX;
    size_t bs = none, be = 0;
    for (size_t i = 0; i <= nt; i++)
        cur[i] = none;
    for (size_t pos = search;; pos++) {
        if (bs == none && cur[0] == none)
            cur[0] = pos;
        for (size_t i = 0; i < nt; i++) /* closure: a star may match nothing */
            if (t[i].kind == TOK_STAR && cur[i] < cur[i + 1])
                cur[i + 1] = cur[i];
        if (cur[nt] != none && (bs == none || cur[nt] < bs || (cur[nt] == bs && pos > be)))
            bs = cur[nt], be = pos;
        if (pos == n)
            break;
        bool any = false;
        for (size_t i = 0; i <= nt; i++)
            nxt[i] = none;
        for (size_t i = 0; i < nt; i++) {
            if (cur[i] == none || (bs != none && cur[i] > bs))
                continue;
            bool ok = t[i].kind == TOK_LIT ? t[i].r == r[pos] : r[pos] != '\n';
            size_t j = t[i].kind == TOK_STAR ? i : i + 1;
            if (ok && cur[i] < nxt[j]) {
                nxt[j] = cur[i];
                any = true;
            }
        }
        if (!any && bs != none)
            break;
        size_t *tmp = cur;
        cur = nxt;
        nxt = tmp;
    }
    free(cur);
    free(nxt);
    *ms = bs;
    *me = be;
    return bs != none;
}

int bld_glob_replace(const char *value, const char *pat, const char *repl, bool all, char **out,
                     struct cb_err **err)
{
    struct tok *t = NULL;
    size_t nt;
    if (compile(pat, &t, &nt, err) < 0)
        return -CB_ESYNTAX;
    struct runes v;
    runes_of(value, &v);
    struct cb_buf b;
    cb_buf_init(&b, CB_BUF_LIMIT_DEFAULT);
    size_t last_end = 0, search = 0; /* rune indexes */
    bool done = false;
    while (search <= v.n && !done) {
        size_t s, e;
        if (!find_leftmost_longest(t, nt, v.r, v.n, search, &s, &e))
            break;
        (void)cb_buf_add(&b, value + v.off[last_end], v.off[s] - v.off[last_end], NULL);
        if (!all) {
            (void)cb_buf_adds(&b, repl, NULL);
            last_end = e;
            break;
        }
        if (e > last_end || s == 0)
            expand_template(&b, repl, value + v.off[s], v.off[e] - v.off[s]);
        if (b.len > BLD_GLOB_MAX_RESULT) {
            cb_buf_release(&b);
            free(t);
            runes_release(&v);
            return cb_fail(err, CB_ESYNTAX, 0,
                           "substitution result longer than %d bytes (pattern \"%s\")",
                           BLD_GLOB_MAX_RESULT, pat);
        }
        last_end = e;
        search = e > search ? e : search + 1;
        done = search > v.n;
    }
    (void)cb_buf_adds(&b, value + v.off[last_end], NULL);
    *out = cb_buf_detach(&b, NULL);
    free(t);
    runes_release(&v);
    return 0;
}

char *bld_glob_to_regex(const char *pat, bool greedy, bool anchored, struct cb_err **err)
{
    struct runes p;
    runes_of(pat, &p);
    struct cb_buf b;
    cb_buf_init(&b, CB_BUF_LIMIT_DEFAULT);
    if (anchored)
        (void)cb_buf_addc(&b, '^', NULL);
    for (size_t i = 0; i < p.n; i++) {
        uint32_t c = p.r[i];
        if (c == '*') {
            (void)cb_buf_adds(&b, greedy ? ".*" : ".*?", NULL);
            continue;
        }
        if (c == '?') {
            (void)cb_buf_addc(&b, '.', NULL);
            continue;
        }
        if (c == '\\') {
            if (i + 1 < p.n && (p.r[i + 1] == '}' || p.r[i + 1] == '/'))
                continue;
            if (i + 1 >= p.n || (p.r[i + 1] != '*' && p.r[i + 1] != '?' && p.r[i + 1] != '\\')) {
                cb_buf_release(&b);
                runes_release(&p);
                cb_fail(err, CB_ESYNTAX, 0, "invalid escape in '%s'", pat);
                return NULL;
            }
            (void)cb_buf_addc(&b, '\\', NULL);
            c = p.r[++i];
        } else if (strchr("[]{}.+()|^$", (int)c) && c < 0x80 && c != 0) {
            (void)cb_buf_addc(&b, '\\', NULL);
        }
        go_buf_add_rune(&b, c);
    }
    runes_release(&p);
    return cb_buf_detach(&b, NULL);
}

char *bld_glob_reverse(const char *pat)
{
    struct runes p;
    runes_of(pat, &p);
    uint32_t *out = xcalloc(p.n + 1, sizeof(*out));
    for (size_t i = 0; i < p.n;) {
        size_t o = p.n - 1 - i;
        if (p.r[i] == '\\' && i != p.n - 1) {
            out[o - 1] = '\\';
            out[o] = p.r[i + 1];
            i += 2;
        } else {
            out[o] = p.r[i];
            i++;
        }
    }
    char *s = encode(out, p.n);
    free(out);
    runes_release(&p);
    return s;
}
