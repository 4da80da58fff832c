#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "harness.h"
#include "../../../base/cleanup.h"
#include "../../../cache/contenthash.h"

/* Digest of paths (NULL-terminated) under root; filter optional. */
static int digest_at(const char *root, const char *const *paths, cache_filter_fn filter,
                     struct cache_statcache *sc, struct oci_digest *out, struct cb_err **err)
{
    cleanup_close int fd = open(root, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    size_t n = 0;
    while (paths[n])
        n++;
    struct cache_contenthash_opts o = {
        .root_fd = fd, .paths = paths, .n_paths = n, .filter = filter, .statcache = sc};
    return cache_contenthash(&o, out, err);
}

static const char *const all[] = {".", NULL};

static void make_tree(const char *root)
{
    char p[256];
    snprintf(p, sizeof(p), "%s/a.txt", root);
    t_write(p, "alpha\n");
    snprintf(p, sizeof(p), "%s/src/main.c", root);
    t_write(p, "int main(void) { return 0; }\n");
    snprintf(p, sizeof(p), "%s/src/lib/util.c", root);
    t_write(p, "/* util */\n");
    snprintf(p, sizeof(p), "%s/link", root);
    if (symlink("src/main.c", p) < 0)
        abort();
    snprintf(p, sizeof(p), "%s/secret.env", root);
    t_write(p, "TOKEN=1\n");
}

/* Digest of the whole of "ctx" or fail the test. */
#define DIGEST_ALL(out, filt)                                                                      \
    do {                                                                                           \
        cleanup_err struct cb_err *e_ = NULL;                                                      \
        ASSERT_OK(digest_at("ctx", all, (filt), NULL, (out), &e_), e_);                            \
    } while (0)

TEST(contenthash_same_tree_same_digest)
{
    struct oci_digest a, b;
    cleanup_err struct cb_err *err = NULL;
    make_tree("ctx");
    make_tree("ctx2");
    DIGEST_ALL(&a, NULL);
    ASSERT_OK(digest_at("ctx2", all, NULL, NULL, &b, &err), err);
    ASSERT(oci_digest_equal(&a, &b));
    DIGEST_ALL(&b, NULL);
    ASSERT(oci_digest_equal(&a, &b));
}

TEST(contenthash_rename_changes)
{
    struct oci_digest a, b;
    make_tree("ctx");
    DIGEST_ALL(&a, NULL);
    ASSERT_INT_EQ(rename("ctx/src/lib/util.c", "ctx/src/lib/util2.c"), 0);
    DIGEST_ALL(&b, NULL);
    ASSERT(!oci_digest_equal(&a, &b));
}

TEST(contenthash_touch_keeps_digest)
{
    struct oci_digest a, b;
    struct timespec ts[2] = {{1000000, 0}, {1000000, 0}};
    make_tree("ctx");
    DIGEST_ALL(&a, NULL);
    ASSERT_INT_EQ(utimensat(AT_FDCWD, "ctx/a.txt", ts, 0), 0);
    ASSERT_INT_EQ(utimensat(AT_FDCWD, "ctx/src", ts, 0), 0);
    DIGEST_ALL(&b, NULL);
    ASSERT(oci_digest_equal(&a, &b));
}

TEST(contenthash_content_and_mode_changes)
{
    struct oci_digest a, b, c;
    make_tree("ctx");
    DIGEST_ALL(&a, NULL);
    t_write("ctx/a.txt", "alphA\n"); /* same size */
    DIGEST_ALL(&b, NULL);
    ASSERT(!oci_digest_equal(&a, &b));
    ASSERT_INT_EQ(chmod("ctx/a.txt", 0755), 0);
    DIGEST_ALL(&c, NULL);
    ASSERT(!oci_digest_equal(&b, &c));
    ASSERT_INT_EQ(chmod("ctx/src/lib", 0700), 0);
    DIGEST_ALL(&a, NULL);
    ASSERT(!oci_digest_equal(&a, &c));
}

TEST(contenthash_symlink_target_changes)
{
    struct oci_digest a, b;
    make_tree("ctx");
    DIGEST_ALL(&a, NULL);
    ASSERT_INT_EQ(unlink("ctx/link"), 0);
    ASSERT_INT_EQ(symlink("src/lib/util.c", "ctx/link"), 0);
    DIGEST_ALL(&b, NULL);
    ASSERT(!oci_digest_equal(&a, &b));
}

TEST(contenthash_empty_file_vs_empty_dir_differ)
{
    struct oci_digest a, b;
    ASSERT_INT_EQ(mkdir("ctx", 0755), 0);
    ASSERT_INT_EQ(mkdir("ctx/x", 0644), 0);
    DIGEST_ALL(&a, NULL);
    ASSERT_INT_EQ(rmdir("ctx/x"), 0);
    t_write("ctx/x", "");
    ASSERT_INT_EQ(chmod("ctx/x", 0644), 0);
    DIGEST_ALL(&b, NULL);
    ASSERT(!oci_digest_equal(&a, &b));
}

static enum cache_filter_result no_secrets(void *u, const char *rel, bool is_dir)
{
    (void)u;
    if (!strcmp(rel, "secret.env"))
        return CACHE_FILTER_EXCLUDE;
    return CACHE_FILTER_INCLUDE;
}

TEST(contenthash_excluded_file_change_keeps_digest)
{
    struct oci_digest a, b, c;
    make_tree("ctx");
    DIGEST_ALL(&a, no_secrets);
    t_write("ctx/secret.env", "TOKEN=2 and longer\n");
    DIGEST_ALL(&b, no_secrets);
    ASSERT(oci_digest_equal(&a, &b));
    DIGEST_ALL(&c, NULL);
    ASSERT(!oci_digest_equal(&a, &c));
}

/* .dockerignore "src" + "!src/lib/util.c" */
static enum cache_filter_result only_util(void *u, const char *rel, bool is_dir)
{
    (void)u;
    if (!strcmp(rel, "src") || !strcmp(rel, "src/lib"))
        return CACHE_FILTER_EXCLUDE_SELF;
    if (!strncmp(rel, "src/", 4) && strcmp(rel, "src/lib/util.c"))
        return CACHE_FILTER_EXCLUDE;
    return CACHE_FILTER_INCLUDE;
}

TEST(contenthash_exclude_self_keeps_included_children)
{
    struct oci_digest a, b, c;
    make_tree("ctx");
    DIGEST_ALL(&a, only_util);
    t_write("ctx/src/main.c", "changed, but excluded\n");
    DIGEST_ALL(&b, only_util);
    ASSERT(oci_digest_equal(&a, &b));
    t_write("ctx/src/lib/util.c", "/* util, changed */\n");
    DIGEST_ALL(&c, only_util);
    ASSERT(!oci_digest_equal(&b, &c));
}

TEST(contenthash_selected_paths_and_order)
{
    cleanup_err struct cb_err *err = NULL;
    const char *const p1[] = {"a.txt", "src/lib", NULL};
    const char *const p2[] = {"src/lib", "a.txt", NULL};
    const char *const p3[] = {"./a.txt", "src//lib/", NULL};
    struct oci_digest a, b, c, d;
    make_tree("ctx");
    ASSERT_OK(digest_at("ctx", p1, NULL, NULL, &a, &err), err);
    ASSERT_OK(digest_at("ctx", p2, NULL, NULL, &b, &err), err);
    ASSERT_OK(digest_at("ctx", p3, NULL, NULL, &c, &err), err);
    ASSERT(!oci_digest_equal(&a, &b));
    ASSERT(oci_digest_equal(&a, &c));
    /* a file outside the selection does not count */
    t_write("ctx/src/main.c", "not selected\n");
    ASSERT_OK(digest_at("ctx", p1, NULL, NULL, &d, &err), err);
    ASSERT(oci_digest_equal(&a, &d));
}

TEST(contenthash_top_symlink_is_followed_inside_root)
{
    cleanup_err struct cb_err *err = NULL;
    const char *const via_link[] = {"link", NULL};
    const char *const escape[] = {"abs", NULL};
    struct oci_digest a, b;
    make_tree("ctx");
    ASSERT_OK(digest_at("ctx", via_link, NULL, NULL, &a, &err), err);
    t_write("ctx/src/main.c", "new main\n");
    ASSERT_OK(digest_at("ctx", via_link, NULL, NULL, &b, &err), err);
    ASSERT(!oci_digest_equal(&a, &b));
    /* an absolute target resolves inside the root, where it does not exist */
    ASSERT_INT_EQ(symlink("/etc/hostname", "ctx/abs"), 0);
    ASSERT_FAILS(digest_at("ctx", escape, NULL, NULL, &a, &err), err, CB_ENOTFOUND, "source 'abs'");
}

TEST(contenthash_bad_paths_fail)
{
    cleanup_err struct cb_err *err = NULL;
    const char *const missing[] = {"nope.txt", NULL};
    const char *const up[] = {"src/../../etc/passwd", NULL};
    const char *const secret[] = {"secret.env", NULL};
    struct oci_digest d;
    make_tree("ctx");
    ASSERT_FAILS(digest_at("ctx", missing, NULL, NULL, &d, &err), err, CB_ENOTFOUND,
                 "source 'nope.txt'");
    ASSERT_FAILS(digest_at("ctx", up, NULL, NULL, &d, &err), err, CB_EINVAL,
                 "'src/../../etc/passwd' is outside the root");
    ASSERT_FAILS(digest_at("ctx", secret, no_secrets, NULL, &d, &err), err, CB_ENOTFOUND,
                 "source 'secret.env' is excluded");
}

TEST(contenthash_owner_only_when_asked)
{
    cleanup_err struct cb_err *err = NULL;
    cleanup_close int fd = -1;
    struct oci_digest a, b, c, d;
    make_tree("ctx");
    fd = open("ctx", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    struct cache_contenthash_opts o = {
        .root_fd = fd, .paths = (const char *const[]){"."}, .n_paths = 1};
    ASSERT_OK(cache_contenthash(&o, &a, &err), err);
    o.with_owner = true;
    ASSERT_OK(cache_contenthash(&o, &b, &err), err);
    ASSERT(!oci_digest_equal(&a, &b));
    if (geteuid() != 0)
        SKIP("chown needs root");
    ASSERT_INT_EQ(lchown("ctx/a.txt", 1234, 1234), 0);
    ASSERT_OK(cache_contenthash(&o, &c, &err), err);
    ASSERT(!oci_digest_equal(&b, &c));
    o.with_owner = false;
    ASSERT_OK(cache_contenthash(&o, &d, &err), err);
    ASSERT(oci_digest_equal(&a, &d));
}

TEST(contenthash_path_clean)
{
    cleanup_err struct cb_err *err = NULL;
    static const char *const cases[][2] = {
        {".", ""},           {"/", ""},         {"./a//b/", "a/b"}, {"a/./b/../c", "a/c"},
        {"/abs/x", "abs/x"}, {"a/b/../..", ""}, {"..a/b", "..a/b"},
    };
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        char *s = cache_path_clean(cases[i][0], &err);
        ASSERT(s);
        ASSERT_STR_EQ(s, cases[i][1]);
        free(s);
    }
    ASSERT(!cache_path_clean("a/../..", &err));
    ASSERT(err && err->code == CB_EINVAL);
}

TEST(contenthash_threads_give_the_same_digest)
{
    cleanup_err struct cb_err *err = NULL;
    cleanup_close int fd = -1;
    struct oci_digest one, many, warm;
    char p[64];
    for (int i = 0; i < 200; i++) {
        snprintf(p, sizeof(p), "ctx/d%d/e%d/f%d", i % 7, i % 3, i);
        t_write(p, p);
    }
    make_tree("ctx/sub");
    fd = open("ctx", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    struct cache_contenthash_opts o = {
        .root_fd = fd, .paths = (const char *const[]){"."}, .n_paths = 1, .filter = no_secrets};
    ASSERT_OK(cache_contenthash(&o, &one, &err), err);
    o.threads = 4;
    o.statcache = cache_statcache_new_memory();
    ASSERT_OK(cache_contenthash(&o, &many, &err), err);
    ASSERT(oci_digest_equal(&one, &many));
    ASSERT_OK(cache_contenthash(&o, &warm, &err), err);
    ASSERT(oci_digest_equal(&one, &warm));
    struct cache_statcache_stats st;
    cache_statcache_get_stats(o.statcache, &st);
    ASSERT_INT_EQ(st.hits + st.files_hashed,
                  2 * 204); /* 200 + sub/{a.txt,main.c,util.c,secret.env} */
    cache_statcache_free(o.statcache);
}
