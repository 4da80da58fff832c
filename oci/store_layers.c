/* store_layers.c - the store's unpacked-layer cache and prune.
 *
 * ROOT/layers/<diff_id hex>/ holds one layer unpacked on its own
 * (oci/layer.h OCI_APPLY_OVERLAY: whiteouts as overlayfs whiteouts), ready
 * to be an overlay lowerdir.  A layer is unpacked into
 * ROOT/layers/.tmp-<hex>-XXXXXX and renamed into place only when complete
 * and verified, so an existing directory is always whole.  Prune, under the
 * store's exclusive lock, removes blobs nothing references and layer
 * directories no image uses, plus leftovers in ROOT/tmp. */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "layer.h"
#include "store_internal.h"
#include "../base/cleanup.h"
#include "../base/fsutil.h"
#include "../base/log.h"
#include "../base/xalloc.h"
#include "../base/banned.h"

char *oci_store_layer_dir(const struct oci_store *s, const struct oci_digest *diff_id)
{
    char hex[65];
    return xasprintf("%s/layers/%s", s->root, oci_digest_hex(diff_id, hex));
}

/* ---------------------------------------------------------------- prune */

/* Add the diff_ids (as hex) of the image desc describes to keep. */
static int collect_diff_ids(struct oci_layout *l, const struct oci_descriptor *desc,
                            struct cb_strv *keep, int depth, struct cb_err **err)
{
    char hex[65];
    int r = 0;

    if (depth > 4 || !oci_layout_has_blob(l, &desc->digest))
        return 0;
    if (oci_doc_kind_of(desc->media_type) == OCI_DOC_INDEX) {
        struct oci_index x;
        if (oci_layout_get_index(l, &desc->digest, &x, err) < 0)
            return cb_err_rc(err);
        for (size_t i = 0; r >= 0 && i < x.n_manifests; i++)
            r = collect_diff_ids(l, &x.manifests[i], keep, depth + 1, err);
        oci_index_release(&x);
    } else if (oci_doc_kind_of(desc->media_type) == OCI_DOC_MANIFEST) {
        struct oci_manifest m;
        struct oci_image img;
        if (oci_layout_get_manifest(l, &desc->digest, &m, err) < 0)
            return cb_err_rc(err);
        if (oci_layout_has_blob(l, &m.config.digest) &&
            oci_layout_get_image(l, &m.config.digest, &img, err) == 0) {
            for (size_t i = 0; i < img.n_diff_ids; i++)
                cb_strv_push(keep, oci_digest_hex(&img.diff_ids[i], hex));
            oci_image_release(&img);
        } else if (oci_layout_has_blob(l, &m.config.digest)) {
            r = cb_err_rc(err);
        }
        oci_manifest_release(&m);
    }
    return r;
}

static int prune_layer_dirs(struct oci_store *s, const struct cb_strv *keep, bool dry_run,
                            size_t *removed, struct cb_err **err)
{
    cleanup_free char *dir = cb_path_join(s->root, "layers");
    cleanup_dir DIR *d = opendir(dir);
    int dfd = d ? dirfd(d) : -1;
    struct dirent *de;

    if (!d)
        return errno == ENOENT ? 0 : cb_fail(err, CB_EIO, errno, "read '%s'", dir);
    while ((de = readdir(d))) {
        if (!strcmp(de->d_name, ".") || !strcmp(de->d_name, ".."))
            continue;
        if (cb_strv_find(keep, de->d_name) >= 0)
            continue;
        if (!dry_run && cb_rm_rf_at(dfd, de->d_name, err) < 0)
            return cb_wrap(err, "prune layer '%s/%s'", dir, de->d_name);
        (*removed)++;
    }
    return 0;
}

static int clean_tmp(struct oci_store *s, struct cb_err **err)
{
    cleanup_dir DIR *d = opendir(s->tmp);
    struct dirent *de;

    if (!d)
        return 0;
    while ((de = readdir(d)))
        if (strcmp(de->d_name, ".") && strcmp(de->d_name, "..") &&
            cb_rm_rf_at(dirfd(d), de->d_name, err) < 0)
            return cb_wrap(err, "clean '%s'", s->tmp);
    return 0;
}

int oci_store_prune(struct oci_store *s, const struct oci_gc_opts *opts,
                    struct oci_prune_stats *stats, struct cb_err **err)
{
    struct oci_prune_stats st = {0};
    struct cb_strv keep = CB_STRV_INIT;
    struct oci_index x;
    bool dry = opts && opts->dry_run;
    int r = 0;

    if (s->lock != OCI_STORE_EXCLUSIVE)
        return cb_fail(err, CB_EBUG, 0, "prune needs the store's exclusive lock");
    if (oci_layout_gc(s->layout, opts, &st.blobs, err) < 0)
        return cb_wrap(err, "prune '%s'", s->root);
    if (oci_layout_read_index(s->layout, &x, err) < 0)
        return cb_err_rc(err);
    for (size_t i = 0; r >= 0 && i < x.n_manifests; i++)
        r = collect_diff_ids(s->layout, &x.manifests[i], &keep, 0, err);
    oci_index_release(&x);
    if (r >= 0)
        r = prune_layer_dirs(s, &keep, dry, &st.layers_removed, err);
    cb_strv_release(&keep);
    if (r >= 0 && !dry)
        r = clean_tmp(s, err);
    if (r < 0)
        return cb_wrap(err, "prune '%s'", s->root);
    if (stats)
        *stats = st;
    return 0;
}

/* ---------------------------------------------------------------- unpacking */

static int unpack_layer(struct oci_store *s, const struct oci_descriptor *layer,
                        const struct oci_digest *diff_id, const char *tmp, struct cb_err **err)
{
    struct oci_layer_apply_opts o = {.mode = OCI_APPLY_OVERLAY};
    cleanup_free char *blob = oci_layout_blob_path(s->layout, &layer->digest);
    struct oci_layer_desc got;
    char a[OCI_DIGEST_STR_MAX], b[OCI_DIGEST_STR_MAX];

    if (oci_layer_apply_file(blob, tmp, &o, &got, err) < 0)
        return cb_err_rc(err);
    if (!oci_digest_equal(&got.digest, &layer->digest))
        return cb_fail(err, CB_EDIGEST, 0, "blob '%s' changed: it hashes to '%s'",
                       oci_digest_fmt(&layer->digest, a), oci_digest_fmt(&got.digest, b));
    if (!oci_digest_equal(&got.diff_id, diff_id))
        return cb_fail(err, CB_EDIGEST, 0, "layer '%s' has diff_id '%s', the image says '%s'",
                       oci_digest_fmt(&layer->digest, a), oci_digest_fmt(&got.diff_id, b),
                       oci_digest_fmt(diff_id, (char[OCI_DIGEST_STR_MAX]){0}));
    return 0;
}

int oci_store_layer_ensure(struct oci_store *s, const struct oci_descriptor *layer,
                           const struct oci_digest *diff_id, char **dir_out, struct cb_err **err)
{
    cleanup_free char *dir = oci_store_layer_dir(s, diff_id), *parent = NULL, *tmp = NULL,
                      *prefix = NULL;
    char hex[65];
    int r;

    if (!cb_path_exists(dir)) {
        if (!oci_layout_has_blob(s->layout, &layer->digest))
            return cb_fail(err, CB_ENOTFOUND, 0, "layer blob '%s' is not in the store",
                           oci_digest_fmt(&layer->digest, (char[OCI_DIGEST_STR_MAX]){0}));
        parent = cb_path_join(s->root, "layers");
        prefix = xasprintf(".tmp-%.12s-", oci_digest_hex(diff_id, hex));
        tmp = cb_mkdtemp(parent, prefix, err);
        if (!tmp)
            return cb_err_rc(err);
        r = unpack_layer(s, layer, diff_id, tmp, err);
        if (r >= 0 && rename(tmp, dir) < 0 && errno != EEXIST && errno != ENOTEMPTY)
            r = cb_fail(err, CB_EIO, errno, "rename '%s' to '%s'", tmp, dir);
        cb_rm_rf(tmp, NULL); /* gone after a rename; a loser's copy otherwise */
        if (r < 0)
            return cb_wrap(err, "unpack layer '%s'", oci_digest_fmt(diff_id, (char[72]){0}));
    }
    if (dir_out)
        *dir_out = TAKE_PTR(dir);
    return 0;
}
