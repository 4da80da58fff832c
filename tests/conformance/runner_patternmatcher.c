/* runner_patternmatcher.c - runs ../shared/conformance/patternmatcher
 * (see its FORMAT.md) against builder/dockerfile/ignore.c and prints one
 * "suite patternmatcher-FILE: N passed, N failed" line per vector file,
 * with a line for every failing case.
 *
 * usage: runner_patternmatcher DIR
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../../base/buf.h"
#include "../../base/cleanup.h"
#include "../../base/fsutil.h"
#include "../../base/json.h"
#include "../../base/strv.h"
#include "../../builder/dockerfile/ignore.h"
#include "../../base/banned.h"

struct tally {
    int pass, fail;
};

static void record(struct tally *t, int ok, const char *file, int line, const char *what)
{
    if (ok) {
        t->pass++;
        return;
    }
    t->fail++;
    printf("FAIL %s:%d: %s\n", file, line, what);
}

/* Split a TSV line in place into at most max fields. */
static int split_tab(char *line, char **f, int max)
{
    int n = 0;
    f[n++] = line;
    for (char *p = line; *p && n < max; p++)
        if (*p == '\t')
            *p = '\0', f[n++] = p + 1;
    return n;
}

/* The parent directories of path, as MatchesUsingParentResult(s) callers
 * walk them: filepath.Dir split on '/', joined one more element at a time. */
static void parents_of(const char *path, struct cb_strv *out)
{
    const char *slash = strrchr(path, '/');
    cleanup_free char *head = strndup(path, slash ? (size_t)(slash - path + 1) : 0);
    cleanup_free char *dir = bld_ignore_clean_path(head);
    if (!strcmp(dir, "."))
        return;
    for (char *p = dir;; p++) {
        if (*p == '/' || !*p)
            cb_strv_push_take(out, strndup(dir, (size_t)(p - dir)));
        if (!*p)
            break;
    }
}

/* Forms 1-4 of FORMAT.md; -1 on error.  form 2 uses the bool walk. */
static int ask(const struct bld_ignore *m, const char *path, int form)
{
    struct cb_err *err = NULL;
    int r = -1;
    if (form == 1 || form == 4) {
        r = form == 1 ? bld_ignore_match(m, path, &err)
                      : bld_ignore_match_walk(m, path, NULL, NULL, &err);
        cb_err_free(err);
        return r;
    }
    cleanup_strv_s struct cb_strv ps = CB_STRV_INIT;
    parents_of(path, &ps);
    bool pm = false;
    struct bld_ignore_state *st = NULL, *nst = NULL;
    for (size_t i = 0; i <= ps.n; i++) {
        const char *p = i < ps.n ? ps.v[i] : path;
        if (form == 2) {
            r = bld_ignore_match_parent_bool(m, p, pm, &err);
            pm = r > 0;
        } else {
            r = bld_ignore_match_walk(m, p, st, &nst, &err);
            bld_ignore_state_free(st);
            st = TAKE_PTR(nst);
        }
        if (r < 0 && i < ps.n)
            r = 0; /* upstream's walkers ignore a parent's error */
    }
    bld_ignore_state_free(st);
    cb_err_free(err);
    return r;
}

static struct bld_ignore *new_from(json_t *arr, struct cb_err **err)
{
    size_t n = json_array_size(arr);
    const char **v = calloc(n + 1, sizeof(char *));
    for (size_t i = 0; i < n; i++)
        v[i] = json_string_value(json_array_get(arr, i));
    struct bld_ignore *m = bld_ignore_new(v, n, err);
    free(v);
    return m;
}

static char *read_text(const char *dir, const char *name)
{
    cleanup_free char *path = cb_path_join(dir, name);
    struct cb_buf b;
    cb_buf_init(&b, CB_BUF_LIMIT_DEFAULT);
    struct cb_err *err = NULL;
    if (cb_read_file(path, &b, &err) < 0) {
        printf("cannot read %s: %s\n", path, err->msg);
        cb_err_free(err);
        cb_buf_release(&b);
        return NULL;
    }
    return cb_buf_detach(&b, NULL);
}

/* Run fn on every line after the header. */
static void each_line(char *text, int skip_header, void (*fn)(char *line, int lineno, void *ud),
                      void *ud)
{
    int lineno = 0;
    for (char *l = text; l && *l;) {
        char *nl = strchr(l, '\n');
        if (nl)
            *nl = '\0';
        lineno++;
        if (lineno > skip_header && *l)
            fn(l, lineno, ud);
        l = nl ? nl + 1 : NULL;
    }
}

static void do_matches(char *line, int lineno, void *ud)
{
    char *f[4];
    if (split_tab(line, f, 4) < 4 || (strcmp(f[3], "all") && strcmp(f[3], "unix")))
        return;
    const char *pats[] = {f[0]};
    struct cb_err *err = NULL;
    struct bld_ignore *m = bld_ignore_new(pats, 1, &err);
    int want = !strcmp(f[2], "true"), ok = m != NULL;
    for (int form = 1; ok && form <= 4; form++)
        ok = ask(m, f[1], form) == want;
    char what[512];
    snprintf(what, sizeof(what), "pattern '%s' path '%s' want %s", f[0], f[1], f[2]);
    record(ud, ok, "matches.tsv", lineno, what);
    bld_ignore_free(m);
    cb_err_free(err);
}

static void do_filepath(char *line, int lineno, void *ud)
{
    char *f[5];
    if (split_tab(line, f, 5) < 5)
        return;
    const char *pats[] = {f[0]};
    struct cb_err *err = NULL;
    struct bld_ignore *m = bld_ignore_new(pats, 1, &err);
    int got = m ? bld_ignore_match_legacy(m, f[1], &err) : -1;
    int want = *f[3] ? -1 : !strcmp(f[2], "true");
    int ok = got == want && (want >= 0 || strstr(err->msg, "syntax error in pattern"));
    char what[512];
    snprintf(what, sizeof(what), "pattern '%s' name '%s': want %d got %d", f[0], f[1], want, got);
    record(ud, ok, "filepath_match.tsv", lineno, what);
    bld_ignore_free(m);
    cb_err_free(err);
}

static void do_compile(char *line, int lineno, void *ud)
{
    char *f[4];
    int n = split_tab(line, f, 4);
    if (n < 2)
        return;
    const char *pats[] = {f[0]}, *kind = NULL, *re = NULL;
    struct cb_err *err = NULL;
    struct bld_ignore *m = bld_ignore_new(pats, 1, &err);
    int ok = m && bld_ignore_describe(m, 0, &kind, &re, &err) == 0 && !strcmp(kind, f[1]) &&
             !strcmp(re ? re : "", n > 2 ? f[2] : "");
    char what[512];
    snprintf(what, sizeof(what), "pattern '%s': got %s '%s'", f[0], kind ? kind : "error",
             re ? re : "");
    record(ud, ok, "compile.tsv", lineno, what);
    bld_ignore_free(m);
    cb_err_free(err);
}

static int misc_case(json_t *c)
{
    const char *api = cb_json_peek_str(c, "api");
    json_t *want_err = json_object_get(c, "error");
    bool expect_err = want_err && !json_is_false(want_err);
    cleanup_err struct cb_err *err = NULL;
    cleanup_ignore struct bld_ignore *m = new_from(json_object_get(c, "patterns"), &err);
    if (!strcmp(api, "New")) {
        if (!m)
            return expect_err;
        json_t *cnt = json_object_get(c, "pattern_count"), *ex = json_object_get(c, "exclusions");
        if (expect_err || (cnt && (size_t)json_integer_value(cnt) != bld_ignore_count(m)))
            return 0;
        return !ex || json_is_true(ex) == bld_ignore_has_exclusions(m);
    }
    const char *path = cb_json_peek_str(c, "path");
    if (!strcmp(api, "Matches")) {
        int r = m ? bld_ignore_match_legacy(m, path, &err) : -1;
        if (expect_err)
            return r < 0;
        return r == json_is_true(json_object_get(c, "match"));
    }
    if (!strcmp(api, "MatchesOrParentMatches")) {
        if (!m)
            return 0;
        int r1 = bld_ignore_match(m, path, &err), r2 = bld_ignore_match(m, path, &err);
        if (expect_err)
            return r1 < 0 && r2 < 0 && strstr(err->msg, "syntax error in pattern");
        return r1 == json_is_true(json_object_get(c, "match"));
    }
    return 0;
}

static int multi_case(json_t *c)
{
    cleanup_err struct cb_err *err = NULL;
    cleanup_ignore struct bld_ignore *m = new_from(json_object_get(c, "patterns"), &err);
    int want = json_is_true(json_object_get(c, "match"));
    const char *path = cb_json_peek_str(c, "path");
    return m && ask(m, path, 1) == want && ask(m, path, 3) == want && ask(m, path, 4) == want;
}

static int ignorefile_case(json_t *c)
{
    json_t *in = json_object_get(c, "input"), *want = json_object_get(c, "expected");
    cleanup_strv_s struct cb_strv got = CB_STRV_INIT;
    cleanup_err struct cb_err *err = NULL;
    if (json_is_string(in) &&
        bld_ignore_parse(json_string_value(in), json_string_length(in), &got, &err) < 0)
        return 0;
    if (got.n != json_array_size(want))
        return 0;
    for (size_t i = 0; i < got.n; i++)
        if (strcmp(got.v[i], json_string_value(json_array_get(want, i))))
            return 0;
    return 1;
}

struct jsonl {
    struct tally *t;
    const char *file;
    int (*fn)(json_t *c);
};

static void do_jsonl(char *line, int lineno, void *ud)
{
    struct jsonl *j = ud;
    cleanup_err struct cb_err *err = NULL;
    cleanup_json json_t *c = cb_json_parse(line, strlen(line), j->file, &err);
    if (!c) {
        record(j->t, 0, j->file, lineno, err->msg);
        return;
    }
    record(j->t, j->fn(c), j->file, lineno, line);
}

int main(int argc, char **argv)
{
    if (argc != 2) {
        fprintf(stderr, "usage: runner_patternmatcher DIR\n");
        return 2;
    }
    static const struct {
        const char *file;
        void (*tsv)(char *, int, void *);
        int (*json)(json_t *);
    } files[] = {
        {"matches.tsv", do_matches, NULL},         {"matches_multi.jsonl", NULL, multi_case},
        {"filepath_match.tsv", do_filepath, NULL}, {"compile.tsv", do_compile, NULL},
        {"misc.jsonl", NULL, misc_case},           {"ignorefile.jsonl", NULL, ignorefile_case},
    };
    int failed = 0;
    for (size_t i = 0; i < sizeof(files) / sizeof(files[0]); i++) {
        struct tally t = {0, 0};
        cleanup_free char *text = read_text(argv[1], files[i].file);
        if (!text) {
            t.fail++;
        } else if (files[i].tsv) {
            each_line(text, 1, files[i].tsv, &t);
        } else {
            struct jsonl j = {&t, files[i].file, files[i].json};
            each_line(text, 0, do_jsonl, &j);
        }
        cleanup_free char *name = strndup(files[i].file, strcspn(files[i].file, "."));
        printf("suite patternmatcher-%s: %d passed, %d failed\n", name, t.pass, t.fail);
        failed += t.fail;
    }
    return failed ? 1 : 0;
}
