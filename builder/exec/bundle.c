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

static json_t *mounts_json(const struct bld_mount_plan *plan, unsigned long long shm_size)
{
    json_t *a = json_array();
    for (const struct std_mount *m = std_mounts; m->dest; m++) {
        char opts[128];
        const char *o = m->options;
        if (shm_size && !strcmp(m->dest, "/dev/shm")) {
            snprintf(opts, sizeof(opts), "nosuid,noexec,nodev,mode=1777,size=%llu", shm_size);
            o = opts;
        }
        json_array_append_new(a, json_pack("{s:s,s:s,s:s,s:o}", "destination", m->dest, "type",
                                           m->type, "source", m->source, "options", opts_json(o)));
    }
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
    if (s->n_rlimits) {
        json_t *rl = json_array();
        for (size_t i = 0; i < s->n_rlimits; i++)
            json_array_append_new(rl, json_pack("{s:s,s:I,s:I}", "type", s->rlimits[i].type, "soft",
                                                (json_int_t)s->rlimits[i].soft, "hard",
                                                (json_int_t)s->rlimits[i].hard));
        json_object_set_new(proc, "rlimits", rl);
    }
    doc = json_pack("{s:s,s:o,s:{s:s,s:b},s:s,s:o,s:o}", "ociVersion", "1.0.2", "process", proc,
                    "root", "path", "rootfs", "readonly", 0, "hostname", s->hostname, "mounts",
                    mounts_json(s->plan, s->shm_size), "linux", linux_json(s));
    if (!doc)
        return cb_fail(err, CB_EBUG, 0, "build config.json");
    if (cb_json_dump_canonical(doc, &out, err) < 0)
        return cb_err_rc(err);
    return cb_write_file_atomic(path, out.data, out.len, 0600, err);
}

static const struct {
    const char *name, *type;
} rlimit_names[] = {
    {"core", "RLIMIT_CORE"},         {"cpu", "RLIMIT_CPU"},
    {"data", "RLIMIT_DATA"},         {"fsize", "RLIMIT_FSIZE"},
    {"locks", "RLIMIT_LOCKS"},       {"memlock", "RLIMIT_MEMLOCK"},
    {"msgqueue", "RLIMIT_MSGQUEUE"}, {"nice", "RLIMIT_NICE"},
    {"nofile", "RLIMIT_NOFILE"},     {"nproc", "RLIMIT_NPROC"},
    {"rss", "RLIMIT_RSS"},           {"rtprio", "RLIMIT_RTPRIO"},
    {"rttime", "RLIMIT_RTTIME"},     {"sigpending", "RLIMIT_SIGPENDING"},
    {"stack", "RLIMIT_STACK"},
};

static int number(const char *s, const char *what, unsigned long long *out, struct cb_err **err)
{
    char *end;
    errno = 0;
    *out = strtoull(s, &end, 10);
    if (errno || end == s || *end || *s == '-')
        return cb_fail(err, CB_EINVAL, 0, "invalid number '%s' in '%s'", s, what);
    return 0;
}

int bld_rlimit_parse(const char *s, struct bld_rlimit *out, struct cb_err **err)
{
    const char *eq = strchr(s, '=');
    char num[64];
    const char *colon;

    if (!eq)
        return cb_fail(err, CB_EINVAL, 0, "ulimit '%s': want NAME=SOFT[:HARD]", s);
    out->type = NULL;
    for (size_t i = 0; i < sizeof(rlimit_names) / sizeof(rlimit_names[0]); i++)
        if (strlen(rlimit_names[i].name) == (size_t)(eq - s) &&
            !strncmp(s, rlimit_names[i].name, (size_t)(eq - s)))
            out->type = rlimit_names[i].type;
    if (!out->type)
        return cb_fail(err, CB_EINVAL, 0, "ulimit '%s': unknown limit '%.*s'", s, (int)(eq - s), s);
    colon = strchr(eq + 1, ':');
    snprintf(num, sizeof(num), "%.*s", colon ? (int)(colon - eq - 1) : (int)strlen(eq + 1), eq + 1);
    if (number(num, s, &out->soft, err) < 0)
        return -CB_EINVAL;
    out->hard = out->soft;
    if (colon && number(colon + 1, s, &out->hard, err) < 0)
        return -CB_EINVAL;
    if (out->soft > out->hard)
        return cb_fail(err, CB_EINVAL, 0, "ulimit '%s': soft limit above the hard limit", s);
    return 0;
}

int bld_size_parse(const char *s, unsigned long long *out, struct cb_err **err)
{
    char *end;
    unsigned long long mul = 1;

    errno = 0;
    *out = strtoull(s, &end, 10);
    if (errno || end == s || *s == '-')
        return cb_fail(err, CB_EINVAL, 0, "invalid size '%s'", s);
    switch (*end) {
    case 'b':
    case 'B':
    case '\0':
        mul = 1;
        break;
    case 'k':
    case 'K':
        mul = 1ull << 10;
        break;
    case 'm':
    case 'M':
        mul = 1ull << 20;
        break;
    case 'g':
    case 'G':
        mul = 1ull << 30;
        break;
    default:
        return cb_fail(err, CB_EINVAL, 0, "invalid size '%s': want a number and b, k, m or g", s);
    }
    if (*end && end[1] && !((end[1] == 'b' || end[1] == 'B') && !end[2]))
        return cb_fail(err, CB_EINVAL, 0, "invalid size '%s'", s);
    *out *= mul;
    return 0;
}
