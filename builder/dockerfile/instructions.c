/* instructions.c - nodes -> typed instructions, following BuildKit's
 * instructions/parse.go: argument counts, flags per instruction, heredoc
 * sources for COPY/ADD and inline files for RUN, HEALTHCHECK options,
 * ONBUILD triggers, ARG names with doc comments.  Error texts are
 * BuildKit's, prefixed "Dockerfile:LINE: ". */
#include <errno.h>
#include <stdio.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "dockerfile_internal.h"
#include "instructions.h"
#include "checks.h"
#include "../../base/cleanup.h"
#include "../../base/xalloc.h"
#include "../../base/banned.h"

static const char *const kind_names[] = {
    "add",    "arg",   "cmd",         "copy",  "entrypoint", "env",
    "expose", "from",  "healthcheck", "label", "maintainer", "onbuild",
    "run",    "shell", "stopsignal",  "user",  "volume",     "workdir",
};

const char *bld_instr_kind_name(enum bld_instr_kind k)
{
    return (size_t)k < sizeof(kind_names) / sizeof(kind_names[0]) ? kind_names[k] : "?";
}

static int kind_of(const char *cmd)
{
    for (size_t i = 0; i < sizeof(kind_names) / sizeof(kind_names[0]); i++)
        if (!strcmp(cmd, kind_names[i]))
            return (int)i;
    return -1;
}

/* ------------------------------------------------------------- kvs */

void bld_kvs_release(struct bld_kvs *k)
{
    for (size_t i = 0; i < k->n; i++) {
        free(k->v[i].key);
        free(k->v[i].value);
        free(k->v[i].comment);
    }
    free(k->v);
    memset(k, 0, sizeof(*k));
}

struct bld_kv *bld_kvs_find(const struct bld_kvs *k, const char *key)
{
    for (size_t i = 0; i < k->n; i++)
        if (!strcmp(k->v[i].key, key))
            return &k->v[i];
    return NULL;
}

void bld_kvs_set(struct bld_kvs *k, const char *key, const char *value)
{
    struct bld_kv *kv = bld_kvs_find(k, key);
    if (kv) {
        free(kv->value);
        kv->value = value ? xstrdup(value) : NULL;
        return;
    }
    struct bld_kv n = {.key = xstrdup(key), .value = value ? xstrdup(value) : NULL};
    DF_PUSH(k->v, k->n, k->alloc, n);
}

static void kvs_push(struct bld_kvs *k, const char *key, const char *value, bool legacy)
{
    struct bld_kv n = {
        .key = xstrdup(key), .value = value ? xstrdup(value) : NULL, .legacy = legacy};
    DF_PUSH(k->v, k->n, k->alloc, n);
}

/* ------------------------------------------------------------- request */

/* BuildKit's parseRequest: the node's args (ONBUILD's child flattened in). */
struct req {
    const struct bld_node *node;
    struct cb_strv args;
    struct bld_instr *out;
    struct cb_err **err;
};

static void node_args(const struct bld_node *n, struct cb_strv *out)
{
    for (size_t i = 0; i < n->args.n; i++)
        cb_strv_push(out, n->args.v[i]);
    if (n->child) {
        cb_strv_push(out, n->child->keyword);
        node_args(n->child, out);
    }
}

static int fail(struct req *r, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static int fail(struct req *r, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    cleanup_free char *msg = xvasprintf(fmt, ap);
    va_end(ap);
    return cb_fail(r->err, CB_ESYNTAX, 0, "Dockerfile:%d: %s", r->node->start_line, msg);
}

static int flags(struct req *r, struct df_flag *defs)
{
    struct cb_err *e = NULL;
    if (df_flags_parse(&r->node->flags, defs, &r->out->flags_used, &e) < 0) {
        int rc = fail(r, "%s", e->msg);
        cb_err_free(e);
        return rc;
    }
    return 0;
}

static int no_flags(struct req *r)
{
    struct df_flag none[] = {{.name = NULL}};
    return flags(r, none);
}

static int exactly_one(struct req *r, const char *name)
{
    return r->args.n == 1 ? 0 : fail(r, "%s requires exactly one argument", name);
}

static int at_least_one(struct req *r, const char *name)
{
    return r->args.n >= 1 ? 0 : fail(r, "%s requires at least one argument", name);
}

/* ------------------------------------------------------------- simple ones */

static int parse_kvps(struct req *r, const char *name)
{
    if (r->args.n == 0)
        return fail(r, "%s requires at least one argument", name);
    if (r->args.n % 3 != 0)
        return fail(r, "Bad input to %s, too many arguments", name);
    for (size_t j = 0; j < r->args.n; j += 3) {
        if (!*r->args.v[j])
            return fail(r, "%s names can not be blank", name);
        kvs_push(&r->out->u.kvs, r->args.v[j], r->args.v[j + 1], !*r->args.v[j + 2]);
    }
    return 0;
}

static int parse_env_label(struct req *r, const char *name)
{
    if (no_flags(r) < 0)
        return -CB_ESYNTAX;
    return parse_kvps(r, name);
}

static int parse_single(struct req *r, const char *name, bool check_flags)
{
    if (exactly_one(r, name) < 0 || (check_flags && no_flags(r) < 0))
        return -CB_ESYNTAX;
    r->out->u.str = xstrdup(r->args.v[0]);
    return 0;
}

/* getComment: the comment line "NAME text" above, minus "NAME ". */
static char *doc_comment(const struct bld_node *n, const char *name)
{
    if (!name || !*name)
        return NULL;
    size_t nl = strlen(name);
    for (size_t i = 0; i < n->comments.n; i++) {
        const char *c = n->comments.v[i];
        if (!strncmp(c, name, nl) && c[nl] == ' ')
            return xstrdup(c + nl + 1);
    }
    return NULL;
}

static int parse_arg(struct req *r)
{
    if (at_least_one(r, "ARG") < 0) /* BuildKit does not check ARG's flags */
        return -CB_ESYNTAX;
    for (size_t i = 0; i < r->args.n; i++) {
        const char *a = r->args.v[i], *eq = strchr(a, '=');
        if (eq == a)
            return fail(r, "ARG names can not be blank");
        cleanup_free char *key = eq ? xstrndup(a, (size_t)(eq - a)) : xstrdup(a);
        kvs_push(&r->out->u.kvs, key, eq ? eq + 1 : NULL, false);
        r->out->u.kvs.v[r->out->u.kvs.n - 1].comment = doc_comment(r->node, key);
    }
    return 0;
}

static int cmp_str(const void *a, const void *b)
{
    return strcmp(*(char *const *)a, *(char *const *)b);
}

/* BuildKit keeps EXPOSE's specs sorted (sort.Strings). */
static int parse_expose(struct req *r)
{
    if (at_least_one(r, "EXPOSE") < 0 || no_flags(r) < 0)
        return -CB_ESYNTAX;
    cb_strv_copy(&r->out->u.list, &r->args);
    qsort(r->out->u.list.v, r->out->u.list.n, sizeof(char *), cmp_str);
    return 0;
}

static int parse_volume(struct req *r)
{
    if (at_least_one(r, "VOLUME") < 0 || no_flags(r) < 0)
        return -CB_ESYNTAX;
    for (size_t i = 0; i < r->args.n; i++) {
        const char *v = r->args.v[i];
        size_t k = go_skip_space(v, strlen(v));
        size_t e = go_trim_right_space(v + k, strlen(v + k));
        if (e == 0)
            return fail(r, "VOLUME specified can not be an empty string");
        cb_strv_push_take(&r->out->u.list, xstrndup(v + k, e));
    }
    return 0;
}

static int parse_onbuild(struct req *r)
{
    if (at_least_one(r, "ONBUILD") < 0 || no_flags(r) < 0)
        return -CB_ESYNTAX;
    cleanup_free char *trigger = df_lower(r->args.v[0]);
    for (char *p = trigger; *p; p++)
        *p = (char)(*p >= 'a' && *p <= 'z' ? *p - 32 : *p);
    if (!strcmp(trigger, "ONBUILD"))
        return fail(r, "Chaining ONBUILD via `ONBUILD ONBUILD` isn't allowed");
    if (!strcmp(trigger, "MAINTAINER") || !strcmp(trigger, "FROM"))
        return fail(r, "%s isn't allowed as an ONBUILD trigger", trigger);
    /* (?i)^\s*ONBUILD\s* removed from the original text */
    const char *o = r->node->original;
    while (*o == ' ' || (*o >= '\t' && *o <= '\r'))
        o++;
    if (!strncasecmp(o, "onbuild", 7))
        o += 7;
    while (*o == ' ' || (*o >= '\t' && *o <= '\r'))
        o++;
    struct cb_buf b;
    cb_buf_init(&b, CB_BUF_LIMIT_DEFAULT);
    (void)cb_buf_adds(&b, o, NULL);
    for (size_t i = 0; i < r->node->nheredocs; i++) {
        const struct bld_heredoc *h = &r->node->heredocs[i];
        (void)cb_buf_addf(&b, NULL, "\n%s%s", h->content ? h->content : "", h->name);
    }
    r->out->u.onbuild = cb_buf_detach(&b, NULL);
    return 0;
}

static int parse_shell(struct req *r)
{
    if (no_flags(r) < 0)
        return -CB_ESYNTAX;
    if (r->args.n == 0)
        return fail(r, "SHELL requires at least one argument");
    if (!r->node->json)
        return fail(r, "SHELL requires the arguments to be in JSON form");
    cb_strv_copy(&r->out->u.list, &r->args);
    return 0;
}

/* ------------------------------------------------------------- dispatch */

/* ------------------------------------------------------------- FROM */

static bool valid_stage_name(const char *s)
{
    if (!(*s >= 'a' && *s <= 'z'))
        return false;
    for (s++; *s; s++)
        if (!((*s >= 'a' && *s <= 'z') || (*s >= '0' && *s <= '9') || strchr("-_.", *s)))
            return false;
    return true;
}

static int df_parse_from(struct req *r)
{
    struct bld_instr_from *f = &r->out->u.from;
    if (r->args.n == 3 && !strcasecmp(r->args.v[1], "as")) {
        f->name = df_lower(r->args.v[2]);
        f->name_as_written = xstrdup(r->args.v[2]);
        if (!valid_stage_name(f->name)) {
            cleanup_buf struct cb_buf q;
            cb_buf_init(&q, CB_BUF_LIMIT_DEFAULT);
            bld_go_quote(&q, r->args.v[2], strlen(r->args.v[2]));
            return fail(r,
                        "invalid name for build stage: %s, name can't start with a number or "
                        "contain symbols",
                        cb_buf_str(&q));
        }
    } else if (r->args.n != 1) {
        return fail(r, "FROM requires either one or three arguments");
    }
    struct df_flag defs[] = {DF_FLAG("platform", DF_FLAG_STRING, ""), {.name = NULL}};
    if (flags(r, defs) < 0)
        return -CB_ESYNTAX;
    f->base = xstrdup(r->args.v[0]);
    if (defs[0].used)
        f->platform = xstrdup(defs[0].value);
    return 0;
}

/* ------------------------------------------------------------- COPY/ADD */

static const struct bld_heredoc *find_heredoc(const struct bld_node *n, const char *name)
{
    const struct bld_heredoc *found = NULL;
    for (size_t i = 0; i < n->nheredocs; i++)
        if (!strcmp(n->heredocs[i].name, name))
            found = &n->heredocs[i];
    return found;
}

static int sources_and_dest(struct req *r, const char *name)
{
    struct bld_instr_copy *c = &r->out->u.copy;
    const char *dest = r->args.v[r->args.n - 1];
    struct bld_heredoc h = {0};
    if (bld_heredoc_parse_word(dest, &h, NULL) > 0) {
        bld_heredoc_release(&h);
        return fail(r, "%s cannot accept a heredoc as a destination", name);
    }
    c->dest = xstrdup(dest);
    size_t alloc = 0;
    for (size_t i = 0; i + 1 < r->args.n; i++) {
        const char *src = r->args.v[i];
        if (bld_heredoc_parse_word(src, &h, NULL) <= 0) {
            cb_strv_push(&c->sources, src);
            continue;
        }
        const struct bld_heredoc *body = find_heredoc(r->node, h.name);
        const char *data = body && body->content ? body->content : "";
        struct bld_copy_source cs = {
            .path = xstrdup(h.name),
            .data = h.chomp ? bld_heredoc_chomp(data) : xstrdup(data),
            .expand = h.expand,
        };
        DF_PUSH(c->contents, c->ncontents, alloc, cs);
        bld_heredoc_release(&h);
    }
    return 0;
}

static int df_parse_copy(struct req *r, bool add)
{
    const char *name = add ? "ADD" : "COPY";
    if (r->args.n < 2)
        return fail(r,
                    "%s requires at least two arguments, but only one was provided. Destination "
                    "could not be determined",
                    name);
    struct df_flag defs[] = {
        DF_FLAG("chown", DF_FLAG_STRING, ""),
        DF_FLAG("chmod", DF_FLAG_STRING, ""),
        DF_FLAG("link", DF_FLAG_BOOL, "false"),
        DF_FLAG("exclude", DF_FLAG_STRINGS, NULL),
        DF_FLAG(add ? "keep-git-dir" : "from", add ? DF_FLAG_BOOL : DF_FLAG_STRING,
                add ? "false" : ""),
        DF_FLAG(add ? "checksum" : "parents", add ? DF_FLAG_STRING : DF_FLAG_BOOL,
                add ? "" : "false"),
        DF_FLAG(add ? "unpack" : NULL, DF_FLAG_BOOL, "false"),
        {.name = NULL},
    };
    int rc = flags(r, defs);
    struct bld_instr_copy *c = &r->out->u.copy;
    if (rc == 0) {
        c->chown = defs[0].used ? xstrdup(defs[0].value) : NULL;
        c->chmod = defs[1].used ? xstrdup(defs[1].value) : NULL;
        c->link = df_flag_true(&defs[2]);
        cb_strv_copy(&c->excludes, &defs[3].values);
        c->unpack = -1;
        if (add) {
            c->keep_git_dir = df_flag_true(&defs[4]);
            c->checksum = defs[5].used ? xstrdup(defs[5].value) : NULL;
            if (defs[6].used)
                c->unpack = df_flag_true(&defs[6]);
        } else {
            c->from = defs[4].used ? xstrdup(defs[4].value) : NULL;
            c->parents = df_flag_true(&defs[5]);
        }
        rc = sources_and_dest(r, name);
    }
    df_flags_release(defs);
    return rc;
}

/* ------------------------------------------------------------- RUN etc. */

/* handleJSONArgs: exec form as is, shell form joined with single spaces. */
static void cmdline_of(struct req *r, struct bld_cmdline *cl)
{
    if (r->node->json) {
        cb_strv_copy(&cl->args, &r->args);
    } else if (r->args.n > 0) {
        struct cb_buf b;
        cb_buf_init(&b, CB_BUF_LIMIT_DEFAULT);
        for (size_t i = 0; i < r->args.n; i++)
            (void)cb_buf_addf(&b, NULL, "%s%s", i ? " " : "", r->args.v[i]);
        cb_strv_push_take(&cl->args, cb_buf_detach(&b, NULL));
    }
    cl->prepend_shell = !r->node->json;
    cl->nfiles = r->node->nheredocs;
    cl->files = xcalloc(cl->nfiles + 1, sizeof(*cl->files));
    for (size_t i = 0; i < cl->nfiles; i++) {
        const struct bld_heredoc *h = &r->node->heredocs[i];
        cl->files[i] = *h;
        cl->files[i].name = xstrdup(h->name);
        cl->files[i].content = xstrdup(h->content ? h->content : "");
    }
}

static int run_enum(struct req *r, const struct df_flag *f, const char *const *names, int n,
                    const char *what, int *out)
{
    if (!f->used)
        return 0;
    for (int i = 0; i < n; i++)
        if (!strcmp(f->value, names[i])) {
            *out = i;
            return 0;
        }
    return fail(r, "unsupported %s mode \"%s\"", what, f->value);
}

static int run_flags(struct req *r, struct df_flag *defs)
{
    static const char *const nets[] = {"default", "none", "host"};
    static const char *const secs[] = {"sandbox", "insecure"};
    struct bld_instr_run *run = &r->out->u.run;
    int net = BLD_NET_UNSET, sec = BLD_SEC_SANDBOX;
    if (run_enum(r, &defs[1], nets, 3, "network", &net) < 0 ||
        run_enum(r, &defs[2], secs, 2, "security", &sec) < 0)
        return -CB_ESYNTAX;
    run->network = (enum bld_network)net;
    run->security = (enum bld_security)sec;
    cb_strv_copy(&run->mount_specs, &defs[0].values);
    run->mounts = xcalloc(defs[0].values.n + 1, sizeof(*run->mounts));
    for (size_t i = 0; i < defs[0].values.n; i++, run->nmounts++) {
        const char *spec = defs[0].values.v[i];
        if (df_mount_from_has_var(spec))
            return fail(r, "'from' doesn't support variable expansion, define alias stage instead");
        struct cb_err *e = NULL;
        if (bld_run_mount_parse(spec, &run->mounts[i], &e) < 0) {
            int rc = fail(r, "%s", e->msg);
            cb_err_free(e);
            return rc;
        }
    }
    run->devices = xcalloc(defs[3].values.n + 1, sizeof(*run->devices));
    for (size_t i = 0; i < defs[3].values.n; i++, run->ndevices++) {
        struct cb_err *e = NULL;
        if (bld_device_parse(defs[3].values.v[i], &run->devices[i], &e) < 0) {
            int rc = fail(r, "%s", e->msg);
            cb_err_free(e);
            return rc;
        }
    }
    return 0;
}

static int df_parse_run(struct req *r)
{
    struct df_flag defs[] = {
        DF_FLAG("mount", DF_FLAG_STRINGS, NULL),
        DF_FLAG("network", DF_FLAG_STRING, ""),
        DF_FLAG("security", DF_FLAG_STRING, ""),
        DF_FLAG("device", DF_FLAG_STRINGS, NULL),
        {.name = NULL},
    };
    int rc = flags(r, defs);
    if (rc == 0)
        rc = run_flags(r, defs);
    df_flags_release(defs);
    if (rc == 0)
        cmdline_of(r, &r->out->u.run.cmd);
    return rc;
}

static int df_parse_cmd(struct req *r, bool entrypoint)
{
    if (no_flags(r) < 0)
        return -CB_ESYNTAX;
    cmdline_of(r, &r->out->u.cmd);
    return 0;
}

/* ------------------------------------------------------------- HEALTHCHECK */

static int opt_interval(struct req *r, const struct df_flag *f, int64_t *out)
{
    if (!f->value || !*f->value)
        return 0;
    struct cb_err *e = NULL;
    if (bld_parse_duration(f->value, out, &e) < 0) {
        int rc = fail(r, "%s", e->msg);
        cb_err_free(e);
        return rc;
    }
    if (*out != 0 && *out < 1000000)
        return fail(r, "Interval \"%s\" cannot be less than 1ms", f->name);
    return 0;
}

static int health_retries(struct req *r, const char *v, int *out)
{
    if (!v || !*v)
        return 0;
    char *end;
    errno = 0;
    long long n = strtoll(v, &end, 10);
    if (errno || *end || n > 0x7fffffffLL || n < -0x80000000LL || !*v || v[0] == ' ')
        return fail(r, "strconv.ParseInt: parsing \"%s\": invalid syntax", v);
    if (n < 0)
        return fail(r, "--retries cannot be negative (%lld)", n);
    *out = (int)n;
    return 0;
}

static int health_options(struct req *r, struct df_flag *defs)
{
    struct bld_healthcheck *h = &r->out->u.health;
    if (opt_interval(r, &defs[0], &h->interval_ns) < 0 ||
        opt_interval(r, &defs[1], &h->timeout_ns) < 0 ||
        opt_interval(r, &defs[2], &h->start_period_ns) < 0 ||
        opt_interval(r, &defs[3], &h->start_interval_ns) < 0)
        return -CB_ESYNTAX;
    return health_retries(r, defs[4].value, &h->retries);
}

static int df_parse_healthcheck(struct req *r)
{
    if (at_least_one(r, "HEALTHCHECK") < 0)
        return -CB_ESYNTAX;
    struct bld_healthcheck *h = &r->out->u.health;
    cleanup_free char *typ = xstrdup(r->args.v[0]);
    for (char *p = typ; *p; p++)
        *p = (char)(*p >= 'a' && *p <= 'z' ? *p - 32 : *p);
    if (!strcmp(typ, "NONE")) {
        if (r->args.n != 1)
            return fail(r, "HEALTHCHECK NONE takes no arguments");
        cb_strv_push(&h->test, "NONE");
        return 0;
    }
    struct df_flag defs[] = {
        DF_FLAG("interval", DF_FLAG_STRING, ""),     DF_FLAG("timeout", DF_FLAG_STRING, ""),
        DF_FLAG("start-period", DF_FLAG_STRING, ""), DF_FLAG("start-interval", DF_FLAG_STRING, ""),
        DF_FLAG("retries", DF_FLAG_STRING, ""),      {.name = NULL},
    };
    if (flags(r, defs) < 0)
        return -CB_ESYNTAX;
    if (strcmp(typ, "CMD"))
        return fail(r, "Unknown type \"%s\" in HEALTHCHECK (try CMD)", typ);
    if (r->args.n < 2)
        return fail(r, "Missing command after HEALTHCHECK CMD");
    cb_strv_push(&h->test, r->node->json ? "CMD" : "CMD-SHELL");
    if (r->node->json) {
        for (size_t i = 1; i < r->args.n; i++)
            cb_strv_push(&h->test, r->args.v[i]);
    } else {
        struct cb_buf b;
        cb_buf_init(&b, CB_BUF_LIMIT_DEFAULT);
        for (size_t i = 1; i < r->args.n; i++)
            (void)cb_buf_addf(&b, NULL, "%s%s", i > 1 ? " " : "", r->args.v[i]);
        cb_strv_push_take(&h->test, cb_buf_detach(&b, NULL));
    }
    return health_options(r, defs);
}

static int dispatch(struct req *r, int kind)
{
    switch ((enum bld_instr_kind)kind) {
    case BLD_I_ENV:
        return parse_env_label(r, "ENV");
    case BLD_I_LABEL:
        return parse_env_label(r, "LABEL");
    case BLD_I_MAINTAINER:
        return parse_single(r, "MAINTAINER", true);
    case BLD_I_WORKDIR:
        return parse_single(r, "WORKDIR", true);
    case BLD_I_USER:
        return parse_single(r, "USER", true);
    case BLD_I_STOPSIGNAL:
        return parse_single(r, "STOPSIGNAL", false);
    case BLD_I_ARG:
        return parse_arg(r);
    case BLD_I_EXPOSE:
        return parse_expose(r);
    case BLD_I_VOLUME:
        return parse_volume(r);
    case BLD_I_ONBUILD:
        return parse_onbuild(r);
    case BLD_I_SHELL:
        return parse_shell(r);
    case BLD_I_FROM:
        return df_parse_from(r);
    case BLD_I_COPY:
        return df_parse_copy(r, false);
    case BLD_I_ADD:
        return df_parse_copy(r, true);
    case BLD_I_RUN:
        return df_parse_run(r);
    case BLD_I_CMD:
        return df_parse_cmd(r, false);
    case BLD_I_ENTRYPOINT:
        return df_parse_cmd(r, true);
    case BLD_I_HEALTHCHECK:
        return df_parse_healthcheck(r);
    }
    return 0;
}

/* BuildKit's suggest.WrapError: " (did you mean COPY?)" for a near miss. */
static void suggestion(const char *cmd, char *out, size_t sz)
{
    size_t best = (size_t)-1, len = strlen(cmd);
    const char *match = NULL;
    out[0] = 0;
    for (size_t i = 0; i < sizeof(kind_names) / sizeof(kind_names[0]); i++) {
        size_t d = bld_check_distance(cmd, kind_names[i]);
        if (d < best)
            best = d, match = kind_names[i];
    }
    if (!match || best == 0 || best > 2 || best * 2 > len)
        return;
    size_t k = (size_t)snprintf(out, sz, " (did you mean ");
    for (const char *p = match; *p && k + 4 < sz; p++)
        out[k++] = (char)(*p - 32);
    snprintf(out + k, sz - k, "?)");
}

int bld_instr_parse(const struct bld_node *node, struct bld_instr *out, struct cb_err **err)
{
    memset(out, 0, sizeof(*out));
    int kind = kind_of(node->cmd);
    if (kind < 0) {
        char hint[64];
        suggestion(node->cmd, hint, sizeof(hint));
        return cb_fail(err, CB_ESYNTAX, 0, "Dockerfile:%d: unknown instruction: %s%s",
                       node->start_line, node->keyword, hint);
    }
    out->kind = (enum bld_instr_kind)kind;
    out->node = node;
    struct req r = {.node = node, .args = CB_STRV_INIT, .out = out, .err = err};
    node_args(node, &r.args);
    int rc = dispatch(&r, kind);
    cb_strv_release(&r.args);
    if (rc < 0) {
        bld_instr_release(out);
        return -CB_ESYNTAX;
    }
    return 0;
}

/* ------------------------------------------------------------- release */

static void cmdline_release(struct bld_cmdline *c)
{
    cb_strv_release(&c->args);
    for (size_t i = 0; i < c->nfiles; i++)
        bld_heredoc_release(&c->files[i]);
    free(c->files);
}

static void copy_release(struct bld_instr_copy *c)
{
    cb_strv_release(&c->sources);
    free(c->dest);
    for (size_t i = 0; i < c->ncontents; i++) {
        free(c->contents[i].path);
        free(c->contents[i].data);
    }
    free(c->contents);
    free(c->from);
    free(c->chown);
    free(c->chmod);
    cb_strv_release(&c->excludes);
    free(c->checksum);
}

static void run_release(struct bld_instr_run *r)
{
    cmdline_release(&r->cmd);
    for (size_t i = 0; i < r->nmounts; i++)
        bld_run_mount_release(&r->mounts[i]);
    free(r->mounts);
    cb_strv_release(&r->mount_specs);
    for (size_t i = 0; i < r->ndevices; i++)
        free(r->devices[i].name);
    free(r->devices);
}

void bld_instr_release(struct bld_instr *in)
{
    if (!in)
        return;
    switch (in->kind) {
    case BLD_I_FROM:
        free(in->u.from.base);
        free(in->u.from.name);
        free(in->u.from.name_as_written);
        free(in->u.from.platform);
        break;
    case BLD_I_RUN:
        run_release(&in->u.run);
        break;
    case BLD_I_CMD:
    case BLD_I_ENTRYPOINT:
        cmdline_release(&in->u.cmd);
        break;
    case BLD_I_COPY:
    case BLD_I_ADD:
        copy_release(&in->u.copy);
        break;
    case BLD_I_ENV:
    case BLD_I_LABEL:
    case BLD_I_ARG:
        bld_kvs_release(&in->u.kvs);
        break;
    case BLD_I_EXPOSE:
    case BLD_I_VOLUME:
    case BLD_I_SHELL:
        cb_strv_release(&in->u.list);
        break;
    case BLD_I_USER:
    case BLD_I_WORKDIR:
    case BLD_I_STOPSIGNAL:
    case BLD_I_MAINTAINER:
        free(in->u.str);
        break;
    case BLD_I_ONBUILD:
        free(in->u.onbuild);
        break;
    case BLD_I_HEALTHCHECK:
        cb_strv_release(&in->u.health.test);
        break;
    }
    cb_strv_release(&in->flags_used);
    memset(in, 0, sizeof(*in));
}
