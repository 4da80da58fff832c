/* source.c - FROM: a stage's base.  scratch is empty; an earlier stage is
 * that stage's result; anything else is an image reference, found in the
 * local store (the default "missing" policy never touches the network when
 * the image is there) or pulled. */
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "builder_internal.h"
#include "dockerfile/stages.h"
#include "../oci/layout.h"
#include "../oci/export.h"
#include "../oci/pull.h"
#include "../cache/keys.h"
#include "../base/xalloc.h"
#include "../base/banned.h"

void bld_base_release(struct bld_base *b)
{
    free(b->name);
    if (b->resolved) {
        oci_descriptor_release(&b->mdesc);
        oci_manifest_release(&b->manifest);
        oci_image_release(&b->config);
    }
    memset(b, 0, sizeof(*b));
}

int bld_pull_policy_parse(const char *s, enum bld_pull_policy *out, struct cb_err **err)
{
    if (!strcmp(s, "missing") || !strcmp(s, "") || !strcmp(s, "false"))
        *out = BLD_PULL_MISSING;
    else if (!strcmp(s, "always") || !strcmp(s, "true"))
        *out = BLD_PULL_ALWAYS;
    else if (!strcmp(s, "never"))
        *out = BLD_PULL_NEVER;
    else
        return cb_fail(err, CB_EINVAL, 0,
                       "invalid --pull value '%s': want missing, always or never", s);
    return 0;
}

/* Find name in the store; 0 found, CB_ENOTFOUND when absent. */
static int from_store(struct bld_solver *s, const char *name, struct bld_base *b,
                      struct cb_err **err)
{
    oci_descriptor_init(&b->mdesc);
    oci_manifest_init(&b->manifest);
    oci_image_init(&b->config);
    b->resolved = true;
    return oci_store_get_image(s->store, name, &s->platform, &b->mdesc, &b->manifest, &b->config,
                               err);
}

static int pull(struct bld_solver *s, const char *name, struct cb_err **err)
{
    struct oci_pull_result res;
    struct oci_pull_req req = {
        .ref = name,
        .platform = &s->platform,
        .policy = s->o->pull == BLD_PULL_ALWAYS ? OCI_PULL_ALWAYS : OCI_PULL_MISSING,
        .reg = {.retries = -1,
                .tls_verify_off = s->o->tls_verify_off,
                .insecure = (const char *const *)s->o->insecure_registries,
                .progress = &s->o->progress},
    };
    int rc = oci_pull(oci_store_layout_peek(s->store), &req, &res, err);

    if (rc == 0)
        oci_pull_result_release(&res);
    return rc;
}

/* Find ref in the store, pulling it as the policy says; b is filled. */
static int resolve_image(struct bld_solver *s, const char *ref, struct bld_base *b,
                         struct cb_err **err)
{
    struct cb_err *e = NULL;
    int rc;

    if (!strncmp(ref, "sha256:", 7)) /* an image already in the store, by digest */
        return from_store(s, (b->name = xstrdup(ref)), b, err);
    b->name = oci_store_normalize_name(ref, err);
    rc = b->name ? 0 : cb_err_rc(err);
    if (rc == 0 && s->o->pull != BLD_PULL_ALWAYS) {
        rc = from_store(s, b->name, b, &e);
        if (rc < 0 && e->code == CB_ENOTFOUND && s->o->pull == BLD_PULL_MISSING) {
            char *name = b->name;
            cb_err_free(e);
            b->name = NULL;
            bld_base_release(b);
            b->name = name;
            rc = 1; /* pull it */
        } else if (rc < 0 && e->code == CB_ENOTFOUND) {
            cb_err_free(e);
            rc = cb_fail(err, CB_ENOTFOUND, 0, "image '%s' not found locally (--pull=never)",
                         b->name);
        } else if (rc < 0) {
            *err = e;
        }
    } else if (rc == 0) {
        rc = 1;
    }
    if (rc == 1) {
        rc = pull(s, b->name, err);
        if (rc == 0)
            rc = from_store(s, b->name, b, err);
    }
    return rc;
}

const struct bld_named_context *bld_solver_context(const struct bld_solver *s, const char *name)
{
    for (size_t i = 0; name && i < s->o->n_contexts; i++)
        if (!strcasecmp(s->o->contexts[i].name, name))
            return &s->o->contexts[i];
    return NULL;
}

/* Called with pull_lock held. */
static char *context_ref_locked(struct bld_solver *s, const struct bld_named_context *c,
                                struct cb_err **err)
{
    struct oci_import_result res = {0};
    char hex[OCI_DIGEST_STR_MAX];
    char *ref;

    if (c->kind == BLD_CONTEXT_IMAGE)
        return xstrdup(c->value);
    if (c->kind == BLD_CONTEXT_DIR) {
        cb_fail(err, CB_EINVAL, 0,
                "build context '%s' is a directory: use it with COPY --from, not FROM (or "
                "pass docker-image:// or oci-layout://)",
                c->name);
        return NULL;
    }
    if (oci_import_ref(oci_store_layout_peek(s->store), c->value, c->tag ? c->tag : "latest",
                       oci_store_tmp_peek(s->store), &res, err) < 0) {
        cb_wrap(err, "build context '%s' (oci-layout://%s)", c->name, c->value);
        return NULL;
    }
    ref = xstrdup(oci_digest_fmt(&res.images[0].desc.digest, hex));
    oci_import_result_release(&res);
    return ref;
}

char *bld_context_image_ref(struct bld_solver *s, const struct bld_named_context *c,
                            struct cb_err **err)
{
    char *r;
    pthread_mutex_lock(&s->pull_lock);
    r = context_ref_locked(s, c, err);
    pthread_mutex_unlock(&s->pull_lock);
    return r;
}

int bld_base_resolve(struct bld_solver *s, size_t i, struct cb_err **err)
{
    struct bld_stage *st = &s->df->stages[i];
    struct bld_base *b = &s->runs[i].base;
    const char *ref = st->base_expanded ? st->base_expanded : st->base;
    const struct bld_named_context *nc = bld_solver_context(s, ref);
    int line = st->from_node ? st->from_node->start_line : 0;
    int rc = 0;

    pthread_mutex_lock(&s->pull_lock);
    if (!b->resolved && nc) {
        char *cref = context_ref_locked(s, nc, err);
        rc = cref ? resolve_image(s, cref, b, err) : -CB_EINVAL;
        free(cref);
    } else if (!b->resolved) {
        rc = resolve_image(s, ref, b, err);
    }
    pthread_mutex_unlock(&s->pull_lock);
    if (rc < 0)
        return cb_wrap(err, "Dockerfile:%d: FROM %s", line, ref);
    return 0;
}

int bld_image_state(struct bld_solver *s, const char *ref, struct bld_state *out,
                    struct cb_err **err)
{
    struct bld_base b = {0};
    int rc;

    pthread_mutex_lock(&s->pull_lock);
    rc = resolve_image(s, ref, &b, err);
    pthread_mutex_unlock(&s->pull_lock);
    bld_state_init(out);
    if (rc == 0)
        rc = bld_state_from_base(out, &b, err);
    bld_base_release(&b);
    return rc;
}

int bld_state_from_base(struct bld_state *st, const struct bld_base *b, struct cb_err **err)
{
    if (b->manifest.n_layers != b->config.n_diff_ids)
        return cb_fail(err, CB_EINVAL, 0, "image '%s': %zu layers but %zu diff_ids", b->name,
                       b->manifest.n_layers, b->config.n_diff_ids);
    oci_image_release(&st->img);
    oci_image_copy(&st->img, &b->config);
    for (size_t i = 0; i < b->manifest.n_layers; i++) {
        XGROW(st->layers, st->n_layers + 1, st->alloc_layers);
        oci_descriptor_copy(&st->layers[st->n_layers++], &b->manifest.layers[i]);
    }
    cache_key_for_base(&b->mdesc.digest, &st->key);
    st->has_key = true;
    return 0;
}
