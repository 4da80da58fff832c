/* fuzz_checks.c - libFuzzer target: any bytes as a Dockerfile through the
 * build checks (with a .dockerignore and build args, so every rule can
 * run) and both output formats.  It must never crash, leak or hang. */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>

#include "../../base/buf.h"
#include "../../builder/dockerfile/checks_format.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static const char *const pats[] = {"*.md", "dist", "**/tmp"};
    struct cb_err *err = NULL;
    struct bld_ignore *ig = bld_ignore_new(pats, 3, &err);
    struct bld_kvs args = {0};
    bld_kvs_set(&args, "FOO", "foo");
    bld_kvs_set(&args, "TAG", "");
    struct bld_check_opts o = {.build_args = &args, .ignore = ig};
    o.target = o.build = (struct bld_platform){"linux", "amd64", ""};
    struct bld_check_result r;
    if (bld_check_run((const char *)data, size, &o, &r, &err) == 0) {
        struct cb_buf b;
        cb_buf_init(&b, CB_BUF_LIMIT_DEFAULT);
        bld_check_result_json(&r, &b, NULL);
        bld_check_result_text(&r, (const char *)data, size, "Dockerfile", &b);
        cb_buf_release(&b);
        bld_check_result_release(&r);
    }
    cb_err_free(err);
    bld_ignore_free(ig);
    bld_kvs_release(&args);
    return 0;
}
