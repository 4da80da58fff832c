/* treecopy.h - copy a directory tree, for the native snapshotter and for
 * saving an upperdir: owners, modes, times, symlinks, devices, fifos and
 * xattrs are kept (hard links become separate files).  With
 * BLD_COPY_APPLY_WHITEOUTS the source is read as an overlay-form layer:
 * a 0:0 character device deletes the entry in dst and a directory with
 * trusted.overlay.opaque="y" replaces dst's directory instead of merging. */
#ifndef CBUILD_BUILDER_EXEC_TREECOPY_H
#define CBUILD_BUILDER_EXEC_TREECOPY_H

#include "../../base/error.h"

#define BLD_COPY_APPLY_WHITEOUTS 1u
/* Keep trusted.overlay.* xattrs (dropped otherwise). */
#define BLD_COPY_OVERLAY_XATTRS 2u

/* Copy the contents of src into dst (created when missing). */
int bld_tree_copy(const char *src, const char *dst, unsigned flags, struct cb_err **err);

#endif
