/* pgzip.h - parallel gzip: fixed-size blocks compressed by libdeflate on a
 * pool of threads, written in order as concatenated gzip members.
 *
 * The output depends only on the input and the level: the block size and the
 * member header (mtime 0, no name, OS 255) are fixed, and a block is
 * compressed the same by whichever thread takes it.  At most
 * threads + 2 blocks are in memory.  Used by compress.c; the sink is only
 * ever called from the thread that calls oci_pgzip_write()/finish().
 */
#ifndef CBUILD_OCI_PGZIP_H
#define CBUILD_OCI_PGZIP_H

#include <stddef.h>

#include "../base/error.h"
#include "sink.h"

/* Uncompressed bytes per gzip member. */
#define OCI_PGZIP_BLOCK ((size_t)1 << 20)

struct oci_pgzip;

/* level 1..12 (libdeflate's scale); threads <= 1 compresses on the caller's
 * thread.  out is borrowed. */
struct oci_pgzip *oci_pgzip_new(int level, int threads, const struct oci_sink *out,
                                struct cb_err **err);
int oci_pgzip_write(struct oci_pgzip *p, const void *data, size_t len, struct cb_err **err);
/* Compress and write what is left (an empty stream still gets one member). */
int oci_pgzip_finish(struct oci_pgzip *p, struct cb_err **err);
void oci_pgzip_free(struct oci_pgzip *p);

#endif
