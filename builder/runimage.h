/* runimage.h - `cbuild run`: run an image's command once with the build's
 * executor, for smoke tests without a container engine (the common
 * `docker run --rm --entrypoint sh IMAGE -c 'echo $HOME'` check).
 *
 * The command is the image's ENTRYPOINT + CMD, as docker composes them:
 * --entrypoint replaces the entrypoint and drops the image's CMD; arguments
 * replace the CMD.  Nothing is kept afterwards (every run is --rm).
 */
#ifndef CBUILD_BUILDER_RUNIMAGE_H
#define CBUILD_BUILDER_RUNIMAGE_H

#include <stdbool.h>
#include <stddef.h>

#include "../base/error.h"
#include "../base/strv.h"
#include "../oci/store.h"

struct bld_run_image_opts {
    const char *image;
    const char *entrypoint; /* NULL: the image's; "" clears it */
    char *const *args;      /* replace CMD when n_args > 0 */
    size_t n_args;
    const struct cb_strv *env;     /* "K=V" added to (or replacing in) the image's env */
    const char *user;              /* NULL: the image's USER */
    const char *workdir;           /* NULL: the image's WORKDIR */
    const struct cb_strv *volumes; /* "SRC:DST[:ro]" bind mounts */
    int network;                   /* 0 default (host), 1 none, 2 host */
    const char *runtime;
    const char *snapshotter;
    int cancel_fd;
    /* The command's output, as it comes. */
    void (*output)(void *userdata, const char *data, size_t len);
    void *output_data;
};

/* Run it; *exit_code gets the command's status (128+N for signal N). */
int bld_run_image(struct oci_store *store, const struct bld_run_image_opts *o, int *exit_code,
                  struct cb_err **err);

#endif
