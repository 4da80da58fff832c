/* records.c - cache records on disk: the JSON codec (cache/'s second jansson
 * file, with keys.c) and the one-file-per-key store (see records.h).
 *
 * Document:
 *   {"v":1,"key":"sha256:..","layers":[{"mediaType":..,"digest":..,"size":..,
 *    "diffID":..}],"emptyLayer":bool,"config":{"mediaType":..,"digest":..,
 *    "size":..},"createdBy":"..","created":<unix ns>}
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "records.h"
#include "../base/cleanup.h"
#include "../base/fsutil.h"
#include "../base/json.h"
#include "../base/log.h"
#include "../base/xalloc.h"
#include "../base/banned.h"

struct cache_records {
    char *root;
    char *dir;
    int dirfd;
};

/* ---------------------------------------------------------------- record */

struct cache_record *cache_record_new(void)
{
    return xcalloc(1, sizeof(struct cache_record));
}

void cache_record_free(struct cache_record *rec)
{
    if (!rec)
        return;
    for (size_t i = 0; i < rec->n_layers; i++)
        free(rec->layers[i].blob.media_type);
    free(rec->layers);
    free(rec->config.media_type);
    free(rec->created_by);
    free(rec);
}

void cache_record_add_layer(struct cache_record *rec, const char *media_type,
                            const struct oci_digest *digest, int64_t size,
                            const struct oci_digest *diff_id)
{
    struct cache_layer *l;

    rec->layers = xreallocarray(rec->layers, rec->n_layers + 1, sizeof(*rec->layers));
    l = &rec->layers[rec->n_layers++];
    l->blob.media_type = xstrdup(media_type ? media_type : "");
    l->blob.digest = *digest;
    l->blob.size = size;
    l->diff_id = *diff_id;
}

void cache_record_set_config(struct cache_record *rec, const char *media_type,
                             const struct oci_digest *digest, int64_t size)
{
    free(rec->config.media_type);
    rec->config.media_type = xstrdup(media_type ? media_type : "");
    rec->config.digest = *digest;
    rec->config.size = size;
}

int64_t cache_record_size(const struct cache_record *rec)
{
    int64_t n = oci_digest_is_set(&rec->config.digest) ? rec->config.size : 0;

    for (size_t i = 0; i < rec->n_layers; i++)
        n += rec->layers[i].blob.size;
    return n;
}

/* ---------------------------------------------------------------- codec */

static json_t *jdigest(const struct oci_digest *d)
{
    char s[OCI_DIGEST_STR_MAX];
    return json_string(oci_digest_fmt(d, s));
}

static json_t *jblob(const struct cache_blob *b)
{
    return json_pack("{s:s, s:o, s:I}", "mediaType", b->media_type ? b->media_type : "", "digest",
                     jdigest(&b->digest), "size", (json_int_t)b->size);
}

static int encode(const struct cache_record *rec, struct cb_buf *out, struct cb_err **err)
{
    cleanup_json json_t *doc = json_object();
    json_t *layers = json_array();

    for (size_t i = 0; i < rec->n_layers; i++) {
        json_t *l = jblob(&rec->layers[i].blob);
        json_object_set_new(l, "diffID", jdigest(&rec->layers[i].diff_id));
        json_array_append_new(layers, l);
    }
    json_object_set_new(doc, "v", json_integer(CACHE_RECORD_VERSION));
    json_object_set_new(doc, "key", jdigest(&rec->key));
    json_object_set_new(doc, "layers", layers);
    json_object_set_new(doc, "emptyLayer", json_boolean(rec->n_layers == 0));
    if (oci_digest_is_set(&rec->config.digest))
        json_object_set_new(doc, "config", jblob(&rec->config));
    if (rec->created_by) {
        json_t *s = json_string(rec->created_by);
        if (!s)
            return cb_fail(err, CB_EINVAL, 0, "cache record: created_by is not UTF-8");
        json_object_set_new(doc, "createdBy", s);
    }
    json_object_set_new(doc, "created", json_integer(rec->created_ns));
    return cb_json_dump_canonical(doc, out, err);
}

static int decode_digest(json_t *j, const char *what, struct oci_digest *out, struct cb_err **err)
{
    if (!json_is_string(j))
        return cb_fail(err, CB_EINVAL, 0, "%s: missing or not a string", what);
    if (oci_digest_parse(json_string_value(j), out, err) < 0)
        return cb_wrap(err, "%s", what);
    return 0;
}

static int decode_blob(json_t *j, struct cache_blob *b, struct cb_err **err)
{
    json_t *size = json_object_get(j, "size");
    const char *mt = cb_json_peek_str(j, "mediaType");

    if (!json_is_object(j) || !mt || !json_is_integer(size) || json_integer_value(size) < 0)
        return cb_fail(err, CB_EINVAL, 0, "blob: bad mediaType or size");
    b->media_type = xstrdup(mt);
    b->size = (int64_t)json_integer_value(size);
    return decode_digest(json_object_get(j, "digest"), "blob digest", &b->digest, err);
}

static int decode_layers(json_t *layers, struct cache_record *rec, struct cb_err **err)
{
    size_t i;
    json_t *l;
    int rc;

    if (!json_is_array(layers))
        return cb_fail(err, CB_EINVAL, 0, "layers: not an array");
    rec->layers = xcalloc(json_array_size(layers) + 1, sizeof(*rec->layers));
    json_array_foreach(layers, i, l)
    {
        rec->n_layers = i + 1;
        if ((rc = decode_blob(l, &rec->layers[i].blob, err)) < 0 ||
            (rc = decode_digest(json_object_get(l, "diffID"), "diffID", &rec->layers[i].diff_id,
                                err)) < 0)
            return rc;
    }
    return 0;
}

static int decode(const char *data, size_t len, struct cache_record *rec, struct cb_err **err)
{
    cleanup_json json_t *doc = cb_json_parse(data, len, "cache record", err);
    json_t *v, *created, *cfg;
    const char *by;
    int rc;

    if (!doc)
        return cb_err_rc(err);
    v = json_object_get(doc, "v");
    if (!json_is_integer(v) || json_integer_value(v) != CACHE_RECORD_VERSION)
        return cb_fail(err, CB_EINVAL, 0, "cache record: unknown version");
    if ((rc = decode_digest(json_object_get(doc, "key"), "key", &rec->key, err)) < 0 ||
        (rc = decode_layers(json_object_get(doc, "layers"), rec, err)) < 0)
        return rc;
    if ((cfg = json_object_get(doc, "config")) && (rc = decode_blob(cfg, &rec->config, err)) < 0)
        return cb_wrap(err, "config");
    if ((by = cb_json_peek_str(doc, "createdBy")))
        rec->created_by = xstrdup(by);
    created = json_object_get(doc, "created");
    if (!json_is_integer(created))
        return cb_fail(err, CB_EINVAL, 0, "cache record: created is not an integer");
    rec->created_ns = (int64_t)json_integer_value(created);
    return 0;
}

/* ---------------------------------------------------------------- store */

static int64_t now_ns(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    return (int64_t)ts.tv_sec * 1000000000 + ts.tv_nsec;
}

static void record_name(const struct oci_digest *key, char name[72])
{
    char hex[65];
    snprintf(name, 72, "%s.json", oci_digest_hex(key, hex));
}

struct cache_records *cache_records_open(const char *root, struct cb_err **err)
{
    cleanup_free char *dir = xasprintf("%s/cache/records", root);
    struct cache_records *r;
    int fd;

    if (cb_mkdir_p(dir, 0755, err) < 0) {
        cb_wrap(err, "open cache records");
        return NULL;
    }
    fd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (fd < 0) {
        cb_fail(err, CB_EIO, errno, "open cache records '%s'", dir);
        return NULL;
    }
    r = xcalloc(1, sizeof(*r));
    r->root = xstrdup(root);
    r->dir = TAKE_PTR(dir);
    r->dirfd = fd;
    return r;
}

void cache_records_free(struct cache_records *r)
{
    if (!r)
        return;
    close(r->dirfd);
    free(r->root);
    free(r->dir);
    free(r);
}

/* Read the record file name: 1 read, 0 missing, < 0 error (corrupt: EINVAL). */
static int read_record(struct cache_records *r, const char *name, struct cache_record **out,
                       struct cb_err **err)
{
    cleanup_buf struct cb_buf b = {0};
    cleanup_close int fd = openat(r->dirfd, name, O_RDONLY | O_NOFOLLOW | O_CLOEXEC);
    cleanup_cache_record struct cache_record *rec = NULL;
    struct stat st;
    int rc;

    if (fd < 0 && errno == ENOENT)
        return 0;
    if (fd < 0 || fstat(fd, &st) < 0)
        return cb_fail(err, CB_EIO, errno, "open cache record '%s'", name);
    cb_buf_init(&b, CACHE_RECORD_LIMIT);
    if ((rc = cb_read_all(fd, &b, err)) < 0)
        return cb_wrap(err, "read cache record '%s'", name);
    rec = cache_record_new();
    if ((rc = decode(b.data, b.len, rec, err)) < 0)
        return cb_wrap(err, "cache record '%s'", name);
    rec->last_used_ns = (int64_t)st.st_mtim.tv_sec * 1000000000 + st.st_mtim.tv_nsec;
    *out = TAKE_PTR(rec);
    return 1;
}

int cache_records_lookup(struct cache_records *r, const struct oci_digest *key,
                         struct cache_record **out, struct cb_err **err)
{
    cleanup_err struct cb_err *e = NULL;
    char name[72];
    int rc;

    *out = NULL;
    record_name(key, name);
    rc = read_record(r, name, out, &e);
    if (rc == 1 && !oci_digest_equal(&(*out)->key, key))
        rc = cb_fail(&e, CB_EINVAL, 0, "cache record '%s' names another key", name);
    if (rc >= 0)
        return rc;
    if (e->code != CB_EINVAL) {
        if (err) {
            cb_err_free(*err);
            *err = TAKE_PTR(e);
        }
        return rc;
    }
    /* Corrupt: a miss; remove it so the next record replaces it cleanly. */
    cb_log_warn("ignoring %s", e->msg);
    cache_record_free(TAKE_PTR(*out));
    unlinkat(r->dirfd, name, 0);
    return 0;
}

int cache_records_put(struct cache_records *r, const struct cache_record *rec, struct cb_err **err)
{
    cleanup_buf struct cb_buf b = {0};
    struct cache_record copy = *rec;
    char name[72];
    int rc;

    if (!oci_digest_is_set(&rec->key))
        return cb_fail(err, CB_EINVAL, 0, "cache record without a key");
    if (!copy.created_ns)
        copy.created_ns = now_ns();
    cb_buf_init(&b, CACHE_RECORD_LIMIT);
    if ((rc = encode(&copy, &b, err)) < 0)
        return rc;
    record_name(&rec->key, name);
    if ((rc = cb_write_file_atomic_at(r->dirfd, name, b.data, b.len, 0644, err)) < 0)
        return cb_wrap(err, "record cache key");
    return 0;
}

int cache_records_touch(struct cache_records *r, const struct oci_digest *key, int64_t when_ns,
                        struct cb_err **err)
{
    struct timespec ts[2];
    char name[72];

    if (!when_ns)
        when_ns = now_ns();
    ts[0].tv_sec = ts[1].tv_sec = when_ns / 1000000000;
    ts[0].tv_nsec = ts[1].tv_nsec = when_ns % 1000000000;
    record_name(key, name);
    if (utimensat(r->dirfd, name, ts, AT_SYMLINK_NOFOLLOW) < 0)
        return cb_fail(err, errno == ENOENT ? CB_ENOTFOUND : CB_EIO, errno,
                       "touch cache record '%s'", name);
    return 0;
}

int cache_records_remove(struct cache_records *r, const struct oci_digest *key, struct cb_err **err)
{
    char name[72];

    record_name(key, name);
    if (unlinkat(r->dirfd, name, 0) < 0 && errno != ENOENT)
        return cb_fail(err, CB_EIO, errno, "remove cache record '%s'", name);
    return 0;
}

/* "<64 lowercase hex>.json" */
static bool is_record_name(const char *s)
{
    if (strlen(s) != 69 || strcmp(s + 64, ".json"))
        return false;
    for (int i = 0; i < 64; i++)
        if (!((s[i] >= '0' && s[i] <= '9') || (s[i] >= 'a' && s[i] <= 'f')))
            return false;
    return true;
}

int cache_records_list(struct cache_records *r, struct cache_record ***out, size_t *n,
                       struct cb_err **err)
{
    int dfd = openat(r->dirfd, ".", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    cleanup_dir DIR *d = dfd >= 0 ? fdopendir(dfd) : NULL;
    struct cache_record **v = NULL;
    size_t count = 0, alloc = 0;
    struct dirent *de;

    if (!d) {
        if (dfd >= 0)
            close(dfd);
        return cb_fail(err, CB_EIO, errno, "list cache records '%s'", r->dir);
    }
    while ((de = readdir(d))) {
        cleanup_err struct cb_err *e = NULL;
        struct cache_record *rec = NULL;
        if (!is_record_name(de->d_name))
            continue;
        int rc = read_record(r, de->d_name, &rec, &e);
        char want[72];
        if (rc == 1 && (record_name(&rec->key, want), strcmp(want, de->d_name))) {
            cache_record_free(TAKE_PTR(rec));
            rc = cb_fail(&e, CB_EINVAL, 0, "cache record '%s' names another key", de->d_name);
        }
        if (rc < 0)
            cb_log_warn("skipping %s", e->msg);
        if (rc <= 0)
            continue;
        XGROW(v, count + 1, alloc);
        v[count++] = rec;
    }
    *out = v;
    *n = count;
    return 0;
}

const char *cache_records_root_peek(const struct cache_records *r)
{
    return r->root;
}

void cache_records_list_free(struct cache_record **v, size_t n)
{
    for (size_t i = 0; i < n; i++)
        cache_record_free(v[i]);
    free(v);
}

void cache_records_clean_temp(struct cache_records *r, int64_t max_age_s)
{
    int dfd = openat(r->dirfd, ".", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    cleanup_dir DIR *d = dfd >= 0 ? fdopendir(dfd) : NULL;
    struct dirent *de;
    time_t now = time(NULL);
    struct stat st;

    if (!d) {
        if (dfd >= 0)
            close(dfd);
        return;
    }
    while ((de = readdir(d)))
        if (!strncmp(de->d_name, ".tmp-", 5) &&
            fstatat(r->dirfd, de->d_name, &st, AT_SYMLINK_NOFOLLOW) == 0 &&
            now - st.st_mtim.tv_sec > max_age_s)
            unlinkat(r->dirfd, de->d_name, 0);
}
