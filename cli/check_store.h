/* check_store.h - what `cbuild check` knows about base images without
 * fetching anything: their platform, when they are in the local store. */
#ifndef CBUILD_CLI_CHECK_STORE_H
#define CBUILD_CLI_CHECK_STORE_H

#include <stdbool.h>

#include "../builder/dockerfile/stages.h"

struct oci_store;

struct cli_check_store {
    const char *root;        /* --root / CBUILD_ROOT, or NULL for the default */
    struct oci_store *store; /* opened on first use, when the root exists */
    bool tried;
};

/* A bld_base_platform_fn over the local store (userdata: struct
 * cli_check_store *).  Never creates or pulls anything. */
bool cli_check_base_platform(void *userdata, const char *ref, const struct bld_platform *want,
                             char **os, char **arch);
void cli_check_store_release(struct cli_check_store *cs);

#endif
