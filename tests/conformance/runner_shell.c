/* runner_shell.c - BuildKit shell-lexer vectors (buildkit/shell/FORMAT.md):
 * envVarTest (ProcessWord), wordsTest (ProcessWords) and vectors/.
 *   runner_shell DIR     (DIR = .../conformance/buildkit/shell) */
#include <ctype.h>

#include "conf.h"
#include "../../base/error.h"
#include "../../builder/dockerfile/glob.h"
#include "../../builder/dockerfile/shell.h"
#include "../../base/banned.h"

static char *trim(char *s)
{
    while (isspace((unsigned char)*s))
        s++;
    size_t n = strlen(s);
    while (n > 0 && isspace((unsigned char)s[n - 1]))
        s[--n] = 0;
    return s;
}

static struct bld_shell_opts env_opts(struct cb_strv *env)
{
    return (struct bld_shell_opts){.escape = '\\', .lookup = bld_env_list_lookup, .userdata = env};
}

static void env_var_test(const char *dir, struct tally *t)
{
    char *path = xasprintf("%s/envVarTest", dir);
    char *text = conf_read(path, NULL);
    struct cb_strv env = CB_STRV_INIT;
    cb_strv_push(&env, "PWD=/home");
    cb_strv_push(&env, "SHELL=bash");
    cb_strv_push(&env, "KOREAN=한국어");
    cb_strv_push(&env, "NULL=");
    struct bld_shell_opts o = env_opts(&env);
    int ln = 0;
    for (char *line = text, *nl; line && *line; line = nl ? nl + 1 : NULL) {
        nl = strchr(line, '\n');
        if (nl)
            *nl = 0;
        ln++;
        if (line[0] == '#' || !*trim(line))
            continue;
        char *f[3];
        int nf = 0;
        for (char *p = line, *bar; nf < 3 && p; p = bar ? bar + 1 : NULL) {
            bar = strchr(p, '|');
            if (bar)
                *bar = 0;
            f[nf++] = trim(p);
            if (!bar)
                break;
        }
        if (nf != 3 || !strcmp(f[0], "W"))
            continue;
        struct cb_err *err = NULL;
        char *got = bld_shell_word(f[1], &o, NULL, &err);
        bool ok = !strcmp(f[2], "error") ? !got : got && !strcmp(got, f[2]);
        conf_result(t, ok, "envVarTest:%d: %s -> %s (want %s)", ln, f[1], got ? got : err->msg,
                    f[2]);
        free(got);
        cb_err_free(err);
    }
    cb_strv_release(&env);
    free(text);
    free(path);
}

static void words_test(const char *dir, struct tally *t)
{
    char *path = xasprintf("%s/wordsTest", dir);
    char *text = conf_read(path, NULL);
    struct cb_strv env = CB_STRV_INIT;
    struct bld_shell_opts o = env_opts(&env);
    int ln = 0;
    for (char *line = text, *nl; line && *line; line = nl ? nl + 1 : NULL) {
        nl = strchr(line, '\n');
        if (nl)
            *nl = 0;
        ln++;
        if (line[0] == '#' || !*line)
            continue;
        if (!strncmp(line, "ENV ", 4)) {
            char *v = line + 4;
            while (*v == ' ')
                v++;
            cb_strv_push(&env, v);
            continue;
        }
        char *bar = strchr(line, '|');
        if (!bar)
            continue;
        *bar = 0;
        char *in = trim(line), *exp = bar + 1;
        while (*exp == ' ')
            exp++;
        struct cb_strv got = CB_STRV_INIT, want = CB_STRV_INIT;
        struct cb_err *err = NULL;
        int rc = bld_shell_words(in, &o, &got, NULL, &err);
        bool ok;
        if (!strcmp(exp, "error")) {
            ok = rc < 0;
        } else {
            for (char *p = exp, *c; p; p = c ? c + 1 : NULL) {
                c = strchr(p, ',');
                if (c)
                    *c = 0;
                cb_strv_push(&want, p);
            }
            ok = rc == 0 && conf_strv_eq(&got, &want);
        }
        conf_result(t, ok, "wordsTest:%d: %s", ln, in);
        cb_strv_release(&got);
        cb_strv_release(&want);
        cb_err_free(err);
    }
    cb_strv_release(&env);
    free(text);
    free(path);
}

static void env_from_obj(json_t *obj, struct cb_strv *env)
{
    const char *k;
    json_t *v;
    json_object_foreach(obj, k, v)
    {
        cb_strv_pushf(env, "%s=%s", k, json_string_value(v));
    }
}

static bool set_eq(const struct cb_strv *got, json_t *want)
{
    if (!want)
        return true;
    if (got->n != json_array_size(want))
        return false;
    for (size_t i = 0; i < got->n; i++) {
        bool found = false;
        for (size_t j = 0; j < json_array_size(want); j++)
            found = found || !strcmp(got->v[i], json_string_value(json_array_get(want, j)));
        if (!found)
            return false;
    }
    return true;
}

static void match_row(json_t *row, int ln, struct tally *t, void *ud)
{
    const char *file = ud;
    struct cb_strv env = CB_STRV_INIT;
    env_from_obj(json_object_get(row, "env"), &env);
    struct bld_shell_opts o = env_opts(&env);
    struct bld_shell_usage u = {CB_STRV_INIT, CB_STRV_INIT};
    struct cb_err *err = NULL;
    const char *in = conf_str(row, "input");
    char *got = bld_shell_word(in, &o, &u, &err);
    const char *exp = conf_str(row, "expected"), *contains = conf_str(row, "error_contains");
    bool ok;
    if (json_is_true(json_object_get(row, "error")))
        ok = !got;
    else if (contains)
        ok = !got && strstr(err->msg, contains);
    else
        ok = got && !strcmp(got, exp) && set_eq(&u.matched, json_object_get(row, "matched")) &&
             set_eq(&u.unmatched, json_object_get(row, "unmatched"));
    conf_result(t, ok, "%s:%d: %s -> %s", file, ln, in, got ? got : err ? err->msg : "?");
    free(got);
    cb_err_free(err);
    bld_shell_usage_release(&u);
    cb_strv_release(&env);
}

static void regex_row(json_t *row, int ln, struct tally *t, void *ud)
{
    struct cb_err *err = NULL;
    char *got = bld_glob_to_regex(conf_str(row, "pattern"), true, true, &err);
    const char *want = conf_str(row, "regex");
    conf_result(t, want ? got && !strcmp(got, want) : !got, "pattern_to_regex.jsonl:%d: %s", ln,
                got ? got : "(error)");
    free(got);
    cb_err_free(err);
}

static char *reverse_runes_str(const char *s)
{
    /* reverseString: reverse by runes (UTF-8 aware). */
    size_t n = strlen(s);
    char *out = xmalloc(n + 1);
    size_t o = n;
    for (size_t i = 0; i < n;) {
        size_t w = 1;
        while (i + w < n && ((unsigned char)s[i + w] & 0xC0) == 0x80)
            w++;
        o -= w;
        memcpy(out + o, s + i, w);
        i += w;
    }
    out[n] = 0;
    return out;
}

static void reverse_row(json_t *row, int ln, struct tally *t, void *ud)
{
    const char *pat = conf_str(row, "pattern");
    char *got = pat ? bld_glob_reverse(pat) : reverse_runes_str(conf_str(row, "string"));
    const char *want = pat ? conf_str(row, "reversed") : conf_str(row, "reversed_string");
    conf_result(t, !strcmp(got, want), "reverse_pattern.jsonl:%d: %s", ln, got);
    free(got);
}

static void get_env_row(json_t *row, int ln, struct tally *t, void *ud)
{
    struct cb_strv env = CB_STRV_INIT;
    conf_strv(json_object_get(row, "env_list"), &env);
    const char *got = bld_env_list_lookup(&env, conf_str(row, "name"));
    conf_result(t, !strcmp(got ? got : "", conf_str(row, "value")), "get_env.jsonl:%d", ln);
    cb_strv_release(&env);
}

int main(int argc, char **argv)
{
    if (argc != 2) {
        fprintf(stderr, "usage: runner_shell DIR\n");
        return 2;
    }
    struct tally t = {0};
    env_var_test(argv[1], &t);
    words_test(argv[1], &t);
    char *v = xasprintf("%s/vectors", argv[1]);
    conf_jsonl(v, "process_with_matches.jsonl", match_row, &t, "process_with_matches.jsonl");
    conf_jsonl(v, "mandatory_env.jsonl", match_row, &t, "mandatory_env.jsonl");
    conf_jsonl(v, "platform_args.jsonl", match_row, &t, "platform_args.jsonl");
    conf_jsonl(v, "pattern_to_regex.jsonl", regex_row, &t, NULL);
    conf_jsonl(v, "reverse_pattern.jsonl", reverse_row, &t, NULL);
    conf_jsonl(v, "get_env.jsonl", get_env_row, &t, NULL);
    free(v);
    printf("suite shell: %d passed, %d failed\n", t.pass, t.fail);
    return t.fail ? 1 : 0;
}
