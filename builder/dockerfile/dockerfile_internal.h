/* dockerfile_internal.h - helpers shared by the frontend's files only.
 *
 * BuildKit is written in Go, and its parser and lexer lean on Go's unicode
 * package and UTF-8 decoding; these reproduce the parts it uses so that
 * byte-for-byte results match.
 */
#ifndef CBUILD_BUILDER_DOCKERFILE_DOCKERFILE_INTERNAL_H
#define CBUILD_BUILDER_DOCKERFILE_DOCKERFILE_INTERNAL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "../../base/buf.h"
#include "../../base/strv.h"

#define GO_RUNE_ERROR 0xFFFD

/* Decode one rune at s[0..n) (n > 0) like Go's utf8.DecodeRune: invalid
 * input gives GO_RUNE_ERROR with width 1. */
uint32_t go_decode_rune(const char *s, size_t n, int *width);
/* Append rune r as UTF-8 (Go's WriteRune: invalid runes become U+FFFD). */
void go_buf_add_rune(struct cb_buf *b, uint32_t r);
/* Go's unicode.IsSpace / IsLetter / IsDigit / IsPrint. */
bool go_isspace(uint32_t r);
bool go_isletter(uint32_t r);
bool go_isdigit(uint32_t r);
bool go_isprint(uint32_t r);
/* Width of the unicode space starting at s, or 0. */
int go_space_at(const char *s, size_t n);
/* strings.TrimLeftFunc(unicode.IsSpace) / TrimSpace, as offsets. */
size_t go_skip_space(const char *s, size_t n);
size_t go_trim_right_space(const char *s, size_t n);
/* ASCII lower-case copy. */
char *df_lower(const char *s);

/* Append to a growing array of n elements. */
#define DF_PUSH(arr, n, alloc, val)                                                                \
    do {                                                                                           \
        XGROW((arr), (n) + 1, (alloc));                                                            \
        (arr)[(n)++] = (val);                                                                      \
    } while (0)

/* line_parsers.c: one joined instruction line -> a node (newNodeFromLine).
 * depth counts ONBUILD nesting. */
struct bld_node;
int df_node_from_line(const char *line, char escape, struct bld_node *out, int depth,
                      struct cb_err **err);
void df_node_add_arg(struct bld_node *n, const char *s, size_t len);
void df_node_release(struct bld_node *n);

/* directives.c: BuildKit's DirectiveParser. */
struct bld_ast;
struct df_dirparser {
    const char *prefix; /* "#" or "//" */
    int line;
    bool done;
    bool seen[3];
};
void df_dirparser_init(struct df_dirparser *d, const char *prefix);
/* Feed one line (newline trimmed).  Returns 1 and records the directive in
 * ast (when not NULL; escape also sets ast->escape) for a directive, 0 for
 * anything else, <0 on a repeated directive or a bad escape value. */
int df_dirparser_line(struct df_dirparser *d, struct bld_ast *ast, const char *s, size_t n,
                      struct cb_err **err);
/* ParseDirective / DetectSyntax (any_format). */
int df_parse_directive(const char *text, size_t len, const char *key, bool any_format, char **ref,
                       char **cmdline, int *line);

/* instr_flags.c: BuildKit's BFlags over a node's raw flag words. */
enum df_flag_type { DF_FLAG_BOOL, DF_FLAG_STRING, DF_FLAG_STRINGS };
struct df_flag {
    const char *name;
    enum df_flag_type type;
    const char *def; /* default ("false"/"true" for bools) */
    /* results */
    bool used;
    const char *value;     /* borrowed from the flag word, or def */
    struct cb_strv values; /* DF_FLAG_STRINGS */
};
#define DF_FLAG(n, t, d)                                                                           \
    {                                                                                              \
        .name = (n), .type = (t), .def = (d)                                                       \
    }
/* Parse words against defs (terminated by a NULL name); records used names
 * in *used (sorted as given).  Errors are BuildKit's ("unknown flag: --x"). */
int df_flags_parse(const struct cb_strv *words, struct df_flag *defs, struct cb_strv *used,
                   struct cb_err **err);
void df_flags_release(struct df_flag *defs);
bool df_flag_true(const struct df_flag *f);

/* instr_mount.c: a --mount value whose from= holds a '$' not at its end. */
bool df_mount_from_has_var(const char *spec);

/* instr_mount.c: expand every key=value value of a --mount spec with
 * opts (BuildKit expands per field), giving the spec back re-quoted. */
struct bld_shell_opts;
struct bld_shell_usage;
char *df_mount_expand(const char *spec, const struct bld_shell_opts *opts,
                      struct bld_shell_usage *usage, struct cb_err **err);

#endif
