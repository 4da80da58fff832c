/* fuzz_ignore.c - libFuzzer target for .dockerignore: the bytes before the
 * first NUL are an ignore file, the rest newline-separated paths, each
 * asked every way the matcher answers (and Go's filepath.Match of the first
 * pattern against it).  It must never crash, leak or hang. */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "../../base/strv.h"
#include "../../builder/dockerfile/ignore.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void ask(const struct bld_ignore *m, const char *pat, const char *path)
{
    struct cb_err *err = NULL;
    struct bld_ignore_state *st = NULL;
    bld_ignore_match(m, path, &err);
    cb_err_free(err), err = NULL;
    bld_ignore_match_legacy(m, path, &err);
    cb_err_free(err), err = NULL;
    bld_ignore_match_walk(m, path, NULL, &st, &err);
    cb_err_free(err), err = NULL;
    bld_ignore_match_walk(m, path, st, NULL, &err);
    cb_err_free(err), err = NULL;
    bld_ignore_state_free(st);
    bld_ignore_can_skip_dir(m, path, &err);
    cb_err_free(err), err = NULL;
    if (pat)
        bld_ignore_glob_match(pat, path, &err);
    cb_err_free(err);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    const char *text = (const char *)data;
    const char *nul = memchr(text, '\0', size);
    size_t flen = nul ? (size_t)(nul - text) : size;
    struct cb_strv pats = CB_STRV_INIT;
    struct cb_err *err = NULL;
    if (bld_ignore_parse(text, flen, &pats, &err) < 0) {
        cb_err_free(err);
        cb_strv_release(&pats);
        return 0;
    }
    struct bld_ignore *m = bld_ignore_new((const char *const *)pats.v, pats.n, &err);
    cb_err_free(err);
    if (m) {
        for (size_t i = 0; i < bld_ignore_count(m); i++) {
            const char *kind, *re;
            struct cb_err *e = NULL;
            bld_ignore_describe(m, i, &kind, &re, &e);
            cb_err_free(e);
        }
        const char *p = nul ? nul + 1 : text + size, *end = text + size;
        while (p < end) {
            const char *nl = memchr(p, '\n', (size_t)(end - p));
            size_t n = nl ? (size_t)(nl - p) : (size_t)(end - p);
            char *path = strndup(p, n); /* stops at a NUL: paths are C strings */
            ask(m, pats.n ? pats.v[0] : NULL, path);
            free(path);
            p += n + (nl != NULL);
        }
        bld_ignore_free(m);
    }
    cb_strv_release(&pats);
    return 0;
}
