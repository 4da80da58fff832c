/* cmd_debug_cache.c - `cbuild debug contenthash`: the content digest that
 * COPY's cache key uses, with the store's per-context stat cache, for tests,
 * timing and bug reports.
 *
 *   contenthash [--no-statcache] [--dockerignore] [--owner] [--threads N]
 *               [--stats] DIR [PATH...]
 */
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>

#include "commands.h"
#include "options.h"
#include "../base/cleanup.h"
#include "../base/xalloc.h"
#include "../builder/dockerfile/ignore.h"
#include "../cache/contenthash.h"
#include "../cache/statcache.h"
#include "../oci/store.h"
#include "../base/banned.h"

/* .dockerignore as a walk filter: an excluded directory is still walked
 * when an exception pattern may re-include something below it. */
static enum cache_filter_result ignore_filter(void *userdata, const char *rel, bool is_dir)
{
    struct bld_ignore *m = userdata;

    if (bld_ignore_match(m, rel, NULL) != 1)
        return CACHE_FILTER_INCLUDE;
    if (is_dir && bld_ignore_can_skip_dir(m, rel, NULL) != 1)
        return CACHE_FILTER_EXCLUDE_SELF;
    return CACHE_FILTER_EXCLUDE;
}

static void print_stats(const struct cache_statcache *sc)
{
    struct cache_statcache_stats st;

    cache_statcache_get_stats(sc, &st);
    fprintf(stderr, "files hashed %zu, bytes hashed %llu, cache hits %zu, racy %zu, loaded %zu%s\n",
            st.files_hashed, (unsigned long long)st.bytes_hashed, st.hits, st.racy, st.loaded,
            st.load_failed ? " (cache file ignored)" : "");
}

int cmd_debug_contenthash(int argc, char **argv, struct cli_env *env)
{
    bool no_sc = false, use_ignore = false, owner = false, stats = false;
    long threads = 1;
    const struct cli_option opts[] = {
        {0, "no-statcache", CLI_OPT_BOOL, &no_sc, NULL, "read every file"},
        {0, "dockerignore", CLI_OPT_BOOL, &use_ignore, NULL, "apply DIR/.dockerignore"},
        {0, "owner", CLI_OPT_BOOL, &owner, NULL, "include uid/gid"},
        {0, "threads", CLI_OPT_INT, &threads, "N", "walk subdirectories on N threads"},
        {0, "stats", CLI_OPT_BOOL, &stats, NULL, "print stat cache counters on stderr"},
        {0},
    };
    const struct cli_usage u = {
        "cbuild debug contenthash [OPTIONS] DIR [PATH...]",
        "Print the content digest of PATHs (default: all) under DIR, as COPY's cache key uses it.",
        opts};
    cleanup_strv_s struct cb_strv args = CB_STRV_INIT;
    cleanup_strv_s struct cb_strv pats = CB_STRV_INIT;
    cleanup_statcache struct cache_statcache *sc = NULL;
    cleanup_ignore struct bld_ignore *ign = NULL;
    cleanup_free char *root = NULL;
    cleanup_free char *scpath = NULL;
    cleanup_close int fd = -1;
    cleanup_err struct cb_err *err = NULL;
    struct oci_digest d;
    char s[OCI_DIGEST_STR_MAX];
    int rc = cli_parse(argc, argv, &u, 0, &args);

    if (rc)
        return rc > 0 ? 0 : 2;
    if (args.n < 1)
        return cli_usage_error(&u, "expected DIR");
    if (threads < 1 || threads > 256)
        return cli_usage_error(&u, "--threads: %ld is not in 1..256", threads);
    if ((fd = open(args.v[0], O_RDONLY | O_DIRECTORY | O_CLOEXEC)) < 0)
        return cli_usage_error(&u, "cannot open directory '%s'", args.v[0]);
    if (use_ignore && (bld_ignore_load(args.v[0], NULL, &pats, NULL, &err) < 0 ||
                       !(ign = bld_ignore_new((const char *const *)pats.v, pats.n, &err))))
        return cli_report(err);
    if (!no_sc) {
        root = env->root ? xstrdup(env->root) : oci_store_default_root();
        if (!(scpath = cache_statcache_path(root, args.v[0], &err)) ||
            !(sc = cache_statcache_open(scpath, &err)))
            return cli_report(err);
    }
    static const char *const all[] = {"."};
    struct cache_contenthash_opts o = {
        .root_fd = fd,
        .paths = args.n > 1 ? (const char *const *)args.v + 1 : all,
        .n_paths = args.n > 1 ? args.n - 1 : 1,
        .filter = ign ? ignore_filter : NULL,
        .filter_data = ign,
        .statcache = sc,
        .with_owner = owner,
        .threads = (int)threads,
    };
    if (cache_contenthash(&o, &d, &err) < 0 || cache_statcache_save(sc, &err) < 0)
        return cli_report(err);
    printf("%s\n", oci_digest_fmt(&d, s));
    if (stats)
        print_stats(sc);
    return 0;
}
