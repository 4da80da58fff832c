/* dump.c - BuildKit's parser-testfile dump of an AST, with Go's
 * strconv.Quote, byte for byte:
 *   (cmd ["--flag=x" ...] "arg" ...)   and   (onbuild (run "x"))
 */
#include <string.h>

#include "dockerfile_internal.h"
#include "parser.h"
#include "../../base/xalloc.h"
#include "../../base/banned.h"

void bld_go_quote(struct cb_buf *out, const char *s, size_t len)
{
    static const char hex[] = "0123456789abcdef";
    (void)cb_buf_addc(out, '"', NULL);
    for (size_t i = 0; i < len;) {
        int w;
        uint32_t r = go_decode_rune(s + i, len - i, &w);
        unsigned char c = (unsigned char)s[i];
        i += (size_t)w;
        if (r == GO_RUNE_ERROR && w == 1) {
            (void)cb_buf_addf(out, NULL, "\\x%c%c", hex[c >> 4], hex[c & 15]);
            continue;
        }
        if (r == '"' || r == '\\') {
            (void)cb_buf_addc(out, '\\', NULL);
            (void)cb_buf_addc(out, (char)r, NULL);
            continue;
        }
        if (go_isprint(r)) {
            (void)cb_buf_add(out, s + i - (size_t)w, (size_t)w, NULL);
            continue;
        }
        const char *esc = NULL;
        switch (r) {
        case '\a':
            esc = "\\a";
            break;
        case '\b':
            esc = "\\b";
            break;
        case '\f':
            esc = "\\f";
            break;
        case '\n':
            esc = "\\n";
            break;
        case '\r':
            esc = "\\r";
            break;
        case '\t':
            esc = "\\t";
            break;
        case '\v':
            esc = "\\v";
            break;
        }
        if (esc)
            (void)cb_buf_adds(out, esc, NULL);
        else if (r < ' ' || r == 0x7f)
            (void)cb_buf_addf(out, NULL, "\\x%c%c", hex[r >> 4], hex[r & 15]);
        else if (r < 0x10000)
            (void)cb_buf_addf(out, NULL, "\\u%04x", (unsigned)r);
        else
            (void)cb_buf_addf(out, NULL, "\\U%08x", (unsigned)r);
    }
    (void)cb_buf_addc(out, '"', NULL);
}

/* Node.Dump(): "cmd" [flags] args, trimmed of surrounding blanks. */
static void dump_inner(const struct bld_node *n, struct cb_buf *out)
{
    size_t start = out->len;
    (void)cb_buf_adds(out, n->cmd, NULL);
    if (n->flags.n > 0) {
        (void)cb_buf_adds(out, " [", NULL);
        for (size_t i = 0; i < n->flags.n; i++) {
            if (i)
                (void)cb_buf_addc(out, ' ', NULL);
            bld_go_quote(out, n->flags.v[i], strlen(n->flags.v[i]));
        }
        (void)cb_buf_addc(out, ']', NULL);
    }
    for (size_t i = 0; i < n->args.n; i++) {
        (void)cb_buf_addc(out, ' ', NULL);
        bld_go_quote(out, n->args.v[i], n->arg_len ? n->arg_len[i] : strlen(n->args.v[i]));
    }
    if (n->child) {
        (void)cb_buf_adds(out, " (", NULL);
        dump_inner(n->child, out);
        (void)cb_buf_addc(out, ')', NULL);
    }
    /* strings.TrimSpace of the whole: only the keyword can bring blanks. */
    char *s = out->data ? out->data + start : NULL;
    if (!s)
        return;
    size_t len = out->len - start;
    size_t lead = go_skip_space(s, len);
    size_t keep = go_trim_right_space(s + lead, len - lead);
    memmove(s, s + lead, keep);
    cb_buf_truncate(out, start + keep);
}

void bld_node_dump(const struct bld_node *n, struct cb_buf *out)
{
    (void)cb_buf_addc(out, '(', NULL);
    dump_inner(n, out);
    (void)cb_buf_adds(out, ")\n", NULL);
}

int bld_ast_dump(const struct bld_ast *ast, struct cb_buf *out, struct cb_err **err)
{
    for (size_t i = 0; i < ast->n; i++)
        bld_node_dump(&ast->nodes[i], out);
    return 0;
}
