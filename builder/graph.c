/* graph.c - stage dependencies, target pruning and a topological order. */
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "graph.h"
#include "../base/xalloc.h"
#include "../base/banned.h"

long bld_graph_stage_ref(const struct bld_dockerfile *df, size_t before, const char *ref)
{
    char *end;
    long idx;

    if (!ref || !*ref)
        return -1;
    for (size_t i = 0; i < before && i < df->nstages; i++)
        if (df->stages[i].name && !strcasecmp(df->stages[i].name, ref))
            return (long)i;
    idx = strtol(ref, &end, 10);
    if (*end == '\0' && end != ref && idx >= 0 && (size_t)idx < before)
        return idx;
    return -1;
}

static void add_dep(struct bld_graph_stage *s, size_t dep)
{
    for (size_t i = 0; i < s->n_deps; i++)
        if (s->deps[i] == dep)
            return;
    s->deps = xreallocarray(s->deps, s->n_deps + 1, sizeof(*s->deps));
    s->deps[s->n_deps++] = dep;
}

/* A --from naming a stage that is not earlier: the stage itself or a later
 * one is an error, as in BuildKit ("circular dependency"). */
static int check_ref(const struct bld_dockerfile *df, size_t i, const char *ref, int line,
                     struct cb_err **err)
{
    for (size_t j = i; j < df->nstages; j++)
        if (df->stages[j].name && !strcasecmp(df->stages[j].name, ref))
            return cb_fail(err, CB_ESYNTAX, 0,
                           "Dockerfile:%d: stage '%s' refers to %s: circular dependency", line, ref,
                           j == i ? "itself" : "a later stage");
    return 0;
}

static bool overridden(const struct cb_strv *ov, const char *name)
{
    for (size_t i = 0; ov && i < ov->n; i++)
        if (!strcasecmp(ov->v[i], name))
            return true;
    return false;
}

static int stage_deps(const struct bld_dockerfile *df, size_t i, const struct cb_strv *ov,
                      struct bld_graph_stage *gs, struct cb_err **err)
{
    const struct bld_stage *st = &df->stages[i];
    const char *base = st->base_expanded ? st->base_expanded : st->base;
    long ref;

    gs->base_kind = BLD_BASE_IMAGE;
    ref = overridden(ov, base) ? -1 : bld_graph_stage_ref(df, i, base);
    if (ref >= 0) {
        gs->base_kind = BLD_BASE_STAGE;
        gs->base_stage = ref;
        add_dep(gs, (size_t)ref);
    } else if (!strcasecmp(base, "scratch")) {
        gs->base_kind = BLD_BASE_SCRATCH;
    }
    for (size_t k = 0; k < st->n; k++) {
        const struct bld_instr *in = &st->instrs[k];
        const char *froms[64];
        size_t nf = 0;
        if ((in->kind == BLD_I_COPY || in->kind == BLD_I_ADD) && in->u.copy.from)
            froms[nf++] = in->u.copy.from;
        if (in->kind == BLD_I_RUN)
            for (size_t m = 0; m < in->u.run.nmounts && nf < 64; m++)
                if (in->u.run.mounts[m].from)
                    froms[nf++] = in->u.run.mounts[m].from;
        for (size_t f = 0; f < nf; f++) {
            int line = in->node ? in->node->start_line : 0;
            if (overridden(ov, froms[f]))
                continue;
            if (check_ref(df, i, froms[f], line, err) < 0)
                return -CB_ESYNTAX;
            ref = bld_graph_stage_ref(df, i, froms[f]);
            if (ref >= 0)
                add_dep(gs, (size_t)ref);
        }
    }
    return 0;
}

static void mark_needed(struct bld_graph *g, size_t i)
{
    if (g->stages[i].needed)
        return;
    g->stages[i].needed = true;
    for (size_t d = 0; d < g->stages[i].n_deps; d++)
        mark_needed(g, g->stages[i].deps[d]);
}

int bld_graph_build(const struct bld_dockerfile *df, const char *target,
                    const struct cb_strv *overrides, struct bld_graph *g, struct cb_err **err)
{
    memset(g, 0, sizeof(*g));
    if (df->nstages == 0)
        return cb_fail(err, CB_ESYNTAX, 0, "the Dockerfile has no stages");
    g->n = df->nstages;
    g->stages = xcalloc(g->n, sizeof(*g->stages));
    for (size_t i = 0; i < g->n; i++)
        if (stage_deps(df, i, overrides, &g->stages[i], err) < 0)
            return -CB_ESYNTAX;
    if (target && *target) {
        long t = -1;
        for (size_t i = 0; i < df->nstages; i++)
            if (df->stages[i].name && !strcasecmp(df->stages[i].name, target))
                t = (long)i;
        if (t < 0)
            return cb_fail(err, CB_EINVAL, 0, "target stage \"%s\" could not be found", target);
        g->target = (size_t)t;
    } else {
        g->target = g->n - 1;
    }
    mark_needed(g, g->target);
    /* dependencies always point to earlier stages, so index order is a
     * topological order */
    g->order = xcalloc(g->n, sizeof(*g->order));
    for (size_t i = 0; i < g->n; i++)
        if (g->stages[i].needed)
            g->order[g->n_order++] = i;
    return 0;
}

void bld_graph_release(struct bld_graph *g)
{
    for (size_t i = 0; i < g->n; i++)
        free(g->stages[i].deps);
    free(g->stages);
    free(g->order);
    memset(g, 0, sizeof(*g));
}
