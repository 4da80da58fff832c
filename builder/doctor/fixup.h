/* fixup.h - the doctor's fixups: home, userbase, path, ownership.  Each
 * looks at the image (config + rootfs view), and when (and only when) the
 * matching doctor finding would fire, plans a change: directories to
 * create or entries to re-own (one extra layer) and ENV values to set (the
 * config), plus a history text naming each fixup that did something.  A
 * fixup on an image that is already right plans nothing: the plan is empty,
 * and applying it is a no-op (no layer, no history entry).
 *
 *   home       set HOME for the USER from /etc/passwd, create the home (and
 *              HOME/.npm when npm runs) owned by the user when missing, or
 *              chown it when the user cannot write it
 *   userbase   set PYTHONUSERBASE (and PATH) to the .local tree that
 *              belongs to the user (under its home, or owned by it)
 *   path       put the .local/bin (or node_modules/.bin) dir holding the
 *              start program on PATH
 *   ownership  chown root-owned entries under the user's home to the user
 *
 * How the build engine calls it at the end of the final stage (the
 * rootfs is the stage's merged snapshot directory):
 *
 *     unsigned which;
 *     if (bld_fixup_parse(opt_fixup, &which, err) < 0) ...    // "home,path" | "all"
 *     cleanup_rootfs struct bld_rootfs *fs = bld_rootfs_open_dirs(&rootfs, 1, err);
 *     struct bld_fixup_plan plan;
 *     bld_fixup_plan_init(&plan);
 *     if (bld_fixup_plan(&config, fs, which, &plan, err) < 0) ...
 *     if (plan.n) {                     // entries to write: one layer
 *         char *dir = cb_mkdtemp(store_tmp, "fixup-", err);
 *         bld_fixup_apply_to_dir(&plan, fs, dir, err);
 *         oci_layer_write_tree(dir, ...);   // then add the layer + diff_id
 *         cb_rm_rf(dir, ...);
 *     }
 *     bld_fixup_apply_config(&plan, &config);  // ENV + one history entry
 *     bld_fixup_plan_release(&plan);
 *
 * bld_fixup_apply_config adds the history entry with empty_layer set when
 * plan.n is 0, so call it after appending the layer's diff_id.  plan.notes
 * holds one line per change, for --doctor output.
 */
#ifndef CBUILD_BUILDER_DOCTOR_FIXUP_H
#define CBUILD_BUILDER_DOCTOR_FIXUP_H

#include <stdbool.h>
#include <stddef.h>
#include <sys/types.h>

#include "rootfs.h"
#include "../../base/error.h"
#include "../../base/strv.h"
#include "../../oci/image.h"

struct oci_store;

enum bld_fixup_kind {
    BLD_FIXUP_HOME = 1u << 0,
    BLD_FIXUP_USERBASE = 1u << 1,
    BLD_FIXUP_PATH = 1u << 2,
    BLD_FIXUP_OWNERSHIP = 1u << 3,
    BLD_FIXUP_ALL = 0xfu,
};

enum bld_fixup_op {
    BLD_FIXUP_MKDIR = 0, /* create a directory */
    BLD_FIXUP_CHOWN,     /* rewrite an existing entry with a new owner */
};

struct bld_fixup_entry {
    char *path; /* absolute in the image */
    enum bld_fixup_op op;
    mode_t mode; /* MKDIR: permission bits; CHOWN: the entry's, maybe with u+rwx */
    uid_t uid;
    gid_t gid;
};

struct bld_fixup_plan {
    unsigned changed; /* the fixups that change something */
    struct bld_fixup_entry *v;
    size_t n;
    size_t alloc;
    struct cb_strv env;   /* "K=V" to set in the config, in order */
    struct cb_strv notes; /* one line per change */
    char *history;        /* the history entry's created_by; NULL when nothing to do */
};

/* "home,userbase,path,ownership" (any subset) or "all"; CB_EINVAL naming
 * the unknown word. */
int bld_fixup_parse(const char *list, unsigned *out, struct cb_err **err);

void bld_fixup_plan_init(struct bld_fixup_plan *p);
void bld_fixup_plan_release(struct bld_fixup_plan *p);
#define cleanup_fixup_plan __attribute__((cleanup(bld_fixup_plan_release)))

/* Plan the fixups in which for img over fs. */
int bld_fixup_plan(const struct oci_image *img, struct bld_rootfs *fs, unsigned which,
                   struct bld_fixup_plan *out, struct cb_err **err);
/* Write the plan's entries into the empty directory dir as a tree to turn
 * into one layer: parents copied from the image (mode, owner, mtime), new
 * directories and re-owned entries (file contents copied from fs) with
 * their owners (chown as root, else the user.rootlesscontainers xattr that
 * the layer writer reads back). */
int bld_fixup_apply_to_dir(const struct bld_fixup_plan *p, struct bld_rootfs *fs, const char *dir,
                           struct cb_err **err);
/* Set the plan's ENV in img and append its history entry (nothing when the
 * plan is empty). */
void bld_fixup_apply_config(const struct bld_fixup_plan *p, struct oci_image *img);

/* `cbuild doctor --fixup=LIST SRC -t DST`: apply the fixups to an image of
 * the store as one extra layer and tag the result DST (with nothing to do,
 * DST names SRC's manifest).  plan (may be NULL) receives what was done. */
int bld_fixup_image(struct oci_store *s, const char *src, unsigned which, const char *dst,
                    struct bld_fixup_plan *plan, struct cb_err **err);

#endif
