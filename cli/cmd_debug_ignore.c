/* cmd_debug_ignore.c - `cbuild debug ignore [-f Dockerfile] CONTEXT [PATH...]`:
 * what .dockerignore keeps.  With PATHs, prints "PATH<TAB>excluded" or
 * "included" for each; without, lists every file of the context a build
 * would see, walking it the way a context walker should (skipping only
 * directories no exception can reach). */
#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "commands.h"
#include "options.h"
#include "../base/cleanup.h"
#include "../base/fsutil.h"
#include "../base/xalloc.h"
#include "../builder/dockerfile/ignore.h"
#include "../base/banned.h"

static int cmp_str(const void *a, const void *b)
{
    return strcmp(*(char *const *)a, *(char *const *)b);
}

/* List the included files below dir (rel: its path in the context). */
static int walk(const struct bld_ignore *m, const char *dir, const char *rel, struct cb_err **err)
{
    cleanup_dir DIR *d = opendir(dir);
    struct cb_strv names = CB_STRV_INIT;
    for (struct dirent *de; d && (de = readdir(d));)
        if (strcmp(de->d_name, ".") && strcmp(de->d_name, ".."))
            cb_strv_push(&names, de->d_name);
    if (names.n)
        qsort(names.v, names.n, sizeof(char *), cmp_str);
    int rc = 0;
    for (size_t i = 0; i < names.n && rc == 0; i++) {
        cleanup_free char *path = cb_path_join(dir, names.v[i]);
        cleanup_free char *r = *rel ? xasprintf("%s/%s", rel, names.v[i]) : xstrdup(names.v[i]);
        struct stat st;
        if (lstat(path, &st) < 0)
            continue;
        int excluded = m ? bld_ignore_match(m, r, err) : 0;
        if (excluded < 0)
            rc = excluded;
        else if (S_ISDIR(st.st_mode) && (!excluded || bld_ignore_can_skip_dir(m, r, err) != 1))
            rc = walk(m, path, r, err);
        else if (!S_ISDIR(st.st_mode) && !excluded)
            printf("%s\n", r);
    }
    cb_strv_release(&names);
    return rc;
}

int cmd_debug_ignore(int argc, char **argv, struct cli_env *env)
{
    const char *file = NULL;
    const struct cli_option opts[] = {
        {'f', "file", CLI_OPT_STRING, &file, "PATH", "the Dockerfile (default CONTEXT/Dockerfile)"},
        {0}};
    const struct cli_usage u = {"cbuild debug ignore [-f Dockerfile] CONTEXT [PATH...]",
                                "Show what .dockerignore excludes from the build context.", opts};
    cleanup_strv_s struct cb_strv args = CB_STRV_INIT;
    int rc = cli_parse(argc, argv, &u, 0, &args);
    if (rc)
        return rc > 0 ? 0 : 2;
    if (args.n < 1)
        return cli_usage_error(&u, "expected CONTEXT");
    cleanup_free char *df = file ? xstrdup(file) : cb_path_join(args.v[0], "Dockerfile");
    cleanup_strv_s struct cb_strv pats = CB_STRV_INIT;
    cleanup_ignore struct bld_ignore *m = NULL;
    struct cb_err *err = NULL;
    if (bld_ignore_load(args.v[0], df, &pats, NULL, &err) < 0 ||
        (pats.n && !(m = bld_ignore_new((const char *const *)pats.v, pats.n, &err)))) {
        rc = cli_report(err);
        cb_err_free(err);
        return rc;
    }
    if (args.n == 1 && walk(m, args.v[0], "", &err) < 0) {
        rc = cli_report(err);
        cb_err_free(err);
        return rc;
    }
    for (size_t i = 1; i < args.n; i++) {
        int r = m ? bld_ignore_match(m, args.v[i], &err) : 0;
        if (r < 0) {
            rc = cli_report(err);
            cb_err_free(err);
            return rc;
        }
        printf("%s\t%s\n", args.v[i], r ? "excluded" : "included");
    }
    return 0;
}
