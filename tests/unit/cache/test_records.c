#include <dirent.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "harness.h"
#include "../../../base/cleanup.h"
#include "../../../base/xalloc.h"
#include "../../../cache/records.h"

static struct oci_digest dg(const char *s)
{
    struct oci_digest d;
    oci_digest_of(s, strlen(s), &d);
    return d;
}

static struct cache_record *sample(const char *key)
{
    struct cache_record *rec = cache_record_new();
    struct oci_digest l1 = dg("layer1"), d1 = dg("diff1"), cfg = dg("config");
    rec->key = dg(key);
    cache_record_add_layer(rec, "application/vnd.oci.image.layer.v1.tar+gzip", &l1, 1234, &d1);
    cache_record_set_config(rec, "application/vnd.oci.image.config.v1+json", &cfg, 567);
    rec->created_by = xstrdup("RUN /bin/sh -c make");
    rec->created_ns = 1700000000123456789LL;
    return rec;
}

TEST(records_round_trip)
{
    cleanup_err struct cb_err *err = NULL;
    cleanup_cache_records struct cache_records *r = cache_records_open("store", &err);
    cleanup_cache_record struct cache_record *in = sample("k1");
    cleanup_cache_record struct cache_record *out = NULL;
    struct oci_digest k2 = dg("k2");
    ASSERT(r);
    ASSERT_OK(cache_records_put(r, in, &err), err);
    ASSERT_INT_EQ(cache_records_lookup(r, &in->key, &out, &err), 1);
    ASSERT(oci_digest_equal(&out->key, &in->key));
    ASSERT_INT_EQ(out->n_layers, 1);
    ASSERT_STR_EQ(out->layers[0].blob.media_type, "application/vnd.oci.image.layer.v1.tar+gzip");
    ASSERT(oci_digest_equal(&out->layers[0].blob.digest, &in->layers[0].blob.digest));
    ASSERT(oci_digest_equal(&out->layers[0].diff_id, &in->layers[0].diff_id));
    ASSERT_INT_EQ(out->layers[0].blob.size, 1234);
    ASSERT_STR_EQ(out->config.media_type, "application/vnd.oci.image.config.v1+json");
    ASSERT(oci_digest_equal(&out->config.digest, &in->config.digest));
    ASSERT_INT_EQ(out->config.size, 567);
    ASSERT_STR_EQ(out->created_by, "RUN /bin/sh -c make");
    ASSERT_INT_EQ(out->created_ns, 1700000000123456789LL);
    ASSERT(out->last_used_ns > 0);
    ASSERT_INT_EQ(cache_record_size(out), 1234 + 567);
    /* a key never recorded */
    cache_record_free(TAKE_PTR(out));
    ASSERT_INT_EQ(cache_records_lookup(r, &k2, &out, &err), 0);
    ASSERT(out == NULL);
}

TEST(records_empty_layer_and_no_config)
{
    cleanup_err struct cb_err *err = NULL;
    cleanup_cache_records struct cache_records *r = cache_records_open("store", &err);
    cleanup_cache_record struct cache_record *in = cache_record_new();
    cleanup_cache_record struct cache_record *out = NULL;
    char *text;
    in->key = dg("meta");
    ASSERT_OK(cache_records_put(r, in, &err), err);
    ASSERT_INT_EQ(cache_records_lookup(r, &in->key, &out, &err), 1);
    ASSERT_INT_EQ(out->n_layers, 0);
    ASSERT(!oci_digest_is_set(&out->config.digest));
    ASSERT(out->created_by == NULL);
    ASSERT(out->created_ns > 0); /* filled in by put */
    ASSERT_INT_EQ(cache_record_size(out), 0);
    {
        char hex[65], path[256];
        snprintf(path, sizeof(path), "store/cache/records/%s.json", oci_digest_hex(&in->key, hex));
        text = t_read(path);
        ASSERT(text);
        ASSERT(strstr(text, "\"emptyLayer\":true"));
        free(text);
    }
}

TEST(records_put_replaces_and_remove)
{
    cleanup_err struct cb_err *err = NULL;
    cleanup_cache_records struct cache_records *r = cache_records_open("store", &err);
    cleanup_cache_record struct cache_record *a = sample("k");
    cleanup_cache_record struct cache_record *out = NULL;
    ASSERT_OK(cache_records_put(r, a, &err), err);
    a->layers[0].blob.size = 99;
    ASSERT_OK(cache_records_put(r, a, &err), err);
    ASSERT_INT_EQ(cache_records_lookup(r, &a->key, &out, &err), 1);
    ASSERT_INT_EQ(out->layers[0].blob.size, 99);
    ASSERT_OK(cache_records_remove(r, &a->key, &err), err);
    ASSERT_OK(cache_records_remove(r, &a->key, &err), err); /* missing is fine */
    cache_record_free(TAKE_PTR(out));
    ASSERT_INT_EQ(cache_records_lookup(r, &a->key, &out, &err), 0);
}

TEST(records_touch_sets_last_used)
{
    cleanup_err struct cb_err *err = NULL;
    cleanup_cache_records struct cache_records *r = cache_records_open("store", &err);
    cleanup_cache_record struct cache_record *a = sample("k");
    cleanup_cache_record struct cache_record *out = NULL;
    struct oci_digest missing = dg("missing");
    ASSERT_OK(cache_records_put(r, a, &err), err);
    ASSERT_OK(cache_records_touch(r, &a->key, 1600000000000000042LL, &err), err);
    ASSERT_INT_EQ(cache_records_lookup(r, &a->key, &out, &err), 1);
    ASSERT_INT_EQ(out->last_used_ns, 1600000000000000042LL);
    ASSERT_FAILS(cache_records_touch(r, &missing, 0, &err), err, CB_ENOTFOUND,
                 "touch cache record");
}

TEST(records_corrupt_record_is_a_miss)
{
    cleanup_err struct cb_err *err = NULL;
    cleanup_cache_records struct cache_records *r = cache_records_open("store", &err);
    cleanup_cache_record struct cache_record *a = sample("k");
    cleanup_cache_record struct cache_record *b = sample("other");
    cleanup_cache_record struct cache_record *out = NULL;
    char hex[65], path[256], path2[256];
    struct cache_record **all = NULL;
    size_t n = 0;
    snprintf(path, sizeof(path), "store/cache/records/%s.json", oci_digest_hex(&a->key, hex));
    t_write(path, "{\"v\":1,\"key\":");
    ASSERT_INT_EQ(cache_records_lookup(r, &a->key, &out, &err), 0);
    ASSERT(out == NULL);
    struct stat st;
    ASSERT(stat(path, &st) < 0); /* removed */
    /* a record filed under the wrong name */
    ASSERT_OK(cache_records_put(r, b, &err), err);
    snprintf(path2, sizeof(path2), "store/cache/records/%s.json", oci_digest_hex(&b->key, hex));
    ASSERT_INT_EQ(rename(path2, path), 0);
    ASSERT_INT_EQ(cache_records_lookup(r, &a->key, &out, &err), 0);
    /* list skips bad ones */
    t_write(path, "not json");
    ASSERT_OK(cache_records_put(r, b, &err), err);
    t_write("store/cache/records/README", "ignored");
    ASSERT_OK(cache_records_list(r, &all, &n, &err), err);
    ASSERT_INT_EQ(n, 1);
    ASSERT(oci_digest_equal(&all[0]->key, &b->key));
    cache_records_list_free(all, n);
}

TEST(records_concurrent_writers)
{
    cleanup_err struct cb_err *err = NULL;
    cleanup_cache_records struct cache_records *r = cache_records_open("store", &err);
    struct cache_record **all = NULL;
    size_t n = 0;
    pid_t kids[4];
    /* Four processes record the same 20 keys at once: every record must end
     * up complete and parseable, and no temp file may be left behind. */
    for (int k = 0; k < 4; k++) {
        kids[k] = fork();
        if (kids[k] == 0) {
            struct cache_records *rr = cache_records_open("store", NULL);
            for (int i = 0; i < 20; i++) {
                char key[16];
                snprintf(key, sizeof(key), "key%d", i);
                struct cache_record *rec = sample(key);
                rec->layers[0].blob.size = k;
                if (cache_records_put(rr, rec, NULL) < 0)
                    _exit(1);
                cache_record_free(rec);
            }
            cache_records_free(rr);
            _exit(0);
        }
    }
    for (int k = 0; k < 4; k++) {
        int status;
        ASSERT_INT_EQ(waitpid(kids[k], &status, 0), kids[k]);
        ASSERT(WIFEXITED(status) && WEXITSTATUS(status) == 0);
    }
    ASSERT_OK(cache_records_list(r, &all, &n, &err), err);
    ASSERT_INT_EQ(n, 20);
    cache_records_list_free(all, n);
    DIR *d = opendir("store/cache/records");
    struct dirent *de;
    int entries = 0;
    while ((de = readdir(d)))
        entries += de->d_name[0] != '.';
    closedir(d);
    ASSERT_INT_EQ(entries, 20);
}

TEST(records_clean_temp_removes_only_old_temp_files)
{
    cleanup_err struct cb_err *err = NULL;
    cleanup_cache_records struct cache_records *r = cache_records_open("store", &err);
    cleanup_cache_record struct cache_record *a = sample("k");
    struct timespec old[2] = {{1000, 0}, {1000, 0}};
    struct cache_record **all = NULL;
    size_t n = 0;
    struct stat st;
    ASSERT_OK(cache_records_put(r, a, &err), err);
    t_write("store/cache/records/.tmp-dead.json-1-2", "half a rec");
    t_write("store/cache/records/.tmp-live.json-3-4", "being written");
    ASSERT_INT_EQ(utimensat(AT_FDCWD, "store/cache/records/.tmp-dead.json-1-2", old, 0), 0);
    ASSERT_OK(cache_records_list(r, &all, &n, &err), err); /* temp files are not records */
    ASSERT_INT_EQ(n, 1);
    cache_records_list_free(all, n);
    cache_records_clean_temp(r, 3600);
    ASSERT(stat("store/cache/records/.tmp-dead.json-1-2", &st) < 0);
    ASSERT_INT_EQ(stat("store/cache/records/.tmp-live.json-3-4", &st), 0);
    ASSERT_STR_EQ(cache_records_root_peek(r), "store");
}
