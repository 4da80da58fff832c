/* stages.h - typed instructions grouped into stages, with ARG/ENV scoping.
 *
 * BuildKit's semantics: ARGs before the first FROM are global and feed only
 * FROM lines (and a stage's ARG that redeclares them without a value); each
 * instruction sees the ARG and ENV values from before it; the predefined
 * args (proxies, TARGET*, BUILD*, SOURCE_DATE_EPOCH...) are known without a
 * declaration where BuildKit allows it.  bld_stages_expand() walks the
 * stages, expands every instruction in its scope and records which build
 * args each one used (cache keys, the "unused build arg" warning).
 */
#ifndef CBUILD_BUILDER_DOCKERFILE_STAGES_H
#define CBUILD_BUILDER_DOCKERFILE_STAGES_H

#include "instructions.h"

struct bld_stage {
    char *name;          /* AS name, lower case, or NULL */
    char *base;          /* FROM value as written */
    char *base_expanded; /* after global-ARG expansion (bld_stages_expand) */
    char *platform;      /* --platform as written, or NULL */
    char *platform_expanded;
    const struct bld_node *from_node;
    struct bld_instr from;    /* the FROM instruction itself */
    struct bld_instr *instrs; /* everything after FROM */
    size_t n;
    char *doc_comment; /* "# name description" above FROM, description part */
    /* Filled by bld_stages_expand: per instruction, the build args it used. */
    struct cb_strv *args_used; /* n entries */
};

struct bld_dockerfile {
    struct bld_ast *ast;           /* owned */
    struct bld_instr *global_args; /* ARG instructions before the first FROM */
    size_t nglobal;
    struct bld_stage *stages;
    size_t nstages;
};

/* Parse text all the way to stages.  "file with no instructions", an
 * instruction before FROM other than ARG, unknown instructions and every
 * instruction-level error come back as CB_ESYNTAX. */
struct bld_dockerfile *bld_dockerfile_parse(const char *text, size_t len, struct cb_err **err);
/* Build stages from an AST already parsed; takes ownership of ast. */
struct bld_dockerfile *bld_dockerfile_from_ast_take(struct bld_ast *ast, struct cb_err **err);
void bld_dockerfile_free(struct bld_dockerfile *df);
static inline void bld_dockerfile_freep(struct bld_dockerfile **p)
{
    bld_dockerfile_free(*p);
}
#define cleanup_dockerfile __attribute__((cleanup(bld_dockerfile_freep)))

/* Index of the stage named name (case-insensitive) or numbered "N", or -1. */
long bld_dockerfile_find_stage(const struct bld_dockerfile *df, const char *name_or_index);

/* The platforms the predefined args describe. */
struct bld_platform {
    const char *os, *arch, *variant; /* variant may be NULL or "" */
};

struct bld_expand_opts {
    const struct bld_kvs *build_args; /* --build-arg values, may be NULL */
    struct bld_platform target, build;
    /* The base image's environment for a stage ("K=V" list), or NULL.
     * Called once per stage after its FROM is expanded. */
    const struct cb_strv *(*base_env)(void *userdata, size_t stage_index);
    void *userdata;
};

/* Expand the FROM lines with the global scope and every instruction with
 * its stage's scope, in place.  Records args_used per instruction and, in
 * unused (when not NULL), the build args no instruction consumed. */
int bld_stages_expand(struct bld_dockerfile *df, const struct bld_expand_opts *opts,
                      struct cb_strv *unused, struct cb_err **err);

/* Resolve --target (stage name, case-insensitive): its index, or the last
 * stage when target is NULL or empty; "target stage \"x\" could not be
 * found" otherwise. */
long bld_dockerfile_target(const struct bld_dockerfile *df, const char *target,
                           struct cb_err **err);
/* Stage dependencies (FROM <stage>, COPY --from, RUN --mount from=) must
 * not form a cycle: "circular dependency detected on stage: NAME".  Call
 * after bld_stages_expand. */
int bld_dockerfile_check_cycles(const struct bld_dockerfile *df, struct cb_err **err);

/* Environment helpers with BuildKit's merge rules (dockerfile2llb). */

/* addEnv: set key in a "K=V" list, replacing only the first entry with that
 * key ("K" alone counts), else appending. */
void bld_env_list_set(struct cb_strv *env, const char *key, const char *value);
/* parseKeyValue: "k=v" -> k, v; "k" -> k, "" (both allocated). */
void bld_env_split(const char *kv, char **key, char **value);
/* toEnvMap: the variables a RUN sees.  ENV entries win over ARGs, the last
 * duplicate ENV wins, the first duplicate ARG wins, ARGs without a value are
 * left out.  out is filled in that order (ENV first). */
void bld_run_env(const struct bld_kvs *args, const struct cb_strv *env, struct bld_kvs *out);

/* Proxy settings taken from build args; the lower-case name wins. */
struct bld_proxy_env {
    char *http, *https, *ftp, *no, *all;
};
/* Returns false (and leaves out empty) when no proxy build arg is set. */
bool bld_proxy_env_from_args(const struct bld_kvs *build_args, struct bld_proxy_env *out);
void bld_proxy_env_release(struct bld_proxy_env *p);

/* Whether name is one of BuildKit's predefined args (proxies, TARGET*,
 * BUILD*, BUILDKIT_*, SOURCE_DATE_EPOCH). */
bool bld_arg_is_predefined(const char *name);
/* The value of a predefined platform arg (TARGETPLATFORM, TARGETOS,
 * TARGETARCH, TARGETVARIANT and the BUILD* four) for these platforms, as
 * an ARG without a default in a stage takes it; allocated, or NULL for any
 * other name. */
char *bld_platform_arg_value(const char *name, const struct bld_platform *target,
                             const struct bld_platform *build);
/* Whether name is a proxy arg (usable in RUN without an ARG declaration). */
bool bld_arg_is_proxy(const char *name);

/* The scope a walker keeps inside one stage: exposed so the build engine
 * can run the same walk with its own base-image environment. */
struct bld_scope {
    struct bld_kvs args; /* declared ARGs with their effective values */
    struct bld_kvs env;  /* ENV (base image env first) */
};
void bld_scope_init(struct bld_scope *s);
void bld_scope_release(struct bld_scope *s);
/* A bld_lookup_fn over a scope (userdata is the scope): ENV wins over ARG. */
const char *bld_scope_lookup(void *userdata, const char *name);

#endif
