/* graph.h - stages as a dependency graph: which stage needs which (FROM an
 * earlier stage, COPY --from, RUN --mount from=), which stages the target
 * needs at all, and an order to run them in.  Unused stages are skipped:
 * never pulled, never run. */
#ifndef CBUILD_BUILDER_GRAPH_H
#define CBUILD_BUILDER_GRAPH_H

#include <stdbool.h>
#include <stddef.h>

#include "dockerfile/stages.h"
#include "../base/error.h"

enum bld_base_kind {
    BLD_BASE_SCRATCH,
    BLD_BASE_STAGE, /* FROM an earlier stage */
    BLD_BASE_IMAGE, /* FROM an image reference (or a named build context) */
};

struct bld_graph_stage {
    enum bld_base_kind base_kind;
    long base_stage; /* BLD_BASE_STAGE: its index */
    size_t *deps;    /* stages this one needs finished first, unique */
    size_t n_deps;
    bool needed; /* reachable from the target */
};

struct bld_graph {
    struct bld_graph_stage *stages; /* one per df->stages[i] */
    size_t n;
    size_t target;
    size_t *order; /* needed stages, dependencies first */
    size_t n_order;
};

/* Whether a --from / from= value names a stage of df (by name or index
 * lower than before), and which: returns the index or -1 (an image or a
 * named context). */
long bld_graph_stage_ref(const struct bld_dockerfile *df, size_t before, const char *ref);

/* Build the graph of df (expanded: bases are base_expanded) for target
 * (NULL = the last stage).  overrides (may be NULL) are named build
 * contexts: a FROM or --from naming one refers to it, not to a stage.  Errors name the Dockerfile
 * line: an unknown target, a stage that refers to itself or a later stage. */
int bld_graph_build(const struct bld_dockerfile *df, const char *target,
                    const struct cb_strv *overrides, struct bld_graph *g, struct cb_err **err);
void bld_graph_release(struct bld_graph *g);

#endif
