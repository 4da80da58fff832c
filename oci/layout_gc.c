/* layout_gc.c - garbage collection of an OCI image layout's blobs: mark
 * from index.json (and the caller's extra roots) through indexes,
 * manifests, configs, layers and subjects, then sweep blobs/sha256
 * (umoci's gc).  Temp files of live writers are left alone. */
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "oci_internal.h"
#include "../base/cleanup.h"
#include "../base/xalloc.h"
#include "../base/banned.h"

/* An open-addressing set of digests. */
struct digest_set {
    struct oci_digest *slots;
    size_t cap; /* power of two */
    size_t n;
};

static size_t slot_of(const struct oci_digest *d, size_t cap)
{
    size_t h;
    memcpy(&h, d->bytes, sizeof(h));
    return h & (cap - 1);
}

static bool set_insert_slot(struct oci_digest *slots, size_t cap, const struct oci_digest *d)
{
    for (size_t i = slot_of(d, cap);; i = (i + 1) & (cap - 1)) {
        if (!oci_digest_is_set(&slots[i])) {
            slots[i] = *d;
            return true;
        }
        if (oci_digest_equal(&slots[i], d))
            return false;
    }
}

/* Whether d was new. */
static bool set_add(struct digest_set *s, const struct oci_digest *d)
{
    if ((s->n + 1) * 2 > s->cap) {
        size_t cap = s->cap ? s->cap * 2 : 256;
        struct oci_digest *slots = xcalloc(cap, sizeof(*slots));
        for (size_t i = 0; i < s->cap; i++)
            if (oci_digest_is_set(&s->slots[i]))
                set_insert_slot(slots, cap, &s->slots[i]);
        free(s->slots);
        s->slots = slots;
        s->cap = cap;
    }
    if (!set_insert_slot(s->slots, s->cap, d))
        return false;
    s->n++;
    return true;
}

static bool set_has(const struct digest_set *s, const struct oci_digest *d)
{
    if (!s->cap)
        return false;
    for (size_t i = slot_of(d, s->cap);; i = (i + 1) & (s->cap - 1)) {
        if (!oci_digest_is_set(&s->slots[i]))
            return false;
        if (oci_digest_equal(&s->slots[i], d))
            return true;
    }
}

/* ---------------------------------------------------------------- mark */

static int mark_desc(struct oci_layout *l, struct digest_set *s, const struct oci_descriptor *d,
                     struct cb_err **err);

static int mark_children(struct oci_layout *l, struct digest_set *s, const struct oci_digest *d,
                         enum oci_doc_kind kind, struct cb_err **err)
{
    int r = 0;

    if (kind == OCI_DOC_MANIFEST) {
        struct oci_manifest m;
        if (oci_layout_get_manifest(l, d, &m, err) < 0)
            return cb_err_rc(err);
        r = mark_desc(l, s, &m.config, err);
        for (size_t i = 0; r >= 0 && i < m.n_layers; i++)
            r = mark_desc(l, s, &m.layers[i], err);
        if (r >= 0 && m.subject)
            r = mark_desc(l, s, m.subject, err);
        oci_manifest_release(&m);
    } else if (kind == OCI_DOC_INDEX) {
        struct oci_index x;
        if (oci_layout_get_index(l, d, &x, err) < 0)
            return cb_err_rc(err);
        for (size_t i = 0; r >= 0 && i < x.n_manifests; i++)
            r = mark_desc(l, s, &x.manifests[i], err);
        if (r >= 0 && x.subject)
            r = mark_desc(l, s, x.subject, err);
        oci_index_release(&x);
    }
    return r;
}

static int mark_desc(struct oci_layout *l, struct digest_set *s, const struct oci_descriptor *d,
                     struct cb_err **err)
{
    if (!set_add(s, &d->digest) || !oci_layout_has_blob(l, &d->digest))
        return 0;
    return mark_children(l, s, &d->digest, oci_doc_kind_of(d->media_type), err);
}

/* An extra root of unknown type: a small JSON blob may be a manifest or an
 * index, so sniff it. */
static int mark_untyped(struct oci_layout *l, struct digest_set *s, const struct oci_digest *d,
                        struct cb_err **err)
{
    cleanup_buf struct cb_buf b = {0};
    int64_t size;

    if (!set_add(s, d) || oci_layout_blob_size(l, d, &size, NULL) < 0 ||
        size > (int64_t)OCI_DOC_LIMIT)
        return 0;
    cb_buf_init(&b, OCI_DOC_LIMIT);
    if (oci_layout_read_blob(l, d, &b, err) < 0)
        return cb_err_rc(err);
    if (b.len == 0 || b.data[0] != '{')
        return 0;
    return mark_children(l, s, d, oci_doc_sniff(b.data, b.len), err);
}

struct extra_ctx {
    struct oci_layout *l;
    struct digest_set *set;
    struct digest_set pending;
};

static void mark_extra(void *set, const struct oci_digest *d)
{
    set_add(&((struct extra_ctx *)set)->pending, d);
}

static int mark_all(struct oci_layout *l, const struct oci_gc_opts *opts, struct digest_set *s,
                    struct cb_err **err)
{
    struct oci_index x;
    struct extra_ctx ex = {l, s, {0}};
    int r = 0;

    if (oci_layout_read_index(l, &x, err) < 0)
        return cb_err_rc(err);
    for (size_t i = 0; r >= 0 && i < x.n_manifests; i++)
        r = mark_desc(l, s, &x.manifests[i], err);
    oci_index_release(&x);
    if (r >= 0 && opts && opts->extra_roots)
        r = opts->extra_roots(opts->userdata, mark_extra, &ex, err);
    for (size_t i = 0; r >= 0 && i < ex.pending.cap; i++)
        if (oci_digest_is_set(&ex.pending.slots[i]))
            r = mark_untyped(l, s, &ex.pending.slots[i], err);
    free(ex.pending.slots);
    return r;
}

/* ---------------------------------------------------------------- sweep */

static bool hex_name(const char *name, struct oci_digest *d)
{
    char s[OCI_DIGEST_STR_MAX];

    if (strlen(name) != 64)
        return false;
    memcpy(s, "sha256:", 7);
    memcpy(s + 7, name, 65);
    return oci_digest_parse(s, d, NULL) == 0;
}

static int sweep(struct oci_layout *l, const struct digest_set *s, bool dry_run,
                 struct oci_gc_stats *st, struct cb_err **err)
{
    cleanup_dir DIR *dir = NULL;
    struct dirent *de;
    int fd = openat(l->blobsfd, ".", O_RDONLY | O_DIRECTORY | O_CLOEXEC);

    if (fd < 0 || !(dir = fdopendir(fd))) {
        if (fd >= 0)
            close(fd);
        return cb_fail(err, CB_EIO, errno, "read '%s/blobs/sha256'", l->path);
    }
    while ((de = readdir(dir))) {
        struct oci_digest d;
        struct stat sb;
        if (!hex_name(de->d_name, &d))
            continue;
        if (set_has(s, &d)) {
            st->blobs_kept++;
            continue;
        }
        if (fstatat(l->blobsfd, de->d_name, &sb, AT_SYMLINK_NOFOLLOW) < 0)
            continue;
        if (!dry_run && unlinkat(l->blobsfd, de->d_name, 0) < 0 && errno != ENOENT)
            return cb_fail(err, CB_EIO, errno, "remove '%s/blobs/sha256/%s'", l->path, de->d_name);
        st->blobs_removed++;
        st->bytes_removed += sb.st_size;
    }
    return 0;
}

int oci_layout_gc(struct oci_layout *l, const struct oci_gc_opts *opts, struct oci_gc_stats *stats,
                  struct cb_err **err)
{
    struct digest_set s = {0};
    struct oci_gc_stats st = {0};
    int r;

    r = mark_all(l, opts, &s, err);
    if (r >= 0)
        r = sweep(l, &s, opts && opts->dry_run, &st, err);
    free(s.slots);
    if (r < 0)
        return cb_wrap(err, "gc '%s'", l->path);
    if (stats)
        *stats = st;
    return 0;
}
