/* stubs.h - mount targets that did not exist in the image.
 *
 * The runtime creates a missing mount target (an empty file or directory)
 * in the rootfs, which would put /etc/resolv.conf or /run/secrets/x into the
 * layer.  As BuildKit's mount stub cleaner does, the missing paths are
 * recorded before the step and removed afterwards from the step's writable
 * tree when they are still empty, with the parent's times restored when it
 * holds nothing else.  Also: the WORKDIR created as the step's user.
 */
#ifndef CBUILD_BUILDER_EXEC_STUBS_H
#define CBUILD_BUILDER_EXEC_STUBS_H

#include <stdbool.h>
#include <sys/types.h>
#include <time.h>

#include "../../base/error.h"

struct bld_stub {
    char *path;                      /* relative, no leading "/" */
    struct timespec parent_times[2]; /* atime, mtime of its parent before the step */
    mode_t parent_mode;
    uid_t parent_uid;
    gid_t parent_gid;
};

struct bld_stubs {
    struct bld_stub *v;
    size_t n, alloc;
};

void bld_stubs_init(struct bld_stubs *s);
void bld_stubs_release(struct bld_stubs *s);
/* Record every missing component of target (absolute) in the rootfs rootfd. */
void bld_stubs_record(struct bld_stubs *s, int rootfd, const char *target);
/* Remove the recorded stubs that are still empty from the tree at dir.
 * With overlay_upper, dir is an overlay upper dir: parents that were only
 * copied up for a stub (now empty, not opaque, owner and mode unchanged)
 * are removed too, so they do not show up in the layer. */
void bld_stubs_clean(const struct bld_stubs *s, const char *dir, bool overlay_upper);

/* mkdir -p path inside rootfd; new directories get mode 0755 and uid:gid. */
int bld_mkdir_beneath(int rootfd, const char *path, uid_t uid, gid_t gid, struct cb_err **err);

#endif
