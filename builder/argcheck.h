/* argcheck.h - build args that keep a development default.
 *
 * A frontend baked with NEXT_PUBLIC_API_BASE=http://localhost:8080 calls
 * localhost in production.  After expansion, every ARG with a default that no
 * --build-arg (or --build-arg-file) overrides is checked against one rule
 * table: its default looks like a development value (localhost, 127.0.0.1,
 * example.com, ...) and it is a value that gets baked in (a *_PUBLIC_*-style
 * name as Next.js, Vite and CRA inline, or a URL).  Each hit is a warning.
 */
#ifndef CBUILD_BUILDER_ARGCHECK_H
#define CBUILD_BUILDER_ARGCHECK_H

#include <stdbool.h>

/* Whether value looks like a development default (which marker, or NULL). */
const char *bld_argcheck_dev_value(const char *value);
/* Whether an arg with this name and value gets baked into what ships. */
bool bld_argcheck_baked(const char *name, const char *value);

#endif
