/* gitsrc.h - ADD <git repository>: resolve the reference to a commit (the
 * step's cache identity, so a cached step needs no fetch) and, on a cache
 * miss, check that commit out with the git command, as BuildKit's git source
 * does: a shallow fetch (a full one when the server cannot serve a single
 * commit), submodules, the optional subdirectory, .git kept only on request.
 *
 * git runs with the user's PATH, HOME (ssh's known_hosts), SSH_AUTH_SOCK
 * and proxy and CA settings, but without system or global git config,
 * without prompts (GIT_TERMINAL_PROMPT=0, ssh BatchMode), and with file://
 * and ext:: transports refused to the repository's submodules. */
#ifndef CBUILD_BUILDER_GITSRC_H
#define CBUILD_BUILDER_GITSRC_H

#include <stdbool.h>

#include "../base/error.h"
#include "dockerfile/gitref.h"

struct bld_git_src {
    struct bld_gitref ref;
    char *commit;      /* resolved: 40 (or 64) lowercase hex digits */
    bool keep_git_dir; /* --keep-git-dir or ?keep-git-dir= */
    bool submodules;   /* ?submodules= (default true) */
};

/* Parse src (an ADD source BuildKit reads as git: bld_gitref_parse) and
 * resolve its ref (or the default branch) to a commit with `git
 * ls-remote`; a full commit id is taken as is, without the network.  When
 * checksum (--checksum or ?checksum=) is set, the commit must start with
 * it.  0, or < 0 with the remote's own error text. */
int bld_git_resolve(const char *src, bool keep_git_dir, const char *checksum,
                    struct bld_git_src *out, struct cb_err **err);
void bld_git_src_release(struct bld_git_src *g);

/* Check g's commit out into workdir/checkout (workdir exists, empty);
 * *dir_rel gets what to copy, relative to workdir ("checkout" or
 * "checkout/SUBDIR"). */
int bld_git_checkout(const struct bld_git_src *g, const char *workdir, char **dir_rel,
                     struct cb_err **err);

/* `cbuild build GIT-URL`: 1 when url is a git reference, and then the
 * repository checked out into a new directory under tmp (*dir: the caller
 * removes it) with .git kept, as BuildKit keeps it for a git context;
 * *context is the directory to build (the checkout or its subdir).  0 when
 * url is not a git reference. */
int bld_git_context(const char *url, const char *tmp, char **dir, char **context,
                    struct cb_err **err);

/* url with the password of its user info replaced by "xxxxx", as BuildKit
 * prints remotes ("https://u:xxxxx@host/r.git"); allocated. */
char *bld_git_redact(const char *url);

/* A digest input naming exactly what the checkout holds (remote, commit,
 * subdir and the options that change files), allocated. */
char *bld_git_identity(const struct bld_git_src *g);

#endif
