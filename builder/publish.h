/* publish.h - what happens to a built image after bld_build(): the summary
 * line, the image doctor with what the build knows (--doctor), and pushing
 * it to its tags (--push).  Shared by `cbuild build` and `cbuild bake`. */
#ifndef CBUILD_BUILDER_PUBLISH_H
#define CBUILD_BUILDER_PUBLISH_H

#include <stdbool.h>

#include "build.h"
#include "../base/buf.h"
#include "../oci/registry.h"

/* "image DIGEST (config ID)\nsteps: N run, N cached\nstages: NAME 1.2s, ...\n" */
char *bld_build_summary(const struct bld_build_result *r);

/* Run the image doctor on r's image with the final stage's ARG defaults and
 * layers; the findings' text is appended to report.  With strict, any
 * finding fails (CB_ESTEP "the image doctor found N problems"). */
int bld_build_doctor(struct oci_store *s, const struct bld_build_result *r, bool strict,
                     struct cb_buf *report, struct cb_err **err);

/* Push the manifest or index desc to every tag (normalised as docker does),
 * blobs once. */
int bld_push_tags(struct oci_store *s, const struct oci_descriptor *desc,
                  const struct cb_strv *tags, const struct oci_registry_opts *reg,
                  struct cb_err **err);

#endif
