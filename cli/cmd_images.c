/* cmd_images.c - `cbuild images [-q] [--format table|json]`: list the
 * images in the local store. */
#include <stdio.h>
#include <string.h>

#include "commands.h"
#include "options.h"
#include "../base/cleanup.h"
#include "../oci/store.h"
#include "../base/banned.h"

static void human_size(int64_t n, char *buf, size_t len)
{
    static const char *const units[] = {"B", "kB", "MB", "GB", "TB"};
    double v = (double)n;
    size_t u = 0;

    while (v >= 1000 && u + 1 < sizeof(units) / sizeof(units[0])) {
        v /= 1000;
        u++;
    }
    snprintf(buf, len, u ? "%.3g%s" : "%.0f%s", v, units[u]);
}

static void print_row(const struct oci_store_image *img)
{
    char hex[65] = "<none>", size[32], repo[512], created[20] = "N/A";
    const char *name = img->name ? img->name : "<none>:<none>";
    const char *at = strchr(name, '@'), *slash = strrchr(name, '/');
    const char *colon = at ? at : strrchr(slash ? slash : name, ':');

    if (oci_digest_is_set(&img->id))
        oci_digest_hex(&img->id, hex)[12] = 0;
    human_size(img->size, size, sizeof(size));
    snprintf(repo, sizeof(repo), "%.*s", colon ? (int)(colon - name) : (int)strlen(name), name);
    if (img->created && strlen(img->created) >= 16)
        snprintf(created, sizeof(created), "%.10s %.5s", img->created, img->created + 11);
    printf("%-40s %-12s %-12s %-16s %s\n", repo, colon && !at ? colon + 1 : "<none>", hex, created,
           size);
}

int cmd_images(int argc, char **argv, struct cli_env *env)
{
    const char *format = "table";
    bool quiet = false;
    const struct cli_option opts[] = {
        {0, "format", CLI_OPT_STRING, &format, "table|json", "output format (default table)"},
        {'q', "quiet", CLI_OPT_BOOL, &quiet, NULL, "print image IDs only"},
        {0},
    };
    const struct cli_usage u = {"cbuild images [OPTIONS]", "List the images in the local store.",
                                opts};
    cleanup_strv_s struct cb_strv args = CB_STRV_INIT;
    cleanup_store struct oci_store *store = NULL;
    cleanup_buf struct cb_buf out = {0};
    struct oci_store_image *v = NULL;
    cleanup_err struct cb_err *err = NULL;
    size_t n = 0;
    int rc = cli_parse(argc, argv, &u, 0, &args);

    if (rc)
        return rc > 0 ? 0 : 2;
    if (args.n)
        return cli_usage_error(&u, "unexpected argument '%s'", args.v[0]);
    if (strcmp(format, "table") && strcmp(format, "json"))
        return cli_usage_error(&u, "--format must be table or json, not '%s'", format);
    store = oci_store_open(env->root, OCI_STORE_SHARED, &err);
    if (!store || oci_store_list(store, &v, &n, &err) < 0)
        return cli_report(err);
    cb_buf_init(&out, CB_BUF_LIMIT_DEFAULT);
    if (!strcmp(format, "json")) {
        rc = oci_store_images_json(v, n, &out, &err);
        if (rc >= 0)
            fputs(cb_buf_str(&out), stdout);
    } else if (!quiet) {
        printf("%-40s %-12s %-12s %-16s %s\n", "REPOSITORY", "TAG", "IMAGE ID", "CREATED", "SIZE");
    }
    for (size_t i = 0; rc >= 0 && strcmp(format, "json") && i < n; i++) {
        char hex[65] = "";
        if (quiet)
            printf("%s\n", oci_digest_is_set(&v[i].id) ? oci_digest_hex(&v[i].id, hex) : "<none>");
        else
            print_row(&v[i]);
    }
    oci_store_images_free(v, n);
    return rc < 0 ? cli_report(err) : 0;
}
