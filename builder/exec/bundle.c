/* bundle.c - config.json for a RUN step (runtime-spec config.md). */
#include <string.h>

#include "bundle.h"
#include "../../base/cleanup.h"
#include "../../base/fsutil.h"
#include "../../base/json.h"
#include "../../base/banned.h"

/* Docker's default capability set (moby oci/caps/defaults.go). */
static const char *const default_caps[] = {
    "CAP_CHOWN",
    "CAP_DAC_OVERRIDE",
    "CAP_FSETID",
    "CAP_FOWNER",
    "CAP_MKNOD",
    "CAP_NET_RAW",
    "CAP_SETGID",
    "CAP_SETUID",
    "CAP_SETFCAP",
    "CAP_SETPCAP",
    "CAP_NET_BIND_SERVICE",
    "CAP_SYS_CHROOT",
    "CAP_KILL",
    "CAP_AUDIT_WRITE",
    NULL,
};

static const char *const masked_paths[] = {
    "/proc/asound",
    "/proc/acpi",
    "/proc/kcore",
    "/proc/keys",
    "/proc/latency_stats",
    "/proc/timer_list",
    "/proc/timer_stats",
    "/proc/sched_debug",
    "/proc/scsi",
    "/sys/firmware",
    "/sys/devices/virtual/powercap",
    NULL,
};

static const char *const readonly_paths[] = {
    "/proc/bus", "/proc/fs", "/proc/irq", "/proc/sys", "/proc/sysrq-trigger", NULL,
};

struct std_mount {
    const char *dest, *type, *source, *options;
};

static const struct std_mount std_mounts[] = {
    {"/proc", "proc", "proc", "nosuid,noexec,nodev"},
    {"/dev", "tmpfs", "tmpfs", "nosuid,strictatime,mode=755,size=65536k"},
    {"/dev/pts", "devpts", "devpts", "nosuid,noexec,newinstance,ptmxmode=0666,mode=0620,gid=5"},
    {"/dev/shm", "tmpfs", "shm", "nosuid,noexec,nodev,mode=1777,size=65536k"},
    {"/dev/mqueue", "mqueue", "mqueue", "nosuid,noexec,nodev"},
    {"/sys", "sysfs", "sysfs", "nosuid,noexec,nodev,ro"},
    {NULL, NULL, NULL, NULL},
};

const char *const bld_bundle_std_targets[] = {
    "/proc",
    "/dev",
    "/sys",
    NULL,
};

static json_t *strv_json(const char *const *v)
{
    json_t *a = json_array();
    for (; v && *v; v++)
        json_array_append_new(a, json_string(*v));
    return a;
}

static json_t *opts_json(const char *options)
{
    json_t *a = json_array();
    for (const char *o = options; o && *o;) {
        const char *c = strchr(o, ',');
        size_t len = c ? (size_t)(c - o) : strlen(o);
        json_array_append_new(a, json_stringn(o, len));
        o = c ? c + 1 : NULL;
    }
    return a;
}

static json_t *mounts_json(const struct bld_mount_plan *plan)
{
    json_t *a = json_array();
    for (const struct std_mount *m = std_mounts; m->dest; m++)
        json_array_append_new(a, json_pack("{s:s,s:s,s:s,s:o}", "destination", m->dest, "type",
                                           m->type, "source", m->source, "options",
                                           opts_json(m->options)));
    for (size_t i = 0; plan && i < plan->n_spec; i++) {
        const struct bld_spec_mount *m = &plan->spec[i];
        json_array_append_new(a, json_pack("{s:s,s:s,s:s,s:o}", "destination", m->dest, "type",
                                           m->type, "source", m->source, "options",
                                           strv_json((const char *const *)m->options.v)));
    }
    return a;
}

static json_t *process_json(const struct bld_bundle_spec *s)
{
    json_t *groups = json_array();
    json_t *caps = strv_json(default_caps);
    for (size_t i = 0; i < s->user->n_groups; i++)
        json_array_append_new(groups, json_integer(s->user->groups[i]));
    return json_pack("{s:b,s:{s:I,s:I,s:o},s:o,s:o,s:s,s:{s:o,s:O,s:O,s:o},s:b}", "terminal", 0,
                     "user", "uid", (json_int_t)s->user->uid, "gid", (json_int_t)s->user->gid,
                     "additionalGids", groups, "args", strv_json((const char *const *)s->argv),
                     "env", strv_json((const char *const *)s->env), "cwd", s->cwd, "capabilities",
                     "bounding", caps, "effective", caps, "permitted", caps, "inheritable",
                     json_array(), "noNewPrivileges", 0);
}

static json_t *linux_json(const struct bld_bundle_spec *s)
{
    json_t *ns = json_pack("[{s:s},{s:s},{s:s},{s:s}]", "type", "pid", "type", "ipc", "type", "uts",
                           "type", "mount");
    if (s->new_netns)
        json_array_append_new(ns, json_pack("{s:s}", "type", "network"));
    return json_pack("{s:o,s:o,s:o,s:{s:[{s:b,s:s}]}}", "namespaces", ns, "maskedPaths",
                     strv_json(masked_paths), "readonlyPaths", strv_json(readonly_paths),
                     "resources", "devices", "allow", 0, "access", "rwm");
}

int bld_bundle_write(const char *bundle_dir, const struct bld_bundle_spec *s, struct cb_err **err)
{
    cleanup_json json_t *doc = NULL;
    cleanup_buf struct cb_buf out;
    cleanup_free char *path = cb_path_join(bundle_dir, "config.json");
    json_t *proc = process_json(s);

    cb_buf_init(&out, 16 << 20);
    if (!proc)
        return cb_fail(err, CB_EBUG, 0, "build the process section of config.json");
    doc = json_pack("{s:s,s:o,s:{s:s,s:b},s:s,s:o,s:o}", "ociVersion", "1.0.2", "process", proc,
                    "root", "path", "rootfs", "readonly", 0, "hostname", s->hostname, "mounts",
                    mounts_json(s->plan), "linux", linux_json(s));
    if (!doc)
        return cb_fail(err, CB_EBUG, 0, "build config.json");
    if (cb_json_dump_canonical(doc, &out, err) < 0)
        return cb_err_rc(err);
    return cb_write_file_atomic(path, out.data, out.len, 0600, err);
}
