/* instr_flags.c - instruction flags and the small value grammars behind
 * them, as BuildKit parses them: BFlags (bool/string/repeatable flags),
 * Go durations (HEALTHCHECK), EXPOSE port specs (go-connections nat),
 * RUN --device values and RUN --mount CSV options (runmount.go), with
 * BuildKit's error texts. */
#include <arpa/inet.h>
#include <ctype.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "dockerfile_internal.h"
#include "instructions.h"
#include "../../base/cleanup.h"
#include "../../base/xalloc.h"
#include "../../base/banned.h"

bool df_flag_true(const struct df_flag *f)
{
    return f->value && !strcmp(f->value, "true");
}

static struct df_flag *find_flag(struct df_flag *defs, const char *name, size_t len)
{
    for (struct df_flag *f = defs; f->name; f++)
        if (strlen(f->name) == len && !memcmp(f->name, name, len))
            return f;
    return NULL;
}

static int set_flag(struct df_flag *f, const char *value, bool has_value, struct cb_err **err)
{
    switch (f->type) {
    case DF_FLAG_BOOL:
        if (has_value && !*value)
            return cb_fail(err, CB_ESYNTAX, 0, "missing a value on flag: --%s", f->name);
        if (!has_value || !strcasecmp(value, "true"))
            f->value = "true";
        else if (!strcasecmp(value, "false"))
            f->value = "false";
        else
            return cb_fail(err, CB_ESYNTAX, 0, "expecting boolean value for flag %s, not: %s",
                           f->name, value);
        return 0;
    case DF_FLAG_STRING:
        if (!has_value)
            return cb_fail(err, CB_ESYNTAX, 0, "missing a value on flag: --%s", f->name);
        f->value = value;
        return 0;
    case DF_FLAG_STRINGS:
        if (!has_value)
            return cb_fail(err, CB_ESYNTAX, 0, "missing a value on flag: --%s", f->name);
        cb_strv_push(&f->values, value);
        return 0;
    }
    return 0;
}

int df_flags_parse(const struct cb_strv *words, struct df_flag *defs, struct cb_strv *used,
                   struct cb_err **err)
{
    for (struct df_flag *f = defs; f->name; f++)
        f->value = f->def;
    for (size_t i = 0; i < words->n; i++) {
        const char *w = words->v[i];
        if (strncmp(w, "--", 2))
            return cb_fail(err, CB_ESYNTAX, 0, "arg should start with -- : %s", w);
        if (!strcmp(w, "--"))
            return 0;
        const char *name = w + 2, *eq = strchr(name, '=');
        size_t nl = eq ? (size_t)(eq - name) : strlen(name);
        struct df_flag *f = find_flag(defs, name, nl);
        if (!f)
            return cb_fail(err, CB_ESYNTAX, 0, "unknown flag: --%.*s", (int)nl, name);
        if (f->used && f->type != DF_FLAG_STRINGS)
            return cb_fail(err, CB_ESYNTAX, 0, "duplicate flag specified: --%s", f->name);
        if (!f->used && used)
            cb_strv_push(used, f->name);
        f->used = true;
        if (set_flag(f, eq ? eq + 1 : "", eq != NULL, err) < 0)
            return -CB_ESYNTAX;
    }
    return 0;
}

void df_flags_release(struct df_flag *defs)
{
    for (struct df_flag *f = defs; f->name; f++)
        cb_strv_release(&f->values);
}

/* ---------------------------------------------------------- durations */

static int unit_ns(const char *u, size_t n, int64_t *out)
{
    static const struct {
        const char *name;
        int64_t ns;
    } units[] = {{"ns", 1},       {"us", 1000},      {"\xC2\xB5s", 1000},  {"\xCE\xBCs", 1000},
                 {"ms", 1000000}, {"s", 1000000000}, {"m", 60000000000LL}, {"h", 3600000000000LL}};
    for (size_t i = 0; i < sizeof(units) / sizeof(units[0]); i++)
        if (strlen(units[i].name) == n && !memcmp(units[i].name, u, n)) {
            *out = units[i].ns;
            return 0;
        }
    return -1;
}

/* Go's time.ParseDuration. */
int bld_parse_duration(const char *s, int64_t *out, struct cb_err **err)
{
    const char *p = s;
    bool neg = false;
    if (*p == '-' || *p == '+')
        neg = *p++ == '-';
    if (!strcmp(p, "0")) {
        *out = 0;
        return 0;
    }
    if (!*p)
        return cb_fail(err, CB_ESYNTAX, 0, "time: invalid duration \"%s\"", s);
    long double total = 0;
    while (*p) {
        if (!isdigit((unsigned char)*p) && *p != '.')
            return cb_fail(err, CB_ESYNTAX, 0, "time: invalid duration \"%s\"", s);
        const char *num = p;
        while (isdigit((unsigned char)*p))
            p++;
        bool had_int = p > num, had_frac = false;
        if (*p == '.') {
            p++;
            const char *f = p;
            while (isdigit((unsigned char)*p))
                p++;
            had_frac = p > f;
        }
        if (!had_int && !had_frac)
            return cb_fail(err, CB_ESYNTAX, 0, "time: invalid duration \"%s\"", s);
        long double v = strtold(num, NULL);
        const char *u = p;
        while (*p && *p != '.' && !isdigit((unsigned char)*p))
            p++;
        int64_t mult;
        if (p == u)
            return cb_fail(err, CB_ESYNTAX, 0, "time: missing unit in duration \"%s\"", s);
        if (unit_ns(u, (size_t)(p - u), &mult) < 0)
            return cb_fail(err, CB_ESYNTAX, 0, "time: unknown unit \"%.*s\" in duration \"%s\"",
                           (int)(p - u), u, s);
        total += v * (long double)mult;
        if (total > 9223372036854775807.0L)
            return cb_fail(err, CB_ESYNTAX, 0, "time: invalid duration \"%s\"", s);
    }
    *out = (int64_t)(neg ? -total : total);
    return 0;
}

/* ---------------------------------------------------------- EXPOSE */

static int parse_u16(const char *s, size_t n, unsigned long *out)
{
    if (n == 0 || n > 5)
        return -1;
    unsigned long v = 0;
    for (size_t i = 0; i < n; i++) {
        if (!isdigit((unsigned char)s[i]))
            return -1;
        v = v * 10 + (unsigned long)(s[i] - '0');
    }
    if (v > 65535)
        return -1;
    *out = v;
    return 0;
}

static int port_range(const char *s, unsigned long *start, unsigned long *end)
{
    const char *dash = strchr(s, '-');
    if (!*s)
        return -1;
    if (!dash) {
        if (parse_u16(s, strlen(s), start) < 0)
            return -1;
        *end = *start;
        return 0;
    }
    const char *second = dash + 1, *more = strchr(second, '-');
    if (parse_u16(s, (size_t)(dash - s), start) < 0 ||
        parse_u16(second, more ? (size_t)(more - second) : strlen(second), end) < 0)
        return -1;
    return *end < *start ? -1 : 0;
}

static bool valid_ip(const char *ip)
{
    unsigned char buf[16];
    return inet_pton(AF_INET, ip, buf) == 1 || inet_pton(AF_INET6, ip, buf) == 1;
}

/* nat.ParsePortSpec split: [ip:][hostport:]port[/proto]. */
static void split_spec(const char *spec, char **ip, char **host, char **port)
{
    const char *last = strrchr(spec, ':');
    *port = xstrdup(last ? last + 1 : spec);
    *ip = xstrdup("");
    *host = xstrdup("");
    if (!last)
        return;
    const char *prev = last;
    while (prev > spec && prev[-1] != ':')
        prev--;
    free(*host);
    *host = xstrndup(prev, (size_t)(last - prev));
    if (prev > spec) {
        free(*ip);
        *ip = xstrndup(spec, (size_t)(prev - 1 - spec));
    }
}

static int expose_fail(const char *spec, const char *why, struct cb_err **err)
{
    return cb_fail(err, CB_ESYNTAX, 0, "invalid port: \"%s\": %s", spec, why);
}

int bld_expose_parse(const char *spec, struct cb_strv *out, struct cb_err **err)
{
    cleanup_free char *ip = NULL, *host = NULL, *port = NULL;
    split_spec(spec, &ip, &host, &port);
    const char *proto = "tcp";
    char *slash = strchr(port, '/');
    if (!*port || slash == port) {
        port[0] = 0;
    } else if (slash) {
        *slash = 0;
        char *p2 = slash + 1, *s2 = strchr(p2, '/');
        if (s2)
            *s2 = 0;
        if (*p2)
            proto = p2;
    }
    size_t il = strlen(ip);
    if (il >= 2 && ip[0] == '[' && ip[il - 1] == ']') {
        memmove(ip, ip + 1, il - 2);
        ip[il - 2] = 0;
    }
    if (*ip && !valid_ip(ip))
        return expose_fail(spec, "invalid IP address", err);
    if (!*port)
        return expose_fail(spec, "no port specified", err);
    unsigned long start, end, hs = 0, he = 0;
    if (port_range(port, &start, &end) < 0)
        return expose_fail(spec, "invalid containerPort", err);
    if (*host && port_range(host, &hs, &he) < 0)
        return expose_fail(spec, "invalid hostPort", err);
    if (*host && end - start != he - hs && end != start)
        return expose_fail(spec, "invalid ranges specified for container and host Ports", err);
    cleanup_free char *lp = df_lower(proto);
    if (strcmp(lp, "tcp") && strcmp(lp, "udp") && strcmp(lp, "sctp"))
        return expose_fail(spec, "invalid proto", err);
    for (unsigned long p = start; p <= end; p++)
        cb_strv_pushf(out, "%lu/%s", p, lp);
    return 0;
}

/* ---------------------------------------------------------- --device */

int bld_device_parse(const char *value, struct bld_device *out, struct cb_err **err)
{
    memset(out, 0, sizeof(*out));
    cleanup_free char *copy = xstrdup(value);
    char *save = NULL;
    for (char *f = strtok_r(copy, ",", &save); f; f = strtok_r(NULL, ",", &save)) {
        const char *name = NULL;
        if (!strncmp(f, "name=", 5)) {
            name = f + 5;
        } else if (!strcmp(f, "required") || !strncmp(f, "required=", 9)) {
            const char *v = f[8] ? f + 9 : "true";
            if (!strcasecmp(v, "true") || !strcmp(v, "1"))
                out->required = true;
            else if (!strcasecmp(v, "false") || !strcmp(v, "0"))
                out->required = false;
            else
                return cb_fail(err, CB_ESYNTAX, 0, "invalid value for required: %s", v);
            continue;
        } else {
            name = f;
        }
        if (out->name) {
            int rc = cb_fail(err, CB_ESYNTAX, 0, "device name already set to %s", out->name);
            free(out->name);
            out->name = NULL;
            return rc;
        }
        out->name = xstrdup(name);
    }
    if (!out->name)
        return cb_fail(err, CB_ESYNTAX, 0, "device name is required");
    return 0;
}

/* ---------------------------------------------------------- Go formatting */

/* fmtFrac: the prec-digit fraction of v without trailing zeros. */
static void frac(char *buf, size_t sz, uint64_t v, int prec, uint64_t *rest)
{
    char digits[16];
    int n = 0;
    bool print = false;
    for (int i = 0; i < prec; i++) {
        int d = (int)(v % 10);
        print = print || d != 0;
        if (print)
            digits[n++] = (char)('0' + d);
        v /= 10;
    }
    buf[0] = 0;
    if (n) {
        size_t k = 0;
        buf[k++] = '.';
        while (n > 0 && k + 1 < sz)
            buf[k++] = digits[--n];
        buf[k] = 0;
    }
    *rest = v;
}

char *bld_go_duration(int64_t ns)
{
    if (ns == 0)
        return xstrdup("0s");
    bool neg = ns < 0;
    uint64_t u = neg ? (uint64_t)(-(ns + 1)) + 1 : (uint64_t)ns;
    char f[16];
    uint64_t rest;
    const char *sign = neg ? "-" : "";
    if (u < 1000000000ULL) {
        if (u < 1000)
            return xasprintf("%s%lluns", sign, (unsigned long long)u);
        if (u < 1000000) {
            frac(f, sizeof(f), u, 3, &rest);
            return xasprintf("%s%llu%s\xC2\xB5s", sign, (unsigned long long)rest, f);
        }
        frac(f, sizeof(f), u, 6, &rest);
        return xasprintf("%s%llu%sms", sign, (unsigned long long)rest, f);
    }
    frac(f, sizeof(f), u, 9, &rest);
    unsigned long long secs = rest % 60, mins = rest / 60;
    if (mins == 0)
        return xasprintf("%s%llu%ss", sign, secs, f);
    if (mins < 60)
        return xasprintf("%s%llum%llu%ss", sign, mins, secs, f);
    return xasprintf("%s%lluh%llum%llu%ss", sign, mins / 60, mins % 60, secs, f);
}

char *bld_healthcheck_string(const struct bld_healthcheck *h)
{
    struct cb_buf b;
    cb_buf_init(&b, CB_BUF_LIMIT_DEFAULT);
    (void)cb_buf_adds(&b, "HEALTHCHECK {Test:[", NULL);
    for (size_t i = 0; i < h->test.n; i++)
        (void)cb_buf_addf(&b, NULL, "%s%s", i ? " " : "", h->test.v[i]);
    const int64_t d[] = {h->interval_ns, h->timeout_ns, h->start_period_ns, h->start_interval_ns};
    const char *names[] = {"Interval", "Timeout", "StartPeriod", "StartInterval"};
    (void)cb_buf_addc(&b, ']', NULL);
    for (int i = 0; i < 4; i++) {
        cleanup_free char *s = bld_go_duration(d[i]);
        (void)cb_buf_addf(&b, NULL, " %s:%s", names[i], s);
    }
    (void)cb_buf_addf(&b, NULL, " Retries:%d}", h->retries);
    return cb_buf_detach(&b, NULL);
}
