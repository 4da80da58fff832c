/* store.c - the local image store: its root and lock, image names (docker's
 * normalisation through oci/reference), listing, resolving by name, ID or
 * digest, tagging and removing, and prune.  The unpacked-layer cache is in
 * store_layers.c. */
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <unistd.h>

#include "reference.h"
#include "store.h"
#include "oci_internal.h"
#include "store_internal.h"
#include "../base/cleanup.h"
#include "../base/fsutil.h"
#include "../base/log.h"
#include "../base/xalloc.h"
#include "../base/banned.h"

char *oci_store_default_root(void)
{
    const char *xdg = getenv("XDG_DATA_HOME"), *home = getenv("HOME");

    if (geteuid() == 0)
        return xstrdup("/var/lib/cbuild");
    if (xdg && *xdg == '/')
        return xasprintf("%s/cbuild", xdg);
    return xasprintf("%s/.local/share/cbuild", home && *home ? home : "/tmp");
}

static int take_lock(struct oci_store *s, enum oci_store_lock lock, struct cb_err **err)
{
    cleanup_free char *path = cb_path_join(s->root, "lock");
    int op = lock == OCI_STORE_EXCLUSIVE ? LOCK_EX : LOCK_SH;

    s->lockfd = open(path, O_RDWR | O_CREAT | O_CLOEXEC, 0644);
    if (s->lockfd < 0)
        return cb_fail(err, CB_EIO, errno, "open '%s'", path);
    if (flock(s->lockfd, op | LOCK_NB) == 0)
        return 0;
    if (errno != EWOULDBLOCK)
        return cb_fail(err, CB_EIO, errno, "lock '%s'", path);
    cb_log_info("waiting for the store lock '%s' (another cbuild is using it)", path);
    while (flock(s->lockfd, op) < 0)
        if (errno != EINTR)
            return cb_fail(err, CB_EIO, errno, "lock '%s'", path);
    return 0;
}

struct oci_store *oci_store_open(const char *root, enum oci_store_lock lock, struct cb_err **err)
{
    struct oci_store *s = xcalloc(1, sizeof(*s));
    cleanup_free char *oci = NULL, *layers = NULL;

    s->lockfd = -1;
    s->root = root ? xstrdup(root) : oci_store_default_root();
    s->lock = lock;
    oci = cb_path_join(s->root, "oci");
    layers = cb_path_join(s->root, "layers");
    s->tmp = cb_path_join(s->root, "tmp");
    if (cb_mkdir_p(s->root, 0700, err) < 0 || cb_mkdir_p(layers, 0700, err) < 0 ||
        cb_mkdir_p(s->tmp, 0700, err) < 0 || take_lock(s, lock, err) < 0 ||
        !(s->layout = oci_layout_open(oci, OCI_LAYOUT_CREATE, err))) {
        cb_wrap(err, "open store '%s'", s->root);
        oci_store_free(s);
        return NULL;
    }
    return s;
}

void oci_store_free(struct oci_store *s)
{
    if (!s)
        return;
    oci_layout_free(s->layout);
    if (s->lockfd >= 0)
        close(s->lockfd);
    free(s->root);
    free(s->tmp);
    free(s);
}

struct oci_layout *oci_store_layout_peek(struct oci_store *s)
{
    return s->layout;
}

const char *oci_store_root_peek(const struct oci_store *s)
{
    return s->root;
}

const char *oci_store_tmp_peek(const struct oci_store *s)
{
    return s->tmp;
}

char *oci_store_normalize_name(const char *name, struct cb_err **err)
{
    cleanup_ref struct oci_ref ref = {0};

    if (oci_ref_parse(name, &ref, err) < 0)
        return NULL;
    return oci_ref_str(&ref);
}

/* ---------------------------------------------------------------- listing */

void oci_store_images_free(struct oci_store_image *v, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        free(v[i].name);
        oci_descriptor_release(&v[i].desc);
        free(v[i].created);
    }
    free(v);
}

static void describe(struct oci_store *s, struct oci_store_image *img)
{
    struct oci_descriptor md;
    struct oci_manifest m;
    struct oci_image cfg;

    if (oci_pick_manifest(s->layout, &img->desc, NULL, &md, NULL) < 0)
        return;
    if (oci_layout_get_manifest(s->layout, &md.digest, &m, NULL) == 0) {
        img->id = m.config.digest;
        img->size = m.config.size;
        for (size_t i = 0; i < m.n_layers; i++)
            img->size += m.layers[i].size;
        if (oci_layout_get_image(s->layout, &m.config.digest, &cfg, NULL) == 0) {
            img->created = cfg.created ? xstrdup(cfg.created) : NULL;
            oci_image_release(&cfg);
        }
        oci_manifest_release(&m);
    }
    oci_descriptor_release(&md);
}

int oci_store_list(struct oci_store *s, struct oci_store_image **out, size_t *n,
                   struct cb_err **err)
{
    struct oci_index x;
    struct oci_store_image *v;

    if (oci_layout_read_index(s->layout, &x, err) < 0)
        return cb_err_rc(err);
    v = xcalloc(x.n_manifests + 1, sizeof(*v));
    for (size_t i = 0; i < x.n_manifests; i++) {
        const char *name = oci_map_peek(&x.manifests[i].annotations, OCI_ANNOT_REF_NAME);
        v[i].name = name ? xstrdup(name) : NULL;
        oci_descriptor_copy(&v[i].desc, &x.manifests[i]);
        describe(s, &v[i]);
    }
    *n = x.n_manifests;
    *out = v;
    oci_index_release(&x);
    return 0;
}

/* ---------------------------------------------------------------- resolving */

static bool is_hex(const char *s, size_t min, size_t max)
{
    size_t n = strlen(s);

    if (n < min || n > max)
        return false;
    for (; *s; s++)
        if (!((*s >= '0' && *s <= '9') || (*s >= 'a' && *s <= 'f')))
            return false;
    return true;
}

static bool hex_prefix(const struct oci_digest *d, const char *prefix)
{
    char hex[65];
    return oci_digest_is_set(d) && !strncmp(oci_digest_hex(d, hex), prefix, strlen(prefix));
}

/* By "sha256:<hex>" (manifest or ID) or a hex prefix of either: *found is
 * the index or -1; an ambiguous prefix is CB_EINVAL. */
static int find_id(const struct oci_store_image *v, size_t n, const char *name, long *found,
                   struct cb_err **err)
{
    const char *hex = !strncmp(name, "sha256:", 7) ? name + 7 : name;

    *found = -1;
    if (!is_hex(hex, hex == name ? 4 : 64, 64))
        return 0;
    for (size_t i = 0; i < n; i++) {
        if (!hex_prefix(&v[i].id, hex) && !hex_prefix(&v[i].desc.digest, hex))
            continue;
        if (*found >= 0 && !oci_digest_equal(&v[*found].desc.digest, &v[i].desc.digest))
            return cb_fail(err, CB_EINVAL, 0, "image ID '%s' is ambiguous", name);
        if (*found < 0)
            *found = (long)i;
    }
    return 0;
}

/* By name only, from index.json without reading any manifest: 0 when
 * found, -1 otherwise (the slow path in oci_store_resolve then decides). */
static int resolve_name_fast(struct oci_store *s, const char *name, struct oci_descriptor *out,
                             char **name_out)
{
    cleanup_free char *norm = oci_store_normalize_name(name, NULL);
    struct oci_index x;
    int r = -1;

    if (oci_layout_read_index(s->layout, &x, NULL) < 0)
        return -1;
    for (size_t i = x.n_manifests; r < 0 && i-- > 0;) {
        const char *n = oci_map_peek(&x.manifests[i].annotations, OCI_ANNOT_REF_NAME);
        if (!n || (strcmp(n, name) && (!norm || strcmp(n, norm))))
            continue;
        oci_descriptor_copy(out, &x.manifests[i]);
        oci_map_del(&out->annotations, OCI_ANNOT_REF_NAME);
        if (name_out)
            *name_out = xstrdup(n);
        r = 0;
    }
    oci_index_release(&x);
    return r;
}

int oci_store_resolve(struct oci_store *s, const char *name, struct oci_descriptor *out,
                      char **name_out, struct cb_err **err)
{
    struct oci_store_image *v = NULL;
    size_t n = 0;
    long i;

    oci_descriptor_init(out);
    if (name_out)
        *name_out = NULL;
    if (resolve_name_fast(s, name, out, name_out) == 0)
        return 0;
    /* not a name: an ID or a digest, which needs every image's config */
    if (oci_store_list(s, &v, &n, err) < 0)
        return cb_err_rc(err);
    if (find_id(v, n, name, &i, err) < 0) {
        oci_store_images_free(v, n);
        return cb_err_rc(err);
    }
    if (i < 0) {
        oci_store_images_free(v, n);
        return cb_fail(err, CB_ENOTFOUND, 0, "image '%s' not found", name);
    }
    oci_descriptor_copy(out, &v[i].desc);
    oci_map_del(&out->annotations, OCI_ANNOT_REF_NAME);
    oci_store_images_free(v, n);
    return 0;
}

int oci_store_get_image(struct oci_store *s, const char *name, const struct oci_platform *platform,
                        struct oci_descriptor *mdesc, struct oci_manifest *m,
                        struct oci_image *config, struct cb_err **err)
{
    struct oci_descriptor top, md;
    struct oci_manifest man;
    int r;

    if (oci_store_resolve(s, name, &top, NULL, err) < 0)
        return cb_err_rc(err);
    r = oci_pick_manifest(s->layout, &top, platform, &md, err);
    oci_descriptor_release(&top);
    if (r < 0)
        return cb_wrap(err, "image '%s'", name);
    if (oci_layout_get_manifest(s->layout, &md.digest, &man, err) < 0) {
        oci_descriptor_release(&md);
        return cb_wrap(err, "image '%s'", name);
    }
    if (config && oci_layout_get_image(s->layout, &man.config.digest, config, err) < 0) {
        oci_descriptor_release(&md);
        oci_manifest_release(&man);
        return cb_wrap(err, "image '%s'", name);
    }
    if (mdesc)
        *mdesc = md;
    else
        oci_descriptor_release(&md);
    if (m)
        *m = man;
    else
        oci_manifest_release(&man);
    return 0;
}

/* ---------------------------------------------------------------- naming */

int oci_store_add(struct oci_store *s, const char *name, const struct oci_descriptor *desc,
                  struct cb_err **err)
{
    cleanup_free char *norm = NULL;

    if (!name)
        return oci_layout_tag(s->layout, NULL, desc, err);
    norm = oci_store_normalize_name(name, err);
    if (!norm)
        return cb_err_rc(err);
    return oci_layout_tag(s->layout, norm, desc, err);
}

int oci_store_tag(struct oci_store *s, const char *src, const char *dst, struct cb_err **err)
{
    struct oci_descriptor d;
    int r;

    if (oci_store_resolve(s, src, &d, NULL, err) < 0)
        return cb_err_rc(err);
    r = oci_store_add(s, dst, &d, err);
    oci_descriptor_release(&d);
    return r;
}

int oci_store_remove(struct oci_store *s, const char *name, bool force, struct cb_strv *removed,
                     struct cb_err **err)
{
    struct oci_descriptor d;
    cleanup_free char *found = NULL;
    struct oci_store_image *v = NULL;
    size_t n = 0, named = 0;

    if (oci_store_resolve(s, name, &d, &found, err) < 0)
        return cb_err_rc(err);
    if (found) {
        oci_descriptor_release(&d);
        if (removed)
            cb_strv_push(removed, found);
        return oci_layout_untag(s->layout, found, err);
    }
    if (oci_store_list(s, &v, &n, err) < 0) {
        oci_descriptor_release(&d);
        return cb_err_rc(err);
    }
    for (size_t i = 0; i < n; i++)
        if (oci_digest_equal(&v[i].desc.digest, &d.digest) && v[i].name) {
            named++;
            if (removed)
                cb_strv_push(removed, v[i].name);
        }
    oci_store_images_free(v, n);
    if (named > 1 && !force) {
        oci_descriptor_release(&d);
        return cb_fail(err, CB_EINVAL, 0,
                       "image '%s' has %zu names: remove them one by one or use --force", name,
                       named);
    }
    if (removed && !named) {
        char ds[OCI_DIGEST_STR_MAX];
        cb_strv_push(removed, oci_digest_fmt(&d.digest, ds));
    }
    n = (size_t)oci_layout_remove_digest(s->layout, &d.digest, err);
    oci_descriptor_release(&d);
    return (int)n < 0 ? (int)n : 0;
}
