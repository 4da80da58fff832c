/* options.c - option-table parser shared by all commands. */
#include <errno.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>

#include "options.h"
#include "../base/xalloc.h"
#include "../base/banned.h"

static const struct cli_option help_opt = {'h', "help", CLI_OPT_BOOL, NULL, NULL, "show this help"};

void cli_print_usage(FILE *f, const struct cli_usage *u)
{
    fprintf(f, "usage: %s\n", u->usage);
    if (u->summary)
        fprintf(f, "\n%s\n", u->summary);
    if (!u->options || !u->options[0].long_name)
        return;
    fprintf(f, "\noptions:\n");
    for (const struct cli_option *o = u->options; o->type != CLI_OPT_END; o++) {
        char left[80];
        if (!o->help)
            continue;
        snprintf(left, sizeof(left), "%s%c%s--%s%s%s", o->short_name ? "-" : "",
                 o->short_name ? o->short_name : ' ', o->short_name ? ", " : "  ", o->long_name,
                 o->argname ? (o->type == CLI_OPT_OPTSTR ? "[=" : " ") : "",
                 o->argname ? o->argname : "");
        if (o->argname && o->type == CLI_OPT_OPTSTR)
            snprintf(left + strlen(left), sizeof(left) - strlen(left), "]");
        fprintf(f, "  %-30s %s\n", left + (o->short_name ? 0 : 1), o->help);
    }
}

int cli_usage_error(const struct cli_usage *u, const char *fmt, ...)
{
    va_list ap;
    fprintf(stderr, "error: ");
    va_start(ap, fmt);
    vfprintf(stderr, fmt, ap);
    va_end(ap);
    fprintf(stderr, "\nusage: %s\n", u->usage);
    return 2;
}

static const struct cli_option *find_long(const struct cli_usage *u, const char *name, size_t len)
{
    for (const struct cli_option *o = u->options; o && o->type != CLI_OPT_END; o++)
        if (strlen(o->long_name) == len && !strncmp(o->long_name, name, len))
            return o;
    if (len == 4 && !strncmp(name, "help", 4))
        return &help_opt;
    return NULL;
}

static const struct cli_option *find_short(const struct cli_usage *u, char c)
{
    for (const struct cli_option *o = u->options; o && o->type != CLI_OPT_END; o++)
        if (o->short_name == c)
            return o;
    return c == 'h' ? &help_opt : NULL;
}

static int store(const struct cli_usage *u, const struct cli_option *o, const char *val,
                 const char *shown)
{
    switch (o->type) {
    case CLI_OPT_BOOL:
        if (!val || !strcmp(val, "true") || !strcmp(val, "1"))
            *(bool *)o->value = true;
        else if (!strcmp(val, "false") || !strcmp(val, "0"))
            *(bool *)o->value = false;
        else
            return cli_usage_error(u, "invalid value '%s' for %s: want true or false", val, shown),
                   -1;
        return 0;
    case CLI_OPT_STRING:
    case CLI_OPT_OPTSTR:
        *(const char **)o->value = val ? val : "";
        return 0;
    case CLI_OPT_LIST:
        cb_strv_push(o->value, val);
        return 0;
    case CLI_OPT_INT: {
        char *end;
        errno = 0;
        long v = strtol(val, &end, 10);
        if (errno || end == val || *end)
            return cli_usage_error(u, "invalid number '%s' for %s", val, shown), -1;
        *(long *)o->value = v;
        return 0;
    }
    case CLI_OPT_END:
        break;
    }
    return -1;
}

static bool takes_value(const struct cli_option *o)
{
    return o->type == CLI_OPT_STRING || o->type == CLI_OPT_LIST || o->type == CLI_OPT_INT;
}

/* Handle argv[*i], a long option; returns 0, 1 for --help, -1 on error. */
static int parse_long(int argc, char **argv, int *i, const struct cli_usage *u)
{
    const char *name = argv[*i] + 2;
    const char *eq = strchr(name, '=');
    size_t len = eq ? (size_t)(eq - name) : strlen(name);
    const struct cli_option *o = find_long(u, name, len);
    const char *val = eq ? eq + 1 : NULL;

    if (!o)
        return cli_usage_error(u, "unknown option '--%.*s'", (int)len, name), -1;
    if (o == &help_opt)
        return 1;
    if (takes_value(o) && !val) {
        if (*i + 1 >= argc)
            return cli_usage_error(u, "option '--%s' needs a value", o->long_name), -1;
        val = argv[++*i];
    }
    return store(u, o, val, argv[*i]);
}

static int parse_short(int argc, char **argv, int *i, const struct cli_usage *u)
{
    const char *p = argv[*i] + 1;

    for (; *p; p++) {
        const struct cli_option *o = find_short(u, *p);
        char shown[3] = {'-', *p, '\0'};
        if (!o)
            return cli_usage_error(u, "unknown option '-%c'", *p), -1;
        if (o == &help_opt)
            return 1;
        if (!takes_value(o)) {
            if (store(u, o, NULL, shown) < 0)
                return -1;
            continue;
        }
        if (p[1])
            return store(u, o, p + 1, shown);
        if (*i + 1 >= argc)
            return cli_usage_error(u, "option '-%c' needs a value", *p), -1;
        return store(u, o, argv[++*i], shown);
    }
    return 0;
}

int cli_parse(int argc, char **argv, const struct cli_usage *u, int flags, struct cb_strv *args)
{
    bool only_args = false;

    for (int i = 1; i < argc; i++) {
        const char *a = argv[i];
        int rc = 0;
        if (only_args || a[0] != '-' || !strcmp(a, "-")) {
            cb_strv_push(args, a);
            if (flags & CLI_OPTS_STOP_AT_ARG)
                only_args = true;
            continue;
        }
        if (!strcmp(a, "--")) {
            only_args = true;
            continue;
        }
        rc = a[1] == '-' ? parse_long(argc, argv, &i, u) : parse_short(argc, argv, &i, u);
        if (rc == 1) {
            cli_print_usage(stdout, u);
            return 1;
        }
        if (rc < 0)
            return -1;
    }
    return 0;
}
