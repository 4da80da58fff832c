/* heredoc.c - heredoc words on RUN/COPY/ADD lines (BuildKit's
 * ParseHeredoc and heredocsFromLine).
 *
 * A word matches ^(\d*)<<(-?)\s*([^<]*)$; its name is the rest lexed as one
 * shell word with unset variables left alone.  The name is lexed twice, with
 * and without raw quotes: if the quote counts differ, part of it was quoted
 * and the body is not expanded. */
#include <string.h>

#include "dockerfile_internal.h"
#include "parser.h"
#include "shell.h"
#include "../../base/cleanup.h"
#include "../../base/xalloc.h"
#include "../../base/banned.h"

void bld_heredoc_release(struct bld_heredoc *h)
{
    if (!h)
        return;
    free(h->name);
    free(h->content);
    memset(h, 0, sizeof(*h));
}

static size_t count_quotes(const char *s)
{
    size_t n = 0;
    for (; *s; s++)
        n += *s == '\'' || *s == '"';
    return n;
}

/* Lex rest as words with unset variables kept; raw keeps the quotes. */
static int lex_words(const char *rest, bool raw, struct cb_strv *out, struct cb_err **err)
{
    struct bld_shell_opts o = {.escape = '\\', .skip_unset = true, .raw_quotes = raw};
    return bld_shell_words(rest, &o, out, NULL, err);
}

int bld_heredoc_parse_word(const char *word, struct bld_heredoc *out, struct cb_err **err)
{
    const char *p = word;
    while (*p >= '0' && *p <= '9')
        p++;
    if (p[0] != '<' || p[1] != '<')
        return 0;
    unsigned long fd = 0;
    for (const char *d = word; d < p; d++)
        fd = fd > 100000000UL ? fd : fd * 10 + (unsigned long)(*d - '0');
    p += 2;
    bool chomp = *p == '-';
    if (chomp)
        p++;
    while (*p == ' ' || *p == '\t' || *p == '\n' || *p == '\f' || *p == '\r')
        p++;
    if (strchr(p, '<') || !*p)
        return 0;
    struct cb_strv words = CB_STRV_INIT, raw = CB_STRV_INIT;
    int rc = lex_words(p, false, &words, err);
    if (rc == 0 && words.n == 1) {
        rc = lex_words(p, true, &raw, err);
        if (rc == 0 && raw.n != words.n)
            rc = cb_fail(err, CB_ESYNTAX, 0,
                         "internal lexing of heredoc produced inconsistent results: %s", p);
        if (rc == 0) {
            *out = (struct bld_heredoc){
                .name = xstrdup(words.v[0]),
                .expand = count_quotes(words.v[0]) == count_quotes(raw.v[0]),
                .chomp = chomp,
                .fd = (int)(fd > 0x7fffffff ? 0x7fffffff : fd),
            };
            rc = 1;
        }
    }
    cb_strv_release(&words);
    cb_strv_release(&raw);
    return rc;
}

int bld_heredocs_from_line(const char *line, struct bld_heredoc **out, size_t *n,
                           struct cb_err **err)
{
    struct bld_shell_opts o = {
        .escape = '\\', .raw_quotes = true, .raw_escapes = true, .skip_unset = true};
    struct cb_strv words = CB_STRV_INIT;
    if (bld_shell_words(line, &o, &words, NULL, NULL) < 0) {
        cb_strv_release(&words); /* BuildKit ignores this error: no heredocs */
        return 0;
    }
    size_t alloc = *n;
    int rc = 0;
    for (size_t i = 0; i < words.n; i++) {
        struct bld_heredoc h;
        rc = bld_heredoc_parse_word(words.v[i], &h, err);
        if (rc < 0)
            break;
        if (rc > 0)
            DF_PUSH(*out, *n, alloc, h);
        rc = 0;
    }
    cb_strv_release(&words);
    return rc;
}

char *bld_heredoc_chomp(const char *content)
{
    struct cb_buf b;
    cb_buf_init(&b, CB_BUF_LIMIT_DEFAULT);
    bool bol = true;
    for (const char *p = content; *p; p++) {
        if (bol && *p == '\t')
            continue;
        bol = *p == '\n';
        (void)cb_buf_addc(&b, *p, NULL);
    }
    return cb_buf_detach(&b, NULL);
}
