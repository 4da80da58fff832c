/* reference.c - parse, validate and format image references (docker's
 * distribution/reference grammar, with Docker Hub defaults). */
#include <ctype.h>
#include <stdlib.h>
#include <string.h>

#include "reference.h"
#include "../base/cleanup.h"
#include "../base/xalloc.h"
#include "../base/banned.h"

static bool is_lower_alnum(char c)
{
    return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9');
}

/* One path component: [a-z0-9]+((\.|_|__|-+)[a-z0-9]+)*.  Returns NULL or
 * the reason it is invalid. */
static const char *component_invalid(const char *s, size_t n)
{
    size_t i = 0;
    if (n == 0)
        return "empty path component";
    for (size_t k = 0; k < n; k++)
        if (isupper((unsigned char)s[k]))
            return "repository name must be lowercase";
    while (i < n) {
        if (!is_lower_alnum(s[i]))
            return "invalid character in repository name";
        while (i < n && is_lower_alnum(s[i]))
            i++;
        if (i == n)
            return NULL;
        size_t sep = i;
        if (s[i] == '.')
            i++;
        else if (s[i] == '_')
            i += (i + 1 < n && s[i + 1] == '_') ? 2 : 1;
        else if (s[i] == '-')
            while (i < n && s[i] == '-')
                i++;
        else
            return "invalid character in repository name";
        if (i == n || !is_lower_alnum(s[i]) || i - sep == 0)
            return "repository name components must start and end with a letter or digit";
    }
    return NULL;
}

static const char *path_invalid(const char *path)
{
    const char *p = path;
    for (;;) {
        const char *slash = strchr(p, '/');
        size_t n = slash ? (size_t)(slash - p) : strlen(p);
        const char *why = component_invalid(p, n);
        if (why)
            return why;
        if (!slash)
            return NULL;
        p = slash + 1;
    }
}

static bool tag_valid(const char *t)
{
    size_t n = strlen(t);
    if (n == 0 || n > 128)
        return false;
    for (size_t i = 0; i < n; i++) {
        char c = t[i];
        bool w = isalnum((unsigned char)c) || c == '_';
        if (!w && (i == 0 || (c != '.' && c != '-')))
            return false;
    }
    return true;
}

static bool label_valid(const char *s, size_t n)
{
    if (n == 0 || !isalnum((unsigned char)s[0]) || !isalnum((unsigned char)s[n - 1]))
        return false;
    for (size_t i = 0; i < n; i++)
        if (!isalnum((unsigned char)s[i]) && s[i] != '-')
            return false;
    return true;
}

static bool port_valid(const char *p)
{
    size_t n = strlen(p);
    if (n == 0 || n > 5)
        return false;
    for (size_t i = 0; i < n; i++)
        if (!isdigit((unsigned char)p[i]))
            return false;
    return strtol(p, NULL, 10) <= 65535;
}

bool oci_ref_host_valid(const char *host)
{
    const char *port = NULL, *end;
    if (!host || !*host)
        return false;
    if (host[0] == '[') {
        end = strchr(host, ']');
        if (!end || end == host + 1)
            return false;
        for (const char *c = host + 1; c < end; c++)
            if (!isxdigit((unsigned char)*c) && *c != ':' && *c != '.')
                return false;
        if (end[1] == 0)
            return true;
        return end[1] == ':' && port_valid(end + 2);
    }
    end = strchr(host, ':');
    if (end)
        port = end + 1;
    else
        end = host + strlen(host);
    if (port && !port_valid(port))
        return false;
    for (const char *p = host; p < end;) {
        const char *dot = memchr(p, '.', (size_t)(end - p));
        size_t n = dot ? (size_t)(dot - p) : (size_t)(end - p);
        if (!label_valid(p, n))
            return false;
        p += n + (dot ? 1 : 0);
        if (dot && p == end)
            return false;
    }
    return true;
}

/* Whether the first path element names a registry host (docker's rule). */
static bool looks_like_host(const char *s, size_t n)
{
    if (n == 9 && !memcmp(s, "localhost", 9))
        return true;
    for (size_t i = 0; i < n; i++)
        if (s[i] == '.' || s[i] == ':' || isupper((unsigned char)s[i]))
            return true;
    return false;
}

static int fail_ref(struct cb_err **err, const char *s, const char *why)
{
    return cb_fail(err, CB_EINVAL, 0, "invalid reference '%s': %s", s, why);
}

static int split_name(const char *s, const char *name, struct oci_ref *out, struct cb_err **err)
{
    const char *slash = strchr(name, '/');
    const char *why;

    if (slash && looks_like_host(name, (size_t)(slash - name))) {
        out->registry = xstrndup(name, (size_t)(slash - name));
        if (!oci_ref_host_valid(out->registry))
            return fail_ref(err, s, "invalid registry host");
        out->repository = xstrdup(slash + 1);
    } else {
        out->registry = xstrdup(OCI_REF_DOCKER_HUB);
        out->repository = slash ? xstrdup(name) : xasprintf("library/%s", name);
    }
    if (!strcmp(out->registry, "index.docker.io") ||
        !strcmp(out->registry, "registry-1.docker.io")) {
        free(out->registry);
        out->registry = xstrdup(OCI_REF_DOCKER_HUB);
    }
    if (!strcmp(out->registry, OCI_REF_DOCKER_HUB) && !strchr(out->repository, '/')) {
        char *r = xasprintf("library/%s", out->repository);
        free(out->repository);
        out->repository = r;
    }
    why = path_invalid(out->repository);
    if (why)
        return fail_ref(err, s, why);
    if (strlen(out->registry) + 1 + strlen(out->repository) > OCI_REF_NAME_MAX)
        return fail_ref(err, s, "repository name longer than 255 characters");
    return 0;
}

static int parse_any(const char *s, struct oci_ref *out, bool allow_object, struct cb_err **err)
{
    cleanup_free char *name = NULL;
    const char *at, *last_slash, *colon;
    int rc;

    memset(out, 0, sizeof(*out));
    if (!s || !*s)
        return cb_fail(err, CB_EINVAL, 0, "invalid reference '': empty");
    for (const char *c = s; *c; c++)
        if (isspace((unsigned char)*c) || iscntrl((unsigned char)*c))
            return fail_ref(err, s, "contains whitespace");
    name = xstrdup(s);
    at = strchr(name, '@');
    if (at) {
        if (!allow_object)
            return fail_ref(err, s, "a digest is not allowed here");
        struct cb_err *derr = NULL;
        if (oci_digest_parse(at + 1, &out->digest, &derr) < 0) {
            cb_err_free(derr);
            return fail_ref(err, s, "invalid digest (want sha256:<64 lowercase hex>)");
        }
        name[at - name] = 0;
    }
    last_slash = strrchr(name, '/');
    colon = strrchr(name, ':');
    if (colon && (!last_slash || colon > last_slash)) {
        if (!allow_object)
            return fail_ref(err, s, "a tag is not allowed here");
        if (!tag_valid(colon + 1))
            return fail_ref(err, s, "invalid tag");
        out->tag = xstrdup(colon + 1);
        name[colon - name] = 0;
    }
    if (!*name)
        return fail_ref(err, s, "empty repository name");
    rc = split_name(s, name, out, err);
    if (rc < 0) {
        oci_ref_release(out);
        return rc;
    }
    if (allow_object && !out->tag && !oci_digest_is_set(&out->digest))
        out->tag = xstrdup("latest");
    return 0;
}

int oci_ref_parse(const char *s, struct oci_ref *out, struct cb_err **err)
{
    int rc = parse_any(s, out, true, err);
    if (rc < 0)
        oci_ref_release(out);
    return rc;
}

int oci_ref_parse_repo(const char *s, struct oci_ref *out, struct cb_err **err)
{
    int rc = parse_any(s, out, false, err);
    if (rc < 0)
        oci_ref_release(out);
    return rc;
}

void oci_ref_release(struct oci_ref *r)
{
    if (!r)
        return;
    free(r->registry);
    free(r->repository);
    free(r->tag);
    memset(r, 0, sizeof(*r));
}

void oci_ref_copy(struct oci_ref *dst, const struct oci_ref *src)
{
    dst->registry = src->registry ? xstrdup(src->registry) : NULL;
    dst->repository = src->repository ? xstrdup(src->repository) : NULL;
    dst->tag = src->tag ? xstrdup(src->tag) : NULL;
    dst->digest = src->digest;
}

char *oci_ref_name(const struct oci_ref *r)
{
    return xasprintf("%s/%s", r->registry, r->repository);
}

char *oci_ref_str(const struct oci_ref *r)
{
    char d[OCI_DIGEST_STR_MAX];
    bool has_d = oci_digest_is_set(&r->digest);
    return xasprintf("%s/%s%s%s%s%s", r->registry, r->repository, r->tag ? ":" : "",
                     r->tag ? r->tag : "", has_d ? "@" : "",
                     has_d ? oci_digest_fmt(&r->digest, d) : "");
}

const char *oci_ref_object(const struct oci_ref *r, char *buf)
{
    if (oci_digest_is_set(&r->digest))
        return oci_digest_fmt(&r->digest, buf);
    return r->tag ? r->tag : "latest";
}

const char *oci_ref_endpoint(const char *registry)
{
    if (!strcmp(registry, OCI_REF_DOCKER_HUB))
        return OCI_REF_DOCKER_HUB_ENDPOINT;
    return registry;
}

const char *oci_ref_config_key(const char *registry)
{
    if (!strcmp(registry, OCI_REF_DOCKER_HUB))
        return "https://index.docker.io/v1/";
    return registry;
}

char *oci_ref_normalize_host(const char *s, struct cb_err **err)
{
    cleanup_free char *h = NULL;
    size_t n;

    if (!strncmp(s, "https://", 8))
        s += 8;
    else if (!strncmp(s, "http://", 7))
        s += 7;
    h = xstrdup(s);
    n = strlen(h);
    if (n >= 4 && !strcmp(h + n - 4, "/v1/"))
        h[n - 4] = 0;
    else if (n >= 4 && !strcmp(h + n - 4, "/v2/"))
        h[n - 4] = 0;
    n = strlen(h);
    while (n > 0 && h[n - 1] == '/')
        h[--n] = 0;
    if (!strcmp(h, "index.docker.io") || !strcmp(h, "registry-1.docker.io"))
        return xstrdup(OCI_REF_DOCKER_HUB);
    if (!oci_ref_host_valid(h)) {
        cb_fail(err, CB_EINVAL, 0, "invalid registry host '%s'", s);
        return NULL;
    }
    return TAKE_PTR(h);
}
