/* image_types.c - the non-JSON half of image.h: string maps, platforms and
 * platform matching, lifecycles of descriptors, manifests, indexes and image
 * configs, chain ids.  The JSON codecs are in image.c. */
#include <stdlib.h>
#include <string.h>

#include "image.h"
#include "../base/cleanup.h"
#include "../base/xalloc.h"
#include "../base/banned.h"

/* ---------------------------------------------------------------- maps */

void oci_map_init(struct oci_map *m)
{
    memset(m, 0, sizeof(*m));
}

void oci_map_release(struct oci_map *m)
{
    for (size_t i = 0; i < m->n; i++) {
        free(m->v[i].key);
        free(m->v[i].value);
    }
    free(m->v);
    oci_map_init(m);
}

void oci_map_copy(struct oci_map *dst, const struct oci_map *src)
{
    oci_map_init(dst);
    for (size_t i = 0; i < src->n; i++)
        oci_map_set(dst, src->v[i].key, src->v[i].value);
}

/* Index of key, or where it would be inserted (with *found false). */
static size_t map_find(const struct oci_map *m, const char *key, bool *found)
{
    size_t lo = 0, hi = m->n;

    while (lo < hi) {
        size_t mid = lo + (hi - lo) / 2;
        int c = strcmp(m->v[mid].key, key);
        if (c == 0) {
            *found = true;
            return mid;
        }
        if (c < 0)
            lo = mid + 1;
        else
            hi = mid;
    }
    *found = false;
    return lo;
}

const char *oci_map_peek(const struct oci_map *m, const char *key)
{
    bool found;
    size_t i = map_find(m, key, &found);
    return found ? m->v[i].value : NULL;
}

void oci_map_set(struct oci_map *m, const char *key, const char *value)
{
    bool found;
    size_t i = map_find(m, key, &found);

    if (found) {
        free(m->v[i].value);
        m->v[i].value = xstrdup(value);
        return;
    }
    XGROW(m->v, m->n + 1, m->alloc);
    memmove(&m->v[i + 1], &m->v[i], (m->n - i) * sizeof(m->v[0]));
    m->v[i].key = xstrdup(key);
    m->v[i].value = xstrdup(value);
    m->n++;
}

bool oci_map_del(struct oci_map *m, const char *key)
{
    bool found;
    size_t i = map_find(m, key, &found);

    if (!found)
        return false;
    free(m->v[i].key);
    free(m->v[i].value);
    memmove(&m->v[i], &m->v[i + 1], (m->n - i - 1) * sizeof(m->v[0]));
    m->n--;
    return true;
}

/* ---------------------------------------------------------------- platform */

void oci_platform_init(struct oci_platform *p)
{
    memset(p, 0, sizeof(*p));
}

void oci_platform_release(struct oci_platform *p)
{
    free(p->os);
    free(p->architecture);
    free(p->variant);
    free(p->os_version);
    cb_strv_release(&p->os_features);
    cb_strv_release(&p->features);
    oci_platform_init(p);
}

static char *strdup_or_null(const char *s)
{
    return s ? xstrdup(s) : NULL;
}

void oci_platform_copy(struct oci_platform *dst, const struct oci_platform *src)
{
    oci_platform_init(dst);
    dst->os = strdup_or_null(src->os);
    dst->architecture = strdup_or_null(src->architecture);
    dst->variant = strdup_or_null(src->variant);
    dst->os_version = strdup_or_null(src->os_version);
    cb_strv_copy(&dst->os_features, &src->os_features);
    cb_strv_copy(&dst->features, &src->features);
}

/* containerd's platforms.Normalize: kernel names → GOARCH names. */
static const char *arch_alias(const char *a)
{
    static const char *const aliases[][2] = {
        {"x86_64", "amd64"}, {"x86-64", "amd64"}, {"aarch64", "arm64"},
        {"i386", "386"},     {"i686", "386"},     {"armhf", "arm"},
    };
    for (size_t i = 0; i < sizeof(aliases) / sizeof(aliases[0]); i++)
        if (!strcmp(a, aliases[i][0]))
            return aliases[i][1];
    return a;
}

/* The variant an image without one is assumed to have. */
static const char *default_variant(const char *arch)
{
    if (!strcmp(arch, "arm64"))
        return "v8";
    if (!strcmp(arch, "arm"))
        return "v7";
    return NULL;
}

static bool valid_platform_word(const char *s)
{
    if (!*s)
        return false;
    for (; *s; s++)
        if (!((*s >= 'a' && *s <= 'z') || (*s >= '0' && *s <= '9') || *s == '_' || *s == '-' ||
              *s == '.'))
            return false;
    return true;
}

int oci_platform_parse(const char *s, struct oci_platform *out, struct cb_err **err)
{
    cleanup_strv char **parts = NULL;
    struct cb_strv v = CB_STRV_INIT;
    const char *p = s;

    for (;;) {
        const char *slash = strchr(p, '/');
        cb_strv_push_take(&v, slash ? xstrndup(p, (size_t)(slash - p)) : xstrdup(p));
        if (!slash)
            break;
        p = slash + 1;
    }
    parts = cb_strv_detach(&v);
    size_t n = 0;
    while (parts[n])
        n++;
    if (n < 2 || n > 3)
        return cb_fail(err, CB_EINVAL, 0, "invalid platform '%s': want os/arch[/variant]", s);
    for (size_t i = 0; i < n; i++)
        if (!valid_platform_word(parts[i]))
            return cb_fail(err, CB_EINVAL, 0, "invalid platform '%s'", s);
    oci_platform_init(out);
    out->os = xstrdup(parts[0]);
    out->architecture = xstrdup(arch_alias(parts[1]));
    if (n == 3)
        out->variant = xstrdup(
            !strcmp(out->architecture, "arm64") && !strcmp(parts[2], "8") ? "v8" : parts[2]);
    else if (!strcmp(out->architecture, "arm64"))
        out->variant = xstrdup("v8");
    return 0;
}

void oci_platform_host(struct oci_platform *out)
{
    oci_platform_init(out);
    out->os = xstrdup("linux");
#if defined(__x86_64__)
    out->architecture = xstrdup("amd64");
#elif defined(__aarch64__)
    out->architecture = xstrdup("arm64");
    out->variant = xstrdup("v8");
#elif defined(__arm__) && defined(__ARM_ARCH) && __ARM_ARCH >= 7
    out->architecture = xstrdup("arm");
    out->variant = xstrdup("v7");
#elif defined(__arm__)
    out->architecture = xstrdup("arm");
    out->variant = xstrdup("v6");
#elif defined(__i386__)
    out->architecture = xstrdup("386");
#elif defined(__powerpc64__) && __BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__
    out->architecture = xstrdup("ppc64le");
#elif defined(__s390x__)
    out->architecture = xstrdup("s390x");
#elif defined(__riscv) && __riscv_xlen == 64
    out->architecture = xstrdup("riscv64");
#else
    out->architecture = xstrdup("unknown");
#endif
}

char *oci_platform_fmt(const struct oci_platform *p)
{
    const char *os = p->os ? p->os : "", *arch = p->architecture ? p->architecture : "";
    if (p->variant)
        return xasprintf("%s/%s/%s", os, arch, p->variant);
    return xasprintf("%s/%s", os, arch);
}

/* 2: exact match, 1: match by defaulted variant, 0: no match. */
static int platform_score(const struct oci_platform *want, const struct oci_platform *have)
{
    const char *wa, *ha, *hv;

    if (!want->os || !have->os || strcmp(want->os, have->os))
        return 0;
    if (!want->architecture || !have->architecture)
        return 0;
    wa = arch_alias(want->architecture);
    ha = arch_alias(have->architecture);
    if (strcmp(wa, ha))
        return 0;
    if (want->os_version && (!have->os_version || strcmp(want->os_version, have->os_version)))
        return 0;
    if (!want->variant)
        return 2;
    hv = have->variant ? have->variant : default_variant(ha);
    if (!hv || strcmp(hv, want->variant))
        return 0;
    return have->variant ? 2 : 1;
}

bool oci_platform_match(const struct oci_platform *want, const struct oci_platform *have)
{
    return platform_score(want, have) > 0;
}

long oci_index_select(const struct oci_index *x, const struct oci_platform *want)
{
    long best = -1;
    int best_score = 0;

    for (size_t i = 0; i < x->n_manifests; i++) {
        const struct oci_descriptor *d = &x->manifests[i];
        int score;
        if (!d->platform || oci_doc_kind_of(d->media_type) != OCI_DOC_MANIFEST)
            continue;
        score = platform_score(want, d->platform);
        if (score > best_score) {
            best = (long)i;
            best_score = score;
        }
    }
    return best;
}

/* ---------------------------------------------------------------- descriptor */

void oci_descriptor_init(struct oci_descriptor *d)
{
    memset(d, 0, sizeof(*d));
}

void oci_descriptor_release(struct oci_descriptor *d)
{
    free(d->media_type);
    cb_strv_release(&d->urls);
    oci_map_release(&d->annotations);
    if (d->platform) {
        oci_platform_release(d->platform);
        free(d->platform);
    }
    free(d->artifact_type);
    oci_descriptor_init(d);
}

void oci_descriptor_copy(struct oci_descriptor *dst, const struct oci_descriptor *src)
{
    oci_descriptor_init(dst);
    dst->media_type = strdup_or_null(src->media_type);
    dst->digest = src->digest;
    dst->size = src->size;
    cb_strv_copy(&dst->urls, &src->urls);
    oci_map_copy(&dst->annotations, &src->annotations);
    if (src->platform) {
        dst->platform = xmalloc(sizeof(*dst->platform));
        oci_platform_copy(dst->platform, src->platform);
    }
    dst->artifact_type = strdup_or_null(src->artifact_type);
}

void oci_descriptor_set(struct oci_descriptor *d, const char *media_type, const void *data,
                        size_t len)
{
    oci_descriptor_release(d);
    d->media_type = xstrdup(media_type);
    oci_digest_of(data, len, &d->digest);
    d->size = (int64_t)len;
}

/* ---------------------------------------------------------------- manifest, index */

void oci_manifest_init(struct oci_manifest *m)
{
    memset(m, 0, sizeof(*m));
    m->schema_version = 2;
}

static void descriptors_free(struct oci_descriptor *v, size_t n)
{
    for (size_t i = 0; i < n; i++)
        oci_descriptor_release(&v[i]);
    free(v);
}

static void descriptor_ptr_free(struct oci_descriptor *d)
{
    if (d) {
        oci_descriptor_release(d);
        free(d);
    }
}

void oci_manifest_release(struct oci_manifest *m)
{
    free(m->media_type);
    free(m->artifact_type);
    oci_descriptor_release(&m->config);
    descriptors_free(m->layers, m->n_layers);
    descriptor_ptr_free(m->subject);
    oci_map_release(&m->annotations);
    oci_manifest_init(m);
}

void oci_manifest_add_layer(struct oci_manifest *m, const struct oci_descriptor *layer)
{
    XGROW(m->layers, m->n_layers + 1, m->alloc_layers);
    oci_descriptor_copy(&m->layers[m->n_layers++], layer);
}

static void set_str(char **dst, const char *s)
{
    free(*dst);
    *dst = xstrdup(s);
}

int oci_manifest_to_docker(struct oci_manifest *m, struct cb_err **err)
{
    for (size_t i = 0; i < m->n_layers; i++) {
        const char *mt = m->layers[i].media_type ? m->layers[i].media_type : "";
        if (!strcmp(mt, OCI_MT_DOCKER_LAYER_GZIP))
            continue;
        if (strcmp(mt, OCI_MT_LAYER_GZIP))
            return cb_fail(err, CB_EUNSUPPORTED, 0,
                           "layer %zu has media type '%s', which Docker manifests cannot carry", i,
                           mt);
    }
    for (size_t i = 0; i < m->n_layers; i++)
        set_str(&m->layers[i].media_type, OCI_MT_DOCKER_LAYER_GZIP);
    set_str(&m->media_type, OCI_MT_DOCKER_MANIFEST);
    set_str(&m->config.media_type, OCI_MT_DOCKER_CONFIG);
    return 0;
}

void oci_manifest_to_oci(struct oci_manifest *m)
{
    for (size_t i = 0; i < m->n_layers; i++) {
        const char *mt = m->layers[i].media_type ? m->layers[i].media_type : "";
        if (!strcmp(mt, OCI_MT_DOCKER_LAYER_GZIP) || !strcmp(mt, OCI_MT_DOCKER_LAYER_FOREIGN))
            set_str(&m->layers[i].media_type, OCI_MT_LAYER_GZIP);
    }
    set_str(&m->media_type, OCI_MT_MANIFEST);
    if (m->config.media_type && !strcmp(m->config.media_type, OCI_MT_DOCKER_CONFIG))
        set_str(&m->config.media_type, OCI_MT_CONFIG);
}

void oci_index_init(struct oci_index *x)
{
    memset(x, 0, sizeof(*x));
    x->schema_version = 2;
}

void oci_index_release(struct oci_index *x)
{
    free(x->media_type);
    free(x->artifact_type);
    descriptors_free(x->manifests, x->n_manifests);
    descriptor_ptr_free(x->subject);
    oci_map_release(&x->annotations);
    oci_index_init(x);
}

void oci_index_add(struct oci_index *x, const struct oci_descriptor *d)
{
    XGROW(x->manifests, x->n_manifests + 1, x->alloc_manifests);
    oci_descriptor_copy(&x->manifests[x->n_manifests++], d);
}

void oci_index_remove(struct oci_index *x, size_t i)
{
    CB_BUG_ON(i >= x->n_manifests);
    oci_descriptor_release(&x->manifests[i]);
    memmove(&x->manifests[i], &x->manifests[i + 1],
            (x->n_manifests - i - 1) * sizeof(x->manifests[0]));
    x->n_manifests--;
}

/* ---------------------------------------------------------------- image config */

void oci_env_default_path(struct cb_strv *env, const char *os)
{
    for (size_t i = 0; i < env->n; i++)
        if (!strncmp(env->v[i], "PATH=", 5))
            return;
    if (!os || strcmp(os, "windows"))
        cb_strv_push(env, "PATH=" OCI_DEFAULT_PATH);
}

void oci_image_init(struct oci_image *img)
{
    memset(img, 0, sizeof(*img));
}

static void healthcheck_free(struct oci_healthcheck *h)
{
    if (h) {
        cb_strv_release(&h->test);
        free(h);
    }
}

static void run_config_release(struct oci_run_config *c)
{
    free(c->user);
    cb_strv_release(&c->env);
    cb_strv_release(&c->entrypoint);
    cb_strv_release(&c->cmd);
    free(c->working_dir);
    oci_map_release(&c->labels);
    cb_strv_release(&c->exposed_ports);
    cb_strv_release(&c->volumes);
    free(c->stop_signal);
    healthcheck_free(c->healthcheck);
    cb_strv_release(&c->onbuild);
    cb_strv_release(&c->shell);
    memset(c, 0, sizeof(*c));
}

static void history_release(struct oci_history *h)
{
    free(h->created);
    free(h->created_by);
    free(h->author);
    free(h->comment);
}

void oci_image_release(struct oci_image *img)
{
    free(img->created);
    free(img->author);
    free(img->architecture);
    free(img->os);
    free(img->os_version);
    cb_strv_release(&img->os_features);
    free(img->variant);
    run_config_release(&img->config);
    free(img->diff_ids);
    for (size_t i = 0; i < img->n_history; i++)
        history_release(&img->history[i]);
    free(img->history);
    oci_image_init(img);
}

static void run_config_copy(struct oci_run_config *dst, const struct oci_run_config *src)
{
    memset(dst, 0, sizeof(*dst));
    dst->user = strdup_or_null(src->user);
    cb_strv_copy(&dst->env, &src->env);
    cb_strv_copy(&dst->entrypoint, &src->entrypoint);
    dst->has_entrypoint = src->has_entrypoint;
    cb_strv_copy(&dst->cmd, &src->cmd);
    dst->has_cmd = src->has_cmd;
    dst->working_dir = strdup_or_null(src->working_dir);
    oci_map_copy(&dst->labels, &src->labels);
    cb_strv_copy(&dst->exposed_ports, &src->exposed_ports);
    cb_strv_copy(&dst->volumes, &src->volumes);
    dst->stop_signal = strdup_or_null(src->stop_signal);
    if (src->healthcheck) {
        dst->healthcheck = xmemdup(src->healthcheck, sizeof(*src->healthcheck));
        cb_strv_copy(&dst->healthcheck->test, &src->healthcheck->test);
    }
    cb_strv_copy(&dst->onbuild, &src->onbuild);
    cb_strv_copy(&dst->shell, &src->shell);
    dst->args_escaped = src->args_escaped;
}

void oci_image_copy(struct oci_image *dst, const struct oci_image *src)
{
    oci_image_init(dst);
    dst->created = strdup_or_null(src->created);
    dst->author = strdup_or_null(src->author);
    dst->architecture = strdup_or_null(src->architecture);
    dst->os = strdup_or_null(src->os);
    dst->os_version = strdup_or_null(src->os_version);
    cb_strv_copy(&dst->os_features, &src->os_features);
    dst->variant = strdup_or_null(src->variant);
    run_config_copy(&dst->config, &src->config);
    for (size_t i = 0; i < src->n_diff_ids; i++)
        oci_image_add_diff_id(dst, &src->diff_ids[i]);
    for (size_t i = 0; i < src->n_history; i++)
        oci_image_add_history(dst, &src->history[i]);
}

void oci_image_add_diff_id(struct oci_image *img, const struct oci_digest *diff_id)
{
    XGROW(img->diff_ids, img->n_diff_ids + 1, img->alloc_diff_ids);
    img->diff_ids[img->n_diff_ids++] = *diff_id;
}

void oci_image_add_history(struct oci_image *img, const struct oci_history *h)
{
    struct oci_history *dst;

    XGROW(img->history, img->n_history + 1, img->alloc_history);
    dst = &img->history[img->n_history++];
    dst->created = strdup_or_null(h->created);
    dst->created_by = strdup_or_null(h->created_by);
    dst->author = strdup_or_null(h->author);
    dst->comment = strdup_or_null(h->comment);
    dst->empty_layer = h->empty_layer;
}

void oci_chain_id_next(const struct oci_digest *parent, const struct oci_digest *diff_id,
                       struct oci_digest *out)
{
    char a[OCI_DIGEST_STR_MAX], b[OCI_DIGEST_STR_MAX];
    char *s;

    if (!parent || !oci_digest_is_set(parent)) {
        *out = *diff_id;
        return;
    }
    s = xasprintf("%s %s", oci_digest_fmt(parent, a), oci_digest_fmt(diff_id, b));
    oci_digest_of(s, strlen(s), out);
    free(s);
}

void oci_image_chain_ids(const struct oci_image *img, struct oci_digest *out)
{
    for (size_t i = 0; i < img->n_diff_ids; i++)
        oci_chain_id_next(i ? &out[i - 1] : NULL, &img->diff_ids[i], &out[i]);
}

/* ---------------------------------------------------------------- kinds */

enum oci_doc_kind oci_doc_kind_of(const char *media_type)
{
    if (!media_type)
        return OCI_DOC_UNKNOWN;
    if (!strcmp(media_type, OCI_MT_MANIFEST) || !strcmp(media_type, OCI_MT_DOCKER_MANIFEST))
        return OCI_DOC_MANIFEST;
    if (!strcmp(media_type, OCI_MT_INDEX) || !strcmp(media_type, OCI_MT_DOCKER_LIST))
        return OCI_DOC_INDEX;
    return OCI_DOC_UNKNOWN;
}

bool oci_media_type_is_layer(const char *media_type)
{
    static const char *const types[] = {
        OCI_MT_LAYER,
        OCI_MT_LAYER_GZIP,
        OCI_MT_LAYER_ZSTD,
        OCI_MT_DOCKER_LAYER_GZIP,
        OCI_MT_DOCKER_LAYER_FOREIGN,
        "application/vnd.oci.image.layer.nondistributable.v1.tar",
        "application/vnd.oci.image.layer.nondistributable.v1.tar+gzip",
        "application/vnd.oci.image.layer.nondistributable.v1.tar+zstd",
    };
    if (!media_type)
        return false;
    for (size_t i = 0; i < sizeof(types) / sizeof(types[0]); i++)
        if (!strcmp(media_type, types[i]))
            return true;
    return false;
}
