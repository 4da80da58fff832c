/* fuzz_gitref.c - libFuzzer target for git references (ADD <git URL>,
 * git contexts): the input is one reference; it is parsed as BuildKit's
 * dfgitutil reads it, formatted back as a fragment, and redacted for
 * messages.  It must never crash, leak or hang. */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "../../base/xalloc.h"
#include "../../builder/dockerfile/gitref.h"
#include "../../builder/gitsrc.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    char *s = xstrndup((const char *)data, size);
    struct cb_err *err = NULL;
    struct bld_gitref g;
    bool ok;

    if (bld_gitref_parse(s, &g, &err) > 0)
        bld_gitref_release(&g);
    cb_err_free(err);
    free(bld_gitref_fragment(s, true, &ok));
    free(bld_gitref_fragment(s, false, &ok));
    free(bld_git_redact(s));
    free(s);
    return 0;
}
