/* line_parsers.c - one instruction line -> one node: the keyword, its
 * --flags and the per-instruction argument rules of BuildKit's
 * parser/line_parsers.go and split_command.go (JSON or shell form,
 * whitespace lists, quote-aware words for ENV/LABEL/ARG, HEALTHCHECK's type
 * word, ONBUILD's nested instruction).  Values keep their quotes: expansion
 * happens later, in instructions.c. */
#include <string.h>

#include "dockerfile_internal.h"
#include "parser.h"
#include "../../base/cleanup.h"
#include "../../base/xalloc.h"
#include "../../base/banned.h"

#define MAX_ONBUILD_DEPTH 64

void df_node_add_arg(struct bld_node *n, const char *s, size_t len)
{
    n->arg_len = xreallocarray(n->arg_len, n->args.n + 1, sizeof(*n->arg_len));
    n->arg_len[n->args.n] = len;
    cb_strv_push_take(&n->args, xstrndup(s, len));
}

void df_node_release(struct bld_node *n)
{
    if (!n)
        return;
    free(n->keyword);
    free(n->cmd);
    cb_strv_release(&n->flags);
    cb_strv_release(&n->args);
    free(n->arg_len);
    if (n->child) {
        df_node_release(n->child);
        free(n->child);
    }
    for (size_t i = 0; i < n->nheredocs; i++)
        bld_heredoc_release(&n->heredocs[i]);
    free(n->heredocs);
    free(n->original);
    cb_strv_release(&n->comments);
    memset(n, 0, sizeof(*n));
}

/* Go's regexp class [\t\v\f\r ] (reWhitespace). */
static bool re_ws(char c)
{
    return c == '\t' || c == '\v' || c == '\f' || c == '\r' || c == ' ';
}

/* unicode.IsSpace(rune(b)) for a single byte, as split_command.go does. */
static bool byte_space(unsigned char b)
{
    return b == ' ' || (b >= '\t' && b <= '\r') || b == 0x85 || b == 0xA0;
}

/* word.WriteRune(rune(line[pos])): bytes >= 0x80 become U+0080..U+00FF. */
static void add_byte_rune(struct cb_buf *b, unsigned char c)
{
    go_buf_add_rune(b, c);
}

/* extractBuilderFlags: leading --flag words; *rest_off gets where the
 * arguments start (or len when the flags ran to the end). */
static void extract_flags(const char *line, size_t len, struct cb_strv *flags, size_t *rest_off)
{
    enum { IN_SPACES, IN_WORD, IN_QUOTE } phase = IN_SPACES;
    cleanup_buf struct cb_buf word;
    cb_buf_init(&word, CB_BUF_LIMIT_DEFAULT);
    unsigned char quote = 0, ch = 0;
    bool blank_ok = false;
    for (size_t pos = 0; pos <= len; pos++) {
        if (pos != len)
            ch = (unsigned char)line[pos];
        if (phase == IN_SPACES) {
            if (pos == len)
                break;
            if (byte_space(ch))
                continue;
            if (ch != '-' || pos + 1 == len || line[pos + 1] != '-') {
                *rest_off = pos;
                return;
            }
            phase = IN_WORD;
        }
        if (pos == len) {
            if (strcmp(cb_buf_str(&word), "--") && (blank_ok || word.len > 0))
                cb_strv_push(flags, cb_buf_str(&word));
            break;
        }
        if (phase == IN_WORD) {
            if (byte_space(ch)) {
                phase = IN_SPACES;
                if (!strcmp(cb_buf_str(&word), "--")) {
                    *rest_off = pos;
                    return;
                }
                if (blank_ok || word.len > 0)
                    cb_strv_push(flags, cb_buf_str(&word));
                cb_buf_reset(&word);
                blank_ok = false;
                continue;
            }
            if (ch == '\'' || ch == '"') {
                quote = ch, blank_ok = true, phase = IN_QUOTE;
                continue;
            }
            if (ch == '\\') {
                if (pos + 1 == len)
                    continue;
                ch = (unsigned char)line[++pos];
            }
            add_byte_rune(&word, ch);
            continue;
        }
        if (ch == quote) {
            phase = IN_WORD;
            continue;
        }
        if (ch == '\\') {
            if (pos + 1 == len) {
                phase = IN_WORD;
                continue;
            }
            ch = (unsigned char)line[++pos];
        }
        add_byte_rune(&word, ch);
    }
    *rest_off = len;
}

void bld_parse_words(const char *rest, char escape, struct cb_strv *out)
{
    enum { IN_SPACES, IN_WORD, IN_QUOTE } phase = IN_SPACES;
    size_t len = strlen(rest);
    cleanup_buf struct cb_buf b;
    cb_buf_init(&b, CB_BUF_LIMIT_DEFAULT);
    uint32_t quote = 0, ch = 0;
    int w = 0;
    bool blank_ok = false;
    for (size_t pos = 0; pos <= len; pos += (size_t)w) {
        if (pos != len)
            ch = go_decode_rune(rest + pos, len - pos, &w);
        if (phase == IN_SPACES) {
            if (pos == len)
                break;
            if (go_isspace(ch))
                continue;
            phase = IN_WORD;
        }
        if (pos == len) {
            if (blank_ok || b.len > 0)
                cb_strv_push(out, cb_buf_str(&b));
            break;
        }
        if (phase == IN_WORD) {
            if (go_isspace(ch)) {
                phase = IN_SPACES;
                if (blank_ok || b.len > 0)
                    cb_strv_push(out, cb_buf_str(&b));
                cb_buf_reset(&b);
                blank_ok = false;
                continue;
            }
            if (ch == '\'' || ch == '"')
                quote = ch, blank_ok = true, phase = IN_QUOTE;
            if (ch == (unsigned char)escape) {
                if (pos + (size_t)w == len)
                    continue;
                go_buf_add_rune(&b, ch);
                pos += (size_t)w;
                ch = go_decode_rune(rest + pos, len - pos, &w);
            }
            go_buf_add_rune(&b, ch);
            continue;
        }
        if (ch == quote)
            phase = IN_WORD;
        if (ch == (unsigned char)escape && quote != '\'') {
            if (pos + (size_t)w == len) {
                phase = IN_WORD;
                continue;
            }
            pos += (size_t)w;
            go_buf_add_rune(&b, ch);
            ch = go_decode_rune(rest + pos, len - pos, &w);
        }
        go_buf_add_rune(&b, ch);
    }
}

static void split_ws(struct bld_node *n, const char *rest, int limit)
{
    size_t len = strlen(rest), start = 0;
    int pieces = 1;
    for (size_t i = 0; i < len; i++) {
        if (!re_ws(rest[i]) || (limit > 0 && pieces >= limit))
            continue;
        size_t j = i;
        while (j < len && re_ws(rest[j]))
            j++;
        df_node_add_arg(n, rest + start, i - start);
        pieces++;
        start = j;
        i = j - 1;
    }
    df_node_add_arg(n, rest + start, len - start);
}

static int parse_whitespace_list(struct bld_node *n, const char *rest)
{
    if (*rest)
        split_ws(n, rest, -1);
    return 0;
}

static int parse_json(struct bld_node *n, const char *rest, struct cb_err **err)
{
    int rc = bld_parse_json_array(rest, &n->args, &n->arg_len, err);
    if (rc > 0)
        n->json = true;
    return rc;
}

static int parse_maybe_json(struct bld_node *n, const char *rest, struct cb_err **err)
{
    if (!*rest)
        return 0;
    int rc = parse_json(n, rest, err);
    if (rc < 0)
        return rc;
    if (rc == 0)
        df_node_add_arg(n, rest, strlen(rest));
    return 0;
}

static int parse_maybe_json_list(struct bld_node *n, const char *rest, struct cb_err **err)
{
    int rc = parse_json(n, rest, err);
    if (rc < 0)
        return rc;
    return rc == 0 ? parse_whitespace_list(n, rest) : 0;
}

static int parse_health(struct bld_node *n, const char *rest, struct cb_err **err)
{
    size_t len = strlen(rest), sep = 0, next;
    while (sep < len && !byte_space((unsigned char)rest[sep]))
        sep++;
    for (next = sep; next < len && byte_space((unsigned char)rest[next]); next++)
        ;
    if (sep == 0)
        return 0;
    df_node_add_arg(n, rest, sep);
    return parse_maybe_json(n, rest + next, err);
}

static int parse_name_val(struct bld_node *n, const char *rest, char escape, const char *key,
                          struct cb_err **err)
{
    struct cb_strv words = CB_STRV_INIT;
    bld_parse_words(rest, escape, &words);
    int rc = 0;
    if (words.n == 0) {
        /* nothing */
    } else if (!strchr(words.v[0], '=')) {
        size_t len = strlen(rest), i = 0;
        while (i < len && !re_ws(rest[i]))
            i++;
        if (i == len) {
            rc = cb_fail(err, CB_ESYNTAX, 0, "%s must have two arguments", key);
        } else {
            split_ws(n, rest, 2);
            df_node_add_arg(n, "", 0);
        }
    } else {
        for (size_t i = 0; i < words.n && rc == 0; i++) {
            const char *eq = strchr(words.v[i], '=');
            if (!eq) {
                cleanup_buf struct cb_buf q;
                cb_buf_init(&q, CB_BUF_LIMIT_DEFAULT);
                bld_go_quote(&q, words.v[i], strlen(words.v[i]));
                rc = cb_fail(err, CB_ESYNTAX, 0,
                             "Syntax error - can't find = in %s. Must be of the form: name=value",
                             cb_buf_str(&q));
                break;
            }
            df_node_add_arg(n, words.v[i], (size_t)(eq - words.v[i]));
            df_node_add_arg(n, eq + 1, strlen(eq + 1));
            df_node_add_arg(n, "=", 1);
        }
    }
    cb_strv_release(&words);
    return rc;
}

static int parse_name_or_name_val(struct bld_node *n, const char *rest, char escape)
{
    struct cb_strv words = CB_STRV_INIT;
    bld_parse_words(rest, escape, &words);
    for (size_t i = 0; i < words.n; i++)
        df_node_add_arg(n, words.v[i], strlen(words.v[i]));
    cb_strv_release(&words);
    return 0;
}

static int parse_sub_command(struct bld_node *n, const char *rest, char escape, int depth,
                             struct cb_err **err)
{
    if (!*rest)
        return 0;
    if (depth >= MAX_ONBUILD_DEPTH)
        return cb_fail(err, CB_ESYNTAX, 0, "ONBUILD nested too deeply");
    n->child = xcalloc(1, sizeof(*n->child));
    return df_node_from_line(rest, escape, n->child, depth + 1, err);
}

static int dispatch(struct bld_node *n, const char *rest, char escape, int depth,
                    struct cb_err **err)
{
    const char *c = n->cmd;
    if (!strcmp(c, "add") || !strcmp(c, "copy") || !strcmp(c, "volume"))
        return parse_maybe_json_list(n, rest, err);
    if (!strcmp(c, "run") || !strcmp(c, "cmd") || !strcmp(c, "entrypoint") || !strcmp(c, "shell"))
        return parse_maybe_json(n, rest, err);
    if (!strcmp(c, "env"))
        return parse_name_val(n, rest, escape, "ENV", err);
    if (!strcmp(c, "label"))
        return parse_name_val(n, rest, escape, "LABEL", err);
    if (!strcmp(c, "arg"))
        return parse_name_or_name_val(n, rest, escape);
    if (!strcmp(c, "expose") || !strcmp(c, "from"))
        return parse_whitespace_list(n, rest);
    if (!strcmp(c, "healthcheck"))
        return parse_health(n, rest, err);
    if (!strcmp(c, "maintainer") || !strcmp(c, "user") || !strcmp(c, "workdir") ||
        !strcmp(c, "stopsignal")) {
        if (*rest)
            df_node_add_arg(n, rest, strlen(rest));
        return 0;
    }
    if (!strcmp(c, "onbuild"))
        return parse_sub_command(n, rest, escape, depth, err);
    df_node_add_arg(n, "", 0); /* parseIgnore: unknown instructions keep one empty node */
    return 0;
}

int df_node_from_line(const char *line, char escape, struct bld_node *out, int depth,
                      struct cb_err **err)
{
    size_t len = strlen(line);
    size_t start = go_skip_space(line, len);
    size_t end = start + go_trim_right_space(line + start, len - start);
    size_t kw_end = start;
    while (kw_end < end && !re_ws(line[kw_end]))
        kw_end++;
    out->keyword = xstrndup(line + start, kw_end - start);
    out->cmd = df_lower(out->keyword);
    out->original = xstrdup(line);
    cleanup_free char *rest = NULL;
    if (kw_end < end) {
        size_t a = kw_end;
        while (a < end && re_ws(line[a]))
            a++;
        size_t off = 0;
        extract_flags(line + a, end - a, &out->flags, &off);
        const char *r = line + a + off;
        size_t rl = end - a - off;
        size_t s = go_skip_space(r, rl);
        rest = xstrndup(r + s, go_trim_right_space(r + s, rl - s));
    } else {
        rest = xstrdup("");
    }
    return dispatch(out, rest, escape, depth, err);
}
