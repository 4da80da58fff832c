/* solve.h - internal: one stage's walk through its instructions. */
#ifndef CBUILD_BUILDER_SOLVE_H
#define CBUILD_BUILDER_SOLVE_H

#include "builder_internal.h"
#include "graph.h"
#include "dockerfile/stages.h"

struct bld_stage_ctx {
    struct bld_solver *s;
    size_t idx;
    struct bld_stage *stage;
    struct bld_state *st; /* = &s->runs[idx].state */
    struct bld_kvs args;  /* ARG values in scope (declared, effective) */
    char *label;          /* "builder" or "stage-2" */
    bool no_cache;
    int64_t last_created_ns; /* time of the last layer step (history stamps) */
};

/* solve_ops.c: the layer steps.  Each computes its key, reuses a cached
 * record or does the work, and appends to ctx->st. */
int bld_op_run(struct bld_stage_ctx *c, const struct bld_instr *in, size_t k, int step,
               struct cb_err **err);
int bld_op_copy(struct bld_stage_ctx *c, const struct bld_instr *in, size_t k, int step,
                struct cb_err **err);
int bld_op_workdir(struct bld_stage_ctx *c, const struct bld_instr *in, int step,
                   struct cb_err **err);

/* RFC 3339 for a history entry at ns (SOURCE_DATE_EPOCH wins). */
char *bld_stage_created(const struct bld_stage_ctx *c, int64_t ns);

#endif
