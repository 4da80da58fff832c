/* copy.h - COPY and ADD into a rootfs, with Docker's semantics.
 *
 * Two halves.  Selecting: a source pattern (wildcards as Go's filepath.Match)
 * is resolved against a root directory (the build context, or a stage's
 * rootfs) into concrete paths; a path that is, or walks through, a symlink
 * pointing outside the root is an error that names the link and its target.
 * Copying: the selected paths are copied under dest inside a rootfs opened as
 * a directory fd, never escaping it (every destination path is resolved
 * in-root); owners come from --chown (resolved against the destination's own
 * /etc/passwd and /etc/group), or 0:0 for context files, or are kept for
 * --from copies; --chmod takes octal or symbolic modes.
 */
#ifndef CBUILD_BUILDER_COPY_H
#define CBUILD_BUILDER_COPY_H

#include <stdbool.h>
#include <sys/types.h>

#include "../base/error.h"
#include "../base/strv.h"

/* Return true to leave rel (a path relative to the root, no leading "/")
 * out of a copy: .dockerignore for the context, and --exclude.  rel + base
 * (past a '/') is the path relative to the source being copied (base is 0
 * while selecting sources). */
typedef bool (*bld_copy_skip_fn)(void *userdata, const char *rel, size_t base, bool is_dir);

/* Whether s holds a wildcard character (* ? [ or \\). */
bool bld_copy_has_wildcard(const char *s);

/* Resolve pattern (relative to root; a leading "/" is ignored) into matches
 * (paths relative to root, sorted).  A wildcard pattern may match nothing;
 * a literal one must exist (CB_ENOTFOUND "... not found").  Symlinks in the
 * literal part are followed inside root; one that leads outside root is
 * CB_EINVAL naming it, its target and the way out, unless flags has
 * BLD_COPY_ROOTFS: root is an image's or a stage's filesystem, where an
 * absolute target starts at root and ".." stops there (as in the
 * container).  what names the root in messages ("the build context",
 * "stage 'builder'"). */
#define BLD_COPY_ROOTFS 1u
int bld_copy_select(const char *root, const char *pattern, bld_copy_skip_fn skip, void *userdata,
                    const char *what, unsigned flags, struct cb_strv *matches, struct cb_err **err);

/* A --chmod value: octal ("755") or symbolic ("u=rwX,go=rX", "+x"). */
struct bld_chmod {
    bool set;
    bool octal;
    mode_t mode; /* octal */
    char *symbolic;
};
int bld_chmod_parse(const char *s, struct bld_chmod *out, struct cb_err **err);
void bld_chmod_release(struct bld_chmod *c);
/* The mode a file gets: old mode (type bits ignored) changed by c. */
mode_t bld_chmod_apply(const struct bld_chmod *c, mode_t old, bool is_dir);

struct bld_copy_req {
    const char *src_root;       /* where sources live (host path) */
    const struct cb_strv *srcs; /* selected paths, relative to src_root */
    const char *dest;           /* absolute in the rootfs; a trailing "/" means a directory */
    bool dest_is_dir;           /* also true with several sources */
    bool parents;               /* --parents: keep the source's relative path */
    const char *chown;          /* --chown spec, or NULL */
    bool keep_owner;            /* no --chown and a --from copy: keep owners */
    const struct bld_chmod *chmod;
    bld_copy_skip_fn skip; /* applied inside copied directories */
    void *skip_data;
    bool unpack_archives; /* ADD: extract local tar archives */
};

/* Copy into the rootfs open at rootfd.  Called in the process that sees the
 * rootfs mounted (the step's private mount namespace for overlay). */
int bld_copy_into(int rootfd, const struct bld_copy_req *r, struct cb_err **err);

/* WORKDIR: create path (absolute) and missing parents in the rootfs, owned
 * by user (a USER spec, NULL = root) like BuildKit does for new dirs. */
int bld_copy_mkdir(int rootfd, const char *path, const char *user, struct cb_err **err);

#endif
