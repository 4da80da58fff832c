/* cmd_debug.c - `cbuild debug SUBCOMMAND`: helpers for tests and bug reports
 * (AST dumps, word expansion, running one step).  Each subcommand lives in
 * its own cli/cmd_debug_*.c file and is listed in the table below. */
#include <stdio.h>
#include <string.h>

#include "commands.h"
#include "../base/banned.h"

struct debug_sub {
    const char *name;
    cli_cmd_fn fn;
    const char *summary;
};

static const struct debug_sub subs[] = {
    {"dump-ast", cmd_debug_dump_ast, "print a Dockerfile's AST (BuildKit testfile format)"},
    {"expand", cmd_debug_expand, "expand one word like BuildKit's ProcessWord"},
    {"words", cmd_debug_words, "expand and split words like BuildKit's ProcessWords"},
    {"run", cmd_debug_run, "run one RUN step in the OCI runtime and save its changes"},
    {"mkimage", cmd_debug_mkimage, "make a one-layer image from a directory"},
    {"contenthash", cmd_debug_contenthash, "print the content digest COPY keys use"},
    {"layer", cmd_debug_layer, "write, diff, apply or list a layer"},
    {"ignore", cmd_debug_ignore, "show what .dockerignore excludes from a build context"},
    {NULL, NULL, NULL},
};

static void usage(FILE *f)
{
    fprintf(f, "usage: cbuild debug SUBCOMMAND [ARGS...]\n\nsubcommands:\n");
    for (const struct debug_sub *s = subs; s->name; s++)
        fprintf(f, "  %-12s %s\n", s->name, s->summary);
}

int cmd_debug(int argc, char **argv, struct cli_env *env)
{
    if (argc < 2 || !strcmp(argv[1], "--help") || !strcmp(argv[1], "-h")) {
        usage(argc < 2 ? stderr : stdout);
        return argc < 2 ? 2 : 0;
    }
    for (const struct debug_sub *s = subs; s->name; s++)
        if (!strcmp(s->name, argv[1]))
            return s->fn(argc - 1, argv + 1, env);
    fprintf(stderr, "error: unknown debug subcommand '%s'\n", argv[1]);
    usage(stderr);
    return 2;
}
