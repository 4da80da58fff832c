#include <stdlib.h>
#include <string.h>

#include "harness.h"
#include "../../../base/buf.h"
#include "../../../cache/keys.h"

/* A request with every field set, built fresh for each mutation. */
struct fixture {
    const char *args[3];
    struct cache_kv flags[2];
    const char *env[2];
    const char *shell[2];
    struct cache_kv bargs[2];
    struct oci_digest parents[2];
    struct oci_digest content;
    struct cache_kv mopts[1];
    struct cache_mount mounts[2];
    struct cache_key_req req;
};

static void fixture_init(struct fixture *f)
{
    memset(f, 0, sizeof(*f));
    f->args[0] = "src/";
    f->args[1] = "a.txt";
    f->args[2] = "/app/";
    f->flags[0] = (struct cache_kv){"link", "true"};
    f->flags[1] = (struct cache_kv){"chown", "1:1"};
    f->env[0] = "PATH=/bin";
    f->env[1] = "A=1";
    f->shell[0] = "/bin/sh";
    f->shell[1] = "-c";
    f->bargs[0] = (struct cache_kv){"V", "1"};
    f->bargs[1] = (struct cache_kv){"U", "2"};
    oci_digest_of("base", 4, &f->parents[0]);
    oci_digest_of("other", 5, &f->parents[1]);
    oci_digest_of("content", 7, &f->content);
    f->mopts[0] = (struct cache_kv){"sharing", "locked"};
    f->mounts[0] = (struct cache_mount){.type = CACHE_MOUNT_CACHE,
                                        .target = "/root/.cache",
                                        .id = "pip",
                                        .opts = f->mopts,
                                        .n_opts = 1};
    f->mounts[1] =
        (struct cache_mount){.type = CACHE_MOUNT_SECRET, .target = "/run/s", .id = "tok"};
    f->req = (struct cache_key_req){
        .kind = CACHE_OP_COPY,
        .args = f->args,
        .n_args = 3,
        .flags = f->flags,
        .n_flags = 2,
        .env = f->env,
        .n_env = 2,
        .user = "app",
        .workdir = "/app",
        .shell = f->shell,
        .n_shell = 2,
        .platform = "linux/amd64",
        .build_args = f->bargs,
        .n_build_args = 2,
        .parents = f->parents,
        .n_parents = 2,
        .content = &f->content,
        .mounts = f->mounts,
        .n_mounts = 2,
    };
}

static int key_of(const struct cache_key_req *req, struct oci_digest *out)
{
    struct cb_err *err = NULL;
    int rc = cache_key_compute(req, out, &err);
    cb_err_free(err);
    return rc;
}

TEST(keys_same_request_same_key)
{
    struct fixture a, b;
    struct oci_digest ka, kb;
    fixture_init(&a);
    fixture_init(&b);
    ASSERT_INT_EQ(key_of(&a.req, &ka), 0);
    ASSERT_INT_EQ(key_of(&b.req, &kb), 0);
    ASSERT(oci_digest_equal(&ka, &kb));
    ASSERT(ka.algo == OCI_DIGEST_SHA256);
}

TEST(keys_document_is_canonical)
{
    cleanup_err struct cb_err *err = NULL;
    cleanup_buf struct cb_buf b = {0};
    const char *args[] = {"echo", "hi"};
    struct cache_kv ba[] = {{"B", "2"}, {"A", NULL}};
    struct cache_key_req req = {.kind = CACHE_OP_EXEC,
                                .args = args,
                                .n_args = 2,
                                .build_args = ba,
                                .n_build_args = 2,
                                .user = NULL};
    cb_buf_init(&b, 4096);
    ASSERT_OK(cache_key_describe(&req, &b, &err), err);
    ASSERT_STR_EQ(cb_buf_str(&b),
                  "{\"args\":[\"echo\",\"hi\"],\"build_args\":{\"A\":\"\",\"B\":\"2\"},\"env\":[],"
                  "\"flags\":[],\"kind\":\"exec\",\"mounts\":[],\"parents\":[],\"platform\":\"\","
                  "\"shell\":[],\"user\":\"\",\"v\":1,\"workdir\":\"\"}");
}

/* Every field matters: each mutation gives a key unlike the base and unlike
 * every other mutation. */
TEST(keys_any_field_change_changes_key)
{
    enum { N = 17 };
    struct oci_digest keys[N + 1];
    struct oci_digest other;
    oci_digest_of("x", 1, &other);
    for (int m = 0; m <= N; m++) {
        struct fixture f;
        fixture_init(&f);
        switch (m) {
        case 1:
            f.req.kind = CACHE_OP_ADD;
            break;
        case 2:
            f.args[1] = "b.txt";
            break;
        case 3:
            f.flags[0].value = "false";
            break;
        case 4:
            f.env[1] = "A=2";
            break;
        case 5:
            f.req.user = "root";
            break;
        case 6:
            f.req.workdir = "/";
            break;
        case 7:
            f.shell[0] = "/bin/bash";
            break;
        case 8:
            f.req.platform = "linux/arm64";
            break;
        case 9:
            f.bargs[1].value = "3";
            break;
        case 10:
            f.parents[1] = other;
            break;
        case 11:
            f.content = other;
            break;
        case 12:
            f.mopts[0].value = "shared";
            break;
        case 13:
            f.mounts[1].id = "tok2";
            break;
        case 14:
            f.mounts[1].target = "/run/t";
            break;
        case 15:
            f.req.n_parents = 1;
            break;
        case 16:
            f.req.n_env = 1;
            break;
        case 17:
            f.mounts[0].type = CACHE_MOUNT_TMPFS;
            break;
        }
        ASSERT_INT_EQ(key_of(&f.req, &keys[m]), 0);
        for (int j = 0; j < m; j++)
            if (oci_digest_equal(&keys[m], &keys[j]))
                T_FAIL("mutation %d gives the same key as %d", m, j);
    }
}

TEST(keys_build_args_sorted_env_ordered)
{
    struct fixture a, b;
    struct oci_digest ka, kb;
    fixture_init(&a);
    fixture_init(&b);
    b.bargs[0] = a.bargs[1];
    b.bargs[1] = a.bargs[0];
    ASSERT_INT_EQ(key_of(&a.req, &ka), 0);
    ASSERT_INT_EQ(key_of(&b.req, &kb), 0);
    ASSERT(oci_digest_equal(&ka, &kb));
    /* env is a list: swapping two entries is a different environment order */
    fixture_init(&b);
    b.env[0] = a.env[1];
    b.env[1] = a.env[0];
    ASSERT_INT_EQ(key_of(&b.req, &kb), 0);
    ASSERT(!oci_digest_equal(&ka, &kb));
    /* flags are sorted by name */
    fixture_init(&b);
    b.flags[0] = a.flags[1];
    b.flags[1] = a.flags[0];
    ASSERT_INT_EQ(key_of(&b.req, &kb), 0);
    ASSERT(oci_digest_equal(&ka, &kb));
}

TEST(keys_duplicate_flags_keep_their_order)
{
    struct cache_kv f1[] = {{"exclude", "a"}, {"exclude", "b"}};
    struct cache_kv f2[] = {{"exclude", "b"}, {"exclude", "a"}};
    struct oci_digest c, k1, k2;
    oci_digest_of("c", 1, &c);
    struct cache_key_req r = {.kind = CACHE_OP_COPY, .content = &c, .flags = f1, .n_flags = 2};
    ASSERT_INT_EQ(key_of(&r, &k1), 0);
    r.flags = f2;
    ASSERT_INT_EQ(key_of(&r, &k2), 0);
    ASSERT(!oci_digest_equal(&k1, &k2));
}

TEST(keys_secret_mount_contributes_only_id_and_target)
{
    struct fixture a, b;
    struct oci_digest ka, kb, x;
    struct cache_kv opts[] = {{"mode", "0400"}};
    oci_digest_of("secret-value", 12, &x);
    fixture_init(&a);
    fixture_init(&b);
    b.mounts[1].opts = opts;
    b.mounts[1].n_opts = 1;
    b.mounts[1].content = &x;
    b.mounts[1].from = &x;
    ASSERT_INT_EQ(key_of(&a.req, &ka), 0);
    ASSERT_INT_EQ(key_of(&b.req, &kb), 0);
    ASSERT(oci_digest_equal(&ka, &kb));
    /* the same fields on a bind mount do count */
    a.mounts[1].type = b.mounts[1].type = CACHE_MOUNT_BIND;
    ASSERT_INT_EQ(key_of(&a.req, &ka), 0);
    ASSERT_INT_EQ(key_of(&b.req, &kb), 0);
    ASSERT(!oci_digest_equal(&ka, &kb));
}

TEST(keys_bad_requests_fail)
{
    cleanup_err struct cb_err *err = NULL;
    struct fixture f;
    struct oci_digest k;
    fixture_init(&f);
    f.bargs[1].name = "V";
    ASSERT_FAILS(cache_key_compute(&f.req, &k, &err), err, CB_EINVAL, "build arg 'V' given twice");
    fixture_init(&f);
    f.req.content = NULL;
    ASSERT_FAILS(cache_key_compute(&f.req, &k, &err), err, CB_EINVAL, "COPY needs the content");
    fixture_init(&f);
    f.req.kind = 42;
    ASSERT_FAILS(cache_key_compute(&f.req, &k, &err), err, CB_EINVAL, "unknown op kind");
    fixture_init(&f);
    f.mounts[0].type = 0;
    ASSERT_FAILS(cache_key_compute(&f.req, &k, &err), err, CB_EINVAL, "unknown mount type");
}

TEST(keys_non_utf8_strings_are_kept_apart)
{
    const char *a1[] = {"caf\xe9"};
    const char *a2[] = {"caf\xe8"};
    const char *a3[] = {"636166e9"};
    struct oci_digest k1, k2, k3;
    struct cache_key_req r = {.kind = CACHE_OP_EXEC, .args = a1, .n_args = 1};
    ASSERT_INT_EQ(key_of(&r, &k1), 0);
    r.args = a2;
    ASSERT_INT_EQ(key_of(&r, &k2), 0);
    r.args = a3;
    ASSERT_INT_EQ(key_of(&r, &k3), 0);
    ASSERT(!oci_digest_equal(&k1, &k2));
    ASSERT(!oci_digest_equal(&k1, &k3));
}

TEST(keys_base_key_is_manifest_digest)
{
    struct oci_digest m, k;
    oci_digest_of("manifest", 8, &m);
    cache_key_for_base(&m, &k);
    ASSERT(oci_digest_equal(&m, &k));
}
