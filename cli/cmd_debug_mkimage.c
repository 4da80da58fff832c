/* cmd_debug_mkimage.c - `cbuild debug mkimage --rootfs DIR -o DEST
 * [config options]`: make a one-layer image from a directory, into an OCI
 * layout ("oci:DIR[:TAG]") or the local store (an image name).  The test
 * suite builds its busybox base with it. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "commands.h"
#include "options.h"
#include "../base/cleanup.h"
#include "../base/xalloc.h"
#include "../oci/mkimage.h"
#include "../oci/store.h"
#include "../base/banned.h"

struct mk_opts {
    const char *rootfs, *output, *platform, *workdir, *user, *epoch, *compression, *created_by;
    struct cb_strv cmd, entrypoint, env, labels;
};

static int fill_config(const struct mk_opts *o, struct oci_image *img, int64_t *epoch,
                       struct cb_err **err)
{
    struct oci_platform p;
    char created[32];
    time_t t = time(NULL);
    char *end;

    if (o->epoch) {
        long long v = strtoll(o->epoch, &end, 10);
        if (!*o->epoch || *end || v < 0)
            return cb_fail(err, CB_EINVAL, 0, "invalid --source-date-epoch '%s'", o->epoch);
        t = (time_t)(*epoch = v);
    }
    strftime(created, sizeof(created), "%Y-%m-%dT%H:%M:%SZ", gmtime(&t));
    if (o->platform ? oci_platform_parse(o->platform, &p, err) < 0 : (oci_platform_host(&p), 0))
        return cb_err_rc(err);
    img->os = p.os, img->architecture = p.architecture, img->variant = p.variant;
    p.os = p.architecture = p.variant = NULL;
    oci_platform_release(&p);
    img->created = xstrdup(created);
    img->config.user = o->user ? xstrdup(o->user) : NULL;
    img->config.working_dir = o->workdir ? xstrdup(o->workdir) : NULL;
    cb_strv_copy(&img->config.env, &o->env);
    cb_strv_copy(&img->config.cmd, &o->cmd);
    img->config.has_cmd = o->cmd.n > 0;
    cb_strv_copy(&img->config.entrypoint, &o->entrypoint);
    img->config.has_entrypoint = o->entrypoint.n > 0;
    for (size_t i = 0; i < o->labels.n; i++) {
        char *eq = strchr(o->labels.v[i], '=');
        if (!eq)
            return cb_fail(err, CB_EINVAL, 0, "--label '%s' is not KEY=VALUE", o->labels.v[i]);
        *eq = 0;
        oci_map_set(&img->config.labels, o->labels.v[i], eq + 1);
        *eq = '=';
    }
    return 0;
}

/* Store the image: "oci:DIR[:TAG]" or a name in the local store. */
static int make(const struct mk_opts *o, struct oci_mkimage_req *req, struct cli_env *env,
                struct oci_descriptor *d, struct cb_err **err)
{
    cleanup_store struct oci_store *store = NULL;
    cleanup_layout struct oci_layout *l = NULL;
    cleanup_free char *dir = NULL;
    const char *tag = "latest", *colon;

    if (strncmp(o->output, "oci:", 4)) {
        store = oci_store_open(env->root, OCI_STORE_SHARED, err);
        if (!store || oci_mkimage(oci_store_layout_peek(store), req, d, err) < 0)
            return cb_err_rc(err);
        return oci_store_add(store, o->output, d, err);
    }
    colon = strrchr(o->output + 4, ':');
    if (colon && !strchr(colon, '/'))
        tag = colon + 1;
    dir = colon && !strchr(colon, '/') ? xstrndup(o->output + 4, (size_t)(colon - o->output - 4))
                                       : xstrdup(o->output + 4);
    if (!*dir || !*tag)
        return cb_fail(err, CB_EINVAL, 0, "invalid output '%s': want oci:DIR[:TAG]", o->output);
    l = oci_layout_open(dir, OCI_LAYOUT_CREATE, err);
    if (!l || oci_mkimage(l, req, d, err) < 0)
        return cb_err_rc(err);
    return oci_layout_tag(l, tag, d, err);
}

int cmd_debug_mkimage(int argc, char **argv, struct cli_env *env)
{
    struct mk_opts o = {.compression = "gzip", .created_by = "cbuild debug mkimage"};
    const struct cli_option opts[] = {
        {0, "rootfs", CLI_OPT_STRING, &o.rootfs, "DIR", "the directory to make the layer from"},
        {'o', "output", CLI_OPT_STRING, &o.output, "DEST", "oci:DIR[:TAG] or an image name"},
        {0, "cmd", CLI_OPT_LIST, &o.cmd, "ARG", "config.Cmd (repeat for each argument)"},
        {0, "entrypoint", CLI_OPT_LIST, &o.entrypoint, "ARG", "config.Entrypoint (repeatable)"},
        {0, "env", CLI_OPT_LIST, &o.env, "K=V", "config.Env (repeatable)"},
        {0, "label", CLI_OPT_LIST, &o.labels, "K=V", "config.Labels (repeatable)"},
        {0, "workdir", CLI_OPT_STRING, &o.workdir, "DIR", "config.WorkingDir"},
        {0, "user", CLI_OPT_STRING, &o.user, "USER", "config.User"},
        {0, "platform", CLI_OPT_STRING, &o.platform, "OS/ARCH[/VARIANT]", "default: the host's"},
        {0, "source-date-epoch", CLI_OPT_STRING, &o.epoch, "N",
         "created time, and clamp file mtimes to it (default $SOURCE_DATE_EPOCH)"},
        {0, "compression", CLI_OPT_STRING, &o.compression, "gzip|zstd|none", "default gzip"},
        {0, "created-by", CLI_OPT_STRING, &o.created_by, "TEXT", "the history entry"},
        {0},
    };
    const struct cli_usage u = {"cbuild debug mkimage --rootfs DIR -o DEST [OPTIONS]",
                                "Make a one-layer image from a directory.", opts};
    cleanup_strv_s struct cb_strv args = CB_STRV_INIT;
    cleanup_image struct oci_image img = {0};
    struct oci_mkimage_req req = {.config = &img};
    struct oci_descriptor d;
    cleanup_err struct cb_err *err = NULL;
    char ds[OCI_DIGEST_STR_MAX];
    int rc = cli_parse(argc, argv, &u, 0, &args);

    if (rc)
        return rc > 0 ? 0 : 2;
    if (args.n || !o.rootfs || !o.output)
        return cli_usage_error(&u, "--rootfs DIR and -o DEST are required, and nothing else");
    if (!o.epoch)
        o.epoch = getenv("SOURCE_DATE_EPOCH");
    oci_image_init(&img);
    req.rootfs = o.rootfs;
    req.created_by = o.created_by;
    req.layer.clamp_mtime = o.epoch != NULL;
    rc = oci_compression_parse(o.compression, &req.layer.compress.algo, &err);
    if (rc >= 0)
        rc = fill_config(&o, &img, &req.layer.source_date_epoch, &err);
    if (rc >= 0)
        rc = make(&o, &req, env, &d, &err);
    cb_strv_release(&o.cmd);
    cb_strv_release(&o.entrypoint);
    cb_strv_release(&o.env);
    cb_strv_release(&o.labels);
    if (rc < 0)
        return cli_report(err);
    printf("%s\n", oci_digest_fmt(&d.digest, ds));
    oci_descriptor_release(&d);
    return 0;
}
