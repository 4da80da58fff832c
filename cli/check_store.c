/* check_store.c - base image platforms for `cbuild check`, read from the
 * local store only (an image that was pulled or loaded before), for the
 * InvalidBaseImagePlatform rule. */
#include <stdlib.h>
#include <string.h>

#include "check_store.h"
#include "../base/cleanup.h"
#include "../base/fsutil.h"
#include "../base/xalloc.h"
#include "../oci/image.h"
#include "../oci/store.h"
#include "../base/banned.h"

static struct oci_store *store_of(struct cli_check_store *cs)
{
    if (cs->tried)
        return cs->store;
    cs->tried = true;
    cleanup_free char *root = cs->root ? xstrdup(cs->root) : oci_store_default_root();
    cleanup_free char *index = root ? xasprintf("%s/oci/index.json", root) : NULL;
    struct cb_err *err = NULL;
    if (root && cb_path_exists(index)) /* an existing store: never create one */
        cs->store = oci_store_open(root, OCI_STORE_SHARED, &err);
    cb_err_free(err);
    return cs->store;
}

bool cli_check_base_platform(void *userdata, const char *ref, const struct bld_platform *want,
                             char **os, char **arch)
{
    struct oci_store *s = store_of(userdata);
    if (!s)
        return false;
    struct oci_platform p;
    oci_platform_init(&p);
    p.os = xstrdup(want->os);
    p.architecture = xstrdup(want->arch);
    struct oci_image img;
    struct cb_err *err = NULL;
    int rc = oci_store_get_image(s, ref, &p, NULL, NULL, &img, &err);
    oci_platform_release(&p);
    cb_err_free(err);
    if (rc < 0)
        return false;
    bool known = img.os && img.architecture;
    if (known) {
        *os = xstrdup(img.os);
        *arch = xstrdup(img.architecture);
    }
    oci_image_release(&img);
    return known;
}

void cli_check_store_release(struct cli_check_store *cs)
{
    oci_store_free(cs->store);
    cs->store = NULL;
}
