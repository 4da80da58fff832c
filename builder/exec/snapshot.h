/* snapshot.h - mutable rootfs snapshots for RUN steps.
 *
 * overlay: the unpacked layers (bottom first) are the lowerdirs, plus a
 * fresh upper and work dir.  The overlay is only ever mounted inside a
 * step's private mount namespace (bld_snapshot_mount() runs there), so no
 * mount outlives the step; afterwards the upper dir holds exactly the
 * step's changes in overlay form, ready for the layer diff.  Lowerdir lists
 * longer than a page work: fsconfig "lowerdir+" one layer at a time
 * (kernel >= 6.8), else short relative names in a directory of symlinks.
 *
 * native: used when overlay is not available or asked for.  The layers are
 * copied (whiteouts applied) into a "parent" tree and a mutable "rootfs"
 * tree; the layer is then the tree diff of the two.
 */
#ifndef CBUILD_BUILDER_EXEC_SNAPSHOT_H
#define CBUILD_BUILDER_EXEC_SNAPSHOT_H

#include <stdbool.h>
#include <stddef.h>

#include "../../base/error.h"
#include "../../base/strv.h"

enum bld_snapshotter {
    BLD_SNAP_AUTO = 0, /* overlay when the kernel has it, else native */
    BLD_SNAP_OVERLAY,
    BLD_SNAP_NATIVE,
};

struct bld_snapshot_opts {
    const char *state_dir;     /* where the snapshot's directory is made (ROOT/run) */
    enum bld_snapshotter kind; /* AUTO resolves to OVERLAY or NATIVE */
    const char *const *lowers; /* unpacked layer dirs in overlay form, bottom first */
    size_t n_lowers;           /* 0 = an empty rootfs (FROM scratch) */
};

struct bld_snapshot {
    enum bld_snapshotter kind; /* OVERLAY or NATIVE */
    char *dir;                 /* the snapshot's own state dir */
    struct cb_strv lowers;     /* overlay: lowerdirs, bottom first */
    char *upper;               /* overlay: the changes, after the step */
    char *work;                /* overlay: the work dir */
    char *links;               /* overlay: dir of short symlinks to the lowers */
    char *mount_opts;          /* overlay: mount(2) options relative to links (fallback) */
    char *rootfs;              /* native: the mutable tree */
    char *parent;              /* native: the untouched parent tree (diff base) */
};

/* Parse "overlay", "native" or "auto"; CB_EINVAL naming the value otherwise. */
int bld_snapshotter_parse(const char *name, enum bld_snapshotter *out, struct cb_err **err);
/* Whether the running kernel offers overlayfs. */
bool bld_overlay_supported(void);

int bld_snapshot_prepare(const struct bld_snapshot_opts *o, struct bld_snapshot **out,
                         struct cb_err **err);
/* Remove the snapshot's directories (the upper dir too: diff first). */
void bld_snapshot_free(struct bld_snapshot *s);
static inline void bld_snapshot_freep(struct bld_snapshot **s)
{
    bld_snapshot_free(*s);
    *s = NULL;
}
#define cleanup_snapshot __attribute__((cleanup(bld_snapshot_freep)))

/* The directory a step's writes land in (upper or rootfs), borrowed. */
const char *bld_snapshot_write_dir(const struct bld_snapshot *s);

/* Mount the snapshot's rootfs at target.  Call only in a private mount
 * namespace (the step's helper process); allocates nothing, so it is safe
 * after fork().  Returns 0 or -errno, with *what naming the failed call. */
int bld_snapshot_mount(const struct bld_snapshot *s, const char *target, const char **what);
/* The fallback bld_snapshot_mount() uses when fsconfig "lowerdir+" is not
 * available (kernel < 6.8): mount(2) with short names relative to the
 * links dir.  Changes the cwd; exposed for tests. */
int bld_snapshot_mount_legacy(const struct bld_snapshot *s, const char *target, const char **what);

#endif
