/* checks_format.h - printing build-check results: `docker build --check`
 * style text, or a JSON array of {rule, description, detail, url, line,
 * level} in the results' order. */
#ifndef CBUILD_DOCKERFILE_CHECKS_FORMAT_H
#define CBUILD_DOCKERFILE_CHECKS_FORMAT_H

#include <stddef.h>

#include "checks.h"
#include "../../base/buf.h"

/* Append the JSON array (and a newline) to out. */
int bld_check_result_json(const struct bld_check_result *r, struct cb_buf *out,
                          struct cb_err **err);

/* Append the text report; text/len is the Dockerfile (for the source
 * snippets) and name how to call it ("Dockerfile"). */
void bld_check_result_text(const struct bld_check_result *r, const char *text, size_t len,
                           const char *name, struct cb_buf *out);

#endif
