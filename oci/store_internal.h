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

#endif
