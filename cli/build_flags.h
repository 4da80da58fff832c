/* build_flags.h - `cbuild build`'s docker build flags: the option table,
 * their checks, and turning them into a struct bld_build_opts. */
#ifndef CBUILD_CLI_BUILD_FLAGS_H
#define CBUILD_CLI_BUILD_FLAGS_H

#include <stdbool.h>

#include "regcli.h"
#include "../base/buf.h"
#include "../builder/build.h"

/* One `cbuild build` invocation: its options and what they own. */
struct build_run {
    struct cb_strv ctx;
    struct bld_build_opts o;
    struct bld_output *outs;
    struct bld_named_context *contexts;
    struct bld_secret_src *secrets;
    struct cli_reg reg; /* registry options: insecure hosts from the environment */
    bool built, reg_init;
    char *tmp_ctx_dir;       /* context - or a git URL: where it was unpacked */
    struct cb_strv git_dirs; /* --build-context NAME=<git URL> checkouts */
    struct cb_buf stdin_df;
    int mode;            /* enum cli_progress_mode */
    const char *doctor;  /* --doctor ("" or "strict"), or NULL */
    const char *iidfile; /* or NULL */
    const char *metadata;
    bool push, tls_verify;
    const struct cb_strv *tags;
};

/* Parse argv into b (initialised here).  Returns 0, 1 after --help, or a
 * negative code: with *err set, or with the usage error already printed. */
int cli_build_parse(int argc, char **argv, struct build_run *b, struct cb_err **err);
void cli_build_release(struct build_run *b);

/* buildx's --provenance/--sbom VALUE (NULL: not given): cbuild writes no
 * attestations, so only "false" or "0" is accepted; anything else is
 * CB_EUNSUPPORTED naming the flag. */
int cli_check_attestation(const char *flag, const char *value, struct cb_err **err);

#endif
