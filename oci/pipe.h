/* pipe.h - a sink that hands its bytes to another thread: writes are copied
 * into fixed-size chunks, a bounded queue of them feeds the downstream sink
 * on one background thread, in order.  The writer only waits when the queue
 * is full, so producing (walking a tree, building tar) and consuming
 * (compressing, hashing, storing) overlap.
 *
 * The downstream sink is called from the background thread only, one call at
 * a time.  A downstream error stops the pipe; the next write or finish
 * returns it.
 */
#ifndef CBUILD_OCI_PIPE_H
#define CBUILD_OCI_PIPE_H

#include <stddef.h>

#include "../base/error.h"
#include "sink.h"

struct oci_pipe;

/* depth chunks of chunk bytes each are in memory at most (plus the one being
 * filled).  down is borrowed. */
struct oci_pipe *oci_pipe_new(const struct oci_sink *down, size_t chunk, size_t depth,
                              struct cb_err **err);
int oci_pipe_write(struct oci_pipe *p, const void *data, size_t len, struct cb_err **err);
/* A sink feeding oci_pipe_write(); valid while p lives. */
struct oci_sink oci_pipe_sink(struct oci_pipe *p);
/* Deliver what is queued and stop the thread; the downstream is idle after. */
int oci_pipe_finish(struct oci_pipe *p, struct cb_err **err);
/* Stops the thread (dropping anything queued) and frees. */
void oci_pipe_free(struct oci_pipe *p);

#endif
