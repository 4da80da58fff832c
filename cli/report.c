/* report.c - the one place an error becomes text on stderr and an exit
 * status (cli/main.c and every command use it). */
#include <stdio.h>

#include "cli.h"
#include "../base/banned.h"

/* The one table from error category to exit status: 2 is a usage error,
 * 1 everything else (a failed build, registry, I/O). */
int cli_exit_status(enum cb_errc code)
{
    switch (code) {
    case CB_OK:
        return 0;
    case CB_EINVAL:
    case CB_EUNSUPPORTED:
        return 2;
    case CB_EINTR:
        return 130;
    default:
        return 1;
    }
}

int cli_report(struct cb_err *err)
{
    if (!err) {
        fprintf(stderr, "error: unknown failure\n");
        return 1;
    }
    fprintf(stderr, "error: %s\n", err->msg);
    return cli_exit_status(err->code);
}
