/* main.c - command table, global flags, printing errors, exit codes. */
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "commands.h"
#include "options.h"
#include "../base/log.h"
#include "../base/banned.h"

#ifndef CBUILD_VERSION
#define CBUILD_VERSION "0.0.0-dev"
#endif

const struct cli_command cli_commands[] = {
    {"bake", cmd_bake, 0, "build the targets of a bake or compose file"},
    {"build", cmd_build, 0, "build an image from a Dockerfile"},
    {"check", cmd_check, 0, "run the build checks on a Dockerfile without building"},
    {"debug", cmd_debug, CLI_HIDDEN, "helpers for tests and bug reports"},
    {"doctor", cmd_doctor, 0, "check an image for runtime traps, and fix them up"},
    {"help", cmd_help, 0, "show help for cbuild or one command"},
    {"images", cmd_images, 0, "list the images in the local store"},
    {"inspect", cmd_inspect, 0, "show the manifest and config of images in the store"},
    {"load", cmd_load, 0, "load images from an OCI or docker archive, or an OCI layout"},
    {"login", cmd_login, 0, "check and store credentials for a registry"},
    {"logout", cmd_logout, 0, "remove stored credentials for a registry"},
    {"prune", cmd_prune, 0, "remove unreferenced blobs, unpacked layers and build cache"},
    {"pull", cmd_pull, 0, "pull an image from a registry into the store"},
    {"push", cmd_push, 0, "push an image from the store to a registry"},
    {"rmi", cmd_rmi, 0, "remove images from the store"},
    {"run", cmd_run, 0, "run an image's command once (smoke tests)"},
    {"save", cmd_save, 0, "write images to an OCI or docker archive, or an OCI layout"},
    {"tag", cmd_tag, 0, "name an image in the store"},
    {"version", cmd_version, 0, "print the version"},
    {NULL, NULL, 0, NULL},
};

static void log_sink(void *userdata, enum cb_log_level level, const char *msg)
{
    (void)userdata;
    fprintf(stderr, "%s%s\n", level == CB_LOG_WARN ? "warning: " : "", msg);
}

static void print_main_usage(FILE *f)
{
    fprintf(f, "usage: cbuild [--root DIR] [--debug] COMMAND [ARGS...]\n\n"
               "A daemonless container image builder.\n\ncommands:\n");
    for (const struct cli_command *c = cli_commands; c->name; c++)
        if (!(c->flags & CLI_HIDDEN))
            fprintf(f, "  %-12s %s\n", c->name, c->summary);
    fprintf(f, "\nglobal options:\n"
               "  --root DIR     the store (default /var/lib/cbuild as root,\n"
               "                 $XDG_DATA_HOME/cbuild otherwise; also CBUILD_ROOT)\n"
               "  --debug        debug logging\n"
               "  -h, --help     show this help\n"
               "  -v, --version  print the version\n\n"
               "Run 'cbuild help COMMAND' for a command's options.\n");
}

static const struct cli_command *find_command(const char *name)
{
    for (const struct cli_command *c = cli_commands; c->name; c++)
        if (!strcmp(c->name, name))
            return c;
    return NULL;
}

int cmd_version(int argc, char **argv, struct cli_env *env)
{
    (void)argc;
    (void)argv;
    (void)env;
    printf("cbuild version %s\n", CBUILD_VERSION);
    return 0;
}

int cmd_help(int argc, char **argv, struct cli_env *env)
{
    const struct cli_command *c;
    char *sub[] = {NULL, "--help", NULL};

    if (argc < 2 || !strcmp(argv[1], "--help") || !strcmp(argv[1], "-h")) {
        print_main_usage(stdout);
        return 0;
    }
    c = find_command(argv[1]);
    if (!c) {
        fprintf(stderr, "error: unknown command '%s'\n", argv[1]);
        print_main_usage(stderr);
        return 2;
    }
    sub[0] = argv[1];
    return c->fn(2, sub, env);
}

int main(int argc, char **argv)
{
    struct cli_env env = {.root = getenv("CBUILD_ROOT")};
    const struct cli_command *c;
    int i = 1;

    signal(SIGPIPE, SIG_IGN);
    for (; i < argc && argv[i][0] == '-'; i++) {
        const char *a = argv[i];
        if (!strcmp(a, "--help") || !strcmp(a, "-h")) {
            print_main_usage(stdout);
            return 0;
        } else if (!strcmp(a, "--version") || !strcmp(a, "-v")) {
            return cmd_version(0, NULL, &env);
        } else if (!strcmp(a, "--debug") || !strcmp(a, "-D")) {
            env.debug = true;
        } else if (!strcmp(a, "--root") && i + 1 < argc) {
            env.root = argv[++i];
        } else if (!strncmp(a, "--root=", 7)) {
            env.root = a + 7;
        } else {
            fprintf(stderr, "error: unknown option '%s'\n", a);
            print_main_usage(stderr);
            return 2;
        }
    }
    cb_log_set_sink(log_sink, NULL, env.debug ? CB_LOG_DEBUG : CB_LOG_INFO);
    if (i >= argc) {
        print_main_usage(stderr);
        return 2;
    }
    c = find_command(argv[i]);
    if (!c) {
        fprintf(stderr, "error: unknown command '%s'\n", argv[i]);
        fprintf(stderr, "usage: cbuild [--root DIR] [--debug] COMMAND [ARGS...]\n");
        return 2;
    }
    return c->fn(argc - i, argv + i, &env);
}
