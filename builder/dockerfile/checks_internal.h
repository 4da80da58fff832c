/* checks_internal.h - what checks.c (rules, configuration, reporting) and
 * checks_walk.c (the stage walk that mirrors BuildKit's dispatch) share. */
#ifndef CBUILD_DOCKERFILE_CHECKS_INTERNAL_H
#define CBUILD_DOCKERFILE_CHECKS_INTERNAL_H

#include <stdarg.h>

#include "checks.h"

enum lint_rule {
    R_STAGE_NAME_CASING,
    R_FROM_AS_CASING,
    R_NO_EMPTY_CONTINUATION,
    R_CONSISTENT_INSTRUCTION_CASING,
    R_DUPLICATE_STAGE_NAME,
    R_RESERVED_STAGE_NAME,
    R_JSON_ARGS_RECOMMENDED,
    R_MAINTAINER_DEPRECATED,
    R_UNDEFINED_ARG_IN_FROM,
    R_WORKDIR_RELATIVE_PATH,
    R_UNDEFINED_VAR,
    R_MULTIPLE_INSTRUCTIONS_DISALLOWED,
    R_LEGACY_KEY_VALUE_FORMAT,
    R_INVALID_BASE_IMAGE_PLATFORM,
    R_REDUNDANT_TARGET_PLATFORM,
    R_SECRETS_USED_IN_ARG_OR_ENV,
    R_INVALID_DEFAULT_ARG_IN_FROM,
    R_FROM_PLATFORM_FLAG_CONST_DISALLOWED,
    R_COPY_IGNORED_FILE,
    R_INVALID_DEFINITION_DESCRIPTION,
    R_EXPOSE_PROTO_CASING,
    R_EXPOSE_INVALID_FORMAT,
    R_COUNT
};

struct lint {
    const struct bld_check_opts *opts;
    const struct bld_ast *ast; /* for per-instruction `# check=` comments */
    bool skip_all, exp_all, as_error;
    struct cb_strv skip, exp;
    struct cb_strv called; /* rules reported, first occurrence order */
    struct bld_check_result *out;
    bool aborted; /* a build error stopped the checks */
};

/* Report rule at line with a printf-style detail (subject to the skip,
 * experimental and per-instruction settings). */
void lint_report(struct lint *l, enum lint_rule r, int line, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));
/* Record the build error that stops the checks. */
void lint_abort(struct lint *l, int line, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

/* Go's %q of s (appended to a new string). */
char *lint_quote(const char *s);

/* The stage walk: FROM lines, then every stage's instructions. */
void lint_walk(struct lint *l, const struct bld_dockerfile *df);

/* containerd platforms.Parse, enough for FROM --platform: 0 and the
 * normalised os and arch (allocated) on success, else an error message
 * (allocated, without the "failed to parse platform" prefix). */
int lint_platform_parse(const char *spec, char **os, char **arch, char **why);

#endif
