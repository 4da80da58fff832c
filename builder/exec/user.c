/* user.c - USER resolution inside the rootfs (runc's GetExecUser rules):
 * a name or number picks the passwd entry (a number needs none), an explicit
 * group replaces the primary gid and drops supplementary groups, otherwise
 * every /etc/group line listing the user name is a supplementary group. */
#include <errno.h>
#include <fcntl.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#include "user.h"
#include "../../base/buf.h"
#include "../../base/cleanup.h"
#include "../../base/fsutil.h"
#include "../../base/xalloc.h"
#include "../../base/banned.h"

#define ID_FILE_LIMIT ((size_t)16 << 20)

/* Parse a whole decimal id; -1 when s is not one. */
static long parse_id(const char *s)
{
    char *end = NULL;
    long v;
    if (!*s || *s < '0' || *s > '9')
        return -1;
    errno = 0;
    v = strtol(s, &end, 10);
    if (errno || *end || v < 0 || v > 0x7fffffffL)
        return -1;
    return v;
}

/* Read /etc/<name> from the rootfs; a missing file leaves out empty. */
static int read_db(int rootfd, const char *path, struct cb_buf *out, struct cb_err **err)
{
    cleanup_close int fd = -1;
    cleanup_err struct cb_err *e = NULL;

    fd = cb_open_beneath(rootfd, path, O_RDONLY | O_CLOEXEC, 0, &e);
    if (fd < 0)
        return e && e->sys_errno == ENOENT
                   ? 0
                   : cb_fail(err, CB_EIO, e ? e->sys_errno : 0, "read '%s' in the rootfs", path);
    if (cb_read_all(fd, out, err) < 0)
        return cb_wrap(err, "read '%s' in the rootfs", path);
    return 0;
}

/* Split one line into at most max ':'-separated fields (in place). */
static size_t split_fields(char *line, char **f, size_t max)
{
    size_t n = 0;
    f[n++] = line;
    for (char *p = line; *p && n < max; p++)
        if (*p == ':') {
            *p = '\0';
            f[n++] = p + 1;
        }
    return n;
}

/* Find the line whose field 0 equals key, or whose field 2 equals id when
 * key is numeric; fields are filled in place in the buffer. */
static bool find_entry(char *db, const char *key, char **f, size_t nf)
{
    long want_id = parse_id(key);
    for (char *line = db, *next; line && *line; line = next) {
        next = strchr(line, '\n');
        if (next)
            *next++ = '\0';
        if (*line == '#' || split_fields(line, f, nf) < 3)
            continue;
        if (!strcmp(f[0], key) || (want_id >= 0 && parse_id(f[2]) == want_id))
            return true;
    }
    return false;
}

static bool list_has(char *list, const char *name)
{
    for (char *p = list; p && *p;) {
        char *comma = strchr(p, ',');
        size_t len = comma ? (size_t)(comma - p) : strlen(p);
        if (len == strlen(name) && !strncmp(p, name, len))
            return true;
        p = comma ? comma + 1 : NULL;
    }
    return false;
}

static void add_supplementary(struct bld_user *u, const char *groupdb, const char *name)
{
    cleanup_free char *db = xstrdup(groupdb);
    size_t alloc = 0;
    for (char *line = db, *next; line && *line; line = next) {
        char *f[4] = {0};
        long gid;
        next = strchr(line, '\n');
        if (next)
            *next++ = '\0';
        if (*line == '#' || split_fields(line, f, 4) < 4)
            continue;
        gid = parse_id(f[2]);
        if (gid < 0 || !list_has(f[3], name))
            continue;
        XGROW(u->groups, u->n_groups + 1, alloc);
        u->groups[u->n_groups++] = (gid_t)gid;
    }
}

/* The group part: its entry's gid, or the number itself; false for a name
 * with no entry. */
static bool lookup_group(const char *groupdb, const char *spec, gid_t *gid)
{
    cleanup_free char *db = xstrdup(groupdb);
    char *f[4] = {0};
    long id;
    if (find_entry(db, spec, f, 4) && (id = parse_id(f[2])) >= 0) {
        *gid = (gid_t)id;
        return true;
    }
    id = parse_id(spec);
    if (id >= 0)
        *gid = (gid_t)id;
    return id >= 0;
}

/* The user part: its passwd entry (uid, gid, home, name), or the number
 * itself with gid 0 and home "/"; false for a name with no entry. */
static bool lookup_passwd(const char *passwd, const char *name, struct bld_user_lookup *l)
{
    cleanup_free char *db = xstrdup(passwd);
    char *f[7] = {0};
    long id;
    if (find_entry(db, name, f, 7) && (id = parse_id(f[2])) >= 0) {
        long gid = f[3] ? parse_id(f[3]) : -1;
        l->ids.uid = (uid_t)id;
        l->ids.gid = gid >= 0 ? (gid_t)gid : 0;
        l->ids.home = xstrdup(f[5] && *f[5] ? f[5] : "/");
        l->name = xstrdup(f[0]);
        return true;
    }
    id = parse_id(name);
    l->ids.uid = id >= 0 ? (uid_t)id : 0;
    l->ids.gid = 0;
    l->ids.home = xstrdup("/");
    return id >= 0;
}

void bld_user_lookup(const char *passwd, const char *group, const char *spec,
                     struct bld_user_lookup *out)
{
    cleanup_free char *user = xstrdup(spec && *spec ? spec : "root");
    char *colon = strchr(user, ':');

    memset(out, 0, sizeof(*out));
    if (colon)
        *colon++ = '\0';
    out->user_found = *user && lookup_passwd(passwd ? passwd : "", user, out);
    out->group_found = true;
    if (colon && *colon)
        out->group_found = lookup_group(group ? group : "", colon, &out->ids.gid);
    else if (out->name)
        add_supplementary(&out->ids, group ? group : "", out->name);
}

void bld_user_lookup_release(struct bld_user_lookup *l)
{
    bld_user_release(&l->ids);
    free(l->name);
    l->name = NULL;
}

int bld_user_resolve(int rootfd, const char *spec, struct bld_user *out, struct cb_err **err)
{
    cleanup_buf struct cb_buf passwd, group;
    const char *user = spec && *spec ? spec : "root";
    const char *colon = strchr(user, ':');
    struct bld_user_lookup l;

    cb_buf_init(&passwd, ID_FILE_LIMIT);
    cb_buf_init(&group, ID_FILE_LIMIT);
    if (colon == user)
        return cb_fail(err, CB_EINVAL, 0, "invalid user '%s'", spec);
    if (read_db(rootfd, "/etc/passwd", &passwd, err) < 0 ||
        read_db(rootfd, "/etc/group", &group, err) < 0)
        return cb_err_rc(err);
    bld_user_lookup(cb_buf_str(&passwd), cb_buf_str(&group), user, &l);
    if (!l.user_found) {
        int n = colon ? (int)(colon - user) : (int)strlen(user);
        bld_user_lookup_release(&l);
        return cb_fail(err, CB_ENOTFOUND, 0,
                       "unable to find user %.*s: no matching entries in passwd file", n, user);
    }
    if (!l.group_found) {
        bld_user_lookup_release(&l);
        return cb_fail(err, CB_ENOTFOUND, 0,
                       "unable to find group %s: no matching entries in group file", colon + 1);
    }
    *out = l.ids;
    free(l.name);
    return 0;
}

void bld_user_add_primary_group(struct bld_user *u)
{
    for (size_t i = 0; i < u->n_groups; i++)
        if (u->groups[i] == u->gid)
            return;
    u->groups = xreallocarray(u->groups, u->n_groups + 1, sizeof(*u->groups));
    memmove(u->groups + 1, u->groups, u->n_groups * sizeof(*u->groups));
    u->groups[0] = u->gid;
    u->n_groups++;
}

void bld_user_release(struct bld_user *u)
{
    free(u->groups);
    free(u->home);
    u->groups = NULL;
    u->home = NULL;
    u->n_groups = 0;
}
