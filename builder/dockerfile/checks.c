/* checks.c - the build-check rules, their configuration (`# check=`),
 * reporting, and the checks that need only the syntax tree (BuildKit runs
 * them while parsing instructions).  The stage walk is in checks_walk.c.
 */
#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "checks_internal.h"
#include "ignore_re.h"
#include "../../base/buf.h"
#include "../../base/cleanup.h"
#include "../../base/xalloc.h"
#include "../../base/banned.h"

#define DOCS "https://docs.docker.com/go/dockerfile/rule/"

static const struct bld_check_rule rules[R_COUNT] = {
    [R_STAGE_NAME_CASING] = {"StageNameCasing", "Stage names should be lowercase",
                             DOCS "stage-name-casing/", false},
    [R_FROM_AS_CASING] = {"FromAsCasing",
                          "The 'as' keyword should match the case of the 'from' keyword",
                          DOCS "from-as-casing/", false},
    [R_NO_EMPTY_CONTINUATION] = {"NoEmptyContinuation",
                                 "Empty continuation lines will become errors in a future release",
                                 DOCS "no-empty-continuation/", false},
    [R_CONSISTENT_INSTRUCTION_CASING] =
        {"ConsistentInstructionCasing",
         "All commands within the Dockerfile should use the same casing (either upper or lower)",
         DOCS "consistent-instruction-casing/", false},
    [R_DUPLICATE_STAGE_NAME] = {"DuplicateStageName", "Stage names should be unique",
                                DOCS "duplicate-stage-name/", false},
    [R_RESERVED_STAGE_NAME] = {"ReservedStageName",
                               "Reserved words should not be used as stage names",
                               DOCS "reserved-stage-name/", false},
    [R_JSON_ARGS_RECOMMENDED] = {"JSONArgsRecommended",
                                 "JSON arguments recommended for ENTRYPOINT/CMD to prevent "
                                 "unintended behavior related to OS signals",
                                 DOCS "json-args-recommended/", false},
    [R_MAINTAINER_DEPRECATED] = {"MaintainerDeprecated",
                                 "The MAINTAINER instruction is deprecated, use a label instead to "
                                 "define an image author",
                                 DOCS "maintainer-deprecated/", false},
    [R_UNDEFINED_ARG_IN_FROM] = {"UndefinedArgInFrom", "FROM command must use declared ARGs",
                                 DOCS "undefined-arg-in-from/", false},
    [R_WORKDIR_RELATIVE_PATH] = {"WorkdirRelativePath",
                                 "Relative workdir without an absolute workdir declared within "
                                 "the build can have unexpected results if the base image changes",
                                 DOCS "workdir-relative-path/", false},
    [R_UNDEFINED_VAR] = {"UndefinedVar", "Variables should be defined before their use",
                         DOCS "undefined-var/", false},
    [R_MULTIPLE_INSTRUCTIONS_DISALLOWED] =
        {"MultipleInstructionsDisallowed",
         "Multiple instructions of the same type should not be used in the same stage",
         DOCS "multiple-instructions-disallowed/", false},
    [R_LEGACY_KEY_VALUE_FORMAT] = {"LegacyKeyValueFormat",
                                   "Legacy key/value format with whitespace separator should not "
                                   "be used",
                                   DOCS "legacy-key-value-format/", false},
    [R_INVALID_BASE_IMAGE_PLATFORM] = {"InvalidBaseImagePlatform",
                                       "Base image platform does not match expected target "
                                       "platform",
                                       "", false},
    [R_REDUNDANT_TARGET_PLATFORM] = {"RedundantTargetPlatform",
                                     "Setting platform to predefined $TARGETPLATFORM in FROM is "
                                     "redundant as this is the default behavior",
                                     DOCS "redundant-target-platform/", false},
    [R_SECRETS_USED_IN_ARG_OR_ENV] = {"SecretsUsedInArgOrEnv",
                                      "Sensitive data should not be used in the ARG or ENV "
                                      "commands",
                                      DOCS "secrets-used-in-arg-or-env/", false},
    [R_INVALID_DEFAULT_ARG_IN_FROM] = {"InvalidDefaultArgInFrom",
                                       "Default value for global ARG results in an empty or "
                                       "invalid base image name",
                                       DOCS "invalid-default-arg-in-from/", false},
    [R_FROM_PLATFORM_FLAG_CONST_DISALLOWED] = {"FromPlatformFlagConstDisallowed",
                                               "FROM --platform flag should not use a constant "
                                               "value",
                                               DOCS "from-platform-flag-const-disallowed/", false},
    [R_COPY_IGNORED_FILE] = {"CopyIgnoredFile",
                             "Attempting to Copy file that is excluded by .dockerignore",
                             DOCS "copy-ignored-file/", false},
    [R_INVALID_DEFINITION_DESCRIPTION] =
        {"InvalidDefinitionDescription",
         "Comment for build stage or argument should follow the format: `# <arg/stage name> "
         "<description>`. If this is not intended to be a description comment, add an empty "
         "line or comment between the instruction and the comment.",
         DOCS "invalid-definition-description/", true},
    [R_EXPOSE_PROTO_CASING] = {"ExposeProtoCasing",
                               "Protocol in EXPOSE instruction should be lowercase",
                               DOCS "expose-proto-casing/", false},
    [R_EXPOSE_INVALID_FORMAT] = {"ExposeInvalidFormat",
                                 "IP address and host-port mapping should not be used in EXPOSE "
                                 "instruction. This will become an error in a future release",
                                 DOCS "expose-invalid-format/", false},
};

const struct bld_check_rule *bld_check_rule_at(size_t i)
{
    return i < R_COUNT ? &rules[i] : NULL;
}

/* ------------------------------------------------------------ options */

static char *trim(const char *s, size_t n)
{
    while (n && isspace((unsigned char)*s))
        s++, n--;
    while (n && isspace((unsigned char)s[n - 1]))
        n--;
    return xstrndup(s, n);
}

static void split_list(const char *v, struct cb_strv *out)
{
    for (const char *p = v;;) {
        const char *c = strchr(p, ',');
        size_t n = c ? (size_t)(c - p) : strlen(p);
        cb_strv_push_take(out, trim(p, n));
        if (!c)
            break;
        p = c + 1;
    }
}

/* linter.ParseLintOptions: at most three ';'-separated key=value parts. */
static int parse_options(struct lint *l, const char *str, struct cb_err **err)
{
    cleanup_free char *s = trim(str, strlen(str));
    char *p = s;
    for (int part = 0; *s && part < 3; part++) {
        char *semi = part < 2 ? strchr(p, ';') : NULL;
        if (semi)
            *semi = '\0';
        char *eq = strchr(p, '=');
        if (!eq)
            return cb_fail(err, CB_ESYNTAX, 0,
                           "failed to parse check options: invalid check "
                           "option \"%s\"",
                           p);
        *eq = '\0';
        cleanup_free char *k = trim(p, strlen(p)), *v = trim(eq + 1, strlen(eq + 1));
        if (!strcmp(k, "skip")) {
            if (!strcmp(v, "all"))
                l->skip_all = true;
            else
                split_list(v, &l->skip);
        } else if (!strcmp(k, "experimental")) {
            if (!strcmp(v, "all"))
                l->exp_all = true;
            else
                split_list(v, &l->exp);
        } else if (!strcmp(k, "error")) {
            static const char *const yes[] = {"1", "t", "T", "TRUE", "true", "True"};
            static const char *const no[] = {"0", "f", "F", "FALSE", "false", "False"};
            int b = -1;
            for (size_t i = 0; i < 6; i++)
                b = !strcmp(v, yes[i]) ? 1 : !strcmp(v, no[i]) ? 0 : b;
            if (b < 0)
                return cb_fail(err, CB_ESYNTAX, 0,
                               "failed to parse check options: failed to parse check option "
                               "\"%s=%s\": strconv.ParseBool: parsing \"%s\": invalid syntax",
                               p, eq + 1, v);
            l->as_error = b;
        } else {
            return cb_fail(err, CB_ESYNTAX, 0,
                           "failed to parse check options: invalid check option \"%s\"", k);
        }
        if (!semi)
            break;
        p = semi + 1;
    }
    return 0;
}

/* ------------------------------------------------------------ reporting */

char *lint_quote(const char *s)
{
    struct cb_buf b;
    cb_buf_init(&b, CB_BUF_LIMIT_DEFAULT);
    bld_go_quote(&b, s, strlen(s));
    return cb_buf_detach(&b, NULL);
}

/* A `# check=skip=...` comment directly above the instruction at line. */
static bool skipped_inline(const struct lint *l, const char *rule, int line)
{
    for (size_t i = 0; l->ast && i < l->ast->n; i++) {
        const struct bld_node *nd = &l->ast->nodes[i];
        if (nd->start_line != line)
            continue;
        for (size_t c = 0; c < nd->comments.n; c++) {
            const char *t = nd->comments.v[c];
            if (strncmp(t, "check=", 6) != 0)
                continue;
            const char *end = strstr(t, "//");
            cleanup_free char *opt = trim(t + 6, end ? (size_t)(end - t - 6) : strlen(t + 6));
            struct lint tmp = {0};
            struct cb_err *e = NULL;
            bool hit = false;
            if (parse_options(&tmp, opt, &e) == 0)
                hit = tmp.skip_all || cb_strv_find(&tmp.skip, rule) >= 0;
            cb_err_free(e);
            cb_strv_release(&tmp.skip);
            cb_strv_release(&tmp.exp);
            if (hit)
                return true;
        }
    }
    return false;
}

void lint_report(struct lint *l, enum lint_rule r, int line, const char *fmt, ...)
{
    const struct bld_check_rule *rule = &rules[r];
    if (l->aborted)
        return;
    if (rule->experimental ? !(l->exp_all || cb_strv_find(&l->exp, rule->name) >= 0)
                           : (l->skip_all || cb_strv_find(&l->skip, rule->name) >= 0))
        return;
    if (skipped_inline(l, rule->name, line))
        return;
    if (cb_strv_find(&l->called, rule->name) < 0)
        cb_strv_push(&l->called, rule->name);
    va_list ap;
    va_start(ap, fmt);
    struct bld_check_warning w = {
        rule->name, rule->description, rule->url, xvasprintf(fmt, ap), line, 1};
    va_end(ap);
    XGROW(l->out->w, l->out->n + 1, l->out->alloc);
    l->out->w[l->out->n++] = w;
}

void lint_abort(struct lint *l, int line, const char *fmt, ...)
{
    if (l->aborted)
        return;
    va_list ap;
    va_start(ap, fmt);
    l->out->error = xvasprintf(fmt, ap);
    va_end(ap);
    l->out->error_line = line;
    l->aborted = true;
}

/* ------------------------------------------------------------ helpers */

static size_t runes_of(const char *s, int **out)
{
    size_t len = strlen(s), n = 0;
    *out = xcalloc(len + 1, sizeof(int));
    for (size_t i = 0; i < len; n++)
        i += bld_re_utf8_decode(s + i, len - i, &(*out)[n]);
    return n;
}

size_t bld_check_distance(const char *sa, const char *sb)
{
    cleanup_free int *a = NULL, *b = NULL;
    size_t na = runes_of(sa, &a), nb = runes_of(sb, &b);
    cleanup_free size_t *row = xcalloc(nb + 1, sizeof(size_t));
    for (size_t j = 0; j <= nb; j++)
        row[j] = j;
    for (size_t i = 1; i <= na; i++) {
        size_t diag = row[0];
        row[0] = i;
        for (size_t j = 1; j <= nb; j++) {
            size_t up = row[j];
            size_t best = diag + (a[i - 1] != b[j - 1]);
            if (row[j] + 1 < best)
                best = row[j] + 1;
            if (row[j - 1] + 1 < best)
                best = row[j - 1] + 1;
            row[j] = best;
            diag = up;
        }
    }
    return row[nb];
}

const char *bld_check_suggest(const char *v, const char *const *options, size_t n)
{
    const char *match = NULL;
    size_t mindist = 3;
    for (size_t i = 0; i < n; i++) {
        if (!strcmp(v, options[i]))
            return NULL;
        size_t d = bld_check_distance(v, options[i]);
        if (d < mindist) {
            match = options[i];
            mindist = d;
        }
    }
    return match;
}

/* Whether key has a '_'-delimited word (case-insensitive) from words. */
static bool has_word(const char *key, const char *const *words)
{
    for (const char *p = key; *p;) {
        size_t n = strcspn(p, "_");
        for (const char *const *w = words; *w; w++)
            if (strlen(*w) == n && !strncasecmp(p, *w, n))
                return true;
        p += n;
        if (*p)
            p++;
    }
    return false;
}

bool bld_check_is_secret_name(const char *key)
{
    static const char *const deny[] = {"apikey", "auth",     "credential", "credentials",
                                       "key",    "password", "pword",      "passwd",
                                       "secret", "token",    NULL};
    static const char *const allow[] = {"public", "file", "version", NULL};
    return has_word(key, deny) && !has_word(key, allow);
}

static bool all_lower(const char *s)
{
    for (; *s; s++)
        if (isupper((unsigned char)*s))
            return false;
    return true;
}

static bool all_upper(const char *s)
{
    for (; *s; s++)
        if (islower((unsigned char)*s))
            return false;
    return true;
}

/* ------------------------------------------------------------ parse-time rules */

/* InvalidDefinitionDescription: the last comment above must start with one
 * of the names being defined. */
static void check_description(struct lint *l, const char *what, const struct cb_strv *keys,
                              const struct bld_node *nd)
{
    if (!nd->comments.n || !keys->n)
        return;
    const char *c = nd->comments.v[nd->comments.n - 1];
    cleanup_free char *first = xstrndup(c, strcspn(c, " "));
    if (cb_strv_find(keys, first) >= 0)
        return;
    lint_report(l, R_INVALID_DEFINITION_DESCRIPTION, nd->start_line,
                "Comment for %s should follow the format: `# %s <description>`", what,
                keys->n > 1 ? "<arg_key>" : keys->v[0]);
}

static void check_from_node(struct lint *l, const struct bld_node *nd, const char *stage_name)
{
    const struct cb_strv *a = &nd->args;
    if (a->n == 3 && !all_lower(a->v[2]))
        lint_report(l, R_STAGE_NAME_CASING, nd->start_line, "Stage name '%s' should be lowercase",
                    a->v[2]);
    if (a->n >= 3) {
        bool lo = all_lower(nd->keyword), up = all_upper(nd->keyword);
        if ((lo && !all_lower(a->v[1])) || (!lo && up && !all_upper(a->v[1])))
            lint_report(l, R_FROM_AS_CASING, nd->start_line,
                        "'%s' and '%s' keywords' casing do not match", a->v[1], nd->keyword);
    }
    if (stage_name && *stage_name) {
        struct cb_strv keys = CB_STRV_INIT;
        cb_strv_push(&keys, stage_name);
        check_description(l, "FROM", &keys, nd);
        cb_strv_release(&keys);
    }
}

static void check_arg_node(struct lint *l, const struct bld_instr *in)
{
    struct cb_strv keys = CB_STRV_INIT;
    for (size_t i = 0; i < in->u.kvs.n; i++)
        cb_strv_push(&keys, in->u.kvs.v[i].key);
    check_description(l, "ARG", &keys, in->node);
    cb_strv_release(&keys);
}

/* What BuildKit's instructions.Parse reports, node by node in file order;
 * like it, the first node that does not parse stops the walk (the warnings
 * before it stay).  Returns -1 with *err set then. */
static int check_parse_time(struct lint *l, const struct bld_ast *ast, struct cb_err **err)
{
    for (size_t i = 0; i < ast->n; i++) {
        const struct bld_node *nd = &ast->nodes[i];
        if (!strcmp(nd->cmd, "maintainer"))
            lint_report(l, R_MAINTAINER_DEPRECATED, nd->start_line,
                        "Maintainer instruction is deprecated in favor of using label");
        struct bld_instr in;
        if (bld_instr_parse(nd, &in, err) < 0)
            return -1;
        if (in.kind == BLD_I_FROM)
            check_from_node(l, nd, in.u.from.name);
        else if (in.kind == BLD_I_ARG)
            check_arg_node(l, &in);
        bld_instr_release(&in);
    }
    return 0;
}

/* validateStageNames and validateCommandCasing. */
static void check_stage_names(struct lint *l, const struct bld_dockerfile *df)
{
    struct cb_strv seen = CB_STRV_INIT;
    for (size_t s = 0; s < df->nstages; s++) {
        const char *name = df->stages[s].name;
        int line = df->stages[s].from_node->start_line;
        if (!name || !*name)
            continue;
        if (!strcmp(name, "context") || !strcmp(name, "scratch"))
            lint_report(l, R_RESERVED_STAGE_NAME, line,
                        "Stage name should not use the same name as reserved stage \"%s\"", name);
        if (cb_strv_find(&seen, name) >= 0)
            lint_report(l, R_DUPLICATE_STAGE_NAME, line,
                        "Duplicate stage name \"%s\", stage names should be unique", name);
        cb_strv_push(&seen, name);
    }
    cb_strv_release(&seen);
}

static void casing_one(struct lint *l, const struct bld_node *nd, bool majority_lower)
{
    const char *k = nd->keyword;
    const char *want = majority_lower && !all_lower(k)    ? "lowercase"
                       : !majority_lower && !all_upper(k) ? "uppercase"
                                                          : NULL;
    if (want)
        lint_report(l, R_CONSISTENT_INSTRUCTION_CASING, nd->start_line,
                    "Command '%s' should match the case of the command majority (%s)", k, want);
}

static void check_casing(struct lint *l, const struct bld_dockerfile *df)
{
    int lower_n = 0, upper_n = 0;
    for (size_t s = 0; s < df->nstages; s++) {
        const struct bld_stage *st = &df->stages[s];
        for (size_t i = 0; i <= st->n; i++) {
            const char *k = i == 0 ? st->from_node->keyword : st->instrs[i - 1].node->keyword;
            if (all_lower(k))
                lower_n++;
            else if (all_upper(k))
                upper_n++;
        }
    }
    for (size_t s = 0; s < df->nstages; s++) {
        const struct bld_stage *st = &df->stages[s];
        casing_one(l, st->from_node, lower_n > upper_n);
        for (size_t i = 0; i < st->n; i++)
            casing_one(l, st->instrs[i].node, lower_n > upper_n);
    }
}

/* ------------------------------------------------------------ driver */

static int cmp_warning(const void *a, const void *b)
{
    const struct bld_check_warning *x = a, *y = b;
    if (x->line != y->line)
        return x->line < y->line ? -1 : 1;
    return strcmp(x->detail, y->detail);
}

static void finish(struct lint *l)
{
    struct bld_check_result *out = l->out;
    /* insertion sort: stable, and the lists are short */
    for (size_t i = 1; i < out->n; i++)
        for (size_t j = i; j > 0 && cmp_warning(&out->w[j - 1], &out->w[j]) > 0; j--) {
            struct bld_check_warning t = out->w[j];
            out->w[j] = out->w[j - 1];
            out->w[j - 1] = t;
        }
    if (!out->error && l->as_error && l->called.n) {
        struct cb_buf b;
        cb_buf_init(&b, CB_BUF_LIMIT_DEFAULT);
        cb_buf_adds(&b, "lint violation found for rules: ", NULL);
        for (size_t i = 0; i < l->called.n; i++)
            cb_buf_addf(&b, NULL, "%s%s", i ? ", " : "", l->called.v[i]);
        out->error = cb_buf_detach(&b, NULL);
        out->error_line = out->n ? out->w[0].line : 0;
        out->lint_error = true;
    }
}

static int configure(struct lint *l, const struct bld_ast *ast, struct cb_err **err)
{
    const struct bld_kv *kv =
        l->opts->build_args ? bld_kvs_find(l->opts->build_args, "BUILDKIT_DOCKERFILE_CHECK") : NULL;
    if (kv && kv->value)
        return parse_options(l, kv->value, err) < 0
                   ? cb_wrap(err, "failed to parse BUILDKIT_DOCKERFILE_CHECK")
                   : 0;
    if (ast->check.set && ast->check.value)
        return parse_options(l, ast->check.value, err);
    return 0;
}

/* A Dockerfile that parses but whose instructions or stages do not: the
 * warnings found so far are kept and the error is reported with them. */
static void instruction_error(struct lint *l, struct cb_err *e)
{
    l->out->error = xstrdup(e->msg);
    l->out->parse_error = true;
    cb_err_free(e);
}

int bld_check_run(const char *text, size_t len, const struct bld_check_opts *opts,
                  struct bld_check_result *out, struct cb_err **err)
{
    memset(out, 0, sizeof(*out));
    struct bld_ast *ast = bld_parse(text, len, err);
    if (!ast)
        return cb_err_rc(err);
    struct lint l = {.opts = opts, .ast = ast, .out = out};
    if (configure(&l, ast, err) < 0) {
        bld_ast_free(ast);
        cb_strv_release(&l.skip);
        cb_strv_release(&l.exp);
        return cb_err_rc(err);
    }
    for (size_t i = 0; i < ast->nwarnings; i++)
        lint_report(&l, R_NO_EMPTY_CONTINUATION, ast->warnings[i].line, "Empty continuation line");
    struct cb_err *e = NULL;
    cleanup_dockerfile struct bld_dockerfile *df = NULL;
    if (check_parse_time(&l, ast, &e) < 0) {
        instruction_error(&l, e);
        bld_ast_free(ast);
    } else if (!(df = bld_dockerfile_from_ast_take(ast, &e))) {
        instruction_error(&l, e); /* the ast went with it */
    } else {
        check_stage_names(&l, df);
        check_casing(&l, df);
        lint_walk(&l, df);
    }
    finish(&l);
    cb_strv_release(&l.skip);
    cb_strv_release(&l.exp);
    cb_strv_release(&l.called);
    return 0;
}

void bld_check_result_release(struct bld_check_result *r)
{
    for (size_t i = 0; i < r->n; i++)
        free(r->w[i].detail);
    free(r->w);
    free(r->error);
    memset(r, 0, sizeof(*r));
}
