/* fuzz_dockerfile.c - libFuzzer target: any bytes through the whole
 * frontend (parser, dump, instructions, stages, expansion, cycle check,
 * syntax detection).  It must never crash, leak or hang. */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>

#include "../../base/buf.h"
#include "../../builder/dockerfile/parser.h"
#include "../../builder/dockerfile/stages.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    const char *text = (const char *)data;
    struct cb_err *err = NULL;
    char *ref = NULL, *cmdline = NULL;
    int line;
    if (bld_detect_syntax(text, size, &ref, &cmdline, &line)) {
        free(ref);
        free(cmdline);
    }
    struct bld_ast *ast = bld_parse(text, size, &err);
    cb_err_free(err);
    err = NULL;
    if (!ast)
        return 0;
    struct cb_buf out;
    cb_buf_init(&out, CB_BUF_LIMIT_DEFAULT);
    bld_ast_dump(ast, &out, NULL);
    cb_buf_release(&out);
    struct bld_dockerfile *df = bld_dockerfile_from_ast_take(ast, &err);
    cb_err_free(err);
    err = NULL;
    if (!df)
        return 0;
    struct bld_kvs args = {0};
    bld_kvs_set(&args, "FOO", "foo value");
    bld_kvs_set(&args, "EMPTY", "");
    struct bld_expand_opts o = {.build_args = &args};
    struct cb_strv unused = CB_STRV_INIT;
    if (bld_stages_expand(df, &o, &unused, &err) == 0) {
        cb_err_free(err);
        err = NULL;
        bld_dockerfile_check_cycles(df, &err);
        for (size_t i = 0; i < df->nstages; i++)
            bld_dockerfile_find_stage(df, df->stages[i].base_expanded);
    }
    cb_err_free(err);
    cb_strv_release(&unused);
    bld_kvs_release(&args);
    bld_dockerfile_free(df);
    return 0;
}
