/* checks.h - BuildKit's build checks (`docker build --check`): lint rules
 * run over a Dockerfile without building it.
 *
 * Same rule names, descriptions, URLs, messages and lines as BuildKit's
 * frontend/dockerfile/linter; `# check=skip=...;error=true;experimental=...`
 * (or the BUILDKIT_DOCKERFILE_CHECK build arg, which replaces it) and the
 * per-instruction `# check=skip=RULE` comment are honoured.  Nothing is
 * pulled: InvalidBaseImagePlatform runs only for base images the caller
 * knows (opts->base_platform).  See vendor-docs/checks.md.
 */
#ifndef CBUILD_DOCKERFILE_CHECKS_H
#define CBUILD_DOCKERFILE_CHECKS_H

#include <stdbool.h>
#include <stddef.h>

#include "ignore.h"
#include "stages.h"

struct bld_check_warning {
    const char *rule;        /* "UndefinedVar" (static) */
    const char *description; /* the rule's description (static) */
    const char *url;         /* documentation URL, "" when the rule has none */
    char *detail;            /* the formatted message */
    int line;                /* 1-based start line of the instruction */
    int level;               /* 1: warning */
};

/* Whether ref is a valid image reference (docker's ParseNormalizedNamed);
 * supplied by the caller because the frontend does not know references. */
typedef bool (*bld_ref_valid_fn)(void *userdata, const char *ref);

/* The platform of base image ref as it would be used for a build for want
 * (os, arch allocated), when it is known without fetching anything; false
 * when it is not.  For InvalidBaseImagePlatform. */
typedef bool (*bld_base_platform_fn)(void *userdata, const char *ref,
                                     const struct bld_platform *want, char **os, char **arch);

struct bld_check_opts {
    const struct bld_kvs *build_args; /* --build-arg K=V, may be NULL */
    const struct bld_ignore *ignore;  /* the context's .dockerignore, or NULL */
    struct bld_platform target, build;
    bld_ref_valid_fn ref_valid;         /* NULL: only an empty name is invalid */
    bld_base_platform_fn base_platform; /* NULL: InvalidBaseImagePlatform is not run */
    void *userdata;
};

struct bld_check_result {
    struct bld_check_warning *w; /* sorted by line, then detail */
    size_t n, alloc;
    /* A build error found while checking ("lint violation found for rules:
     * X" with check=error=true, or e.g. an empty platform), else NULL. */
    char *error;
    int error_line;   /* 0 when the error has no line */
    bool lint_error;  /* error is the check=error=true failure */
    bool parse_error; /* error is an instruction or stage error (message
                         already "Dockerfile:LINE: ..."); the warnings are
                         those found before it, as BuildKit reports them */
};

/* Run the checks on a Dockerfile held in memory.  Fails (and fills nothing)
 * with CB_ESYNTAX when the text does not parse or a check option is bad; an
 * instruction error (out->parse_error) or a build error the checks run into
 * is not a failure but goes to out->error, after the warnings found. */
int bld_check_run(const char *text, size_t len, const struct bld_check_opts *opts,
                  struct bld_check_result *out, struct cb_err **err);
void bld_check_result_release(struct bld_check_result *r);

/* The rules, for documentation and `--help`: name, description, url,
 * experimental.  Returns NULL past the end. */
struct bld_check_rule {
    const char *name;
    const char *description;
    const char *url;
    bool experimental;
};
const struct bld_check_rule *bld_check_rule_at(size_t i);

/* Helpers with BuildKit's exact behaviour, exposed for tests. */

/* Levenshtein distance over runes (agext/levenshtein with unit costs), as
 * BuildKit's suggestions measure it. */
size_t bld_check_distance(const char *a, const char *b);

/* util/suggest, case-sensitive (as every check uses it): the first of the
 * closest options (Levenshtein distance < 3), or NULL when none is close
 * enough or one equals v. */
const char *bld_check_suggest(const char *v, const char *const *options, size_t n);
/* Whether an ARG/ENV name looks like it holds a secret. */
bool bld_check_is_secret_name(const char *key);

#endif
