/* shell.h - BuildKit's shell-word lexer (frontend/dockerfile/shell/lex.go).
 *
 * Expands $v, ${v} and the modifiers :- - :+ + :? ? # ## % %% / //, removes
 * quotes and escapes, and optionally splits into words the way ProcessWords
 * does.  Positional and special parameters are always empty.  Variable
 * values come from a lookup callback, so the same lexer serves the
 * Dockerfile's ARG/ENV scope, the build engine and the debug commands.
 */
#ifndef CBUILD_BUILDER_DOCKERFILE_SHELL_H
#define CBUILD_BUILDER_DOCKERFILE_SHELL_H

#include <stdbool.h>
#include <stddef.h>

#include "../../base/error.h"
#include "../../base/strv.h"

/* Return the value of name (borrowed, valid until the lexer call returns)
 * or NULL when it is unset. */
typedef const char *(*bld_lookup_fn)(void *userdata, const char *name);

struct bld_shell_opts {
    char escape;          /* '\\' (default when 0) or '`' */
    bld_lookup_fn lookup; /* NULL: everything unset */
    void *userdata;
    bool raw_quotes;  /* keep quote characters in the output */
    bool raw_escapes; /* keep escape characters in the output */
    bool skip_unset;  /* leave $VAR text alone when VAR is unset */
    bool skip_quotes; /* treat quotes as ordinary characters */
};

/* Names the lexer looked up, each once: matched (set) and unmatched. */
struct bld_shell_usage {
    struct cb_strv matched;
    struct cb_strv unmatched;
};
void bld_shell_usage_release(struct bld_shell_usage *u);

/* ProcessWord: one word in, one string out (no splitting).  usage may be
 * NULL.  Errors (CB_ESYNTAX) carry BuildKit's wording, e.g. "missing ':' in
 * substitution" or "VAR: message". */
char *bld_shell_word(const char *word, const struct bld_shell_opts *opts,
                     struct bld_shell_usage *usage, struct cb_err **err);

/* ProcessWords: expansion, then splitting at unquoted whitespace (including
 * whitespace produced by unquoted expansions).  Words are appended to out. */
int bld_shell_words(const char *text, const struct bld_shell_opts *opts, struct cb_strv *out,
                    struct bld_shell_usage *usage, struct cb_err **err);

/* A lookup over a "NAME=VALUE" list (last one wins; "NAME" alone is set
 * and empty): pass the struct cb_strv * as userdata. */
const char *bld_env_list_lookup(void *userdata, const char *name);

#endif
