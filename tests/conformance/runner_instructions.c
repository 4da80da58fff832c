/* runner_instructions.c - BuildKit instruction-level vectors
 * (buildkit/instructions/FORMAT.md).
 *   runner_instructions DIR     (DIR = .../conformance/buildkit/instructions)
 * Our errors carry a "Dockerfile:N: " prefix; BuildKit's texts are compared
 * after it. */
#include "conf.h"
#include "../../base/buf.h"
#include "../../builder/dockerfile/dockerfile_internal.h"
#include "../../builder/dockerfile/gitref.h"
#include "../../builder/dockerfile/stages.h"
#include "../../base/banned.h"

/* The message without our "Dockerfile:N: " location prefix. */
static const char *bare(const struct cb_err *e)
{
    const char *m = e ? e->msg : "";
    if (!strncmp(m, "Dockerfile:", 11)) {
        const char *p = m + 11;
        while ((*p >= '0' && *p <= '9') || *p == '-')
            p++;
        if (p[0] == ':' && p[1] == ' ')
            return p + 2;
    }
    return m;
}

static bool err_matches(json_t *row, int rc, const struct cb_err *e)
{
    const char *exact = conf_str(row, "error_exact"), *contains = conf_str(row, "error_contains");
    if (exact)
        return rc < 0 && !strcmp(bare(e), exact);
    if (contains)
        return rc < 0 && strstr(bare(e), contains);
    return rc >= 0;
}

/* Parse text and the instruction of its first node (or of every node,
 * stopping at the first error). */
static int first_instr(const char *text, struct bld_ast **ast, struct bld_instr *in,
                       struct cb_err **err)
{
    *ast = bld_parse(text, strlen(text), err);
    if (!*ast)
        return -1;
    memset(in, 0, sizeof(*in));
    for (size_t i = 0; i < (*ast)->n; i++) {
        if (i > 0)
            bld_instr_release(in);
        if (bld_instr_parse(&(*ast)->nodes[i], in, err) < 0)
            return -1;
    }
    return 0;
}

static void node_from_json(json_t *nodes, struct bld_node *n)
{
    memset(n, 0, sizeof(*n));
    n->cmd = xstrdup(json_string_value(json_array_get(nodes, 0)));
    n->keyword = xstrdup(n->cmd);
    n->original = xstrdup("");
    for (size_t i = 1; i < json_array_size(nodes); i++) {
        const char *v = json_string_value(json_array_get(nodes, i));
        df_node_add_arg(n, v, strlen(v));
    }
}

static void errors_row(json_t *row, int ln, struct tally *t, void *ud)
{
    struct cb_err *err = NULL;
    struct bld_instr in = {0};
    struct bld_ast *ast = NULL;
    int rc;
    struct bld_node n;
    json_t *nodes = json_object_get(row, "ast_nodes");
    if (nodes) {
        node_from_json(nodes, &n);
        rc = bld_instr_parse(&n, &in, &err);
    } else {
        rc = first_instr(conf_str(row, "dockerfile"), &ast, &in, &err);
    }
    conf_result(t, err_matches(row, rc, err), "%s:%d: got %s", (const char *)ud, ln,
                err ? err->msg : "no error");
    bld_instr_release(&in);
    if (nodes)
        df_node_release(&n);
    bld_ast_free(ast);
    cb_err_free(err);
}

static void health_row(json_t *row, int ln, struct tally *t, void *ud)
{
    json_t *nodes = json_object_get(row, "ast_nodes");
    struct cb_err *err = NULL;
    struct bld_instr in = {0};
    struct bld_ast *ast = NULL;
    struct bld_node n;
    int rc;
    if (nodes) {
        node_from_json(nodes, &n);
        rc = bld_instr_parse(&n, &in, &err);
        struct cb_strv want = CB_STRV_INIT;
        conf_strv(json_object_get(row, "expected_test"), &want);
        conf_result(t, rc == 0 && conf_strv_eq(&in.u.health.test, &want), "healthcheck.jsonl:%d",
                    ln);
        cb_strv_release(&want);
        df_node_release(&n);
    } else {
        char *df = xasprintf("HEALTHCHECK --interval=%s CMD true", conf_str(row, "interval_flag"));
        rc = first_instr(df, &ast, &in, &err);
        conf_result(t, err_matches(row, rc, err), "healthcheck.jsonl:%d: %s", ln,
                    err ? err->msg : "ok");
        free(df);
    }
    bld_instr_release(&in);
    bld_ast_free(ast);
    cb_err_free(err);
}

static void flags_used_row(json_t *row, int ln, struct tally *t, void *ud)
{
    struct cb_err *err = NULL;
    struct bld_instr in;
    struct bld_ast *ast = NULL;
    int rc = first_instr(conf_str(row, "dockerfile"), &ast, &in, &err);
    struct cb_strv want = CB_STRV_INIT;
    conf_strv(json_object_get(row, "flags_used"), &want);
    conf_result(t, rc == 0 && conf_strv_eq(&in.flags_used, &want), "run_flags_used.jsonl:%d", ln);
    cb_strv_release(&want);
    bld_instr_release(&in);
    bld_ast_free(ast);
    cb_err_free(err);
}

static void copy_heredoc_row(json_t *row, int ln, struct tally *t, void *ud)
{
    struct cb_err *err = NULL;
    struct bld_instr in;
    struct bld_ast *ast = NULL;
    int rc = first_instr(conf_str(row, "dockerfile"), &ast, &in, &err);
    struct cb_strv want = CB_STRV_INIT;
    conf_strv(json_object_get(row, "source_paths"), &want);
    json_t *sc = json_object_get(row, "source_contents");
    bool ok = rc == 0 && !strcmp(in.u.copy.dest, conf_str(row, "dest")) &&
              conf_strv_eq(&in.u.copy.sources, &want) && in.u.copy.ncontents == json_array_size(sc);
    for (size_t i = 0; ok && i < in.u.copy.ncontents; i++) {
        json_t *c = json_array_get(sc, i);
        ok = !strcmp(in.u.copy.contents[i].path, conf_str(c, "path")) &&
             !strcmp(in.u.copy.contents[i].data, conf_str(c, "data")) &&
             in.u.copy.contents[i].expand == json_is_true(json_object_get(c, "expand"));
    }
    conf_result(t, ok, "copy_heredoc.jsonl:%d %s", ln, err ? err->msg : "");
    cb_strv_release(&want);
    bld_instr_release(&in);
    bld_ast_free(ast);
    cb_err_free(err);
}

static void run_heredoc_row(json_t *row, int ln, struct tally *t, void *ud)
{
    struct cb_err *err = NULL;
    struct bld_instr in;
    struct bld_ast *ast = NULL;
    int rc = first_instr(conf_str(row, "dockerfile"), &ast, &in, &err);
    struct cb_strv want = CB_STRV_INIT;
    conf_strv(json_object_get(row, "cmdline"), &want);
    json_t *files = json_object_get(row, "files");
    const struct bld_cmdline *c = &in.u.run.cmd;
    bool ok = rc == 0 && conf_strv_eq(&c->args, &want) &&
              c->prepend_shell == json_is_true(json_object_get(row, "prepend_shell")) &&
              c->nfiles == json_array_size(files);
    for (size_t i = 0; ok && i < c->nfiles; i++) {
        json_t *f = json_array_get(files, i);
        ok = !strcmp(c->files[i].name, conf_str(f, "name")) &&
             !strcmp(c->files[i].content, conf_str(f, "data")) &&
             c->files[i].chomp == json_is_true(json_object_get(f, "chomp"));
    }
    conf_result(t, ok, "run_heredoc.jsonl:%d", ln);
    cb_strv_release(&want);
    bld_instr_release(&in);
    bld_ast_free(ast);
    cb_err_free(err);
}

static void bflags_row(json_t *row, int ln, struct tally *t, void *ud)
{
    json_t *defs = json_object_get(row, "defs");
    size_t nd = json_array_size(defs);
    struct df_flag *f = xcalloc(nd + 1, sizeof(*f));
    for (size_t i = 0; i < nd; i++) {
        json_t *d = json_array_get(defs, i);
        bool is_bool = !strcmp(conf_str(d, "type"), "bool");
        json_t *def = json_object_get(d, "default");
        f[i].name = conf_str(d, "name");
        f[i].type = is_bool ? DF_FLAG_BOOL : DF_FLAG_STRING;
        f[i].def = is_bool ? (json_is_true(def) ? "true" : "false") : json_string_value(def);
    }
    struct cb_strv words = CB_STRV_INIT, used = CB_STRV_INIT, want = CB_STRV_INIT;
    conf_strv(json_object_get(row, "args"), &words);
    struct cb_err *err = NULL;
    int rc = df_flags_parse(&words, f, &used, &err);
    bool ok = (rc == 0) == json_is_true(json_object_get(row, "ok"));
    json_t *values = json_object_get(row, "values");
    const char *k;
    json_t *v;
    json_object_foreach(values, k, v)
    {
        for (size_t i = 0; ok && i < nd; i++) {
            if (strcmp(f[i].name, k))
                continue;
            const char *want_v = json_is_string(v) ? json_string_value(v)
                                 : json_is_true(v) ? "true"
                                                   : "false";
            ok = f[i].value && !strcmp(f[i].value, want_v);
        }
    }
    json_t *wu = json_object_get(row, "used");
    if (!wu)
        wu = json_object_get(row, "used_sorted");
    if (wu && ok) {
        conf_strv(wu, &want);
        ok = conf_strv_eq(&used, &want);
    }
    conf_result(t, ok, "bflags.jsonl:%d: %s", ln, err ? err->msg : "");
    df_flags_release(f);
    free(f);
    cb_strv_release(&words);
    cb_strv_release(&used);
    cb_strv_release(&want);
    cb_err_free(err);
}

static void json_args_row(json_t *row, int ln, struct tally *t, void *ud)
{
    struct bld_node n;
    json_t *args = json_object_get(row, "args");
    json_t *nodes = json_array();
    json_array_append_new(nodes, json_string("cmd"));
    json_array_extend(nodes, args);
    node_from_json(nodes, &n);
    json_decref(nodes);
    n.json = json_is_true(json_object_get(row, "json"));
    struct bld_instr in;
    struct cb_err *err = NULL;
    int rc = bld_instr_parse(&n, &in, &err);
    struct cb_strv want = CB_STRV_INIT;
    conf_strv(json_object_get(row, "expected"), &want);
    conf_result(t, rc == 0 && conf_strv_eq(&in.u.cmd.args, &want), "handle_json_args.jsonl:%d", ln);
    cb_strv_release(&want);
    bld_instr_release(&in);
    df_node_release(&n);
    cb_err_free(err);
}

static void device_row(json_t *row, int ln, struct tally *t, void *ud)
{
    struct bld_device d;
    struct cb_err *err = NULL;
    int rc = bld_device_parse(conf_str(row, "input"), &d, &err);
    bool ok = conf_str(row, "error_exact")
                  ? err_matches(row, rc, err)
                  : rc == 0 && !strcmp(d.name, conf_str(row, "name")) &&
                        d.required == json_is_true(json_object_get(row, "required"));
    conf_result(t, ok, "run_device.jsonl:%d: %s", ln, err ? err->msg : "");
    if (rc == 0)
        free(d.name);
    cb_err_free(err);
}

static void expose_row(json_t *row, int ln, struct tally *t, void *ud)
{
    struct cb_strv specs = CB_STRV_INIT, got = CB_STRV_INIT, want = CB_STRV_INIT;
    const char *one = conf_str(row, "spec");
    if (one)
        cb_strv_push(&specs, one);
    else
        conf_strv(json_object_get(row, "specs"), &specs);
    struct cb_err *err = NULL;
    int rc = 0;
    for (size_t i = 0; rc == 0 && i < specs.n; i++)
        rc = bld_expose_parse(specs.v[i], &got, &err);
    bool ok;
    if (json_is_true(json_object_get(row, "error")))
        ok = rc < 0;
    else if (conf_str(row, "error_exact"))
        ok = err_matches(row, rc, err);
    else {
        conf_strv(json_object_get(row, "ports"), &want);
        ok = rc == 0 && conf_strv_eq(&got, &want);
    }
    conf_result(t, ok, "expose_ports.jsonl:%d: %s", ln, err ? err->msg : "");
    cb_strv_release(&specs);
    cb_strv_release(&got);
    cb_strv_release(&want);
    cb_err_free(err);
}

static void env_merge_row(json_t *row, int ln, struct tally *t, void *ud)
{
    const char *fn = conf_str(row, "func");
    bool ok = false;
    if (!strcmp(fn, "addEnv")) {
        struct cb_strv env = CB_STRV_INIT, want = CB_STRV_INIT;
        conf_strv(json_object_get(row, "env"), &env);
        conf_strv(json_object_get(row, "expected"), &want);
        bld_env_list_set(&env, conf_str(row, "key"), conf_str(row, "value"));
        ok = conf_strv_eq(&env, &want);
        cb_strv_release(&env);
        cb_strv_release(&want);
    } else if (!strcmp(fn, "parseKeyValue")) {
        char *k, *v;
        bld_env_split(conf_str(row, "input"), &k, &v);
        ok = !strcmp(k, conf_str(row, "key")) && !strcmp(v, conf_str(row, "value"));
        free(k);
        free(v);
    } else if (!strcmp(fn, "toEnvMap")) {
        struct bld_kvs args = {0}, out = {0};
        struct cb_strv env = CB_STRV_INIT;
        json_t *a = json_object_get(row, "args");
        for (size_t i = 0; i < json_array_size(a); i++) {
            json_t *p = json_array_get(a, i);
            struct bld_kv kv = {.key = xstrdup(json_string_value(json_array_get(p, 0))),
                                .value = json_is_string(json_array_get(p, 1))
                                             ? xstrdup(json_string_value(json_array_get(p, 1)))
                                             : NULL};
            args.v = xreallocarray(args.v, args.n + 1, sizeof(*args.v));
            args.v[args.n++] = kv;
        }
        conf_strv(json_object_get(row, "env"), &env);
        bld_run_env(&args, &env, &out);
        json_t *exp = json_object_get(row, "expected");
        ok = out.n == json_object_size(exp);
        const char *k;
        json_t *v;
        json_object_foreach(exp, k, v)
        {
            const struct bld_kv *kv = bld_kvs_find(&out, k);
            ok = ok && kv && !strcmp(kv->value, json_string_value(v));
        }
        bld_kvs_release(&args);
        bld_kvs_release(&out);
        cb_strv_release(&env);
    } else if (!strcmp(fn, "proxyEnvFromBuildArgs")) {
        struct bld_kvs args = {0};
        const char *k;
        json_t *v;
        json_object_foreach(json_object_get(row, "build_args"), k, v)
        {
            bld_kvs_set(&args, k, json_string_value(v));
        }
        struct bld_proxy_env p;
        bool any = bld_proxy_env_from_args(&args, &p);
        json_t *exp = json_object_get(row, "expected");
        if (json_is_null(exp)) {
            ok = !any;
        } else {
            const char *names[] = {"HTTPProxy", "HTTPSProxy", "FTPProxy", "NoProxy", "AllProxy"};
            char *vals[] = {p.http, p.https, p.ftp, p.no, p.all};
            ok = any;
            for (int i = 0; i < 5; i++) {
                const char *w = conf_str(exp, names[i]);
                ok = ok && (w ? vals[i] && !strcmp(vals[i], w) : !vals[i]);
            }
        }
        bld_proxy_env_release(&p);
        bld_kvs_release(&args);
    }
    conf_result(t, ok, "env_merge.jsonl:%d (%s)", ln, fn);
}

static void convert_row(json_t *row, int ln, struct tally *t, void *ud)
{
    json_t *hc = json_object_get(row, "healthcheck");
    if (hc) {
        struct bld_healthcheck h = {0};
        conf_strv(json_object_get(hc, "Test"), &h.test);
        struct cb_err *e = NULL;
        bld_parse_duration(conf_str(hc, "Interval"), &h.interval_ns, &e);
        bld_parse_duration(conf_str(hc, "Timeout"), &h.timeout_ns, &e);
        bld_parse_duration(conf_str(hc, "StartPeriod"), &h.start_period_ns, &e);
        bld_parse_duration(conf_str(hc, "StartInterval"), &h.start_interval_ns, &e);
        h.retries = (int)json_integer_value(json_object_get(hc, "Retries"));
        char *s = bld_healthcheck_string(&h);
        conf_result(t, !strcmp(s, conf_str(row, "history_created_by")), "convert.jsonl:%d: %s", ln,
                    s);
        free(s);
        cb_strv_release(&h.test);
        cb_err_free(e);
        return;
    }
    const char *text = conf_str(row, "dockerfile");
    struct cb_err *err = NULL;
    struct bld_dockerfile *df = bld_dockerfile_parse(text, strlen(text), &err);
    int rc = df ? 0 : -1;
    if (rc == 0)
        rc = bld_stages_expand(df, NULL, NULL, &err);
    if (rc == 0)
        rc = bld_dockerfile_target(df, conf_str(row, "target"), &err) < 0 ? -1 : 0;
    if (rc == 0)
        rc = bld_dockerfile_check_cycles(df, &err);
    bool want_ok = json_is_true(json_object_get(row, "ok"));
    bool has_msg = conf_str(row, "error_exact") || conf_str(row, "error_contains");
    bool ok = want_ok ? rc == 0 : rc < 0 && (!has_msg || err_matches(row, rc, err));
    conf_result(t, ok, "convert.jsonl:%d: %s", ln, err ? err->msg : "ok");
    bld_dockerfile_free(df);
    cb_err_free(err);
}

/* "stage0.cmd1(ARG).args[1]" style paths of doc_comments.jsonl. */
static const struct bld_kv *doc_kv(const struct bld_dockerfile *df, const char *path)
{
    size_t s, c, a;
    if (sscanf(path, "stage%zu.cmd%zu(ARG).args[%zu]", &s, &c, &a) == 3)
        return s < df->nstages && c < df->stages[s].n && a < df->stages[s].instrs[c].u.kvs.n
                   ? &df->stages[s].instrs[c].u.kvs.v[a]
                   : NULL;
    if (sscanf(path, "meta.args[%zu]", &a) == 1)
        return df->nglobal > 0 && a < df->global_args[0].u.kvs.n ? &df->global_args[0].u.kvs.v[a]
                                                                 : NULL;
    return NULL;
}

static void doc_row(json_t *row, int ln, struct tally *t, void *ud)
{
    const char *text = conf_str(row, "dockerfile");
    struct cb_err *err = NULL;
    struct bld_dockerfile *df = bld_dockerfile_parse(text, strlen(text), &err);
    const char *k;
    json_t *v;
    json_object_foreach(json_object_get(row, "expect"), k, v)
    {
        bool ok = df != NULL;
        if (ok && !strcmp(k, "stage0.DocComment")) {
            ok = df->nstages && !strcmp(df->stages[0].doc_comment ? df->stages[0].doc_comment : "",
                                        json_string_value(v));
        } else if (ok) {
            const struct bld_kv *kv = doc_kv(df, k);
            const char *want_key = json_is_object(v) ? conf_str(v, "Key") : NULL;
            const char *want_doc = json_is_object(v) ? conf_str(v, "DocComment") : NULL;
            if (strstr(k, ".Key"))
                want_key = json_string_value(v);
            if (strstr(k, ".DocComment"))
                want_doc = json_string_value(v);
            ok = kv && (!want_key || !strcmp(kv->key, want_key)) &&
                 (!want_doc || !strcmp(kv->comment ? kv->comment : "", want_doc));
        }
        conf_result(t, ok, "doc_comments.jsonl:%d: %s", ln, k);
    }
    bld_dockerfile_free(df);
    cb_err_free(err);
}

static bool field_eq(json_t *exp, const char *key, const char *got)
{
    const char *w = conf_str(exp, key);
    return w ? got && !strcmp(got, w) : !got;
}

static void git_ref_row(json_t *row, int ln, struct tally *t, void *ud)
{
    struct bld_gitref g;
    struct cb_err *err = NULL;
    int rc = bld_gitref_parse(conf_str(row, "ref"), &g, &err);
    json_t *exp = json_object_get(row, "expected");
    bool ok;
    if (json_is_null(exp)) {
        const char *c = conf_str(row, "error_contains");
        ok = c ? rc < 0 && strstr(err->msg, c) : rc <= 0;
    } else {
        ok = rc > 0 && field_eq(exp, "Remote", g.remote) &&
             field_eq(exp, "ShortName", g.short_name) && field_eq(exp, "Ref", g.ref) &&
             field_eq(exp, "SubDir", g.subdir) && field_eq(exp, "Checksum", g.checksum) &&
             field_eq(exp, "MTime", g.mtime) &&
             g.indistinguishable_from_local ==
                 json_is_true(json_object_get(exp, "IndistinguishableFromLocal")) &&
             g.unencrypted_tcp == json_is_true(json_object_get(exp, "UnencryptedTCP")) &&
             g.fetch_by_commit == json_is_true(json_object_get(exp, "FetchByCommit"));
    }
    conf_result(t, ok, "git_ref.jsonl:%d: rc %d %s", ln, rc, err ? err->msg : "");
    if (rc > 0)
        bld_gitref_release(&g);
    cb_err_free(err);
}

static void git_fragment_row(json_t *row, int ln, struct tally *t, void *ud)
{
    bool ok;
    char *got = bld_gitref_fragment(conf_str(row, "ref"),
                                    json_is_true(json_object_get(row, "keep_subdir")), &ok);
    conf_result(t,
                ok == json_is_true(json_object_get(row, "ok")) &&
                    !strcmp(got, conf_str(row, "expected")),
                "git_fragment_format.jsonl:%d: %s", ln, got);
    free(got);
}

int main(int argc, char **argv)
{
    if (argc != 2) {
        fprintf(stderr, "usage: runner_instructions DIR\n");
        return 2;
    }
    const char *d = argv[1];
    struct tally t = {0};
    conf_jsonl(d, "errors.jsonl", errors_row, &t, "errors.jsonl");
    conf_jsonl(d, "healthcheck.jsonl", health_row, &t, NULL);
    conf_jsonl(d, "run_flags_used.jsonl", flags_used_row, &t, NULL);
    conf_jsonl(d, "doc_comments.jsonl", doc_row, &t, NULL);
    conf_jsonl(d, "copy_heredoc.jsonl", copy_heredoc_row, &t, NULL);
    conf_jsonl(d, "run_heredoc.jsonl", run_heredoc_row, &t, NULL);
    conf_jsonl(d, "bflags.jsonl", bflags_row, &t, NULL);
    conf_jsonl(d, "handle_json_args.jsonl", json_args_row, &t, NULL);
    conf_jsonl(d, "run_device.jsonl", device_row, &t, NULL);
    conf_jsonl(d, "expose_ports.jsonl", expose_row, &t, NULL);
    conf_jsonl(d, "env_merge.jsonl", env_merge_row, &t, NULL);
    conf_jsonl(d, "convert.jsonl", convert_row, &t, NULL);
    conf_jsonl(d, "git_ref.jsonl", git_ref_row, &t, NULL);
    conf_jsonl(d, "git_fragment_format.jsonl", git_fragment_row, &t, NULL);
    printf("suite instructions: %d passed, %d failed\n", t.pass, t.fail);
    return t.fail ? 1 : 0;
}
