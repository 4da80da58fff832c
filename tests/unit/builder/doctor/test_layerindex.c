/* test_layerindex.c - a layer blob read into memory: tar entries as the
 * unpacker would leave them (implicit parents, repeats, hardlinks, whiteouts),
 * what the unpacker refuses, and content beyond what the index keeps read
 * back from the blob. */
#include <archive.h>
#include <archive_entry.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "harness.h"
#include "t_doctor.h"
#include "../../../../base/cleanup.h"
#include "../../../../builder/doctor/layerindex.h"
#include "../../../../builder/doctor/rootfs.h"

/* One tar entry: type 'f' file, 'd' dir, 'l' symlink, 'h' hardlink (to
 * link), data for a file (len bytes, or strlen when len is 0). */
struct te {
    const char *path;
    char type;
    const char *data;
    size_t len;
    const char *link;
    unsigned uid;
};

/* Write entries as a gzip tar "layer.tgz". */
static void write_tar(const struct te *v, size_t n)
{
    struct archive *a = archive_write_new();
    archive_write_set_format_pax_restricted(a);
    archive_write_add_filter_gzip(a);
    archive_write_open_filename(a, "layer.tgz");
    for (size_t i = 0; i < n; i++) {
        struct archive_entry *e = archive_entry_new();
        size_t len = v[i].type == 'f' ? (v[i].len ? v[i].len : strlen(v[i].data)) : 0;
        archive_entry_set_pathname(e, v[i].path);
        archive_entry_set_uid(e, v[i].uid);
        archive_entry_set_gid(e, v[i].uid);
        archive_entry_set_mtime(e, 1700000000, 0);
        switch (v[i].type) {
        case 'd':
            archive_entry_set_filetype(e, AE_IFDIR);
            archive_entry_set_perm(e, 0750);
            break;
        case 'l':
            archive_entry_set_filetype(e, AE_IFLNK);
            archive_entry_set_perm(e, 0777);
            archive_entry_set_symlink(e, v[i].link);
            break;
        case 'h':
            archive_entry_set_filetype(e, AE_IFREG);
            archive_entry_set_perm(e, 0644);
            archive_entry_set_hardlink(e, v[i].link);
            break;
        default:
            archive_entry_set_filetype(e, AE_IFREG);
            archive_entry_set_perm(e, 0640);
            archive_entry_set_size(e, (la_int64_t)len);
        }
        archive_write_header(a, e);
        if (len)
            archive_write_data(a, v[i].data, len);
        archive_entry_free(e);
    }
    archive_write_close(a);
    archive_write_free(a);
}

static struct bld_rootfs *open_tar(const struct te *v, size_t n, struct cb_err **err)
{
    const char *blobs[] = {"layer.tgz"};
    write_tar(v, n);
    return bld_rootfs_open_blobs(blobs, 1, err);
}

static char *read_all(struct bld_rootfs *fs, const char *path, size_t max, struct cb_err **err)
{
    struct cb_buf b;
    cb_buf_init(&b, 64 << 20);
    if (bld_rootfs_read(fs, path, max, &b, err) < 0) {
        cb_buf_release(&b);
        return NULL;
    }
    return cb_buf_detach(&b, NULL);
}

static char *join(const struct cb_strv *v)
{
    struct cb_buf b;
    cb_buf_init(&b, 1 << 20);
    cb_buf_adds(&b, "", NULL);
    for (size_t i = 0; i < v->n; i++)
        cb_buf_addf(&b, NULL, "%s%s", i ? " " : "", v->v[i]);
    return cb_buf_detach(&b, NULL);
}

static char *names_of(struct bld_rootfs *fs, const char *dir, struct cb_err **err)
{
    cleanup_strv_s struct cb_strv names = CB_STRV_INIT;
    if (bld_rootfs_list(fs, dir, &names, err) < 0)
        return NULL;
    return join(&names);
}

struct files {
    struct cb_strv seen;
};

static int note_file(void *ud, const char *path, const void *data, size_t len, struct cb_err **err)
{
    struct files *f = ud;
    (void)err;
    if (len < 32)
        cb_strv_pushf(&f->seen, "%s=%.*s", path, (int)len, (const char *)data);
    else
        cb_strv_pushf(&f->seen, "%s=%zu bytes", path, len);
    return 0;
}

static char *files_of(struct bld_rootfs *fs, size_t max, struct cb_err **err)
{
    struct files f = {CB_STRV_INIT};
    char *s = NULL;
    if (bld_rootfs_layer_files(fs, 0, max, note_file, &f, err) == 0)
        s = join(&f.seen);
    cb_strv_release(&f.seen);
    return s;
}

TEST(layerindex_parents_the_tar_omits_are_made)
{
    cleanup_err struct cb_err *err = NULL;
    const struct te v[] = {{"./a/b/c", 'f', "deep", 0, NULL, 1000}};
    cleanup_rootfs struct bld_rootfs *fs = open_tar(v, 1, &err);
    struct bld_rootfs_stat st;
    ASSERT(fs);
    ASSERT_OK(bld_rootfs_stat(fs, "/a/b", true, &st, NULL, &err), err);
    ASSERT_INT_EQ(st.mode, S_IFDIR | 0755);
    ASSERT_INT_EQ(st.uid, 0);
    ASSERT_OK(bld_rootfs_stat(fs, "/a/b/c", true, &st, NULL, &err), err);
    ASSERT_INT_EQ(st.mode, S_IFREG | 0640);
    ASSERT_INT_EQ(st.uid, 1000); /* the tar's owner, whoever reads */
    ASSERT_INT_EQ(st.size, 4);
    ASSERT_INT_EQ(st.mtime, 1700000000);
    cleanup_free char *s = read_all(fs, "/a/b/c", 0, &err);
    ASSERT_STR_EQ(s, "deep");
}

TEST(layerindex_a_repeated_path_ends_as_the_last_entry)
{
    cleanup_err struct cb_err *err = NULL;
    const struct te v[] = {
        {"f", 'f', "first", 0, NULL, 0},       {"d/", 'd', NULL, 0, NULL, 0},
        {"d/x", 'f', "inside", 0, NULL, 0},    {"f", 'f', "second", 0, NULL, 0},
        {"d", 'f', "d is a file", 0, NULL, 0}, {"e/y", 'f', "y", 0, NULL, 0},
        {"e", 'd', NULL, 0, NULL, 5},
    };
    cleanup_rootfs struct bld_rootfs *fs = open_tar(v, 7, &err);
    struct bld_rootfs_stat st;
    ASSERT(fs);
    cleanup_free char *f = read_all(fs, "/f", 0, &err);
    ASSERT_STR_EQ(f, "second");
    ASSERT(!bld_rootfs_exists(fs, "/d/x"));
    cleanup_free char *d = read_all(fs, "/d", 0, &err);
    ASSERT_STR_EQ(d, "d is a file");
    /* a directory listed after its children keeps them */
    ASSERT_OK(bld_rootfs_stat(fs, "/e", true, &st, NULL, &err), err);
    ASSERT_INT_EQ(st.uid, 5);
    cleanup_free char *names = names_of(fs, "/e", &err);
    ASSERT_STR_EQ(names, "y");
    cleanup_free char *files = files_of(fs, 1 << 20, &err);
    ASSERT_STR_EQ(files, "/f=second /d=d is a file /e/y=y");
}

TEST(layerindex_hardlinks_share_their_target)
{
    cleanup_err struct cb_err *err = NULL;
    const struct te v[] = {
        {"bin/busybox", 'f', "BB", 0, NULL, 0},
        {"bin/sh", 'h', NULL, 0, "bin/busybox", 0},
    };
    cleanup_rootfs struct bld_rootfs *fs = open_tar(v, 2, &err);
    struct bld_rootfs_stat st;
    ASSERT(fs);
    ASSERT_OK(bld_rootfs_stat(fs, "/bin/sh", true, &st, NULL, &err), err);
    ASSERT_INT_EQ(st.mode, S_IFREG | 0640);
    ASSERT_INT_EQ(st.size, 2);
    cleanup_free char *s = read_all(fs, "/bin/sh", 0, &err);
    ASSERT_STR_EQ(s, "BB");
    cleanup_free char *files = files_of(fs, 1 << 20, &err);
    ASSERT_STR_EQ(files, "/bin/busybox=BB /bin/sh=BB");
}

TEST(layerindex_whiteouts_and_opaque_dirs_as_entries)
{
    cleanup_err struct cb_err *err = NULL;
    cleanup_strv_s struct cb_strv names = CB_STRV_INIT;
    const char *dirs[] = {"l0"};
    const char *blobs[] = {"l0.blob", "layer.tgz"};
    const struct te v[] = {
        {"etc/.wh.gone", 'f', "", 0, NULL, 0},
        {"d/", 'd', NULL, 0, NULL, 0},
        {"d/.wh..wh..opq", 'f', "", 0, NULL, 0},
        {"d/new", 'f', "n", 0, NULL, 0},
    };
    td_file("l0/etc/gone", "x", 0644);
    td_file("l0/etc/kept", "x", 0644);
    td_file("l0/d/old", "x", 0644);
    t_variant = 1; /* l0 as a blob too */
    cleanup_rootfs struct bld_rootfs *lower = td_open(dirs, 1, &err);
    ASSERT(lower);
    write_tar(v, 4);
    cleanup_rootfs struct bld_rootfs *fs = bld_rootfs_open_blobs(blobs, 2, &err);
    ASSERT(fs);
    ASSERT(!bld_rootfs_exists(fs, "/etc/gone"));
    ASSERT(bld_rootfs_exists(fs, "/etc/kept"));
    ASSERT(!bld_rootfs_exists(fs, "/d/old"));
    ASSERT_OK(bld_rootfs_list(fs, "/d", &names, &err), err);
    ASSERT_INT_EQ(names.n, 1);
    ASSERT_STR_EQ(names.v[0], "new");
}

TEST(layerindex_refuses_what_the_unpacker_refuses)
{
    cleanup_err struct cb_err *err = NULL;
    const struct te dotdot[] = {{"a/../../x", 'f', "x", 0, NULL, 0}};
    const struct te abs[] = {{"/etc/x", 'f', "x", 0, NULL, 0}};
    const struct te through[] = {{"l", 'l', NULL, 0, "/etc", 0}, {"l/passwd", 'f', "x", 0, NULL, 0}};
    const struct te nolink[] = {{"h", 'h', NULL, 0, "not/here", 0}};
    ASSERT(!open_tar(dotdot, 1, &err));
    ASSERT_FAILS(-CB_EINVAL, err, CB_EINVAL, "layer entry 'a/../../x': path has a '..' component");
    ASSERT(!open_tar(abs, 1, &err));
    ASSERT_FAILS(-CB_EINVAL, err, CB_EINVAL, "is absolute");
    ASSERT(!open_tar(through, 2, &err));
    ASSERT_FAILS(-CB_EINVAL, err, CB_EINVAL,
                 "layer entry 'l/passwd': refusing to write through symlink 'l'");
    ASSERT(!open_tar(nolink, 1, &err));
    ASSERT_FAILS(-CB_EINVAL, err, CB_EINVAL, "hardlink target 'not/here' is not a file");
}

/* Files past what the index keeps (64 KiB each, 16 MiB a layer) are read
 * back from the blob, whole or their head, and by the per-layer scan. */
TEST(layerindex_content_not_kept_is_read_back)
{
    cleanup_err struct cb_err *err = NULL;
    enum { N = 300, SIZE = 60 << 10 };
    struct te v[N + 1];
    char *data = xmalloc((size_t)N * SIZE), *paths[N];
    for (size_t i = 0; i < N; i++) {
        memset(data + i * SIZE, 'a' + (int)(i % 26), SIZE);
        paths[i] = xasprintf("data/f%03zu", i);
        v[i] = (struct te){paths[i], 'f', data + i * SIZE, SIZE, NULL, 0};
    }
    char *big = xmalloc(1 << 20);
    memset(big, 'B', 1 << 20);
    memcpy(big, "#!/bin/big\n", 11);
    v[N] = (struct te){"big", 'f', big, 1 << 20, NULL, 0};
    cleanup_rootfs struct bld_rootfs *fs = open_tar(v, N + 1, &err);
    ASSERT(fs);
    for (size_t i = 0; i < N; i += 37) {
        cleanup_free char *p = xasprintf("/%s", paths[i]);
        cleanup_free char *s = read_all(fs, p, 0, &err);
        ASSERT(s && strlen(s) == SIZE && s[0] == 'a' + (int)(i % 26) && s[SIZE - 1] == s[0]);
    }
    cleanup_free char *head = read_all(fs, "/big", 11, &err);
    ASSERT_STR_EQ(head, "#!/bin/big\n");
    cleanup_free char *whole = read_all(fs, "/big", 0, &err);
    ASSERT(whole && strlen(whole) == 1 << 20 && whole[(1 << 20) - 1] == 'B');
    /* the scan: from memory below the smallest file not kept, else streamed */
    cleanup_free char *none = files_of(fs, 100, &err);
    ASSERT_STR_EQ(none, "");
    cleanup_free char *all = files_of(fs, 1 << 20, &err);
    ASSERT(all && strstr(all, "/data/f299=61440 bytes /big=1048576 bytes"));
    for (size_t i = 0; i < N; i++)
        free(paths[i]);
    free(data);
    free(big);
}

static int count_entry(void *ud, const char *path, const struct bld_rootfs_stat *st,
                       struct cb_err **err)
{
    (void)path;
    (void)st;
    (void)err;
    (*(size_t *)ud)++;
    return 0;
}

/* A crafted layer nesting 5,000 directories: the walk stops at its depth
 * limit instead of exhausting the stack; a replaced tree is dropped. */
TEST(layerindex_deep_nesting_is_bounded)
{
    cleanup_err struct cb_err *err = NULL;
    struct cb_buf deep;
    size_t n = 0;
    cb_buf_init(&deep, 1 << 20);
    for (int i = 0; i < 5000; i++)
        cb_buf_adds(&deep, "d/", NULL);
    cb_buf_adds(&deep, "f", NULL);
    const struct te v[] = {{deep.data, 'f', "x", 0, NULL, 0}, {"d", 'f', "flat", 0, NULL, 0}};
    cleanup_rootfs struct bld_rootfs *fs = open_tar(v, 1, &err);
    ASSERT(fs);
    ASSERT_OK(bld_rootfs_walk(fs, "/", 0, count_entry, &n, &err), err);
    ASSERT_INT_EQ(n, 2049); /* /d and 2,048 levels below it */
    cleanup_rootfs struct bld_rootfs *fs2 = open_tar(v, 2, &err);
    ASSERT(fs2);
    cleanup_free char *s = read_all(fs2, "/d", 0, &err);
    ASSERT_STR_EQ(s, "flat");
    cb_buf_release(&deep);
}

/* Past the budget, the files the checks read whole are still kept: with the
 * blob gone, package.json and passwd read, a plain file does not. */
TEST(layerindex_named_files_kept_past_the_budget)
{
    cleanup_err struct cb_err *err = NULL;
    enum { N = 300, SIZE = 64 << 10 }; /* 256 of them fill the 16 MiB */
    struct te v[N + 3];
    char *data = xmalloc(SIZE), *paths[N], big[1001];
    memset(data, 'm', SIZE);
    memset(big, 'p', 1000); /* larger than a head (512 bytes) */
    big[1000] = 0;
    for (size_t i = 0; i < N; i++) {
        paths[i] = xasprintf("app/node_modules/m%03zu.js", i);
        v[i] = (struct te){paths[i], 'f', data, SIZE, NULL, 0};
    }
    v[N] = (struct te){"app/package.json", 'f', big, 0, NULL, 0};
    v[N + 1] = (struct te){"etc/passwd", 'f', "root:x:0:0::/root:/bin/sh\n", 0, NULL, 0};
    v[N + 2] = (struct te){"app/zz.txt", 'f', big, 0, NULL, 0};
    cleanup_rootfs struct bld_rootfs *fs = open_tar(v, N + 3, &err);
    ASSERT(fs);
    ASSERT_INT_EQ(unlink("layer.tgz"), 0);
    cleanup_free char *pj = read_all(fs, "/app/package.json", 0, &err);
    ASSERT_STR_EQ(pj, big);
    cleanup_free char *pw = read_all(fs, "/etc/passwd", 0, &err);
    ASSERT_STR_EQ(pw, "root:x:0:0::/root:/bin/sh\n");
    cleanup_free char *head = read_all(fs, "/app/zz.txt", 3, &err);
    ASSERT_STR_EQ(head, "ppp"); /* the head is kept */
    ASSERT(!read_all(fs, "/app/zz.txt", 0, &err));
    ASSERT_FAILS(-CB_EIO, err, CB_EIO, "layer.tgz");
    for (size_t i = 0; i < N; i++)
        free(paths[i]);
    free(data);
}
