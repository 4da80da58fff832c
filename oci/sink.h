/* sink.h - where streamed bytes go: a blob writer, a file, a hasher, a test
 * buffer.  Producers (layer writers, compressors, HTTP downloads) write
 * through a sink so they never care what is behind it. */
#ifndef CBUILD_OCI_SINK_H
#define CBUILD_OCI_SINK_H

#include <stddef.h>

#include "../base/error.h"

/* Consume all len bytes or fail. */
typedef int (*oci_sink_write_fn)(void *userdata, const void *data, size_t len, struct cb_err **err);

struct oci_sink {
    oci_sink_write_fn write;
    void *userdata;
};

static inline int oci_sink_write(const struct oci_sink *s, const void *data, size_t len,
                                 struct cb_err **err)
{
    return s->write(s->userdata, data, len, err);
}

#endif
