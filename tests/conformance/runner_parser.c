/* runner_parser.c - BuildKit parser vectors (buildkit/parser/FORMAT.md):
 * testfiles (dump byte for byte), negative cases, line numbers, and the
 * transcribed table tests in vectors/.
 *   runner_parser DIR     (DIR = .../conformance/buildkit/parser) */
#include <dirent.h>

#include "conf.h"
#include "../../base/buf.h"
#include "../../builder/dockerfile/dockerfile_internal.h"
#include "../../builder/dockerfile/parser.h"
#include "../../base/banned.h"

static int by_name(const struct dirent **a, const struct dirent **b)
{
    return strcmp((*a)->d_name, (*b)->d_name);
}

static struct bld_ast *parse_path(const char *path, char **errmsg)
{
    size_t len;
    char *text = conf_read(path, &len);
    if (!text) {
        *errmsg = xstrdup("cannot read");
        return NULL;
    }
    struct cb_err *err = NULL;
    struct bld_ast *ast = bld_parse(text, len, &err);
    free(text);
    if (!ast) {
        *errmsg = xstrdup(err->msg);
        cb_err_free(err);
    }
    return ast;
}

static void testfiles(const char *dir, bool negative, struct tally *t)
{
    struct dirent **ents;
    int n = scandir(dir, &ents, NULL, by_name);
    for (int i = 0; i < n; i++) {
        const char *name = ents[i]->d_name;
        if (name[0] == '.') {
            free(ents[i]);
            continue;
        }
        char *df = xasprintf("%s/%s/Dockerfile", dir, name);
        char *errmsg = NULL;
        struct bld_ast *ast = parse_path(df, &errmsg);
        if (negative) {
            conf_result(t, !ast, "testfiles-negative/%s: parsed without error", name);
        } else if (!ast) {
            conf_result(t, false, "testfiles/%s: %s", name, errmsg);
        } else {
            char *rp = xasprintf("%s/%s/result", dir, name);
            char *want = conf_read(rp, NULL);
            struct cb_buf out;
            cb_buf_init(&out, CB_BUF_LIMIT_DEFAULT);
            bld_ast_dump(ast, &out, NULL);
            conf_result(t, want && !strcmp(want, cb_buf_str(&out)),
                        "testfiles/%s: dump differs:\n%s--- want:\n%s", name, cb_buf_str(&out),
                        want ? want : "(none)");
            cb_buf_release(&out);
            free(want);
            free(rp);
        }
        bld_ast_free(ast);
        free(errmsg);
        free(df);
        free(ents[i]);
    }
    free(ents);
}

static void line_numbers(const char *dir, struct tally *t)
{
    char *df = xasprintf("%s/testfile-line/Dockerfile", dir);
    char *ej = xasprintf("%s/testfile-line/expected.json", dir);
    json_error_t je;
    json_t *exp = json_load_file(ej, 0, &je);
    char *errmsg = NULL;
    struct bld_ast *ast = parse_path(df, &errmsg);
    if (!ast || !exp) {
        conf_result(t, false, "testfile-line: %s", errmsg ? errmsg : "no expected.json");
    } else {
        json_t *root = json_object_get(exp, "root"), *ch = json_object_get(exp, "children");
        conf_result(t,
                    ast->start_line == json_integer_value(json_object_get(root, "start")) &&
                        ast->end_line == json_integer_value(json_object_get(root, "end")),
                    "testfile-line: root span %d-%d", ast->start_line, ast->end_line);
        bool ok = json_array_size(ch) == ast->n;
        for (size_t i = 0; ok && i < ast->n; i++) {
            json_t *p = json_array_get(ch, i);
            ok = ast->nodes[i].start_line == json_integer_value(json_array_get(p, 0)) &&
                 ast->nodes[i].end_line == json_integer_value(json_array_get(p, 1));
        }
        conf_result(t, ok, "testfile-line: instruction spans differ");
    }
    bld_ast_free(ast);
    json_decref(exp);
    free(errmsg);
    free(df);
    free(ej);
}

static void directives_row(json_t *row, int ln, struct tally *t, void *ud)
{
    const char *fn = conf_str(row, "func"), *in = conf_str(row, "input");
    if (!strcmp(fn, "ParseAll")) {
        struct df_dirparser d;
        df_dirparser_init(&d, "#");
        json_t *want = json_object_get(row, "directives");
        size_t got = 0;
        bool ok = true;
        for (const char *p = in; *p && !d.done;) {
            const char *nl = strchr(p, '\n');
            size_t n = nl ? (size_t)(nl - p) : strlen(p);
            struct bld_ast tmp = {.escape = '\\'};
            if (df_dirparser_line(&d, &tmp, p, n, NULL) > 0) {
                json_t *pair = json_array_get(want, got++);
                const char *v = tmp.syntax.value       ? tmp.syntax.value
                                : tmp.escape_dir.value ? tmp.escape_dir.value
                                                       : tmp.check.value;
                const char *nm = tmp.syntax.set       ? "syntax"
                                 : tmp.escape_dir.set ? "escape"
                                                      : "check";
                ok = ok && pair && !strcmp(json_string_value(json_array_get(pair, 0)), nm) &&
                     !strcmp(json_string_value(json_array_get(pair, 1)), v);
            }
            free(tmp.syntax.value), free(tmp.escape_dir.value), free(tmp.check.value);
            p = nl ? nl + 1 : p + n;
        }
        conf_result(t, ok && got == json_array_size(want), "directives.jsonl:%d", ln);
        return;
    }
    const char *key = conf_str(row, "key");
    char *ref = NULL, *cmdline = NULL;
    int line = 0;
    int found =
        df_parse_directive(in, strlen(in), key, !strcmp(fn, "DetectSyntax"), &ref, &cmdline, &line);
    bool ok = found == json_is_true(json_object_get(row, "ok"));
    const char *wref = conf_str(row, "ref"), *wcmd = conf_str(row, "cmdline");
    json_t *wline = json_object_get(row, "line");
    if (wref)
        ok = ok && !strcmp(ref ? ref : "", wref);
    if (wcmd)
        ok = ok && !strcmp(cmdline ? cmdline : "", wcmd);
    if (wline && found)
        ok = ok && line == json_integer_value(wline);
    conf_result(t, ok, "directives.jsonl:%d: found=%d ref=%s line=%d", ln, found, ref, line);
    free(ref);
    free(cmdline);
}

static bool heredoc_eq(const struct bld_heredoc *h, json_t *j, bool with_content)
{
    return !strcmp(h->name, conf_str(j, "name")) &&
           (!with_content || !strcmp(h->content ? h->content : "", conf_str(j, "content"))) &&
           h->expand == json_is_true(json_object_get(j, "expand")) &&
           h->chomp == json_is_true(json_object_get(j, "chomp")) &&
           h->fd == json_integer_value(json_object_get(j, "fd"));
}

static void heredoc_row(json_t *row, int ln, struct tally *t, void *ud)
{
    struct bld_ast *ast = ud;
    size_t idx = (size_t)json_integer_value(json_object_get(row, "index"));
    json_t *want = json_object_get(row, "heredocs");
    if (!ast || idx >= ast->n) {
        conf_result(t, false, "heredocs.jsonl:%d: no instruction %zu", ln, idx);
        return;
    }
    const struct bld_node *n = &ast->nodes[idx];
    bool ok = json_is_null(want) ? n->nheredocs == 0 : n->nheredocs == json_array_size(want);
    for (size_t i = 0; ok && i < n->nheredocs; i++)
        ok = heredoc_eq(&n->heredocs[i], json_array_get(want, i), true);
    conf_result(t, ok, "heredocs.jsonl:%d (instruction %zu)", ln, idx);
}

static void heredoc_dir(const char *dir, const char *sub, struct tally *t)
{
    char *df = xasprintf("%s/vectors/%s/Dockerfile", dir, sub);
    char *vd = xasprintf("%s/vectors/%s", dir, sub);
    char *errmsg = NULL;
    struct bld_ast *ast = parse_path(df, &errmsg);
    if (!ast)
        conf_result(t, false, "%s: %s", sub, errmsg);
    conf_jsonl(vd, "heredocs.jsonl", heredoc_row, t, ast);
    bld_ast_free(ast);
    free(errmsg);
    free(df);
    free(vd);
}

static void chomp_row(json_t *row, int ln, struct tally *t, void *ud)
{
    char *got = bld_heredoc_chomp(conf_str(row, "input"));
    conf_result(t, !strcmp(got, conf_str(row, "output")), "heredoc_chomp.jsonl:%d", ln);
    free(got);
}

static void from_line_row(json_t *row, int ln, struct tally *t, void *ud)
{
    struct bld_heredoc *h = NULL;
    size_t n = 0;
    struct cb_err *err = NULL;
    int rc = bld_heredocs_from_line(conf_str(row, "line"), &h, &n, &err);
    json_t *names = json_object_get(row, "names");
    bool ok = rc >= 0 && n == json_array_size(names);
    for (size_t i = 0; ok && i < n; i++)
        ok = !strcmp(h[i].name, json_string_value(json_array_get(names, i)));
    conf_result(t, ok, "heredocs_from_line.jsonl:%d", ln);
    for (size_t i = 0; i < n; i++)
        bld_heredoc_release(&h[i]);
    free(h);
    cb_err_free(err);
}

static void json_array_row(json_t *row, int ln, struct tally *t, void *ud)
{
    struct cb_strv got = CB_STRV_INIT, want = CB_STRV_INIT;
    size_t *lens = NULL;
    struct cb_err *err = NULL;
    int rc = bld_parse_json_array(conf_str(row, "input"), &got, &lens, &err);
    json_t *exp = json_object_get(row, "expect");
    bool ok;
    if (json_is_string(exp)) {
        ok = rc < 0 && strstr(err->msg, "comprised of strings only");
    } else {
        ok = rc > 0 && got.n == json_array_size(exp);
        for (size_t i = 0; ok && i < got.n; i++) {
            json_t *e = json_array_get(exp, i);
            ok = lens[i] == json_string_length(e) &&
                 !memcmp(got.v[i], json_string_value(e), lens[i]);
        }
    }
    conf_result(t, ok, "json_array.jsonl:%d (rc %d)", ln, rc);
    cb_strv_release(&got);
    cb_strv_release(&want);
    free(lens);
    cb_err_free(err);
}

static void name_val_row(json_t *row, int ln, struct tally *t, void *ud)
{
    char *line = xasprintf("%s %s", conf_str(row, "cmd"), conf_str(row, "rest"));
    struct bld_node n = {0};
    struct cb_err *err = NULL;
    int rc = df_node_from_line(line, '\\', &n, 0, &err);
    const char *werr = conf_str(row, "error");
    bool ok;
    if (werr) {
        ok = rc < 0 && strstr(err->msg, werr);
    } else {
        struct cb_strv want = CB_STRV_INIT;
        conf_strv(json_object_get(row, "nodes"), &want);
        ok = rc == 0 && conf_strv_eq(&n.args, &want);
        cb_strv_release(&want);
    }
    conf_result(t, ok, "name_val.jsonl:%d", ln);
    df_node_release(&n);
    cb_err_free(err);
    free(line);
}

static void heredoc_word_row(json_t *row, int ln, struct tally *t, void *ud)
{
    struct bld_heredoc h = {0};
    struct cb_err *err = NULL;
    int rc = bld_heredoc_parse_word(conf_str(row, "input"), &h, &err);
    const char *exp = conf_str(row, "expect");
    bool ok = !strcmp(exp, "error")         ? rc < 0
              : !strcmp(exp, "not-heredoc") ? rc == 0
                                            : rc > 0 && !strcmp(h.name, conf_str(row, "name"));
    conf_result(t, ok, "parse_heredoc_word.jsonl:%d (rc %d)", ln, rc);
    bld_heredoc_release(&h);
    cb_err_free(err);
}

static void words_row(json_t *row, int ln, struct tally *t, void *ud)
{
    struct cb_strv got = CB_STRV_INIT, want = CB_STRV_INIT;
    bld_parse_words(conf_str(row, "input"), '\\', &got);
    conf_strv(json_object_get(row, "expect"), &want);
    conf_result(t, conf_strv_eq(&got, &want), "parse_words.jsonl:%d", ln);
    cb_strv_release(&got);
    cb_strv_release(&want);
}

/* The generator rows describe "\n\t\tFROM image\n\t\tLABEL test=<'a' x 65536>\n". */
static char *generate(const char *desc)
{
    if (!strstr(desc, "65536"))
        return NULL;
    struct cb_buf b;
    cb_buf_init(&b, CB_BUF_LIMIT_DEFAULT);
    cb_buf_adds(&b, "\n\t\tFROM image\n\t\tLABEL test=", NULL);
    for (int i = 0; i < 65536; i++)
        cb_buf_addc(&b, 'a', NULL);
    cb_buf_addc(&b, '\n', NULL);
    return cb_buf_detach(&b, NULL);
}

static void warnings_row(json_t *row, int ln, struct tally *t, void *ud)
{
    const char *in = conf_str(row, "input");
    char *gen = in ? NULL : generate(conf_str(row, "input_generator"));
    if (gen)
        in = gen;
    struct cb_err *err = NULL;
    struct bld_ast *ast = in ? bld_parse(in, strlen(in), &err) : NULL;
    bool ok;
    if (!json_is_true(json_object_get(row, "ok"))) {
        ok = !ast && err && strstr(err->msg, conf_str(row, "error"));
    } else {
        json_t *wc = json_object_get(row, "warnings_contain");
        ok = ast &&
             ast->nwarnings == (size_t)json_integer_value(json_object_get(row, "warning_count"));
        for (size_t i = 0; ok && i < json_array_size(wc); i++) {
            json_t *frags = json_array_get(wc, i);
            for (size_t j = 0; ok && j < json_array_size(frags); j++)
                ok =
                    strstr(ast->warnings[i].short_msg, json_string_value(json_array_get(frags, j)));
        }
        const char *d0 = conf_str(row, "detail0_contains");
        ok = ok && (!d0 || strstr(ast->warnings[0].detail, d0));
    }
    conf_result(t, ok, "warnings.jsonl:%d%s%s", ln, err ? ": " : "", err ? err->msg : "");
    bld_ast_free(ast);
    cb_err_free(err);
    free(gen);
}

int main(int argc, char **argv)
{
    if (argc != 2) {
        fprintf(stderr, "usage: runner_parser DIR\n");
        return 2;
    }
    const char *dir = argv[1];
    struct tally t = {0};
    char *p = xasprintf("%s/testfiles", dir);
    testfiles(p, false, &t);
    free(p);
    p = xasprintf("%s/testfiles-negative", dir);
    testfiles(p, true, &t);
    free(p);
    line_numbers(dir, &t);
    char *v = xasprintf("%s/vectors", dir);
    conf_jsonl(v, "directives.jsonl", directives_row, &t, NULL);
    heredoc_dir(dir, "heredoc-extract", &t);
    heredoc_dir(dir, "heredoc-json", &t);
    conf_jsonl(v, "heredoc_chomp.jsonl", chomp_row, &t, NULL);
    conf_jsonl(v, "heredocs_from_line.jsonl", from_line_row, &t, NULL);
    conf_jsonl(v, "json_array.jsonl", json_array_row, &t, NULL);
    conf_jsonl(v, "name_val.jsonl", name_val_row, &t, NULL);
    conf_jsonl(v, "parse_heredoc_word.jsonl", heredoc_word_row, &t, NULL);
    conf_jsonl(v, "parse_words.jsonl", words_row, &t, NULL);
    conf_jsonl(v, "warnings.jsonl", warnings_row, &t, NULL);
    free(v);
    printf("suite parser: %d passed, %d failed\n", t.pass, t.fail);
    return t.fail ? 1 : 0;
}
