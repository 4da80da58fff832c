/* regcli.h - what pull, push and login share: registry options from flags
 * and the environment, the SIGINT flag the registry client polls, and a
 * simple line-based byte progress for blobs. */
#ifndef CBUILD_CLI_REGCLI_H
#define CBUILD_CLI_REGCLI_H

#include <stdbool.h>
#include <stdio.h>

#include "../base/progress.h"
#include "../oci/registry.h"

/* Set by the SIGINT handler; the registry client checks it in its curl
 * progress callback and between retries. */
extern volatile sig_atomic_t cli_reg_interrupted;

struct cli_reg {
    struct oci_registry_opts opts;
    struct cb_progress sink;
    char **insecure; /* from $CBUILD_INSECURE_REGISTRIES (comma-separated) */
    void *lines;     /* line progress state */
};

/* Fill r->opts (tls_verify false -> insecure), install the SIGINT handler,
 * and unless quiet, print blob progress lines to out. */
void cli_reg_init(struct cli_reg *r, bool tls_verify, bool quiet, FILE *out);
void cli_reg_release(struct cli_reg *r);

/* "12.3 MiB" into buf. */
const char *cli_reg_bytes(long long n, char *buf, size_t len);

#endif
