/* user.h - resolve a Dockerfile USER ("name[:group]" or "uid[:gid]") against
 * the rootfs's own /etc/passwd and /etc/group, as Docker and BuildKit do.
 *
 * Files are read through cb_open_beneath(), so a symlinked /etc/passwd in an
 * image cannot make cbuild read host files.
 */
#ifndef CBUILD_BUILDER_EXEC_USER_H
#define CBUILD_BUILDER_EXEC_USER_H

#include <stdbool.h>
#include <stddef.h>
#include <sys/types.h>

#include "../../base/error.h"

struct bld_user {
    uid_t uid;
    gid_t gid;
    gid_t *groups; /* supplementary groups (from /etc/group membership) */
    size_t n_groups;
    char *home; /* from passwd, or "/" when the user has no entry */
};

/* Resolve spec (NULL or "" means root) with rootfd as "/".  A name that is
 * not in /etc/passwd (or a group not in /etc/group) fails with CB_ENOTFOUND
 * naming it; numeric ids need no entry. */
int bld_user_resolve(int rootfd, const char *spec, struct bld_user *out, struct cb_err **err);
void bld_user_release(struct bld_user *u);
/* Put the primary group first among the supplementary groups (docker run
 * does; a build step does not), when it is not there yet. */
void bld_user_add_primary_group(struct bld_user *u);

/* What passwd and group (the two files' text; NULL is empty) say about spec,
 * by the same rules, without failing: for `cbuild doctor`, which reports an
 * unknown user or group instead of stopping at it. */
struct bld_user_lookup {
    struct bld_user ids; /* uid 0, gid 0, home "/" where nothing was found */
    char *name;          /* the passwd entry's name; NULL when there is none */
    bool user_found;     /* numeric, or in passwd */
    bool group_found;    /* no group part, numeric, or in group */
};
void bld_user_lookup(const char *passwd, const char *group, const char *spec,
                     struct bld_user_lookup *out);
void bld_user_lookup_release(struct bld_user_lookup *l);

#endif
