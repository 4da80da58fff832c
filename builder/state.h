/* state.h - the state of one stage as its instructions run: the image being
 * built (config, diff_ids, history), its layers, the cache key chain and the
 * few things BuildKit tracks beside the config (whether CMD was set in this
 * stage, the effective shell). */
#ifndef CBUILD_BUILDER_STATE_H
#define CBUILD_BUILDER_STATE_H

#include <stdbool.h>

#include "../oci/image.h"

struct bld_instr;
struct bld_cmdline;

struct bld_state {
    struct oci_image img;          /* config, rootfs.diff_ids, history */
    struct oci_descriptor *layers; /* compressed layer descriptors, in order */
    size_t n_layers, alloc_layers;
    struct oci_digest key; /* cache key of the last op: the chain so far */
    bool has_key;
    bool cmd_set; /* CMD given in this stage (ENTRYPOINT keeps it) */
};

void bld_state_init(struct bld_state *st);
void bld_state_release(struct bld_state *st);
void bld_state_copy(struct bld_state *dst, const struct bld_state *src);
/* Append a layer: its compressed descriptor and its diff_id. */
void bld_state_add_layer(struct bld_state *st, const struct oci_descriptor *layer,
                         const struct oci_digest *diff_id);
/* Append a history entry. */
void bld_state_add_history(struct bld_state *st, const char *created, const char *created_by,
                           bool empty_layer);

/* The default shell ("/bin/sh", "-c"), or the SHELL in effect. */
void bld_state_shell(const struct bld_state *st, struct cb_strv *out);
/* The working directory in effect ("/" when unset). */
const char *bld_state_workdir(const struct bld_state *st);
/* The value of env var name in the config, or NULL (borrowed). */
const char *bld_state_getenv(const struct bld_state *st, const char *name);

/* Apply a config-only instruction (ENV, LABEL, EXPOSE, VOLUME, USER, CMD,
 * ENTRYPOINT, HEALTHCHECK, STOPSIGNAL, SHELL, ONBUILD, MAINTAINER, ARG, and
 * WORKDIR's config half) to st, with a history entry stamped created.
 * WORKDIR's directory creation is the solver's job; its history entry is
 * added by the solver too (bld_workdir_resolve gives the path). */
int bld_config_apply(struct bld_state *st, const struct bld_instr *in, const char *created,
                     struct cb_err **err);

/* WORKDIR: the absolute path a (possibly relative) WORKDIR resolves to. */
char *bld_workdir_resolve(const struct bld_state *st, const char *path);

/* A command line as the config stores it: shell form gets the shell in
 * effect prepended.  Appended to out. */
void bld_cmdline_argv(const struct bld_state *st, const struct bld_cmdline *cmd,
                      struct cb_strv *out);

/* Go's %q of a string list, as BuildKit's history uses: ["a" "b"]. */
char *bld_go_quote_list(char *const *v, size_t n);

#endif
