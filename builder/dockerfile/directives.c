/* directives.c - parser directives (# syntax=, # escape=, # check=).
 *
 * BuildKit's DirectiveParser: only the leading block of comment lines is
 * looked at; each line must match ^#\s*([a-zA-Z][a-zA-Z0-9]*)\s*=\s*(.+?)\s*$
 * with a known name, and the first line that does not ends the block for
 * good.  DetectSyntax also accepts a shebang line, `//syntax=` lines and a
 * JSON {"syntax": ...} document. */
#include <jansson.h>
#include <string.h>
#include <strings.h>

#include "dockerfile_internal.h"
#include "parser.h"
#include "../../base/cleanup.h"
#include "../../base/xalloc.h"
#include "../../base/banned.h"

static const char *const names[] = {"syntax", "escape", "check"};

void df_dirparser_init(struct df_dirparser *d, const char *prefix)
{
    memset(d, 0, sizeof(*d));
    d->prefix = prefix;
}

/* RE2's \s: [\t\n\f\r ] (no \v). */
static bool re_s(char c)
{
    return c == '\t' || c == '\n' || c == '\f' || c == '\r' || c == ' ';
}

static bool is_alpha(char c)
{
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z');
}

/* Match the directive regexp on s[0..n).  Returns 1 with *name and *value. */
static int match_directive(const char *s, size_t n, char **name, char **value)
{
    size_t i = 0;
    if (n == 0 || !is_alpha(s[0]))
        return 0;
    while (i < n && (is_alpha(s[i]) || (s[i] >= '0' && s[i] <= '9')))
        i++;
    size_t name_end = i;
    while (i < n && re_s(s[i]))
        i++;
    if (i >= n || s[i] != '=')
        return 0;
    i++;
    size_t after_eq = i;
    while (i < n && re_s(s[i]))
        i++;
    if (memchr(s + i, '\n', n - i))
        return 0;
    size_t vs = i, ve = n;
    if (vs == ve) {
        if (i == after_eq)
            return 0;
        vs = ve - 1; /* (.+?) takes the last blank back */
    } else {
        while (ve > vs + 1 && re_s(s[ve - 1]))
            ve--;
    }
    *name = xstrndup(s, name_end);
    *value = xstrndup(s + vs, ve - vs);
    return 1;
}

int bld_directive_parse_line(const char *line, char **name, char **value)
{
    size_t n = strlen(line);
    if (n == 0 || line[0] != '#')
        return 0;
    size_t k = 1 + go_skip_space(line + 1, n - 1);
    return match_directive(line + k, n - k, name, value);
}

static int known(const char *name)
{
    for (int i = 0; i < 3; i++)
        if (!strcasecmp(name, names[i]))
            return i;
    return -1;
}

static void record(struct bld_ast *ast, int which, char *value, int line)
{
    struct bld_directive *d = which == 0   ? &ast->syntax
                              : which == 1 ? &ast->escape_dir
                                           : &ast->check;
    free(d->value);
    d->set = true;
    d->value = value;
    d->line = line;
    if (which == 1)
        ast->escape = value[0];
}

int df_dirparser_line(struct df_dirparser *d, struct bld_ast *ast, const char *s, size_t n,
                      struct cb_err **err)
{
    d->line++;
    if (d->done)
        return 0;
    size_t pl = strlen(d->prefix);
    if (n < pl || memcmp(s, d->prefix, pl)) {
        d->done = true;
        return 0;
    }
    size_t k = pl + go_skip_space(s + pl, n - pl);
    cleanup_free char *name = NULL;
    cleanup_free char *value = NULL;
    int which;
    if (!match_directive(s + k, n - k, &name, &value) || (which = known(name)) < 0) {
        d->done = true;
        return 0;
    }
    if (d->seen[which])
        return cb_fail(err, CB_ESYNTAX, 0, "only one %s parser directive can be used",
                       names[which]);
    d->seen[which] = true;
    if (which == 1 && strcmp(value, "`") && strcmp(value, "\\"))
        return cb_fail(err, CB_ESYNTAX, 0, "invalid escape token '%s' does not match ` or \\",
                       value);
    if (ast)
        record(ast, which, TAKE_PTR(value), d->line);
    return 1;
}

/* Run a directive parser over text; 1 when key was found. */
static int find_with(const char *text, size_t len, const char *prefix, int first_line,
                     const char *key, char **value, int *line)
{
    struct df_dirparser d;
    df_dirparser_init(&d, prefix);
    d.line = first_line;
    struct bld_ast tmp = {.escape = '\\'};
    for (size_t pos = 0; pos < len && !d.done;) {
        const char *nl = memchr(text + pos, '\n', len - pos);
        size_t n = nl ? (size_t)(nl - (text + pos)) : len - pos;
        size_t m = n;
        if (m > 0 && text[pos + m - 1] == '\r')
            m--; /* bufio.ScanLines drops one \r */
        if (df_dirparser_line(&d, &tmp, text + pos, m, NULL) < 0)
            break;
        pos += n + (nl ? 1 : 0);
    }
    int w = known(key);
    struct bld_directive *dir = w == 0 ? &tmp.syntax : w == 1 ? &tmp.escape_dir : &tmp.check;
    int found = dir->set;
    if (found) {
        *value = TAKE_PTR(dir->value);
        *line = dir->line;
    }
    free(tmp.syntax.value);
    free(tmp.escape_dir.value);
    free(tmp.check.value);
    return found;
}

static int json_directive(const char *text, size_t len, const char *key, char **value)
{
    json_error_t jerr;
    json_t *doc = json_loadb(text, len, 0, &jerr);
    if (!doc)
        return 0;
    json_t *v = json_is_object(doc) ? json_object_get(doc, key) : NULL;
    int found = v && json_is_string(v);
    if (found)
        *value = xstrdup(json_string_value(v));
    json_decref(doc);
    return found;
}

int df_parse_directive(const char *text, size_t len, const char *key, bool any_format, char **ref,
                       char **cmdline, int *line)
{
    if (len >= 3 && !memcmp(text, "\xEF\xBB\xBF", 3))
        text += 3, len -= 3;
    int first = 0;
    const char *nl = memchr(text, '\n', len);
    if (len >= 2 && text[0] == '#' && text[1] == '!') {
        size_t skip = nl ? (size_t)(nl - text) + 1 : len;
        text += skip, len -= skip, first = 1;
    }
    char *value = NULL;
    int found = find_with(text, len, "#", first, key, &value, line);
    if (!found && any_format)
        found = find_with(text, len, "//", first, key, &value, line);
    if (!found && any_format && json_directive(text, len, key, &value)) {
        found = 1;
        *line = first;
    }
    if (!found)
        return 0;
    *cmdline = value;
    const char *sp = strchr(value, ' ');
    *ref = sp ? xstrndup(value, (size_t)(sp - value)) : xstrdup(value);
    return 1;
}

int bld_detect_syntax(const char *text, size_t len, char **ref, char **cmdline, int *line)
{
    return df_parse_directive(text, len, "syntax", true, ref, cmdline, line);
}
