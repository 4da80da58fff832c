/* cli.h - state shared by the commands: global flags and error printing. */
#ifndef CBUILD_CLI_CLI_H
#define CBUILD_CLI_CLI_H

#include <stdbool.h>

#include "../base/error.h"

struct cli_env {
    const char *root; /* --root / CBUILD_ROOT, or NULL for the default */
    bool debug;       /* --debug: log level debug */
    bool quiet_logs;  /* --log-level=error */
};

/* Print "error: <msg>" on stderr and return the exit status for its category. */
int cli_report(struct cb_err *err);
/* The exit status for an error category (the one table: see main.c). */
int cli_exit_status(enum cb_errc code);

#endif
