/* ignore.c - .dockerignore: reading the file and matching context paths,
 * with moby/patternmatcher's exact semantics (vendor-docs/dockerignore.md).
 *
 * Each pattern is classified the way patternmatcher does (exact, prefix
 * "dir/" + two stars, suffix: two stars + "/name", or regexp) and regexp patterns are
 * translated to the same Go regexp text, run by ignore_re.c.  A pattern
 * that does not compile fails only when it is used, as upstream.
 */
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>

#include "ignore.h"
#include "ignore_re.h"
#include "../../base/buf.h"
#include "../../base/cleanup.h"
#include "../../base/fsutil.h"
#include "../../base/xalloc.h"
#include "../../base/banned.h"

enum match_kind { KIND_EXACT, KIND_PREFIX, KIND_SUFFIX, KIND_REGEXP };

struct pattern {
    char *cleaned; /* without the '!' */
    bool exclusion;
    size_t ndirs; /* '/'-separated components */
    enum match_kind kind;
    char *regexp;      /* KIND_REGEXP */
    struct bld_re *re; /* NULL when regexp does not compile */
    /* KIND_REGEXP: literal text every match starts with, ends with and
     * contains (cleaned[req_off..]): quick rejections before the regexp */
    size_t pre_len, suf_len, req_off, req_len;
};

struct bld_ignore {
    struct pattern *p;
    size_t n;
    bool exclusions;
};

struct bld_ignore_state {
    bool *parent_matched;
    size_t n;
};

/* ------------------------------------------------------------ compiling */

static void add_rune(struct cb_buf *b, int r)
{
    char u[4];
    size_t n;
    if (r < 0x80)
        u[0] = (char)r, n = 1;
    else if (r < 0x800)
        u[0] = (char)(0xC0 | (r >> 6)), u[1] = (char)(0x80 | (r & 0x3F)), n = 2;
    else if (r < 0x10000)
        u[0] = (char)(0xE0 | (r >> 12)), u[1] = (char)(0x80 | ((r >> 6) & 0x3F)),
        u[2] = (char)(0x80 | (r & 0x3F)), n = 3;
    else
        u[0] = (char)(0xF0 | (r >> 18)), u[1] = (char)(0x80 | ((r >> 12) & 0x3F)),
        u[2] = (char)(0x80 | ((r >> 6) & 0x3F)), u[3] = (char)(0x80 | (r & 0x3F)), n = 4;
    cb_buf_add(b, u, n, NULL);
}

struct scan {
    const char *s, *end;
};

static int peek(const struct scan *sc)
{
    int r;
    if (sc->s >= sc->end)
        return -1;
    bld_re_utf8_decode(sc->s, (size_t)(sc->end - sc->s), &r);
    return r;
}

static int next(struct scan *sc)
{
    int r;
    sc->s += bld_re_utf8_decode(sc->s, (size_t)(sc->end - sc->s), &r);
    return r;
}

/* The "**" part of patternmatcher's compile; sc is past the first '*'. */
static void compile_doublestar(struct scan *sc, struct cb_buf *re, enum match_kind *kind, int i)
{
    next(sc);
    if (peek(sc) == '/')
        next(sc);
    if (peek(sc) < 0) {
        if (*kind == KIND_EXACT) {
            *kind = KIND_PREFIX;
        } else {
            cb_buf_adds(re, ".*", NULL);
            *kind = KIND_REGEXP;
        }
    } else {
        cb_buf_adds(re, "(.*/)?", NULL);
        *kind = KIND_REGEXP;
    }
    if (i == 0)
        *kind = KIND_SUFFIX;
}

/* Record a literal run [a, b) of the pattern: the first one if it starts
 * the pattern, the last one if it ends it, and the longest. */
static void literal_run(struct pattern *p, size_t a, size_t b, size_t n)
{
    if (a >= b)
        return;
    if (a == 0)
        p->pre_len = b;
    if (b == n)
        p->suf_len = b - a;
    if (b - a > p->req_len)
        p->req_off = a, p->req_len = b - a;
}

/* Find the text every match must contain: runs of bytes that the
 * translated regexp matches literally, outside classes and escapes ("**"
 * swallows the '/' after it, which is then optional). */
static void literal_runs(struct pattern *p)
{
    const char *c = p->cleaned;
    size_t n = strlen(c), start = 0, i = 0;
    bool in_class = false;
    while (i < n) {
        char ch = c[i];
        bool lit = !in_class && (unsigned char)ch < 0x80 && !strchr("*?[]\\^", ch);
        if (lit) {
            i++;
            continue;
        }
        literal_run(p, start, i, n);
        if (in_class)
            in_class = ch != ']', i += ch == '\\' ? 2 : 1;
        else if (ch == '[')
            in_class = true, i++;
        else if (ch == '\\')
            i += 2;
        else if (ch == '*' && c[i + 1] == '*')
            i += c[i + 2] == '/' ? 3 : 2;
        else
            i++;
        start = i < n ? i : n;
    }
    literal_run(p, start, n, n);
}

static void pattern_compile(struct pattern *p)
{
    cleanup_buf struct cb_buf re;
    cb_buf_init(&re, CB_BUF_LIMIT_DEFAULT);
    cb_buf_addc(&re, '^', NULL);
    enum match_kind kind = KIND_EXACT;
    struct scan sc = {p->cleaned, p->cleaned + strlen(p->cleaned)};
    for (int i = 0; peek(&sc) >= 0; i++) {
        int ch = next(&sc);
        if (ch == '*' && peek(&sc) == '*') {
            compile_doublestar(&sc, &re, &kind, i);
        } else if (ch == '*') {
            cb_buf_adds(&re, "[^/]*", NULL), kind = KIND_REGEXP;
        } else if (ch == '?') {
            cb_buf_adds(&re, "[^/]", NULL), kind = KIND_REGEXP;
        } else if (ch < 0x80 && strchr(".+()|{}$", ch)) {
            cb_buf_addc(&re, '\\', NULL), cb_buf_addc(&re, (char)ch, NULL);
        } else if (ch == '\\') {
            if (peek(&sc) >= 0) {
                cb_buf_addc(&re, '\\', NULL), add_rune(&re, next(&sc));
                kind = KIND_REGEXP;
            } else {
                cb_buf_addc(&re, '\\', NULL);
            }
        } else if (ch == '[' || ch == ']') {
            cb_buf_addc(&re, (char)ch, NULL), kind = KIND_REGEXP;
        } else {
            add_rune(&re, ch);
        }
    }
    p->kind = kind;
    if (kind != KIND_REGEXP)
        return;
    literal_runs(p);
    cb_buf_addc(&re, '$', NULL);
    p->regexp = xstrdup(cb_buf_str(&re));
    p->re = bld_re_new(p->regexp, NULL);
}

static bool trim_space_rune(int r)
{
    return r == ' ' || (r >= '\t' && r <= '\r') || r == 0x85 || r == 0xA0 || r == 0x1680 ||
           (r >= 0x2000 && r <= 0x200A) || r == 0x2028 || r == 0x2029 || r == 0x202F ||
           r == 0x205F || r == 0x3000;
}

/* Go's strings.TrimSpace (Unicode white space), as a new string. */
static char *trim_space(const char *s, size_t len)
{
    const char *e = s + len;
    int r;
    while (s < e) {
        unsigned w = bld_re_utf8_decode(s, (size_t)(e - s), &r);
        if (!trim_space_rune(r))
            break;
        s += w;
    }
    while (e > s) {
        const char *q = e - 1;
        while (q > s && ((unsigned char)*q & 0xC0) == 0x80 && e - q < 4)
            q--;
        bld_re_utf8_decode(q, (size_t)(e - q), &r);
        if (!trim_space_rune(r) || (r == 0xFFFD && e - q == 1 && (unsigned char)*q >= 0x80))
            break;
        e = q;
    }
    return xstrndup(s, (size_t)(e - s));
}

static void pattern_release(struct pattern *p)
{
    free(p->cleaned);
    free(p->regexp);
    bld_re_free(p->re);
}

void bld_ignore_free(struct bld_ignore *m)
{
    if (!m)
        return;
    for (size_t i = 0; i < m->n; i++)
        pattern_release(&m->p[i]);
    free(m->p);
    free(m);
}

struct bld_ignore *bld_ignore_new(const char *const *patterns, size_t n, struct cb_err **err)
{
    cleanup_ignore struct bld_ignore *m = xcalloc(1, sizeof(*m));
    m->p = xcalloc(n ? n : 1, sizeof(*m->p));
    for (size_t i = 0; i < n; i++) {
        cleanup_free char *t = trim_space(patterns[i], strlen(patterns[i]));
        if (!*t)
            continue;
        cleanup_free char *c = bld_ignore_clean_path(t);
        bool excl = c[0] == '!';
        if (excl && !c[1]) {
            cb_fail(err, CB_EINVAL, 0, "illegal exclusion pattern: \"!\"");
            return NULL;
        }
        if (bld_ignore_glob_match(c + excl, ".", err) < 0)
            return NULL;
        struct pattern *p = &m->p[m->n++];
        p->cleaned = xstrdup(c + excl);
        p->exclusion = excl;
        m->exclusions |= excl;
        p->ndirs = 1;
        for (const char *q = p->cleaned; *q; q++)
            p->ndirs += *q == '/';
        pattern_compile(p);
    }
    return TAKE_PTR(m);
}

size_t bld_ignore_count(const struct bld_ignore *m)
{
    return m->n;
}

bool bld_ignore_has_exclusions(const struct bld_ignore *m)
{
    return m->exclusions;
}

const char *bld_ignore_pattern(const struct bld_ignore *m, size_t i, bool *exclusion)
{
    if (exclusion)
        *exclusion = m->p[i].exclusion;
    return m->p[i].cleaned;
}

int bld_ignore_describe(const struct bld_ignore *m, size_t i, const char **kind,
                        const char **regexp, struct cb_err **err)
{
    static const char *const names[] = {"exactMatch", "prefixMatch", "suffixMatch", "regexpMatch"};
    const struct pattern *p = &m->p[i];
    if (p->kind == KIND_REGEXP && !p->re)
        return cb_fail(err, CB_EINVAL, 0, "syntax error in pattern");
    *kind = names[p->kind];
    *regexp = p->regexp;
    return 0;
}

/* ------------------------------------------------------------ matching */

/* Pattern.match on the first len bytes of path. */
static int pattern_match(const struct pattern *p, const char *path, size_t len, struct cb_err **err)
{
    size_t pl = strlen(p->cleaned);
    switch (p->kind) {
    case KIND_EXACT:
        return len == pl && memcmp(path, p->cleaned, len) == 0;
    case KIND_PREFIX:
        return len >= pl - 2 && memcmp(path, p->cleaned, pl - 2) == 0;
    case KIND_SUFFIX: {
        const char *suf = p->cleaned + 2;
        size_t sl = pl - 2;
        if (len >= sl && memcmp(path + len - sl, suf, sl) == 0)
            return 1;
        return sl > 0 && suf[0] == '/' && len == sl - 1 && memcmp(path, suf + 1, len) == 0;
    }
    case KIND_REGEXP:
        break;
    }
    if (!p->re)
        return cb_fail(err, CB_EINVAL, 0, "syntax error in pattern");
    if (len < p->pre_len || memcmp(path, p->cleaned, p->pre_len) != 0 || len < p->suf_len ||
        memcmp(path + len - p->suf_len, p->cleaned + pl - p->suf_len, p->suf_len) != 0 ||
        (p->req_len && !memmem(path, len, p->cleaned + p->req_off, p->req_len)))
        return 0;
    return bld_re_match(p->re, path, len);
}

/* filepath.Dir(path), split on '/': the parents of path, as prefix lengths
 * into a cleaned copy (*dir).  Returns the number of parents, 0 for ".". */
static size_t parent_dirs(const char *path, char **dir, size_t **ends)
{
    const char *slash = strrchr(path, '/');
    cleanup_free char *head = xstrndup(path, slash ? (size_t)(slash - path + 1) : 0);
    *dir = bld_ignore_clean_path(head);
    *ends = NULL;
    if (!strcmp(*dir, "."))
        return 0;
    size_t n = 0, alloc = 0;
    for (const char *q = *dir;; q++) {
        if (*q == '/' || !*q) {
            XGROW(*ends, n + 1, alloc);
            (*ends)[n++] = (size_t)(q - *dir);
        }
        if (!*q)
            break;
    }
    return n;
}

/* Whether pattern p matches one of the parents (any, or only the one with
 * as many components as the pattern when legacy). */
static bool parent_match(const struct pattern *p, const char *dir, const size_t *ends, size_t n,
                         bool legacy)
{
    for (size_t i = 0; i < n; i++) {
        if (legacy && i + 1 != p->ndirs)
            continue;
        if (pattern_match(p, dir, ends[i], NULL) > 0)
            return true;
    }
    return false;
}

static int match_parents(const struct bld_ignore *m, const char *path, bool legacy,
                         struct cb_err **err)
{
    cleanup_free char *dir = NULL;
    cleanup_free size_t *ends = NULL;
    size_t nd = parent_dirs(path, &dir, &ends);
    bool matched = false;
    for (size_t i = 0; i < m->n; i++) {
        const struct pattern *p = &m->p[i];
        if (p->exclusion != matched)
            continue;
        int r = pattern_match(p, path, strlen(path), err);
        if (r < 0)
            return r;
        if (!r && nd)
            r = parent_match(p, dir, ends, nd, legacy);
        if (r)
            matched = !p->exclusion;
    }
    return matched;
}

int bld_ignore_match(const struct bld_ignore *m, const char *path, struct cb_err **err)
{
    return match_parents(m, path, false, err);
}

int bld_ignore_match_legacy(const struct bld_ignore *m, const char *path, struct cb_err **err)
{
    cleanup_free char *c = bld_ignore_clean_path(path);
    if (!strcmp(c, "."))
        return 0;
    return match_parents(m, c, true, err);
}

int bld_ignore_match_parent_bool(const struct bld_ignore *m, const char *path, bool parent_matched,
                                 struct cb_err **err)
{
    bool matched = parent_matched;
    for (size_t i = 0; i < m->n; i++) {
        const struct pattern *p = &m->p[i];
        if (p->exclusion != matched)
            continue;
        int r = pattern_match(p, path, strlen(path), err);
        if (r < 0)
            return r;
        if (r)
            matched = !p->exclusion;
    }
    return matched;
}

int bld_ignore_match_exact(const struct bld_ignore *m, const char *path, struct cb_err **err)
{
    return bld_ignore_match_parent_bool(m, path, false, err);
}

void bld_ignore_state_free(struct bld_ignore_state *s)
{
    if (s)
        free(s->parent_matched);
    free(s);
}

int bld_ignore_match_walk(const struct bld_ignore *m, const char *path,
                          const struct bld_ignore_state *parent, struct bld_ignore_state **state,
                          struct cb_err **err)
{
    const bool *pm = parent && parent->n ? parent->parent_matched : NULL;
    if (parent && parent->n && parent->n != m->n)
        return cb_fail(err, CB_EBUG, 0, "wrong number of values in parentMatched");
    cleanup_free bool *out = xcalloc(m->n ? m->n : 1, sizeof(bool));
    cleanup_free char *dir = NULL;
    cleanup_free size_t *ends = NULL;
    size_t nd = pm ? 0 : parent_dirs(path, &dir, &ends);
    bool matched = false;
    for (size_t i = 0; i < m->n; i++) {
        const struct pattern *p = &m->p[i];
        int r = pm ? pm[i] : 0;
        if (!r) {
            if (p->exclusion != matched)
                continue;
            if ((r = pattern_match(p, path, strlen(path), err)) < 0)
                return r;
            if (!r && nd)
                r = parent_match(p, dir, ends, nd, false);
        }
        out[i] = r;
        if (r)
            matched = !p->exclusion;
    }
    if (state) {
        *state = xcalloc(1, sizeof(**state));
        (*state)->parent_matched = TAKE_PTR(out);
        (*state)->n = m->n;
    }
    return matched;
}

/* Whether exception pattern p could match a path strictly below dir. */
static bool may_match_below(const struct pattern *p, const char *dir)
{
    cleanup_free char *pre = xasprintf("%s/", dir);
    size_t l = strlen(pre), pl = strlen(p->cleaned);
    switch (p->kind) {
    case KIND_EXACT:
        return pl > l && memcmp(p->cleaned, pre, l) == 0;
    case KIND_PREFIX:
        return memcmp(p->cleaned, pre, pl - 2 < l ? pl - 2 : l) == 0;
    case KIND_SUFFIX:
        return true;
    case KIND_REGEXP:
        break;
    }
    return !p->re || bld_re_may_match_prefix(p->re, pre, l);
}

int bld_ignore_can_skip_dir(const struct bld_ignore *m, const char *dir, struct cb_err **err)
{
    int r = bld_ignore_match(m, dir, err);
    if (r <= 0)
        return r;
    for (size_t i = 0; i < m->n; i++)
        if (m->p[i].exclusion && may_match_below(&m->p[i], dir))
            return 0;
    return 1;
}

/* ------------------------------------------------------------ reading */

/* One line of ignorefile.ReadAll; NULL when it gives no pattern. */
static char *parse_line(const char *line, size_t len)
{
    if (len && line[len - 1] == '\r')
        len--; /* bufio.ScanLines drops a final \r */
    if (len && line[0] == '#')
        return NULL;
    cleanup_free char *t = trim_space(line, len);
    if (!*t)
        return NULL;
    bool invert = t[0] == '!';
    cleanup_free char *body = invert ? trim_space(t + 1, strlen(t + 1)) : xstrdup(t);
    if (*body) {
        char *c = bld_ignore_clean_path(body);
        free(body);
        body = c;
        if (body[0] == '/' && body[1]) {
            char *rel = xstrdup(body + 1);
            free(body);
            body = rel;
        }
    }
    return xasprintf("%s%s", invert ? "!" : "", body);
}

int bld_ignore_parse(const char *text, size_t len, struct cb_strv *out, struct cb_err **err)
{
    const size_t max_line = 64 * 1024;
    if (len >= 3 && !memcmp(text, "\xEF\xBB\xBF", 3))
        text += 3, len -= 3;
    while (len) {
        const char *nl = memchr(text, '\n', len);
        size_t ll = nl ? (size_t)(nl - text) : len;
        if (ll >= max_line)
            return cb_fail(err, CB_EINVAL, 0,
                           "error reading .dockerignore: bufio.Scanner: token too long");
        char *pat = parse_line(text, ll);
        if (pat)
            cb_strv_push_take(out, pat);
        text += ll + (nl != NULL);
        len -= ll + (nl != NULL);
    }
    return 0;
}

static int read_optional(const char *path, struct cb_buf *b, bool *found, struct cb_err **err)
{
    cleanup_close int fd = open(path, O_RDONLY | O_CLOEXEC);
    *found = fd >= 0;
    if (fd < 0)
        return errno == ENOENT || errno == ENOTDIR ? 0
                                                   : cb_fail(err, CB_EIO, errno, "open '%s'", path);
    if (cb_read_all(fd, b, err) < 0)
        return cb_wrap(err, "read '%s'", path);
    return 0;
}

int bld_ignore_load(const char *context_dir, const char *dockerfile, struct cb_strv *out,
                    char **used, struct cb_err **err)
{
    cleanup_buf struct cb_buf b;
    cb_buf_init(&b, CB_BUF_LIMIT_DEFAULT);
    cleanup_free char *path = NULL;
    bool found = false;
    if (used)
        *used = NULL;
    if (dockerfile) {
        path = xasprintf("%s.dockerignore", dockerfile);
        if (read_optional(path, &b, &found, err) < 0)
            return cb_err_rc(err);
    }
    if (!found) {
        free(path);
        path = cb_path_join(context_dir, ".dockerignore");
        if (read_optional(path, &b, &found, err) < 0)
            return cb_err_rc(err);
    }
    if (!found)
        return 0;
    if (bld_ignore_parse(cb_buf_str(&b), b.len, out, err) < 0)
        return cb_wrap(err, "'%s'", path);
    if (used)
        *used = TAKE_PTR(path);
    return 0;
}
