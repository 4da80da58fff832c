/* users.c - the runtime user as the container runtime will see it: USER
 * ("name[:group]" or "uid[:gid]") resolved against the image's /etc/passwd
 * and /etc/group (read through the rootfs view), and the kernel's permission
 * rules for that user.  Mirrors builder/exec/user.c, which needs a real root
 * directory; the doctor reads a union of layers instead. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "doctor_internal.h"
#include "../../base/cleanup.h"
#include "../../base/xalloc.h"
#include "../../base/banned.h"

#define DB_LIMIT ((size_t)4 << 20)

static bool parse_id(const char *s, unsigned long *out)
{
    char *end;
    if (!*s || *s == '-' || *s == '+')
        return false;
    errno = 0;
    *out = strtoul(s, &end, 10);
    return !*end && !errno && *out <= 0xffffffffUL;
}

/* Split one line of a colon file into at most max fields (in place). */
static size_t split_fields(char *line, char **f, size_t max)
{
    size_t n = 0;
    f[n++] = line;
    for (char *p = line; *p && n < max; p++)
        if (*p == ':') {
            *p = 0;
            f[n++] = p + 1;
        }
    return n;
}

/* Read an /etc file of the image; missing is an empty file. */
static int read_db(struct bld_rootfs *fs, const char *path, struct cb_buf *out, struct cb_err **err)
{
    cleanup_err struct cb_err *e = NULL;
    cb_buf_init(out, DB_LIMIT);
    if (bld_rootfs_read(fs, path, 0, out, &e) < 0) {
        if (e->code == CB_ENOTFOUND)
            return 0;
        *err = TAKE_PTR(e);
        return -CB_EIO;
    }
    return 0;
}

static void match_passwd(struct doc_user *u, char *data, const char *name, bool numeric,
                         unsigned long id)
{
    char *save = NULL;

    for (char *line = strtok_r(data, "\n", &save); line; line = strtok_r(NULL, "\n", &save)) {
        char *f[7];
        unsigned long uid, gid;
        if (split_fields(line, f, 7) < 7 || !parse_id(f[2], &uid) || !parse_id(f[3], &gid))
            continue;
        if (numeric ? uid != id : strcmp(f[0], name) != 0)
            continue;
        u->user_known = true;
        u->uid = (uid_t)uid;
        u->gid = (gid_t)gid;
        u->name = xstrdup(f[0]);
        u->passwd_home = xstrdup(f[5]);
        return;
    }
}

static bool is_member(const char *members, const char *name)
{
    size_t n = strlen(name);
    for (const char *p = members; *p;) {
        size_t len = strcspn(p, ",");
        if (len == n && !strncmp(p, name, n))
            return true;
        p += len;
        if (*p)
            p++;
    }
    return false;
}

static void match_group(struct doc_user *u, char *data)
{
    unsigned long want = 0;
    bool numeric = u->group && parse_id(u->group, &want);
    char *save = NULL;

    for (char *line = strtok_r(data, "\n", &save); line; line = strtok_r(NULL, "\n", &save)) {
        char *f[4];
        unsigned long gid;
        if (split_fields(line, f, 4) < 4 || !parse_id(f[2], &gid))
            continue;
        if (u->group && (numeric ? gid == want : !strcmp(f[0], u->group))) {
            u->group_known = true;
            u->gid = (gid_t)gid;
        }
        if (u->name && is_member(f[3], u->name) &&
            u->n_groups < sizeof(u->groups) / sizeof(u->groups[0]))
            u->groups[u->n_groups++] = (gid_t)gid;
    }
}

int doc_user_resolve(struct bld_rootfs *fs, const char *spec, struct doc_user *u,
                     struct cb_err **err)
{
    cleanup_buf struct cb_buf pw = {0}, gr = {0};
    const char *colon = spec ? strchr(spec, ':') : NULL;
    cleanup_free char *name = NULL;
    unsigned long id = 0;
    bool numeric;

    memset(u, 0, sizeof(*u));
    u->spec = xstrdup(spec ? spec : "");
    name = colon ? xstrndup(spec, (size_t)(colon - spec)) : xstrdup(u->spec);
    if (!*name) {
        free(name);
        name = xstrdup("root");
    }
    u->group = colon ? xstrdup(colon + 1) : NULL;
    u->group_known = true;
    if (read_db(fs, "/etc/passwd", &pw, err) < 0 || read_db(fs, "/etc/group", &gr, err) < 0)
        return cb_err_rc(err);
    numeric = parse_id(name, &id);
    match_passwd(u, pw.data ? pw.data : (char[]){0}, name, numeric, id);
    if (numeric && !u->user_known) {
        u->user_known = true; /* a bare uid needs no entry; gid 0, home "/" */
        u->uid = (uid_t)id;
    }
    if (!u->name && !numeric)
        u->name = xstrdup(name);
    if (u->group) {
        unsigned long gid;
        u->group_known = parse_id(u->group, &gid);
        if (u->group_known)
            u->gid = (gid_t)gid;
    }
    match_group(u, gr.data ? gr.data : (char[]){0});
    return 0;
}

void doc_user_release(struct doc_user *u)
{
    free(u->spec);
    free(u->name);
    free(u->group);
    free(u->passwd_home);
    memset(u, 0, sizeof(*u));
}

static bool in_groups(const struct doc_user *u, gid_t gid)
{
    if (u->gid == gid)
        return true;
    for (size_t i = 0; i < u->n_groups; i++)
        if (u->groups[i] == gid)
            return true;
    return false;
}

static bool allowed(const struct doc_user *u, const struct bld_rootfs_stat *st, mode_t bit)
{
    if (st->uid == u->uid)
        return st->mode & (bit << 6);
    if (in_groups(u, st->gid))
        return st->mode & (bit << 3);
    return st->mode & bit;
}

bool doc_can_write(const struct doc_user *u, const struct bld_rootfs_stat *st)
{
    return u->uid == 0 || allowed(u, st, S_IWOTH);
}

bool doc_can_exec(const struct doc_user *u, const struct bld_rootfs_stat *st)
{
    if (S_ISDIR(st->mode))
        return u->uid == 0 || allowed(u, st, S_IXOTH);
    return u->uid == 0 ? (st->mode & 0111) != 0 : allowed(u, st, S_IXOTH);
}
