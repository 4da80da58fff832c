/* fuzz_shell.c - libFuzzer target for the shell-word lexer: the input is
 * "NAME=VALUE\n..." lines, then a NUL byte, then the word.  Runs
 * ProcessWord (with usage tracking) and ProcessWords with both escape
 * characters and the heredoc-detection options. */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "../../base/strv.h"
#include "../../base/xalloc.h"
#include "../../builder/dockerfile/parser.h"
#include "../../builder/dockerfile/shell.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void run(const char *word, struct cb_strv *env, char esc, bool raw)
{
    struct bld_shell_opts o = {.escape = esc,
                               .lookup = bld_env_list_lookup,
                               .userdata = env,
                               .raw_quotes = raw,
                               .raw_escapes = raw,
                               .skip_unset = raw};
    struct bld_shell_usage u = {CB_STRV_INIT, CB_STRV_INIT};
    struct cb_err *err = NULL;
    free(bld_shell_word(word, &o, &u, &err));
    cb_err_free(err);
    err = NULL;
    struct cb_strv words = CB_STRV_INIT;
    bld_shell_words(word, &o, &words, NULL, &err);
    cb_err_free(err);
    cb_strv_release(&words);
    bld_shell_usage_release(&u);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    const char *nul = memchr(data, 0, size);
    size_t envlen = nul ? (size_t)(nul - (const char *)data) : 0;
    char *envtext = xstrndup((const char *)data, envlen);
    char *word = nul ? xstrndup(nul + 1, size - envlen - 1) : xstrndup((const char *)data, size);
    struct cb_strv env = CB_STRV_INIT;
    for (char *p = envtext, *nl; p && *p; p = nl ? nl + 1 : NULL) {
        nl = strchr(p, '\n');
        if (nl)
            *nl = 0;
        cb_strv_push(&env, p);
    }
    run(word, &env, '\\', false);
    run(word, &env, '`', false);
    run(word, &env, '\\', true);
    struct bld_heredoc *h = NULL;
    size_t n = 0;
    struct cb_err *err = NULL;
    bld_heredocs_from_line(word, &h, &n, &err);
    for (size_t i = 0; i < n; i++)
        bld_heredoc_release(&h[i]);
    free(h);
    cb_err_free(err);
    cb_strv_release(&env);
    free(envtext);
    free(word);
    return 0;
}
