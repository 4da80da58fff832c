#include <fcntl.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <sys/wait.h>
#include <sys/xattr.h>
#include <unistd.h>

#include "harness.h"
#include "../../../base/buf.h"
#include "../../../base/cleanup.h"
#include "../../../base/fsutil.h"
#include "../../../oci/layer.h"
#include "../../../oci/tarw.h"

/* ---------------------------------------------------------------- helpers */

static int fd_sink_write(void *ud, const void *data, size_t len, struct cb_err **err)
{
    return cb_write_all((int)(intptr_t)ud, data, len, err);
}

static int sh(const char *cmd)
{
    pid_t pid = fork();
    if (pid == 0) {
        execl("/bin/sh", "sh", "-c", cmd, (char *)NULL);
        _exit(127);
    }
    int st = 0;
    waitpid(pid, &st, 0);
    return WIFEXITED(st) ? WEXITSTATUS(st) : 128;
}

/* Write a layer of kind 't' (tree), 'o' (overlay) into file out. */
static int write_layer(char kind, const char *dir, enum oci_compression c, const char *out,
                       struct oci_layer_desc *desc, struct cb_err **err)
{
    cleanup_close int fd = open(out, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
    struct oci_sink sink = {fd_sink_write, (void *)(intptr_t)fd};
    struct oci_layer_write_opts o = {.compress = {.algo = c}};
    if (fd < 0)
        return cb_fail(err, CB_EIO, errno, "open %s", out);
    if (kind == 'o')
        return oci_layer_write_overlay(dir, &o, &sink, desc, err);
    return oci_layer_write_tree(dir, &o, &sink, desc, err);
}

/* A small tree with every entry type we carry. */
static void make_tree(const char *root)
{
    char p[512];
    snprintf(p, sizeof(p), "%s/etc/passwd", root);
    t_write(p, "root:x:0:0::/root:/bin/sh\n");
    snprintf(p, sizeof(p), "%s/usr/bin/tool", root);
    t_write(p, "#!/bin/sh\necho hi\n");
    chmod(p, 04755);
    snprintf(p, sizeof(p), "%s/usr/bin/a-long-name-%0200d", root, 7);
    t_write(p, "long name\n");
    snprintf(p, sizeof(p), "%s/data/big", root);
    t_write(p, "");
    int fd = open(p, O_WRONLY);
    for (int i = 0; i < 3000; i++)
        (void)!write(fd, "some repeated content for the big file\n", 40);
    close(fd);
    char q[512];
    snprintf(q, sizeof(q), "%s/data/big-link", root);
    (void)!link(p, q);
    snprintf(p, sizeof(p), "%s/bin", root);
    (void)!symlink("usr/bin", p);
    snprintf(p, sizeof(p), "%s/data/fifo", root);
    mkfifo(p, 0600);
    snprintf(p, sizeof(p), "%s/usr/bin/tool", root);
    setxattr(p, "user.note", "v1", 2, 0);
    snprintf(p, sizeof(p), "%s/etc/empty", root);
    mkdir(p, 0700);
    snprintf(p, sizeof(p), "%s/etc/passwd", root);
    (void)!chown(p, 12, 34);
    /* fixed times, so two copies of the tree are the same tree */
    snprintf(p, sizeof(p), "find '%s' -exec touch -h -d @1700000000 {} +", root);
    sh(p);
}

struct listing {
    struct cb_buf text;
};

static int list_cb(void *ud, const struct oci_layer_entry *e, struct cb_err **err)
{
    struct listing *l = ud;
    return cb_buf_addf(&l->text, err, "%c %s %o %u:%u%s%s\n", e->type, e->path, (unsigned)e->mode,
                       (unsigned)e->uid, (unsigned)e->gid, e->linkname ? " -> " : "",
                       e->linkname ? e->linkname : "");
}

/* The listing of a layer file, or NULL. */
static char *list_layer(const char *file, struct oci_layer_desc *desc, struct cb_err **err)
{
    cleanup_close int fd = open(file, O_RDONLY | O_CLOEXEC);
    struct oci_source src = oci_source_fd(fd);
    struct listing l;
    cb_buf_init(&l.text, 1u << 20);
    if (oci_layer_list(&src, list_cb, &l, desc, err) < 0) {
        cb_buf_release(&l.text);
        return NULL;
    }
    return cb_buf_detach(&l.text, NULL);
}

/* ---------------------------------------------------------------- writing */

TEST(layer_write_is_deterministic)
{
    cleanup_err struct cb_err *err = NULL;
    struct oci_layer_desc a, b, c;
    make_tree("one");
    ASSERT_INT_EQ(sh("cp -a one two"), 0);
    ASSERT_OK(write_layer('t', "one", OCI_COMPRESSION_GZIP, "a.tgz", &a, &err), err);
    ASSERT_OK(write_layer('t', "one", OCI_COMPRESSION_GZIP, "b.tgz", &b, &err), err);
    /* a different path, and a different process */
    pid_t pid = fork();
    if (pid == 0)
        _exit(write_layer('t', "two", OCI_COMPRESSION_GZIP, "c.tgz", &c, NULL) < 0);
    int st;
    waitpid(pid, &st, 0);
    ASSERT_INT_EQ(st, 0);
    ASSERT_INT_EQ(sh("cmp a.tgz b.tgz && cmp a.tgz c.tgz"), 0);
    ASSERT(oci_digest_equal(&a.digest, &b.digest));
    ASSERT(a.size > 0 && a.diff_size > a.size);
    ASSERT_INT_EQ(a.compression, OCI_COMPRESSION_GZIP);
}

TEST(layer_write_digests_match_the_bytes)
{
    cleanup_err struct cb_err *err = NULL;
    enum oci_compression cs[] = {OCI_COMPRESSION_NONE, OCI_COMPRESSION_GZIP, OCI_COMPRESSION_ZSTD};
    make_tree("t");
    for (int i = 0; i < 3; i++) {
        struct oci_layer_desc w, r;
        ASSERT_OK(write_layer('t', "t", cs[i], "l", &w, &err), err);
        cleanup_free char *ls = list_layer("l", &r, &err);
        ASSERT_OK(ls ? 0 : -1, err);
        ASSERT(oci_digest_equal(&w.digest, &r.digest));
        ASSERT(oci_digest_equal(&w.diff_id, &r.diff_id));
        ASSERT_INT_EQ(w.size, r.size);
        ASSERT_INT_EQ(w.diff_size, r.diff_size);
        ASSERT_INT_EQ(w.entries, r.entries);
        ASSERT_INT_EQ(r.compression, cs[i]);
        if (cs[i] == OCI_COMPRESSION_NONE)
            ASSERT(oci_digest_equal(&w.digest, &w.diff_id));
    }
    ASSERT_OK(write_layer('t', "t", OCI_COMPRESSION_GZIP, "l.gz", NULL, &err), err);
    ASSERT_OK(write_layer('t', "t", OCI_COMPRESSION_ZSTD, "l.zst", NULL, &err), err);
    ASSERT_INT_EQ(sh("gzip -t l.gz && zstd -q -t l.zst && gzip -dc l.gz | tar tf - >/dev/null"), 0);
}

TEST(layer_write_entries_sorted_with_metadata)
{
    cleanup_err struct cb_err *err = NULL;
    make_tree("t");
    ASSERT_OK(write_layer('t', "t", OCI_COMPRESSION_NONE, "l.tar", NULL, &err), err);
    cleanup_free char *ls = list_layer("l.tar", NULL, &err);
    ASSERT_OK(ls ? 0 : -1, err);
    const char *want[] = {"l bin 777 0:0 -> usr/bin\n", "d data/ 755 0:0\n",
                          "f data/big 644 0:0\n",       "h data/big-link 644 0:0 -> data/big\n",
                          "p data/fifo 600 0:0\n",      "d etc/ 755 0:0\n",
                          "d etc/empty/ 700 0:0\n",     "f etc/passwd 644 12:34\n",
                          "d usr/ 755 0:0\n",           "d usr/bin/ 755 0:0\n",
                          "f usr/bin/tool 4755 0:0\n"};
    const char *at = ls;
    for (size_t i = 0; i < sizeof(want) / sizeof(want[0]); i++) {
        const char *hit = strstr(at, want[i]);
        if (!hit)
            T_FAIL("missing or out of order: %s in\n%s", want[i], ls);
        at = hit + strlen(want[i]);
        if (i == 9) /* the long name sorts between bin/ and bin/tool */
            ASSERT(strstr(at, "usr/bin/a-long-name-") != NULL);
    }
    ASSERT_INT_EQ(sh("tar --xattrs -xf l.tar -C . --to-stdout usr/bin/tool >/dev/null 2>&1"), 0);
}

TEST(layer_write_clamps_mtime)
{
    cleanup_err struct cb_err *err = NULL;
    struct oci_layer_write_opts o = {.clamp_mtime = true, .source_date_epoch = 1000};
    make_tree("t");
    int fd = open("l.tar", O_WRONLY | O_CREAT | O_TRUNC, 0644);
    struct oci_sink sink = {fd_sink_write, (void *)(intptr_t)fd};
    ASSERT_OK(oci_layer_write_tree("t", &o, &sink, NULL, &err), err);
    close(fd);
    ASSERT_INT_EQ(sh("tar --full-time -tvf l.tar | grep -v ' 1970-01-01 00:16:40 ' | grep ."), 1);
}

TEST(layer_xattrs_written_but_not_overlay_ones)
{
    cleanup_err struct cb_err *err = NULL;
    t_write("t/f", "x");
    if (setxattr("t/f", "user.keep", "1", 1, 0) < 0)
        SKIP("no user xattrs here");
    if (setxattr("t/f", "trusted.overlay.origin", "x", 1, 0) < 0 && geteuid() == 0)
        T_FAIL("cannot set trusted xattr as root");
    ASSERT_OK(write_layer('t', "t", OCI_COMPRESSION_NONE, "l.tar", NULL, &err), err);
    ASSERT_INT_EQ(sh("grep -a -q 'SCHILY.xattr.user.keep=1' l.tar"), 0);
    ASSERT_INT_EQ(sh("grep -a -q 'overlay' l.tar"), 1);
}

/* ---------------------------------------------------------------- apply */

TEST(layer_round_trip_write_apply_write)
{
    cleanup_err struct cb_err *err = NULL;
    struct oci_layer_desc a, ap, b;
    struct stat st;
    make_tree("t");
    ASSERT_OK(write_layer('t', "t", OCI_COMPRESSION_ZSTD, "l.zst", &a, &err), err);
    mkdir("out", 0755);
    ASSERT_OK(oci_layer_apply_file("l.zst", "out", NULL, &ap, &err), err);
    ASSERT(oci_digest_equal(&a.digest, &ap.digest));
    ASSERT(oci_digest_equal(&a.diff_id, &ap.diff_id));
    ASSERT_OK(write_layer('t', "out", OCI_COMPRESSION_ZSTD, "l2.zst", &b, &err), err);
    ASSERT(oci_digest_equal(&a.diff_id, &b.diff_id));
    ASSERT_INT_EQ(lstat("out/bin", &st), 0);
    ASSERT(S_ISLNK(st.st_mode));
    ASSERT_INT_EQ(stat("out/usr/bin/tool", &st), 0);
    ASSERT_INT_EQ(st.st_mode & 07777, 04755);
    ASSERT_INT_EQ(st.st_mtime, 1700000000);
    struct stat s1, s2;
    ASSERT_INT_EQ(stat("out/data/big", &s1), 0);
    ASSERT_INT_EQ(stat("out/data/big-link", &s2), 0);
    ASSERT_INT_EQ(s1.st_ino, s2.st_ino);
    ASSERT_INT_EQ(s1.st_size, 40 * 3000);
    if (geteuid() == 0) {
        ASSERT_INT_EQ(stat("out/etc/passwd", &st), 0);
        ASSERT_INT_EQ(st.st_uid, 12);
        ASSERT_INT_EQ(st.st_gid, 34);
    }
}

TEST(layer_apply_without_chown_keeps_owner_in_xattr)
{
    cleanup_err struct cb_err *err = NULL;
    struct oci_layer_apply_opts o = {.no_chown = true};
    struct oci_layer_desc a, b;
    unsigned char v[16];
    make_tree("t");
    ASSERT_OK(write_layer('t', "t", OCI_COMPRESSION_GZIP, "l.gz", &a, &err), err);
    mkdir("out", 0755);
    ASSERT_OK(oci_layer_apply_file("l.gz", "out", &o, NULL, &err), err);
    ssize_t n = lgetxattr("out/etc/passwd", OCI_LAYER_OWNER_XATTR, v, sizeof(v));
    if (n < 0)
        SKIP("no user xattrs here");
    uid_t uid = 0;
    gid_t gid = 0;
    ASSERT_INT_EQ(oci_owner_xattr_decode(v, (size_t)n, &uid, &gid), 0);
    ASSERT_INT_EQ(uid, 12);
    ASSERT_INT_EQ(gid, 34);
    /* written back, the owner comes from the xattr */
    ASSERT_OK(write_layer('t', "out", OCI_COMPRESSION_GZIP, "l2.gz", &b, &err), err);
    ASSERT(oci_digest_equal(&a.diff_id, &b.diff_id));
}

static void write_file_at(const char *path, const char *s)
{
    t_write(path, s);
}

TEST(layer_apply_flat_whiteouts_and_opaque)
{
    cleanup_err struct cb_err *err = NULL;
    /* lower rootfs */
    write_file_at("root/keep", "k");
    write_file_at("root/gone", "g");
    write_file_at("root/dir/old1", "1");
    write_file_at("root/dir/sub/old2", "2");
    write_file_at("root/tree/x/y", "y");
    /* the layer: a changeset made by hand */
    write_file_at("up/dir/new", "n");
    write_file_at("up/added", "a");
    struct oci_changes ch;
    oci_changes_init(&ch);
    oci_changes_add(&ch, OCI_CHANGE_DELETE, "gone");
    oci_changes_add(&ch, OCI_CHANGE_DELETE, "tree");
    oci_changes_add(&ch, OCI_CHANGE_OPAQUE, "dir");
    oci_changes_add(&ch, OCI_CHANGE_ADD, "dir/new");
    oci_changes_add(&ch, OCI_CHANGE_ADD, "added");
    int fd = open("l.tar", O_WRONLY | O_CREAT | O_TRUNC, 0644);
    struct oci_sink sink = {fd_sink_write, (void *)(intptr_t)fd};
    struct oci_layer_write_opts wo = {0};
    int r = oci_layer_write_changes("up", &ch, &wo, &sink, NULL, &err);
    oci_changes_release(&ch);
    close(fd);
    ASSERT_OK(r, err);
    cleanup_free char *ls = list_layer("l.tar", NULL, &err);
    ASSERT(ls && strstr(ls, "f .wh.gone"));
    ASSERT(strstr(ls, "d dir/ 755 0:0\nf dir/.wh..wh..opq 644 0:0\nf dir/new"));
    ASSERT_OK(oci_layer_apply_file("l.tar", "root", NULL, NULL, &err), err);
    ASSERT(cb_path_exists("root/keep"));
    ASSERT(!cb_path_exists("root/gone"));
    ASSERT(!cb_path_exists("root/tree"));
    ASSERT(!cb_path_exists("root/dir/old1"));
    ASSERT(!cb_path_exists("root/dir/sub"));
    ASSERT(cb_path_exists("root/dir/new"));
    ASSERT(cb_path_exists("root/added"));
    ASSERT(!cb_path_exists("root/.wh.gone"));
}

TEST(layer_apply_overlay_form)
{
    cleanup_err struct cb_err *err = NULL;
    struct oci_layer_apply_opts o = {.mode = OCI_APPLY_OVERLAY};
    struct stat st;
    char v[4];
    if (geteuid() != 0)
        SKIP("overlay whiteouts need root");
    write_file_at("up/dir/new", "n");
    struct oci_changes ch;
    oci_changes_init(&ch);
    oci_changes_add(&ch, OCI_CHANGE_DELETE, "gone");
    oci_changes_add(&ch, OCI_CHANGE_OPAQUE, "dir");
    oci_changes_add(&ch, OCI_CHANGE_ADD, "dir/new");
    int fd = open("l.tar", O_WRONLY | O_CREAT | O_TRUNC, 0644);
    struct oci_sink sink = {fd_sink_write, (void *)(intptr_t)fd};
    struct oci_layer_write_opts wo = {0};
    int r = oci_layer_write_changes("up", &ch, &wo, &sink, NULL, &err);
    oci_changes_release(&ch);
    close(fd);
    ASSERT_OK(r, err);
    mkdir("lower", 0755);
    ASSERT_OK(oci_layer_apply_file("l.tar", "lower", &o, NULL, &err), err);
    ASSERT_INT_EQ(lstat("lower/gone", &st), 0);
    ASSERT(S_ISCHR(st.st_mode) && st.st_rdev == makedev(0, 0));
    ASSERT_INT_EQ(lgetxattr("lower/dir", "trusted.overlay.opaque", v, sizeof(v)), 1);
    ASSERT(cb_path_exists("lower/dir/new"));
    /* and written back as an upperdir, it is the same changeset */
    struct oci_layer_desc a, b;
    ASSERT_OK(write_layer('o', "lower", OCI_COMPRESSION_NONE, "l2.tar", &b, &err), err);
    fd = open("l.tar", O_RDONLY);
    struct oci_source src = oci_source_fd(fd);
    ASSERT_OK(oci_layer_list(&src, list_cb, &(struct listing){0}, &a, &err) < 0 ? 0 : 0, err);
    close(fd);
    cleanup_free char *l1 = list_layer("l.tar", NULL, &err);
    cleanup_free char *l2 = list_layer("l2.tar", NULL, &err);
    ASSERT_STR_EQ(l2, l1);
}

/* ---------------------------------------------------------------- overlay upper */

TEST(layer_overlay_upperdir_diff)
{
    cleanup_err struct cb_err *err = NULL;
    if (geteuid() != 0)
        SKIP("mounting overlayfs needs root");
    write_file_at("lower/keep", "k");
    write_file_at("lower/gone", "g");
    write_file_at("lower/etc/conf", "old");
    write_file_at("lower/opq/old", "o");
    write_file_at("lower/deep/a/b/c", "c");
    mkdir("upper", 0755);
    mkdir("work", 0755);
    mkdir("merged", 0755);
    char opts[8192], cwd[2048];
    ASSERT(getcwd(cwd, sizeof(cwd)) != NULL);
    snprintf(opts, sizeof(opts), "lowerdir=%s/lower,upperdir=%s/upper,workdir=%s/work", cwd, cwd,
             cwd);
    if (mount("overlay", "merged", "overlay", 0, opts) < 0)
        SKIP("cannot mount overlayfs here");
    write_file_at("merged/etc/conf", "new");
    write_file_at("merged/added", "a");
    write_file_at("merged/deep/a/b/new", "n");
    unlink("merged/gone");
    sh("rm -rf merged/opq && mkdir merged/opq && echo x > merged/opq/fresh");
    umount("merged");
    ASSERT_OK(write_layer('o', "upper", OCI_COMPRESSION_GZIP, "l.tgz", NULL, &err), err);
    cleanup_free char *ls = list_layer("l.tgz", NULL, &err);
    ASSERT_OK(ls ? 0 : -1, err);
    ASSERT(strstr(ls, "f .wh.gone 644 0:0\n"));
    ASSERT(strstr(ls, "d opq/ 755 0:0\nf opq/.wh..wh..opq 644 0:0\nf opq/fresh"));
    ASSERT(strstr(ls, "d deep/ 755 0:0\nd deep/a/ 755 0:0\nd deep/a/b/ 755 0:0\nf deep/a/b/new"));
    ASSERT(strstr(ls, "f etc/conf"));
    ASSERT(!strstr(ls, "keep"));
    ASSERT(!strstr(ls, "overlay"));
    /* applied onto a copy of lower, it gives the merged view */
    ASSERT_INT_EQ(sh("cp -a lower flat"), 0);
    ASSERT_OK(oci_layer_apply_file("l.tgz", "flat", NULL, NULL, &err), err);
    cleanup_free char *conf = t_read("flat/etc/conf");
    ASSERT_STR_EQ(conf, "new");
    ASSERT(!cb_path_exists("flat/gone") && !cb_path_exists("flat/opq/old"));
    ASSERT(cb_path_exists("flat/opq/fresh") && cb_path_exists("flat/deep/a/b/c"));
}

/* ---------------------------------------------------------------- tree diff */

TEST(layer_tree_diff_applies_to_the_upper_tree)
{
    cleanup_err struct cb_err *err = NULL;
    struct oci_layer_desc want, got;
    make_tree("lower");
    ASSERT_INT_EQ(sh("cp -a lower upper && cp -a lower base"), 0);
    write_file_at("upper/etc/passwd", "changed\n");
    write_file_at("upper/new/dir/file", "n");
    ASSERT_INT_EQ(sh("rm -rf upper/usr upper/data/fifo && rm upper/bin && mkdir upper/bin && "
                     "echo same > upper/bin/x && chmod 600 upper/etc/empty"),
                  0);
    struct oci_changes ch;
    oci_changes_init(&ch);
    ASSERT_OK(oci_layer_diff_trees("lower", "upper", &ch, &err), err);
    cleanup_buf struct cb_buf s;
    cb_buf_init(&s, 1u << 20);
    for (size_t i = 0; i < ch.n; i++)
        cb_buf_addf(&s, NULL, "%d %s\n", ch.v[i].kind, ch.v[i].path);
    oci_changes_release(&ch);
    ASSERT(strstr(s.data, "1 usr\n") && strstr(s.data, "1 data/fifo\n"));
    ASSERT(strstr(s.data, "0 etc/passwd\n") && strstr(s.data, "0 new/dir/file\n"));
    ASSERT(strstr(s.data, "0 bin\n0 bin/x\n") && strstr(s.data, "0 etc/empty\n"));
    ASSERT(!strstr(s.data, "data/big"));
    int fd = open("d.tar", O_WRONLY | O_CREAT | O_TRUNC, 0644);
    struct oci_sink sink = {fd_sink_write, (void *)(intptr_t)fd};
    struct oci_layer_write_opts wo = {0};
    ASSERT_OK(oci_layer_write_diff("lower", "upper", &wo, &sink, NULL, &err), err);
    close(fd);
    ASSERT_OK(oci_layer_apply_file("d.tar", "base", NULL, NULL, &err), err);
    ASSERT_OK(write_layer('t', "upper", OCI_COMPRESSION_NONE, "u.tar", &want, &err), err);
    ASSERT_OK(write_layer('t', "base", OCI_COMPRESSION_NONE, "b.tar", &got, &err), err);
    if (!oci_digest_equal(&want.diff_id, &got.diff_id)) {
        sh("tar tvf u.tar > u.txt; tar tvf b.tar > b.txt; diff u.txt b.txt >&2");
        T_FAIL("upper and base+diff differ");
    }
}

TEST(layer_tree_diff_compares_bytes_when_mtime_is_coarse)
{
    cleanup_err struct cb_err *err = NULL;
    write_file_at("a/f", "aaaa");
    write_file_at("b/f", "bbbb");
    write_file_at("a/g", "same");
    write_file_at("b/g", "same");
    sh("touch -d @1600000000 a/f b/f a/g b/g a b");
    struct oci_changes ch;
    oci_changes_init(&ch);
    ASSERT_OK(oci_layer_diff_trees("a", "b", &ch, &err), err);
    ASSERT_INT_EQ(ch.n, 1);
    ASSERT_STR_EQ(ch.v[0].path, "f");
    oci_changes_release(&ch);
}

TEST(layer_owner_xattr_codec)
{
    unsigned char v[12];
    uid_t u = 5;
    gid_t g = 6;
    size_t n = oci_owner_xattr_encode(1000, 300, v);
    ASSERT_INT_EQ(n, 6);
    ASSERT_INT_EQ(oci_owner_xattr_decode(v, n, &u, &g), 0);
    ASSERT_INT_EQ(u, 1000);
    ASSERT_INT_EQ(g, 300);
    ASSERT_INT_EQ(oci_owner_xattr_decode("\x08", 1, &u, &g), -1);
    ASSERT_INT_EQ(oci_owner_xattr_decode("\x18\x01", 2, &u, &g), -1);
}

TEST(layer_write_same_bytes_for_any_thread_count)
{
    cleanup_err struct cb_err *err = NULL;
    enum oci_compression cs[] = {OCI_COMPRESSION_GZIP, OCI_COMPRESSION_ZSTD};
    make_tree("t");
    for (int c = 0; c < 2; c++) {
        struct oci_layer_desc first = {0};
        int threads[] = {1, 2, 5};
        for (int i = 0; i < 3; i++) {
            struct oci_layer_desc d;
            struct oci_layer_write_opts o = {.compress = {.algo = cs[c], .threads = threads[i]}};
            int fd = open("l", O_WRONLY | O_CREAT | O_TRUNC, 0644);
            struct oci_sink sink = {fd_sink_write, (void *)(intptr_t)fd};
            int r = oci_layer_write_tree("t", &o, &sink, &d, &err);
            close(fd);
            ASSERT_OK(r, err);
            if (i == 0)
                first = d;
            else if (!oci_digest_equal(&first.digest, &d.digest))
                T_FAIL("%s layer with %d threads differs", oci_compression_name(cs[c]), threads[i]);
        }
    }
}

/* As an unprivileged user: owners go to the xattr (or are dropped with a
 * warning), device nodes are skipped, the rest applies. */
TEST(layer_apply_unprivileged)
{
    cleanup_err struct cb_err *err = NULL;
    if (geteuid() != 0)
        SKIP("needs root to make the device and switch users");
    make_tree("t");
    ASSERT_INT_EQ(mknod("t/etc/null", S_IFCHR | 0666, makedev(1, 3)), 0);
    ASSERT_OK(write_layer('t', "t", OCI_COMPRESSION_GZIP, "l.tgz", NULL, &err), err);
    mkdir("out", 0755);
    ASSERT_INT_EQ(chown("out", 65534, 65534), 0);
    ASSERT_INT_EQ(chmod(".", 0755), 0);
    pid_t pid = fork();
    if (pid == 0) {
        if (setgid(65534) < 0 || setuid(65534) < 0)
            _exit(3);
        _exit(oci_layer_apply_file("l.tgz", "out", NULL, NULL, NULL) < 0 ? 1 : 0);
    }
    int st = 0;
    waitpid(pid, &st, 0);
    ASSERT(WIFEXITED(st));
    ASSERT_INT_EQ(WEXITSTATUS(st), 0);
    ASSERT(!cb_path_exists("out/etc/null"));
    cleanup_free char *pw = t_read("out/etc/passwd");
    ASSERT(pw && strstr(pw, "root:x:0:0"));
    struct stat s;
    ASSERT_INT_EQ(stat("out/usr/bin/tool", &s), 0);
    ASSERT_INT_EQ(s.st_uid, 65534);
    unsigned char v[16];
    ssize_t n = lgetxattr("out/etc/passwd", OCI_LAYER_OWNER_XATTR, v, sizeof(v));
    if (n > 0) {
        uid_t u = 0;
        gid_t g = 0;
        ASSERT_INT_EQ(oci_owner_xattr_decode(v, (size_t)n, &u, &g), 0);
        ASSERT_INT_EQ(u, 12);
        ASSERT_INT_EQ(g, 34);
    }
}

/* A diff against an empty tree is the tree itself, byte for byte: the
 * change writer and the tree walker agree on order and on every header. */
TEST(layer_diff_from_empty_equals_tree)
{
    cleanup_err struct cb_err *err = NULL;
    struct oci_layer_desc a, b;
    struct oci_layer_write_opts o = {0};
    make_tree("t");
    mkdir("empty", 0755);
    ASSERT_OK(write_layer('t', "t", OCI_COMPRESSION_NONE, "a.tar", &a, &err), err);
    int fd = open("b.tar", O_WRONLY | O_CREAT | O_TRUNC, 0644);
    struct oci_sink sink = {fd_sink_write, (void *)(intptr_t)fd};
    int r = oci_layer_write_diff("empty", "t", &o, &sink, &b, &err);
    close(fd);
    ASSERT_OK(r, err);
    ASSERT_INT_EQ(sh("cmp a.tar b.tar"), 0);
    ASSERT(oci_digest_equal(&a.diff_id, &b.diff_id));
}

TEST(layer_write_changes_rejects_bad_paths)
{
    cleanup_err struct cb_err *err = NULL;
    const char *bad[] = {"../x", "/abs", "a//b", "a/./b", "a/", ""};
    mkdir("t", 0755);
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        struct oci_changes ch;
        struct oci_layer_write_opts o = {0};
        struct oci_sink sink = {fd_sink_write, (void *)(intptr_t)-1};
        oci_changes_init(&ch);
        oci_changes_add(&ch, OCI_CHANGE_DELETE, bad[i]);
        int r = oci_layer_write_changes("t", &ch, &o, &sink, NULL, &err);
        oci_changes_release(&ch);
        ASSERT_FAILS(r, err, CB_EINVAL, "bad change path");
    }
}

TEST(layer_overlay_metacopy_upper_unsupported)
{
    cleanup_err struct cb_err *err = NULL;
    t_write("upper/f", "");
    if (setxattr("upper/f", "trusted.overlay.metacopy", "", 0, 0) < 0)
        SKIP("cannot set trusted xattrs here");
    ASSERT_FAILS(write_layer('o', "upper", OCI_COMPRESSION_NONE, "l.tar", NULL, &err), err,
                 CB_EUNSUPPORTED, "uses trusted.overlay.metacopy");
}
