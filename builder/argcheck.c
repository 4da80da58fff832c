/* argcheck.c - the rule table for development defaults in build args. */
#include <fnmatch.h>
#include <stddef.h>
#include <string.h>
#include <strings.h>

#include "argcheck.h"
#include "../base/banned.h"

/* Values that only make sense on a developer's machine. */
static const char *const dev_markers[] = {
    "localhost",   "127.0.0.1",   "0.0.0.0",     "[::1]",    "host.docker.internal",
    "example.com", "example.org", "example.net", ".example", ".local",
    ".test",       ".invalid",
};

/* Names whose values frameworks inline into client bundles, or that name
 * where the shipped code connects to (fnmatch patterns, case-insensitive). */
static const char *const baked_names[] = {
    "*_PUBLIC_*",    "PUBLIC_*",      "NEXT_PUBLIC_*", "VITE_*", "REACT_APP_*",
    "EXPO_PUBLIC_*", "NUXT_PUBLIC_*", "GATSBY_*",      "*_URL",  "*_URI",
    "*_ENDPOINT",    "*_HOST",        "*_ORIGIN",
};

const char *bld_argcheck_dev_value(const char *value)
{
    if (!value || !*value)
        return NULL;
    for (size_t i = 0; i < sizeof(dev_markers) / sizeof(dev_markers[0]); i++)
        if (strcasestr(value, dev_markers[i]))
            return dev_markers[i];
    return NULL;
}

bool bld_argcheck_baked(const char *name, const char *value)
{
    if (value && strstr(value, "://"))
        return true;
    for (size_t i = 0; i < sizeof(baked_names) / sizeof(baked_names[0]); i++)
        if (fnmatch(baked_names[i], name, FNM_CASEFOLD) == 0)
            return true;
    return false;
}
