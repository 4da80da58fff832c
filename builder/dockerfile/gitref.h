/* gitref.h - git source references (BuildKit's dfgitutil): which strings
 * name a git repository (for ADD <git-url> and remote contexts), and their
 * #ref:subdir fragment and ?ref=&tag=&branch=&subdir=&checksum=... query. */
#ifndef CBUILD_BUILDER_DOCKERFILE_GITREF_H
#define CBUILD_BUILDER_DOCKERFILE_GITREF_H

#include <stdbool.h>

#include "../../base/error.h"

struct bld_gitref {
    char *remote;     /* the repository URL without fragment and query */
    char *short_name; /* last path element without ".git" */
    char *ref;        /* commit, tag or branch (refs/tags/.., refs/heads/..), or NULL */
    char *checksum;   /* ?checksum= / ?commit=, or NULL */
    char *subdir;     /* directory inside the repository, or NULL */
    char *mtime;      /* ?mtime=checkout|commit, or NULL */
    bool indistinguishable_from_local; /* "github.com/x/y" without a scheme */
    bool unencrypted_tcp;              /* git:// or http:// */
    bool fetch_by_commit;
    int keep_git_dir; /* -1 unset, 0, 1 */
    int submodules;   /* -1 unset, 0, 1 */
};

/* Returns 1 and fills out for a git reference, 0 when s is not one (a
 * local path, an HTTP URL without ".git"...), or fails (CB_EINVAL) when it
 * is one with a bad query ("ref conflicts: ...", "unexpected query ..."). */
int bld_gitref_parse(const char *s, struct bld_gitref *out, struct cb_err **err);
void bld_gitref_release(struct bld_gitref *g);

/* FragmentFormat: "remote#ref" (plus ":subdir" when keep_subdir), or a copy
 * of s with *ok false when s is not a valid git reference. */
char *bld_gitref_fragment(const char *s, bool keep_subdir, bool *ok);

#endif
