/* parser.c - Dockerfile text -> AST, following BuildKit's parser.go: line
 * scanning with the 64 KiB line limit, the BOM, parser directives, comment
 * and continuation handling (with empty-continuation warnings), heredoc
 * bodies, and the testfile dump.  The per-instruction argument rules live in
 * line_parsers.c, the directive syntax in directives.c. */
#include <string.h>

#include "dockerfile_internal.h"
#include "parser.h"
#include "../../base/cleanup.h"
#include "../../base/fsutil.h"
#include "../../base/xalloc.h"
#include "../../base/banned.h"

struct reader {
    const char *s;
    size_t n, pos;
    bool too_long;
};

/* bufio.Scanner with BuildKit's scanLines: the line keeps its "\n". */
static bool scan(struct reader *r, const char **line, size_t *len)
{
    if (r->pos >= r->n || r->too_long)
        return false;
    const char *start = r->s + r->pos;
    const char *nl = memchr(start, '\n', r->n - r->pos);
    size_t content = nl ? (size_t)(nl - start) : r->n - r->pos;
    if (content > BLD_MAX_LINE) {
        r->too_long = true;
        return false;
    }
    *line = start;
    *len = nl ? content + 1 : content;
    r->pos += *len;
    return true;
}

struct pstate {
    struct bld_ast *ast;
    struct df_dirparser dp;
    struct reader rd;
    int cur; /* lines consumed so far */
    struct cb_strv comments;
    size_t alloc_nodes, alloc_warn;
};

static size_t trim_newline(const char *s, size_t n)
{
    while (n > 0 && (s[n - 1] == '\r' || s[n - 1] == '\n'))
        n--;
    return n;
}

static bool is_comment(const char *s, size_t n)
{
    size_t i = go_skip_space(s, n);
    return i < n && s[i] == '#';
}

/* processLine: trim the newline (and, first lines, leading blanks), feed
 * the directive parser, blank out comments.  Returns the kept length. */
static int process_line(struct pstate *ps, const char **s, size_t *n, bool strip, bool *directive,
                        struct cb_err **err)
{
    *n = trim_newline(*s, *n);
    if (strip) {
        size_t k = go_skip_space(*s, *n);
        *s += k, *n -= k;
    }
    int rc = df_dirparser_line(&ps->dp, ps->ast, *s, *n, err);
    if (rc < 0)
        return cb_wrap(err, "Dockerfile:%d", ps->cur + 1);
    if (directive)
        *directive = rc > 0;
    if (is_comment(*s, *n))
        *n = 0;
    return 0;
}

/* The continuation regex ([^E])E[ \t]*$|^E[ \t]*$: strip it when present. */
static bool trim_continuation(const char *s, size_t *n, char esc)
{
    size_t k = *n;
    while (k > 0 && (s[k - 1] == ' ' || s[k - 1] == '\t'))
        k--;
    if (k == 0 || s[k - 1] != esc)
        return false;
    if (k >= 2 && s[k - 2] == esc)
        return false;
    *n = k - 1;
    return true;
}

static void note_comment(struct pstate *ps, const char *s, size_t n)
{
    if (!is_comment(s, n))
        return;
    size_t a = n > 0 ? 1 : 0;
    size_t k = go_skip_space(s + a, n - a);
    size_t e = go_trim_right_space(s + a + k, n - a - k);
    if (e == 0) {
        cb_strv_release(&ps->comments);
        return;
    }
    cb_strv_push_take(&ps->comments, xstrndup(s + a + k, e));
}

static void add_warning(struct pstate *ps, int line, const char *joined)
{
    struct bld_ast *a = ps->ast;
    struct bld_parse_warning w = {
        .line = line,
        .short_msg = xasprintf("Empty continuation line found in: %s", joined),
        .detail = xstrdup("Empty continuation lines will become errors in a future release"),
    };
    DF_PUSH(a->warnings, a->nwarnings, ps->alloc_warn, w);
}

/* Read one heredoc body up to its terminator line. */
static int read_heredoc(struct pstate *ps, struct bld_heredoc *h, int start, struct cb_err **err)
{
    struct cb_buf body;
    cb_buf_init(&body, CB_BUF_LIMIT_DEFAULT);
    const char *s;
    size_t n;
    size_t nl = strlen(h->name);
    while (scan(&ps->rd, &s, &n)) {
        ps->cur++;
        size_t k = trim_newline(s, n), off = 0;
        if (h->chomp)
            while (off < k && s[off] == '\t')
                off++;
        if (k - off == nl && !memcmp(s + off, h->name, nl)) {
            h->content = cb_buf_detach(&body, NULL);
            return 0;
        }
        (void)cb_buf_add(&body, s, n, NULL);
    }
    cb_buf_release(&body);
    return cb_fail(err, CB_ESYNTAX, 0, "Dockerfile:%d: unterminated heredoc", start);
}

static bool can_contain_heredoc(const struct bld_node *n)
{
    if (!strcmp(n->cmd, "onbuild") && n->child)
        n = n->child;
    if (strcmp(n->cmd, "run") && strcmp(n->cmd, "copy") && strcmp(n->cmd, "add"))
        return false;
    return !n->json;
}

static int attach_heredocs(struct pstate *ps, struct bld_node *node, const char *line, int start,
                           struct cb_err **err)
{
    if (!can_contain_heredoc(node) || !strstr(line, "<<"))
        return 0;
    if (bld_heredocs_from_line(line, &node->heredocs, &node->nheredocs, err) < 0)
        return cb_wrap(err, "Dockerfile:%d", start);
    for (size_t i = 0; i < node->nheredocs; i++)
        if (read_heredoc(ps, &node->heredocs[i], start, err) < 0)
            return -CB_ESYNTAX;
    return 0;
}

/* Join the continuation lines of one instruction into buf. */
static int read_continuations(struct pstate *ps, struct cb_buf *buf, bool *empty_cont,
                              struct cb_err **err)
{
    const char *s;
    size_t n;
    bool eol = false;
    while (!eol && scan(&ps->rd, &s, &n)) {
        const char *raw = s;
        size_t rawn = n;
        if (process_line(ps, &s, &n, false, NULL, err) < 0)
            return -CB_ESYNTAX;
        ps->cur++;
        if (is_comment(raw, rawn))
            continue;
        if (go_skip_space(s, trim_newline(s, n)) == trim_newline(s, n)) {
            *empty_cont = true;
            continue;
        }
        eol = !trim_continuation(s, &n, ps->ast->escape);
        (void)cb_buf_add(buf, s, n, NULL);
    }
    return 0;
}

static int parse_instruction(struct pstate *ps, const char *s, size_t n, bool eol,
                             struct cb_err **err)
{
    int start = ps->cur;
    cleanup_buf struct cb_buf buf;
    cb_buf_init(&buf, CB_BUF_LIMIT_DEFAULT);
    (void)cb_buf_add(&buf, s, n, NULL);
    bool empty_cont = false;
    if (!eol && read_continuations(ps, &buf, &empty_cont, err) < 0)
        return -CB_ESYNTAX;
    const char *line = cb_buf_str(&buf);
    if (empty_cont)
        add_warning(ps, ps->cur, line);
    struct bld_node node = {0};
    if (df_node_from_line(line, ps->ast->escape, &node, 0, err) < 0) {
        df_node_release(&node);
        return cb_wrap(err, "Dockerfile:%d", start);
    }
    node.comments = ps->comments;
    cb_strv_init(&ps->comments);
    if (attach_heredocs(ps, &node, line, start, err) < 0) {
        df_node_release(&node);
        return -CB_ESYNTAX;
    }
    node.start_line = start;
    node.end_line = ps->cur;
    struct bld_ast *a = ps->ast;
    if (a->n == 0)
        a->start_line = start;
    a->end_line = ps->cur;
    DF_PUSH(a->nodes, a->n, ps->alloc_nodes, node);
    return 0;
}

static int parse_loop(struct pstate *ps, struct cb_err **err)
{
    const char *s;
    size_t n;
    while (scan(&ps->rd, &s, &n)) {
        if (ps->cur == 0 && n >= 3 && !memcmp(s, "\xEF\xBB\xBF", 3))
            s += 3, n -= 3;
        note_comment(ps, s, n);
        bool directive = false;
        if (process_line(ps, &s, &n, true, &directive, err) < 0)
            return -CB_ESYNTAX;
        if (directive && ps->comments.n > 0) {
            free(ps->comments.v[--ps->comments.n]);
            ps->comments.v[ps->comments.n] = NULL;
        }
        ps->cur++;
        bool cont = trim_continuation(s, &n, ps->ast->escape);
        if (!cont && n == 0)
            continue;
        if (parse_instruction(ps, s, n, !cont, err) < 0)
            return -CB_ESYNTAX;
    }
    return 0;
}

struct bld_ast *bld_parse(const char *text, size_t len, struct cb_err **err)
{
    struct pstate ps = {.rd = {.s = text, .n = len}};
    ps.ast = xcalloc(1, sizeof(*ps.ast));
    ps.ast->escape = '\\';
    df_dirparser_init(&ps.dp, "#");
    int rc = parse_loop(&ps, err);
    cb_strv_release(&ps.comments);
    if (rc < 0) {
        bld_ast_free(ps.ast);
        return NULL;
    }
    if (ps.ast->n == 0) {
        bld_ast_free(ps.ast);
        cb_fail(err, CB_ESYNTAX, 0, "file with no instructions");
        return NULL;
    }
    if (ps.rd.too_long) {
        bld_ast_free(ps.ast);
        cb_fail(err, CB_ESYNTAX, 0,
                "Dockerfile:%d: dockerfile line greater than max allowed size of %d", ps.cur + 1,
                BLD_MAX_LINE);
        return NULL;
    }
    return ps.ast;
}

struct bld_ast *bld_parse_file(const char *path, struct cb_err **err)
{
    cleanup_buf struct cb_buf b;
    cb_buf_init(&b, (size_t)16 << 20);
    if (cb_read_file(path, &b, err) < 0)
        return NULL;
    return bld_parse(cb_buf_str(&b), b.len, err);
}

void bld_ast_free(struct bld_ast *ast)
{
    if (!ast)
        return;
    for (size_t i = 0; i < ast->n; i++)
        df_node_release(&ast->nodes[i]);
    free(ast->nodes);
    for (size_t i = 0; i < ast->nwarnings; i++) {
        free(ast->warnings[i].short_msg);
        free(ast->warnings[i].detail);
    }
    free(ast->warnings);
    free(ast->syntax.value);
    free(ast->escape_dir.value);
    free(ast->check.value);
    free(ast);
}
