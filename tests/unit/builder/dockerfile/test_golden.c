/* test_golden.c - walks tests/data/dockerfile/{ok,bad}/<case>/.
 *
 * ok/<case>/Dockerfile: parsed, converted to stages and expanded (build arg
 * BA=from-build-arg, platform linux/arm64/v8); the output must equal
 * ok/<case>/expected: BuildKit's AST dump, "--", then our typed view of
 * every stage and instruction with all flag values.
 * bad/<case>/Dockerfile: must fail; the message must equal bad/<case>/error
 * (first line).
 * With CBUILD_GOLDEN_UPDATE=1 the expected/error files are rewritten (then
 * review the diff: that is the point of a golden test). */
#include <dirent.h>
#include <stdlib.h>

#include "harness.h"
#include "../../../../base/buf.h"
#include "../../../../base/xalloc.h"
#include "../../../../builder/dockerfile/stages.h"

static void q(struct cb_buf *b, const char *s)
{
    if (!s) {
        cb_buf_adds(b, "-", NULL);
        return;
    }
    bld_go_quote(b, s, strlen(s));
}

static void qlist(struct cb_buf *b, const struct cb_strv *l)
{
    cb_buf_addc(b, '[', NULL);
    for (size_t i = 0; i < l->n; i++) {
        if (i)
            cb_buf_addc(b, ' ', NULL);
        q(b, l->v[i]);
    }
    cb_buf_addc(b, ']', NULL);
}

static void kvs(struct cb_buf *b, const struct bld_kvs *k)
{
    for (size_t i = 0; i < k->n; i++) {
        cb_buf_addc(b, ' ', NULL);
        q(b, k->v[i].key);
        cb_buf_addc(b, '=', NULL);
        q(b, k->v[i].value);
        if (k->v[i].legacy)
            cb_buf_adds(b, "(legacy)", NULL);
        if (k->v[i].comment) {
            cb_buf_adds(b, "(doc ", NULL);
            q(b, k->v[i].comment);
            cb_buf_addc(b, ')', NULL);
        }
    }
}

static void cmdline(struct cb_buf *b, const struct bld_cmdline *c)
{
    cb_buf_addf(b, NULL, " shell=%s args=", c->prepend_shell ? "yes" : "no");
    qlist(b, &c->args);
    for (size_t i = 0; i < c->nfiles; i++) {
        cb_buf_addf(b, NULL, " file(%s expand=%d chomp=%d fd=%d ", c->files[i].name,
                    c->files[i].expand, c->files[i].chomp, c->files[i].fd);
        q(b, c->files[i].content);
        cb_buf_addc(b, ')', NULL);
    }
}

static void mount(struct cb_buf *b, const struct bld_run_mount *m)
{
    static const char *const types[] = {"bind", "cache", "tmpfs", "secret", "ssh"};
    static const char *const sharing[] = {"shared", "private", "locked"};
    cb_buf_addf(b, NULL, " mount(%s", types[m->type]);
    const char *names[] = {"from", "source", "target", "id", "env"};
    const char *vals[] = {m->from, m->source, m->target, m->id, m->env};
    for (int i = 0; i < 5; i++)
        if (vals[i])
            cb_buf_addf(b, NULL, " %s=%s", names[i], vals[i]);
    cb_buf_addf(b, NULL, " ro=%d required=%d sharing=%s", m->read_only, m->required,
                sharing[m->sharing]);
    if (m->has_mode)
        cb_buf_addf(b, NULL, " mode=%o", m->mode);
    if (m->has_uid)
        cb_buf_addf(b, NULL, " uid=%u", m->uid);
    if (m->has_gid)
        cb_buf_addf(b, NULL, " gid=%u", m->gid);
    if (m->size_limit)
        cb_buf_addf(b, NULL, " size=%lld", (long long)m->size_limit);
    cb_buf_addc(b, ')', NULL);
}

static void copy(struct cb_buf *b, const struct bld_instr_copy *c)
{
    cb_buf_adds(b, " src=", NULL);
    qlist(b, &c->sources);
    cb_buf_adds(b, " dest=", NULL);
    q(b, c->dest);
    const char *names[] = {"from", "chown", "chmod", "checksum"};
    const char *vals[] = {c->from, c->chown, c->chmod, c->checksum};
    for (int i = 0; i < 4; i++)
        if (vals[i]) {
            cb_buf_addf(b, NULL, " %s=", names[i]);
            q(b, vals[i]);
        }
    cb_buf_addf(b, NULL, " link=%d parents=%d keep-git-dir=%d unpack=%d", c->link, c->parents,
                c->keep_git_dir, c->unpack);
    if (c->excludes.n) {
        cb_buf_adds(b, " exclude=", NULL);
        qlist(b, &c->excludes);
    }
    for (size_t i = 0; i < c->ncontents; i++) {
        cb_buf_addf(b, NULL, " heredoc(%s expand=%d ", c->contents[i].path, c->contents[i].expand);
        q(b, c->contents[i].data);
        cb_buf_addc(b, ')', NULL);
    }
}

static void health(struct cb_buf *b, const struct bld_healthcheck *h)
{
    char *s = bld_healthcheck_string(h);
    cb_buf_addf(b, NULL, " %s", s);
    free(s);
}

static void instr(struct cb_buf *b, const struct bld_instr *in)
{
    static const char *const nets[] = {"default", "none", "host", "unset"};
    cb_buf_addf(b, NULL, "  %d-%d %s", in->node->start_line, in->node->end_line,
                bld_instr_kind_name(in->kind));
    switch (in->kind) {
    case BLD_I_RUN:
        for (size_t i = 0; i < in->u.run.nmounts; i++)
            mount(b, &in->u.run.mounts[i]);
        cb_buf_addf(b, NULL, " network=%s security=%s", nets[in->u.run.network],
                    in->u.run.security == BLD_SEC_INSECURE ? "insecure" : "sandbox");
        for (size_t i = 0; i < in->u.run.ndevices; i++)
            cb_buf_addf(b, NULL, " device(%s required=%d)", in->u.run.devices[i].name,
                        in->u.run.devices[i].required);
        cmdline(b, &in->u.run.cmd);
        break;
    case BLD_I_CMD:
    case BLD_I_ENTRYPOINT:
        cmdline(b, &in->u.cmd);
        break;
    case BLD_I_COPY:
    case BLD_I_ADD:
        copy(b, &in->u.copy);
        break;
    case BLD_I_ENV:
    case BLD_I_LABEL:
    case BLD_I_ARG:
        kvs(b, &in->u.kvs);
        break;
    case BLD_I_EXPOSE:
        for (size_t i = 0; i < in->u.list.n; i++) {
            struct cb_strv ports = CB_STRV_INIT;
            struct cb_err *err = NULL;
            cb_buf_addc(b, ' ', NULL);
            if (bld_expose_parse(in->u.list.v[i], &ports, &err) == 0)
                qlist(b, &ports);
            else
                cb_buf_addf(b, NULL, "error(%s)", err->msg);
            cb_err_free(err);
            cb_strv_release(&ports);
        }
        break;
    case BLD_I_VOLUME:
    case BLD_I_SHELL:
        cb_buf_addc(b, ' ', NULL);
        qlist(b, &in->u.list);
        break;
    case BLD_I_USER:
    case BLD_I_WORKDIR:
    case BLD_I_STOPSIGNAL:
    case BLD_I_MAINTAINER:
        cb_buf_addc(b, ' ', NULL);
        q(b, in->u.str);
        break;
    case BLD_I_ONBUILD:
        cb_buf_addc(b, ' ', NULL);
        q(b, in->u.onbuild);
        break;
    case BLD_I_HEALTHCHECK:
        health(b, &in->u.health);
        break;
    case BLD_I_FROM:
        break;
    }
    if (in->flags_used.n) {
        cb_buf_adds(b, " flags=", NULL);
        qlist(b, &in->flags_used);
    }
    cb_buf_addc(b, '\n', NULL);
}

static void stage(struct cb_buf *b, const struct bld_dockerfile *df, size_t i)
{
    const struct bld_stage *st = &df->stages[i];
    cb_buf_addf(b, NULL, "stage %zu name=%s base=", i, st->name ? st->name : "-");
    q(b, st->base);
    cb_buf_adds(b, " expanded=", NULL);
    q(b, st->base_expanded);
    cb_buf_adds(b, " platform=", NULL);
    q(b, st->platform_expanded);
    if (st->doc_comment) {
        cb_buf_adds(b, " doc=", NULL);
        q(b, st->doc_comment);
    }
    cb_buf_addc(b, '\n', NULL);
    for (size_t k = 0; k < st->n; k++) {
        instr(b, &st->instrs[k]);
        if (st->args_used && st->args_used[k].n) {
            cb_buf_adds(b, "    uses ", NULL);
            qlist(b, &st->args_used[k]);
            cb_buf_addc(b, '\n', NULL);
        }
    }
}

/* The whole golden output, or NULL with *err set. */
static char *render(const char *text, size_t len, struct cb_err **err)
{
    struct bld_dockerfile *df = bld_dockerfile_parse(text, len, err);
    if (!df)
        return NULL;
    struct bld_kvs args = {0};
    bld_kvs_set(&args, "BA", "from-build-arg");
    bld_kvs_set(&args, "NEVER_DECLARED", "x");
    struct bld_expand_opts o = {
        .build_args = &args, .target = {"linux", "arm64", "v8"}, .build = {"linux", "amd64", NULL}};
    struct cb_strv unused = CB_STRV_INIT;
    struct cb_buf b;
    cb_buf_init(&b, CB_BUF_LIMIT_DEFAULT);
    int rc = bld_stages_expand(df, &o, &unused, err);
    if (rc == 0)
        rc = bld_dockerfile_check_cycles(df, err);
    if (rc == 0) {
        bld_ast_dump(df->ast, &b, NULL);
        cb_buf_adds(&b, "--\n", NULL);
        for (size_t i = 0; i < df->ast->nwarnings; i++)
            cb_buf_addf(&b, NULL, "warning line %d: %s\n", df->ast->warnings[i].line,
                        df->ast->warnings[i].short_msg);
        if (df->ast->syntax.set || df->ast->escape_dir.set || df->ast->check.set)
            cb_buf_addf(&b, NULL, "directives syntax=%s escape=%s check=%s\n",
                        df->ast->syntax.value ? df->ast->syntax.value : "-",
                        df->ast->escape_dir.value ? df->ast->escape_dir.value : "-",
                        df->ast->check.value ? df->ast->check.value : "-");
        for (size_t i = 0; i < df->nglobal; i++)
            instr(&b, &df->global_args[i]);
        for (size_t i = 0; i < df->nstages; i++)
            stage(&b, df, i);
        cb_buf_adds(&b, "unused build args ", NULL);
        qlist(&b, &unused);
        cb_buf_addc(&b, '\n', NULL);
    }
    bld_kvs_release(&args);
    cb_strv_release(&unused);
    bld_dockerfile_free(df);
    if (rc < 0) {
        cb_buf_release(&b);
        return NULL;
    }
    return cb_buf_detach(&b, NULL);
}

static int by_name(const struct dirent **a, const struct dirent **b)
{
    return strcmp((*a)->d_name, (*b)->d_name);
}

/* Run every case of data/dockerfile/<kind>; returns the failure count. */
static int walk(const char *kind, int *ncases)
{
    char *dir = t_data(kind);
    struct dirent **ents;
    int n = scandir(dir, &ents, NULL, by_name), failed = 0;
    bool update = getenv("CBUILD_GOLDEN_UPDATE") != NULL;
    bool ok_kind = !strcmp(kind, "dockerfile/ok");
    for (int i = 0; i < n; i++) {
        if (ents[i]->d_name[0] != '.') {
            char *df = xasprintf("%s/%s/Dockerfile", dir, ents[i]->d_name);
            char *want_path =
                xasprintf("%s/%s/%s", dir, ents[i]->d_name, ok_kind ? "expected" : "error");
            char *text = t_read(df);
            struct cb_err *err = NULL;
            char *got = text ? render(text, strlen(text), &err) : NULL;
            char *msg = ok_kind ? got : (err ? xasprintf("%s\n", err->msg) : NULL);
            if (!ok_kind && got)
                msg = NULL;
            char *want = t_read(want_path);
            (*ncases)++;
            if (update && msg) {
                t_write(want_path, msg);
            } else if (!msg || !want || strcmp(msg, want)) {
                failed++;
                printf("# golden %s/%s differs:\n# got:\n%s# want:\n%s", kind, ents[i]->d_name,
                       msg ? msg : (err ? err->msg : "(parsed without error)\n"),
                       want ? want : "(missing)\n");
            }
            if (msg != got)
                free(msg);
            free(got);
            free(want);
            free(text);
            cb_err_free(err);
            free(df);
            free(want_path);
        }
        free(ents[i]);
    }
    free(ents);
    free(dir);
    return n < 0 ? 1 : failed;
}

TEST(golden_ok_cases)
{
    int n = 0;
    int failed = walk("dockerfile/ok", &n);
    ASSERT(n >= 15);
    ASSERT_INT_EQ(failed, 0);
}

TEST(golden_bad_cases)
{
    int n = 0;
    int failed = walk("dockerfile/bad", &n);
    ASSERT(n >= 20);
    ASSERT_INT_EQ(failed, 0);
}
