/* options.h - the option-table parser every command uses.
 *
 * Accepts "--name value", "--name=value", "-n value", "-nvalue", bundled
 * short booleans ("-qf" when both are booleans) and "--" to end options.
 * Options and positional arguments may be interleaved (docker's habit)
 * unless CLI_OPTS_STOP_AT_ARG is given, as `run IMAGE CMD...` needs.
 */
#ifndef CBUILD_CLI_OPTIONS_H
#define CBUILD_CLI_OPTIONS_H

#include <stdbool.h>
#include <stdio.h>

#include "../base/strv.h"

enum cli_opt_type {
    CLI_OPT_END = 0,
    CLI_OPT_BOOL,   /* bool *; "--x=false" also accepted */
    CLI_OPT_STRING, /* const char **; last one wins */
    CLI_OPT_LIST,   /* struct cb_strv *; repeatable */
    CLI_OPT_INT,    /* long * */
    CLI_OPT_OPTSTR, /* const char **; value only with '=', bare flag stores "" */
};

struct cli_option {
    char short_name;       /* 0 when none */
    const char *long_name; /* without "--" */
    enum cli_opt_type type;
    void *value;
    const char *argname; /* for help, e.g. "PATH" */
    const char *help;    /* NULL hides the option from --help */
};

#define CLI_OPTS_STOP_AT_ARG 1

struct cli_usage {
    const char *usage;   /* "cbuild build [OPTIONS] CONTEXT" */
    const char *summary; /* one line */
    const struct cli_option *options;
};

/* Parse argv[1..] (argv[0] is the command name).  Positional arguments are
 * moved to args.  Returns 0, 1 when --help was asked (usage already printed
 * to stdout), or -1 after printing a one-line error and the usage line to
 * stderr (the caller exits 2). */
int cli_parse(int argc, char **argv, const struct cli_usage *u, int flags, struct cb_strv *args);

void cli_print_usage(FILE *f, const struct cli_usage *u);
/* "error: ..." plus the usage line, on stderr; returns 2 (the usage status). */
int cli_usage_error(const struct cli_usage *u, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

#endif
