/* shell.c - BuildKit's shell-word lexer: quotes, escapes, $v and ${v...}
 * expansion with its modifiers, and word splitting (ProcessWord and
 * ProcessWords of frontend/dockerfile/shell/lex.go).  Patterns of # % / are
 * handled by glob.c. */
#include <string.h>

#include "dockerfile_internal.h"
#include "glob.h"
#include "parser.h"
#include "shell.h"
#include "../../base/cleanup.h"
#include "../../base/xalloc.h"
#include "../../base/banned.h"

#define SH_EOF ((int32_t)-1)
#define SH_MAX_DEPTH 500 /* nesting of ${...}; Go has no limit, our stack has */

struct sh {
    const char *s;
    size_t n, pos;
    const struct bld_shell_opts *o;
    char esc;
    struct bld_shell_usage *usage;
    bool raw_escapes;
    int depth;
    struct cb_err **err;
};

/* The words being built by one processStopOn call. */
struct sh_words {
    struct cb_strv words;
    struct cb_buf cur;
    bool in_word;
};

static int32_t sh_peek(struct sh *sw)
{
    if (sw->pos >= sw->n)
        return SH_EOF;
    int w;
    return (int32_t)go_decode_rune(sw->s + sw->pos, sw->n - sw->pos, &w);
}

static int32_t sh_next(struct sh *sw)
{
    if (sw->pos >= sw->n)
        return SH_EOF;
    int w;
    uint32_t r = go_decode_rune(sw->s + sw->pos, sw->n - sw->pos, &w);
    sw->pos += (size_t)w;
    return (int32_t)r;
}

static void words_add_raw_rune(struct sh_words *w, uint32_t r)
{
    go_buf_add_rune(&w->cur, r);
    w->in_word = true;
}

static void words_flush(struct sh_words *w)
{
    if (w->cur.len > 0) {
        cb_strv_push(&w->words, cb_buf_str(&w->cur));
        cb_buf_reset(&w->cur);
        w->in_word = false;
    }
}

/* BuildKit keeps "<<" and "<<-" joined with the word after the blanks so
 * that "RUN << EOF" still names a heredoc. */
static bool ends_with_heredoc_op(const struct cb_buf *b)
{
    const char *s = cb_buf_str(b);
    size_t n = b->len;
    while (n > 0 && go_isspace((unsigned char)s[n - 1]) && s[n - 1] != '\0')
        n--;
    if (n >= 3 && s[n - 1] == '-' && s[n - 2] == '<' && s[n - 3] == '<')
        return true;
    return n >= 2 && s[n - 1] == '<' && s[n - 2] == '<';
}

static void words_add_rune(struct sh_words *w, uint32_t r)
{
    if (go_isspace(r) && w->in_word) {
        if (w->cur.len == 0)
            return;
        if (ends_with_heredoc_op(&w->cur)) {
            go_buf_add_rune(&w->cur, r);
            return;
        }
        words_flush(w);
    } else if (!go_isspace(r)) {
        words_add_raw_rune(w, r);
    }
}

static void words_add_string(struct sh_words *w, const char *s, size_t n)
{
    for (size_t i = 0; i < n;) {
        int width;
        uint32_t r = go_decode_rune(s + i, n - i, &width);
        words_add_rune(w, r);
        i += (size_t)width;
    }
}

static void words_add_raw_string(struct sh_words *w, const char *s, size_t n)
{
    (void)cb_buf_add(&w->cur, s, n, NULL);
    w->in_word = true;
}

static void words_release(struct sh_words *w)
{
    cb_strv_release(&w->words);
    cb_buf_release(&w->cur);
}

static int process_stop_on(struct sh *sw, int32_t stop, bool raw_escapes, struct cb_buf *result,
                           struct cb_strv *words_out);

static void usage_note(struct sh *sw, const char *name, bool found)
{
    if (!sw->usage)
        return;
    struct cb_strv *set = found ? &sw->usage->matched : &sw->usage->unmatched;
    if (cb_strv_find(set, name) < 0)
        cb_strv_push(set, name);
}

static const char *sh_getenv(struct sh *sw, const char *name)
{
    const char *v = sw->o->lookup ? sw->o->lookup(sw->o->userdata, name) : NULL;
    usage_note(sw, name, v != NULL);
    return v;
}

static bool is_special_param(int32_t c)
{
    return c == '@' || c == '*' || c == '#' || c == '?' || c == '-' || c == '$' || c == '!' ||
           c == '0';
}

static char *process_name(struct sh *sw)
{
    struct cb_buf name;
    cb_buf_init(&name, CB_BUF_LIMIT_DEFAULT);
    for (int32_t c; (c = sh_peek(sw)) != SH_EOF;) {
        if (name.len == 0 && go_isdigit((uint32_t)c)) {
            while ((c = sh_peek(sw)) != SH_EOF && go_isdigit((uint32_t)c))
                go_buf_add_rune(&name, (uint32_t)sh_next(sw));
            break;
        }
        if (name.len == 0 && is_special_param(c)) {
            go_buf_add_rune(&name, (uint32_t)sh_next(sw));
            break;
        }
        if (!go_isletter((uint32_t)c) && !go_isdigit((uint32_t)c) && c != '_')
            break;
        go_buf_add_rune(&name, (uint32_t)sh_next(sw));
    }
    return cb_buf_detach(&name, NULL);
}

static int process_single_quote(struct sh *sw, struct cb_buf *out)
{
    int32_t c = sh_next(sw);
    if (sw->o->raw_quotes)
        go_buf_add_rune(out, (uint32_t)c);
    for (;;) {
        c = sh_next(sw);
        if (c == SH_EOF)
            return cb_fail(sw->err, CB_ESYNTAX, 0,
                           "unexpected end of statement while looking for matching single-quote");
        if (c == '\'') {
            if (sw->o->raw_quotes)
                go_buf_add_rune(out, (uint32_t)c);
            return 0;
        }
        go_buf_add_rune(out, (uint32_t)c);
    }
}

static int process_dollar(struct sh *sw, struct cb_buf *out);

static int process_double_quote(struct sh *sw, struct cb_buf *out)
{
    int32_t c = sh_next(sw);
    if (sw->o->raw_quotes)
        go_buf_add_rune(out, (uint32_t)c);
    for (;;) {
        c = sh_peek(sw);
        if (c == SH_EOF)
            return cb_fail(sw->err, CB_ESYNTAX, 0,
                           "unexpected end of statement while looking for matching double-quote");
        if (c == '"') {
            sh_next(sw);
            if (sw->o->raw_quotes)
                go_buf_add_rune(out, (uint32_t)c);
            return 0;
        }
        if (c == '$') {
            if (process_dollar(sw, out) < 0)
                return -1;
            continue;
        }
        c = sh_next(sw);
        if (c == sw->esc) {
            if (sw->raw_escapes)
                go_buf_add_rune(out, (uint32_t)c);
            int32_t p = sh_peek(sw);
            if (p == SH_EOF)
                continue;
            if (p == '"' || p == '$' || p == sw->esc)
                c = sh_next(sw);
        }
        go_buf_add_rune(out, (uint32_t)c);
    }
}

static void add_env_value(struct sh *sw, const char *name, const char *v, bool braced,
                          struct cb_buf *out)
{
    if (!v && sw->o->skip_unset) {
        (void)cb_buf_addf(out, NULL, braced ? "${%s}" : "$%s", name);
        return;
    }
    if (v)
        (void)cb_buf_adds(out, v, NULL);
}

/* ${name:-word} and friends, after the modifier was read. */
static int apply_modifier(struct sh *sw, const char *name, int32_t mod, bool null_unset,
                          const char *chs, struct cb_buf *out)
{
    bool raw = mod == '#' || mod == '%';
    if (null_unset && raw)
        return cb_fail(sw->err, CB_ESYNTAX, 0, "unsupported modifier (%s) in substitution", chs);
    cleanup_buf struct cb_buf word;
    cb_buf_init(&word, CB_BUF_LIMIT_DEFAULT);
    if (process_stop_on(sw, '}', raw, &word, NULL) < 0) {
        if (sh_peek(sw) == SH_EOF)
            return cb_fail(sw->err, CB_ESYNTAX, 0, "syntax error: missing '}'");
        return -1;
    }
    const char *v = sh_getenv(sw, name);
    if (!v && sw->o->skip_unset) {
        (void)cb_buf_addf(out, NULL, "${%s%s%s}", name, chs, cb_buf_str(&word));
        return 0;
    }
    bool empty = !v || (null_unset && !*v);
    switch (mod) {
    case '-':
        (void)cb_buf_adds(out, empty ? cb_buf_str(&word) : v, NULL);
        return 0;
    case '+':
        if (!empty)
            (void)cb_buf_adds(out, cb_buf_str(&word), NULL);
        return 0;
    case '?':
        if (empty)
            return cb_fail(sw->err, CB_ESYNTAX, 0, "%s: %s", name,
                           word.len ? cb_buf_str(&word)
                           : !v     ? "is not allowed to be unset"
                                    : "is not allowed to be empty");
        (void)cb_buf_adds(out, v, NULL);
        return 0;
    case '#':
    case '%': {
        const char *pat = cb_buf_str(&word);
        bool greedy = pat[0] == (char)mod;
        if (greedy)
            pat++;
        cleanup_free char *res = NULL;
        if (bld_glob_trim(v ? v : "", pat, mod == '%', greedy, &res, sw->err) < 0)
            return -1;
        (void)cb_buf_adds(out, res, NULL);
        return 0;
    }
    default:
        return cb_fail(sw->err, CB_ESYNTAX, 0, "unsupported modifier (%s) in substitution", chs);
    }
}

static int apply_replace(struct sh *sw, const char *name, struct cb_buf *out)
{
    bool all = sh_peek(sw) == '/';
    if (all)
        sh_next(sw);
    cleanup_buf struct cb_buf pat, repl;
    cb_buf_init(&pat, CB_BUF_LIMIT_DEFAULT);
    cb_buf_init(&repl, CB_BUF_LIMIT_DEFAULT);
    if (process_stop_on(sw, '/', true, &pat, NULL) < 0) {
        if (sh_peek(sw) == SH_EOF)
            return cb_fail(sw->err, CB_ESYNTAX, 0, "syntax error: missing '/' in ${}");
        return -1;
    }
    if (process_stop_on(sw, '}', true, &repl, NULL) < 0) {
        if (sh_peek(sw) == SH_EOF)
            return cb_fail(sw->err, CB_ESYNTAX, 0, "syntax error: missing '}'");
        return -1;
    }
    const char *v = sh_getenv(sw, name);
    if (!v && sw->o->skip_unset) {
        (void)cb_buf_addf(out, NULL, "${%s/%s/%s}", name, cb_buf_str(&pat), cb_buf_str(&repl));
        return 0;
    }
    cleanup_free char *res = NULL;
    if (bld_glob_replace(v ? v : "", cb_buf_str(&pat), cb_buf_str(&repl), all, &res, sw->err) < 0)
        return -1;
    (void)cb_buf_adds(out, res, NULL);
    return 0;
}

static void rune_str(int32_t c, char *buf)
{
    struct cb_buf b;
    cb_buf_init(&b, 16);
    go_buf_add_rune(&b, c == SH_EOF ? GO_RUNE_ERROR : (uint32_t)c);
    memcpy(buf, cb_buf_str(&b), b.len + 1);
    cb_buf_release(&b);
}

static int process_braced(struct sh *sw, struct cb_buf *out)
{
    int32_t c = sh_peek(sw);
    if (c == SH_EOF)
        return cb_fail(sw->err, CB_ESYNTAX, 0, "syntax error: missing '}'");
    if (c == '{' || c == '}' || c == ':')
        return cb_fail(sw->err, CB_ESYNTAX, 0, "syntax error: bad substitution");
    cleanup_free char *name = process_name(sw);
    c = sh_next(sw);
    char chs[12];
    rune_str(c, chs);
    bool null_unset = false;
    switch (c) {
    case '}':
        add_env_value(sw, name, sh_getenv(sw, name), true, out);
        return 0;
    case ':':
        null_unset = true;
        c = sh_next(sw);
        rune_str(c, chs + strlen(chs));
        return apply_modifier(sw, name, c, null_unset, chs, out);
    case '+':
    case '-':
    case '?':
    case '#':
    case '%':
        return apply_modifier(sw, name, c, null_unset, chs, out);
    case '/':
        return apply_replace(sw, name, out);
    default:
        return cb_fail(sw->err, CB_ESYNTAX, 0, "unsupported modifier (%s) in substitution", chs);
    }
}

static int process_dollar(struct sh *sw, struct cb_buf *out)
{
    sh_next(sw);
    if (sh_peek(sw) != '{') {
        cleanup_free char *name = process_name(sw);
        if (!*name) {
            (void)cb_buf_addc(out, '$', NULL);
            return 0;
        }
        add_env_value(sw, name, sh_getenv(sw, name), false, out);
        return 0;
    }
    sh_next(sw);
    if (++sw->depth > SH_MAX_DEPTH)
        return cb_fail(sw->err, CB_ESYNTAX, 0, "substitutions nested too deeply");
    int rc = process_braced(sw, out);
    sw->depth--;
    return rc;
}

static int process_special(struct sh *sw, int32_t c, struct cb_buf *result, struct sh_words *w)
{
    cleanup_buf struct cb_buf tmp;
    cb_buf_init(&tmp, CB_BUF_LIMIT_DEFAULT);
    int rc = c == '$'    ? process_dollar(sw, &tmp)
             : c == '\'' ? process_single_quote(sw, &tmp)
                         : process_double_quote(sw, &tmp);
    if (rc < 0)
        return -1;
    (void)cb_buf_add(result, cb_buf_str(&tmp), tmp.len, NULL);
    if (!w)
        return 0;
    if (c == '$')
        words_add_string(w, cb_buf_str(&tmp), tmp.len);
    else
        words_add_raw_string(w, cb_buf_str(&tmp), tmp.len);
    return 0;
}

/* processStopOn: read until stop (or the end when stop is SH_EOF). */
static int process_stop_on(struct sh *sw, int32_t stop, bool raw_escapes, struct cb_buf *result,
                           struct cb_strv *words_out)
{
    struct sh_words w = {CB_STRV_INIT, {0}, false};
    cb_buf_init(&w.cur, CB_BUF_LIMIT_DEFAULT);
    bool saved_raw = sw->raw_escapes;
    sw->raw_escapes = raw_escapes;
    int rc = 0;
    bool stopped = false;
    for (int32_t c; (c = sh_peek(sw)) != SH_EOF;) {
        if (stop != SH_EOF && c == stop) {
            sh_next(sw);
            stopped = true;
            break;
        }
        if (c == '$' || (!sw->o->skip_quotes && (c == '\'' || c == '"'))) {
            if ((rc = process_special(sw, c, result, words_out ? &w : NULL)) < 0)
                break;
            continue;
        }
        c = sh_next(sw);
        if (c == sw->esc) {
            if (sw->raw_escapes) {
                if (words_out)
                    words_add_raw_rune(&w, (uint32_t)c);
                go_buf_add_rune(result, (uint32_t)c);
            }
            c = sh_next(sw);
            if (c == SH_EOF)
                break;
            if (words_out)
                words_add_raw_rune(&w, (uint32_t)c);
        } else if (words_out) {
            words_add_rune(&w, (uint32_t)c);
        }
        go_buf_add_rune(result, (uint32_t)c);
    }
    sw->raw_escapes = saved_raw;
    if (rc == 0 && stop != SH_EOF && !stopped) {
        char s[8];
        rune_str(stop, s);
        rc = cb_fail(sw->err, CB_ESYNTAX, 0,
                     "unexpected end of statement while looking for matching %s", s);
    }
    if (rc == 0 && words_out) {
        words_flush(&w);
        for (size_t i = 0; i < w.words.n; i++)
            cb_strv_push(words_out, w.words.v[i]);
    }
    words_release(&w);
    return rc < 0 ? -1 : 0;
}

static int shell_run(const char *word, const struct bld_shell_opts *opts,
                     struct bld_shell_usage *usage, struct cb_buf *result, struct cb_strv *words,
                     struct cb_err **err)
{
    static const struct bld_shell_opts defaults = {.escape = '\\'};
    struct sh sw = {
        .s = word,
        .n = strlen(word),
        .o = opts ? opts : &defaults,
        .usage = usage,
        .err = err,
    };
    sw.esc = sw.o->escape ? sw.o->escape : '\\';
    sw.raw_escapes = sw.o->raw_escapes;
    if (sw.n >= 3 && !memcmp(word, "\xEF\xBB\xBF", 3))
        sw.pos = 3; /* text/scanner skips a leading BOM */
    if (process_stop_on(&sw, SH_EOF, sw.raw_escapes, result, words) < 0) {
        cleanup_buf struct cb_buf q;
        cb_buf_init(&q, CB_BUF_LIMIT_DEFAULT);
        bld_go_quote(&q, word, strlen(word));
        return cb_wrap(err, "failed to process %s", cb_buf_str(&q));
    }
    return 0;
}

char *bld_shell_word(const char *word, const struct bld_shell_opts *opts,
                     struct bld_shell_usage *usage, struct cb_err **err)
{
    cleanup_buf struct cb_buf result;
    cb_buf_init(&result, CB_BUF_LIMIT_DEFAULT);
    if (shell_run(word, opts, usage, &result, NULL, err) < 0)
        return NULL;
    return cb_buf_detach(&result, NULL);
}

int bld_shell_words(const char *text, const struct bld_shell_opts *opts, struct cb_strv *out,
                    struct bld_shell_usage *usage, struct cb_err **err)
{
    cleanup_buf struct cb_buf result;
    cb_buf_init(&result, CB_BUF_LIMIT_DEFAULT);
    struct cb_strv words = CB_STRV_INIT;
    if (shell_run(text, opts, usage, &result, &words, err) < 0) {
        cb_strv_release(&words);
        return -CB_ESYNTAX;
    }
    for (size_t i = 0; i < words.n; i++)
        cb_strv_push(out, words.v[i]);
    cb_strv_release(&words);
    return 0;
}

void bld_shell_usage_release(struct bld_shell_usage *u)
{
    if (!u)
        return;
    cb_strv_release(&u->matched);
    cb_strv_release(&u->unmatched);
}

const char *bld_env_list_lookup(void *userdata, const char *name)
{
    const struct cb_strv *env = userdata;
    const char *found = NULL;
    size_t nl = strlen(name);
    for (size_t i = 0; i < env->n; i++) {
        const char *e = env->v[i];
        const char *eq = strchr(e, '=');
        size_t kl = eq ? (size_t)(eq - e) : strlen(e);
        if (kl == nl && !memcmp(e, name, nl))
            found = eq ? eq + 1 : "";
    }
    return found;
}
