/* parser.h - Dockerfile text -> nodes (BuildKit's parser, byte for byte).
 *
 * The parser keeps what BuildKit's frontend/dockerfile/parser keeps: each
 * instruction's keyword as written and lowered, its raw --flags, its
 * argument values with quotes as written, JSON-vs-shell form, heredocs, the
 * ONBUILD child, start/end lines and the joined original text.  Directives
 * (syntax, escape, check) and warnings (empty continuation lines) are
 * collected, never printed.  Pure: text in, nodes out.
 */
#ifndef CBUILD_BUILDER_DOCKERFILE_PARSER_H
#define CBUILD_BUILDER_DOCKERFILE_PARSER_H

#include <stdbool.h>
#include <stddef.h>

#include "../../base/buf.h"
#include "../../base/error.h"
#include "../../base/strv.h"

/* BuildKit's maximum line length (bufio.Scanner buffer minus one). */
#define BLD_MAX_LINE 65535

struct bld_heredoc {
    char *name;    /* delimiter with quotes removed */
    char *content; /* body lines as written (tabs kept even with <<-) */
    bool expand;   /* false when any part of the name was quoted */
    bool chomp;    /* <<- : strip leading tabs when used */
    int fd;        /* 3<<EOF gives 3; 0 when no fd was written */
};

struct bld_node {
    char *keyword;          /* as written: "From" */
    char *cmd;              /* lower case: "from" */
    struct cb_strv flags;   /* raw flag words, quotes removed: "--from=x" */
    struct cb_strv args;    /* argument node values (BuildKit's Next chain) */
    size_t *arg_len;        /* byte length of each arg: a JSON "\u0000" makes it
                               differ from strlen(); the dump uses it */
    bool json;              /* exec (JSON array) form */
    struct bld_node *child; /* ONBUILD's nested instruction, else NULL */
    struct bld_heredoc *heredocs;
    size_t nheredocs;
    int start_line; /* 1-based, inclusive */
    int end_line;
    char *original;          /* the joined instruction text ("RUN echo hi") */
    struct cb_strv comments; /* comment lines directly above, without "# " */
};

struct bld_directive {
    bool set;
    char *value;
    int line; /* 1-based */
};

struct bld_parse_warning {
    int line;        /* 1-based line the warning is about */
    char *short_msg; /* "Empty continuation line" */
    char *detail;    /* longer text (BuildKit's warning) */
};

struct bld_ast {
    struct bld_node *nodes; /* top-level instructions, in file order */
    size_t n;
    char escape; /* '\\' or '`' */
    struct bld_directive syntax, escape_dir, check;
    struct bld_parse_warning *warnings;
    size_t nwarnings;
    int start_line, end_line; /* span of all instructions */
};

/* Parse a Dockerfile held in memory.  Errors are CB_ESYNTAX with BuildKit's
 * wording, prefixed "Dockerfile:LINE: " where a line is known (the only
 * exception is "file with no instructions", which has no line). */
struct bld_ast *bld_parse(const char *text, size_t len, struct cb_err **err);
/* Read a file (under a 16 MiB limit) and parse it. */
struct bld_ast *bld_parse_file(const char *path, struct cb_err **err);
void bld_ast_free(struct bld_ast *ast);
static inline void bld_ast_freep(struct bld_ast **p)
{
    bld_ast_free(*p);
}
#define cleanup_ast __attribute__((cleanup(bld_ast_freep)))

/* Append BuildKit's testfile dump of one node / the whole AST (one line per
 * instruction, each ending in "\n"). */
void bld_node_dump(const struct bld_node *n, struct cb_buf *out);
int bld_ast_dump(const struct bld_ast *ast, struct cb_buf *out, struct cb_err **err);

/* Go's strconv.Quote of len bytes, appended to out. */
void bld_go_quote(struct cb_buf *out, const char *s, size_t len);

/* Lower-level pieces, exposed for the instruction layer and the tests. */

/* Parse a JSON array of strings.  Returns 1 and fills out (and, when lens
 * is not NULL, *lens with each element's length) when text (after
 * leading whitespace) is such an array, 0 when it is not JSON (shell form),
 * and fails with BuildKit's "when using JSON array syntax, arrays must be
 * comprised of strings only" when it is JSON with a non-string element. */
int bld_parse_json_array(const char *text, struct cb_strv *out, size_t **lens, struct cb_err **err);

/* The quote-aware word splitter used for ENV, LABEL and ARG. */
void bld_parse_words(const char *rest, char escape, struct cb_strv *out);

/* A parser directive line: returns 1 and sets *name and *value (allocated) for
 * "# key=value", 0 otherwise. */
int bld_directive_parse_line(const char *line, char **name, char **value);

/* BuildKit's DetectSyntax: the `# syntax=` (or `//syntax=`, JSON, shebang)
 * reference.  Returns 1 and fills *ref, *cmdline and *line when found. */
int bld_detect_syntax(const char *text, size_t len, char **ref, char **cmdline, int *line);

/* Heredoc word parsing (ParseHeredoc): 1 with *out filled when word is a
 * heredoc, 0 when it is not, <0 on error (e.g. unbalanced quotes). */
int bld_heredoc_parse_word(const char *word, struct bld_heredoc *out, struct cb_err **err);
/* The heredocs named on one instruction line (name/expand/chomp/fd only). */
int bld_heredocs_from_line(const char *line, struct bld_heredoc **out, size_t *n,
                           struct cb_err **err);
/* Remove leading tabs from every line (what <<- does to the body). */
char *bld_heredoc_chomp(const char *content);
void bld_heredoc_release(struct bld_heredoc *h);

#endif
