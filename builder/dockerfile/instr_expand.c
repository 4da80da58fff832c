/* instr_expand.c - variable expansion of typed instructions, the fields
 * BuildKit expands: ADD/COPY sources, destination and flag values (and
 * heredoc bodies marked for expansion, without quote processing), ENV,
 * LABEL and ARG keys and values, EXPOSE, FROM, STOPSIGNAL, USER, VOLUME,
 * WORKDIR and RUN --mount values.  RUN/CMD/ENTRYPOINT text is left to the
 * shell. */
#include <string.h>

#include "dockerfile_internal.h"
#include "instructions.h"
#include "../../base/cleanup.h"
#include "../../base/xalloc.h"
#include "../../base/banned.h"

struct ex {
    struct bld_shell_opts o;
    struct bld_shell_usage *usage;
    int line;
    struct cb_err **err;
};

/* Replace *s by its expansion (NULL stays NULL). */
static int word(struct ex *x, char **s)
{
    if (!*s)
        return 0;
    char *v = bld_shell_word(*s, &x->o, x->usage, x->err);
    if (!v)
        return cb_wrap(x->err, "Dockerfile:%d", x->line);
    free(*s);
    *s = v;
    return 0;
}

static int list(struct ex *x, struct cb_strv *l)
{
    for (size_t i = 0; i < l->n; i++)
        if (word(x, &l->v[i]) < 0)
            return -CB_ESYNTAX;
    return 0;
}

static int kvs(struct ex *x, struct bld_kvs *k)
{
    for (size_t i = 0; i < k->n; i++)
        if (word(x, &k->v[i].key) < 0 || word(x, &k->v[i].value) < 0)
            return -CB_ESYNTAX;
    return 0;
}

static int copy(struct ex *x, struct bld_instr_copy *c)
{
    if (list(x, &c->sources) < 0 || word(x, &c->dest) < 0 || word(x, &c->from) < 0 ||
        word(x, &c->chown) < 0 || word(x, &c->chmod) < 0 || word(x, &c->checksum) < 0 ||
        list(x, &c->excludes) < 0)
        return -CB_ESYNTAX;
    struct ex body = *x;
    body.o.skip_quotes = true;
    for (size_t i = 0; i < c->ncontents; i++)
        if (c->contents[i].expand && word(&body, &c->contents[i].data) < 0)
            return -CB_ESYNTAX;
    return 0;
}

static int run(struct ex *x, struct bld_instr_run *r)
{
    for (size_t i = 0; i < r->mount_specs.n; i++) {
        char *spec = df_mount_expand(r->mount_specs.v[i], &x->o, x->usage, x->err);
        if (!spec)
            return cb_wrap(x->err, "Dockerfile:%d", x->line);
        free(r->mount_specs.v[i]);
        r->mount_specs.v[i] = spec;
        struct bld_run_mount m;
        if (bld_run_mount_parse(spec, &m, x->err) < 0)
            return cb_wrap(x->err, "Dockerfile:%d", x->line);
        bld_run_mount_release(&r->mounts[i]);
        r->mounts[i] = m;
    }
    return 0;
}

int bld_instr_expand(struct bld_instr *in, char escape, bld_lookup_fn lookup, void *userdata,
                     struct bld_shell_usage *usage, struct cb_err **err)
{
    struct ex x = {
        .o = {.escape = escape ? escape : '\\', .lookup = lookup, .userdata = userdata},
        .usage = usage,
        .line = in->node ? in->node->start_line : 0,
        .err = err,
    };
    switch (in->kind) {
    case BLD_I_FROM:
        return word(&x, &in->u.from.base) < 0 ? -CB_ESYNTAX : word(&x, &in->u.from.platform);
    case BLD_I_COPY:
    case BLD_I_ADD:
        return copy(&x, &in->u.copy);
    case BLD_I_ENV:
    case BLD_I_LABEL:
    case BLD_I_ARG:
        return kvs(&x, &in->u.kvs);
    case BLD_I_EXPOSE:
    case BLD_I_VOLUME:
        return list(&x, &in->u.list);
    case BLD_I_USER:
    case BLD_I_WORKDIR:
    case BLD_I_STOPSIGNAL:
        return word(&x, &in->u.str);
    case BLD_I_RUN:
        return run(&x, &in->u.run);
    default:
        return 0;
    }
}
