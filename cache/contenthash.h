/* contenthash.h - the content digest of COPY/ADD sources: a deterministic
 * sha256 over a walk of selected paths under a root directory (the build
 * context or a stage's rootfs).
 *
 * What it covers, per entry: its name relative to the selected path, its
 * type, its permission bits (with setuid/setgid/sticky), uid/gid when asked
 * (with_owner), a regular file's content, a symlink's target, a device's
 * major/minor.  Not covered: timestamps (touching a file does not change the
 * digest), hard-link identity, xattrs.  Each directory's digest is a Merkle
 * hash of its sorted children, so renaming a file changes every digest up
 * to the root.
 *
 * Files are opened relative to directory fds (O_NOFOLLOW below the selected
 * path, openat2 RESOLVE_IN_ROOT for the selected path itself): nothing
 * outside the root is ever read.  A selected path that is a symlink is
 * followed (inside the root), as COPY does; symlinks below it are hashed as
 * links.  Regular files' contents come from the stat cache when it can vouch
 * for them.
 */
#ifndef CBUILD_CACHE_CONTENTHASH_H
#define CBUILD_CACHE_CONTENTHASH_H

#include <stdbool.h>
#include <stddef.h>

#include "statcache.h"
#include "../base/error.h"
#include "../oci/digest.h"

enum cache_filter_result {
    CACHE_FILTER_INCLUDE = 0,
    CACHE_FILTER_EXCLUDE,      /* leave out the entry and everything under it */
    CACHE_FILTER_EXCLUDE_SELF, /* a directory: walk it, keep it only if a child is kept
                                * (.dockerignore "dir" with a "!dir/keep" exception) */
};

/* relpath is relative to the root ("src/main.c", no leading "./" or "/");
 * is_dir tells a directory from anything else. */
typedef enum cache_filter_result (*cache_filter_fn)(void *userdata, const char *relpath,
                                                    bool is_dir);

struct cache_contenthash_opts {
    int root_fd; /* directory fd of the root; borrowed */
    /* Selected sources relative to the root, in COPY order ("." = all).
     * ".." may not climb above the root (CB_EINVAL). */
    const char *const *paths;
    size_t n_paths;
    cache_filter_fn filter; /* NULL keeps everything */
    void *filter_data;
    struct cache_statcache *statcache; /* NULL reads every file */
    bool with_owner;                   /* hash uid/gid too (COPY --from a rootfs) */
    /* Walk subdirectories on up to this many threads (<= 1: one).  With
     * more, filter is called from several threads at once. */
    int threads;
};

/* The digest of the selected sources.  CB_ENOTFOUND naming the path when a
 * selected path is missing or excluded by the filter; CB_EIO on read errors. */
int cache_contenthash(const struct cache_contenthash_opts *o, struct oci_digest *out,
                      struct cb_err **err);

/* Lexically clean path relative to a root: no "", "." or ".." components, no
 * leading or trailing slash ("" is the root itself).  ".." above the root is
 * CB_EINVAL ("'../x' is outside the root"). */
char *cache_path_clean(const char *path, struct cb_err **err);

#endif
