/* argfile.c - KEY=VALUE build-arg files. */
#include <ctype.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#include "argfile.h"
#include "../base/buf.h"
#include "../base/fsutil.h"
#include "../base/xalloc.h"
#include "../base/banned.h"

#define ARGFILE_LIMIT ((size_t)4 << 20)

static bool valid_name(const char *s, size_t n)
{
    if (n == 0 || (!isalpha((unsigned char)s[0]) && s[0] != '_'))
        return false;
    for (size_t i = 1; i < n; i++)
        if (!isalnum((unsigned char)s[i]) && s[i] != '_')
            return false;
    return true;
}

/* The value of v[0..n) with quotes and comments handled; NULL when a quote
 * is not closed. */
static char *value_of(const char *v, size_t n)
{
    struct cb_buf b;
    cb_buf_init(&b, ARGFILE_LIMIT);
    if (n >= 1 && (v[0] == '"' || v[0] == '\'')) {
        char q = v[0];
        size_t i = 1;
        for (; i < n && v[i] != q; i++) {
            if (q == '"' && v[i] == '\\' && i + 1 < n) {
                char e = v[++i];
                cb_buf_addc(&b, e == 'n' ? '\n' : e == 't' ? '\t' : e, NULL);
                continue;
            }
            cb_buf_addc(&b, v[i], NULL);
        }
        if (i >= n) {
            cb_buf_release(&b);
            return NULL;
        }
        return cb_buf_detach(&b, NULL);
    }
    for (size_t i = 0; i < n; i++) {
        if (v[i] == '#' && i > 0 && isspace((unsigned char)v[i - 1]))
            break;
        cb_buf_addc(&b, v[i], NULL);
    }
    while (b.len && isspace((unsigned char)b.data[b.len - 1]))
        cb_buf_truncate(&b, b.len - 1);
    return cb_buf_detach(&b, NULL);
}

static int parse_line(const char *name, int lineno, const char *l, size_t n, struct cb_strv *out,
                      struct cb_err **err)
{
    const char *eq;
    char *val;

    while (n && isspace((unsigned char)*l))
        l++, n--;
    while (n && isspace((unsigned char)l[n - 1]))
        n--;
    if (n == 0 || *l == '#')
        return 0;
    if (n > 7 && !strncmp(l, "export ", 7)) {
        l += 7;
        n -= 7;
        while (n && isspace((unsigned char)*l))
            l++, n--;
    }
    eq = memchr(l, '=', n);
    if (!eq)
        return cb_fail(err, CB_EINVAL, 0, "%s:%d: want KEY=VALUE, got '%.*s'", name, lineno, (int)n,
                       l);
    if (!valid_name(l, (size_t)(eq - l)))
        return cb_fail(err, CB_EINVAL, 0, "%s:%d: '%.*s' is not a valid build arg name", name,
                       lineno, (int)(eq - l), l);
    val = value_of(eq + 1, n - (size_t)(eq - l) - 1);
    if (!val)
        return cb_fail(err, CB_EINVAL, 0, "%s:%d: unterminated quote", name, lineno);
    cb_strv_pushf(out, "%.*s=%s", (int)(eq - l), l, val);
    free(val);
    return 0;
}

int bld_argfile_parse(const char *name, const char *text, size_t len, struct cb_strv *out,
                      struct cb_err **err)
{
    int lineno = 0;

    for (size_t i = 0; i < len;) {
        const char *nl = memchr(text + i, '\n', len - i);
        size_t n = nl ? (size_t)(nl - (text + i)) : len - i;
        if (n && text[i + n - 1] == '\r')
            n--;
        if (parse_line(name, ++lineno, text + i, n, out, err) < 0)
            return -CB_EINVAL;
        i += (nl ? (size_t)(nl - (text + i)) + 1 : n);
    }
    return 0;
}

int bld_argfile_load(const char *path, struct cb_strv *out, struct cb_err **err)
{
    struct cb_buf b;
    int rc;

    cb_buf_init(&b, ARGFILE_LIMIT);
    rc = cb_read_file(path, &b, err);
    if (rc == 0)
        rc = bld_argfile_parse(path, cb_buf_str(&b), b.len, out, err);
    cb_buf_release(&b);
    return rc;
}
