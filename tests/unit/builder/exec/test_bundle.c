#include <jansson.h>
#include <stdlib.h>
#include <string.h>

#include "harness.h"
#include "../../../../base/cleanup.h"
#include "../../../../base/fsutil.h"
#include "../../../../base/json.h"
#include "../../../../builder/exec/bundle.h"

static json_t *write_and_load(bool netns, struct bld_mount_plan *plan)
{
    char *const argv[] = {"/bin/sh", "-c", "true", NULL};
    char *const env[] = {"PATH=/bin", "A=b", NULL};
    gid_t groups[] = {10, 20};
    struct bld_user u = {.uid = 1000, .gid = 1001, .groups = groups, .n_groups = 2, .home = "/h"};
    struct bld_bundle_spec s = {.argv = argv,
                                .env = env,
                                .cwd = "/w",
                                .user = &u,
                                .hostname = "buildkitsandbox",
                                .new_netns = netns,
                                .plan = plan};
    struct cb_err *err = NULL;
    json_error_t je;
    if (bld_bundle_write(".", &s, &err) < 0) {
        cb_err_free(err);
        return NULL;
    }
    return json_load_file("config.json", 0, &je);
}

static bool has_ns(json_t *doc, const char *type)
{
    json_t *ns = json_object_get(json_object_get(doc, "linux"), "namespaces"), *v;
    size_t i;
    json_array_foreach(ns, i, v) if (!strcmp(cb_json_peek_str(v, "type"), type)) return true;
    return false;
}

TEST(bundle_process_user_caps_and_root)
{
    cleanup_json json_t *doc = write_and_load(false, NULL);
    json_t *proc, *caps;
    ASSERT(doc != NULL);
    proc = json_object_get(doc, "process");
    ASSERT(json_is_false(json_object_get(proc, "terminal")));
    ASSERT(json_is_false(json_object_get(proc, "noNewPrivileges")));
    ASSERT_INT_EQ(json_integer_value(json_object_get(json_object_get(proc, "user"), "uid")), 1000);
    ASSERT_INT_EQ(json_array_size(json_object_get(json_object_get(proc, "user"), "additionalGids")),
                  2);
    ASSERT_STR_EQ(cb_json_peek_str(proc, "cwd"), "/w");
    caps = json_object_get(json_object_get(proc, "capabilities"), "bounding");
    ASSERT_INT_EQ(json_array_size(caps), 14);
    ASSERT_STR_EQ(json_string_value(json_array_get(caps, 0)), "CAP_CHOWN");
    ASSERT_STR_EQ(cb_json_peek_str(doc, "hostname"), "buildkitsandbox");
    ASSERT(json_is_false(json_object_get(json_object_get(doc, "root"), "readonly")));
    ASSERT_STR_EQ(cb_json_peek_str(json_object_get(doc, "root"), "path"), "rootfs");
}

TEST(bundle_namespaces_follow_network_mode)
{
    cleanup_json json_t *host = write_and_load(false, NULL);
    cleanup_json json_t *none = NULL;
    ASSERT(host && has_ns(host, "pid") && has_ns(host, "mount") && has_ns(host, "ipc") &&
           has_ns(host, "uts"));
    ASSERT(!has_ns(host, "network"));
    none = write_and_load(true, NULL);
    ASSERT(none && has_ns(none, "network"));
}

TEST(bundle_standard_then_step_mounts)
{
    struct bld_mount_plan p;
    cleanup_json json_t *doc = NULL;
    json_t *mounts, *last;
    bld_mount_plan_init(&p);
    bld_mount_plan_add(&p, "/etc/hosts", "bind", "/b/hosts", "rbind,ro");
    doc = write_and_load(false, &p);
    bld_mount_plan_release(&p);
    ASSERT(doc != NULL);
    mounts = json_object_get(doc, "mounts");
    ASSERT_STR_EQ(cb_json_peek_str(json_array_get(mounts, 0), "destination"), "/proc");
    last = json_array_get(mounts, json_array_size(mounts) - 1);
    ASSERT_STR_EQ(cb_json_peek_str(last, "destination"), "/etc/hosts");
    ASSERT_STR_EQ(json_string_value(json_array_get(json_object_get(last, "options"), 1)), "ro");
    for (size_t i = 0; i < json_array_size(mounts); i++)
        if (!strcmp(cb_json_peek_str(json_array_get(mounts, i), "destination"), "/sys")) {
            json_t *o = json_object_get(json_array_get(mounts, i), "options");
            ASSERT_STR_EQ(json_string_value(json_array_get(o, json_array_size(o) - 1)), "ro");
        }
}
