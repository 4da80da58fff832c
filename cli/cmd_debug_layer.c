/* cmd_debug_layer.c - `cbuild debug layer ACTION`: write, diff, apply and
 * list layers on their own, for tests, benchmarks and bug reports.
 *
 *   write [--compression C] [--overlay] [--source-date-epoch N] DIR FILE
 *   diff  [--compression C] LOWER UPPER FILE
 *   apply [--overlay-form] [--no-chown] FILE DIR
 *   ls    FILE
 */
#include <fcntl.h>
#include <inttypes.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "commands.h"
#include "cli.h"
#include "options.h"
#include "../base/cleanup.h"
#include "../base/fsutil.h"
#include "../base/xalloc.h"
#include "../oci/layer.h"
#include "../base/banned.h"

struct layer_args {
    const char *compression;
    long epoch;
    bool overlay, overlay_form, no_chown;
};

static const char *usage_line =
    "cbuild debug layer write|diff|apply|ls [OPTIONS] ARGS...\n"
    "  write DIR FILE          a tree (or --overlay upperdir) as a layer\n"
    "  diff LOWER UPPER FILE   the changes from LOWER to UPPER as a layer\n"
    "  apply FILE DIR          apply a layer (gzip, zstd or tar) onto DIR\n"
    "  ls FILE                 list a layer's entries";

static void print_desc(const struct oci_layer_desc *d)
{
    char a[OCI_DIGEST_STR_MAX], b[OCI_DIGEST_STR_MAX];
    printf("digest: %s\ndiff_id: %s\nsize: %" PRIu64 "\ndiff_size: %" PRIu64 "\nentries: %" PRIu64
           "\ncompression: %s\n",
           oci_digest_fmt(&d->digest, a), oci_digest_fmt(&d->diff_id, b), d->size, d->diff_size,
           d->entries, oci_compression_name(d->compression));
}

static int fd_write(void *ud, const void *data, size_t len, struct cb_err **err)
{
    return cb_write_all((int)(intptr_t)ud, data, len, err);
}

/* write and diff: produce FILE (temp + rename, so no half file is left). */
static int do_write(const struct layer_args *a, char **args, size_t n, struct cb_err **err)
{
    struct oci_layer_write_opts o = {.clamp_mtime = a->epoch >= 0, .source_date_epoch = a->epoch};
    struct oci_layer_desc d;
    const char *out = args[n - 1];
    cleanup_free char *tmp = xasprintf("%s.tmp%d", out, (int)getpid());

    if (a->compression && oci_compression_parse(a->compression, &o.compress.algo, err) < 0)
        return cb_wrap(err, "--compression");
    if (!a->compression)
        o.compress.algo = OCI_COMPRESSION_GZIP;
    cleanup_close int fd = open(tmp, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0644);
    if (fd < 0)
        return cb_fail(err, CB_EIO, errno, "create '%s'", tmp);
    struct oci_sink sink = {fd_write, (void *)(intptr_t)fd};
    int r = n == 3       ? oci_layer_write_diff(args[0], args[1], &o, &sink, &d, err)
            : a->overlay ? oci_layer_write_overlay(args[0], &o, &sink, &d, err)
                         : oci_layer_write_tree(args[0], &o, &sink, &d, err);
    if (r >= 0 && fsync(fd) < 0)
        r = cb_fail(err, CB_EIO, errno, "fsync '%s'", tmp);
    if (r >= 0 && rename(tmp, out) < 0)
        r = cb_fail(err, CB_EIO, errno, "rename to '%s'", out);
    if (r < 0) {
        unlink(tmp);
        return r;
    }
    print_desc(&d);
    return 0;
}

static int print_entry(void *ud, const struct oci_layer_entry *e, struct cb_err **err)
{
    printf("%c %04o %u:%u %8" PRIu64 " %s%s%s\n", (char)e->type, (unsigned)e->mode,
           (unsigned)e->uid, (unsigned)e->gid, e->size, e->path, e->linkname ? " -> " : "",
           e->linkname ? e->linkname : "");
    return 0;
}

static int do_ls(const char *file, struct cb_err **err)
{
    cleanup_close int fd = open(file, O_RDONLY | O_CLOEXEC);
    if (fd < 0)
        return cb_fail(err, CB_EIO, errno, "open '%s'", file);
    struct oci_source src = oci_source_fd(fd);
    return oci_layer_list(&src, print_entry, NULL, NULL, err);
}

int cmd_debug_layer(int argc, char **argv, struct cli_env *env)
{
    struct layer_args a = {.epoch = -1};
    const struct cli_option opts[] = {
        {0, "compression", CLI_OPT_STRING, &a.compression, "C", "gzip (default), zstd or none"},
        {0, "overlay", CLI_OPT_BOOL, &a.overlay, NULL, "write: DIR is an overlayfs upperdir"},
        {0, "source-date-epoch", CLI_OPT_INT, &a.epoch, "N", "write: clamp mtimes to N"},
        {0, "overlay-form", CLI_OPT_BOOL, &a.overlay_form, NULL,
         "apply: unpack as an overlay lowerdir (whiteouts as 0/0 devices)"},
        {0, "no-chown", CLI_OPT_BOOL, &a.no_chown, NULL,
         "apply: keep owners in the user.rootlesscontainers xattr"},
        {0},
    };
    const struct cli_usage u = {usage_line, "write, diff, apply or list a layer", opts};
    cleanup_strv_s struct cb_strv args = CB_STRV_INIT;
    cleanup_err struct cb_err *err = NULL;
    int r;

    if (argc < 2)
        return cli_usage_error(&u, "missing action");
    r = cli_parse(argc - 1, argv + 1, &u, 0, &args);
    if (r != 0)
        return r < 0 ? 2 : 0;
    const char *act = argv[1];
    if (!strcmp(act, "write") && args.n == 2)
        r = do_write(&a, args.v, 2, &err);
    else if (!strcmp(act, "diff") && args.n == 3)
        r = do_write(&a, args.v, 3, &err);
    else if (!strcmp(act, "apply") && args.n == 2) {
        struct oci_layer_apply_opts o = {
            .mode = a.overlay_form ? OCI_APPLY_OVERLAY : OCI_APPLY_FLAT, .no_chown = a.no_chown};
        struct oci_layer_desc d;
        r = oci_layer_apply_file(args.v[0], args.v[1], &o, &d, &err);
        if (r >= 0)
            print_desc(&d);
    } else if (!strcmp(act, "ls") && args.n == 1)
        r = do_ls(args.v[0], &err);
    else
        return cli_usage_error(&u, "bad action or arguments for '%s'", act);
    return r < 0 ? cli_report(err) : 0;
}
