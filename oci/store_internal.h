/* store_internal.h - the store handle's fields, shared by store.c and
 * store_layers.c (oci/ only). */
#ifndef CBUILD_OCI_STORE_INTERNAL_H
#define CBUILD_OCI_STORE_INTERNAL_H

#include "store.h"

struct oci_store {
    char *root;
    char *tmp;
    int lockfd;
    enum oci_store_lock lock;
    struct oci_layout *layout;
};

/* The manifest descriptor for platform (NULL = host) of desc, a manifest or
 * an index (out initialised by the callee). */
int store_pick_manifest(struct oci_layout *l, const struct oci_descriptor *desc,
                        const struct oci_platform *platform, struct oci_descriptor *out,
                        struct cb_err **err);

#endif
