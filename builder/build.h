/* build.h - bld_build(): the one entry point for a whole build.
 *
 * A Dockerfile and a context directory in; an image in the local store (and
 * any outputs asked for) out.  Stages run as a graph: independent stages in
 * parallel (up to jobs), unused stages skipped; every layer step is cached by
 * a content-addressed key, so an unchanged step never runs twice.
 */
#ifndef CBUILD_BUILDER_BUILD_H
#define CBUILD_BUILDER_BUILD_H

#include <stdbool.h>
#include <stdint.h>

#include "../base/error.h"
#include "../base/progress.h"
#include "../base/strv.h"
#include "../oci/compress.h"
#include "../oci/image.h"
#include "../oci/store.h"

enum bld_pull_policy {
    BLD_PULL_MISSING = 0, /* use the store; pull what is not there */
    BLD_PULL_ALWAYS,
    BLD_PULL_NEVER,
};
int bld_pull_policy_parse(const char *s, enum bld_pull_policy *out, struct cb_err **err);

enum bld_output_type {
    BLD_OUT_OCI = 1, /* OCI layout dir, or an OCI archive when dest ends in .tar */
    BLD_OUT_DOCKER,  /* docker-archive tar */
    BLD_OUT_LOCAL,   /* the final rootfs as a directory */
    BLD_OUT_TAR,     /* the final rootfs as a tar */
};

struct bld_output {
    enum bld_output_type type;
    char *dest;
};
/* Parse a --output value: "type=oci,dest=DIR" etc., or a bare path (local). */
int bld_output_parse(const char *s, struct bld_output *out, struct cb_err **err);
void bld_output_release(struct bld_output *o);

enum bld_context_kind {
    BLD_CONTEXT_DIR = 1, /* a local directory: COPY --from=NAME */
    BLD_CONTEXT_IMAGE,   /* docker-image://REF: FROM NAME, COPY --from=NAME */
    BLD_CONTEXT_LAYOUT,  /* oci-layout://DIR[:TAG]: the same, from a layout */
};

/* --build-context NAME=VALUE. */
struct bld_named_context {
    char *name;
    enum bld_context_kind kind;
    char *value; /* directory, image reference or layout directory */
    char *tag;   /* layout: the ref.name to take, or NULL */
};
int bld_named_context_parse(const char *s, struct bld_named_context *out, struct cb_err **err);
/* The same, a git URL value (gitsrc.h) being checked out first into a new
 * directory under tmp, which becomes a directory context; *checkout gets
 * that directory for the caller to remove (NULL for other values). */
int bld_named_context_resolve(const char *s, const char *tmp, struct bld_named_context *out,
                              char **checkout, struct cb_err **err);
/* Whether s names something that is not a local path: a git repository,
 * or a scheme URL ("docker-image://...", "https://..."). */
bool bld_context_is_remote(const char *s);
void bld_named_context_release(struct bld_named_context *c);

struct bld_secret_src {
    char *id;
    char *path;  /* file with the value, or NULL */
    char *value; /* from env=, or NULL */
};

/* State several builds of one run share (cbuild bake): unique progress step
 * ids, and steps in flight, so that two builds needing the same step run it
 * once and the second takes the cached result.  A build without one uses
 * its own. */
struct bld_shared;
struct bld_shared *bld_shared_new(void);
void bld_shared_free(struct bld_shared *sh);

struct bld_build_opts {
    const char *context;         /* directory */
    const char *dockerfile;      /* path; NULL = CONTEXT/Dockerfile */
    const char *dockerfile_text; /* contents given directly (-f -), or NULL */
    size_t dockerfile_len;
    const char *target;               /* NULL = the last stage */
    const struct cb_strv *build_args; /* "K=V" (later wins); may be NULL */
    const struct cb_strv *tags;       /* names for the local store; may be NULL */
    const struct cb_strv *labels;     /* "K=V" added to the final config */
    bool no_cache;
    const struct cb_strv *no_cache_filter; /* stage names: run these without cache */
    enum bld_pull_policy pull;
    const char *platform; /* NULL = host */
    int jobs;             /* 0 = the number of cores */
    enum oci_compression compression;
    bool has_epoch; /* SOURCE_DATE_EPOCH */
    int64_t epoch;
    const struct bld_output *outputs;
    size_t n_outputs;
    const char *executor;    /* "oci" (default) or "fake" */
    const char *runtime;     /* crun, runc, a path, NULL = detect */
    const char *snapshotter; /* "auto", "overlay", "native" */
    int network;             /* default for RUN: 0 default, 1 none, 2 host */
    const struct bld_secret_src *secrets;
    size_t n_secrets;
    const struct cb_strv *ssh;                /* "default" or "id=path" */
    const struct bld_named_context *contexts; /* --build-context; they win over stages */
    size_t n_contexts;
    char *const *insecure_registries; /* NULL-terminated hosts allowed over plain HTTP */
    bool tls_verify_off;              /* --tls-verify=false for pulls */
    struct cb_progress progress;
    int cancel_fd;                   /* readable on Ctrl-C, or -1 */
    struct bld_shared *shared;       /* may be NULL */
    unsigned fixups;                 /* --fixup: builder/doctor/fixup.h's BLD_FIXUP_* bits */
    const struct cb_strv *add_hosts; /* --add-host NAME:IP for RUN steps */
    unsigned long long shm_size;     /* --shm-size for RUN steps; 0 = 64 MiB */
    const struct cb_strv *ulimits;   /* --ulimit NAME=SOFT[:HARD] for RUN steps */
    const char *label;               /* prefixes step names ("[LABEL stage 1/3]"), or NULL */
};

struct bld_build_result {
    struct oci_descriptor manifest; /* of the final image, in the store */
    struct oci_digest config;       /* the image ID */
    struct cb_strv unused_args;     /* --build-arg names no stage consumed */
    int steps_run, steps_cached;
    struct cb_strv stage_times; /* "NAME 1.23s" per stage that ran, in order */
    /* For --doctor's baked-in build-arg check: the final stage's ARGs
     * ("NAME" with default "NAME=VALUE", overridden ones in overridden), and
     * the indexes of the layers the final stage made. */
    struct cb_strv final_args, overridden_args;
    size_t *stage_layers;
    size_t n_stage_layers;
};
void bld_build_result_release(struct bld_build_result *r);

int bld_build(struct oci_store *store, const struct bld_build_opts *o, struct bld_build_result *res,
              struct cb_err **err);

#endif
