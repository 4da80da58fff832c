/* instr_mount.c - RUN --mount=<csv> as BuildKit's runmount.go reads it:
 * CSV fields of key=value (or a bare ro/rw/required), type bind|cache|
 * tmpfs|secret|ssh, and its per-type constraints and error texts. */
#include <ctype.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "dockerfile_internal.h"
#include "instructions.h"
#include "shell.h"
#include "../../base/cleanup.h"
#include "../../base/xalloc.h"
#include "../../base/banned.h"

static const char *const type_names[] = {"bind", "cache", "tmpfs", "secret", "ssh"};

void bld_run_mount_release(struct bld_run_mount *m)
{
    if (!m)
        return;
    free(m->from);
    free(m->source);
    free(m->target);
    free(m->id);
    free(m->env);
    memset(m, 0, sizeof(*m));
}

/* encoding/csv for one record: "a,b" and "\"a,b\",c" with "" escapes. */
static int csv_fields(const char *s, struct cb_strv *out, struct cb_err **err)
{
    struct cb_buf f;
    cb_buf_init(&f, CB_BUF_LIMIT_DEFAULT);
    const char *p = s;
    for (;;) {
        cb_buf_reset(&f);
        if (*p == '"') {
            p++;
            for (;;) {
                if (!*p) {
                    cb_buf_release(&f);
                    return cb_fail(err, CB_ESYNTAX, 0, "extraneous or missing \" in quoted-field");
                }
                if (*p == '"' && p[1] == '"') {
                    (void)cb_buf_addc(&f, '"', NULL);
                    p += 2;
                } else if (*p == '"') {
                    p++;
                    break;
                } else {
                    (void)cb_buf_addc(&f, *p++, NULL);
                }
            }
            if (*p && *p != ',') {
                cb_buf_release(&f);
                return cb_fail(err, CB_ESYNTAX, 0, "extraneous or missing \" in quoted-field");
            }
        } else {
            while (*p && *p != ',') {
                if (*p == '"') {
                    cb_buf_release(&f);
                    return cb_fail(err, CB_ESYNTAX, 0, "bare \" in non-quoted-field");
                }
                (void)cb_buf_addc(&f, *p++, NULL);
            }
        }
        cb_strv_push(out, cb_buf_str(&f));
        if (!*p)
            break;
        p++;
    }
    cb_buf_release(&f);
    return 0;
}

/* Go's strconv.ParseBool. */
static int parse_bool(const char *v, bool *out)
{
    static const char *const t[] = {"1", "t", "T", "TRUE", "true", "True"};
    static const char *const f[] = {"0", "f", "F", "FALSE", "false", "False"};
    for (int i = 0; i < 6; i++) {
        if (!strcmp(v, t[i]))
            return *out = true, 0;
        if (!strcmp(v, f[i]))
            return *out = false, 0;
    }
    return -1;
}

static int parse_uint(const char *v, int base, uint32_t *out)
{
    if (!*v)
        return -1;
    char *end;
    errno = 0;
    unsigned long long x = strtoull(v, &end, base);
    if (errno || *end || x > 0xffffffffULL || !isalnum((unsigned char)v[0]))
        return -1;
    *out = (uint32_t)x;
    return 0;
}

/* docker/go-units RAMInBytes: "64m", "1.5GiB", "100" (binary units). */
static int ram_in_bytes(const char *v, int64_t *out)
{
    const char *p = v;
    while (isdigit((unsigned char)*p) || *p == '.')
        p++;
    if (p == v || !isdigit((unsigned char)v[0]))
        return -1;
    char *end;
    long double num = strtold(v, &end);
    if (end != p)
        return -1;
    if (*p == ' ')
        p++;
    long double mult = 1;
    const char *units = "kmgtp";
    if (*p && strchr(units, tolower((unsigned char)*p))) {
        for (const char *u = units; *u; u++) {
            mult *= 1024;
            if (*u == tolower((unsigned char)*p))
                break;
        }
        p++;
    }
    if (*p == 'i' || *p == 'I')
        p++;
    if (*p == 'b' || *p == 'B')
        p++;
    if (*p)
        return -1;
    *out = (int64_t)(num * mult);
    return 0;
}

static int set_type(struct bld_run_mount *m, const char *value, struct cb_err **err)
{
    for (int i = 0; i < 5; i++)
        if (!strcasecmp(value, type_names[i])) {
            m->type = (enum bld_run_mount_type)i;
            return 0;
        }
    return cb_fail(err, CB_ESYNTAX, 0, "unsupported mount type \"%s\"", value);
}

static int set_sharing(struct bld_run_mount *m, const char *value, bool *sharing_set,
                       struct cb_err **err)
{
    if (!*value)
        return 0;
    static const char *const names[] = {"shared", "private", "locked"};
    for (int i = 0; i < 3; i++)
        if (!strcasecmp(value, names[i])) {
            m->sharing = (enum bld_run_mount_sharing)i;
            *sharing_set = true;
            return 0;
        }
    return cb_fail(err, CB_ESYNTAX, 0, "unsupported sharing value \"%s\"", value);
}

static void set_str(char **dst, const char *v)
{
    free(*dst);
    *dst = xstrdup(v);
}

struct mstate {
    bool ro_auto, sharing_set;
};

static int bare_key(struct bld_run_mount *m, struct mstate *st, const char *key, const char *field,
                    struct cb_err **err)
{
    if (!strcmp(key, "readonly") || !strcmp(key, "ro")) {
        m->read_only = true, st->ro_auto = false;
    } else if (!strcmp(key, "readwrite") || !strcmp(key, "rw")) {
        m->read_only = false, st->ro_auto = false;
    } else if (!strcmp(key, "required")) {
        if (m->type != BLD_RUN_MOUNT_SECRET && m->type != BLD_RUN_MOUNT_SSH)
            return cb_fail(err, CB_ESYNTAX, 0, "unexpected key '%s' for mount type '%s'", key,
                           type_names[m->type]);
        m->required = true;
    } else {
        return cb_fail(err, CB_ESYNTAX, 0, "invalid field '%s' must be a key=value pair", field);
    }
    return 0;
}

static int bool_key(const char *key, const char *value, bool *out, struct cb_err **err)
{
    if (parse_bool(value, out) < 0)
        return cb_fail(err, CB_ESYNTAX, 0, "invalid value for %s: %s", key, value);
    return 0;
}

static int num_key(const char *key, const char *value, int base, uint32_t *out, bool *has,
                   struct cb_err **err)
{
    if (parse_uint(value, base, out) < 0)
        return cb_fail(err, CB_ESYNTAX, 0, "invalid value %s for %s", value, key);
    *has = true;
    return 0;
}

static int kv_key(struct bld_run_mount *m, struct mstate *st, const char *key, const char *value,
                  const char *field, struct cb_err **err)
{
    bool b;
    if (!strcmp(key, "type"))
        return set_type(m, value, err);
    if (!strcmp(key, "source") || !strcmp(key, "src"))
        return set_str(&m->source, value), 0;
    if (!strcmp(key, "target") || !strcmp(key, "dst") || !strcmp(key, "destination") ||
        !strcmp(key, "dest"))
        return set_str(&m->target, value), 0;
    if (!strcmp(key, "readonly") || !strcmp(key, "ro") || !strcmp(key, "readwrite") ||
        !strcmp(key, "rw")) {
        if (bool_key(key, value, &b, err) < 0)
            return -CB_ESYNTAX;
        m->read_only = (!strcmp(key, "ro") || !strcmp(key, "readonly")) ? b : !b;
        st->ro_auto = false;
        return 0;
    }
    if (!strcmp(key, "required")) {
        if (m->type != BLD_RUN_MOUNT_SECRET && m->type != BLD_RUN_MOUNT_SSH)
            return cb_fail(err, CB_ESYNTAX, 0, "unexpected key '%s' for mount type '%s'", key,
                           type_names[m->type]);
        return bool_key(key, value, &m->required, err);
    }
    if (!strcmp(key, "id"))
        return set_str(&m->id, value), 0;
    if (!strcmp(key, "sharing"))
        return set_sharing(m, value, &st->sharing_set, err);
    if (!strcmp(key, "mode"))
        return num_key(key, value, 8, &m->mode, &m->has_mode, err);
    if (!strcmp(key, "uid"))
        return num_key(key, value, 10, &m->uid, &m->has_uid, err);
    if (!strcmp(key, "gid"))
        return num_key(key, value, 10, &m->gid, &m->has_gid, err);
    if (!strcmp(key, "from"))
        return set_str(&m->from, value), 0;
    if (!strcmp(key, "size")) {
        if (ram_in_bytes(value, &m->size_limit) < 0)
            return cb_fail(err, CB_ESYNTAX, 0, "invalid value for %s: %s", key, value);
        return 0;
    }
    if (!strcmp(key, "env"))
        return set_str(&m->env, value), 0;
    return cb_fail(err, CB_ESYNTAX, 0, "unexpected key '%s' in '%s'", key, field);
}

static int check_mount(struct bld_run_mount *m, const struct mstate *st, struct cb_err **err)
{
    bool file_info = m->type == BLD_RUN_MOUNT_SECRET || m->type == BLD_RUN_MOUNT_SSH ||
                     m->type == BLD_RUN_MOUNT_CACHE;
    const char *tn = type_names[m->type];
    if (!file_info && m->has_mode)
        return cb_fail(err, CB_ESYNTAX, 0, "mode not allowed for \"%s\" type mounts", tn);
    if (!file_info && m->has_uid)
        return cb_fail(err, CB_ESYNTAX, 0, "uid not allowed for \"%s\" type mounts", tn);
    if (!file_info && m->has_gid)
        return cb_fail(err, CB_ESYNTAX, 0, "gid not allowed for \"%s\" type mounts", tn);
    if (st->ro_auto)
        m->read_only = m->type != BLD_RUN_MOUNT_CACHE && m->type != BLD_RUN_MOUNT_TMPFS;
    if (st->sharing_set && m->type != BLD_RUN_MOUNT_CACHE)
        return cb_fail(err, CB_ESYNTAX, 0, "invalid cache sharing set for %s mount", tn);
    if (m->type == BLD_RUN_MOUNT_SECRET) {
        if (m->from)
            return cb_fail(err, CB_ESYNTAX, 0, "secret mount should not have a from");
        if (!m->source && !m->target && !m->id)
            return cb_fail(err, CB_ESYNTAX, 0, "one of source, target required");
        if (m->source && m->id)
            return cb_fail(err, CB_ESYNTAX, 0, "both source and id can't be set");
    }
    return 0;
}

int bld_run_mount_parse(const char *value, struct bld_run_mount *out, struct cb_err **err)
{
    memset(out, 0, sizeof(*out));
    struct cb_strv fields = CB_STRV_INIT;
    struct mstate st = {.ro_auto = true};
    int rc = csv_fields(value, &fields, err);
    for (size_t i = 0; rc == 0 && i < fields.n; i++) {
        const char *f = fields.v[i];
        const char *eq = strchr(f, '=');
        cleanup_free char *key = df_lower(f);
        if (eq)
            key[eq - f] = 0;
        rc = eq ? kv_key(out, &st, key, eq + 1, f, err) : bare_key(out, &st, key, f, err);
    }
    cb_strv_release(&fields);
    if (rc == 0)
        rc = check_mount(out, &st, err);
    if (rc < 0) {
        bld_run_mount_release(out);
        return -CB_ESYNTAX;
    }
    return 0;
}

bool df_mount_from_has_var(const char *spec)
{
    struct cb_strv fields = CB_STRV_INIT;
    bool found = false;
    if (csv_fields(spec, &fields, NULL) == 0) {
        for (size_t i = 0; i < fields.n && !found; i++) {
            const char *f = fields.v[i];
            if (strncasecmp(f, "from=", 5))
                continue;
            const char *d = strchr(f + 5, '$');
            found = d && d[1] != 0;
        }
    }
    cb_strv_release(&fields);
    return found;
}

static void csv_add_field(struct cb_buf *b, const char *f)
{
    if (b->len)
        (void)cb_buf_addc(b, ',', NULL);
    if (!strpbrk(f, ",\"")) {
        (void)cb_buf_adds(b, f, NULL);
        return;
    }
    (void)cb_buf_addc(b, '"', NULL);
    for (; *f; f++) {
        if (*f == '"')
            (void)cb_buf_addc(b, '"', NULL);
        (void)cb_buf_addc(b, *f, NULL);
    }
    (void)cb_buf_addc(b, '"', NULL);
}

char *df_mount_expand(const char *spec, const struct bld_shell_opts *opts,
                      struct bld_shell_usage *usage, struct cb_err **err)
{
    struct cb_strv fields = CB_STRV_INIT;
    if (csv_fields(spec, &fields, err) < 0)
        return NULL;
    struct cb_buf b;
    cb_buf_init(&b, CB_BUF_LIMIT_DEFAULT);
    for (size_t i = 0; i < fields.n; i++) {
        const char *f = fields.v[i], *eq = strchr(f, '=');
        if (!eq) {
            csv_add_field(&b, f);
            continue;
        }
        char *v = bld_shell_word(eq + 1, opts, usage, err);
        if (!v) {
            cb_buf_release(&b);
            cb_strv_release(&fields);
            return NULL;
        }
        cleanup_free char *nf = xasprintf("%.*s=%s", (int)(eq - f), f, v);
        free(v);
        csv_add_field(&b, nf);
    }
    cb_strv_release(&fields);
    return cb_buf_detach(&b, NULL);
}
