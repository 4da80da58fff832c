/* bake.h - `cbuild bake`: many images from one file, as `docker buildx bake`.
 *
 * Files: the bake JSON format (docker-bake.json: "group", "target",
 * "variable") and docker compose YAML (services with a build: section).
 * Targets inherit ("inherits"), take ${VAR} from the environment or the
 * file's variables, and --set target.key=value overrides (target may be "*").
 * Compose services that only name an image: are not built; they can be
 * pulled.  The selected targets build in one run: in parallel, sharing the
 * store, the cache and each other's identical steps.
 */
#ifndef CBUILD_BUILDER_BAKE_H
#define CBUILD_BUILDER_BAKE_H

#include <stdbool.h>
#include <stddef.h>

#include "build.h"
#include "../base/error.h"
#include "../base/strv.h"

struct bld_bake_target {
    char *name;
    char *context;       /* relative to the file's directory unless absolute */
    char *dockerfile;    /* relative to the context */
    char *target;        /* stage */
    struct cb_strv args; /* "K=V", file order (later wins) */
    struct cb_strv tags;
    struct cb_strv labels; /* "K=V" */
    struct cb_strv outputs;
    struct cb_strv cache_from, cache_to, secrets, ssh, platforms, contexts, inherits;
    bool no_cache, pull;
    bool has_no_cache, has_pull;
    char *image_only; /* compose: a service with image: and no build:, else NULL */
};

struct bld_bake {
    struct bld_bake_target *targets;
    size_t n, alloc;
    /* groups: name -> target or group names */
    struct cb_strv group_names;
    struct cb_strv *group_members;
    struct cb_strv var_names, var_values; /* defaults, after the environment */
};

void bld_bake_init(struct bld_bake *b);
void bld_bake_release(struct bld_bake *b);

/* Read one file (JSON bake or compose YAML, told from the content and the
 * name) and merge it into b: later files add and override.  Paths in it are
 * made relative to the file's directory. */
int bld_bake_load(struct bld_bake *b, const char *path, struct cb_err **err);
/* The default files when none is given: docker-bake.json, then
 * compose.yaml / docker-compose.yml (... as buildx looks for them). */
int bld_bake_load_default(struct bld_bake *b, const char *dir, struct cb_err **err);

/* "target.key=value" (target may be "*"; keys: args.K, tags, labels.K,
 * target, dockerfile, context, no-cache, pull, output, platform, secret, ssh,
 * cache-from, cache-to). */
int bld_bake_set(struct bld_bake *b, const char *assignment, struct cb_err **err);

/* Expand names (targets or groups; none = "default" group, or every target)
 * into the targets to build, inheritance applied, in order, unique.
 * *out holds indexes into b->targets. */
int bld_bake_select(struct bld_bake *b, const struct cb_strv *names, size_t **out, size_t *n,
                    struct cb_err **err);

/* The resolved plan as JSON ({"group":..., "target":{...}}), for --print. */
int bld_bake_print(const struct bld_bake *b, const size_t *sel, size_t n, struct cb_buf *out,
                   struct cb_err **err);

/* ---------------------------------------------------------------- running */

struct bld_bake_result {
    const char *target; /* borrowed from the bake */
    int rc;
    struct cb_err *err;
    struct bld_build_result res;
};

/* Build the selected targets (image-only compose services are skipped) in
 * parallel, up to common->jobs at once, with common's options (progress,
 * cache, runtime...) and each target's own.  out[i] gets each result; the
 * return is 0 only when every build succeeded. */
int bld_bake_run(struct oci_store *store, const struct bld_bake *b, const size_t *sel, size_t n,
                 const struct bld_build_opts *common, struct bld_bake_result *out,
                 struct cb_err **err);
void bld_bake_result_release(struct bld_bake_result *r);
#endif
