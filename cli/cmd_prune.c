/* cmd_prune.c - `cbuild prune [--cache [--keep-storage SIZE]] [--dry-run]`:
 * free space in the local store.  Blobs no image and no build-cache record
 * references are removed, with unpacked layers no image uses; with --cache
 * the build cache's records are dropped first (all, or least recently used
 * first down to SIZE), so their blobs go too.  Runs under the store's
 * exclusive lock. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "commands.h"
#include "options.h"
#include "../base/cleanup.h"
#include "../cache/gc.h"
#include "../oci/store.h"
#include "../base/banned.h"

/* "10GB", "512MiB", "1000" → bytes; -1 when malformed. */
static int64_t parse_size(const char *s)
{
    static const struct {
        const char *suffix;
        int64_t mult;
    } units[] = {{"", 1},          {"B", 1},          {"k", 1000},        {"kB", 1000},
                 {"KB", 1000},     {"KiB", 1 << 10},  {"M", 1000000},     {"MB", 1000000},
                 {"MiB", 1 << 20}, {"G", 1000000000}, {"GB", 1000000000}, {"GiB", 1 << 30}};
    char *end;
    double v = strtod(s, &end);

    if (end == s || v < 0)
        return -1;
    for (size_t i = 0; i < sizeof(units) / sizeof(units[0]); i++)
        if (!strcmp(end, units[i].suffix))
            return (int64_t)(v * (double)units[i].mult);
    return -1;
}

int cmd_prune(int argc, char **argv, struct cli_env *env)
{
    bool cache = false, dry_run = false;
    const char *keep = NULL;
    const struct cli_option opts[] = {
        {0, "cache", CLI_OPT_BOOL, &cache, NULL, "also drop build-cache records"},
        {0, "keep-storage", CLI_OPT_STRING, &keep, "SIZE",
         "with --cache, keep the most recently used records up to SIZE (e.g. 5GB)"},
        {0, "dry-run", CLI_OPT_BOOL, &dry_run, NULL, "count what would go, remove nothing"},
        {0},
    };
    const struct cli_usage u = {"cbuild prune [OPTIONS]",
                                "Remove unreferenced blobs, unpacked layers and build cache.",
                                opts};
    cleanup_strv_s struct cb_strv args = CB_STRV_INIT;
    cleanup_store struct oci_store *store = NULL;
    cleanup_cache_records struct cache_records *records = NULL;
    struct cache_gc_opts copts = {.dry_run = dry_run};
    struct cache_gc_stats cst = {0};
    struct oci_prune_stats st = {0};
    cleanup_err struct cb_err *err = NULL;
    int rc = cli_parse(argc, argv, &u, 0, &args);

    if (rc)
        return rc > 0 ? 0 : 2;
    if (args.n)
        return cli_usage_error(&u, "unexpected argument '%s'", args.v[0]);
    if (keep && (!cache || (copts.keep_storage = parse_size(keep)) < 0))
        return cli_usage_error(
            &u, cache ? "invalid --keep-storage '%s'" : "--keep-storage '%s' needs --cache", keep);
    copts.dry_run = dry_run;
    store = oci_store_open(env->root, OCI_STORE_EXCLUSIVE, &err);
    if (!store || !(records = cache_records_open(oci_store_root_peek(store), &err)))
        return cli_report(err);
    if (cache && cache_gc_prune(records, &copts, &cst, NULL, &err) < 0)
        return cli_report(err);
    /* a dry run keeps every record, so their blobs count as kept */
    struct oci_gc_opts gopts = {
        .extra_roots = cache_gc_mark_roots, .userdata = records, .dry_run = dry_run};
    if (oci_store_prune(store, &gopts, &st, &err) < 0)
        return cli_report(err);
    if (cache)
        printf("%s %zu build-cache records\n", dry_run ? "Would drop" : "Dropped",
               cst.records_removed);
    printf("%s %zu blobs (%lld bytes) and %zu unpacked layers\n",
           dry_run ? "Would remove" : "Removed", st.blobs.blobs_removed,
           (long long)st.blobs.bytes_removed, st.layers_removed);
    return 0;
}
